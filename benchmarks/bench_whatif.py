"""Time the interactive what-if path: the work behind one slider move, on one big account.

Run from the project root::

    .venv/bin/python -m benchmarks.bench_whatif                  # 200,000 orders, 50 iterations
    .venv/bin/python -m benchmarks.bench_whatif --iterations 20 --threads 1 --sims 200

The account: 200,000 orders over two years (2023-01-01 .. 2024-12-30), both channels, about 1%
of orders with a defect (``benchmarks.portfolio`` with one account). The report date is the day
after the last order date. Untimed: generating the data. Timed once: ``prepare`` (the one pass
over every order). Timed per iteration (a fresh random handful of 1-8 defective orders each):

1. ``Removal(order_ids=...).apply_to_parts(parts)``: the removal scenario on the parts;
2. ``daily_path`` over the two years (every report date of the data);
3. ``dropoff_calendar(parts, as_of=...)``: the defective orders and the 74-day path;
4. ``project(parts, as_of=..., 90 days)``: the 90-day projection (``--sims``
   simulations, default ``Assumptions().n_sims`` as the panel uses).

It prints the wall-clock median and 95th percentile of each step and of the total (goal: total
median under 50 ms), the median CPU time of the process (less sensitive to other work on a
shared machine; it can exceed wall time when polars uses several threads), and writes the
figures as JSON to ``benchmarks/out/whatif-latest.json``.
``--threads`` sets ``POLARS_MAX_THREADS`` for a fresh process (the machine is shared: one
thread is often faster than two busy ones).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

GOAL_MS = 50.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(orders_n: int, iterations: int, seed: int, sims: int) -> dict[str, Any]:  # noqa: PLR0915
    import numpy as np
    import polars as pl

    from benchmarks import portfolio
    from odr_analysis.daily import daily_path
    from odr_analysis.dropoff import dropoff_calendar
    from odr_analysis.parts import prepare
    from odr_analysis.projection import Assumptions, project
    from odr_analysis.removal import Removal

    spec = portfolio.PortfolioSpec(
        orders=orders_n, accounts=1, days=730, seed=seed, defect_rate=0.01
    )
    began = time.perf_counter()
    orders, defects = portfolio.generate(spec)
    generated = time.perf_counter() - began
    first: dt.date = orders["order_date"].min()  # type: ignore[assignment]
    last: dt.date = orders["order_date"].max()  # type: ignore[assignment]
    as_of = last + dt.timedelta(days=1)
    print(
        f"account: {orders.height:,} orders {first} .. {last}, {defects.height:,} defect rows "
        f"(generated in {generated:.1f} s, not timed); report date {as_of}"
    )
    print(
        "channels:",
        ", ".join(f"{c} {n:,}" for c, n in orders.group_by("channel").len().sort("channel").rows()),
    )

    began = time.perf_counter()
    parts = prepare(orders, defects)
    prepare_ms = (time.perf_counter() - began) * 1000
    print(
        f"prepare (once): {prepare_ms:.0f} ms -> {parts.order_counts.height:,} order-count rows, "
        f"{parts.defect_spans.height:,} defect spans"
    )

    candidates = parts.defect_spans["order_id"].unique().sort().to_list()
    rng = np.random.default_rng(seed)
    start = first + dt.timedelta(days=parts.rules.lag_days)
    assumptions = Assumptions(horizon=90, n_sims=sims)

    state: dict[str, Any] = {}

    def removal(picked: tuple[str, ...]) -> None:
        state["parts"] = Removal(order_ids=picked).apply_to_parts(parts, as_of=as_of)

    def path(_: Any) -> None:
        state["path"] = daily_path(state["parts"], start=start, end=as_of)

    def calendar(_: Any) -> None:
        state["calendar"] = dropoff_calendar(state["parts"], as_of=as_of)

    def projection(_: Any) -> None:
        state["projection"] = project(state["parts"], as_of=as_of, assumptions=assumptions)

    steps: dict[str, Callable[[Any], Any]] = {
        "removal": removal,
        "daily_path_2y": path,
        "dropoff_calendar": calendar,
        "project_90d": projection,
    }
    times: dict[str, list[float]] = {name: [] for name in [*steps, "total"]}
    cpu: dict[str, list[float]] = {name: [] for name in [*steps, "total"]}
    for i in range(iterations + 2):  # two warm-up iterations
        size = int(rng.integers(1, 9))
        picked = tuple(rng.choice(candidates, size=size, replace=False).tolist())
        total = total_cpu = 0.0
        for name, step in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            step(picked)
            took = (time.perf_counter() - t0) * 1000
            took_cpu = (time.process_time() - c0) * 1000
            total += took
            total_cpu += took_cpu
            if i >= 2:
                times[name].append(took)
                cpu[name].append(took_cpu)
        if i >= 2:
            times["total"].append(total)
            cpu["total"].append(total_cpu)
        # sanity: the removal changed the spans
        removed = parts.defect_spans.height - state["parts"].defect_spans.height
        assert removed > 0, picked
    assert isinstance(state["path"], pl.DataFrame)

    summary = {
        name: {
            "median_ms": statistics.median(v),
            "p95_ms": _pct(v, 0.95),
            "cpu_median_ms": statistics.median(cpu[name]),
        }
        for name, v in times.items()
    }
    result: dict[str, Any] = {
        "orders": orders.height,
        "defect_rows": defects.height,
        "iterations": iterations,
        "polars_threads": pl.thread_pool_size(),
        "prepare_ms": prepare_ms,
        "steps": summary,
        "load_average_1min": os.getloadavg()[0],
        "project_sims": sims,
        "python": platform.python_version(),
        "polars": pl.__version__,
    }
    print(
        f"\n{iterations} iterations, polars threads {pl.thread_pool_size()}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:"
    )
    print(f"{'step':<20}{'median ms':>12}{'p95 ms':>10}{'CPU median ms':>16}")
    for name, figures in summary.items():
        print(
            f"{name:<20}{figures['median_ms']:>12.1f}{figures['p95_ms']:>10.1f}"
            f"{figures['cpu_median_ms']:>16.1f}"
        )
    median = summary["total"]["median_ms"]
    verdict = "PASS" if median < GOAL_MS else "FAIL"
    print(f"goal: total median < {GOAL_MS:.0f} ms: {verdict} ({median:.1f} ms)")
    return result


def main() -> None:  # pragma: no cover - a command-line tool
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--sims",
        type=int,
        default=None,
        help="simulations of the projection (default: Assumptions().n_sims, as the panel uses)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="POLARS_MAX_THREADS (runs in a fresh process)"
    )
    args = parser.parse_args()
    if args.threads is not None and os.environ.get("POLARS_MAX_THREADS") != str(args.threads):
        env = {**os.environ, "POLARS_MAX_THREADS": str(args.threads)}
        command = [sys.executable, "-m", "benchmarks.bench_whatif", *sys.argv[1:]]
        raise SystemExit(subprocess.call(command, env=env))
    from odr_analysis.projection import Assumptions

    sims = args.sims if args.sims is not None else Assumptions().n_sims
    result = run(args.orders, args.iterations, args.seed, sims)
    from benchmarks.portfolio import OUT

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "whatif-latest.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
