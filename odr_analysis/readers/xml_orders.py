"""Amazon's XML All Orders report (``GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``).

The XML form of the All Orders report (also ``..._BY_LAST_UPDATE_GENERAL``): an
``AmazonEnvelope`` whose ``MessageType`` is ``AllOrdersReport``, one ``Message`` per ``Order``::

    <Order>
      <AmazonOrderID>111-0000001-0000001</AmazonOrderID>
      <PurchaseDate>2025-10-05T10:15:00-07:00</PurchaseDate>
      <LastUpdatedDate>...</LastUpdatedDate>
      <OrderStatus>Shipped</OrderStatus>
      <SalesChannel>Amazon.com</SalesChannel>
      <FulfillmentData>
        <FulfillmentChannel>Amazon</FulfillmentChannel>
        <ShipServiceLevel>Standard</ShipServiceLevel>
        <Address><City/><State/><PostalCode/><Country>US</Country></Address>
      </FulfillmentData>
      <IsBusinessOrder>false</IsBusinessOrder>
      <OrderItem>
        <ASIN/><SKU/><ItemStatus/><ProductName/><Quantity>1</Quantity><ItemPrice>...</ItemPrice>
      </OrderItem>
    </Order>

(structure: airbyte's stream schema for this report and public parser tests holding real
payloads). :func:`read_xml_orders_file` turns each ``OrderItem`` into the row the flat report
would have and checks it exactly as :func:`~odr_analysis.readers.orders.read_orders_file` does
(same rejects, same reasons), so its :class:`~odr_analysis.readers.table.FileRead` (format
``all_orders_xml``) goes to :func:`~odr_analysis.readers.orders.combine_orders` with the flat
reports. An ``Order`` without any ``OrderItem`` is rejected. ``line`` is the physical line of
the ``<OrderItem>`` tag (of the ``<Order>`` tag for an order without items); in an XML file that
is not one element per line, it is the item's number in the file, and a note says so.

Parsed with the standard library's :func:`xml.etree.ElementTree.iterparse` (element by element,
each order freed once read), defused: a file with a document type declaration (``<!DOCTYPE``,
``<!ENTITY``) is refused before parsing (Amazon's reports have none; entity declarations can
expand a small file into gigabytes), and expat (>= 2.4) limits entity amplification anyway. No
new dependency (``defusedxml`` would refuse the same declarations).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from odr_analysis.readers.orders import ORDERS_SPEC, parse_order_items
from odr_analysis.readers.source import Text, read_text
from odr_analysis.readers.table import FileRead, ReportFormatError, TableSpec, rejects_frame

__all__ = ["XML_ORDERS_REPORT", "XML_ORDERS_SPEC", "read_xml_orders_file"]

XML_ORDERS_REPORT: Final = "GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"

XML_ORDERS_SPEC: Final = TableSpec(
    what="XML orders file",
    expected=(
        f"the XML All Orders report ({XML_ORDERS_REPORT}): an AmazonEnvelope of Message "
        "elements, each holding an Order with AmazonOrderID, PurchaseDate, SalesChannel, "
        "FulfillmentData/FulfillmentChannel and OrderItem elements"
    ),
    separator="",
    quote_char=None,
    columns=ORDERS_SPEC.columns,
    required=(),
)
"""How messages about the XML orders report are worded (its columns are the flat report's)."""

# Order-level fields: column -> path below <Order>; item-level: column -> path below <OrderItem>.
_ORDER_FIELDS: Final = {
    "order_id": "AmazonOrderID",
    "purchase_date": "PurchaseDate",
    "last_updated": "LastUpdatedDate",
    "order_status": "OrderStatus",
    "sales_channel": "SalesChannel",
    "fulfillment_channel": "FulfillmentData/FulfillmentChannel",
    "ship_service_level": "FulfillmentData/ShipServiceLevel",
    "ship_state": "FulfillmentData/Address/State",
    "ship_country": "FulfillmentData/Address/Country",
    "is_business": "IsBusinessOrder",
}
_ITEM_FIELDS: Final = {
    "sku": "SKU",
    "asin": "ASIN",
    "product_name": "ProductName",
    "item_status": "ItemStatus",
    "quantity": "Quantity",
}
_TAGS: Final = re.compile(rb"<(?:[\w.-]+:)?(Order|OrderItem)[\s/>]")
_DECLARATIONS: Final = (b"<!DOCTYPE", b"<!ENTITY")


def _xml_source(source: Path | Text) -> Text:
    """The file as UTF-8 text (gzip and the encoding decided by :mod:`~odr_analysis.readers.source`;
    the XML declaration's own encoding is then overridden: the bytes are UTF-8 by now)."""
    return source if isinstance(source, Text) else read_text(source)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ET.Element, path: str) -> str | None:
    """The text at ``path`` (names without namespaces) below ``element``, stripped; ``None``
    when absent."""
    node: ET.Element | None = element
    for name in path.split("/"):
        node = next((c for c in node if _local(c.tag) == name), None) if node is not None else None
    if node is None:
        return None
    return (node.text or "").strip()


def _error(where: str, problem: str, line: int | None = None) -> ReportFormatError:
    head = f"XML orders file '{where}'" + (f", line {line}" if line is not None else "")
    return ReportFormatError(
        f"{head}: {problem}; expected {XML_ORDERS_SPEC.expected}", file=where, line=line
    )


def _elements(data: bytes, encoding: str | None, where: str) -> Iterator[tuple[str, ET.Element]]:
    """``start``/``end`` events of the document, errors naming the file and line."""
    parser = ET.XMLParser(encoding=encoding)
    try:
        yield from ET.iterparse(io.BytesIO(data), events=("start", "end"), parser=parser)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise _error(where, f"is not well-formed XML ({exc})", line) from None


def read_xml_orders_file(path: str | Path | Text, *, file: str | None = None) -> FileRead:
    """Read one XML All Orders report into order items (format ``all_orders_xml``) and rejects.

    ``rows`` has the columns of the flat report's items
    (:data:`~odr_analysis.readers.orders.ITEM_COLUMNS`). Raises
    :class:`~odr_analysis.readers.table.ReportFormatError` naming the file for a file that is
    not such a report: not well-formed XML (with the line), a document type declaration, a root
    other than ``AmazonEnvelope``, no ``Order`` at all while its messages hold something else.
    """
    text = _xml_source(path if isinstance(path, Text) else Path(path))
    file = text.path.name if file is None else file
    where = str(text.path)
    data, encoding = text.data, "utf-8"
    if not data.strip():
        raise _error(where, "is empty")
    visible = data.replace(b"\x00", b"")  # UTF-16 text shows its ASCII this way
    if any(d in visible for d in _DECLARATIONS):
        raise _error(
            where,
            "holds a document type declaration (<!DOCTYPE or <!ENTITY): Amazon's XML reports "
            "have none, and entity declarations can expand a small file into gigabytes; refused",
        )

    parsed = _parse(data, encoding, where)
    kinds, rows_of, has_item, columns = (
        parsed.kinds,
        parsed.rows_of,
        parsed.has_item,
        parsed.columns,
    )
    lines, positional = _lines(data, kinds, rows_of)
    frame = pl.DataFrame(
        {
            "line": lines,
            **{c: pl.Series(c, columns.get(c, [None] * len(lines)), pl.String) for c in _COLUMNS},
            "_has_item": has_item,
        },
        schema_overrides={"line": pl.Int64, "_has_item": pl.Boolean},
    )
    itemless = frame.filter(~pl.col("_has_item"))
    notes = []
    if positional:
        notes.append(
            "the XML is not written one element per line: line numbers are the items' "
            "numbers in the file"
        )
    read = parse_order_items(
        frame.filter("_has_item").drop("_has_item"),
        file=file,
        where=where,
        rows_read=frame.height,
        rejects=rejects_frame(
            itemless.select(
                file=pl.lit(file),
                line="line",
                order_id=pl.when(pl.col("order_id") != "").then("order_id"),
                column=pl.lit("OrderItem"),
                value=pl.lit(None, pl.String),
                reason=pl.lit("order without any OrderItem: nothing to count"),
                outcome=pl.lit("rejected"),
            )
        ),
        notes=notes,
        format="all_orders_xml",
        spec=XML_ORDERS_SPEC,
    )
    return read


@dataclass
class _Parsed:
    """What the parse collects: the text of each row's columns, the ``Order``/``OrderItem``
    start tags in document order, each row's tag (an index into ``kinds``) and whether the row
    is an item (else an order without items)."""

    columns: dict[str, list[str | None]] = field(
        default_factory=lambda: {c: [] for c in (*_ORDER_FIELDS, *_ITEM_FIELDS)}
    )
    kinds: list[str] = field(default_factory=list)
    rows_of: list[int] = field(default_factory=list)
    has_item: list[bool] = field(default_factory=list)

    def add_order(self, element: ET.Element, order_tag: int, item_tags: list[int]) -> None:
        order = {c: _find(element, p) for c, p in _ORDER_FIELDS.items()}
        items: list[ET.Element | None] = [c for c in element if _local(c.tag) == "OrderItem"]
        tags = item_tags if len(item_tags) == len(items) else [order_tag] * len(items)
        if not items:
            items, tags = [None], [order_tag]
        for tag, item in zip(tags, items, strict=True):
            for column, value in order.items():
                self.columns[column].append(value)
            for column, p in _ITEM_FIELDS.items():
                self.columns[column].append(None if item is None else _find(item, p))
            self.rows_of.append(tag)
            self.has_item.append(item is not None)


def _parse(data: bytes, encoding: str | None, where: str) -> _Parsed:
    """Walk the document once, order by order (each freed once read)."""
    parsed = _Parsed()
    kinds = parsed.kinds
    order_tag, item_tags = 0, list[int]()
    root: str | None = None
    messages: set[str] = set()
    for event, element in _elements(data, encoding, where):
        name = _local(element.tag)
        if event == "start":
            if root is None:
                root = name
                if root != "AmazonEnvelope":
                    raise _error(where, f"its root element is <{root}>, not <AmazonEnvelope>", 1)
            if name == "Order":
                order_tag, item_tags = len(kinds), []
            elif name == "OrderItem":
                item_tags.append(len(kinds))
            if name in ("Order", "OrderItem"):
                kinds.append(name)
        elif name == "MessageType":
            messages.add((element.text or "").strip())
        elif name == "Order":
            parsed.add_order(element, order_tag, item_tags)
            element.clear()
        elif name == "Message":
            element.clear()
    if messages - {"AllOrdersReport"}:
        raise _error(
            where,
            f"its MessageType is {', '.join(sorted(messages))}, not AllOrdersReport (another "
            "XML report)",
        )
    if not kinds and "AllOrdersReport" not in messages:
        raise _error(where, "holds no Order element")
    return parsed


_COLUMNS: Final = tuple(ORDERS_SPEC.columns)


def _lines(data: bytes, kinds: list[str], rows_of: list[int]) -> tuple[list[int], bool]:
    """Each row's line: the physical line of its tag when the tags found in the bytes are the
    parsed ones and every row has a line of its own; else the row's number (and ``True``)."""
    found = list(_TAGS.finditer(data))
    if [m.group(1).decode() for m in found] == kinds:
        newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
        starts = np.array([m.start() for m in found], dtype=np.int64)
        tag_lines = np.searchsorted(newlines, starts, side="right") + 1
        lines = [int(tag_lines[t]) for t in rows_of]
        if len(set(lines)) == len(lines):
            return lines, False
    return list(range(1, len(rows_of) + 1)), True
