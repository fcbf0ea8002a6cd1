"""The what-if panel in a real browser: JupyterLab and Voila, driven by Playwright + chromium.

Each test serves a throw-away copy of ``notebooks/`` and ``data/sample/`` on a free local port,
opens ``02-what-if-simulator.ipynb``, waits for the panel, moves the extra-orders slider with
the keyboard (End: to its maximum) and checks that the headline and the chart change.
Screenshots go to the test's folder and to ``tests/output/`` (not committed).

Without ``/usr/bin/chromium`` these tests skip and say how to install it; with ``CI=true`` they
fail instead (``make test`` installs chromium when it runs as root).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import browser_util
import pytest
from browser_util import (
    CHART_SIGNATURE_JS,
    block_outside_requests,
    browser_page,
    copy_project_files,
    free_port,
    jupyter_env,
    offline_voila_template,
    require_browser,
    screenshot,
    serve,
)

NOTEBOOK = "02-what-if-simulator.ipynb"
HEADLINE = ".odr-whatif-headline"
CHART = ".odr-whatif-chart"
POINTS = "odr_panel_points"  # the name of the chart's layer of (invisible) hover points
TIMEOUT_MS = 180_000  # a busy 2-core CI box: starting a kernel and running the notebook


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    require_browser()
    return copy_project_files(tmp_path / "work")


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


def hover_last_day(page: Any) -> str:
    """Hover the chart's last projected day; return the tooltip's text."""
    points = page.locator(f"{CHART} g.mark-symbol[class*='{POINTS}'] path")
    # the last point is drawn on top of its neighbours: the pointer reaches it
    points.last.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for()
    return str(tooltip.inner_text())


def check_tooltip(text: str) -> None:
    state = expected_state()
    last = state.daily.row(-1, named=True)
    assert "Report date" in text and f"{last['as_of']:%d %b %Y}" in text, text
    assert f"{last['expected_rate']:.2%}" in text, text
    assert "Likely from" in text and "Orders in the window" in text, text


def expected_state() -> Any:
    """The panel's numbers on the sample, computed here (no chart)."""
    from odr_analysis.notebook import load
    from odr_analysis.panel import WhatIfPanel

    state = WhatIfPanel(load(browser_util.ROOT / "data" / "sample", quiet=True), chart=False)
    assert state.last_state is not None
    return state.last_state


def show_panel(page: Any) -> None:
    page.locator(".odr-whatif-panel").first.evaluate("e => e.scrollIntoView({block: 'start'})")


def test_panel_in_jupyterlab(project_copy: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = browser_util.jupyterlab_command(project_copy, tmp_path, port)
    with (
        serve(
            command,
            ready_url=f"{url}/api/status",
            cwd=project_copy,
            log=tmp_path / "jupyterlab.log",
            env=jupyter_env(tmp_path / "jupyter"),
        ),
        browser_page() as page,
    ):
        page.set_default_timeout(TIMEOUT_MS)
        outside = block_outside_requests(page)
        page.goto(f"{url}/lab/tree/{NOTEBOOK}?reset", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.wait_for_function(
            "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session"
            "?.kernel?.status === 'idle'"
        )
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        wait_for_live_chart(page)
        show_panel(page)
        check_tooltip(hover_last_day(page))
        screenshot(page, tmp_path, "jupyterlab-panel.png")
        before, after = move_extra_orders_slider(page)
        show_panel(page)
        screenshot(page, tmp_path, "jupyterlab-panel-after-slider.png")
        assert after != before
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        assert errors.count() == 0, errors.all_inner_texts()
        assert page.errors == [], page.errors
        assert outside == [], f"{len(outside)} requests left the machine: {outside}"
        page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")


def test_panel_in_voila(project_copy: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).with_name("voila")),
        NOTEBOOK,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
    ]
    # Voila's lab template links an icon font from a CDN: the same template without it.
    template_env, template_args = offline_voila_template(tmp_path / "voila-template")
    with (
        serve(
            [*command, *template_args],
            ready_url=f"{url}/",
            cwd=project_copy,
            log=tmp_path / "voila.log",
            env={**jupyter_env(tmp_path / "jupyter"), **template_env},
        ),
        browser_page() as page,
    ):
        page.set_default_timeout(TIMEOUT_MS)
        outside = block_outside_requests(page)
        page.goto(f"{url}/", wait_until="domcontentloaded")
        wait_for_live_chart(page)
        show_panel(page)
        check_tooltip(hover_last_day(page))
        screenshot(page, tmp_path, "voila-panel.png")
        assert page.locator(".jp-InputArea").filter(has_text="WhatIfPanel").count() == 0, (
            "Voila shows no code"
        )
        before, after = move_extra_orders_slider(page)
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
