"""The stakeholder reports: ``odr-report`` on the sample portfolio, and its building blocks.

The command runs twice in the whole suite (each run is cached for the session and shared with
``test_report_browser.py``): once on ``data/sample`` and once on a copy of it plus a broken
account. Every check of the output reads those files; the two runs also prove that the same
input gives the same pages, except the one "Generated on" line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polars as pl
import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis import report
from odr_analysis.engine import odr
from odr_analysis.htmlsafe import (
    FORMULA_PREFIXES,
    Column,
    csv_text,
    escape,
    neutralize_csv,
    script_json,
    table,
)
from odr_analysis.readers import load_account

SAMPLE = ROOT / "data" / "sample"
ACCOUNTS = ("evergreen-home", "summit-outdoor", "tiny-letterpress")
REPORT_DATE = dt.date(2026, 2, 23)
BROKEN = "broken-shop"
RUN_TIMEOUT = 300  # seconds for one run of the command (it takes about 15-20 s here)


@dataclass(frozen=True)
class Run:
    """One run of ``python -m odr_analysis.report``."""

    out: Path
    returncode: int
    stdout: str
    stderr: str


_RUNS: dict[str, Run] = {}


def _run_command(data_dir: Path, out: Path, *extra: str) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "odr_analysis.report", str(data_dir), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=ROOT,
        check=False,
    )
    return Run(out, result.returncode, result.stdout, result.stderr)


def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The reports of ``data/sample`` (made once per session)."""
    if "sample" not in _RUNS:
        _RUNS["sample"] = _run_command(SAMPLE, tmp_path_factory.mktemp("reports-sample"))
    return _RUNS["sample"]


def broken_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The reports of a copy of ``data/sample`` plus an account whose orders file is cut off."""
    if "broken" not in _RUNS:
        data = tmp_path_factory.mktemp("portfolio") / "agency"
        shutil.copytree(SAMPLE, data)
        (data / "README.md").unlink()
        broken = data / BROKEN
        broken.mkdir()
        source = SAMPLE / "tiny-letterpress" / "all-orders-newer-layout.txt"
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        # the download stopped in the middle of its fourth row
        (broken / "orders.txt").write_text("".join(lines[:4]) + lines[4][:25], encoding="utf-8")
        _RUNS["broken"] = _run_command(data, tmp_path_factory.mktemp("reports-broken"))
    return _RUNS["broken"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run = sample_run(tmp_path_factory)
    assert run.returncode == 0, f"odr-report failed:\n{run.stdout}\n{run.stderr}"
    return run


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return broken_run(tmp_path_factory)


def page(run: Run, name: str) -> str:
    return (run.out / name).read_text(encoding="utf-8")


def without_generated_line(text: str) -> str:
    lines = text.splitlines()
    generated = [line for line in lines if "Generated on " in line]
    assert len(generated) == 1, f"expected one 'Generated on' line, found {len(generated)}"
    return "\n".join(line for line in lines if "Generated on " not in line)


# --- the command on the sample portfolio --------------------------------------------------------


@pytest.mark.notebook
def test_writes_one_page_per_account_and_the_summary(sample: Run) -> None:
    names = sorted(p.name for p in sample.out.iterdir())
    expected = sorted(
        [
            "index.html",
            *(f"{a}.html" for a in ACCOUNTS),
            *(f"{a}-defects-in-window.csv" for a in ACCOUNTS),
            *(f"{a}-negative-feedback.csv" for a in ACCOUNTS),
        ]
    )
    assert names == expected
    lines = sample.stdout.splitlines()
    progress = [line for line in lines if re.match(r"\[\d/3\] ", line)]
    assert len(progress) == 3, sample.stdout
    assert all(re.fullmatch(r"\[\d/3\] [a-z-]+ \.\.\. done in \d+\.\d s", p) for p in progress)
    assert sorted(p.split()[1] for p in progress) == list(ACCOUNTS)
    assert "Portfolio summary:" in lines[-1]
    assert sample.stderr == "", sample.stderr


@pytest.mark.notebook
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
    words = {True: "Meets the target", False: "Over the target"}
    for row in status.iter_rows(named=True):
        assert words[row["meets_target"]] in text


@pytest.mark.notebook
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


@pytest.mark.notebook
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


@pytest.mark.notebook
def test_buyer_comment_with_a_script_tag_is_escaped(sample: Run) -> None:
    text = page(sample, "evergreen-home.html")
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in text
    assert "<script>alert(1)" not in text
    assert "alert(1)" not in text.replace("&lt;script&gt;alert(1)&lt;/script&gt;", "")


@pytest.mark.notebook
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


@pytest.mark.notebook
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


# --- reproducible, and a broken account fails alone ---------------------------------------------


@pytest.mark.notebook
def test_a_broken_account_fails_alone_and_is_named(broken: Run) -> None:
    assert broken.returncode == 1, broken.stdout + broken.stderr
    failed = [line for line in broken.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 1, broken.stdout
    assert re.match(rf"\[\d/4\] {BROKEN} \.\.\. FAILED after \d+\.\d s: ", failed[0])
    assert "orders.txt" in failed[0], "the message names the file"
    tail = broken.stdout.splitlines()
    assert tail[-2] == "1 account failed:"
    assert tail[-1].startswith(f"  {BROKEN}: ") and "orders.txt" in tail[-1]
    for account in ACCOUNTS:
        assert (broken.out / f"{account}.html").is_file()
    assert not (broken.out / f"{BROKEN}.html").exists()
    summary = page(broken, "index.html")
    assert "Not reported (1)" in summary
    assert f"<strong>{BROKEN}</strong>" in summary


@pytest.mark.notebook
def test_same_input_gives_the_same_files_but_one_line(sample: Run, broken: Run) -> None:
    for account in ACCOUNTS:
        first = page(sample, f"{account}.html")
        second = page(broken, f"{account}.html")
        assert without_generated_line(first) == without_generated_line(second), account
        for kind in ("defects-in-window", "negative-feedback"):
            name = f"{account}-{kind}.csv"
            assert page(sample, name) == page(broken, name)

    def portfolio_table(text: str) -> str:
        start = text.index('<div id="portfolio"')
        return text[start : text.index("</table>", start)]

    assert portfolio_table(page(sample, "index.html")) == portfolio_table(
        page(broken, "index.html")
    )


# --- the command line without kernels ------------------------------------------------------------


def test_bad_command_lines_stop_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report.main([str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert report.main([str(empty), "--out", str(tmp_path / "out")]) == 2
    assert "holds no account folders" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        report.main([str(SAMPLE), "--date", "23/02/2026"])
    assert stop.value.code == 2
    assert "not a date as YYYY-MM-DD" in capsys.readouterr().err
    out_file = tmp_path / "file"
    out_file.write_text("x")
    assert report.main([str(SAMPLE), "--out", str(out_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    code = report.main(
        [str(SAMPLE), "--out", str(tmp_path / "o"), "--date", "2026-02-23", "--since", "2026-03-01"]
    )
    assert code == 2
    assert "--since (2026-03-01) must be before --date (2026-02-23)" in capsys.readouterr().err


def test_find_accounts_reads_a_portfolio_or_one_account(tmp_path: Path) -> None:
    assert [a[0] for a in report.find_accounts(SAMPLE)] == list(ACCOUNTS)
    assert report.find_accounts(SAMPLE / "summit-outdoor") == [
        ("summit-outdoor", (SAMPLE / "summit-outdoor").resolve(), None)
    ]
    (tmp_path / ".hidden").mkdir()
    with pytest.raises(report.ReportError, match="holds no account folders"):
        report.find_accounts(tmp_path)


def test_file_stems_are_safe_and_unique() -> None:
    taken = {"index"}
    stems = [report.file_stem(n, taken) for n in ("a/b", "a b", "../x", "index", "INDEX")]
    assert stems == ["a-b", "a-b-2", "x", "index-account", "INDEX-account-2"]


def test_console_script_and_packaged_template() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["odr-report"] == "odr_analysis.report:main"
    assert any(d.startswith("great-tables") for d in project["dependencies"])
    assert report.TEMPLATE.is_file()
    assert report.TEMPLATE.is_relative_to(Path(report.__file__).parent)
    nb = nbformat.read(report.TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("DATA_DIR", "ACCOUNT", "REPORT_DATE", "PREVIOUS_DATE"):
        assert re.search(rf"^{name} = ", tagged[0].source, re.MULTILINE)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


# --- the sections, in process ------------------------------------------------------------------


@pytest.fixture(scope="module")
def summit() -> report.ReportData:
    return report.compute(SAMPLE, "summit-outdoor", n_sims=200)


def test_compute_uses_the_last_day_of_the_data_and_a_week_before(
    summit: report.ReportData,
) -> None:
    assert summit.as_of == REPORT_DATE
    assert summit.previous == REPORT_DATE - dt.timedelta(days=7)
    engine = odr(summit.account.orders, summit.account.defects, as_of=REPORT_DATE)
    cols = ["channel", "order_count", "defective_orders", "odr"]
    assert summit.status.select(cols).equals(engine.select(cols))
    assert summit.status["status"].to_list() == ["met", "breached"]


def test_headline_names_status_interval_settled_rate_headroom_and_outlook(
    summit: report.ReportData,
) -> None:
    html = report.headline_html(summit)
    mfn = html[html.index("Seller-fulfilled orders (MFN)") :]
    assert "Over the target" in mfn
    assert "<strong>2.55%</strong> today: 19 defective of 746 orders." in mfn
    assert "anywhere from 1.64% to 3.94% (95% interval)" in mfn
    assert "Expected to settle at" in mfn
    assert "12 defective orders too many" in mfn
    under = summit.outlook.filter(pl.col("channel") == "MFN")["first_under"].item()
    assert f"Expected under 1% from {under.day} {under:%b %Y}" in mfn
    assert html.index("Action needed: seller-fulfilled orders (MFN) are over") < html.index("card")


def test_what_if_chart_has_named_sliders_and_the_stated_formula(
    summit: report.ReportData,
) -> None:
    chart = report.what_if_chart(
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
    frame = report._what_if_frame(summit, "Amazon.com", "MFN")
    first = frame.row(0, named=True)
    assert first["day"] == 0 and first["new_days"] == 0
    assert first["order_count"] == 746 and first["defective_orders"] == 19
    # 20 days ahead the window ends 6 days after the report date: 6 days of new orders
    assert frame.filter(pl.col("day") == 20)["new_days"].item() == 6


def test_summary_page_escapes_names_and_lists_failures() -> None:
    row = {
        "account": "<b>shop</b>",
        "marketplace": "Amazon.com",
        "channel": "MFN",
        "as_of": "2026-02-23",
        "window_start": "2025-12-12",
        "window_end": "2026-02-09",
        "order_count": 100,
        "defective_orders": 2,
        "odr": 0.02,
        "odr_low": 0.005,
        "odr_high": 0.07,
        "target": 0.01,
        "expected_matured": 0.021,
        "allowed": 0,
        "over_by": 2,
        "previous_as_of": "2026-02-16",
        "previous_odr": 0.02,
        "outlook": "not expected under 1% within the next 90 days",
    }
    text = report.summary_page(
        report.summary_frame([row]),
        links={"<b>shop</b>": "shop.html"},
        failures=[("x<script>", "file 'a.txt', line 3: <bad>")],
        generated="Generated on today",
        source="agency",
    )
    assert '<a href="shop.html">&lt;b&gt;shop&lt;/b&gt;</a>' in text
    assert "<b>shop</b>" not in text
    assert "x&lt;script&gt;" in text and "&lt;bad&gt;" in text
    assert "\u2192 unchanged" in text and "2 defective orders too many" in text
    assert not re.search(r"https?://", text)


# --- escaping helpers ---------------------------------------------------------------------------


@given(st.text())
def test_escape_leaves_no_markup(text: str) -> None:
    escaped = escape(text)
    assert not set("<>\"'") & set(escaped)
    assert (
        escaped.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        == text
    )


@given(st.recursive(st.text() | st.integers() | st.booleans(), lambda c: st.lists(c, max_size=3)))
def test_script_json_round_trips_and_cannot_close_a_script(value: object) -> None:
    text = script_json({"v": value})
    assert json.loads(text) == {"v": value}
    assert "<" not in text and ">" not in text and "&" not in text


@given(st.lists(st.text(max_size=12) | st.none(), min_size=1, max_size=8))
def test_neutralize_csv_prefixes_exactly_the_formula_cells(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"text": cells}, schema={"text": pl.String})
    out = neutralize_csv(frame)["text"].to_list()
    for before, after in zip(cells, out, strict=True):
        if before is not None and before.startswith(FORMULA_PREFIXES):
            assert after == "'" + before
        else:
            assert after == before
    assert frame["text"].to_list() == cells, "the input frame is not modified"


def test_csv_text_keeps_numbers_and_joins_lists() -> None:
    frame = pl.DataFrame(
        {"n": [-3], "kinds": [["negative feedback", "chargeback"]], "c": ["+1 call me"]}
    )
    assert csv_text(frame) == "n,kinds,c\n-3,negative feedback; chargeback,'+1 call me\n"


def test_table_escapes_cells_headings_and_classes() -> None:
    html = table(
        [{"a": "<i>x</i>", "d": dt.date(2026, 2, 9), "n": 1234}],
        [Column("a", "A & B"), Column("d", "Day", nowrap=True), Column("n", "N", numeric=True)],
        row_class=lambda row: '"><script>',
    )
    assert "<th>A &amp; B</th>" in html
    assert '<td>&lt;i&gt;x&lt;/i&gt;</td><td class="nowrap">9 Feb 2026</td>' in html
    assert '<td class="num">1,234</td>' in html
    assert '<tr class="&quot;&gt;&lt;script&gt;">' in html
