"""Text from the input, made safe for an HTML page, a JSON script block or a spreadsheet.

Reports show text that comes from files a seller downloaded: buyer comments, file names, SKUs,
product names. None of it is trusted:

* :func:`escape` / :func:`table`: every piece of input text goes into a page escaped, so a
  feedback comment holding ``<script>`` shows as text and never runs;
* :func:`script_json`: JSON (a chart's spec) that is safe inside a ``<script>`` element, even
  when a string in it holds ``</script>``;
* :func:`neutralize_csv` / :func:`csv_text`: a CSV export whose text cells a spreadsheet would
  run as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, tab, carriage return) start with a
  ``'`` instead (the OWASP rule), so they open as text.

Everywhere, Unicode's bidirectional embedding, override and isolate controls (U+202A-U+202E,
U+2066-U+2069) are removed from input text: a buyer comment holding U+202E would otherwise show
its text reversed, and the text around it, to whoever reads the page or the spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import polars as pl

__all__ = [
    "BIDI_CONTROLS",
    "FORMULA_PREFIXES",
    "Column",
    "csv_text",
    "escape",
    "neutralize_csv",
    "script_json",
    "strip_bidi",
    "table",
]

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

_FORMULA_START: Final = r"^[=+\-@\t\r]"
BIDI_CONTROLS: Final = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""The bidirectional controls removed from input text (embeddings, overrides, isolates)."""
_BIDI: Final = str.maketrans("", "", BIDI_CONTROLS)
_BIDI_PATTERN: Final = f"[{BIDI_CONTROLS}]"


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional embedding, override and isolate controls.

    >>> strip_bidi("abc\u202edef")
    'abcdef'
    """
    return text.translate(_BIDI)


def escape(value: object) -> str:
    """Any value as HTML text: ``&``, ``<``, ``>``, ``"`` and ``'`` escaped; ``None`` -> ``""``.

    >>> escape('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    >>> escape(None), escape(3)
    ('', '3')
    """
    if value is None:
        return ""
    return html.escape(strip_bidi(str(value)), quote=True)


def script_json(value: Any) -> str:
    """``value`` as compact JSON that can sit inside ``<script type="application/json">``.

    Keys are sorted (the same value always gives the same text); ``<``, ``>``, ``&`` and the
    line separators U+2028/U+2029 are written as ``\\u`` escapes, so no string in it can close
    the script element or start a comment. ``JSON.parse`` gives back the same value.

    >>> script_json({"b": "</script><b>", "a": 1})
    '{"a":1,"b":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = strip_bidi(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    for char, code in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def neutralize_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula prefixed by ``'``.

    Only ``String`` columns change (numbers stay numbers: ``-3`` in an integer column is a
    number, not a formula). A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'``, and bidirectional controls are removed
    (:func:`strip_bidi`); the input frame is not modified.

    >>> frame = pl.DataFrame({"comment": ['=HYPERLINK("http://x")', "fine", "-1+2", None],
    ...                       "n": [-1, 2, 3, 4]})
    >>> neutralize_csv(frame).rows()
    [('\\'=HYPERLINK("http://x")', -1), ('fine', 2), ("'-1+2", 3), (None, 4)]
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    clean = frame.with_columns(pl.col(text).str.replace_all(_BIDI_PATTERN, ""))
    return clean.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def csv_text(frame: pl.DataFrame) -> str:
    """The frame as CSV text (header, comma-separated, dates as ``YYYY-MM-DD``), neutralised.

    List columns are joined with ``"; "``; see :func:`neutralize_csv`.

    >>> print(csv_text(pl.DataFrame({"a": ["@SUM(A1)"], "kinds": [["x", "y"]]})), end="")
    a,kinds
    '@SUM(A1),x; y
    """
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    flat = frame.with_columns(pl.col(name).list.join("; ") for name in lists)
    return neutralize_csv(flat).write_csv()


class Column:
    """One column of :func:`table`: the frame's column ``name``, its heading and formatting.

    ``format`` turns a cell's value into text (default: ``str``, ``None`` -> ``""``, dates as
    ``9 Feb 2026``, integers with thousands separators); its result is escaped. ``numeric``
    right-aligns the column, ``nowrap`` keeps its cells on one line.
    """

    def __init__(
        self,
        name: str,
        heading: str,
        format: Callable[[Any], str] | None = None,
        *,
        numeric: bool = False,
        nowrap: bool = False,
    ) -> None:
        self.name = name
        self.heading = heading
        self.format = format
        self.numeric = numeric
        self.nowrap = nowrap

    @property
    def css(self) -> str:
        """The cell's class attribute (``num`` right-aligns, ``nowrap`` keeps one line)."""
        classes = [c for c, on in (("num", self.numeric), ("nowrap", self.nowrap)) if on]
        return f' class="{" ".join(classes)}"' if classes else ""

    def text(self, value: Any) -> str:
        if self.format is not None:
            return self.format(value)
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return f"{value.day} {value:%b %Y}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return str(value)


def table(
    rows: Iterable[Mapping[str, Any]] | pl.DataFrame,
    columns: Sequence[Column],
    *,
    caption: str | None = None,
    css_class: str = "data",
    row_class: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> str:
    """An HTML table of ``rows`` (dicts or a frame), every cell and heading escaped.

    ``row_class`` may give a CSS class per row (a fixed vocabulary of ours, also escaped).

    >>> html = table([{"c": "<b>"}], [Column("c", "Comment")])
    >>> html[html.index("<tbody>") :]
    '<tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    records = rows.iter_rows(named=True) if isinstance(rows, pl.DataFrame) else rows
    right = ' class="num"'
    head = "".join(f"<th{right if c.numeric else ''}>{escape(c.heading)}</th>" for c in columns)
    body = []
    for row in records:
        cells = "".join(f"<td{c.css}>{escape(c.text(row.get(c.name)))}</td>" for c in columns)
        extra = row_class(row) if row_class is not None else None
        opening = f'<tr class="{escape(extra)}">' if extra else "<tr>"
        body.append(f"{opening}{cells}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="{escape(css_class)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
