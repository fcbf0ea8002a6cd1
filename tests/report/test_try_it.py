""" "Try it yourself" (odr_analysis.report.try_it): the slider chart's spec and its frame."""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl

from odr_analysis import report, words
from odr_analysis.report import try_it
from odr_analysis.report.sections import Chart


def test_what_if_chart_has_named_sliders_and_the_stated_formula(
    summit: report.ReportData,
) -> None:
    chart = try_it.what_if_chart(
        summit, "Amazon.com", "MFN", orders_a_day=8.5, defect_rate=0.0128
    ).to_dict()
    params = {p["name"]: p for p in chart["params"]}
    assert set(params) == {"orders_a_day", "defect_rate"}
    assert params["orders_a_day"]["value"] == 9  # 8.5 a day, on a slider of whole orders
    assert params["orders_a_day"]["bind"]["input"] == "range"
    assert params["defect_rate"]["value"] == 1.3
    spec = json.dumps(chart)
    assert "orders_a_day * datum.new_days" in spec
    assert not re.search(r"\b(?:view|param)_\d+\b", spec), "altair auto-names are not stable"
    assert json.dumps(words.outlook_label_js(0.01, 74)) in spec
    frame = try_it.what_if_frame(summit, "Amazon.com", "MFN")
    first = frame.row(0, named=True)
    assert first["day"] == 0 and first["new_days"] == 0
    assert first["order_count"] == 746 and first["defective_orders"] == 19
    # 20 days ahead the window ends 6 days after the report date: 6 days of new orders
    assert frame.filter(pl.col("day") == 20)["new_days"].item() == 6


def test_new_days_are_the_order_dates_after_today_in_each_window(
    summit: report.ReportData,
) -> None:
    frame = try_it.what_if_frame(summit, "Amazon.com", "AFN")
    assert frame["day"].to_list() == list(range(frame.height))
    for row in frame.iter_rows(named=True):
        window = summit.rules.window(row["as_of"])
        days = [
            window.start + dt.timedelta(days=i)
            for i in range(window.days)
            if window.start + dt.timedelta(days=i) > summit.as_of
        ]
        assert row["new_days"] == len(days), row


def test_one_chart_per_channel_after_the_formula(summit: report.ReportData) -> None:
    blocks = list(try_it.try_it(summit))
    assert isinstance(blocks[0], str) and '<p class="formula">' in blocks[0]
    assert "New orders only count 14 days after they are placed" in blocks[0]
    charts = blocks[1:]
    assert [type(b) for b in charts] == [Chart, Chart]
    titles = [c.chart.to_dict()["title"]["text"] for c in charts if isinstance(c, Chart)]
    assert titles == [
        "Try it: FBA orders (AFN, fulfilled by Amazon)",
        "Try it: Seller-fulfilled orders (MFN)",
    ]
