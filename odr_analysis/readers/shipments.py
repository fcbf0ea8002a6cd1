"""Amazon's FBA shipments report (``GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL``), read as orders.

Tab-separated, one row per *shipment item*: an order item shipped in two boxes is two rows (same
``amazon-order-item-id``, two ``shipment-item-id`` values). The report holds FBA (AFN) orders
that shipped, and nothing else: no cancelled or unshipped orders, no seller-fulfilled orders,
no ``order-status``, no ``asin``. The rate computed from it alone is therefore over-stated (its
denominator lacks the cancelled orders the All Orders report counts); every file read says so
in its notes (:data:`SHIPMENTS_NOTE`). Download the All Orders report when you can: when both
are in a folder, :func:`~odr_analysis.readers.orders.combine_orders` reads each order from the
All Orders report and excludes its shipment rows.

:func:`read_shipments_file` returns the same items as
:func:`~odr_analysis.readers.orders.read_orders_file` (channel ``AFN``, ``order_status`` null,
``quantity`` from ``quantity-shipped``, ``last_updated`` the item's latest ``shipment-date``),
one row per order item:

* a row identical to an earlier one (the same shipment item twice) is excluded as a duplicate;
* the shipments of one order item (same ``amazon-order-id`` and ``amazon-order-item-id``; the
  sku when the report has no item id) are merged into its first row, their ``quantity-shipped``
  added up; the other rows are excluded with the line they were merged into;
* every row is checked as an orders row is (order id, purchase date, channel, sales channel)
  before it is merged, so a bad row is rejected on its own line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers.orders import ITEM_COLUMNS, _iso_timestamp, parse_order_items
from odr_analysis.readers.source import Text
from odr_analysis.readers.table import (
    FileRead,
    TableSpec,
    duplicate_rows,
    read_table,
    rejects_frame,
)

__all__ = ["SHIPMENTS_NOTE", "SHIPMENTS_REPORT", "SHIPMENTS_SPEC", "read_shipments_file"]

SHIPMENTS_REPORT: Final = "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"
SHIPMENTS_NOTE: Final = (
    "the FBA shipments report has no cancelled orders: the rate from it alone is over-stated; "
    "download the All Orders report"
)
"""The note every FBA shipments file gets (its ingest note, on the account)."""

SHIPMENTS_SPEC: Final = TableSpec(
    what="FBA shipments file",
    expected=(
        f"the FBA Amazon Fulfilled Shipments report ({SHIPMENTS_REPORT}), tab-separated text, "
        "one row per shipment item, with the columns amazon-order-id, shipment-id, "
        "shipment-item-id, purchase-date and sales-channel (and optionally "
        "amazon-order-item-id, shipment-date, sku, quantity-shipped, fulfillment-channel, ...)"
    ),
    separator="\t",
    quote_char=None,
    columns={
        "order_id": ("amazon-order-id",),
        "order_item_id": ("amazon-order-item-id",),
        "shipment_id": ("shipment-id",),
        "shipment_item_id": ("shipment-item-id",),
        "purchase_date": ("purchase-date",),
        "shipment_date": ("shipment-date",),
        "sku": ("sku",),
        "product_name": ("product-name",),
        "quantity_shipped": ("quantity-shipped",),
        "ship_service_level": ("ship-service-level",),
        "ship_state": ("ship-state",),
        "ship_country": ("ship-country",),
        "fulfillment_channel": ("fulfillment-channel",),
        "sales_channel": ("sales-channel",),
    },
    required=("order_id", "shipment_id", "shipment_item_id", "purchase_date", "sales_channel"),
    header=(
        "amazon-order-id",
        "merchant-order-id",
        "shipment-id",
        "shipment-item-id",
        "amazon-order-item-id",
        "merchant-order-item-id",
        "purchase-date",
        "payments-date",
        "shipment-date",
        "reporting-date",
        "buyer-email",
        "buyer-name",
        "buyer-phone-number",
        "sku",
        "product-name",
        "quantity-shipped",
        "currency",
        "item-price",
        "item-tax",
        "shipping-price",
        "shipping-tax",
        "gift-wrap-price",
        "gift-wrap-tax",
        "ship-service-level",
        "recipient-name",
        "ship-address-1",
        "ship-address-2",
        "ship-address-3",
        "ship-city",
        "ship-state",
        "ship-postal-code",
        "ship-country",
        "ship-phone-number",
        "bill-address-1",
        "bill-address-2",
        "bill-address-3",
        "bill-city",
        "bill-state",
        "bill-postal-code",
        "bill-country",
        "item-promotion-discount",
        "ship-promotion-discount",
        "carrier",
        "tracking-number",
        "estimated-arrival-date",
        "fulfillment-center-id",
        "fulfillment-channel",
        "sales-channel",
    ),
)
"""The FBA shipments report: the columns read and Amazon's 48-column header (airbyte's
``GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL.csv`` test fixture). Buyer names, e-mails, phone
numbers and addresses are never read."""

_NULL: Final = pl.lit(None, pl.String)


def read_shipments_file(path: str | Path | Text, *, file: str | None = None) -> FileRead:
    """Read one FBA shipments report into order items (format ``fba_shipments``) and rejects.

    ``rows`` has the columns of :data:`~odr_analysis.readers.orders.ITEM_COLUMNS`, one row per
    order item; see the module docstring for what is merged, excluded and rejected. The notes
    start with :data:`SHIPMENTS_NOTE`.
    """
    raw = read_table(path, SHIPMENTS_SPEC, file=file)
    file = raw.file
    fulfillment = (
        pl.col("fulfillment_channel")
        if "fulfillment_channel" in raw.present
        else pl.lit("AFN")  # the report is FBA-only: a file without the column is AFN
    )
    rows = raw.rows.with_columns(file=pl.lit(file))
    repeated = duplicate_rows(
        rows, [c for c in SHIPMENTS_SPEC.columns if c != "line"], order=("line",)
    )
    if repeated.height:
        rows = rows.join(repeated.select("line"), on="line", how="anti", maintain_order="left")
    as_orders = rows.select(
        "line",
        order_id="order_id",
        purchase_date="purchase_date",
        fulfillment_channel=fulfillment,
        sales_channel="sales_channel",
        last_updated="shipment_date",
        order_status=_NULL,
        ship_service_level="ship_service_level",
        sku="sku",
        asin=_NULL,
        product_name="product_name",
        item_status=_NULL,
        quantity="quantity_shipped",
        ship_state="ship_state",
        ship_country="ship_country",
        is_business=_NULL,
        _item=pl.when(pl.col("order_item_id").str.strip_chars() != "")
        .then(pl.col("order_item_id").str.strip_chars())
        .otherwise(pl.lit("sku ") + pl.col("sku").fill_null("")),
    )
    parsed = parse_order_items(
        as_orders,
        file=file,
        where=str(raw.path),
        rows_read=raw.rows_read,
        rejects=raw.rejects,
        notes=[SHIPMENTS_NOTE, *raw.notes]
        + ([f"{raw.blank_lines} blank line(s) skipped"] if raw.blank_lines else []),
        format="fba_shipments",
        spec=SHIPMENTS_SPEC,
        extra=("_item",),
    )
    items, merged, merged_items = _merge_shipments(parsed.rows)
    rejects = [
        parsed.rejects,
        rejects_frame(
            repeated.select(
                "file",
                "line",
                "order_id",
                column=pl.lit("shipment-item-id"),
                value="shipment_item_id",
                reason="_reason",
                outcome=pl.lit("excluded"),
            )
        ),
        merged,
    ]
    notes = list(parsed.notes)
    if merged.height:
        notes.append(
            f"{merged.height} shipment row(s) merged into {merged_items} order item(s) shipped "
            "in several shipments (quantity-shipped added up)"
        )
    return FileRead(
        file,
        "fba_shipments",
        items,
        pl.concat([rejects_frame(r) for r in rejects]),
        raw.rows_read,
        tuple(notes),
    )


def _merge_shipments(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """One row per order item (its first shipment row, quantities added up, the latest
    shipment date as ``last_updated``), the rejects (excluded) for the other rows, and the
    number of items that had several rows."""
    key = ["order_id", "_item"]
    ranked = rows.with_columns(
        _rank=pl.int_range(pl.len()).over(key),
        _first_line=pl.col("line").min().over(key),
        _units=pl.when(pl.col("quantity").is_not_null().any().over(key)).then(
            pl.col("quantity").sum().over(key)
        ),
        _latest=pl.col("last_updated")
        .sort_by(_iso_timestamp("last_updated"), nulls_last=False)
        .last()
        .over(key),
    )
    if ranked.select((pl.col("_rank") > 0).any()).item() is not True:
        return rows.select(ITEM_COLUMNS), rejects_frame(), 0
    kept = ranked.filter(pl.col("_rank") == 0).with_columns(
        quantity="_units", last_updated="_latest"
    )
    merged = ranked.filter(pl.col("_rank") > 0)
    rejects = rejects_frame(
        merged.select(
            "file",
            "line",
            "order_id",
            column=pl.lit("amazon-order-item-id"),
            value="_item",
            reason=pl.format(
                "another shipment of the order item at line {}: merged there (quantity-shipped "
                "added up)",
                "_first_line",
            ),
            outcome=pl.lit("excluded"),
        )
    )
    return kept.select(ITEM_COLUMNS), rejects, merged.select(key).n_unique()
