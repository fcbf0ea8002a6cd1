"""What-if answers: hand-worked cases, property tests against the engine, edge cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from builders import make_defects, make_orders
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from odr_analysis.engine import ODR_COLUMNS, odr, odr_daily, prepare
from odr_analysis.rules import OdrRules
from odr_analysis.schema import ORDERS_SCHEMA, STATUSES, empty_defects, empty_orders
from odr_analysis.whatif import (
    APPEALABLE_CLAIM_STATUSES,
    Removal,
    defects_allowed,
    dropoff_calendar,
    known_on,
    orders_needed,
    removal_ranking,
    simulate_removal,
)

D = dt.date
DAY = dt.timedelta(days=1)
KEYS = ["account", "marketplace", "channel"]


def claim(order_id: str, day: dt.date, status: str = "granted", account: str = "acme") -> tuple:
    return (account, order_id, "a_to_z_claim", day, status, None)


def feedback(order_id: str, day: dt.date, rating: int, status: str = "active") -> tuple:
    return ("acme", order_id, "negative_feedback", day, status, rating)


def one(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def engine_view(
    orders: pl.DataFrame, defects: pl.DataFrame, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What Amazon knows on as_of: orders dated <= as_of, defects received <= as_of."""
    return (
        orders.filter(pl.col("order_date") <= as_of),
        defects.filter(pl.col("event_date") <= as_of),
    )


def sort_path(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(ODR_COLUMNS).sort(*KEYS, "as_of")


# --- random data for the property tests ----------------------------------------------------------

BASE = D(2024, 1, 1)


@st.composite
def datasets(draw: st.DrawFn, max_orders: int = 40) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two accounts, both channels; defects only on existing orders (ids unique everywhere)."""
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b"]),
                st.integers(0, 60),
                st.sampled_from(["AFN", "MFN"]),
            ),
            min_size=1,
            max_size=max_orders,
        )
    )
    orders = pl.DataFrame(
        {
            "account": [s[0] for s in specs],
            "marketplace": "Amazon.com",
            "order_id": [f"o{i}" for i in range(len(specs))],
            "order_date": [BASE + s[1] * DAY for s in specs],
            "channel": [s[2] for s in specs],
        },
        schema=ORDERS_SCHEMA,
    )
    rows = []
    if specs:
        for _ in range(draw(st.integers(3, 30))):  # no-defect cases: see the edge-case tests
            i = draw(st.integers(0, len(specs) - 1))
            kind = draw(st.sampled_from(list(STATUSES)))
            counted = st.just(STATUSES[kind][0])  # the first status of each kind counts
            status = draw(st.one_of(counted, counted, st.sampled_from(STATUSES[kind])))
            rating = draw(st.one_of(st.integers(1, 2), st.integers(1, 5)))
            rows.append(
                (
                    specs[i][0],
                    f"o{i}",
                    kind,
                    BASE + (specs[i][1] + draw(st.integers(-2, 30))) * DAY,
                    status,
                    rating if kind == "negative_feedback" else None,
                )
            )
    return orders, make_defects(rows)


rules_strategy = st.builds(
    OdrRules,
    window_days=st.sampled_from([5, 30, 60]),
    lag_days=st.sampled_from([0, 3, 14]),
    target=st.sampled_from([0.01, 0.1, 0.15, 0.25, 0.34]),
)
slow = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# =================================================================================================
# 1. Drop-off calendar


def calendar_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    # as_of 2024-03-01: window 2023-12-19 .. 2024-02-16 (60 days, lag 14)
    orders = pl.concat(
        [
            make_orders(10, D(2024, 1, 1), prefix="jan1"),  # leave on 2024-01-01 + 74 = 03-15
            make_orders(10, D(2024, 1, 20), prefix="jan20"),  # leave on 2024-04-03
            make_orders(5, D(2024, 2, 25), prefix="feb25"),  # enter on 03-10, leave on 05-09
        ]
    )
    defects = make_defects(
        [
            feedback("jan1-0", D(2024, 1, 10), 1),
            claim("jan1-0", D(2024, 1, 15)),  # same order, second kind: one defective order
            claim("jan1-1", D(2024, 1, 12), "pending"),
            # revised 1 -> 3 -> 2 stars: counts again since 02-05 (first_counted is 02-05)
            feedback("jan20-0", D(2024, 1, 25), 1),
            feedback("jan20-0", D(2024, 1, 28), 3),
            feedback("jan20-0", D(2024, 2, 5), 2),
            # 1 star, then revised to 2 stars the next day: one unbroken stretch since 01-30
            feedback("jan20-1", D(2024, 1, 30), 1),
            feedback("jan20-1", D(2024, 1, 31), 2),
            ("acme", "jan20-2", "chargeback", D(2024, 3, 5), "service", None),  # after as_of
            feedback("jan20-3", D(2024, 2, 1), 1),
            feedback("jan20-3", D(2024, 3, 2), 5),  # revision after as_of: not known yet
            claim("jan20-4", D(2024, 2, 2), "denied"),  # does not count
            claim("feb25-0", D(2024, 2, 28)),  # order dated after the window end
        ]
    )
    return orders, defects


def test_dropoff_calendar_hand_worked() -> None:
    orders, defects = calendar_fixture()
    cal = dropoff_calendar(orders, defects, as_of="2024-03-01")
    assert cal.horizon == 14 + 60
    rows = cal.defects.select(
        "order_id", "kinds", "first_counted", "leaves_window_on", "days_left"
    ).rows()
    assert rows == [
        # 2024-01-01 + 74 days = 2024-03-15, 14 days after 2024-03-01
        ("jan1-0", ["negative_feedback", "a_to_z_claim"], D(2024, 1, 10), D(2024, 3, 15), 14),
        ("jan1-1", ["a_to_z_claim"], D(2024, 1, 12), D(2024, 3, 15), 14),
        # 2024-01-20 + 74 days = 2024-04-03 (33 days)
        ("jan20-0", ["negative_feedback"], D(2024, 2, 5), D(2024, 4, 3), 33),
        ("jan20-1", ["negative_feedback"], D(2024, 1, 30), D(2024, 4, 3), 33),
        ("jan20-3", ["negative_feedback"], D(2024, 2, 1), D(2024, 4, 3), 33),
    ]
    jan1_0 = one(cal.defects, order_id="jan1-0")
    assert (jan1_0["negative_feedback"], jan1_0["a_to_z_claim"], jan1_0["chargeback"]) == (
        True,
        True,
        False,
    )
    # today: 20 orders in the window, 5 defective = 25%
    today = one(cal.today)
    assert (today["order_count"], today["defective_orders"], today["odr"]) == (20, 5, 0.25)
    path = cal.path.select("as_of", "order_count", "defective_orders", "dropped_today")
    assert path["as_of"].to_list() == [D(2024, 3, 1) + i * DAY for i in range(1, 75)]

    def on(day: dt.date) -> tuple[int, int, int]:
        row = one(path, as_of=day)
        return row["order_count"], row["defective_orders"], row["dropped_today"]

    assert on(D(2024, 3, 9)) == (20, 5, 0)
    # feb25 orders enter on 02-25 + 14 = 03-10, one of them with a known claim
    assert on(D(2024, 3, 10)) == (25, 6, 0)
    # jan1 orders leave on 03-15 with their 2 defective orders
    assert on(D(2024, 3, 14)) == (25, 6, 0)
    assert on(D(2024, 3, 15)) == (15, 4, 2)
    # jan20 orders leave on 04-03 with 3 defective orders (the revision after as_of is unknown)
    assert on(D(2024, 4, 3)) == (5, 1, 3)
    # feb25 orders leave on 02-25 + 74 = 05-09, the last day of the horizon (03-01 + 74 = 05-14)
    assert on(D(2024, 5, 9)) == (0, 0, 1)
    assert cal.path["dropped_today"].sum() == 6
    assert "5 defective orders in the window (25.00% today)" in cal.describe()
    assert "the first leaves on 2024-03-15 (26.67% then)" in cal.describe()  # 4 / 15


def test_dropoff_path_equals_engine_on_what_is_known() -> None:
    orders, defects = calendar_fixture()
    as_of = D(2024, 3, 1)
    cal = dropoff_calendar(orders, defects, as_of=as_of, horizon=40)
    known_orders, known_defects = engine_view(orders, defects, as_of)
    expected = odr_daily(known_orders, known_defects, start=as_of + DAY, end=as_of + 40 * DAY)
    assert_frame_equal(sort_path(cal.path), sort_path(expected))


@slow
@given(data=datasets(), as_of=st.integers(5, 100), rules=rules_strategy)
def test_dropoff_dates_are_the_days_the_engine_count_falls(
    data: tuple[pl.DataFrame, pl.DataFrame], as_of: int, rules: OdrRules
) -> None:
    orders, defects = data
    day = BASE + as_of * DAY
    cal = dropoff_calendar(orders, defects, as_of=day, rules=rules)
    known_orders, known_defects = engine_view(orders, defects, day)
    horizon = rules.lag_days + rules.window_days
    engine = odr_daily(known_orders, known_defects, start=day, end=day + horizon * DAY, rules=rules)
    # the path is the engine's, day by day
    assert_frame_equal(sort_path(cal.path), sort_path(engine.filter(pl.col("as_of") > day)))
    # the listed orders are exactly the engine's defective orders in the window today
    window = rules.window(day)
    flags = odr_analysis_counted(known_orders, known_defects, day, rules)
    in_window = flags.filter(pl.col("order_date").is_between(window.start, window.end))
    assert sorted(cal.defects["order_id"]) == sorted(in_window["order_id"])
    assert cal.defects["days_left"].to_list() == [
        (d - day).days for d in cal.defects["leaves_window_on"]
    ]
    # every known defective order (in the window today or entering it later) leaves on its
    # leaves_window_on date, and enters on order_date + lag
    leaving = flags.with_columns(
        leaves=pl.col("order_date") + pl.duration(days=rules.lag_days + rules.window_days),
        enters=pl.col("order_date") + pl.duration(days=rules.lag_days),
    )
    steps = (
        engine.sort(*KEYS, "as_of")
        .with_columns(change=pl.col("defective_orders").diff().over(KEYS))
        .filter(pl.col("as_of") > day)
    )
    joined = steps.join(cal.path.select(*KEYS, "as_of", "dropped_today"), on=[*KEYS, "as_of"])
    for row in joined.iter_rows(named=True):
        mine = leaving.filter(pl.all_horizontal(pl.col(k) == row[k] for k in KEYS))
        left = mine.filter(pl.col("leaves") == row["as_of"]).height
        entered = mine.filter(pl.col("enters") == row["as_of"]).height
        assert row["dropped_today"] == left
        assert row["change"] == entered - left
    # the listed orders leave on their leaves_window_on dates (with any known order entering
    # the window later and leaving the same day)
    listed = cal.defects.group_by(*KEYS, "leaves_window_on").agg(listed=pl.len())
    check = listed.join(
        cal.path, left_on=[*KEYS, "leaves_window_on"], right_on=[*KEYS, "as_of"], how="inner"
    )
    assert (check["dropped_today"] >= check["listed"]).all()


def odr_analysis_counted(
    orders: pl.DataFrame, defects: pl.DataFrame, day: dt.date, rules: OdrRules
) -> pl.DataFrame:
    """Known orders with a defect counted on ``day`` (the engine's counted_defects)."""
    from odr_analysis.engine import counted_defects

    flags = counted_defects(defects, as_of=day, rules=rules)
    return orders.join(flags.select("account", "order_id"), on=["account", "order_id"])


def test_dropoff_falls_exactly_on_leave_dates_without_late_orders() -> None:
    # every order is already in the window (no order dated after the window end)
    orders = pl.concat(
        [make_orders(8, D(2024, 1, d), prefix=f"d{d}") for d in (3, 9, 9, 20)[:3]]
        + [make_orders(4, D(2024, 1, 20), prefix="d20")]
    ).unique("order_id", keep="first")
    defects = make_defects(
        [
            claim("d3-1", D(2024, 1, 8)),
            claim("d9-2", D(2024, 1, 20)),
            claim("d9-3", D(2024, 2, 1)),
            feedback("d20-0", D(2024, 2, 2), 2),
        ]
    )
    as_of = D(2024, 2, 10)
    cal = dropoff_calendar(orders, defects, as_of=as_of)
    falls = cal.path.with_columns(change=pl.col("defective_orders").diff()).filter(
        pl.col("change") < 0
    )
    leave_days = cal.defects.group_by("leaves_window_on").len().sort("leaves_window_on")
    # 01-03 + 74 = 03-17; 01-09 + 74 = 03-23 (two orders); 01-20 + 74 = 04-03
    assert leave_days.rows() == [(D(2024, 3, 17), 1), (D(2024, 3, 23), 2), (D(2024, 4, 3), 1)]
    assert falls.select("as_of", pl.col("change").neg()).rows() == leave_days.rows()


def test_dropoff_calendar_on_parts_equals_frames_and_rejects_mixed_input() -> None:
    orders, defects = calendar_fixture()
    parts = prepare(orders, defects)
    a = dropoff_calendar(orders, defects, as_of="2024-03-01")
    b = dropoff_calendar(parts, as_of="2024-03-01")
    c = dropoff_calendar(orders.lazy(), defects.lazy(), as_of=D(2024, 3, 1))
    for other in (b, c):
        assert_frame_equal(a.defects, other.defects)
        assert_frame_equal(a.path, other.path)
        assert_frame_equal(a.today, other.today)
    with pytest.raises(TypeError, match="OdrParts from prepare"):
        dropoff_calendar(parts, defects, as_of="2024-03-01")
    with pytest.raises(TypeError, match="defects is required"):
        dropoff_calendar(orders, as_of="2024-03-01")
    with pytest.raises(ValueError, match="rules differ"):
        dropoff_calendar(parts, as_of="2024-03-01", rules=OdrRules(lag_days=0))
    with pytest.raises(ValueError, match="horizon must be an integer >= 1"):
        dropoff_calendar(parts, as_of="2024-03-01", horizon=0)


def test_dropoff_horizon_crossing_the_window_and_later_defects() -> None:
    # a horizon longer than lag + window: after every order left, the rate is undefined
    orders = make_orders(10, D(2024, 1, 1))
    defects = make_defects([claim("acme-0", D(2024, 1, 5))])
    cal = dropoff_calendar(orders, defects, as_of="2024-02-01", horizon=120)
    assert cal.path.height == 120
    gone = cal.path.filter(pl.col("as_of") >= D(2024, 3, 15))  # 01-01 + 74
    assert gone["order_count"].unique().to_list() == [0]
    assert gone["odr"].null_count() == gone.height
    assert gone["meets_target"].null_count() == gone.height
    assert one(cal.path, as_of=D(2024, 3, 15))["dropped_today"] == 1


# =================================================================================================
# 2. Headroom


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
    table = defects_allowed(orders, defects, as_of="2024-01-28")
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
# 2b. Orders needed


def test_orders_needed_hand_worked() -> None:
    # as_of 2024-02-01, by_date 2024-02-20: window 2023-12-09 .. 2024-02-06; new orders on
    # 02-02 .. 02-06 = 5 days. 100 known orders, 2 defective: 2 / (100 + 5x) < 1% needs
    # 100 + 5x > 200, x > 20: x = 21 (2/205 = 0.98%); x = 20 gives exactly 1.00%.
    orders = make_orders(100, D(2024, 1, 10))
    defects = make_defects([claim("acme-1", D(2024, 1, 25)), claim("acme-2", D(2024, 1, 26))])
    row = one(orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-02-20"))
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
    table = orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-02-10")
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
        orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-06-01"), channel="MFN"
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
    rules=rules_strategy,
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
# 3. Removal scenarios


def removal_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    orders = make_orders(10, D(2024, 1, 5))
    defects = make_defects(
        [
            feedback("acme-0", D(2024, 1, 10), 1),
            feedback("acme-1", D(2024, 1, 12), 2),
            feedback("acme-1", D(2024, 1, 20), 1),  # the newest feedback: 01-20 (acme-1)
            feedback("acme-2", D(2024, 1, 20), 2),  # same day: ties go by order id
            feedback("acme-3", D(2024, 1, 25), 1),
            feedback("acme-3", D(2024, 1, 26), 4),  # revised: no longer counts
            claim("acme-4", D(2024, 1, 11), "pending"),
            claim("acme-5", D(2024, 1, 12), "granted"),
            claim("acme-6", D(2024, 1, 13), "seller_refunded"),
            claim("acme-0", D(2024, 1, 14), "denied"),
            ("acme", "acme-7", "chargeback", D(2024, 1, 15), "service", None),
        ]
    )
    return orders, defects


def remaining(removal: Removal, **kwargs: Any) -> list[tuple[str, str, dt.date]]:
    _, defects = removal_fixture()
    out = removal.apply(defects, **kwargs)
    return sorted(out.select("order_id", "kind", "event_date").rows())


def test_removal_selectors() -> None:
    _, defects = removal_fixture()
    every = sorted(defects.select("order_id", "kind", "event_date").rows())
    assert remaining(Removal()) == every
    # ids only: every defect of those orders
    assert {r[0] for r in remaining(Removal(order_ids=("acme-0",)))} == {
        f"acme-{i}" for i in range(1, 8)
    }
    # kinds only: every defect of that kind
    assert {r[1] for r in remaining(Removal(kinds=("negative_feedback",)))} == {
        "a_to_z_claim",
        "chargeback",
    }
    # ids AND kinds: acme-0's feedback goes, its denied claim stays
    rest = remaining(Removal(order_ids=("acme-0",), kinds=("negative_feedback",)))
    assert ("acme-0", "a_to_z_claim", D(2024, 1, 14)) in rest
    assert all(not (r[0] == "acme-0" and r[1] == "negative_feedback") for r in rest)
    # appealable claims: pending and granted go; seller_refunded and denied stay
    assert {"pending", "granted"} == APPEALABLE_CLAIM_STATUSES
    claims = [r[0] for r in remaining(Removal(appealable_claims=True)) if r[1] == "a_to_z_claim"]
    assert sorted(claims) == ["acme-0", "acme-6"]
    # selectors combine as a union
    both = remaining(Removal(kinds=("chargeback",), appealable_claims=True))
    assert {r[0] for r in both if r[1] != "negative_feedback"} == {"acme-0", "acme-6"}


def test_newest_feedback_removes_every_feedback_row_of_the_order() -> None:
    # counted feedback on 2024-01-30: acme-1 (latest row 01-20), acme-2 (01-20), acme-0 (01-10);
    # acme-3 was revised to 4 stars. Newest two: acme-1, acme-2 (same day, by order id).
    rest = remaining(Removal(newest_feedback=2), as_of="2024-01-30")
    fb = sorted({r[0] for r in rest if r[1] == "negative_feedback"})
    assert fb == ["acme-0", "acme-3"]  # acme-1's earlier 2-star row went too
    # known on 2024-01-15 only acme-0 (01-10) and acme-1 (01-12) count: newest is acme-1
    rest = remaining(Removal(newest_feedback=1), as_of="2024-01-15")
    assert sorted({r[0] for r in rest if r[1] == "negative_feedback"}) == [
        "acme-0",
        "acme-2",
        "acme-3",
    ]
    # removing more than exist removes them all, nothing else
    rest = remaining(Removal(newest_feedback=50), as_of="2024-01-30")
    assert sorted({r[0] for r in rest if r[1] == "negative_feedback"}) == ["acme-3"]


def test_removal_is_a_value_with_a_description() -> None:
    a = Removal(order_ids=["111-1", "111-2"], kinds=["a_to_z_claim"])  # type: ignore[arg-type]
    assert a == Removal(order_ids=("111-1", "111-2"), kinds=("a_to_z_claim",))
    assert hash(a) == hash(Removal(order_ids=("111-1", "111-2"), kinds=("a_to_z_claim",)))
    assert a.describe() == "removing the A-to-z claims of orders 111-1, 111-2"
    assert Removal(kinds=("chargeback",)).describe() == "removing every chargeback"
    assert Removal(order_ids=("x",)).describe() == "removing every defect of order x"
    assert Removal(newest_feedback=1).describe() == "removing the newest negative feedback"
    assert Removal(appealable_claims=True, newest_feedback=2).describe() == (
        "removing the 2 newest negative feedbacks and every appealable A-to-z claim "
        "(pending or granted)"
    )
    assert Removal(label="win the appeal").describe() == "win the appeal"
    assert Removal().describe() == "removing nothing" and Removal().is_empty
    with pytest.raises(ValueError, match="kinds holds"):
        Removal(kinds=("feedback",))
    with pytest.raises(TypeError, match="not the string"):
        Removal(order_ids="111-1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="newest_feedback"):
        Removal(newest_feedback=-1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.kinds = ()  # type: ignore[misc]


def test_apply_keeps_the_frame_type_and_does_not_mutate() -> None:
    _, defects = removal_fixture()
    before = defects.clone()
    lazy = Removal(kinds=("chargeback",)).apply(defects.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == defects.height - 1
    assert_frame_equal(defects, before)


def test_simulate_removal_hand_worked() -> None:
    # 200 orders of 2024-01-01: in the windows of report dates 01-15 .. 03-14. Three granted
    # claims: 3/200 = 1.5%. as_of 01-21, horizon 90: report dates 01-21 .. 04-20; the orders
    # are in the windows of 01-21 .. 03-14 = 54 days, all above 1%; after that no order.
    orders = make_orders(200, D(2024, 1, 1))
    defects = make_defects([claim(f"acme-{i}", D(2024, 1, 10)) for i in range(3)])
    as_of = D(2024, 1, 21)
    two = simulate_removal(
        (orders, defects), Removal(order_ids=("acme-0", "acme-1")), as_of=as_of, daily_orders=0
    )
    row = one(two.summary)
    # 1 / 200 = 0.5%: no day above any more
    assert (row["odr_before"], row["odr_after"]) == (0.015, 0.005)
    assert (row["days_above_before"], row["days_above_after"], row["days_saved"]) == (54, 0, 54)
    assert two.days_saved == 54
    assert two.before.height == two.after.height == 91
    assert two.describe() == (
        "removing every defect of orders acme-0, acme-1: acme Amazon.com MFN: 1.50% -> 0.50% "
        "today, 54 fewer days above 1% (next 90 days)"
    )
    # one removed: 2 / 200 = exactly 1%, still not under the target: nothing saved
    single = simulate_removal(
        (orders, defects), Removal(order_ids=("acme-0",)), as_of=as_of, daily_orders=0
    )
    assert one(single.summary)["days_saved"] == 0
    assert "no fewer days above 1%" in single.describe()
    # with 4 clean orders a day from 01-22 on, m days of them are in the window of 02-04 + m
    # (m = 1 .. 39 up to 03-14). After the removal 2 / (200 + 4m) is always under 1%; before,
    # 3 / (200 + 4m) is at or above 1% while 200 + 4m <= 300, i.e. m <= 25: 25 days saved
    # (02-05 .. 03-01). On 01-21 .. 02-04 2 / 200 is still exactly 1%.
    busy = simulate_removal(
        (orders, defects), Removal(order_ids=("acme-0",)), as_of=as_of, daily_orders=4
    )
    assert one(busy.summary)["days_saved"] == 25
    assert busy.daily_orders.select("daily_orders", "source").rows() == [(4.0, "as given")]


@slow
@given(
    data=datasets(),
    as_of=st.integers(5, 100),
    rules=rules_strategy,
    pick=st.lists(st.integers(0, 39), max_size=3),
    kinds=st.lists(st.sampled_from(list(STATUSES)), max_size=2, unique=True),
    newest=st.integers(0, 3),
    appealable=st.booleans(),
    per_day=st.sampled_from([0, 2]),
    use_parts=st.booleans(),
)
def test_removal_path_equals_engine_without_the_rows(  # noqa: PLR0917
    data: tuple[pl.DataFrame, pl.DataFrame],
    as_of: int,
    rules: OdrRules,
    pick: list[int],
    kinds: list[str],
    newest: int,
    appealable: bool,
    per_day: int,
    use_parts: bool,
) -> None:
    orders, defects = data
    day = BASE + as_of * DAY
    ids = sorted(set(defects["order_id"]))  # pick among the orders that have defects
    removal = Removal(
        order_ids=tuple(ids[i % len(ids)] for i in pick) if ids else (),
        kinds=tuple(kinds),
        newest_feedback=newest,
        appealable_claims=appealable,
    )
    horizon = 50
    if use_parts:
        result = simulate_removal(
            prepare(orders, defects, rules=rules),
            removal,
            as_of=day,
            horizon=horizon,
            daily_orders=per_day,
            defects=defects,
        )
    else:
        result = simulate_removal(
            (orders, defects),
            removal,
            as_of=day,
            horizon=horizon,
            rules=rules,
            daily_orders=per_day,
        )
    known_orders, known_defects = engine_view(orders, defects, day)
    if per_day:  # the same clean future orders, as rows
        groups = known_orders.select(KEYS).unique().rows()
        extra = [
            pl.DataFrame(
                {
                    "account": a,
                    "marketplace": m,
                    "order_id": [f"f-{a}-{c}-{i}-{j}" for j in range(per_day)],
                    "order_date": day + i * DAY,
                    "channel": c,
                },
                schema=ORDERS_SCHEMA,
            )
            for a, m, c in groups
            for i in range(1, horizon + 1)
        ]
        known_orders = pl.concat([known_orders, *extra])
    end = day + horizon * DAY
    kept = removal.apply(defects, as_of=day, rules=rules).filter(pl.col("event_date") <= day)
    after = odr_daily(known_orders, kept, start=day, end=end, rules=rules)
    before = odr_daily(known_orders, known_defects, start=day, end=end, rules=rules)
    assert_frame_equal(sort_path(result.after), sort_path(after))
    assert_frame_equal(sort_path(result.before), sort_path(before))
    above_before = before.group_by(KEYS).agg(x=(pl.col("meets_target") == False).sum())  # noqa: E712
    above_after = after.group_by(KEYS).agg(y=(pl.col("meets_target") == False).sum())  # noqa: E712
    check = result.summary.join(above_before, on=KEYS).join(above_after, on=KEYS)
    assert (check["days_above_before"] == check["x"]).all()
    assert (check["days_saved"] == check["x"] - check["y"]).all()


def test_appealable_claims_on_parts_need_the_defects() -> None:
    orders, defects = removal_fixture()
    parts = prepare(orders, defects)
    with pytest.raises(ValueError, match="pass defects="):
        simulate_removal(parts, Removal(appealable_claims=True), as_of="2024-01-30")
    with pytest.raises(TypeError, match="already in data"):
        simulate_removal((orders, defects), Removal(), as_of="2024-01-30", defects=defects)
    with pytest.raises(TypeError, match="must be a Removal"):
        simulate_removal(parts, "acme-1", as_of="2024-01-30")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="daily_orders must be >= 0"):
        simulate_removal(parts, Removal(), as_of="2024-01-30", daily_orders=-1)
    # the rebuilt spans keep the order's other counting claim row
    two_claims = make_defects(
        [
            claim("acme-4", D(2024, 1, 11), "pending"),
            claim("acme-4", D(2024, 1, 16), "seller_refunded"),
        ]
    )
    rebuilt = Removal(appealable_claims=True).apply_to_parts(
        prepare(orders, two_claims), as_of="2024-01-30", defects=two_claims
    )
    assert rebuilt.defect_spans.select("order_id", "counted_from").rows() == [
        ("acme-4", D(2024, 1, 16))
    ]


def test_recent_average_is_the_default_future_orders() -> None:
    # 28 orders a day on the 28 order dates before as_of: 28 clean orders a day assumed
    orders = pl.concat(
        [make_orders(28, D(2024, 1, 1) + i * DAY, prefix=f"d{i}") for i in range(40)]
    )
    defects = make_defects([claim("d0-0", D(2024, 1, 3))])
    as_of = D(2024, 2, 9)
    result = simulate_removal((orders, defects), Removal(), as_of=as_of, horizon=30)
    assert result.daily_orders.select("daily_orders", "source").rows() == [
        (28.0, "average of the last 28 days")
    ]
    explicit = simulate_removal(
        (orders, defects), Removal(), as_of=as_of, horizon=30, daily_orders=28
    )
    assert_frame_equal(result.before, explicit.before)
    frame = pl.DataFrame(
        {
            "account": ["acme"],
            "marketplace": ["Amazon.com"],
            "channel": ["MFN"],
            "daily_orders": [28.0],
        }
    )
    by_frame = simulate_removal(
        (orders, defects), Removal(), as_of=as_of, horizon=30, daily_orders=frame
    )
    assert_frame_equal(result.before, by_frame.before)
    # a fractional mean is spread as whole orders: 2.5 a day -> 3, 2, 3, 2, ... (day i gets
    # round(2.5 i) - round(2.5 (i - 1)), halves rounded up)
    half = simulate_removal((orders, defects), Removal(), as_of=as_of, horizon=30, daily_orders=2.5)
    without = simulate_removal(
        (orders, defects), Removal(), as_of=as_of, horizon=30, daily_orders=0
    )
    gained = half.before["order_count"] - without.before["order_count"]
    # order dates after as_of enter the window 14 days later: on as_of + 14 + i, i days of them
    assert gained[:15].to_list() == [0] * 15
    assert gained[15:19].to_list() == [3, 5, 8, 10]


# =================================================================================================
# 3b. Removal ranking


def test_removal_ranking_hand_worked() -> None:
    # 100 orders of 01-01 (in the windows of 01-15 .. 03-14) and 100 of 01-31 (02-14 .. 04-13).
    # as_of 02-20: 200 orders in the window, 3 defective = 1.5%.
    orders = pl.concat(
        [
            make_orders(100, D(2024, 1, 1), prefix="old"),
            make_orders(100, D(2024, 1, 31), prefix="new"),
        ]
    )
    defects = make_defects(
        [
            claim("old-0", D(2024, 1, 10)),
            claim("new-0", D(2024, 2, 5)),
            claim("new-1", D(2024, 2, 6)),
            feedback("new-1", D(2024, 2, 7), 1),  # a second kind on new-1
        ]
    )
    table = removal_ranking(orders, defects, as_of="2024-02-20", horizon=60, daily_orders=0)
    rows = table.select("rank", "order_id", "kind", "days_saved", "also_has").rows()
    # Days 02-20 .. 03-14 (24 days): 3/200 = 1.5%, 2/200 = 1% is not under: nothing saved.
    # Days 03-15 .. 04-13 (30 days): the old orders left: 2/100 = 2%, 1/100 = 1%: nothing.
    # So no single removal saves a day here:
    assert [r[3] for r in rows] == [0, 0, 0, 0]
    # ties: the later leaves_window_on first (new orders leave on 04-14), then order id, kind
    assert [r[1:3] for r in rows] == [
        ("new-0", "a_to_z_claim"),
        ("new-1", "negative_feedback"),
        ("new-1", "a_to_z_claim"),
        ("old-0", "a_to_z_claim"),
    ]
    assert one(table, order_id="new-1", kind="a_to_z_claim")["also_has"] == ["negative_feedback"]
    assert one(table, order_id="new-1", kind="a_to_z_claim")["status"] == "granted"
    # with 300 more clean orders of 01-31 the rates halve: 3/500 = 0.6% today; after old orders
    # leave: 2/400 = 0.5%... add a fourth defect instead, to make days critical:
    defects4 = pl.concat([defects, make_defects([claim("new-2", D(2024, 2, 8))])])
    orders4 = pl.concat([orders, make_orders(200, D(2024, 1, 31), prefix="more")])
    # 02-20 .. 03-14: 4 defective / 400 = 1%, critical (3/400 < 1%): 24 days
    # 03-15 .. 04-13: old orders gone: 3 / 300 = 1%, critical: 30 days
    table4 = removal_ranking(orders4, defects4, as_of="2024-02-20", horizon=60, daily_orders=0)
    got = {(r["order_id"], r["kind"]): r["days_saved"] for r in table4.iter_rows(named=True)}
    assert got[("new-0", "a_to_z_claim")] == 24 + 30  # recent: worth more
    assert got[("new-2", "a_to_z_claim")] == 54
    assert got[("old-0", "a_to_z_claim")] == 24  # leaves on 03-15
    assert got[("new-1", "a_to_z_claim")] == 0  # the feedback still counts on new-1
    assert got[("new-1", "negative_feedback")] == 0
    top = table4.row(0, named=True)
    assert (top["rank"], top["days_saved"]) == (1, 54)
    assert top["rate_today_without"] == 3 / 400
    assert one(table4, order_id="new-1", kind="a_to_z_claim")["rate_today_without"] == 4 / 400


@slow
@given(
    data=datasets(max_orders=30),
    as_of=st.integers(5, 100),
    rules=rules_strategy,
    horizon=st.integers(0, 80),
    per_day=st.sampled_from([0, 1, 3]),
    which=st.lists(st.integers(0, 10_000), min_size=1, max_size=3),
)
def test_ranking_days_saved_equal_two_engine_runs(  # noqa: PLR0917
    data: tuple[pl.DataFrame, pl.DataFrame],
    as_of: int,
    rules: OdrRules,
    horizon: int,
    per_day: int,
    which: list[int],
) -> None:
    orders, defects = data
    day = BASE + as_of * DAY
    table = removal_ranking(
        orders, defects, as_of=day, horizon=horizon, rules=rules, daily_orders=per_day
    )
    known_orders, known_defects = engine_view(orders, defects, day)
    groups = known_orders.select(KEYS).unique().rows()
    extra = [
        pl.DataFrame(
            {
                "account": a,
                "marketplace": m,
                "order_id": [f"f-{a}-{c}-{i}-{j}" for j in range(per_day)],
                "order_date": day + i * DAY,
                "channel": c,
            },
            schema=ORDERS_SCHEMA,
        )
        for a, m, c in groups
        for i in range(1, horizon + 1)
    ]
    all_orders = pl.concat([known_orders, *extra])
    end = day + horizon * DAY

    def above(frame: pl.DataFrame) -> dict[tuple[str, str, str], int]:
        path = odr_daily(all_orders, frame, start=day, end=end, rules=rules)
        counts = path.group_by(KEYS).agg(n=(pl.col("meets_target") == False).sum())  # noqa: E712
        return {tuple(r[:3]): r[3] for r in counts.rows()}

    base = above(known_defects)
    # every candidate counts in some window of the horizon; nothing else is a candidate
    from odr_analysis.engine import counted_defects

    expected = set()
    for offset in range(horizon + 1):
        d = day + offset * DAY
        window = rules.window(d)
        flags = counted_defects(known_defects, as_of=d, rules=rules)
        joined = known_orders.join(flags, on=["account", "order_id"]).filter(
            pl.col("order_date").is_between(window.start, window.end)
        )
        for kind in STATUSES:
            expected |= {(o, kind) for o in joined.filter(pl.col(kind))["order_id"]}
    assert set(zip(table["order_id"], table["kind"], strict=True)) == expected
    assert table["rank"].to_list() == list(range(1, table.height + 1))
    if not table.height:
        return
    for pick in which:
        row = table.row(pick % table.height, named=True)
        without = known_defects.filter(
            ~(
                (pl.col("account") == row["account"])
                & (pl.col("order_id") == row["order_id"])
                & (pl.col("kind") == row["kind"])
            )
        )
        key = (row["account"], row["marketplace"], row["channel"])
        assert row["days_saved"] == base[key] - above(without)[key]
        today = one(
            odr(known_orders, without, as_of=day, rules=rules),
            account=key[0],
            marketplace=key[1],
            channel=key[2],
        )
        assert row["rate_today_without"] == today["odr"]
    # sorted by days saved, then the later leaves_window_on
    ordered = table.select("days_saved", "leaves_window_on").rows()
    assert ordered == sorted(ordered, key=lambda r: (-r[0], -r[1].toordinal()))


# =================================================================================================
# Edge cases


def test_no_orders() -> None:
    orders, defects = empty_orders(), empty_defects()
    cal = dropoff_calendar(orders, defects, as_of="2024-02-01")
    assert cal.defects.height == cal.path.height == cal.today.height == 0
    assert "leaves_window_on" in cal.defects.columns and "dropped_today" in cal.path.columns
    assert cal.describe() == "no orders"
    assert defects_allowed(orders, defects, as_of="2024-02-01").height == 0
    assert orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-03-01").height == 0
    result = simulate_removal((orders, defects), Removal(newest_feedback=1), as_of="2024-02-01")
    assert result.summary.height == 0 and result.days_saved == 0
    assert result.describe() == "removing the newest negative feedback: no orders (next 90 days)"
    ranking = removal_ranking(orders, defects, as_of="2024-02-01")
    assert ranking.height == 0 and "days_saved" in ranking.columns


def test_no_defects_and_a_group_without_defects() -> None:
    orders = pl.concat(
        [
            make_orders(50, D(2024, 1, 10), channel="MFN"),
            make_orders(80, D(2024, 1, 10), channel="AFN", prefix="afn"),
        ]
    )
    no_defects = empty_defects()
    cal = dropoff_calendar(orders, no_defects, as_of="2024-02-01")
    assert cal.defects.height == 0
    assert cal.path["defective_orders"].sum() == 0 and cal.path["dropped_today"].sum() == 0
    assert defects_allowed(orders, no_defects, as_of="2024-02-01")["allowed"].to_list() == [0, 0]
    assert removal_ranking(orders, no_defects, as_of="2024-02-01").height == 0
    # one defect on MFN only: the AFN group is there with nothing to remove
    defects = make_defects([claim("acme-0", D(2024, 1, 20))])
    result = simulate_removal(
        (orders, defects), Removal(kinds=("a_to_z_claim",)), as_of="2024-02-01"
    )
    afn = one(result.summary, channel="AFN")
    mfn = one(result.summary, channel="MFN")
    assert (afn["odr_before"], afn["odr_after"], afn["days_saved"]) == (0.0, 0.0, 0)
    assert (mfn["odr_before"], mfn["odr_after"]) == (0.02, 0.0)  # 1 / 50
    assert mfn["days_saved"] > 0
    allowed = defects_allowed(orders, defects, as_of="2024-02-01")
    # AFN 80 orders: 0 / 80 under; 1/80 = 1.25% is not: 0 allowed; MFN 1/50 = 2%: over by 1
    assert allowed.select("channel", "allowed", "over_by").rows() == [("AFN", 0, 0), ("MFN", 0, 1)]


def test_several_accounts_and_channels_at_once() -> None:
    orders = pl.concat(
        [
            make_orders(100, D(2024, 1, 10), channel="MFN", account="a"),
            make_orders(100, D(2024, 1, 10), channel="AFN", account="a", prefix="a-afn"),
            make_orders(100, D(2024, 1, 10), channel="MFN", account="b"),
        ]
    )
    defects = make_defects(
        [
            claim("a-1", D(2024, 1, 20), account="a"),
            claim("a-2", D(2024, 1, 20), account="a"),
            claim("b-1", D(2024, 1, 21), account="b"),
        ]
    )
    as_of = D(2024, 2, 1)
    cal = dropoff_calendar(orders, defects, as_of=as_of)
    assert cal.defects.select("account", "channel").rows() == [
        ("a", "MFN"),
        ("a", "MFN"),
        ("b", "MFN"),
    ]
    assert cal.today.height == 3
    allowed = defects_allowed(orders, defects, as_of=as_of)
    assert allowed.select("account", "channel", "over_by").rows() == [
        ("a", "AFN", 0),
        ("a", "MFN", 2),  # 2/100 = 2%: remove 2 (1/100 is exactly 1%)
        ("b", "MFN", 1),
    ]
    ranking = removal_ranking(orders, defects, as_of=as_of, daily_orders=0)
    assert set(ranking["account"]) == {"a", "b"}
    # b's only defect: removing it brings 1% -> 0% on every day the orders are in the window
    assert one(ranking, account="b")["days_saved"] == (D(2024, 3, 24) - as_of).days
    result = simulate_removal((orders, defects), Removal(order_ids=("b-1",)), as_of=as_of)
    assert one(result.summary, account="a", channel="MFN")["days_saved"] == 0
    assert "b Amazon.com MFN: 1.00% -> 0.00% today" in result.describe()


def test_known_on_truncates_spans_and_drops_later_orders() -> None:
    orders, defects = calendar_fixture()
    parts = prepare(orders, defects)
    known = known_on(parts, as_of="2024-03-01")
    assert known.order_counts["order_date"].max() <= D(2024, 3, 1)
    spans = known.defect_spans
    assert spans["counted_from"].max() <= D(2024, 3, 1)
    # jan20-3's 1-star is revised after as_of: it counts for good in the known view
    assert one(spans, order_id="jan20-3")["counted_until"] is None
    # jan20-0's first 1-star stretch ended before as_of and stays ended
    first = spans.filter(pl.col("order_id") == "jan20-0").sort("counted_from").row(0, named=True)
    assert first["counted_until"] == D(2024, 1, 27)


def test_sample_account_drops_back_under_the_target() -> None:
    from odr_analysis.readers import load_account

    folder = Path(__file__).resolve().parents[1] / "data" / "sample" / "summit-outdoor"
    account = load_account(folder)
    as_of = D(2026, 2, 23)  # the sample report date (data/sample/README.md)
    cal = dropoff_calendar(account.orders, account.defects, as_of=as_of)
    today = one(cal.today, channel="MFN")
    engine = one(odr(account.orders, account.defects, as_of=as_of), channel="MFN")
    assert today["odr"] == engine["odr"] and today["meets_target"] is False
    assert cal.defects.filter(pl.col("channel") == "MFN").height == engine["defective_orders"]
    mfn = cal.path.filter(pl.col("channel") == "MFN")
    first_under = mfn.filter(pl.col("meets_target"))["as_of"].min()
    assert first_under is not None and first_under < as_of + 60 * DAY
    allowed = one(defects_allowed(account.orders, account.defects, as_of=as_of), channel="MFN")
    assert allowed["over_by"] > 0
    ranking = removal_ranking(account.orders, account.defects, as_of=as_of)
    assert ranking.height == engine["defective_orders"]  # one counted kind per order here
    assert ranking["status"].null_count() == 0


@slow
@given(
    data=datasets(),
    as_of=st.integers(5, 100),
    rules=rules_strategy,
    later=st.integers(0, 20),
    span=st.integers(0, 90),
    per_day=st.sampled_from([0, 1, 2.5]),
)
def test_known_path_equals_daily_path(  # noqa: PLR0917
    data: tuple[pl.DataFrame, pl.DataFrame],
    as_of: int,
    rules: OdrRules,
    later: int,
    span: int,
    per_day: float,
) -> None:
    from odr_analysis.engine import daily_path
    from odr_analysis.forecast import future_orders
    from odr_analysis.whatif import _known_path

    orders, defects = data
    day = BASE + as_of * DAY
    known = known_on(prepare(orders, defects, rules=rules), as_of=day)
    start = day + later * DAY
    end = start + span * DAY
    rates = known.order_counts.select(KEYS).unique().with_columns(daily_orders=pl.lit(per_day))
    extra = future_orders(rates, as_of=day, horizon=span + later) if per_day else None
    ours = _known_path(known, start=start, end=end, extra_orders=extra)
    engine = daily_path(known, start=start, end=end, extra_orders=extra)
    assert_frame_equal(ours, engine.sort(*KEYS, "as_of"), check_exact=True)


def test_extra_group_keys_are_carried() -> None:
    # the B2B view: prepare(..., by=("is_business",)) adds a group key to every answer
    orders = make_orders(100, D(2024, 1, 10)).with_columns(
        is_business=pl.int_range(pl.len()) % 4 == 0
    )
    defects = make_defects([claim("acme-0", D(2024, 1, 20)), claim("acme-1", D(2024, 1, 20))])
    parts = prepare(orders, defects, by=("is_business",))
    as_of = D(2024, 2, 1)
    cal = dropoff_calendar(parts, as_of=as_of)
    expected = odr_daily(
        orders, defects, start=as_of + DAY, end=as_of + 74 * DAY, by=("is_business",)
    )
    keys = [*KEYS, "is_business"]
    assert_frame_equal(
        cal.path.drop("dropped_today").sort(*keys, "as_of"), expected.sort(*keys, "as_of")
    )
    # acme-0 is a business order (0 % 4 == 0): 1 of its 25 orders; acme-1 is not: 1 of 75
    allowed = defects_allowed(parts, as_of=as_of)
    assert allowed.select("is_business", "order_count", "defective_orders").rows() == [
        (False, 75, 1),
        (True, 25, 1),
    ]
    result = simulate_removal(
        parts,
        Removal(appealable_claims=True),
        as_of=as_of,
        daily_orders=0,
        defects=defects,
    )
    assert result.summary["odr_after"].to_list() == [0.0, 0.0]
    ranking = removal_ranking(parts, defects, as_of=as_of, daily_orders=0)
    # same days saved (both groups are above 1% on every day the orders are in the window) and
    # the same leaves_window_on: ties go by the group keys
    assert ranking.select("is_business", "order_id", "status", "days_saved").rows() == [
        # orders of 01-10 are in the windows up to 03-23: 02-01 .. 03-23 is 29 + 23 days
        (False, "acme-1", "granted", 52),
        (True, "acme-0", "granted", 52),
    ]
