"""A synthetic agency portfolio in the canonical ``orders`` / ``defects`` frames.

The data is shaped so that every rule of the engine is exercised at scale: many accounts of
very different sizes, both channels, a quarter of the accounts selling in a second marketplace,
about 1.2% of orders with at least one defect row, some orders with 2-3 defects of different
kinds, statuses drawn from the full vocabulary (most of them counted), defects received 0-90 days
after the order (so a defect can arrive after a report date whose window holds its order), and a
few orders whose 1-2 star feedback is later revised to a neutral 3 stars (sometimes on the same
day). Everything is drawn with numpy from one seed and built without loops over rows, so 10
million orders take a few seconds.

>>> orders, defects = generate(PortfolioSpec(orders=2_000, accounts=3, days=90, seed=1))
>>> orders.height, orders.columns
(2000, ['account', 'marketplace', 'order_id', 'order_date', 'channel'])
>>> orders.select(pl.struct("account", "order_id").n_unique()).item()
2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from odr_analysis.schema import DEFECTS_SCHEMA, ORDERS_SCHEMA, STATUSES

__all__ = ["OUT", "PortfolioSpec", "cached", "generate", "load"]

OUT = Path(__file__).resolve().parent / "out"

# Marketplace -> the three-digit prefixes its order ids start with.
MARKETPLACES: dict[str, tuple[int, ...]] = {
    "Amazon.com": (111, 112, 113, 114),
    "Amazon.ca": (701, 702),
    "Amazon.co.uk": (202, 203, 204, 205, 206),
    "Amazon.de": (302, 303, 304, 305, 306),
    "Amazon.fr": (402, 403, 404, 405, 406),
    "Amazon.it": (404, 405, 406, 407),
    "Amazon.es": (406, 407, 408),
}
_HOME_SHARE = (0.45, 0.07, 0.15, 0.18, 0.07, 0.05, 0.03)  # how often each is an account's home

# Kind mix of a defect, and the status mix of each kind (order as in schema.STATUSES).
_KIND_WEIGHTS = np.array([0.5, 0.35, 0.15])  # negative_feedback, a_to_z_claim, chargeback
_STATUS_WEIGHTS = {
    "negative_feedback": (0.86, 0.07, 0.04, 0.03),
    "a_to_z_claim": (0.14, 0.40, 0.20, 0.03, 0.11, 0.06, 0.03, 0.03),
    "chargeback": (0.62, 0.23, 0.15),
}
_MEAN_DELAY = (12.0, 20.0, 35.0)  # days from order to defect, per kind (clipped to 0-90)
_MAX_DELAY = 90


@dataclass(frozen=True)
class PortfolioSpec:
    """The parameters of one synthetic portfolio (the cache key)."""

    orders: int = 10_000_000
    accounts: int = 200
    days: int = 730
    seed: int = 20240601
    first_day: dt.date = dt.date(2023, 1, 1)
    defect_rate: float = 0.012

    def __post_init__(self) -> None:
        if self.accounts < 1 or self.days < 1 or self.orders < self.accounts:
            raise ValueError(f"need orders >= accounts >= 1 and days >= 1, got {self}")

    @property
    def key(self) -> str:
        return (
            f"o{self.orders}-a{self.accounts}-d{self.days}-s{self.seed}"
            f"-f{self.first_day:%Y%m%d}-r{self.defect_rate:g}"
        )


def generate(spec: PortfolioSpec = PortfolioSpec()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Draw the portfolio: ``(orders, defects)`` in the canonical schema, ordered by account, date.

    Deterministic for a given spec. Every defect belongs to an order in ``orders``.
    """
    rng = np.random.default_rng(spec.seed)
    n_acc, n_days = spec.accounts, spec.days

    # Accounts: sizes spread over two orders of magnitude, each with its own growth trend.
    size = rng.lognormal(0.0, 1.1, n_acc)
    per_account = rng.multinomial(spec.orders - n_acc, size / size.sum()) + 1
    t = np.arange(n_days) / max(n_days - 1, 1)
    day_of_year = (np.arange(n_days) + spec.first_day.timetuple().tm_yday - 1) % 365
    weekday = (np.arange(n_days) + spec.first_day.weekday()) % 7
    season = 1 + 0.9 * np.exp(-(((day_of_year - 335) / 18.0) ** 2)) + 0.12 * (weekday >= 5)
    growth = rng.normal(0.3, 0.4, n_acc)
    per_day = np.empty((n_acc, n_days), dtype=np.int64)
    for a in range(n_acc):  # one draw per account (not per row)
        p = season * np.exp(growth[a] * t)
        per_day[a] = rng.multinomial(per_account[a], p / p.sum())
    cell = np.repeat(np.arange(n_acc * n_days), per_day.ravel())  # sorted by account, day
    account, day = cell // n_days, cell % n_days
    n = cell.size

    # Marketplace: a home marketplace, plus a second one for about a quarter of the accounts.
    names = list(MARKETPLACES)
    home = rng.choice(len(names), n_acc, p=_HOME_SHARE)
    second = (home + rng.integers(1, len(names), n_acc)) % len(names)
    second_share = np.where(rng.random(n_acc) < 0.25, rng.uniform(0.1, 0.4, n_acc), 0.0)
    market = np.where(rng.random(n) < second_share[account], second[account], home[account])
    afn_share = rng.uniform(0.3, 0.95, n_acc)
    afn = rng.random(n) < afn_share[account]

    # Order ids "113-1234567-1234567": the 14 digits are an affine bijection of a shuffled
    # index modulo 10**14 (the multiplier is prime to 10), so ids are unique in the portfolio.
    prefixes = np.zeros((len(names), 8), dtype=np.int64)
    for i, name in enumerate(names):
        prefixes[i] = np.resize(MARKETPLACES[name], 8)
    prefix = prefixes[market, rng.integers(0, 8, n)]
    digits = (np.int64(123_456_789_011) * rng.permutation(n) + rng.integers(0, 10**13)) % 10**14
    first = np.datetime64(spec.first_day, "D")
    orders = pl.DataFrame(
        {
            "account": pl.Series([f"acct-{a:03d}" for a in range(n_acc)]).gather(account),
            "marketplace": pl.Series(names).gather(market),
            "prefix": prefix,
            "digits": digits,
            "order_date": first + day.astype("timedelta64[D]"),
            "channel": pl.Series(["MFN", "AFN"]).gather(afn.astype(np.int8)),
        }
    ).with_columns(
        # Adding 10**7 and dropping the leading "1" pads with zeros (faster than zfill).
        order_id=pl.concat_str(
            pl.col("prefix").cast(pl.String).str.zfill(3),
            pl.lit("-"),
            (pl.col("digits") // 10**7 + 10**7).cast(pl.String).str.slice(1),
            pl.lit("-"),
            (pl.col("digits") % 10**7 + 10**7).cast(pl.String).str.slice(1),
        )
    )
    orders = orders.select(pl.col(name).cast(dtype) for name, dtype in ORDERS_SCHEMA.items())
    defects = _defects(rng, spec, orders, account, day)
    return orders, defects


def _defects(
    rng: np.random.Generator,
    spec: PortfolioSpec,
    orders: pl.DataFrame,
    account: np.ndarray,
    day: np.ndarray,
) -> pl.DataFrame:
    n_acc = spec.accounts
    # Defect rate per account: skewed around spec.defect_rate (some clean, a few in trouble).
    rate = np.clip(rng.gamma(3.0, spec.defect_rate / 3.0, n_acc), 0.0005, 0.08)
    defective = np.flatnonzero(rng.random(account.size) < rate[account])
    m = defective.size
    # 1, 2 or 3 defects of different kinds, drawn without replacement by weight (exponential race).
    how_many = rng.choice([1, 2, 3], m, p=[0.83, 0.13, 0.04])
    race = np.argsort(rng.exponential(size=(m, 3)) / _KIND_WEIGHTS, axis=1)
    take = np.arange(3) < how_many[:, None]
    order_row = np.repeat(defective, how_many)
    kind = race[take]
    rows = order_row.size

    delay = rng.exponential(np.take(_MEAN_DELAY, kind)).astype(np.int64)
    event_day = day[order_row] + np.minimum(delay, _MAX_DELAY)
    kinds = list(STATUSES)
    status_code = np.empty(rows, dtype=np.int64)
    offsets = [0]
    for k, name in enumerate(kinds):  # one vectorised draw per kind
        mask = kind == k
        status_code[mask] = offsets[-1] + rng.choice(
            len(STATUSES[name]), int(mask.sum()), p=_STATUS_WEIGHTS[name]
        )
        offsets.append(offsets[-1] + len(STATUSES[name]))
    vocabulary = [s for name in kinds for s in STATUSES[name]]
    rating = np.where(kind == 0, rng.choice([1, 2, 3], rows, p=[0.55, 0.35, 0.10]), 0)

    # Revised feedback: some active 1-2 star rows get a later neutral 3-star row, a few on the
    # same day (a tie: the order still counts that day).
    negative = np.flatnonzero((kind == 0) & (status_code == 0) & (rating <= 2))
    revised = negative[rng.random(negative.size) < 0.10]
    later = np.where(rng.random(revised.size) < 0.15, 0, 1 + rng.geometric(1 / 12, revised.size))
    order_row = np.concatenate([order_row, order_row[revised]])
    kind = np.concatenate([kind, np.zeros(revised.size, dtype=kind.dtype)])
    event_day = np.concatenate([event_day, event_day[revised] + later])
    status_code = np.concatenate([status_code, np.zeros(revised.size, dtype=np.int64)])
    rating = np.concatenate([rating, np.full(revised.size, 3)])

    first = np.datetime64(spec.first_day, "D")
    picked = orders.select("account", "order_id")[order_row]
    frame = picked.with_columns(
        kind=pl.Series(kinds).gather(kind),
        event_date=pl.Series(first + event_day.astype("timedelta64[D]")),
        status=pl.Series(vocabulary).gather(status_code),
        rating=pl.Series(np.where(kind == 0, rating, 0)).cast(pl.Int32),
    ).with_columns(
        rating=pl.when(pl.col("kind") == "negative_feedback").then("rating"),
    )
    return frame.select(pl.col(c).cast(t) for c, t in DEFECTS_SCHEMA.items()).sort(
        "account", "event_date", "order_id", maintain_order=True
    )


def cached(spec: PortfolioSpec = PortfolioSpec(), root: Path = OUT) -> Path:
    """The directory holding ``orders.parquet`` and ``defects.parquet`` for ``spec``.

    Generates and writes them on first use; later calls reuse the files.
    """
    folder = root / f"data-{spec.key}"
    if not (folder / "defects.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        orders, defects = generate(spec)
        orders.write_parquet(folder / "orders.parquet")
        # Written last: its presence marks a complete cache entry.
        defects.write_parquet(folder / "defects.parquet")
    return folder


def load(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read a cached portfolio back as ``(orders, defects)``."""
    return pl.read_parquet(folder / "orders.parquet"), pl.read_parquet(folder / "defects.parquet")


def main() -> None:  # pragma: no cover - a command-line convenience
    parser = argparse.ArgumentParser(description="Generate (and cache) the synthetic portfolio.")
    parser.add_argument("--orders", type=int, default=PortfolioSpec.orders)
    parser.add_argument("--accounts", type=int, default=PortfolioSpec.accounts)
    parser.add_argument("--days", type=int, default=PortfolioSpec.days)
    parser.add_argument("--seed", type=int, default=PortfolioSpec.seed)
    args = parser.parse_args()
    spec = PortfolioSpec(args.orders, args.accounts, args.days, args.seed)
    began = time.perf_counter()
    orders, defects = generate(spec)
    took = time.perf_counter() - began
    print(f"generated {orders.height:,} orders, {defects.height:,} defect rows in {took:.1f} s")
    print(orders.head(3))
    print(defects.head(3))


if __name__ == "__main__":  # pragma: no cover
    main()
