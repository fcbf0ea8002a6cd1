"""The reports in a real browser: headless Chromium with every non-file request blocked.

The pages come from the session's run of ``odr-report`` on ``data/sample`` (shared with the
other report tests). Checks: every chart of the page (odr_analysis.report.page) draws (an SVG
with marks) with no console error and no request to any address; the "try it" sliders
(odr_analysis.report.try_it) recompute the chart in the page, with the formula the page states;
a buyer comment holding a script tag is text; the summary's links work. Screenshots go to the
test's folder and ``tests/output/``. Printing to PDF: ``test_pdf.py``.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_util import OUTPUT_DIR, browser_page, require_browser, screenshot

from .runs import ACCOUNTS, Run

RENDERED = (
    "() => [...document.querySelectorAll('div.vega-chart')].every("
    "el => el.dataset.rendered === 'true')"
)


@pytest.fixture(scope="module")
def reports(sample: Run) -> Path:
    return sample.out


@contextmanager
def offline_page() -> Iterator[Any]:
    """A page that may load ``file:`` and ``data:`` URLs only; records what else it tried."""
    require_browser()
    with browser_page(width=1200, height=900) as page:
        page.blocked = []
        page.console_errors = []
        page.dialogs = []

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                page.blocked.append(r.request.url)
                r.abort()

        def dialog(d: Any) -> None:
            page.dialogs.append(d.message)
            d.dismiss()

        page.route("**/*", route)
        page.on(
            "console",
            lambda m: page.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("dialog", dialog)
        yield page


def element_shot(element: Any, folder: Path, name: str) -> Path:
    """A screenshot of one element, saved in ``folder`` and copied to ``tests/output/``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    element.screenshot(path=str(path))
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, OUTPUT_DIR / name)
    return path


def open_report(page: Any, path: Path) -> None:
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function(RENDERED, timeout=60_000)


def assert_clean(page: Any) -> None:
    assert page.blocked == [], f"the page asked for outside addresses: {page.blocked}"
    assert page.console_errors == [], page.console_errors
    assert page.errors == [], page.errors
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_chart_renders_offline(reports: Path, account: str, tmp_path: Path) -> None:
    with offline_page() as page:
        open_report(page, reports / f"{account}.html")
        counts = page.evaluate(
            """() => [...document.querySelectorAll('div.vega-chart')].map(el => {
                const svg = el.querySelector('svg');
                return svg ? svg.querySelectorAll('path, line, text, rect').length : 0;
            })"""
        )
        assert len(counts) >= 8, counts
        assert all(n > 20 for n in counts), f"a chart drew (almost) nothing: {counts}"
        assert page.locator(".vega-embed svg").count() == len(counts)
        headings = page.locator("h2").all_inner_texts()
        assert headings[:2] == ["The headline", "What drives it"]
        assert page.locator("pre, code").count() == 0, "no code on the page"
        screenshot(page, tmp_path, f"report-{account}.png")
        assert_clean(page)


def test_buyer_comment_with_a_script_tag_is_shown_as_text(reports: Path) -> None:
    with offline_page() as page:
        open_report(page, reports / "evergreen-home.html")
        cell = page.get_by_role("cell", name="<script>alert(1)</script>", exact=True)
        assert cell.count() == 1
        assert cell.is_visible()
        scripts = page.evaluate(
            "() => [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length"
        )
        assert scripts == 0
        assert_clean(page)


def _what_if(page: Any, channel_words: str) -> tuple[str, list[dict[str, Any]]]:
    """The chart id of the "try it" chart of a channel and the rows its line is drawn from."""
    chart = page.evaluate(
        """(words) => Object.keys(window.odrViews).find(id => {
            const el = document.getElementById(id);
            return el.querySelector('input[name="orders_a_day"]') && el.textContent.includes(words);
        })""",
        channel_words,
    )
    assert chart, f"no 'try it' chart for {channel_words}"
    rows = page.evaluate(
        """async (id) => {
            const view = window.odrViews[id];
            await view.runAsync();
            for (const name of Object.keys(view._runtime.data)) {
                const rows = view.data(name);
                if (rows.length && 'rate' in rows[0] && 'new_orders' in rows[0]) {
                    return rows.map(r => ({day: r.day, rate: r.rate, n: r.order_count,
                        k: r.defective_orders, days: r.new_days, new_orders: r.new_orders}));
                }
            }
            return [];
        }""",
        chart,
    )
    assert rows, "the line's data was not found"
    return chart, rows


def _check_formula(rows: list[dict[str, Any]], orders_a_day: float, percent: float) -> None:
    """The page's formula: (K + x * days * p) / (N + x * days)."""
    for row in rows:
        new = orders_a_day * row["days"]
        assert row["new_orders"] == pytest.approx(new)
        expected = (row["k"] + new * percent / 100) / (row["n"] + new) if row["n"] + new else None
        if expected is None:
            assert row["rate"] is None
        else:
            assert row["rate"] == pytest.approx(expected, rel=1e-12), row


def _set_slider(page: Any, chart: str, name: str, value: float) -> None:
    page.evaluate(
        """([id, name, value]) => {
            const input = document.querySelector(`#${id} input[name="${name}"]`);
            input.value = String(value);
            input.dispatchEvent(new Event('input', {bubbles: true}));
        }""",
        [chart, name, value],
    )
    page.wait_for_function(
        "([id, name, value]) => window.odrViews[id].signal(name) === value",
        arg=[chart, name, value],
    )


def test_sliders_recompute_the_chart_in_the_page(reports: Path, tmp_path: Path) -> None:
    with offline_page() as page:
        open_report(page, reports / "summit-outdoor.html")
        chart, rows = _what_if(page, "Seller-fulfilled orders (MFN)")
        at_start = rows
        start_orders = page.evaluate(f"window.odrViews['{chart}'].signal('orders_a_day')")
        start_rate = page.evaluate(f"window.odrViews['{chart}'].signal('defect_rate')")
        spec = page.evaluate(f"JSON.parse(document.getElementById('{chart}-spec').textContent)")
        params = {p["name"]: p["value"] for p in spec["params"]}
        assert (start_orders, start_rate) == (params["orders_a_day"], params["defect_rate"])
        assert start_orders > 0 and start_rate > 0  # the usual orders a day, the settled rate
        _check_formula(rows, start_orders, start_rate)
        today = rows[0]
        assert (today["day"], today["n"], today["k"], today["days"]) == (0, 746, 19, 0)
        line = page.locator(f"#{chart} g.mark-line.role-mark path").first
        label = page.locator(f"#{chart} g.mark-text.role-mark text").first
        before_path, before_label = line.get_attribute("d"), label.text_content()
        figure = page.locator(f"#{chart}")
        element_shot(figure, tmp_path, "report-slider-before.png")
        assert before_label and before_label.startswith("Under 1% from ")

        _set_slider(page, chart, "orders_a_day", 30)
        _, rows = _what_if(page, "Seller-fulfilled orders (MFN)")
        _check_formula(rows, 30, start_rate)
        page.wait_for_function(
            "([sel, d]) => document.querySelector(sel).getAttribute('d') !== d",
            arg=[f"#{chart} g.mark-line.role-mark path", before_path],
        )
        _set_slider(page, chart, "defect_rate", 3)
        _, rows = _what_if(page, "Seller-fulfilled orders (MFN)")
        _check_formula(rows, 30, 3)
        last = rows[-1]
        assert last["rate"] > 0.02  # 30 new orders a day, 3% of them defective
        element_shot(figure, tmp_path, "report-slider-after.png")
        assert not math.isclose(last["rate"], at_start[-1]["rate"])
        assert line.get_attribute("d") != before_path
        after_label = label.text_content() or ""
        assert after_label.startswith("Under 1% from ")
        assert ", at or over it again from " in after_label  # 3% of new orders: back over 1%
        assert_clean(page)


def test_summary_links_to_every_report(reports: Path, tmp_path: Path) -> None:
    with offline_page() as page:
        page.goto((reports / "index.html").resolve().as_uri(), wait_until="load")
        table_links = page.locator("#portfolio a")
        assert table_links.count() == 6  # one per account and channel
        assert page.locator("#portfolio td", has_text="Over the target").count() == 2
        screenshot(page, tmp_path, "report-summary.png")
        page.locator("#portfolio a", has_text="summit-outdoor").first.click()
        page.wait_for_url("**/summit-outdoor.html")
        page.wait_for_function(RENDERED, timeout=60_000)
        page.get_by_role("link", name="\u2190 Portfolio summary").click()
        page.wait_for_url("**/index.html")
        assert_clean(page)
