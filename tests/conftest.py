"""Shared test set-up: the hypothesis profile and the headless notebook runner.

``execute_notebook(path, parameters=None)`` runs a notebook top to bottom in a fresh ``python3``
kernel (the kernel of the Python running pytest, i.e. the project's venv), with the notebook's
folder as working directory, and returns the executed notebook so a test can read its outputs.
Parameters are injected the way papermill does it: a cell tagged ``injected-parameters`` right
after the cell tagged ``parameters``. Tests use the ``run_notebook`` fixture, which also saves the
executed copy under the test's ``tmp_path`` (never back into ``notebooks/``).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import settings
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
CELL_TIMEOUT = 300  # seconds per cell; always set (a hung widget capture never ends otherwise)

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=os.environ.get("CI", "").lower() in {"1", "true", "yes"},
    max_examples=100,
)
settings.load_profile("ci")


def notebook_paths() -> list[Path]:
    """Every notebook of the project, sorted by name (``notebooks/NN-name.ipynb``)."""
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def _assigned_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def inject_parameters(
    nb: nbformat.NotebookNode, parameters: Mapping[str, Any], *, name: str = "notebook"
) -> nbformat.NotebookNode:
    """Insert a cell tagged ``injected-parameters`` after the cell tagged ``parameters``.

    Works on (and returns) ``nb`` in place, like papermill: an earlier injected cell is replaced.
    Every name must be assigned in the ``parameters`` cell, and every value must be a Python
    literal (its ``repr`` evaluates back to it), so a typo fails here and not as a silently
    unused variable.
    """
    cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(
            f"{name}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
        )
    known = _assigned_names(cells[tagged[0]].source)
    lines = ["# Parameters"]
    for key, value in parameters.items():
        if key not in known:
            raise ValueError(
                f"{name}: parameter {key!r} is not assigned in the 'parameters' cell "
                f"(it assigns {sorted(known)})"
            )
        text = repr(value)
        try:
            literal_ok = ast.literal_eval(text) == value
        except (ValueError, SyntaxError):
            literal_ok = False
        if not literal_ok:
            raise TypeError(f"{name}: parameter {key}={value!r} is not a Python literal")
        lines.append(f"{key} = {text}")
    injected = nbformat.v4.new_code_cell("\n".join(lines) + "\n")
    injected.metadata["tags"] = ["injected-parameters"]
    cells.insert(tagged[0] + 1, injected)
    nb.cells = cells
    return nb


def execute_notebook(
    path: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    save_to: str | Path | None = None,
) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` headless and return the executed notebook.

    The kernel is ``python3`` (the interpreter running the tests), the working directory is the
    notebook's folder, each cell has :data:`CELL_TIMEOUT` seconds, and widget state is stored.
    A cell that raises fails with nbclient's ``CellExecutionError`` (it names the cell and shows
    the traceback). ``save_to``, if given, receives the executed copy.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(nb, parameters, name=path.name)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        extra_arguments=["--colors=nocolor"],  # readable tracebacks in failure messages
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=True,
    )
    try:
        client.execute()
    finally:
        if save_to is not None:
            nbformat.write(nb, save_to)
    return nb


def _outputs(nb: nbformat.NotebookNode) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every output of the notebook, with where it is: cell outputs and widget-captured outputs."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            yield f"cell {index}", output
    widget_state = nb.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}
    )
    for model_id, model in widget_state.get("state", {}).items():
        for output in model.get("state", {}).get("outputs", []) or []:
            yield f"widget {model_id}", output


def notebook_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Errors and stderr text (warnings) in the outputs of an executed notebook, one per item."""
    problems = []
    for where, output in _outputs(nb):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            problems.append(f"{where}: stderr: {text.strip()}")
        elif "ename" in output:
            problems.append(f"{where}: {output['ename']}: {output.get('evalue', '')}")
    return problems


@pytest.fixture
def run_notebook(tmp_path: Path) -> Callable[..., nbformat.NotebookNode]:
    """``run_notebook(path, parameters=None)``: :func:`execute_notebook`, copy kept in tmp_path."""

    def run(path: str | Path, parameters: Mapping[str, Any] | None = None) -> nbformat.NotebookNode:
        return execute_notebook(path, parameters, save_to=tmp_path / Path(path).name)

    return run


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A throw-away copy of ``notebooks/`` and ``data/sample/`` for a browser test to serve
    (skips, or fails in CI, without the browser: :func:`browser_util.require_browser`)."""
    from browser_util import copy_project_files, require_browser

    require_browser()
    return copy_project_files(tmp_path / "work")
