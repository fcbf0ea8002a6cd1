"""The careful reading of delimited text that every text reader shares.

A :class:`TableSpec` says how one kind of file is written (separator, quoting, the accepted
header names of each column, the required ones); :func:`read_table` reads a file by its spec
into ``String`` columns with physical line numbers, refusing a file that is not what it should
be with a :class:`ReportFormatError` naming it, and rejecting a line with the wrong number of
fields. The readers then check values row by row with :class:`Check` and
:func:`split_checked`; every row not kept is a row of :data:`REJECTS_SCHEMA`
(:func:`rejects_frame`, :func:`duplicate_rows`). :func:`wordings_by_value` turns a reader's
table of accepted wordings around (value -> its wordings, the usual one first).
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
    "REJECTS_SCHEMA",
    "Check",
    "FileRead",
    "RawTable",
    "ReportFormatError",
    "TableSpec",
    "duplicate_rows",
    "format_error",
    "is_blank",
    "read_table",
    "rejects_frame",
    "split_checked",
    "wordings_by_value",
]

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
    ``header`` is the header as the file is usually written (the source's column order and
    spelling): the readers never rely on it (they find columns by name), the sample generator
    writes it.
    """

    what: str
    expected: str
    separator: str
    quote_char: str | None
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    header: tuple[str, ...] = ()

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


def format_error(
    spec: TableSpec, where: str, problem: str, *, line: int | None = None, column: str | None = None
) -> ReportFormatError:
    """The error for a ``problem`` with the file ``where``, worded the same for every format:
    ``<what> '<where>', line <n>: <problem>; expected <expected>`` (the line when known)."""
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
        raise format_error(spec, where, f"cannot be read ({exc.strerror})") from None
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise format_error(
            spec, where, "is UTF-16 text (a spreadsheet's 'Unicode text'?), not UTF-8"
        )
    if is_blank(start) and (size <= len(start) or is_blank(path.read_bytes())):
        raise format_error(spec, where, "is empty")
    if b"\x00" in header:
        raise _unreadable(path, spec, where)
    return _Head(header.rstrip(b"\n").rstrip(b"\r"), last == b"\n")


def _unreadable(path: Path, spec: TableSpec, where: str, detail: str = "") -> ReportFormatError:
    """Why polars could not read the file: a NUL byte, bytes that are not UTF-8, or ``detail``."""
    data = path.read_bytes()
    if b"\x00" in data:
        offset = data.index(b"\x00")
        return format_error(
            spec,
            where,
            f"holds a NUL byte at byte {offset}: a binary file (a spreadsheet, an archive?), "
            "not a text report",
            line=data.count(b"\n", 0, offset) + 1,
        )
    return _not_utf8(data, spec, where) or format_error(spec, where, f"cannot be read ({detail})")


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
        return format_error(
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
                raise format_error(
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
            raise format_error(
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
        raise format_error(
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
            raise format_error(
                spec,
                where,
                "a quoted value runs over a line break (a cell holding a new line, or an "
                "unclosed quote); remove line breaks inside cells",
                line=int(odd["line"][0]) if odd.height else None,
            )
        raise format_error(
            spec, where, "its rows could not be matched to its lines"
        )  # pragma: no cover

    if meta.height and not head.ends_with_newline:
        last = meta.row(meta.height - 1, named=True)
        if not last["_blank"] and last["_n"] < n_real:
            raise format_error(
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


def wordings_by_value(wordings: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Invert a table of accepted wordings (wording -> value): each value with its wordings, in
    the table's order. The first wording of a value is the one a file usually shows.

    >>> wordings_by_value({"": "active", "Removed": "removed", "Active": "active"})
    {'active': ('', 'Active'), 'removed': ('Removed',)}
    """
    found: dict[str, list[str]] = {}
    for wording, value in wordings.items():
        found.setdefault(value, []).append(wording)
    return {value: tuple(words) for value, words in found.items()}
