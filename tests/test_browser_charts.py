"""The notebooks' live charts in a real browser: JupyterLab and Voila, Playwright + chromium.

Each test serves a throw-away copy of ``notebooks/`` and ``data/sample/`` on a free local port,
runs ``01-explore-trends.ipynb`` (``notebook.setup()`` picks altair's ``JupyterChart``, offline,
because a Jupyter server started the kernel), and on the ODR history chart:

* hovers a day: the tooltip shows the report date, the window, the counts and the rate;
* turns the mouse wheel over it: the time axis zooms (its labels and range change), the rate
  axis does not;
* and checks that the page asked nothing of the outside world: every request to a host other
  than 127.0.0.1 / localhost is aborted and listed, and the list must stay empty.

Screenshots go to the test's folder and to ``tests/output/`` (not committed). Without
``/usr/bin/chromium`` these tests skip and say how to install it; with ``CI=true`` they fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from browser_util import (
    KERNEL_IDLE_JS,
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

NOTEBOOK = "01-explore-trends.ipynb"
TIMEOUT_MS = 180_000  # a busy 2-core CI box: starting a kernel and running the notebook
DAY = r"\d{2} [A-Z][a-z]{2} \d{4}"  # 23 Feb 2026 (words.CHART_DATE)
LONG_DAY = r"\d{2} [A-Z][a-z]+ \d{4}"  # 23 February 2026 (Vega's description of an axis)
TOOLTIP = "#vg-tooltip-element.visible"


def check_history_chart(page: Any, chart: Any, folder: Path, prefix: str) -> None:
    """Hover a day of the ODR history chart, then zoom its time axis with the mouse wheel."""
    chart.scroll_into_view_if_needed()
    title = chart.locator("svg.marks g.role-title").first.text_content() or ""
    assert title.startswith("Order Defect Rate by report date"), title

    # The hover points: the symbol layer with a point per channel and report date.
    layers = chart.locator("g.mark-symbol")
    points = max((layers.nth(i).locator("path") for i in range(layers.count())), key=len_of)
    count = points.count()
    assert count > 300, f"expected a point per report date, found {count}"
    for index in (count // 3, count // 2, 2 * count // 3, count // 4):
        points.nth(index).scroll_into_view_if_needed()
        box = points.nth(index).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.locator(TOOLTIP).wait_for(timeout=5_000)
            break
        except Exception:  # another layer (the target's rule) over this point: the next one
            continue
    tooltip = page.locator(TOOLTIP).inner_text()
    screenshot(page, folder, f"{prefix}-tooltip.png")
    for words in ("Report date", "Window from (order date)", "Window to (order date)"):
        assert re.search(rf"{re.escape(words)}\s+{DAY}", tooltip), tooltip
    assert re.search(r"Orders in window\s+[\d,]+", tooltip), tooltip
    assert re.search(r"Defective orders\s+[\d,]+", tooltip), tooltip
    assert re.search(r"ODR\s+\d+\.\d\d%", tooltip), tooltip

    # Zoom in on the time axis: the x axis's range changes, the rate axis stays.
    ((x_range,), y_before) = axis_labels(chart, "X"), axis_labels(chart, "Y")
    assert re.search(rf"values from {LONG_DAY} to {LONG_DAY}", x_range), x_range
    (ticks_before,) = tick_labels(chart)
    (ticks_after,) = wheel_zoom(page, chart, chart.locator("g.mark-line path").first)
    screenshot(page, folder, f"{prefix}-zoomed.png")
    assert ticks_after != ticks_before
    assert axis_labels(chart, "Y") == y_before


def len_of(locator: Any) -> int:
    return int(locator.count())


def history_chart(page: Any) -> Any:
    """The JupyterChart of the cell that draws ``charts.odr_over_time``."""
    cell = page.locator(".jp-Cell").filter(has_text="charts.odr_over_time(").first
    chart = cell.locator(".vega-embed").first
    chart.locator("svg g.mark-symbol path").first.wait_for(state="attached")
    return chart


def test_history_chart_in_jupyterlab(project_copy: Path, tmp_path: Path) -> None:
    with jupyterlab(project_copy, tmp_path) as url, browser_page() as page:
        outside = block_outside_requests(page)
        page.set_default_timeout(TIMEOUT_MS)
        run_all_cells(page, url, NOTEBOOK)
        # Until the notebook has run to its end (JupyterLab scrolls to the running cell).
        page.locator(".jp-Cell").filter(has_text="charts.reconcile_history_chart(").locator(
            ".vega-embed svg.marks"
        ).first.wait_for(state="attached")
        page.wait_for_function(KERNEL_IDLE_JS)
        check_history_chart(page, history_chart(page), tmp_path, "jupyterlab-history")
        assert page.locator(".jp-RenderedSVG").count() == 0, "no static chart in JupyterLab"
        check_jupyterlab_page(page, outside)


def test_history_chart_in_voila(project_copy: Path, tmp_path: Path) -> None:
    with voila(project_copy, NOTEBOOK, tmp_path) as url, browser_page() as page:
        outside = block_outside_requests(page)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/", wait_until="domcontentloaded")
        chart = page.locator(".vega-embed").filter(has_text="Order Defect Rate by report date")
        chart.first.locator("g.mark-symbol path").first.wait_for(state="attached")
        check_history_chart(page, chart.first, tmp_path, "voila-history")
        code = page.locator(".jp-InputArea").filter(has_text="charts.odr_over_time(")
        assert code.count() == 0, "Voila shows no code"
        assert outside == [], f"requests that would leave the machine: {outside}"
        assert page.errors == [], page.errors


def test_health_panels_zoom_together(tmp_path: Path) -> None:
    """``health_history_chart(zoom=True)`` in vega-embed (vl-convert's offline page): the wheel
    over one panel zooms the snapshot dates of every panel, dragging pans them all."""
    require_browser()
    import vl_convert as vlc
    from builders import weekly_snapshots

    from odr_analysis import charts
    from odr_analysis.history import health_history
    from odr_analysis.readers import load_account

    history = health_history(load_account(weekly_snapshots(tmp_path / "summit-outdoor")))
    spec = charts.health_history_chart(history, zoom=True).to_dict()
    page_file = tmp_path / "health.html"
    page_file.write_text(vlc.vegalite_to_html(spec, bundle=True, renderer="svg"))
    with browser_page() as page:
        outside = block_outside_requests(page)
        page.goto(page_file.as_uri())
        chart = page.locator(".vega-embed").first
        chart.locator("g.mark-symbol path").first.wait_for(state="attached")
        before = tick_labels(chart)
        assert len(before) == 7, before
        panels = chart.locator("g.role-scope")
        after = wheel_zoom(page, chart, panels.nth(3))
        assert all(a != b for a, b in zip(after, before, strict=True)), (before, after)
        assert len(set(after)) == 1, "every panel shows the same dates"
        box = panels.nth(0).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        page.wait_for_function(
            f"([el, old]) => JSON.stringify(({X_TICKS_JS})(el)) !== old",
            arg=[chart.element_handle(), json.dumps(after, separators=(",", ":"))],
            timeout=10_000,
        )
        panned = tick_labels(chart)
        assert panned != after and len(set(panned)) == 1, (after, panned)
        screenshot(page, tmp_path, "health-panels-zoomed.png")
        assert outside == [] and page.errors == [], (outside, page.errors)
