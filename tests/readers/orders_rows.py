"""Rows and files of a small All Orders report, for the tests of the readers."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from odr_analysis.readers.orders import read_orders_file

COLUMNS = [
    "amazon-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "sku",
    "asin",
    "quantity",
    "ship-country",
    "is-business-order",
]


def row(
    order: str = "111-1",
    purchase: str = "2025-10-05T10:15:00-07:00",
    channel: str = "Amazon",
    sales: str = "Amazon.com",
    sku: str = "A",
    *,
    updated: str = "2025-10-06T08:00:00+00:00",
    status: str = "Shipped",
    quantity: str = "1",
    business: str = "false",
) -> list[str]:
    return [
        order,
        purchase,
        updated,
        status,
        channel,
        sales,
        sku,
        f"B{sku}",
        quantity,
        "US",
        business,
    ]


def write(
    path: Path, rows: list[list[str]], header: list[str] = COLUMNS, *, eol: str = "\n"
) -> Path:
    lines = ["\t".join(header), *("\t".join(r) for r in rows)]
    path.write_bytes((eol.join(lines) + eol).encode())
    return path


def items(path: Path) -> pl.DataFrame:
    return read_orders_file(path).rows
