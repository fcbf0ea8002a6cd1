"""The what-if panel in a real browser: JupyterLab and Voila, driven by Playwright + chromium.

Each test serves a throw-away copy of ``notebooks/`` and ``data/sample/`` on a free local port,
opens ``02-what-if-simulator.ipynb``, waits for the panel, moves the extra-orders slider with
the keyboard (End: to its maximum) and checks that the headline and the chart change.
Screenshots go to the test's folder and to ``tests/output/`` (not committed).

Without ``/usr/bin/chromium`` these tests skip and say how to install it; with ``CI=true`` they
fail instead (``make test`` installs chromium when it runs as root).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import browser_util
import pytest
from browser_util import (
    CHART_SIGNATURE_JS,
    X_TICKS_JS,
    axis_labels,
    block_outside_requests,
    browser_page,
    check_jupyterlab_page,
    jupyterlab,
    require_browser,
    run_all_cells,
    screenshot,
    tick_labels,
    voila,
    wheel_zoom,
)

NOTEBOOK = "02-what-if-simulator.ipynb"
HEADLINE = ".odr-whatif-headline"
CHART = ".odr-whatif-chart"
POINTS = "odr_panel_points"  # the chart's layer of (invisible) hover points, projected days
REPORTED_POINTS = f"g.mark-symbol.role-mark:not([class*='{POINTS}'])"  # reported days
TIMEOUT_MS = 180_000  # a busy 2-core CI box: starting a kernel and running the notebook


def chart_signature(page: Any) -> str:
    """What the chart draws (its lines, band and title), as the page shows it."""
    return str(page.evaluate(CHART_SIGNATURE_JS, CHART))


def wait_for_live_chart(page: Any) -> None:
    """The panel's live chart (altair JupyterChart, vega-embed's SVG renderer) is drawn."""
    page.locator(f"{CHART} .vega-embed svg .mark-line path").first.wait_for()


def move_extra_orders_slider(page: Any) -> tuple[str, str]:
    """Press End on the extra-orders slider; wait until the headline and the chart change."""
    headline = page.locator(HEADLINE).first
    before_text, before_chart = headline.inner_text(), chart_signature(page)
    assert before_text.startswith("2.55% today, under 1% on "), before_text
    assert "summit-outdoor Amazon.com MFN: projected ODR" in before_chart, before_chart[-200:]
    slider = page.locator(".widget-slider").filter(has_text="Extra clean orders a day").first
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    handle.press("End")
    page.wait_for_function(
        "([selector, old]) => document.querySelector(selector).innerText !== old",
        arg=[HEADLINE, before_text],
        timeout=TIMEOUT_MS,
    )
    page.wait_for_function(
        f"([selector, old]) => ({CHART_SIGNATURE_JS})(selector) !== old",
        arg=[CHART, before_chart],
        timeout=TIMEOUT_MS,
    )
    after_text = headline.inner_text()
    assert after_text.startswith("2.55% today, under 1% on "), after_text
    assert slider.locator(".widget-readout").inner_text().strip() != "0"
    assert page.locator(f"{CHART} .vega-embed").count() == 1, "updated in place, not redrawn"
    return before_text, after_text


def tooltip_of(page: Any, point: Any) -> str:
    """Hover ``point`` (after moving the pointer away: no tooltip); return the tooltip's text."""
    tooltip = page.locator("#vg-tooltip-element.visible")
    page.mouse.move(0, 0)
    tooltip.wait_for(state="hidden")
    point.hover(force=True)
    tooltip.wait_for()
    return str(tooltip.inner_text())


def hover_last_day(page: Any) -> str:
    """Hover the chart's last projected day (drawn on top of its neighbours: the pointer
    reaches it); return the tooltip's text."""
    return tooltip_of(page, page.locator(f"{CHART} g.mark-symbol[class*='{POINTS}'] path").last)


def hover_first_reported_day(page: Any) -> str:
    """Hover near the chart's first reported day; return the tooltip's text (the points
    overlap: the next day's point, drawn on top, may answer)."""
    return tooltip_of(page, page.locator(f"{CHART} {REPORTED_POINTS} path").first)


def check_reported_tooltip(text: str) -> None:
    """A reported day: its date, exact counts and rate, and no empty (null) field."""
    from odr_analysis.panel import CHART_DATA

    panel, state = expected_panel()
    shown = re.search(r"Report date\s+(\d{2} [A-Z][a-z]{2} \d{4})", text)
    assert shown, text
    day = dt.datetime.strptime(shown.group(1), "%d %b %Y").date()
    (row,) = (
        r
        for r in panel.live_chart_for(state).datasets[CHART_DATA]
        if r["series"] == "Reported" and r["as_of"][:10] == day.isoformat()
    )
    assert "Reported" in text, text
    assert re.search(rf"Defective orders\s+{row['defective']:,.0f}\n", text + "\n"), text
    assert re.search(rf"ODR\s+{row['rate']:.2%}", text), text
    assert re.search(rf"Orders in the window\s+{row['orders']:,.0f}", text), text
    assert "null" not in text and "Likely from" not in text, text


def check_tooltip(text: str) -> None:
    state = expected_state()
    last = state.daily.row(-1, named=True)
    assert "Report date" in text and f"{last['as_of']:%d %b %Y}" in text, text
    assert f"{last['expected_rate']:.2%}" in text, text
    assert "Likely from" in text and "Orders in the window" in text, text


def expected_panel() -> tuple[Any, Any]:
    """The panel on the sample and its first state, computed here (no chart drawn)."""
    from odr_analysis.notebook import load
    from odr_analysis.panel import WhatIfPanel

    panel = WhatIfPanel(load(browser_util.ROOT / "data" / "sample", quiet=True), chart=False)
    assert panel.last_state is not None
    return panel, panel.last_state


def expected_state() -> Any:
    """The panel's numbers on the sample, computed here (no chart)."""
    return expected_panel()[1]


def zoom_panel_chart(page: Any) -> list[str]:
    """Turn the wheel over the panel's chart: both views' time axes zoom alike, rates stay.

    Returns the X axes' descriptions (the rate chart's, then the chance chart's).
    """
    chart = page.locator(f"{CHART} .vega-embed").first
    before, y_before = tick_labels(chart), axis_labels(chart, "Y")
    assert len(before) == 2 and before[0] == before[1], before
    after = wheel_zoom(page, chart, chart.locator(".mark-line path").first)
    assert after[0] != before[0] and after[0] == after[1], (before, after)
    assert axis_labels(chart, "Y") == y_before
    return after


def check_new_view_shows_the_latest(page: Any, folder: Path, zoomed: list[str]) -> None:
    """JupyterLab's "Create New View for Cell Output" on the moved panel: the new view's chart
    shows the moved rows and title (not the first ones), like its headline.

    A double click first resets the zoom of the panel's chart (the new view is not zoomed).
    """
    chart = page.locator(f"{CHART} .vega-embed").first
    chart.locator(".mark-line path").first.dblclick(force=True)
    page.wait_for_function(
        f"([el, old]) => JSON.stringify(({X_TICKS_JS})(el)) !== old",
        arg=[chart.element_handle(), json.dumps(zoomed, separators=(",", ":"))],
    )
    moved = chart_signature(page)
    page.locator(CHART).first.click(button="right")
    page.get_by_role("menuitem", name="Create New View for Cell Output").click()
    view = ".jp-LinkedOutputView " + CHART
    page.locator(f"{view} .vega-embed svg .mark-line path").first.wait_for()
    page.wait_for_function(
        f"([selector, moved]) => ({CHART_SIGNATURE_JS})(selector) === moved",
        arg=[view, moved],
        timeout=30_000,
    )
    headlines = page.locator(HEADLINE).all_inner_texts()
    assert len(headlines) == 2 and headlines[0] == headlines[1], headlines
    screenshot(page, folder, "jupyterlab-panel-new-view.png")


def show_panel(page: Any) -> None:
    page.locator(".odr-whatif-panel").first.evaluate("e => e.scrollIntoView({block: 'start'})")


def test_panel_in_jupyterlab(project_copy: Path, tmp_path: Path) -> None:
    with jupyterlab(project_copy, tmp_path) as url, browser_page() as page:
        page.set_default_timeout(TIMEOUT_MS)
        outside = block_outside_requests(page)
        run_all_cells(page, url, NOTEBOOK)
        wait_for_live_chart(page)
        show_panel(page)
        check_tooltip(hover_last_day(page))
        screenshot(page, tmp_path, "jupyterlab-panel.png")
        check_reported_tooltip(hover_first_reported_day(page))
        zoomed = zoom_panel_chart(page)
        before, after = move_extra_orders_slider(page)
        assert tick_labels(page.locator(CHART)) == zoomed, "a slider move keeps the zoom"
        show_panel(page)
        screenshot(page, tmp_path, "jupyterlab-panel-after-slider.png")
        assert after != before
        check_new_view_shows_the_latest(page, tmp_path, zoomed)
        check_jupyterlab_page(page, outside)


def test_panel_in_voila(project_copy: Path, tmp_path: Path) -> None:
    with voila(project_copy, NOTEBOOK, tmp_path) as url, browser_page() as page:
        page.set_default_timeout(TIMEOUT_MS)
        outside = block_outside_requests(page)
        page.goto(f"{url}/", wait_until="domcontentloaded")
        wait_for_live_chart(page)
        show_panel(page)
        check_tooltip(hover_last_day(page))
        screenshot(page, tmp_path, "voila-panel.png")
        check_reported_tooltip(hover_first_reported_day(page))
        zoomed = zoom_panel_chart(page)
        assert page.locator(".jp-InputArea").filter(has_text="WhatIfPanel").count() == 0, (
            "Voila shows no code"
        )
        before, after = move_extra_orders_slider(page)
        assert tick_labels(page.locator(CHART)) == zoomed, "a slider move keeps the zoom"
        show_panel(page)
        screenshot(page, tmp_path, "voila-panel-after-slider.png")
        assert after != before
        assert page.errors == [], page.errors
        assert outside == [], f"{len(outside)} requests left the machine: {outside}"


def test_a_missing_browser_skips_with_how_to_install_it_but_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser_util, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"sudo apt-get install chromium"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI=true, so the browser tests must run"):
        require_browser()
