"""``odr-report`` (odr_analysis.report.run): accounts side by side in processes, files, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from odr_analysis import report
from odr_analysis.report import run
from odr_analysis.rules import OdrRules

from .runs import (
    ACCOUNTS,
    BROKEN,
    ROOT,
    SAMPLE,
    Run,
    document,
    page,
    stand_in,
    without_generated_line,
)

# --- the command on the sample portfolio --------------------------------------------------------


def test_writes_one_page_per_account_and_the_summary(sample: Run) -> None:
    names = sorted(p.name for p in sample.out.iterdir())
    expected = sorted(
        [
            "index.html",
            "summary.json",
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
    assert lines[-2] == (
        "Status: breached: 2 channels over the target, none at risk, 4 channels meeting it "
        "(exit code 4)"
    )
    assert re.fullmatch(r"Portfolio summary: .*index\.html, summary\.json \(.*\)", lines[-1])
    assert sample.stderr == "", sample.stderr


def test_a_broken_account_fails_alone_and_is_named(broken: Run) -> None:
    assert broken.returncode == 1, broken.stdout + broken.stderr  # a failure wins over "over"
    failed = [line for line in broken.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 1, broken.stdout
    assert re.match(rf"\[\d/4\] {BROKEN} \.\.\. FAILED after \d+\.\d s: ", failed[0])
    assert "orders.txt" in failed[0], "the message names the file"
    tail = broken.stdout.splitlines()
    assert tail[-4].startswith("Status: failed: 2 channels over the target, ")
    assert tail[-4].endswith(", 1 account not reported (exit code 1)")
    assert tail[-2] == "1 account failed:"
    assert tail[-1].startswith(f"  {BROKEN}: ") and "orders.txt" in tail[-1]
    for account in ACCOUNTS:
        assert (broken.out / f"{account}.html").is_file()
    assert not (broken.out / f"{BROKEN}.html").exists()
    summary = page(broken, "index.html")
    assert "Not reported (1)" in summary
    assert f"<strong>{BROKEN}</strong>" in summary


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
    reported = [a for a in document(broken)["accounts"] if a["name"] != BROKEN]
    assert reported == document(sample)["accounts"]


# --- each account in a process of its own -------------------------------------------------------


def _task(name: str) -> run._Task:
    return run._Task(name, SAMPLE, None, name, None, None, OdrRules())


def test_a_crash_or_a_hang_fails_its_account_only() -> None:
    tasks = [_task(n) for n in ("crash", "slow", "error", "fine-a", "fine-b")]
    outcomes = {
        task.name: outcome
        for task, _, outcome in run._side_by_side(tasks, jobs=2, timeout=8, target=stand_in)
    }
    assert outcomes["crash"] == (
        "ProcessError: the report process stopped unexpectedly (exit code 3)"
    )
    assert outcomes["slow"] == "TimeoutError: not done after 8 s (see --timeout)"
    assert outcomes["error"] == "ValueError: bad file"
    assert outcomes["fine-a"] == ("done", "fine-a")
    assert outcomes["fine-b"] == ("done", "fine-b")


def test_an_account_over_the_timeout_is_listed_as_failed(tmp_path: Path) -> None:
    lines: list[str] = []
    result = report.run_reports(
        SAMPLE / "tiny-letterpress", tmp_path / "out", timeout=0.2, echo=lines.append
    )
    (failure,) = result.failures
    assert failure.error == "TimeoutError: not done after 0.2 s (see --timeout)"
    assert re.fullmatch(
        r"\[1/1\] tiny-letterpress \.\.\. FAILED after \d+\.\d s: TimeoutError: .*", lines[-1]
    )
    assert sorted(p.name for p in result.out_dir.iterdir()) == ["index.html", "summary.json"]
    assert "Not reported (1)" in result.summary.read_text(encoding="utf-8")
    assert json.loads(result.summary_json.read_text(encoding="utf-8")) == result.document
    assert result.document["status"] == "failed"
    assert result.document["report_dates"] == []
    (account,) = result.document["accounts"]
    assert account["error"] == failure.error
    assert (account["report"], account["status"], account["channels"]) == (None, "failed", [])
    assert result.exit_code() == result.exit_code(exit_zero=True) == 1


# --- the command line without reports ----------------------------------------------------------


def test_bad_command_lines_stop_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = report.main
    assert main([str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty), "--out", str(tmp_path / "out")]) == 2
    assert "holds no account folders" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main([str(SAMPLE), "--date", "23/02/2026"])
    assert stop.value.code == 2
    assert "not a date as YYYY-MM-DD" in capsys.readouterr().err
    out_file = tmp_path / "file"
    out_file.write_text("x")
    assert main([str(SAMPLE), "--out", str(out_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    code = main(
        [str(SAMPLE), "--out", str(tmp_path / "o"), "--date", "2026-02-23", "--since", "2026-03-01"]
    )
    assert code == 2
    assert "--since (2026-03-01) must be before --date (2026-02-23)" in capsys.readouterr().err
    assert main([str(SAMPLE), "--out", str(tmp_path / "o"), "--timeout", "0"]) == 2
    assert "--timeout must be more than 0 seconds" in capsys.readouterr().err


def test_help_says_the_timeout_is_per_account(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        report.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--timeout SECONDS seconds allowed per account (default: 600)" in text
    assert "notebook" not in text
    assert "summary.json" in text
    for line in (
        "2 the run could not start",
        "1 an account could not be reported",
        "4 at least one channel is over the target",
        "3 at least one channel is at risk",
        "0 every channel meets the target",
        "--exit-zero turns 3 and 4 into 0",
    ):
        assert line in text


def test_find_accounts_reads_a_portfolio_or_one_account(tmp_path: Path) -> None:
    assert [a[0] for a in run.find_accounts(SAMPLE)] == list(ACCOUNTS)
    assert run.find_accounts(SAMPLE / "summit-outdoor") == [
        ("summit-outdoor", (SAMPLE / "summit-outdoor").resolve(), None)
    ]
    (tmp_path / ".hidden").mkdir()
    with pytest.raises(report.ReportError, match="holds no account folders"):
        run.find_accounts(tmp_path)


def test_file_stems_are_safe_and_unique() -> None:
    taken = {"index"}
    stems = [run.file_stem(n, taken) for n in ("a/b", "a b", "../x", "index", "INDEX")]
    assert stems == ["a-b", "a-b-2", "x", "index-account", "INDEX-account-2"]


def test_console_script_runs_main_and_no_notebook_is_shipped() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    target = project["scripts"]["odr-report"]
    assert target == "odr_analysis.report.run:main"
    assert report.main is run.main
    assert any(d.startswith("great-tables") for d in project["dependencies"])
    assert not any(d.startswith("papermill") for d in project["dependencies"])
    package = resources.files("odr_analysis")
    shipped = [p.name for p in Path(str(package)).rglob("*.ipynb")]
    assert shipped == []


def test_the_fork_server_starts_no_thread() -> None:
    """A process with threads must not be forked: what the fork server imports starts none."""
    code = (
        "import sys\n"
        f"for name in {run._PRELOAD!r}: __import__(name)\n"
        "threads = [l for l in open('/proc/self/status') if l.startswith('Threads:')]\n"
        "print(threads[0].split()[1], 'polars' in sys.modules, 'numpy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["1", "False", "False"]
