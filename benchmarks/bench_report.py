"""Time ``odr-report`` on the sample portfolio: the seconds per account and for the whole run.

Run from the project root::

    .venv/bin/python -m benchmarks.bench_report               # data/sample, 2 accounts at a time
    .venv/bin/python -m benchmarks.bench_report --jobs 1 --repeats 3

What is timed: :func:`odr_analysis.report.run_reports` end to end, as the command runs it: one
process per account (forked from a fork server that has imported altair once), ``--jobs`` of
them side by side, each importing polars and the analytics, computing every number (engine,
maturity and 2,000-simulation projection, drop-off, removals, explanation, reconciliation) and
building its page; in the calling process, the chart bundle (made once, while the accounts
are computed), the files written and the summary. Per account: the seconds from its process's
start to its files written (accounts that run side by side overlap, so these add up to more
than the total; the fork server's start, about a second, is in the total only). Goal: the
three sample accounts and the summary in under 60 s. The figures are written as JSON to
``benchmarks/out/report-latest.json``. Options other benchmarks take (``make bench
BENCH_ARGS=...``) are ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

GOAL_S = 60.0
ROOT = Path(__file__).resolve().parents[1]


def run(data_dir: Path, jobs: int, repeats: int) -> dict[str, Any]:
    from odr_analysis.report import run_reports

    totals: list[float] = []
    per_account: dict[str, list[float]] = {}
    failures: list[str] = []
    for i in range(repeats):
        with tempfile.TemporaryDirectory(prefix="odr-report-bench-") as out:
            result = run_reports(data_dir, out, jobs=jobs, echo=lambda _: None)
        totals.append(result.seconds)
        for account in result.accounts:
            per_account.setdefault(account.name, []).append(account.seconds)
            if not account.ok:
                failures.append(f"{account.name}: {account.error}")
        print(f"run {i + 1}/{repeats}: {result.seconds:.1f} s")
    print(
        f"\n{len(per_account)} accounts of {data_dir}, {jobs} at a time, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:"
    )
    print(f"{'account':<24}{'median s':>10}{'max s':>8}")
    for name, seconds in sorted(per_account.items()):
        print(f"{name:<24}{statistics.median(seconds):>10.1f}{max(seconds):>8.1f}")
    median = statistics.median(totals)
    print(f"{'whole run (median)':<24}{median:>10.1f}{max(totals):>8.1f}")
    verdict = "PASS" if median < GOAL_S and not failures else "FAIL"
    print(f"goal: every account and the summary in < {GOAL_S:.0f} s: {verdict} ({median:.1f} s)")
    for failure in failures:
        print(f"FAILED {failure}")
    return {
        "data_dir": str(data_dir),
        "jobs": jobs,
        "repeats": repeats,
        "total_s": totals,
        "per_account_s": per_account,
        "failures": failures,
        "goal_s": GOAL_S,
        "load_average_1min": os.getloadavg()[0],
        "python": platform.python_version(),
    }


def main() -> None:  # pragma: no cover - a command-line tool
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--jobs", type=int, default=2, help="accounts at a time (default 2)")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs (default 1)")
    args, _ignored = parser.parse_known_args()
    result = run(args.data, args.jobs, args.repeats)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    if result["failures"]:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
