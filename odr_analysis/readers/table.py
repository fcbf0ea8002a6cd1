"""The careful reading of delimited text that every text reader shares.

A :class:`TableSpec` says how one kind of file is written (separators, quoting, the accepted
header names of each column, the required ones); :func:`read_table` reads a file by its spec
into ``String`` columns with physical line numbers, from its text as
:func:`odr_analysis.readers.source.read_text` decides it (gzip, encoding, line ends), refusing a
file that is not what it should be with a :class:`ReportFormatError` naming it, rejecting a line
with the wrong number of fields and excluding a header line repeated mid-file. The readers then
check values row by row with :class:`Check` and :func:`split_checked`; every row not kept is a
row of :data:`REJECTS_SCHEMA` (:func:`rejects_frame`, which also removes e-mail addresses and
bidirectional controls from what it shows; :func:`duplicate_rows`). :func:`wordings_by_value`
turns a reader's table of accepted wordings around (value -> its wordings, the usual one first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

import polars as pl

from odr_analysis.readers.source import ReportFormatError, Text, UnreadableText, read_text

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


@dataclass(frozen=True)
class TableSpec:
    """How to read one kind of delimited file.

    ``columns`` maps each canonical column name to the header names accepted for it (compared
    case-insensitively, surrounding spaces ignored); ``required`` lists the canonical columns
    that must be present. ``what`` names the kind of file in messages (``orders file``) and
    ``expected`` describes the file a user should give (it ends every error message).
    ``header`` is the header as the file is usually written (the source's column order and
    spelling): the readers never rely on it (they find columns by name), the sample generator
    writes it. ``separator`` is the usual separator; ``other_separators`` are accepted too, the
    header deciding which one a file uses (a spreadsheet saves CSV with ``;`` in the locales
    whose decimal mark is a comma).
    """

    what: str
    expected: str
    separator: str
    quote_char: str | None
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    header: tuple[str, ...] = ()
    other_separators: tuple[str, ...] = ()

    def header_name(self, column: str) -> str:
        """The usual header name of a canonical column (for messages)."""
        return self.columns[column][0]

    @property
    def separators(self) -> tuple[str, ...]:
        """Every separator accepted, the usual one first."""
        return (self.separator, *self.other_separators)


@dataclass(frozen=True)
class RawTable:
    """The lines of one delimited file, split into the spec's columns (all ``String``).

    ``rows`` holds ``line`` (the physical line number, header = 1) and one column per canonical
    column of the spec (null when the header lacks it), for every data line whose number of
    fields matches the header; ``rejects`` (:data:`REJECTS_SCHEMA`) holds the others (and a
    header line repeated mid-file, excluded). ``rows_read`` counts data lines (lines after the
    header that are not blank): ``1 + rows_read + blank_lines`` is the file's number of lines.
    ``separator`` is the one the header uses; ``notes`` say how the file was read when that is
    not plain UTF-8 text with the spec's usual separator (:attr:`Text.notes
    <odr_analysis.readers.source.Text.notes>`, the separator, repeated header lines).
    """

    path: Path
    file: str
    rows: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    blank_lines: int
    present: frozenset[str]
    separator: str = "\t"
    notes: tuple[str, ...] = ()


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


def is_blank(data: bytes) -> bool:
    """Whether ``data`` holds nothing but white space (and perhaps a UTF-8 byte-order mark).

    >>> is_blank(b"\\xef\\xbb\\xbf \\r\\n"), is_blank(b"a")
    (True, False)
    """
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    if head and not head.isspace():
        return False
    return len(data) <= 4096 or data[4096:].isspace()


def _separator_words(separators: Sequence[str]) -> str:
    """``tab``, ``comma- or semicolon`` (followed by ``-separated`` in messages)."""
    return "- or ".join(_SEPARATOR_NAMES.get(s, repr(s)) for s in separators)


def _split_header(line: str, separator: str, quote_char: str | None) -> list[str]:
    names = [name.strip() for name in line.split(separator)]
    if quote_char:
        names = [
            name[1:-1].replace(quote_char * 2, quote_char)
            if len(name) >= 2 and name[0] == name[-1] == quote_char
            else name
            for name in names
        ]
    return names


def _header(line: str, spec: TableSpec) -> tuple[str, list[str]]:
    """The separator the header uses (of the spec's) and the header's names.

    The separator under which the header holds the most known column names wins; the usual
    one when none does (its errors then say what is wrong).
    """
    best: tuple[int, str, list[str]] | None = None
    for separator in spec.separators:
        names = _split_header(line, separator, spec.quote_char)
        lowered = {name.lower() for name in names}
        known = sum(1 for aliases in spec.columns.values() if lowered.intersection(aliases))
        if best is None or known > best[0]:
            best = (known, separator, names)
    assert best is not None
    return best[1], best[2]


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
            if other not in spec.separators and len(names[0].split(other)) >= 3:
                raise format_error(
                    spec,
                    where,
                    f"the header is {other_name}-separated, not "
                    f"{_separator_words(spec.separators)}-separated (was the file re-saved by "
                    "a spreadsheet?)",
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


def _field_count(separator: str, quote_char: str | None, line: pl.Expr) -> pl.Expr:
    if quote_char is None:
        return line.str.count_matches(separator, literal=True) + 1
    q = re.escape(quote_char)
    unquoted = line.str.replace_all(rf"{q}(?:[^{q}]|{q}{q})*{q}", "")
    return unquoted.str.count_matches(separator, literal=True) + 1


def _scan(
    source: Path | bytes, separator: str, quote_char: str | None, **options: object
) -> pl.LazyFrame:
    """The data lines of the text (the header skipped), as polars reads them."""
    settings: dict[str, object] = {
        "has_header": False,
        "skip_rows": 1,
        "separator": separator,
        "quote_char": quote_char,
        "empty_string_is_null": False,
        "raise_if_empty": False,
        **({"glob": False} if isinstance(source, Path) else {}),  # a name may hold [ ] * ?
        **options,
    }
    return pl.scan_csv(source, **settings)  # type: ignore[arg-type]


def _lines(
    source: Path | bytes, separator: str, quote_char: str | None, n_header: int, header: str
) -> pl.DataFrame:
    """Per data line: ``line`` number, number of fields ``_n``, ``_blank``, ``_header`` (the
    line repeats the header) and, when some line has more fields than the header, ``_s``
    (the fields up to the last one that is not empty; else null)."""
    count = _field_count(separator, quote_char, pl.col("_l"))
    lines = _scan(source, "\x00", None, schema={"_l": pl.String})  # no NUL in text: one column
    columns = {
        "_n": count.cast(pl.Int64),
        "_blank": pl.col("_l").str.contains(r"^\s*$"),
        "_header": pl.col("_l").is_in([header, "\ufeff" + header]),
    }
    meta = lines.select(**columns).collect(engine="streaming")  # every core
    if meta.height and int(meta["_n"].max()) > n_header:  # type: ignore[arg-type]
        trailing = (
            pl.col("_l").str.len_bytes()
            - pl.col("_l").str.strip_chars_end(separator).str.len_bytes()
        )
        meta = lines.select(**columns, _s=(count - trailing).cast(pl.Int64)).collect(
            engine="streaming"
        )
    else:
        meta = meta.with_columns(_s=pl.lit(None, pl.Int64))
    return meta.with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64))


def _text(
    source: str | Path | Text, spec: TableSpec, encoding: str | None, marketplace: str | None
) -> Text:
    if isinstance(source, Text):
        return source
    try:
        return read_text(source, encoding=encoding, marketplace=marketplace)
    except UnreadableText as exc:  # worded for this kind of file
        raise format_error(spec, exc.file, exc.problem, line=exc.line) from None


def _is_empty(text: Text, header: str) -> bool:
    """Whether the text holds nothing but white space (lines counted on the text)."""
    if not text.lines or header.strip():
        return not text.lines
    return bool(_lines(text.csv_source, "\t", None, 1, "")["_blank"].all())


_REPEATED_HEADER: Final = "header line repeated mid-file (two exports pasted together?): skipped"


def read_table(
    source: str | Path | Text,
    spec: TableSpec,
    *,
    file: str | None = None,
    encoding: str | None = None,
    marketplace: str | None = None,
) -> RawTable:
    """Read a delimited text file as ``String`` columns, with physical line numbers.

    ``source`` is a file (read with :func:`~odr_analysis.readers.source.read_text`, given
    ``encoding`` and ``marketplace``) or its :class:`~odr_analysis.readers.source.Text`.

    Checks, each an error naming the file (:class:`ReportFormatError`): readable text (see
    :mod:`odr_analysis.readers.source`), not empty, one of the spec's separators, every required
    column present (once), and a last line that is not cut off in the middle (fewer fields than
    the header and no line end: the download was truncated). The lines counted on the text and
    the lines the CSV parser sees must agree.

    A data line whose number of fields differs from the header's is rejected with its line
    number, wherever it is, never read shifted. More fields than the header are fine only when
    empty fields were added at the end: the line's last value is where it is in most lines of
    the file (a separator inside a value moves that value and every later one a field to the
    right), and under a named column. A line equal to the header is excluded (two exports
    pasted together). Blank lines are skipped and counted: ``1 + rows_read + blank_lines`` is
    the file's number of lines. ``file`` is the name used in messages and rows (default: the
    file name).
    """
    text = _text(source, spec, encoding, marketplace)
    path = text.path
    file = path.name if file is None else file
    where = str(path)  # messages name the path; rows name the file
    data = text.csv_source  # the file itself when it is plain UTF-8: not held in memory
    header = text.first_line
    if _is_empty(text, header):
        raise format_error(spec, where, "is empty")
    separator, names = _header(header, spec)
    positions = _positions(names, spec, where)
    quote = spec.quote_char
    n_header = len(names)
    n_real = n_header
    while n_real > 1 and not names[n_real - 1]:
        n_real -= 1

    try:
        meta = _lines(data, separator, quote, n_header, header)
        if 1 + meta.height != text.lines:
            raise format_error(
                spec,
                where,
                f"holds {text.lines} lines but {1 + meta.height} were read; save it again as "
                "plain text",
            )  # pragma: no cover - a guard: the parser and the count agree on every input known
        native = (
            _scan(
                data,
                separator,
                quote,
                schema={f"_{i}": pl.String for i in range(n_header)},
                truncate_ragged_lines=True,
                missing_columns="insert",
                extra_columns="ignore",
            )
            .select(pl.col(f"_{i}").alias(column) for column, i in positions.items())
            .collect()
        )
    except pl.exceptions.PolarsError as exc:  # pragma: no cover - the text is checked first
        raise format_error(spec, where, f"cannot be read ({exc})") from None
    if native.height != meta.height:
        if quote:
            odd = (
                _scan(data, "\x00", None, schema={"_l": pl.String})
                .select(
                    line=pl.int_range(2, pl.len() + 2, dtype=pl.Int64),
                    odd=pl.col("_l").str.count_matches(quote, literal=True) % 2 == 1,
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

    if meta.height and not text.ends_with_newline:
        last = meta.row(meta.height - 1, named=True)
        if not last["_blank"] and last["_n"] < n_real:
            raise format_error(
                spec,
                where,
                f"the file ends in the middle of a row ({last['_n']} of {n_real} fields and "
                "no line end): the download looks cut off; download the file again",
                line=last["line"],
            )

    # More fields than the header: fine when only empty fields were added at the end, that is
    # when the line's last value is where it is in most lines (a separator inside a value would
    # move it, and every value after it, one field to the right).
    modes = meta.filter(~pl.col("_blank") & (pl.col("_n") >= n_real))["_s"].drop_nulls().mode()
    usual = modes.max() if modes.len() else n_real
    repeated = ~pl.col("_blank") & pl.col("_header")
    bad = (
        ~pl.col("_blank")
        & ~pl.col("_header")
        & (
            (pl.col("_n") < n_real)
            | (
                (pl.col("_n") > n_header)
                & ((pl.col("_s") != pl.lit(usual, pl.Int64)) | (pl.col("_s") > n_real))
            )
        )
    )
    sep_name = _SEPARATOR_NAMES.get(separator, repr(separator))
    order_id = native["order_id"] if "order_id" in positions else pl.lit(None, pl.String)
    rejects = rejects_frame(
        meta.with_columns(_id=order_id)
        .filter(bad | repeated)
        .select(
            file=pl.lit(file),
            line="line",
            order_id=pl.when(~pl.col("_header") & (pl.col("_id").str.strip_chars() != "")).then(
                pl.col("_id").str.strip_chars()
            ),
            column=pl.lit(None, pl.String),
            value=pl.when(~pl.col("_header")).then(pl.format("{} fields", "_n")),
            reason=pl.when(pl.col("_header"))
            .then(pl.lit(_REPEATED_HEADER))
            .otherwise(
                pl.format(
                    "the line has {} fields; the header has {} ({}-separated: a value holding "
                    "a {} or a missing value?)",
                    "_n",
                    pl.lit(n_real),
                    pl.lit(sep_name),
                    pl.lit(sep_name),
                )
            ),
            outcome=pl.when(pl.col("_header"))
            .then(pl.lit("excluded"))
            .otherwise(pl.lit("rejected")),
        )
    )
    blank = int(meta["_blank"].sum())
    # The native frame's own row index: attaching meta's column would re-chunk every column.
    rows = native.with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64))
    if blank or rejects.height:
        rows = rows.filter(meta.select(~pl.col("_blank") & ~bad & ~repeated).to_series())
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
        separator=separator,
        notes=_notes(text, spec, separator, rejects),
    )


def _notes(text: Text, spec: TableSpec, separator: str, rejects: pl.DataFrame) -> tuple[str, ...]:
    notes = list(text.notes)
    if separator != spec.separator:
        notes.append(f"{_SEPARATOR_NAMES.get(separator, repr(separator))}-separated")
    lines = rejects.filter(pl.col("reason") == _REPEATED_HEADER)["line"].to_list()
    if lines:
        shown = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
        notes.append(f"header line repeated mid-file at line {shown} (skipped)")
    return tuple(notes)


_EMAIL: Final = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_BIDI_CONTROLS: Final = "[\u202a-\u202e\u2066-\u2069]"
_SHOWN: Final = ("order_id", "value", "reason")  # the text of a reject that people read


def rejects_frame(frame: pl.DataFrame | None = None) -> pl.DataFrame:
    """``frame`` with exactly the :data:`REJECTS_SCHEMA` columns and dtypes (empty if ``None``).

    E-mail addresses in ``order_id``, ``value`` and ``reason`` become ``[email removed]`` and
    Unicode's bidirectional controls (U+202A-U+202E, U+2066-U+2069) are removed: a row shifted
    by a stray separator can put a rater's e-mail where a value is shown.

    >>> row = {"file": "f", "line": 2, "order_id": None, "column": "Status",
    ...        "value": "bob@example.com\u202e!", "reason": "unknown Status", "outcome": "rejected"}
    >>> rejects_frame(pl.DataFrame([row]))["value"].to_list()
    ['[email removed]!']
    """
    if frame is None:
        return pl.DataFrame(schema=REJECTS_SCHEMA)
    return frame.select(pl.col(c).cast(t) for c, t in REJECTS_SCHEMA.items()).with_columns(
        pl.col(c).str.replace_all(_EMAIL, "[email removed]").str.replace_all(_BIDI_CONTROLS, "")
        for c in _SHOWN
    )


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
