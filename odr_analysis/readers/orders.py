"""Amazon's All Orders report (``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``).

Tab-separated, one row per order *item*, UTF-8. Columns are found by header name, never by
position: added, missing (optional) and reordered columns, a UTF-8 byte-order mark, CRLF line
ends and empty trailing columns are all fine. Quotes are not special (product names contain
them).

:func:`read_orders_file` reads one file into *items* (one row per kept item, with its file and
line) and a rejects table; :func:`combine_orders` merges the items of every orders file of an
account (dropping rows repeated by overlapping exports) and collapses them to the canonical
``orders`` frame (:mod:`odr_analysis.schema`):

* ``order_date`` is the UTC date of ``purchase-date`` (ISO 8601 with an offset):
  ``2025-11-30T20:30:00-08:00`` is 2025-12-01 04:30 UTC, so its order date is 2025-12-01;
* ``fulfillment-channel`` ``Amazon`` is ``AFN``, ``Merchant`` is ``MFN``; an order whose items
  disagree is ``MFN`` (odr-domain.md Q8) and its items' earliest ``purchase-date`` wins; both
  are counted in the file's ingest note;
* ``sales-channel`` ``Non-Amazon`` rows are Multi-Channel Fulfillment orders: not Amazon orders,
  excluded with that reason;
* ``Cancelled`` and ``Pending`` orders are kept (:class:`~odr_analysis.rules.OdrRules` decides).

Every data line ends up in exactly one place: kept (an item), excluded (MCF, a repeated row) or
rejected (a value that cannot be read, a line with the wrong number of fields), the last two
in the rejects table with the file, the physical line number (header = line 1) and the reason.
A file that is not such a report at all raises
:class:`~odr_analysis.readers.table.ReportFormatError` naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers.marketplaces import MARKETPLACES
from odr_analysis.readers.reports import ARCHIVED_ORDERS, recognise
from odr_analysis.readers.source import Text, first_line
from odr_analysis.readers.table import (
    Check,
    FileRead,
    TableSpec,
    duplicate_rows,
    format_error,
    read_table,
    rejects_frame,
    split_checked,
)

__all__ = [
    "ALL_ORDERS_REPORT",
    "EXCEL_NUMBER",
    "ITEMS_SCHEMA",
    "ITEM_COLUMNS",
    "MCF_REASON",
    "ORDERS_FORMATS",
    "ORDERS_FRAME_SCHEMA",
    "ORDERS_SPEC",
    "ORDER_STATUSES",
    "CombinedOrders",
    "combine_orders",
    "parse_order_items",
    "read_orders_file",
]

ALL_ORDERS_REPORT: Final = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
ORDERS_FORMATS: Final = ("all_orders", "all_orders_xml")
"""The :attr:`FileRead.format` of reads that hold every order (the All Orders report, flat or
XML); ``fba_shipments`` reads hold shipped FBA orders only."""
MCF_REASON: Final = "MCF order (sales-channel Non-Amazon): not an Amazon order, not in ODR"

_ORDER_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "order_id": ("amazon-order-id",),
    "purchase_date": ("purchase-date",),
    "fulfillment_channel": ("fulfillment-channel",),
    "sales_channel": ("sales-channel",),
    "last_updated": ("last-updated-date",),
    "order_status": ("order-status",),
    "ship_service_level": ("ship-service-level",),
    "sku": ("sku",),
    "asin": ("asin",),
    "product_name": ("product-name",),
    "item_status": ("item-status",),
    "quantity": ("quantity", "quantity-purchased"),
    "ship_state": ("ship-state",),
    "ship_country": ("ship-country",),
    "is_business": ("is-business-order",),
}
ORDERS_SPEC: Final = TableSpec(
    what="orders file",
    expected=(
        f"the All Orders report ({ALL_ORDERS_REPORT}), tab-separated text, one row per "
        "order item, with the columns amazon-order-id, purchase-date, fulfillment-channel and "
        "sales-channel (and optionally last-updated-date, order-status, ship-service-level, sku, "
        "asin, quantity, ship-state, ship-country, is-business-order, ...)"
    ),
    separator="\t",
    quote_char=None,
    columns=_ORDER_COLUMNS,
    required=("order_id", "purchase_date", "fulfillment_channel", "sales_channel"),
    header=(
        "amazon-order-id",
        "merchant-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
        "fulfillment-channel",
        "sales-channel",
        "order-channel",
        "url",
        "ship-service-level",
        "product-name",
        "sku",
        "asin",
        "item-status",
        "quantity",
        "currency",
        "item-price",
        "item-tax",
        "shipping-price",
        "shipping-tax",
        "gift-wrap-price",
        "gift-wrap-tax",
        "item-promotion-discount",
        "ship-promotion-discount",
        "ship-city",
        "ship-state",
        "ship-postal-code",
        "ship-country",
        "promotion-ids",
        "is-business-order",
        "purchase-order-number",
        "price-designation",
    ),
)
"""The All Orders report: the columns read (``columns``) and Amazon's 32-column header."""

_CHANNELS: Final = {"amazon": "AFN", "merchant": "MFN", "afn": "AFN", "mfn": "MFN"}
_BOOLEANS: Final = {"true": True, "false": False}

ITEMS_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "order_id": pl.String(),
        "marketplace": pl.String(),
        "channel": pl.String(),
        "purchase_ts": pl.Datetime("us", "UTC"),
        "order_status": pl.String(),
        "item_status": pl.String(),
        "sku": pl.String(),
        "asin": pl.String(),
        "product_name": pl.String(),
        "quantity": pl.Int64(),
        "ship_service_level": pl.String(),
        "ship_country": pl.String(),
        "ship_state": pl.String(),
        "is_business": pl.Boolean(),
        "file": pl.String(),
        "line": pl.Int64(),
    }
)
"""Columns of the items frame: one row per kept order item, ``channel`` being the item's own."""

ORDERS_FRAME_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "marketplace": pl.String(),
        "order_id": pl.String(),
        "order_date": pl.Date(),
        "channel": pl.String(),
        "order_status": pl.String(),
        "is_business": pl.Boolean(),
        "ship_service_level": pl.String(),
        "ship_country": pl.String(),
        "ship_state": pl.String(),
        "purchase_ts": pl.Datetime("us", "UTC"),
        "item_count": pl.Int64(),
        "units": pl.Int64(),
    }
)
"""Columns of the ``orders`` frame the readers return: the canonical ones and a few more."""


def _map_values(
    frame: pl.DataFrame, column: str, mapping: Mapping[str, object], dtype: pl.DataType
) -> pl.Expr:
    """``column`` mapped through ``mapping`` after trimming and lower-casing; null if unknown.

    The normalisation runs once per distinct value (a handful), not once per row.
    """
    distinct = frame.get_column(column).unique().drop_nulls().to_list()
    lookup = {v: mapping.get(v.strip().lower()) for v in distinct}
    return pl.col(column).replace_strict(lookup, default=None, return_dtype=dtype)


def _iso_timestamp(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .str.strip_chars()
        .str.to_datetime("%+", strict=False, time_unit="us", time_zone="UTC")
    )


def read_orders_file(path: str | Path | Text, *, file: str | None = None) -> FileRead:
    """Read one All Orders report into items (one row per kept item line) and rejects.

    ``rows`` holds the raw text columns plus the parsed ``order_id``, ``marketplace``,
    ``channel`` (AFN/MFN), ``purchase_ts`` (UTC), ``quantity``,
    ``is_business``, ``file`` and ``line``. Rejected: an empty ``amazon-order-id``, an order id
    destroyed by a spreadsheet (``5.80293E+13``), a ``purchase-date`` that is not ISO 8601 with
    an offset, an unknown ``fulfillment-channel``, an empty ``sales-channel`` or one that is no
    Amazon marketplace, an ``is-business-order`` other than true/false. Excluded: MCF rows
    (``sales-channel`` ``Non-Amazon``). Raises :class:`ReportFormatError` when most purchase
    dates cannot be read (the file is not what it seems).

    The archived orders report (``GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE``) and the
    All Orders report by last update are read the same way; the archived one (recognised by
    its header) gets a note saying so. The two All Orders reports (by order date, by last
    update) have the same columns: a file cannot tell which one it is, and needs not.
    """
    raw = read_table(path, ORDERS_SPEC, file=file)
    notes = list(raw.notes)
    first = path.first_line if isinstance(path, Text) else first_line(raw.path)[0]
    if recognise(first, first) is ARCHIVED_ORDERS:
        notes.append(ARCHIVED_ORDERS.note)
    if raw.blank_lines:
        notes.append(f"{raw.blank_lines} blank line(s) skipped")
    return parse_order_items(
        raw.rows,
        file=raw.file,
        where=str(raw.path),
        rows_read=raw.rows_read,
        rejects=raw.rejects,
        notes=notes,
        format="all_orders",
        spec=ORDERS_SPEC,
    )


ORDER_STATUSES: Final = (
    "Pending",
    "PendingAvailability",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "Shipping",
    "Cancelled",
    "Canceled",
    "InvoiceUnconfirmed",
    "Unfulfillable",
)
"""Amazon's order-status wordings (All Orders report, Orders API); one written in another
letter case (``shipped``) is read as the wording here, with a note."""

EXCEL_NUMBER: Final = r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$"
"""An id a spreadsheet turned into a number shown in scientific notation (``5.80293E+13``)."""

ITEM_COLUMNS: Final = (
    "line",
    *_ORDER_COLUMNS,
    "marketplace",
    "channel",
    "purchase_ts",
    "file",
)
"""The columns of the rows of every orders reader's :class:`FileRead` (what
:func:`combine_orders` reads): ``line``, the raw text columns of :data:`ORDERS_SPEC` (with
``order_id``, ``order_status``, ``quantity`` and ``is_business`` parsed) and the parsed
``marketplace``, ``channel``, ``purchase_ts``, ``file``."""


def _note_rewordings(
    frame: pl.DataFrame, raw: str, lookup: Mapping[str, str | None], column: str
) -> list[str]:
    """A note for the values of ``raw`` that ``lookup`` reads as another wording (not just
    trimmed): the rows are counted only when there are such values (rarely)."""
    changed = {v: w for v, w in lookup.items() if w is not None and w != v.strip()}
    if not changed:
        return []
    counts = frame.filter(pl.col(raw).is_in(list(changed))).group_by(raw).agg(n=pl.len()).sort(raw)
    if counts.is_empty():
        return []
    shown = ", ".join(f"{v!r} as {changed[v]}" for v in counts.head(6)[raw])
    more = " ..." if counts.height > 6 else ""
    return [
        f"{int(counts['n'].sum())} row(s) whose {column} is written in another letter case: "
        f"read {shown}{more}"
    ]


def _marketplace_note(good: pl.DataFrame, names: Mapping[str, str | None]) -> list[str]:
    """A note naming every marketplace of a file that holds several (and where each starts).

    ``names`` maps the file's distinct sales-channel values to the names read: the rows are
    only grouped when they name several marketplaces."""
    if len({n for n in names.values() if n}) < 2:
        return []
    counts = (
        good.group_by("marketplace")
        .agg(n=pl.len(), first=pl.col("line").min())
        .sort("n", "marketplace", descending=[True, False])
    )
    if counts.height < 2:
        return []
    parts = [f"{m} {n} row(s) from line {first}" for m, n, first in counts.iter_rows()]
    return ["rows of several marketplaces: " + "; ".join(parts)]


def parse_order_items(
    rows: pl.DataFrame,
    *,
    file: str,
    where: str,
    rows_read: int,
    rejects: pl.DataFrame | None = None,
    notes: Sequence[str] = (),
    format: str = "all_orders",
    spec: TableSpec = ORDERS_SPEC,
    extra: Sequence[str] = (),
) -> FileRead:
    """Check and parse order item rows read from any orders report (the shared part of every
    orders reader: the All Orders report, its XML form, the FBA shipments report).

    ``rows`` holds ``line`` and every column of :data:`ORDERS_SPEC` (``String``, null when the
    report lacks it); ``rejects`` the rows its reader already rejected. ``spec`` words the
    errors (``spec.what`` and ``spec.expected``). Returns the :class:`FileRead` that
    :func:`combine_orders` merges; its rows keep the columns ``extra`` of ``rows`` too (a reader
    that needs them drops them before :func:`combine_orders`).
    """
    known = {m.name.lower(): m.name for m in MARKETPLACES.values()}
    channels = rows["sales_channel"].unique().drop_nulls().to_list()
    statuses = rows["order_status"].unique().drop_nulls().to_list()
    canonical_status = {s.lower(): s for s in ORDER_STATUSES}
    market_names = {v: known.get(v.strip().lower(), v.strip()) for v in channels}
    status_names = {v: canonical_status.get(v.strip().lower(), v) for v in statuses}
    parsed = rows.with_columns(
        order_id=pl.col("order_id").str.strip_chars(),
        sales_channel_raw=pl.col("sales_channel"),
        marketplace=pl.col("sales_channel").replace_strict(
            market_names, default=None, return_dtype=pl.String
        ),
        order_status_raw=pl.col("order_status"),
        order_status=pl.col("order_status").replace_strict(
            status_names, default=None, return_dtype=pl.String
        ),
        channel=_map_values(rows, "fulfillment_channel", _CHANNELS, pl.String()),
        purchase_ts=_iso_timestamp("purchase_date"),
        quantity=pl.col("quantity").str.strip_chars().cast(pl.Int64, strict=False),
        is_business_raw=pl.col("is_business"),
        is_business=_map_values(rows, "is_business", _BOOLEANS, pl.Boolean()),
        file=pl.lit(file),
    )
    is_mcf = pl.col("marketplace").str.to_lowercase() == "non-amazon"
    checks = [
        Check(
            pl.col("order_id").is_null() | (pl.col("order_id") == ""),
            "amazon-order-id",
            pl.col("order_id"),
            pl.lit("empty amazon-order-id"),
        ),
        Check(
            pl.col("order_id").str.contains(EXCEL_NUMBER),
            "amazon-order-id",
            pl.col("order_id"),
            pl.format(
                "amazon-order-id '{}' was turned into a number by a spreadsheet (Excel shows "
                "long numbers like 5.80293E+13 and drops their last digits): the order cannot "
                "be identified; download the report again and do not open it in Excel "
                "(or import the column as text)",
                pl.col("order_id"),
            ),
        ),
        Check(
            pl.col("purchase_ts").is_null(),
            "purchase-date",
            pl.col("purchase_date"),
            pl.format(
                "purchase-date '{}' is not an ISO 8601 date-time with a UTC offset "
                "(like 2025-11-30T20:30:00-08:00)",
                pl.col("purchase_date"),
            ),
        ),
        Check(
            pl.col("channel").is_null(),
            "fulfillment-channel",
            pl.col("fulfillment_channel"),
            pl.format(
                "unknown fulfillment-channel '{}'; accepted: Amazon (AFN), Merchant (MFN)",
                pl.col("fulfillment_channel"),
            ),
        ),
        Check(
            pl.col("marketplace").is_null() | (pl.col("marketplace") == ""),
            "sales-channel",
            pl.col("sales_channel"),
            pl.lit("empty sales-channel (the marketplace, e.g. Amazon.com)"),
        ),
        Check(
            ~pl.col("marketplace").is_in(list(known.values())) & ~is_mcf,
            "sales-channel",
            pl.col("sales_channel"),
            pl.format(
                "sales-channel '{}' is neither an Amazon marketplace odr-analysis knows "
                "(Amazon.com, Amazon.co.uk, Amazon.de, ...: odr_analysis.readers.marketplaces) "
                "nor Non-Amazon (an MCF order): a typo, or a row of another report?",
                pl.col("sales_channel"),
            ),
        ),
        Check(
            pl.col("is_business").is_null()
            & (pl.col("is_business_raw").str.strip_chars().str.len_bytes() > 0),
            "is-business-order",
            pl.col("is_business_raw"),
            pl.format("is-business-order '{}' is neither true nor false", "is_business_raw"),
        ),
    ]
    # MCF rows are excluded whatever else they hold: they are not Amazon orders.
    flags = parsed.select(
        mcf=is_mcf.fill_null(False),
        failed=pl.any_horizontal(c.failed.fill_null(False) for c in checks),
    )
    mcf, failed = flags["mcf"], flags["failed"] & ~flags["mcf"]
    good, excluded, bad = parsed, parsed.clear(), rejects_frame()
    if mcf.any() or failed.any():  # one pass over the big frame, small ones for the rest
        good, excluded = parsed.filter(~(mcf | failed)), parsed.filter(mcf)
        bad = split_checked(parsed.filter(failed), checks)[1]
    _check_mostly_readable(parsed.height - excluded.height, bad, where, spec)
    all_rejects = pl.concat(
        [
            rejects_frame() if rejects is None else rejects_frame(rejects),
            rejects_frame(
                excluded.select(
                    "file",
                    "line",
                    "order_id",
                    column=pl.lit("sales-channel"),
                    value=pl.col("sales_channel"),
                    reason=pl.lit(MCF_REASON),
                    outcome=pl.lit("excluded"),
                )
            ),
            bad,
        ]
    )
    read_notes = [
        *notes,
        *_note_rewordings(good, "order_status_raw", status_names, "order-status"),
        *_note_rewordings(good, "sales_channel_raw", market_names, "sales-channel"),
        *_marketplace_note(good, market_names),
    ]
    good = good.select(*ITEM_COLUMNS, *extra)
    return FileRead(file, format, good, all_rejects, rows_read, tuple(read_notes))


def _check_mostly_readable(
    rows: int, rejects: pl.DataFrame, where: str, spec: TableSpec = ORDERS_SPEC
) -> None:
    """Raise when most purchase dates fail: the file is not an orders report as expected."""
    failed = rejects.filter(pl.col("column") == "purchase-date")
    if rows and failed.height * 2 > rows:
        first = failed.row(0, named=True)
        raise format_error(
            spec,
            where,
            f"{failed.height} of {rows} purchase-date values are not ISO 8601 date-times "
            f"with a UTC offset (e.g. {first['value']!r}); the report's dates look like "
            "2025-11-30T20:30:00-08:00",
            line=int(first["line"]),
            column="purchase-date",
        )


@dataclass(frozen=True)
class CombinedOrders:
    """The orders files of one account, merged: ``orders`` (:data:`ORDERS_FRAME_SCHEMA`),
    ``items`` (:data:`ITEMS_SCHEMA`), ``rejects`` (every file's, plus repeated rows) and per
    file the ``kept`` item count and ``notes``."""

    orders: pl.DataFrame
    items: pl.DataFrame
    rejects: pl.DataFrame
    kept: Mapping[str, int]
    notes: Mapping[str, tuple[str, ...]]


# Columns compared to decide that a row repeats an earlier one ("identical rows").
_ROW_COLUMNS: Final = tuple(_ORDER_COLUMNS)
_ITEM_KEY: Final = ("order_id", "sku", "asin")
_NEVER: Final = pl.datetime(1, 1, 1, time_zone="UTC")


def combine_orders(reads: Sequence[FileRead], account: str) -> CombinedOrders:
    """Merge the items of an account's orders files and collapse them to one row per order.

    * A row identical to an earlier one (same file or another; every column read compared) is
      excluded: ``duplicate row (already read from <file> line <n>)``.
    * The same order item in two files (overlapping exports: same order id, sku and asin, the
      n-th such item of each file) counts once: the copy with the latest ``last-updated-date``
      is kept (the first read on a tie), the other is excluded. Two exports joined into one
      file count as two files: rows of one item with different ``last-updated-date`` values
      are copies, whichever file they are in (same rule, same reason).
    * Different items of one order spread over several files are merged into that order.
    * An FBA shipments report's rows (``format`` ``fba_shipments``) for an order that an All
      Orders report (flat or XML) also holds are excluded: that report has the order's status
      and all its items.

    The order takes its marketplace and shipping details from its first item, the earliest
    ``purchase-date``, ``MFN`` when any item is seller-fulfilled, the ``order-status`` of its
    most recently updated item, ``is_business`` if any item says so, ``item_count`` (rows) and
    ``units`` (sum of ``quantity``). Orders come in the order they first appear in the files.
    """
    if not reads:
        return CombinedOrders(
            orders=pl.DataFrame(schema=ORDERS_FRAME_SCHEMA),
            items=pl.DataFrame(schema=ITEMS_SCHEMA),
            rejects=rejects_frame(),
            kept={},
            notes={},
        )
    files = [r.file for r in reads]
    rows = pl.concat(
        [
            r.rows.with_columns(_file_index=pl.lit(i, pl.Int32), _format=pl.lit(r.format))
            for i, r in enumerate(reads)
        ]
    ).with_columns(account=pl.lit(account))
    covered = _covered_shipments(rows)
    if covered.height:
        rows = rows.join(covered, on=["_file_index", "line"], how="anti", maintain_order="left")
    repeated = pl.concat([covered, _repeated_items(rows)])
    if repeated.height:
        rows = rows.join(repeated, on=["_file_index", "line"], how="anti", maintain_order="left")
    orders = _collapse(rows)
    kept = dict(rows.group_by("file").len().iter_rows())
    return CombinedOrders(
        orders=orders.select(pl.col(c).cast(t) for c, t in ORDERS_FRAME_SCHEMA.items()),
        items=rows.select(pl.col(c).cast(t) for c, t in ITEMS_SCHEMA.items()),
        rejects=pl.concat(
            [
                *(r.rejects for r in reads),
                rejects_frame(
                    repeated.select(
                        "file",
                        "line",
                        "order_id",
                        column=pl.lit(None, pl.String),
                        value=pl.lit(None, pl.String),
                        reason="_reason",
                        outcome=pl.lit("excluded"),
                    )
                ),
            ]
        ),
        kept={f: kept.get(f, 0) for f in files},
        notes=_notes(orders, files),
    )


def _covered_shipments(rows: pl.DataFrame) -> pl.DataFrame:
    """FBA shipments rows whose order an All Orders report also holds: that report has the
    order's status and every item, so the shipment rows are excluded (same columns as
    :func:`_repeated_items`)."""
    columns = ["_file_index", "line", "file", "order_id", "_reason"]
    shipments = rows.filter(pl.col("_format") == "fba_shipments")
    if shipments.is_empty() or not rows.get_column("_format").is_in(ORDERS_FORMATS).any():
        return shipments.clear().with_columns(_reason=pl.lit(None, pl.String)).select(columns)
    in_orders = (
        rows.filter(pl.col("_format").is_in(ORDERS_FORMATS))
        .group_by("order_id")
        .agg(_orders_file=pl.col("file").first())
    )
    return (
        shipments.join(in_orders, on="order_id", how="inner", maintain_order="left")
        .with_columns(
            _reason=pl.format(
                "order also in the All Orders report {}: read from there (the FBA shipments "
                "report adds nothing to it)",
                "_orders_file",
            )
        )
        .select(columns)
    )


def _repeated_items(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows to exclude as repeats (``_file_index``, ``line``, ``file``, ``order_id``,
    ``_reason``): identical to an earlier row, or an older copy of an item another file holds.

    Only rows whose item key (order id, sku, asin) occurs more than once are looked at closely.

    A copy is one snapshot of the item: one file, one ``last-updated-date`` (every item of an
    order in one export shares the order's last update). Two rows of one item in one file with
    different ``last-updated-date`` values come from two exports joined into one file (``cat``)
    and are treated as copies in two files; rows with the same ``last-updated-date`` are
    distinct items of the order (the same sku twice), as before.
    """
    columns = ["_file_index", "line", "file", "order_id", "_reason"]
    candidates = rows.filter(pl.struct(*_ITEM_KEY).hash().is_duplicated())
    if candidates.is_empty():
        return candidates.with_columns(_reason=pl.lit(None, pl.String)).select(columns)
    identical = duplicate_rows(candidates, _ROW_COLUMNS)
    candidates = candidates.join(
        identical, on=["_file_index", "line"], how="anti", maintain_order="left"
    )
    # The same item (the n-th with its key in each file) in several files: keep the copy
    # updated last; the first read wins a tie.
    key = [*_ITEM_KEY, "_occurrence"]
    copies = (
        candidates.sort("_file_index", "line")
        .with_columns(_updated=_iso_timestamp("last_updated").fill_null(_NEVER))
        .with_columns(
            _snapshot=pl.struct("_file_index", "_updated"),
            _occurrence=pl.int_range(pl.len()).over("_file_index", "_updated", *_ITEM_KEY),
        )
        .filter(pl.col("_snapshot").n_unique().over(key) > 1)
        .sort("_updated", "_file_index", "line", descending=[True, False, False])
        .with_columns(
            _kept_file=pl.col("file").first().over(key),
            _kept_line=pl.col("line").first().over(key),
            _rank=pl.int_range(pl.len()).over(key),
        )
        .filter(pl.col("_rank") > 0)
        .with_columns(
            _reason=pl.format(
                "older copy of the order item kept from {} line {} (same amazon-order-id, sku "
                "and asin; that row has the later last-updated-date, or was read first)",
                "_kept_file",
                "_kept_line",
            )
        )
    )
    return pl.concat([identical.select(columns), copies.select(columns)])


def _collapse(items: pl.DataFrame) -> pl.DataFrame:
    """One row per order; mixed-item flags are computed on hashes and booleans (cheap)."""
    orders = (
        items.with_columns(
            _mfn=pl.col("channel") == "MFN",
            _market=pl.col("marketplace").hash(),
            _status=pl.col("order_status").hash(),
        )
        .group_by("account", "order_id", maintain_order=True)
        .agg(
            marketplace=pl.col("marketplace").first(),
            channel=pl.when(pl.col("_mfn").any()).then(pl.lit("MFN")).otherwise(pl.lit("AFN")),
            purchase_ts=pl.col("purchase_ts").min(),
            order_status=pl.col("order_status").first(),
            is_business=pl.col("is_business").max(),
            ship_service_level=pl.col("ship_service_level").first(),
            ship_country=pl.col("ship_country").first(),
            ship_state=pl.col("ship_state").first(),
            item_count=pl.len().cast(pl.Int64),
            # null, not 0, when the file has no quantity (column missing or blank)
            units=pl.when(pl.col("quantity").is_not_null().any()).then(pl.col("quantity").sum()),
            _file=pl.col("file").first(),
            _spread=pl.col("_file_index").min() != pl.col("_file_index").max(),
            _mixed_channel=pl.col("_mfn").any() & ~pl.col("_mfn").all(),
            _mixed_date=pl.col("purchase_ts").min() != pl.col("purchase_ts").max(),
            _mixed_marketplace=pl.col("_market").min() != pl.col("_market").max(),
            _mixed_status=pl.col("_status").min() != pl.col("_status").max(),
        )
        .with_columns(order_date=pl.col("purchase_ts").dt.date())
    )
    mixed = orders.filter("_mixed_status").select("account", "order_id")
    if mixed.height:  # items disagree on order-status: the most recently updated item's wins
        latest = (
            items.join(mixed, on=["account", "order_id"], how="semi")
            .with_columns(_updated=_iso_timestamp("last_updated").fill_null(_NEVER))
            .group_by("account", "order_id")
            .agg(_latest=pl.col("order_status").sort_by("_updated").last())
        )
        orders = (
            orders.join(latest, on=["account", "order_id"], how="left", maintain_order="left")
            .with_columns(order_status=pl.coalesce("_latest", "order_status"))
            .drop("_latest")
        )
    return orders


def _notes(orders: pl.DataFrame, files: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Per file (where each order first appears): counts of merged and mixed orders."""
    counts = orders.group_by("_file").agg(
        pl.col("_mixed_channel").sum(),
        pl.col("_mixed_date").sum(),
        pl.col("_mixed_marketplace").sum(),
        pl.col("_mixed_status").sum(),
        pl.col("_spread").sum(),
        orders=pl.len(),
    )
    texts = {
        "_mixed_channel": "order(s) mix Amazon and Merchant items: counted as MFN",
        "_mixed_date": "order(s) whose items disagree on purchase-date: earliest taken",
        "_mixed_marketplace": "order(s) whose items disagree on sales-channel: first item's taken",
        "_mixed_status": "order(s) whose items disagree on order-status: latest updated taken",
        "_spread": "order(s) with items in several files: merged",
    }
    notes: dict[str, tuple[str, ...]] = {f: () for f in files}
    for row in counts.iter_rows(named=True):
        notes[row["_file"]] = (
            f"{row['orders']} order(s)",
            *(f"{row[k]} {text}" for k, text in texts.items() if row[k]),
        )
    return notes
