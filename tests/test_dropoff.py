"""The drop-off calendar: hand-worked cases, property tests against the engine, edge cases."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from builders import (
    BASE,
    DAY,
    KEYS,
    SAMPLE_AS_OF,
    business_fixture,
    calendar_fixture,
    claim,
    engine_view,
    feedback,
    make_defects,
    make_orders,
    one,
    random_frames,
    rules_with_targets,
    sample_account,
    slow,
    sort_path,
    three_groups_fixture,
    two_channel_orders,
)
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from odr_analysis.defects import counted_defects
from odr_analysis.dropoff import dropoff_calendar
from odr_analysis.engine import odr, odr_daily
from odr_analysis.parts import prepare
from odr_analysis.rules import OdrRules
from odr_analysis.schema import empty_defects, empty_orders

D = dt.date


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
@given(data=random_frames(), as_of=st.integers(5, 100), rules=rules_with_targets)
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
# Edge cases (the same inputs as in test_headroom.py and test_removal.py)


def test_no_orders() -> None:
    orders, defects = empty_orders(), empty_defects()
    cal = dropoff_calendar(orders, defects, as_of="2024-02-01")
    assert cal.defects.height == cal.path.height == cal.today.height == 0
    assert "leaves_window_on" in cal.defects.columns and "dropped_today" in cal.path.columns
    assert cal.describe() == "no orders"


def test_no_defects_and_a_group_without_defects() -> None:
    orders = two_channel_orders()
    no_defects = empty_defects()
    cal = dropoff_calendar(orders, no_defects, as_of="2024-02-01")
    assert cal.defects.height == 0
    assert cal.path["defective_orders"].sum() == 0 and cal.path["dropped_today"].sum() == 0


def test_several_accounts_and_channels_at_once() -> None:
    orders, defects = three_groups_fixture()
    as_of = D(2024, 2, 1)
    cal = dropoff_calendar(orders, defects, as_of=as_of)
    assert cal.defects.select("account", "channel").rows() == [
        ("a", "MFN"),
        ("a", "MFN"),
        ("b", "MFN"),
    ]
    assert cal.today.height == 3


def test_sample_account_drops_back_under_the_target() -> None:
    account = sample_account()
    as_of = SAMPLE_AS_OF
    cal = dropoff_calendar(account.orders, account.defects, as_of=as_of)
    today = one(cal.today, channel="MFN")
    engine = one(odr(account.orders, account.defects, as_of=as_of), channel="MFN")
    assert today["odr"] == engine["odr"] and today["meets_target"] is False
    assert cal.defects.filter(pl.col("channel") == "MFN").height == engine["defective_orders"]
    mfn = cal.path.filter(pl.col("channel") == "MFN")
    first_under = mfn.filter(pl.col("meets_target"))["as_of"].min()
    assert first_under is not None and first_under < as_of + 60 * DAY


def test_extra_group_keys_are_carried() -> None:
    # the B2B view: prepare(..., by=("is_business",)) adds a group key to every answer
    orders, defects = business_fixture()
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
