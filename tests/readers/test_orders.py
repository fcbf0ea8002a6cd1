"""The All Orders report reader (odr_analysis.readers.orders)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.readers.orders import (
    MCF_REASON,
    _iso_timestamp,
    combine_orders,
    read_orders_file,
)
from odr_analysis.readers.table import ReportFormatError
from odr_analysis.schema import validate_orders

from .orders_rows import row, write

FIXTURES = Path(__file__).parents[1] / "fixtures" / "readers"
ACME = FIXTURES / "accounts" / "acme-us"


def orders_of(*paths: Path, account: str = "acct") -> pl.DataFrame:
    return combine_orders([read_orders_file(p) for p in paths], account).orders


@pytest.mark.parametrize(
    ("purchase", "utc", "order_date"),
    [
        ("2025-11-30T20:30:00-08:00", "2025-12-01 04:30:00", dt.date(2025, 12, 1)),
        ("2025-11-01T08:30:00+09:00", "2025-10-31 23:30:00", dt.date(2025, 10, 31)),
        ("2025-11-30T23:59:59+00:00", "2025-11-30 23:59:59", dt.date(2025, 11, 30)),
        ("2025-11-30T23:59:59Z", "2025-11-30 23:59:59", dt.date(2025, 11, 30)),
        ("2025-11-30T23:59:59.999Z", "2025-11-30 23:59:59.999", dt.date(2025, 11, 30)),
        ("2025-11-30T18:00:00.123456-06:00", "2025-12-01 00:00:00.123456", dt.date(2025, 12, 1)),
        (" 2025-06-01T00:30:00+05:30 ", "2025-05-31 19:00:00", dt.date(2025, 5, 31)),
    ],
)
def test_purchase_date_is_converted_to_utc_before_taking_the_date(
    tmp_path: Path, purchase: str, utc: str, order_date: dt.date
) -> None:
    orders = orders_of(write(tmp_path / "o.txt", [row(purchase=purchase)]))
    assert orders["order_date"].to_list() == [order_date]
    expected = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert orders["purchase_ts"].to_list() == [expected]


@given(
    moment=st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2035, 12, 31)),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
)
def test_order_date_matches_python_for_any_offset(moment: dt.datetime, offset_minutes: int) -> None:
    local = moment.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(minutes=offset_minutes)))
    frame = pl.DataFrame({"purchase_date": [local.isoformat()]})
    got = frame.select(_iso_timestamp("purchase_date")).item()
    assert got == local.astimezone(dt.UTC)
    assert got.date() == local.astimezone(dt.UTC).date()


@pytest.mark.parametrize(
    ("purchase", "why"),
    [
        ("2025-11-30T20:30:00", "no offset: local or UTC?"),
        ("30/11/2025 20:30", "not ISO"),
        ("2025-02-30T10:00:00Z", "no such day"),
        ("", "empty"),
    ],
)
def test_unreadable_purchase_date_is_rejected(tmp_path: Path, purchase: str, why: str) -> None:
    path = write(tmp_path / "o.txt", [row("111-1"), row("111-2", purchase), row("111-3")])
    read = read_orders_file(path)
    assert read.rows["order_id"].to_list() == ["111-1", "111-3"], why
    reject = read.rejects.row(0, named=True)
    assert (reject["line"], reject["order_id"], reject["column"]) == (3, "111-2", "purchase-date")
    assert reject["value"] == purchase
    assert "ISO 8601" in reject["reason"]
    assert reject["outcome"] == "rejected"


def test_mostly_unreadable_purchase_dates_is_an_error(tmp_path: Path) -> None:
    rows = [row("111-1"), row("111-2", "2025-10-05 10:15"), row("111-3", "2025-10-05 10:16")]
    path = write(tmp_path / "o.txt", rows)
    with pytest.raises(ReportFormatError, match=r"2 of 3 purchase-date values"):
        read_orders_file(path)


def test_channels_map_and_unknown_channel_is_rejected_with_accepted_values(tmp_path: Path) -> None:
    rows = [
        row("111-1", channel="Amazon"),
        row("111-2", channel="Merchant"),
        row("111-3", channel=" merchant "),
        row("111-4", channel="Seller"),
        row("111-5", channel=""),
    ]
    read = read_orders_file(write(tmp_path / "o.txt", rows))
    assert read.rows["channel"].to_list() == ["AFN", "MFN", "MFN"]
    rejects = read.rejects.sort("line")
    assert rejects["value"].to_list() == ["Seller", ""]
    assert rejects["column"].to_list() == ["fulfillment-channel"] * 2
    assert "accepted: Amazon (AFN), Merchant (MFN)" in rejects["reason"][0]


def test_a_file_of_mcf_orders_only_gives_no_orders(tmp_path: Path) -> None:
    path = write(tmp_path / "o.txt", [row("111-1", sales="Non-Amazon")])
    combined = combine_orders([read_orders_file(path)], "acct")
    assert combined.orders.is_empty() and combined.items.is_empty()
    assert combined.kept == {"o.txt": 0}
    assert combined.rejects["outcome"].to_list() == ["excluded"]


def test_mcf_orders_are_excluded_with_the_reason(tmp_path: Path) -> None:
    rows = [row("111-1"), row("111-2", sales="Non-Amazon"), row("111-3", sales="non-amazon")]
    read = read_orders_file(write(tmp_path / "o.txt", rows))
    assert read.rows["order_id"].to_list() == ["111-1"]
    assert read.rejects["reason"].to_list() == [MCF_REASON, MCF_REASON]
    assert read.rejects["outcome"].to_list() == ["excluded", "excluded"]


def test_is_business_order(tmp_path: Path) -> None:
    rows = [
        row("111-1", business="true"),
        row("111-2", business="FALSE"),
        row("111-3", business=""),
        row("111-4", business="yes"),
    ]
    read = read_orders_file(write(tmp_path / "o.txt", rows))
    assert read.rows["is_business"].to_list() == [True, False, None]
    assert read.rejects.select("line", "column").row(0) == (5, "is-business-order")


def test_items_collapse_to_orders(tmp_path: Path) -> None:
    rows = [
        row("111-1", sku="A", quantity="1"),
        row("111-1", sku="B", quantity="2"),
        row("111-2", channel="Amazon", sku="A"),  # mixed channels: MFN
        row("111-2", channel="Merchant", sku="B"),
        row("111-3", purchase="2025-10-05T10:15:00-07:00", sku="A"),  # dates disagree: earliest
        row("111-3", purchase="2025-10-04T23:00:00-07:00", sku="B"),
        row("111-4", status="Cancelled"),
        row("111-5", status="Pending"),
    ]
    path = write(tmp_path / "o.txt", rows)
    combined = combine_orders([read_orders_file(path)], "acct")
    orders = combined.orders
    validate_orders(orders).collect()
    assert orders["order_id"].to_list() == ["111-1", "111-2", "111-3", "111-4", "111-5"]
    assert orders["item_count"].to_list() == [2, 2, 2, 1, 1]
    assert orders["units"].to_list() == [3, 2, 2, 1, 1]
    assert orders["channel"].to_list() == ["AFN", "MFN", "AFN", "AFN", "AFN"]
    assert orders["order_date"][2] == dt.date(2025, 10, 5)  # 2025-10-04T23:00-07:00 is 10-05 UTC
    assert orders["purchase_ts"][2] == dt.datetime(2025, 10, 5, 6, 0, tzinfo=dt.UTC)
    assert orders["order_status"].to_list()[3:] == ["Cancelled", "Pending"]
    assert orders["account"].unique().to_list() == ["acct"]
    note = combined.notes["o.txt"]
    assert "5 order(s)" in note
    assert "1 order(s) mix Amazon and Merchant items: counted as MFN" in note
    assert "1 order(s) whose items disagree on purchase-date: earliest taken" in note
    assert combined.items.height == 8
    assert combined.items.select("sku", "line").row(1) == ("B", 3)


def test_identical_rows_and_older_copies_across_overlapping_files(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.txt",
        [
            row("111-1", sku="A"),
            row("111-2", sku="A", status="Pending", updated="2025-10-06T08:00:00+00:00"),
            row("111-3", sku="A"),
        ],
    )
    second = write(
        tmp_path / "b.txt",
        [
            row("111-1", sku="A"),  # identical to a.txt line 2
            row("111-2", sku="A", status="Shipped", updated="2025-10-09T08:00:00+00:00"),  # newer
            row("111-3", sku="B"),  # another item of an order of a.txt: merged
            row("111-3", sku="B"),  # identical within the file
        ],
    )
    combined = combine_orders([read_orders_file(first), read_orders_file(second)], "acct")
    rejects = combined.rejects.sort("file", "line")
    assert rejects.select("file", "line").rows() == [("a.txt", 3), ("b.txt", 2), ("b.txt", 5)]
    reasons = rejects["reason"].to_list()
    assert "older copy of the order item kept from b.txt line 3" in reasons[0]
    assert reasons[1] == "duplicate row (already read from a.txt line 2)"
    assert reasons[2] == "duplicate row (already read from b.txt line 4)"
    assert set(rejects["outcome"]) == {"excluded"}
    orders = combined.orders.sort("order_id")
    assert orders["order_status"].to_list() == ["Shipped", "Shipped", "Shipped"]
    assert orders["item_count"].to_list() == [1, 1, 2]
    assert combined.kept == {"a.txt": 2, "b.txt": 2}
    assert "1 order(s) with items in several files: merged" in combined.notes["a.txt"]


def test_an_order_s_status_comes_from_its_latest_updated_item(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a.txt",
        [row("111-1", sku="A", status="Pending", updated="2025-10-06T08:00:00Z")],
    )
    b = write(
        tmp_path / "b.txt",
        [row("111-1", sku="B", status="Cancelled", updated="2025-10-07T08:00:00Z")],
    )
    for files in ([a, b], [b, a]):
        orders = orders_of(*files)
        assert orders["order_status"].to_list() == ["Cancelled"]


def test_the_fixture_reports(tmp_path: Path) -> None:
    reads = [read_orders_file(p) for p in sorted(ACME.glob("All Orders*.txt"))]
    assert [r.rows_read for r in reads] == [15, 6]
    assert reads[1].notes == ("1 blank line(s) skipped",)
    combined = combine_orders(reads, "acme-us")
    validate_orders(combined.orders).collect()
    by_id = {r["order_id"]: r for r in combined.orders.iter_rows(named=True)}
    assert by_id["111-0000009-0000009"]["order_date"] == dt.date(2025, 11, 1)
    assert by_id["111-0000009-0000009"]["is_business"] is True
    assert by_id["111-0000002-0000002"]["item_count"] == 3  # two in October, one in November
    assert by_id["111-0000006-0000006"]["order_status"] == "Shipped"  # the November copy
    assert "111-0000004-0000004" not in by_id  # MCF
    assert combined.items.filter(pl.col("order_id") == "111-0000015-0000015")[
        "product_name"
    ].to_list() == ["Widget ™ édition spéciale"]


REPORTS = FIXTURES / "reports"


def test_lowercase_statuses_are_read_as_amazon_writes_them(tmp_path: Path) -> None:
    rows = [
        row("111-1", status="shipped"),
        row("111-2", status="CANCELLED"),
        row("111-3", status="Shipped"),
        row("111-4", status="Shipped - Delivered to Buyer"),
    ]
    read = read_orders_file(write(tmp_path / "o.txt", rows))
    assert read.rows["order_status"].to_list() == [
        "Shipped",
        "Cancelled",
        "Shipped",
        "Shipped - Delivered to Buyer",
    ]
    assert read.notes == (
        "2 row(s) whose order-status is written in another letter case: read 'CANCELLED' as "
        "Cancelled, 'shipped' as Shipped",
    )


@pytest.mark.parametrize("mangled", ["5.80293E+13", "1.11E+16", "5,80293E+13", "2e+16"])
def test_order_ids_destroyed_by_a_spreadsheet_are_rejected(tmp_path: Path, mangled: str) -> None:
    read = read_orders_file(write(tmp_path / "o.txt", [row("111-1"), row(mangled)]))
    assert read.rows["order_id"].to_list() == ["111-1"]
    reject = read.rejects.row(0, named=True)
    assert (reject["line"], reject["column"], reject["value"]) == (3, "amazon-order-id", mangled)
    assert reject["reason"].startswith(
        f"amazon-order-id '{mangled}' was turned into a number by a spreadsheet"
    )


def test_a_sales_channel_typo_is_rejected_on_the_orders_file(tmp_path: Path) -> None:
    rows = [row("111-1"), row("111-2", sales="Amazon.cmo"), row("111-3", sales="amazon.com")]
    read = read_orders_file(write(tmp_path / "o.txt", rows))
    assert read.rows.select("order_id", "marketplace").rows() == [
        ("111-1", "Amazon.com"),
        ("111-3", "Amazon.com"),
    ]
    reject = read.rejects.row(0, named=True)
    assert (reject["file"], reject["line"], reject["column"]) == ("o.txt", 3, "sales-channel")
    assert reject["reason"] == (
        "sales-channel 'Amazon.cmo' is neither an Amazon marketplace odr-analysis knows "
        "(Amazon.com, Amazon.co.uk, Amazon.de, ...: odr_analysis.readers.marketplaces) nor "
        "Non-Amazon (an MCF order): a typo, or a row of another report?"
    )
    assert read.notes == (
        "1 row(s) whose sales-channel is written in another letter case: read 'amazon.com' as "
        "Amazon.com",
    )


def test_a_file_of_several_marketplaces_says_where_each_starts(tmp_path: Path) -> None:
    rows = [row("111-1"), row("111-2"), row("111-3", sales="Amazon.co.uk")]
    read = read_orders_file(write(tmp_path / "o.txt", rows))
    assert read.notes == (
        "rows of several marketplaces: Amazon.com 2 row(s) from line 2; Amazon.co.uk 1 row(s) "
        "from line 4",
    )


def test_repeated_items_inside_one_file_are_removed_as_across_files(tmp_path: Path) -> None:
    older = dict(status="Pending", updated="2025-10-06T08:00:00+00:00")
    newer = dict(status="Shipped", updated="2025-10-09T08:00:00+00:00")
    rows = [
        # the first export
        row("111-1", sku="A", **older),
        row("111-2", sku="A", **older),
        row("111-2", sku="A", **older, quantity="2"),  # the same sku twice in one export: kept
        # the second export, joined with cat (its header line removed)
        row("111-1", sku="A", **newer),
        row("111-3", sku="A", **newer),
    ]
    combined = combine_orders([read_orders_file(write(tmp_path / "o.txt", rows))], "acct")
    rejects = combined.rejects
    assert rejects.select("line", "order_id", "outcome").rows() == [(2, "111-1", "excluded")]
    assert rejects["reason"][0] == (
        "older copy of the order item kept from o.txt line 5 (same amazon-order-id, sku and "
        "asin; that row has the later last-updated-date, or was read first)"
    )
    orders = combined.orders.sort("order_id")
    assert orders.select("order_id", "order_status", "item_count", "units").rows() == [
        ("111-1", "Shipped", 1, 1),
        ("111-2", "Pending", 2, 3),
        ("111-3", "Shipped", 1, 1),
    ]


def test_the_archived_orders_report_is_read_with_a_note() -> None:
    read = read_orders_file(REPORTS / "archived-orders.txt")
    assert read.rows["order_status"].to_list() == ["Shipped", "Cancelled"]
    assert read.notes == (
        "the archived orders report (GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE): read as "
        "the All Orders report (same order columns)",
    )


def test_the_issue_s_orders_fixture() -> None:
    read = read_orders_file(REPORTS / "all-orders.txt")
    assert read.rows_read == read.rows.height + read.rejects.height == 4
    assert read.rows["order_status"].to_list() == ["Shipped", "Shipped"]
    assert read.rejects["column"].to_list() == ["amazon-order-id", "sales-channel"]
