"""Checks on the project itself: Makefile, environment files, notebooks as committed, .gitignore."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib

import nbformat
import pytest
import yaml
from conftest import ROOT, notebook_paths

# conda-forge names that differ from the PyPI name.
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
NOT_PYTHON_DEPENDENCIES = {"python", "pip"}
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, dict[str, str]]:
    """``"ruff>=0.17,<0.18"`` -> ``("ruff", {">=": "0.17", "<": "0.18"})``.

    Accepts both PEP 508 (``pkg>=1.2``) and conda match specs (``pkg >=1.2``, ``pkg=1.2``).

    >>> parse_requirement("vl-convert-python >=1.9")
    ('vl-convert-python', {'>=': '1.9'})
    >>> parse_requirement("python=3.11")
    ('python', {'=': '3.11'})
    """
    match = _SPEC.match(text)
    if match is None:
        raise ValueError(f"cannot read the requirement {text!r}")
    name, _extras, rest = match.groups()
    bounds: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        op_match = re.fullmatch(r"(>=|<=|==|!=|~=|>|<|=)\s*(\S+)", part)
        if op_match is None:
            raise ValueError(f"cannot read the version bound {part!r} in {text!r}")
        bounds[op_match.group(1)] = op_match.group(2)
    return _normalise(name), bounds


def pyproject_dependencies() -> dict[str, dict[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return dict(parse_requirement(s) for s in specs)


def conda_dependencies() -> tuple[dict[str, dict[str, str]], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda: dict[str, dict[str, str]] = {}
    pip: list[str] = []
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            pip.extend(entry.get("pip", []))
            continue
        name, bounds = parse_requirement(entry)
        conda[_normalise(CONDA_TO_PYPI.get(name, name))] = bounds
    return conda, pip


def dependency_differences(
    pypi: dict[str, dict[str, str]], conda: dict[str, dict[str, str]]
) -> list[str]:
    """One line per package whose name or version bounds differ between the two files."""
    diffs = []
    for name in sorted(pypi.keys() | conda.keys()):
        if name not in conda:
            diffs.append(f"{name}: in pyproject.toml {pypi[name]} but missing from environment.yml")
        elif name not in pypi:
            diffs.append(
                f"{name}: in environment.yml {conda[name]} but missing from pyproject.toml"
            )
        elif pypi[name] != conda[name]:
            diffs.append(f"{name}: pyproject.toml {pypi[name]} != environment.yml {conda[name]}")
    return diffs


def test_environment_yml_matches_pyproject() -> None:
    conda, pip = conda_dependencies()
    python = conda.pop("python", {})
    for name in NOT_PYTHON_DEPENDENCIES - {"python"}:
        conda.pop(name, None)
    diffs = dependency_differences(pyproject_dependencies(), conda)
    assert not diffs, "environment.yml and pyproject.toml disagree:\n" + "\n".join(diffs)

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == {"=": requires.removeprefix(">=")}, (python, requires)
    assert pip == ["-e .[dev,amazon]"], (
        "environment.yml must install the project itself with pip, with its extras"
    )
    channels = yaml.safe_load((ROOT / "environment.yml").read_text())["channels"]
    assert channels == ["conda-forge"]


def test_every_extra_is_installed_by_make_and_conda() -> None:
    """The ``amazon`` extra (odr-fetch) comes from PyPI through ``-e .[dev,amazon]`` in both
    the Makefile and environment.yml; the core package does not need it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    assert extras == {"dev", "amazon"}
    amazon = dict(parse_requirement(s) for s in project["optional-dependencies"]["amazon"])
    assert amazon == {"python-amazon-sp-api": {">=": "2.1.35"}}
    assert "odr_analysis.fetch" not in " ".join(project["dependencies"])
    assert '$(PY) -m pip install -e ".[dev,amazon]"' in (ROOT / "Makefile").read_text()
    assert project["scripts"]["odr-fetch"] == "odr_analysis.fetch.run:main"


def test_dependency_differences_names_the_package() -> None:
    pypi = {"polars": {">=": "2.1"}, "ruff": {">=": "0.17", "<": "0.18"}, "numpy": {">=": "2.4"}}
    conda = {"polars": {">=": "2.0"}, "ruff": {">=": "0.17", "<": "0.18"}, "duckdb": {">=": "2"}}
    assert dependency_differences(pypi, conda) == [
        "duckdb: in environment.yml {'>=': '2'} but missing from pyproject.toml",
        "numpy: in pyproject.toml {'>=': '2.4'} but missing from environment.yml",
        "polars: pyproject.toml {'>=': '2.1'} != environment.yml {'>=': '2.0'}",
    ]


def make_help() -> str:
    make = shutil.which("make")
    assert make is not None, "GNU make is needed to run the project's commands"
    result = subprocess.run(
        [make, "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_make_help_lists_every_target_with_a_description() -> None:
    listed = dict(
        line.strip().split(None, 1) for line in make_help().splitlines() if line.startswith("  ")
    )
    for target in ["lab", "test", "sample", "bench", "lint", "install", "format", "strip", "clean"]:
        assert listed.get(target, "").strip(), f"`make help` does not describe {target!r}"
    makefile = (ROOT / "Makefile").read_text()
    phony = set(" ".join(re.findall(r"^\.PHONY:(.*)$", makefile, flags=re.MULTILINE)).split())
    assert phony - listed.keys() == set(), "targets without a `## description` in the Makefile"


def test_ci_script_is_executable_and_runs_make_test() -> None:
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK), ".ci/run must be executable (chmod +x)"
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"^\s*make test\b", text, flags=re.MULTILINE)


def test_notebooks_are_numbered() -> None:
    bad = [p.name for p in notebook_paths() if not re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", p.name)]
    assert not bad, f"name notebooks NN-lower-case-name.ipynb: {bad}"


def test_notebooks_are_committed_without_outputs() -> None:
    dirty = []
    for path in notebook_paths():
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.outputs or cell.execution_count is not None:
                dirty.append(f"{path.name} cell {index}")
        if "widgets" in nb.metadata:
            dirty.append(f"{path.name} metadata.widgets")
    assert not dirty, f"run `make strip` before committing; outputs in: {dirty}"


def test_notebooks_have_a_parameters_cell() -> None:
    missing = []
    for path in notebook_paths():
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        if len(tagged) != 1 or tagged[0].cell_type != "code":
            missing.append(path.name)
    assert not missing, f"these need exactly one code cell tagged 'parameters': {missing}"


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("data/raw/acme-us/orders.txt", True),
        ("data/raw/.gitkeep", False),
        ("data/raw/README.md", False),
        ("data/sample/acme/orders.txt", False),
        (".venv/bin/python", True),
        ("benchmarks/out/result.json", True),
        ("reports/acme.html", True),
        ("notebooks/.ipynb_checkpoints/01-x-checkpoint.ipynb", True),
        ("odr_analysis/__pycache__/engine.cpython-311.pyc", True),
        ("notebooks/01-odr-status.ipynb", False),
    ],
)
def test_gitignore(path: str, ignored: bool) -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        [git, "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False, timeout=60
    )
    assert result.returncode in {0, 1}, f"git check-ignore failed on {path}"
    assert (result.returncode == 0) is ignored, (
        f"{path} should{'' if ignored else ' not'} be ignored"
    )
