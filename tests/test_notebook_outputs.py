"""Every notebook, executed once headless on the sample data: clean, and with the right outputs.

Each notebook runs once per test session (the ``executed`` fixture caches the run; the executed
copies are kept under pytest's temporary folder). The checks: no error and no warning anywhere
(cell outputs and widget-captured outputs), the expected charts are there (``image/svg+xml``,
the renderer :func:`odr_analysis.notebook.setup` chooses) and the numbers printed are the
library's, computed here directly. Also the helpers of :mod:`odr_analysis.notebook`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import altair as alt
import nbformat
import polars as pl
import pytest
from conftest import NOTEBOOKS_DIR, ROOT, execute_notebook, notebook_paths, notebook_problems

from odr_analysis import notebook, words
from odr_analysis.engine import odr
from odr_analysis.headroom import defects_allowed
from odr_analysis.panel import CHART_CLASS, HEADLINE_CLASS, WhatIfPanel
from odr_analysis.parts import prepare
from odr_analysis.projection import Assumptions, project
from odr_analysis.readers import Account, load_account
from odr_analysis.reconcile import reconcile

SAMPLE = ROOT / "data" / "sample"
AS_OF = dt.date(2026, 2, 23)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
Executed = Callable[[str], nbformat.NotebookNode]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Executed]:
    """``executed(name)``: the notebook run headless, once per session (then from the cache)."""
    folder = tmp_path_factory.mktemp("executed-notebooks")
    runs: dict[str, nbformat.NotebookNode] = {}

    def run(name: str) -> nbformat.NotebookNode:
        if name not in runs:
            # A headless run: static SVG charts (notebook.setup() reads it in the kernel, which
            # inherits this environment).
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(notebook.STATIC_ENV, "1")
                runs[name] = execute_notebook(NOTEBOOKS_DIR / name, save_to=folder / name)
        return runs[name]

    yield run


@pytest.fixture(scope="module")
def sample() -> Account:
    return notebook.load(SAMPLE)


def cell_texts(nb: nbformat.NotebookNode) -> list[str]:
    """The printed text of each code cell (stdout), one string per cell."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts.append(
            "".join(
                o.get("text", "")
                for o in cell.outputs
                if o.get("output_type") == "stream" and o.get("name") == "stdout"
            )
        )
    return texts


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(cell_texts(nb))


def cell_svgs(nb: nbformat.NotebookNode) -> list[str]:
    """The SVG charts shown by code cells (not by widgets), in order."""
    return [
        o["data"]["image/svg+xml"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "image/svg+xml" in o.get("data", {})
    ]


def widget_models(nb: nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert state, "the executed notebook has no widget state"
    return state


def widget_with_class(nb: nbformat.NotebookNode, css_class: str) -> dict[str, Any]:
    found = [
        m["state"]
        for m in widget_models(nb).values()
        if css_class in m.get("state", {}).get("_dom_classes", [])
    ]
    assert len(found) == 1, f"expected one widget with class {css_class}, found {len(found)}"
    return found[0]


def svg_text(svg: str) -> str:
    """The words drawn in an SVG chart (titles, axis titles, labels)."""
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


# --- every notebook ---------------------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_notebook_runs_clean(path: Path, executed: Executed) -> None:
    nb = executed(path.name)
    problems = notebook_problems(nb)
    assert not problems, f"{path.name} printed errors or warnings:\n" + "\n".join(problems)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", []), "parameters cell first"
    setup = [c for c in nb.cells if c.cell_type == "code"][1].source
    assert "notebook.setup()" in setup, "the renderer is chosen in the first code cell"


def test_the_expected_notebooks_exist() -> None:
    assert [p.name for p in notebook_paths()] == [
        "01-explore-trends.ipynb",
        "02-what-if-simulator.ipynb",
        "03-threshold-comparison.ipynb",
    ]


# --- 01: explore trends -----------------------------------------------------------------------


@pytest.mark.notebook
def test_01_numbers_are_the_engines(executed: Executed, sample: Account) -> None:
    nb = executed("01-explore-trends.ipynb")
    text = printed(nb)
    assert "Report date: Monday 23 February 2026" in text
    status = odr(sample.orders, sample.defects, as_of=AS_OF)
    lines = [words.status_line(row) for row in status.iter_rows(named=True)]
    assert "\n".join(lines) + "\n" in cell_texts(nb)
    assert "summit-outdoor Amazon.com MFN: 2.55% = 19 defective of 746 orders" in text
    assert "Showing summit-outdoor on Amazon.com." in text
    reconciled = reconcile(sample.orders, sample.defects, sample.health)
    assert reconciled["match"].all()
    assert text.count(": same as Amazon") == reconciled.height == 6


@pytest.mark.notebook
def test_01_charts(executed: Executed) -> None:
    svgs = cell_svgs(executed("01-explore-trends.ipynb"))
    titles = [svg_text(svg) for svg in svgs]
    expected = [
        "Order Defect Rate by report date",
        "Defects in the window by kind",
        "Defective orders by SKU",
        "Defective orders by ship service level",
        "Unusual order",
        "Amazon's own figures over time",
        "Our ODR beside Amazon's",
    ]
    assert len(svgs) == len(expected), titles
    for title, text in zip(expected, titles, strict=True):
        assert title in text, (title, text[:200])


# --- 02: what-if simulator --------------------------------------------------------------------


@pytest.mark.notebook
def test_02_panel_headline_and_chart(executed: Executed, sample: Account) -> None:
    nb = executed("02-what-if-simulator.ipynb")
    headline = widget_with_class(nb, HEADLINE_CLASS)["value"]
    rate = odr(sample.orders, sample.defects, as_of=AS_OF).filter(
        (pl.col("account") == "summit-outdoor") & (pl.col("channel") == "MFN")
    )
    assert rate.item(0, "odr") == pytest.approx(19 / 746)
    expected = WhatIfPanel(sample, chart=False).last_state
    assert expected is not None and expected.headline.startswith("2.55% today, under 1% on ")
    assert f">{expected.headline}<" in headline
    # A headless run asks for static charts (ODR_STATIC_CHARTS=1): the panel follows, its
    # chart an SVG drawn in the kernel in an Output widget (the live chart: tests/test_panel.py
    # and the browser tests). The SVG stays small: nbclient hangs on large widget outputs.
    box = widget_with_class(nb, CHART_CLASS)
    (child,) = box["children"]
    model = widget_models(nb)[child.removeprefix("IPY_MODEL_")]
    assert model["model_name"] == "OutputModel", model["model_name"]
    (svg,) = cell_svgs_in_widgets(nb)
    assert len(svg) < 100_000
    text = svg_text(svg)
    assert "summit-outdoor Amazon.com MFN: projected ODR" in text
    assert "Chance ≥ target" in text and "Target 1%" in text, text
    assert expected.daily.height == 90


def cell_svgs_in_widgets(nb: nbformat.NotebookNode) -> list[str]:
    """SVG pictures captured by Output widgets (the old panel path drew one per move)."""
    return [
        o["data"]["image/svg+xml"]
        for m in widget_models(nb).values()
        for o in m.get("state", {}).get("outputs", [])
        if "image/svg+xml" in o.get("data", {})
    ]


@pytest.mark.notebook
def test_02_dropoff_calendar(executed: Executed) -> None:
    nb = executed("02-what-if-simulator.ipynb")
    (svg,) = cell_svgs(nb)
    assert "when defects leave the window" in svg_text(svg)


# --- 03: threshold comparison -----------------------------------------------------------------


@pytest.mark.notebook
def test_03_numbers(executed: Executed, sample: Account) -> None:
    nb = executed("03-threshold-comparison.ipynb")
    texts = cell_texts(nb)
    status = odr(sample.orders, sample.defects, as_of=AS_OF)
    lines = [words.status_line(row) for row in status.iter_rows(named=True)]
    assert "\n".join(lines) + "\n" in texts
    allowed = defects_allowed(sample.orders, sample.defects, as_of=AS_OF)
    headroom = [
        f"{words.group_label(r)}: {r['message']}"
        for r in allowed.with_columns(words.headroom()).iter_rows(named=True)
    ]
    assert "\n".join(headroom) + "\n" in texts
    projection = project(
        prepare(sample.orders, sample.defects),
        as_of=AS_OF,
        assumptions=Assumptions(horizon=30),
    )
    chance = projection.daily.filter(
        (pl.col("account") == "summit-outdoor") & (pl.col("channel") == "MFN")
    )["prob_at_or_above_target"].max()
    text = printed(nb)
    line = next(x for x in text.splitlines() if x.startswith("summit-outdoor Amazon.com MFN: exp"))
    assert f"chance of being at or over the target {words.pct(chance, 0)};" in line
    at_risk = [line for line in text.splitlines() if line.startswith("AT RISK ")]
    assert f"{len(at_risk)} channel(s) at risk" in text
    assert at_risk[0].startswith("AT RISK summit-outdoor Amazon.com MFN: 2.55% today (Breached")
    assert any(x.startswith("AT RISK tiny-letterpress Amazon.co.uk MFN: 1.39%") for x in at_risk)
    assert not any("evergreen-home Amazon.com AFN" in line for line in at_risk)


@pytest.mark.notebook
def test_03_charts(executed: Executed) -> None:
    titles = [svg_text(svg) for svg in cell_svgs(executed("03-threshold-comparison.ipynb"))]
    assert len(titles) == 2, titles
    assert "Portfolio" in titles[0]
    assert "summit-outdoor on Amazon.com: the next 30 days" in titles[1]


# --- the helpers the notebooks call -----------------------------------------------------------


def test_default_as_of_of_the_sample(sample: Account) -> None:
    assert notebook.default_as_of(sample) == AS_OF
    assert notebook.resolve_as_of(None, sample) == AS_OF
    assert notebook.resolve_as_of("2026-01-31", sample) == dt.date(2026, 1, 31)
    with pytest.raises(ValueError, match="AS_OF must be a date as YYYY-MM-DD"):
        notebook.resolve_as_of("31/01/2026", sample)


def test_default_as_of_without_a_health_report(sample: Account) -> None:
    orders = sample.orders.filter(pl.col("order_date") <= dt.date(2026, 1, 10))
    defects = sample.defects.filter(pl.col("event_date") <= dt.date(2026, 1, 20))
    latest_defect = defects["event_date"].max()
    assert isinstance(latest_defect, dt.date) and latest_defect > dt.date(2026, 1, 10)
    no_health = Account(
        name="x",
        orders=orders,
        defects=defects,
        items=sample.items,
        feedback=sample.feedback,
        health=sample.health.clear(),
        ingest=sample.ingest,
        rejects=sample.rejects,
    )
    assert notebook.default_as_of(no_health) == latest_defect
    empty = Account(
        name="empty",
        orders=sample.orders.clear(),
        defects=sample.defects.clear(),
        items=sample.items,
        feedback=sample.feedback,
        health=sample.health.clear(),
        ingest=sample.ingest,
        rejects=sample.rejects,
    )
    with pytest.raises(ValueError, match="empty: no orders and no defects were read"):
        notebook.default_as_of(empty)


def test_load_a_portfolio_an_account_folder_or_one_account() -> None:
    portfolio = notebook.load(SAMPLE)
    assert sorted(portfolio.orders["account"].unique()) == [
        "evergreen-home",
        "summit-outdoor",
        "tiny-letterpress",
    ]
    one = notebook.load(SAMPLE, "tiny-letterpress")
    folder = notebook.load(SAMPLE / "tiny-letterpress")
    direct = load_account(SAMPLE / "tiny-letterpress")
    assert one.orders.equals(direct.orders) and folder.orders.equals(direct.orders)
    with pytest.raises(FileNotFoundError, match=r"no account folder 'nobody'.*tiny-letterpress"):
        notebook.load(SAMPLE, "nobody")
    with pytest.raises(FileNotFoundError, match="data folder 'no/such/folder' does not exist"):
        notebook.load("no/such/folder")


def test_setup_chooses_an_offline_renderer() -> None:
    before = alt.renderers.active
    try:
        assert notebook.setup() == "svg" and alt.renderers.active == "svg"
        assert notebook.setup("jupyter") == "jupyter"
        assert alt.renderers.active == notebook.LIVE_RENDERER  # JupyterChart + SVG for exports
        with pytest.raises(ValueError, match="renderer must be one of"):
            notebook.setup("html")
    finally:
        alt.renderers.enable(before)


def test_worst_group_history_start_and_pct(sample: Account) -> None:
    status = odr(sample.orders, sample.defects, as_of=AS_OF)
    assert notebook.worst_group(status) == {
        "account": "summit-outdoor",
        "marketplace": "Amazon.com",
        "channel": "MFN",
    }
    with pytest.raises(ValueError, match="no account"):
        notebook.worst_group(status.clear())
    first = sample.orders["order_date"].min()
    assert notebook.history_start(sample, AS_OF, days=100) == AS_OF - dt.timedelta(days=100)
    # a year back would start before the first full window (the data begins 2025-01-24)
    assert notebook.history_start(sample, AS_OF) == first + dt.timedelta(days=73)
    assert words.pct(None) == "n/a" and words.pct(0.0125) == "1.25%"
