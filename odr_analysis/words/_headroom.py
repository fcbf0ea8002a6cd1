"""Headroom and orders needed, in words: the sentences of :mod:`odr_analysis.headroom`'s frames."""

from __future__ import annotations

import polars as pl

from odr_analysis.words._formats import pct_expr, plural_expr, target_expr

__all__ = [
    "headroom",
    "orders_needed",
]


def headroom() -> pl.Expr:
    """The sentence of each row of :func:`odr_analysis.headroom.defects_allowed`.

    For example ``1 of 250 orders defective (0.40%): 1 more defective order keeps the rate
    under 1%``, or ``..., over the target by 2 defective orders; that many must leave the window
    or be removed for the rate to be under 1%``.
    """
    n, k, allowed = pl.col("order_count"), pl.col("defective_orders"), pl.col("allowed")
    t = target_expr(pl.col("target"))
    under = pl.col("odr") < pl.col("target")
    head = pl.format("{} of {} orders defective ({})", k, n, pct_expr(pl.col("odr")))
    return (
        pl.when(n == 0)
        .then(pl.format("no orders in the window of {}: the rate is undefined", "as_of"))
        .when(under & (allowed == 0))
        .then(pl.format("{}: one more defective order puts the rate at or over {}", head, t))
        .when(under)
        .then(
            pl.format(
                "{}: {} more defective {} the rate under {}",
                head,
                allowed,
                plural_expr(allowed, "order keeps", "orders keep"),
                t,
            )
        )
        .otherwise(
            pl.format(
                "{}: over the target by {} defective order{}; that many must leave the window "
                "or be removed for the rate to be under {}",
                head,
                "over_by",
                plural_expr(pl.col("over_by"), "", "s"),
                t,
            )
        )
        .alias("message")
    )


def orders_needed() -> pl.Expr:
    """The sentence of each row of :func:`odr_analysis.headroom.orders_needed`.

    For example ``21 clean orders a day from 2024-02-02 to 2024-02-06 (5 days) give 2
    defective of 205 orders (0.98%) on 2024-02-20``.
    """
    n, k = pl.col("order_count_known"), pl.col("defective_known")
    x, days = pl.col("orders_per_day"), pl.col("days_of_new_orders")
    goal = pl.col("by_date").cast(pl.String)
    new_days = pl.format(
        "from {} to {} ({} {})",
        "first_new_order_date",
        "window_end",
        days,
        plural_expr(days, "day", "days"),
    )
    reached = pl.format(
        "{} clean order{} a day {} give {} defective of {} orders ({}) on {}",
        x,
        plural_expr(x, "", "s"),
        new_days,
        k,
        n + x * days,
        pct_expr(pl.col("odr_then")),
        goal,
    )
    unreachable = pl.format(
        "the window of {} ends on {}, before tomorrow ({}): no new order can enter it; "
        "known: {} defective of {} orders ({})",
        goal,
        "window_end",
        (pl.col("as_of") + pl.duration(days=1)).cast(pl.String),
        k,
        n,
        pct_expr(pl.col("odr_known")),
    )
    return (
        pl.when(x == 0)
        .then(
            pl.format(
                "already under the target on {} ({} defective of {} orders, {}): 0 needed",
                goal,
                k,
                n,
                pct_expr(pl.col("odr_known")),
            )
        )
        .when(pl.col("reachable") & (n == 0) & (k == 0))
        .then(
            pl.format(
                "no known order in the window of {}: 1 clean order a day {} gives 0.00%",
                goal,
                new_days,
            )
        )
        .when(pl.col("reachable"))
        .then(reached)
        .otherwise(unreachable)
        .alias("reason")
    )
