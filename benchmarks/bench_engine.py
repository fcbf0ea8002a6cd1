"""Time ``odr_daily`` against DuckDB, pandas and a bare-numpy floor on one synthetic portfolio.

Run from the project root (see ``benchmarks/README.md``)::

    .venv/bin/python -m benchmarks.bench_engine                 # 10M orders, 5 timed repeats
    .venv/bin/python -m benchmarks.bench_engine --orders 1000000 --repeats 3

Each implementation runs in its own subprocess: it loads the cached parquet (not timed), runs
once to warm up (that result is saved for the correctness check), then ``--repeats`` timed runs.
The parent prints medians, minimums, each child's own peak RSS (``VmHWM``), the ratio of each
median to ours, and whether every implementation produced identical counts on every row; it also
writes JSON to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import peers, portfolio
from odr_analysis.rules import OdrRules

IMPLEMENTATIONS = ("engine", "duckdb", "pandas", "numpy_floor")
LABELS = {
    "engine": "odr_daily (ours, polars)",
    "duckdb": "DuckDB SQL",
    "pandas": "pandas",
    "numpy_floor": "numpy bincount floor*",
}
GOALS = {"duckdb": 2.0, "pandas": 5.0}  # ours must be at least this many times faster
MEMORY_GOAL_GB = 3.0


# ---------------------------------------------------------------------------------------------
# Child: one implementation, one process.


def _memory_gb(field: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` (given in kB), in GB.

    ``VmRSS`` is the resident memory now; ``VmHWM`` its peak so far. Both belong to this
    process's own address space, which exec starts afresh. ``ru_maxrss`` is not: on Linux it
    keeps its maximum across exec, so a child starts with the parent's peak RSS and would
    report that (the parent has scanned the whole portfolio) whenever its own peak is lower.
    """
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name == field:
                return int(value.split()[0]) * 1024 / 1e9
    raise RuntimeError(f"no {field} in /proc/self/status")


def _rss_gb() -> float:
    return _memory_gb("VmRSS")


def _peak_gb() -> float:
    return _memory_gb("VmHWM")


def _prepare(impl: str, folder: Path, start: dt.date, end: dt.date) -> Callable[[], Any]:
    """Load the data as the implementation's user would hold it; return the timed call."""
    if impl == "pandas":  # read straight into pandas: no polars copy inflates its memory
        o, d = peers.pandas_read(folder / "orders.parquet", folder / "defects.parquet")
        return lambda: peers.pandas_daily(o, d, start=start, end=end)
    orders, defects = portfolio.load(folder)
    if impl == "engine":
        from odr_analysis.engine import odr_daily

        return lambda: odr_daily(orders, defects, start=start, end=end)
    if impl == "duckdb":
        import duckdb

        con = duckdb.connect()  # default threads
        con.register("orders", orders)
        con.register("defects", defects)
        sql = peers.duckdb_sql(start, end)
        return lambda: con.sql(sql).pl()
    if impl == "numpy_floor":
        inputs = peers.floor_inputs(orders, defects, start=start, end=end)
        del orders, defects
        return lambda: (inputs, peers.numpy_floor(inputs))
    raise ValueError(f"unknown implementation {impl!r}; choose from {IMPLEMENTATIONS}")


def child(
    impl: str, *, folder: Path, start: dt.date, end: dt.date, repeats: int, result: Path
) -> dict[str, Any]:
    """Run one implementation: load, warm up (result saved to ``result``), time ``repeats`` runs."""
    run = _prepare(impl, folder, start, end)
    gc.collect()
    loaded, load_peak = _rss_gb(), _peak_gb()
    out = run()  # warm-up; its result is the one checked
    if impl == "numpy_floor":
        out = peers.floor_frame(*out)
    peers.canonical(out).write_parquet(result)
    del out
    times = []
    for _ in range(repeats):
        gc.collect()
        began = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - began)
        del out
    return {
        "impl": impl,
        "times_s": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "loaded_rss_gb": loaded,
        "load_peak_rss_gb": load_peak,
        "peak_rss_gb": _peak_gb(),
    }


# ---------------------------------------------------------------------------------------------
# Parent: data, subprocesses, check, table.


def _run_child(
    impl: str, *, folder: Path, start: dt.date, end: dt.date, repeats: int, result: Path
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_engine",
        "--child",
        impl,
        "--data",
        str(folder),
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--repeats",
        str(repeats),
        "--result",
        str(result),
    ]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"impl": impl, "failed": proc.stderr.strip().splitlines()[-1:] or ["(no output)"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check(results: dict[str, Path], reference: str) -> dict[str, str]:
    """OK / MISMATCH of each result against the reference implementation's, row by row."""
    ref = pl.read_parquet(results[reference])
    status = {}
    for impl, path in results.items():
        got = pl.read_parquet(path)
        if got.equals(ref):
            status[impl] = "OK"
            continue
        if got.height != ref.height:
            status[impl] = f"MISMATCH ({got.height} rows vs {ref.height})"
            continue
        both = got.join(ref, on=[*peers.GROUP_KEYS, "as_of"], how="full", suffix="_ref")
        differing = both.filter(
            pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_ref")) for c in peers.COUNT_COLUMNS)
        ).height
        status[impl] = f"MISMATCH ({differing} of {ref.height} rows differ)"
    return status


def _table(rows: list[dict[str, Any]], ours: float | None) -> str:
    head = f"{'implementation':<26} {'median s':>9} {'min s':>8} {'peak GB':>8} {'data GB':>8} "
    head += f"{'x ours':>7}  check"
    lines = [head, "-" * len(head)]
    for r in rows:
        label = LABELS[r["impl"]]
        if "failed" in r:
            lines.append(f"{label:<26} FAILED: {' '.join(r['failed'])}")
            continue
        ratio = f"{r['median_s'] / ours:7.2f}" if ours else f"{'-':>7}"
        lines.append(
            f"{label:<26} {r['median_s']:9.3f} {r['min_s']:8.3f} {r['peak_rss_gb']:8.2f} "
            f"{r['loaded_rss_gb']:8.2f} {ratio}  {r.get('check', '-')}"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    default = portfolio.PortfolioSpec()
    parser.add_argument("--orders", type=int, default=default.orders)
    parser.add_argument("--accounts", type=int, default=default.accounts)
    parser.add_argument("--days", type=int, default=default.days)
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument("--only", nargs="+", choices=IMPLEMENTATIONS, default=list(IMPLEMENTATIONS))
    parser.add_argument("--child", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--end", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser


def _describe(spec: portfolio.PortfolioSpec, repeats: int) -> dict[str, Any]:
    """Make sure the data exists; print and return what the run covers."""
    began = time.perf_counter()
    folder = portfolio.cached(spec)
    n_orders, n_groups, first, last = (
        pl.scan_parquet(folder / "orders.parquet")
        .select(
            rows=pl.len(),
            groups=pl.struct(peers.GROUP_KEYS).n_unique(),
            first=pl.col("order_date").min(),
            last=pl.col("order_date").max(),
        )
        .collect()
        .row(0)
    )
    n_defects = pl.scan_parquet(folder / "defects.parquet").select(pl.len()).collect().item()
    lag = dt.timedelta(days=OdrRules().lag_days)
    start, end = first + lag, last + lag  # as peers.report_range: windows ending first..last
    days = (end - start).days + 1
    print(
        f"portfolio {spec.key}: {n_orders:,} orders, {n_defects:,} defect rows, "
        f"{n_groups} (account, marketplace, channel) groups; data ready in "
        f"{time.perf_counter() - began:.1f} s ({folder})"
    )
    print(
        f"report days {start} .. {end} ({days} days x {n_groups} groups = "
        f"{days * n_groups:,} rows); {repeats} timed runs after 1 warm-up, "
        f"each implementation in its own process; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return {
        "spec": {**spec.__dict__, "first_day": spec.first_day.isoformat()},
        "folder": folder,
        "orders": n_orders,
        "defect_rows": n_defects,
        "groups": n_groups,
        "start": start,
        "end": end,
        "repeats": repeats,
    }


def _verdicts(timed: dict[str, dict[str, Any]]) -> list[str]:
    if "engine" not in timed:
        return ["no verdict: our engine was not measured"]
    ours = timed["engine"]["median_s"]
    verdicts = []
    for impl, goal in GOALS.items():
        if impl in timed:
            ratio = timed[impl]["median_s"] / ours
            verdicts.append(
                f"{'PASS' if ratio >= goal else 'FAIL'}: at least {goal:g}x faster than "
                f"{LABELS[impl]} (measured {ratio:.2f}x)"
            )
    peak = timed["engine"]["peak_rss_gb"]
    verdicts.append(
        f"{'PASS' if peak < MEMORY_GOAL_GB else 'FAIL'}: peak memory under "
        f"{MEMORY_GOAL_GB:g} GB (measured {peak:.2f} GB)"
    )
    if "numpy_floor" in timed:
        floor = timed["numpy_floor"]["median_s"]
        verdicts.append(f"info: ours takes {ours / floor:.1f}x the time of the numpy floor")
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.child:
        result = child(
            args.child,
            folder=args.data,
            start=args.start,
            end=args.end,
            repeats=args.repeats,
            result=args.result,
        )
        print(json.dumps(result))
        return 0

    spec = portfolio.PortfolioSpec(args.orders, args.accounts, args.days, args.seed)
    run = _describe(spec, args.repeats)
    rows: list[dict[str, Any]] = []
    paths: dict[str, Path] = {}
    for impl in args.only:
        path = portfolio.OUT / f"result-{impl}.parquet"
        path.unlink(missing_ok=True)
        began = time.perf_counter()
        r = _run_child(
            impl,
            folder=run["folder"],
            start=run["start"],
            end=run["end"],
            repeats=args.repeats,
            result=path,
        )
        r["wall_s"] = time.perf_counter() - began
        rows.append(r)
        if "median_s" in r:
            paths[impl] = path
        print(f"  {impl}: done in {r['wall_s']:.1f} s", flush=True)

    reference = "engine" if "engine" in paths else next(iter(paths), None)
    if reference is not None:
        for impl, status in _check(paths, reference).items():
            next(r for r in rows if r["impl"] == impl)["check"] = status
    timed = {r["impl"]: r for r in rows if "median_s" in r}
    print()
    print(_table(rows, timed["engine"]["median_s"] if "engine" in timed else None))
    print(
        "\nmedian/min: wall-clock seconds of one full computation; peak GB: the child process's "
        "own peak\nRSS (VmHWM, data and interpreter included); data GB: its RSS after loading the "
        "data;\n"
        "x ours: median / our median (higher = ours faster); check: identical counts on every\n"
        f"row vs {reference}.  * the floor times only np.bincount + cumsum on prepared integer "
        "columns\n(group, day index, interval bounds); preparing them (joins, feedback rules) is "
        "not timed."
    )
    verdicts = _verdicts(timed)
    print("\n" + "\n".join(verdicts))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    report = {
        **{k: v for k, v in run.items() if k != "folder"},
        "start": run["start"].isoformat(),
        "end": run["end"].isoformat(),
        "python": platform.python_version(),
        "versions": _versions(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "results": rows,
        "verdicts": verdicts,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = portfolio.OUT / f"bench-{spec.key}-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    for path in (out, portfolio.OUT / "bench-latest.json"):
        path.write_text(json.dumps(report, indent=2))
    print(f"\nJSON: {out}")
    failed = any("failed" in r for r in rows) or any(
        r.get("check", "OK") != "OK" for r in rows if "median_s" in r
    )
    return 1 if failed else 0


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("polars", "duckdb", "pandas", "numpy", "pyarrow")}


if __name__ == "__main__":
    sys.exit(main())
