"""When the rate is under the target again (:func:`odr_analysis.outlook.under_target`), on small
hand-made paths whose dates are worked out by hand.

Every path starts the day after ``AS_OF`` = 2026-03-01: day ``k`` is ``AS_OF + k``. The target
is 1%: a day is under when its rate is below 1%, at or over when it is 1% or more, and neither
without orders (a null rate).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from odr_analysis import words
from odr_analysis.outlook import OUTLOOK_COLUMNS, under_target
from odr_analysis.schema import GROUP_KEYS

AS_OF = dt.date(2026, 3, 1)
TARGET = 0.01
HORIZON = 90


def day(k: int) -> dt.date:
    return AS_OF + dt.timedelta(days=k)


def path(rates: dict[str, list[float | None]], column: str = "expected_rate") -> pl.DataFrame:
    """Per channel, the rate of days 1, 2, ... (``None``: no order in that day's window)."""
    return pl.DataFrame(
        [(c, day(k), r) for c, values in rates.items() for k, r in enumerate(values, start=1)],
        schema={"channel": pl.String, "as_of": pl.Date, column: pl.Float64},
        orient="row",
    )


def today(rates: dict[str, float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"channel": list(rates), "rate_today": list(rates.values())},
        schema={"channel": pl.String, "rate_today": pl.Float64},
    )


def outlook_of(rates: list[float | None], rate_today: float | None) -> dict[str, object]:
    out = under_target(
        path({"MFN": rates}),
        today({"MFN": rate_today}),
        as_of=AS_OF,
        target=TARGET,
        keys=["channel"],
    )
    assert out.height == 1
    return out.row(0, named=True)


def dates(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[c] for c in OUTLOOK_COLUMNS)


def test_under_then_over_again_then_under_to_the_end() -> None:
    # day:   1      2      3      4      5      6
    # rate:  1.2%   0.9%   1.1%   1.0%   0.8%   0.7%
    # first under on day 2; at or over again on day 3 (day 4 too: 1.0% is not under);
    # every day from 5 is under
    row = outlook_of([0.012, 0.009, 0.011, 0.010, 0.008, 0.007], 0.013)
    assert dates(row) == (0.013, False, day(2), 2, day(5), day(1), day(3), None)
    assert words.outlook(row, target=TARGET, horizon=HORIZON) == (
        f"expected under 1% from {day(2)} (in 2 days), to stay under from {day(5)}"
    )


def test_under_from_the_first_day_to_the_end() -> None:
    row = outlook_of([0.005, 0.004, 0.0], 0.003)
    # under today and on every coming day: it stays under from the first of them
    assert dates(row) == (0.003, True, day(1), 1, day(1), None, None, None)
    assert words.outlook(row, target=TARGET, horizon=HORIZON) == (
        "under 1% today and to stay under"
    )


def test_a_day_without_orders_is_neither_under_nor_over() -> None:
    # day:   1      2      3      4      5      6
    # rate:  0.8%   -      -      1.2%   -      0.9%
    # back over on day 4 (days 2 and 3 have no rate: not over); empty from day 2; the last
    # day not under is day 5 (no rate), so it stays under from day 6
    row = outlook_of([0.008, None, None, 0.012, None, 0.009], 0.009)
    assert dates(row) == (0.009, True, day(1), 1, day(6), day(4), day(4), day(2))
    assert words.outlook(row, target=TARGET, horizon=HORIZON) == (
        f"under 1% today, to stay under from {day(6)}"
    )


def test_under_then_no_orders_to_the_end_is_not_back_over() -> None:
    # under on day 1, then the window is empty: never at or over after it, and not under on
    # the last day. The old forecast message said "at or above it again from" day 2 here.
    row = outlook_of([0.008, None, None], 0.012)
    assert dates(row) == (0.012, False, day(1), 1, None, None, None, day(2))
    assert words.outlook(row, target=TARGET, horizon=HORIZON) == (
        f"expected under 1% from {day(1)} (in 1 day), but with no order in the window from {day(2)}"
    )


def test_a_group_never_under_and_a_group_without_any_order() -> None:
    # MFN: at or over on every day (1.0% is not under); AFN: no order today nor on any day
    out = under_target(
        path({"MFN": [0.02, 0.01, 0.015], "AFN": [None, None, None]}),
        today({"MFN": 0.02, "AFN": None}),
        as_of=AS_OF,
        target=TARGET,
        keys=["channel"],
    )
    mfn, afn = (out.filter(channel=c).row(0, named=True) for c in ("MFN", "AFN"))
    assert dates(mfn) == (0.02, False, None, None, None, day(1), None, None)
    assert dates(afn) == (None,) * 8
    assert words.outlook(mfn, target=TARGET, horizon=HORIZON) == (
        "not expected under 1% within 90 days"
    )


def test_groups_keys_order_and_the_rate_column() -> None:
    # the full group keys, the path given out of order, a group of today missing from the
    # path, and the dates read from another rate column (the band's low edge)
    keys = {"account": pl.lit("acme"), "marketplace": pl.lit("Amazon.com")}
    daily = (
        path({"MFN": [0.011, 0.009], "AFN": [0.007, 0.012]}, column="low")
        .with_columns(**keys)
        .select(*GROUP_KEYS, "as_of", "low")
        .reverse()
    )
    now = today({"AFN": 0.006, "FBA": 0.02, "MFN": 0.011}).with_columns(**keys)
    out = under_target(daily, now, as_of=AS_OF, target=TARGET, rate="low")
    assert out.columns == [*GROUP_KEYS, *OUTLOOK_COLUMNS]
    assert out["channel"].to_list() == ["AFN", "FBA", "MFN"]  # today's groups, in its order
    assert out.schema["first_under"] == pl.Date
    assert out.schema["days_until_under"] == pl.Int64
    assert out.schema["meets_target_today"] == pl.Boolean
    afn, fba, mfn = out.drop("account", "marketplace", "channel").rows()
    assert afn == (0.006, True, day(1), 1, None, day(2), day(2), None)
    assert fba == (0.02, False, None, None, None, None, None, None)
    assert mfn == (0.011, False, day(2), 2, day(2), day(1), None, None)
