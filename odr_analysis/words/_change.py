"""Why the rate moved, in words: one line per row of :func:`odr_analysis.explain.explain_change`."""

from __future__ import annotations

import functools

import polars as pl

from odr_analysis.schema import CHANGE_PARTS
from odr_analysis.words._formats import pct_expr

__all__ = [
    "with_change_words",
]


def _fixed2(value: pl.Expr, *, sign: bool) -> pl.Expr:
    """``value`` with exactly two decimals (e.g. ``0.80``, ``+0.30``), rounded half to even."""
    hundredths = (value * 100).round(0).cast(pl.Int64)
    size = hundredths.abs()
    text = pl.concat_str(
        (size // 100).cast(pl.String), pl.lit("."), (size % 100).cast(pl.String).str.zfill(2)
    )
    minus = pl.when(hundredths < 0).then(pl.lit("-"))
    if sign:
        prefix = minus.when(hundredths > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    else:
        prefix = minus.otherwise(pl.lit(""))
    return pl.concat_str(prefix, text)


def _percent(rate: pl.Expr) -> pl.Expr:
    return pct_expr(rate)


def _points(part: str) -> pl.Expr:
    return pl.concat_str(pl.lit(" ("), _fixed2(pl.col(part) * 100, sign=True), pl.lit(" points)"))


def _n(column: str, singular: str, plural: str) -> pl.Expr:
    """``1 clean order`` / ``5 clean orders``."""
    count = pl.col(column)
    return pl.concat_str(
        count.cast(pl.String),
        pl.when(count == 1).then(pl.lit(f" {singular}")).otherwise(pl.lit(f" {plural}")),
    )


# The order in which the message tells the parts.
_NARRATIVE = ("new_defects", "defective_left", "clean_left", "new_orders")


def with_change_words(table: pl.DataFrame) -> pl.DataFrame:
    """An explanation of a change with its ``reason`` (why there are no parts) and ``message``.

    ``table`` is a frame of :func:`odr_analysis.explain.explain_change` (or ``explain_daily``);
    ``reason`` is null when the rate is defined on both dates, and ``message`` says the change
    and its causes in one line, e.g. ``Your Amazon.com MFN ODR rose from 10.00% to 20.00% (+10.00
    points) between 2024-03-14 and 2024-03-15 although no new defect arrived: 5 clean orders
    left the window (+10.00 points)``. Built in three stages of short expressions.
    """
    texts, joined, message = _message_stages()
    temporary = [*texts, *joined]
    return (
        table.with_columns(reason=_change_reason())
        .with_columns(**texts)
        .with_columns(**joined)
        .with_columns(message=message)
        .drop(temporary)
    )


@functools.cache
def _message_stages() -> tuple[dict[str, pl.Expr], dict[str, pl.Expr], pl.Expr]:
    new, revised = pl.col("new_defect_orders"), pl.col("revised_away_orders")
    new_text = _n("new_defect_orders", "order got a new defect", "orders got a new defect")
    defects_text = (
        pl.when((new > 0) & (revised > 0))
        .then(
            pl.concat_str(
                new_text, pl.lit(" and "), _n("revised_away_orders", "lost one", "lost one")
            )
        )
        .when(new > 0)
        .then(new_text)
        .when(revised > 0)
        .then(
            _n(
                "revised_away_orders",
                "order's defect stopped counting",
                "orders' defects stopped counting",
            )
        )
    )
    entered_text = pl.when(pl.col("entered_orders") > 0).then(
        pl.concat_str(
            _n("entered_orders", "order entered the window", "orders entered the window"),
            pl.when(pl.col("entered_defective_orders") == 0)
            .then(None)
            .when(pl.col("entered_orders") == 1)
            .then(pl.lit(", already defective"))
            .otherwise(
                pl.concat_str(
                    pl.lit(", "),
                    pl.col("entered_defective_orders").cast(pl.String),
                    pl.lit(" of them already defective"),
                )
            ),
            ignore_nulls=True,
        )
    )
    # Stage 1: each part's words (null when it moved nothing) and its points; the rates.
    texts = {
        "_t_new_defects": defects_text,
        "_t_defective_left": pl.when(pl.col("defective_left_orders") > 0).then(
            _n(
                "defective_left_orders",
                "defective order left the window",
                "defective orders left the window",
            )
        ),
        "_t_clean_left": pl.when(pl.col("clean_left_orders") > 0).then(
            _n("clean_left_orders", "clean order left the window", "clean orders left the window")
        ),
        "_t_new_orders": entered_text,
        **{f"_p_{part}": _points(part) for part in CHANGE_PARTS},
        "_t_start": _percent(pl.col("odr_start")),
        "_t_end": _percent(pl.col("odr_end")),
        "_t_change": _fixed2(pl.col("change") * 100, sign=True),
    }
    # Stage 2: the parts joined, with and without their points.
    joined = {
        "_drivers": pl.concat_str(
            *[pl.concat_str(f"_t_{part}", f"_p_{part}") for part in _NARRATIVE],
            separator="; ",
            ignore_nulls=True,
        ),
        "_movers": pl.concat_str(
            *[f"_t_{part}" for part in _NARRATIVE[1:]], separator="; ", ignore_nulls=True
        ),
    }
    # Stage 3: the sentence.
    drivers, change = pl.col("_drivers"), pl.col("change")
    who = pl.concat_str(pl.lit("Your "), "marketplace", pl.lit(" "), "channel", pl.lit(" ODR"))
    start, end = pl.col("start").cast(pl.String), pl.col("end").cast(pl.String)
    rates = pl.concat_str(
        pl.lit(" from "),
        "_t_start",
        pl.lit(" to "),
        "_t_end",
        pl.lit(" ("),
        "_t_change",
        pl.lit(" points)"),
    )
    movement = (
        pl.when(change > 0)
        .then(pl.concat_str(pl.lit(" rose"), rates))
        .when(change < 0)
        .then(pl.concat_str(pl.lit(" fell"), rates))
        .otherwise(pl.concat_str(pl.lit(" stayed at "), "_t_end"))
    )
    tail = (
        pl.when(drivers == "")
        .then(pl.lit(": no order entered or left the window and no defect changed"))
        .when((change > 0) & (new == 0))
        .then(pl.concat_str(pl.lit(" although no new defect arrived: "), drivers))
        .otherwise(pl.concat_str(pl.lit(": "), drivers))
    )
    defined = pl.concat_str(who, movement, pl.lit(" between "), start, pl.lit(" and "), end, tail)

    def rate_on(column: str, verb: str, day: pl.Expr) -> pl.Expr:
        return pl.when(pl.col(column).is_not_null()).then(
            pl.concat_str(pl.lit(verb), f"_t_{column[4:]}", pl.lit(" on "), day, pl.lit("; "))
        )

    undefined = pl.concat_str(
        who,
        pl.lit(": "),
        rate_on("odr_start", "was ", start),
        rate_on("odr_end", "is ", end),
        pl.col("reason"),
        pl.when(pl.col("_movers") != "").then(pl.concat_str(pl.lit(" ("), "_movers", pl.lit(")"))),
        ignore_nulls=True,
    )
    return texts, joined, pl.when(change.is_null()).then(undefined).otherwise(defined)


def _change_reason() -> pl.Expr:
    """Why a change has no parts: a window without orders on the start or the end date."""
    has_start, has_end = pl.col("orders_start") > 0, pl.col("orders_end") > 0
    return (
        pl.when(~has_start & ~has_end)
        .then(pl.lit("no orders in the window on either date: no rate to explain"))
        .when(~has_start)
        .then(pl.lit("no orders in the window on the start date: no rate to explain"))
        .when(~has_end)
        .then(pl.lit("no orders in the window on the end date: no rate to explain"))
    )
