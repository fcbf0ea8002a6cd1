"""Builders shared by the tests of estimates, sampler, projection and maturity.

Dates: the report date of most fixtures is ``AS_OF`` = 2024-06-01. With the default rules
(lag 14, window 60) its window holds the order dates 2024-03-20 .. 2024-05-18, i.e. the
orders aged 14 .. 73 days; the matured cohort is aged 90 .. 149 days.

Unlike :mod:`builders`, orders are given as ``{offset from AS_OF: count}`` (ids
``{account}-{channel}-{offset}-{i}``, see :func:`oid`).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from odr_analysis.projection import Projection
from odr_analysis.schema import DEFECTS_SCHEMA

D = dt.date
AS_OF = D(2024, 6, 1)


def day(offset: int) -> dt.date:
    """``AS_OF + offset`` days."""
    return AS_OF + dt.timedelta(days=offset)


def make_orders(
    per_day: dict[int, int], *, channel: str = "MFN", account: str = "acme"
) -> pl.DataFrame:
    """Orders ``{offset from AS_OF: count}``, ids ``{account}-{channel}-{offset}-{i}``."""
    ids, dates = [], []
    for offset, count in per_day.items():
        ids += [f"{account}-{channel}-{offset}-{i}" for i in range(count)]
        dates += [day(offset)] * count
    return pl.DataFrame(
        {
            "account": account,
            "marketplace": "Amazon.com",
            "order_id": pl.Series(ids, dtype=pl.String),
            "order_date": pl.Series(dates, dtype=pl.Date),
            "channel": channel,
        }
    )


def chargebacks(rows: list[tuple[str, dt.date]], *, account: str = "acme") -> pl.DataFrame:
    """One counted chargeback per (order id, received on)."""
    return pl.DataFrame(
        [(account, oid, "chargeback", on, "service", None) for oid, on in rows],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )


def oid(offset: int, i: int = 0, *, channel: str = "MFN", account: str = "acme") -> str:
    return f"{account}-{channel}-{offset}-{i}"


def only(frame: pl.DataFrame, **where: object) -> dict[str, object]:
    rows = frame.filter(**where) if where else frame
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def on_day(projection: Projection, offset: int, channel: str = "MFN") -> dict[str, object]:
    return only(projection.daily, as_of=day(offset), channel=channel)


def binomial_pmf(n: int, p: float) -> list[float]:
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def moderate_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """About 50 orders a day for 300 days, 2% defective with delays of 0-60 days."""
    rng = np.random.default_rng(7)
    orders = make_orders({-k: 50 for k in range(0, 300)})
    bad = rng.random(orders.height) < 0.02
    delay = rng.integers(0, 61, orders.height)
    frame = orders.with_columns(on=pl.col("order_date") + pl.duration(days=pl.Series(delay)))
    known = frame.filter(pl.Series(bad) & (pl.col("on") <= AS_OF))
    return orders, chargebacks(list(zip(known["order_id"], known["on"], strict=True)))
