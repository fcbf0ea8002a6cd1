"""The FBA shipments report reader (odr_analysis.readers.shipments)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.readers.orders import ITEM_COLUMNS, MCF_REASON, combine_orders
from odr_analysis.readers.shipments import (
    SHIPMENTS_NOTE,
    SHIPMENTS_SPEC,
    read_shipments_file,
)
from odr_analysis.readers.table import FileRead, ReportFormatError
from odr_analysis.schema import validate_orders

from .orders_rows import row, write

REPORTS = Path(__file__).parents[1] / "fixtures" / "readers" / "reports"
JP = REPORTS / "fba-shipments-jp.txt"


def adds_up(read: FileRead) -> bool:
    return read.rows_read == read.rows.height + read.rejects.height


def test_the_japanese_fixture() -> None:
    read = read_shipments_file(JP)
    assert read.format == "fba_shipments"
    assert read.rows.columns == list(ITEM_COLUMNS)
    assert read.rows_read == 7 and adds_up(read)
    items = read.rows.select("line", "order_id", "sku", "quantity", "channel", "order_status")
    assert items.rows() == [
        (2, "503-0000001-0000001", "SKU-A", 3, "AFN", None),  # two shipments: 1 + 2 units
        (4, "503-0000001-0000001", "SKU-B", 1, "AFN", None),
        (5, "503-0000002-0000002", "SKU-A", 1, "AFN", None),
    ]
    # the latest shipment of the merged item is its last update
    assert read.rows["last_updated"][0] == "2025-10-08T09:00:00+09:00"
    assert read.rows["marketplace"].unique().to_list() == ["Amazon.co.jp"]
    rejects = read.rejects.sort("line")
    assert rejects.select("line", "outcome").rows() == [
        (3, "excluded"),
        (6, "excluded"),
        (7, "excluded"),
        (8, "rejected"),
    ]
    reasons = rejects["reason"].to_list()
    assert reasons[0] == (
        "another shipment of the order item at line 2: merged there (quantity-shipped added up)"
    )
    assert reasons[1] == "duplicate row (already read from fba-shipments-jp.txt line 5)"
    assert reasons[2] == MCF_REASON
    assert "purchase-date '2025/10/09 10:00'" in reasons[3]
    assert read.notes[0] == SHIPMENTS_NOTE
    assert "over-stated" in SHIPMENTS_NOTE and "All Orders report" in SHIPMENTS_NOTE
    assert "1 shipment row(s) merged into 1 order item(s)" in read.notes[1]


def test_two_shipments_of_one_order_are_one_order_not_a_duplicate() -> None:
    combined = combine_orders([read_shipments_file(JP)], "tokyo")
    validate_orders(combined.orders).collect()
    orders = combined.orders.select("order_id", "order_date", "channel", "units", "item_count")
    assert orders.rows() == [
        ("503-0000001-0000001", dt.date(2025, 10, 5), "AFN", 4, 2),
        ("503-0000002-0000002", dt.date(2025, 10, 6), "AFN", 1, 1),  # 08:30 +09:00
    ]
    # only the shipment item read twice is a duplicate; the second shipment is merged
    duplicates = combined.rejects.filter(pl.col("reason").str.contains("duplicate row"))
    assert duplicates["line"].to_list() == [6]
    assert combined.kept == {"fba-shipments-jp.txt": 3}


def test_the_all_orders_report_wins_over_the_shipments_report(tmp_path: Path) -> None:
    orders = write(
        tmp_path / "orders.txt",
        [row("503-0000001-0000001", "2025-10-05T10:15:00+09:00", sales="Amazon.co.jp")],
    )
    from odr_analysis.readers.orders import read_orders_file

    combined = combine_orders([read_orders_file(orders), read_shipments_file(JP)], "tokyo")
    covered = combined.rejects.filter(pl.col("reason").str.starts_with("order also in"))
    assert covered.select("file", "line").rows() == [
        ("fba-shipments-jp.txt", 2),
        ("fba-shipments-jp.txt", 4),
    ]
    assert covered["reason"][0] == (
        "order also in the All Orders report orders.txt: read from there (the FBA shipments "
        "report adds nothing to it)"
    )
    by_id = {r["order_id"]: r for r in combined.orders.iter_rows(named=True)}
    assert by_id["503-0000001-0000001"]["order_status"] == "Shipped"
    assert by_id["503-0000001-0000001"]["item_count"] == 1
    assert "503-0000002-0000002" in by_id  # only in the shipments report: kept
    kept = combined.kept
    excluded = combined.rejects.filter(pl.col("outcome") == "excluded").group_by("file").len()
    rejected = combined.rejects.filter(pl.col("outcome") == "rejected").group_by("file").len()
    counts = {f: kept[f] for f in kept}
    for f, n in [*excluded.iter_rows(), *rejected.iter_rows()]:
        counts[f] += n
    assert counts == {"orders.txt": 1, "fba-shipments-jp.txt": 7}


def test_without_item_ids_the_sku_identifies_the_item(tmp_path: Path) -> None:
    header = [
        "amazon-order-id",
        "shipment-id",
        "shipment-item-id",
        "purchase-date",
        "sku",
        "quantity-shipped",
        "sales-channel",
    ]
    rows = [
        ["111-1", "S1", "I1", "2025-10-05T10:00:00Z", "A", "1", "Amazon.com"],
        ["111-1", "S2", "I2", "2025-10-05T10:00:00Z", "A", "1", "Amazon.com"],
        ["111-1", "S2", "I3", "2025-10-05T10:00:00Z", "B", "x", "Amazon.com"],
    ]
    read = read_shipments_file(write(tmp_path / "s.txt", rows, header))
    assert read.rows.select("sku", "quantity", "channel").rows() == [
        ("A", 2, "AFN"),  # no fulfillment-channel column: the report is FBA-only
        ("B", None, "AFN"),
    ]
    assert adds_up(read)


def test_a_file_that_is_not_a_shipments_report_names_itself(tmp_path: Path) -> None:
    path = write(tmp_path / "s.txt", [["111-1", "x"]], ["amazon-order-id", "shipment-id"])
    with pytest.raises(ReportFormatError, match=r"FBA shipments file '.*s\.txt', line 1: missing"):
        read_shipments_file(path)
    assert "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL" in SHIPMENTS_SPEC.expected


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path / "s.txt", [], list(SHIPMENTS_SPEC.header))
    read = read_shipments_file(path)
    assert read.rows.is_empty() and read.rejects.is_empty() and read.rows_read == 0
    assert read.rows.columns == list(ITEM_COLUMNS)
