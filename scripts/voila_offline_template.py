"""Write Voila's ``lab`` template without its CDN links, as the template ``odr-offline``.

Voila 0.5's ``lab/index.html.j2`` links the icon font's stylesheets from cdn.jsdelivr.net (icons
only; nothing of the what-if panel needs them). ``make app`` serves the panel with this copy, so
the page asks nothing from outside the machine. The copy goes next to ``lab`` in this Python's
``share/jupyter/voila/templates`` (on Jupyter's data path): ``python
scripts/voila_offline_template.py``. The browser tests write it into a throw-away folder with
:func:`write_template`.
"""

from __future__ import annotations

import sys
from pathlib import Path

NAME = "odr-offline"
TEMPLATES = Path(sys.prefix) / "share" / "jupyter" / "voila" / "templates"
"""Where this Python's Voila keeps its templates (``lab`` among them)."""


def write_template(templates: Path = TEMPLATES) -> Path:
    """Write ``lab`` without its CDN links as ``templates/odr-offline``; return that folder."""
    lines = (TEMPLATES / "lab" / "index.html.j2").read_text().splitlines(keepends=True)
    folder = templates / NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html.j2").write_text("".join(x for x in lines if "cdn.jsdelivr.net" not in x))
    (folder / "conf.json").write_text('{"base_template": "lab"}\n')
    return folder


def main() -> None:
    print(f"wrote {write_template()}")


if __name__ == "__main__":
    main()
