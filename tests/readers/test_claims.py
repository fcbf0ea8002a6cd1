"""The claims-and-chargebacks log reader (odr_analysis.readers.claims)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from odr_analysis.readers.claims import (
    CHARGEBACK_STATUS_WORDINGS,
    CLAIM_STATUS_WORDINGS,
    TYPE_WORDINGS,
    read_claims_file,
)
from odr_analysis.readers.table import ReportFormatError
from odr_analysis.schema import STATUSES

HEADER = "order-id,type,date,status,amount,currency,notes"


def write(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_every_canonical_status_can_be_written() -> None:
    assert set(CLAIM_STATUS_WORDINGS.values()) == set(STATUSES["a_to_z_claim"])
    assert set(CHARGEBACK_STATUS_WORDINGS.values()) == set(STATUSES["chargeback"])
    assert set(TYPE_WORDINGS.values()) == {"a_to_z_claim", "chargeback"}


@pytest.mark.parametrize(("wording", "status"), list(CLAIM_STATUS_WORDINGS.items()))
def test_claim_wordings(tmp_path: Path, wording: str, status: str) -> None:
    path = write(
        tmp_path / "c.csv",
        f"111-1,A-to-z claim,2025-11-01,{wording},,,",
        f"111-2,a-to-z GUARANTEE claim,2025-11-02,  {wording.upper()} ,,,",
    )
    read = read_claims_file(path)
    assert read.rejects.is_empty()
    assert read.rows["status"].to_list() == [status, status]
    assert read.rows["kind"].to_list() == ["a_to_z_claim", "a_to_z_claim"]


@pytest.mark.parametrize(("wording", "status"), list(CHARGEBACK_STATUS_WORDINGS.items()))
def test_chargeback_wordings(tmp_path: Path, wording: str, status: str) -> None:
    read = read_claims_file(
        write(tmp_path / "c.csv", f"111-1,Chargeback claim,2025-11-01,{wording},,,")
    )
    assert read.rows.select("kind", "status").row(0) == ("chargeback", status)


def test_typographic_apostrophes_and_dashes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        "111-1,claim,2025-11-01,Decided in seller\u2019s favor,,,",
        "111-2,AtoZ,2025-11-01,Closed \u2013 refunded,,,",
    )
    assert read_claims_file(path).rows["status"].to_list() == ["denied", "seller_refunded"]


def test_reading_a_claims_log(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        '111-1,A-to-z claim,2025-11-01,Granted,19.99,USD,"said ""never came"", refunded"',
        "111-2,Chargeback,2025-11-02,,5,USD,",
        "111-3,A-to-z claim,2025-11-03,Escalated,,,",
        "111-4,Refund request,2025-11-04,Pending,,,",
        "111-5,claim,11/05/2025,Pending,,,",
        "111-6,claim,2025-11-06,,,,",
        ",claim,2025-11-07,Pending,,,",
        "111-8,Chargeback,2025-11-08,Lost,,,",
    )
    read = read_claims_file(path)
    assert read.rows.columns == ["order_id", "kind", "event_date", "status", "file", "line"]
    assert read.rows.select("order_id", "kind", "event_date", "status", "line").rows() == [
        ("111-1", "a_to_z_claim", dt.date(2025, 11, 1), "granted", 2),
        ("111-2", "chargeback", dt.date(2025, 11, 2), "unknown", 3),
    ]
    rejects = read.rejects.sort("line")
    assert rejects.select("line", "order_id", "column", "value").rows() == [
        (4, "111-3", "status", "Escalated"),
        (5, "111-4", "type", "Refund request"),
        (6, "111-5", "date", "11/05/2025"),
        (7, "111-6", "status", ""),
        (8, None, "order-id", ""),
        (9, "111-8", "status", "Lost"),
    ]
    reasons = rejects["reason"].to_list()
    assert reasons[0].startswith(
        "unknown A-to-z claim status 'Escalated'; accepted: Pending, Open,"
    )
    assert "Not counted against ODR" in reasons[0]
    assert reasons[1].startswith("unknown type 'Refund request'; accepted: A-to-z claim,")
    assert "YYYY-MM-DD" in reasons[2]
    assert reasons[5].endswith("Unauthorized, Unknown or blank")
    assert read.rows_read == 8


def test_mostly_unreadable_dates_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv", "111-1,claim,11/01/2025,Pending,,,", "111-2,claim,11/02/2025,Pending,,,"
    )
    with pytest.raises(ReportFormatError, match=r"2 of 2 dates are not written YYYY-MM-DD"):
        read_claims_file(path)


def test_line_break_inside_a_quoted_cell_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        "111-1,claim,2025-11-01,Pending,,,",
        '111-2,claim,2025-11-02,Pending,,,"two',
        'lines"',
    )
    with pytest.raises(ReportFormatError, match=r"line 3: a quoted value runs over a line break"):
        read_claims_file(path)


def test_wrong_number_of_fields_respects_quotes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        '111-1,claim,2025-11-01,Pending,"1,5",EUR,"a, b"',
        "111-2,claim,2025-11-02,Pending,1,EUR,x,extra",
        "111-3,claim,2025-11-03",
    )
    read = read_claims_file(path)
    assert read.rows["order_id"].to_list() == ["111-1"]
    assert read.rejects.select("line", "value").sort("line").rows() == [
        (3, "8 fields"),
        (4, "3 fields"),
    ]


def test_a_tab_separated_claims_file_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.txt", "111-1\tclaim\t2025-11-01\tPending", header=HEADER.replace(",", "\t")
    )
    with pytest.raises(ReportFormatError, match=r"tab-separated, not comma- or semicolon-sep"):
        read_claims_file(path)


def test_order_ids_a_spreadsheet_turned_into_numbers_are_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        "5.80293E+13,A-to-z claim,2025-11-01,Granted,,,",
        '"5,80293E+13",Chargeback,2025-11-02,Fraud,,,',
        "111-1234567-1234567,A-to-z claim,2025-11-03,Granted,,,",
    )
    read = read_claims_file(path)
    assert read.rows["order_id"].to_list() == ["111-1234567-1234567"]
    assert read.rejects.select("line", "column", "value").rows() == [
        (2, "order-id", "5.80293E+13"),
        (3, "order-id", "5,80293E+13"),
    ]
    assert read.rejects["reason"][0] == (
        "an order id turned into a number by a spreadsheet (5.80293E+13): the digits are lost; "
        "type it again from Seller Central, in a column formatted as text"
    )
