"""The seller feedback report reader (odr_analysis.readers.feedback)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.readers.feedback import (
    FEEDBACK_HEADERS,
    FEEDBACK_SPEC,
    UNPUBLISHED_FEEDBACK_HEADERS,
    FeedbackHeader,
    date_format_for,
    is_feedback_header,
    parse_feedback_date,
    read_feedback_file,
)
from odr_analysis.readers.marketplaces import MARKETPLACES, feedback_date_format
from odr_analysis.readers.source import read_text
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


# --- Every marketplace: localised headers, the layout by position -----------------------------

FIXTURES = Path(__file__).parents[1] / "fixtures" / "readers" / "feedback"
LOCAL = "%d/%m/%y"


def header_cases() -> list[tuple[FeedbackHeader, list[str]]]:
    """Each published header as written, in upper case with spaces, and as mojibake."""
    cases = []
    for header in FEEDBACK_HEADERS:
        names = list(header.names)
        cases += [(header, names), (header, [f" {n.upper()} " for n in names])]
        if not "".join(names).isascii():
            cases.append((header, [n.encode().decode("cp1252", "replace") for n in names]))
    return cases


@pytest.mark.parametrize(
    ("header", "names"),
    header_cases(),
    ids=lambda c: c.language if isinstance(c, FeedbackHeader) else "|".join(c),
)
def test_every_published_header_is_read_by_name(
    tmp_path: Path, header: FeedbackHeader, names: list[str]
) -> None:
    fmt = feedback_date_format(header.marketplaces[0])
    day = dt.date(2025, 11, 13)
    written = day.strftime(fmt)
    rows = [[written, "2", "late", "sorry", "111-1234567-1234567", "x@marketplace.amazon.com"]]
    read = read_feedback_file(write(tmp_path / "fb.txt", rows, names), date_format=fmt)
    assert read.rejects.is_empty()
    assert read.rows.select("date", "rating", "comments", "response", "order_id").row(0) == (
        day,
        2,
        "late",
        "sorry",
        "111-1234567-1234567",
    )
    assert not [n for n in read.notes if "by position" in n]


def test_the_header_table_names_a_source_for_each_header_and_covers_every_marketplace() -> None:
    for header in FEEDBACK_HEADERS:
        assert len(header.names) == 6
        assert header.source
        assert set(header.marketplaces) <= {m.country for m in MARKETPLACES.values()}
    seen = {c for h in FEEDBACK_HEADERS for c in h.marketplaces}
    assert seen.isdisjoint(UNPUBLISHED_FEEDBACK_HEADERS)
    assert seen | set(UNPUBLISHED_FEEDBACK_HEADERS) == {m.country for m in MARKETPLACES.values()}
    # The three headers of real files (airbyte #9212) and Amazon's English one are confirmed.
    confirmed = {h.marketplaces[0] for h in FEEDBACK_HEADERS if h.from_a_file}
    assert confirmed == {"US", "DE", "ES", "MX"}
    # No name is accepted for two columns.
    aliases = [a for column in FEEDBACK_SPEC.columns.values() for a in column]
    assert len(aliases) == len(set(aliases))
    assert all(a == a.lower() == a.strip() for a in aliases)


def test_is_feedback_header() -> None:
    for header in FEEDBACK_HEADERS:
        assert is_feedback_header(header.names), header.language
    assert is_feedback_header(["rating", "rater email"])  # our own minimal files
    assert not is_feedback_header(["order-id", "type", "date", "status"])  # a claims log
    assert not is_feedback_header(["amazon-order-id", "purchase-date", "order-status"])
    assert not is_feedback_header(["field 1", "field 2", "field 3"])


def test_german_file_of_amazon_de() -> None:
    read = read_feedback_file(FIXTURES / "de-amazon.de.txt", date_format=feedback_date_format("DE"))
    assert read.rows.select("date", "rating", "order_id").rows() == [
        (dt.date(2025, 11, 3), 1, "302-1000001-1000001"),
        (dt.date(2025, 11, 14), 2, "302-1000002-1000002"),
        (dt.date(2025, 11, 21), 3, "302-1000003-1000003"),
    ]
    assert read.rows["response"][1].startswith("Bitte schreiben Sie uns")
    assert read.rejects.select("line", "column", "value").rows() == [(5, "Date", "13.13.25")]
    assert read.rows_read == 4


def test_spanish_file_with_a_mojibake_header_a_decimal_rating_and_a_spreadsheet_id() -> None:
    read = read_feedback_file(FIXTURES / "es-amazon.es-mojibake.txt", date_format=LOCAL)
    assert read.rows.select("date", "rating", "order_id").rows() == [
        (dt.date(2025, 11, 5), 1, "171-2000001-2000001"),
        (dt.date(2025, 11, 12), 2, "171-2000002-2000002"),
    ]
    reject = read.rejects.row(0, named=True)
    assert (reject["line"], reject["column"], reject["value"]) == (4, "Order ID", "5,80293E+13")
    assert reject["reason"] == (
        "an order id turned into a number by a spreadsheet (5,80293E+13): the digits are lost; "
        "export the report again without opening it in a spreadsheet"
    )
    assert any("1 rating(s) written as decimals (e.g. '2.0'" in n for n in read.notes)


def test_mexican_file_of_amazon_com_mx() -> None:
    read = read_feedback_file(FIXTURES / "mx-amazon.com.mx.txt", date_format=LOCAL)
    assert read.rows.select("date", "rating", "order_id").rows() == [
        (dt.date(2025, 11, 7), 1, "701-3000001-3000001"),
        (dt.date(2025, 11, 28), 3, "701-3000002-3000002"),
    ]
    assert read.rows["comments"][0] == "Nunca llegó."
    assert read.rejects.is_empty()


def test_an_unknown_header_is_read_by_position_when_the_values_prove_the_layout() -> None:
    read = read_feedback_file(FIXTURES / "positional-jp.txt", date_format="%y/%m/%d")
    assert read.rows.select("date", "rating", "order_id").rows() == [
        (dt.date(2025, 11, 3), 1, "503-4000001-4000001"),
        (dt.date(2025, 11, 12), 2, "503-4000002-4000002"),
        (dt.date(2025, 11, 20), 3, "503-4000003-4000003"),
    ]
    note = next(n for n in read.notes if n.startswith("header not recognised"))
    assert note == (
        "header not recognised ('field 1', 'field 2', 'field 3', 'field 4', 'field 5', "
        "'field 6'): read by position, its values prove the layout (Date, Rating, Comments, "
        "Your Response, Order ID, Rater Email) on 3 of 3 lines"
    )
    assert not [c for c in read.rows.columns if "mail" in c]


def test_an_unknown_header_over_other_values_keeps_the_missing_column_error() -> None:
    path = FIXTURES / "positional-not-proved.txt"
    with pytest.raises(ReportFormatError, match="missing column 'date'") as info:
        read_feedback_file(path, date_format="%y/%m/%d")
    assert (info.value.line, info.value.column) == (1, "date")
    # Right values, but dates in another marketplace's format: not proved either.
    with pytest.raises(ReportFormatError, match="missing column 'date'"):
        read_feedback_file(FIXTURES / "positional-jp.txt", date_format="%d.%m.%y")


@pytest.mark.parametrize(
    "header",
    [
        ["f1", "f2", "f3", "f4", "f5"],  # five columns: not Amazon's layout
        ["f1", "f2", "f3", "f4", "f5", "f6", "f7"],  # a seventh that is not Status
        ["f1", "f2", "f3", "f4", "f4", "f6"],  # a name twice
        ["Rating", "f2", "f3", "f4", "f5", "f6"],  # a known name in another column's place
        ["f1", "f2", "f3", "f4", "f5", "Order ID"],
    ],
)
def test_only_amazon_s_six_columns_are_read_by_position(tmp_path: Path, header: list[str]) -> None:
    row = ["13/11/25", "1", "", "", "111-1234567-1234567", "x@marketplace.amazon.com", ""][
        : len(header)
    ]
    with pytest.raises(ReportFormatError, match="missing column"):
        read_feedback_file(write(tmp_path / "fb.txt", [row], header), date_format=LOCAL)


def test_by_position_nearly_every_line_must_prove_the_layout(tmp_path: Path) -> None:
    header = ["f1", "f2", "f3", "f4", "f5", "f6", "Status"]
    rows = [
        ["13/11/25", "1", "", "", f"111-1234567-{i:07d}", "x@marketplace.amazon.com", ""]
        for i in range(19)
    ]
    rows.append(["13/11/25", "1", "", "", "not an id", "x@marketplace.amazon.com", "Removed"])
    read = read_feedback_file(write(tmp_path / "fb.txt", rows, header), date_format=LOCAL)
    assert read.rows.height == 20  # one line in 20 need not prove it: it is read and checked
    assert read.rows["status"][-1] == "removed"
    assert "on 19 of 20 lines" in read.notes[1]
    two_bad = [*rows, ["x", "1", "", "", "111-1234567-9999999", "", ""]]
    with pytest.raises(ReportFormatError, match="missing column 'date'"):
        read_feedback_file(write(tmp_path / "fb2.txt", two_bad, header), date_format=LOCAL)
    with pytest.raises(ReportFormatError, match="missing column 'date'"):  # no line at all
        read_feedback_file(write(tmp_path / "fb3.txt", [], header), date_format=LOCAL)


# --- Dates that only make sense the other way round, dates after the report's end ---------------


def orders(*rows: tuple[str, dt.date]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"order_id": pl.String, "order_date": pl.Date}, orient="row")


ORDERS = orders(
    ("111-0000001-0000001", dt.date(2025, 9, 30)),
    ("111-0000002-0000002", dt.date(2025, 10, 2)),
    ("111-0000003-0000003", dt.date(2025, 10, 5)),
    ("111-0000004-0000004", dt.date(2025, 10, 28)),
    ("111-0000005-0000005", dt.date(2025, 11, 1)),
    ("111-0000006-0000006", dt.date(2025, 11, 30)),  # the latest order date
)
# Feedback on the orders above, every day <= 12: each date is valid month-first and day-first.
FEEDBACK_DAYS = [
    ("111-0000001-0000001", dt.date(2025, 10, 3)),
    ("111-0000002-0000002", dt.date(2025, 10, 8)),
    ("111-0000003-0000003", dt.date(2025, 10, 11)),
    ("111-0000004-0000004", dt.date(2025, 11, 5)),
    ("111-0000005-0000005", dt.date(2025, 11, 10)),
    ("111-0000006-0000006", dt.date(2025, 12, 1)),
]


def feedback_file(path: Path, days: list[tuple[str, dt.date]], fmt: str) -> Path:
    return write(path, [fb(f"{d:{fmt}}", "1", order) for order, d in days])


def test_a_us_file_written_day_first_stops_the_file(tmp_path: Path) -> None:
    # Valid both ways: nothing is rejected, and today nothing says that the dates are wrong.
    path = feedback_file(tmp_path / "fb.txt", FEEDBACK_DAYS, "%-d/%-m/%y")
    with pytest.raises(ReportFormatError) as info:
        read_feedback_file(path, date_format=US, marketplace="Amazon.com", order_dates=ORDERS)
    message = str(info.value)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 2, "Date")
    assert message.startswith(f"feedback file '{path}', line 2: 5 of 6 feedback dates on known ")
    assert "read as D/M/YY (%d/%m/%y) every one fits its order" in message
    assert "pass marketplace='UK' to load_account" in message
    # Read day-first, the same file is fine.
    read = read_feedback_file(path, date_format=LOCAL, order_dates=ORDERS)
    assert read.rows["date"].to_list() == [d for _, d in FEEDBACK_DAYS]


def test_a_day_first_file_written_month_first_stops_the_file(tmp_path: Path) -> None:
    path = feedback_file(tmp_path / "fb.txt", FEEDBACK_DAYS, "%-m/%-d/%y")
    with pytest.raises(ReportFormatError, match=r"pass marketplace='US'"):
        read_feedback_file(path, date_format=LOCAL, marketplace="Amazon.co.uk", order_dates=ORDERS)


def test_a_correct_file_never_trips_the_date_rules(tmp_path: Path) -> None:
    days = [
        *FEEDBACK_DAYS,
        # On the day before its (UTC) order date: time zones.
        ("111-0000001-0000001", dt.date(2025, 9, 29)),
        # 90 days (and one for time zones) after its order: the last day feedback can be left.
        ("111-0000002-0000002", dt.date(2025, 10, 2) + dt.timedelta(days=91)),
        # An order missing from the orders report (placed after its last order), dated after
        # the latest order date but within 90 days of it.
        ("111-0000009-0000009", dt.date(2026, 2, 20)),
    ]
    for fmt, written in ((US, "%-m/%-d/%y"), (LOCAL, "%-d/%-m/%y"), ("%d.%m.%y", "%-d.%-m.%y")):
        path = feedback_file(tmp_path / "fb.txt", days, written)
        read = read_feedback_file(path, date_format=fmt, order_dates=ORDERS)
        assert read.rows.height == len(days)
        read = read_feedback_file(
            path, date_format=fmt, order_dates=ORDERS, report_end=dt.date(2026, 2, 20)
        )
        assert read.rows.height == len(days)


def test_a_few_misplaced_dates_do_not_stop_the_file(tmp_path: Path) -> None:
    # A revised feedback dated 120 days after its order: one of seven does not fit; most do.
    days = [*FEEDBACK_DAYS, ("111-0000001-0000001", dt.date(2026, 1, 28))]
    read = read_feedback_file(
        feedback_file(tmp_path / "fb.txt", days, "%-m/%-d/%y"), date_format=US, order_dates=ORDERS
    )
    assert read.rows.height == 7


def test_a_date_after_the_day_the_report_was_downloaded_stops_the_file(tmp_path: Path) -> None:
    days = [*FEEDBACK_DAYS, ("111-0000009-0000009", dt.date(2025, 12, 5))]
    path = feedback_file(tmp_path / "fb.txt", days, "%-m/%-d/%y")
    with pytest.raises(ReportFormatError) as info:
        read_feedback_file(
            path, date_format=US, order_dates=ORDERS, report_end=dt.date(2025, 12, 1)
        )
    assert (info.value.line, info.value.column) == (8, "Date")
    assert str(info.value).startswith(
        f"feedback file '{path}', line 8: Date '12/5/25' read as M/D/YY (%m/%d/%y) is "
        "2025-12-05, after the report's end (2025-12-01: the day the report was downloaded)"
    )
    assert "read as D/M/YY (%d/%m/%y) it is 2025-05-12: pass marketplace='UK'" in str(info.value)
    # The day after the download is allowed: the marketplace's date can be a day ahead.
    read = read_feedback_file(
        path, date_format=US, order_dates=ORDERS, report_end=dt.date(2025, 12, 4)
    )
    assert read.rows.height == 7


def test_a_date_more_than_90_days_after_the_latest_order_stops_the_file(tmp_path: Path) -> None:
    days = [*FEEDBACK_DAYS, ("111-0000009-0000009", dt.date(2026, 3, 15))]
    path = feedback_file(tmp_path / "fb.txt", days, "%-m/%-d/%y")
    with pytest.raises(ReportFormatError, match=r"line 8: Date '3/15/26'") as info:
        read_feedback_file(path, date_format=US, order_dates=ORDERS)
    assert "(2026-02-28: the latest order date, 2025-11-30, plus the 90 days" in str(info.value)
    assert "if the feedback report covers a later period than the orders report" in str(info.value)
    # Without the orders, nothing to compare with.
    assert read_feedback_file(path, date_format=US).rows.height == 7


# --- Values a spreadsheet rewrote --------------------------------------------------------------


def test_decimal_ratings_are_whole_stars_with_a_note(tmp_path: Path) -> None:
    rows = [
        fb("10/20/25", "1.0", "111-1"),
        fb("10/20/25", "2,0", "111-2"),
        fb("10/20/25", " 3.00 ", "111-3"),
        fb("10/20/25", "1.5", "111-4"),
        fb("10/20/25", "x", "111-5"),
        fb("10/20/25", "6.0", "111-6"),
    ]
    read = read_feedback_file(write(tmp_path / "fb.txt", rows), date_format=US)
    assert read.rows["rating"].to_list() == [1, 2, 3]
    assert read.rejects.select("value").to_series().to_list() == ["1.5", "x", "6.0"]
    assert set(read.rejects["column"]) == {"Rating"}
    assert (
        "3 rating(s) written as decimals (e.g. '1.0': a spreadsheet re-saved the file) read "
        "as whole stars" in read.notes
    )


def test_statuses_in_another_letter_case_are_read_with_a_note(tmp_path: Path) -> None:
    header = [*HEADER, "Status"]
    rows = [
        [*fb("10/20/25", order="1"), "REMOVED"],
        [*fb("10/20/25", order="2"), "Removed"],
        [*fb("10/20/25", order="3"), "withdrawn"],
    ]
    read = read_feedback_file(write(tmp_path / "fb.txt", rows, header), date_format=US)
    assert read.rows["status"].to_list() == ["removed", "removed", "withdrawn"]
    assert (
        "2 Status value(s) written in another letter case (e.g. 'REMOVED') read as the accepted "
        "wording" in read.notes
    )
    plain = read_feedback_file(write(tmp_path / "p.txt", rows[1:2], header), date_format=US)
    assert plain.notes == ("dates read as M/D/YY (%m/%d/%y)",)


def test_order_ids_a_spreadsheet_turned_into_numbers_are_rejected(tmp_path: Path) -> None:
    rows = [fb("10/20/25", order="5.80293E+13"), fb("10/21/25", order="5,80293E+13")]
    read = read_feedback_file(write(tmp_path / "fb.txt", [*rows, fb("10/22/25")]), date_format=US)
    assert read.rows["order_id"].to_list() == ["111-1"]
    assert read.rejects.select("line", "column", "value").rows() == [
        (2, "Order ID", "5.80293E+13"),
        (3, "Order ID", "5,80293E+13"),
    ]
    assert read.rejects["reason"][0] == (
        "an order id turned into a number by a spreadsheet (5.80293E+13): the digits are lost; "
        "export the report again without opening it in a spreadsheet"
    )


def test_a_decoded_text_can_be_given_instead_of_a_path(tmp_path: Path) -> None:
    text = read_text(FIXTURES / "positional-jp.txt")
    read = read_feedback_file(text, date_format="%y/%m/%d")
    assert read.file == "positional-jp.txt"
    assert read.rows.height == 3
    assert any(n.startswith("header not recognised") for n in read.notes)


def test_a_german_file_in_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "Feedback.txt"
    text = (FIXTURES / "de-amazon.de.txt").read_text(encoding="utf-8")
    path.write_bytes(text.encode("cp1252"))
    read = read_feedback_file(path, date_format="%d.%m.%y")
    assert read.rows["comments"][0] == "Paket kam beschädigt an."
    assert read.rows.height == 3
    assert any("Windows-1252" in n for n in read.notes)  # the bytes layer's decision, shown
