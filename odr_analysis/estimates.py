"""The estimates every look ahead shares: recent orders a day, the matured defect rate, the delays.

Defects arrive weeks after their order but are charged to the order's date, so a look ahead
(the projection, the maturity of today's rate, the removal scenarios) needs three numbers per
group, estimated from the account's own history on the report date ``as_of``:

* :func:`recent_daily_orders`: the mean orders a day of the last 28 days (the new orders to
  expect), and :func:`future_orders` / :func:`planned_orders`: that mean as whole orders a day;
* :func:`matured_defect_rate`: the defective share of the orders 90-149 days old (old enough for
  their defects to be in), pooled over the account when a channel has fewer than 200 of them;
* :func:`arrival_delays`: the days from an order to its first counted defect, per account
  (pooled over every account below 20 mature defects).

:class:`Base` is the numpy view of the parts around the report date that all three read: orders
and defective orders per group and order date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from odr_analysis import words
from odr_analysis.daily import order_index
from odr_analysis.parts import OdrParts, as_parts
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import GROUP_KEYS, Frame

__all__ = [
    "MATURED_DAYS",
    "MATURED_MIN_AGE",
    "MAX_DELAY",
    "MIN_DELAY_DEFECTS",
    "MIN_ORDERS",
    "RECENT_DAYS",
    "Base",
    "around",
    "arrival_delays",
    "future_orders",
    "matured_defect_rate",
    "planned_orders",
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


@dataclass(frozen=True)
class Base:
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


def around(parts: OdrParts, as_of: dt.date, lookback: int) -> Base:
    """The numpy view of ``parts`` around report date ``as_of``, ``lookback`` days back."""
    keys = list(parts.keys)
    day0 = day_number(as_of)
    index = order_index(parts)
    orders = index.per_day(day0 - lookback, day0)
    first = index.first_day() - day0
    indexed_df = index.groups.with_columns(
        _g=pl.int_range(pl.len(), dtype=pl.Int64),
        _a=pl.col("account").rank("dense").cast(pl.Int64) - 1,
    )
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
    return Base(
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


def lookback_for(rules: OdrRules, *extra: int) -> int:
    """Days back a :class:`Base` must reach: the matured cohort, today's window and ``extra``."""
    return max(MATURED_MIN_AGE + MATURED_DAYS - 1, rules.days_to_leave - 1, *extra)


def recent_orders(base: Base, days: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Mean orders a day over ``as_of - days .. as_of - 1`` (from the group's first order on)."""
    total, _ = base.cohort(-days, -1)
    start = np.maximum(-days, base.first)
    covered = np.clip(-start, 0, days)
    rate = np.divide(total, covered, out=np.zeros(base.size), where=covered > 0)
    sources = [
        words.recent_orders_source(
            covered_days, days, base.as_of + dt.timedelta(days=first) if covered_days else None
        )
        for covered_days, first in zip(covered.tolist(), base.first.tolist(), strict=True)
    ]
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
    parts = as_parts(orders, defects_required=False)
    day = to_date(as_of, "as_of")
    base = around(parts, day, lookback_for(parts.rules, days))
    rate, covered, sources = recent_orders(base, days)
    return base.groups.with_columns(
        daily_orders=pl.Series(rate, dtype=pl.Float64),
        days=pl.Series(covered, dtype=pl.Int64),
        source=pl.Series(sources, dtype=pl.String),
    )


@dataclass(frozen=True)
class Rate:
    """Per group: the matured cohort behind the rate (``n`` orders, ``d`` defective)."""

    n: np.ndarray
    d: np.ndarray
    rate: np.ndarray  # NaN when no matured order
    pooled: np.ndarray
    key: np.ndarray  # groups sharing an estimate share its key (pooled: the account)
    sources: list[str]


def matured_rate(base: Base, min_orders: int) -> Rate:
    first = -(MATURED_MIN_AGE + MATURED_DAYS - 1)
    n, d = base.cohort(first, -MATURED_MIN_AGE)
    accounts = len(base.accounts)
    n_acc = np.bincount(base.account, weights=n, minlength=accounts).astype(np.int64)
    d_acc = np.bincount(base.account, weights=d, minlength=accounts).astype(np.int64)
    pooled = (n < min_orders) & (n_acc[base.account] > n)
    n_used = np.where(pooled, n_acc[base.account], n)
    d_used = np.where(pooled, d_acc[base.account], d)
    rate = np.divide(d_used, n_used, out=np.full(base.size, np.nan), where=n_used > 0)
    ages = (MATURED_MIN_AGE, MATURED_MIN_AGE + MATURED_DAYS - 1)
    sources = [
        words.matured_rate_source(used, own, pooled=is_pooled, min_orders=min_orders, ages=ages)
        for own, used, is_pooled in zip(n.tolist(), n_used.tolist(), pooled.tolist(), strict=True)
    ]
    key = np.where(pooled, base.size + base.account, np.arange(base.size))
    return Rate(n_used, d_used, rate, pooled, key, sources)


def matured_defect_rate(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
    min_orders: int = MIN_ORDERS,
) -> pl.DataFrame:
    """Defective share of the orders 90-149 days old on ``as_of``, per group.

    The cohort is the 60 order dates ``as_of - 149 .. as_of - 90``; an order is defective when
    it is counted defective on report date ``as_of`` (defects received later are ignored). A
    group with fewer than ``min_orders`` such orders takes the rate pooled over its account
    (every marketplace and channel), and says so. Columns: the group keys, ``orders`` and
    ``defective`` (the cohort used), ``defect_rate`` (null when no order is old enough),
    ``pooled`` and ``source``.

    ``orders`` may be :class:`~odr_analysis.parts.OdrParts` (then leave out ``defects``).
    """
    if isinstance(min_orders, bool) or not isinstance(min_orders, int) or min_orders < 1:
        raise ValueError(f"min_orders must be an integer >= 1, got {min_orders!r}")
    parts = as_parts(orders, defects, rules=rules)
    base = around(parts, to_date(as_of, "as_of"), lookback_for(parts.rules))
    rate = matured_rate(base, min_orders)
    return base.groups.with_columns(
        orders=pl.Series(rate.n, dtype=pl.Int64),
        defective=pl.Series(rate.d, dtype=pl.Int64),
        defect_rate=pl.Series(rate.rate, dtype=pl.Float64).fill_nan(None),
        pooled=pl.Series(rate.pooled, dtype=pl.Boolean),
        source=pl.Series(rate.sources, dtype=pl.String),
    )


@dataclass(frozen=True)
class Delays:
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


def delay_shares(base: Base, max_delay: int) -> Delays:
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
    sources = [
        words.arrival_source(
            k,
            pooled=is_pooled,
            accounts=accounts,
            everyone=int(everyone.sum()),
            max_delay=max_delay,
        )
        for k, is_pooled in zip(own.tolist(), pooled.tolist(), strict=True)
    ]
    return Delays(share, own, pooled, sources)


def arrival_delays(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
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
    parts = as_parts(orders, defects, rules=rules)
    base = around(parts, to_date(as_of, "as_of"), lookback_for(parts.rules))
    delays = delay_shares(base, max_delay)
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
    :func:`~odr_analysis.daily.daily_path`'s ``extra_orders``; days with no order are left out.

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


def planned(rate: np.ndarray, days: np.ndarray) -> np.ndarray:
    """:func:`future_orders` in numpy: orders of day ``days`` (>= 1) per group, (G, len)."""
    j = days.astype(np.float64)[None, :]
    r = rate[:, None]
    return (np.floor(j * r + 0.5) - np.floor((j - 1) * r + 0.5)).astype(np.int64)


def floats(values: np.ndarray, name: str = "") -> pl.Series:
    """A Float64 series, NaN as null."""
    return pl.Series(name, np.asarray(values, dtype=np.float64).ravel(), nan_to_null=True)


def planned_orders(
    parts: OdrParts,
    *,
    as_of: dt.date,
    horizon: int,
    daily_orders: float | Frame | None,
) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Clean orders on the order dates ``as_of + 1 .. as_of + horizon`` (``extra_orders``).

    ``daily_orders``: ``None`` for each group's recent average (:func:`recent_daily_orders`, the
    projection's default), a number for every group, or a frame with the group keys and
    ``daily_orders``. A fractional mean becomes whole orders as in :func:`future_orders`.
    Returns the orders (``None`` when there are none) and the daily rates with their ``source``.
    """
    keys = list(parts.keys)
    groups = order_index(parts).groups
    if daily_orders is None:
        rates = recent_daily_orders(parts, as_of=as_of).select(*keys, "daily_orders", "source")
    elif isinstance(daily_orders, pl.DataFrame | pl.LazyFrame):
        frame = daily_orders.lazy().collect()
        missing = [c for c in [*keys, "daily_orders"] if c not in frame.columns]
        if missing:
            raise ValueError(f"daily_orders frame is missing column(s) {missing}")
        rates = groups.join(
            frame.select(*keys, "daily_orders"), on=keys, how="left", maintain_order="left"
        ).with_columns(
            pl.col("daily_orders").cast(pl.Float64).fill_null(0.0),
            source=pl.lit(words.AS_GIVEN),
        )
    elif isinstance(daily_orders, int | float) and not isinstance(daily_orders, bool):
        rates = groups.with_columns(
            daily_orders=pl.lit(float(daily_orders)), source=pl.lit(words.AS_GIVEN)
        )
    else:
        raise TypeError(
            f"daily_orders must be None, a number or a frame, got {type(daily_orders).__name__}"
        )
    if rates.filter(~(pl.col("daily_orders") >= 0)).height:  # negative or NaN
        raise ValueError("daily_orders must be >= 0")
    if horizon < 1 or not rates.filter(pl.col("daily_orders") > 0).height:
        return None, rates
    extra = future_orders(rates, as_of=as_of, horizon=horizon, keys=tuple(keys))
    return extra, rates
