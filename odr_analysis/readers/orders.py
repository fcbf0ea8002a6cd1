"""Amazon's All Orders report, and the careful reading of delimited text that every reader shares.

The All Orders report (``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``) is tab-separated,
one row per order *item*, UTF-8. Columns are found by header name, never by position: added,
missing (optional) and reordered columns, a UTF-8 byte-order mark, CRLF line ends and empty
trailing columns are all fine. Quotes are not special (product names contain them).

:func:`read_orders_file` reads one file into *items* (one row per kept item, with its file and
line) and a rejects table; :func:`combine_orders` merges the items of every orders file of an
account (dropping rows repeated by overlapping exports) and collapses them to the canonical
``orders`` frame (:mod:`odr_analysis.schema`):

* ``order_date`` is the UTC date of ``purchase-date`` (ISO 8601 with an offset):
  ``2025-11-30T20:30:00-08:00`` is 2025-12-01 04:30 UTC, so its order date is 2025-12-01;
* ``fulfillment-channel`` ``Amazon`` is ``AFN``, ``Merchant`` is ``MFN``; an order whose items
  disagree is ``MFN`` (odr-domain.md Q8) and its items' earliest ``purchase-date`` wins; both
  are counted in the file's ingest note;
* ``sales-channel`` ``Non-Amazon`` rows are Multi-Channel Fulfillment orders: not Amazon orders,
  excluded with that reason;
* ``Cancelled`` and ``Pending`` orders are kept (:class:`~odr_analysis.rules.OdrRules` decides).

Every data line ends up in exactly one place: kept (an item), excluded (MCF, a repeated row) or
rejected (a value that cannot be read, a line with the wrong number of fields), the last two
in the rejects table with the file, the physical line number (header = line 1) and the reason.
A file that is not such a report at all raises :class:`ReportFormatError` naming the file.

The shared layer (:class:`TableSpec`, :func:`read_table`, :class:`ReportFormatError`,
:data:`REJECTS_SCHEMA`) is used by :mod:`odr_analysis.readers.feedback` and
:mod:`odr_analysis.readers.claims` too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

import polars as pl

from odr_analysis.schema import OdrInputError

__all__ = [
    "ALL_ORDERS_REPORT",
    "ITEMS_SCHEMA",
    "MCF_REASON",
    "ORDERS_FRAME_SCHEMA",
    "ORDERS_SPEC",
    "REJECTS_SCHEMA",
    "Check",
    "CombinedOrders",
    "FileRead",
    "RawTable",
    "ReportFormatError",
    "TableSpec",
    "combine_orders",
    "duplicate_rows",
    "is_blank",
    "read_orders_file",
    "read_table",
    "rejects_frame",
    "split_checked",
]

ALL_ORDERS_REPORT: Final = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
MCF_REASON: Final = "MCF order (sales-channel Non-Amazon): not an Amazon order, not in ODR"

REJECTS_SCHEMA: Final = pl.Schema(
    {
        "file": pl.String(),
        "line": pl.Int64(),
        "order_id": pl.String(),
        "column": pl.String(),
        "value": pl.String(),
        "reason": pl.String(),
        "outcome": pl.String(),
    }
)
"""One row per data line that did not become a row of a canonical frame. ``outcome`` is
``excluded`` (a valid row left out by a rule: MCF order, repeated row) or ``rejected`` (a row
that could not be used: unreadable value, wrong number of fields, unknown order)."""


class ReportFormatError(OdrInputError):
    """A file that cannot be read as the report it should be.

    ``file`` names it; ``line`` (1 = the header) and ``column`` say where, when the problem is
    in one place.
    """

    def __init__(
        self, message: str, *, file: str, line: int | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column


@dataclass(frozen=True)
class TableSpec:
    """How to read one kind of delimited file.

    ``columns`` maps each canonical column name to the header names accepted for it (compared
    case-insensitively, surrounding spaces ignored); ``required`` lists the canonical columns
    that must be present. ``what`` names the kind of file in messages (``orders file``) and
    ``expected`` describes the file a user should give (it ends every error message).
    """

    what: str
    expected: str
    separator: str
    quote_char: str | None
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]

    def header_name(self, column: str) -> str:
        """The usual header name of a canonical column (for messages)."""
        return self.columns[column][0]


@dataclass(frozen=True)
class RawTable:
    """The lines of one delimited file, split into the spec's columns (all ``String``).

    ``rows`` holds ``line`` (the physical line number, header = 1) and one column per canonical
    column of the spec (null when the header lacks it), for every data line whose number of
    fields matches the header; ``rejects`` (:data:`REJECTS_SCHEMA`) holds the others.
    ``rows_read`` counts data lines (lines after the header that are not blank).
    """

    path: Path
    file: str
    rows: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    blank_lines: int
    present: frozenset[str]


@dataclass(frozen=True)
class FileRead:
    """One file read by a reader: ``rows`` kept (reader-specific columns plus ``file`` and
    ``line``), ``rejects`` (:data:`REJECTS_SCHEMA`), the number of data lines and notes."""

    file: str
    format: str
    rows: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    notes: tuple[str, ...] = ()


_SEPARATOR_NAMES: Final = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}


def _fail(
    spec: TableSpec, where: str, problem: str, *, line: int | None = None, column: str | None = None
) -> ReportFormatError:
    head = f"{spec.what} '{where}'" + (f", line {line}" if line is not None else "")
    return ReportFormatError(
        f"{head}: {problem}; expected {spec.expected}", file=where, line=line, column=column
    )


class _Head(NamedTuple):
    header: bytes  # the first line, line end removed
    ends_with_newline: bool


def _head(path: Path, spec: TableSpec, where: str) -> _Head:
    """The first line, checked; the whole file is read here only when it looks empty."""
    try:
        with path.open("rb") as handle:
            header = handle.readline()
            start = header + handle.read(4096)
            size = handle.seek(0, 2)
            handle.seek(max(size - 1, 0))
            last = handle.read(1)
    except OSError as exc:
        raise _fail(spec, where, f"cannot be read ({exc.strerror})") from None
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(spec, where, "is UTF-16 text (a spreadsheet's 'Unicode text'?), not UTF-8")
    if is_blank(start) and (size <= len(start) or is_blank(path.read_bytes())):
        raise _fail(spec, where, "is empty")
    if b"\x00" in header:
        raise _unreadable(path, spec, where)
    return _Head(header.rstrip(b"\n").rstrip(b"\r"), last == b"\n")


def _unreadable(path: Path, spec: TableSpec, where: str, detail: str = "") -> ReportFormatError:
    """Why polars could not read the file: a NUL byte, bytes that are not UTF-8, or ``detail``."""
    data = path.read_bytes()
    if b"\x00" in data:
        offset = data.index(b"\x00")
        return _fail(
            spec,
            where,
            f"holds a NUL byte at byte {offset}: a binary file (a spreadsheet, an archive?), "
            "not a text report",
            line=data.count(b"\n", 0, offset) + 1,
        )
    return _not_utf8(data, spec, where) or _fail(spec, where, f"cannot be read ({detail})")


def is_blank(data: bytes) -> bool:
    """Whether ``data`` holds nothing but white space (and perhaps a UTF-8 byte-order mark).

    >>> is_blank(b"\\xef\\xbb\\xbf \\r\\n"), is_blank(b"a")
    (True, False)
    """
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    if head and not head.isspace():
        return False
    return len(data) <= 4096 or data[4096:].isspace()


def _not_utf8(data: bytes, spec: TableSpec, where: str) -> ReportFormatError | None:
    """The error for the first byte that is not UTF-8 (line, column, byte offset), if any."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        return _fail(
            spec,
            where,
            f"is not UTF-8: byte {exc.start} (column {exc.start - line_start + 1}, "
            f"{data[exc.start : exc.start + 1]!r}) cannot be decoded; the file was probably saved "
            "in another encoding (Windows-1252, Latin-1, Shift_JIS): save it as UTF-8",
            line=data.count(b"\n", 0, exc.start) + 1,
        )
    return None


def _header(path: Path, head: _Head, spec: TableSpec, where: str) -> list[str]:
    try:
        first = head.header.decode("utf-8")
    except UnicodeDecodeError:
        raise _unreadable(path, spec, where) from None
    names = [name.strip() for name in first.lstrip("\ufeff").split(spec.separator)]
    if spec.quote_char:
        names = [
            name[1:-1].replace(spec.quote_char * 2, spec.quote_char)
            if len(name) >= 2 and name[0] == name[-1] == spec.quote_char
            else name
            for name in names
        ]
    return names


def _positions(names: list[str], spec: TableSpec, where: str) -> dict[str, int]:
    """Canonical column -> index in the header; errors for a wrong separator or missing column."""
    lowered = [name.lower() for name in names]
    real = len(names)
    while real > 1 and not names[real - 1]:
        real -= 1
    if real == 1 and not any(
        alias in lowered for aliases in spec.columns.values() for alias in aliases
    ):
        for other, other_name in _SEPARATOR_NAMES.items():
            if other != spec.separator and len(names[0].split(other)) >= 3:
                raise _fail(
                    spec,
                    where,
                    f"the header is {other_name}-separated, not "
                    f"{_SEPARATOR_NAMES[spec.separator]}-separated (was the file re-saved by a "
                    "spreadsheet?)",
                    line=1,
                )
    positions: dict[str, int] = {}
    for column, aliases in spec.columns.items():
        found = [i for i, name in enumerate(lowered) if name in aliases]
        if len(found) > 1:
            raise _fail(
                spec,
                where,
                f"column '{names[found[0]]}' appears {len(found)} times "
                f"(columns {', '.join(str(i + 1) for i in found)})",
                line=1,
                column=names[found[0]],
            )
        if found:
            positions[column] = found[0]
    missing = [spec.header_name(c) for c in spec.required if c not in positions]
    if missing:
        shown = ", ".join(repr(n) for n in names[:12]) + (" ..." if len(names) > 12 else "")
        raise _fail(
            spec,
            where,
            f"missing column {missing[0]!r}"
            + (f" (and {', '.join(repr(m) for m in missing[1:])})" if missing[1:] else "")
            + f"; the header has {shown}",
            line=1,
            column=missing[0],
        )
    return positions


def _field_count(spec: TableSpec, line: pl.Expr) -> pl.Expr:
    sep = spec.separator
    if spec.quote_char is None:
        return line.str.count_matches(sep, literal=True) + 1
    q = re.escape(spec.quote_char)
    unquoted = line.str.replace_all(rf"{q}(?:[^{q}]|{q}{q})*{q}", "")
    return unquoted.str.count_matches(sep, literal=True) + 1


def _scan(path: Path, spec: TableSpec, **options: object) -> pl.LazyFrame:
    """The data lines of the file (the header skipped), as polars reads them."""
    settings: dict[str, object] = {
        "has_header": False,
        "skip_rows": 1,
        "separator": spec.separator,
        "quote_char": spec.quote_char,
        "empty_string_is_null": False,
        "raise_if_empty": False,
        "glob": False,  # a file name may hold [ ] * ?
        **options,
    }
    return pl.scan_csv(path, **settings)  # type: ignore[arg-type]


def _lines(path: Path, spec: TableSpec, where: str, n_header: int) -> pl.DataFrame:
    """Per data line: ``line`` number, number of fields ``_n``, and ``_blank``."""
    whole_lines = {"separator": "\x00", "quote_char": None, "schema": {"_l": pl.String}}
    try:
        return (
            _scan(path, spec, **whole_lines)  # NUL never occurs in text: one column per line
            .select(
                _n=_field_count(spec, pl.col("_l")).cast(pl.Int64),
                _blank=pl.col("_l").str.contains(r"^\s*$"),
                # the line itself, only where it is needed (more fields than the header)
                _l=pl.when(_field_count(spec, pl.col("_l")) > n_header).then(pl.col("_l")),
            )
            .collect(engine="streaming")  # the per-line work runs on every core
            .with_row_index("line", offset=2)
            .with_columns(pl.col("line").cast(pl.Int64))
        )
    except pl.exceptions.PolarsError as exc:  # a NUL byte, or bytes that are not UTF-8
        raise _unreadable(path, spec, where, str(exc)) from None


def read_table(path: str | Path, spec: TableSpec, *, file: str | None = None) -> RawTable:
    """Read a delimited text file as ``String`` columns, with physical line numbers.

    Checks, each an error naming the file (:class:`ReportFormatError`): readable, not empty,
    text (no NUL byte, not UTF-16), UTF-8 (the error gives the line and byte offset), the right
    separator, every required column present (once), and a last line that is not cut off in
    the middle (fewer fields than the header and no line end: the download was truncated).

    A data line whose number of fields differs from the header's is rejected with its line
    number (extra fields that are all empty are fine: empty trailing columns). Blank lines are
    skipped and counted. ``file`` is the name used in messages and rows (default: the file name).
    """
    path = Path(path)
    file = path.name if file is None else file
    where = str(path)  # messages name the path; rows name the file
    head = _head(path, spec, where)
    names = _header(path, head, spec, where)
    positions = _positions(names, spec, where)
    n_header = len(names)
    n_real = n_header
    while n_real > 1 and not names[n_real - 1]:
        n_real -= 1

    meta = _lines(path, spec, where, n_header)
    native = (
        _scan(
            path,
            spec,
            schema={f"_{i}": pl.String for i in range(n_header)},
            truncate_ragged_lines=True,
            missing_columns="insert",
        )
        .select(pl.col(f"_{i}").alias(column) for column, i in positions.items())
        .collect()
    )
    if native.height != meta.height:
        if spec.quote_char:
            odd = (
                _scan(path, spec, separator="\x00", quote_char=None, schema={"_l": pl.String})
                .select(
                    line=pl.int_range(2, pl.len() + 2, dtype=pl.Int64),
                    odd=pl.col("_l").str.count_matches(spec.quote_char, literal=True) % 2 == 1,
                )
                .filter("odd")
                .collect()
            )
            raise _fail(
                spec,
                where,
                "a quoted value runs over a line break (a cell holding a new line, or an "
                "unclosed quote); remove line breaks inside cells",
                line=int(odd["line"][0]) if odd.height else None,
            )
        raise _fail(spec, where, "its rows could not be matched to its lines")  # pragma: no cover

    if meta.height and not head.ends_with_newline:
        last = meta.row(meta.height - 1, named=True)
        if not last["_blank"] and last["_n"] < n_real:
            raise _fail(
                spec,
                where,
                f"the file ends in the middle of a row ({last['_n']} of {n_real} fields and "
                "no line end): the download looks cut off; download the file again",
                line=last["line"],
            )

    # More fields than the header is fine when the extra fields are all empty.
    trailing = spec.separator + " \r"
    too_long = meta.filter(
        pl.col("_l").is_not_null()
        & (_field_count(spec, pl.col("_l").str.strip_chars_end(trailing)) > n_real)
    )["line"]
    bad = ~pl.col("_blank") & ((pl.col("_n") < n_real) | pl.col("line").is_in(too_long.implode()))
    sep_name = _SEPARATOR_NAMES.get(spec.separator, repr(spec.separator))
    order_id = native["order_id"] if "order_id" in positions else pl.lit(None, pl.String)
    rejects = rejects_frame(
        meta.with_columns(_id=order_id)
        .filter(bad)
        .select(
            file=pl.lit(file),
            line="line",
            order_id=pl.when(pl.col("_id").str.strip_chars() != "").then(
                pl.col("_id").str.strip_chars()
            ),
            column=pl.lit(None, pl.String),
            value=pl.format("{} fields", "_n"),
            reason=pl.format(
                "the line has {} fields; the header has {} ({}-separated: a value holding a "
                "{} or a missing value?)",
                "_n",
                pl.lit(n_real),
                pl.lit(sep_name),
                pl.lit(sep_name),
            ),
            outcome=pl.lit("rejected"),
        )
    )
    blank = int(meta["_blank"].sum())
    # The native frame's own row index: attaching meta's column would re-chunk every column.
    rows = native.with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64))
    if blank or rejects.height:
        rows = rows.filter(meta.select(~pl.col("_blank") & ~bad).to_series())
    rows = rows.with_columns(
        pl.lit(None, pl.String).alias(column) for column in spec.columns if column not in positions
    ).select("line", *spec.columns)
    return RawTable(
        path=path,
        file=file,
        rows=rows,
        rejects=rejects,
        rows_read=meta.height - blank,
        blank_lines=blank,
        present=frozenset(positions),
    )


def rejects_frame(frame: pl.DataFrame | None = None) -> pl.DataFrame:
    """``frame`` with exactly the :data:`REJECTS_SCHEMA` columns and dtypes (empty if ``None``)."""
    if frame is None:
        return pl.DataFrame(schema=REJECTS_SCHEMA)
    return frame.select(pl.col(c).cast(t) for c, t in REJECTS_SCHEMA.items())


def duplicate_rows(
    rows: pl.DataFrame, columns: Sequence[str], *, order: Sequence[str] = ("_file_index", "line")
) -> pl.DataFrame:
    """The rows of ``rows`` equal (on ``columns``) to an earlier row, with where that row is.

    "Earlier" follows ``order``. Returns the repeated rows with two more columns, ``first_file``
    and ``first_line``, and ``_reason`` (``duplicate row (already read from <file> line <n>)``).
    Hashes first, so the exact comparison runs on candidates only.
    """
    hashed = rows.with_columns(_h=pl.struct(*columns).hash())
    candidates = hashed.filter(pl.col("_h").is_duplicated()).sort(*order)
    keys = list(columns)
    return (
        candidates.with_columns(
            first_file=pl.col("file").first().over(keys),
            first_line=pl.col("line").first().over(keys),
            _rank=pl.int_range(pl.len()).over(keys),
        )
        .filter(pl.col("_rank") > 0)
        .drop("_h", "_rank")
        .with_columns(
            _reason=pl.format(
                "duplicate row (already read from {} line {})", "first_file", "first_line"
            )
        )
    )


class Check(NamedTuple):
    """One test a row must pass: ``failed`` is true for a failing row, ``column`` the header
    name to blame, ``value`` the offending text and ``reason`` the message."""

    failed: pl.Expr
    column: str
    value: pl.Expr
    reason: pl.Expr


def split_checked(rows: pl.DataFrame, checks: Sequence[Check]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows passing every check, and a rejects frame (outcome ``rejected``) for the others.

    A row failing several checks is reported for the first. ``rows`` needs ``file``, ``line``
    and ``order_id``; an empty order id is reported as null.
    """
    failing = [c.failed.fill_null(False) for c in checks]
    any_failed = pl.any_horizontal(failing)
    mask = rows.select(any_failed).to_series()
    if not mask.any():
        return rows, rejects_frame()
    bad = rows.filter(mask)
    column: pl.Expr = pl.lit(None, pl.String)
    value: pl.Expr = pl.lit(None, pl.String)
    reason: pl.Expr = pl.lit(None, pl.String)
    for failed, check in reversed(list(zip(failing, checks, strict=True))):  # first one wins
        column = pl.when(failed).then(pl.lit(check.column)).otherwise(column)
        value = pl.when(failed).then(check.value).otherwise(value)
        reason = pl.when(failed).then(check.reason).otherwise(reason)
    rejects = rejects_frame(
        bad.select(
            "file",
            "line",
            pl.when(pl.col("order_id") != "").then(pl.col("order_id")).alias("order_id"),
            column=column,
            value=value,
            reason=reason,
            outcome=pl.lit("rejected"),
        )
    )
    return rows.filter(~mask), rejects


def _map_values(
    frame: pl.DataFrame, column: str, mapping: Mapping[str, object], dtype: pl.DataType
) -> pl.Expr:
    """``column`` mapped through ``mapping`` after trimming and lower-casing; null if unknown.

    The normalisation runs once per distinct value (a handful), not once per row.
    """
    distinct = frame.get_column(column).unique().drop_nulls().to_list()
    lookup = {v: mapping.get(v.strip().lower()) for v in distinct}
    return pl.col(column).replace_strict(lookup, default=None, return_dtype=dtype)


# --- the All Orders report -------------------------------------------------------------------

_ORDER_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "order_id": ("amazon-order-id",),
    "purchase_date": ("purchase-date",),
    "fulfillment_channel": ("fulfillment-channel",),
    "sales_channel": ("sales-channel",),
    "last_updated": ("last-updated-date",),
    "order_status": ("order-status",),
    "ship_service_level": ("ship-service-level",),
    "sku": ("sku",),
    "asin": ("asin",),
    "product_name": ("product-name",),
    "item_status": ("item-status",),
    "quantity": ("quantity", "quantity-purchased"),
    "ship_state": ("ship-state",),
    "ship_country": ("ship-country",),
    "is_business": ("is-business-order",),
}
ORDERS_SPEC: Final = TableSpec(
    what="orders file",
    expected=(
        f"the All Orders report ({ALL_ORDERS_REPORT}), tab-separated UTF-8 text, one row per "
        "order item, with the columns amazon-order-id, purchase-date, fulfillment-channel and "
        "sales-channel (and optionally last-updated-date, order-status, ship-service-level, sku, "
        "asin, quantity, ship-state, ship-country, is-business-order, ...)"
    ),
    separator="\t",
    quote_char=None,
    columns=_ORDER_COLUMNS,
    required=("order_id", "purchase_date", "fulfillment_channel", "sales_channel"),
)

_CHANNELS: Final = {"amazon": "AFN", "merchant": "MFN", "afn": "AFN", "mfn": "MFN"}
_BOOLEANS: Final = {"true": True, "false": False}

ITEMS_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "order_id": pl.String(),
        "marketplace": pl.String(),
        "channel": pl.String(),
        "purchase_ts": pl.Datetime("us", "UTC"),
        "order_status": pl.String(),
        "item_status": pl.String(),
        "sku": pl.String(),
        "asin": pl.String(),
        "product_name": pl.String(),
        "quantity": pl.Int64(),
        "ship_service_level": pl.String(),
        "ship_country": pl.String(),
        "ship_state": pl.String(),
        "is_business": pl.Boolean(),
        "file": pl.String(),
        "line": pl.Int64(),
    }
)
"""Columns of the items frame: one row per kept order item, ``channel`` being the item's own."""

ORDERS_FRAME_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "marketplace": pl.String(),
        "order_id": pl.String(),
        "order_date": pl.Date(),
        "channel": pl.String(),
        "order_status": pl.String(),
        "is_business": pl.Boolean(),
        "ship_service_level": pl.String(),
        "ship_country": pl.String(),
        "ship_state": pl.String(),
        "purchase_ts": pl.Datetime("us", "UTC"),
        "item_count": pl.Int64(),
        "units": pl.Int64(),
    }
)
"""Columns of the ``orders`` frame the readers return: the canonical ones and a few more."""


def _iso_timestamp(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .str.strip_chars()
        .str.to_datetime("%+", strict=False, time_unit="us", time_zone="UTC")
    )


def read_orders_file(path: str | Path, *, file: str | None = None) -> FileRead:
    """Read one All Orders report into items (one row per kept item line) and rejects.

    ``rows`` holds the raw text columns plus the parsed ``order_id``, ``marketplace``,
    ``channel`` (AFN/MFN), ``purchase_ts`` (UTC), ``quantity``,
    ``is_business``, ``file`` and ``line``. Rejected: an empty ``amazon-order-id``, a
    ``purchase-date`` that is not ISO 8601 with an offset, an unknown ``fulfillment-channel``,
    an empty ``sales-channel``, an ``is-business-order`` other than true/false. Excluded: MCF
    rows (``sales-channel`` ``Non-Amazon``). Raises :class:`ReportFormatError` when most
    purchase dates cannot be read (the file is not what it seems).
    """
    raw = read_table(path, ORDERS_SPEC, file=file)
    file = raw.file
    rows = raw.rows
    parsed = rows.with_columns(
        order_id=pl.col("order_id").str.strip_chars(),
        marketplace=pl.col("sales_channel").replace_strict(
            {v: v.strip() for v in rows["sales_channel"].unique().drop_nulls()},
            default=None,
            return_dtype=pl.String,
        ),
        channel=_map_values(rows, "fulfillment_channel", _CHANNELS, pl.String()),
        purchase_ts=_iso_timestamp("purchase_date"),
        quantity=pl.col("quantity").str.strip_chars().cast(pl.Int64, strict=False),
        is_business_raw=pl.col("is_business"),
        is_business=_map_values(rows, "is_business", _BOOLEANS, pl.Boolean()),
        file=pl.lit(file),
    )
    checks = [
        Check(
            pl.col("order_id").is_null() | (pl.col("order_id") == ""),
            "amazon-order-id",
            pl.col("order_id"),
            pl.lit("empty amazon-order-id"),
        ),
        Check(
            pl.col("purchase_ts").is_null(),
            "purchase-date",
            pl.col("purchase_date"),
            pl.format(
                "purchase-date '{}' is not an ISO 8601 date-time with a UTC offset "
                "(like 2025-11-30T20:30:00-08:00)",
                pl.col("purchase_date"),
            ),
        ),
        Check(
            pl.col("channel").is_null(),
            "fulfillment-channel",
            pl.col("fulfillment_channel"),
            pl.format(
                "unknown fulfillment-channel '{}'; accepted: Amazon (AFN), Merchant (MFN)",
                pl.col("fulfillment_channel"),
            ),
        ),
        Check(
            pl.col("marketplace").is_null() | (pl.col("marketplace") == ""),
            "sales-channel",
            pl.col("sales_channel"),
            pl.lit("empty sales-channel (the marketplace, e.g. Amazon.com)"),
        ),
        Check(
            pl.col("is_business").is_null()
            & (pl.col("is_business_raw").str.strip_chars().str.len_bytes() > 0),
            "is-business-order",
            pl.col("is_business_raw"),
            pl.format("is-business-order '{}' is neither true nor false", "is_business_raw"),
        ),
    ]
    # MCF rows are excluded whatever else they hold: they are not Amazon orders.
    flags = parsed.select(
        mcf=pl.col("marketplace").str.to_lowercase() == "non-amazon",
        failed=pl.any_horizontal(c.failed.fill_null(False) for c in checks),
    )
    mcf, failed = flags["mcf"], flags["failed"] & ~flags["mcf"]
    good, excluded, bad = parsed, parsed.clear(), rejects_frame()
    if mcf.any() or failed.any():  # one pass over the big frame, small ones for the rest
        good, excluded = parsed.filter(~(mcf | failed)), parsed.filter(mcf)
        bad = split_checked(parsed.filter(failed), checks)[1]
    _check_mostly_readable(parsed.height - excluded.height, bad, str(raw.path))
    rejects = pl.concat(
        [
            raw.rejects,
            rejects_frame(
                excluded.select(
                    "file",
                    "line",
                    "order_id",
                    column=pl.lit("sales-channel"),
                    value=pl.col("sales_channel"),
                    reason=pl.lit(MCF_REASON),
                    outcome=pl.lit("excluded"),
                )
            ),
            bad,
        ]
    )
    good = good.drop("is_business_raw")
    notes = [f"{raw.blank_lines} blank line(s) skipped"] if raw.blank_lines else []
    return FileRead(file, "all_orders", good, rejects, raw.rows_read, tuple(notes))


def _check_mostly_readable(rows: int, rejects: pl.DataFrame, where: str) -> None:
    """Raise when most purchase dates fail: the file is not an All Orders report as expected."""
    failed = rejects.filter(pl.col("column") == "purchase-date")
    if rows and failed.height * 2 > rows:
        first = failed.row(0, named=True)
        raise _fail(
            ORDERS_SPEC,
            where,
            f"{failed.height} of {rows} purchase-date values are not ISO 8601 date-times "
            f"with a UTC offset (e.g. {first['value']!r}); the report's dates look like "
            "2025-11-30T20:30:00-08:00",
            line=int(first["line"]),
            column="purchase-date",
        )


@dataclass(frozen=True)
class CombinedOrders:
    """The orders files of one account, merged: ``orders`` (:data:`ORDERS_FRAME_SCHEMA`),
    ``items`` (:data:`ITEMS_SCHEMA`), ``rejects`` (every file's, plus repeated rows) and per
    file the ``kept`` item count and ``notes``."""

    orders: pl.DataFrame
    items: pl.DataFrame
    rejects: pl.DataFrame
    kept: Mapping[str, int]
    notes: Mapping[str, tuple[str, ...]]


# Columns compared to decide that a row repeats an earlier one ("identical rows").
_ROW_COLUMNS: Final = tuple(_ORDER_COLUMNS)
_ITEM_KEY: Final = ("order_id", "sku", "asin")
_NEVER: Final = pl.datetime(1, 1, 1, time_zone="UTC")


def combine_orders(reads: Sequence[FileRead], account: str) -> CombinedOrders:
    """Merge the items of an account's orders files and collapse them to one row per order.

    * A row identical to an earlier one (same file or another; every column read compared) is
      excluded: ``duplicate row (already read from <file> line <n>)``.
    * The same order item in two files (overlapping exports: same order id, sku and asin, the
      n-th such item of each file) counts once: the copy with the latest ``last-updated-date``
      is kept (the first read on a tie), the other is excluded.
    * Different items of one order spread over several files are merged into that order.

    The order takes its marketplace and shipping details from its first item, the earliest
    ``purchase-date``, ``MFN`` when any item is seller-fulfilled, the ``order-status`` of its
    most recently updated item, ``is_business`` if any item says so, ``item_count`` (rows) and
    ``units`` (sum of ``quantity``). Orders come in the order they first appear in the files.
    """
    if not reads:
        return CombinedOrders(
            orders=pl.DataFrame(schema=ORDERS_FRAME_SCHEMA),
            items=pl.DataFrame(schema=ITEMS_SCHEMA),
            rejects=rejects_frame(),
            kept={},
            notes={},
        )
    files = [r.file for r in reads]
    rows = pl.concat(
        [r.rows.with_columns(_file_index=pl.lit(i, pl.Int32)) for i, r in enumerate(reads)]
    ).with_columns(account=pl.lit(account))
    repeated = _repeated_items(rows)
    if repeated.height:
        rows = rows.join(repeated, on=["_file_index", "line"], how="anti", maintain_order="left")
    orders = _collapse(rows)
    kept = dict(rows.group_by("file").len().iter_rows())
    return CombinedOrders(
        orders=orders.select(pl.col(c).cast(t) for c, t in ORDERS_FRAME_SCHEMA.items()),
        items=rows.select(pl.col(c).cast(t) for c, t in ITEMS_SCHEMA.items()),
        rejects=pl.concat(
            [
                *(r.rejects for r in reads),
                rejects_frame(
                    repeated.select(
                        "file",
                        "line",
                        "order_id",
                        column=pl.lit(None, pl.String),
                        value=pl.lit(None, pl.String),
                        reason="_reason",
                        outcome=pl.lit("excluded"),
                    )
                ),
            ]
        ),
        kept={f: kept.get(f, 0) for f in files},
        notes=_notes(orders, files),
    )


def _repeated_items(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows to exclude as repeats (``_file_index``, ``line``, ``file``, ``order_id``,
    ``_reason``): identical to an earlier row, or an older copy of an item another file holds.

    Only rows whose item key (order id, sku, asin) occurs more than once are looked at closely.
    """
    columns = ["_file_index", "line", "file", "order_id", "_reason"]
    candidates = rows.filter(pl.struct(*_ITEM_KEY).hash().is_duplicated())
    if candidates.is_empty():
        return candidates.with_columns(_reason=pl.lit(None, pl.String)).select(columns)
    identical = duplicate_rows(candidates, _ROW_COLUMNS)
    candidates = candidates.join(
        identical, on=["_file_index", "line"], how="anti", maintain_order="left"
    )
    # The same item (the n-th with its key in each file) in several files: keep the copy
    # updated last; the first read wins a tie.
    key = [*_ITEM_KEY, "_occurrence"]
    copies = (
        candidates.sort("_file_index", "line")
        .with_columns(_occurrence=pl.int_range(pl.len()).over("_file_index", *_ITEM_KEY))
        .filter(pl.col("_file_index").n_unique().over(key) > 1)
        .with_columns(_updated=_iso_timestamp("last_updated").fill_null(_NEVER))
        .sort("_updated", "_file_index", "line", descending=[True, False, False])
        .with_columns(
            _kept_file=pl.col("file").first().over(key),
            _kept_line=pl.col("line").first().over(key),
            _rank=pl.int_range(pl.len()).over(key),
        )
        .filter(pl.col("_rank") > 0)
        .with_columns(
            _reason=pl.format(
                "older copy of the order item kept from {} line {} (same amazon-order-id, sku "
                "and asin; that row has the later last-updated-date, or was read first)",
                "_kept_file",
                "_kept_line",
            )
        )
    )
    return pl.concat([identical.select(columns), copies.select(columns)])


def _collapse(items: pl.DataFrame) -> pl.DataFrame:
    """One row per order; mixed-item flags are computed on hashes and booleans (cheap)."""
    orders = (
        items.with_columns(
            _mfn=pl.col("channel") == "MFN",
            _market=pl.col("marketplace").hash(),
            _status=pl.col("order_status").hash(),
        )
        .group_by("account", "order_id", maintain_order=True)
        .agg(
            marketplace=pl.col("marketplace").first(),
            channel=pl.when(pl.col("_mfn").any()).then(pl.lit("MFN")).otherwise(pl.lit("AFN")),
            purchase_ts=pl.col("purchase_ts").min(),
            order_status=pl.col("order_status").first(),
            is_business=pl.col("is_business").max(),
            ship_service_level=pl.col("ship_service_level").first(),
            ship_country=pl.col("ship_country").first(),
            ship_state=pl.col("ship_state").first(),
            item_count=pl.len().cast(pl.Int64),
            # null, not 0, when the file has no quantity (column missing or blank)
            units=pl.when(pl.col("quantity").is_not_null().any()).then(pl.col("quantity").sum()),
            _file=pl.col("file").first(),
            _spread=pl.col("_file_index").min() != pl.col("_file_index").max(),
            _mixed_channel=pl.col("_mfn").any() & ~pl.col("_mfn").all(),
            _mixed_date=pl.col("purchase_ts").min() != pl.col("purchase_ts").max(),
            _mixed_marketplace=pl.col("_market").min() != pl.col("_market").max(),
            _mixed_status=pl.col("_status").min() != pl.col("_status").max(),
        )
        .with_columns(order_date=pl.col("purchase_ts").dt.date())
    )
    mixed = orders.filter("_mixed_status").select("account", "order_id")
    if mixed.height:  # items disagree on order-status: the most recently updated item's wins
        latest = (
            items.join(mixed, on=["account", "order_id"], how="semi")
            .with_columns(_updated=_iso_timestamp("last_updated").fill_null(_NEVER))
            .group_by("account", "order_id")
            .agg(_latest=pl.col("order_status").sort_by("_updated").last())
        )
        orders = (
            orders.join(latest, on=["account", "order_id"], how="left", maintain_order="left")
            .with_columns(order_status=pl.coalesce("_latest", "order_status"))
            .drop("_latest")
        )
    return orders


def _notes(orders: pl.DataFrame, files: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Per file (where each order first appears): counts of merged and mixed orders."""
    counts = orders.group_by("_file").agg(
        pl.col("_mixed_channel").sum(),
        pl.col("_mixed_date").sum(),
        pl.col("_mixed_marketplace").sum(),
        pl.col("_mixed_status").sum(),
        pl.col("_spread").sum(),
        orders=pl.len(),
    )
    texts = {
        "_mixed_channel": "order(s) mix Amazon and Merchant items: counted as MFN",
        "_mixed_date": "order(s) whose items disagree on purchase-date: earliest taken",
        "_mixed_marketplace": "order(s) whose items disagree on sales-channel: first item's taken",
        "_mixed_status": "order(s) whose items disagree on order-status: latest updated taken",
        "_spread": "order(s) with items in several files: merged",
    }
    notes: dict[str, tuple[str, ...]] = {f: () for f in files}
    for row in counts.iter_rows(named=True):
        notes[row["_file"]] = (
            f"{row['orders']} order(s)",
            *(f"{row[k]} {text}" for k, text in texts.items() if row[k]),
        )
    return notes
