"""Every Amazon report a seller may drop into an account folder, recognised by its content.

A file is recognised by its header (column names), its XML root or its JSON keys, never by its
name. :data:`REPORTS` lists the reports odr-analysis knows: the ones it reads (the All Orders
report and its variants, the FBA shipments report, the XML orders report, the Finances API's
financial events, the account-health report, the feedback report and our claims log) and the
ones sellers commonly have that it refuses, each with the report to download instead.
:func:`recognise` finds the report of a file from its first line and its first bytes;
:func:`refusal` words the error for a report that is known but not read.

Signatures are strict enough that no report is taken for another: a report whose header holds
the columns of the All Orders report (``amazon-order-id``, ``purchase-date``,
``fulfillment-channel``, ``sales-channel``) but also ``shipment-id`` and ``shipment-item-id`` is
the FBA shipments report, whatever else it holds. The more specific signatures are tried first
(the order of :data:`REPORTS`); ``tests/readers/test_reports.py`` checks every signature against
every other report's header.

Where the headers come from (public sources; see the tests' fixtures):

* All Orders, archived orders, FBA shipments, Unshipped orders, returns (FBA and seller),
  reimbursements, replacements, inventory (MYI, AFN), ledger, settlement (V2 flat file): the
  test fixtures and stream schemas of airbyte's ``source-amazon-seller-partner`` connector, and
  Amazon's "order reports attributes" / "order tracking reports attributes" pages;
* the XML All Orders report (``AmazonEnvelope``, ``MessageType`` ``AllOrdersReport``, one
  ``Message`` per ``Order`` with ``OrderItem`` children): airbyte's stream schema and public
  parser tests holding real payloads;
* the Date Range (transaction) report: public parsers' fixtures (a preamble of quoted lines, then
  ``"date/time","settlement id","type","order id",...``);
* Finances: ``models/finances-api-model/financesV0.json`` (amzn/selling-partner-api-models);
* the FBA customer shipment sales report and the business reports: public database schemas and
  parsers (column names only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from odr_analysis.readers.feedback import is_feedback_header

__all__ = [
    "ACCOUNT_HEALTH",
    "ALL_ORDERS",
    "ALL_ORDERS_XML",
    "ARCHIVED_ORDERS",
    "CLAIMS_LOG",
    "FBA_SHIPMENTS",
    "FEEDBACK",
    "FINANCIAL_EVENTS",
    "READERS",
    "REPORTS",
    "REPORTS_BY_KEY",
    "UNKNOWN_JSON",
    "UNKNOWN_XML",
    "Report",
    "describe_json",
    "header_names",
    "json_report",
    "recognise",
    "refusal",
]

READERS: Final[Mapping[str, str]] = {
    "all_orders": "readers.orders.read_orders_file",
    "all_orders_xml": "readers.xml_orders.read_xml_orders_file",
    "fba_shipments": "readers.shipments.read_shipments_file",
    "seller_feedback": "readers.feedback.read_feedback_file",
    "claims": "readers.claims.read_claims_file",
    "account_health": "readers.health.read_account_health",
    "financial_events": "readers.finances.read_financial_events_file",
}
"""The readers a recognised report may be read with (:attr:`Report.reader`) and the function."""


@dataclass(frozen=True)
class _Head:
    """What :func:`recognise` looks at: the header names (one set per separator tried), the
    first lines, the XML root and message type, the JSON keys."""

    names: tuple[frozenset[str], ...] = ()
    lines: tuple[str, ...] = ()
    xml_root: str | None = None
    xml_elements: frozenset[str] = frozenset()
    xml_message_type: str | None = None
    json_keys: frozenset[str] = frozenset()
    json_value: Any = None


Matcher = Callable[[_Head], bool]


@dataclass(frozen=True)
class Report:
    """One kind of file a seller may have.

    Attributes
    ----------
    key
        A short identifier (``fba_shipments``).
    name
        The report's name as Seller Central shows it (``FBA Amazon Fulfilled Shipments report``).
    report_types
        Its SP-API report type(s) (empty for files that are not SP-API reports).
    structure
        ``tab-separated``, ``comma-separated``, ``XML`` or ``JSON``.
    recognised_by
        How :func:`recognise` tells it from every other report, in words.
    carries
        What it carries for ODR.
    reader
        The reader it is read with (a key of :data:`READERS`), or ``None`` when it is refused.
    lacks
        What it lacks for ODR (for a report that is read: said in the ingest notes; for a report
        that is refused: the reason).
    instead
        The report to download instead (for a refused report; also for a report read with
        limits).
    note
        The ingest note for a report that is read with limits (empty otherwise).
    kinds
        What the file is written as: ``text`` (delimited), ``xml``, ``json``.
    """

    key: str
    name: str
    report_types: tuple[str, ...]
    structure: str
    recognised_by: str
    carries: str
    reader: str | None
    lacks: str = ""
    instead: str = ""
    note: str = ""
    kinds: frozenset[str] = frozenset({"text"})
    matches: Matcher = field(default=lambda head: False, repr=False, compare=False)

    @property
    def refused(self) -> bool:
        """Whether odr-analysis refuses the report (it carries nothing it can use as it is)."""
        return self.reader is None

    @property
    def types(self) -> str:
        """The report types for messages: ``GET_A`` or ``GET_A / GET_B``."""
        return " / ".join(self.report_types)


def header_names(line: str, separator: str) -> frozenset[str]:
    """The column names of a header line split on ``separator``: trimmed, unquoted, lower case.

    >>> sorted(header_names('"Order ID"\\t Rating ', "\\t"))
    ['order id', 'rating']
    """
    names = (name.strip().strip('"').strip().lower() for name in line.split(separator))
    return frozenset(name for name in names if name)


def _columns(
    *,
    all_of: Iterable[str] = (),
    any_of: Iterable[str] = (),
    none_of: Iterable[str] = (),
    search_lines: int = 1,
) -> Matcher:
    """A matcher on header names: every ``all_of``, at least one ``any_of`` (when given), no
    ``none_of``. ``search_lines`` > 1 also looks for the header below a preamble."""
    need, some, never = frozenset(all_of), frozenset(any_of), frozenset(none_of)

    def match_names(names: frozenset[str]) -> bool:
        return need <= names and (not some or bool(some & names)) and not never & names

    def matches(head: _Head) -> bool:
        if any(match_names(names) for names in head.names):
            return True
        for line in head.lines[1:search_lines]:
            if any(match_names(header_names(line, sep)) for sep in _SEPARATORS):
                return True
        return False

    return matches


def _xml(*, root: str | None = None, message_type: str | None = None, element: str = "") -> Matcher:
    def matches(head: _Head) -> bool:
        if head.xml_root is None:
            return False
        if root is not None and head.xml_root != root:
            return False
        if message_type is not None and head.xml_message_type == message_type:
            return True
        return bool(element) and element in head.xml_elements

    return matches


def _json(*keys: str) -> Matcher:
    wanted = frozenset(keys)

    def matches(head: _Head) -> bool:
        return bool(wanted & head.json_keys)

    return matches


_SEPARATORS: Final = ("\t", ",", ";")
_ORDER_COLUMNS_ANY: Final = (
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
)
# Columns that mark a report that is not the All Orders report although it has amazon-order-id.
_NOT_ALL_ORDERS: Final = (
    "shipment-id",
    "shipment-item-id",
    "reimbursement-id",
    "fnsku",
    "original-amazon-order-id",
)
_ALL_ORDERS_TYPES: Final = (
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
)
_ALL_ORDERS_NAME: Final = (
    "the All Orders report (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL)"
)
_ORDERS_INSTEAD: Final = f"{_ALL_ORDERS_NAME} (Seller Central: Reports > Fulfillment > All Orders)"
_CLAIMS_INSTEAD: Final = (
    "the Finances API's financial events (listFinancialEvents: the A-to-z claims and "
    "chargebacks that moved money) or fill in the claims-and-chargebacks log "
    "(data/templates/) for the claims and chargebacks"
)

FBA_SHIPMENTS: Final = Report(
    key="fba_shipments",
    name="FBA Amazon Fulfilled Shipments report",
    report_types=("GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",),
    structure="tab-separated",
    recognised_by="amazon-order-id with shipment-id and shipment-item-id",
    carries="FBA (AFN) orders that shipped, one row per shipment item, with purchase-date, "
    "sales-channel and quantity-shipped",
    reader="fba_shipments",
    lacks="cancelled and unshipped orders, seller-fulfilled (MFN) orders, order-status and asin",
    instead=_ALL_ORDERS_NAME,
    note="the FBA shipments report has no cancelled orders: the rate from it alone is "
    "over-stated; download the All Orders report",
    matches=_columns(all_of=("amazon-order-id", "shipment-id", "shipment-item-id")),
)

_FBA_SHIPMENT_SALES: Final = Report(
    key="fba_customer_shipment_sales",
    name="FBA Customer Shipment Sales report",
    report_types=("GET_FBA_FULFILLMENT_CUSTOMER_SHIPMENT_SALES_DATA",),
    structure="tab-separated",
    recognised_by="amazon-order-id with shipment-date, fnsku and item-price-per-unit or "
    "fulfillment-center-id",
    carries="FBA units shipped per order, by shipment date",
    reader=None,
    lacks="the purchase date, the sales channel and cancelled orders",
    instead=_ORDERS_INSTEAD,
    matches=_columns(
        all_of=("amazon-order-id", "shipment-date", "fnsku"),
        any_of=("item-price-per-unit", "fulfillment-center-id"),
    ),
)

_FBA_REPLACEMENTS: Final = Report(
    key="fba_replacements",
    name="FBA Replacements report",
    report_types=("GET_FBA_FULFILLMENT_CUSTOMER_SHIPMENT_REPLACEMENT_DATA",),
    structure="tab-separated",
    recognised_by="replacement-amazon-order-id and original-amazon-order-id",
    carries="replacement shipments of FBA orders",
    reader=None,
    lacks="the orders (only replacements) or any defect",
    instead=_ORDERS_INSTEAD,
    matches=_columns(all_of=("replacement-amazon-order-id", "original-amazon-order-id")),
)

_FBA_REIMBURSEMENTS: Final = Report(
    key="fba_reimbursements",
    name="FBA Reimbursements report",
    report_types=("GET_FBA_REIMBURSEMENTS_DATA",),
    structure="tab-separated",
    recognised_by="reimbursement-id with amazon-order-id",
    carries="what Amazon reimbursed the seller for lost or damaged FBA inventory",
    reader=None,
    lacks="the orders or any defect (reimbursements are not A-to-z claims or chargebacks)",
    instead=f"{_ORDERS_INSTEAD} for the orders, and {_CLAIMS_INSTEAD}",
    matches=_columns(all_of=("reimbursement-id", "amazon-order-id")),
)

_FBA_RETURNS: Final = Report(
    key="fba_customer_returns",
    name="FBA Customer Returns report",
    report_types=("GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",),
    structure="tab-separated",
    recognised_by="return-date, order-id and detailed-disposition",
    carries="returns of FBA orders (a return is not an ODR defect)",
    reader=None,
    lacks="the orders, the feedback or any A-to-z claim or chargeback",
    instead=f"{_ORDERS_INSTEAD} for the orders, and {_CLAIMS_INSTEAD}",
    matches=_columns(all_of=("return-date", "order-id", "detailed-disposition")),
)

_MFN_RETURNS: Final = Report(
    key="returns",
    name="Returns report (seller-fulfilled returns)",
    report_types=("GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",),
    structure="tab-separated",
    recognised_by="Order ID with Return request date and Return request status",
    carries="return requests of seller-fulfilled orders; its A-to-Z Claim column only flags a "
    "claim, without its outcome",
    reader=None,
    lacks="the orders, and the claims' outcomes (granted, denied, ...)",
    instead=f"{_ORDERS_INSTEAD} for the orders, and {_CLAIMS_INSTEAD}",
    matches=_columns(all_of=("order id", "return request date", "return request status")),
)

_SETTLEMENT: Final = Report(
    key="settlement",
    name="Settlement report (flat file)",
    report_types=(
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE",
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
    ),
    structure="tab-separated",
    recognised_by="settlement-id with transaction-type",
    carries="the money of each settlement period, per order and fee",
    reader=None,
    lacks="the orders that did not settle (cancelled, unpaid) and the claims' and chargebacks' "
    "statuses",
    instead=f"{_ORDERS_INSTEAD} for the orders, and {_CLAIMS_INSTEAD}",
    matches=_columns(all_of=("settlement-id", "transaction-type")),
)

_DATE_RANGE: Final = Report(
    key="date_range_transactions",
    name="Date Range (transaction) report",
    report_types=("GET_DATE_RANGE_FINANCIAL_TRANSACTION_DATA",),
    structure="comma-separated, after a few lines of notes",
    recognised_by='a header with "date/time", "settlement id", "type" and "order id", on the '
    "first line or below the report's notes",
    carries="payments, refunds and fees per order (money, not orders)",
    reader=None,
    lacks="the orders that were never paid (cancelled, pending) and the claims' and "
    "chargebacks' statuses",
    instead=f"{_ORDERS_INSTEAD} for the orders, and {_CLAIMS_INSTEAD}",
    matches=_columns(all_of=("date/time", "settlement id", "type"), search_lines=12),
)

_UNSHIPPED: Final = Report(
    key="unshipped_orders",
    name="Unshipped Orders report",
    report_types=("GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING",),
    structure="tab-separated",
    recognised_by="order-id, order-item-id and quantity-to-ship",
    carries="seller-fulfilled orders not yet confirmed as shipped",
    reader=None,
    lacks="shipped, cancelled and FBA orders (only seller-fulfilled orders waiting to ship)",
    instead=_ORDERS_INSTEAD,
    matches=_columns(all_of=("order-id", "order-item-id", "quantity-to-ship")),
)

_ORDER_REPORT: Final = Report(
    key="order_report",
    name="Order report (new seller-fulfilled orders)",
    report_types=(
        "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
        "GET_FLAT_FILE_ORDER_REPORT_DATA_INVOICING",
        "GET_FLAT_FILE_ORDER_REPORT_DATA_TAX",
    ),
    structure="tab-separated",
    recognised_by="order-id, order-item-id and quantity-purchased (without quantity-to-ship)",
    carries="seller-fulfilled orders ready to ship, with buyer addresses",
    reader=None,
    lacks="FBA orders and the orders' later status (shipped, cancelled)",
    instead=_ORDERS_INSTEAD,
    matches=_columns(
        all_of=("order-id", "order-item-id", "quantity-purchased"), none_of=("quantity-to-ship",)
    ),
)

ARCHIVED_ORDERS: Final = Report(
    key="archived_orders",
    name="archived orders report",
    report_types=("GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE",),
    structure="tab-separated",
    recognised_by="the All Orders columns with ship-promotion-id and without ship-city (its "
    "published header)",
    carries="every order of every channel and status, one row per item (orders archived by Amazon)",
    reader="all_orders",
    lacks="ship-city, ship-state and ship-postal-code (not used for ODR)",
    note="the archived orders report (GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE): read "
    "as the All Orders report (same order columns)",
    matches=_columns(
        all_of=("amazon-order-id", "purchase-date", "ship-promotion-id"),
        none_of=("ship-city", *_NOT_ALL_ORDERS),
    ),
)

ALL_ORDERS: Final = Report(
    key="all_orders",
    name="All Orders report",
    report_types=_ALL_ORDERS_TYPES,
    structure="tab-separated",
    recognised_by="amazon-order-id with any of purchase-date, last-updated-date, order-status, "
    "fulfillment-channel, sales-channel, and none of shipment-id, shipment-item-id, "
    "reimbursement-id, fnsku, original-amazon-order-id. By order date and by last update have "
    "the same columns: the file cannot tell which, and both are read the same way",
    carries="every order of every channel and status (the denominator), one row per item",
    reader="all_orders",
    matches=_columns(
        all_of=("amazon-order-id",), any_of=_ORDER_COLUMNS_ANY, none_of=_NOT_ALL_ORDERS
    ),
)

_INVENTORY: Final = Report(
    key="inventory",
    name="inventory report",
    report_types=(
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
        "GET_AFN_INVENTORY_DATA",
        "GET_LEDGER_DETAIL_VIEW_DATA",
    ),
    structure="tab-separated",
    recognised_by="afn-fulfillable-quantity, or fulfillment-channel-sku with Quantity Available, "
    "or FNSKU with MSKU and EventType (no order id)",
    carries="stock levels and movements, no orders",
    reader=None,
    lacks="orders or defects",
    instead=_ORDERS_INSTEAD,
    matches=lambda head: (
        _columns(all_of=("sku", "afn-fulfillable-quantity"))(head)
        or _columns(all_of=("seller-sku", "fulfillment-channel-sku", "quantity available"))(head)
        or _columns(all_of=("fnsku", "msku", "eventtype"))(head)
    ),
)

_LISTINGS: Final = Report(
    key="listings",
    name="listings report",
    report_types=(
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "GET_MERCHANT_LISTINGS_DATA",
        "GET_FLAT_FILE_OPEN_LISTINGS_DATA",
    ),
    structure="tab-separated",
    recognised_by="seller-sku with listing-id or item-name (no order id)",
    carries="the seller's offers, no orders",
    reader=None,
    lacks="orders or defects",
    instead=_ORDERS_INSTEAD,
    matches=_columns(all_of=("seller-sku",), any_of=("listing-id", "item-name")),
)

_BUSINESS: Final = Report(
    key="business_report",
    name="Business report (sales and traffic)",
    report_types=("GET_SALES_AND_TRAFFIC_REPORT",),
    structure="comma-separated (Seller Central) or JSON (SP-API)",
    kinds=frozenset({"text", "json"}),
    recognised_by="Units Ordered with (Parent) ASIN, (Child) ASIN, Sessions or Ordered "
    "Product Sales",
    carries="sales and page views per day or per ASIN, no orders",
    reader=None,
    lacks="individual orders or defects",
    instead=_ORDERS_INSTEAD,
    matches=lambda head: (
        _columns(
            all_of=("units ordered",),
            any_of=(
                "(parent) asin",
                "(child) asin",
                "sessions",
                "sessions - total",
                "ordered product sales",
            ),
        )(head)
        or _json("salesAndTrafficByDate", "salesAndTrafficByAsin")(head)
    ),
)

CLAIMS_LOG: Final = Report(
    key="claims",
    name="claims-and-chargebacks log",
    report_types=(),
    structure="comma- or semicolon-separated",
    recognised_by="order-id (or Order ID) with type, and none of the Date Range report's "
    "columns (date/time, settlement id)",
    carries="A-to-z claims and chargebacks with their statuses, as the seller records them",
    reader="claims",
    matches=_columns(any_of=("order-id", "order id"), all_of=("type",), none_of=("date/time",)),
)

FEEDBACK: Final = Report(
    key="seller_feedback",
    name="seller feedback report",
    report_types=("GET_SELLER_FEEDBACK_DATA",),
    structure="tab-separated",
    recognised_by="a header with a date, a rating and an order id in any "
    "language Amazon writes it (Date, Rating, Order ID; Datum, Bewertung, Transaktionsnummer; "
    "...), mojibake spellings included, or Rating with Rater Email",
    carries="1-3 star feedback per order",
    reader="seller_feedback",
    matches=lambda head: any(is_feedback_header(tuple(names)) for names in head.names),
)

ALL_ORDERS_XML: Final = Report(
    key="all_orders_xml",
    name="XML All Orders report",
    report_types=(
        "GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    ),
    structure="XML",
    kinds=frozenset({"xml"}),
    recognised_by="an AmazonEnvelope whose MessageType is AllOrdersReport (or whose messages "
    "hold Order elements)",
    carries="every order of every channel and status, with its items",
    reader="all_orders_xml",
    matches=_xml(root="AmazonEnvelope", message_type="AllOrdersReport", element="Order"),
)

_XML_ORDER_REPORT: Final = Report(
    key="order_report_xml",
    name="XML Order report (new seller-fulfilled orders)",
    report_types=(
        "GET_ORDER_REPORT_DATA_SHIPPING",
        "GET_ORDER_REPORT_DATA_INVOICING",
        "GET_ORDER_REPORT_DATA_TAX",
    ),
    structure="XML",
    kinds=frozenset({"xml"}),
    recognised_by="an AmazonEnvelope whose messages hold OrderReport elements",
    carries="seller-fulfilled orders ready to ship, with buyer addresses",
    reader=None,
    lacks="FBA orders and the orders' later status (shipped, cancelled)",
    instead=_ORDERS_INSTEAD,
    matches=_xml(root="AmazonEnvelope", message_type="OrderReport", element="OrderReport"),
)

_XML_SETTLEMENT: Final = Report(
    key="settlement_xml",
    name="Settlement report (XML)",
    report_types=("GET_V2_SETTLEMENT_REPORT_DATA_XML",),
    structure="XML",
    kinds=frozenset({"xml"}),
    recognised_by="an AmazonEnvelope whose MessageType is SettlementReport",
    carries="the money of each settlement period",
    reader=None,
    lacks="the orders that did not settle and the claims' and chargebacks' statuses",
    instead=f"{_ORDERS_INSTEAD} for the orders, and {_CLAIMS_INSTEAD}",
    matches=_xml(
        root="AmazonEnvelope", message_type="SettlementReport", element="SettlementReport"
    ),
)

_V1_PERFORMANCE: Final = Report(
    key="performance_v1",
    name="seller performance report (XML, version 1)",
    report_types=("GET_V1_SELLER_PERFORMANCE_REPORT",),
    structure="XML",
    kinds=frozenset({"xml"}),
    recognised_by="a sellerPerformanceReports root",
    carries="Amazon's own ODR counts in the older XML form",
    reader=None,
    lacks="the form odr-analysis reads (it reads version 2, JSON)",
    instead="the account-health report GET_V2_SELLER_PERFORMANCE_REPORT (JSON)",
    matches=lambda head: head.xml_root in ("sellerPerformanceReports", "sellerPerformanceReport"),
)

ACCOUNT_HEALTH: Final = Report(
    key="account_health",
    name="account-health report",
    report_types=("GET_V2_SELLER_PERFORMANCE_REPORT",),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by="a JSON object with performanceMetrics or accountStatuses",
    carries="Amazon's own ODR per marketplace and channel (to reconcile with)",
    reader="account_health",
    matches=_json("performanceMetrics", "accountStatuses"),
)

FINANCIAL_EVENTS: Final = Report(
    key="financial_events",
    name="Finances API financial events",
    report_types=("listFinancialEvents (Finances API v0)",),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by='{"payload": {"FinancialEvents": ...}} or {"FinancialEvents": ...} (a page '
    "of listFinancialEvents, listFinancialEventsByOrderId or listFinancialEventsByGroupId)",
    carries="A-to-z claims (GuaranteeClaimEventList) and chargebacks (ChargebackEventList) "
    "that moved money, per order, with their posted date",
    reader="financial_events",
    lacks="claims and chargebacks that moved no money (pending, Amazon-funded, denied), and "
    "whether a chargeback is a service or a fraud chargeback",
    note="Finances API events show only claims and chargebacks that moved money",
    matches=_json("FinancialEvents"),
)

_EVENT_GROUPS: Final = Report(
    key="financial_event_groups",
    name="Finances API financial event groups",
    report_types=("listFinancialEventGroups (Finances API v0)",),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by="FinancialEventGroupList",
    carries="settlement periods and their totals",
    reader=None,
    lacks="the events of each order",
    instead="the financial events (listFinancialEvents, or listFinancialEventsByGroupId for "
    "each group)",
    matches=_json("FinancialEventGroupList"),
)

_ORDERS_API: Final = Report(
    key="orders_api",
    name="Orders API response",
    report_types=("getOrders / getOrderItems (Orders API)",),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by="Orders or OrderItems",
    carries="orders, one page at a time",
    reader=None,
    lacks="the form odr-analysis reads (a report file)",
    instead=_ORDERS_INSTEAD,
    matches=_json("Orders", "OrderItems", "orders"),
)


def _report_list(value: object) -> bool:
    """Whether a JSON value is a getReports answer: ``{"reports": [{"reportId": ...}, ...]}``
    (a ``reports`` key alone is too common: a settings file may have one)."""
    reports = value.get("reports") if isinstance(value, dict) else None
    return isinstance(reports, list) and any(
        isinstance(r, dict) and ("reportId" in r or "reportType" in r) for r in reports
    )


_REPORT_RECORD: Final = Report(
    key="report_record",
    name="Reports API record (the description of a report, not its document)",
    report_types=("getReport / getReports / getReportDocument (Reports API)",),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by="reportType, reportId, reportDocumentId or reports",
    carries="where a report is, not its rows",
    reader=None,
    lacks="the report's rows",
    instead="the report document itself (the file at the document's url; gzip is fine)",
    matches=lambda head: (
        _json("reportType", "reportId", "reportDocumentId")(head) or _report_list(head.json_value)
    ),
)

_API_ERROR: Final = Report(
    key="api_error",
    name="SP-API error response",
    report_types=(),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by="errors",
    carries="an error message from Amazon",
    reader=None,
    lacks="any data",
    instead="the report again (the request failed)",
    matches=_json("errors"),
)

UNKNOWN_JSON: Final = Report(
    key="unknown_json",
    name="JSON file",
    report_types=(),
    structure="JSON",
    kinds=frozenset({"json"}),
    recognised_by="JSON that is none of the JSON reports above",
    carries="nothing odr-analysis knows",
    reader=None,
    lacks="not an account-health report (GET_V2_SELLER_PERFORMANCE_REPORT: no "
    "performanceMetrics or accountStatuses) nor Finances API financial events (no "
    "FinancialEvents)",
    instead="the account-health report GET_V2_SELLER_PERFORMANCE_REPORT or the Finances API's "
    "financial events",
    matches=lambda head: True,
)

UNKNOWN_XML: Final = Report(
    key="unknown_xml",
    name="XML file",
    report_types=(),
    structure="XML",
    kinds=frozenset({"xml"}),
    recognised_by="XML that is none of the XML reports above",
    carries="nothing odr-analysis knows",
    reader=None,
    lacks="not the XML All Orders report (no AmazonEnvelope with MessageType AllOrdersReport)",
    instead=_ORDERS_INSTEAD,
    matches=lambda head: True,
)

REPORTS: Final[tuple[Report, ...]] = (
    # text reports, the most specific signatures first
    FBA_SHIPMENTS,
    _FBA_SHIPMENT_SALES,
    _FBA_REPLACEMENTS,
    _FBA_REIMBURSEMENTS,
    _FBA_RETURNS,
    _MFN_RETURNS,
    _SETTLEMENT,
    _DATE_RANGE,
    _UNSHIPPED,
    _ORDER_REPORT,
    ARCHIVED_ORDERS,
    ALL_ORDERS,
    _INVENTORY,
    _LISTINGS,
    _BUSINESS,
    CLAIMS_LOG,
    FEEDBACK,
    # XML
    ALL_ORDERS_XML,
    _XML_ORDER_REPORT,
    _XML_SETTLEMENT,
    _V1_PERFORMANCE,
    UNKNOWN_XML,
    # JSON
    ACCOUNT_HEALTH,
    FINANCIAL_EVENTS,
    _EVENT_GROUPS,
    _ORDERS_API,
    _REPORT_RECORD,
    _API_ERROR,
    UNKNOWN_JSON,
)
"""Every report odr-analysis knows, in the order :func:`recognise` tries them."""

# A JSON array starts with a value; "[amazon]" starts a TOML or INI section.
_JSON_ARRAY: Final = re.compile(r'\[\s*(?:[{\["\d\]-]|true\b|false\b|null\b)')
_XML_TAG: Final = re.compile(r"<([A-Za-z_][\w.-]*)")
_XML_MESSAGE_TYPE: Final = re.compile(r"<MessageType>\s*([\w.-]+)\s*</MessageType>")
_JSON_KEY: Final = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def _xml_head(text: str) -> _Head:
    """Root element, message type and element names of an XML document's first bytes."""
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.DOTALL)
    tags = _XML_TAG.findall(body)
    kind = _XML_MESSAGE_TYPE.search(body)
    return _Head(
        xml_root=tags[0] if tags else None,
        xml_elements=frozenset(tags),
        xml_message_type=kind.group(1) if kind else None,
    )


def _json_head(text: str) -> _Head:
    """Keys of a JSON document: the top level's and ``payload``'s when the text parses, else
    every key name found in the first bytes (a large file's head is cut off)."""
    try:
        value = json.loads(text)
    except ValueError:
        return _Head(json_keys=frozenset(_JSON_KEY.findall(text)), json_value=None)
    keys: set[str] = set()
    if isinstance(value, dict):
        keys |= set(value)
        payload = value.get("payload")
        if isinstance(payload, dict):
            keys |= set(payload)
    return _Head(json_keys=frozenset(keys), json_value=value)


def recognise(first_line: str, head: str) -> Report | None:
    """The report a file is, from its first line and its first bytes as text, or ``None``.

    ``first_line`` is the file's first line (no line end, no byte-order mark); ``head`` is the
    start of the file decoded (64 KiB is plenty; a cut-off head is fine). Text reports are
    recognised by their header split on tabs, commas or semicolons (a report re-saved with the
    wrong separator is still recognised, and its reader then says what is wrong), XML by its
    root element and message type, JSON by its keys. ``None``: nothing odr-analysis knows.

    >>> recognise("amazon-order-id\\tshipment-id\\tshipment-item-id\\tpurchase-date", "").key
    'fba_shipments'
    >>> recognise("amazon-order-id\\tpurchase-date\\tsales-channel", "").key
    'all_orders'
    >>> page = '{"payload": {"FinancialEvents": {}}}'
    >>> recognise(page, page).key
    'financial_events'
    >>> recognise("Call the supplier.", "Call the supplier.") is None
    True
    """
    text = head.removeprefix("\ufeff")
    first_line = first_line.removeprefix("\ufeff")
    body = text.lstrip() or first_line.lstrip()
    start = body[:1]
    if start == "{" or _JSON_ARRAY.match(body):
        return _first(_json_head(text or first_line), "json")
    if start == "<":
        return _first(_xml_head(text or first_line), "xml")
    return _first(_text_head(first_line, text), "text")


def _text_head(first_line: str, text: str) -> _Head:
    lines = [line.rstrip("\r") for line in text.split("\n", 12)[:12]] if text else []
    return _Head(
        names=tuple(header_names(first_line, sep) for sep in _SEPARATORS),
        lines=(first_line, *lines[1:]),
    )


def _first(head: _Head, kind: str) -> Report | None:
    return next((r for r in REPORTS if kind in r.kinds and r.matches(head)), None)


REPORTS_BY_KEY: Final[Mapping[str, Report]] = {r.key: r for r in REPORTS}
""":data:`REPORTS` by :attr:`Report.key`."""


def refusal(report: Report, file: str) -> str:
    """The message for a file that is a known report odr-analysis does not read.

    >>> print(refusal(REPORTS_BY_KEY["returns"], "returns.txt"))  # doctest: +ELLIPSIS
    'returns.txt' is the Returns report (seller-fulfilled returns) \
(GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE): it does not carry the orders, ...; download ... \
instead
    """
    kind = f"the {report.name}" + (f" ({report.types})" if report.report_types else "")
    if report in (UNKNOWN_JSON, UNKNOWN_XML):
        return (
            f"'{file}' is {'an' if report is UNKNOWN_XML else 'a'} {report.name} but not a "
            f"report odr-analysis reads: {report.lacks}; download {report.instead} instead"
        )
    return (
        f"'{file}' is {kind}: it does not carry {report.lacks}; download {report.instead} instead"
    )


def json_report(value: object) -> Report | None:
    """The JSON report a parsed JSON value is (``None``: none odr-analysis knows).

    >>> json_report({"FinancialEvents": {}, "NextToken": "x"}).key
    'financial_events'
    >>> json_report([1, 2]) is None
    True
    """
    keys: set[str] = set()
    if isinstance(value, dict):
        keys |= set(value)
        payload = value.get("payload")
        if isinstance(payload, dict):
            keys |= set(payload)
    found = _first(_Head(json_keys=frozenset(keys), json_value=value), "json")
    return None if found is UNKNOWN_JSON else found


def describe_json(value: object) -> str | None:
    """What a parsed JSON value looks like, for a refusal (``None`` when it is nothing known).

    >>> describe_json({"payload": {"FinancialEvents": {}}})
    'the Finances API financial events (listFinancialEvents (Finances API v0))'
    >>> describe_json({"theme": "dark"}) is None
    True
    """
    found = json_report(value)
    if found is None:
        return None
    return f"the {found.name}" + (f" ({found.types})" if found.report_types else "")
