"""Which defect counts, and on which report dates: the rules of the three kinds applied to rows.

The ``defects`` frame holds one row per defect event (:mod:`odr_analysis.schema`). Whether a row
counts depends on its kind, its status, its rating and on what else Amazon knew on the report
date (defaults of :class:`~odr_analysis.rules.OdrRules`):

* a defect counts only once Amazon has received it (``event_date <= as_of``), and it is
  charged to its order's date, never to its own;
* negative feedback: an order has one feedback, so the latest feedback row known on the report
  date decides (a 1-star later revised to 3 stars stops counting on the day of the revision);
  when two rows share that date, the order counts if either counts;
* claims and chargebacks count from the first counted row's ``event_date`` on.

:func:`counted_defects` answers for one report date; :func:`counted_stretches` gives every
stretch of report dates on which an order has a counted defect of a kind, from which the daily
counter (:mod:`odr_analysis.daily`) works.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import KINDS, ORDER_KEY, Frame, validate_defects, validate_orders

__all__ = ["OPEN_END", "counted_defects", "counted_stretches", "unmatched_defects"]

OPEN_END = 2**30
"""The end of a stretch that counts for good, as a day number (far beyond any real date)."""
_KEY = list(ORDER_KEY)
_KINDS = list(KINDS)


def counts(rules: OdrRules) -> pl.Expr:
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


def counted_defects(
    defects: Frame, *, as_of: dt.date | str, rules: OdrRules = OdrRules()
) -> pl.DataFrame:
    """One row per order with a defect counted on report date ``as_of`` (any order date).

    Columns: ``account``, ``order_id`` and one Boolean per kind (``negative_feedback``,
    ``a_to_z_claim``, ``chargeback``). Defects received after ``as_of`` are ignored.
    """
    day = to_date(as_of, "as_of")
    known = validate_defects(defects).filter(pl.col("event_date") <= day)
    return flags(known, rules).collect()


def flags(known: pl.LazyFrame, rules: OdrRules) -> pl.LazyFrame:
    """Per order, the kinds that count among the ``known`` defect rows (latest feedback decides)."""
    latest_feedback = (
        known.filter(pl.col("kind") == "negative_feedback")
        .filter(pl.col("event_date") == pl.col("event_date").max().over(_KEY))
        .group_by(_KEY)
        .agg(negative_feedback=counts(rules).any())
    )
    others = (
        known.filter(pl.col("kind") != "negative_feedback")
        .group_by(_KEY)
        .agg(
            a_to_z_claim=((pl.col("kind") == "a_to_z_claim") & counts(rules)).any(),
            chargeback=((pl.col("kind") == "chargeback") & counts(rules)).any(),
        )
    )
    return (
        latest_feedback.join(others, on=_KEY, how="full", coalesce=True)
        .with_columns(pl.col(_KINDS).fill_null(False))
        .filter(pl.any_horizontal(_KINDS))
        .select(*_KEY, *_KINDS)
    )


def counted_stretches(defects: pl.LazyFrame, rules: OdrRules) -> pl.LazyFrame:
    """Stretches of report days ``[s, e]`` on which an order has a counted defect, per kind.

    Days are integers (days since 1970-01-01); ``e`` is :data:`OPEN_END` when the defect counts
    from ``s`` on for good. Feedback stretches of one order never overlap (each row holds until
    the next one); claims and chargebacks count from the first counted row on.
    """
    day = pl.col("event_date").cast(pl.Int32)
    feedback = (
        defects.filter(pl.col("kind") == "negative_feedback")
        .group_by(*_KEY, "event_date")
        .agg(counted=counts(rules).any())
        .sort(*_KEY, "event_date")
        .with_columns(next=pl.when(_same_order_as(-1)).then(day.shift(-1)))
        .filter(pl.col("counted"))
        .select(*_KEY, kind=pl.lit("negative_feedback"), s=day, e=(pl.col("next") - 1))
    )
    first_counted = (
        defects.filter((pl.col("kind") != "negative_feedback") & counts(rules))
        .group_by(*_KEY, "kind")
        .agg(s=day.min())
        .select(*_KEY, "kind", "s", e=pl.lit(None, pl.Int32))
    )
    return pl.concat([feedback, first_counted]).with_columns(
        pl.col("e").fill_null(OPEN_END).cast(pl.Int32)
    )


def _same_order_as(offset: int) -> pl.Expr:
    """True where the row ``offset`` rows away (in a frame sorted by order) is the same order.

    Cheaper than ``.over(account, order_id)`` windows, which are slow with many tiny groups.
    """
    return (
        (pl.col("account") == pl.col("account").shift(offset))
        & (pl.col("order_id") == pl.col("order_id").shift(offset))
    ).fill_null(False)


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
