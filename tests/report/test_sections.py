"""The sections of an account's page (odr_analysis.report.sections): words, numbers, escaping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import polars as pl
import pytest
from builders import shift_dates

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


# --- Amazon's own figures over time -------------------------------------------------------------


def _snapshot_folder(tmp: object) -> object:
    """summit-outdoor with two dated snapshots: 16 Feb (windows a week earlier, a late shipment
    rate of 5%) and 23 Feb 2026 (the sample's own report)."""
    import json
    import shutil
    from pathlib import Path

    folder = Path(str(tmp)) / "summit-outdoor"
    shutil.copytree(SAMPLE / "summit-outdoor", folder)
    base = json.loads((folder / "account-health.json").read_text())
    (folder / "account-health.json").unlink()
    (folder / "account-health-2026-02-23.json").write_text(json.dumps(base))
    older = shift_dates(base, -7)
    assert isinstance(older, dict)
    older["performanceMetrics"][0]["lateShipmentRate"]["rate"] = 0.05
    (folder / "account-health-2026-02-16.json").write_text(json.dumps(older))
    return folder


def test_health_history_section_with_one_snapshot_says_history_grows(
    summit: report.ReportData,
) -> None:
    blocks = list(sections.health_history_section(summit))
    text = html(blocks)
    assert "One snapshot of Amazon&#x27;s account-health report so far (23 Feb 2026)" in text
    assert "the history grows with each run of odr-fetch" in text
    assert "Account status: AT_RISK on the one snapshot." in text
    assert "missed" not in text
    assert "miss their target for: Order Defect Rate, seller-fulfilled orders." in text
    assert "<td>Late shipment rate, 10-day window</td>" in text
    assert '<td class="num">0.81%</td><td class="num">2 of 246</td><td>under 4%</td>' in text
    charts_ = [b for b in blocks if isinstance(b, Chart)]
    assert len(charts_) == 2
    assert "ours is the same as Amazon&#x27;s on all 2 windows" in charts_[1].caption
    assert not [b for b in blocks if isinstance(b, Download)]


def test_health_history_section_over_several_snapshots(tmp_path: object) -> None:
    folder = _snapshot_folder(tmp_path)
    r = report.compute(folder, n_sims=50)
    assert r.reconciliation is not None and r.reconciliation_history is not None
    # today: the newest snapshot only; the history: both
    assert r.reconciliation["window_end"].unique().to_list() == [dt.date(2026, 2, 9)]
    assert r.reconciliation_history.height == 4
    assert sorted(r.health_history["snapshot"].unique().to_list()) == [
        dt.date(2026, 2, 16),
        dt.date(2026, 2, 23),
    ]
    blocks = list(sections.health_history_section(r))
    text = html(blocks)
    assert "2 snapshots of Amazon&#x27;s account-health report, from 16 Feb 2026 to 23 Feb" in text
    assert "Account status: AT_RISK on every snapshot." in text
    charts_ = [b for b in blocks if isinstance(b, Chart)]
    assert "ours is the same as Amazon&#x27;s on 2 of 4 windows" in charts_[1].caption
    lsr = r.health_history.filter(metric="lateShipmentRate", window_days=30).sort("snapshot")
    assert lsr["value"].to_list() == [0.05, 0.0081]
    assert lsr["meets_target"].to_list() == [False, True]


def test_health_history_section_without_a_report(summit: report.ReportData) -> None:
    bare = dataclasses.replace(
        summit, health_history=summit.health_history.clear(), reconciliation_history=None
    )
    text = html(sections.health_history_section(bare))
    assert "holds no account-health report" in text and "odr-fetch" in text
