"""Strip outputs from notebooks so they are committed clean: ``make strip``.

Clears every code cell's outputs and execution count, and drops the saved widget state and
nbclient's execution timings. Rewrites only the files that change; prints each one.

Usage: ``python scripts/strip_notebooks.py [--check] notebooks/*.ipynb``
(``--check`` changes nothing and exits 1 if any notebook would change).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def strip(nb: nbformat.NotebookNode) -> bool:
    """Strip ``nb`` in place; return whether anything was removed."""
    changed = nb.metadata.pop("widgets", None) is not None
    for cell in nb.cells:
        changed |= cell.metadata.pop("execution", None) is not None
        if cell.cell_type == "code":
            changed |= bool(cell.outputs) or cell.execution_count is not None
            cell.outputs = []
            cell.execution_count = None
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"]
    if not paths:
        print("no notebooks given", file=sys.stderr)
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        if strip(nb):
            dirty.append(path)
            if not check:
                nbformat.write(nb, path)
            print(f"{'would strip' if check else 'stripped'} {path}")
    return 1 if check and dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
