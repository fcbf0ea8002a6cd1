"""Headroom: how many more defective orders the window can take, or how many clean orders it needs.

Both answers use only what Amazon knows on the report date ``as_of``
(:func:`~odr_analysis.parts.known_on`) and compare exactly as the engine does: the target is met
only when ``defective_orders / order_count < rules.target`` on float64. Their sentences are
:func:`odr_analysis.words.headroom` and :func:`odr_analysis.words.orders_needed`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from odr_analysis.daily import daily_path
from odr_analysis.parts import OdrParts, as_parts, known_on
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import WINDOW_COLUMNS, Frame, rate

__all__ = ["defects_allowed", "orders_needed"]


def _largest_under(n: pl.Expr, target: float) -> pl.Expr:
    """The largest integer ``j`` with ``j / n < target`` (float64, as the engine), for n > 0."""
    j0 = (n.cast(pl.Float64) * target).ceil().cast(pl.Int64) - 1  # exact arithmetic's answer

    def under(j: pl.Expr) -> pl.Expr:
        return (j / n) < target

    # float rounding can move the boundary by one either way
    return pl.when(under(j0 + 1)).then(j0 + 1).when(under(j0)).then(j0).otherwise(j0 - 1)


def defects_allowed(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
) -> pl.DataFrame:
    """How many more defective orders the window of ``as_of`` can take and stay under target.

    One row per group: ``order_count``, ``defective_orders``, ``odr`` (on ``as_of``, defects
    received up to ``as_of``), ``allowed`` (the largest ``m >= 0`` with ``(k + m) / n <
    target``; 0 when at or over the target) and ``over_by`` (0 when under; else the fewest
    defective orders that must leave the window or be removed for ``(k - r) / n < target``).
    ``allowed`` and ``over_by`` are null when the window holds no order.

    Examples
    --------
    250 orders, 1 defective: (1 + 1) / 250 = 0.8% is under 1%, (1 + 2) / 250 = 1.2% is not.

    >>> import datetime as dt, polars as pl
    >>> from odr_analysis import words
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com",
    ...     "channel": "AFN", "order_id": [f"o{i}" for i in range(250)],
    ...     "order_date": dt.date(2024, 1, 2)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o1", "kind": "chargeback",
    ...     "event_date": dt.date(2024, 1, 20), "status": "service", "rating": None})
    >>> allowed = defects_allowed(orders, defects, as_of="2024-01-28")
    >>> allowed.select("allowed", "over_by").row(0)
    (1, 0)
    >>> allowed.select(words.headroom()).item()
    '1 of 250 orders defective (0.40%): 1 more defective order keeps the rate under 1%'
    """
    parts = as_parts(orders, defects, rules=rules)
    rules = parts.rules
    day = to_date(as_of, "as_of")
    keys = list(parts.keys)
    target = rules.target
    today = daily_path(known_on(parts, as_of=day), start=day, end=day)
    n, k = pl.col("order_count"), pl.col("defective_orders")
    under = pl.col("odr") < target
    return (
        today.with_columns(_jmax=_largest_under(n, target))
        .select(
            *keys,
            *WINDOW_COLUMNS,
            "order_count",
            "defective_orders",
            "odr",
            "target",
            "meets_target",
            allowed=pl.when(n > 0)
            .then(pl.when(under).then(pl.col("_jmax") - k).otherwise(0))
            .cast(pl.Int64),
            over_by=pl.when(n > 0)
            .then(pl.when(under).then(0).otherwise(k - pl.col("_jmax")))
            .cast(pl.Int64),
        )
        .sort(keys)
    )


def orders_needed(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    by_date: dt.date | str,
    rules: OdrRules = OdrRules(),
) -> pl.DataFrame:
    """The fewest clean orders per day, from tomorrow, for the rate on ``by_date`` to be under.

    New orders are placed on every order date from ``as_of + 1`` to the window end of
    ``by_date`` that is inside that window (``days_of_new_orders`` days, from
    ``first_new_order_date``, the same number ``x`` each day). Only what is known on ``as_of``
    counts: the known orders in ``by_date``'s window (``order_count_known``) and the defects
    received by ``as_of`` (``defective_known``). The answer ``orders_per_day`` is the smallest
    ``x >= 0`` with ``k / (n + x * days) < target``; null when not ``reachable`` (no new order
    can enter the window).

    Examples
    --------
    Report date 2024-02-01, goal 2024-02-20 (window 2023-12-09 .. 2024-02-06): new orders on
    2024-02-02 .. 2024-02-06 (5 days). 100 known orders, 2 defective: need 100 + 5x > 200,
    so x = 21 (2 / 205 = 0.98%), while x = 20 gives 2 / 200 = 1.00%.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com",
    ...     "channel": "MFN", "order_id": [f"o{i}" for i in range(100)],
    ...     "order_date": dt.date(2024, 1, 10)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": ["o1", "o2"],
    ...     "kind": "a_to_z_claim", "event_date": dt.date(2024, 1, 25), "status": "granted",
    ...     "rating": None})
    >>> row = orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-02-20").row(
    ...     0, named=True)
    >>> row["days_of_new_orders"], row["orders_per_day"], row["reachable"]
    (5, 21, True)
    """
    parts = as_parts(orders, defects, rules=rules)
    rules = parts.rules
    day, goal = to_date(as_of, "as_of"), to_date(by_date, "by_date")
    if goal < day:
        raise ValueError(f"by_date ({goal}) is before as_of ({day})")
    keys = list(parts.keys)
    target = rules.target
    window = rules.window(goal)
    first_new = max(day + dt.timedelta(days=1), window.start)
    days = max(0, (window.end - first_new).days + 1)
    at_goal = daily_path(known_on(parts, as_of=day), start=goal, end=goal)
    n, k = pl.col("order_count"), pl.col("defective_orders")

    def under(x: pl.Expr) -> pl.Expr:
        total = n + x * days
        return (total > 0) & (rate(k, total) < target)

    # exact arithmetic: the smallest x with n + x * days > k / target; float may move it by one
    if days:
        x1 = ((k / target - n) / days).floor().cast(pl.Int64) + 1
        x1 = pl.max_horizontal(x1, pl.lit(0, pl.Int64))
        x0 = pl.max_horizontal(x1 - 1, pl.lit(0, pl.Int64))
        x = pl.when(under(x0)).then(x0).when(under(x1)).then(x1).otherwise(x1 + 1)
    else:
        x = pl.when(under(pl.lit(0, pl.Int64))).then(pl.lit(0, pl.Int64))
    return (
        at_goal.with_columns(orders_per_day=x)
        .select(
            *keys,
            pl.lit(day).alias("as_of"),
            pl.lit(goal).alias("by_date"),
            "window_start",
            "window_end",
            pl.col("order_count").alias("order_count_known"),
            pl.col("defective_orders").alias("defective_known"),
            pl.when(n > 0).then(rate(k, n)).alias("odr_known"),
            pl.lit(days, pl.Int64).alias("days_of_new_orders"),
            pl.lit(first_new if days else None, pl.Date).alias("first_new_order_date"),
            pl.col("orders_per_day").cast(pl.Int64),
            pl.when(pl.col("orders_per_day").is_not_null())
            .then(rate(k, n + pl.col("orders_per_day") * days))
            .alias("odr_then"),
            pl.col("orders_per_day").is_not_null().alias("reachable"),
        )
        .sort(keys)
    )
