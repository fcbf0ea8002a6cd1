"""Small canonical frames for the engine and what-if tests."""

from __future__ import annotations

import datetime as dt

import polars as pl

from odr_analysis.schema import DEFECTS_SCHEMA, ORDERS_SCHEMA


def make_orders(
    n: int, day: dt.date, *, channel: str = "MFN", account: str = "acme", prefix: str = ""
) -> pl.DataFrame:
    """``n`` orders of one day, ids ``{prefix or account}-0`` .. ``-{n-1}``."""
    return pl.DataFrame(
        {
            "account": account,
            "marketplace": "Amazon.com",
            "order_id": [f"{prefix or account}-{i}" for i in range(n)],
            "order_date": day,
            "channel": channel,
        },
        schema=ORDERS_SCHEMA,
    )


def make_defects(rows: list[tuple[str, str, str, dt.date, str, int | None]]) -> pl.DataFrame:
    """Defects from ``(account, order_id, kind, event_date, status, rating)`` tuples."""
    return pl.DataFrame(rows, schema=DEFECTS_SCHEMA, orient="row")
