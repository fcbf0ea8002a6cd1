"""Projection, arrival delays, matured rate and maturity: hand-worked cases, the engine, the model.

Dates: the report date of most fixtures is ``AS_OF`` = 2024-06-01. With the default rules
(lag 14, window 60) its window holds the order dates 2024-03-20 .. 2024-05-18, i.e. the
orders aged 14 .. 73 days; the matured cohort is aged 90 .. 149 days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from odr_analysis import forecast
from odr_analysis.engine import daily_path, odr, odr_daily, prepare
from odr_analysis.forecast import (
    Assumptions,
    Projection,
    arrival_delays,
    future_orders,
    matured_defect_rate,
    maturity,
    project,
    recent_daily_orders,
)
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, empty_defects, empty_orders

D = dt.date
AS_OF = D(2024, 6, 1)


def day(offset: int) -> dt.date:
    """``AS_OF + offset`` days."""
    return AS_OF + dt.timedelta(days=offset)


def make_orders(
    per_day: dict[int, int], *, channel: str = "MFN", account: str = "acme"
) -> pl.DataFrame:
    """Orders ``{offset from AS_OF: count}``, ids ``{account}-{channel}-{offset}-{i}``."""
    ids, dates = [], []
    for offset, count in per_day.items():
        ids += [f"{account}-{channel}-{offset}-{i}" for i in range(count)]
        dates += [day(offset)] * count
    return pl.DataFrame(
        {
            "account": account,
            "marketplace": "Amazon.com",
            "order_id": pl.Series(ids, dtype=pl.String),
            "order_date": pl.Series(dates, dtype=pl.Date),
            "channel": channel,
        }
    )


def chargebacks(rows: list[tuple[str, dt.date]], *, account: str = "acme") -> pl.DataFrame:
    """One counted chargeback per (order id, received on)."""
    return pl.DataFrame(
        [(account, oid, "chargeback", on, "service", None) for oid, on in rows],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )


def oid(offset: int, i: int = 0, *, channel: str = "MFN", account: str = "acme") -> str:
    return f"{account}-{channel}-{offset}-{i}"


def only(frame: pl.DataFrame, **where: object) -> dict[str, object]:
    rows = frame.filter(**where) if where else frame
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def on_day(projection: Projection, offset: int, channel: str = "MFN") -> dict[str, object]:
    return only(projection.daily, as_of=day(offset), channel=channel)


def binomial_pmf(n: int, p: float) -> list[float]:
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


# --- Assumptions ----------------------------------------------------------------------------


def test_assumptions_describe_defaults_and_given_values() -> None:
    assert Assumptions().describe() == (
        "the average orders a day of the last 28 days, the matured defect rate (orders 90-149 "
        "days old), defects arriving as in the account history, 90 days, 500 simulations, "
        "90% band, seed 0"
    )
    given_ = Assumptions(daily_orders=12.4, defect_rate=0.0045, horizon_days=30, arrival_delay=0)
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
        ({"horizon_days": 0}, ValueError, "horizon_days"),
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


# --- recent_daily_orders, future_orders -----------------------------------------------------


def test_recent_daily_orders_averages_the_28_days_before_the_report_date() -> None:
    # 3 orders a day on as_of-28 .. as_of-1 (84 orders); the report date's own 50 orders and
    # the 40 orders of as_of-29 are outside the average: 84 / 28 = 3.0
    orders = make_orders({**{-k: 3 for k in range(1, 29)}, 0: 50, -29: 40})
    row = only(recent_daily_orders(orders, as_of=AS_OF))
    assert (row["daily_orders"], row["days"], row["source"]) == (
        3.0,
        28,
        "average of the last 28 days",
    )


def test_recent_daily_orders_of_a_young_group_and_of_a_group_without_history() -> None:
    # MFN starts on as_of-10 with 5 a day: 50 orders over 10 days = 5.0 (not 50/28);
    # AFN has only orders on the report date: 0 a day.
    orders = pl.concat(
        [make_orders({-k: 5 for k in range(1, 11)}), make_orders({0: 7}, channel="AFN")]
    )
    recent = recent_daily_orders(orders, as_of=AS_OF)
    mfn, afn = only(recent, channel="MFN"), only(recent, channel="AFN")
    assert (mfn["daily_orders"], mfn["days"]) == (5.0, 10)
    assert mfn["source"] == f"average of the 10 days since the first order on {day(-10)}"
    assert (afn["daily_orders"], afn["days"], afn["source"]) == (
        0.0,
        0,
        "no order before the report date",
    )
    assert recent.equals(recent_daily_orders(prepare(orders, empty_defects()), as_of=AS_OF))


def test_future_orders_spreads_a_fractional_mean_as_whole_orders() -> None:
    daily = pl.DataFrame(
        {"account": "a", "marketplace": "m", "channel": ["AFN", "MFN"], "daily_orders": [12.4, 0.3]}
    )
    out = future_orders(daily, as_of=AS_OF, horizon=10)
    # 12.4 a day: cumulative round(12.4 i) = 12, 25, 37, 50, 62, ... -> 12, 13, 12, 13, 12, ...
    assert out.filter(channel="AFN")["orders"].to_list()[:5] == [12, 13, 12, 13, 12]
    assert out.filter(channel="AFN")["order_date"].to_list()[:2] == [day(1), day(2)]
    # 0.3 a day: round(0.3 i) = 0, 1, 1, 1, 2, 2, 2, 2, 3, 3: orders on days 2, 5 and 9
    assert out.filter(channel="MFN")["order_date"].to_list() == [day(2), day(5), day(9)]


@given(mean=st.floats(0, 500, allow_nan=False), days=st.integers(1, 120))
def test_future_orders_total_is_within_one_order_of_mean_times_days(mean: float, days: int) -> None:
    daily = pl.DataFrame(
        {"account": "a", "marketplace": "m", "channel": "MFN", "daily_orders": mean}
    )
    total = future_orders(daily, as_of=AS_OF, horizon=days)["orders"].sum()
    assert abs(total - mean * days) <= 0.5 + 1e-9


# --- matured_defect_rate --------------------------------------------------------------------


def matured_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """MFN: 300 matured orders (5 a day on as_of-149 .. as_of-90), 3 defective by as_of.

    AFN: 100 matured orders (2 a day on as_of-139 .. as_of-90), 2 defective.
    """
    mfn = make_orders({-k: 5 for k in range(90, 150)})
    afn = make_orders({-k: 2 for k in range(90, 140)}, channel="AFN")
    young = make_orders({-80: 4})
    orders = pl.concat([mfn, afn, young])
    defects = chargebacks(
        [
            (oid(-100, 0), day(-60)),
            (oid(-120, 1), day(-100)),
            (oid(-149, 4), day(-1)),
            (oid(-130, 2), day(3)),  # received after as_of: not known yet
            (oid(-80, 0), day(-50)),  # a young order: not in the matured cohort
            (oid(-95, 0, channel="AFN"), day(-70)),
            (oid(-139, 1, channel="AFN"), day(-80)),
        ]
    )
    return orders, defects


def test_matured_defect_rate_hand_worked_and_pooled_for_a_small_channel() -> None:
    orders, defects = matured_fixture()
    rates = matured_defect_rate(orders, defects, as_of=AS_OF)
    mfn, afn = only(rates, channel="MFN"), only(rates, channel="AFN")
    # MFN: 3 / 300 = 1%
    assert (mfn["orders"], mfn["defective"], mfn["defect_rate"], mfn["pooled"]) == (
        300,
        3,
        0.01,
        False,
    )
    assert mfn["source"] == "matured rate of 300 orders 90-149 days old"
    # AFN has 100 < 200: pooled over the account, (3 + 2) / (300 + 100) = 1.25%
    assert (afn["orders"], afn["defective"], afn["pooled"]) == (400, 5, True)
    assert afn["defect_rate"] == pytest.approx(0.0125)
    assert "pooled over the account (this channel has 100)" in afn["source"]
    # with a lower threshold AFN stands on its own: 2 / 100
    own = only(matured_defect_rate(orders, defects, as_of=AS_OF, min_orders=50), channel="AFN")
    assert (own["defect_rate"], own["pooled"]) == (0.02, False)


def test_matured_defect_rate_uses_the_state_on_the_report_date() -> None:
    orders = make_orders({-100: 250})
    feedback = pl.DataFrame(
        [
            ("acme", oid(-100, 0), "negative_feedback", day(-90), "active", 1),
            ("acme", oid(-100, 0), "negative_feedback", day(-10), "removed", 1),  # gone by as_of
            ("acme", oid(-100, 1), "negative_feedback", day(-90), "active", 2),
            ("acme", oid(-100, 1), "negative_feedback", day(5), "removed", 2),  # after as_of
        ],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    row = only(matured_defect_rate(orders, feedback, as_of=AS_OF))
    assert (row["defective"], row["orders"]) == (1, 250)


def test_no_matured_orders_gives_a_null_rate_and_project_says_what_to_pass() -> None:
    orders = make_orders({-k: 3 for k in range(1, 60)})
    row = only(matured_defect_rate(orders, empty_defects(), as_of=AS_OF))
    assert row["defect_rate"] is None
    assert row["source"] == "no order 90-149 days old: give a defect rate"
    with pytest.raises(ValueError, match=r"Assumptions\(defect_rate=...\)"):
        project(orders, empty_defects(), as_of=AS_OF)
    given_rate = project(
        orders, empty_defects(), as_of=AS_OF, assumptions=Assumptions(defect_rate=0.01)
    )
    assert given_rate.inputs["defect_rate_source"].to_list() == ["assumed"]


# --- arrival_delays -------------------------------------------------------------------------


def test_arrival_delays_hand_worked_from_mature_orders_only() -> None:
    # 10 orders of as_of-200 with a defect after 5 days, 10 of as_of-150 after 30 days: shares
    # 0.5 and 0.5. Left out: an order of as_of-100 (younger than 120 days) and a delay of 130.
    orders = make_orders({-200: 10, -150: 11, -100: 1})
    defects = chargebacks(
        [(oid(-200, i), day(-195)) for i in range(10)]
        + [(oid(-150, i), day(-120)) for i in range(10)]
        + [(oid(-150, 10), day(-20)), (oid(-100, 0), day(-99))]
    )
    table = arrival_delays(orders, defects, as_of=AS_OF)
    assert table.select("account", "delay", "share", "cumulative", "defects", "pooled").rows() == [
        ("acme", 5, 0.5, 0.5, 20, False),
        ("acme", 30, 0.5, 1.0, 20, False),
    ]
    assert table["source"].unique().to_list() == [
        "the account's own 20 defects on orders at least 120 days old"
    ]


def test_arrival_delays_pool_all_accounts_below_twenty_defects_and_default_to_uniform() -> None:
    big = make_orders({-200: 30}, account="big")
    small = make_orders({-200: 5}, account="small")
    defects = pl.concat(
        [
            chargebacks(
                [(oid(-200, i, account="big"), day(-190)) for i in range(30)], account="big"
            ),
            chargebacks([(oid(-200, 0, account="small"), day(-199))], account="small"),
        ]
    )
    table = arrival_delays(pl.concat([big, small]), defects, as_of=AS_OF)
    small_rows = table.filter(account="small")
    # 30 + 1 pooled defects: delay 10 (30 of them) and delay 1 (1)
    assert small_rows.select("delay", "share").rows() == [(1, 1 / 31), (10, 30 / 31)]
    assert small_rows["pooled"].to_list() == [True, True]
    assert small_rows["source"][0] == (
        "pooled over all 2 accounts (31 defects on orders at least 120 days old); "
        "this account has only 1"
    )
    assert table.filter(account="big").select("delay", "share").rows() == [(10, 1.0)]
    uniform = arrival_delays(big, empty_defects(), as_of=AS_OF, max_delay=9)
    assert uniform["share"].to_list() == [0.1] * 10
    assert (
        uniform["source"][0]
        == "no defect on orders at least 9 days old: assumed uniform over 0-9 days"
    )


# --- maturity -------------------------------------------------------------------------------


def maturity_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """10 MFN orders a day on as_of-400 .. as_of; every 100th order (1%) gets a chargeback
    exactly 30 days after its order date, if that is on or before as_of."""
    orders = make_orders({-k: 10 for k in range(0, 401)})
    with_index = orders.with_row_index("n")
    bad = (
        with_index.filter(pl.col("n") % 100 == 0)
        .with_columns(on=pl.col("order_date") + pl.duration(days=30))
        .filter(pl.col("on") <= AS_OF)
    )
    defects = chargebacks(list(zip(bad["order_id"], bad["on"], strict=True)))
    return orders, defects


def test_maturity_hand_worked_with_a_fixed_thirty_day_delay() -> None:
    orders, defects = maturity_fixture()
    rules = OdrRules()
    window = rules.window(AS_OF)
    row = only(maturity(orders, defects, as_of=AS_OF))
    reported = only(odr(orders, defects, as_of=AS_OF))
    p = only(matured_defect_rate(orders, defects, as_of=AS_OF))["defect_rate"]
    assert p == 6 / 600  # 600 matured orders, every 100th defective
    # Every mature defect arrived after exactly 30 days, so F(a) = 0 below 30 and 1 from 30:
    # orders aged 14..29 (16 days x 10 = 160 orders, all still clean) each become defective
    # with q = p * (1 - 0) / (1 - 0) = p; older orders have nothing more to come.
    assert (row["window_start"], row["window_end"]) == (window.start, window.end)
    assert (row["order_count"], row["defective_orders"]) == (600, reported["defective_orders"])
    assert row["reported"] == reported["odr"]
    assert row["still_expected"] == pytest.approx(160 * p)
    assert row["expected_matured"] == pytest.approx((reported["defective_orders"] + 160 * p) / 600)
    assert row["share_matured"] == pytest.approx(440 / 600)  # orders aged 30..73 have F = 1
    assert row["reported"] <= row["low"] <= row["expected_matured"] <= row["high"]
    assert row["method"] == "monte carlo, 2,000 simulations"


def test_maturity_and_projection_condition_on_orders_still_clean() -> None:
    # 10 orders a day on as_of-399 .. as_of; every 100th order is defective, its chargeback
    # arriving 5 days after the order (even hundreds) or 30 days after (odd hundreds): 28
    # mature defects, 14 of each, so F(a) = 1/2 for 5 <= a < 30 and 1 from 30.
    # p = 6 / 600 (matured cohort).
    orders = make_orders({-k: 10 for k in range(0, 400)})
    bad = (
        orders.with_row_index("n")
        .filter(pl.col("n") % 100 == 0)
        .with_columns(
            on=pl.col("order_date")
            + pl.duration(days=pl.when((pl.col("n") // 100) % 2 == 0).then(5).otherwise(30))
        )
        .filter(pl.col("on") <= AS_OF)
    )
    defects = chargebacks(list(zip(bad["order_id"], bad["on"], strict=True)))
    delays = arrival_delays(orders, defects, as_of=AS_OF)
    assert delays.select("delay", "share").rows() == [(5, 0.5), (30, 0.5)]
    p = only(matured_defect_rate(orders, defects, as_of=AS_OF))["defect_rate"]
    assert p == 6 / 600
    young = orders.filter(pl.col("order_date").is_between(day(-29), day(-14)))
    clean_young = young.join(defects, on="order_id", how="anti").height
    # an order aged 14..29 still clean on as_of becomes defective with
    # q = p * (1 - 1/2) / (1 - p * 1/2): Bornhuetter-Ferguson conditions on "still clean"
    q = p * 0.5 / (1 - p * 0.5)
    row = only(maturity(orders, defects, as_of=AS_OF))
    assert row["still_expected"] == pytest.approx(clean_young * q)
    # The projection on day 16 (window: order dates as_of-57 .. as_of+2). Ages are as on
    # as_of; by day 16 every order is 16 days older. Still-clean orders aged 14..29 are then
    # 30+ days old: q = p * (1 - 1/2) / (1 - p/2). Aged 5..13: still under 30 days, nothing
    # more arrives (F stays 1/2): q = 0. Aged 0..4: they pass 5 days, q = p * (1/2 - 0) / 1.
    a = Assumptions(daily_orders=0, horizon_days=16, n_sims=50)
    day16 = on_day(project(orders, defects, as_of=AS_OF, assumptions=a), 16)
    clean = orders.join(defects, on="order_id", how="anti")
    aged_14_29 = clean.filter(pl.col("order_date").is_between(day(-29), day(-14))).height
    aged_0_4 = clean.filter(pl.col("order_date").is_between(day(-4), day(0))).height
    assert (aged_14_29, aged_0_4) == (clean_young, 50)
    assert day16["expected_defective"] == pytest.approx(
        day16["known_defective"] + aged_14_29 * q + aged_0_4 * p * 0.5
    )


def synthetic_account(
    seed: int, *, per_day: int = 40, p: float = 0.02
) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """400 days of orders; each defective with probability p, its defect arriving a
    geometric(mean 20, at most 110) number of days later. Returns the frames as known on
    AS_OF and the true final rate of AS_OF's window (every defect, however late)."""
    rng = np.random.default_rng(seed)
    orders = make_orders({-k: per_day for k in range(0, 400)})
    bad = rng.random(orders.height) < p
    delay = np.minimum(rng.geometric(1 / 20, orders.height) - 1, 110)
    truth_frame = orders.with_columns(
        bad=pl.Series(bad), on=pl.col("order_date") + pl.duration(days=pl.Series(delay))
    )
    window = OdrRules().window(AS_OF)
    in_window = truth_frame.filter(pl.col("order_date").is_between(window.start, window.end))
    truth = in_window["bad"].mean()
    known = truth_frame.filter(pl.col("bad") & (pl.col("on") <= AS_OF))
    defects = chargebacks(list(zip(known["order_id"], known["on"], strict=True)))
    return orders, defects, float(truth)  # type: ignore[arg-type]


def test_maturity_band_covers_the_true_final_rate_in_most_synthetic_windows() -> None:
    inside = 0
    trials = 50
    for seed in range(trials):
        orders, defects, truth = synthetic_account(seed)
        row = only(maturity(orders, defects, as_of=AS_OF, seed=seed, n_sims=1000))
        assert row["reported"] <= truth  # defects only ever arrive
        inside += row["low"] <= truth <= row["high"]
    assert inside >= 0.8 * trials, f"{inside} of {trials} windows inside the 90% band"


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
    a = Assumptions(daily_orders={"MFN": 7, "AFN": 2.5}, defect_rate=0.0, horizon_days=horizon)
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
    a = Assumptions(daily_orders=3, defect_rate=0.0, horizon_days=80)
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
    a = Assumptions(defect_rate=0.02, daily_orders=5, horizon_days=30, n_sims=300)
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
    a = Assumptions(daily_orders=10, defect_rate=1.0, arrival_delay=0, horizon_days=60)
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


def test_pending_defects_on_known_orders_follow_the_delay_distribution() -> None:
    # 200 clean orders aged 20 days; every defect arrives exactly 30 days after its order,
    # so none of them can have arrived yet: each becomes defective with p on day as_of+10.
    orders = make_orders({-20: 200})
    p = 0.05
    a = Assumptions(daily_orders=0, defect_rate=p, arrival_delay=30, horizon_days=20, n_sims=4000)
    projection = project(orders, empty_defects(), as_of=AS_OF, assumptions=a)
    assert on_day(projection, 9)["expected_defective"] == 0.0
    assert on_day(projection, 9)["prob_at_or_above_target"] == 0.0
    row = on_day(projection, 10)
    assert row["expected_defective"] == pytest.approx(200 * p)
    # On day 10 the count is exactly Binomial(200, 0.05); P(rate >= 1%) = P(X >= 2)
    pmf = binomial_pmf(200, p)
    exact = 1 - pmf[0] - pmf[1]
    assert row["prob_at_or_above_target"] == pytest.approx(
        exact, abs=4 * math.sqrt(exact * (1 - exact) / 4000)
    )


def test_arrival_days_follow_a_two_point_delay_distribution() -> None:
    # History: 40 defects on orders of as_of-200, half after 25 days and half after 35, so
    # F = 0 below 25, 1/2 on 25..34 and 1 from 35. Today: 300 clean orders aged 20. On day 7
    # (age 27) each has arrived with probability p/2, from day 15 (age 35) with p: the
    # count is exactly Binomial(300, p/2), then Binomial(300, p).
    orders = pl.concat([make_orders({-200: 40}), make_orders({-20: 300})])
    defects = chargebacks(
        [(oid(-200, i), day(-175)) for i in range(20)]
        + [(oid(-200, i), day(-165)) for i in range(20, 40)]
    )
    p, n_sims = 0.02, 4000
    a = Assumptions(daily_orders=0, defect_rate=p, horizon_days=20, n_sims=n_sims)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    for d, q in [(4, 0.0), (7, p / 2), (14, p / 2), (15, p), (20, p)]:
        row = on_day(projection, d)
        assert row["order_count"] == 300
        assert row["expected_defective"] == pytest.approx(300 * q)
        pmf = binomial_pmf(300, q)
        exact = 1 - sum(pmf[:3])  # rate >= 1% <=> at least 3 of 300
        tolerance = 4 * math.sqrt(exact * (1 - exact) / n_sims) + 1e-12
        assert row["prob_at_or_above_target"] == pytest.approx(exact, abs=tolerance)


def test_monte_carlo_band_matches_exact_binomial_quantiles() -> None:
    # No known order; 100 new orders a day, defects at once with p = 5%. On day 15 the
    # window holds only the orders of day 1: the count is exactly Binomial(100, 0.05).
    p, n_sims = 0.05, 8000
    orders = make_orders({-400: 1})  # a group, long gone from every window
    a = Assumptions(
        daily_orders=100, defect_rate=p, arrival_delay=0, horizon_days=15, n_sims=n_sims
    )
    row = on_day(project(orders, empty_defects(), as_of=AS_OF, assumptions=a), 15)
    cdf = np.cumsum(binomial_pmf(100, p))
    low, high = int(np.argmax(cdf >= 0.05)), int(np.argmax(cdf >= 0.95))
    # the quantiles are far from ambiguous (more than 4 standard errors), so MC must agree
    se = math.sqrt(0.05 * 0.95 / n_sims)
    assert cdf[low] - 0.05 > 4 * se and 0.05 - cdf[low - 1] > 4 * se
    assert cdf[high] - 0.95 > 4 * se and 0.95 - cdf[high - 1] > 4 * se
    assert (row["low"], row["high"]) == (low / 100, high / 100)
    assert row["order_count"] == 100
    assert row["expected_rate"] == pytest.approx(p)
    tail = 1 - cdf[0]  # P(X >= 1): 1 of 100 is already at the 1% target
    assert row["prob_at_or_above_target"] == pytest.approx(
        tail, abs=4 * math.sqrt(tail * (1 - tail) / n_sims)
    )


def test_horizon_crossing_the_window_counts_only_new_orders_at_the_end() -> None:
    # known orders of as_of-30 .. as_of (4 a day); 5 new a day; horizon 120 > lag + window
    orders = make_orders({-k: 4 for k in range(0, 31)})
    a = Assumptions(daily_orders=5, defect_rate=0.0, horizon_days=120)
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
    a = Assumptions(daily_orders=0, defect_rate=0.01, horizon_days=20)
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


def moderate_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """About 50 orders a day for 300 days, 2% defective with delays of 0-60 days."""
    rng = np.random.default_rng(7)
    orders = make_orders({-k: 50 for k in range(0, 300)})
    bad = rng.random(orders.height) < 0.02
    delay = rng.integers(0, 61, orders.height)
    frame = orders.with_columns(on=pl.col("order_date") + pl.duration(days=pl.Series(delay)))
    known = frame.filter(pl.Series(bad) & (pl.col("on") <= AS_OF))
    return orders, chargebacks(list(zip(known["order_id"], known["on"], strict=True)))


def test_same_seed_same_projection_other_seed_other_band() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=500, horizon_days=40)
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


def test_an_estimated_rate_widens_the_band_over_a_given_one() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    estimated = project(parts, as_of=AS_OF, assumptions=Assumptions(n_sims=1000))
    p = only(estimated.inputs)["defect_rate"]
    given_ = project(parts, as_of=AS_OF, assumptions=Assumptions(n_sims=1000, defect_rate=p))
    assert estimated.daily["expected_rate"].equals(given_.daily["expected_rate"])
    width = (pl.col("high") - pl.col("low")).sum()
    assert estimated.daily.select(width).item() > given_.daily.select(width).item()


def first_under_from_path(daily: pl.DataFrame, target: float) -> dt.date | None:
    under = daily.filter(pl.col("expected_rate") < target)
    return under["as_of"].min() if under.height else None  # type: ignore[return-value]


@pytest.mark.parametrize("daily_orders", [0, 2, 20, 200])
def test_first_under_agrees_with_the_expected_path(daily_orders: int) -> None:
    # 2.5% defective today on 400 orders (10 of them); the defective orders age out at
    # different dates while new orders (1% defective) come in
    orders = make_orders({-k: 20 for k in range(14, 34)})
    defects = chargebacks([(oid(-14 - 2 * i, 0), day(-1)) for i in range(10)])
    a = Assumptions(daily_orders=daily_orders, defect_rate=0.005, horizon_days=90, n_sims=200)
    projection = project(orders, defects, as_of=AS_OF, assumptions=a)
    row = only(projection.first_under)
    want = first_under_from_path(projection.daily, 0.01)
    assert row["first_under"] == want
    assert row["rate_today"] == 10 / 400
    assert row["meets_target_today"] is False
    if want is None:
        assert row["days_until_under"] is None
        assert row["message"] == "not expected under 1% within 90 days"
    else:
        assert row["days_until_under"] == (want - AS_OF).days
        assert row["message"].startswith(f"expected under 1% from {want}")
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
    assert row["message"] == "under 1% today and to stay under"
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
    assert row["message"] == "not expected under 1% within 90 days"


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
    assert row["message"] == (
        f"expected under 1% from {under} (in {(under - AS_OF).days} days), "
        f"but at or above it again from {day(30)}"
    )


def test_describe_states_the_numbers_and_the_answer() -> None:
    orders, defects = moderate_fixture()
    text = project(orders, defects, as_of=AS_OF, assumptions=Assumptions(n_sims=200)).describe()
    assert text.startswith("acme Amazon.com MFN: 50.0 orders a day (average of the last 28 days), ")
    assert "of orders defective (matured rate of 3,000 orders 90-149 days old)" in text
    assert text.endswith("[90 days, 200 simulations, 90% band, seed 0]")


def test_normal_approximation_for_very_large_groups_agrees_with_monte_carlo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=2000, horizon_days=60)
    simulated = project(parts, as_of=AS_OF, assumptions=a)
    monkeypatch.setattr(forecast, "EVENT_CAP", 10)
    approximated = project(parts, as_of=AS_OF, assumptions=a)
    assert only(approximated.inputs)["method"].startswith("normal approximation")
    both = simulated.daily.join(approximated.daily, on=["channel", "as_of"], suffix="_n")
    n = both["order_count"]
    # within about two defective orders of each other, and the same story for P(>= target)
    assert ((both["high"] - both["high_n"]).abs() * n <= 2.5).all()
    assert ((both["low"] - both["low_n"]).abs() * n <= 2.5).all()
    assert (
        (both["prob_at_or_above_target"] - both["prob_at_or_above_target_n"]).abs() <= 0.08
    ).all()
    mat = maturity(parts, as_of=AS_OF)
    assert only(mat)["method"].startswith("normal approximation")


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
        project(parts, as_of=AS_OF, assumptions={"horizon_days": 5})  # type: ignore[arg-type]
    twice = pl.DataFrame({"channel": ["MFN", "MFN"], "defect_rate": [0.01, 0.02]})
    with pytest.raises(ValueError, match="two entries match"):
        project(parts, as_of=AS_OF, assumptions=Assumptions(defect_rate=twice))


def test_most_specific_assumption_wins_and_unmatched_groups_use_the_default() -> None:
    orders, defects = engine_fixture()
    a = Assumptions(
        daily_orders={"MFN": 3, ("acme", "Amazon.com", "MFN"): 8},
        defect_rate={"XYZ": 0.5, "AFN": 0.01, "MFN": 0.02},
        horizon_days=5,
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
    a = Assumptions(daily_orders=daily, defect_rate=0.0, horizon_days=horizon, n_sims=50)
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
    a = Assumptions(daily_orders=2.5, defect_rate=0.0, extra_clean_orders=2.5, horizon_days=horizon)
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
    a = Assumptions(n_sims=300, horizon_days=90)  # estimated rate, arrival as in history
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
        horizon_days=15,
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
    a = Assumptions(daily_orders=0, defect_rate=0.0, horizon_days=60, n_sims=50)
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
    assert row["message"] == f"expected under 1% from {day(35)} (in 35 days) and to stay under"
    assert row["rate_today"] == only(without.first_under)["rate_today"] == 10 / 400
    # without them the 10 defective orders leave no sooner than the clean ones: never under
    assert only(without.first_under)["message"] == "not expected under 1% within 60 days"
    assert with_.describe().startswith(
        "acme Amazon.com MFN: 0.0 orders a day (assumed) + 30 extra clean orders a day, "
        "0.00% of orders defective (assumed): expected under 1% from"
    )
    assert "extra" not in without.describe()


def test_extra_clean_orders_for_one_channel_leave_the_others_alone() -> None:
    orders, defects = engine_fixture()
    a = Assumptions(defect_rate=0.01, horizon_days=40, n_sims=200)
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
    a = Assumptions(n_sims=400, horizon_days=90, seed=5)  # estimated rate: drawn per simulation
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
    monkeypatch.setattr(forecast, "EVENT_CAP", 10)
    a = Assumptions(n_sims=100, horizon_days=60)
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
    a = Assumptions(n_sims=300, horizon_days=40, extra_clean_orders=12)
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
    a = Assumptions(daily_orders=daily_orders, defect_rate=0.0, horizon_days=horizon, n_sims=20)
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
        daily_orders=daily_orders, defect_rate=p, arrival_delay=delay, horizon_days=40, n_sims=50
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
        horizon_days=horizon,
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
                horizon_days=40,
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
