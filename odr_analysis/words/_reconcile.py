"""Ours against Amazon's, in words: every difference of a reconciliation and where to look."""

from __future__ import annotations

from typing import Final

import polars as pl

from odr_analysis.schema import COUNT_COLUMNS
from odr_analysis.words._formats import pct_expr

__all__ = [
    "reconcile_explanation",
]


_RECONCILED: Final = COUNT_COLUMNS
_WHAT: Final = {
    "order_count": "orders",
    "defective_orders": "defective orders",
    "negative_feedback": "orders with negative feedback",
    "a_to_z_claims": "orders with A-to-z claims",
    "chargebacks": "orders with chargebacks",
}
_AMAZON_MORE: Final = {
    "negative_feedback": "is the feedback report missing, or exported before the report date?",
    "a_to_z_claims": "is the claims log complete, with every claim's current status?",
    "chargebacks": "is every chargeback in the claims log?",
}
_OURS_MORE: Final = {
    "negative_feedback": (
        "was some feedback removed, struck through or withdrawn without the feedback report's "
        "Status column saying so?"
    ),
    "a_to_z_claims": (
        "check the claim statuses in your log: denied, withdrawn (before a decision), Buy "
        "Shipping protected and not-counted claims do not count"
    ),
    "chargebacks": (
        "fraud chargebacks do not count: check the chargeback reasons in your log (Unknown "
        "counts, conservatively)"
    ),
}


def reconcile_explanation() -> pl.Expr:
    """Short reasons for every difference of a :func:`odr_analysis.reconcile.reconcile` row.

    Null where ours and Amazon's agree (``match``); otherwise every difference, each with where
    to look, joined by ``; ``.
    """
    diff = {c: pl.col(f"{c}_diff") for c in _RECONCILED}
    pieces = [
        pl.when(pl.col("marketplace").is_null()).then(
            pl.format(
                "Amazon's marketplace id {} is unknown to odr-analysis: it cannot be matched to "
                "your orders' sales channel",
                pl.col("marketplace_id").fill_null("(none)"),
            )
        ),
        pl.when(pl.col("order_count_amazon").is_null()).then(
            pl.lit("Amazon's report gives no order count for this window")
        ),
        pl.when(diff["order_count"] < 0).then(
            pl.format(
                "Amazon counts {} more orders ({} vs {}): your orders files may not cover the "
                "whole window {} to {}{}",
                -diff["order_count"],
                pl.col("order_count_amazon"),
                pl.col("order_count_ours"),
                pl.col("window_start"),
                pl.col("window_end"),
                pl.concat_str(
                    pl.when(pl.col("first_order") > pl.col("window_start")).then(
                        pl.format(" (your orders start on {})", pl.col("first_order"))
                    ),
                    pl.when(pl.col("last_order") < pl.col("window_end")).then(
                        pl.format(" (your orders end on {})", pl.col("last_order"))
                    ),
                    pl.when(pl.col("first_order").is_null()).then(
                        pl.lit(" (no orders of this channel in your files)")
                    ),
                    ignore_nulls=True,
                ),
            )
        ),
        pl.when(diff["order_count"] > 0).then(
            pl.format(
                "we count {} more orders than Amazon ({} vs {}): orders of another account or "
                "marketplace in the files, or cancelled orders Amazon leaves out "
                "(OdrRules.include_cancelled)?",
                diff["order_count"],
                pl.col("order_count_ours"),
                pl.col("order_count_amazon"),
            )
        ),
    ]
    for column in ("negative_feedback", "a_to_z_claims", "chargebacks"):
        pieces += [
            pl.when(diff[column] < 0).then(
                pl.format(
                    f"Amazon counts {{}} more {_WHAT[column]}: {_AMAZON_MORE[column]}",
                    -diff[column],
                )
            ),
            pl.when(diff[column] > 0).then(
                pl.format(f"we count {{}} more {_WHAT[column]}: {_OURS_MORE[column]}", diff[column])
            ),
        ]
    components_agree = pl.all_horizontal(
        [diff[c].fill_null(0) == 0 for c in ("negative_feedback", "a_to_z_claims", "chargebacks")]
    )
    pieces += [
        pl.when((diff["defective_orders"] != 0) & components_agree).then(
            pl.format(
                "defective orders differ by {} although every component agrees: Amazon counts an "
                "order with several defects once",
                diff["defective_orders"],
            )
        ),
        pl.when(pl.col("amazon_inconsistent")).then(
            pl.format(
                "the rate Amazon reports ({}) differs from its own counts ({}/{} = {})",
                pct_expr(pl.col("rate_amazon")),
                pl.col("defective_orders_amazon"),
                pl.col("order_count_amazon"),
                pct_expr(pl.col("rate_amazon_recomputed")),
            )
        ),
        pl.when(
            pl.col("rate_differs") & pl.col("counts_match") & ~pl.col("amazon_inconsistent")
        ).then(
            pl.format(
                "the counts agree but the rates differ: ours {}, Amazon's {}",
                pct_expr(pl.col("rate_ours")),
                pct_expr(pl.col("rate_amazon")),
            )
        ),
    ]
    text = pl.concat_str(pieces, separator="; ", ignore_nulls=True)
    none = pl.lit(None, pl.String)
    return pl.when(pl.col("match")).then(none).otherwise(text).alias("explanation")
