"""The delimited-text layer every text reader shares (odr_analysis.readers.table).

Most tests read a small All Orders report: the layer behaves the same for every spec (the
claims reader's tests cover quoted values).
"""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.readers.claims import CLAIMS_SPEC
from odr_analysis.readers.feedback import FEEDBACK_SPEC
from odr_analysis.readers.orders import ORDERS_SPEC
from odr_analysis.readers.source import Text, read_text
from odr_analysis.readers.table import (
    RawTable,
    ReportFormatError,
    TableSpec,
    read_table,
    rejects_frame,
    wordings_by_value,
)

from .orders_rows import COLUMNS, items, row, write


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
        (b"amazon-order-id\x00\tpurchase-date\n", "NUL byte"),
    ],
)
def test_files_that_are_not_text_reports(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "o.txt"
    path.write_bytes(data)
    with pytest.raises(ReportFormatError, match=message) as info:
        read_table(path, ORDERS_SPEC)
    assert str(path) in str(info.value)


def test_utf16_is_read(tmp_path: Path) -> None:
    """Was refused ("is UTF-16 text"): a spreadsheet's "Unicode text" is now read."""
    path = tmp_path / "o.txt"
    lines = ["\t".join(COLUMNS), "\t".join(row("111-1")), "\t".join(row("111-2"))]
    path.write_bytes("\r\n".join(lines).encode("utf-16") + "\r\n".encode("utf-16-le"))
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1", "111-2"]
    assert raw.rows["is_business"].to_list() == ["false", "false"]  # no stray CR
    assert raw.notes == ("UTF-16 LE text (byte-order mark)",)


def test_non_utf8_bytes_are_read_as_windows_1252(tmp_path: Path) -> None:
    """Was refused ("is not UTF-8: byte ..."): Latin-1 / Windows-1252 text is now read."""
    path = tmp_path / "o.txt"
    body = "\t".join(COLUMNS) + "\n" + "\t".join(row()) + "\n" + "\t".join(row("111-\xe9")) + "\n"
    path.write_bytes(body.encode("latin-1"))
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1", "111-é"]
    assert raw.notes == ("Windows-1252 text",)


def test_bytes_that_do_not_decode_in_a_forced_encoding_name_the_line_and_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.txt"
    body = "\t".join(COLUMNS) + "\n" + "\t".join(row()) + "\n" + "\t".join(row("111-\xe9")) + "\n"
    path.write_bytes(body.encode("latin-1"))
    offset = body.encode("latin-1").index(b"\xe9")
    message = rf"line 3: byte {offset} \(column 5, b'\\xe9'\) cannot be decoded as UTF-8"
    with pytest.raises(ReportFormatError, match=message) as info:
        read_table(path, ORDERS_SPEC, encoding="utf-8")
    assert info.value.line == 3
    assert str(info.value).startswith(f"orders file '{path}', line 3: ")


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


@pytest.mark.parametrize("spec", [ORDERS_SPEC, FEEDBACK_SPEC, CLAIMS_SPEC], ids=lambda s: s.what)
def test_a_spec_s_own_header_holds_every_column_it_reads(tmp_path: Path, spec: TableSpec) -> None:
    path = tmp_path / "header.txt"
    path.write_text(spec.separator.join(spec.header) + "\n", encoding="utf-8")
    assert read_table(path, spec).present == set(spec.columns)
    assert len(set(spec.header)) == len(spec.header)


def test_wordings_by_value_keeps_the_table_s_order() -> None:
    table = {"Granted": "granted", "Denied": "denied", "Amazon funded": "granted", "": "unknown"}
    assert wordings_by_value(table) == {
        "granted": ("Granted", "Amazon funded"),
        "denied": ("Denied",),
        "unknown": ("",),
    }
    assert list(wordings_by_value(table)) == ["granted", "denied", "unknown"]


# -- reading from the text layer (odr_analysis.readers.source) ---------------------------------

SEMICOLON_CLAIMS = dataclasses.replace(CLAIMS_SPEC, other_separators=(";",))
SPECS = {"orders": ORDERS_SPEC, "feedback": FEEDBACK_SPEC, "claims": SEMICOLON_CLAIMS}
FEEDBACK_HEADER = ["Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"]


def _orders_line(order: str, **values: str) -> str:
    """A full All Orders line (the spec's 32 columns), its last two columns empty."""
    fields = dict.fromkeys(ORDERS_SPEC.header, "")
    fields.update(
        {
            "amazon-order-id": order,
            "purchase-date": "2025-10-05T10:15:00-07:00",
            "order-status": "Shipped",
            "fulfillment-channel": "Merchant",
            "sales-channel": "Amazon.com",
            "product-name": "Widget, blue",
            "sku": "SKU-1",
            "asin": "B000000001",
            "quantity": "1",
            "ship-country": "US",
            "is-business-order": "false",
        }
    )
    fields.update(values)
    return "\t".join(fields.values())


def _accounted(raw: RawTable, text: Text) -> bool:
    """Every line of the file, counted on the text: the header, data lines, blank lines."""
    return 1 + raw.rows_read + raw.blank_lines == text.lines


def test_one_field_too_many_in_the_first_row_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    # Was polars' "SchemaError: CSV file contained column names not specified in schema".
    path = tmp_path / "claims.csv"
    path.write_text(
        "order-id,type,date,status,amount,currency,notes\n"
        "111-1,A-to-z claim,2025-10-01,Pending,10,USD,late, very late\n"
        "111-2,Chargeback,2025-10-02,Service,10,USD,fine\n",
        encoding="utf-8",
    )
    raw = read_table(path, CLAIMS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-2"]
    assert raw.rejects.select("line", "order_id", "value").rows() == [(2, "111-1", "8 fields")]
    assert "has 8 fields; the header has 7 (comma-separated" in raw.rejects["reason"][0]
    # A tab in the first feedback comment: the same.
    path = tmp_path / "feedback.txt"
    lines = [FEEDBACK_HEADER, ["1/2/25", "1", "late\tbroken", "", "111-1", "a@b.com"]]
    path.write_text("\n".join("\t".join(r) for r in lines) + "\n", encoding="utf-8")
    raw = read_table(path, FEEDBACK_SPEC)
    assert raw.rows.is_empty()
    assert raw.rejects.select("line", "value").rows() == [(2, "7 fields")]


def test_a_tab_in_a_product_name_never_shifts_later_columns(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    lines = [
        "\t".join(ORDERS_SPEC.header),
        _orders_line("111-1"),
        _orders_line("111-2", **{"product-name": "Widget\tblue"}),  # sku would get the name
        _orders_line("111-3"),
        _orders_line("111-4") + "\t\t",  # empty fields added at the end: nothing moved
        _orders_line("111-5", **{"product-name": "Widget\tblue"}) + "\t",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1", "111-3", "111-4"]
    assert raw.rows["sku"].to_list() == ["SKU-1"] * 3
    assert raw.rejects.select("line", "order_id", "value").rows() == [
        (3, "111-2", "33 fields"),
        (6, "111-5", "34 fields"),
    ]


def test_a_header_repeated_mid_file_is_excluded_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    header = "\t".join(COLUMNS)
    body = [header, "\t".join(row("111-1")), header, "\t".join(row("111-2")), ""]
    path.write_text("\n".join(body), encoding="utf-8")
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows.select("line", "order_id").rows() == [(2, "111-1"), (4, "111-2")]
    assert raw.rejects.select("line", "order_id", "value", "outcome").rows() == [
        (3, None, None, "excluded")
    ]
    assert raw.rejects["reason"][0].startswith("header line repeated mid-file")
    assert raw.rows_read == 3  # kept 2 + excluded 1
    assert raw.notes == ("header line repeated mid-file at line 3 (skipped)",)
    # Two exports joined with `cat`, the second with a byte-order mark: the same.
    path.write_bytes(
        ("\n".join(body[:2]) + "\n").encode() + ("\ufeff" + "\n".join(body[2:])).encode()
    )
    assert read_table(path, ORDERS_SPEC).rejects["line"].to_list() == [3]


@pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"], ids=["CR", "CRLF", "LF"])
def test_every_line_end_reads_every_row_and_the_count_agrees(tmp_path: Path, eol: str) -> None:
    path = write(tmp_path / "o.txt", [row("111-1"), [], row("111-2")], eol=eol)
    text = read_text(path)
    raw = read_table(text, ORDERS_SPEC)
    assert raw.rows.select("line", "order_id", "is_business").rows() == [
        (2, "111-1", "false"),
        (4, "111-2", "false"),
    ]
    assert (raw.rows_read, raw.blank_lines, text.lines) == (2, 1, 4)
    assert _accounted(raw, text)
    assert raw.notes == (("CR line ends (Excel for Mac)",) if eol == "\r" else ())


def test_gzip_and_a_text_already_read(tmp_path: Path) -> None:
    path = tmp_path / "orders.txt"  # the name does not say gzip: the bytes do
    plain = "\t".join(COLUMNS) + "\n" + "\t".join(row("111-1")) + "\n"
    path.write_bytes(gzip.compress(plain.encode()))
    raw = read_table(path, ORDERS_SPEC)
    assert raw.rows["order_id"].to_list() == ["111-1"]
    assert raw.notes == ("gzip-compressed",)
    assert read_table(read_text(path), ORDERS_SPEC, file="x.txt").rows["order_id"].to_list() == [
        "111-1"
    ]
    path.write_bytes(gzip.compress(plain.encode())[:-12])  # cut off
    with pytest.raises(ReportFormatError, match=r"damaged or cut-off gzip file") as info:
        read_table(path, ORDERS_SPEC)
    assert str(info.value).startswith(f"orders file '{path}': ")


def test_e_mail_addresses_and_direction_controls_never_reach_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "feedback.txt"
    shifted = ["1/2/25", "1", "late", "\tmail bob@example.com \u202eok", "", "111-1", "x@y.com"]
    lines = [FEEDBACK_HEADER, shifted]
    path.write_text("\n".join("\t".join(r) for r in lines) + "\n", encoding="utf-8")
    raw = read_table(path, FEEDBACK_SPEC)
    shown = [v for r in raw.rejects.select("order_id", "value", "reason").rows() for v in r if v]
    assert shown and not [v for v in shown if "@" in v or "\u202e" in v]
    frame = pl.DataFrame(
        [
            {
                "file": "f.txt",
                "line": 2,
                "order_id": "\u2066111-1\u2069",
                "column": "Status",
                "value": "Jane.Doe+amz@mail.example.co.uk wrote \u202ehello",
                "reason": "unknown Status 'a@b.de'",
                "outcome": "rejected",
            }
        ]
    )
    assert rejects_frame(frame).select("order_id", "value", "reason").row(0) == (
        "111-1",
        "[email removed] wrote hello",
        "unknown Status '[email removed]'",
    )


def test_a_spec_may_accept_several_separators_the_header_decides(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    text = (
        "order-id;type;date;status;amount;currency;notes\r\n"
        '111-1;A-to-z claim;2025-10-01;Pending;12,50;EUR;"Rückgabe; zu spät"\r\n'
    )
    path.write_bytes(text.encode("cp1252"))  # Excel on a German machine
    raw = read_table(path, SEMICOLON_CLAIMS)
    assert raw.rows.select("order_id", "type", "status").rows() == [
        ("111-1", "A-to-z claim", "Pending")
    ]
    assert raw.separator == ";"
    assert raw.notes == ("Windows-1252 text", "semicolon-separated")
    path.write_text("order-id,type,date,status\n111-1,claim,2025-10-01,Pending\n", "utf-8")
    assert read_table(path, SEMICOLON_CLAIMS).separator == ","
    path.write_text("order-id|type|date|status\n111-1|claim|2025-10-01|Pending\n", "utf-8")
    with pytest.raises(ReportFormatError, match=r"pipe-separated, not comma- or semicolon-sep"):
        read_table(path, SEMICOLON_CLAIMS)
    with pytest.raises(ReportFormatError, match=r"pipe-separated, not comma- or semicolon-sep"):
        read_table(path, CLAIMS_SPEC)  # the claims log is read as Excel saves it in any locale


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_the_accounting_adds_up_in_every_encoding(tmp_path: Path, name: str, encoding: str) -> None:
    spec = SPECS[name]
    path = tmp_path / "file.txt"
    fields = len(spec.header)
    lines = [
        spec.separator.join(spec.header),
        spec.separator.join(["111-1", *(["Wert"] * (fields - 1))]),
        "",
        spec.separator.join(["111-2", *(["Größe"] * fields)]),  # one field too many
        spec.separator.join(["111-3"]),  # too few
        spec.separator.join(spec.header),
        "   ",
    ]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    text = read_text(path)
    raw = read_table(text, spec)
    assert _accounted(raw, text)
    assert raw.rows_read == raw.rows.height + raw.rejects.height == 4
