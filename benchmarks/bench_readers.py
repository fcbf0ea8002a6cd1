"""Benchmark: read a 1-million-item All Orders report and its feedback report, against the floor.

The floor is ``polars.read_csv`` of the same files with no processing at all (every column as
text, tab-separated, no quoting); for the same account served as Amazon serves other
marketplaces' documents (the orders report in Shift_JIS, both files gzip-compressed) the floor
is decoding or decompressing plus ``read_csv``. The readers do much more: decide the encoding,
find columns by name, check every line's number of fields, parse and convert dates to UTC,
map channels, drop repeated rows, collapse items to orders, parse feedback dates and match
feedback to orders. The goal is to stay within 3 times the floor.

The data generator writes an account folder under ``benchmarks/out/`` (cached by size and seed):
orders of 1-4 items (same order-level fields on every item), purchase dates spread over 120 days
with US offsets (-07:00 / -08:00), 60% FBA, 1% MCF, a few pending and cancelled orders, and a
feedback report (US dates) for about 3% of orders with ratings 1-3 and rater emails.

Run: ``python benchmarks/bench_readers.py [--items 1000000] [--seed 7] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from odr_analysis.readers import load_account
from odr_analysis.readers.orders import ORDERS_SPEC

OUT = Path(__file__).resolve().parent / "out"
HEADER = list(ORDERS_SPEC.header)  # Amazon's columns, in Amazon's order


def generate(items: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """Write ``orders.txt`` (about ``items`` item rows) and ``feedback.txt`` into ``folder``."""
    rng = np.random.default_rng(seed)
    n_orders = max(1, round(items / 1.6))
    per_order = rng.choice([1, 2, 3, 4], size=n_orders, p=[0.6, 0.25, 0.1, 0.05])
    per_order[-1] += items - int(per_order.sum())  # exactly `items` rows
    per_order = np.maximum(per_order, 1)
    order_index = np.repeat(np.arange(n_orders), per_order)
    start = np.datetime64("2025-08-01T00:00:00")
    seconds = rng.integers(0, 120 * 86_400, size=n_orders)
    afn = rng.random(n_orders) < 0.6
    mcf = rng.random(n_orders) < 0.01
    status = rng.choice(["Shipped", "Pending", "Cancelled"], size=n_orders, p=[0.96, 0.02, 0.02])
    offset = np.where(rng.random(n_orders) < 0.5, "-07:00", "-08:00")
    local = (start + seconds.astype("timedelta64[s]")).astype(str)
    orders = pl.DataFrame(
        {
            "amazon-order-id": pl.select(
                pl.format(
                    "{}-{}-{}",
                    pl.Series(rng.choice([111, 112, 113, 114], size=n_orders)),
                    pl.Series(rng.integers(0, 10**7, size=n_orders)).cast(pl.String).str.zfill(7),
                    pl.Series(np.arange(n_orders)).cast(pl.String).str.zfill(7),
                )
            ).to_series(),
            "purchase-date": np.char.add(local, offset),
            "order-status": status,
            "fulfillment-channel": np.where(afn, "Amazon", "Merchant"),
            "sales-channel": np.where(mcf, "Non-Amazon", "Amazon.com"),
            "ship-service-level": rng.choice(["Standard", "Expedited", "SecondDay"], n_orders),
            "ship-state": rng.choice(["CA", "TX", "NY", "WA", "FL"], n_orders),
            "is-business-order": np.where(rng.random(n_orders) < 0.05, "true", "false"),
        }
    )
    # distinct skus within an order: an order's n-th item is base + n * 997 (mod 5000)
    position = np.arange(len(order_index)) - np.repeat(np.cumsum(per_order) - per_order, per_order)
    sku = (rng.integers(0, 5_000, size=n_orders)[order_index] + position * 997) % 5_000
    lines = (
        orders[order_index]
        .with_columns(
            pl.lit("").alias("merchant-order-id"),
            pl.col("purchase-date").alias("last-updated-date"),
            pl.lit("").alias("order-channel"),
            pl.lit("").alias("url"),
            pl.Series("sku", sku).cast(pl.String).str.zfill(5).alias("sku"),
            (pl.lit("B0") + pl.Series(sku).cast(pl.String).str.zfill(8)).alias("asin"),
            (pl.lit('Widget "Pro" ') + pl.Series(sku).cast(pl.String) + ", 12-pack").alias(
                "product-name"
            ),
            pl.col("order-status").alias("item-status"),
            pl.lit("1").alias("quantity"),
            pl.lit("USD").alias("currency"),
            *(pl.lit("12.99").alias(c) for c in HEADER[16:24]),
            pl.lit("SPRINGFIELD").alias("ship-city"),
            pl.lit("12345").alias("ship-postal-code"),
            pl.lit("US").alias("ship-country"),
            pl.lit("").alias("promotion-ids"),
            pl.lit("").alias("purchase-order-number"),
            pl.lit("").alias("price-designation"),
        )
        .select(HEADER)
    )
    folder.mkdir(parents=True, exist_ok=True)
    orders_path = folder / "orders.txt"
    lines.write_csv(orders_path, separator="\t", quote_style="never")

    with_feedback = rng.random(n_orders) < 0.03
    fb_orders = orders.filter(pl.Series(with_feedback & ~mcf))
    n_fb = fb_orders.height
    fb_days = (seconds[with_feedback & ~mcf] // 86_400) + rng.integers(3, 60, size=n_fb)
    fb_dates = pl.Series(np.datetime64("2025-08-01") + fb_days.astype("timedelta64[D]"))
    feedback = pl.DataFrame(
        {
            "Date": pl.select(
                pl.format(
                    "{}/{}/{}",
                    fb_dates.dt.month(),
                    fb_dates.dt.day(),
                    (fb_dates.dt.year() % 100).cast(pl.String).str.zfill(2),
                )
            ).to_series(),
            "Rating": rng.choice(["1", "2", "3"], size=n_fb, p=[0.4, 0.3, 0.3]),
            "Comments": pl.repeat("Arrived late, box damaged.", n_fb, eager=True),
            "Your Response": pl.repeat("", n_fb, eager=True),
            "Order ID": fb_orders["amazon-order-id"],
            "Rater Email": pl.select(
                pl.format("buyer{}@marketplace.amazon.com", pl.int_range(n_fb))
            ).to_series(),
        }
    )
    feedback_path = folder / "feedback.txt"
    feedback.write_csv(feedback_path, separator="\t", quote_style="never")
    return orders_path, feedback_path


def variants(folder: Path) -> dict[str, Path]:
    """The same account as Amazon may serve it: plain UTF-8 (``folder``), the orders report in
    Shift_JIS with Japanese product names (as Amazon.co.jp serves documents), and both files
    gzip-compressed (as every report document comes). Written next to ``folder``, cached."""
    cp932 = folder.parent / "bench-account-cp932"
    if not (cp932 / "orders.txt").exists():
        cp932.mkdir(parents=True, exist_ok=True)
        text = (folder / "orders.txt").read_text("utf-8")
        text = text.replace('Widget "Pro" ', "ウィジェット「プロ」")
        (cp932 / "orders.txt").write_bytes(text.encode("cp932"))
        shutil.copy(folder / "feedback.txt", cp932 / "feedback.txt")
    gz = folder.parent / "bench-account-gzip"
    if not (gz / "orders.txt.gz").exists():
        gz.mkdir(parents=True, exist_ok=True)
        for name in ("orders.txt", "feedback.txt"):
            data = gzip.compress((folder / name).read_bytes(), compresslevel=6, mtime=0)
            (gz / f"{name}.gz").write_bytes(data)
    return {"UTF-8": folder, "Shift_JIS (cp932)": cp932, "gzip": gz}


def read_floor(path: Path) -> pl.DataFrame:
    """The floor for one file: decompress and decode as needed, then ``polars.read_csv``."""
    data: Path | bytes = path
    if path.suffix == ".gz":
        data = gzip.decompress(path.read_bytes())
    elif path.parent.name.endswith("cp932") and path.name == "orders.txt":
        data = path.read_bytes().decode("cp932").encode("utf-8")
    return pl.read_csv(data, separator="\t", quote_char=None, infer_schema=False)


def _interleaved(
    floor: Callable[[], object], readers: Callable[[], object], repeat: int
) -> dict[str, tuple[float, float]]:
    """Median wall-clock and median CPU time (all threads) of each, run turn about so that both
    see the same machine load."""
    wall: dict[str, list[float]] = {"floor": [], "readers": []}
    cpu: dict[str, list[float]] = {"floor": [], "readers": []}
    for _ in range(repeat):
        for name, fn in (("floor", floor), ("readers", readers)):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="item rows (default 1M)")
    parser.add_argument(
        "--orders", type=int, default=None, help="alternatively: orders (1.6 items each)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    items = round(args.orders * 1.6) if args.orders else args.items

    folder = OUT / f"readers-{items}-{args.seed}" / "bench-account"
    orders_path, feedback_path = folder / "orders.txt", folder / "feedback.txt"
    if not (orders_path.exists() and feedback_path.exists()):
        start = time.perf_counter()
        generate(items, args.seed, folder)
        print(f"generated {folder} in {time.perf_counter() - start:.1f} s")
    size = (orders_path.stat().st_size + feedback_path.stat().st_size) / 1e6
    account = load_account(folder)
    rows = int(account.ingest["rows_read"].sum())
    print(f"files: {size:.0f} MB, {rows:,} data lines ({items:,} items + feedback)")
    print(f"orders: {account.orders.height:,}  defects: {account.defects.height:,}")
    print(f"median of {args.repeat} runs, floor and readers taking turns")
    print(f"{'':46} {'wall':>8} {'rows/s':>12} {'cpu':>8} {'ratio':>7}")
    verdicts = []
    for name, path in variants(folder).items():
        files = sorted(p for p in path.iterdir() if p.is_file())
        same = load_account(path)
        assert same.orders.height == account.orders.height, name  # the same account

        def floor(files: list[Path] = files) -> None:
            for file in files:
                read_floor(file)

        timed = _interleaved(floor, lambda path=path: load_account(path), args.repeat)
        ratio = timed["readers"][0] / timed["floor"][0]
        for key, label in (("floor", "floor (decode + read_csv)"), ("readers", "load_account")):
            wall, cpu = timed[key]
            shown = f"{ratio:6.2f}x" if key == "readers" else ""
            print(f"{name + ': ' + label:46} {wall:7.2f}s {rows / wall:12,.0f} {cpu:7.2f}s {shown}")
        verdicts.append(f"{name} {ratio:.2f}x {'OK' if ratio <= 3 else 'SLOW'}")
    print("ratio of wall-clock medians, goal within 3x: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
