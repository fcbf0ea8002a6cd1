"""The Monte Carlo behind every band: the defects still to come, drawn exactly, and their quantiles.

The model (see :mod:`odr_analysis.projection`): every order is eventually defective with
probability ``p``, and its first counted defect arrives ``delay`` days after the order date,
``delay ~ F``. A clean order of age ``a`` becomes defective by age ``b`` with probability
``p * (F(b) - F(a)) / (1 - p * F(a))`` (:func:`pending_prob`), each order independently.

Per cohort (group and order date) and simulation, the count of clean orders that become
defective is drawn exactly (:func:`binomial`: by inversion of the binomial CDF for the small
means, nearly all cells here), and each such defect gets its arrival day by inversion of the
arrival CDF. When the rate is estimated, each simulation also draws it from its posterior
``Beta(D + 1/2, n - D + 1/2)`` (:func:`rate_draws`). When a group would need more than
:data:`EVENT_CAP` simulated defects, :func:`normal_band` approximates instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "EVENT_CAP",
    "Cohorts",
    "Pending",
    "RateModel",
    "approx_var",
    "binomial",
    "cdf_at",
    "draw",
    "histogram",
    "monte_carlo",
    "normal_band",
    "pending_prob",
    "quantiles",
    "rate_draws",
]

EVENT_CAP = 3_000_000
"""Above this many expected simulated defects per group, the band is a normal approximation."""
_GUIDE = 128  # buckets of the arrival-day guide table (a power of two)


@dataclass(frozen=True)
class RateModel:
    """Per group: the defect rate, and whether (and how) to draw it per simulation.

    ``uncertain``: the rate is estimated from ``D`` defective of ``n`` matured orders, drawn from
    ``Beta(beta_a, beta_b) = Beta(D + 1/2, n - D + 1/2)``; groups with the same ``key`` (pooled
    over their account) share the draws. A given rate is the same in every simulation.
    """

    rate: np.ndarray
    uncertain: np.ndarray
    beta_a: np.ndarray
    beta_b: np.ndarray
    key: np.ndarray


def cdf_at(cdf: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``F(x)`` per group for integer ages ``x`` (any shape): 0 below 0, 1 past the table."""
    top = cdf.shape[1] - 2
    return cdf[:, np.clip(x, -1, top) + 1]


_INVERSION_MEAN = 16.0
"""Below this mean a binomial count is drawn by inversion in numpy (above: ``rng.binomial``)."""


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """One ``Binomial(n[i], p[i])`` count per element (1-D arrays of the same length).

    Exact in distribution: the small means (nearly all cells here) by inversion of the CDF,
    vectorised over the cells (one uniform each; the pmf is stepped with
    ``pmf(k + 1) = pmf(k) (n - k) / (k + 1) p / (1 - p)``, so the loop runs about
    ``max(mean + a few sd)`` times over ever fewer cells), the rest by ``rng.binomial``.
    """
    out = np.zeros(n.shape, np.int64)
    live = (n > 0) & (p > 0)
    mean = n * p
    big = live & ((mean >= _INVERSION_MEAN) | (p >= 1.0))
    if big.any():
        out[big] = rng.binomial(n[big], np.minimum(p[big], 1.0))
        live &= ~big
    index = np.flatnonzero(live)
    if not index.size:
        return out
    nn = n[index].astype(np.float64)
    pp = p[index]
    # u in [0, 1): the count is the first k with u < CDF(k); rest = u - CDF(k) while >= 0
    rest = rng.random(index.size)
    pmf = np.exp(nn * np.log1p(-pp))  # P(0) >= exp(-16 / (1 - p)) > 0: no underflow
    rest -= pmf
    odds = pp / (1.0 - pp)
    k = 0
    while index.size:
        # every cell still here has a count above k: keep the ones whose CDF is still short
        keep = np.flatnonzero(rest >= 0)
        index, nn, odds = index[keep], nn[keep], odds[keep]
        pmf, rest = pmf[keep], rest[keep]
        k += 1
        out[index] = k
        pmf *= (nn - (k - 1)) * odds / k
        rest -= pmf
        # at n the CDF is 1; a pmf rounded to 0 (far in the tail) means the CDF fell short of
        # u by rounding: stop there
        stop = (nn <= k) | (pmf <= 0)
        rest[stop] = -1.0
    return out


def rate_draws(
    rng: np.random.Generator, model: RateModel, n_sims: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group and simulation the defect rate (G, S), and its maximum per group.

    An estimated rate is drawn from ``Beta(D + 1/2, n - D + 1/2)``; groups pooled over their
    account share the draws. A given rate is the same in every simulation.
    """
    draws = np.repeat(model.rate[:, None], n_sims, axis=1)
    uncertain = np.flatnonzero(model.uncertain)
    if uncertain.size:
        keys, first = np.unique(model.key[uncertain], return_index=True)
        owner = uncertain[first]
        beta = rng.beta(
            model.beta_a[owner][:, None], model.beta_b[owner][:, None], (len(keys), n_sims)
        )
        draws[uncertain] = beta[np.searchsorted(keys, model.key[uncertain])]
    return draws, draws.max(axis=1, initial=0.0)


def pending_prob(p: np.ndarray, gain: np.ndarray, before: np.ndarray) -> np.ndarray:
    """``p * gain / (1 - p * before)``: P(a clean order becomes defective), 0 for 0/0."""
    denom = 1.0 - p * before
    shape = np.broadcast_shapes(np.shape(p), np.shape(gain), np.shape(before))
    return np.divide(p * gain, denom, out=np.zeros(shape), where=denom > 0)


@dataclass(frozen=True)
class Pending:
    """Cohorts of clean orders whose defects may still come, per group (arrays (G, C)).

    Each of the ``m`` clean orders of a cohort becomes defective within the span of interest
    with probability ``pending_prob(p, gain, before)``.
    """

    m: np.ndarray
    gain: np.ndarray
    before: np.ndarray


def draw(
    rng: np.random.Generator,
    pending: Pending,
    groups: np.ndarray,
    *,
    draws: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The defects to come of ``groups``, each simulation with its own rate (``draws``).

    Per group, cohort and simulation, the count of the cohort's ``m`` clean orders that become
    defective is ``Binomial(m, q(p_sim))`` (each order independently). Returns (index into
    ``groups``, cohort, simulation) per defect.
    """
    n_sims = draws.shape[1]
    m = pending.m[groups]
    # only cohorts with clean orders and a chance of a defect in the span
    local, cohort = np.nonzero((m > 0) & (pending.gain[groups] > 0))
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    chunk = max(1, 1_000_000 // n_sims)  # bounds the (cell, simulation) arrays
    for start in range(0, local.size, chunk):
        gl, c = local[start : start + chunk], cohort[start : start + chunk]
        g = groups[gl]
        q = pending_prob(draws[g], pending.gain[g, c][:, None], pending.before[g, c][:, None])
        trials = np.broadcast_to(m[gl, c][:, None], q.shape).ravel()
        counts = binomial(rng, trials, q.ravel())
        cell = np.repeat(np.arange(counts.size), counts)
        pair, sim = np.divmod(cell, n_sims)
        out.append((gl[pair], c[pair], sim))
    if not out:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return tuple(np.concatenate(x) for x in zip(*out, strict=True))  # type: ignore[return-value]


def histogram(values: np.ndarray) -> np.ndarray:
    """Counts of each value 0 .. max along the last axis of ``values`` (..., S) -> (..., top)."""
    top = int(values.max(initial=0)) + 1
    lead = values.shape[:-1]
    cells = int(np.prod(lead, dtype=np.int64))
    index = np.arange(cells).reshape(*lead, 1) * top + values
    return np.bincount(index.ravel(), minlength=cells * top).reshape(*lead, top)


def quantiles(hist: np.ndarray, n_sims: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverted-CDF quantiles (lower, upper) of the central ``level`` band, from histograms."""
    cum = np.cumsum(hist, axis=-1)
    alpha = (1.0 - level) / 2.0
    low = np.argmax(cum >= alpha * n_sims, axis=-1)
    high = np.argmax(cum >= (1.0 - alpha) * n_sims, axis=-1)
    return low, high


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF, element-wise (only for the rare very large groups)."""
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return np.asarray(0.5 * (1.0 + erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0))))


def normal_band(
    known: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    n: np.ndarray,
    *,
    level: float,
    target: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Band and P(rate >= target) when the count still to come is approximately normal."""
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = (known + np.maximum(mean - z * sd, 0.0)) / n
        high = (known + mean + z * sd) / n
        need = _needed(known, n, target)
        x = (need - 0.5 - mean) / np.where(sd > 0, sd, 1.0)
    prob = np.where(sd > 0, 1.0 - _normal_cdf(x), (mean >= need).astype(np.float64))
    return low, high, np.where(need <= 0, 1.0, prob)


def _needed(known: np.ndarray, n: np.ndarray, target: float) -> np.ndarray:
    """The fewest further defective orders x >= 0 with (known + x) / n >= target (float64)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.maximum(np.ceil(target * n - known), 0.0)
        x = np.where((x > 0) & ((known + x - 1) / n >= target), x - 1, x)
        return np.where((known + x) / n >= target, x, x + 1)


def approx_var(pending: Pending, p: np.ndarray, model: RateModel, groups: np.ndarray) -> np.ndarray:
    """Variance of the defects to come of ``groups``, summed over cohorts (axis 1).

    ``pending`` arrays are (G, C) or (G, C, H) (already restricted to ``groups``). The
    binomial variance plus, for an estimated rate, what its uncertainty adds (delta method).
    """
    m, gain, before = pending.m, pending.gain, pending.before
    pp = p.reshape((-1,) + (1,) * (gain.ndim - 1))
    q = pending_prob(pp, gain, before)
    var = (m * q * (1.0 - q)).sum(axis=1)
    denom = 1.0 - pp * before
    shape = np.broadcast_shapes(gain.shape, denom.shape)
    slope = np.divide(gain, denom**2, out=np.zeros(shape), where=denom > 0)
    d_mean = (m * slope).sum(axis=1)
    a, b = model.beta_a[groups], model.beta_b[groups]
    var_p = np.where(model.uncertain[groups], a * b / ((a + b) ** 2 * (a + b + 1.0)), 0.0)
    return var + d_mean**2 * var_p.reshape((-1,) + (1,) * (var.ndim - 1))


@dataclass(frozen=True)
class Cohorts:
    """The exact part of a projection for report days ``1 .. H`` after ``as_of``.

    Cohorts are the order dates ``as_of + o`` of every window in the horizon; a cohort is in
    the windows of days ``enter .. enter + W - 1`` and matters up to day ``last``.
    ``pending`` (G, C) spans up to ``last``; ``f_day`` (G, C, H) is ``F(d - o)``.
    """

    o: np.ndarray
    enter: np.ndarray
    last: np.ndarray
    window: np.ndarray
    order_count: np.ndarray
    known_defective: np.ndarray
    still: np.ndarray
    pending: Pending
    f_day: np.ndarray


@dataclass(frozen=True)
class _Arrival:
    """Per (group, cohort) row: the arrival-day CDF over days 1 .. H and its guide table."""

    table: np.ndarray  # (rows * H,) flat
    guide: np.ndarray  # (rows * _GUIDE,) flat
    horizon: int


def _arrival_table(path: Cohorts, groups: np.ndarray) -> _Arrival:
    """The inversion tables of :func:`_arrivals` for ``groups`` (rows: group x cohort).

    Given that it arrives in ``1 .. last[c]``, a defect of cohort ``c`` arrives by day ``t``
    with probability ``(F(t - o) - F(-o)) / gain``. A guide table (where each 1/128 of
    probability starts) makes the search O(1) on average.
    """
    horizon = path.f_day.shape[2]
    before = path.pending.before[groups][..., None]
    gain = path.pending.gain[groups][..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        table = np.minimum((path.f_day[groups] - before) / gain, 1.0)
    table[..., :] = np.where(np.arange(1, horizon + 1) >= path.last[:, None], 1.0, table)
    table = np.nan_to_num(table, nan=1.0).reshape(-1, horizon)
    rows = table.shape[0]
    # guide[r, k]: the first day whose CDF reaches k / 128, i.e. the count of days whose CDF
    # is below it: floor(128 * cdf) < k (exact: 128 * cdf is exact in binary floating point).
    bucket = np.minimum(np.floor(table * _GUIDE).astype(np.int64), _GUIDE) + 1
    below = np.bincount(
        (np.arange(rows)[:, None] * (_GUIDE + 2) + bucket).ravel(), minlength=rows * (_GUIDE + 2)
    )
    guide = np.cumsum(below.reshape(rows, _GUIDE + 2), axis=1)[:, :_GUIDE]
    # a defect never arrives on a day of probability 0 (e.g. before its order)
    np.maximum(guide, (table <= 0).sum(axis=1)[:, None], out=guide)
    return _Arrival(table=table.ravel(), guide=guide.ravel(), horizon=horizon)


def _arrivals(rng: np.random.Generator, arrival: _Arrival, row: np.ndarray) -> np.ndarray:
    """Report day (1 .. last) on which each drawn defect of table ``row`` arrives (inversion)."""
    if not row.size:
        return np.zeros(0, np.int64)
    horizon, flat = arrival.horizon, arrival.table
    u = rng.random(row.size)  # [0, 1): the day is the first whose CDF exceeds u
    # u >= k / 128 for k = floor(128 u), so the answer is at or after guide[r, k]
    day = arrival.guide[row * _GUIDE + (u * _GUIDE).astype(np.int64)]
    start = row * horizon
    need = np.flatnonzero(flat[start + day] <= u)
    while need.size:
        day[need] += 1
        need = need[flat[start[need] + day[need]] <= u[need]]
    return day + 1


_BLOCK_CELLS = 32_768
"""Cells (group x cohort x simulation) drawn at a time: small arrays, reused by the allocator
(fresh large arrays cost page faults)."""


def monte_carlo(
    rng: np.random.Generator,
    path: Cohorts,
    groups: np.ndarray,
    *,
    draws: np.ndarray,
    level: float,
    target: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Band and P(rate >= target) per day for ``groups``, from ``draws.shape[1]`` simulations.

    Per group, cohort and simulation the count of the cohort's clean orders that become
    defective is ``Binomial(m, q(p_sim))`` (each order independently); each such defect is
    given its arrival day and counts from max(arrival, the day its cohort enters the window)
    to the cohort's last day. A difference array per simulation turns the defects into daily
    counts, a histogram per day gives the quantiles. Simulations are drawn in blocks.
    """
    n_sims = draws.shape[1]
    horizon = path.f_day.shape[2]
    cohorts = path.o.size
    arrival = _arrival_table(path, groups)
    pending = path.pending
    m = pending.m[groups]
    local, cohort = np.nonzero((m > 0) & (pending.gain[groups] > 0))
    g = groups[local]
    trials = m[local, cohort][:, None]
    gain = pending.gain[g, cohort][:, None]
    before = pending.before[g, cohort][:, None]
    enter, last = path.enter[cohort], path.last[cohort] + 1
    table_row = local * cohorts + cohort
    width = horizon + 2
    block = max(1, _BLOCK_CELLS // max(1, local.size))
    hists: list[np.ndarray] = []
    for s0 in range(0, n_sims, block):
        b = min(block, n_sims - s0)
        q = pending_prob(draws[g, s0 : s0 + b], gain, before)
        counts = binomial(rng, np.broadcast_to(trials, q.shape).ravel(), q.ravel())
        pair, sim = np.divmod(np.repeat(np.arange(counts.size), counts), b)
        day = _arrivals(rng, arrival, table_row[pair])
        row = (local[pair] * b + sim) * width
        cells = groups.size * b * width
        steps = np.bincount(row + np.maximum(day, enter[pair]), minlength=cells)
        steps -= np.bincount(row + last[pair], minlength=cells)
        extra = np.cumsum(steps.reshape(groups.size, b, width), axis=2)
        hists.append(histogram(extra[:, :, 1 : horizon + 1].transpose(0, 2, 1)))
    top = max(h.shape[2] for h in hists)
    hist = np.zeros((groups.size, horizon, top), np.int64)
    for h in hists:
        hist[:, :, : h.shape[2]] += h
    lo_x, hi_x = quantiles(hist, n_sims, level)
    n = path.order_count[groups]
    k = path.known_defective[groups]
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = (k[..., None] + np.arange(hist.shape[2])) / n[..., None]
        prob = (hist * (rates >= target)).sum(axis=2) / n_sims
        return (k + lo_x) / n, (k + hi_x) / n, prob
