"""The words users read (odr_analysis.words): numbers, dates, names and sentences.

Most sentences are also checked where their answer is tested (test_headroom, test_explain, ...);
here: the formats, the names, and the sentences that have no answer of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from odr_analysis import words
from odr_analysis.rules import OdrRules
from odr_analysis.schema import CHANGE_PARTS, CHANNELS, KINDS
from odr_analysis.words import headline

AS_OF = dt.date(2026, 2, 23)


def test_one_target_text_everywhere() -> None:
    # forecast used to print a 1.5% target as "1.50%", the other modules "1.5%"
    assert [words.target_text(t) for t in (0.01, 0.015, 0.0125, 0.1)] == [
        "1%",
        "1.5%",
        "1.25%",
        "10%",
    ]
    for t in (0.01, 0.015, 0.0125, 0.1, 0.005):
        assert pl.select(words.target_expr(pl.lit(t))).item() == words.target_text(t)


@pytest.mark.parametrize("rate", [0.0, 0.0073, 2 / 64, 1 / 3, 0.01, 0.123456, 1.0])
def test_pct_and_its_expression_agree(rate: float) -> None:
    # one rounding for every percentage: half to even, as Python formats (2/64 -> 3.12%)
    assert pl.select(words.pct_expr(pl.lit(rate))).item() == words.pct(rate)


def test_pct_of_nothing() -> None:
    assert words.pct(None) == words.pct(float("nan")) == "n/a"
    assert pl.select(words.pct_expr(pl.lit(None, pl.Float64))).item() is None


def test_counts_and_dates() -> None:
    assert words.count(1, "day") == "1 day" and words.count(1234, "order") == "1,234 orders"
    assert words.count(2, "feedback", "feedbacks") == "2 feedbacks"
    assert words.day(dt.date(2026, 2, 9)) == "9 Feb 2026"
    assert words.chart_day(dt.date(2026, 2, 9)) == "09 Feb 2026"
    assert words.long_day(AS_OF) == "Monday 23 February 2026"
    assert words.short_day(dt.date(2027, 1, 2), AS_OF) == "2 January 2027"
    assert words.points(-0.0125) == "\u22121.25 points"


def test_every_kind_channel_status_and_cause_is_named() -> None:
    assert set(words.KINDS) == set(KINDS)
    assert set(words.CHANNELS) == set(CHANNELS)
    assert tuple(words.CAUSES) == CHANGE_PARTS
    assert [words.KINDS[k].title for k in KINDS] == [
        "Negative feedback",
        "A-to-z claims",
        "Chargebacks",
    ]
    assert words.status_legend("at_risk", at_risk=0.3) == "At risk (within 30% of target)"


def test_removal_option_says_when_the_order_enters_or_leaves() -> None:
    row = {
        "order_id": "111-1",
        "kind": "negative_feedback",
        "order_date": dt.date(2026, 2, 15),
        "leaves_window_on": dt.date(2026, 4, 30),
        "days_saved": 1,
        "also_has": ["a_to_z_claim"],
    }
    rules = OdrRules()
    assert words.removal_option(row, enters=True, rules=rules) == (
        "111-1 · feedback · ordered 15 Feb 2026 · enters the window 01 Mar · saves 1 day over "
        "1% (also has A-to-z claim)"
    )
    assert "leaves the window 30 Apr" in words.removal_option(row, enters=False, rules=rules)


def test_outlook_when_the_window_empties_after_going_under() -> None:
    row = {
        "first_under": dt.date(2026, 3, 1),
        "days_until_under": 6,
        "stays_under_from": None,
        "back_over": None,
        "empty_from": dt.date(2026, 3, 9),
        "rate_today": 0.02,
    }
    assert words.outlook(row, target=0.01, horizon=30) == (
        "expected under 1% from 2026-03-01 (in 6 days), but with no order in the window from "
        "2026-03-09"
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"rate_today": None, "first_under": None, "first_over": None},
            "No orders in today's window: no rate",
        ),
        (
            {"rate_today": 0.012, "first_under": None, "first_over": None},
            "1.20% today, not under 1% within 90 days",
        ),
        (
            {"rate_today": 0.004, "first_under": None, "first_over": dt.date(2026, 4, 2)},
            "0.40% today, under 1%, and expected at or over 1% on 2 April",
        ),
        (
            {
                "rate_today": 0.0124,
                "first_under": dt.date(2026, 3, 14),
                "first_over": None,
                "removed": (("o1", "chargeback"),),
                "rate_today_after": 0.011,
                "first_under_after": dt.date(2026, 3, 2),
            },
            "1.24% today, under 1% on 14 March; removing this chargeback: 1.10% today, under "
            "1% on 2 March",
        ),
        (
            {
                "rate_today": 0.0124,
                "first_under": dt.date(2026, 3, 14),
                "first_over": None,
                "removed": (("o1", "a_to_z_claim"), ("o2", "a_to_z_claim")),
                "rate_today_after": 0.0101,
                "first_under_after": None,
            },
            "1.24% today, under 1% on 14 March; removing these 2 A-to-z claims: 1.01% today, "
            "not under 1% within 90 days",
        ),
    ],
)
def test_headline_wording(kwargs: dict[str, Any], expected: str) -> None:
    assert headline(as_of=AS_OF, target=0.01, horizon=90, **kwargs) == expected
