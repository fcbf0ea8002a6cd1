"""The portfolio summary (odr_analysis.report.summary): by risk, with links; names escaped."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from odr_analysis import report, words
from odr_analysis.report.summary import SUMMARY_SCHEMA, summary_page, summary_rows

from .runs import ACCOUNTS, Run, page


def test_summary_lists_every_channel_by_risk_with_links(sample: Run) -> None:
    text = page(sample, "index.html")
    body = text[text.index('id="portfolio"') :]
    order = [body.index(f'<a href="{a}.html">{a}</a>') for a in ACCOUNTS]
    # summit-outdoor MFN (2.55%) is the worst, then tiny-letterpress MFN (1.39%), then evergreen
    summit, tiny, evergreen = order[1], order[2], order[0]
    assert summit < tiny < evergreen
    assert body.count("Over the target") == 2
    for rate in ("2.55%", "1.39%", "0.53%", "0.51%"):
        assert rate in body
    assert "\u25bc \u22120.59 points" in body  # summit-outdoor MFN fell from 3.14% a week ago
    assert "Report date Monday 23 February 2026" in text
    assert (
        "Status against Amazon&#x27;s 1% target: over it (at or above), at risk (within 20%" in body
    )
    assert "since the last report (16 Feb 2026)" in body


def test_summary_rows_of_an_account(summit: report.ReportData) -> None:
    rows = summary_rows(summit)
    assert rows.schema == SUMMARY_SCHEMA
    assert rows["channel"].to_list() == ["AFN", "MFN"]
    assert rows["since"].to_list() == [summit.since] * 2
    mfn = rows.filter(pl.col("channel") == "MFN").row(0, named=True)
    assert (mfn["order_count"], mfn["defective_orders"], mfn["over_by"]) == (746, 19, 12)
    first_under = summit.projection.first_under.filter(pl.col("channel") == "MFN")
    assert mfn["outlook"] == words.outlook_report(
        first_under.row(0, named=True), target=0.01, horizon=90
    )


def test_summary_page_escapes_names_and_lists_failures() -> None:
    row = {
        "account": "<b>shop</b>",
        "marketplace": "Amazon.com",
        "channel": "MFN",
        "as_of": dt.date(2026, 2, 23),
        "window_start": dt.date(2025, 12, 12),
        "window_end": dt.date(2026, 2, 9),
        "order_count": 100,
        "defective_orders": 2,
        "odr": 0.02,
        "odr_low": 0.005,
        "odr_high": 0.07,
        "target": 0.01,
        "expected_matured": 0.021,
        "allowed": 0,
        "over_by": 2,
        "since": dt.date(2026, 2, 16),
        "odr_since": 0.02,
        "outlook": "not expected under 1% within the next 90 days",
    }
    text = summary_page(
        pl.DataFrame([row], schema=SUMMARY_SCHEMA),
        links={"<b>shop</b>": "shop.html"},
        failures=[("x<script>", "file 'a.txt', line 3: <bad>")],
        generated="Generated on today",
        source="agency",
    )
    assert '<a href="shop.html">&lt;b&gt;shop&lt;/b&gt;</a>' in text
    assert "<b>shop</b>" not in text
    assert "x&lt;script&gt;" in text and "&lt;bad&gt;" in text
    assert "\u2192 unchanged" in text and "2 defective orders too many" in text
    assert "Not expected under 1% within the next 90 days" in text
    assert not re.search(r"https?://", text)


def test_summary_without_any_report() -> None:
    text = summary_page(
        pl.DataFrame(schema=SUMMARY_SCHEMA),
        links={},
        failures=[("a", "ValueError: no orders")],
        generated="Generated on today",
        source="agency",
    )
    assert "<p>No account could be reported.</p>" in text
    assert "Not reported (1)" in text and "<li>none</li>" in text
    assert "<script" not in text


def test_summary_shows_the_accounts_data_alerts_above_the_table() -> None:
    text = summary_page(
        pl.DataFrame(schema=SUMMARY_SCHEMA),
        links={"shop": "shop.html"},
        failures=[],
        generated="Generated on today",
        source="agency",
        alerts=[("shop", "3 orders row(s) could not be read <orders.txt>")],
    )
    box = text[text.index('<div class="alert">') :]
    assert box.startswith(f'<div class="alert"><p><strong>{words.ALERTS_TITLE}')
    assert "<li><strong>shop</strong>: 3 orders row(s) could not be read &lt;orders.txt&gt;" in box
    assert text.index('<div class="alert">') < text.index("No account could be reported")
    quiet = summary_page(
        pl.DataFrame(schema=SUMMARY_SCHEMA),
        links={},
        failures=[],
        generated="Generated on today",
        source="agency",
    )
    assert 'class="alert"' not in quiet
