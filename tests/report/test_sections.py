"""The sections of an account's page (odr_analysis.report.sections): words, numbers, escaping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import polars as pl
import pytest

from odr_analysis import report, words
from odr_analysis.engine import odr
from odr_analysis.readers import load_account
from odr_analysis.report import sections
from odr_analysis.report.sections import Chart, Download

from .runs import ACCOUNTS, REPORT_DATE, SAMPLE, Run, page


def html(blocks: Iterable[object]) -> str:
    return "".join(b for b in blocks if isinstance(b, str))


def test_headline_names_status_interval_settled_rate_headroom_and_outlook(
    summit: report.ReportData,
) -> None:
    text = html(sections.headline(summit))
    mfn = text[text.index("Seller-fulfilled orders (MFN)") :]
    assert "Over the target" in mfn
    assert "<strong>2.55%</strong> today: 19 defective of 746 orders." in mfn
    assert "anywhere from 1.64% to 3.94% (95% interval)" in mfn
    assert "Expected to settle at" in mfn
    assert "12 defective orders too many" in mfn
    outlook = summit.projection.first_under.filter(pl.col("channel") == "MFN")
    under = outlook["first_under"].item()
    assert f"Expected under 1% from {under.day} {under:%b %Y}" in mfn
    sentence = words.outlook_report(outlook.row(0, named=True), target=0.01, horizon=90)
    assert f"<strong>{words.sentence(sentence)}.</strong>" in mfn
    assert text.index("Action needed: seller-fulfilled orders (MFN) are over") < text.index("card")


def test_outlooks_word_every_channel_of_the_projection(summit: report.ReportData) -> None:
    frame = sections.outlooks(summit)
    assert frame["channel"].to_list() == ["AFN", "MFN"]
    rows = summit.projection.first_under.sort("channel").iter_rows(named=True)
    expected = [words.outlook_report(row, target=0.01, horizon=90) for row in rows]
    assert frame["outlook"].to_list() == expected


def test_change_since_the_last_report_has_a_line_per_channel(summit: report.ReportData) -> None:
    text = html(sections.changes(summit))
    assert text.startswith("<p>Since the last report on Monday 16 February 2026:</p>")
    messages = words.with_change_words(summit.change)["message"].to_list()
    assert text.count("<li>") == 2
    for message in messages:
        assert message.replace("'", "&#x27;") in text


def test_every_chart_has_a_caption_that_says_what_it_means(summit: report.ReportData) -> None:
    for section in (
        sections.history,
        sections.composition,
        sections.waterfall,
        sections.dropoff,
        sections.sources,
        sections.projection_chart,
    ):
        blocks = list(section(summit))
        assert len(blocks) == 1, section.__name__  # one marketplace: one chart
        (chart,) = blocks
        assert isinstance(chart, Chart)
        assert chart.caption.endswith("."), chart.caption
        assert ": " in chart.caption, "the caption ends with what the chart means"
        assert chart.chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/")


def test_downloads_follow_their_tables(summit: report.ReportData) -> None:
    blocks = list(sections.window_defects(summit))
    assert [type(b) for b in blocks] == [str, Download]
    download = blocks[1]
    assert isinstance(download, Download)
    assert download.name == "defects-in-window.csv"
    assert download.frame.columns[:3] == ["marketplace", "channel", "order_id"]
    assert "74 days after the order date" in str(blocks[0])
    feedback = list(sections.feedback(summit))
    assert isinstance(feedback[-1], Download) and feedback[-1].name == "negative-feedback.csv"


def test_removals_say_how_to_remove_each_kind(summit: report.ReportData) -> None:
    text = html(sections.removals(summit))
    assert "in the next 90 days" in text
    for kind in set(summit.ranking.filter(pl.col("days_saved") > 0).head(10)["kind"]):
        assert words.KINDS[kind].remedy in text


def test_reconciliation_gives_a_verdict_per_window(summit: report.ReportData) -> None:
    text = html(sections.reconciliation(summit))
    assert summit.reconciliation is not None
    assert text.count("<tr") == summit.reconciliation.height + 1
    assert text.count("Same as Amazon") == summit.reconciliation["match"].sum()


# --- the sections as written by odr-report ------------------------------------------------------


@pytest.mark.parametrize("account", ACCOUNTS)
def test_page_holds_the_engine_headline_numbers(sample: Run, account: str) -> None:
    text = page(sample, f"{account}.html")
    data = load_account(SAMPLE / account)
    status = odr(data.orders, data.defects, as_of=REPORT_DATE)
    assert "Monday 23 February 2026" in text
    for row in status.iter_rows(named=True):
        headline = (
            f"<strong>{row['odr']:.2%}</strong> today: {row['defective_orders']:,} defective of "
            f"{row['order_count']:,} orders."
        )
        assert headline in text, f"{account} {row['channel']}: {headline!r} not in the page"
    badges = {True: "Meets the target", False: "Over the target"}
    for row in status.iter_rows(named=True):
        assert badges[row["meets_target"]] in text


def test_buyer_comment_with_a_script_tag_is_escaped(sample: Run) -> None:
    text = page(sample, "evergreen-home.html")
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in text
    assert "<script>alert(1)" not in text
    assert "alert(1)" not in text.replace("&lt;script&gt;alert(1)&lt;/script&gt;", "")


def test_csv_exports_neutralise_formulas(sample: Run) -> None:
    exported = pl.read_csv(sample.out / "evergreen-home-negative-feedback.csv")
    comments = exported["comments"].to_list()
    assert '\'=HYPERLINK("http://example.com/refund","Click for refund")' in comments
    for path in sample.out.glob("*.csv"):
        frame = pl.read_csv(path, infer_schema=False)
        for column in frame.columns:
            cells = frame[column].drop_nulls()
            assert not cells.str.contains(r"^[=+\-@\t\r]").any(), f"{path.name} {column}"
    # the page offers the same file as a download link
    text = page(sample, "evergreen-home.html")
    assert 'download="evergreen-home-negative-feedback.csv"' in text


def test_window_defects_export_matches_the_engine(sample: Run) -> None:
    exported = pl.read_csv(
        sample.out / "summit-outdoor-defects-in-window.csv", try_parse_dates=True
    )
    data = load_account(SAMPLE / "summit-outdoor")
    status = odr(data.orders, data.defects, as_of=REPORT_DATE)
    per_channel = dict(exported.group_by("channel").len().iter_rows())
    for row in status.iter_rows(named=True):
        assert per_channel.get(row["channel"], 0) == row["defective_orders"]
    leaves = exported["order_date"] + dt.timedelta(days=74)
    assert (exported["leaves_window_on"] == leaves).all()


def test_the_data_alerts_head_the_page_and_the_data_quality_section(
    summit: report.ReportData,
) -> None:
    assert 'class="alert"' not in html(sections.headline(summit))  # the sample has none
    alert = "3 orders row(s) could not be read (<orders.txt>: 3)"
    r = dataclasses.replace(summit, account=dataclasses.replace(summit.account, alerts=(alert,)))
    for section in (sections.headline, sections.data_quality):
        text = html(section(r))
        assert f'<div class="alert"><p><strong>{words.ALERTS_TITLE}:</strong></p>' in text
        assert "<li>3 orders row(s) could not be read (&lt;orders.txt&gt;: 3)</li>" in text
