"""OdrRules: its validation, and the window arithmetic (order_days, report_days, window,
enters_window_on, leaves_window_on, leaves_window_expr) agreeing with itself on ints, numpy
arrays and polars expressions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.rules import OdrRules, day_number, from_day_number

D = dt.date
ONE_DAY = dt.timedelta(days=1)
any_rules = st.builds(OdrRules, window_days=st.integers(1, 120), lag_days=st.integers(0, 40))
day_numbers = st.integers(-20_000, 60_000)  # 1915 .. 2134


# --- validation ----------------------------------------------------------------------------------


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        OdrRules(counted_claim_statuses=frozenset({"granted", "Granted"}))
    with pytest.raises(ValueError, match="window_days"):
        OdrRules(window_days=0)


# --- the window arithmetic -----------------------------------------------------------------------


def test_the_default_window_by_hand() -> None:
    rules = OdrRules()
    # report date 2024-01-28 shows the orders of 2023-11-16 .. 2024-01-14 (60 days, lag 14)
    assert rules.order_days(day_number(D(2024, 1, 28))) == (
        day_number(D(2023, 11, 16)),
        day_number(D(2024, 1, 14)),
    )
    # an order of 2024-01-01 is in the windows of report dates 01-15 .. 03-14
    assert rules.report_days(day_number(D(2024, 1, 1))) == (
        day_number(D(2024, 1, 15)),
        day_number(D(2024, 3, 14)),
    )
    assert rules.enters_window_on("2024-01-01") == D(2024, 1, 15)
    assert rules.leaves_window_on(D(2024, 1, 1)) == D(2024, 3, 15)


@given(rules=any_rules, day=day_numbers)
def test_order_days_and_report_days_are_inverse(rules: OdrRules, day: int) -> None:
    first, last = rules.order_days(day)
    assert (last - first + 1, day - last) == (rules.window_days, rules.lag_days)
    # the report days whose window holds an order of `day` are exactly its report_days
    enters, exits = rules.report_days(day)
    for report in range(enters - 2, exits + 3):
        lo, hi = rules.order_days(report)
        assert (lo <= day <= hi) == (enters <= report <= exits), report
    # the window of `day` is held by the report days of its first and last order day
    assert (rules.report_days(first)[1], rules.report_days(last)[0]) == (day, day)


@given(rules=any_rules, day=day_numbers)
def test_window_enters_and_leaves_agree_with_the_day_arithmetic(rules: OdrRules, day: int) -> None:
    date = from_day_number(day)
    window = rules.window(date)
    first, last = rules.order_days(day)
    assert (window.as_of, window.start, window.end) == (
        date,
        from_day_number(first),
        from_day_number(last),
    )
    assert window.days == rules.window_days
    assert rules.window(date.isoformat()) == window
    enters, leaves = rules.enters_window_on(date), rules.leaves_window_on(date.isoformat())
    assert (day_number(enters), day_number(leaves) - 1) == rules.report_days(day)
    assert (leaves - enters).days == rules.window_days

    def holds(report: dt.date) -> bool:
        w = rules.window(report)
        return w.start <= date <= w.end

    assert holds(enters) and holds(leaves - ONE_DAY)
    assert not holds(enters - ONE_DAY) and not holds(leaves)
    assert pl.select(rules.leaves_window_expr(pl.lit(date))).item() == leaves


@given(rules=any_rules, numbers=st.lists(day_numbers, min_size=1, max_size=20))
def test_window_arithmetic_is_the_same_on_ints_numpy_arrays_and_polars_expressions(
    rules: OdrRules, numbers: list[int]
) -> None:
    array = np.array(numbers, dtype=np.int64)
    frame = pl.DataFrame({"d": numbers}, schema={"d": pl.Int32})
    for method in (rules.order_days, rules.report_days):
        ints = [method(n) for n in numbers]
        lo, hi = method(array)
        assert list(zip(lo.tolist(), hi.tolist(), strict=True)) == ints
        lo_expr, hi_expr = method(pl.col("d"))
        assert frame.select(lo=lo_expr, hi=hi_expr).rows() == ints
    dates = frame.select(pl.col("d").cast(pl.Date))
    leaves = dates.select(rules.leaves_window_expr(pl.col("d")))["d"].to_list()
    assert leaves == [rules.leaves_window_on(from_day_number(n)) for n in numbers]
