"""The XML All Orders report reader (odr_analysis.readers.xml_orders)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.readers.orders import ITEM_COLUMNS, MCF_REASON, combine_orders, read_orders_file
from odr_analysis.readers.table import ReportFormatError
from odr_analysis.readers.xml_orders import read_xml_orders_file
from odr_analysis.schema import validate_orders

from .orders_rows import row, write

REPORTS = Path(__file__).parents[1] / "fixtures" / "readers" / "reports"
XML = REPORTS / "all-orders.xml"

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    "<Header><DocumentVersion>1.00</DocumentVersion></Header>\n"
    "<MessageType>AllOrdersReport</MessageType>\n{messages}</AmazonEnvelope>\n"
)


def order(order_id: str, *, purchase: str = "2025-10-05T10:00:00Z", items: int = 1) -> str:
    item = (
        "<OrderItem><ASIN>B1</ASIN><SKU>{sku}</SKU><ItemStatus>Shipped</ItemStatus>"
        "<Quantity>1</Quantity></OrderItem>\n"
    )
    return (
        f"<Message>\n<Order>\n<AmazonOrderID>{order_id}</AmazonOrderID>\n"
        f"<PurchaseDate>{purchase}</PurchaseDate>\n<OrderStatus>Shipped</OrderStatus>\n"
        "<SalesChannel>Amazon.com</SalesChannel>\n"
        "<FulfillmentData><FulfillmentChannel>Amazon</FulfillmentChannel></FulfillmentData>\n"
        + "".join(item.format(sku=f"S{i}") for i in range(items))
        + "</Order>\n</Message>\n"
    )


def xml_file(tmp_path: Path, body: str, name: str = "o.xml") -> Path:
    path = tmp_path / name
    path.write_text(ENVELOPE.format(messages=body), encoding="utf-8")
    return path


def test_the_fixture_gives_the_items_of_the_flat_report() -> None:
    read = read_xml_orders_file(XML)
    assert read.format == "all_orders_xml"
    assert read.rows.columns == list(ITEM_COLUMNS)
    assert read.rows_read == 5 and read.rows_read == read.rows.height + read.rejects.height
    got = read.rows.select(
        "line", "order_id", "sku", "asin", "quantity", "order_status", "channel", "is_business"
    )
    assert got.rows() == [
        (26, "111-0000021-0000021", "SKU-A", "B000000001", 1, "Shipped", "AFN", False),
        (39, "111-0000021-0000021", "SKU-B", "B000000002", 2, "Shipped", "AFN", False),
        (69, "111-0000022-0000022", "SKU-A", "B000000001", 1, "Cancelled", "MFN", True),
    ]
    # ISO-8859-1 declared by the file, as Amazon writes it; &amp; resolved
    assert read.rows["product_name"][0] == "Test widget & café mug"
    assert read.rows["ship_state"][0] == "FL" and read.rows["ship_country"][2] == "US"
    rejects = read.rejects.sort("line")
    assert rejects.select("line", "column", "outcome").rows() == [
        (79, "OrderItem", "rejected"),
        (100, "sales-channel", "excluded"),
    ]
    assert rejects["reason"].to_list() == [
        "order without any OrderItem: nothing to count",
        MCF_REASON,
    ]


def test_orders_from_xml_collapse_like_orders_from_text() -> None:
    combined = combine_orders([read_xml_orders_file(XML)], "acct")
    validate_orders(combined.orders).collect()
    orders = combined.orders.select("order_id", "order_date", "channel", "units", "order_status")
    assert orders.rows() == [
        ("111-0000021-0000021", dt.date(2025, 10, 5), "AFN", 3, "Shipped"),
        ("111-0000022-0000022", dt.date(2025, 10, 7), "MFN", 1, "Cancelled"),  # 23:30 -07:00
    ]


def test_the_same_item_in_xml_and_flat_reports_counts_once(tmp_path: Path) -> None:
    flat = write(
        tmp_path / "flat.txt",
        [row("111-0000021-0000021", "2025-10-05T20:06:06+00:00", sku="SKU-A")],
        ["amazon-order-id", "purchase-date", "fulfillment-channel", "sales-channel", "sku"],
    )
    flat.write_text(
        "amazon-order-id\tpurchase-date\tlast-updated-date\tfulfillment-channel\t"
        "sales-channel\tsku\tasin\n111-0000021-0000021\t2025-10-05T20:06:06+00:00\t"
        "2025-10-01T00:00:00+00:00\tAmazon\tAmazon.com\tSKU-A\tB000000001\n"
    )
    combined = combine_orders([read_orders_file(flat), read_xml_orders_file(XML)], "acct")
    older = combined.rejects.filter(pl.col("reason").str.starts_with("older copy"))
    assert older.select("file", "line").rows() == [("flat.txt", 2)]  # the XML copy is newer


def test_a_compact_xml_file_numbers_its_items(tmp_path: Path) -> None:
    body = order("111-1", items=2) + order("111-2")
    path = xml_file(tmp_path, body.replace("\n", ""))
    read = read_xml_orders_file(path)
    assert read.rows["line"].to_list() == [1, 2, 3]
    assert any("line numbers are the items' numbers" in n for n in read.notes)


def test_lines_are_the_order_item_tags(tmp_path: Path) -> None:
    read = read_xml_orders_file(xml_file(tmp_path, order("111-1", items=2)))
    assert read.rows["line"].to_list() == [12, 13]
    assert read.notes == ()


def test_checked_like_the_flat_report(tmp_path: Path) -> None:
    body = order("5.80293E+13") + order("111-2", purchase="5/10/2025") + order("111-3")
    read = read_xml_orders_file(xml_file(tmp_path, body))
    assert read.rows["order_id"].to_list() == ["111-3"]
    assert read.rejects["column"].to_list() == ["amazon-order-id", "purchase-date"]
    assert "turned into a number by a spreadsheet" in read.rejects["reason"][0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("<AmazonEnvelope><Message><Order>", "is not well-formed XML"),
        ("<Orders><Order/></Orders>", "line 1: its root element is <Orders>, not <AmazonEnvelope>"),
        (
            "<AmazonEnvelope><MessageType>SettlementReport</MessageType></AmazonEnvelope>",
            "its MessageType is SettlementReport, not AllOrdersReport",
        ),
        ("<AmazonEnvelope><Header/></AmazonEnvelope>", "holds no Order element"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<AmazonEnvelope>&lol2;</AmazonEnvelope>',
            "holds a document type declaration",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<AmazonEnvelope>&x;</AmazonEnvelope>",
            "holds a document type declaration",
        ),
    ],
)
def test_refused_files_name_themselves(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content)
    with pytest.raises(ReportFormatError, match=message) as info:
        read_xml_orders_file(path)
    assert str(info.value).startswith(f"XML orders file '{path}'")
    assert "GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL" in str(info.value)


def test_utf16_xml_with_a_declaration_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text('<!DOCTYPE r [<!ENTITY a "b">]><AmazonEnvelope/>', encoding="utf-16")
    with pytest.raises(ReportFormatError, match="document type declaration"):
        read_xml_orders_file(path)


def test_an_empty_report(tmp_path: Path) -> None:
    read = read_xml_orders_file(xml_file(tmp_path, ""))
    assert read.rows.is_empty() and read.rows_read == 0
