"""Projection (:mod:`odr_analysis.projection`): the assumptions, the projected path against the
engine, hand-worked cases, the first day under the target, extra clean orders, and property
tests against the engine.

Dates and builders: :mod:`forecast_builders` (report date ``AS_OF`` = 2024-06-01).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import itertools
import math

import numpy as np
import polars as pl
import pytest
from forecast_builders import (
    AS_OF,
    binomial_pmf,
    chargebacks,
    day,
    make_orders,
    moderate_fixture,
    oid,
    on_day,
    only,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from odr_analysis import words
from odr_analysis.daily import daily_path
from odr_analysis.engine import odr_daily
from odr_analysis.estimates import arrival_delays, future_orders
from odr_analysis.maturity import maturity
from odr_analysis.parts import prepare
from odr_analysis.projection import Assumptions, Projection, project
from odr_analysis.rules import OdrRules
from odr_analysis.schema import empty_defects, empty_orders


def outlook(projection: Projection, row: dict[str, object]) -> str:
    """The outlook of a row of ``projection.first_under`` in words (its old ``message``)."""
    return words.outlook(
        row, target=projection.rules.target, horizon=projection.assumptions.horizon
    )


# --- Assumptions ----------------------------------------------------------------------------


def test_assumptions_describe_defaults_and_given_values() -> None:
    assert Assumptions().describe() == (
        "the average orders a day of the last 28 days, the matured defect rate (orders 90-149 "
        "days old), defects arriving as in the account history, 90 days, 500 simulations, "
        "90% band, seed 0"
    )
    given_ = Assumptions(daily_orders=12.4, defect_rate=0.0045, horizon=30, arrival_delay=0)
    assert given_.describe().startswith(
        "12.4 orders a day, 0.45% of orders defective, every defect arriving 0 days after its "
        "order, 30 days"
    )
    by_channel = Assumptions(daily_orders={"MFN": 6.5, "AFN": 40})
    assert by_channel.describe().startswith("AFN 40.0, MFN 6.5 orders a day (others: default)")
    extra = Assumptions(daily_orders=12.4, extra_clean_orders=5)
    assert extra.describe().startswith(
        "12.4 orders a day + 5 extra clean orders a day, the matured defect rate"
    )
    assert (
        Assumptions(extra_clean_orders={"MFN": 2.5})
        .describe()
        .startswith(
            "the average orders a day of the last 28 days + MFN 2.5 extra clean orders a day "
            "(others: none), the matured"
        )
    )


def test_no_extra_clean_orders_however_written_is_one_value() -> None:
    none = Assumptions()
    assert none.extra_clean_orders == ()
    for same in (0, 0.0, None, {"MFN": 0}, pl.DataFrame({"extra_clean_orders": [0]})):
        assert Assumptions(extra_clean_orders=same) == none  # type: ignore[arg-type]
    assert "extra" not in none.describe()
    frame = pl.DataFrame({"channel": ["MFN"], "extra_clean_orders": [5]})
    assert Assumptions(extra_clean_orders=frame) == Assumptions(extra_clean_orders={"MFN": 5.0})
    assert Assumptions(extra_clean_orders=5) != Assumptions(extra_clean_orders=6)
    again = dataclasses.replace(Assumptions(extra_clean_orders={"MFN": 5}), seed=2)
    assert again.extra_clean_orders == Assumptions(extra_clean_orders={"MFN": 5}).extra_clean_orders


def test_assumptions_are_values_mappings_and_frames_normalise_alike() -> None:
    frame = pl.DataFrame({"channel": ["AFN", "MFN"], "daily_orders": [40.0, 6.5]})
    a = Assumptions(daily_orders={"AFN": 40, "MFN": 6.5})
    b = Assumptions(daily_orders=frame)
    assert a == b
    assert hash(a) == hash(b)
    assert dataclasses.replace(a, seed=3) == Assumptions(
        daily_orders={"MFN": 6.5, "AFN": 40}, seed=3
    )
    assert Assumptions(daily_orders=12) == Assumptions(daily_orders=12.0)
    assert Assumptions(defect_rate=0.01) != Assumptions(defect_rate=0.02)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"daily_orders": -1}, ValueError, "daily_orders for every group must be >= 0"),
        ({"defect_rate": 1.5}, ValueError, "between 0 and 1"),
        ({"defect_rate": {"MFN": float("nan")}}, ValueError, "defect_rate for {'channel': 'MFN'}"),
        ({"daily_orders": True}, TypeError, "daily_orders"),
        ({"daily_orders": "10"}, TypeError, "must be None, a number"),
        ({"daily_orders": {1: 3}}, TypeError, "keys must be a channel"),
        ({"horizon": 0}, ValueError, "horizon"),
        ({"n_sims": 0}, ValueError, "n_sims"),
        ({"level": 1.0}, ValueError, "level"),
        ({"arrival_delay": -2}, ValueError, "arrival_delay"),
        ({"defect_rate": pl.DataFrame({"channel": ["MFN"]})}, ValueError, "needs a column"),
        (
            {"defect_rate": pl.DataFrame({"channel": ["MFN"], "defect_rate": [None]})},
            ValueError,
            "null defect_rate at row 0",
        ),
        ({"extra_clean_orders": -5}, ValueError, "extra_clean_orders for every group must be >= 0"),
        (
            {"extra_clean_orders": {"MFN": True}},
            TypeError,
            "extra_clean_orders for {'channel': 'MFN'} must be a number",
        ),
        (
            {"extra_clean_orders": pl.DataFrame({"channel": ["MFN"]})},
            ValueError,
            "needs a column 'extra_clean_orders'",
        ),
    ],
)
def test_assumptions_reject_bad_values_clearly(
    kwargs: dict[str, object], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        Assumptions(**kwargs)  # type: ignore[arg-type]


# --- project: against the engine ------------------------------------------------------------


def engine_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two channels, orders on as_of-120 .. as_of, defects known by as_of and one after it."""
    mfn = make_orders({-k: 4 + k % 3 for k in range(0, 121)})
    afn = make_orders({-k: 9 for k in range(0, 121, 2)}, channel="AFN")
    defects = chargebacks(
        [
            (oid(-20), day(-5)),
            (oid(-40, 1), day(-30)),
            (oid(-75, 2), day(-50)),
            (oid(-3, 0), day(0)),  # order not yet in the window, defect already known
            (oid(-30, 3), day(4)),  # received after as_of: must be ignored
            (oid(-50, 0, channel="AFN"), day(-40)),
        ]
    )
    return pl.concat([mfn, afn]), defects


def test_p0_projection_equals_the_engine_path_with_the_planned_orders() -> None:
    orders, defects = engine_fixture()
    horizon = 100  # crosses the window: every known order has left by day 74
    a = Assumptions(daily_orders={"MFN": 7, "AFN": 2.5}, defect_rate=0.0, horizon=horizon)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    known = defects.filter(pl.col("event_date") <= AS_OF)
    parts = prepare(orders, known)
    planned = future_orders(
        projection.inputs.select("account", "marketplace", "channel", "daily_orders"),
        as_of=AS_OF,
        horizon=horizon,
    )
    engine = daily_path(parts, start=day(1), end=day(horizon), extra_orders=planned)
    got = projection.daily.select(
        "account",
        "marketplace",
        "channel",
        "as_of",
        "order_count",
        defective_orders="known_defective",
        odr="expected_rate",
    )
    want = engine.select(*got.columns).sort("account", "marketplace", "channel", "as_of")
    assert_frame_equal(got, want)
    # nothing is uncertain: the band is the path itself
    assert projection.daily["low"].equals(projection.daily["expected_rate"])
    assert projection.daily["high"].equals(projection.daily["expected_rate"])


def test_p0_projection_equals_odr_daily_on_real_future_orders() -> None:
    orders, defects = engine_fixture()
    a = Assumptions(daily_orders=3, defect_rate=0.0, horizon=80)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    # the same future as real clean orders: 3 a day on as_of+1 .. as_of+80, per channel
    future = pl.concat(
        [make_orders({k: 3 for k in range(1, 81)}, channel=c) for c in ("AFN", "MFN")]
    ).with_columns(pl.col("order_id") + "-future")
    engine = odr_daily(
        pl.concat([orders, future]),
        defects.filter(pl.col("event_date") <= AS_OF),
        start=day(1),
        end=day(80),
    )
    assert projection.daily["order_count"].to_list() == engine["order_count"].to_list()
    assert projection.daily["expected_rate"].to_list() == engine["odr"].to_list()
    assert projection.daily["expected_meets_target"].to_list() == engine["meets_target"].to_list()


def test_defects_after_the_report_date_and_parts_change_nothing() -> None:
    orders, defects = engine_fixture()
    a = Assumptions(defect_rate=0.02, daily_orders=5, horizon=30, n_sims=300)
    full = project(orders, defects, as_of=AS_OF, assumptions=a)
    known = project(
        orders, defects.filter(pl.col("event_date") <= AS_OF), as_of=AS_OF, assumptions=a
    )
    from_parts = project(prepare(orders, defects), as_of=AS_OF, assumptions=a)
    assert full == known == from_parts


# --- project: hand-worked -------------------------------------------------------------------


def test_p1_with_instant_arrival_makes_every_new_order_defective() -> None:
    # 50 known orders of as_of-20, one with a chargeback; 10 new orders a day, every one
    # defective at once. Report day as_of+d holds the new orders of days 1 .. d-14.
    orders = make_orders({-20: 50})
    defects = chargebacks([(oid(-20, 7), day(-10))])
    a = Assumptions(daily_orders=10, defect_rate=1.0, arrival_delay=0, horizon=60)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    for d, new in [(10, 0), (14, 0), (15, 10), (30, 160), (53, 390)]:
        row = on_day(projection, d)
        # the known order date as_of-20 is in the window until as_of+53
        assert row["order_count"] == 50 + new
        assert row["known_defective"] == 1
        assert row["expected_defective"] == 1 + new
        assert row["expected_rate"] == (1 + new) / (50 + new)
        assert row["low"] == row["high"] == row["expected_rate"]
        assert row["prob_at_or_above_target"] == 1.0  # 1/50 = 2% >= 1% already
    # as_of+54: the known orders have left; only new (all defective) orders remain
    assert on_day(projection, 54)["expected_rate"] == 1.0


def test_horizon_crossing_the_window_counts_only_new_orders_at_the_end() -> None:
    # known orders of as_of-30 .. as_of (4 a day); 5 new a day; horizon 120 > lag + window
    orders = make_orders({-k: 4 for k in range(0, 31)})
    a = Assumptions(daily_orders=5, defect_rate=0.0, horizon=120)
    projection = project(orders, empty_defects(), as_of=AS_OF, assumptions=a)
    # day 73: window as_of-0 .. as_of+59: the 4 orders of as_of and 59 days of new orders
    assert on_day(projection, 73)["order_count"] == 4 + 59 * 5
    # day 74 and later: the window as_of+d-73 .. as_of+d-14 holds 60 days of new orders only
    assert on_day(projection, 74)["order_count"] == 300
    assert on_day(projection, 120)["order_count"] == 300
    # day 14: the window ends on as_of, no new order yet: 31 days of known orders
    assert on_day(projection, 14)["order_count"] == 31 * 4


def test_no_orders_gives_empty_frames_with_the_columns() -> None:
    projection = project(empty_orders(), empty_defects(), as_of=AS_OF)
    assert projection.daily.height == projection.first_under.height == 0
    assert {"expected_rate", "low", "high", "prob_at_or_above_target"} <= set(
        projection.daily.columns
    )
    assert projection.describe() == f"no orders: nothing to project from {AS_OF}"
    assert maturity(empty_orders(), empty_defects(), as_of=AS_OF).height == 0
    assert arrival_delays(empty_orders(), empty_defects(), as_of=AS_OF).height == 0


def test_a_group_whose_window_empties_has_null_rates() -> None:
    orders = make_orders({-60: 10})
    a = Assumptions(daily_orders=0, defect_rate=0.01, horizon=20)
    projection = project(orders, empty_defects(), as_of=AS_OF, assumptions=a)
    # as_of-60 leaves the window on report day as_of+14
    assert on_day(projection, 13)["order_count"] == 10
    empty = on_day(projection, 14)
    assert empty["order_count"] == 0
    assert [empty[c] for c in ("expected_rate", "low", "high", "prob_at_or_above_target")] == [
        None
    ] * 4
    assert empty["expected_meets_target"] is None


# --- project: reproducibility, band, first day under -----------------------------------------


def test_same_seed_same_projection_other_seed_other_band() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=500, horizon=40)
    first, again = (
        project(parts, as_of=AS_OF, assumptions=a),
        project(parts, as_of=AS_OF, assumptions=a),
    )
    assert first == again
    other = project(parts, as_of=AS_OF, assumptions=dataclasses.replace(a, seed=1))
    assert first != other
    assert first.daily["expected_rate"].equals(other.daily["expected_rate"])
    differs = (first.daily["low"] != other.daily["low"]) | (
        first.daily["prob_at_or_above_target"] != other.daily["prob_at_or_above_target"]
    )
    assert differs.any()


def test_band_contains_the_expected_rate_and_probability_is_a_probability() -> None:
    orders, defects = moderate_fixture()
    projection = project(orders, defects, as_of=AS_OF, assumptions=Assumptions(n_sims=1000))
    daily = projection.daily
    assert daily.filter(
        ~((pl.col("low") <= pl.col("expected_rate")) & (pl.col("expected_rate") <= pl.col("high")))
    ).is_empty()
    assert daily["prob_at_or_above_target"].is_between(0, 1).all()
    assert (daily["expected_defective"] >= daily["known_defective"]).all()
    inputs = only(projection.inputs)
    assert inputs["rate_uncertain"] is True
    assert inputs["method"] == "monte carlo, 1,000 simulations"


def first_under_from_path(daily: pl.DataFrame, target: float) -> dt.date | None:
    under = daily.filter(pl.col("expected_rate") < target)
    return under["as_of"].min() if under.height else None  # type: ignore[return-value]


@pytest.mark.parametrize("daily_orders", [0, 2, 20, 200])
def test_first_under_agrees_with_the_expected_path(daily_orders: int) -> None:
    # 2.5% defective today on 400 orders (10 of them); the defective orders age out at
    # different dates while new orders (1% defective) come in
    orders = make_orders({-k: 20 for k in range(14, 34)})
    defects = chargebacks([(oid(-14 - 2 * i, 0), day(-1)) for i in range(10)])
    a = Assumptions(daily_orders=daily_orders, defect_rate=0.005, horizon=90, n_sims=200)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    row = only(projection.first_under)
    want = first_under_from_path(projection.daily, 0.01)
    assert row["first_under"] == want
    assert row["rate_today"] == 10 / 400
    assert row["meets_target_today"] is False
    if want is None:
        assert row["days_until_under"] is None
        assert outlook(projection, row) == "not expected under 1% within 90 days"
    else:
        assert row["days_until_under"] == (want - AS_OF).days
        assert outlook(projection, row).startswith(f"expected under 1% from {want}")
        later = projection.daily.filter(pl.col("as_of") >= row["stays_under_from"])
        assert (later["expected_rate"] < 0.01).all()
        before = projection.daily.filter(
            pl.col("as_of") == row["stays_under_from"] - dt.timedelta(days=1)
        )
        assert before.is_empty() or not before["expected_meets_target"].item()


def test_first_under_messages_today_and_never() -> None:
    orders = make_orders({-k: 100 for k in range(14, 74)})
    a = Assumptions(defect_rate=0.001, daily_orders=100, n_sims=100)
    clean = project(orders, empty_defects(), as_of=AS_OF, assumptions=a)
    row = only(clean.first_under)
    assert (row["first_under"], row["stays_under_from"]) == (day(1), day(1))
    assert outlook(clean, row) == "under 1% today and to stay under"
    # 2% defective today and 20% of new orders defective: never under within the horizon
    defects = chargebacks([(oid(-k, 0), day(-5)) for k in range(14, 74, 5)])  # 12 of 6,000...
    defects = pl.concat(
        [defects, chargebacks([(oid(-k, 1), day(-5)) for k in range(14, 74)])]
    )  # ... plus 60: 72 / 6,000 = 1.2%
    bad = project(orders, defects, as_of=AS_OF, assumptions=dataclasses.replace(a, defect_rate=0.2))
    row = only(bad.first_under)
    assert row["rate_today"] == 72 / 6000
    assert (row["first_under"], row["days_until_under"], row["stays_under_from"]) == (
        None,
        None,
        None,
    )
    assert outlook(bad, row) == "not expected under 1% within 90 days"


def test_first_under_says_when_the_rate_comes_back() -> None:
    # 6,000 orders aged 14..73 (100 a day, none aged 0..13); 72 defective ones aged 60..71
    # (1.2% today) leave the window by day 14. From day 14 the window holds 4,600 orders
    # (46 days of known or new orders), and new orders (100 a day from day 1, in the window
    # from day 15) are 3% defective at once: 3 * (d - 14) expected defective orders.
    # Day 29: 45 / 4,600 = 0.98%; day 30: 48 / 4,600 = 1.04%, at or above 1% again.
    orders = make_orders({-k: 100 for k in range(14, 74)})
    defects = chargebacks([(oid(-k, i), day(-5)) for k in range(60, 72) for i in range(6)])
    a = Assumptions(daily_orders=100, defect_rate=0.03, arrival_delay=0, n_sims=100)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    row = only(projection.first_under)
    under = first_under_from_path(projection.daily, 0.01)
    back = (
        projection.daily.filter((pl.col("as_of") > under) & ~pl.col("expected_meets_target"))
        .get_column("as_of")
        .min()
    )
    assert (row["first_under"], back) == (under, day(30))
    assert on_day(projection, 30)["expected_rate"] == pytest.approx(48 / 4600)
    assert row["stays_under_from"] is None
    assert outlook(projection, row) == (
        f"expected under 1% from {under} (in {(under - AS_OF).days} days), "
        f"but at or above it again from {day(30)}"
    )


def test_describe_states_the_numbers_and_the_answer() -> None:
    orders, defects = moderate_fixture()
    text = project(orders, defects, as_of=AS_OF, assumptions=Assumptions(n_sims=200)).describe()
    assert text.startswith("acme Amazon.com MFN: 50.0 orders a day (average of the last 28 days), ")
    assert "of orders defective (matured rate of 3,000 orders 90-149 days old)" in text
    assert text.endswith("[90 days, 200 simulations, 90% band, seed 0]")


def test_project_input_errors_are_clear() -> None:
    orders, defects = engine_fixture()
    parts = prepare(orders, defects)
    with pytest.raises(TypeError, match="defects is required"):
        project(orders, as_of=AS_OF)
    with pytest.raises(TypeError, match="either OdrParts alone"):
        project(parts, defects, as_of=AS_OF)
    with pytest.raises(ValueError, match="rules differ"):
        project(parts, as_of=AS_OF, rules=OdrRules(lag_days=7))
    with pytest.raises(TypeError, match="assumptions must be Assumptions"):
        project(parts, as_of=AS_OF, assumptions={"horizon": 5})  # type: ignore[arg-type]
    twice = pl.DataFrame({"channel": ["MFN", "MFN"], "defect_rate": [0.01, 0.02]})
    with pytest.raises(ValueError, match="two entries match"):
        project(parts, as_of=AS_OF, assumptions=Assumptions(defect_rate=twice))


def test_most_specific_assumption_wins_and_unmatched_groups_use_the_default() -> None:
    orders, defects = engine_fixture()
    a = Assumptions(
        daily_orders={"MFN": 3, ("acme", "Amazon.com", "MFN"): 8},
        defect_rate={"XYZ": 0.5, "AFN": 0.01, "MFN": 0.02},
        horizon=5,
        n_sims=10,
    )
    inputs = project(orders, defects, as_of=AS_OF, assumptions=a).inputs
    mfn, afn = only(inputs, channel="MFN"), only(inputs, channel="AFN")
    assert (mfn["daily_orders"], mfn["daily_orders_source"]) == (8.0, "assumed")
    assert afn["daily_orders_source"] == "average of the last 28 days"
    assert afn["daily_orders"] == pytest.approx(9 * 14 / 28)  # 9 orders every other day
    assert (mfn["defect_rate"], afn["defect_rate"]) == (0.02, 0.01)


# --- project: extra clean orders ------------------------------------------------------------


def engine_path_with(
    orders: pl.DataFrame,
    defects: pl.DataFrame,
    planned: list[pl.DataFrame],
    horizon: int,
) -> pl.DataFrame:
    """The engine's daily path on the known defects with ``planned`` future orders added."""
    parts = prepare(orders, defects.filter(pl.col("event_date") <= AS_OF))
    extra = pl.concat(planned) if planned else None
    return daily_path(parts, start=day(1), end=day(horizon), extra_orders=extra).sort(
        "account", "marketplace", "channel", "as_of"
    )


def as_engine_columns(projection: Projection) -> pl.DataFrame:
    return projection.daily.select(
        "account",
        "marketplace",
        "channel",
        "as_of",
        "order_count",
        defective_orders="known_defective",
        odr="expected_rate",
        meets_target="expected_meets_target",
    )


def rates_frame(
    projection: Projection, column: str, value: float | dict[str, float]
) -> pl.DataFrame:
    """``projection.inputs`` keys with ``column`` = the given number (or number per channel)."""
    channel = pl.col("channel")
    number = (
        pl.lit(float(value))
        if not isinstance(value, dict)
        else channel.replace_strict(value, default=0.0, return_dtype=pl.Float64)
    )
    return projection.inputs.select("account", "marketplace", "channel", number.alias(column))


def test_p0_with_extra_clean_orders_is_the_engine_path_with_daily_plus_extra() -> None:
    orders, defects = engine_fixture()
    horizon = 100  # crosses the window
    daily = {"MFN": 7.0, "AFN": 2.5}
    a = Assumptions(daily_orders=daily, defect_rate=0.0, horizon=horizon, n_sims=50)
    for extra in (5, {"MFN": 3.0}):
        projection = project(
            orders,
            defects,
            as_of=AS_OF,
            assumptions=dataclasses.replace(a, extra_clean_orders=extra),
        )
        per_channel = extra if isinstance(extra, dict) else {"MFN": extra, "AFN": extra}
        total = {c: daily[c] + per_channel.get(c, 0.0) for c in daily}
        # whole extra numbers: the orders of a day are exactly those of daily + extra
        planned = future_orders(
            rates_frame(projection, "daily_orders", total), as_of=AS_OF, horizon=horizon
        )
        want = engine_path_with(orders, defects, [planned], horizon)
        got = as_engine_columns(projection)
        assert_frame_equal(got, want.select(got.columns))
        assert projection.daily["low"].equals(projection.daily["expected_rate"])
        assert projection.daily["high"].equals(projection.daily["expected_rate"])
        assert only(projection.inputs, channel="MFN")["extra_clean_orders"] == per_channel["MFN"]
        assert only(projection.inputs, channel="AFN")["extra_clean_orders"] == per_channel.get(
            "AFN", 0.0
        )


def test_fractional_extra_clean_orders_are_whole_orders_rounded_on_their_own() -> None:
    # 2.5 a day of each, rounded apart: round(2.5 i) = 3, 5, 8, 10, ... so 3, 2, 3, 2, ... of
    # both (6, 4, 6, 4, ...); future_orders(5.0) would be 5 a day: equal over even runs only.
    orders, defects = engine_fixture()
    horizon = 90
    a = Assumptions(daily_orders=2.5, defect_rate=0.0, extra_clean_orders=2.5, horizon=horizon)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    planned = [
        future_orders(rates_frame(projection, "daily_orders", 2.5), as_of=AS_OF, horizon=horizon),
        future_orders(rates_frame(projection, "daily_orders", 2.5), as_of=AS_OF, horizon=horizon),
    ]
    want = engine_path_with(orders, defects, planned, horizon)
    got = as_engine_columns(projection)
    assert_frame_equal(got, want.select(got.columns))
    # the window of day 15 holds the new orders of day 1 only: 3 extra; day 16 adds 2 more
    plain = project(
        orders, defects, as_of=AS_OF, assumptions=dataclasses.replace(a, extra_clean_orders=0)
    )
    more = [
        on_day(projection, d)["order_count"] - on_day(plain, d)["order_count"]
        for d in (14, 15, 16, 17)
    ]
    assert more == [0, 3, 5, 8]


def test_extra_clean_orders_add_orders_and_no_defect() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=300, horizon=90)  # estimated rate, arrival as in history
    without = project(parts, as_of=AS_OF, assumptions=a)
    extra = 20
    with_ = project(
        parts, as_of=AS_OF, assumptions=dataclasses.replace(a, extra_clean_orders=extra)
    )
    both = without.daily.join(with_.daily, on=["channel", "as_of"], suffix="_e")
    # the same defects, known and expected ...
    assert both["known_defective"].equals(both["known_defective_e"], check_names=False)
    assert both["expected_defective"].equals(both["expected_defective_e"], check_names=False)
    # ... and 20 orders more for each new order date in the window: as_of + 1 .. d - 14
    days_in = ((both["as_of"] - AS_OF).dt.total_days() - 14).clip(0, 60)
    assert (both["order_count_e"] - both["order_count"]).to_list() == (days_in * extra).to_list()
    # the expected rate is exactly the expected defective orders over all the orders
    rate = with_.daily["expected_defective"] / with_.daily["order_count"]
    assert with_.daily["expected_rate"].to_list() == rate.to_list()
    assert (both["expected_rate_e"] <= both["expected_rate"]).all()
    assert (both["expected_rate_e"] < both["expected_rate"]).any()


def test_extra_clean_orders_in_the_band_and_the_chance_at_or_over_target() -> None:
    # No known order in any window; 100 new orders a day, each defective at once with 5%, and
    # 100 extra clean orders a day. Day 15 holds the orders of day 1 only: 200 orders, of
    # which X ~ Binomial(100, 0.05) defective. Rate >= 1% <=> X >= 2 (2 / 200); without the
    # extra orders it would be X >= 1 (1 / 100).
    p, n_sims = 0.05, 8000
    orders = make_orders({-400: 1})
    a = Assumptions(
        daily_orders=100,
        defect_rate=p,
        arrival_delay=0,
        horizon=15,
        n_sims=n_sims,
        extra_clean_orders=100,
    )
    row = on_day(project(orders, empty_defects(), as_of=AS_OF, assumptions=a), 15)
    assert row["order_count"] == 200
    assert row["expected_defective"] == pytest.approx(100 * p)
    assert row["expected_rate"] == pytest.approx(100 * p / 200)
    cdf = np.cumsum(binomial_pmf(100, p))
    low, high = int(np.argmax(cdf >= 0.05)), int(np.argmax(cdf >= 0.95))
    se = math.sqrt(0.05 * 0.95 / n_sims)
    assert cdf[low] - 0.05 > 4 * se and 0.05 - cdf[low - 1] > 4 * se
    assert cdf[high] - 0.95 > 4 * se and 0.95 - cdf[high - 1] > 4 * se
    assert (row["low"], row["high"]) == (low / 200, high / 200)
    tail = 1 - cdf[1]  # P(X >= 2) = 0.9629; P(X >= 1) would be 0.9941
    assert row["prob_at_or_above_target"] == pytest.approx(
        tail, abs=4 * math.sqrt(tail * (1 - tail) / n_sims)
    )


def test_extra_clean_orders_bring_the_first_day_under_forward() -> None:
    # 400 orders of as_of-33 .. as_of-14 (20 a day), 10 of them defective: 2.5% today, and
    # they all stay in the window up to day 40. No new order and no new defect, only e = 30
    # extra clean orders a day, in the window of day d from d = 15: 30 (d - 14) of them.
    # Day 34: 10 / (400 + 600) = 1.00%, not under (strict); day 35: 10 / 1,030 = 0.97%.
    orders = make_orders({-k: 20 for k in range(14, 34)})
    defects = chargebacks([(oid(-14 - 2 * i, 0), day(-1)) for i in range(10)])
    a = Assumptions(daily_orders=0, defect_rate=0.0, horizon=60, n_sims=50)
    without = project(orders, defects, as_of=AS_OF, assumptions=a)
    with_ = project(
        orders, defects, as_of=AS_OF, assumptions=dataclasses.replace(a, extra_clean_orders=30)
    )
    assert on_day(with_, 34)["order_count"] == 1000
    assert on_day(with_, 34)["expected_rate"] == 0.01
    assert on_day(with_, 34)["prob_at_or_above_target"] == 1.0
    assert on_day(with_, 35)["expected_rate"] == 10 / 1030
    assert on_day(with_, 35)["prob_at_or_above_target"] == 0.0
    row = only(with_.first_under)
    assert (row["first_under"], row["days_until_under"]) == (day(35), 35)
    assert outlook(with_, row) == f"expected under 1% from {day(35)} (in 35 days) and to stay under"
    assert row["rate_today"] == only(without.first_under)["rate_today"] == 10 / 400
    # without them the 10 defective orders leave no sooner than the clean ones: never under
    assert outlook(without, only(without.first_under)) == "not expected under 1% within 60 days"
    assert with_.describe().startswith(
        "acme Amazon.com MFN: 0.0 orders a day (assumed) + 30 extra clean orders a day, "
        "0.00% of orders defective (assumed): expected under 1% from"
    )
    assert "extra" not in without.describe()


def test_extra_clean_orders_for_one_channel_leave_the_others_alone() -> None:
    orders, defects = engine_fixture()
    a = Assumptions(defect_rate=0.01, horizon=40, n_sims=200)
    plain = project(orders, defects, as_of=AS_OF, assumptions=a)
    mfn_only = project(
        orders,
        defects,
        as_of=AS_OF,
        assumptions=dataclasses.replace(a, extra_clean_orders={"MFN": 10}),
    )
    assert plain.daily.filter(channel="AFN").equals(mfn_only.daily.filter(channel="AFN"))
    assert not plain.daily.filter(channel="MFN").equals(mfn_only.daily.filter(channel="MFN"))


def test_more_extra_clean_orders_never_raise_the_band_or_the_chance_of_breach() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=400, horizon=90, seed=5)  # estimated rate: drawn per simulation
    runs = [
        project(parts, as_of=AS_OF, assumptions=dataclasses.replace(a, extra_clean_orders=e)).daily
        for e in (0, 1, 2.5, 10, 60)
    ]
    for fewer, more in itertools.pairwise(runs):
        for column in ("prob_at_or_above_target", "low", "high", "expected_rate"):
            assert (more[column] <= fewer[column]).all(), column
    assert (runs[-1]["prob_at_or_above_target"] < runs[0]["prob_at_or_above_target"]).any()


def test_more_extra_clean_orders_never_raise_the_chance_in_the_normal_approximation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    monkeypatch.setattr(importlib.import_module("odr_analysis.projection"), "EVENT_CAP", 10)
    a = Assumptions(n_sims=100, horizon=60)
    runs = [
        project(parts, as_of=AS_OF, assumptions=dataclasses.replace(a, extra_clean_orders=e))
        for e in (0, 3, 30)
    ]
    assert only(runs[0].inputs)["method"].startswith("normal approximation")
    for fewer, more in itertools.pairwise(runs):
        for column in ("prob_at_or_above_target", "low", "high"):
            assert (more.daily[column] <= fewer.daily[column]).all(), column


def test_extra_clean_orders_are_reproducible_with_a_seed() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=300, horizon=40, extra_clean_orders=12)
    first = project(parts, as_of=AS_OF, assumptions=a)
    assert first == project(parts, as_of=AS_OF, assumptions=a)
    assert first == project(orders, defects, as_of=AS_OF, assumptions=a)
    other = project(parts, as_of=AS_OF, assumptions=dataclasses.replace(a, seed=1))
    assert first != other
    assert first.daily["expected_rate"].equals(other.daily["expected_rate"])


# --- property tests against the engine ------------------------------------------------------


@st.composite
def small_accounts(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    days = draw(st.lists(st.integers(-160, 0), min_size=1, max_size=25))
    counts = draw(st.lists(st.integers(1, 6), min_size=len(days), max_size=len(days)))
    per_day: dict[int, int] = {}
    for d, c in zip(days, counts, strict=True):
        per_day[d] = per_day.get(d, 0) + c
    orders = make_orders(per_day)
    ids = orders["order_id"].to_list()
    dates = dict(zip(ids, orders["order_date"].to_list(), strict=True))
    picked = draw(st.lists(st.sampled_from(ids), max_size=8, unique=True))
    lags = draw(st.lists(st.integers(0, 120), min_size=len(picked), max_size=len(picked)))
    defects = chargebacks(
        [(o, dates[o] + dt.timedelta(days=k)) for o, k in zip(picked, lags, strict=True)]
    )
    return orders, defects


@settings(max_examples=40)
@given(account=small_accounts(), daily_orders=st.integers(0, 5), horizon=st.integers(1, 100))
def test_property_p0_projection_is_the_engine_path(
    account: tuple[pl.DataFrame, pl.DataFrame], daily_orders: int, horizon: int
) -> None:
    orders, defects = account
    a = Assumptions(daily_orders=daily_orders, defect_rate=0.0, horizon=horizon, n_sims=20)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    future = make_orders({k: daily_orders for k in range(1, horizon + 1)}).with_columns(
        pl.col("order_id") + "-future"
    )
    engine = odr_daily(
        pl.concat([orders, future]) if daily_orders else orders,
        defects.filter(pl.col("event_date") <= AS_OF),
        start=day(1),
        end=day(horizon),
    )
    assert projection.daily["order_count"].to_list() == engine["order_count"].to_list()
    assert projection.daily["known_defective"].to_list() == engine["defective_orders"].to_list()
    assert projection.daily["expected_rate"].to_list() == engine["odr"].to_list()


@settings(max_examples=30)
@given(
    account=small_accounts(),
    p=st.floats(0, 1),
    delay=st.one_of(st.none(), st.integers(0, 40)),
    daily_orders=st.floats(0, 8),
)
def test_property_projection_bounds(
    account: tuple[pl.DataFrame, pl.DataFrame], p: float, delay: int | None, daily_orders: float
) -> None:
    orders, defects = account
    a = Assumptions(
        daily_orders=daily_orders, defect_rate=p, arrival_delay=delay, horizon=40, n_sims=50
    )
    daily = project(orders, defects, as_of=AS_OF, assumptions=a).daily.drop_nulls("expected_rate")
    n, k = daily["order_count"], daily["known_defective"]
    assert (daily["expected_defective"] >= k - 1e-9).all()
    assert (daily["expected_defective"] <= n + 1e-9).all()
    assert (daily["low"] <= daily["high"]).all()
    assert (daily["low"] >= k / n - 1e-12).all()
    assert (daily["high"] <= 1 + 1e-12).all()
    assert daily["prob_at_or_above_target"].is_between(0, 1).all()


@settings(max_examples=40)
@given(
    account=small_accounts(),
    daily_orders=st.floats(0, 6),
    extra=st.floats(0, 6),
    horizon=st.integers(1, 100),
)
def test_property_p0_extra_clean_orders_are_planned_orders_for_the_engine(
    account: tuple[pl.DataFrame, pl.DataFrame], daily_orders: float, extra: float, horizon: int
) -> None:
    orders, defects = account
    a = Assumptions(
        daily_orders=daily_orders,
        extra_clean_orders=extra,
        defect_rate=0.0,
        horizon=horizon,
        n_sims=5,
    )
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    keys = projection.inputs.select("account", "marketplace", "channel")
    planned = [
        future_orders(keys.with_columns(daily_orders=pl.lit(m)), as_of=AS_OF, horizon=horizon)
        for m in (daily_orders, extra)
    ]
    engine = engine_path_with(orders, defects, planned, horizon)
    assert projection.daily["order_count"].to_list() == engine["order_count"].to_list()
    assert projection.daily["known_defective"].to_list() == engine["defective_orders"].to_list()
    assert projection.daily["expected_rate"].to_list() == engine["odr"].to_list()
    whole = float(round(extra))  # a whole number of extra orders: daily + extra at once
    if whole:
        # Quarter orders a day keep i * m exact in binary floating point, so rounding each day's
        # orders cannot differ between m and m + whole at a .5 boundary.
        quarter = round(daily_orders * 4) / 4
        same = dataclasses.replace(a, daily_orders=quarter, extra_clean_orders=whole)
        summed = future_orders(
            keys.with_columns(daily_orders=pl.lit(quarter + whole)),
            as_of=AS_OF,
            horizon=horizon,
        )
        at_once = engine_path_with(orders, defects, [summed], horizon)
        got = project(orders, defects, as_of=AS_OF, assumptions=same).daily
        assert got["order_count"].to_list() == at_once["order_count"].to_list()
        assert got["expected_rate"].to_list() == at_once["odr"].to_list()


@settings(max_examples=30)
@given(
    account=small_accounts(),
    p=st.floats(0, 1),
    delay=st.one_of(st.none(), st.integers(0, 40)),
    daily_orders=st.floats(0, 8),
    extras=st.lists(st.floats(0, 20), min_size=2, max_size=2).map(sorted),
    seed=st.integers(0, 2**16),
)
def test_property_more_extra_clean_orders_never_raise_the_chance_of_breach(  # noqa: PLR0917
    account: tuple[pl.DataFrame, pl.DataFrame],
    p: float,
    delay: int | None,
    daily_orders: float,
    extras: list[float],
    seed: int,
) -> None:
    orders, defects = account
    parts = prepare(orders, defects)
    fewer, more = (
        project(
            parts,
            as_of=AS_OF,
            assumptions=Assumptions(
                daily_orders=daily_orders,
                defect_rate=p,
                arrival_delay=delay,
                extra_clean_orders=e,
                horizon=40,
                n_sims=50,
                seed=seed,
            ),
        ).daily
        for e in extras
    )
    assert fewer["expected_defective"].equals(more["expected_defective"])
    assert (more["order_count"] >= fewer["order_count"]).all()
    both = fewer.hstack(more.select(pl.all().name.suffix("_e"))).drop_nulls("expected_rate")
    for column in ("prob_at_or_above_target", "low", "high", "expected_rate"):
        assert (both[f"{column}_e"] <= both[column]).all(), column
    rate = more["expected_defective"] / more["order_count"]
    assert more["expected_rate"].to_list() == rate.fill_nan(None).to_list()
