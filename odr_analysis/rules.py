"""Every policy number of Amazon's Order Defect Rate, in one frozen dataclass, and its windows.

Each default, with the Amazon text it comes from, is in ``docs/rules.md``.
A what-if is a :func:`dataclasses.replace` of the rules, never a mutation::

    >>> from dataclasses import replace
    >>> rules = OdrRules()
    >>> legacy = replace(rules, count_all_claims=True)
    >>> rules.window_days, rules.lag_days, rules.target
    (60, 14, 0.01)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import polars as pl

__all__ = [
    "OdrRules",
    "Window",
    "date_arg",
    "day_number",
    "from_day_number",
    "to_date",
    "whole_days",
]

#: A day number (days since 1970-01-01) or many: an int, a numpy array or a polars expression.
Days = TypeVar("Days", int, np.ndarray, pl.Expr)


@dataclass(frozen=True)
class Window:
    """The order-date window that Amazon's ODR covers on one report date (all bounds inclusive)."""

    as_of: dt.date
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class OdrRules:
    """The rules of Amazon's ODR; every default is Amazon's current rule or our documented default.

    Attributes
    ----------
    window_days
        Length of the order-date window, inclusive (Amazon: 60 days).
    lag_days
        Days between the report date (``as_of``) and the window's last day (default 14; see
        odr-domain.md 2.3, open question Q1).
    target
        The ODR target. The target is met only when the rate is strictly below it
        (``targetCondition: LESS_THAN``): exactly 1.00% fails.
    negative_feedback_max_rating
        Feedback of this many stars or fewer is negative (Amazon: 1 and 2 stars).
    counted_feedback_statuses, counted_claim_statuses, counted_chargeback_statuses
        The canonical statuses that count as a defect (see :mod:`odr_analysis.schema`).
    count_all_claims
        Legacy mode: every A-to-z claim counts, whatever its status (older Amazon texts).
    include_cancelled
        Whether cancelled orders stay in the denominator (Amazon is silent, Q4; default yes).
    cancelled_order_statuses
        ``order_status`` values (compared case-insensitively) that mark a cancelled order.
    """

    window_days: int = 60
    lag_days: int = 14
    target: float = 0.01
    negative_feedback_max_rating: int = 2
    counted_feedback_statuses: frozenset[str] = frozenset({"active"})
    counted_claim_statuses: frozenset[str] = frozenset(
        {"pending", "granted", "seller_refunded", "withdrawn_after_grant"}
    )
    counted_chargeback_statuses: frozenset[str] = frozenset({"service", "unknown"})
    count_all_claims: bool = False
    include_cancelled: bool = True
    cancelled_order_statuses: frozenset[str] = field(
        default_factory=lambda: frozenset({"cancelled", "canceled"})
    )

    def __post_init__(self) -> None:
        if not isinstance(self.window_days, int) or self.window_days < 1:
            raise ValueError(f"window_days must be a positive integer, got {self.window_days!r}")
        if not isinstance(self.lag_days, int) or self.lag_days < 0:
            raise ValueError(f"lag_days must be an integer >= 0, got {self.lag_days!r}")
        if not 0 < self.target <= 1:
            raise ValueError(f"target must be a fraction in (0, 1], got {self.target!r}")
        if not 1 <= self.negative_feedback_max_rating <= 5:
            raise ValueError(
                "negative_feedback_max_rating must be between 1 and 5, "
                f"got {self.negative_feedback_max_rating!r}"
            )
        from odr_analysis.schema import STATUSES

        for name, kind in (
            ("counted_feedback_statuses", "negative_feedback"),
            ("counted_claim_statuses", "a_to_z_claim"),
            ("counted_chargeback_statuses", "chargeback"),
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} must be a set of statuses, not the string {value!r}")
            unknown = set(value) - set(STATUSES[kind])
            if unknown:
                raise ValueError(
                    f"{name} holds unknown status(es) {sorted(unknown)}; "
                    f"allowed for {kind}: {list(STATUSES[kind])}"
                )
            object.__setattr__(self, name, frozenset(value))
        object.__setattr__(
            self,
            "cancelled_order_statuses",
            frozenset(s.lower() for s in self.cancelled_order_statuses),
        )

    # -- the window arithmetic: the only place that adds lag and window to a day -----------------

    @property
    def days_to_leave(self) -> int:
        """Days from an order's date to the first report date whose window no longer holds it.

        >>> OdrRules().days_to_leave
        74
        """
        return self.lag_days + self.window_days

    def order_days(self, report_day: Days) -> tuple[Days, Days]:
        """The first and last order day in the window of ``report_day`` (day numbers, inclusive).

        Works on an int, a numpy array or a polars expression of day numbers alike.

        >>> OdrRules().order_days(100)
        (27, 86)
        """
        return report_day - (self.lag_days + self.window_days - 1), report_day - self.lag_days

    def report_days(self, order_day: Days) -> tuple[Days, Days]:
        """The first and last report day whose window holds an order of ``order_day`` (inclusive).

        The inverse of :meth:`order_days`: an order of day 0 is in the windows of report days
        14 .. 73 under the default rules, and has left it on day 74.

        >>> OdrRules().report_days(0)
        (14, 73)
        """
        return order_day + self.lag_days, order_day + (self.lag_days + self.window_days - 1)

    def window(self, as_of: dt.date | str) -> Window:
        """The order-date window shown on report date ``as_of``.

        ``end = as_of - lag_days`` and ``start = end - (window_days - 1)``, both inclusive.

        >>> w = OdrRules().window("2024-01-28")
        >>> w.start, w.end, w.days
        (datetime.date(2023, 11, 16), datetime.date(2024, 1, 14), 60)
        """
        day = to_date(as_of, "as_of")
        start, end = self.order_days(day_number(day))
        return Window(day, from_day_number(start), from_day_number(end))

    def enters_window_on(self, order_date: dt.date | str) -> dt.date:
        """The first report date whose window holds an order of ``order_date``.

        >>> OdrRules().enters_window_on("2024-01-01")
        datetime.date(2024, 1, 15)
        """
        day = day_number(to_date(order_date, "order_date"))
        return from_day_number(self.report_days(day)[0])

    def leaves_window_on(self, order_date: dt.date | str) -> dt.date:
        """The first report date whose window no longer holds an order of ``order_date``.

        >>> OdrRules().leaves_window_on("2024-01-01")
        datetime.date(2024, 3, 15)
        """
        day = day_number(to_date(order_date, "order_date"))
        return from_day_number(self.report_days(day)[1] + 1)

    def leaves_window_expr(self, order_date: pl.Expr) -> pl.Expr:
        """:meth:`leaves_window_on` for a polars ``Date`` expression."""
        return order_date + pl.duration(days=self.lag_days + self.window_days)

    def meets_target(self, rate: float | None) -> bool | None:
        """Whether ``rate`` meets the target (strictly below it); ``None`` for an undefined rate.

        >>> OdrRules().meets_target(0.01), OdrRules().meets_target(0.0099)
        (False, True)
        """
        if rate is None:
            return None
        return rate < self.target


_EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01: the integer polars stores for a ``Date``.

    >>> day_number(dt.date(2022, 1, 8))
    19000
    """
    return (day - _EPOCH).days


def from_day_number(number: int) -> dt.date:
    """The date of a day number (the inverse of :func:`day_number`).

    >>> from_day_number(19000)
    datetime.date(2022, 1, 8)
    """
    return _EPOCH + dt.timedelta(days=int(number))


def to_date(value: dt.date | str, name: str) -> dt.date:
    """Accept a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string; reject anything else clearly."""
    if isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a date, not a datetime ({value!r}); use .date()")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None
    raise TypeError(f"{name} must be a datetime.date or 'YYYY-MM-DD' string, got {value!r}")


def date_arg(value: str) -> dt.date:
    """A command-line date (an ``argparse`` type): ``YYYY-MM-DD``, or argparse's usage error."""
    import argparse

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {value!r}") from None


def whole_days(value: int, name: str, *, minimum: int) -> int:
    """``value`` when it is a whole number of days of at least ``minimum``; else a clear error.

    >>> whole_days(90, "horizon", minimum=0)
    90
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum} (days), got {value!r}")
    return value
