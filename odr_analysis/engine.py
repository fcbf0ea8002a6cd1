"""Amazon's Order Defect Rate for one report date (:func:`odr`) or every day (:func:`odr_daily`).

How a report date sees the data (defaults of :class:`~odr_analysis.rules.OdrRules`):

* the window holds the orders whose ``order_date`` is in ``[as_of - 73, as_of - 14]`` (60 days,
  both ends inclusive): as_of 2024-01-28 shows orders of 2023-11-16 .. 2024-01-14;
* a defect counts only if Amazon had received it by then (``event_date <= as_of``), and it is
  charged to its order's date, never to its own: that is why an old window's rate can still rise;
* an order with several defects is one defective order; each component (negative feedback,
  A-to-z claims, chargebacks) counts the orders with at least one defect of that kind, so the
  components can add up to more than ``defective_orders``;
* negative feedback: an order has one feedback, so the latest feedback row known on the report
  date decides (a 1-star later revised to 3 stars stops counting on the day of the revision);
  when two rows share that date, the order counts if either counts;
* claims and chargebacks count from the first counted row's ``event_date`` on.

``odr_daily`` does not loop over days: every order is in the window of the report dates
``[order_date + lag, order_date + lag + window - 1]`` and every counted defect state covers an
interval of report dates, so each daily count is a running sum of +1/-1 steps at interval edges.

It is :func:`prepare` (one pass over the orders) then :func:`daily_path` (small frames only).
``prepare`` computes a 64-bit hash of each order's key and two of its group keys, then, side by
side on the available cores: sorts the key hashes on one thread to prove the key unique; picks
out the ~1% of orders that have defects with one ``is_in`` probe each and joins those on the
key itself; and counts orders per group and order date with ``np.bincount`` into a dense grid
(the groups numbered by their hash, checked by the second hash, with an exact ``group_by`` as
the fallback). On 10 million orders and 2 cores that is about 0.45 s; see ``benchmarks/``.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import (
    CHANNELS,
    ORDERS_SCHEMA,
    Frame,
    OdrInputError,
    check_order_values,
    order_key_hash,
    validate_defects,
    validate_orders,
)

__all__ = [
    "GROUP_KEYS",
    "ODR_COLUMNS",
    "OdrParts",
    "counted_defects",
    "daily_path",
    "odr",
    "odr_daily",
    "prepare",
    "unmatched_defects",
]

GROUP_KEYS: tuple[str, ...] = ("account", "marketplace", "channel")
COMPONENTS: dict[str, str] = {
    "negative_feedback": "negative_feedback",
    "a_to_z_claim": "a_to_z_claims",
    "chargeback": "chargebacks",
}
COUNT_COLUMNS: tuple[str, ...] = ("order_count", "defective_orders", *COMPONENTS.values())
ODR_COLUMNS: tuple[str, ...] = (
    *GROUP_KEYS,
    "as_of",
    "window_start",
    "window_end",
    *COUNT_COLUMNS,
    "odr",
    "target",
    "meets_target",
)
_OPEN = 2**30  # an open-ended interval of report days, as an integer day number
_KEY = ["account", "order_id"]
_KINDS = list(COMPONENTS)


def _counted(rules: OdrRules) -> pl.Expr:
    """True for a defect row that counts under ``rules`` (feedback: before the latest-row rule)."""
    kind, status = pl.col("kind"), pl.col("status")
    claim = pl.lit(True) if rules.count_all_claims else status.is_in(rules.counted_claim_statuses)
    return (
        pl.when(kind == "negative_feedback")
        .then(
            status.is_in(rules.counted_feedback_statuses)
            & (pl.col("rating") <= rules.negative_feedback_max_rating)
        )
        .when(kind == "a_to_z_claim")
        .then(claim)
        .otherwise(status.is_in(rules.counted_chargeback_statuses))
    )


def _frames(
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


def _prepare(
    orders: Frame, defects: Frame, rules: OdrRules, by: Sequence[str]
) -> tuple[pl.LazyFrame, pl.LazyFrame, list[str]]:
    lf_orders, lf_defects, keys, cancelled = _frames(orders, defects, rules, by, check_values=True)
    if cancelled is not None:
        lf_orders = lf_orders.filter(~cancelled)
    return lf_orders, lf_defects, keys


def counted_defects(
    defects: Frame, *, as_of: dt.date | str, rules: OdrRules = OdrRules()
) -> pl.DataFrame:
    """One row per order with a defect counted on report date ``as_of`` (any order date).

    Columns: ``account``, ``order_id`` and one Boolean per kind (``negative_feedback``,
    ``a_to_z_claim``, ``chargeback``). Defects received after ``as_of`` are ignored.
    """
    day = to_date(as_of, "as_of")
    known = validate_defects(defects).filter(pl.col("event_date") <= day)
    return _flags(known, rules).collect()


def _flags(known: pl.LazyFrame, rules: OdrRules) -> pl.LazyFrame:
    """Per order, the kinds that count among the ``known`` defect rows (latest feedback decides)."""
    latest_feedback = (
        known.filter(pl.col("kind") == "negative_feedback")
        .filter(pl.col("event_date") == pl.col("event_date").max().over(_KEY))
        .group_by(_KEY)
        .agg(negative_feedback=_counted(rules).any())
    )
    others = (
        known.filter(pl.col("kind") != "negative_feedback")
        .group_by(_KEY)
        .agg(
            a_to_z_claim=((pl.col("kind") == "a_to_z_claim") & _counted(rules)).any(),
            chargeback=((pl.col("kind") == "chargeback") & _counted(rules)).any(),
        )
    )
    return (
        latest_feedback.join(others, on=_KEY, how="full", coalesce=True)
        .with_columns(pl.col(_KINDS).fill_null(False))
        .filter(pl.any_horizontal(_KINDS))
        .select(*_KEY, *_KINDS)
    )


def odr(
    orders: Frame,
    defects: Frame,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Amazon's ODR on report date ``as_of``: one row per (account, marketplace, channel).

    Every group present in ``orders`` gets a row; ``odr`` and ``meets_target`` are null when
    the window holds no order. ``by`` adds grouping columns of ``orders`` (e.g. ``is_business``
    for the B2B view; a null in one is an error). Input frames are not modified.

    Examples
    --------
    Ten orders in the window, one with a negative feedback *and* a granted claim: one defective
    order (10%), and each component counts it once.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({
    ...     "account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": [f"o{i}" for i in range(10)], "order_date": dt.date(2024, 1, 2)})
    >>> defects = pl.DataFrame({
    ...     "account": "acme", "order_id": "o3", "kind": ["negative_feedback", "a_to_z_claim"],
    ...     "event_date": dt.date(2024, 1, 20), "status": ["active", "granted"],
    ...     "rating": [1, None]})
    >>> row = odr(orders, defects, as_of="2024-01-28").row(0, named=True)
    >>> row["window_start"], row["window_end"]
    (datetime.date(2023, 11, 16), datetime.date(2024, 1, 14))
    >>> [row[c] for c in ("order_count", "defective_orders", "negative_feedback", "a_to_z_claims")]
    [10, 1, 1, 1]
    >>> row["odr"], row["meets_target"]
    (0.1, False)
    """
    window = rules.window(as_of)
    lf_orders, lf_defects, keys = _prepare(orders, defects, rules, by)
    flags = _flags(lf_defects.filter(pl.col("event_date") <= window.as_of), rules)
    in_window = lf_orders.filter(pl.col("order_date").is_between(window.start, window.end))
    counts = (
        in_window.join(flags, on=_KEY, how="left")
        .group_by(keys)
        .agg(
            order_count=pl.len().cast(pl.Int64),
            defective_orders=pl.any_horizontal(_KINDS).sum().cast(pl.Int64),
            **{col: pl.col(kind).sum().cast(pl.Int64) for kind, col in COMPONENTS.items()},
        )
    )
    result = (
        lf_orders.select(keys)
        .unique()
        .join(counts, on=keys, how="left")
        .with_columns(pl.col(COUNT_COLUMNS).fill_null(0))
        .with_columns(
            as_of=pl.lit(window.as_of),
            window_start=pl.lit(window.start),
            window_end=pl.lit(window.end),
        )
    )
    return _finish(result, keys, rules).sort(keys).collect()


def _finish(lf: pl.LazyFrame, keys: list[str], rules: OdrRules) -> pl.LazyFrame:
    rate = (
        pl.when(pl.col("order_count") > 0)
        .then(pl.col("defective_orders") / pl.col("order_count"))
        .otherwise(None)
    )
    return lf.with_columns(odr=rate).select(
        *keys,
        "as_of",
        "window_start",
        "window_end",
        *COUNT_COLUMNS,
        "odr",
        target=pl.lit(rules.target, pl.Float64),
        meets_target=pl.col("odr") < rules.target,
    )


def _segments(defects: pl.LazyFrame, rules: OdrRules) -> pl.LazyFrame:
    """Intervals of report days ``[s, e]`` on which an order has a counted defect, per kind.

    Days are integers (days since 1970-01-01); ``e`` is ``_OPEN`` when the defect counts from
    ``s`` on for good. Feedback intervals of one order never overlap (each row holds until the
    next one); claims and chargebacks count from the first counted row on.
    """
    day = pl.col("event_date").cast(pl.Int32)
    feedback = (
        defects.filter(pl.col("kind") == "negative_feedback")
        .group_by(*_KEY, "event_date")
        .agg(counts=_counted(rules).any())
        .sort(*_KEY, "event_date")
        .with_columns(next=pl.when(_same_order_as(-1)).then(day.shift(-1)))
        .filter(pl.col("counts"))
        .select(*_KEY, kind=pl.lit("negative_feedback"), s=day, e=(pl.col("next") - 1))
    )
    first_counted = (
        defects.filter((pl.col("kind") != "negative_feedback") & _counted(rules))
        .group_by(*_KEY, "kind")
        .agg(s=day.min())
        .select(*_KEY, "kind", "s", e=pl.lit(None, pl.Int32))
    )
    return pl.concat([feedback, first_counted]).with_columns(
        pl.col("e").fill_null(_OPEN).cast(pl.Int32)
    )


def _same_order_as(offset: int) -> pl.Expr:
    """True where the row ``offset`` rows away (in a frame sorted by order) is the same order.

    Cheaper than ``.over(account, order_id)`` windows, which are slow with many tiny groups.
    """
    return (
        (pl.col("account") == pl.col("account").shift(offset))
        & (pl.col("order_id") == pl.col("order_id").shift(offset))
    ).fill_null(False)


@dataclass(frozen=True)
class OdrParts:
    """The two small frames every daily ODR path is built from; see :func:`prepare`.

    ``order_counts``: one row per group and order date with the number of orders (``orders``),
    sorted by group and date. ``defect_spans``: one row per order, kind and counted stretch,
    with the order's group keys, ``order_date``, and the report dates ``counted_from`` ..
    ``counted_until`` (inclusive; null = for good) on which that defect counts, in the order of
    the orders frame (then kind and start). Building these is the one pass over all orders;
    a what-if edits them (drop spans, add orders) and calls :func:`daily_path`, which is fast.
    """

    keys: tuple[str, ...]
    order_counts: pl.DataFrame
    defect_spans: pl.DataFrame
    rules: OdrRules


# Two independent seeds for the group hashes of prepare() (any two distinct constants).
_GROUP_SEEDS = (0x243F6A88, 0x85A308D3)
# The largest dense grid of groups x order dates prepare() counts into (8 bytes a cell).
_MAX_CELLS = 2**26
_REQUIRED = pl.col(*ORDERS_SCHEMA)


def prepare(
    orders: Frame, defects: Frame, *, rules: OdrRules = OdrRules(), by: Sequence[str] = ()
) -> OdrParts:
    """Validate the frames and reduce them to :class:`OdrParts` (orders per day, defect spans).

    Defects whose order is not in ``orders`` are left out (see :func:`unmatched_defects`).
    """
    lf_orders, lf_defects, keys, cancelled = _frames(orders, defects, rules, by, check_values=False)
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

    Sorts them on one thread and compares neighbours: on 10 million UInt64 that takes 0.17 s
    of CPU, where ``n_unique`` takes 0.29 s (on two threads); the other core is busy anyway.
    """
    ordered = values.sort(multithreaded=False).to_numpy()
    last, step = ordered.size - 1, 1 << 20  # neighbours compared a million at a time
    for a in range(0, max(last, 0), step):
        b = min(a + step, last)
        if np.any(ordered[a + 1 : b + 1] == ordered[a:b]):
            return False
    return True


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


def _group_hash(keys: Sequence[str], seed: int) -> pl.Expr:
    """A UInt64 hash of a row's group keys: each column hashed with its own seed, xor-ed."""
    return functools.reduce(
        operator.xor, [pl.col(key).hash(seed + 7919 * i) for i, key in enumerate(keys)]
    )


def _orders_per_day(table: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, pl.Series]:
    """``OdrParts.order_counts`` (orders per group and order date, sorted by keys and date),
    and the channels of all orders, cancelled or not (for the value checks).

    Groups are numbered by a hash of their keys and counted with ``np.bincount`` into a dense
    grid of groups x order dates: on 10 million orders a fraction of the CPU time of a polars
    ``group_by`` on the text keys. When the grid would be too large, or two groups share a
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

    Works through the rows a chunk at a time: a fresh 80 MB temporary costs more in page
    faults than the arithmetic on it, while a chunk's temporaries stay in cache.
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
    # per chunk would spend more time clearing its output than counting).
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
    segments = _segments(lf_defects, rules).collect(engine="in-memory")
    wanted = key_hash.is_in(segments.select(order_key_hash().unique()).to_series().implode())
    if "_cancelled" in table.columns:
        wanted = wanted & ~table["_cancelled"]
    # Rows keep the orders frame's order (by row number, then kind and start): a sort on
    # three small columns, where one on the text keys took four times the CPU (10M orders).
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
            counted_until=pl.when(pl.col("e") < _OPEN).then(pl.col("e")).cast(pl.Date),
        )
        .collect(engine="in-memory")
    )


def daily_path(
    parts: OdrParts,
    *,
    start: dt.date | str,
    end: dt.date | str,
    extra_orders: Frame | None = None,
) -> pl.DataFrame:
    """The :func:`odr_daily` frame from :class:`OdrParts`, for report dates ``start`` .. ``end``.

    ``extra_orders`` (group keys, ``order_date``, ``orders``) adds clean orders, e.g. the
    orders a seller expects in the coming days. Only groups of ``parts`` are reported.
    """
    first, last = to_date(start, "start"), to_date(end, "end")
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first})")
    keys = list(parts.keys)
    lag, width = parts.rules.lag_days, parts.rules.window_days
    lo, hi = day_number(first), day_number(last)
    groups, codes = _group_numbers(parts.order_counts, keys)
    counts = parts.order_counts.select(
        od=pl.col("order_date").cast(pl.Int32), orders=pl.col("orders").cast(pl.Int64)
    )
    if extra_orders is not None:
        extra = (
            extra_orders.lazy()
            .join(groups.lazy().with_row_index("_g"), on=keys)
            .select("_g", od=pl.col("order_date").cast(pl.Int32), orders=pl.col("orders"))
            .collect(engine="in-memory")
        )
        codes = np.concatenate([codes, extra["_g"].to_numpy()])
        counts = pl.concat([counts, extra.select("od", pl.col("orders").cast(pl.Int64))])
    grid = _Grid(groups.height, lo, hi)
    # Report day r counts the orders of order dates r - lag - width + 1 .. r - lag: a moving
    # sum over each group's orders per order date.
    od = counts["od"].to_numpy().astype(np.int64) - (lo - lag - width + 1)
    levels = [grid.moving_sum(codes, od, counts["orders"].to_numpy(), width)]
    levels += list(_defect_levels(parts, groups, grid))
    day = pl.Series(np.tile(np.arange(lo, hi + 1, dtype=np.int32), groups.height))
    result = groups.select(pl.all().gather(np.repeat(np.arange(groups.height), grid.n_days)))
    result = result.with_columns(
        as_of=day.cast(pl.Date),
        window_start=(day - lag - width + 1).cast(pl.Date),
        window_end=(day - lag).cast(pl.Date),
        **{name: pl.Series(level) for name, level in zip(COUNT_COLUMNS, levels, strict=True)},
    )
    return _finish(result.lazy(), keys, parts.rules).collect(engine="in-memory")


def _defect_levels(parts: OdrParts, groups: pl.DataFrame, grid: _Grid) -> np.ndarray:
    """Defective orders and each component, per group and report day of ``grid``.

    A defect counts on the report days of its stretch that also hold its order in the window;
    an order is defective on the days of the union of its stretches of every kind.
    """
    lag, width = parts.rules.lag_days, parts.rules.window_days
    column = {kind: i for i, kind in enumerate(COMPONENTS, start=1)}
    spans = (
        parts.defect_spans.lazy()
        .join(groups.lazy().with_row_index("_g"), on=list(parts.keys))
        .select(
            pl.col("_g").cast(pl.Int64),
            order=pl.struct("account", "order_id").rank("dense").cast(pl.Int64),
            column=pl.col("kind").replace_strict(column, return_dtype=pl.Int64),
            od=pl.col("order_date").cast(pl.Int32).cast(pl.Int64),
            s=pl.col("counted_from").cast(pl.Int32).cast(pl.Int64),
            e=pl.col("counted_until").cast(pl.Int32).cast(pl.Int64).fill_null(_OPEN),
        )
        .collect(engine="in-memory")
    )
    g, order, kind, od, s, e = (spans[c].to_numpy() for c in spans.columns)
    steps: list[tuple[Any, ...]] = [
        (kind, g, np.maximum(s, od + lag), np.minimum(e, od + lag + width - 1))
    ]
    run, s, e = _merge(order, s, e)
    od = od[run]
    steps.append((0, g[run], np.maximum(s, od + lag), np.minimum(e, od + lag + width - 1)))
    return grid.levels(steps, len(COUNT_COLUMNS) - 1)


@dataclass(frozen=True)
class _Grid:
    """Report days ``lo .. hi`` (day numbers) of ``n_groups`` groups, as one dense array."""

    n_groups: int
    lo: int
    hi: int

    @property
    def n_days(self) -> int:
        return self.hi - self.lo + 1

    def moving_sum(
        self, group: np.ndarray, day: np.ndarray, weight: np.ndarray, width: int
    ) -> np.ndarray:
        """Per group and report day ``lo + i``, the total ``weight`` on days ``i .. i + width
        - 1`` (``day`` counts from the first of those days), flattened group-major.
        """
        span = self.n_days + width - 1
        seen = (day >= 0) & (day < span)
        totals = np.zeros((self.n_groups, span + 1), dtype=np.int64)
        totals[:, 1:] = np.bincount(
            group[seen].astype(np.int64) * span + day[seen],
            weights=weight[seen],
            minlength=self.n_groups * span,
        ).reshape(self.n_groups, span)
        np.cumsum(totals, axis=1, out=totals)
        return (totals[:, width:] - totals[:, : self.n_days]).ravel()

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
    # One sort on (order, start) packed into an int64: half the time of np.lexsort (107k spans).
    by_order = np.argsort((order << 32) | (s - s.min(initial=0)), kind="stable")
    order, s, e = order[by_order], s[by_order], e[by_order]
    lowest = e.min(initial=0)
    offset = order << 32
    reach = np.maximum.accumulate(offset + (e - lowest)) - offset + lowest
    new = np.ones(order.size, dtype=bool)
    new[1:] = (order[1:] != order[:-1]) | (s[1:] > reach[:-1])
    starts = np.flatnonzero(new)
    return by_order[starts], s[starts], np.maximum.reduceat(e, starts) if starts.size else e


def _group_numbers(frame: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """The distinct ``keys`` of ``frame``, sorted, and each row's position among them.

    The work is per run of equal keys, so it is cheap on a frame sorted by its keys, as
    :func:`prepare` leaves ``order_counts``; any order gives the same answer.
    """
    if frame.height == 0:
        return frame.select(keys).clear(), np.zeros(0, dtype=np.int64)
    run = frame.select(pl.struct(keys).rle_id()).to_series().to_numpy()
    starts = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    heads = frame.select(pl.col(keys).gather(starts))
    groups = heads.unique().sort(keys)
    number = heads.join(
        groups.with_row_index("_g"), on=keys, how="left", maintain_order="left", nulls_equal=True
    )["_g"].to_numpy()
    return groups, number[run].astype(np.int64)


def odr_daily(
    orders: Frame,
    defects: Frame,
    *,
    start: dt.date | str,
    end: dt.date | str,
    rules: OdrRules = OdrRules(),
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """:func:`odr` for every report date from ``start`` to ``end`` (inclusive), in one pass.

    One row per (account, marketplace, channel) present in ``orders`` and per day, including
    days whose window holds no order (``order_count`` 0, ``odr`` null). Agrees with
    :func:`odr` on every day. Same as ``daily_path(prepare(orders, defects), ...)``.

    Examples
    --------
    One order of 2024-01-01 is in the windows of report dates 2024-01-15 .. 2024-03-14; its
    feedback, received on 2024-02-01, counts from that report date on:

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "AFN",
    ...                        "order_id": "o1", "order_date": dt.date(2024, 1, 1)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o1", "kind": "negative_feedback",
    ...     "event_date": dt.date(2024, 2, 1), "status": "active", "rating": 2})
    >>> daily = odr_daily(orders, defects, start="2024-01-14", end="2024-03-15")
    >>> daily.filter(pl.col("as_of").is_in([dt.date(2024, 1, d) for d in (14, 15, 31)]
    ...     + [dt.date(2024, 2, 1), dt.date(2024, 3, 14), dt.date(2024, 3, 15)])
    ... ).select("as_of", "order_count", "defective_orders", "odr")
    shape: (6, 4)
    ┌────────────┬─────────────┬──────────────────┬──────┐
    │ as_of      ┆ order_count ┆ defective_orders ┆ odr  │
    │ ---        ┆ ---         ┆ ---              ┆ ---  │
    │ date       ┆ i64         ┆ i64              ┆ f64  │
    ╞════════════╪═════════════╪══════════════════╪══════╡
    │ 2024-01-14 ┆ 0           ┆ 0                ┆ null │
    │ 2024-01-15 ┆ 1           ┆ 0                ┆ 0.0  │
    │ 2024-01-31 ┆ 1           ┆ 0                ┆ 0.0  │
    │ 2024-02-01 ┆ 1           ┆ 1                ┆ 1.0  │
    │ 2024-03-14 ┆ 1           ┆ 1                ┆ 1.0  │
    │ 2024-03-15 ┆ 0           ┆ 0                ┆ null │
    └────────────┴─────────────┴──────────────────┴──────┘
    """
    first, last = to_date(start, "start"), to_date(end, "end")
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first})")
    return daily_path(prepare(orders, defects, rules=rules, by=by), start=first, end=last)


def unmatched_defects(orders: Frame, defects: Frame) -> pl.DataFrame:
    """Defect rows whose (account, order_id) is not in ``orders``: they never count.

    Such defects usually mean the orders export does not reach back far enough, or the defect
    belongs to another account. They are listed with a ``reason`` so nothing is lost silently.
    """
    lf_orders = validate_orders(orders, check_values=False)
    lf_defects = validate_defects(defects)
    return (
        lf_defects.join(lf_orders.select(_KEY), on=_KEY, how="anti")
        .with_columns(reason=pl.lit("order not in orders: this defect cannot be dated or counted"))
        .sort(*_KEY, "event_date")
        .collect()
    )
