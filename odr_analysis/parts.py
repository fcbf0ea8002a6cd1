"""The one pass over the orders: :func:`prepare` reduces an account to :class:`OdrParts`.

Every daily answer (the engine's :func:`~odr_analysis.engine.odr_daily`, the what-ifs, the
projection, the explanation of a change) works from two small frames built once:
``order_counts`` (orders per group and order date) and ``defect_spans`` (the stretches of
report dates on which each order has a counted defect of a kind). A what-if edits them (drops
spans, adds orders) and calls the daily counter (:func:`odr_analysis.daily.daily_path`) again,
without a new pass over the orders.

:func:`as_parts` is the one place that accepts "the orders and defects frames, or the parts
prepared from them"; :func:`known_on` is the view of the parts as Amazon knows them on a report
date, if nothing new happens afterwards.

How ``prepare`` works: a 64-bit hash of each order's key and two of its group keys, then, side by
side on the available cores: the key hashes are sorted on one thread to prove the key unique;
the ~1% of orders that have defects are picked out with one ``is_in`` probe each and joined on
the key itself; and the orders are counted per group and order date with ``np.bincount`` into a
dense grid (the groups numbered by their hash, checked by the second hash, with an exact
``group_by`` as the fallback). ``benchmarks/README.md`` has the measurements behind each choice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from odr_analysis.defects import OPEN_END, counted_stretches
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import (
    CHANNELS,
    GROUP_KEYS,
    ORDER_KEY,
    ORDERS_SCHEMA,
    Frame,
    OdrInputError,
    check_order_values,
    empty_defects,
    order_key_hash,
    validate_defects,
    validate_orders,
)

__all__ = ["OdrParts", "as_parts", "checked_frames", "known_on", "prepare"]

_KEY = list(ORDER_KEY)


@dataclass(frozen=True)
class OdrParts:
    """The two small frames every daily ODR path is built from; see :func:`prepare`.

    ``order_counts``: one row per group and order date with the number of orders (``orders``),
    sorted by group and date. ``defect_spans``: one row per order, kind and counted stretch,
    with the order's group keys, ``order_date``, and the report dates ``counted_from`` ..
    ``counted_until`` (inclusive; null = for good) on which that defect counts, in the order of
    the orders frame (then kind and start). Building these is the one pass over all orders;
    a what-if edits them (drop spans, add orders) and calls the daily counter, which is fast.
    """

    keys: tuple[str, ...]
    order_counts: pl.DataFrame
    defect_spans: pl.DataFrame
    rules: OdrRules


def checked_frames(
    orders: Frame, defects: Frame, rules: OdrRules, by: Sequence[str], *, check_values: bool
) -> tuple[pl.LazyFrame, pl.LazyFrame, list[str], pl.Expr | None]:
    """Validated lazy frames, the group keys, and the cancelled-order test (if rules drop them)."""
    lf_orders = validate_orders(orders, check_values=check_values)
    lf_defects = validate_defects(defects)
    keys = [*GROUP_KEYS, *by]
    schema = lf_orders.collect_schema()
    missing = [c for c in by if c not in schema]
    if missing:
        raise ValueError(f"by={list(by)}: orders has no column(s) {missing}")
    _check_by_values(lf_orders, by)
    cancelled = None
    if not rules.include_cancelled and "order_status" in schema:
        cancelled = (
            pl.col("order_status").str.to_lowercase().is_in(rules.cancelled_order_statuses)
        ).fill_null(False)
    return lf_orders, lf_defects, keys, cancelled


def _check_by_values(lf: pl.LazyFrame, by: Sequence[str]) -> None:
    """A ``by`` column may not hold nulls: those orders would belong to no group."""
    if not by:
        return
    for column, n in lf.select(pl.col(*by).null_count()).collect().row(0, named=True).items():
        if n:
            first = lf.select(pl.col(column).is_null().arg_max()).collect().item()
            raise OdrInputError(
                f"orders column {column!r} (grouped on with by=) has {n} null value(s) (first "
                f"at row {first}); fill them, e.g. pl.col({column!r}).fill_null(False), or "
                "leave the column out of by"
            )


# Two independent seeds for the group hashes of prepare() (any two distinct constants).
_GROUP_SEEDS = (0x243F6A88, 0x85A308D3)
# The largest dense grid of groups x order dates prepare() counts into (8 bytes a cell).
_MAX_CELLS = 2**26
_REQUIRED = pl.col(*ORDERS_SCHEMA)


def prepare(
    orders: Frame, defects: Frame, *, rules: OdrRules = OdrRules(), by: Sequence[str] = ()
) -> OdrParts:
    """Validate the frames and reduce them to :class:`OdrParts` (orders per day, defect spans).

    ``by`` adds grouping columns of ``orders`` to the group keys. Defects whose order is not in
    ``orders`` are left out (see :func:`~odr_analysis.defects.unmatched_defects`).
    """
    lf_orders, lf_defects, keys, cancelled = checked_frames(
        orders, defects, rules, by, check_values=False
    )
    flag = [] if cancelled is None else [cancelled.alias("_cancelled")]
    table = lf_orders.select(*keys, "order_id", "order_date", *flag).collect(engine="in-memory")
    stats = {"rows": table.height, "nulls": sum(table.select(_REQUIRED.null_count()).row(0))}
    if stats["nulls"]:
        check_order_values(lf_orders, stats)
    # A 64-bit hash of the order key proves the key unique and picks out the orders with
    # defects. Those two jobs run in threads (polars releases the GIL) while this thread
    # counts the orders per group and day.
    key = table.select(order_key_hash()).to_series()
    with ThreadPoolExecutor(max_workers=2) as pool:
        distinct = pool.submit(_all_distinct, key)
        spans = pool.submit(_defect_spans, table, key, lf_defects, rules, keys)
        order_counts, channels = _orders_per_day(table, keys)
        stats["bad_channel"] = int((~channels.is_in(CHANNELS)).sum())
        # (a duplicate: check_order_values counts them exactly and names some)
        stats["distinct"] = stats["rows"] - (not distinct.result())
        check_order_values(lf_orders, stats)
        defect_spans = spans.result()
    return OdrParts(tuple(keys), order_counts, defect_spans, rules)


def _all_distinct(values: pl.Series) -> bool:
    """True when no two of ``values`` are equal.

    Sorts them on one thread and compares neighbours: less CPU than ``n_unique`` on two
    threads, and the other core is busy anyway (``benchmarks/README.md`` has the figures).
    """
    ordered = values.sort(multithreaded=False).to_numpy()
    last, step = ordered.size - 1, 1 << 20  # neighbours compared a million at a time
    for a in range(0, max(last, 0), step):
        b = min(a + step, last)
        if np.any(ordered[a + 1 : b + 1] == ordered[a:b]):
            return False
    return True


def _group_hash(keys: Sequence[str], seed: int) -> pl.Expr:
    """A UInt64 hash of a row's group keys: each column hashed with its own seed, xor-ed."""
    return functools.reduce(
        operator.xor, [pl.col(key).hash(seed + 7919 * i) for i, key in enumerate(keys)]
    )


def _orders_per_day(table: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, pl.Series]:
    """``OdrParts.order_counts`` (orders per group and order date, sorted by keys and date),
    and the channels of all orders, cancelled or not (for the value checks).

    Groups are numbered by a hash of their keys and counted with ``np.bincount`` into a dense
    grid of groups x order dates, far cheaper than a polars ``group_by`` on the text keys
    (``benchmarks/README.md``). When the grid would be too large, or two groups share a
    hash, an exact ``group_by`` counts instead.
    """
    rows = table.select(
        group=_group_hash(keys, _GROUP_SEEDS[0]), check=_group_hash(keys, _GROUP_SEEDS[1])
    )
    kept = ~table["_cancelled"] if "_cancelled" in table.columns else None
    counted = _order_grid(rows, table["order_date"], kept) if table.height else None
    if counted is not None:
        grid, first, d0 = counted
        groups = table.select(pl.col(keys).gather(first))
        order = groups.with_row_index("_i").sort(keys)["_i"].to_numpy()
        grid = grid[order]
        g, d = np.nonzero(grid)
        counts = groups.select(pl.all().gather(order[g])).with_columns(
            order_date=pl.Series(d + d0, dtype=pl.Int32).cast(pl.Date),
            orders=pl.Series(grid[g, d], dtype=pl.Int64),
        )
        return counts, groups["channel"]
    flag = ["_cancelled"] if kept is not None else []
    grouped = (
        table.lazy()
        .group_by(*keys, "order_date", *flag)
        .agg(orders=pl.len().cast(pl.Int64))
        .collect(engine="streaming")
    )
    counts = grouped.filter(~pl.col("_cancelled")) if flag else grouped
    return counts.drop(flag).sort(*keys, "order_date"), grouped["channel"].unique()


def _order_grid(
    rows: pl.DataFrame, dates: pl.Series, kept: pl.Series | None
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Orders per group and order date, as a dense grid.

    ``rows`` holds per order two independent 64-bit hashes of its group keys: ``group``
    numbers the groups, and ``check`` must then be the same on every order of a group, so
    two different keys are only merged if both hashes collide. ``dates`` are the order
    dates; ``kept`` marks the orders to count (all when None). Returns the grid (a row per
    group, in order of first appearance; a column per day from the first order date on),
    each group's first row, and the first day as a day number; or None when the grid would
    be too large or two groups' hashes collide.

    Works through the rows a chunk at a time: a fresh temporary of every row costs more in
    page faults than the arithmetic on it, while a chunk's temporaries stay in cache.
    """
    group = rows["group"]
    first = group.arg_unique()
    day = dates.to_physical()
    d0, d1 = int(day.min()), int(day.max())  # type: ignore[arg-type]
    n_days = d1 - d0 + 1
    size = first.len() * n_days
    window = _slot_window(group.gather(first).to_numpy())
    if window is None or size > _MAX_CELLS:
        return None
    shift, bits, slot = np.uint64(window[0]), window[1], window[2]
    mask = np.uint64((1 << bits) - 1)
    expected = np.zeros(1 << bits, dtype=np.uint64)
    expected[slot] = rows["check"].gather(first).to_numpy()
    base = np.zeros(1 << bits, dtype=np.int64)  # cell of the group's day 0
    base[slot] = np.arange(first.len(), dtype=np.int64) * n_days - d0
    grid = np.zeros(size, dtype=np.int64)
    frame = rows.with_columns(day=day, **({} if kept is None else {"kept": kept}))
    # Cells gather in a buffer of about a million, then go to bincount together (a bincount
    # per chunk would clear its whole output each time).
    buffer, filled = np.empty(1 << 20, dtype=np.int64), 0
    for start, length in _slices(group.chunk_lengths()):
        part = frame.slice(start, length)
        slots = np.right_shift(part["group"].to_numpy(), shift)
        slots &= mask
        if not np.array_equal(expected[slots], part["check"].to_numpy()):
            return None
        cells = base[slots]
        cells += part["day"].to_numpy()
        if kept is not None:
            cells = cells[part["kept"].to_numpy()]
        if filled + cells.size > buffer.size:
            grid += np.bincount(buffer[:filled], minlength=size)
            filled = 0
        buffer[filled : filled + cells.size] = cells
        filled += cells.size
    grid += np.bincount(buffer[:filled], minlength=size)
    return grid.reshape(-1, n_days), first.to_numpy(), d0


def _slices(chunks: list[int], most: int = 1 << 18) -> list[tuple[int, int]]:
    """(start, length) slices of at most ``most`` rows that never straddle two chunks.

    >>> _slices([5, 3], most=4)
    [(0, 4), (4, 1), (5, 3)]
    """
    slices, start = [], 0
    for length in chunks:
        slices += [(a, min(most, start + length - a)) for a in range(start, start + length, most)]
        start += length
    return slices


def _slot_window(distinct: np.ndarray) -> tuple[int, int, np.ndarray] | None:
    """A window of bits (``shift``, ``bits``) in which the distinct UInt64s all differ.

    Returns the window and each value's slot (its bits in the window), or None when the
    values are too many for a table of at most 2**24 slots. With ``2 * k**2`` slots for
    ``k`` values a window works about four times in five, and there are dozens to try.
    """
    k = distinct.size
    bits = max(8, (2 * k * k).bit_length())
    if bits > 24:
        return None
    mask = np.uint64((1 << bits) - 1)
    for shift in range(65 - bits):
        slot = (distinct >> np.uint64(shift)) & mask
        if np.unique(slot).size == k:
            return shift, bits, slot.astype(np.int64)
    return None


def _defect_spans(
    table: pl.DataFrame,
    key_hash: pl.Series,
    lf_defects: pl.LazyFrame,
    rules: OdrRules,
    keys: list[str],
) -> pl.DataFrame:
    """``OdrParts.defect_spans``: each counted stretch of a defect, with its order's group.

    Only about one order in a hundred has a defect: pick those orders out by a 64-bit hash of
    their key (one cheap probe per order), then join the few on the key itself, so a hash
    collision can never pair a defect with the wrong order.
    """
    segments = counted_stretches(lf_defects, rules).collect(engine="in-memory")
    wanted = key_hash.is_in(segments.select(order_key_hash().unique()).to_series().implode())
    if "_cancelled" in table.columns:
        wanted = wanted & ~table["_cancelled"]
    # Rows keep the orders frame's order (by row number, then kind and start): a sort on
    # three small columns, far cheaper than one on the text keys.
    candidates = table.select(*keys, "order_id", "order_date").filter(wanted)
    return (
        segments.lazy()
        .join(candidates.with_columns(_row=wanted.arg_true()).lazy(), on=_KEY, how="inner")
        .sort("_row", "kind", "s")
        .select(
            *keys,
            "order_id",
            "order_date",
            "kind",
            counted_from=pl.col("s").cast(pl.Date),
            counted_until=pl.when(pl.col("e") < OPEN_END).then(pl.col("e")).cast(pl.Date),
        )
        .collect(engine="in-memory")
    )


def as_parts(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    rules: OdrRules = OdrRules(),
    by: Sequence[str] = (),
    with_defects: bool = False,
    defects_required: bool = True,
) -> OdrParts:
    """The parts an answer works on: ``orders`` when it is :class:`OdrParts`, else prepared.

    Every answer that accepts "the orders and defects frames, or the parts prepared from them"
    calls this. With parts, their own rules apply: a ``rules`` that is neither the default nor
    the parts' rules is an error (prepare again with those rules), and so is a ``defects``
    frame, unless the answer also needs the defects' statuses (``with_defects``).
    ``defects_required=False``: an orders frame alone is fine (an answer about orders only).
    """
    if isinstance(orders, OdrParts):
        if rules != orders.rules and rules != OdrRules():
            raise ValueError(
                "rules differ from the rules the parts were prepared with; "
                "call prepare(orders, defects, rules=...) again with these rules"
            )
        if defects is not None and not with_defects:
            raise TypeError(
                "pass either OdrParts alone or the orders and defects frames, not both "
                "(the OdrParts from prepare() already hold the defects)"
            )
        return orders
    if defects is None:
        if defects_required:
            raise TypeError(
                "defects is required with an orders frame (or pass the OdrParts from prepare())"
            )
        defects = empty_defects()
    return prepare(orders, defects, rules=rules, by=by)


def known_on(parts: OdrParts, *, as_of: dt.date | str) -> OdrParts:
    """The parts as Amazon knows them on ``as_of``, if nothing new happens afterwards.

    Keeps the orders dated up to ``as_of`` and the defect stretches that began by ``as_of``;
    a stretch that was still counting on ``as_of`` counts for good (a revision or a change
    received later is not known yet). The daily path of the result equals ``odr_daily`` on the
    frames restricted to ``order_date <= as_of`` and ``event_date <= as_of``.
    """
    day = to_date(as_of, "as_of")
    spans = parts.defect_spans.filter(
        (pl.col("counted_from") <= day) & (pl.col("order_date") <= day)
    ).with_columns(
        counted_until=pl.when(pl.col("counted_until") < day).then(pl.col("counted_until"))
    )
    return dataclasses.replace(
        parts, order_counts=_orders_through(parts.order_counts, day), defect_spans=spans
    )


_KNOWN: dict[tuple[int, dt.date], tuple[weakref.ref[pl.DataFrame], pl.DataFrame]] = {}


def _orders_through(order_counts: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """``order_counts`` up to order date ``day``: the same frame object for the same input.

    A slider recomputes the known view of one account many times; giving back the same frame
    lets the daily counter reuse what it built from it (:func:`odr_analysis.daily.order_index`).
    Kept as long as ``order_counts`` lives, and dropped with it.
    """
    key = (id(order_counts), day)
    hit = _KNOWN.get(key)
    if hit is not None and hit[0]() is order_counts:
        return hit[1]
    through = order_counts.filter(pl.col("order_date") <= day)
    _KNOWN[key] = (weakref.ref(order_counts), through)
    weakref.finalize(order_counts, _KNOWN.pop, key, None)
    return through
