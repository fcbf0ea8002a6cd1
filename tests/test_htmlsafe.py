"""Input text made safe for a page, a script block or a spreadsheet (odr_analysis.htmlsafe).

The reports (odr_analysis.report) show every input text through these helpers.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.htmlsafe import (
    BIDI_CONTROLS,
    FORMULA_PREFIXES,
    Column,
    csv_text,
    escape,
    neutralize_csv,
    script_json,
    table,
)


@given(st.text())
def test_escape_leaves_no_markup(text: str) -> None:
    escaped = escape(text)
    assert not set("<>\"'") & set(escaped)
    assert (
        escaped.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        == text
    )


@given(st.recursive(st.text() | st.integers() | st.booleans(), lambda c: st.lists(c, max_size=3)))
def test_script_json_round_trips_and_cannot_close_a_script(value: object) -> None:
    text = script_json({"v": value})
    assert json.loads(text) == {"v": value}
    assert "<" not in text and ">" not in text and "&" not in text


@given(st.lists(st.text(max_size=12) | st.none(), min_size=1, max_size=8))
def test_neutralize_csv_prefixes_exactly_the_formula_cells(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"text": cells}, schema={"text": pl.String})
    out = neutralize_csv(frame)["text"].to_list()
    for before, after in zip(cells, out, strict=True):
        if before is not None and before.startswith(FORMULA_PREFIXES):
            assert after == "'" + before
        else:
            assert after == before
    assert frame["text"].to_list() == cells, "the input frame is not modified"


def test_csv_text_keeps_numbers_and_joins_lists() -> None:
    frame = pl.DataFrame(
        {"n": [-3], "kinds": [["negative feedback", "chargeback"]], "c": ["+1 call me"]}
    )
    assert csv_text(frame) == "n,kinds,c\n-3,negative feedback; chargeback,'+1 call me\n"


def test_table_escapes_cells_headings_and_classes() -> None:
    html = table(
        [{"a": "<i>x</i>", "d": dt.date(2026, 2, 9), "n": 1234}],
        [Column("a", "A & B"), Column("d", "Day", nowrap=True), Column("n", "N", numeric=True)],
        row_class=lambda row: '"><script>',
    )
    assert "<th>A &amp; B</th>" in html
    assert '<td>&lt;i&gt;x&lt;/i&gt;</td><td class="nowrap">9 Feb 2026</td>' in html
    assert '<td class="num">1,234</td>' in html
    assert '<tr class="&quot;&gt;&lt;script&gt;">' in html


def test_bidirectional_controls_never_leave_in_html_json_or_csv() -> None:
    # U+202E (right-to-left override) would show the rest of a buyer comment reversed
    comment = "great \u202eSETON DEROVIRT\u202c seller \u2066x\u2069"
    assert escape(comment) == "great SETON DEROVIRT seller x"
    assert "\u202e" not in script_json({"comment": comment})
    csv = csv_text(pl.DataFrame({"comment": [comment, "\u202e=1+1"]}))
    assert not any(char in csv for char in BIDI_CONTROLS)
    assert "'=1+1" in csv  # the formula guard still applies once the control is gone
