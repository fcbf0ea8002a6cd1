"""``odr-report``: every account of a data folder reported side by side, and the summary.

:func:`run_reports` finds the accounts (:func:`find_accounts`), computes and builds each
account's page in a process of its own (``jobs`` at a time), writes the page and its CSV files
as each account finishes (the chart bundle is made once, in this process, while the accounts
are computed), optionally prints each page to PDF, and writes the portfolio summary: for
people (``index.html``) and for machines (``summary.json``, also to ``--json PATH``, ``-`` for
standard output: :mod:`odr_analysis.report.summary_json`).

Failures: an account whose folder is bad (a broken file, no orders), whose process crashes or
that takes more than ``timeout`` seconds fails alone. Its line of progress names the account
and the error (a reader's message names the file and line); the other accounts are finished;
the run ends with the list of failures.

Exit status (:func:`odr_analysis.report.summary_json.exit_code`), the first that applies:

* ``2``: the run could not start (a bad command line, no data folder, no account, an output
  folder that is a file); nothing is written;
* ``1``: an account could not be reported (or its PDF failed): a failure wins over any status,
  since the failed account's channels are unknown;
* ``4``: at least one channel is over the target;
* ``3``: at least one channel is at risk (within a fifth of the target), none over;
* ``0``: every channel meets the target (or has no order in its window).

``--exit-zero`` exits 0 instead of 3 or 4, for a scheduler that takes any other code as a
crash; ``summary.json`` still says the status and its code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import re
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final, TextIO

import polars as pl

from odr_analysis import words
from odr_analysis.readers import detect_format
from odr_analysis.report.data import ReportData, compute
from odr_analysis.report.page import Page, build_page, generated_line, javascript_bundle
from odr_analysis.report.pdf import MISSING, pdf_available, write_pdf
from odr_analysis.report.summary import SUMMARY_SCHEMA, summary_page, summary_rows
from odr_analysis.report.summary_json import (
    EXIT_FAILED,
    EXIT_USAGE,
    dumps,
    exit_code,
    summary_document,
)
from odr_analysis.rules import OdrRules, date_arg, to_date

__all__ = [
    "AccountRun",
    "ReportError",
    "RunResult",
    "file_stem",
    "find_accounts",
    "main",
    "run_reports",
]

TIMEOUT: Final = 600.0
"""Seconds allowed per account by default (``--timeout``)."""
_PRELOAD: Final = ("altair", "mistune")
"""What the fork server imports once for every report process (none of it starts a thread)."""


class ReportError(Exception):
    """Bad input for the whole run (no data folder, no accounts, an unusable output folder)."""


@dataclass(frozen=True, eq=False)
class AccountRun:
    """The outcome of one account: its page and files (or the error that stopped it).

    ``seconds``: from its process's start to its files written. ``summary``: its rows of the
    portfolio summary (:data:`~odr_analysis.report.summary.SUMMARY_SCHEMA`). ``notes``: the
    warnings its computation gave. ``alerts``: its data's alerts
    (:attr:`odr_analysis.readers.Account.alerts`), shown on its page and the summary.
    """

    name: str
    seconds: float
    html: Path | None = None
    csv_files: tuple[Path, ...] = ()
    pdf: Path | None = None
    summary: pl.DataFrame | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RunResult:
    """Every account's outcome, the summary page and the summary for machines.

    ``document``: what ``summary_json`` holds
    (:func:`~odr_analysis.report.summary_json.summary_document`).
    """

    out_dir: Path
    accounts: tuple[AccountRun, ...]
    summary: Path
    seconds: float
    summary_json: Path
    document: dict[str, Any]

    @property
    def failures(self) -> list[AccountRun]:
        return [a for a in self.accounts if not a.ok]

    @property
    def statuses(self) -> list[str]:
        """Every channel's status (``breached``, ``at_risk``, ``met``, ``no_orders``)."""
        return [c["status"] for a in self.document["accounts"] for c in a["channels"]]

    def exit_code(self, *, exit_zero: bool = False) -> int:
        """The command's exit status for this run (:func:`~.summary_json.exit_code`)."""
        return exit_code(self.statuses, failed=bool(self.failures), exit_zero=exit_zero)


def find_accounts(data_dir: str | Path) -> list[tuple[str, Path, str | None]]:
    """The accounts of a data folder: ``(name, data folder, account folder or None)``.

    A folder that holds report files is one account; otherwise each visible sub-folder is an
    account (a portfolio). Raises :class:`ReportError` when there is nothing to report.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise ReportError(f"data folder '{root}' does not exist or is not a folder")
    root = root.resolve()
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    reports = []
    for file in files:
        try:
            if detect_format(file) is not None:
                reports.append(file)
        except ValueError:  # an empty or unreadable file: the account's own run says which
            reports.append(file)
    if reports:
        return [(root.name, root, None)]
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise ReportError(
            f"data folder '{root}' holds no account folders and no Amazon report files: put "
            "each account's files in a folder named after the account"
        )
    return [(p.name, root, p.name) for p in folders]


def file_stem(name: str, taken: set[str]) -> str:
    """A safe, unique file name stem for an account (``index`` is the summary's).

    >>> file_stem("Summit Outdoor/UK", set()), file_stem("index", set())
    ('Summit-Outdoor-UK', 'index-account')
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "account"
    if stem.lower() == "index":
        stem += "-account"
    candidate, n = stem, 2
    while candidate.lower() in taken:
        candidate = f"{stem}-{n}"
        n += 1
    taken.add(candidate.lower())
    return candidate


# ---------------------------------------------------------------------------------------------
# One account, in a process of its own.


@dataclass(frozen=True)
class _Task:
    """What a report process needs (sent to it pickled)."""

    name: str
    data_dir: Path
    account: str | None
    stem: str
    as_of: dt.date | None
    since: dt.date | None
    rules: OdrRules


@dataclass(frozen=True, eq=False)
class _Built:
    """What a report process sends back: the page, the summary rows, the warnings."""

    page: Page
    summary: pl.DataFrame
    notes: tuple[str, ...]
    alerts: tuple[str, ...] = ()


def _build(task: _Task) -> _Built:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        r: ReportData = compute(
            task.data_dir, task.account, as_of=task.as_of, since=task.since, rules=task.rules
        )
        page = build_page(r, stem=task.stem)
        rows = summary_rows(r)
    notes = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return _Built(page, rows, notes, r.account.alerts)


def _report_process(conn: Connection, task: _Task) -> None:
    """The body of a report process: build the account's page, send it (or the error) back."""
    try:
        outcome: _Built | str = _build(task)
    except Exception as exc:  # a bad file, no orders, a bug: this account fails alone
        outcome = f"{type(exc).__name__}: {exc}"
    conn.send(outcome)
    conn.close()


@dataclass
class _Running:
    task: _Task
    process: BaseProcess
    started: float


def _side_by_side(
    tasks: Sequence[_Task],
    *,
    jobs: int,
    timeout: float,
    target: Callable[[Connection, _Task], None] = _report_process,
) -> Generator[tuple[_Task, float, _Built | str], None, None]:
    """Run ``target`` for each task in a process of its own, ``jobs`` at a time; yield each
    task as it ends.

    Yields ``(task, start time, outcome)``: what ``target`` sent back (the :class:`_Built`
    page, or the error in words), or the error of a process that died without a word or took
    more than ``timeout`` seconds (it is killed). A new process per task, so a crash stays
    with its account. The processes are forked from multiprocessing's fork server, which has
    imported altair (the slowest import, about a second) and nothing that starts a thread:
    polars and numpy start threads when imported, and a process with threads must not be
    forked, so each process imports those itself.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    waiting = deque(tasks)
    running: dict[Connection, _Running] = {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                task = waiting.popleft()
                receive, send = context.Pipe(duplex=False)
                process = context.Process(
                    target=target, args=(send, task), name=f"odr-report {task.name}"
                )
                process.start()
                send.close()
                running[receive] = _Running(task, process, time.perf_counter())
            first_deadline = min(run.started for run in running.values()) + timeout
            ready = wait(list(running), timeout=max(0.0, first_deadline - time.perf_counter()))
            for conn in ready:
                assert isinstance(conn, Connection)
                run = running.pop(conn)
                try:
                    outcome: _Built | str = conn.recv()
                except EOFError:
                    run.process.join()
                    outcome = _died(run.process.exitcode)
                conn.close()
                run.process.join()
                yield run.task, run.started, outcome
            now = time.perf_counter()
            for conn, run in list(running.items()):
                if now - run.started >= timeout:
                    run.process.kill()
                    run.process.join()
                    conn.close()
                    del running[conn]
                    message = f"TimeoutError: not done after {timeout:g} s (see --timeout)"
                    yield run.task, run.started, message
    finally:
        for conn, run in running.items():  # interrupted: leave no process behind
            run.process.kill()
            run.process.join()
            conn.close()


def _died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"ProcessError: the report process was killed (signal {-exitcode})"
    return f"ProcessError: the report process stopped unexpectedly (exit code {exitcode})"


def _write(
    built: _Built, *, name: str, stem: str, out: Path, generated: str, pdf: bool, started: float
) -> AccountRun:
    """Write an account's page and CSV files (and PDF); its :class:`AccountRun`."""
    html_path = out / f"{stem}.html"
    html_path.write_text(built.page.html(generated), encoding="utf-8")
    csv_paths = []
    for file_name, text in built.page.downloads:
        path = out / file_name
        path.write_text(text, encoding="utf-8")
        csv_paths.append(path)
    pdf_path, error = None, None
    if pdf:
        try:
            pdf_path = write_pdf(html_path, html_path.with_suffix(".pdf"))
        except Exception as exc:
            error = f"PDF: {type(exc).__name__}: {exc}"
    return AccountRun(
        name,
        time.perf_counter() - started,
        html=html_path,
        csv_files=tuple(csv_paths),
        pdf=pdf_path,
        summary=built.summary,
        error=error,
        notes=built.notes,
        alerts=built.alerts,
    )


# ---------------------------------------------------------------------------------------------
# The run.


def run_reports(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    rules: OdrRules = OdrRules(),
    jobs: int = 2,
    timeout: float = TIMEOUT,
    pdf: bool = False,
    echo: Callable[[str], None] = print,
    now: dt.datetime | None = None,
) -> RunResult:
    """Write one HTML report per account of ``data_dir`` and the summary (``index.html`` and
    ``summary.json``).

    Accounts run side by side, each in its own process (``jobs`` at a time, each allowed
    ``timeout`` seconds); ``echo`` gets one line per account as it finishes. An account that
    fails does not stop the others: see :attr:`RunResult.failures`. ``as_of`` defaults to the
    last day each account's data covers, ``since`` (the last report) to a week before it.
    Raises :class:`ReportError` for a run that cannot start.
    """
    started = time.perf_counter()
    day = None if as_of is None else to_date(as_of, "--date")
    before = None if since is None else to_date(since, "--since")
    if day is not None and before is not None and before >= day:
        raise ReportError(f"--since ({before}) must be before --date ({day})")
    accounts = find_accounts(data_dir)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"output folder '{out}' is a file, not a folder")
    if jobs < 1:
        raise ReportError(f"--jobs must be at least 1, got {jobs}")
    if not timeout > 0:
        raise ReportError(f"--timeout must be more than 0 seconds, got {timeout:g}")
    if pdf and not pdf_available():
        raise ReportError(MISSING)
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    moment = now or dt.datetime.now(dt.UTC)
    generated = generated_line(moment)
    taken = {"index"}
    tasks = [
        _Task(name, folder, account, file_stem(name, taken), day, before, rules)
        for name, folder, account in accounts
    ]
    total = len(tasks)
    date_words = "the last day each account's data covers" if day is None else day.isoformat()
    echo(
        f"Reports for {words.count(total, 'account')} in {accounts[0][1]} (report date: "
        f"{date_words}) -> {out}"
    )
    results: list[AccountRun] = []
    # The chart bundle takes a second or two: make it here while the accounts are computed.
    with (
        ThreadPoolExecutor(max_workers=1) as side,
        closing(_side_by_side(tasks, jobs=min(jobs, total), timeout=timeout)) as outcomes,
    ):
        bundle = side.submit(javascript_bundle)
        for done, (task, task_started, outcome) in enumerate(outcomes, start=1):
            if isinstance(outcome, str):
                result = AccountRun(task.name, time.perf_counter() - task_started, error=outcome)
            else:
                result = _write(
                    outcome,
                    name=task.name,
                    stem=task.stem,
                    out=out,
                    generated=generated,
                    pdf=pdf,
                    started=task_started,
                )
            results.append(result)
            _progress(echo, result, done, total)
        bundle.result()
    results.sort(key=lambda a: a.name)
    summary = out / "index.html"
    summary.write_text(
        summary_page(
            pl.concat(
                [
                    pl.DataFrame(schema=SUMMARY_SCHEMA),
                    *(a.summary for a in results if a.summary is not None),
                ]
            ),
            links={a.name: a.html.name for a in results if a.html is not None},
            failures=[(a.name, a.error or "") for a in results if not a.ok],
            alerts=[(a.name, alert) for a in results for alert in a.alerts],
            generated=generated,
            source=accounts[0][1].name,
        ),
        encoding="utf-8",
    )
    document = summary_document(results, generated=moment, data_dir=accounts[0][1])
    summary_json = out / "summary.json"
    summary_json.write_text(dumps(document), encoding="utf-8")
    return RunResult(
        out, tuple(results), summary, time.perf_counter() - started, summary_json, document
    )


def _progress(echo: Callable[[str], None], result: AccountRun, done: int, total: int) -> None:
    if result.ok:
        echo(f"[{done}/{total}] {result.name} ... done in {result.seconds:.1f} s")
    else:
        echo(
            f"[{done}/{total}] {result.name} ... FAILED after {result.seconds:.1f} s: "
            f"{result.error}"
        )
    for alert in result.alerts:
        echo(f"    ALERT for {result.name}: {alert}")
    for note in result.notes:
        echo(f"    note from {result.name}: {note}")


# ---------------------------------------------------------------------------------------------
# The command line.


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odr-report",
        description=(
            "Write one self-contained HTML report per Amazon seller account (Order Defect\n"
            "Rate: status, drivers, projection, reconciliation, data quality) and a\n"
            "portfolio summary: index.html for people, summary.json for machines."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "data_dir", metavar="DATA_DIR", help="a folder of account folders, or one account folder"
    )
    parser.add_argument(
        "--date",
        type=date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the report date (default: the last day each account's data covers)",
    )
    parser.add_argument(
        "--out", default="reports", metavar="OUT_DIR", help="output folder (default: reports)"
    )
    parser.add_argument(
        "--since",
        type=date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the last report's date, for the change and the trend (default: a week earlier)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="accounts computed side by side, each in its own process (default: 2)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT,
        metavar="SECONDS",
        help=(
            f"seconds allowed per account (default: {TIMEOUT:g}); an account that takes "
            "longer is stopped and listed as failed, the others go on"
        ),
    )
    parser.add_argument(
        "--pdf", action="store_true", help="also print each report to PDF (needs Chromium)"
    )
    parser.add_argument(
        "--json",
        default=None,
        metavar="PATH",
        help=(
            "also write the summary for machines to PATH ('-': standard output, and the lines "
            "of progress go to standard error); OUT_DIR/summary.json is always written"
        ),
    )
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when a channel is over the target or at risk (errors still exit 1 or 2)",
    )
    return parser


_EPILOG: Final = """\
exit status (the first that applies):
  2  the run could not start: a bad command line, no data folder, no account
  1  an account could not be reported (or its PDF failed); the others are written
  4  at least one channel is over the target (at or above it)
  3  at least one channel is at risk (within a fifth of the target), none over
  0  every channel meets the target (or has no order in its window)
--exit-zero turns 3 and 4 into 0; summary.json says the status either way.
"""


def _status_line(result: RunResult, *, exit_zero: bool) -> str:
    """``Status: breached: 2 channels over the target, none at risk, 4 channels meeting it
    (exit code 4)``."""
    statuses = result.statuses

    def channels(status: str) -> str:
        n = statuses.count(status)
        return words.count(n, "channel") if n else "none"

    parts = [
        f"{channels('breached')} over the target",
        f"{channels('at_risk')} at risk",
        f"{channels('met')} meeting it",
    ]
    if "no_orders" in statuses:
        parts.append(f"{channels('no_orders')} without orders")
    if result.failures:
        parts.append(f"{words.count(len(result.failures), 'account')} not reported")
    code = result.exit_code(exit_zero=exit_zero)
    return f"Status: {result.document['status']}: {', '.join(parts)} (exit code {code})"


def main(argv: Sequence[str] | None = None) -> int:
    """The ``odr-report`` command; its exit status: see the module's docstring (0 every channel
    meets the target, 1 an account failed, 2 the run could not start, 3 a channel is at risk, 4
    a channel is over the target)."""
    parser = _parser()
    args = parser.parse_args(argv)
    to_stdout = args.json == "-"
    if args.json not in (None, "-") and not Path(args.json).parent.is_dir():
        parser.error(f"--json: the folder of '{args.json}' does not exist")
    progress: TextIO = sys.stderr if to_stdout else sys.stdout

    def echo(line: str) -> None:
        print(line, file=progress, flush=True)

    try:
        result = run_reports(
            args.data_dir,
            args.out,
            as_of=args.date,
            since=args.since,
            jobs=args.jobs,
            timeout=args.timeout,
            pdf=args.pdf,
            echo=echo,
        )
    except (ReportError, ValueError) as exc:
        print(f"odr-report: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    text = dumps(result.document)
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
    elif args.json is not None:
        try:
            Path(args.json).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"odr-report: error: --json: {exc}", file=sys.stderr, flush=True)
            return EXIT_FAILED
    echo(_status_line(result, exit_zero=args.exit_zero))
    extra = "" if args.json in (None, "-") else f", {args.json}"
    echo(
        f"Portfolio summary: {result.summary}, {result.summary_json.name}{extra} "
        f"({result.seconds:.1f} s in all)"
    )
    if result.failures:
        echo(f"{words.count(len(result.failures), 'account')} failed:")
        for failure in result.failures:
            echo(f"  {failure.name}: {failure.error}")
    return result.exit_code(exit_zero=args.exit_zero)
