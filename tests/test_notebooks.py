"""Tests of the headless notebook runner (``conftest.execute_notebook``).

That it uses the venv's kernel and the notebook's folder, injects parameters like papermill, and
really notices errors and warnings. The project's notebooks themselves are executed (once each)
in ``test_notebook_outputs.py``, which checks that they run clean and what they show.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from conftest import NOTEBOOKS_DIR, inject_parameters, notebook_paths, notebook_problems
from nbclient.exceptions import CellExecutionError

from odr_analysis import notebook

Runner = Callable[..., nbformat.NotebookNode]


def test_there_are_notebooks() -> None:
    assert notebook_paths(), f"no notebooks found in {NOTEBOOKS_DIR}"


# --- the runner itself ---------------------------------------------------------------------------


def _write_notebook(folder: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if parameters is not None:
        tagged = nbformat.v4.new_code_cell(parameters)
        tagged.metadata["tags"] = ["parameters"]
        cells.insert(0, tagged)
    nb.cells = cells
    folder = folder / "src"  # the executed copy goes to tmp_path itself
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "00-probe.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_runner_uses_venv_kernel_cwd_and_parameters(tmp_path: Path, run_notebook: Runner) -> None:
    path = _write_notebook(
        tmp_path,
        "import os, sys\nprint(sys.prefix)\nprint(os.getcwd())\nprint(repr(LABEL), N * 2)",
        parameters='LABEL = "sample"\nN = 1',
    )
    nb = run_notebook(path, {"LABEL": "mine", "N": 21})

    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[:2] == [["parameters"], ["injected-parameters"]]
    assert nb.cells[1].source == "# Parameters\nLABEL = 'mine'\nN = 21\n"
    lines = nb.cells[2].outputs[0]["text"].splitlines()
    assert lines == [sys.prefix, str(path.parent.resolve()), "'mine' 42"]
    saved = nbformat.read(tmp_path / path.name, as_version=4)
    assert saved.cells[2].outputs == nb.cells[2].outputs, "the executed copy is kept in tmp_path"
    assert nbformat.read(path, as_version=4).cells[1].outputs == [], "source left untouched"


@pytest.mark.notebook
def test_runner_reports_warnings_and_stderr(tmp_path: Path, run_notebook: Runner) -> None:
    path = _write_notebook(
        tmp_path,
        "import warnings\nwarnings.warn('watch out', FutureWarning)",
        "import sys\nprint('oops', file=sys.stderr)",
        "print('fine')",
    )
    problems = notebook_problems(run_notebook(path))
    assert len(problems) == 2, problems
    assert problems[0].startswith("cell 0: stderr:")
    assert "FutureWarning: watch out" in problems[0]
    assert problems[1] == "cell 1: stderr: oops"


@pytest.mark.notebook
def test_runner_fails_on_an_error(tmp_path: Path, run_notebook: Runner) -> None:
    path = _write_notebook(tmp_path, "1 / 0", "print('never')")
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        run_notebook(path)
    saved = nbformat.read(tmp_path / path.name, as_version=4)
    assert saved.cells[0].outputs[0]["ename"] == "ZeroDivisionError", "failed runs are kept too"
    assert saved.cells[1].outputs == []


def test_problems_include_widget_captured_outputs() -> None:
    stderr = {"output_type": "stream", "name": "stderr", "text": "DeprecationWarning: x\n"}
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'odr'", "traceback": []}
    models = {
        "m1": {"state": {"outputs": [stderr]}},
        "m2": {"state": {"outputs": [error]}},
        "m3": {"state": {"value": 3}},
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": models}}
    assert notebook_problems(nb) == [
        "widget m1: stderr: DeprecationWarning: x",
        "widget m2: KeyError: 'odr'",
    ]


def _probe_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell("AS_OF = None  # report date\nSEED: int = 7")
    tagged.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# probe"), tagged, nbformat.v4.new_code_cell("x")]
    return nb


def test_inject_parameters_replaces_an_earlier_injection() -> None:
    nb = inject_parameters(_probe_notebook(), {"AS_OF": "2024-03-01"})
    nb = inject_parameters(nb, {"SEED": 1})
    assert [c.source for c in nb.cells[1:3]][1] == "# Parameters\nSEED = 1\n"
    assert len(nb.cells) == 4


@pytest.mark.parametrize(
    ("parameters", "error", "message"),
    [
        ({"AS_0F": "2024-03-01"}, ValueError, "'AS_0F' is not assigned"),
        ({"SEED": object()}, TypeError, "not a Python literal"),
    ],
)
def test_inject_parameters_rejects_bad_parameters(
    parameters: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        inject_parameters(_probe_notebook(), parameters)


def test_inject_parameters_needs_one_parameters_cell() -> None:
    nb = _probe_notebook()
    nb.cells[1].metadata["tags"] = []
    with pytest.raises(ValueError, match="exactly one cell tagged 'parameters', found 0"):
        inject_parameters(nb, {"SEED": 1})


# --- the charts' renderer in a headless run ---------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "svg"),  # nbclient, papermill, nbconvert --execute, plain python
        ({"JPY_SESSION_NAME": "/work/notebooks/01-explore-trends.ipynb"}, "jupyter"),
        ({"SERVER_SOFTWARE": "voila/0.5.13"}, "jupyter"),
        ({"VOILA_BASE_URL": "/"}, "jupyter"),  # a pre-heated Voila kernel
        ({"JPY_SESSION_NAME": "x.ipynb", "ODR_STATIC_CHARTS": "1"}, "svg"),
        ({"JPY_SESSION_NAME": "x.ipynb", "ODR_STATIC_CHARTS": "true"}, "svg"),
        ({"ODR_STATIC_CHARTS": "0"}, "jupyter"),
    ],
)
def test_choose_renderer(environ: dict[str, str], expected: str) -> None:
    assert notebook.choose_renderer(environ) == expected


def test_choose_renderer_refuses_an_unclear_setting() -> None:
    with pytest.raises(ValueError, match="ODR_STATIC_CHARTS must be 1"):
        notebook.choose_renderer({"ODR_STATIC_CHARTS": "sometimes"})


@pytest.mark.notebook
@pytest.mark.parametrize("static", [None, "1"])
def test_a_headless_run_draws_static_charts(
    tmp_path: Path, run_notebook: Runner, monkeypatch: pytest.MonkeyPatch, static: str | None
) -> None:
    """Executed by the runner (like nbclient, papermill), setup() picks SVG, env var or not."""
    for name in ("JPY_SESSION_NAME", "SERVER_SOFTWARE", "VOILA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    if static is None:
        monkeypatch.delenv(notebook.STATIC_ENV, raising=False)
    else:
        monkeypatch.setenv(notebook.STATIC_ENV, static)
    path = _write_notebook(
        tmp_path,
        "from odr_analysis import notebook\nprint(notebook.setup())",
        "import altair as alt\nalt.Chart().mark_point()",
    )
    nb = run_notebook(path)
    assert nb.cells[0].outputs[0]["text"] == "svg\n"
    assert "image/svg+xml" in nb.cells[1].outputs[0]["data"]


@pytest.mark.notebook
def test_an_interactive_chart_carries_its_svg_so_an_export_keeps_it(
    tmp_path: Path, run_notebook: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In JupyterLab the widget shows; saved and exported (no widget state), nbconvert falls
    back to the SVG beside it: "Save and Export as HTML" from a live session keeps its charts."""
    from nbconvert import HTMLExporter

    monkeypatch.setenv(notebook.STATIC_ENV, "0")  # as in a live session
    path = _write_notebook(
        tmp_path,
        "from odr_analysis import notebook\nprint(notebook.setup())",
        "import altair as alt\nimport polars as pl\n"
        "alt.Chart(pl.DataFrame({'day': [1, 2], 'rate': [0.5, 0.7]}), title='Rate by day')"
        ".mark_line().encode(x='day', y='rate')",
    )
    nb = run_notebook(path)
    assert nb.cells[0].outputs[0]["text"] == "jupyter\n"
    data = nb.cells[1].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data  # the live chart ranks first
    assert "Rate by day" in data["image/svg+xml"]
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "Rate by day" in html and "<svg" in html
