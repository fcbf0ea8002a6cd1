"""The Monte Carlo (:mod:`odr_analysis.sampler`) through the projection and the maturity: its
counts and arrival days against exact binomials, the rate drawn from its posterior, and the
normal approximation of very large groups against the simulation.

Dates and builders: :mod:`forecast_builders` (report date ``AS_OF`` = 2024-06-01).
"""

from __future__ import annotations

import importlib
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

from odr_analysis.maturity import maturity
from odr_analysis.parts import prepare
from odr_analysis.projection import Assumptions, project
from odr_analysis.schema import empty_defects


def test_pending_defects_on_known_orders_follow_the_delay_distribution() -> None:
    # 200 clean orders aged 20 days; every defect arrives exactly 30 days after its order,
    # so none of them can have arrived yet: each becomes defective with p on day as_of+10.
    orders = make_orders({-20: 200})
    p = 0.05
    a = Assumptions(daily_orders=0, defect_rate=p, arrival_delay=30, horizon=20, n_sims=4000)
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
    a = Assumptions(daily_orders=0, defect_rate=p, horizon=20, n_sims=n_sims)
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
    a = Assumptions(daily_orders=100, defect_rate=p, arrival_delay=0, horizon=15, n_sims=n_sims)
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


def test_an_estimated_rate_widens_the_band_over_a_given_one() -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    estimated = project(parts, as_of=AS_OF, assumptions=Assumptions(n_sims=1000))
    p = only(estimated.inputs)["defect_rate"]
    given_ = project(parts, as_of=AS_OF, assumptions=Assumptions(n_sims=1000, defect_rate=p))
    assert estimated.daily["expected_rate"].equals(given_.daily["expected_rate"])
    width = (pl.col("high") - pl.col("low")).sum()
    assert estimated.daily.select(width).item() > given_.daily.select(width).item()


def test_normal_approximation_for_very_large_groups_agrees_with_monte_carlo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders, defects = moderate_fixture()
    parts = prepare(orders, defects)
    a = Assumptions(n_sims=2000, horizon=60)
    simulated = project(parts, as_of=AS_OF, assumptions=a)
    # projection and maturity each read the cap they imported from the sampler (the package
    # exports the function maturity under the module's name: fetch the module itself)
    for module in ("odr_analysis.projection", "odr_analysis.maturity"):
        monkeypatch.setattr(importlib.import_module(module), "EVENT_CAP", 10)
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
