"""The summary for machines (odr_analysis.report.summary_json) and the exit status of odr-report.

The document of the sample is read from the session's run of the command (``sample``); the
command line's ``--json`` and ``--exit-zero`` are checked on :func:`run.main` with a stand-in
for :func:`run.run_reports` (no report is computed for them).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from odr_analysis import words
from odr_analysis.report import AccountRun, RunResult, run
from odr_analysis.report.summary import SUMMARY_SCHEMA
from odr_analysis.report.summary_json import (
    EXIT_AT_RISK,
    EXIT_BREACHED,
    EXIT_FAILED,
    EXIT_MET,
    EXIT_USAGE,
    account_record,
    channel_records,
    dumps,
    exit_code,
    run_status,
    summary_document,
)

from .runs import ACCOUNTS, BROKEN, REPORT_DATE, SAMPLE, Run, document, page

TOP_KEYS = ["version", "generated", "data_dir", "report_dates", "status", "exit_code", "accounts"]
ACCOUNT_KEYS = ["name", "report", "report_date", "status", "error", "alerts", "channels"]
CHANNEL_KEYS = [
    "marketplace",
    "channel",
    "status",
    "odr",
    "odr_percent",
    "defective_orders",
    "order_count",
    "window_start",
    "window_end",
    "target",
    "headroom",
    "allowed",
    "over_by",
    "expected_matured",
    "outlook",
    "odr_since",
    "since",
]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _channel(doc: dict[str, Any], account: str, channel: str) -> dict[str, Any]:
    (found,) = (
        c
        for a in doc["accounts"]
        if a["name"] == account
        for c in a["channels"]
        if c["channel"] == channel
    )
    return found


# --- the document of the sample portfolio -------------------------------------------------------


def test_the_sample_document_says_what_the_summary_page_says(sample: Run) -> None:
    doc = document(sample)
    assert list(doc) == TOP_KEYS
    assert doc["version"] == 1
    assert dt.datetime.fromisoformat(doc["generated"]).utcoffset() == dt.timedelta(0)
    assert doc["data_dir"] == str(SAMPLE)
    assert doc["report_dates"] == [REPORT_DATE.isoformat()]
    assert (doc["status"], doc["exit_code"], sample.returncode) == (
        "breached",
        EXIT_BREACHED,
        EXIT_BREACHED,
    )
    assert [a["name"] for a in doc["accounts"]] == list(ACCOUNTS)
    summary_page = page(sample, "index.html")
    for account in doc["accounts"]:
        assert list(account) == ACCOUNT_KEYS
        assert account["report"] == f"{account['name']}.html"
        assert (sample.out / account["report"]).is_file()
        assert (account["report_date"], account["error"], account["alerts"]) == (
            REPORT_DATE.isoformat(),
            None,
            [],
        )
        market = "Amazon.co.uk" if account["name"] == "tiny-letterpress" else "Amazon.com"
        assert [(c["marketplace"], c["channel"]) for c in account["channels"]] == [
            (market, "AFN"),
            (market, "MFN"),
        ]
        for c in account["channels"]:
            assert list(c) == CHANNEL_KEYS
            for key in ("window_start", "window_end", "since"):
                assert ISO_DAY.fullmatch(c[key]), (key, c[key])
            assert c["odr_percent"] == words.pct(c["odr"])
            assert c["odr_percent"] in summary_page
            assert c["outlook"] in summary_page
            assert c["headroom"] == pytest.approx(c["target"] - c["odr"], abs=1e-12)
    statuses = {
        (a["name"], c["channel"]): c["status"] for a in doc["accounts"] for c in a["channels"]
    }
    assert statuses == {
        ("evergreen-home", "AFN"): "met",
        ("evergreen-home", "MFN"): "met",
        ("summit-outdoor", "AFN"): "met",
        ("summit-outdoor", "MFN"): "breached",
        ("tiny-letterpress", "AFN"): "met",
        ("tiny-letterpress", "MFN"): "breached",
    }
    assert [a["status"] for a in doc["accounts"]] == ["met", "breached", "breached"]
    summit = _channel(doc, "summit-outdoor", "MFN")
    assert summit["odr"] == 19 / 746
    assert (summit["odr_percent"], summit["defective_orders"], summit["order_count"]) == (
        "2.55%",
        19,
        746,
    )
    assert (summit["allowed"], summit["over_by"], summit["headroom"]) == (0, 12, -0.015469168901)
    assert summit["since"] == "2026-02-16"
    assert _channel(doc, "tiny-letterpress", "MFN")["odr_percent"] == "1.39%"
    assert words.pct(summit["odr_since"]) == "3.14%"  # the summary's trend: down 0.59 points


def test_the_document_is_indented_json_with_its_keys_in_order(sample: Run) -> None:
    text = page(sample, "summary.json")
    assert text == dumps(json.loads(text))
    assert text.startswith('{\n  "version": 1,\n  "generated": ')
    assert "NaN" not in text and "Infinity" not in text


def test_a_failed_account_is_listed_and_fails_the_run(broken: Run) -> None:
    doc = document(broken)
    assert (doc["status"], doc["exit_code"]) == ("failed", EXIT_FAILED)
    assert [a["name"] for a in doc["accounts"]] == sorted([*ACCOUNTS, BROKEN])
    (failed,) = (a for a in doc["accounts"] if a["name"] == BROKEN)
    assert list(failed) == ACCOUNT_KEYS
    assert (failed["report"], failed["report_date"], failed["status"]) == (None, None, "failed")
    assert failed["channels"] == []
    assert "orders.txt" in failed["error"]
    assert failed["error"] in broken.stdout


# --- the exit status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "failed", "exit_zero", "status", "code"),
    [
        ([], False, False, "met", EXIT_MET),
        (["met", "met"], False, False, "met", EXIT_MET),
        (["no_orders"], False, False, "met", EXIT_MET),
        (["met", "no_orders", "at_risk"], False, False, "at_risk", EXIT_AT_RISK),
        (["at_risk", "breached", "met"], False, False, "breached", EXIT_BREACHED),
        (["breached"], False, True, "breached", EXIT_MET),
        (["at_risk"], False, True, "at_risk", EXIT_MET),
        (["met"], True, False, "failed", EXIT_FAILED),
        (["at_risk"], True, False, "failed", EXIT_FAILED),
        (["breached"], True, False, "failed", EXIT_FAILED),
        (["breached"], True, True, "failed", EXIT_FAILED),
        ([], True, False, "failed", EXIT_FAILED),
    ],
)
def test_exit_code_failure_wins_then_over_then_at_risk(
    statuses: list[str], failed: bool, exit_zero: bool, status: str, code: int
) -> None:
    assert run_status(statuses, failed=failed) == status
    assert exit_code(statuses, failed=failed, exit_zero=exit_zero) == code
    assert exit_code(iter(statuses), failed=failed, exit_zero=exit_zero) == code


def test_exit_codes_are_distinct_and_usage_is_argparse_s() -> None:
    codes = [EXIT_MET, EXIT_FAILED, EXIT_USAGE, EXIT_AT_RISK, EXIT_BREACHED]
    assert codes == [0, 1, 2, 3, 4]
    with pytest.raises(SystemExit) as stop:
        run.main(["--no-such-option"])
    assert stop.value.code == EXIT_USAGE


# --- pure functions: the rows of SUMMARY_SCHEMA into JSON ---------------------------------------


def _rows(account: str, *channels: dict[str, Any]) -> pl.DataFrame:
    base = {
        "account": account,
        "marketplace": "Amazon.de",
        "channel": "MFN",
        "as_of": dt.date(2026, 2, 23),
        "window_start": dt.date(2025, 12, 12),
        "window_end": dt.date(2026, 2, 9),
        "order_count": 400,
        "defective_orders": 2,
        "odr": 0.005,
        "odr_low": 0.001,
        "odr_high": 0.02,
        "target": 0.01,
        "expected_matured": 0.006,
        "allowed": 1,
        "over_by": 0,
        "since": dt.date(2026, 2, 16),
        "odr_since": 0.004,
        "outlook": "expected to stay under 1% for the next 90 days",
    }
    return pl.DataFrame([{**base, **c} for c in channels], schema=SUMMARY_SCHEMA)


def test_channel_records_turn_nan_and_none_into_null_and_dates_into_iso() -> None:
    rows = _rows(
        "shop",
        {"channel": "MFN", "odr": 0.0085, "defective_orders": 34, "allowed": 5},
        {
            "channel": "AFN",
            "order_count": 0,
            "defective_orders": 0,
            "odr": float("nan"),
            "odr_low": float("nan"),
            "odr_high": float("nan"),
            "expected_matured": float("nan"),
            "allowed": None,
            "over_by": None,
            "since": None,
            "odr_since": None,
            "outlook": None,
        },
    )
    afn, mfn = channel_records(rows)
    assert list(afn) == CHANNEL_KEYS
    assert (afn["channel"], afn["status"]) == ("AFN", "no_orders")
    for key in ("odr", "odr_percent", "headroom", "allowed", "over_by", "expected_matured"):
        assert afn[key] is None, key
    assert (afn["outlook"], afn["since"], afn["odr_since"]) == (None, None, None)
    assert (afn["window_start"], afn["window_end"]) == ("2025-12-12", "2026-02-09")
    assert mfn["status"] == "at_risk"
    assert (mfn["odr"], mfn["odr_percent"], mfn["headroom"]) == (0.0085, "0.85%", 0.0015)
    assert mfn["outlook"] == "Expected to stay under 1% for the next 90 days"
    assert mfn["since"] == "2026-02-16"
    text = json.dumps([afn, mfn], allow_nan=False)  # no NaN left, every value JSON's own
    assert json.loads(text) == [afn, mfn]


def test_channel_records_of_no_rows_and_of_a_wrong_frame() -> None:
    assert channel_records(pl.DataFrame(schema=SUMMARY_SCHEMA)) == []
    with pytest.raises(ValueError, match="SUMMARY_SCHEMA"):
        channel_records(pl.DataFrame({"account": ["a"], "odr": [0.1]}))


def _account(name: str, rows: pl.DataFrame | None, error: str | None = None) -> AccountRun:
    html = None if rows is None else Path("/out") / f"{name}.html"
    return AccountRun(name, 1.0, html=html, summary=rows, error=error, alerts=("late file",))


def test_summary_document_sorts_accounts_and_takes_the_worst_status() -> None:
    over = _rows("b-shop", {"odr": 0.0125, "allowed": 0, "over_by": 1})
    risk = _rows("a-shop", {"odr": 0.0081, "as_of": dt.date(2026, 2, 20)})
    accounts = [_account("b-shop", over), _account("a-shop", risk)]
    moment = dt.datetime(2026, 2, 23, 7, 2, 41, 123)
    doc = summary_document(accounts, generated=moment, data_dir=Path("/data/raw"))
    assert list(doc) == TOP_KEYS
    assert doc["generated"] == "2026-02-23T07:02:41+00:00"  # naive: UTC
    assert doc["data_dir"] == "/data/raw"
    assert doc["report_dates"] == ["2026-02-20", "2026-02-23"]
    assert (doc["status"], doc["exit_code"]) == ("breached", EXIT_BREACHED)
    assert [(a["name"], a["status"], a["report"]) for a in doc["accounts"]] == [
        ("a-shop", "at_risk", "a-shop.html"),
        ("b-shop", "breached", "b-shop.html"),
    ]
    assert doc["accounts"][0]["alerts"] == ["late file"]
    paris = dt.timezone(dt.timedelta(hours=1))
    later = summary_document(
        accounts[1:], generated=dt.datetime(2026, 2, 23, 8, 2, 41, tzinfo=paris), data_dir="x"
    )
    assert later["generated"] == "2026-02-23T07:02:41+00:00"
    assert (later["status"], later["exit_code"]) == ("at_risk", EXIT_AT_RISK)


def test_an_account_with_a_failed_pdf_keeps_its_channels_but_fails() -> None:
    record = account_record(_account("shop", _rows("shop", {}), error="PDF: OSError: no space"))
    assert (record["status"], record["error"], record["report"]) == (
        "failed",
        "PDF: OSError: no space",
        "shop.html",
    )
    assert [c["status"] for c in record["channels"]] == ["met"]
    assert record["report_date"] == "2026-02-23"


def test_dumps_refuses_nan() -> None:
    with pytest.raises(ValueError):
        dumps({"odr": math.nan})


# --- the command line: --json and --exit-zero (a stand-in computes nothing) ---------------------


def _stand_in_run(tmp_path: Path, *accounts: AccountRun) -> RunResult:
    out = tmp_path / "reports"
    out.mkdir(exist_ok=True)
    doc = summary_document(accounts, generated=dt.datetime(2026, 2, 23, 7), data_dir=tmp_path)
    (out / "index.html").write_text("<html></html>", encoding="utf-8")
    (out / "summary.json").write_text(dumps(doc), encoding="utf-8")
    return RunResult(out, accounts, out / "index.html", 0.5, out / "summary.json", doc)


@pytest.fixture
def at_risk_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    result = _stand_in_run(tmp_path, _account("shop", _rows("shop", {"odr": 0.009})))

    def run_reports(*args: object, echo: Any, **kwargs: object) -> RunResult:
        echo("[1/1] shop ... done in 1.0 s")
        return result

    monkeypatch.setattr(run, "run_reports", run_reports)
    return result


def test_json_dash_writes_only_the_document_to_stdout(
    at_risk_run: RunResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run.main(["data", "--json", "-"]) == EXIT_AT_RISK
    out, err = capsys.readouterr()
    assert json.loads(out) == at_risk_run.document
    assert out == dumps(at_risk_run.document)
    assert "[1/1] shop ... done" in err
    assert (
        "Status: at_risk: none over the target, 1 channel at risk, none meeting it (exit code 3)"
        in err
    )


def test_json_path_writes_a_copy_and_exit_zero_exits_zero(
    at_risk_run: RunResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "morning.json"
    assert run.main(["data", "--json", str(copy), "--exit-zero"]) == EXIT_MET
    assert copy.read_text(encoding="utf-8") == at_risk_run.summary_json.read_text(encoding="utf-8")
    out, err = capsys.readouterr()
    assert err == ""
    assert "(exit code 0)" in out
    assert f"summary.json, {copy} (" in out.splitlines()[-1]
    assert json.loads(copy.read_text(encoding="utf-8"))["exit_code"] == EXIT_AT_RISK


def test_json_into_a_missing_folder_is_a_usage_error(
    at_risk_run: RunResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        run.main(["data", "--json", str(tmp_path / "nowhere" / "s.json")])
    assert stop.value.code == EXIT_USAGE
    assert "--json: the folder of" in capsys.readouterr().err


def test_a_failure_exits_one_even_with_exit_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _stand_in_run(
        tmp_path,
        _account("bad", None, error="ValueError: orders.txt, line 5: cut off"),
        _account("shop", _rows("shop", {"odr": 0.02, "allowed": 0, "over_by": 4})),
    )
    monkeypatch.setattr(run, "run_reports", lambda *a, **k: result)
    assert run.main(["data", "--exit-zero"]) == EXIT_FAILED
    lines = capsys.readouterr().out.splitlines()
    assert lines[-4] == (
        "Status: failed: 1 channel over the target, none at risk, none meeting it, "
        "1 account not reported (exit code 1)"
    )
    assert lines[-1] == "  bad: ValueError: orders.txt, line 5: cut off"
