"""Where a number comes from: the provenance of the estimates and the projection's assumptions."""

from __future__ import annotations

import datetime as dt
from typing import Final

from odr_analysis.words._formats import count, iso, number

__all__ = [
    "ASSUMED",
    "AS_GIVEN",
    "NO_MATURED_RATE",
    "NO_ORDERS",
    "arrival_fixed",
    "arrival_source",
    "assumptions",
    "matured_rate_source",
    "maturity_source",
    "method_monte_carlo",
    "method_normal",
    "recent_orders_source",
]


AS_GIVEN: Final = "as given"
"""The source of a number the user gave."""
ASSUMED: Final = "assumed"
"""The source of an assumption the user gave to the projection."""
NO_ORDERS: Final = "no orders"
NO_MATURED_RATE: Final = "no matured rate"


def recent_orders_source(covered: int, days: int, since: dt.date | None) -> str:
    """Where a recent orders-a-day figure comes from.

    >>> recent_orders_source(28, 28, None)
    'average of the last 28 days'
    >>> recent_orders_source(5, 28, dt.date(2024, 3, 1))
    'average of the 5 days since the first order on 2024-03-01'
    """
    if covered == days:
        return f"average of the last {days} days"
    if covered > 0:
        return f"average of the {count(covered, 'day')} since the first order on {iso(since)}"
    return "no order before the report date"


def matured_rate_source(
    used: int, own: int, *, pooled: bool, min_orders: int, ages: tuple[int, int]
) -> str:
    """Where a matured defect rate comes from: how many orders, how old, pooled or not.

    >>> matured_rate_source(150, 40, pooled=True, min_orders=200, ages=(90, 149))
    'matured rate of 150 orders 90-149 days old, pooled over the account (this channel has 40), fewer than 200: uncertain'
    """  # noqa: E501
    old = f"{ages[0]}-{ages[1]} days old"
    if used == 0:
        return f"no order {old}: give a defect rate"
    text = f"matured rate of {used:,} orders {old}"
    if pooled:
        text += f", pooled over the account (this channel has {own:,})"
    if used < min_orders:
        text += f", fewer than {min_orders}: uncertain"
    return text


def arrival_source(k: int, *, pooled: bool, accounts: int, everyone: int, max_delay: int) -> str:
    """Where an account's arrival delays come from.

    >>> arrival_source(30, pooled=False, accounts=3, everyone=90, max_delay=120)
    "the account's own 30 defects on orders at least 120 days old"
    """
    old = f"orders at least {max_delay} days old"
    if not pooled:
        return f"the account's own {k:,} defects on {old}"
    if not everyone:
        return f"no defect on {old}: assumed uniform over 0-{max_delay} days"
    if accounts == 1:
        return f"only {k} defect(s) on {old}: few, uncertain"
    return (
        f"pooled over all {accounts} accounts ({everyone:,} defects on {old}); "
        f"this account has only {k}"
    )


def arrival_fixed(delay: int) -> str:
    """``every defect 3 days after its order``: the source of an assumed arrival delay."""
    return f"every defect {count(delay, 'day')} after its order"


def maturity_source(rate_source: str, delay_source: str) -> str:
    """Both sources behind a matured rate: the defect rate's and the delays'."""
    return f"{rate_source}; delays: {delay_source}"


def method_monte_carlo(n_sims: int) -> str:
    """``monte carlo, 500 simulations``: how a band was computed."""
    return f"monte carlo, {n_sims:,} simulations"


def method_normal(defects: float, what: str) -> str:
    """``normal approximation (1,234 defects to come)``: how a band was computed."""
    return f"normal approximation ({defects:,.0f} defects {what})"


# (((column, value), ...), number) pairs, as odr_analysis.projection.Assumptions stores them
_Entries = tuple[tuple[tuple[tuple[str, str], ...], float], ...]


def _entries(entries: _Entries | None, fmt: str, unit: str, default: str) -> str:
    if entries is None:
        return default
    if len(entries) == 1 and not entries[0][0]:
        return f"{entries[0][1]:{fmt}} {unit}"
    values = ", ".join(" ".join(v for _, v in key) + f" {x:{fmt}}" for key, x in entries)
    return f"{values} {unit} (others: default)"


def _extra(entries: _Entries) -> str:
    """``5 extra clean orders a day``, or per group: ``MFN 5 extra clean ... (others: none)``."""
    unit = "extra clean orders a day"
    if len(entries) == 1 and not entries[0][0]:
        return f"{number(entries[0][1])} {unit}"
    values = ", ".join(" ".join(v for _, v in key) + f" {number(x)}" for key, x in entries)
    return f"{values} {unit} (others: none)"


def assumptions(
    *,
    daily_orders: _Entries | None,
    defect_rate: _Entries | None,
    extra_clean_orders: _Entries,
    arrival_delay: int | None,
    horizon: int,
    n_sims: int,
    level: float,
    seed: int,
    recent_days: int = 28,
    matured_ages: tuple[int, int] = (90, 149),
) -> str:
    """The projection's assumptions in one line (``Assumptions.describe``)."""
    orders = _entries(
        daily_orders,
        ",.1f",
        "orders a day",
        f"the average orders a day of the last {recent_days} days",
    )
    rate = _entries(
        defect_rate,
        ".2%",
        "of orders defective",
        f"the matured defect rate (orders {matured_ages[0]}-{matured_ages[1]} days old)",
    )
    arrival = (
        "defects arriving as in the account history"
        if arrival_delay is None
        else f"every defect arriving {count(arrival_delay, 'day')} after its order"
    )
    if extra_clean_orders:
        orders += " + " + _extra(extra_clean_orders)
    return (
        f"{orders}, {rate}, {arrival}, {horizon} days, {n_sims:,} simulations, "
        f"{level:.0%} band, seed {seed}"
    )
