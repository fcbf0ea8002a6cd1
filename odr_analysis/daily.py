"""The daily counter: every report date's counts from :class:`~odr_analysis.parts.OdrParts`.

This is the one place that counts windows day by day. The engine's ``odr_daily``, the drop-off
calendar, headroom and orders needed, the removal scenarios, the projection and the explanation
of a change all call :func:`daily_path` (or read :func:`order_index` for orders per order date).

It does not loop over days. An order of day ``od`` is in the windows of the report days
:meth:`OdrRules.report_days(od) <odr_analysis.rules.OdrRules.report_days>`, and each counted
defect covers a stretch of report days, so every daily count is a running sum of +1/-1 steps at
the edges of (stretch ∩ window ∩ the days asked for); an order is defective on the union of its
stretches of every kind. The orders side comes from :func:`order_index`, built once per
``order_counts`` frame and reused by every call on the same parts (a slider moves a removal or an
assumption, never the orders).

>>> import datetime as dt, polars as pl
>>> from odr_analysis.parts import prepare
>>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "AFN",
...                        "order_id": ["o1", "o2"], "order_date": dt.date(2024, 1, 1)})
>>> defects = pl.DataFrame({"account": "acme", "order_id": "o1", "kind": "chargeback",
...     "event_date": dt.date(2024, 2, 1), "status": "service", "rating": None})
>>> path = daily_path(prepare(orders, defects), start="2024-03-13", end="2024-03-16", dropped=True)
>>> path.select("as_of", "order_count", "defective_orders", "dropped_today").rows()
[(datetime.date(2024, 3, 13), 2, 1, 0), (datetime.date(2024, 3, 14), 2, 1, 0),
 (datetime.date(2024, 3, 15), 0, 0, 1), (datetime.date(2024, 3, 16), 0, 0, 0)]
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from odr_analysis.defects import OPEN_END
from odr_analysis.parts import OdrParts
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import COMPONENT_OF_KIND, COUNT_COLUMNS, Frame

__all__ = ["OrderIndex", "daily_path", "in_windows", "order_index", "rate"]

_COLUMN_OF_KIND = {kind: i for i, kind in enumerate(COMPONENT_OF_KIND, start=1)}
_DROPPED = len(COUNT_COLUMNS) - 1  # the step column of the defective orders leaving the window


# ---------------------------------------------------------------------------------------------
# The orders side, built once per order_counts frame


@dataclass(frozen=True, eq=False)
class OrderIndex:
    """``order_counts`` as numpy arrays: orders per group and order day, and running totals.

    ``groups`` are the distinct group keys, sorted (group ``g`` is row ``g``). Per row of
    ``order_counts``, sorted by group and day: ``group``, ``day`` (a day number) and ``orders``;
    ``before[i]`` is the number of orders of the rows before row ``i``. Read-only.
    """

    keys: tuple[str, ...]
    groups: pl.DataFrame
    group: np.ndarray
    day: np.ndarray
    orders: np.ndarray
    before: np.ndarray

    @property
    def size(self) -> int:
        """The number of groups."""
        return self.groups.height

    def per_day(self, first: int, last: int) -> np.ndarray:
        """Orders per group and order day ``first .. last``: an array (groups, days)."""
        days = last - first + 1
        seen = (self.day >= first) & (self.day <= last)
        cells = self.group[seen] * days + (self.day[seen] - first)
        return (
            np.bincount(cells, weights=self.orders[seen], minlength=self.size * days)
            .astype(np.int64)
            .reshape(self.size, days)
        )

    def between(self, group: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Orders of ``group`` with an order day in ``first .. last`` (arrays, element-wise).

        Two binary searches per element in the rows sorted by group and day.
        """
        code = self.group * _SPREAD + self.day
        total = np.append(self.before, self.before[-1] + self.orders[-1] if code.size else 0)

        def upto(day: np.ndarray) -> np.ndarray:  # orders of the group up to ``day``
            at = np.searchsorted(code, group * _SPREAD + day, side="right")
            start = np.searchsorted(code, group * _SPREAD + _LOWEST, side="left")
            return total[at] - total[start]

        return np.where(last >= first, upto(last) - upto(first - 1), 0)

    def first_day(self) -> np.ndarray:
        """Each group's first order day (a day number)."""
        starts = np.flatnonzero(np.diff(self.group, prepend=-1))  # the first row of each group
        return self.day[starts]


_SPREAD = 1 << 32  # group * _SPREAD + day orders the rows by group, then day
_LOWEST = -(1 << 31)
_INDEXES: dict[int, tuple[weakref.ref[pl.DataFrame], OrderIndex]] = {}


def order_index(parts: OdrParts) -> OrderIndex:
    """The :class:`OrderIndex` of ``parts.order_counts``, built once per frame.

    Kept as long as that frame lives (a what-if replaces the defect spans, never the orders, so
    every answer on the same parts shares it) and dropped with it: the cache never keeps a frame
    alive.
    """
    counts = parts.order_counts
    key = id(counts)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is counts and hit[1].keys == parts.keys:
        return hit[1]
    index = _build_index(counts, list(parts.keys))
    _INDEXES[key] = (weakref.ref(counts), index)
    weakref.finalize(counts, _INDEXES.pop, key, None)
    return index


def _build_index(counts: pl.DataFrame, keys: list[str]) -> OrderIndex:
    """The index of ``counts``; the work is per run of equal keys, so it is cheap on a frame
    sorted by its keys and dates (as :func:`~odr_analysis.parts.prepare` leaves it)."""
    if counts.height == 0:
        empty = np.zeros(0, np.int64)
        return OrderIndex(tuple(keys), counts.select(keys).clear(), empty, empty, empty, empty)
    run = counts.select(pl.struct(keys).rle_id()).to_series().to_numpy()
    starts = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    heads = counts.select(pl.col(keys).gather(starts))
    groups = heads.unique().sort(keys)
    number = heads.join(
        groups.with_row_index("_g"), on=keys, how="left", maintain_order="left", nulls_equal=True
    )["_g"].to_numpy()
    group = number[run].astype(np.int64)
    day = counts["order_date"].to_physical().to_numpy().astype(np.int64)
    orders = counts["orders"].to_numpy().astype(np.int64)
    code = group * _SPREAD + day
    if code.size > 1 and not np.all(code[1:] > code[:-1]):
        by = np.argsort(code, kind="stable")
        group, day, orders = group[by], day[by], orders[by]
    before = np.zeros(orders.size, np.int64)
    np.cumsum(orders[:-1], out=before[1:])
    for array in (group, day, orders, before):
        array.flags.writeable = False
    return OrderIndex(tuple(keys), groups, group, day, orders, before)


# ---------------------------------------------------------------------------------------------
# The counter


def daily_path(
    parts: OdrParts,
    *,
    start: dt.date | str,
    end: dt.date | str,
    extra_orders: Frame | None = None,
    dropped: bool = False,
) -> pl.DataFrame:
    """The rate of every report date ``start`` .. ``end`` (inclusive), from ``parts``.

    One row per group of ``parts`` and day, with the columns of
    :data:`~odr_analysis.schema.ODR_COLUMNS` (``odr`` null when the window holds no order).
    ``extra_orders`` (group keys, ``order_date``, ``orders``) adds clean orders, e.g. the
    orders a seller expects in the coming days. ``dropped`` adds ``dropped_today``: the
    defective orders that left the window since the day before (they were defective on their
    last window day).
    """
    first, last = to_date(start, "start"), to_date(end, "end")
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first})")
    rules = parts.rules
    index = order_index(parts)
    lo, hi = day_number(first), day_number(last)
    days = hi - lo + 1
    # The orders in each window: a moving sum over the order days of every window asked for.
    od_first, od_last = rules.order_days(lo)[0], rules.order_days(hi)[1]
    per_day = index.per_day(od_first, od_last)
    if extra_orders is not None:
        per_day += _extra(extra_orders, index, od_first, od_last)
    order_count = in_windows(per_day, od_first, lo, hi, rules).ravel()
    grid = _Grid(index.size, lo, hi)
    levels = _defect_levels(parts, index, grid, dropped=dropped)
    counts = dict(zip(COUNT_COLUMNS, [order_count, *levels], strict=False))
    report = np.tile(np.arange(lo, hi + 1, dtype=np.int32), index.size)
    window_start, window_end = rules.order_days(report)
    frame = index.groups.select(pl.all().gather(np.repeat(np.arange(index.size), days)))
    n, k = counts["order_count"], counts["defective_orders"]
    columns = {
        "as_of": _dates(report, "as_of"),
        "window_start": _dates(window_start, "window_start"),
        "window_end": _dates(window_end, "window_end"),
        **{name: pl.Series(name, values) for name, values in counts.items()},
        "odr": pl.Series("odr", rate(k, n), nan_to_null=True),
        "target": pl.Series("target", np.full(n.shape, rules.target)),
    }
    columns["meets_target"] = (columns["odr"] < rules.target).alias("meets_target")
    if dropped:
        columns["dropped_today"] = pl.Series("dropped_today", levels[-1])
    return frame.hstack(list(columns.values()))


def in_windows(
    per_order_day: np.ndarray, first_order_day: int, first: int, last: int, rules: OdrRules
) -> np.ndarray:
    """Per group, the sum of ``per_order_day`` over the window of each report day ``first ..
    last``: an array (groups, days).

    ``per_order_day[:, j]`` belongs to order day ``first_order_day + j``; order days outside
    the array count as 0. This is the daily counter's window sum, for any count per order day
    (orders, orders defective on a date, expected defects, ...).

    >>> in_windows(np.array([[1, 2, 3, 4]]), 10, 25, 27, OdrRules(window_days=2, lag_days=14))
    array([[3, 5, 7]])
    """
    days = last - first + 1
    lo = rules.order_days(first)[0] - first_order_day
    hi = rules.order_days(last)[1] - first_order_day
    size = per_order_day.shape[0]
    needed = np.zeros((size, hi - lo + 1), np.asarray(per_order_day).dtype)
    a, b = max(lo, 0), min(hi, per_order_day.shape[1] - 1)
    if a <= b:
        needed[:, a - lo : b - lo + 1] = per_order_day[:, a : b + 1]
    running = np.zeros((size, needed.shape[1] + 1), needed.dtype)
    np.cumsum(needed, axis=1, out=running[:, 1:])
    width = rules.window_days
    return running[:, width : width + days] - running[:, :days]


def rate(defective: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """The engine's rate: ``defective / orders`` in float64, NaN where there is no order."""
    return np.divide(
        defective, orders, out=np.full(np.shape(orders), np.nan), where=np.asarray(orders) > 0
    )


def _dates(numbers: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(numbers, dtype=np.int32)).cast(pl.Date)


def _extra(extra_orders: Frame, index: OrderIndex, first: int, last: int) -> np.ndarray:
    """The extra orders per group and order day ``first .. last`` (groups not in the parts:
    ignored)."""
    keys = list(index.keys)
    extra = (
        extra_orders.lazy()
        .join(index.groups.lazy().with_row_index("_g"), on=keys)
        .select(
            g=pl.col("_g").cast(pl.Int64),
            d=pl.col("order_date").cast(pl.Int32).cast(pl.Int64),
            n=pl.col("orders").cast(pl.Int64),
        )
        .collect(engine="in-memory")
    )
    g, d, n = (extra[c].to_numpy() for c in extra.columns)
    days = last - first + 1
    seen = (d >= first) & (d <= last)
    cells = g[seen] * days + (d[seen] - first)
    return (
        np.bincount(cells, weights=n[seen], minlength=index.size * days)
        .astype(np.int64)
        .reshape(index.size, days)
    )


def _defect_levels(
    parts: OdrParts, index: OrderIndex, grid: _Grid, *, dropped: bool
) -> list[np.ndarray]:
    """Defective orders, each component (and the defective orders leaving), per group and day.

    A defect counts on the report days of its stretch that also hold its order in the window;
    an order is defective on the days of the union of its stretches of every kind. It leaves
    defective the day after its last window day when that union reaches that day.
    """
    rules = parts.rules
    spans = (
        parts.defect_spans.lazy()
        .join(index.groups.lazy().with_row_index("_g"), on=list(parts.keys))
        .select(
            pl.col("_g").cast(pl.Int64),
            order=pl.struct("account", "order_id").rank("dense").cast(pl.Int64),
            column=pl.col("kind").replace_strict(_COLUMN_OF_KIND, return_dtype=pl.Int64),
            od=pl.col("order_date").cast(pl.Int32).cast(pl.Int64),
            s=pl.col("counted_from").cast(pl.Int32).cast(pl.Int64),
            e=pl.col("counted_until").cast(pl.Int32).cast(pl.Int64).fill_null(OPEN_END),
        )
        .collect(engine="in-memory")
    )
    g, order, kind, od, s, e = (spans[c].to_numpy() for c in spans.columns)
    enters, exits = rules.report_days(od)
    steps: list[tuple[Any, ...]] = [(kind, g, np.maximum(s, enters), np.minimum(e, exits))]
    run, s, e = _merge(order, s, e)
    g, enters, exits = g[run], enters[run], exits[run]
    steps.append((0, g, np.maximum(s, enters), np.minimum(e, exits)))
    if dropped:
        gone = (e >= exits) & (s <= exits)  # defective on its last window day
        steps.append((_DROPPED, g[gone], exits[gone] + 1, exits[gone] + 1))
    columns = len(COUNT_COLUMNS) - 1 + dropped
    return list(grid.levels(steps, columns))


@dataclass(frozen=True)
class _Grid:
    """Report days ``lo .. hi`` (day numbers) of ``n_groups`` groups, as one dense array."""

    n_groups: int
    lo: int
    hi: int

    @property
    def n_days(self) -> int:
        return self.hi - self.lo + 1

    def levels(self, steps: Sequence[tuple[Any, ...]], n_columns: int) -> np.ndarray:
        """Per column, group and report day, the number of intervals covering it.

        Each of ``steps`` is ``(column, group, first, last)``: arrays (``column`` may be one
        number) of intervals ``[first, last]`` of report day numbers, inclusive. Each interval
        adds a step up on its first day seen and a step down the day after its end; a running
        sum along each group's days gives the levels, shaped ``(n_columns, n_groups *
        n_days)``, group-major.
        """
        size = self.n_groups * self.n_days
        ups, downs = [], []
        for column, group, starts, stops in steps:
            seen = (starts <= stops) & (starts <= self.hi) & (stops >= self.lo)
            base = column * size + group.astype(np.int64) * self.n_days - self.lo
            base = np.broadcast_to(base, group.shape)[seen]
            first, last = starts[seen], stops[seen]
            ends = last < self.hi
            ups.append(base + np.maximum(first, self.lo))
            downs.append(base[ends] + last[ends] + 1)
        steps_ = np.bincount(np.concatenate(ups), minlength=n_columns * size)
        steps_ -= np.bincount(np.concatenate(downs), minlength=n_columns * size)
        return np.cumsum(steps_.reshape(-1, self.n_days), axis=1).reshape(n_columns, size)


def _merge(order: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, ...]:
    """Merge the overlapping intervals ``[s, e]`` of each order into runs.

    Returns, per run, one of its rows (for the order's other columns) and its start and end.
    Sorted by order and start, a new run begins where an interval starts after every earlier
    interval of the same order has ended. The running maximum of the ends within each order
    is a global running maximum of ``order * 2**32 + end`` (each order's values exceed all
    earlier orders'), minus the offset.

    >>> [a.tolist() for a in _merge(np.array([7, 7, 7, 3]), np.array([5, 1, 9, 1]),
    ...                              np.array([8, 6, 9, 2]))]
    [[3, 1, 2], [1, 1, 9], [2, 8, 9]]
    """
    # One sort on (order, start) packed into an int64 (cheaper than np.lexsort).
    by_order = np.argsort((order << 32) | (s - s.min(initial=0)), kind="stable")
    order, s, e = order[by_order], s[by_order], e[by_order]
    lowest = e.min(initial=0)
    offset = order << 32
    reach = np.maximum.accumulate(offset + (e - lowest)) - offset + lowest
    new = np.ones(order.size, dtype=bool)
    new[1:] = (order[1:] != order[:-1]) | (s[1:] > reach[:-1])
    starts = np.flatnonzero(new)
    return by_order[starts], s[starts], np.maximum.reduceat(e, starts) if starts.size else e
