"""Headroom (defects allowed, orders needed): hand-worked cases, the engine's verdict, edges."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from builders import (
    BASE,
    DAY,
    SAMPLE_AS_OF,
    business_fixture,
    claim,
    make_defects,
    make_orders,
    one,
    rules_with_targets,
    sample_account,
    slow,
    three_groups_fixture,
    two_channel_orders,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from odr_analysis import words
from odr_analysis.engine import odr
from odr_analysis.headroom import defects_allowed, orders_needed
from odr_analysis.parts import prepare
from odr_analysis.rules import OdrRules
from odr_analysis.schema import empty_defects, empty_orders

D = dt.date


# =================================================================================================
# Defects allowed


@pytest.mark.parametrize(
    ("n", "k", "allowed", "over_by"),
    [
        (250, 1, 1, 0),  # 2/250 = 0.8% < 1%, 3/250 = 1.2%
        (100, 1, 0, 1),  # exactly 1% fails: remove 1 -> 0%
        (101, 1, 0, 0),  # 1/101 = 0.99% under; 2/101 = 1.98%
        (300, 5, 0, 3),  # 5/300 = 1.67%; 2/300 = 0.67% < 1% <= 3/300: remove 3
        (1000, 0, 9, 0),  # 9/1000 = 0.9%, 10/1000 = 1%
        (50, 0, 0, 0),  # 1/50 = 2%: not even one
    ],
)
def test_defects_allowed_hand_worked(n: int, k: int, allowed: int, over_by: int) -> None:
    orders = make_orders(n, D(2024, 1, 2))
    defects = make_defects([claim(f"acme-{i}", D(2024, 1, 10)) for i in range(k)])
    row = one(defects_allowed(orders, defects, as_of="2024-01-28"))
    assert (row["order_count"], row["defective_orders"]) == (n, k)
    assert (row["allowed"], row["over_by"]) == (allowed, over_by)


def test_defects_allowed_messages() -> None:
    orders = pl.concat(
        [
            make_orders(300, D(2024, 1, 2), channel="MFN"),
            make_orders(250, D(2024, 1, 2), channel="AFN", prefix="afn"),
            make_orders(5, D(2023, 6, 1), channel="AFN", account="old"),  # not in the window
        ]
    )
    defects = make_defects(
        [claim(f"acme-{i}", D(2024, 1, 10)) for i in range(5)] + [claim("afn-0", D(2024, 1, 10))]
    )
    table = defects_allowed(orders, defects, as_of="2024-01-28").with_columns(words.headroom())
    assert one(table, account="acme", channel="MFN")["message"] == (
        "5 of 300 orders defective (1.67%): over the target by 3 defective orders; that many "
        "must leave the window or be removed for the rate to be under 1%"
    )
    assert one(table, account="acme", channel="AFN")["message"] == (
        "1 of 250 orders defective (0.40%): 1 more defective order keeps the rate under 1%"
    )
    old = one(table, account="old")
    assert (old["allowed"], old["over_by"], old["odr"]) == (None, None, None)
    assert old["message"] == "no orders in the window of 2024-01-28: the rate is undefined"


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 400),
    k_share=st.floats(0, 0.2),
    target=st.sampled_from([0.01, 0.015, 0.02, 0.03, 0.07, 0.1, 0.29, 0.57]),
)
def test_defects_allowed_against_the_engine(n: int, k_share: float, target: float) -> None:
    k = int(n * k_share)
    rules = OdrRules(target=target)
    orders = make_orders(n, D(2024, 1, 2))
    as_of = D(2024, 1, 28)

    def defects_on(count: int) -> pl.DataFrame:
        return make_defects([claim(f"acme-{i}", D(2024, 1, 10)) for i in range(count)])

    def meets(count: int) -> bool:
        return one(odr(orders, defects_on(count), as_of=as_of, rules=rules))["meets_target"]

    row = one(defects_allowed(orders, defects_on(k), as_of=as_of, rules=rules))
    allowed, over_by = row["allowed"], row["over_by"]
    if row["meets_target"]:
        assert over_by == 0
        assert meets(k + allowed)  # adding `allowed` real defective orders keeps it under
        assert not meets(k + allowed + 1)  # one more breaks it
    else:
        assert allowed == 0
        assert over_by >= 1
        assert meets(k - over_by)
        assert not meets(k - over_by + 1)


# =================================================================================================
# Orders needed


def test_orders_needed_hand_worked() -> None:
    # as_of 2024-02-01, by_date 2024-02-20: window 2023-12-09 .. 2024-02-06; new orders on
    # 02-02 .. 02-06 = 5 days. 100 known orders, 2 defective: 2 / (100 + 5x) < 1% needs
    # 100 + 5x > 200, x > 20: x = 21 (2/205 = 0.98%); x = 20 gives exactly 1.00%.
    orders = make_orders(100, D(2024, 1, 10))
    defects = make_defects([claim("acme-1", D(2024, 1, 25)), claim("acme-2", D(2024, 1, 26))])
    row = one(
        orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-02-20").with_columns(
            words.orders_needed()
        )
    )
    assert (row["order_count_known"], row["defective_known"]) == (100, 2)
    assert (row["days_of_new_orders"], row["first_new_order_date"]) == (5, D(2024, 2, 2))
    assert (row["orders_per_day"], row["reachable"]) == (21, True)
    assert row["odr_then"] == 2 / 205
    assert row["reason"] == (
        "21 clean orders a day from 2024-02-02 to 2024-02-06 (5 days) give 2 defective of "
        "205 orders (0.98%) on 2024-02-20"
    )
    # verify with the engine
    for x, under in ((21, True), (20, False)):
        extra = pl.concat(
            [make_orders(x, D(2024, 2, 2) + i * DAY, prefix=f"new{i}") for i in range(5)]
        )
        result = one(odr(pl.concat([orders, extra]), defects, as_of="2024-02-20"))
        assert result["meets_target"] is under


def test_orders_needed_unreachable_already_under_and_empty_window() -> None:
    orders = pl.concat(
        [
            make_orders(100, D(2024, 1, 10), channel="MFN"),
            make_orders(300, D(2024, 1, 10), channel="AFN", prefix="afn"),
        ]
    )
    defects = make_defects([claim("acme-1", D(2024, 1, 25)), claim("acme-2", D(2024, 1, 26))])
    # by_date 2024-02-10: its window ends on 2024-01-27, before tomorrow (2024-02-02)
    table = orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-02-10").with_columns(
        words.orders_needed()
    )
    mfn = one(table, channel="MFN")
    assert (mfn["reachable"], mfn["orders_per_day"], mfn["days_of_new_orders"]) == (False, None, 0)
    assert mfn["reason"] == (
        "the window of 2024-02-10 ends on 2024-01-27, before tomorrow (2024-02-02): no new "
        "order can enter it; known: 2 defective of 100 orders (2.00%)"
    )
    afn = one(table, channel="AFN")
    assert (afn["reachable"], afn["orders_per_day"]) == (True, 0)
    assert afn["reason"] == (
        "already under the target on 2024-02-10 (0 defective of 300 orders, 0.00%): 0 needed"
    )
    # a report date so late that its window starts after tomorrow: none of the known orders
    # is in it; 60 days of new orders; 1 a day is enough
    far = one(
        orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-06-01").with_columns(
            words.orders_needed()
        ),
        channel="MFN",
    )
    assert (far["order_count_known"], far["days_of_new_orders"], far["orders_per_day"]) == (
        0,
        60,
        1,
    )
    assert far["first_new_order_date"] == D(2024, 6, 1) - 14 * DAY - 59 * DAY
    assert far["reason"].startswith("no known order in the window of 2024-06-01")
    with pytest.raises(ValueError, match="before as_of"):
        orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-01-01")


@slow
@given(
    n=st.integers(0, 300),
    k=st.integers(0, 30),
    as_of=st.integers(0, 40),
    ahead=st.integers(0, 90),
    rules=rules_with_targets,
)
def test_orders_needed_against_the_engine(
    n: int, k: int, as_of: int, ahead: int, rules: OdrRules
) -> None:
    k = min(k, n)
    orders = make_orders(n, BASE)
    defects = make_defects([claim(f"acme-{i}", BASE) for i in range(k)])
    day = BASE + as_of * DAY
    goal = day + ahead * DAY
    # an old order (in no window here) keeps the group present when n == 0
    orders = pl.concat([orders, make_orders(1, BASE - 500 * DAY, prefix="keep")])
    row = one(orders_needed(orders, defects, as_of=day, by_date=goal, rules=rules), channel="MFN")
    window = rules.window(goal)
    first = max(day + DAY, window.start)
    days = max(0, (window.end - first).days + 1)
    assert row["days_of_new_orders"] == days

    def meets(x: int) -> bool | None:
        extra = [make_orders(x, first + i * DAY, prefix=f"n{i}") for i in range(days)]
        result = odr(pl.concat([orders, *extra]), defects, as_of=goal, rules=rules)
        return one(result, channel="MFN")["meets_target"]

    x = row["orders_per_day"]
    if not row["reachable"]:
        assert days == 0 and meets(0) is not True
        return
    assert meets(x) is True
    if x > 0:
        assert meets(x - 1) is not True


# =================================================================================================
# Edge cases (the same inputs as in test_dropoff.py and test_removal.py)


def test_no_orders() -> None:
    orders, defects = empty_orders(), empty_defects()
    assert defects_allowed(orders, defects, as_of="2024-02-01").height == 0
    assert orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-03-01").height == 0


def test_no_defects_and_a_group_without_defects() -> None:
    orders = two_channel_orders()
    no_defects = empty_defects()
    assert defects_allowed(orders, no_defects, as_of="2024-02-01")["allowed"].to_list() == [0, 0]
    # one defect on MFN only
    defects = make_defects([claim("acme-0", D(2024, 1, 20))])
    allowed = defects_allowed(orders, defects, as_of="2024-02-01")
    # AFN 80 orders: 0 / 80 under; 1/80 = 1.25% is not: 0 allowed; MFN 1/50 = 2%: over by 1
    assert allowed.select("channel", "allowed", "over_by").rows() == [("AFN", 0, 0), ("MFN", 0, 1)]


def test_several_accounts_and_channels_at_once() -> None:
    orders, defects = three_groups_fixture()
    as_of = D(2024, 2, 1)
    allowed = defects_allowed(orders, defects, as_of=as_of)
    assert allowed.select("account", "channel", "over_by").rows() == [
        ("a", "AFN", 0),
        ("a", "MFN", 2),  # 2/100 = 2%: remove 2 (1/100 is exactly 1%)
        ("b", "MFN", 1),
    ]


def test_sample_account_is_over_the_target() -> None:
    account = sample_account()
    allowed = one(
        defects_allowed(account.orders, account.defects, as_of=SAMPLE_AS_OF), channel="MFN"
    )
    assert allowed["over_by"] > 0


def test_extra_group_keys_are_carried() -> None:
    # the B2B view: prepare(..., by=("is_business",)) adds a group key to every answer
    orders, defects = business_fixture()
    parts = prepare(orders, defects, by=("is_business",))
    # acme-0 is a business order (0 % 4 == 0): 1 of its 25 orders; acme-1 is not: 1 of 75
    allowed = defects_allowed(parts, as_of=D(2024, 2, 1))
    assert allowed.select("is_business", "order_count", "defective_orders").rows() == [
        (False, 75, 1),
        (True, 25, 1),
    ]
