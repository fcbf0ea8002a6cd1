"""Amazon's Order Defect Rate for one report date (:func:`odr`) or every day (:func:`odr_daily`).

How a report date sees the data (defaults of :class:`~odr_analysis.rules.OdrRules`):

* the window holds the orders whose ``order_date`` is in ``[as_of - 73, as_of - 14]`` (60 days,
  both ends inclusive): as_of 2024-01-28 shows orders of 2023-11-16 .. 2024-01-14;
* a defect counts only if Amazon had received it by then, and it is charged to its order's
  date, never to its own: that is why an old window's rate can still rise (which defect counts
  when: :mod:`odr_analysis.defects`);
* an order with several defects is one defective order; each component (negative feedback,
  A-to-z claims, chargebacks) counts the orders with at least one defect of that kind, so the
  components can add up to more than ``defective_orders``.

``odr_daily`` is :func:`~odr_analysis.parts.prepare` (the one pass over the orders) then
:func:`~odr_analysis.daily.daily_path` (the daily counter, on small frames only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from odr_analysis.daily import daily_path
from odr_analysis.defects import flags
from odr_analysis.parts import checked_frames, prepare
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import (
    COMPONENT_OF_KIND,
    COUNT_COLUMNS,
    GROUP_KEYS,
    KINDS,
    ODR_COLUMNS,
    ORDER_KEY,
    Frame,
    rate,
)

__all__ = ["odr", "odr_daily"]

_KEY = list(ORDER_KEY)
_KINDS = list(KINDS)


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
    lf_orders, lf_defects, keys, cancelled = checked_frames(
        orders, defects, rules, by, check_values=True
    )
    if cancelled is not None:
        lf_orders = lf_orders.filter(~cancelled)
    counted = flags(lf_defects.filter(pl.col("event_date") <= window.as_of), rules)
    in_window = lf_orders.filter(pl.col("order_date").is_between(window.start, window.end))
    counts = (
        in_window.join(counted, on=_KEY, how="left")
        .group_by(keys)
        .agg(
            order_count=pl.len().cast(pl.Int64),
            defective_orders=pl.any_horizontal(_KINDS).sum().cast(pl.Int64),
            **{col: pl.col(kind).sum().cast(pl.Int64) for kind, col in COMPONENT_OF_KIND.items()},
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
    return _with_rate(result, keys, rules.target).sort(keys).collect()


def _with_rate(frame: pl.LazyFrame, keys: Sequence[str], target: float) -> pl.LazyFrame:
    """The rate and the target on a frame of counts, in the order of :data:`ODR_COLUMNS`.

    ``odr`` is ``defective_orders / order_count`` (Int64 / Int64 on float64), null without
    orders; the target is met only strictly below it.
    """
    odr = pl.when(pl.col("order_count") > 0).then(
        rate(pl.col("defective_orders"), pl.col("order_count"))
    )
    return frame.with_columns(odr=odr).select(
        *keys,
        *ODR_COLUMNS[len(GROUP_KEYS) : -2],
        target=pl.lit(target, pl.Float64),
        meets_target=pl.col("odr") < target,
    )


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
    :func:`odr` on every day. Same as ``daily_path(prepare(orders, defects), ...)``
    (:mod:`odr_analysis.daily`).

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
