"""Maturity (:mod:`odr_analysis.maturity`): today's rate beside what the same window will show
once matured, hand-worked and against synthetic accounts whose final rate is known.

Dates and builders: :mod:`forecast_builders` (report date ``AS_OF`` = 2024-06-01).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from forecast_builders import AS_OF, chargebacks, day, make_orders, on_day, only

from odr_analysis.engine import odr
from odr_analysis.estimates import arrival_delays, matured_defect_rate
from odr_analysis.maturity import maturity
from odr_analysis.projection import Assumptions, project
from odr_analysis.rules import OdrRules


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
    a = Assumptions(daily_orders=0, horizon=16, n_sims=50)
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
