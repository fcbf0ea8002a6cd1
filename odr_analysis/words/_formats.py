"""Numbers and dates as people read them: ``2.55%``, ``1%``, ``3 defective orders``, ``9 Feb 2026``.

>>> pct(0.025469), target_text(0.015), count(1, "defective order"), day(dt.date(2026, 2, 9))
('2.55%', '1.5%', '1 defective order', '9 Feb 2026')
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

import polars as pl

__all__ = [
    "CHART_DATE",
    "DAY",
    "DAY_MONTH",
    "LONG_DAY",
    "amazon_target",
    "chart_day",
    "count",
    "day",
    "iso",
    "long_day",
    "number",
    "pct",
    "pct_expr",
    "plural",
    "plural_expr",
    "points",
    "short_day",
    "target_expr",
    "target_text",
]


# Numbers


def pct(rate: float | None, digits: int = 2) -> str:
    """A rate as a percentage for people: ``0.02547 -> '2.55%'``; ``None`` or NaN -> ``'n/a'``.

    >>> pct(0.025469), pct(None), pct(float("nan")), pct(0.01, 0)
    ('2.55%', 'n/a', 'n/a', '1%')
    """
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "n/a"
    return f"{rate:.{digits}%}"


def pct_expr(rate: pl.Expr) -> pl.Expr:
    """:func:`pct` with two decimals as a polars expression (null stays null).

    Rounded half to even on the hundredths of a percent, as Python's own formatting rounds.

    >>> pl.select(pct_expr(pl.lit(0.0073))).item()
    '0.73%'
    """
    hundredths = (rate * 10_000).round(0).cast(pl.Int64)
    return pl.concat_str(
        (hundredths // 100).cast(pl.String),
        pl.lit("."),
        (hundredths % 100).cast(pl.String).str.zfill(2),
        pl.lit("%"),
    )


def target_text(value: float) -> str:
    """The target as people write it: ``0.01 -> '1%'``, ``0.015 -> '1.5%'``.

    >>> target_text(0.01), target_text(0.015), target_text(0.0125)
    ('1%', '1.5%', '1.25%')
    """
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


_CONDITIONS: Final = {"LESS_THAN": "under", "GREATER_THAN": "over", "EQUALS": "exactly"}


def amazon_target(target: float, condition: str | None, *, rate: bool) -> str:
    """A target of Amazon's account-health report with its condition: ``under 1%``,
    ``over 95%``, ``exactly 0`` (``against`` for a condition Amazon adds later).

    >>> amazon_target(0.01, "LESS_THAN", rate=True), amazon_target(0, "EQUALS", rate=False)
    ('under 1%', 'exactly 0')
    """
    shown = target_text(target) if rate else number(target)
    return f"{_CONDITIONS.get(str(condition), 'against')} {shown}"


def number(value: float) -> str:
    """A number without needless decimals: ``5.0 -> '5'``, ``2.5 -> '2.5'``, ``1234 -> '1,234'``.

    >>> number(5.0), number(2.5), number(1234.0)
    ('5', '2.5', '1,234')
    """
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``word`` for one, ``many`` (default ``word + 's'``) for any other number.

    >>> plural(1, "day"), plural(2, "day"), plural(0, "feedback", "feedbacks")
    ('day', 'days', 'feedbacks')
    """
    return word if n == 1 else (many or word + "s")


def count(n: int, word: str, many: str | None = None) -> str:
    """``n`` and its noun: ``1 day``, ``2 days``, ``1,234 orders``.

    >>> count(1, "day"), count(2, "day"), count(1234, "order")
    ('1 day', '2 days', '1,234 orders')
    """
    return f"{n:,} {plural(n, word, many)}"


def points(change: float) -> str:
    """A change of rate in percentage points, signed with a true minus: ``+0.30 points``.

    >>> points(0.003), points(-0.0125), points(0.0)
    ('+0.30 points', '\u22121.25 points', '\u00b10.00 points')
    """
    value = change * 100
    sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
    return f"{sign}{abs(value):.2f} points"


def target_expr(target: pl.Expr) -> pl.Expr:
    """:func:`target_text` as a polars expression: ``0.01 -> '1%'``.

    >>> pl.select(target_expr(pl.lit(0.015))).item()
    '1.5%'
    """
    return pl.concat_str(
        (target * 100).round(2).cast(pl.String).str.replace(r"\.0$", ""), pl.lit("%")
    )


def plural_expr(n: pl.Expr, one: str, many: str) -> pl.Expr:
    """:func:`plural` as a polars expression: ``one`` where ``n`` is 1, else ``many``."""
    return pl.when(n == 1).then(pl.lit(one)).otherwise(pl.lit(many))


# Dates


DAY: Final = "%-d %b %Y"
"""A date in prose and tables: ``9 Feb 2026`` (strftime, also for polars ``dt.strftime``)."""
LONG_DAY: Final = "%A %d %B %Y"
"""A report date in a heading: ``Monday 23 February 2026``."""
CHART_DATE: Final = "%d %b %Y"
"""A date on a chart (axis, tooltip, label): ``09 Feb 2026``; also a Vega time format."""


def day(value: dt.date | None) -> str:
    """``9 Feb 2026``; ``''`` for ``None``.

    >>> day(dt.date(2026, 2, 9)), day(None)
    ('9 Feb 2026', '')
    """
    return "" if value is None else f"{value.day} {value:%b %Y}"


def long_day(value: dt.date) -> str:
    """``Monday 23 February 2026``.

    >>> long_day(dt.date(2026, 2, 23))
    'Monday 23 February 2026'
    """
    return value.strftime(LONG_DAY)


def chart_day(value: dt.date) -> str:
    """``09 Feb 2026``: a date written as the charts write it.

    >>> chart_day(dt.date(2026, 2, 9))
    '09 Feb 2026'
    """
    return value.strftime(CHART_DATE)


def short_day(value: dt.date, today: dt.date) -> str:
    """``14 March``: the year only when it is not ``today``'s year.

    >>> short_day(dt.date(2026, 3, 14), dt.date(2026, 2, 23))
    '14 March'
    >>> short_day(dt.date(2027, 1, 2), dt.date(2026, 2, 23))
    '2 January 2027'
    """
    text = f"{value.day} {value:%B}"
    return text if value.year == today.year else f"{text} {value.year}"


def iso(value: dt.date | None) -> str:
    """``2026-02-23``: a date in the plain one-line answers (``describe()``, messages)."""
    return "" if value is None else value.isoformat()


DAY_MONTH: Final = "%d %b"
"""A date within the coming weeks, in a picker: ``14 Mar``."""
