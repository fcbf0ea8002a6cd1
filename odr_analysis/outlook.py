"""When is the rate under the target again? One answer, from any path of coming report dates.

:func:`under_target` reads a daily path of the coming days (a projection's expected rate, the
drop-off path if nothing new happens, a chart's frame) and today's rate, and gives per group the
dates that matter: the first day under the target, whether and from when it stays under, and
the first day at or over it (again). The projection, the report, the what-if panel and the
charts all take their dates from here; :mod:`odr_analysis.words` words them.

A day is *under* when its rate is below the target and *at or over* when its rate is at or
above it; a day without orders in its window (no rate) is neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from odr_analysis.schema import GROUP_KEYS

__all__ = ["OUTLOOK_COLUMNS", "under_target"]

OUTLOOK_COLUMNS = (
    "rate_today",
    "meets_target_today",
    "first_under",
    "days_until_under",
    "stays_under_from",
    "first_over",
    "back_over",
    "empty_from",
)
"""What :func:`under_target` adds to the group keys, in order."""


def under_target(
    daily: pl.DataFrame,
    today: pl.DataFrame,
    *,
    as_of: dt.date,
    target: float,
    rate: str = "expected_rate",
    keys: Sequence[str] = GROUP_KEYS,
) -> pl.DataFrame:
    """Per group of ``today``: when the rate of ``daily`` is under ``target`` (again).

    ``daily`` holds the group ``keys``, ``as_of`` (the coming report dates, after ``as_of``)
    and the ``rate`` column; ``today`` the group keys and ``rate_today`` (null without orders).
    Adds :data:`OUTLOOK_COLUMNS`: ``meets_target_today``; ``first_under`` (the first coming
    day under the target) and ``days_until_under``; ``stays_under_from`` (the day from which
    every coming day to the last is under; null if the last is not); ``first_over`` (the first
    coming day at or over the target); ``back_over`` (the first day at or over it after
    ``first_under``) and ``empty_from`` (the first day without orders after ``first_under``).

    >>> import polars as pl
    >>> daily = pl.DataFrame({"channel": "MFN", "as_of": pl.date_range(
    ...     dt.date(2026, 3, 1), dt.date(2026, 3, 5), eager=True),
    ...     "expected_rate": [0.012, 0.009, 0.011, 0.008, 0.007]})
    >>> today = pl.DataFrame({"channel": "MFN", "rate_today": 0.013})
    >>> out = under_target(daily, today, as_of=dt.date(2026, 2, 28), target=0.01,
    ...                    keys=["channel"])
    >>> out.select("first_under", "stays_under_from", "back_over").row(0)
    (datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), datetime.date(2026, 3, 3))
    """
    keys = list(keys)
    value = pl.col(rate)
    under, over = (value < target).fill_null(False), (value >= target).fill_null(False)
    day = pl.col("as_of")
    first_under = day.filter(under).min()
    dates = (
        daily.sort(*keys, "as_of")
        .group_by(keys, maintain_order=True)
        .agg(
            first_under=first_under,
            stays_under_from=pl.when(under.last()).then(
                pl.coalesce(day.filter(~under).max() + pl.duration(days=1), day.min())
            ),
            first_over=day.filter(over).min(),
            back_over=day.filter(over & (day > first_under)).min(),
            empty_from=day.filter(value.is_null() & (day > first_under)).min(),
        )
    )
    return (
        today.select(*keys, pl.col("rate_today").cast(pl.Float64))
        .join(dates, on=keys, how="left", maintain_order="left", nulls_equal=True)
        .select(
            *keys,
            "rate_today",
            meets_target_today=pl.col("rate_today") < target,
            first_under=pl.col("first_under"),
            days_until_under=(pl.col("first_under") - pl.lit(as_of)).dt.total_days(),
            stays_under_from=pl.col("stays_under_from"),
            first_over=pl.col("first_over"),
            back_over=pl.col("back_over"),
            empty_from=pl.col("empty_from"),
        )
    )
