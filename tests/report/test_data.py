"""One account's numbers (odr_analysis.report.data): the defaults and what they agree with."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from odr_analysis import report
from odr_analysis.engine import odr
from odr_analysis.schema import GROUP_KEYS

from .runs import REPORT_DATE, SAMPLE


def test_compute_uses_the_last_day_of_the_data_and_a_week_before(
    summit: report.ReportData,
) -> None:
    assert summit.as_of == REPORT_DATE
    assert summit.since == REPORT_DATE - dt.timedelta(days=7)
    engine = odr(summit.account.orders, summit.account.defects, as_of=REPORT_DATE)
    cols = ["channel", "order_count", "defective_orders", "odr"]
    assert summit.status.select(cols).equals(engine.select(cols))
    assert summit.status["status"].to_list() == ["met", "breached"]
    since = odr(summit.account.orders, summit.account.defects, as_of=summit.since)
    assert summit.status_since.select(cols).equals(since.select(cols))


def test_the_frames_cover_the_same_channels_and_the_horizon(summit: report.ReportData) -> None:
    keys = list(GROUP_KEYS)
    channels = summit.status.select(keys)
    for frame in (summit.matured, summit.allowed, summit.change, summit.projection.first_under):
        assert frame.select(keys).sort(keys).equals(channels), frame.columns
    assert summit.horizon == 90
    assert summit.projection.daily["as_of"].max() == REPORT_DATE + dt.timedelta(days=90)
    assert summit.daily["as_of"].max() == REPORT_DATE
    assert summit.reconciliation is not None and summit.reconciliation.height > 0
    assert "message" not in summit.change.columns, "sentences are the sections' business"


def test_compute_takes_the_dates_as_text_and_checks_them() -> None:
    r = report.compute(
        SAMPLE, "tiny-letterpress", as_of="2026-01-20", since="2026-01-02", n_sims=50, horizon=30
    )
    assert (r.as_of, r.since, r.horizon) == (dt.date(2026, 1, 20), dt.date(2026, 1, 2), 30)
    assert r.change["start"].unique().to_list() == [dt.date(2026, 1, 2)]
    assert r.ranking.filter(pl.col("days_saved") > 0).height <= r.ranking.height
    with pytest.raises(ValueError, match=r"since \(2026-01-20\) must be before as_of"):
        report.compute(SAMPLE, "tiny-letterpress", as_of="2026-01-20", since="2026-01-20")
