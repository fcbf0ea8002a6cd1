"""The delimited-text layer every text reader shares (odr_analysis.readers.table).

Most tests read a small All Orders report: the layer behaves the same for every spec (the
claims reader's tests cover quoted values).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from odr_analysis.readers.claims import CLAIMS_SPEC
from odr_analysis.readers.feedback import FEEDBACK_SPEC
from odr_analysis.readers.orders import ORDERS_SPEC
from odr_analysis.readers.table import ReportFormatError, TableSpec, read_table, wordings_by_value

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
