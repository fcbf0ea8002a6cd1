"""Which defect counts, and when (odr_analysis.defects): the status vocabulary, the legacy claims
mode, a defect counting only once received, the latest feedback deciding, and the defects of no
order."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest
from builders import make_defects, make_orders, one
from polars.testing import assert_frame_equal

from odr_analysis.defects import OPEN_END, counted_defects, counted_stretches, unmatched_defects
from odr_analysis.engine import odr, odr_daily
from odr_analysis.rules import OdrRules, day_number
from odr_analysis.schema import STATUSES, validate_defects

D = dt.date


# --- the rules of the three kinds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "rating", "counts"),
    [
        ("negative_feedback", "active", 1, True),
        ("negative_feedback", "active", 2, True),
        ("negative_feedback", "active", 3, False),  # neutral
        ("negative_feedback", "active", 5, False),
        ("negative_feedback", "removed", 1, False),
        ("negative_feedback", "struck_through", 1, False),
        ("negative_feedback", "withdrawn", 1, False),
        ("a_to_z_claim", "pending", None, True),
        ("a_to_z_claim", "granted", None, True),
        ("a_to_z_claim", "seller_refunded", None, True),
        ("a_to_z_claim", "withdrawn_after_grant", None, True),
        ("a_to_z_claim", "denied", None, False),
        ("a_to_z_claim", "withdrawn", None, False),
        ("a_to_z_claim", "buy_shipping_protected", None, False),
        ("a_to_z_claim", "not_counted", None, False),
        ("chargeback", "service", None, True),
        ("chargeback", "unknown", None, True),
        ("chargeback", "fraud", None, False),
    ],
)
def test_status_vocabulary(kind: str, status: str, rating: int | None, counts: bool) -> None:
    orders = make_orders(4, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-0", kind, D(2024, 1, 5), status, rating)])
    assert one(odr(orders, defects, as_of="2024-01-28"))["defective_orders"] == int(counts)


def test_status_vocabulary_is_covered_by_the_parametrization() -> None:
    listed = {(k, s) for k, s, _, _ in test_status_vocabulary.pytestmark[0].args[1]}
    assert listed == {(k, s) for k, values in STATUSES.items() for s in values}


def test_legacy_mode_counts_every_claim() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", f"acme-{i}", "a_to_z_claim", D(2024, 1, 5), s, None)
            for i, s in enumerate(["denied", "withdrawn", "buy_shipping_protected", "not_counted"])
        ]
    )
    assert one(odr(orders, defects, as_of="2024-01-28"))["a_to_z_claims"] == 0
    legacy = dataclasses.replace(OdrRules(), count_all_claims=True)
    assert one(odr(orders, defects, as_of="2024-01-28", rules=legacy))["a_to_z_claims"] == 4


def test_a_defect_counts_only_once_received() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-0", "a_to_z_claim", D(2024, 2, 10), "pending", None)])
    # the order is in the window from 2024-01-16 to 2024-03-15; the claim arrives 2024-02-10
    assert one(odr(orders, defects, as_of="2024-02-09"))["defective_orders"] == 0
    assert one(odr(orders, defects, as_of="2024-02-10"))["defective_orders"] == 1


def test_latest_feedback_decides() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", "acme-0", "negative_feedback", D(2024, 1, 10), "active", 1),
            ("acme", "acme-0", "negative_feedback", D(2024, 1, 20), "active", 3),  # revised
            ("acme", "acme-1", "negative_feedback", D(2024, 1, 10), "active", 4),
            ("acme", "acme-1", "negative_feedback", D(2024, 1, 10), "active", 2),  # same day: any
        ]
    )
    assert one(odr(orders, defects, as_of="2024-01-19"))["negative_feedback"] == 2
    assert one(odr(orders, defects, as_of="2024-01-20"))["negative_feedback"] == 1
    daily = odr_daily(orders, defects, start="2024-01-18", end="2024-01-21")
    assert daily["negative_feedback"].to_list() == [2, 2, 1, 1]


def test_defective_days_of_one_order_can_have_a_gap() -> None:
    # The order of 01-02 enters the window on report date 01-16 (order date + 14). 1-star on
    # 01-10, revised to 3 stars on 01-20, then a claim on 02-01: the order is defective on report
    # dates 01-16 .. 01-19, clean 01-20 .. 01-31, defective again from 02-01.
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", "acme-0", "negative_feedback", D(2024, 1, 10), "active", 1),
            ("acme", "acme-0", "negative_feedback", D(2024, 1, 20), "active", 3),
            ("acme", "acme-0", "a_to_z_claim", D(2024, 2, 1), "pending", None),
        ]
    )
    daily = odr_daily(orders, defects, start="2024-01-09", end="2024-02-02")
    defective_days = daily.filter(pl.col("defective_orders") == 1)["as_of"].to_list()
    expected = [D(2024, 1, d) for d in range(16, 20)] + [D(2024, 2, 1), D(2024, 2, 2)]
    assert defective_days == expected
    for day in (D(2024, 1, 19), D(2024, 1, 20), D(2024, 2, 1)):
        assert_frame_equal(daily.filter(pl.col("as_of") == day), odr(orders, defects, as_of=day))


def test_counted_stretches_of_one_order_with_a_gap() -> None:
    # The defects of test_defective_days_of_one_order_can_have_a_gap, as stretches of report
    # days: the 1-star counts 01-10 .. 01-19 (the 3-star revision of 01-20 ends it), the claim
    # from 02-01 on for good.
    defects = make_defects(
        [
            ("acme", "acme-0", "negative_feedback", D(2024, 1, 10), "active", 1),
            ("acme", "acme-0", "negative_feedback", D(2024, 1, 20), "active", 3),
            ("acme", "acme-0", "a_to_z_claim", D(2024, 2, 1), "pending", None),
        ]
    )
    stretches = counted_stretches(validate_defects(defects), OdrRules()).collect()
    assert stretches.sort("kind").select("order_id", "kind", "s", "e").rows() == [
        ("acme-0", "a_to_z_claim", day_number(D(2024, 2, 1)), OPEN_END),
        ("acme-0", "negative_feedback", day_number(D(2024, 1, 10)), day_number(D(2024, 1, 19))),
    ]


# --- counted_defects and unmatched_defects -------------------------------------------------------


def test_unmatched_defects_are_reported_not_counted() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None),
            ("acme", "ghost", "chargeback", D(2024, 1, 5), "service", None),
            ("other", "acme-1", "chargeback", D(2024, 1, 5), "service", None),
        ]
    )
    assert one(odr(orders, defects, as_of="2024-01-28"))["defective_orders"] == 1
    unmatched = unmatched_defects(orders, defects)
    assert unmatched.select("account", "order_id").rows() == [
        ("acme", "ghost"),
        ("other", "acme-1"),
    ]
    assert unmatched["reason"].str.contains("not in orders").all()


def test_counted_defects_lists_orders_with_their_kinds() -> None:
    defects = make_defects(
        [
            ("acme", "o1", "negative_feedback", D(2024, 1, 5), "active", 1),
            ("acme", "o1", "chargeback", D(2024, 1, 6), "fraud", None),
            ("acme", "o2", "a_to_z_claim", D(2024, 1, 6), "denied", None),
            ("acme", "o3", "a_to_z_claim", D(2024, 3, 6), "granted", None),
        ]
    )
    result = counted_defects(defects, as_of="2024-02-01")
    assert result.rows() == [("acme", "o1", True, False, False)]
