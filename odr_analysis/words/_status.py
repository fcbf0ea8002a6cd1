"""Where a rate stands, in words: a group's status line and how much one more defect moves it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import polars as pl

from odr_analysis.words._formats import pct, target_text
from odr_analysis.words._names import group_label

__all__ = [
    "ALERTS_TITLE",
    "alerts_text",
    "small_numbers_note",
    "status_line",
]

ALERTS_TITLE: Final = "Check the data first: these make the rates less than exact"
"""The heading above an account's alerts (:attr:`odr_analysis.readers.Account.alerts`)."""


def alerts_text(alerts: Sequence[str]) -> str:
    """An account's alerts as plain text, one per line under :data:`ALERTS_TITLE` (empty when
    there are none).

    >>> print(alerts_text(["2 orders row(s) could not be read"]))
    Check the data first: these make the rates less than exact:
      ! 2 orders row(s) could not be read
    """
    if not alerts:
        return ""
    return f"{ALERTS_TITLE}:\n" + "\n".join(f"  ! {alert}" for alert in alerts)


def _points_text(points: pl.Expr) -> pl.Expr:
    """Percentage points with two significant-ish digits: 2.3, 0.23, 0.023, 0.0023."""
    rounded = (
        pl.when(points >= 1)
        .then(points.round(1))
        .when(points >= 0.1)
        .then(points.round(2))
        .when(points >= 0.01)
        .then(points.round(3))
        .otherwise(points.round(4))
    )
    return rounded.cast(pl.String)


def small_numbers_note(target: float) -> pl.Expr:
    """How much one more defect moves each row's rate, in words, for a frame of
    :func:`odr_analysis.stats.with_intervals`: ``one more defect adds 2.3 points, over a tenth
    of the 1% target``."""
    return (
        pl.when(pl.col("order_count") > 0)
        .then(
            pl.concat_str(
                pl.lit("one more defect adds "),
                _points_text(pl.col("one_defect_moves") * 100),
                pl.lit(" points"),
                pl.when(pl.col("small_numbers")).then(
                    pl.lit(f", over a tenth of the {target_text(target)} target")
                ),
                ignore_nulls=True,
            )
        )
        .otherwise(pl.lit("no orders in the window: no rate"))
        .alias("note")
    )


def status_line(row: Mapping[str, Any], *, target: float = 0.01) -> str:
    """One line for a row of :func:`odr_analysis.engine.odr`, for people.

    >>> import datetime as dt
    >>> row = {"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...        "window_start": dt.date(2025, 12, 12), "window_end": dt.date(2026, 2, 9),
    ...        "order_count": 746, "defective_orders": 19, "negative_feedback": 11,
    ...        "a_to_z_claims": 8, "chargebacks": 0, "odr": 19 / 746}
    >>> line = status_line(row)
    >>> line.split(" (")[0]
    'acme Amazon.com MFN: 2.55% = 19 defective of 746 orders'
    >>> line.split("): ")[1]
    'at or over the 1% target'
    """
    t = target_text(target)
    rate = row["odr"]
    if rate is None:
        verdict = "no orders in the window, no rate"
    elif rate < target:
        verdict = f"under the {t} target"
    else:
        verdict = f"at or over the {t} target"
    return (
        f"{group_label(row)}: {pct(rate)} = {row['defective_orders']} defective of "
        f"{row['order_count']:,} orders (negative feedback {row['negative_feedback']}, "
        f"A-to-z claims {row['a_to_z_claims']}, chargebacks {row['chargebacks']}; orders of "
        f"{row['window_start']} to {row['window_end']}): {verdict}"
    )
