"""The seller feedback report reader (odr_analysis.readers.feedback)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.readers.feedback import (
    date_format_for,
    parse_feedback_date,
    read_feedback_file,
)
from odr_analysis.readers.marketplaces import MARKETPLACES, feedback_date_format
from odr_analysis.readers.table import ReportFormatError
from odr_analysis.schema import OdrInputError

HEADER = ["Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"]
US = "%m/%d/%y"


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def fb(date: str, rating: str = "1", order: str = "111-1", comments: str = "") -> list[str]:
    return [date, rating, comments, "", order, "someone@marketplace.amazon.com"]


def parse(values: list[str], fmt: str) -> list[dt.date | None]:
    return pl.DataFrame({"d": values}).select(parse_feedback_date("d", fmt)).to_series().to_list()


@pytest.mark.parametrize(
    ("marketplace", "text"),
    [  # odr-domain.md 4c / E14: the same day, 13 January 2017, as each marketplace writes it
        ("US", "1/13/17"),
        ("Amazon.com", "01/13/17"),
        ("DE", "13.1.17"),
        ("Amazon.de", "13.01.17"),
        ("JP", "17/1/13"),
        ("UK", "13/1/17"),
        ("FR", "13/01/17"),
        ("CA", "13/1/17"),
        ("MX", "13/1/17"),
        ("SE", "2017-01-13"),
    ],
)
def test_each_marketplace_writes_its_dates_its_way(marketplace: str, text: str) -> None:
    assert parse([text], feedback_date_format(marketplace)) == [dt.date(2017, 1, 13)]


def test_month_first_and_day_first_read_the_same_text_differently() -> None:
    assert parse(["1/2/25"], "%m/%d/%y") == [dt.date(2025, 1, 2)]
    assert parse(["1/2/25"], "%d/%m/%y") == [dt.date(2025, 2, 1)]


def test_two_digit_years_are_this_century_and_four_digit_years_are_accepted() -> None:
    assert parse(["12/31/99", "1/1/00", "1/1/2024"], US) == [
        dt.date(2099, 12, 31),
        dt.date(2000, 1, 1),
        dt.date(2024, 1, 1),
    ]


def test_dates_that_do_not_exist_in_the_format_are_null() -> None:
    assert parse(["13/1/17", "2/30/24", "2/29/24", "1.13.17", "", "1/13", "x"], US) == [
        None,
        None,
        dt.date(2024, 2, 29),
        None,
        None,
        None,
        None,
    ]


def test_unsupported_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported feedback date format"):
        parse_feedback_date("d", "%b %d, %Y")


def test_every_marketplace_has_a_usable_feedback_date_format() -> None:
    for market in MARKETPLACES.values():
        parse_feedback_date("d", market.feedback_date_format)  # does not raise


def test_date_format_for_prefers_the_marketplace_given() -> None:
    assert date_format_for("uk", ["Amazon.com"]) == ("%d/%m/%y", "Amazon.co.uk")
    assert date_format_for("A1VC38T7YXB528", []) == ("%y/%m/%d", "Amazon.co.jp")
    with pytest.raises(OdrInputError, match="unknown marketplace 'Narnia'"):
        date_format_for("Narnia", ["Amazon.com"])


def test_date_format_for_takes_the_orders_marketplaces_when_they_agree() -> None:
    assert date_format_for(None, ["Amazon.com"]) == (US, "Amazon.com")
    assert date_format_for(None, ["Amazon.fr", "Amazon.co.uk", "Amazon.fr"]) == (
        "%d/%m/%y",
        "Amazon.co.uk, Amazon.fr",
    )


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ([], "no orders to take it from"),
        (["Amazon.com", "Amazon.co.uk"], r"Amazon.co.uk: D/M/YY; Amazon.com: M/D/YY"),
        (["Amazon.co.za"], "'Amazon.co.za' is not one whose feedback date format is known"),
    ],
)
def test_date_format_for_never_guesses(orders: list[str], message: str) -> None:
    with pytest.raises(OdrInputError, match=message) as info:
        date_format_for(None, orders)
    assert "marketplace=" in str(info.value)


def test_reading_a_feedback_report(tmp_path: Path) -> None:
    path = write(
        tmp_path / "fb.txt",
        [
            fb("10/20/25", "1", "111-1", "Broken"),
            fb("10/21/25", "2", "111-2"),
            fb("10/22/25", "3", "111-3"),  # neutral: kept, the engine does not count it
            fb("10/23/25", "5", "111-4"),
            fb("13/23/25", "1", "111-5"),  # no 13th month
            fb("10/24/25", "0", "111-6"),
            fb("10/24/25", "two", "111-7"),
            fb("10/25/25", "1", ""),
        ],
    )
    read = read_feedback_file(path, date_format=US, marketplace="Amazon.com")
    assert read.rows["order_id"].to_list() == ["111-1", "111-2", "111-3", "111-4"]
    assert read.rows["rating"].to_list() == [1, 2, 3, 5]
    assert read.rows["date"][0] == dt.date(2025, 10, 20)
    assert read.rows["status"].to_list() == ["active"] * 4
    assert read.rows["line"].to_list() == [2, 3, 4, 5]
    rejects = read.rejects.sort("line")
    assert rejects.select("line", "column", "value").rows() == [
        (6, "Date", "13/23/25"),
        (7, "Rating", "0"),
        (8, "Rating", "two"),
        (9, "Order ID", ""),
    ]
    assert rejects["reason"][0] == (
        "Date '13/23/25' is not a valid date in the format M/D/YY (%m/%d/%y, the format of "
        "Amazon.com)"
    )
    assert rejects["order_id"].to_list() == ["111-5", "111-6", "111-7", None]
    assert read.rows_read == 8


def test_status_column_our_extension(tmp_path: Path) -> None:
    header = [*HEADER, "Status"]
    rows = [
        [*fb("1.10.25", order="1"), ""],
        [*fb("2.10.25", order="2"), "Removed"],
        [*fb("3.10.25", order="3"), "struck through"],
        [*fb("4.10.25", order="4"), " Withdrawn "],
        [*fb("5.10.25", order="5"), "Deleted"],
    ]
    read = read_feedback_file(write(tmp_path / "fb.txt", rows, header), date_format="%d.%m.%y")
    assert read.rows["status"].to_list() == ["active", "removed", "struck_through", "withdrawn"]
    reject = read.rejects.row(0, named=True)
    assert (reject["line"], reject["column"], reject["value"]) == (6, "Status", "Deleted")
    assert "accepted: blank (active), Removed, Struck through, Withdrawn" in reject["reason"]


def test_rater_email_is_never_read_and_emails_in_comments_are_removed(tmp_path: Path) -> None:
    rows = [fb("10/20/25", comments="write me at jane.doe+amz@example.co.uk please")]
    read = read_feedback_file(write(tmp_path / "fb.txt", rows), date_format=US)
    assert not [c for c in read.rows.columns if "email" in c.lower()]
    assert read.rows["comments"].to_list() == ["write me at [email removed] please"]
    texts = read.rows.select(pl.col(pl.String)).rows()
    assert not [v for r in texts for v in r if v and "@" in v]


def test_most_dates_invalid_means_the_marketplace_is_wrong(tmp_path: Path) -> None:
    rows = [fb("25/10/25"), fb("30/10/25"), fb("1/11/25")]  # day-first, read as US
    path = write(tmp_path / "fb.txt", rows)
    with pytest.raises(ReportFormatError, match=r"2 of 3 dates are not valid") as info:
        read_feedback_file(path, date_format=US, marketplace="Amazon.com")
    assert "marketplace" in str(info.value)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 2, "Date")
    # Read day-first, the same file is fine.
    assert read_feedback_file(path, date_format="%d/%m/%y").rows.height == 3


def test_feedback_header_variants(tmp_path: Path) -> None:
    header = ["order-id", "date", "rating", "response", "comments"]
    path = write(tmp_path / "fb.txt", [["111-1", "20/10/25", "2", "", "meh"]], header)
    read = read_feedback_file(path, date_format="%d/%m/%y")
    assert read.rows.select("order_id", "date", "rating", "comments").row(0) == (
        "111-1",
        dt.date(2025, 10, 20),
        2,
        "meh",
    )
    no_rating = write(tmp_path / "bad.txt", [["20/10/25", "111-1"]], ["Date", "Order ID"])
    with pytest.raises(ReportFormatError, match="missing column 'rating'"):
        read_feedback_file(no_rating, date_format="%d/%m/%y")
