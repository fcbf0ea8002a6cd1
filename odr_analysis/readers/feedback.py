"""Amazon's seller feedback report (``GET_SELLER_FEEDBACK_DATA``).

Tab-separated, in English with the header
``Date	Rating	Comments	Your Response	Order ID	Rater Email`` (our optional extension: a
trailing ``Status`` column with ``Removed``, ``Struck through`` or ``Withdrawn``, blank meaning
active). Amazon's report holds 1-3 star feedback; every rating is kept (the engine counts 1-2
stars; a 3 is neutral but can replace an earlier 1-2 star feedback on the same order, so it
matters).

Amazon writes the header in the language of the seller's reports, so its names differ between
marketplaces (on Amazon.de ``Datum``, ``Bewertung``, ``Kommentar``, ``Ihre Antwort``,
``Transaktionsnummer``, ``E-Mail des Bewertenden``), but the six columns always come in the same
order. :data:`FEEDBACK_HEADERS` lists every header published in a public source, with the
source; their names (and their mojibake spellings, ``NÃºmero de pedido``) are accepted in every
file, compared case-insensitively. A header matching none of them is read by position only when
the values prove the layout (a date in column 1, a 1-5 rating in column 2, an Amazon order id in
column 5 on nearly every line), with a note; otherwise the file is refused as before.

The ``Date`` is written the marketplace's way, with a two-digit year (``%y`` is 20xx): US
``1/13/17`` (month first), DE ``13.1.17``, JP ``17/1/13``, SE ``2017-01-13``, most others
``13/1/17`` (day first). The format comes from the marketplace (given by the user, or that of
the account's orders), never from looking at the dates: ``1/2/25`` is a valid date both ways.
The dates are checked: a date that is invalid in the chosen format (month 13) is rejected with
the format named, and the file is refused (:class:`~odr_analysis.readers.table.ReportFormatError`
suggesting the marketplace to pass) when most dates are invalid, when most feedback would come
before its order (or more than :data:`FEEDBACK_WINDOW_DAYS` after it) while the dates read the
other way round all fit their orders, or when a date is after the report's end.

``Rater Email`` is personal data: it is never read into any frame, and e-mail addresses typed
into comments or responses are replaced by ``[email removed]``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, NamedTuple

import polars as pl

from odr_analysis.readers.marketplaces import (
    AMAZON_ORDER_ID,
    MARKETPLACES,
    feedback_date_format,
    is_spreadsheet_number,
    marketplace_name,
    spreadsheet_number_reason,
)
from odr_analysis.readers.source import Text, read_text
from odr_analysis.readers.table import (
    Check,
    FileRead,
    RawTable,
    ReportFormatError,
    TableSpec,
    read_table,
    split_checked,
    wordings_by_value,
)
from odr_analysis.schema import OdrInputError

__all__ = [
    "FEEDBACK_HEADERS",
    "FEEDBACK_REPORT",
    "FEEDBACK_SCHEMA",
    "FEEDBACK_SPEC",
    "FEEDBACK_STATUS_WORDINGS",
    "FEEDBACK_WINDOW_DAYS",
    "UNPUBLISHED_FEEDBACK_HEADERS",
    "FeedbackHeader",
    "date_format_for",
    "describe_date_format",
    "is_feedback_header",
    "looks_like_feedback",
    "parse_feedback_date",
    "read_feedback_file",
]

FEEDBACK_REPORT: Final = "GET_SELLER_FEEDBACK_DATA"

FEEDBACK_WINDOW_DAYS: Final = 90
"""Days after its order date in which a buyer can leave feedback: "Orders are eligible for
feedback for 90 days from the order date" (Amazon's buyer-facing feedback help,
https://www.amazon.com/gp/help/seller/feedback-popup.html; /work/shared/research/odr-domain.md)."""


class FeedbackHeader(NamedTuple):
    """One header of the seller feedback report seen in a public source.

    ``names`` are the six names in Amazon's column order (Date, Rating, Comments, Your Response,
    Order ID, Rater Email); ``marketplaces`` the country codes of the marketplaces it was seen
    for; ``source`` where (repository and path, or URL); ``from_a_file`` whether the source shows
    it from a real file (``False``: only described, unconfirmed).
    """

    language: str
    marketplaces: tuple[str, ...]
    names: tuple[str, str, str, str, str, str]
    source: str
    from_a_file: bool


_AIRBYTE_9212: Final = (
    "real files of the marketplace, quoted in airbytehq/airbyte pull request #9212 "
    "(https://github.com/airbytehq/airbyte/pull/9212, 'GET_SELLER_FEEDBACK_DATA normalize header "
    "field names'), which reads the report by position since"
)
_SPAPI_APP: Final = (
    "a code comment listing the header per language in Alessiovinci87/amazon-spapi-app-clean "
    "backend_v2/modules/feedback/feedbackService.js; not from a file, and its German line differs "
    "from the real one (airbytehq/airbyte #9212): unconfirmed"
)
FEEDBACK_HEADERS: Final[tuple[FeedbackHeader, ...]] = (
    FeedbackHeader(
        "English",
        ("US",),
        ("Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"),
        "the report's attributes in Amazon's SP-API report type values "
        "(https://developer-docs.amazon.com/sp-api/docs/report-type-values-performance); a US "
        "file (date 10/20/23) in airbytehq/airbyte airbyte-integrations/connectors/"
        "source-amazon-seller-partner/unit_tests/resource/http/response/"
        "GET_SELLER_FEEDBACK_DATA.csv",
        True,
    ),
    FeedbackHeader(
        "German",
        ("DE",),
        (
            "Datum",
            "Bewertung",
            "Kommentar",
            "Ihre Antwort",
            "Transaktionsnummer",
            "E-Mail des Bewertenden",
        ),
        _AIRBYTE_9212,
        True,
    ),
    FeedbackHeader(
        "Spanish (Spain)",
        ("ES",),
        ("Date", "Rating", "Comentarios", "Response", "Número de pedido", "E-mail del cliente"),
        _AIRBYTE_9212 + " (shown there as mojibake, NÃºmero de pedido)",
        True,
    ),
    FeedbackHeader(
        "Spanish (Mexico)",
        ("MX",),
        (
            "Fecha",
            "Rating",
            "Comentarios",
            "Tu respuesta",
            "Número de pedido",
            "Correo electrónico del evaluador",
        ),
        _AIRBYTE_9212 + " (shown there as mojibake, NÃºmero, electrÃ³nico)",
        True,
    ),
    FeedbackHeader(
        "Italian",
        ("IT",),
        (
            "Date",
            "Rating",
            "Comments",
            "Response",
            "Numero ordine",
            "E-mail autore della valutazione",
        ),
        _SPAPI_APP,
        False,
    ),
    FeedbackHeader(
        "French",
        ("FR",),
        ("Date", "Évaluation", "Commentaire", "Response", "Order ID", "E-mail de l'évaluateur"),
        _SPAPI_APP,
        False,
    ),
    FeedbackHeader(
        "German (described)",
        ("DE",),
        ("Datum", "Bewertung", "Kommentare", "Antwort", "Bestellnummer", "E-Mail des Bewerters"),
        _SPAPI_APP,
        False,
    ),
    FeedbackHeader(
        "Dutch",
        ("NL",),
        (
            "Datum",
            "Beoordeling",
            "Opmerkingen",
            "Antwoord",
            "Bestelnummer",
            "E-mail van beoordelaar",
        ),
        _SPAPI_APP,
        False,
    ),
    FeedbackHeader(
        "Polish",
        ("PL",),
        ("Data", "Ocena", "Komentarze", "Odpowiedź", "Numer zamówienia", "E-mail oceniającego"),
        _SPAPI_APP,
        False,
    ),
)
"""Every header of the feedback report found in a public source, with the source. Their names
are accepted in every file (Amazon writes reports in the seller's "Language for feed processing
reports", not the marketplace's: Amazon's answer in amzn/selling-partner-api-docs issue #198)."""

UNPUBLISHED_FEEDBACK_HEADERS: Final = (
    "CA", "BR", "UK", "IE", "BE", "SE", "TR", "AE", "SA", "EG", "IN", "JP", "SG", "AU",
)  # fmt: skip
"""Marketplaces (country codes) whose feedback report header no public source shows (searched:
the airbyte connector, its tests and pull requests, SP-API clients and issues, sellers' pages).
Their files are read when the header is one of :data:`FEEDBACK_HEADERS` (the English one, for a
seller whose reports are in English), else by position when the values prove the layout."""

# Amazon's column order: the canonical column at each position (position 6 is Rater Email).
_LAYOUT: Final = ("date", "rating", "comments", "response", "order_id")
_LAYOUT_NAMES: Final = "Date, Rating, Comments, Your Response, Order ID, Rater Email"


def looks_like_feedback(head: str) -> bool:
    r"""Whether the data lines among a tab-separated file's first 20 lines have the feedback
    report's layout, whatever its header: six columns (seven with Amazon's status),
    a 1-5 rating (``1.0`` too) in the Rating column, an Amazon order id in the Order ID column.

    Only a first guess, to recognise a file: reading it by position
    (:func:`_read_by_position`) then proves the layout on every line, or refuses the file.

    >>> looks_like_feedback("Fecha\tNota\tX\tY\tPedido\tZ\n01/02/26\t1\tbad\t\t"
    ...                     "111-1234567-1234567\tx\n")
    True
    """
    lines = [line.rstrip("\r").split("\t") for line in head.split("\n")[1:20] if line.strip()]
    if not lines or any(
        len(fields) not in (len(_LAYOUT) + 1, len(_LAYOUT) + 2) for fields in lines
    ):
        return False
    rating, order = _LAYOUT.index("rating"), _LAYOUT.index("order_id")
    order_id = re.compile(AMAZON_ORDER_ID)
    return all(
        re.fullmatch(r"[1-5](?:[.,]0+)?", fields[rating].strip()) is not None
        and order_id.match(fields[order].strip()) is not None
        for fields in lines
    )


def _spellings(name: str) -> list[str]:
    """A header name as compared (lower case), and as mojibake: its UTF-8 bytes read as
    Windows-1252 or Latin-1 (``Número`` -> ``NÃºmero``)."""
    found = [name.lower()]
    if not name.isascii():
        data = name.encode("utf-8")
        found.append(data.decode("latin-1").lower())
        with contextlib.suppress(UnicodeDecodeError):  # a byte cp1252 leaves undefined
            found.append(data.decode("cp1252").lower())
    return found


def _aliases(column: str, own: tuple[str, ...]) -> tuple[str, ...]:
    position = _LAYOUT.index(column)
    names = [*own, *(s for h in FEEDBACK_HEADERS for s in _spellings(h.names[position]))]
    return tuple(dict.fromkeys(names))


FEEDBACK_SPEC: Final = TableSpec(
    what="feedback file",
    expected=(
        f"the seller feedback report ({FEEDBACK_REPORT}), tab-separated text with the "
        "columns Date, Rating, Comments, Your Response, Order ID, Rater Email (and optionally "
        "Status), or the same six columns under the marketplace's own header names"
    ),
    separator="\t",
    quote_char=None,
    columns={
        "date": _aliases("date", ("date",)),
        "rating": _aliases("rating", ("rating",)),
        "order_id": _aliases("order_id", ("order id", "order-id", "orderid")),
        "comments": _aliases("comments", ("comments", "comment")),
        "response": _aliases("response", ("your response", "response")),
        "status": ("status",),
    },
    required=("date", "rating", "order_id"),
    header=("Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email", "Status"),
)
"""The seller feedback report: the columns read (``columns``, with the names of every header of
:data:`FEEDBACK_HEADERS`; never ``Rater Email``) and the header as Amazon writes it in English,
with our ``Status`` column last."""

_RATER_EMAIL: Final = tuple(
    dict.fromkeys(s for h in FEEDBACK_HEADERS for s in _spellings(h.names[5]))
)


def is_feedback_header(names: Sequence[str]) -> bool:
    """Whether a header (its names, in order) is one of the feedback report: the names of a
    date, a rating and an order id of :data:`FEEDBACK_HEADERS` (any language, any letter case),
    or a rating with a rater e-mail (our own files' way, kept for detection).

    >>> is_feedback_header(["Datum", "Bewertung", "Kommentar", "Ihre Antwort",
    ...                     "Transaktionsnummer", "E-Mail des Bewertenden"])
    True
    >>> is_feedback_header(["Date", "Rating", "Comentarios", "Response", "NÃºmero de pedido"])
    True
    >>> is_feedback_header(["order-id", "type", "date", "status"])
    False
    """
    lowered = {name.strip().lower() for name in names}
    columns = FEEDBACK_SPEC.columns
    found = {c for c in ("date", "rating", "order_id") if lowered.intersection(columns[c])}
    return found == {"date", "rating", "order_id"} or (
        "rating" in found and bool(lowered.intersection(_RATER_EMAIL))
    )


FEEDBACK_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "order_id": pl.String(),
        "date": pl.Date(),
        "rating": pl.Int32(),
        "comments": pl.String(),
        "response": pl.String(),
        "status": pl.String(),
        "file": pl.String(),
        "line": pl.Int64(),
    }
)
"""Columns of the feedback frame (no rater e-mail, by design)."""

FEEDBACK_STATUS_WORDINGS: Final[Mapping[str, str]] = {
    "": "active",
    "Active": "active",
    "Removed": "removed",
    "Struck through": "struck_through",
    "Struck-through": "struck_through",
    "Struck_through": "struck_through",
    "Strikethrough": "struck_through",
    "Withdrawn": "withdrawn",
    "Withdrawn by buyer": "withdrawn",
}
"""Accepted ``Status`` wordings (any letter case, surrounding spaces ignored) -> the feedback's
status; the first wording of each status is the one the file shows (blank: active)."""

_STATUSES: Final = {w.lower(): status for w, status in FEEDBACK_STATUS_WORDINGS.items()}
# For messages: the wording each status shows (blank (active), Removed, ...).
_ACCEPTED_STATUSES: Final = ", ".join(
    words[0] or "blank (active)" for words in wordings_by_value(FEEDBACK_STATUS_WORDINGS).values()
)
_EMAIL: Final = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_TOKENS: Final = {
    "%d": r"(?<d>\d{1,2})",
    "%m": r"(?<m>\d{1,2})",
    "%y": r"(?<y>\d{4}|\d{2})",
    "%Y": r"(?<y>\d{4})",
}
_NAMES: Final = {"%d": "D", "%m": "M", "%y": "YY", "%Y": "YYYY"}


def describe_date_format(fmt: str) -> str:
    """A ``strftime`` date format as people read it.

    >>> describe_date_format("%m/%d/%y"), describe_date_format("%d.%m.%y")
    ('M/D/YY', 'D.M.YY')
    """
    return "".join(_NAMES.get(part, part) for part in re.split(r"(%[dmyY])", fmt))


def parse_feedback_date(column: str, fmt: str) -> pl.Expr:
    """Parse a feedback ``Date`` column written in ``fmt`` (``%d``, ``%m``, ``%y``, ``%Y``).

    Leading zeros are optional, a two-digit year is 20xx (a four-digit year is also accepted),
    and a date that does not exist in that format (month 13, 30 February) is null.

    >>> s = pl.DataFrame({"d": ["1/13/17", "12/31/99", "13/1/17", "2/30/24", "x"]})
    >>> s.select(parse_feedback_date("d", "%m/%d/%y")).to_series().to_list()
    [datetime.date(2017, 1, 13), datetime.date(2099, 12, 31), None, None, None]
    >>> pl.DataFrame({"d": ["13.1.17"]}).select(parse_feedback_date("d", "%d.%m.%y")).item()
    datetime.date(2017, 1, 13)
    """
    parts = re.split(r"(%[dmyY])", fmt)
    unknown = [p for p in parts if "%" in p and p not in _TOKENS]
    if unknown or sum(p in _TOKENS for p in parts) != 3:
        raise ValueError(f"unsupported feedback date format {fmt!r}: use %d, %m and %y or %Y")
    pattern = "^" + "".join(_TOKENS.get(p, re.escape(p)) for p in parts if p) + "$"
    groups = pl.col(column).str.strip_chars().str.extract_groups(pattern)
    year = groups.struct.field("y")
    return (
        pl.concat_str(
            pl.when(year.str.len_bytes() == 2).then(pl.lit("20") + year).otherwise(year),
            groups.struct.field("m").str.zfill(2),
            groups.struct.field("d").str.zfill(2),
            separator="-",
        )
        .str.to_date("%Y-%m-%d", strict=False)
        .alias(column)
    )


def date_format_for(marketplace: str | None, order_marketplaces: Iterable[str]) -> tuple[str, str]:
    """The feedback date format to use, and the marketplace it comes from (for messages).

    ``marketplace`` (a name like ``Amazon.com``, a country code like ``UK``, or a marketplace id)
    wins. Otherwise the marketplaces of the account's orders decide, and they must agree on the
    format. No marketplace and no orders, or orders whose marketplaces disagree or are unknown:
    an :class:`~odr_analysis.schema.OdrInputError` asking for ``marketplace=``.

    >>> date_format_for("DE", [])
    ('%d.%m.%y', 'Amazon.de')
    >>> date_format_for(None, ["Amazon.co.uk", "Amazon.fr"])
    ('%d/%m/%y', 'Amazon.co.uk, Amazon.fr')
    """
    if marketplace is not None:
        return feedback_date_format(marketplace), marketplace_name(marketplace)
    names = sorted(set(order_marketplaces))
    ask = (
        "pass marketplace= (e.g. load_account(path, marketplace='UK')) to say how the feedback "
        "report writes its dates: US month first (M/D/YY), DE D.M.YY, JP YY/M/D, SE YYYY-MM-DD, "
        "most others day first (D/M/YY)"
    )
    if not names:
        raise OdrInputError(
            "the feedback report's dates cannot be read without knowing the marketplace, and "
            f"there are no orders to take it from: {ask}"
        )
    formats: dict[str, list[str]] = {}
    for name in names:
        try:
            formats.setdefault(feedback_date_format(name), []).append(name)
        except OdrInputError:
            raise OdrInputError(
                f"the orders' marketplace {name!r} is not one whose feedback date format is "
                f"known: {ask}"
            ) from None
    if len(formats) > 1:
        shown = "; ".join(
            f"{', '.join(v)}: {describe_date_format(k)}" for k, v in sorted(formats.items())
        )
        raise OdrInputError(
            f"the orders span marketplaces whose feedback reports write dates differently "
            f"({shown}): {ask}"
        )
    return next(iter(formats)), ", ".join(names)


_DECIMAL_RATING: Final = r"^(\d+)[.,]0+$"  # 1.0 / 2,0: a spreadsheet's number format
_SLACK: Final = dt.timedelta(days=1)  # order dates are UTC days; feedback dates local ones
_WINDOW: Final = dt.timedelta(days=FEEDBACK_WINDOW_DAYS)


def read_feedback_file(
    path: str | Path | Text,
    *,
    date_format: str,
    marketplace: str = "",
    file: str | None = None,
    order_dates: pl.DataFrame | None = None,
    report_end: dt.date | None = None,
) -> FileRead:
    """Read one seller feedback report; ``date_format`` from :func:`date_format_for`.

    ``path`` is the file, or its :class:`~odr_analysis.readers.source.Text` (decoded once by
    the caller, e.g. with the account's ``encoding``). ``rows`` has the columns of
    :data:`FEEDBACK_SCHEMA` but ``account``. Rejected: an empty ``Order ID`` or one a
    spreadsheet turned into a number (``5.80293E+13``), a ``Date`` invalid in ``date_format``, a
    ``Rating`` that is not 1-5 (``1.0`` is 1, with a note), an unknown ``Status`` (any letter
    case is accepted, with a note). A header matching none of :data:`FEEDBACK_HEADERS` is read
    by position when the values prove the layout (a note says so).

    ``order_dates`` (columns ``order_id``, ``order_date``: the account's orders) and
    ``report_end`` (the day the feedback report was downloaded, when known) let the dates be
    checked against the orders; without ``report_end`` the report's end is the latest order
    date plus :data:`FEEDBACK_WINDOW_DAYS` (a report downloaded later than the orders report
    can hold feedback on orders after it, never more than 90 days after its last order).

    Raises :class:`~odr_analysis.readers.table.ReportFormatError` (naming the file, a line, the
    Date column and the marketplace to pass) when most dates are invalid in ``date_format``;
    when most feedback on known orders would come before its order or more than 90 days after
    it while the dates read the other way round (day and month swapped) all fit their orders;
    or when a date is after the report's end.
    """
    shown = _shown(date_format, marketplace)
    notes = [f"dates read as {shown}"]
    try:
        raw = read_table(path, FEEDBACK_SPEC, file=file)
    except ReportFormatError as exc:
        raw, note = _read_by_position(path, exc, date_format, file)
        notes.append(note)
    file = raw.file
    status_words = pl.col("status").fill_null("").str.strip_chars()
    rating_words = pl.col("rating").str.strip_chars()
    parsed = raw.rows.with_columns(
        pl.col("order_id").str.strip_chars(),
        date_raw=pl.col("date"),
        rating_raw=pl.col("rating"),
        status_raw=pl.col("status"),
        date=parse_feedback_date("date", date_format),
        rating=_rating(pl.col("rating")),
        decimal_rating=rating_words.str.contains(_DECIMAL_RATING),
        status=status_words.str.to_lowercase().replace_strict(
            _STATUSES, default=None, return_dtype=pl.String
        ),
        other_case=~status_words.is_in(list(FEEDBACK_STATUS_WORDINGS)),
        comments=pl.col("comments").str.replace_all(_EMAIL, "[email removed]"),
        response=pl.col("response").str.replace_all(_EMAIL, "[email removed]"),
        file=pl.lit(file),
    )
    checks = [
        Check(
            pl.col("order_id").is_null() | (pl.col("order_id") == ""),
            "Order ID",
            pl.col("order_id"),
            pl.lit("empty Order ID"),
        ),
        Check(
            is_spreadsheet_number(pl.col("order_id")),
            "Order ID",
            pl.col("order_id"),
            spreadsheet_number_reason(pl.col("order_id")),
        ),
        Check(
            pl.col("date").is_null(),
            "Date",
            pl.col("date_raw"),
            pl.format("Date '{}' is not a valid date in the format {}", "date_raw", pl.lit(shown)),
        ),
        Check(
            pl.col("rating").is_null() | ~pl.col("rating").is_between(1, 5),
            "Rating",
            pl.col("rating_raw"),
            pl.format("Rating '{}' is not a whole number of stars from 1 to 5", "rating_raw"),
        ),
        Check(
            pl.col("status").is_null(),
            "Status",
            pl.col("status_raw"),
            pl.format(
                "unknown Status '{}'; accepted: {}", "status_raw", pl.lit(_ACCEPTED_STATUSES)
            ),
        ),
    ]
    good, bad = split_checked(parsed, checks)
    failed = bad.filter(pl.col("column") == "Date")
    if parsed.height and failed.height * 2 > parsed.height:
        first = failed.row(0, named=True)
        raise ReportFormatError(
            f"feedback file '{raw.path}', line {first['line']}: {failed.height} of "
            f"{parsed.height} dates are not valid in the format {shown} (e.g. "
            f"{first['value']!r}); is the marketplace right? Pass marketplace= to "
            "load_account (e.g. 'US' for month-first dates, 'UK' for day-first)",
            file=str(raw.path),
            line=int(first["line"]),
            column="Date",
        )
    if order_dates is not None or report_end is not None:
        _check_dates(
            parsed,
            raw.path,
            date_format=date_format,
            shown=shown,
            order_dates=order_dates,
            report_end=report_end,
        )
    rejects = pl.concat([raw.rejects, bad])
    rows = good.select(c for c in FEEDBACK_SCHEMA if c != "account")
    notes += [*raw.notes, *_value_notes(good)]  # raw.notes: how the text was read
    if raw.blank_lines:
        notes.append(f"{raw.blank_lines} blank line(s) skipped")
    return FileRead(file, "seller_feedback", rows, rejects, raw.rows_read, tuple(notes))


def _shown(date_format: str, marketplace: str = "") -> str:
    """A date format for messages: ``D/M/YY (%d/%m/%y, the format of Amazon.co.uk)``."""
    return f"{describe_date_format(date_format)} ({date_format}" + (
        f", the format of {marketplace})" if marketplace else ")"
    )


def _rating(text: pl.Expr) -> pl.Expr:
    """Whole stars from ``1`` or a spreadsheet's ``1.0`` (``1,0``); anything else is null."""
    words = text.str.strip_chars()
    return (
        pl.when(words.str.contains(r"^\d+$"))
        .then(words)
        .otherwise(words.str.extract(_DECIMAL_RATING, 1))
        .cast(pl.Int32, strict=False)
    )


def _value_notes(good: pl.DataFrame) -> list[str]:
    """Notes on values read after normalising: decimal ratings, statuses in another case."""
    counts = good.select(
        decimal=pl.col("decimal_rating").fill_null(False).sum(),
        decimal_example=pl.col("rating_raw").filter(pl.col("decimal_rating")).first(),
        case=pl.col("other_case").fill_null(False).sum(),
        case_example=pl.col("status_raw").filter(pl.col("other_case")).first(),
    ).row(0, named=True)
    notes = []
    if counts["decimal"]:
        notes.append(
            f"{counts['decimal']} rating(s) written as decimals (e.g. "
            f"'{counts['decimal_example'].strip()}': a spreadsheet re-saved the file) read as "
            "whole stars"
        )
    if counts["case"]:
        notes.append(
            f"{counts['case']} Status value(s) written in another letter case (e.g. "
            f"'{counts['case_example'].strip()}') read as the accepted wording"
        )
    return notes


def _text_of(source: str | Path | Text) -> Text | None:
    """The file's text as :func:`read_table` sees it (decoded, mojibake repaired), or ``None``
    when it cannot be read (the caller then keeps the error it has)."""
    if isinstance(source, Text):
        return source
    try:
        return read_text(source)
    except OdrInputError:
        return None


def _positional_spec(names: list[str]) -> TableSpec | None:
    """A spec reading Amazon's six columns by position under the file's own header names, or
    ``None`` when the header does not have that shape: six names (a seventh may be ``Status``),
    distinct and not empty, none of them a known name of another position."""
    while names and not names[-1]:
        names = names[:-1]
    lowered = [name.lower() for name in names]
    status = FEEDBACK_SPEC.columns["status"]
    if not (len(lowered) == 6 or (len(lowered) == 7 and lowered[6] in status)):
        return None
    if "" in lowered or len(set(lowered)) < len(lowered):
        return None
    for position, name in enumerate(lowered[:6]):
        for column, aliases in FEEDBACK_SPEC.columns.items():
            if name in aliases and (position >= len(_LAYOUT) or _LAYOUT[position] != column):
                return None  # a known name in the wrong place: not Amazon's layout
    columns = {column: (lowered[i],) for i, column in enumerate(_LAYOUT)}
    return dataclasses.replace(FEEDBACK_SPEC, columns={**columns, "status": status}, header=())


def _read_by_position(
    source: str | Path | Text, error: ReportFormatError, date_format: str, file: str | None
) -> tuple[RawTable, str]:
    """Read a file whose header names are unknown by Amazon's fixed layout, when its values
    prove the layout: on nearly every data line (all but one in 20), a date valid in
    ``date_format`` in column 1, a rating 1-5 in column 2 and an Amazon order id in column 5.
    Otherwise re-raise ``error`` (the missing-column error of :func:`read_table`)."""
    if error.line != 1 or "missing column" not in str(error):
        raise error
    text = _text_of(source)
    names = None if text is None else [n.strip() for n in text.first_line.split("\t")]
    spec = None if names is None else _positional_spec(names)
    if text is None or names is None or spec is None:
        raise error
    try:
        raw = read_table(text, spec, file=file)
    except ReportFormatError:
        raise error from None
    proved = raw.rows.select(
        (
            parse_feedback_date("date", date_format).is_not_null()
            & _rating(pl.col("rating")).is_between(1, 5)
            & pl.col("order_id").str.strip_chars().str.contains(AMAZON_ORDER_ID)
        )
        .fill_null(False)
        .sum()
    ).item()
    if not proved or (raw.rows_read - proved) * 20 > raw.rows_read:
        raise error
    shown = ", ".join(repr(n) for n in names[:7])
    return raw, (
        f"header not recognised ({shown}): read by position, its values prove the layout "
        f"({_LAYOUT_NAMES}) on {proved} of {raw.rows_read} lines"
    )


def _swap_day_month(fmt: str) -> str:
    """The format with day and month swapped: ``%m/%d/%y`` -> ``%d/%m/%y``."""
    return re.sub(r"%[dm]", lambda m: "%m" if m.group() == "%d" else "%d", fmt)


def _marketplaces_writing(fmt: str) -> str:
    """How to ask for ``fmt``: ``marketplace='UK' (or another marketplace writing D/M/YY)``."""
    found = [m.country for m in MARKETPLACES.values() if m.feedback_date_format == fmt]
    if not found:
        return (
            f"no marketplace writes {describe_date_format(fmt)}: check whether a spreadsheet "
            "rewrote the Date column"
        )
    first = "UK" if "UK" in found else found[0]
    return f"pass marketplace='{first}' to load_account" + (
        f" (or another marketplace writing {describe_date_format(fmt)})" if found[1:] else ""
    )


def _check_dates(
    parsed: pl.DataFrame,
    path: Path,
    *,
    date_format: str,
    shown: str,
    order_dates: pl.DataFrame | None,
    report_end: dt.date | None,
) -> None:
    """The two date rules a correct file never trips (see :func:`read_feedback_file`)."""
    swapped = _swap_day_month(date_format)
    dated = parsed.select(
        "line",
        "order_id",
        "date_raw",
        "date",
        swapped=parse_feedback_date("date_raw", swapped),
    )
    latest = None
    if order_dates is not None:
        missing = {"order_id", "order_date"} - set(order_dates.columns)
        if missing:
            raise ValueError(f"order_dates needs the columns order_id and order_date: {missing}")
        orders = (
            order_dates.select(
                pl.col("order_id").cast(pl.String), pl.col("order_date").cast(pl.Date)
            )
            .drop_nulls()
            .group_by("order_id")
            .agg(pl.col("order_date").min())
        )
        latest = orders["order_date"].max()
        _check_against_orders(dated, orders, path, shown, swapped)
    if report_end is not None:
        end, what = report_end, "the day the report was downloaded"
    elif isinstance(latest, dt.date):
        end = latest + _WINDOW
        what = (
            f"the latest order date, {latest}, plus the {FEEDBACK_WINDOW_DAYS} days in which a "
            "buyer can leave feedback"
        )
    else:
        return
    late = dated.filter(pl.col("date") > end + _SLACK).sort("line")
    if late.height:
        first = late.row(0, named=True)
        fits = first["swapped"] is not None and first["swapped"] <= end + _SLACK
        advice = (
            f"read as {_shown(swapped)} it is {first['swapped']}: {_marketplaces_writing(swapped)}"
            if fits
            else "check the Date column; if the feedback report covers a later period than the "
            "orders report, add the orders of that period"
        )
        raise ReportFormatError(
            f"feedback file '{path}', line {first['line']}: Date {first['date_raw']!r} read as "
            f"{shown} is {first['date']}, after the report's end ({end}: {what})"
            + (f", and so are {late.height - 1} other date(s)" if late.height > 1 else "")
            + f"; {advice}",
            file=str(path),
            line=int(first["line"]),
            column="Date",
        )


def _check_against_orders(
    dated: pl.DataFrame, orders: pl.DataFrame, path: Path, shown: str, swapped: str
) -> None:
    """Most feedback on known orders misplaced in time, and every one in place when day and
    month are swapped: the file writes its dates the other way round."""

    def fits(column: str) -> pl.Expr:
        return pl.col(column).is_between(
            pl.col("order_date") - _SLACK, pl.col("order_date") + _WINDOW + _SLACK
        )

    known = dated.join(orders, on="order_id", how="inner")
    chosen = known.filter(pl.col("date").is_not_null())
    misfits = chosen.filter(~fits("date")).sort("line")
    other = known.filter(pl.col("swapped").is_not_null())
    if not (misfits.height * 2 > chosen.height and other.height):
        return
    if not other.select(fits("swapped").all()).item():
        return
    first = misfits.row(0, named=True)
    raise ReportFormatError(
        f"feedback file '{path}', line {first['line']}: {misfits.height} of {chosen.height} "
        f"feedback dates on known orders, read as {shown}, are before their order or more than "
        f"{FEEDBACK_WINDOW_DAYS} days after it (e.g. Date {first['date_raw']!r} read as "
        f"{first['date']}, order {first['order_id']} of {first['order_date']}); read as "
        f"{_shown(swapped)} every one fits its order: the file writes dates "
        f"{describe_date_format(swapped)}; {_marketplaces_writing(swapped)}",
        file=str(path),
        line=int(first["line"]),
        column="Date",
    )
