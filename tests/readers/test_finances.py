"""Claims and chargebacks from the Finances API (odr_analysis.readers.finances)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from odr_analysis.readers.claims import read_claims_file
from odr_analysis.readers.finances import (
    EVENTS_SCHEMA,
    FINANCES_LIMITS,
    merge_financial_events,
    parse_financial_events,
    read_financial_events_file,
)
from odr_analysis.readers.table import FileRead, ReportFormatError
from odr_analysis.schema import STATUSES

REPORTS = Path(__file__).parents[1] / "fixtures" / "readers" / "reports"
PAGE1 = REPORTS / "financial-events-page1.json"
PAGE2 = REPORTS / "financial-events-page2.json"


def adds_up(read: FileRead) -> bool:
    return read.rows_read == read.rows.height + read.rejects.height


def test_a_pretty_printed_page() -> None:
    read = read_financial_events_file(PAGE1)
    assert read.format == "financial_events"
    assert read.rows.schema == EVENTS_SCHEMA
    assert read.rows_read == 5 and adds_up(read)
    assert read.rows.select("order_id", "kind", "event_date", "status", "line").rows() == [
        ("111-0000001-0000001", "a_to_z_claim", dt.date(2025, 11, 3), "granted", 32),
        ("111-0000002-0000002", "a_to_z_claim", dt.date(2025, 11, 4), "granted", 54),
        # 23:30 -08:00 on 2 November is 3 November UTC
        ("111-0000003-0000003", "chargeback", dt.date(2025, 11, 3), "unknown", 82),
    ]
    assert read.rows["marketplace"].unique().to_list() == ["Amazon.com"]
    assert read.rows["path"][2] == "FinancialEvents.ChargebackEventList[0]"
    rejects = read.rejects.sort("line", nulls_last=True)
    assert rejects.select("line", "order_id", "column").rows() == [
        (104, "111-0000004-0000004", "FinancialEvents.ChargebackEventList[1]"),
        (None, None, "FinancialEvents.GuaranteeClaimEventList[2]"),
    ]
    assert rejects["reason"].to_list() == [
        "PostedDate 'yesterday' is not an ISO 8601 date-time with a UTC offset (like "
        "2025-11-02T10:00:00Z)",
        "event without an AmazonOrderId: its order cannot be found",
    ]
    assert set(rejects["outcome"]) == {"rejected"}
    assert read.notes[:3] == FINANCES_LIMITS
    assert "other events are not defects and are not read (ShipmentEventList 1)" in read.notes
    assert any(n.startswith("this page has a NextToken") for n in read.notes)
    # statuses the engine knows, and that count by default
    assert set(read.rows["status"]) <= {*STATUSES["a_to_z_claim"], *STATUSES["chargeback"]}


def test_the_limits_are_stated() -> None:
    text = " ".join(FINANCES_LIMITS)
    for words in ("moved money", "pending", "Amazon funded", "service or a fraud", "'unknown'"):
        assert words in text


def test_a_compact_payload_page_numbers_its_events() -> None:
    read = read_financial_events_file(PAGE2)
    assert read.rows.select("order_id", "kind", "line").rows() == [
        ("111-0000002-0000002", "a_to_z_claim", 1),
        ("111-0000005-0000005", "chargeback", 2),
    ]
    assert read.notes[-1] == (
        "the JSON is not written one event per line: line numbers are the events' numbers in "
        "the file"
    )
    assert not any("NextToken" in n for n in read.notes)


def test_pages_are_merged_and_the_claims_log_wins(tmp_path: Path) -> None:
    log = tmp_path / "claims.csv"
    log.write_text(
        "order-id,type,date,status\n"
        "111-0000001-0000001,A-to-z claim,2025-10-30,Denied\n"
        "111-0000003-0000003,A-to-z claim,2025-10-30,Pending\n"
    )
    claims = read_claims_file(log)
    pages = [read_financial_events_file(PAGE1), read_financial_events_file(PAGE2)]
    merged = merge_financial_events(pages, [claims])
    assert [m.file for m in merged] == [PAGE1.name, PAGE2.name]
    assert all(adds_up(m) for m in merged)
    assert merged[0].rows["order_id"].to_list() == [
        "111-0000002-0000002",
        "111-0000003-0000003",  # the log speaks of this order's A-to-z claim, not its chargeback
    ]
    won = merged[0].rejects.filter(merged[0].rejects["outcome"] == "excluded")
    assert won.select("line", "order_id").rows() == [(32, "111-0000001-0000001")]
    assert won["reason"][0] == (
        "the claims log speaks of this order's A-to-z claim (claims.csv line 2): it wins over "
        "the financial event"
    )
    assert merged[1].rows["order_id"].to_list() == ["111-0000005-0000005"]
    repeated = merged[1].rejects
    assert repeated.select("line", "outcome").rows() == [(1, "excluded")]
    assert repeated["reason"][0] == (f"duplicate event (already read from {PAGE1.name} line 54)")


def test_merge_without_a_claims_log_and_without_events() -> None:
    assert merge_financial_events([]) == []
    page = read_financial_events_file(PAGE1)
    assert merge_financial_events([page]) == [page]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "the JSON is list, not an object"),
        ('{"errors": [{"code": "Unauthorized"}]}', "an error response from Amazon"),
        ('{"payload": {"FinancialEventGroupList": []}}', "looks like the Finances API financial"),
        ('{"theme": "dark"}', "holds no FinancialEvents: its keys are ['theme']"),
        ('{"FinancialEvents": []}', "FinancialEvents is not an object"),
        ('{"FinancialEvents": {"ChargebackEventList": {}}}', "ChargebackEventList is not a list"),
        ('{"FinancialEvents": ', "is not valid JSON"),
        ('{"FinancialEvents": {"a": NaN}}', "NaN is not a JSON number"),
    ],
)
def test_other_json_is_refused_by_name(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "events.json"
    path.write_text(content)
    with pytest.raises(ReportFormatError, match=message.replace("[", r"\[")) as info:
        read_financial_events_file(path)
    assert str(info.value).startswith(f"financial events file '{path}'")


def test_not_an_object_event_is_rejected() -> None:
    read = parse_financial_events(
        {"FinancialEvents": {"GuaranteeClaimEventList": ["oops", None]}}, file="p.json"
    )
    assert read.rows.is_empty() and read.rows_read == 2 and adds_up(read)
    assert read.rejects["reason"][0] == (
        "FinancialEvents.GuaranteeClaimEventList[0] is not an object (a ShipmentEvent)"
    )


def test_events_in_the_file_s_order(tmp_path: Path) -> None:
    events = {
        "ChargebackEventList": [{"AmazonOrderId": "111-2", "PostedDate": "2025-11-01T00:00:00Z"}],
        "GuaranteeClaimEventList": [
            {"AmazonOrderId": "111-1", "PostedDate": "2025-11-01T00:00:00Z"}
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"FinancialEvents": events}))
    read = read_financial_events_file(path)
    assert read.rows.select("order_id", "line").rows() == [("111-2", 1), ("111-1", 2)]
