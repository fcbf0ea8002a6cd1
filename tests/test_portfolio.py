"""Tests for odr_analysis.portfolio: every account and channel against the target."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from odr_analysis import words
from odr_analysis.engine import odr
from odr_analysis.portfolio import portfolio_status
from odr_analysis.readers import load_account

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
REPORT_DATE = dt.date(2026, 2, 23)


@pytest.fixture(scope="module")
def summit():
    return load_account(SAMPLE / "summit-outdoor")


@pytest.fixture(scope="module")
def evergreen():
    return load_account(SAMPLE / "evergreen-home")


def _status_frame(rates, accounts=None):
    accounts = accounts or [f"a{i}" for i in range(len(rates))]
    return pl.DataFrame(
        {
            "account": accounts,
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "odr": rates,
            "target": 0.01,
        },
        schema_overrides={"odr": pl.Float64},
    )


def test_status_boundaries_follow_the_strict_target():
    frame = _status_frame([0.01, 0.0099, 0.008, 8 / 1000, 0.0079999, 0.0, None])
    out = portfolio_status(frame).sort("account")
    assert out["status"].to_list() == [
        "breached",  # exactly 1% does not meet "less than 1%"
        "at_risk",
        "at_risk",  # 0.80% is within 20% of the target
        "at_risk",
        "met",
        "met",
        "no_orders",
    ]
    assert words.status_legend(out["status"][0], at_risk=out["at_risk"][0]) == (
        words.status_legend("breached")
    )
    assert out.filter(pl.col("account") == "a6")["headroom"].to_list() == [None]
    assert out.filter(pl.col("account") == "a1")["headroom"][0] == pytest.approx(0.0001)


def test_risk_rank_orders_accounts_by_their_worst_rate():
    frame = pl.DataFrame(
        {
            "account": ["calm", "calm", "hot", "hot", "empty", "warm"],
            "marketplace": "Amazon.com",
            "channel": ["AFN", "MFN", "AFN", "MFN", "MFN", "MFN"],
            "odr": [0.001, 0.002, 0.0, 0.03, None, 0.009],
        }
    )
    out = portfolio_status(frame)
    assert out.select("account", "channel").rows() == [
        ("hot", "AFN"),
        ("hot", "MFN"),
        ("warm", "MFN"),
        ("calm", "AFN"),
        ("calm", "MFN"),
        ("empty", "MFN"),
    ]
    assert out["risk_rank"].to_list() == [1, 2, 3, 4, 5, 6]
    assert out["target"].to_list() == [0.01] * 6  # the default target without a column


def test_at_risk_margin_and_target_can_be_changed():
    frame = _status_frame([0.007, 0.017])
    out = portfolio_status(frame, at_risk=0.5).sort("account")
    assert out["status"].to_list() == ["at_risk", "breached"]
    assert words.status_legend(out["status"][0], at_risk=out["at_risk"][0]) == (
        "At risk (within 50% of target)"
    )
    out = portfolio_status(frame, target=0.02).sort("account")
    assert out["status"].to_list() == ["met", "at_risk"]


def test_portfolio_status_on_the_sample_portfolio(summit, evergreen):
    orders = pl.concat([summit.orders, evergreen.orders])
    defects = pl.concat([summit.defects, evergreen.defects])
    out = portfolio_status(odr(orders, defects, as_of=REPORT_DATE))
    assert out.select("account", "channel", "status").rows()[0] == (
        "summit-outdoor",
        "AFN",
        "met",
    )
    assert out.filter(pl.col("channel") == "MFN")["status"].to_list() == ["breached", "met"]


@pytest.mark.parametrize("at_risk", [-0.1, 1, 1.5, True, "0.2"])
def test_bad_at_risk_is_refused(at_risk):
    with pytest.raises(ValueError, match="at_risk must be a fraction"):
        portfolio_status(_status_frame([0.001]), at_risk=at_risk)


def test_portfolio_status_needs_an_odr_frame():
    with pytest.raises(ValueError, match=r"no column\(s\) \['odr'\]"):
        portfolio_status(pl.DataFrame({"account": ["a"], "channel": ["MFN"]}))
    with pytest.raises(TypeError, match="must be a polars DataFrame"):
        portfolio_status({"account": ["a"]})  # type: ignore[arg-type]
