"""Amazon's seller feedback report (``GET_SELLER_FEEDBACK_DATA``).

Tab-separated, UTF-8, header ``Date	Rating	Comments	Your Response	Order ID	Rater Email``
(columns found by name; our optional extension: a trailing ``Status`` column with ``Removed``,
``Struck through`` or ``Withdrawn``, blank meaning active). Amazon's report holds 1-3 star
feedback; every rating is kept (the engine counts 1-2 stars; a 3 is neutral but can replace an
earlier 1-2 star feedback on the same order, so it matters).

The ``Date`` is written the marketplace's way, with a two-digit year (``%y`` is 20xx): US
``1/13/17`` (month first), DE ``13.1.17``, JP ``17/1/13``, SE ``2017-01-13``, most others
``13/1/17`` (day first). The format comes from the marketplace (given by the user, or that of
the account's orders), never from looking at the dates: ``1/2/25`` is a valid date both ways.
The dates are used as a check only: a date that is invalid in the chosen format (month 13) is
rejected with the format named, and a file where most dates are invalid is an error that
suggests the marketplace is wrong.

``Rater Email`` is personal data: it is never read into any frame, and e-mail addresses typed
into comments or responses are replaced by ``[email removed]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers.marketplaces import feedback_date_format, marketplace_name
from odr_analysis.readers.table import (
    Check,
    FileRead,
    ReportFormatError,
    TableSpec,
    read_table,
    split_checked,
    wordings_by_value,
)
from odr_analysis.schema import OdrInputError

__all__ = [
    "FEEDBACK_REPORT",
    "FEEDBACK_SCHEMA",
    "FEEDBACK_SPEC",
    "FEEDBACK_STATUS_WORDINGS",
    "date_format_for",
    "describe_date_format",
    "parse_feedback_date",
    "read_feedback_file",
]

FEEDBACK_REPORT: Final = "GET_SELLER_FEEDBACK_DATA"

FEEDBACK_SPEC: Final = TableSpec(
    what="feedback file",
    expected=(
        f"the seller feedback report ({FEEDBACK_REPORT}), tab-separated UTF-8 text with the "
        "columns Date, Rating, Comments, Your Response, Order ID, Rater Email (and optionally "
        "Status)"
    ),
    separator="\t",
    quote_char=None,
    columns={
        "date": ("date",),
        "rating": ("rating",),
        "order_id": ("order id", "order-id", "orderid"),
        "comments": ("comments", "comment"),
        "response": ("your response", "response"),
        "status": ("status",),
    },
    required=("date", "rating", "order_id"),
    header=("Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email", "Status"),
)
"""The seller feedback report: the columns read (``columns``; never ``Rater Email``) and the
header as Amazon writes it, with our ``Status`` column last."""

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


def read_feedback_file(
    path: str | Path, *, date_format: str, marketplace: str = "", file: str | None = None
) -> FileRead:
    """Read one seller feedback report; ``date_format`` from :func:`date_format_for`.

    ``rows`` has the columns of :data:`FEEDBACK_SCHEMA` but ``account``. Rejected: an empty
    ``Order ID``, a ``Date`` invalid in ``date_format``, a ``Rating`` that is not 1-5, an unknown
    ``Status``. Raises :class:`~odr_analysis.readers.table.ReportFormatError` when most dates are
    invalid in ``date_format`` (the marketplace is probably wrong).
    """
    raw = read_table(path, FEEDBACK_SPEC, file=file)
    file = raw.file
    shown = f"{describe_date_format(date_format)} ({date_format}" + (
        f", the format of {marketplace})" if marketplace else ")"
    )
    parsed = raw.rows.with_columns(
        pl.col("order_id").str.strip_chars(),
        date_raw=pl.col("date"),
        rating_raw=pl.col("rating"),
        status_raw=pl.col("status"),
        date=parse_feedback_date("date", date_format),
        rating=pl.col("rating").str.strip_chars().cast(pl.Int32, strict=False),
        status=pl.col("status")
        .fill_null("")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_STATUSES, default=None, return_dtype=pl.String),
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
    rejects = pl.concat([raw.rejects, bad])
    rows = good.select(c for c in FEEDBACK_SCHEMA if c != "account")
    notes = [f"dates read as {shown}"]
    if raw.blank_lines:
        notes.append(f"{raw.blank_lines} blank line(s) skipped")
    return FileRead(file, "seller_feedback", rows, rejects, raw.rows_read, tuple(notes))
