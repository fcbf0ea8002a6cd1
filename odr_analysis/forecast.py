"""Where the ODR is heading: default assumptions, arrival delays, maturity and the projection.

Defects arrive weeks after their order but are charged to the order's date, so the rate shown on
a report date is still incomplete for its recent orders. This module answers two questions:

* :func:`maturity`: what the current window's rate will be once every defect of its orders has
  arrived (Bornhuetter-Ferguson: reported defects plus the defects still expected on the clean
  orders, given the account's matured defect rate and its own arrival-delay distribution);
* :func:`project`: the rate on each of the next days, with a band and the probability of being
  at or above the target, under stated :class:`Assumptions` (orders per day, defect rate).

The defaults every what-if module shares live here too: :func:`recent_daily_orders` (mean orders
per day of the last 28 days), :func:`matured_defect_rate` (defective share of the orders 90-149
days old, pooled over the account when a channel has fewer than 200 such orders),
:func:`arrival_delays` and :func:`future_orders` (a fractional daily mean as whole orders).

The model, for one group (account, marketplace, channel) and one order-date cohort:

* every order is eventually defective with probability ``p`` (the matured rate), and its first
  counted defect arrives ``delay`` days after the order date, ``delay ~ F`` (the account's
  empirical distribution, independent of ``p``);
* an order still clean on report date ``as_of`` at age ``a`` becomes defective by age ``b`` with
  probability ``p * (F(b) - F(a)) / (1 - p * F(a))``; each order independently;
* only what Amazon shows on ``as_of`` is known: an order counted defective on ``as_of`` stays
  defective, later defect rows in the data are ignored, and orders dated after ``as_of`` are
  replaced by the assumed new orders (``daily_orders`` a day from ``as_of + 1``);
* ``extra_clean_orders`` a day more from ``as_of + 1`` (e.g. a promotion's orders, or the
  panel's slider) are never defective: they only add to the orders of each window, so they
  lower the expected rate, the band and the probability of being at or above the target.

The band is a Monte Carlo over that model (numpy, seeded): the defects still to come are drawn
per cohort and simulation, exactly (binomial counts by inversion of their CDF, arrival days by
inversion). When the defect rate is estimated from the data (the default), each simulation also
draws it from its posterior, ``Beta(D + 1/2, n - D + 1/2)`` for ``D`` defective of ``n`` matured
orders, so the band includes how uncertain that rate is; a rate given in :class:`Assumptions` is
taken as exact. The expected path is computed exactly (not simulated) with the point estimate.
When a group would need more than a few million simulated defects, its band uses a normal
approximation instead (said in the ``method`` column).

Limits, on purpose: ``F`` is per account (all channels together; pooled over every account
below 20 mature defects) and ignores delays beyond ``max_delay``; the uncertainty of ``F`` is
not in the band; the report date's own orders count as known even if the export holds only
part of that day. The band is a central interval of a count, so when defects are rare it can
sit entirely on one value and leave out the (fractional) expected rate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, TypeAlias

import numpy as np
import polars as pl

from odr_analysis.engine import GROUP_KEYS, OdrParts, prepare
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import Frame, empty_defects

__all__ = [
    "MATURED_DAYS",
    "MATURED_MIN_AGE",
    "MAX_DELAY",
    "MIN_DELAY_DEFECTS",
    "MIN_ORDERS",
    "RECENT_DAYS",
    "Assumptions",
    "Projection",
    "arrival_delays",
    "future_orders",
    "matured_defect_rate",
    "maturity",
    "project",
    "recent_daily_orders",
]

RECENT_DAYS = 28
"""Default days averaged for the orders a day: order dates ``as_of - 28 .. as_of - 1``."""
MATURED_MIN_AGE = 90
"""Orders at least this old on the report date count as matured (Amazon: 90 days)."""
MATURED_DAYS = 60
"""Order dates in the matured cohort: ``as_of - 149 .. as_of - 90``."""
MIN_ORDERS = 200
"""Fewer matured orders than this in a channel: pool the account's channels."""
MAX_DELAY = 120
"""Arrival delays are estimated from order dates at least this many days before ``as_of``."""
MIN_DELAY_DEFECTS = 20
"""Fewer such defects than this in an account: pool every account in the data."""
EVENT_CAP = 3_000_000
"""Above this many expected simulated defects per group, the band is a normal approximation."""

_NO_ORDERS = 2**30  # first order date (relative to as_of) of a group with none on or before it
_GUIDE = 128  # buckets of the arrival-day guide table (a power of two)

# Key -> value pairs of an assumption: (((column, value), ...), number); () matches every group.
Entries: TypeAlias = tuple[tuple[tuple[tuple[str, str], ...], float], ...]
AssumptionValue: TypeAlias = "float | Mapping[Any, float] | pl.DataFrame | Entries | None"


# ---------------------------------------------------------------------------------------------
# Assumptions


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


def _entries_text(entries: Entries | None, fmt: str, unit: str, default: str) -> str:
    if entries is None:
        return default
    if len(entries) == 1 and not entries[0][0]:
        return f"{entries[0][1]:{fmt}} {unit}"
    values = ", ".join(" ".join(v for _, v in key) + f" {x:{fmt}}" for key, x in entries)
    return f"{values} {unit} (others: default)"


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
    horizon_days
        Report dates ``as_of + 1 .. as_of + horizon_days``.
    n_sims, seed
        Monte Carlo simulations and the seed: the same seed gives the same numbers. The
        default, 500, keeps a 90-day projection of a 200,000-order account fast enough for a
        slider (the Monte Carlo error is then about 2 points on a probability and about 1.5
        defective orders on a band edge); pass 2,000 for a report.
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
    horizon_days: int = 90
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
        for name, low in (("horizon_days", 1), ("n_sims", 1), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.horizon_days > 3660:
            raise ValueError(f"horizon_days must be at most 3660, got {self.horizon_days}")
        if not isinstance(self.level, int | float) or not 0 < self.level < 1:
            raise ValueError(f"level must be a fraction between 0 and 1, got {self.level!r}")
        delay = self.arrival_delay
        if delay is not None and (
            isinstance(delay, bool) or not isinstance(delay, int) or delay < 0
        ):
            raise ValueError(f"arrival_delay must be None or an integer >= 0, got {delay!r}")

    def describe(self) -> str:
        """The assumptions in one line of words."""
        orders = _entries_text(
            self.daily_orders,  # type: ignore[arg-type]
            ",.1f",
            "orders a day",
            f"the average orders a day of the last {RECENT_DAYS} days",
        )
        rate = _entries_text(
            self.defect_rate,  # type: ignore[arg-type]
            ".2%",
            "of orders defective",
            f"the matured defect rate (orders {MATURED_MIN_AGE}-"
            f"{MATURED_MIN_AGE + MATURED_DAYS - 1} days old)",
        )
        arrival = (
            "defects arriving as in the account history"
            if self.arrival_delay is None
            else f"every defect arriving {_days_text(self.arrival_delay)} after its order"
        )
        if self.extra_clean_orders:
            orders += " + " + _extra_text(self.extra_clean_orders)  # type: ignore[arg-type]
        return (
            f"{orders}, {rate}, {arrival}, {self.horizon_days} days, {self.n_sims:,} simulations, "
            f"{self.level:.0%} band, seed {self.seed}"
        )


def _days_text(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _number_text(x: float) -> str:
    """``5.0`` -> ``5``, ``2.5`` -> ``2.5``, ``1234.0`` -> ``1,234``."""
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _extra_text(entries: Entries) -> str:
    """``5 extra clean orders a day``, or per group: ``MFN 5 extra clean ... (others: none)``."""
    unit = "extra clean orders a day"
    if len(entries) == 1 and not entries[0][0]:
        return f"{_number_text(entries[0][1])} {unit}"
    values = ", ".join(" ".join(v for _, v in key) + f" {_number_text(x)}" for key, x in entries)
    return f"{values} {unit} (others: none)"


# ---------------------------------------------------------------------------------------------
# The numpy view of OdrParts around a report date


@dataclass(frozen=True)
class _Base:
    """Per group, the orders and the orders defective on ``as_of``, by order date.

    Arrays are indexed ``[group, lookback + o]`` for order dates ``as_of + o``,
    ``o = -lookback .. 0``. ``d_*`` describe every order defective on ``as_of`` (any age).
    """

    as_of: dt.date
    rules: OdrRules
    keys: list[str]
    groups: pl.DataFrame
    account: np.ndarray
    accounts: list[str]
    lookback: int
    orders: np.ndarray
    defective: np.ndarray
    first: np.ndarray
    d_account: np.ndarray
    d_age: np.ndarray
    d_delay: np.ndarray

    @property
    def size(self) -> int:
        return self.groups.height

    def cohort(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Orders and defective orders summed over the order dates ``as_of + first .. last``."""
        cols = slice(self.lookback + first, self.lookback + last + 1)
        return self.orders[:, cols].sum(axis=1), self.defective[:, cols].sum(axis=1)


def _as_parts(data: Frame | OdrParts, defects: Frame | None, rules: OdrRules | None) -> OdrParts:
    if isinstance(data, OdrParts):
        if defects is not None:
            raise TypeError("pass either OdrParts alone or the orders and defects frames")
        if rules is not None and rules != data.rules:
            raise ValueError("rules differ from the rules the OdrParts were prepared with")
        return data
    if defects is None:
        raise TypeError("defects is required when orders is a frame (or pass OdrParts)")
    return prepare(data, defects, rules=rules if rules is not None else OdrRules())


_ORDER_CACHE: OrderedDict[tuple[int, int, int], tuple[Any, ...]] = OrderedDict()
_ORDER_CACHE_SIZE = 8


def _order_arrays(
    parts: OdrParts, day0: int, lookback: int
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The groups (with ``_g``, ``_a``), orders per group and date, and each first order date.

    These depend on ``parts.order_counts`` only, which a removal scenario never replaces: a
    small LRU keyed on that frame's identity (the entry holds the frame, so the identity
    cannot be reused while cached) spares a slider the rescan. The arrays are read-only.
    """
    key = (id(parts.order_counts), day0, lookback)
    hit = _ORDER_CACHE.get(key)
    if hit is not None and hit[0] is parts.order_counts and hit[1] == parts.keys:
        _ORDER_CACHE.move_to_end(key)
        return hit[2], hit[3], hit[4]
    keys = list(parts.keys)
    indexed = (
        parts.order_counts.lazy()
        .select(keys)
        .unique()
        .sort(keys)
        .with_columns(
            _g=pl.int_range(pl.len(), dtype=pl.Int64),
            _a=pl.col("account").rank("dense").cast(pl.Int64) - 1,
        )
    )
    counts = (
        parts.order_counts.lazy()
        .join(indexed.select(*keys, "_g"), on=keys)
        .select("_g", rel=pl.col("order_date").cast(pl.Int64) - day0, n="orders")
    )
    indexed_df, counts_df = pl.collect_all([indexed, counts])
    size = indexed_df.height
    g, rel, n = (counts_df[c].to_numpy() for c in ("_g", "rel", "n"))
    orders = np.zeros((size, lookback + 1), np.int64)
    inside = (rel >= -lookback) & (rel <= 0)
    np.add.at(orders, (g[inside], rel[inside] + lookback), n[inside])
    first = np.full(size, _NO_ORDERS, np.int64)
    np.minimum.at(first, g, rel)
    orders.flags.writeable = first.flags.writeable = False
    _ORDER_CACHE[key] = (parts.order_counts, parts.keys, indexed_df, orders, first)
    while len(_ORDER_CACHE) > _ORDER_CACHE_SIZE:
        _ORDER_CACHE.popitem(last=False)
    return indexed_df, orders, first


def _base(parts: OdrParts, as_of: dt.date, lookback: int) -> _Base:
    keys = list(parts.keys)
    day0 = day_number(as_of)
    indexed_df, orders, first = _order_arrays(parts, day0, lookback)
    day = pl.lit(as_of)
    spans_df = (
        parts.defect_spans.lazy()
        .filter((pl.col("counted_from") <= day) & (pl.col("order_date") <= day))
        .group_by(*keys, "order_id", "order_date")
        .agg(
            first=pl.col("counted_from").min(),
            now=(pl.col("counted_until").is_null() | (pl.col("counted_until") >= day)).any(),
        )
        .filter(pl.col("now"))
        .join(indexed_df.lazy().select(*keys, "_g", "_a"), on=keys)
        .select(
            "_g",
            "_a",
            age=day0 - pl.col("order_date").cast(pl.Int64),
            delay=(pl.col("first").cast(pl.Int64) - pl.col("order_date").cast(pl.Int64)).clip(0),
        )
        .collect()
    )
    dg, d_account, d_age, d_delay = (spans_df[c].to_numpy() for c in ("_g", "_a", "age", "delay"))
    defective = np.zeros(orders.shape, np.int64)
    near = d_age <= lookback
    np.add.at(defective, (dg[near], lookback - d_age[near]), 1)
    return _Base(
        as_of=as_of,
        rules=parts.rules,
        keys=keys,
        groups=indexed_df.select(keys),
        account=indexed_df["_a"].to_numpy(),
        accounts=sorted(set(indexed_df["account"].to_list())),
        lookback=lookback,
        orders=orders,
        defective=defective,
        first=first,
        d_account=d_account,
        d_age=d_age,
        d_delay=d_delay,
    )


def _lookback(rules: OdrRules, *extra: int) -> int:
    return max(MATURED_MIN_AGE + MATURED_DAYS - 1, rules.lag_days + rules.window_days - 1, *extra)


# ---------------------------------------------------------------------------------------------
# The defaults: recent orders a day, matured defect rate, arrival delays


def _recent(base: _Base, days: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Mean orders a day over ``as_of - days .. as_of - 1`` (from the group's first order on)."""
    total, _ = base.cohort(-days, -1)
    start = np.maximum(-days, base.first)
    covered = np.clip(-start, 0, days)
    rate = np.divide(total, covered, out=np.zeros(base.size), where=covered > 0)
    sources = []
    for covered_days, first in zip(covered.tolist(), base.first.tolist(), strict=True):
        if covered_days == days:
            sources.append(f"average of the last {days} days")
        elif covered_days > 0:
            since = base.as_of + dt.timedelta(days=first)
            sources.append(
                f"average of the {_days_text(covered_days)} since the first order on {since}"
            )
        else:
            sources.append("no order before the report date")
    return rate, covered, sources


def recent_daily_orders(
    orders: Frame | OdrParts, *, as_of: dt.date | str, days: int = RECENT_DAYS
) -> pl.DataFrame:
    """Mean orders a day per group over the order dates ``as_of - days .. as_of - 1``.

    The report date itself is left out (its orders are usually not all in yet). A group whose
    first order is more recent is averaged over the days since that order. Columns: the group
    keys, ``daily_orders``, ``days`` (days averaged) and ``source`` (where the number comes
    from, in words).

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "AFN",
    ...     "order_id": [f"o{i}" for i in range(56)],
    ...     "order_date": [dt.date(2024, 3, 1) + dt.timedelta(days=i // 2) for i in range(56)]})
    >>> recent = recent_daily_orders(orders, as_of="2024-03-29")
    >>> recent.select("daily_orders", "days", "source").row(0)
    (2.0, 28, 'average of the last 28 days')
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be an integer >= 1, got {days!r}")
    parts = orders if isinstance(orders, OdrParts) else prepare(orders, empty_defects())
    day = to_date(as_of, "as_of")
    base = _base(parts, day, _lookback(parts.rules, days))
    rate, covered, sources = _recent(base, days)
    return base.groups.with_columns(
        daily_orders=pl.Series(rate, dtype=pl.Float64),
        days=pl.Series(covered, dtype=pl.Int64),
        source=pl.Series(sources, dtype=pl.String),
    )


@dataclass(frozen=True)
class _Rate:
    """Per group: the matured cohort behind the rate (``n`` orders, ``d`` defective)."""

    n: np.ndarray
    d: np.ndarray
    rate: np.ndarray  # NaN when no matured order
    pooled: np.ndarray
    key: np.ndarray  # groups sharing an estimate share its key (pooled: the account)
    sources: list[str]


def _matured(base: _Base, min_orders: int) -> _Rate:
    first = -(MATURED_MIN_AGE + MATURED_DAYS - 1)
    n, d = base.cohort(first, -MATURED_MIN_AGE)
    accounts = len(base.accounts)
    n_acc = np.bincount(base.account, weights=n, minlength=accounts).astype(np.int64)
    d_acc = np.bincount(base.account, weights=d, minlength=accounts).astype(np.int64)
    pooled = (n < min_orders) & (n_acc[base.account] > n)
    n_used = np.where(pooled, n_acc[base.account], n)
    d_used = np.where(pooled, d_acc[base.account], d)
    rate = np.divide(d_used, n_used, out=np.full(base.size, np.nan), where=n_used > 0)
    ages = f"{MATURED_MIN_AGE}-{MATURED_MIN_AGE + MATURED_DAYS - 1} days old"
    sources = []
    for own, used, is_pooled in zip(n.tolist(), n_used.tolist(), pooled.tolist(), strict=True):
        if used == 0:
            sources.append(f"no order {ages}: give a defect rate")
            continue
        text = f"matured rate of {used:,} orders {ages}"
        if is_pooled:
            text += f", pooled over the account (this channel has {own:,})"
        if used < min_orders:
            text += f", fewer than {min_orders}: uncertain"
        sources.append(text)
    key = np.where(pooled, base.size + base.account, np.arange(base.size))
    return _Rate(n_used, d_used, rate, pooled, key, sources)


def matured_defect_rate(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules | None = None,
    min_orders: int = MIN_ORDERS,
) -> pl.DataFrame:
    """Defective share of the orders 90-149 days old on ``as_of``, per group.

    The cohort is the 60 order dates ``as_of - 149 .. as_of - 90``; an order is defective when
    it is counted defective on report date ``as_of`` (defects received later are ignored). A
    group with fewer than ``min_orders`` such orders takes the rate pooled over its account
    (every marketplace and channel), and says so. Columns: the group keys, ``orders`` and
    ``defective`` (the cohort used), ``defect_rate`` (null when no order is old enough),
    ``pooled`` and ``source``.

    ``orders`` may be :class:`~odr_analysis.engine.OdrParts` (then leave out ``defects``).
    """
    if isinstance(min_orders, bool) or not isinstance(min_orders, int) or min_orders < 1:
        raise ValueError(f"min_orders must be an integer >= 1, got {min_orders!r}")
    parts = _as_parts(orders, defects, rules)
    base = _base(parts, to_date(as_of, "as_of"), _lookback(parts.rules))
    rate = _matured(base, min_orders)
    return base.groups.with_columns(
        orders=pl.Series(rate.n, dtype=pl.Int64),
        defective=pl.Series(rate.d, dtype=pl.Int64),
        defect_rate=pl.Series(rate.rate, dtype=pl.Float64).fill_nan(None),
        pooled=pl.Series(rate.pooled, dtype=pl.Boolean),
        source=pl.Series(rate.sources, dtype=pl.String),
    )


@dataclass(frozen=True)
class _Delays:
    """Per account: the delay shares over ``0 .. max_delay`` and where they come from."""

    share: np.ndarray  # (accounts, max_delay + 1), rows sum to 1
    defects: np.ndarray
    pooled: np.ndarray
    sources: list[str]

    def padded_cdf(self) -> np.ndarray:
        """``F`` per account at ``x = -1 .. max_delay`` (index ``x + 1``); ``F(-1) = 0``."""
        cdf = np.cumsum(self.share, axis=1)
        cdf[:, -1] = 1.0
        return np.hstack([np.zeros((len(cdf), 1)), cdf])


def _delays(base: _Base, max_delay: int) -> _Delays:
    accounts = len(base.accounts)
    mature = (base.d_age >= max_delay) & (base.d_delay <= max_delay)
    width = max_delay + 1
    counts = np.bincount(
        base.d_account[mature] * width + base.d_delay[mature], minlength=accounts * width
    ).reshape(accounts, width)
    own = counts.sum(axis=1)
    everyone = counts.sum(axis=0)
    pooled = own < MIN_DELAY_DEFECTS
    fallback = everyone if everyone.sum() else np.ones(width, np.int64)
    rows = np.where(pooled[:, None], fallback[None, :], counts).astype(np.float64)
    share = rows / rows.sum(axis=1, keepdims=True)
    old = f"orders at least {max_delay} days old"
    sources = []
    for k, is_pooled in zip(own.tolist(), pooled.tolist(), strict=True):
        if not is_pooled:
            sources.append(f"the account's own {k:,} defects on {old}")
        elif not everyone.sum():
            sources.append(f"no defect on {old}: assumed uniform over 0-{max_delay} days")
        elif accounts == 1:
            sources.append(f"only {k} defect(s) on {old}: few, uncertain")
        else:
            sources.append(
                f"pooled over all {accounts} accounts ({int(everyone.sum()):,} defects on {old}); "
                f"this account has only {k}"
            )
    return _Delays(share, own, pooled, sources)


def arrival_delays(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules | None = None,
    max_delay: int = MAX_DELAY,
) -> pl.DataFrame:
    """Each account's distribution of the days from an order to its first counted defect.

    Only orders counted defective on ``as_of`` whose order date is at least ``max_delay`` days
    before it are used (their defects have had time to arrive), with delays up to
    ``max_delay`` (a defect dated before its order counts as delay 0). An account with fewer
    than 20 such defects takes the distribution pooled over every account in the data; with
    none at all, a uniform distribution over ``0 .. max_delay``. ``source`` says which.

    Returns one row per account and delay with a non-zero share: ``account``, ``delay``
    (days), ``share``, ``cumulative`` (reaches 1 at the longest delay), ``defects`` (the
    account's own mature defects), ``pooled`` and ``source``.
    """
    if isinstance(max_delay, bool) or not isinstance(max_delay, int) or max_delay < 0:
        raise ValueError(f"max_delay must be an integer >= 0, got {max_delay!r}")
    parts = _as_parts(orders, defects, rules)
    base = _base(parts, to_date(as_of, "as_of"), _lookback(parts.rules))
    delays = _delays(base, max_delay)
    width = max_delay + 1
    accounts = len(base.accounts)
    cdf = delays.padded_cdf()[:, 1:]
    table = pl.DataFrame(
        {
            "account": np.repeat(np.array(base.accounts, dtype=object), width),
            "delay": np.tile(np.arange(width, dtype=np.int32), accounts),
            "share": delays.share.ravel(),
            "cumulative": cdf.ravel(),
            "defects": np.repeat(delays.defects, width),
            "pooled": np.repeat(delays.pooled, width),
            "source": np.repeat(np.array(delays.sources, dtype=object), width),
        },
        schema={
            "account": pl.String,
            "delay": pl.Int32,
            "share": pl.Float64,
            "cumulative": pl.Float64,
            "defects": pl.Int64,
            "pooled": pl.Boolean,
            "source": pl.String,
        },
    )
    return table.filter(pl.col("share") > 0)


def future_orders(
    daily_orders: Frame,
    *,
    as_of: dt.date | str,
    horizon: int,
    keys: tuple[str, ...] = GROUP_KEYS,
) -> pl.DataFrame:
    """The assumed new orders as whole orders per day: order dates ``as_of + 1 .. + horizon``.

    ``daily_orders`` holds the group ``keys`` and a ``daily_orders`` column (e.g. the output of
    :func:`recent_daily_orders`). A fractional mean ``m`` gives day ``i`` the orders
    ``floor(i*m + 1/2) - floor((i-1)*m + 1/2)``, so any run of days holds within one order of
    ``m`` times its length; :func:`project` uses the same orders. The result fits
    :func:`~odr_analysis.engine.daily_path`'s ``extra_orders``; days with no order are left out.

    >>> import polars as pl
    >>> daily = pl.DataFrame({"account": "a", "marketplace": "m", "channel": "MFN",
    ...                       "daily_orders": 12.4})
    >>> future_orders(daily, as_of="2024-01-01", horizon=5)["orders"].to_list()
    [12, 13, 12, 13, 12]
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 0:
        raise ValueError(f"horizon must be an integer >= 0, got {horizon!r}")
    day = to_date(as_of, "as_of")
    frame = daily_orders.lazy().select(*keys, m=pl.col("daily_orders").cast(pl.Float64))
    i = pl.col("i").cast(pl.Float64)
    m = pl.col("m")
    return (
        frame.join(pl.LazyFrame({"i": pl.int_range(1, horizon + 1, eager=True)}), how="cross")
        .select(
            *keys,
            order_date=pl.lit(day) + pl.duration(days=pl.col("i")),
            orders=((i * m + 0.5).floor() - ((i - 1) * m + 0.5).floor()).cast(pl.Int64),
        )
        .filter(pl.col("orders") > 0)
        .collect()
    )


def _planned(rate: np.ndarray, days: np.ndarray) -> np.ndarray:
    """:func:`future_orders` in numpy: orders of day ``days`` (>= 1) per group, (G, len)."""
    j = days.astype(np.float64)[None, :]
    r = rate[:, None]
    return (np.floor(j * r + 0.5) - np.floor((j - 1) * r + 0.5)).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Resolved assumptions


@dataclass(frozen=True)
class _Inputs:
    daily: np.ndarray
    daily_sources: list[str]
    extra: np.ndarray  # clean orders a day more: never defective
    rate: np.ndarray
    rate_sources: list[str]
    uncertain: np.ndarray  # the rate is estimated: draw it per simulation
    beta_a: np.ndarray
    beta_b: np.ndarray
    rate_key: np.ndarray
    cdf: np.ndarray  # (G, max_delay + 2), F at -1 .. max_delay
    arrival_sources: list[str]


def _lookup(base: _Base, entries: Entries | None, name: str) -> list[float | None]:
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


def _resolve(base: _Base, a: Assumptions) -> _Inputs:
    recent, _, recent_sources = _recent(base, RECENT_DAYS)
    given_daily = _lookup(base, a.daily_orders, "daily_orders")  # type: ignore[arg-type]
    daily = np.array([r if g is None else g for g, r in zip(given_daily, recent, strict=True)])
    daily_sources = [
        s if g is None else "assumed" for g, s in zip(given_daily, recent_sources, strict=True)
    ]
    given_extra = _lookup(base, a.extra_clean_orders, "extra_clean_orders")  # type: ignore[arg-type]
    extra = np.array([0.0 if g is None else g for g in given_extra], dtype=np.float64)
    matured = _matured(base, MIN_ORDERS)
    given_rate = _lookup(base, a.defect_rate, "defect_rate")  # type: ignore[arg-type]
    uncertain = np.array([g is None for g in given_rate], dtype=bool)
    rate = np.array([m if g is None else g for g, m in zip(given_rate, matured.rate, strict=True)])
    rate_sources = [
        s if g is None else "assumed" for g, s in zip(given_rate, matured.sources, strict=True)
    ]
    missing = np.isnan(rate)
    if missing.any():
        who = base.groups.filter(pl.Series(missing)).rows()
        raise ValueError(
            f"no order {MATURED_MIN_AGE}-{MATURED_MIN_AGE + MATURED_DAYS - 1} days old for "
            f"{who}, so there is no matured defect rate: pass Assumptions(defect_rate=...)"
        )
    if a.arrival_delay is None:
        delays = _delays(base, MAX_DELAY)
        cdf = delays.padded_cdf()[base.account]
        arrival_sources = [delays.sources[i] for i in base.account.tolist()]
    else:
        k = a.arrival_delay
        cdf = np.ones((base.size, k + 2))
        cdf[:, : k + 1] = 0.0
        arrival_sources = [f"every defect {_days_text(k)} after its order"] * base.size
    return _Inputs(
        daily=daily,
        daily_sources=daily_sources,
        extra=extra,
        rate=rate,
        rate_sources=rate_sources,
        uncertain=uncertain,
        beta_a=matured.d + 0.5,
        beta_b=matured.n - matured.d + 0.5,
        rate_key=matured.key,
        cdf=cdf,
        arrival_sources=arrival_sources,
    )


def _cdf_at(cdf: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``F(x)`` per group for integer ages ``x`` (any shape): 0 below 0, 1 past the table."""
    top = cdf.shape[1] - 2
    return cdf[:, np.clip(x, -1, top) + 1]


# ---------------------------------------------------------------------------------------------
# Sampling: the defects still to come, drawn exactly


_INVERSION_MEAN = 16.0
"""Below this mean a binomial count is drawn by inversion in numpy (above: ``rng.binomial``)."""


def _binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
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


def _rate_draws(
    rng: np.random.Generator, inputs: _Inputs, n_sims: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group and simulation the defect rate (G, S), and its maximum per group.

    An estimated rate is drawn from ``Beta(D + 1/2, n - D + 1/2)``; groups pooled over their
    account share the draws. A given rate is the same in every simulation.
    """
    draws = np.repeat(inputs.rate[:, None], n_sims, axis=1)
    uncertain = np.flatnonzero(inputs.uncertain)
    if uncertain.size:
        keys, first = np.unique(inputs.rate_key[uncertain], return_index=True)
        owner = uncertain[first]
        beta = rng.beta(
            inputs.beta_a[owner][:, None], inputs.beta_b[owner][:, None], (len(keys), n_sims)
        )
        draws[uncertain] = beta[np.searchsorted(keys, inputs.rate_key[uncertain])]
    return draws, draws.max(axis=1, initial=0.0)


def _pending_prob(p: np.ndarray, gain: np.ndarray, before: np.ndarray) -> np.ndarray:
    """``p * gain / (1 - p * before)``: P(a clean order becomes defective), 0 for 0/0."""
    denom = 1.0 - p * before
    shape = np.broadcast_shapes(np.shape(p), np.shape(gain), np.shape(before))
    return np.divide(p * gain, denom, out=np.zeros(shape), where=denom > 0)


@dataclass(frozen=True)
class _Pending:
    """Cohorts of clean orders whose defects may still come, per group (arrays (G, C)).

    Each of the ``m`` clean orders of a cohort becomes defective within the span of interest
    with probability ``_pending_prob(p, gain, before)``.
    """

    m: np.ndarray
    gain: np.ndarray
    before: np.ndarray


def _draw(
    rng: np.random.Generator,
    pending: _Pending,
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
        q = _pending_prob(draws[g], pending.gain[g, c][:, None], pending.before[g, c][:, None])
        trials = np.broadcast_to(m[gl, c][:, None], q.shape).ravel()
        counts = _binomial(rng, trials, q.ravel())
        cell = np.repeat(np.arange(counts.size), counts)
        pair, sim = np.divmod(cell, n_sims)
        out.append((gl[pair], c[pair], sim))
    if not out:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return tuple(np.concatenate(x) for x in zip(*out, strict=True))  # type: ignore[return-value]


def _histogram(values: np.ndarray) -> np.ndarray:
    """Counts of each value 0 .. max along the last axis of ``values`` (..., S) -> (..., top)."""
    top = int(values.max(initial=0)) + 1
    lead = values.shape[:-1]
    cells = int(np.prod(lead, dtype=np.int64))
    index = np.arange(cells).reshape(*lead, 1) * top + values
    return np.bincount(index.ravel(), minlength=cells * top).reshape(*lead, top)


def _quantiles(hist: np.ndarray, n_sims: int, level: float) -> tuple[np.ndarray, np.ndarray]:
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


def _normal_band(
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


def _approx_var(
    pending: _Pending, p: np.ndarray, inputs: _Inputs, groups: np.ndarray
) -> np.ndarray:
    """Variance of the defects to come of ``groups``, summed over cohorts (axis 1).

    ``pending`` arrays are (G, C) or (G, C, H) (already restricted to ``groups``). The
    binomial variance plus, for an estimated rate, what its uncertainty adds (delta method).
    """
    m, gain, before = pending.m, pending.gain, pending.before
    pp = p.reshape((-1,) + (1,) * (gain.ndim - 1))
    q = _pending_prob(pp, gain, before)
    var = (m * q * (1.0 - q)).sum(axis=1)
    denom = 1.0 - pp * before
    shape = np.broadcast_shapes(gain.shape, denom.shape)
    slope = np.divide(gain, denom**2, out=np.zeros(shape), where=denom > 0)
    d_mean = (m * slope).sum(axis=1)
    a, b = inputs.beta_a[groups], inputs.beta_b[groups]
    var_p = np.where(inputs.uncertain[groups], a * b / ((a + b) ** 2 * (a + b + 1.0)), 0.0)
    return var + d_mean**2 * var_p.reshape((-1,) + (1,) * (var.ndim - 1))


def _floats(values: np.ndarray, name: str = "") -> pl.Series:
    """A Float64 series, NaN as null."""
    return pl.Series(name, np.asarray(values, dtype=np.float64).ravel(), nan_to_null=True)


# ---------------------------------------------------------------------------------------------
# Maturity


def maturity(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules | None = None,
    level: float = 0.9,
    n_sims: int = 2000,
    seed: int = 0,
) -> pl.DataFrame:
    """The rate as reported on ``as_of`` beside what the same window will show once matured.

    For each order date of the window, age ``a = as_of - order_date``: ``D_a`` of ``n_a``
    orders are defective now, and each clean one still becomes defective with probability
    ``q_a = p * (1 - F(a)) / (1 - p * F(a))`` (``p``: :func:`matured_defect_rate`, ``F``: the
    account's :func:`arrival_delays` distribution): Bornhuetter-Ferguson.
    ``expected_matured = (D + sum (n_a - D_a) q_a) / n``. ``low`` .. ``high`` is the central
    ``level`` band of that sum of binomials by Monte Carlo (``n_sims`` seeded simulations,
    ``p`` drawn from its posterior in each), or a normal approximation for very large
    accounts (``method`` says which). ``share_matured = sum n_a F(a) / n``: the share of the
    window's eventual defects expected to be in already.

    Columns: group keys, ``as_of``, ``window_start``, ``window_end``, ``order_count``,
    ``defective_orders``, ``reported``, ``defect_rate``, ``still_expected``,
    ``expected_matured``, ``low``, ``high``, ``share_matured``, ``method`` and ``source``.
    ``orders`` may be :class:`~odr_analysis.engine.OdrParts` (then leave out ``defects``).
    """
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"level must be a fraction between 0 and 1, got {level!r}")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int) or n_sims < 1:
        raise ValueError(f"n_sims must be an integer >= 1, got {n_sims!r}")
    parts = _as_parts(orders, defects, rules)
    day = to_date(as_of, "as_of")
    window = parts.rules.window(day)
    base = _base(parts, day, _lookback(parts.rules))
    lag, width = parts.rules.lag_days, parts.rules.window_days
    offsets = np.arange(-(lag + width - 1), -lag + 1)
    n_a = base.orders[:, base.lookback + offsets]
    d_a = base.defective[:, base.lookback + offsets]
    n, d = n_a.sum(axis=1), d_a.sum(axis=1)
    rate = _matured(base, MIN_ORDERS)
    delays = _delays(base, MAX_DELAY)
    f_a = _cdf_at(delays.padded_cdf()[base.account], -offsets)
    known = ~np.isnan(rate.rate)
    inputs = _Inputs(
        daily=np.zeros(base.size),
        daily_sources=[],
        extra=np.zeros(base.size),
        rate=np.where(known, rate.rate, 0.0),
        rate_sources=rate.sources,
        uncertain=known,
        beta_a=rate.d + 0.5,
        beta_b=rate.n - rate.d + 0.5,
        rate_key=rate.key,
        cdf=np.zeros((base.size, 2)),
        arrival_sources=[],
    )
    pending = _Pending(m=n_a - d_a, gain=1.0 - f_a, before=f_a)
    still = (pending.m * _pending_prob(inputs.rate[:, None], pending.gain, f_a)).sum(axis=1)
    rng = np.random.default_rng(seed)
    draws, p_max = _rate_draws(rng, inputs, n_sims)
    heavy = (pending.m * _pending_prob(p_max[:, None], pending.gain, f_a)).sum(axis=1)
    heavy = heavy * n_sims > EVENT_CAP
    low, high = np.full(base.size, np.nan), np.full(base.size, np.nan)
    simulate = np.flatnonzero(known & ~heavy & (n > 0))
    if simulate.size:
        local, _, sim = _draw(rng, pending, simulate, draws=draws)
        counts = np.bincount(local * n_sims + sim, minlength=simulate.size * n_sims)
        lo_x, hi_x = _quantiles(_histogram(counts.reshape(-1, n_sims)), n_sims, level)
        low[simulate] = (d[simulate] + lo_x) / n[simulate]
        high[simulate] = (d[simulate] + hi_x) / n[simulate]
    normal = np.flatnonzero(known & heavy & (n > 0))
    if normal.size:
        sub = _Pending(pending.m[normal], pending.gain[normal], pending.before[normal])
        var = _approx_var(sub, inputs.rate[normal], inputs, normal)
        low[normal], high[normal], _ = _normal_band(
            d[normal], still[normal], var, n[normal], level=level, target=1.0
        )
    methods = [
        "no matured rate"
        if not known[i]
        else "no orders"
        if n[i] == 0
        else f"normal approximation ({still[i]:,.0f} defects still expected)"
        if heavy[i]
        else f"monte carlo, {n_sims:,} simulations"
        for i in range(base.size)
    ]
    sources = [
        f"{rate.sources[i]}; delays: {delays.sources[a]}"
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
        reported=_floats(reported),
        defect_rate=_floats(rate.rate),
        still_expected=_floats(np.where(known, still, np.nan)),
        expected_matured=_floats(expected),
        low=_floats(low),
        high=_floats(high),
        share_matured=_floats(
            np.divide((n_a * f_a).sum(axis=1), n, out=np.full(base.size, np.nan), where=has)
        ),
        method=pl.Series(methods, dtype=pl.String),
        source=pl.Series(sources, dtype=pl.String),
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
    ``expected_meets_target``. ``first_under``: one row per group: ``rate_today``,
    ``first_under`` (the first day the expected rate is under the target; null if none in the
    horizon), ``days_until_under``, ``stays_under_from`` (from then to the horizon's end)
    and ``message``. ``inputs``: the assumptions per group (``daily_orders``,
    ``extra_clean_orders``, ``defect_rate``, ...), with their sources.
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
        if not self.inputs.height:
            return f"no orders: nothing to project from {self.as_of}"
        a = self.assumptions
        texts = []
        rows = self.inputs.join(self.first_under, on=list(self.keys), how="left")
        for row in rows.iter_rows(named=True):
            label = " ".join(str(row[k]) for k in self.keys)
            extra = row["extra_clean_orders"]
            more = f" + {_number_text(extra)} extra clean orders a day" if extra else ""
            texts.append(
                f"{label}: {row['daily_orders']:,.1f} orders a day ({row['daily_orders_source']})"
                f"{more}, {row['defect_rate']:.2%} of orders defective "
                f"({row['defect_rate_source']}): {row['message']}"
            )
        return (
            "; ".join(texts) + f" [{a.horizon_days} days, {a.n_sims:,} simulations, "
            f"{a.level:.0%} band, seed {a.seed}]"
        )

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


@dataclass(frozen=True)
class _Path:
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
    pending: _Pending
    f_day: np.ndarray


def _path(base: _Base, inputs: _Inputs, horizon: int) -> _Path:
    lag, width = base.rules.lag_days, base.rules.window_days
    o = np.arange(2 - lag - width, horizon - lag + 1)
    d = np.arange(1, horizon + 1)
    known = o <= 0
    n_o = np.zeros((base.size, o.size), np.int64)
    n_o[:, known] = base.orders[:, base.lookback + o[known]]
    n_o[:, ~known] = _planned(inputs.daily, o[~known])
    d_o = np.zeros_like(n_o)
    d_o[:, known] = base.defective[:, base.lookback + o[known]]
    # the extra clean orders, whole orders rounded on their own: in the windows, never pending
    clean = np.zeros_like(n_o)
    clean[:, ~known] = _planned(inputs.extra, o[~known])
    enter = o + lag
    last = np.minimum(enter + width - 1, horizon)
    window = ((enter[:, None] <= d[None, :]) & (d[None, :] <= last[:, None])).astype(np.int64)
    f_now = _cdf_at(inputs.cdf, -o)
    f_day = _cdf_at(inputs.cdf, d[None, :] - o[:, None])
    m = n_o - d_o
    # expected defects to come counted on day d: clean orders x P(arrive in 1 .. d)
    q_day = _pending_prob(inputs.rate[:, None, None], f_day - f_now[..., None], f_now[..., None])
    still = np.einsum("gc,gcd,cd->gd", m.astype(np.float64), q_day, window.astype(np.float64))
    gain = _cdf_at(inputs.cdf, last - o) - f_now
    return _Path(
        o=o,
        enter=enter,
        last=last,
        window=window,
        order_count=(n_o + clean) @ window,
        known_defective=d_o @ window,
        still=still,
        pending=_Pending(m=m, gain=gain, before=f_now),
        f_day=f_day,
    )


@dataclass(frozen=True)
class _Arrival:
    """Per (group, cohort) row: the arrival-day CDF over days 1 .. H and its guide table."""

    table: np.ndarray  # (rows * H,) flat
    guide: np.ndarray  # (rows * _GUIDE,) flat
    horizon: int


def _arrival_table(path: _Path, groups: np.ndarray) -> _Arrival:
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
"""Cells (group x cohort x simulation) drawn at a time: small arrays, reused by the allocator.

Fresh large arrays cost page faults, which dominate on small virtual machines."""


def _monte_carlo(
    rng: np.random.Generator,
    path: _Path,
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
        q = _pending_prob(draws[g, s0 : s0 + b], gain, before)
        counts = _binomial(rng, np.broadcast_to(trials, q.shape).ravel(), q.ravel())
        pair, sim = np.divmod(np.repeat(np.arange(counts.size), counts), b)
        day = _arrivals(rng, arrival, table_row[pair])
        row = (local[pair] * b + sim) * width
        cells = groups.size * b * width
        steps = np.bincount(row + np.maximum(day, enter[pair]), minlength=cells)
        steps -= np.bincount(row + last[pair], minlength=cells)
        extra = np.cumsum(steps.reshape(groups.size, b, width), axis=2)
        hists.append(_histogram(extra[:, :, 1 : horizon + 1].transpose(0, 2, 1)))
    top = max(h.shape[2] for h in hists)
    hist = np.zeros((groups.size, horizon, top), np.int64)
    for h in hists:
        hist[:, :, : h.shape[2]] += h
    lo_x, hi_x = _quantiles(hist, n_sims, level)
    n = path.order_count[groups]
    k = path.known_defective[groups]
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = (k[..., None] + np.arange(hist.shape[2])) / n[..., None]
        prob = (hist * (rates >= target)).sum(axis=2) / n_sims
        return (k + lo_x) / n, (k + hi_x) / n, prob


def project(
    orders_or_parts: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules | None = None,
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

    Pass :class:`~odr_analysis.engine.OdrParts` (``prepare`` once) for speed: the projection
    then never rescans the orders.

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
    ...             assumptions=Assumptions(daily_orders=0, defect_rate=0, horizon_days=60))
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
    >>> p.first_under["message"].item()
    'not expected under 1% within 60 days'
    """
    if not isinstance(assumptions, Assumptions):
        raise TypeError(f"assumptions must be Assumptions, got {type(assumptions).__name__}")
    parts = _as_parts(orders_or_parts, defects, rules)
    day = to_date(as_of, "as_of")
    a = assumptions
    target, horizon, n_sims = parts.rules.target, a.horizon_days, a.n_sims
    base = _base(parts, day, _lookback(parts.rules, RECENT_DAYS))
    inputs = _resolve(base, a)
    path = _path(base, inputs, horizon)

    rng = np.random.default_rng(a.seed)
    draws, p_max = _rate_draws(rng, inputs, n_sims)
    pending = path.pending
    heavy = (pending.m * _pending_prob(p_max[:, None], pending.gain, pending.before)).sum(axis=1)
    heavy = heavy * n_sims > EVENT_CAP
    low, high, prob = (np.full((base.size, horizon), np.nan) for _ in range(3))
    simulate = np.flatnonzero(~heavy)
    chunk = max(1, 4_000_000 // (n_sims * (horizon + 2)))  # bounds the per-simulation arrays
    for start in range(0, simulate.size, chunk):
        groups = simulate[start : start + chunk]
        band = _monte_carlo(rng, path, groups, draws=draws, level=a.level, target=target)
        low[groups], high[groups], prob[groups] = band
    normal = np.flatnonzero(heavy)
    if normal.size:
        window = path.window[None, :, :]
        sub = _Pending(
            m=pending.m[normal][..., None] * window,
            gain=path.f_day[normal] - pending.before[normal][..., None],
            before=pending.before[normal][..., None],
        )
        var = _approx_var(sub, inputs.rate[normal], inputs, normal)
        low[normal], high[normal], prob[normal] = _normal_band(
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
        f"normal approximation ({path.still[i].max(initial=0):,.0f} defects to come)"
        if heavy[i]
        else f"monte carlo, {n_sims:,} simulations"
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
            _floats(expected, "expected_defective"),
            _floats(rate, "expected_rate"),
            _floats(low, "low"),
            _floats(high, "high"),
            _floats(prob, "prob_at_or_above_target"),
            pl.Series("target", np.full(n_rows, target)),
            meets.set(pl.Series(empty.ravel()), None) if n_rows else meets,
        ]
    )
    return Projection(
        as_of=day,
        assumptions=a,
        rules=parts.rules,
        inputs=_inputs_frame(base, inputs, methods),
        daily=daily,
        first_under=_first_under(base, day, rate, target, horizon),
    )


def _inputs_frame(base: _Base, inputs: _Inputs, methods: list[str]) -> pl.DataFrame:
    return base.groups.hstack(
        [
            pl.Series("daily_orders", inputs.daily, dtype=pl.Float64),
            pl.Series("daily_orders_source", inputs.daily_sources, dtype=pl.String),
            pl.Series("extra_clean_orders", inputs.extra, dtype=pl.Float64),
            pl.Series("defect_rate", inputs.rate, dtype=pl.Float64),
            pl.Series("defect_rate_source", inputs.rate_sources, dtype=pl.String),
            pl.Series("rate_uncertain", inputs.uncertain, dtype=pl.Boolean),
            pl.Series("arrival_source", inputs.arrival_sources, dtype=pl.String),
            pl.Series("method", methods, dtype=pl.String),
        ]
    )


def _target_text(target: float) -> str:
    text = f"{target:.2%}"
    return text.replace(".00%", "%")


def _first_under(
    base: _Base, day: dt.date, expected_rate: np.ndarray, target: float, horizon: int
) -> pl.DataFrame:
    """Per group: today's rate and the first (and the lasting) day the expected rate is under."""
    with np.errstate(invalid="ignore"):
        under = expected_rate < target  # NaN (no orders) is not under
    lag, width = base.rules.lag_days, base.rules.window_days
    n_now, d_now = base.cohort(-(lag + width - 1), -lag)
    today = np.divide(d_now, n_now, out=np.full(base.size, np.nan), where=n_now > 0)
    target_text = _target_text(target)
    first_dates: list[dt.date | None] = []
    stay_dates: list[dt.date | None] = []
    waits: list[int | None] = []
    messages: list[str] = []
    for row, rate_now in zip(under, today.tolist(), strict=True):
        days_under = np.flatnonzero(row)
        if not days_under.size:
            first_dates.append(None)
            stay_dates.append(None)
            waits.append(None)
            messages.append(f"not expected under {target_text} within {_days_text(horizon)}")
            continue
        wait = int(days_under[0]) + 1
        days_over = np.flatnonzero(~row)
        stay = None if not row[-1] else (int(days_over[-1]) + 2 if days_over.size else 1)
        first_dates.append(day + dt.timedelta(days=wait))
        stay_dates.append(None if stay is None else day + dt.timedelta(days=stay))
        waits.append(wait)
        if wait == 1 and rate_now < target:
            text = f"under {target_text} today"
        else:
            text = f"expected under {target_text} from {first_dates[-1]} (in {_days_text(wait)})"
        if stay == wait:
            text += " and to stay under"
        elif stay is not None:
            text += f", to stay under from {stay_dates[-1]}"
        else:
            back = int(days_over[days_over > wait - 1][0]) + 1
            text += f", but at or above it again from {day + dt.timedelta(days=back)}"
        messages.append(text)
    return base.groups.hstack(
        [
            _floats(today, "rate_today"),
            pl.Series(
                "meets_target_today",
                [None if np.isnan(r) else bool(r < target) for r in today.tolist()],
                dtype=pl.Boolean,
            ),
            pl.Series("first_under", first_dates, dtype=pl.Date),
            pl.Series("days_until_under", waits, dtype=pl.Int64),
            pl.Series("stays_under_from", stay_dates, dtype=pl.Date),
            pl.Series("message", messages, dtype=pl.String),
        ]
    )
