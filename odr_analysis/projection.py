"""Where the ODR is heading: the rate on each coming report date, with a band, under assumptions.

:func:`project` answers "what will Amazon show on each of the next days?" under stated
:class:`Assumptions` (orders per day, defect rate, extra clean orders), from what Amazon shows on
the report date ``as_of``. Defects arrive weeks after their order but are charged to the order's
date, so the model (for one group and one order-date cohort):

* every order is eventually defective with probability ``p`` (the matured rate,
  :func:`~odr_analysis.estimates.matured_defect_rate`), and its first counted defect arrives
  ``delay`` days after the order date, ``delay ~ F`` (the account's
  :func:`~odr_analysis.estimates.arrival_delays`, independent of ``p``);
* an order still clean on ``as_of`` at age ``a`` becomes defective by age ``b`` with
  probability ``p * (F(b) - F(a)) / (1 - p * F(a))``; each order independently;
* only what Amazon shows on ``as_of`` is known: an order counted defective on ``as_of`` stays
  defective, later defect rows in the data are ignored, and orders dated after ``as_of`` are
  replaced by the assumed new orders (``daily_orders`` a day from ``as_of + 1``);
* ``extra_clean_orders`` a day more from ``as_of + 1`` (e.g. a promotion's orders, or the
  panel's slider) are never defective: they only add to the orders of each window.

The expected path is exact; the band and the probability of being at or above the target come
from the Monte Carlo of :mod:`odr_analysis.sampler`. The known part of each future window (its
known orders and the orders already defective on ``as_of``) is the daily counter's
(:func:`~odr_analysis.daily.daily_path` on :func:`~odr_analysis.parts.known_on`).

Limits, on purpose: ``F`` is per account (all channels together; pooled over every account
below 20 mature defects) and ignores delays beyond ``max_delay``; the uncertainty of ``F`` is
not in the band; the report date's own orders count as known even if the export holds only
part of that day. The band is a central interval of a count, so when defects are rare it can
sit entirely on one value and leave out the (fractional) expected rate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import polars as pl

from odr_analysis import words
from odr_analysis.daily import in_windows
from odr_analysis.daily import rate as rate_of
from odr_analysis.estimates import (
    MATURED_DAYS,
    MATURED_MIN_AGE,
    MAX_DELAY,
    MIN_ORDERS,
    RECENT_DAYS,
    Base,
    around,
    delay_shares,
    floats,
    lookback_for,
    matured_rate,
    planned,
    recent_orders,
)
from odr_analysis.outlook import under_target
from odr_analysis.parts import OdrParts, as_parts
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.sampler import (
    EVENT_CAP,
    Cohorts,
    Pending,
    RateModel,
    approx_var,
    cdf_at,
    monte_carlo,
    normal_band,
    pending_prob,
    rate_draws,
)
from odr_analysis.schema import GROUP_KEYS, Frame

__all__ = ["Assumptions", "Projection", "project"]

# Key -> value pairs of an assumption: (((column, value), ...), number); () matches every group.
Entries: TypeAlias = tuple[tuple[tuple[tuple[str, str], ...], float], ...]
AssumptionValue: TypeAlias = "float | Mapping[Any, float] | pl.DataFrame | Entries | None"


def _pairs(value: object, name: str) -> list[tuple[tuple[tuple[str, str], ...], object]]:
    """(key, value) pairs of an assumption given as a number, a frame or a mapping."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [((), value)]
    if isinstance(value, pl.DataFrame | pl.LazyFrame):
        frame = value.lazy().collect()
        if name not in frame.columns:
            raise ValueError(f"{name} frame needs a column {name!r}; found {frame.columns}")
        keys = [k for k in GROUP_KEYS if k in frame.columns]
        if frame[name].null_count():
            row = frame.with_row_index("_row").filter(pl.col(name).is_null()).row(0, named=True)
            where = {k: row[k] for k in keys}
            raise ValueError(
                f"{name} frame has a null {name} at row {row['_row']} ({where}): "
                "give a number for every row"
            )
        return [
            (tuple((k, str(row[k])) for k in keys), row[name])
            for row in frame.select(*keys, name).iter_rows(named=True)
        ]
    if isinstance(value, tuple) and all(
        isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], tuple) for e in value
    ):
        return list(value)  # already normalised (e.g. passed back by dataclasses.replace)
    if isinstance(value, Mapping):
        pairs: list[tuple[tuple[tuple[str, str], ...], object]] = []
        for key, number in value.items():
            if isinstance(key, str):
                pairs.append(((("channel", key),), number))
            elif isinstance(key, tuple) and len(key) == len(GROUP_KEYS):
                pairs.append((tuple(zip(GROUP_KEYS, map(str, key), strict=True)), number))
            else:
                raise TypeError(
                    f"{name} keys must be a channel ('AFN', 'MFN') or an (account, marketplace, "
                    f"channel) tuple, got {key!r}"
                )
        return pairs
    raise TypeError(
        f"{name} must be None, a number, a mapping or a frame, got {type(value).__name__}"
    )


def _entries(value: object, name: str, *, upper: float | None) -> Entries | None:
    """Normalise a number, a mapping or a frame to hashable, comparable :data:`Entries`."""
    if value is None:
        return None
    out = []
    for key, number in _pairs(value, name):
        where = dict(key) or "every group"
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise TypeError(f"{name} for {where} must be a number, got {number!r}")
        x = float(number)
        if not math.isfinite(x) or x < 0 or (upper is not None and x > upper):
            bound = f"between 0 and {upper:g}" if upper is not None else ">= 0"
            raise ValueError(f"{name} for {where} must be {bound}, got {x!r}")
        out.append((tuple(key), x))
    return tuple(sorted(out))


@dataclass(frozen=True)
class Assumptions:
    """What the projection assumes; a value that can be compared, stored and described.

    Attributes
    ----------
    daily_orders
        New orders a day from ``as_of + 1`` on. ``None``: each group's recent average
        (:func:`recent_daily_orders`). A number: every group. A mapping by channel
        (``{"AFN": 40, "MFN": 6.5}``) or by ``(account, marketplace, channel)``, or a frame with
        some of the group keys and a ``daily_orders`` column: the most specific match applies,
        groups without a match use the recent average.
    defect_rate
        Share of orders that end up defective. ``None``: the matured rate
        (:func:`matured_defect_rate`), drawn from its posterior in each simulation. Given values
        (same forms as ``daily_orders``, column ``defect_rate``) are taken as exact.
    horizon
        Report dates ``as_of + 1 .. as_of + horizon`` (days).
    n_sims, seed
        Monte Carlo simulations and the seed: the same seed gives the same numbers. The
        default, 500, is what the what-if panel uses behind its sliders (its speed and the
        Monte Carlo error it leaves are measured in ``benchmarks/README.md``); the reports
        use 2,000.
    level
        The band's coverage: 0.9 is the 5th to 95th percentile.
    arrival_delay
        ``None``: defects arrive as in the account's history (:func:`arrival_delays`). A number
        ``k``: every defect arrives exactly ``k`` days after its order (0 = at once).
    extra_clean_orders
        Orders a day more, from ``as_of + 1`` on, that are never defective (default 0): a
        number for every group, or a mapping or a frame (column ``extra_clean_orders``) as for
        ``daily_orders``; groups without a match get none. A fractional number becomes whole
        orders as in :func:`future_orders`, separately from ``daily_orders``, so with whole
        numbers the orders of a day are those of ``daily_orders + extra_clean_orders``. Stored
        as ``()`` when every value is 0.

    Examples
    --------
    >>> for part in Assumptions().describe().split(", "):
    ...     print(part)
    the average orders a day of the last 28 days
    the matured defect rate (orders 90-149 days old)
    defects arriving as in the account history
    90 days
    500 simulations
    90% band
    seed 0
    >>> Assumptions(daily_orders={"AFN": 40, "MFN": 6.5}, defect_rate=0.004).describe()[:58]
    'AFN 40.0, MFN 6.5 orders a day (others: default), 0.40% of'
    >>> Assumptions(daily_orders=12) == Assumptions(daily_orders=12.0)
    True
    >>> Assumptions(daily_orders=6.5, extra_clean_orders=5).describe().split(", ")[0]
    '6.5 orders a day + 5 extra clean orders a day'
    >>> Assumptions(extra_clean_orders=0) == Assumptions(extra_clean_orders={"MFN": 0})
    True
    """

    daily_orders: AssumptionValue = None
    defect_rate: AssumptionValue = None
    horizon: int = 90
    n_sims: int = 500
    seed: int = 0
    level: float = 0.9
    arrival_delay: int | None = None
    extra_clean_orders: AssumptionValue = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "daily_orders", _entries(self.daily_orders, "daily_orders", upper=None))
        set_(self, "defect_rate", _entries(self.defect_rate, "defect_rate", upper=1.0))
        extra = _entries(self.extra_clean_orders, "extra_clean_orders", upper=None) or ()
        # none at all, however written (0, None, {"MFN": 0}): one value, so they compare equal
        set_(self, "extra_clean_orders", () if all(x == 0 for _, x in extra) else extra)
        for name, low in (("horizon", 1), ("n_sims", 1), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.horizon > 3660:
            raise ValueError(f"horizon must be at most 3660, got {self.horizon}")
        if not isinstance(self.level, int | float) or not 0 < self.level < 1:
            raise ValueError(f"level must be a fraction between 0 and 1, got {self.level!r}")
        delay = self.arrival_delay
        if delay is not None and (
            isinstance(delay, bool) or not isinstance(delay, int) or delay < 0
        ):
            raise ValueError(f"arrival_delay must be None or an integer >= 0, got {delay!r}")

    def describe(self) -> str:
        """The assumptions in one line of words (:func:`odr_analysis.words.assumptions`)."""
        return words.assumptions(
            daily_orders=self.daily_orders,  # type: ignore[arg-type]
            defect_rate=self.defect_rate,  # type: ignore[arg-type]
            extra_clean_orders=self.extra_clean_orders,  # type: ignore[arg-type]
            arrival_delay=self.arrival_delay,
            horizon=self.horizon,
            n_sims=self.n_sims,
            level=self.level,
            seed=self.seed,
        )


@dataclass(frozen=True)
class _Inputs:
    """The assumptions resolved per group, with where each number comes from."""

    daily: np.ndarray
    daily_sources: list[str]
    extra: np.ndarray  # clean orders a day more: never defective
    model: RateModel
    rate_sources: list[str]
    cdf: np.ndarray  # (G, max_delay + 2), F at -1 .. max_delay
    arrival_sources: list[str]


def _lookup(base: Base, entries: Entries | None, name: str) -> list[float | None]:
    """Per group, the most specific matching entry's value (None: no entry matches)."""
    if entries is None:
        return [None] * base.size
    out: list[float | None] = []
    for row in base.groups.iter_rows(named=True):
        best: tuple[int, float] | None = None
        for key, value in entries:
            if all(str(row[col]) == v for col, v in key):
                if best is not None and best[0] == len(key) and best[1] != value:
                    raise ValueError(f"{name}: two entries match {row} with different values")
                if best is None or len(key) > best[0]:
                    best = (len(key), value)
        out.append(None if best is None else best[1])
    return out


def _resolve(base: Base, a: Assumptions) -> _Inputs:
    recent, _, recent_sources = recent_orders(base, RECENT_DAYS)
    given_daily = _lookup(base, a.daily_orders, "daily_orders")  # type: ignore[arg-type]
    daily = np.array([r if g is None else g for g, r in zip(given_daily, recent, strict=True)])
    daily_sources = [
        s if g is None else words.ASSUMED for g, s in zip(given_daily, recent_sources, strict=True)
    ]
    given_extra = _lookup(base, a.extra_clean_orders, "extra_clean_orders")  # type: ignore[arg-type]
    extra = np.array([0.0 if g is None else g for g in given_extra], dtype=np.float64)
    matured = matured_rate(base, MIN_ORDERS)
    given_rate = _lookup(base, a.defect_rate, "defect_rate")  # type: ignore[arg-type]
    uncertain = np.array([g is None for g in given_rate], dtype=bool)
    rate = np.array([m if g is None else g for g, m in zip(given_rate, matured.rate, strict=True)])
    rate_sources = [
        s if g is None else words.ASSUMED for g, s in zip(given_rate, matured.sources, strict=True)
    ]
    missing = np.isnan(rate)
    if missing.any():
        who = base.groups.filter(pl.Series(missing)).rows()
        raise ValueError(
            f"no order {MATURED_MIN_AGE}-{MATURED_MIN_AGE + MATURED_DAYS - 1} days old for "
            f"{who}, so there is no matured defect rate: pass Assumptions(defect_rate=...)"
        )
    if a.arrival_delay is None:
        delays = delay_shares(base, MAX_DELAY)
        cdf = delays.padded_cdf()[base.account]
        arrival_sources = [delays.sources[i] for i in base.account.tolist()]
    else:
        k = a.arrival_delay
        cdf = np.ones((base.size, k + 2))
        cdf[:, : k + 1] = 0.0
        arrival_sources = [words.arrival_fixed(k)] * base.size
    model = RateModel(
        rate=rate,
        uncertain=uncertain,
        beta_a=matured.d + 0.5,
        beta_b=matured.n - matured.d + 0.5,
        key=matured.key,
    )
    return _Inputs(
        daily=daily,
        daily_sources=daily_sources,
        extra=extra,
        model=model,
        rate_sources=rate_sources,
        cdf=cdf,
        arrival_sources=arrival_sources,
    )


def _cohorts(base: Base, inputs: _Inputs, horizon: int) -> Cohorts:
    """The cohorts of every window of report days ``as_of + 1 .. as_of + horizon``, exactly."""
    rules = base.rules
    o = np.arange(rules.order_days(1)[0], rules.order_days(horizon)[1] + 1)
    d = np.arange(1, horizon + 1)
    known = o <= 0
    n_o = np.zeros((base.size, o.size), np.int64)
    n_o[:, known] = base.orders[:, base.lookback + o[known]]
    n_o[:, ~known] = planned(inputs.daily, o[~known])
    d_o = np.zeros_like(n_o)
    d_o[:, known] = base.defective[:, base.lookback + o[known]]
    # the extra clean orders, whole orders rounded on their own: in the windows, never pending
    clean = np.zeros_like(n_o)
    clean[:, ~known] = planned(inputs.extra, o[~known])
    enter, exits = rules.report_days(o)
    last = np.minimum(exits, horizon)
    window = ((enter[:, None] <= d[None, :]) & (d[None, :] <= last[:, None])).astype(np.int64)
    f_now = cdf_at(inputs.cdf, -o)
    f_day = cdf_at(inputs.cdf, d[None, :] - o[:, None])
    m = n_o - d_o
    # expected defects to come counted on day d: clean orders x P(arrive in 1 .. d)
    q_day = pending_prob(
        inputs.model.rate[:, None, None], f_day - f_now[..., None], f_now[..., None]
    )
    still = np.einsum("gc,gcd,cd->gd", m.astype(np.float64), q_day, window.astype(np.float64))
    gain = cdf_at(inputs.cdf, last - o) - f_now
    return Cohorts(
        o=o,
        enter=enter,
        last=last,
        window=window,
        order_count=in_windows(n_o + clean, int(o[0]), 1, horizon, rules),
        known_defective=in_windows(d_o, int(o[0]), 1, horizon, rules),
        still=still,
        pending=Pending(m=m, gain=gain, before=f_now),
        f_day=f_day,
    )


def project(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
    assumptions: Assumptions = Assumptions(),
) -> Projection:
    """The rate on each report date ``as_of + 1 .. as_of + horizon`` under ``assumptions``.

    The window of a future report date ``d`` holds (a) the known orders (order date up to
    ``as_of``) with the defects counted on ``as_of``, (b) the defects still to come on those
    orders, counted by ``d`` only if they arrive by ``d`` (probability
    ``p * (F(d - od) - F(as_of - od)) / (1 - p * F(as_of - od))`` for a clean order of date
    ``od``), (c) the assumed new orders of ``as_of + 1 .. d - lag``, each defective with
    probability ``p`` and counted by ``d`` if it arrives by ``d`` (``p * F(d - od)``), and
    (d) the extra clean orders of ``as_of + 1 .. d - lag``, never defective: they add only to
    ``order_count``, so every rate, the band and the probability are of the larger count.
    ``expected_rate`` is exact; ``low`` / ``high`` and ``prob_at_or_above_target`` come from
    ``n_sims`` seeded simulations (rates compared with the target as the engine does: the
    target is met only strictly below it).

    ``orders`` and ``defects`` are the canonical frames, or ``orders`` is the
    :class:`~odr_analysis.parts.OdrParts` prepared from them (then leave out ``defects``): pass
    the parts (``prepare`` once) for speed, the projection then never rescans the orders.
    ``first_under`` says when the expected rate is under the target
    (:func:`~odr_analysis.outlook.under_target`; in words: :func:`odr_analysis.words.outlook`).

    Examples
    --------
    One order of 2024-01-01 with a chargeback and 99 clean ones; no new order and no defect to
    come: the rate stays 1/100 (not under the 1% target) until the orders leave the window on
    2024-03-15, when the window is empty.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": [f"o{i}" for i in range(100)], "order_date": dt.date(2024, 1, 1)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o1", "kind": "chargeback",
    ...     "event_date": dt.date(2024, 1, 20), "status": "service", "rating": None})
    >>> p = project(orders, defects, as_of="2024-02-01",
    ...             assumptions=Assumptions(daily_orders=0, defect_rate=0, horizon=60))
    >>> p.daily.filter(pl.col("as_of").is_in([dt.date(2024, 3, 14), dt.date(2024, 3, 15)])
    ...        ).select("as_of", "order_count", "expected_rate", "low", "high")
    shape: (2, 5)
    ┌────────────┬─────────────┬───────────────┬──────┬──────┐
    │ as_of      ┆ order_count ┆ expected_rate ┆ low  ┆ high │
    │ ---        ┆ ---         ┆ ---           ┆ ---  ┆ ---  │
    │ date       ┆ i64         ┆ f64           ┆ f64  ┆ f64  │
    ╞════════════╪═════════════╪═══════════════╪══════╪══════╡
    │ 2024-03-14 ┆ 100         ┆ 0.01          ┆ 0.01 ┆ 0.01 │
    │ 2024-03-15 ┆ 0           ┆ null          ┆ null ┆ null │
    └────────────┴─────────────┴───────────────┴──────┴──────┘
    >>> p.first_under["first_under"].item() is None
    True
    """
    if not isinstance(assumptions, Assumptions):
        raise TypeError(f"assumptions must be Assumptions, got {type(assumptions).__name__}")
    parts = as_parts(orders, defects, rules=rules)
    day = to_date(as_of, "as_of")
    a = assumptions
    target, horizon, n_sims = parts.rules.target, a.horizon, a.n_sims
    base = around(parts, day, lookback_for(parts.rules, RECENT_DAYS))
    inputs = _resolve(base, a)
    path = _cohorts(base, inputs, horizon)

    rng = np.random.default_rng(a.seed)
    draws, p_max = rate_draws(rng, inputs.model, n_sims)
    pending = path.pending
    heavy = (pending.m * pending_prob(p_max[:, None], pending.gain, pending.before)).sum(axis=1)
    heavy = heavy * n_sims > EVENT_CAP
    low, high, prob = (np.full((base.size, horizon), np.nan) for _ in range(3))
    simulate = np.flatnonzero(~heavy)
    chunk = max(1, 4_000_000 // (n_sims * (horizon + 2)))  # bounds the per-simulation arrays
    for start in range(0, simulate.size, chunk):
        groups = simulate[start : start + chunk]
        band = monte_carlo(rng, path, groups, draws=draws, level=a.level, target=target)
        low[groups], high[groups], prob[groups] = band
    normal = np.flatnonzero(heavy)
    if normal.size:
        window = path.window[None, :, :]
        sub = Pending(
            m=pending.m[normal][..., None] * window,
            gain=path.f_day[normal] - pending.before[normal][..., None],
            before=pending.before[normal][..., None],
        )
        var = approx_var(sub, inputs.model.rate[normal], inputs.model, normal)
        low[normal], high[normal], prob[normal] = normal_band(
            path.known_defective[normal],
            path.still[normal],
            var,
            path.order_count[normal],
            level=a.level,
            target=target,
        )
    empty = path.order_count == 0
    low[empty] = high[empty] = prob[empty] = np.nan
    methods = [
        words.method_normal(path.still[i].max(initial=0), "to come")
        if heavy[i]
        else words.method_monte_carlo(n_sims)
        for i in range(base.size)
    ]
    expected = path.known_defective + path.still
    rate = np.divide(expected, path.order_count, out=np.full(expected.shape, np.nan), where=~empty)
    n_rows = base.size * horizon
    with np.errstate(invalid="ignore"):
        meets = pl.Series("expected_meets_target", rate.ravel() < target)
    keys = [
        pl.Series(k, np.repeat(base.groups[k].to_numpy(), horizon), dtype=base.groups.schema[k])
        for k in base.keys
    ]
    daily = pl.DataFrame(keys).hstack(
        [
            pl.Series("as_of", np.tile(day_number(day) + np.arange(1, horizon + 1), base.size))
            .cast(pl.Int32)
            .cast(pl.Date),
            pl.Series("order_count", path.order_count.ravel(), dtype=pl.Int64),
            pl.Series("known_defective", path.known_defective.ravel(), dtype=pl.Int64),
            floats(expected, "expected_defective"),
            floats(rate, "expected_rate"),
            floats(low, "low"),
            floats(high, "high"),
            floats(prob, "prob_at_or_above_target"),
            pl.Series("target", np.full(n_rows, target)),
            meets.set(pl.Series(empty.ravel()), None) if n_rows else meets,
        ]
    )
    # today's rate: the known orders and defective orders in today's window
    n_now, d_now = (
        in_windows(x, -base.lookback, 0, 0, base.rules)[:, 0] for x in (base.orders, base.defective)
    )
    today = base.groups.with_columns(rate_today=floats(rate_of(d_now, n_now)))
    return Projection(
        as_of=day,
        assumptions=a,
        rules=parts.rules,
        inputs=_inputs_frame(base, inputs, methods),
        daily=daily,
        first_under=under_target(daily, today, as_of=day, target=target, keys=base.keys),
    )


def _inputs_frame(base: Base, inputs: _Inputs, methods: list[str]) -> pl.DataFrame:
    return base.groups.hstack(
        [
            pl.Series("daily_orders", inputs.daily, dtype=pl.Float64),
            pl.Series("daily_orders_source", inputs.daily_sources, dtype=pl.String),
            pl.Series("extra_clean_orders", inputs.extra, dtype=pl.Float64),
            pl.Series("defect_rate", inputs.model.rate, dtype=pl.Float64),
            pl.Series("defect_rate_source", inputs.rate_sources, dtype=pl.String),
            pl.Series("rate_uncertain", inputs.model.uncertain, dtype=pl.Boolean),
            pl.Series("arrival_source", inputs.arrival_sources, dtype=pl.String),
            pl.Series("method", methods, dtype=pl.String),
        ]
    )


@dataclass(frozen=True, eq=False)
class Projection:
    """The projected rate for each of the next days; see :func:`project`.

    ``daily``: one row per group and future report date (``as_of``): ``order_count`` (orders
    in that window: known ones plus the assumed new ones and the extra clean ones),
    ``known_defective`` (orders of that
    window already defective on the projection's ``as_of``), ``expected_defective`` (those plus
    the defects expected to arrive by that day), ``expected_rate`` (null without
    orders), ``low`` / ``high`` (the band), ``prob_at_or_above_target``, ``target`` and
    ``expected_meets_target``. ``first_under``: one row per group: ``rate_today``, and when the
    expected rate is under the target (:func:`~odr_analysis.outlook.under_target`):
    ``first_under`` (null if never in the horizon), ``days_until_under``, ``stays_under_from``
    (from then to the horizon's end), ``first_over``, ``back_over`` and ``empty_from``; in words:
    :func:`odr_analysis.words.outlook`. ``inputs``: the assumptions per group
    (``daily_orders``, ``extra_clean_orders``, ``defect_rate``, ...), with their sources.
    """

    as_of: dt.date
    assumptions: Assumptions
    rules: OdrRules
    inputs: pl.DataFrame
    daily: pl.DataFrame
    first_under: pl.DataFrame

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Projection):
            return NotImplemented
        return (
            (self.as_of, self.assumptions, self.rules)
            == (other.as_of, other.assumptions, other.rules)
            and self.inputs.equals(other.inputs)
            and self.daily.equals(other.daily)
            and self.first_under.equals(other.first_under)
        )

    __hash__ = None  # type: ignore[assignment]

    def describe(self) -> str:
        """One line: per group, the assumptions in numbers and the answer."""
        return words.projection(self)

    @property
    def keys(self) -> tuple[str, ...]:
        """The group key columns."""
        return tuple(c for c in self.inputs.columns if c not in _INPUT_COLUMNS)


_INPUT_COLUMNS = (
    "daily_orders",
    "daily_orders_source",
    "extra_clean_orders",
    "defect_rate",
    "defect_rate_source",
    "rate_uncertain",
    "arrival_source",
    "method",
)
