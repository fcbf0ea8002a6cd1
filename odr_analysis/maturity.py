"""Maturity: the rate Amazon shows today beside what the same window will show once matured.

Defects arrive weeks after their order but are charged to the order's date, so today's rate
is still incomplete for the window's recent orders. :func:`maturity` estimates the settled rate
(Bornhuetter-Ferguson: the defects reported so far plus the defects still expected on the clean
orders, given the account's matured defect rate and its own arrival delays), with a band from
the Monte Carlo of :mod:`odr_analysis.sampler`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from odr_analysis import words
from odr_analysis.estimates import (
    MAX_DELAY,
    MIN_ORDERS,
    around,
    delay_shares,
    floats,
    lookback_for,
    matured_rate,
)
from odr_analysis.parts import OdrParts, as_parts
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.sampler import (
    EVENT_CAP,
    Pending,
    RateModel,
    approx_var,
    cdf_at,
    draw,
    histogram,
    normal_band,
    pending_prob,
    quantiles,
    rate_draws,
)
from odr_analysis.schema import Frame

__all__ = ["maturity"]


def maturity(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
    level: float = 0.9,
    n_sims: int = 2000,
    seed: int = 0,
) -> pl.DataFrame:
    """The rate as reported on ``as_of`` beside what the same window will show once matured.

    For each order date of the window, age ``a = as_of - order_date``: ``D_a`` of ``n_a``
    orders are defective now, and each clean one still becomes defective with probability
    ``q_a = p * (1 - F(a)) / (1 - p * F(a))`` (``p``:
    :func:`~odr_analysis.estimates.matured_defect_rate`, ``F``: the account's
    :func:`~odr_analysis.estimates.arrival_delays` distribution): Bornhuetter-Ferguson.
    ``expected_matured = (D + sum (n_a - D_a) q_a) / n``. ``low`` .. ``high`` is the central
    ``level`` band of that sum of binomials by Monte Carlo (``n_sims`` seeded simulations,
    ``p`` drawn from its posterior in each), or a normal approximation for very large
    accounts (``method`` says which). ``share_matured = sum n_a F(a) / n``: the share of the
    window's eventual defects expected to be in already.

    Columns: group keys, ``as_of``, ``window_start``, ``window_end``, ``order_count``,
    ``defective_orders``, ``reported``, ``defect_rate``, ``still_expected``,
    ``expected_matured``, ``low``, ``high``, ``share_matured``, ``method`` and ``source``.
    ``orders`` may be :class:`~odr_analysis.parts.OdrParts` (then leave out ``defects``).
    """
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"level must be a fraction between 0 and 1, got {level!r}")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int) or n_sims < 1:
        raise ValueError(f"n_sims must be an integer >= 1, got {n_sims!r}")
    parts = as_parts(orders, defects, rules=rules)
    day = to_date(as_of, "as_of")
    window = parts.rules.window(day)
    base = around(parts, day, lookback_for(parts.rules))
    first, last = parts.rules.order_days(0)  # today's window, relative to as_of
    offsets = np.arange(first, last + 1)
    n_a = base.orders[:, base.lookback + offsets]
    d_a = base.defective[:, base.lookback + offsets]
    n, d = n_a.sum(axis=1), d_a.sum(axis=1)
    rate = matured_rate(base, MIN_ORDERS)
    delays = delay_shares(base, MAX_DELAY)
    f_a = cdf_at(delays.padded_cdf()[base.account], -offsets)
    known = ~np.isnan(rate.rate)
    model = RateModel(
        rate=np.where(known, rate.rate, 0.0),
        uncertain=known,
        beta_a=rate.d + 0.5,
        beta_b=rate.n - rate.d + 0.5,
        key=rate.key,
    )
    pending = Pending(m=n_a - d_a, gain=1.0 - f_a, before=f_a)
    still = (pending.m * pending_prob(model.rate[:, None], pending.gain, f_a)).sum(axis=1)
    rng = np.random.default_rng(seed)
    draws, p_max = rate_draws(rng, model, n_sims)
    heavy = (pending.m * pending_prob(p_max[:, None], pending.gain, f_a)).sum(axis=1)
    heavy = heavy * n_sims > EVENT_CAP
    low, high = np.full(base.size, np.nan), np.full(base.size, np.nan)
    simulate = np.flatnonzero(known & ~heavy & (n > 0))
    if simulate.size:
        local, _, sim = draw(rng, pending, simulate, draws=draws)
        counts = np.bincount(local * n_sims + sim, minlength=simulate.size * n_sims)
        lo_x, hi_x = quantiles(histogram(counts.reshape(-1, n_sims)), n_sims, level)
        low[simulate] = (d[simulate] + lo_x) / n[simulate]
        high[simulate] = (d[simulate] + hi_x) / n[simulate]
    normal = np.flatnonzero(known & heavy & (n > 0))
    if normal.size:
        sub = Pending(pending.m[normal], pending.gain[normal], pending.before[normal])
        var = approx_var(sub, model.rate[normal], model, normal)
        low[normal], high[normal], _ = normal_band(
            d[normal], still[normal], var, n[normal], level=level, target=1.0
        )
    methods = [
        words.NO_MATURED_RATE
        if not known[i]
        else words.NO_ORDERS
        if n[i] == 0
        else words.method_normal(still[i], "still expected")
        if heavy[i]
        else words.method_monte_carlo(n_sims)
        for i in range(base.size)
    ]
    sources = [
        words.maturity_source(rate.sources[i], delays.sources[a])
        for i, a in enumerate(base.account.tolist())
    ]
    has = n > 0
    reported = np.divide(d, n, out=np.full(base.size, np.nan), where=has)
    expected = np.divide(d + still, n, out=np.full(base.size, np.nan), where=has & known)
    return base.groups.with_columns(
        as_of=pl.lit(window.as_of),
        window_start=pl.lit(window.start),
        window_end=pl.lit(window.end),
        order_count=pl.Series(n, dtype=pl.Int64),
        defective_orders=pl.Series(d, dtype=pl.Int64),
        reported=floats(reported),
        defect_rate=floats(rate.rate),
        still_expected=floats(np.where(known, still, np.nan)),
        expected_matured=floats(expected),
        low=floats(low),
        high=floats(high),
        share_matured=floats(
            np.divide((n_a * f_a).sum(axis=1), n, out=np.full(base.size, np.nan), where=has)
        ),
        method=pl.Series(methods, dtype=pl.String),
        source=pl.Series(sources, dtype=pl.String),
    )
