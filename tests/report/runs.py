"""The ``odr-report`` runs the report tests share, and stand-ins for a report process.

The command runs twice in the whole suite (each run is cached for the session): once on
``data/sample`` and once on a copy of it plus a broken account. Every check of the written
files reads those; the two runs also prove that the same input gives the same pages, except
the one "Generated on" line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
ACCOUNTS = ("evergreen-home", "summit-outdoor", "tiny-letterpress")
REPORT_DATE = dt.date(2026, 2, 23)
BROKEN = "broken-shop"
RUN_TIMEOUT = 300  # seconds for one run of the command (it takes about 15-25 s here)


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


def page(run: Run, name: str) -> str:
    return (run.out / name).read_text(encoding="utf-8")


def document(run: Run) -> dict[str, Any]:
    """The run's ``summary.json``."""
    loaded: dict[str, Any] = json.loads(page(run, "summary.json"))
    return loaded


def without_generated_line(text: str) -> str:
    lines = text.splitlines()
    generated = [line for line in lines if "Generated on " in line]
    assert len(generated) == 1, f"expected one 'Generated on' line, found {len(generated)}"
    return "\n".join(line for line in lines if "Generated on " not in line)


def stand_in(conn: Connection, task: object) -> None:
    """A report process for the tests of the process runner: what it does depends on the name.

    ``crash``: the process dies without a word; ``slow``: it never finishes; ``error``: it
    reports an error; any other: it sends back ``done <name>``.
    """
    name = getattr(task, "name", "")
    if name == "crash":
        os._exit(3)
    if name == "slow":
        time.sleep(600)
    conn.send("ValueError: bad file" if name == "error" else ("done", name))
    conn.close()
