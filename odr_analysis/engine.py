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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import (
    CHANNELS,
    Frame,
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
    for the B2B view). Input frames are not modified.

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


def _union(spans: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    """Merge the overlapping intervals of each order into runs (kind ``defective``).

    Sorted by order and start, a new run begins where an interval starts after every earlier
    interval of the same order has ended. The running maximum of the ends within each order is
    a global running maximum of ``order number * 2**31 + end`` (each order's values exceed all
    earlier orders'), minus the offset.
    """
    offset = pl.col("_order") * 2**31
    return (
        spans.sort(*_KEY, "s")
        .with_columns(_new=~_same_order_as(1))
        .with_columns(_order=pl.col("_new").cum_sum().cast(pl.Int64))
        .with_columns(
            reach=pl.when(~pl.col("_new")).then((offset + pl.col("e")).cum_max().shift(1) - offset)
        )
        .with_columns(run=(pl.col("reach").is_null() | (pl.col("s") > pl.col("reach"))).cum_sum())
        .group_by("run")
        .agg(
            *[pl.col(c).first() for c in (*keys, "account", "order_id", "od")],
            pl.col("s").min(),
            pl.col("e").max(),
        )
        .select(*keys, "account", "order_id", kind=pl.lit("defective"), od="od", s="s", e="e")
    )


@dataclass(frozen=True)
class OdrParts:
    """The two small frames every daily ODR path is built from; see :func:`prepare`.

    ``order_counts``: one row per group and order date with the number of orders (``orders``).
    ``defect_spans``: one row per order, kind and counted stretch, with the order's group keys,
    ``order_date``, and the report dates ``counted_from`` .. ``counted_until`` (inclusive; null
    = for good) on which that defect counts. Building these is the one pass over all orders;
    a what-if edits them (drop spans, add orders) and calls :func:`daily_path`, which is fast.
    """

    keys: tuple[str, ...]
    order_counts: pl.DataFrame
    defect_spans: pl.DataFrame
    rules: OdrRules


# Run prepare()'s passes over the orders in threads: measured 0.78 s against 0.91 s one after
# the other on 10 million orders (2 cores). A switch for benchmarking, not an option.
_PARALLEL = True


def _collect(query: pl.LazyFrame, engine: Literal["in-memory", "streaming"]) -> pl.DataFrame:
    return query.collect(engine=engine)


def _collect_side_by_side(
    *queries: tuple[pl.LazyFrame, Literal["in-memory", "streaming"]],
) -> list[pl.DataFrame]:
    """Collect lazy queries, each with its engine, in threads (polars releases the GIL)."""
    if not _PARALLEL:
        return [_collect(query, engine) for query, engine in queries]
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        futures = [pool.submit(_collect, query, engine) for query, engine in queries]
        return [future.result() for future in futures]


def prepare(
    orders: Frame, defects: Frame, *, rules: OdrRules = OdrRules(), by: Sequence[str] = ()
) -> OdrParts:
    """Validate the frames and reduce them to :class:`OdrParts` (orders per day, defect spans).

    Defects whose order is not in ``orders`` are left out (see :func:`unmatched_defects`).
    """
    lf_orders, lf_defects, keys, cancelled = _frames(orders, defects, rules, by, check_values=False)
    flag = [] if cancelled is None else [cancelled.alias("_cancelled")]
    # Pass 1 over every order: orders per group and order date. Its groups also reveal nulls
    # in the key columns and unknown channels, so the value checks need no pass of their own.
    counts = lf_orders.group_by(*keys, "order_date", *flag).agg(
        orders=pl.len().cast(pl.Int64), _null_ids=pl.col("order_id").null_count()
    )
    # Pass 2: the order key is unique (as many distinct 64-bit key hashes as rows proves it).
    unique = lf_orders.select(rows=pl.len(), distinct=order_key_hash().n_unique())
    # Pass 3: only about one order in a hundred has a defect: pick those orders out by a
    # 64-bit hash of their key (one cheap probe per order), then join the few on the key
    # itself, so a hash collision can never pair a defect with the wrong order.
    segments = _segments(lf_defects, rules).collect(engine="in-memory")
    hashes = segments.select(order_key_hash().unique()).to_series()
    defective = order_key_hash().is_in(hashes.implode())
    candidates = lf_orders.filter(
        defective if cancelled is None else defective & ~cancelled
    ).select(*keys, "order_id", "order_date")
    spans = (
        segments.lazy()
        .join(candidates, on=_KEY, how="inner")
        .select(
            *keys,
            "order_id",
            "order_date",
            "kind",
            counted_from=pl.col("s").cast(pl.Date),
            counted_until=pl.when(pl.col("e") < _OPEN).then(pl.col("e")).cast(pl.Date),
        )
        .sort(*keys, "order_id", "kind", "counted_from")
    )
    # The passes run side by side (polars releases the GIL). Each uses the engine that was
    # faster for it on 10 million orders (polars 2.1, 2 idle cores): grouping 0.27 s streaming
    # against 0.48 s in-memory; the unique count 0.24 s in-memory against 0.46 s streaming.
    grouped, unique_counts, defect_spans = _collect_side_by_side(
        (counts, "streaming"), (unique, "in-memory"), (spans, "in-memory")
    )
    required = [*GROUP_KEYS, "order_date"]
    problems = grouped.select(
        nulls=pl.col("orders").filter(pl.any_horizontal(pl.col(required).is_null())).sum()
        + pl.col("_null_ids").sum(),
        bad_channel=pl.col("orders").filter(~pl.col("channel").is_in(CHANNELS)).sum(),
    )
    check_order_values(
        lf_orders, {**unique_counts.row(0, named=True), **problems.row(0, named=True)}
    )
    order_counts = (
        (grouped if cancelled is None else grouped.filter(~pl.col("_cancelled")))
        .select(*keys, "order_date", "orders")
        .sort(*keys, "order_date")
    )
    return OdrParts(tuple(keys), order_counts, defect_spans, rules)


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
    lo, hi = _day_number(first), _day_number(last)
    n_days = hi - lo + 1
    # Work on integer cells (group number x report day) and bring the text keys back at the end.
    groups = parts.order_counts.select(keys).unique().sort(keys).with_row_index("_g")
    counts = (
        parts.order_counts.lazy().join(groups.lazy(), on=keys).select("_g", "order_date", "orders")
    )
    if extra_orders is not None:
        extra = (
            extra_orders.lazy()
            .join(groups.lazy(), on=keys)
            .select("_g", "order_date", pl.col("orders").cast(pl.Int64))
        )
        counts = pl.concat([counts, extra])
    counts = counts.with_columns(od=pl.col("order_date").cast(pl.Int32))
    # Each order joins the window on report day order_date + lag and leaves it on
    # order_date + lag + width.
    order_steps = pl.concat(
        [
            counts.select("_g", day=pl.col("od") + lag, order_count=pl.col("orders")),
            counts.select("_g", day=pl.col("od") + lag + width, order_count=-pl.col("orders")),
        ]
    )
    spans = (
        parts.defect_spans.lazy()
        .join(groups.lazy(), on=keys)
        .select(
            "_g",
            "account",
            "order_id",
            "kind",
            od=pl.col("order_date").cast(pl.Int32),
            s=pl.col("counted_from").cast(pl.Int32),
            e=pl.col("counted_until").cast(pl.Int32).fill_null(_OPEN),
        )
    )
    in_window = (
        pl.concat([spans, _union(spans, ["_g"])])
        .with_columns(
            first=pl.max_horizontal("s", pl.col("od") + lag),
            last=pl.min_horizontal("e", pl.col("od") + lag + width - 1),
        )
        .filter(pl.col("first") <= pl.col("last"))
    )
    step_cols = {"defective": "defective_orders", **COMPONENTS}
    defect_steps = pl.concat(
        [
            in_window.select("_g", "kind", day=pl.col("first"), step=pl.lit(1, pl.Int64)),
            in_window.select("_g", "kind", day=pl.col("last") + 1, step=pl.lit(-1, pl.Int64)),
        ]
    ).select(
        "_g",
        "day",
        *[
            pl.when(pl.col("kind") == kind).then(pl.col("step")).otherwise(0).alias(col)
            for kind, col in step_cols.items()
        ],
    )
    cell = pl.col("_g").cast(pl.Int64) * n_days + (pl.col("day") - lo)
    steps = (
        pl.concat([order_steps, defect_steps], how="diagonal")
        .with_columns(pl.col(COUNT_COLUMNS).fill_null(0))
        # Steps before the first report day set its starting level; later ones are not needed.
        .filter(pl.col("day") <= hi)
        .with_columns(day=pl.col("day").clip(lower_bound=lo))
        .select(*COUNT_COLUMNS, cell=cell)
        .collect(engine="in-memory")
    )
    # The grid of cells (group x report day) is dense: add the steps into it and take the running
    # sum along each group's days. Integer sums in float64 are exact below 2**53.
    size = groups.height * n_days
    cells = steps["cell"].to_numpy()
    levels = {
        col: np.bincount(cells, weights=steps[col].to_numpy(), minlength=size)
        .reshape(groups.height, n_days)
        .cumsum(axis=1)
        .astype(np.int64)
        .ravel()
        for col in COUNT_COLUMNS
    }
    grid = pl.LazyFrame(
        {
            "_g": np.repeat(np.arange(groups.height, dtype=np.uint32), n_days),
            "day": np.tile(np.arange(lo, hi + 1, dtype=np.int32), groups.height),
            **levels,
        }
    )
    result = grid.join(groups.lazy(), on="_g", how="left", maintain_order="left").with_columns(
        as_of=pl.col("day").cast(pl.Date),
        window_end=(pl.col("day") - lag).cast(pl.Date),
        window_start=(pl.col("day") - lag - width + 1).cast(pl.Date),
    )
    return _finish(result, keys, parts.rules).collect(engine="in-memory")


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


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days
