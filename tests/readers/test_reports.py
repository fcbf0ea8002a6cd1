"""The registry of reports a seller may drop in (odr_analysis.readers.reports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from odr_analysis.readers.reports import (
    ALL_ORDERS,
    READERS,
    REPORTS,
    REPORTS_BY_KEY,
    UNKNOWN_JSON,
    UNKNOWN_XML,
    Report,
    describe_json,
    json_report,
    recognise,
    refusal,
)
from odr_analysis.readers.source import read_head

FIXTURES = Path(__file__).parents[1] / "fixtures" / "readers"
REPORT_FILES = FIXTURES / "reports"
ACME = FIXTURES / "accounts" / "acme-us"

EXPECTED = {
    "all-orders.txt": "all_orders",
    "all-orders.xml": "all_orders_xml",
    "api-error.json": "api_error",
    "archived-orders.txt": "archived_orders",
    "business-report.csv": "business_report",
    "customer-shipment-sales.txt": "fba_customer_shipment_sales",
    "date-range.csv": "date_range_transactions",
    "event-groups.json": "financial_event_groups",
    "fba-customer-returns.txt": "fba_customer_returns",
    "fba-shipments-jp.txt": "fba_shipments",
    "financial-events-page1.json": "financial_events",
    "financial-events-page2.json": "financial_events",
    "inventory-afn.txt": "inventory",
    "inventory-myi.txt": "inventory",
    "ledger.txt": "inventory",
    "listings.txt": "listings",
    "order-report.xml": "order_report_xml",
    "orders-api.json": "orders_api",
    "reimbursements.txt": "fba_reimbursements",
    "replacements.txt": "fba_replacements",
    "report-record.json": "report_record",
    "returns.txt": "returns",
    "settings.json": "unknown_json",
    "settlement.txt": "settlement",
    "unshipped-orders.txt": "unshipped_orders",
    # our account fixtures
    "All Orders 2025-10.txt": "all_orders",
    "All Orders 2025-11.txt": "all_orders",
    "account-health.json": "account_health",
    "claims-and-chargebacks.csv": "claims",
    "feedback.txt": "seller_feedback",
}
# A report whose signature also matches a more specific report's header, tried after it.
FALLBACKS = {"archived_orders": {"all_orders"}}


def head_of(path: Path) -> tuple[str, str]:
    """A file's first line and first bytes as text, as the loader reads them."""
    head = read_head(path)
    return head.first_line, head.data.decode("utf-8", errors="replace")


def recognise_file(path: Path) -> Report | None:
    return recognise(*head_of(path))


def fixture_files() -> list[Path]:
    return [*sorted(REPORT_FILES.glob("*.*")), *sorted(p for p in ACME.iterdir())]


def test_every_fixture_is_listed() -> None:
    names = {p.name for p in fixture_files() if p.name != "README.md"}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_each_report_is_recognised_by_its_content(path: Path) -> None:
    if path.name == "README.md":
        assert recognise_file(path) is None
        return
    found = recognise_file(path)
    assert found is not None
    assert found.key == EXPECTED[path.name]


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_no_other_signature_matches_a_report_s_header(path: Path) -> None:
    """Each report against every other report's signature: only its own (and a deliberate
    fallback tried after it) match; the order of REPORTS is not what keeps them apart."""
    if path.name == "README.md":
        return
    from odr_analysis.readers import reports

    first, head = head_of(path)
    expected = EXPECTED[path.name]
    kind = {".json": "json", ".xml": "xml"}.get(path.suffix, "text")
    parsed = {
        "json": lambda: reports._json_head(head),
        "xml": lambda: reports._xml_head(head),
        "text": lambda: reports._text_head(first, head),
    }[kind]()
    matching = {
        r.key
        for r in REPORTS
        if kind in r.kinds and r.matches(parsed) and r not in (UNKNOWN_JSON, UNKNOWN_XML)
    }
    assert matching - FALLBACKS.get(expected, set()) == {expected} or (
        expected == "unknown_json" and not matching
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # the case: the FBA shipments report has the four columns the orders reader needs
        ("amazon-order-id\tpurchase-date\tfulfillment-channel\tsales-channel\tshipment-id"
         "\tshipment-item-id", "fba_shipments"),
        # an All Orders report missing a column is still one (its reader says what is missing)
        ("amazon-order-id\tmerchant-order-id\tlast-updated-date\torder-status", "all_orders"),
        # re-saved with commas: recognised, the reader explains the separator
        ("amazon-order-id,purchase-date,fulfillment-channel,sales-channel", "all_orders"),
        # the date range report without its notes is not our claims log
        ('"date/time","settlement id","type","order id","sku"', "date_range_transactions"),
        # the claims log as Excel writes CSV in Germany
        ("order-id;type;date;status;amount;currency;notes", "claims"),
        ("Order ID,Type,Date,Status", "claims"),
        ("order-id\torder-item-id\tpurchase-date\tpayments-date\tquantity-purchased",
         "order_report"),
        ("Date\tRating\tComments\tYour Response\tOrder ID\tRater Email", "seller_feedback"),
        ("amazon-order-id\tsku\tquantity", None),  # order ids and nothing else: not a report
        ("Call the supplier about the blue widgets.", None),
    ],
)  # fmt: skip
def test_signatures(header: str, expected: str | None) -> None:
    found = recognise(header, header + "\n")
    assert (found.key if found else None) == expected


def test_json_and_xml_by_structure() -> None:
    assert recognise("[", '[{"performanceMetrics": []}]') is UNKNOWN_JSON
    assert recognise("{", '{"accountStatuses": []}').key == "account_health"
    assert recognise("{", '{"FinancialEvents": {"ChargebackEventList": []}}').key == (
        "financial_events"
    )
    cut_off = '{"payload": {"NextToken": "x", "FinancialEvents": {"ShipmentEventList": [{"A'
    assert recognise("{", cut_off).key == "financial_events"  # a large file's head
    assert recognise("<?xml", "<?xml version='1.0'?><Orders><Order/></Orders>") is UNKNOWN_XML
    v1 = "<?xml version='1.0'?>\n<sellerPerformanceReports><sellerPerformanceReport/>"
    assert recognise("<?xml", v1).key == "performance_v1"
    settlement = "<AmazonEnvelope><MessageType>SettlementReport</MessageType>"
    assert recognise("<AmazonEnvelope>", settlement).key == "settlement_xml"


def test_registry_is_complete() -> None:
    keys = [r.key for r in REPORTS]
    assert len(keys) == len(set(keys)) == len(REPORTS_BY_KEY)
    for report in REPORTS:
        assert report.name and report.recognised_by and report.carries and report.kinds
        if report.refused:
            assert report.lacks and report.instead, report.key
        else:
            assert report.reader in READERS, report.key
    assert REPORTS_BY_KEY["fba_shipments"].reader == "fba_shipments"
    assert "over-stated" in REPORTS_BY_KEY["fba_shipments"].note
    assert REPORTS_BY_KEY["archived_orders"].reader == "all_orders"
    assert "by last update" in ALL_ORDERS.recognised_by
    assert "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL" in ALL_ORDERS.report_types


def test_refusal_message() -> None:
    message = refusal(REPORTS_BY_KEY["unshipped_orders"], "orders.txt")
    assert message.startswith(
        "'orders.txt' is the Unshipped Orders report (GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING)"
        ": it does not carry shipped, cancelled and FBA orders"
    )
    assert message.endswith(
        "download the All Orders report (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL) "
        "(Seller Central: Reports > Fulfillment > All Orders) instead"
    )
    other = refusal(UNKNOWN_JSON, "settings.json")
    assert "is a JSON file but not a report odr-analysis reads" in other
    assert "not an account-health report (GET_V2_SELLER_PERFORMANCE_REPORT" in other
    assert "nor Finances API financial events" in other


def test_describe_json() -> None:
    assert describe_json({"errors": [{"code": "InvalidInput"}]}) == "the SP-API error response"
    assert describe_json({"payload": {"Orders": []}}) == (
        "the Orders API response (getOrders / getOrderItems (Orders API))"
    )
    assert json_report({"payload": {"FinancialEvents": {}}}).key == "financial_events"
    assert json_report({"theme": "dark"}) is None
    assert json_report([{"performanceMetrics": []}]) is None
