"""The ODR engine against hand-worked cases, a plain-Python reference, invariants and bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from unittest import mock

import numpy as np
import polars as pl
import pytest
from builders import make_defects, make_orders
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from reference import BASE, counts, datasets, reference_daily, reference_odr, rules_strategy

from odr_analysis import engine
from odr_analysis.engine import ODR_COLUMNS, counted_defects, odr, odr_daily, unmatched_defects
from odr_analysis.rules import OdrRules
from odr_analysis.schema import (
    DEFECTS_SCHEMA,
    ORDERS_SCHEMA,
    STATUSES,
    OdrInputError,
    empty_defects,
)

D = dt.date


def only_row(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


# --- worked examples (odr-domain.md section 5) ---------------------------------------------------


def test_e1_ten_orders_one_defect_is_ten_percent() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-0", "chargeback", D(2024, 1, 10), "service", None)])
    row = only_row(odr(orders, defects, as_of="2024-01-28"))
    # 1 defective order / 10 orders = 0.1
    assert (row["order_count"], row["defective_orders"], row["odr"]) == (10, 1, 0.1)
    assert row["meets_target"] is False


def test_e2_forty_three_orders_one_feedback() -> None:
    orders = make_orders(43, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-7", "negative_feedback", D(2024, 1, 9), "active", 1)])
    row = only_row(odr(orders, defects, as_of="2024-01-28"))
    assert row["odr"] == pytest.approx(1 / 43)  # 2.33%, Amazon shows "2.3%"
    assert f"{row['odr']:.2%}" == "2.33%"


def test_exactly_one_percent_fails_the_target() -> None:
    orders = make_orders(100, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "a_to_z_claim", D(2024, 1, 9), "pending", None)])
    row = only_row(odr(orders, defects, as_of="2024-01-28"))
    # 1 / 100 = 0.01, and the target is met only strictly below 0.01
    assert row["odr"] == 0.01
    assert row["meets_target"] is False
    orders_101 = make_orders(101, D(2024, 1, 2))
    assert only_row(odr(orders_101, defects, as_of="2024-01-28"))["meets_target"] is True


def test_e13_feedback_and_claim_on_one_order_is_one_defective_order() -> None:
    orders = make_orders(20, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", "acme-3", "negative_feedback", D(2024, 1, 8), "active", 2),
            ("acme", "acme-3", "a_to_z_claim", D(2024, 1, 12), "granted", None),
        ]
    )
    row = only_row(odr(orders, defects, as_of="2024-01-28"))
    # one defective order, two component counts: 1 + 1 > 1
    assert row["defective_orders"] == 1
    assert (row["negative_feedback"], row["a_to_z_claims"], row["chargebacks"]) == (1, 1, 0)
    assert row["odr"] == pytest.approx(1 / 20)


def test_e10_window_is_sixty_days_inclusive_and_ends_fourteen_days_before() -> None:
    # as_of 2024-01-28: window 2023-11-16 .. 2024-01-14 (15 + 31 + 14 = 60 days)
    days = [D(2023, 11, 15), D(2023, 11, 16), D(2024, 1, 14), D(2024, 1, 15)]
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "order_id": ["before", "first", "last", "after"],
            "order_date": days,
            "channel": "AFN",
        }
    )
    defects = make_defects(
        [
            (("acme", oid, "chargeback", D(2024, 1, 20), "service", None))
            for oid in ["before", "after"]
        ]
    )
    row = only_row(odr(orders, defects, as_of=D(2024, 1, 28)))
    assert (row["window_start"], row["window_end"]) == (D(2023, 11, 16), D(2024, 1, 14))
    assert (row["window_end"] - row["window_start"]).days + 1 == 60
    assert (row["order_count"], row["defective_orders"]) == (2, 0)


def test_e4_v2_report_example_counts() -> None:
    # Amazon's V2 schema example: 1078 defective orders of 539000 -> 0.002 (its "rate" 0.009
    # disagrees with its own counts). Components 628 + 442 + 15 = 1085 >= 1078: 7 orders carry
    # two kinds of defect.
    orders = pl.DataFrame(
        {
            "account": "example",
            "marketplace": "Amazon.com",
            "order_id": pl.int_range(0, 539_000, eager=True).cast(pl.String),
            "order_date": D(2020, 10, 1),
            "channel": "MFN",
        }
    )
    event = D(2020, 10, 20)
    rows = [("example", str(i), "negative_feedback", event, "active", 1) for i in range(628)]
    rows += [("example", str(621 + i), "a_to_z_claim", event, "granted", None) for i in range(442)]
    rows += [("example", str(1063 + i), "chargeback", event, "service", None) for i in range(15)]
    row = only_row(odr(orders, make_defects(rows), as_of="2020-11-18"))
    assert (row["window_start"], row["window_end"]) == (D(2020, 9, 6), D(2020, 11, 4))
    assert row["order_count"] == 539_000
    assert row["defective_orders"] == 1078  # 1085 component counts - 7 orders counted twice
    assert (row["negative_feedback"], row["a_to_z_claims"], row["chargebacks"]) == (628, 442, 15)
    assert row["odr"] == pytest.approx(0.002)


# --- rules ---------------------------------------------------------------------------------------


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
    assert only_row(odr(orders, defects, as_of="2024-01-28"))["defective_orders"] == int(counts)


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
    assert only_row(odr(orders, defects, as_of="2024-01-28"))["a_to_z_claims"] == 0
    legacy = dataclasses.replace(OdrRules(), count_all_claims=True)
    assert only_row(odr(orders, defects, as_of="2024-01-28", rules=legacy))["a_to_z_claims"] == 4


def test_a_defect_counts_only_once_received() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-0", "a_to_z_claim", D(2024, 2, 10), "pending", None)])
    # the order is in the window from 2024-01-16 to 2024-03-15; the claim arrives 2024-02-10
    assert only_row(odr(orders, defects, as_of="2024-02-09"))["defective_orders"] == 0
    assert only_row(odr(orders, defects, as_of="2024-02-10"))["defective_orders"] == 1


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
    assert only_row(odr(orders, defects, as_of="2024-01-19"))["negative_feedback"] == 2
    assert only_row(odr(orders, defects, as_of="2024-01-20"))["negative_feedback"] == 1
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


def test_cancelled_orders_count_by_default_and_can_be_left_out() -> None:
    orders = make_orders(10, D(2024, 1, 2)).with_columns(
        order_status=pl.when(pl.col("order_id").is_in(["acme-0", "acme-1"]))
        .then(pl.lit("Cancelled"))
        .otherwise(pl.lit("Shipped"))
    )
    defects = make_defects([("acme", "acme-5", "chargeback", D(2024, 1, 5), "service", None)])
    assert only_row(odr(orders, defects, as_of="2024-01-28"))["order_count"] == 10
    rules = dataclasses.replace(OdrRules(), include_cancelled=False)
    row = only_row(odr(orders, defects, as_of="2024-01-28", rules=rules))
    assert (row["order_count"], row["odr"]) == (8, 1 / 8)
    daily = odr_daily(orders, defects, start="2024-01-28", end="2024-01-28", rules=rules)
    assert_frame_equal(daily, odr(orders, defects, as_of="2024-01-28", rules=rules))
    # a defect on a cancelled order leaves with its order
    on_cancelled = make_defects([("acme", "acme-0", "chargeback", D(2024, 1, 5), "service", None)])
    daily = odr_daily(orders, on_cancelled, start="2024-01-28", end="2024-01-28", rules=rules)
    assert only_row(daily)["defective_orders"] == 0


def test_channels_accounts_and_marketplaces_are_separate() -> None:
    orders = pl.concat(
        [
            make_orders(10, D(2024, 1, 2), channel="AFN", account="a"),
            make_orders(20, D(2024, 1, 2), channel="MFN", account="b").with_columns(
                order_id=pl.col("order_id").str.replace("b-", "a-")  # same ids, other account
            ),
        ]
    )
    defects = make_defects([("b", "a-0", "chargeback", D(2024, 1, 5), "service", None)])
    result = odr(orders, defects, as_of="2024-01-28")
    assert result.select("account", "channel", "order_count", "defective_orders").rows() == [
        ("a", "AFN", 10, 0),
        ("b", "MFN", 20, 1),
    ]


def test_no_orders_in_window_gives_null_rate() -> None:
    orders = make_orders(5, D(2023, 1, 2))
    row = only_row(odr(orders, empty_defects(), as_of="2024-01-28"))
    assert row["order_count"] == 0
    assert row["odr"] is None
    assert row["meets_target"] is None


def test_b2b_view_by_extra_key() -> None:
    orders = make_orders(10, D(2024, 1, 2)).with_columns(
        is_business=pl.col("order_id").is_in(["acme-0", "acme-1", "acme-2", "acme-3"])
    )
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    result = odr(orders, defects, as_of="2024-01-28", by=["is_business"])
    assert result.select("is_business", "order_count", "defective_orders").rows() == [
        (False, 6, 0),
        (True, 4, 1),
    ]
    daily = odr_daily(orders, defects, start="2024-01-28", end="2024-01-28", by=["is_business"])
    assert_frame_equal(daily, result)


def test_unmatched_defects_are_reported_not_counted() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None),
            ("acme", "ghost", "chargeback", D(2024, 1, 5), "service", None),
            ("other", "acme-1", "chargeback", D(2024, 1, 5), "service", None),
        ]
    )
    assert only_row(odr(orders, defects, as_of="2024-01-28"))["defective_orders"] == 1
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


# --- the plain-Python reference (tests/reference.py), and properties ---------------------


@settings(max_examples=150)
@given(data=datasets(), as_of=st.integers(0, 220), rules=rules_strategy, lazy=st.booleans())
def test_odr_matches_reference(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int, rules: OdrRules, lazy: bool
) -> None:
    orders, defects = data
    day = BASE + dt.timedelta(days=as_of)
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    result = odr(o.lazy() if lazy else o, d.lazy() if lazy else d, as_of=day, rules=rules)
    assert counts(result) == counts(reference_odr(orders, defects, day, rules))
    for r in result.iter_rows(named=True):
        n, k = r["order_count"], r["defective_orders"]
        assert r["odr"] == (k / n if n else None)
        assert r["meets_target"] == (k / n < rules.target if n else None)


@settings(max_examples=60)
@given(data=datasets(), rules=rules_strategy, first=st.integers(0, 150), span=st.integers(0, 80))
def test_odr_daily_matches_reference_every_day(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], rules: OdrRules, first: int, span: int
) -> None:
    orders, defects = data
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    start = BASE + dt.timedelta(days=first)
    end = start + dt.timedelta(days=span)
    daily = odr_daily(o, d, start=start, end=end, rules=rules)
    groups = {(r["account"], r["marketplace"], r["channel"]) for r in orders}
    assert daily.height == len(groups) * (span + 1)
    assert counts(daily) == counts(reference_daily(orders, defects, start, end, rules))


@settings(max_examples=40)
@given(
    data=datasets(),
    first=st.integers(0, 150),
    cancelled=st.sets(st.integers(0, 30)),
    business=st.sets(st.integers(0, 30)),
    seed=st.integers(0, 2**32 - 1),
)
def test_hash_grouping_equals_exact_grouping(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    first: int,
    cancelled: set[int],
    business: set[int],
    seed: int,
) -> None:
    """prepare() counts orders by a hash of their group; its exact group_by fallback agrees."""
    number = pl.col("order_id").str.slice(1).cast(pl.Int64)
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA).with_columns(
        order_status=pl.when(number.is_in(sorted(cancelled))).then(pl.lit("Cancelled")),
        is_business=number.is_in(sorted(business)),
    )
    o = o.sample(fraction=1.0, shuffle=True, seed=seed)
    d = pl.DataFrame(data[1], schema=DEFECTS_SCHEMA)
    start = BASE + dt.timedelta(days=first)
    rules = dataclasses.replace(OdrRules(), include_cancelled=False)
    for by in ((), ("is_business",)):
        fast = odr_daily(o, d, start=start, end=start + dt.timedelta(days=40), rules=rules, by=by)
        with mock.patch.object(engine, "_order_grid", return_value=None):
            exact = odr_daily(
                o, d, start=start, end=start + dt.timedelta(days=40), rules=rules, by=by
            )
        assert_frame_equal(fast, exact)


def test_group_hashes_must_agree_within_a_group() -> None:
    """Two keys sharing the first 64-bit group hash are told apart by the second."""
    rows = pl.DataFrame(
        {
            "group": pl.Series([7, 7, 9], dtype=pl.UInt64),
            "check": pl.Series([1, 1, 5], dtype=pl.UInt64),
        }
    )
    dates = pl.Series([D(2022, 1, 8), D(2022, 1, 9), D(2022, 1, 8)])  # day numbers 19000, 19001
    counted = engine._order_grid(rows, dates, None)
    assert counted is not None
    grid, first, d0 = counted
    assert (first.tolist(), d0) == ([0, 2], 19000)
    assert grid.tolist() == [[1, 1], [1, 0]]  # a row per group (7, 9); a column per day
    kept = engine._order_grid(rows, dates, pl.Series([True, False, True]))
    assert kept is not None
    assert kept[0].tolist() == [[1, 0], [1, 0]]
    collided = rows.with_columns(check=pl.Series([1, 2, 5], dtype=pl.UInt64))
    assert engine._order_grid(collided, dates, None) is None  # then prepare() groups exactly


def test_many_groups_and_a_long_date_range_are_counted_exactly() -> None:
    """Past what the hash grid holds (about 2,900 groups, or 2**26 group-days), prepare()
    groups by the keys themselves; the answer is the same."""

    def accounts(n: int, days: list[dt.date]) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "account": [f"acct-{i}" for i in range(n)],
                "marketplace": "Amazon.com",
                "order_id": "o1",
                "order_date": [days[i % len(days)] for i in range(n)],
                "channel": "AFN",
            }
        )

    many = accounts(3000, [D(2024, 1, 2)])
    wide = accounts(1600, [D(1900, 1, 1), D(2024, 1, 2)])  # 1,600 groups x 45,000 days
    for orders in (many, wide):
        hashes = orders.select(
            group=engine._group_hash(["account"], 1), check=engine._group_hash(["account"], 2)
        )
        assert engine._order_grid(hashes, orders["order_date"], None) is None
        daily = odr_daily(orders, empty_defects(), start="2024-01-28", end="2024-01-28")
        assert_frame_equal(daily, odr(orders, empty_defects(), as_of="2024-01-28"))
        assert (
            daily["order_count"].sum()
            == orders.filter(pl.col("order_date").dt.year() == 2024).height
        )


def test_slot_window_tells_every_value_apart() -> None:
    values = np.random.default_rng(3).integers(0, 2**63, size=500, dtype=np.int64).astype(np.uint64)
    shift, bits, slot = engine._slot_window(values)
    assert np.unique(slot).size == values.size
    assert slot.tolist() == ((values >> np.uint64(shift)) & np.uint64(2**bits - 1)).tolist()
    assert engine._slot_window(np.arange(5000, dtype=np.uint64)) is None  # table too large


@settings(max_examples=40)
@given(data=datasets(), as_of=st.integers(0, 220))
def test_odr_daily_agrees_with_odr(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int
) -> None:
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA)
    d = pl.DataFrame(data[1], schema=DEFECTS_SCHEMA)
    day = BASE + dt.timedelta(days=as_of)
    assert_frame_equal(
        odr_daily(o, d, start=day, end=day), odr(o, d, as_of=day), check_row_order=False
    )


@settings(max_examples=60)
@given(data=datasets(), as_of=st.integers(0, 220), which=st.integers(0, 1000), seed=st.integers())
def test_removing_a_defect_never_raises_the_rate_and_order_does_not_matter(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int, which: int, seed: int
) -> None:
    orders, defects = data
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    day = BASE + dt.timedelta(days=as_of)
    before = odr(o, d, as_of=day)
    shuffled = odr(
        o.sample(fraction=1.0, shuffle=True, seed=seed % 2**32),
        d.sample(fraction=1.0, shuffle=True, seed=seed % 2**31),
        as_of=day,
    )
    assert_frame_equal(before, shuffled)
    if not defects:
        return
    # Removing a claim or chargeback never raises a count. (Removing a feedback row can bring an
    # earlier, superseded 1-star feedback back; so for feedback remove every row of the order.)
    gone = defects[which % len(defects)]
    if gone["kind"] == "negative_feedback":
        keep = [
            x
            for x in defects
            if not (
                x["kind"] == "negative_feedback"
                and (x["account"], x["order_id"]) == (gone["account"], gone["order_id"])
            )
        ]
    else:
        keep = [x for x in defects if x is not gone]
    after = odr(o, pl.DataFrame(keep, schema=DEFECTS_SCHEMA), as_of=day)
    for b, a in zip(before.iter_rows(named=True), after.iter_rows(named=True), strict=True):
        for column in ("defective_orders", "negative_feedback", "a_to_z_claims", "chargebacks"):
            assert a[column] <= b[column]
        if b["odr"] is not None:
            assert a["odr"] <= b["odr"]


def test_text_columns_may_be_categorical_or_enum() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    expected = odr(orders, defects, as_of="2024-01-28")
    cat_orders = orders.with_columns(
        pl.col("account", "marketplace", "order_id").cast(pl.Categorical),
        channel=pl.col("channel").cast(pl.Enum(["AFN", "MFN"])),
    )
    cat_defects = defects.with_columns(
        pl.col("account", "order_id", "status").cast(pl.Categorical),
        kind=pl.col("kind").cast(pl.Enum(["negative_feedback", "a_to_z_claim", "chargeback"])),
        rating=pl.col("rating").cast(pl.Int8),
    )
    assert_frame_equal(odr(cat_orders, cat_defects, as_of="2024-01-28"), expected)
    assert_frame_equal(
        odr_daily(cat_orders.lazy(), cat_defects.lazy(), start="2024-01-28", end="2024-01-28"),
        expected,
    )


def test_inputs_are_not_mutated_and_columns_are_documented() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    o_copy, d_copy = orders.clone(), defects.clone()
    result = odr(orders, defects, as_of="2024-01-28")
    odr_daily(orders, defects, start="2024-01-01", end="2024-02-28")
    assert_frame_equal(orders, o_copy)
    assert_frame_equal(defects, d_copy)
    assert tuple(result.columns) == ODR_COLUMNS


def test_daily_covers_every_day_including_empty_windows() -> None:
    orders = make_orders(3, D(2024, 1, 1))
    daily = odr_daily(orders, empty_defects(), start="2024-01-01", end="2024-04-30")
    assert daily.height == 121
    assert (
        daily["as_of"].to_list()
        == pl.date_range(D(2024, 1, 1), D(2024, 4, 30), eager=True).to_list()
    )
    in_window = daily.filter(pl.col("order_count") == 3)["as_of"]
    # order date 2024-01-01 is in the windows of report dates 01-15 .. 03-14 (60 days)
    assert (in_window.min(), in_window.max(), in_window.len()) == (
        D(2024, 1, 15),
        D(2024, 3, 14),
        60,
    )
    assert daily.filter(pl.col("order_count") == 0)["odr"].null_count() == 121 - 60


# --- bad input -----------------------------------------------------------------------------------


def test_missing_column_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1)).drop("channel")
    with pytest.raises(OdrInputError, match=r"missing column\(s\) \['channel'\]"):
        odr(orders, empty_defects(), as_of="2024-01-28")


def test_wrong_dtype_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1)).with_columns(pl.col("order_date").cast(pl.String))
    with pytest.raises(OdrInputError, match="'order_date' must be Date, got String"):
        odr(orders, empty_defects(), as_of="2024-01-28")
    stamped = make_orders(3, D(2024, 1, 1)).with_columns(
        pl.col("order_date").cast(pl.Datetime("us", "UTC"))
    )
    with pytest.raises(OdrInputError, match="convert to UTC and take the date"):
        odr_daily(stamped, empty_defects(), start="2024-01-28", end="2024-01-29")


def test_unknown_status_lists_allowed_values() -> None:
    defects = make_defects([("acme", "acme-1", "a_to_z_claim", D(2024, 1, 5), "Granted", None)])
    with pytest.raises(OdrInputError, match=r"'Granted' for kind 'a_to_z_claim'.*'granted'"):
        odr(make_orders(3, D(2024, 1, 1)), defects, as_of="2024-01-28")


def test_unknown_kind_lists_allowed_values() -> None:
    defects = make_defects([("acme", "acme-1", "mcf_claim", D(2024, 1, 5), "granted", None)])
    with pytest.raises(OdrInputError, match=r"\['mcf_claim'\].*negative_feedback"):
        odr(make_orders(3, D(2024, 1, 1)), defects, as_of="2024-01-28")


def test_unknown_channel_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1), channel="Merchant")
    with pytest.raises(OdrInputError, match=r"'channel' holds \['Merchant'\]"):
        odr(orders, empty_defects(), as_of="2024-01-28")
    # also when the only such orders are cancelled ones that the rules leave out
    mixed = pl.concat(
        [make_orders(3, D(2024, 1, 1)), orders.with_columns(pl.col("order_id") + "x")]
    )
    mixed = mixed.with_columns(
        order_status=pl.when(pl.col("channel") == "Merchant").then(pl.lit("Cancelled"))
    )
    rules = dataclasses.replace(OdrRules(), include_cancelled=False)
    with pytest.raises(OdrInputError, match=r"'channel' holds \['Merchant'\]"):
        odr_daily(mixed, empty_defects(), start="2024-01-28", end="2024-01-28", rules=rules)


def test_null_in_a_by_column_is_named() -> None:
    orders = make_orders(4, D(2024, 1, 2)).with_columns(
        is_business=pl.when(pl.col("order_id") != "acme-2").then(False)
    )
    for call in (
        lambda: odr(orders, empty_defects(), as_of="2024-01-28", by=["is_business"]),
        lambda: odr_daily(
            orders.lazy(), empty_defects(), start="2024-01-28", end="2024-01-28", by=["is_business"]
        ),
    ):
        with pytest.raises(
            OdrInputError, match=r"'is_business' .* 1 null value\(s\) \(first at row 2\)"
        ):
            call()


def test_duplicate_order_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1))
    with pytest.raises(OdrInputError, match=r"\('acme', 'acme-0'\)"):
        odr_daily(
            pl.concat([orders, orders.head(1)]),
            empty_defects(),
            start="2024-01-28",
            end="2024-01-29",
        )
    # the same id in another account is another order, not a duplicate
    other = orders.with_columns(account=pl.lit("zeta"))
    assert odr(pl.concat([orders, other]), empty_defects(), as_of="2024-01-28").height == 2


def test_feedback_without_rating_and_nulls_are_named() -> None:
    defects = make_defects([("acme", "acme-1", "negative_feedback", D(2024, 1, 5), "active", None)])
    with pytest.raises(OdrInputError, match="'rating' must be 1-5 for negative_feedback; row 0"):
        odr(make_orders(3, D(2024, 1, 1)), defects, as_of="2024-01-28")
    orders = make_orders(3, D(2024, 1, 1)).with_columns(
        order_date=pl.when(pl.col("order_id") == "acme-2").then(None).otherwise("order_date")
    )
    null_id = orders.with_columns(
        order_date=pl.lit(D(2024, 1, 1)),
        order_id=pl.when(pl.col("order_id") == "acme-1").then(None).otherwise("order_id"),
    )
    for run, column in (
        (lambda: odr(orders, empty_defects(), as_of="2024-01-28"), "order_date"),
        (
            lambda: odr_daily(orders, empty_defects(), start="2024-01-28", end="2024-01-29"),
            "order_date",
        ),
        (
            lambda: odr_daily(null_id, empty_defects(), start="2024-01-28", end="2024-01-29"),
            "order_id",
        ),
    ):
        row = 2 if column == "order_date" else 1
        with pytest.raises(
            OdrInputError, match=rf"'{column}' has 1 null value\(s\) \(first at row {row}\)"
        ):
            run()


def test_bad_dates_and_rules_are_refused() -> None:
    orders = make_orders(3, D(2024, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        odr(orders, empty_defects(), as_of="28/01/2024")
    with pytest.raises(ValueError, match="before start"):
        odr_daily(orders, empty_defects(), start="2024-02-01", end="2024-01-01")
    with pytest.raises(ValueError, match="unknown status"):
        OdrRules(counted_claim_statuses=frozenset({"granted", "Granted"}))
    with pytest.raises(ValueError, match="window_days"):
        OdrRules(window_days=0)
    with pytest.raises(TypeError, match="must be a polars DataFrame"):
        odr(orders.to_dicts(), empty_defects(), as_of="2024-01-28")  # type: ignore[arg-type]
