"""The All Orders report reader and the shared delimited-text layer (readers.orders)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.readers.orders import (
    MCF_REASON,
    ORDERS_SPEC,
    ReportFormatError,
    _iso_timestamp,
    combine_orders,
    read_orders_file,
    read_table,
)
from odr_analysis.schema import validate_orders

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
ACME = FIXTURES / "accounts" / "acme-us"

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


def orders_of(*paths: Path, account: str = "acct") -> pl.DataFrame:
    return combine_orders([read_orders_file(p) for p in paths], account).orders


# --- the delimited-text layer -----------------------------------------------------------------


def test_header_names_not_positions_bom_crlf_extra_and_missing_columns(tmp_path: Path) -> None:
    header = ["sales-channel", "number-of-items", "fulfillment-channel", "purchase-date"]
    header += ["cpf", "amazon-order-id"]
    path = tmp_path / "o.txt"
    lines = "\r\n".join(
        [
            "\t".join(header),
            "Amazon.com\t1\tMerchant\t2025-10-05T10:15:00-07:00\t\t111-1",
            "Amazon.com\t2\tAmazon\t2025-10-06T10:15:00-07:00\t\t111-2",
        ]
    )
    path.write_bytes(b"\xef\xbb\xbf" + lines.encode() + b"\r\n")
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1", "111-2"]
    assert raw.rows["fulfillment_channel"].to_list() == ["Merchant", "Amazon"]  # no stray \r
    assert raw.rows["line"].to_list() == [2, 3]
    assert raw.rows["sku"].null_count() == 2  # optional column absent: null
    assert raw.present == {"order_id", "purchase_date", "fulfillment_channel", "sales_channel"}
    parsed = items(path)
    assert parsed["channel"].to_list() == ["MFN", "AFN"]


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(tmp_path: Path) -> None:
    path = write(tmp_path / "o.txt", [row("111-1"), [], row("111-2"), ["  "]])
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["line"].to_list() == [2, 4]
    assert (raw.rows_read, raw.blank_lines) == (2, 2)


def test_short_and_long_lines_are_rejected_with_their_line_number(tmp_path: Path) -> None:
    short = row("111-2")[:5]
    long_ = [*row("111-3"), "surprise"]
    trailing_empties = [*row("111-4"), "", ""]
    path = write(tmp_path / "o.txt", [row("111-1"), short, long_, trailing_empties])
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1", "111-4"]
    rejects = raw.rejects.sort("line")
    assert rejects["line"].to_list() == [3, 4]
    assert rejects["order_id"].to_list() == ["111-2", "111-3"]
    assert "has 5 fields; the header has 11" in rejects["reason"][0]
    assert "has 12 fields; the header has 11" in rejects["reason"][1]
    assert raw.rows_read == 4


def test_header_with_trailing_empty_column(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    text = "\t".join([*COLUMNS, ""]) + "\n"
    text += "\t".join([*row("111-1"), ""]) + "\n"  # carries the trailing tab
    text += "\t".join(row("111-2")) + "\n"  # does not
    path.write_text(text, encoding="utf-8")
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1", "111-2"]
    assert raw.rejects.is_empty()


def test_a_last_line_cut_off_mid_row_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    good = "\t".join(COLUMNS) + "\n" + "\t".join(row("111-1")) + "\n"
    path.write_text(good + "111-2\t2025-10-0", encoding="utf-8")
    with pytest.raises(ReportFormatError, match=r"line 3: the file ends in the middle") as info:
        read_table(path, ORDERS_SPEC)
    assert info.value.line == 3
    assert str(path) in str(info.value)
    # A complete last line without a line end is fine.
    path.write_text(good + "\t".join(row("111-2")), encoding="utf-8")
    assert read_table(path, ORDERS_SPEC).rows["order_id"].to_list() == ["111-1", "111-2"]


def test_comma_separated_file_is_an_error_that_asks_for_tabs(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(row()) + "\n", encoding="utf-8")
    with pytest.raises(ReportFormatError, match=r"comma-separated, not tab-separated") as info:
        read_table(path, ORDERS_SPEC)
    assert "All Orders report" in str(info.value)
    assert info.value.file == str(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b" \n\r\n", "is empty"),
        (b"\xef\xbb\xbf\r\n", "is empty"),
        ("\t".join(COLUMNS).encode("utf-16"), "UTF-16"),
        (b"amazon-order-id\x00\tpurchase-date\n", "NUL byte"),
    ],
)
def test_files_that_are_not_text_reports(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "o.txt"
    path.write_bytes(data)
    with pytest.raises(ReportFormatError, match=message) as info:
        read_table(path, ORDERS_SPEC)
    assert str(path) in str(info.value)


def test_non_utf8_bytes_name_the_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    body = "\t".join(COLUMNS) + "\n" + "\t".join(row()) + "\n" + "\t".join(row("111-\xe9")) + "\n"
    path.write_bytes(body.encode("latin-1"))
    offset = body.encode("latin-1").index(b"\xe9")
    with pytest.raises(ReportFormatError, match=rf"line 3: is not UTF-8: byte {offset}") as info:
        read_table(path, ORDERS_SPEC)
    assert info.value.line == 3


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    path.write_text("\t".join(COLUMNS), encoding="utf-8")  # not even a line end
    raw = read_table(path, ORDERS_SPEC)
    assert (raw.rows.height, raw.rows_read, raw.rejects.height) == (0, 0, 0)


def test_missing_required_column_names_column_and_file(tmp_path: Path) -> None:
    header = [c for c in COLUMNS if c != "purchase-date"]
    path = write(
        tmp_path / "o.txt",
        [[v for c, v in zip(COLUMNS, row(), strict=True) if c in header]],
        header,
    )
    with pytest.raises(ReportFormatError, match=r"line 1: missing column 'purchase-date'") as info:
        read_table(path, ORDERS_SPEC)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 1, "purchase-date")
    assert "tab-separated" in str(info.value)


def test_a_column_twice_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "o.txt", [[*row(), "x"]], [*COLUMNS, "sku"])
    with pytest.raises(ReportFormatError, match=r"column 'sku' appears 2 times"):
        read_table(path, ORDERS_SPEC)


# --- parsing an All Orders report -------------------------------------------------------------


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
