"""An account's page (odr_analysis.report.page): the sections in order, the charts embedded
with their specs, the downloads, the prose, and the file (offline, one generated line)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest

from odr_analysis import report
from odr_analysis.htmlsafe import csv_text
from odr_analysis.report import page as page_module
from odr_analysis.report.page import PAGE, Prose, build_page, document, generated_line
from odr_analysis.report.sections import Chart, Download
from odr_analysis.rules import OdrRules

from .runs import ACCOUNTS, SAMPLE, Run, page


@pytest.fixture(scope="module")
def built(summit: report.ReportData) -> report.Page:
    return build_page(summit, stem="summit-outdoor")


def _marker(block: object) -> str:
    """What a block leaves in the page, to find it there."""
    if isinstance(block, Chart):
        return f"<figcaption>{block.caption}</figcaption>"
    if isinstance(block, Download):
        return f'download="summit-outdoor-{block.name}"'
    return str(block)


def test_page_holds_every_section_in_order(summit: report.ReportData, built: report.Page) -> None:
    positions = []
    for part in PAGE:
        if isinstance(part, Prose):
            positions.append(built.body.index(part.html(summit.rules)))
        else:
            blocks = list(part(summit))
            assert blocks, f"{part.__name__} gave nothing"
            positions.extend(built.body.index(_marker(b)) for b in blocks)
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    headings = re.findall(r"<h2>(.*?)</h2>", built.body)
    assert headings == [
        "The headline",
        "What drives it",
        "Where it is heading",
        "Our numbers against Amazon's",
        "The data behind this report",
    ]
    assert built.title == "Order Defect Rate: summit-outdoor"


def test_charts_are_embedded_with_their_specs(
    summit: report.ReportData, built: report.Page
) -> None:
    charts = [b for part in PAGE if not isinstance(part, Prose) for b in part(summit)]
    charts = [b for b in charts if isinstance(b, Chart)]
    ids = re.findall(r'<div class="vega-chart" id="(chart-\d+)"></div>', built.body)
    assert ids == [f"chart-{i}" for i in range(1, len(charts) + 1)]
    for ident, chart in zip(ids, charts, strict=True):
        match = re.search(
            rf'<script type="application/json" id="{ident}-spec">(.*?)</script>', built.body
        )
        assert match is not None, ident
        assert json.loads(match.group(1)) == json.loads(json.dumps(chart.chart.to_dict()))
    assert "vegaEmbed" not in built.body, "the scripts are added by the document"


def test_downloads_are_linked_and_handed_over(
    summit: report.ReportData, built: report.Page
) -> None:
    names = [name for name, _ in built.downloads]
    assert names == ["summit-outdoor-defects-in-window.csv", "summit-outdoor-negative-feedback.csv"]
    frames = [b for part in PAGE if not isinstance(part, Prose) for b in part(summit)]
    frames = [b.frame for b in frames if isinstance(b, Download)]
    for (name, text), frame in zip(built.downloads, frames, strict=True):
        assert text == csv_text(frame)
        encoded = re.search(
            rf'download="{name}" href="data:text/csv;charset=utf-8;base64,([^"]*)"', built.body
        )
        assert encoded is not None
        assert base64.b64decode(encoded.group(1)).decode("utf-8") == text


def test_the_prose_says_the_rules_numbers() -> None:
    default = page_module.HOW_AMAZON_COUNTS.html(OdrRules())
    assert "a 60-day\nperiod that ends 14 days before" in default
    assert "order is 74 days old (14 + 60 days)" in default
    assert "(1 or 2 stars)" in default and "target is under 1%." in default
    other = OdrRules(window_days=30, lag_days=7, target=0.015, negative_feedback_max_rating=1)
    text = page_module.HOW_AMAZON_COUNTS.html(other)
    assert "a 30-day\nperiod that ends 7 days before" in text
    assert "order is 37 days old (7 + 30 days)" in text
    assert "(1 star)" in text and "target is under 1.5%." in text
    assert "<strong>How Amazon counts.</strong>" in text


def test_the_document_has_one_bundle_and_one_generated_line() -> None:
    line = generated_line(dt.datetime(2026, 2, 23, 9, 14, tzinfo=dt.UTC))
    assert line == "Generated on 2026-02-23 09:14 UTC by odr-analysis 0.1.0"
    text = document("A <title>", "<p>body</p>", line, scripts=True)
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<title>A &lt;title&gt;</title>" in text
    assert [ln for ln in text.splitlines() if "Generated on" in ln] == [
        f'<footer><p class="generated">{line}</p></footer>'
    ]
    assert text.count("window.vegaEmbed=") == 1
    assert re.findall(r"<script\b[^>]*>", text) == ["<script>", "<script>"]
    assert "<script" not in document("t", "<p>b</p>", line)


def test_pages_are_offline_and_hold_no_rater_email(sample: Run) -> None:
    emails = set()
    for account in ACCOUNTS:
        feedback = (SAMPLE / account / "feedback.txt").read_text(encoding="utf-8")
        emails.update(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", feedback))
    assert len(emails) > 50
    for path in sample.out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I), path
        assert not re.search(r"@import|url\(\s*['\"]?https?:", text, re.I), path
        found = [e for e in emails if e in text]
        assert not found, f"{path.name} holds rater e-mails {found[:3]}"
    for account in ACCOUNTS:
        text = page(sample, f"{account}.html")
        scripts = re.findall(r"<script\b[^>]*>", text)
        # one spec per chart, the vega bundle once, the embedding code once
        assert scripts.count("<script>") == 2
        assert len(scripts) == 2 + text.count('class="vega-chart"')
        assert text.count("window.vegaEmbed=") == 1
