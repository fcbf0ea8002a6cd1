"""An account's page: the sections in order with the prose between them, made one HTML file.

:data:`PAGE` is the page's definition: the section functions (:mod:`.sections`,
:mod:`.try_it`) and the prose that does not depend on the data (markdown, with the rules'
numbers; the longer pieces are in ``templates/``). :func:`build_page` runs it on one
account's :class:`ReportData`; :meth:`Page.html` makes the complete file:

* every chart is live: its Vega-Lite spec sits in a ``<script type="application/json">``
  beside its ``<div>`` and ``vega-embed`` draws it when the page opens, with its tooltips and
  the "try it" sliders. The JavaScript of vega, vega-lite and vega-embed is inlined once per
  page (:func:`javascript_bundle`), so the file opens offline and asks nothing of any server;
* every CSV download is embedded as a ``data:`` link (and written beside the page by
  :mod:`.run`), with formula-like cells neutralised;
* reproducible: the same data and report date give the same bytes, except the one line that
  says when the page was generated (:func:`generated_line`; projections are seeded, chart and
  element names are fixed).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Final, TypeAlias

from odr_analysis import words
from odr_analysis.htmlsafe import csv_text, escape, script_json
from odr_analysis.report import sections, try_it
from odr_analysis.report.data import ReportData
from odr_analysis.report.sections import Chart, Download, Section
from odr_analysis.rules import OdrRules

__all__ = [
    "GENERATED_CLASS",
    "PAGE",
    "Page",
    "Prose",
    "build_page",
    "document",
    "generated_line",
    "javascript_bundle",
]

GENERATED_CLASS: Final = "generated"
"""The class of the one line that differs between two runs (``Generated on ...``)."""


@dataclass(frozen=True)
class Prose:
    """Markdown prose of the page; ``{window_days}``, ``{lag_days}``, ``{counts_for}``,
    ``{target}`` and ``{stars}`` are the rules' numbers (:func:`_rule_words`)."""

    text: str

    def html(self, rules: OdrRules) -> str:
        return _markdown(self.text.format(**_rule_words(rules)))


def _template(name: str) -> Prose:
    """The prose of ``templates/<name>`` (markdown; its line breaks are kept in the page)."""
    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    return Prose(text.rstrip("\n"))


HOW_AMAZON_COUNTS: Final = _template("how-amazon-counts.md")
REMOVALS: Final = _template("removals.md")
AMAZON_OVER_TIME: Final = _template("amazon-over-time.md")

PAGE: Final[tuple[Prose | Section, ...]] = (
    sections.header,
    Prose("## The headline"),
    sections.headline,
    HOW_AMAZON_COUNTS,
    sections.history,
    Prose("## What drives it\n\n### The three kinds of defect"),
    sections.components,
    sections.composition,
    Prose("### What changed since the last report"),
    sections.changes,
    sections.waterfall,
    Prose("### The defects still counting, and when they drop out"),
    sections.window_defects,
    sections.dropoff,
    REMOVALS,
    sections.removals,
    Prose("### Where the defects come from"),
    sections.sources,
    Prose("## Where it is heading"),
    sections.projection,
    sections.projection_chart,
    Prose("### Try it yourself"),
    try_it.try_it,
    Prose("## Our numbers against Amazon's"),
    sections.reconciliation,
    Prose("### Amazon's own figures over time"),
    AMAZON_OVER_TIME,
    sections.health_history_section,
    Prose("## The data behind this report\n\n### The files read"),
    sections.data_quality,
    Prose("### What buyers wrote"),
    sections.feedback,
)
"""The page, top to bottom: prose and sections (each section gives one or more blocks)."""


def _rule_words(rules: OdrRules) -> dict[str, object]:
    most = rules.negative_feedback_max_rating
    stars = {1: "1 star", 2: "1 or 2 stars"}.get(most, f"1 to {most} stars")
    return {
        "window_days": rules.window_days,
        "lag_days": rules.lag_days,
        "counts_for": rules.report_days(0)[1] + 1,  # the day an order of day 0 leaves
        "target": words.target_text(rules.target),
        "stars": stars,
    }


def _markdown(text: str) -> str:
    import mistune

    return str(mistune.html(text))


Downloads: TypeAlias = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Page:
    """One account's page before it is written: its title, body and CSV downloads.

    ``downloads``: ``(file name, CSV text)`` of each file the page offers (also embedded in
    the page as a link).
    """

    title: str
    body: str
    downloads: Downloads

    def html(self, generated: str | None = None) -> str:
        """The complete HTML file, with the chart bundle inlined; ``generated`` is the line
        that says when (default: :func:`generated_line` now)."""
        line = generated_line() if generated is None else generated
        return document(self.title, self.body, line, scripts=True)


def build_page(r: ReportData, *, stem: str | None = None) -> Page:
    """Run :data:`PAGE` on one account: the body of its page and its downloads.

    ``stem`` is the file name stem of the page (default: the account's name); a download is
    named ``<stem>-<name>``.
    """
    prefix = r.name if stem is None else stem
    body: list[str] = []
    downloads: list[tuple[str, str]] = []
    n_charts = 0
    for part in PAGE:
        if isinstance(part, Prose):
            body.append(part.html(r.rules))
            continue
        for block in part(r):
            if isinstance(block, Chart):
                n_charts += 1
                body.append(_figure(f"chart-{n_charts}", block))
            elif isinstance(block, Download):
                name = f"{prefix}-{block.name}"
                text = csv_text(block.frame)
                downloads.append((name, text))
                body.append(_download_link(name, block.label, text))
            else:
                body.append(block)
    return Page(f"Order Defect Rate: {r.name}", "\n".join(body), tuple(downloads))


def _figure(ident: str, block: Chart) -> str:
    return (
        f'<figure class="chart"><div class="vega-chart" id="{ident}"></div>'
        f"<figcaption>{block.caption}</figcaption></figure>"
        f'<script type="application/json" id="{ident}-spec">'
        f"{script_json(block.chart.to_dict())}</script>"
    )


def _download_link(name: str, label: str, text: str) -> str:
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<p><a class="download" download="{escape(name)}" '
        f'href="data:text/csv;charset=utf-8;base64,{encoded}">'
        f"{escape(label)} (CSV, {escape(name)})</a></p>"
    )


# ---------------------------------------------------------------------------------------------
# The document: head, CSS, body, the generated line, the chart scripts.

_STYLE: Final = """
:root { color-scheme: light; }
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 1000px;
  padding: 1.5rem 2rem 3rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.8rem; margin: .4rem 0; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 2px solid #e4e4e4;
  padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 0 0 .3rem; }
p.meta, p.generated, p.note, nav.back { color: #555; font-size: .9rem; }
p.lead { font-size: 1.15rem; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 1rem; }
.card { flex: 1 1 420px; border: 1px solid #d0d0d0; border-left: 8px solid #999;
  border-radius: 4px; padding: .8rem 1rem; }
.card ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.card .rate { font-size: 1.1rem; margin: .2rem 0; }
.badge { display: inline-block; font-weight: 700; padding: .1rem .5rem; border-radius: 3px;
  margin: 0 0 .3rem; color: #fff; background: #999; }
.status-breached { border-left-color: #D55E00; } .status-breached .badge { background: #D55E00; }
.status-at_risk { border-left-color: #E69F00; } .status-at_risk .badge { background: #B07800; }
.status-met { border-left-color: #009E73; } .status-met .badge { background: #007A59; }
table.data { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85rem; width: 100%; }
table.data caption { text-align: left; color: #555; caption-side: bottom; padding-top: .3rem; }
table.data th, table.data td { border-bottom: 1px solid #e4e4e4; padding: .25rem .45rem;
  text-align: left; vertical-align: top; }
table.data th { background: #f4f4f4; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data td.nowrap { white-space: nowrap; }
tr.mismatch td { background: #fdf0e6; }
div.alert { border-left: 8px solid #D55E00; background: #fdf0e6; padding: .3rem 1rem;
  margin: .8rem 0; }
div.alert ul { margin: .2rem 0 .4rem; padding-left: 1.2rem; }
figure.chart { margin: 1rem 0 1.6rem; }
figure.chart figcaption { color: #333; font-size: .92rem; max-width: 760px; margin-top: .3rem; }
.vega-chart { min-height: 120px; max-width: 100%; }
.vega-embed { max-width: 100%; }
.vega-embed svg { max-width: 100%; height: auto; }
.vega-bindings { margin-top: .4rem; font-size: .9rem; }
.vega-bindings label { display: block; margin: .2rem 0; }
.formula { font-family: ui-monospace, Menlo, Consolas, monospace; background: #f6f6f6;
  padding: .5rem .7rem; font-size: .85rem; }
a.download { display: inline-block; margin: .2rem 0 1rem; }
@media print { body { max-width: none; padding: 0; } nav.back, a.download { display: none; }
  figure.chart, .card, table.data tr { break-inside: avoid; } }
"""

_EMBED: Final = """
(function () {
  var views = (window.odrViews = {});
  document.querySelectorAll("div.vega-chart").forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.id + "-spec").textContent);
    vegaEmbed(el, spec, {mode: "vega-lite", renderer: "svg", actions: false})
      .then(function (result) {
        views[el.id] = result.view;
        el.setAttribute("data-rendered", "true");
      })
      .catch(function (error) {
        el.textContent = "This chart could not be drawn: " + error;
        console.error(error);
      });
  });
})();
"""

_bundle_lock = threading.Lock()


def javascript_bundle() -> str:
    """vega + vega-lite + vega-embed as one script: made once per process (it takes seconds).

    Thread-safe: :func:`odr_analysis.report.run.run_reports` makes it in a thread while the
    accounts are computed.
    """
    with _bundle_lock:
        return _make_bundle()


@functools.cache
def _make_bundle() -> str:
    import vl_convert

    # The stub wants a snippet; without one the bundle sets window.vegaEmbed etc.
    bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]
    if "</script" in bundle.lower():  # pragma: no cover - would break the page
        raise RuntimeError("the vega bundle holds '</script'; it cannot be inlined")
    return str(bundle)


def document(title: str, body: str, generated: str, *, scripts: bool = False) -> str:
    """A complete page: head with the CSS, the body, the generated line and, with ``scripts``,
    the chart bundle and the code that draws every chart."""
    tail = ""
    if scripts:
        tail = (
            "<noscript><p>The charts of this report need JavaScript.</p></noscript>"
            f"<script>{javascript_bundle()}</script><script>{_EMBED}</script>"
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="odr-analysis">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f"{body}\n"
        f'<footer><p class="{GENERATED_CLASS}">{escape(generated)}</p></footer>\n'
        f"{tail}\n</body></html>\n"
    )


def generated_line(now: dt.datetime | None = None) -> str:
    """``Generated on 2026-02-23 09:14 UTC by odr-analysis 0.1.0``: the one line that changes."""
    from odr_analysis import __version__

    moment = now or dt.datetime.now(dt.UTC)
    return f"Generated on {moment:%Y-%m-%d %H:%M} UTC by odr-analysis {__version__}"
