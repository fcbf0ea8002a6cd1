"""Small helpers the notebooks call: chart rendering, loading a data folder, the report date.

Every notebook's first code cell calls :func:`setup`, so the charts show the right way in
JupyterLab (also offline), in Voila, in a headless run (nbclient, papermill, ``nbconvert
--execute``) and in an exported HTML file. The renderers, and why:

* ``"jupyter"``: altair's ``JupyterChart`` (anywidget) in offline mode, its JavaScript bundled
  by vl-convert (no CDN): interactive charts with tooltips and zoom, for a person in
  JupyterLab or Voila. vega-embed draws them as SVG in the page (Vega's ARIA labels for
  screen readers), not on a canvas. The widget's chart lives in the widget state, which a
  saved notebook does not keep: so every output also carries the chart as SVG
  (:func:`live_with_svg`), and "Save and Export as HTML" (or PDF) from a live session shows
  that instead, offline.
* ``"svg"``: vl-convert draws each chart to SVG in the kernel, no JavaScript and no CDN is
  needed, and a chart is a 15-30 KB ``image/svg+xml`` output that an exported HTML file or a
  PDF keeps. That size matters too: a large output captured by an ipywidgets ``Output`` (the
  what-if panel's chart) stalls headless runs (jupyter/nbclient#312). The price: no tooltips
  and no zoom.
* JupyterLab 4.6's own vega renderer does not know altair 6 charts (Vega-Lite 6) and altair's
  ``html``/``default`` renderer loads vega from a CDN: both show nothing offline.

How ``setup()`` (``renderer="auto"``, the default) chooses, see :func:`choose_renderer`:

1. the environment variable ``ODR_STATIC_CHARTS`` (:data:`STATIC_ENV`) decides when it is set:
   ``1``/``true``/``yes`` gives ``"svg"``, ``0``/``false``/``no`` gives ``"jupyter"``. Headless
   executions set ``ODR_STATIC_CHARTS=1`` (the test suite's notebook runs do), and so should
   anyone exporting a notebook: ``ODR_STATIC_CHARTS=1 jupyter nbconvert --execute --to html``;
2. otherwise ``"jupyter"`` when the kernel was started by a Jupyter server for a person: by
   JupyterLab / Notebook (jupyter_server puts ``JPY_SESSION_NAME`` in a notebook kernel's
   environment) or by Voila (``SERVER_SOFTWARE=voila/...``, ``VOILA_BASE_URL``), and
   anywidget is installed;
3. otherwise ``"svg"``: nbclient, papermill and ``nbconvert --execute`` start their kernels
   without those variables, so a headless run is static even without ``ODR_STATIC_CHARTS``.

``setup("svg")`` and ``setup("jupyter")`` choose explicitly. The notebooks pass
``tooltips=``/``zoom=`` to the chart functions according to the renderer ``setup`` returns
(a static SVG has no use for either, and is about 3 times smaller without the tooltip points).
The reports (:mod:`odr_analysis.report`) draw their own charts and never call ``setup``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import altair as alt
import polars as pl

from odr_analysis import words
from odr_analysis.charts import to_svg
from odr_analysis.readers import Account, detect_format, load_account, load_portfolio
from odr_analysis.rules import OdrRules, to_date

__all__ = [
    "LIVE_RENDERER",
    "RENDERERS",
    "STATIC_ENV",
    "Frames",
    "choose_renderer",
    "default_as_of",
    "history_start",
    "live_with_svg",
    "load",
    "resolve_as_of",
    "setup",
    "worst_group",
]

Renderer = Literal["svg", "jupyter"]
RENDERERS: Final[tuple[Renderer, ...]] = ("svg", "jupyter")
"""The renderers :func:`setup` accepts besides ``"auto"`` (see the module docstring)."""
STATIC_ENV: Final = "ODR_STATIC_CHARTS"
"""The environment variable that decides between static and interactive charts."""
#: How an environment flag says yes or no (``ODR_STATIC_CHARTS``, ``ODR_PANEL_LIVE``).
YES: Final = frozenset({"1", "true", "yes", "on"})
NO: Final = frozenset({"0", "false", "no", "off"})


def choose_renderer(environ: Mapping[str, str] | None = None) -> Renderer:
    """The renderer ``setup("auto")`` picks in this environment (see the module docstring).

    ``environ`` defaults to ``os.environ`` (the kernel's environment).
    """
    env = os.environ if environ is None else environ
    flag = env.get(STATIC_ENV, "").strip().lower()
    if flag in YES:
        return "svg"
    if flag in NO:
        return "jupyter"
    if flag:
        raise ValueError(
            f"{STATIC_ENV} must be 1 (static SVG charts) or 0 (interactive), got {flag!r}"
        )
    by_jupyter = "JPY_SESSION_NAME" in env
    by_voila = env.get("SERVER_SOFTWARE", "").startswith("voila/") or "VOILA_BASE_URL" in env
    if (by_jupyter or by_voila) and importlib.util.find_spec("anywidget") is not None:
        return "jupyter"
    return "svg"


LIVE_RENDERER: Final = "odr-live"
"""The altair renderer :func:`setup` enables for ``"jupyter"``: :func:`live_with_svg`."""


def live_with_svg(spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    """altair's ``jupyter`` renderer (``JupyterChart``, offline), with the chart also drawn as
    SVG in the same output.

    JupyterLab and Voila show the interactive widget (it ranks first); a notebook saved and
    exported to HTML or PDF from a live session has no widget state, so nbconvert shows the
    SVG instead (its widget filter skips a widget view without state): exports keep their
    charts, offline.
    """
    from altair.vegalite.v6.display import jupyter_renderer

    bundle = jupyter_renderer(spec, offline=True, **metadata)
    data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
    data["image/svg+xml"] = to_svg(spec)
    return data


def setup(renderer: Renderer | Literal["auto"] = "auto") -> Renderer:
    """Make altair charts show offline in JupyterLab, Voila and headless runs; return the name.

    ``"auto"`` (default): :func:`choose_renderer`, i.e. interactive in JupyterLab and Voila,
    static SVG in headless runs and wherever ``ODR_STATIC_CHARTS=1``. ``"svg"``: static SVG
    drawn by vl-convert; ``"jupyter"``: interactive ``JupyterChart`` (anywidget, offline,
    works in JupyterLab and Voila), with the same chart as SVG beside it for exports
    (:func:`live_with_svg`).
    """
    if renderer == "auto":
        renderer = choose_renderer()
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {['auto', *RENDERERS]}, got {renderer!r}")
    if renderer == "jupyter":
        # vega-embed draws SVG in the page (not a canvas): readable by screen readers (Vega's
        # ARIA labels), and the axis labels are text.
        alt.renderers.register(LIVE_RENDERER, live_with_svg)
        alt.renderers.enable(LIVE_RENDERER, embed_options={"renderer": "svg"})
    else:
        alt.renderers.enable("svg")
    return renderer


def load(
    data_dir: str | Path,
    account: str | None = None,
    *,
    marketplace: str | None = None,
    encoding: str | None = None,
    quiet: bool = False,
) -> Account:
    """Read a data folder: one account, or every account in it.

    ``data_dir`` is either a portfolio (a folder of account folders, like ``data/sample``) or
    one account folder. With ``account``, only ``data_dir/account`` is read. ``marketplace``
    and ``encoding`` are passed to :func:`~odr_analysis.readers.load_account`. The account's
    alerts (what makes its rates less than exact) are printed, so that no notebook misses them
    (``quiet=True``: not printed; they stay in ``.alerts``).
    """
    found = _load(root=Path(data_dir), account=account, marketplace=marketplace, encoding=encoding)
    if found.alerts and not quiet:
        print(words.alerts_text(found.alerts))
    return found


def _load(
    *, root: Path, account: str | None, marketplace: str | None, encoding: str | None
) -> Account:
    if not root.is_dir():
        raise FileNotFoundError(
            f"data folder '{root}' does not exist (relative paths start at the notebook's "
            f"folder, {Path.cwd()})"
        )
    if account is not None:
        folder = root / account
        if not folder.is_dir():
            known = sorted(p.name for p in root.iterdir() if p.is_dir())
            raise FileNotFoundError(f"no account folder '{account}' in '{root}'; found {known}")
        return load_account(folder, marketplace=marketplace, encoding=encoding)
    files = [p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")]
    if any(detect_format(p, encoding=encoding) is not None for p in files):
        return load_account(root, marketplace=marketplace, encoding=encoding)
    return load_portfolio(root, marketplace=marketplace, encoding=encoding)


class Frames(Protocol):
    """What :func:`default_as_of` reads: an :class:`~odr_analysis.readers.Account`."""

    @property
    def name(self) -> str: ...
    @property
    def orders(self) -> pl.DataFrame: ...
    @property
    def defects(self) -> pl.DataFrame: ...
    @property
    def health(self) -> pl.DataFrame: ...


def default_as_of(account: Frames, *, rules: OdrRules = OdrRules()) -> dt.date:
    """The report date the data supports: the latest day it covers.

    The latest of: the latest order date (UTC), the latest defect date, and the report date of
    the newest account-health report in the folder (its window end plus ``rules.lag_days``).
    Files downloaded on day D hold the orders placed up to D, so this is D; the sample gives
    2026-02-23, the day its files were downloaded.
    """
    candidates = [
        account.orders.get_column("order_date").max(),
        account.defects.get_column("event_date").max(),
    ]
    if account.health.height and "window_end" in account.health.columns:
        newest = account.health.get_column("window_end").max()
        if isinstance(newest, dt.date):
            candidates.append(rules.enters_window_on(newest))
    days = [d for d in candidates if isinstance(d, dt.date)]
    if not days:
        raise ValueError(
            f"{account.name}: no orders and no defects were read, so there is no report date; "
            "check the data folder (see the ingest summary)"
        )
    return max(days)


def resolve_as_of(
    value: dt.date | str | None, account: Frames, *, rules: OdrRules = OdrRules()
) -> dt.date:
    """``value`` as a date, or :func:`default_as_of` when it is ``None``."""
    return default_as_of(account, rules=rules) if value is None else to_date(value, "AS_OF")


def worst_group(status: pl.DataFrame) -> dict[str, str]:
    """The (account, marketplace, channel) with the highest ODR in an ``engine.odr`` frame.

    Ties: the one with more orders, then by name. Groups without orders come last.
    """
    if status.is_empty():
        raise ValueError("no account, marketplace and channel to choose from (no orders)")
    row = status.sort(
        ["odr", "order_count", "account", "marketplace", "channel"],
        descending=[True, True, False, False, False],
        nulls_last=True,
    ).row(0, named=True)
    return {k: row[k] for k in ("account", "marketplace", "channel")}


def history_start(
    account: Frames, as_of: dt.date, *, days: int = 365, rules: OdrRules = OdrRules()
) -> dt.date:
    """The first report date worth charting: ``days`` back, but not before the first full window.

    A report date whose window starts before the first order in the data would show a rate
    over a partial window.
    """
    first = account.orders.get_column("order_date").min()
    earliest = as_of - dt.timedelta(days=days)
    if not isinstance(first, dt.date):
        return earliest
    full = rules.leaves_window_on(first) - dt.timedelta(days=1)
    return min(as_of, max(earliest, full))
