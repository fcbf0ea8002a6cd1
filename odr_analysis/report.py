"""Stakeholder reports: one self-contained HTML file per account, plus a portfolio summary.

``odr-report DATA_DIR --date YYYY-MM-DD --out OUT_DIR`` (also ``python -m odr_analysis.report``
and ``make report``) runs the parameterised report notebook (``templates/report.ipynb``, with
papermill, one kernel per account, accounts side by side) and turns each executed notebook into
one HTML page for people who never open JupyterLab: a brand owner, a finance lead.

How a page is made, and why:

* the notebook's code cells call the section functions of this module (``headline_html``,
  ``history_figure``, ...), which return HTML with every piece of input text escaped
  (:mod:`odr_analysis.htmlsafe`), and :func:`show_chart` for the charts, which emits the chart's
  Vega-Lite spec (not a picture). Markdown cells hold the prose that does not depend on the data;
* :func:`render_page` assembles the page from the outputs only (never a code cell): the
  markdown, the HTML fragments, each chart as a live ``vega-embed`` chart. The JavaScript of
  vega, vega-lite and vega-embed is inlined once per page (``vl_convert.javascript_bundle``),
  so the file opens offline and asks nothing of any server. Live charts keep their tooltips and
  let the "try it yourself" sliders recompute in the browser, with no kernel;
* reproducible: the same data and report date give the same bytes, except the one line that
  says when the page was generated (projections are seeded; chart and element names are fixed);
* CSV exports (the defects in the window, the negative feedback) are written beside the page and
  embedded in it as download links, with formula-like cells neutralised.

Failures: a bad account folder (a broken file, no orders) fails that account only. Its line of
progress names the account and the reader's message (which names the file and line); the other
accounts are finished; the run ends with the list of failures and exit code 1.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

import altair as alt
import polars as pl

from odr_analysis import charts
from odr_analysis.drilldown import defect_breakdown, portfolio_status
from odr_analysis.engine import GROUP_KEYS, OdrParts, daily_path, prepare
from odr_analysis.explain import explain_change_from_parts
from odr_analysis.forecast import Assumptions, Projection, maturity, project
from odr_analysis.htmlsafe import Column, csv_text, escape, script_json, table
from odr_analysis.notebook import history_start, load
from odr_analysis.notebook import report_date as resolve_report_date
from odr_analysis.readers import Account, detect_format
from odr_analysis.reconcile import reconcile
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.stats import with_intervals
from odr_analysis.whatif import DropoffCalendar, defects_allowed, dropoff_calendar, removal_ranking

__all__ = [
    "CHART_MIME",
    "CSV_MIME",
    "SUMMARY_MIME",
    "TEMPLATE",
    "AccountRun",
    "ReportData",
    "ReportError",
    "RunResult",
    "change_html",
    "components_html",
    "composition_figure",
    "compute",
    "data_quality_html",
    "dropoff_figure",
    "feedback_html",
    "file_stem",
    "find_accounts",
    "generated_line",
    "headline_html",
    "history_figure",
    "javascript_bundle",
    "main",
    "page_header_html",
    "projection_figure",
    "projection_html",
    "reconciliation_html",
    "removals_html",
    "render_page",
    "run_reports",
    "show_chart",
    "show_csv",
    "show_figures",
    "show_html",
    "show_summary",
    "sources_figure",
    "summary_frame",
    "summary_page",
    "summary_rows",
    "try_it_figures",
    "try_it_html",
    "waterfall_figure",
    "what_if_chart",
    "window_defects_html",
    "write_pdf",
]

TEMPLATE: Final = Path(str(resources.files("odr_analysis") / "templates" / "report.ipynb"))
"""The parameterised report notebook (shipped inside the package)."""

CHART_MIME: Final = "application/vnd.odr-report.chart+json"
"""Output of :func:`show_chart`: ``{"spec": <Vega-Lite spec>, "caption": <HTML>}``."""
CSV_MIME: Final = "application/vnd.odr-report.csv+json"
"""Output of :func:`show_csv`: ``{"name", "label", "text"}`` (neutralised CSV text)."""
SUMMARY_MIME: Final = "application/vnd.odr-report.summary+json"
"""Output of :func:`show_summary`: the account's rows of the portfolio summary."""

GENERATED_CLASS: Final = "generated"
"""The class of the one line that differs between two runs (``Generated on ...``)."""

CHANNEL_WORDS: Final = {
    "AFN": "FBA orders (AFN, fulfilled by Amazon)",
    "MFN": "Seller-fulfilled orders (MFN)",
}
CHANNEL_SHORT: Final = {"AFN": "FBA orders", "MFN": "seller-fulfilled orders"}
STATUS_WORDS: Final = {
    "breached": "Over the target",
    "at_risk": "At risk",
    "met": "Meets the target",
    "no_orders": "No orders",
}
KIND_WORDS: Final = {
    "negative_feedback": "negative feedback",
    "a_to_z_claim": "A-to-z claim",
    "chargeback": "chargeback",
}
REMOVAL_HOW: Final = {
    "negative_feedback": (
        "ask Amazon to remove it if it breaks the feedback rules, or the buyer to withdraw it"
    ),
    "a_to_z_claim": "appeal the claim if it was decided wrongly",
    "chargeback": "represent the chargeback with proof of delivery",
}
HISTORY_DAYS: Final = 365
HORIZON_DAYS: Final = 90
N_SIMS: Final = 2000
MAX_TABLE_ROWS: Final = 200
KERNEL_ARGS: Final = ("--IPKernelApp.log_level=CRITICAL",)
_DATE_LONG: Final = "%A %d %B %Y"

SUMMARY_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "marketplace": pl.String(),
        "channel": pl.String(),
        "as_of": pl.Date(),
        "window_start": pl.Date(),
        "window_end": pl.Date(),
        "order_count": pl.Int64(),
        "defective_orders": pl.Int64(),
        "odr": pl.Float64(),
        "odr_low": pl.Float64(),
        "odr_high": pl.Float64(),
        "target": pl.Float64(),
        "expected_matured": pl.Float64(),
        "allowed": pl.Int64(),
        "over_by": pl.Int64(),
        "previous_as_of": pl.Date(),
        "previous_odr": pl.Float64(),
        "outlook": pl.String(),
    }
)


class ReportError(Exception):
    """Bad input for the whole run (no data folder, no accounts, an unusable output folder)."""


# ---------------------------------------------------------------------------------------------
# Small text helpers.


def _pct(rate: float | None, digits: int = 2) -> str:
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "n/a"
    return f"{rate:.{digits}%}"


def _target_text(target: float) -> str:
    return f"{target * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _day(day: dt.date | None) -> str:
    """``9 Feb 2026``."""
    return "" if day is None else f"{day.day} {day:%b %Y}"


def _sentence(text: str) -> str:
    """``text`` with its first letter in capitals (the rest unchanged)."""
    return text[:1].upper() + text[1:]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _points(change: float) -> str:
    value = change * 100
    sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
    return f"{sign}{abs(value):.2f} points"


def _group_name(row: Mapping[str, Any], *, several_marketplaces: bool) -> str:
    channel = CHANNEL_WORDS.get(str(row["channel"]), str(row["channel"]))
    return f"{channel} on {row['marketplace']}" if several_marketplaces else channel


# ---------------------------------------------------------------------------------------------
# The numbers of one account (computed once, in the report notebook's kernel).


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything one account's report shows, computed once by :func:`compute`.

    Frames are per (account, marketplace, channel), from the engine and the what-if, forecast
    and explain modules; see each attribute's producer.
    """

    account: Account
    as_of: dt.date
    previous: dt.date
    rules: OdrRules
    parts: OdrParts
    status: pl.DataFrame  # engine row on as_of + Wilson interval + portfolio status
    previous_status: pl.DataFrame  # engine row on the previous report date
    daily: pl.DataFrame  # odr_daily from history start to as_of
    matured: pl.DataFrame  # forecast.maturity
    projection: Projection
    allowed: pl.DataFrame  # whatif.defects_allowed
    calendar: DropoffCalendar
    ranking: pl.DataFrame  # whatif.removal_ranking
    change: pl.DataFrame  # explain.explain_change
    by_sku: pl.DataFrame  # drilldown.defect_breakdown(by="sku")
    reconciliation: pl.DataFrame | None  # reconcile.reconcile, None without a health report
    outlook: pl.DataFrame = field(repr=False)  # per group: the outlook sentence

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def marketplaces(self) -> list[str]:
        return sorted(self.status["marketplace"].unique().to_list())

    @property
    def several_marketplaces(self) -> bool:
        return len(self.marketplaces) > 1

    @property
    def target(self) -> float:
        return self.rules.target


def compute(
    data_dir: str | Path,
    account: str | None = None,
    *,
    report_date: dt.date | str | None = None,
    previous_date: dt.date | str | None = None,
    rules: OdrRules = OdrRules(),
    n_sims: int = N_SIMS,
    horizon: int = HORIZON_DAYS,
) -> ReportData:
    """Read one account and compute every number of its report.

    ``data_dir`` is a portfolio folder (then ``account`` names the account folder in it) or one
    account folder (``account=None``). ``report_date`` defaults to the last day the data covers
    (:func:`odr_analysis.notebook.default_report_date`); ``previous_date`` (the last report,
    for the change explanation and the trend) to a week earlier. Projections use ``n_sims``
    seeded simulations, so the same input gives the same numbers.
    """
    data = load(data_dir, account)
    if data.orders.is_empty():
        raise ValueError(
            f"account {data.name!r}: no orders were read, so there is no rate to report; "
            "check its orders files (see the ingest summary)"
        )
    as_of = resolve_report_date(report_date, data)
    previous = (
        as_of - dt.timedelta(days=7)
        if previous_date is None
        else to_date(previous_date, "previous_date")
    )
    if previous >= as_of:
        raise ValueError(f"previous_date ({previous}) must be before the report date ({as_of})")
    parts = prepare(data.orders, data.defects, rules=rules)
    today = daily_path(parts, start=as_of, end=as_of)
    status = with_intervals(today, rules=rules).join(
        portfolio_status(today).select(*GROUP_KEYS, "status", "headroom"), on=list(GROUP_KEYS)
    )
    projection = project(
        parts, as_of=as_of, assumptions=Assumptions(horizon_days=horizon, n_sims=n_sims)
    )
    health = data.health
    return ReportData(
        account=data,
        as_of=as_of,
        previous=previous,
        rules=rules,
        parts=parts,
        status=status.sort(GROUP_KEYS),
        previous_status=daily_path(parts, start=previous, end=previous).sort(GROUP_KEYS),
        daily=daily_path(parts, start=history_start(data, as_of, days=HISTORY_DAYS), end=as_of),
        matured=maturity(parts, as_of=as_of, n_sims=n_sims).sort(GROUP_KEYS),
        projection=projection,
        allowed=defects_allowed(parts, as_of=as_of),
        calendar=dropoff_calendar(parts, as_of=as_of),
        ranking=removal_ranking(parts, data.defects, as_of=as_of, horizon=horizon),
        change=explain_change_from_parts(parts, start=previous, end=as_of).sort(GROUP_KEYS),
        by_sku=defect_breakdown(data, as_of=as_of, by="sku", rules=rules),
        reconciliation=None
        if health.is_empty()
        else reconcile(data.orders, data.defects, health, rules=rules),
        outlook=_outlook(projection, as_of, rules.target),
    )


def _outlook(projection: Projection, as_of: dt.date, target: float) -> pl.DataFrame:
    """Per group, when the expected rate is under the target, in one sentence."""
    keys = list(GROUP_KEYS)
    t = _target_text(target)
    horizon = projection.assumptions.horizon_days
    daily = projection.daily.join(
        projection.first_under.select(*keys, "first_under"), on=keys, how="left"
    )
    back_over = (
        daily.filter(
            (pl.col("as_of") > pl.col("first_under")) & (pl.col("expected_meets_target") == False)  # noqa: E712
        )
        .group_by(keys)
        .agg(back_over=pl.col("as_of").min())
    )
    first_over = (
        daily.filter(pl.col("expected_meets_target") == False)  # noqa: E712
        .group_by(keys)
        .agg(first_over=pl.col("as_of").min())
    )
    frame = (
        projection.first_under.join(back_over, on=keys, how="left")
        .join(first_over, on=keys, how="left")
        .sort(keys)
    )
    texts = []
    for row in frame.iter_rows(named=True):  # one row per channel
        if row["rate_today"] is None or math.isnan(row["rate_today"]):
            text = "no orders in today's window"
        elif row["meets_target_today"]:
            text = (
                f"expected to stay under {t} for the next {horizon} days"
                if row["first_over"] is None
                else f"under {t} today, but expected at or over it from {_day(row['first_over'])}"
            )
        elif row["first_under"] is None:
            text = f"not expected under {t} within the next {horizon} days"
        else:
            text = (
                f"expected under {t} from {_day(row['first_under'])} "
                f"(in {_plural(row['days_until_under'], 'day')})"
            )
            if row["back_over"] is not None:
                text += f", but at or over it again from {_day(row['back_over'])}"
        texts.append(text)
    return frame.select(*keys, "first_under", "back_over", "first_over").with_columns(
        outlook=pl.Series(texts, dtype=pl.String)
    )


# ---------------------------------------------------------------------------------------------
# Emitting outputs from the notebook (read back by render_page).


def show_html(fragment: str) -> None:
    """Show an HTML fragment (built by this module, input text escaped) in the notebook."""
    from IPython.display import display

    display({"text/html": fragment}, raw=True)


def show_chart(chart: alt.TopLevelMixin, caption: str) -> None:
    """Show a chart as its Vega-Lite spec with a one-sentence ``caption`` (HTML)."""
    from IPython.display import display

    spec = chart.to_dict()
    display({CHART_MIME: {"spec": spec, "caption": caption}, "text/plain": "<chart>"}, raw=True)


def show_csv(name: str, label: str, frame: pl.DataFrame) -> None:
    """Offer ``frame`` as a CSV download (formula-like text cells neutralised)."""
    from IPython.display import display

    payload = {"name": name, "label": label, "text": csv_text(frame)}
    display({CSV_MIME: payload, "text/plain": f"<{name}>"}, raw=True)


def show_figures(figures: Iterator[tuple[alt.TopLevelMixin, str]]) -> None:
    """:func:`show_chart` for each (chart, caption) of a section's figure function."""
    for chart, caption in figures:
        show_chart(chart, caption)


def show_summary(rows: list[dict[str, Any]]) -> None:
    """Hand the account's rows of the portfolio summary to :func:`run_reports`."""
    from IPython.display import display

    display({SUMMARY_MIME: rows, "text/plain": f"<{len(rows)} summary rows>"}, raw=True)


# ---------------------------------------------------------------------------------------------
# Sections.


def page_header_html(r: ReportData) -> str:
    """Title, report date, marketplaces and window; a link back to the portfolio summary."""
    window = r.rules.window(r.as_of)
    markets = ", ".join(r.marketplaces)
    return (
        '<nav class="back"><a href="index.html">\u2190 Portfolio summary</a></nav>'
        f"<h1>Order Defect Rate: {escape(r.name)}</h1>"
        f'<p class="meta">Report date <strong>{escape(r.as_of.strftime(_DATE_LONG))}</strong>'
        f" \u00b7 {escape(markets)} \u00b7 Amazon counts the orders placed from "
        f"{escape(_day(window.start))} to {escape(_day(window.end))}</p>"
    )


def headline_html(r: ReportData) -> str:
    """One card per channel: status, rate with its interval, matured rate, headroom, outlook."""
    t = _target_text(r.target)
    keys = list(GROUP_KEYS)
    rows = (
        r.status.join(
            r.matured.select(*keys, "expected_matured", matured_low="low", matured_high="high"),
            on=keys,
            how="left",
        )
        .join(r.allowed.select(*keys, "allowed", "over_by"), on=keys, how="left")
        .join(r.outlook.select(*keys, "outlook"), on=keys, how="left")
        .sort(keys)
    )
    cards = []
    for row in rows.iter_rows(named=True):  # one per channel
        name = _group_name(row, several_marketplaces=r.several_marketplaces)
        status = row["status"]
        if row["order_count"] == 0:
            body = "<p>No orders in today's window, so there is no rate.</p>"
        else:
            interval = (
                f"With {row['order_count']:,} orders, chance alone could put it anywhere from "
                f"{_pct(row['odr_low'])} to {_pct(row['odr_high'])} (95% interval)."
            )
            if row["over_by"]:
                room = (
                    f"{_plural(row['over_by'], 'defective order')} too many: that many must "
                    f"leave the window or be removed to get under {t}."
                )
            elif not row["allowed"]:
                room = (
                    f"One more defective order would put it at or over {t}: with "
                    f"{row['order_count']:,} orders, each one moves the rate by "
                    f"{_pct(1 / row['order_count'])}."
                )
            else:
                room = (
                    f"Room for {_plural(row['allowed'], 'more defective order')} before "
                    f"reaching {t}."
                )
            matured = (
                "No settled rate yet: too few older orders to estimate it."
                if row["expected_matured"] is None
                else f"Expected to settle at {_pct(row['expected_matured'])} (likely "
                f"{_pct(row['matured_low'])} to {_pct(row['matured_high'])}) once the "
                "feedback and claims still to come on recent orders have arrived."
            )
            body = (
                f'<p class="rate"><strong>{_pct(row["odr"])}</strong> today: '
                f"{row['defective_orders']:,} defective of {row['order_count']:,} orders.</p>"
                f"<ul><li>{escape(interval)}</li><li>{escape(matured)}</li>"
                f"<li>{escape(room)}</li>"
                f"<li><strong>{escape(_sentence(str(row['outlook'])))}.</strong></li></ul>"
            )
        cards.append(
            f'<div class="card status-{escape(status)}"><h3>{escape(name)}</h3>'
            f'<p class="badge">{escape(STATUS_WORDS.get(status, status))}</p>{body}</div>'
        )
    return (
        f'<p class="lead">{escape(_lead(r))}</p>'
        f'<div class="cards">{"".join(cards)}</div>'
        f'<p class="note">Amazon\'s target is an ODR under {escape(t)} for each channel; '
        f"{escape('exactly ' + t + ' does not meet it.')}</p>"
    )


def _lead(r: ReportData) -> str:
    """The one-sentence verdict at the top of the page."""
    t = _target_text(r.target)
    over = r.status.filter(pl.col("status") == "breached")
    risk = r.status.filter(pl.col("status") == "at_risk")
    several = r.several_marketplaces
    if over.height:
        names = " and ".join(
            _lower_first(_group_name(row, several_marketplaces=several))
            for row in over.iter_rows(named=True)
        )
        return f"Action needed: {names} are over Amazon's {t} target."
    if risk.height:
        names = " and ".join(
            _lower_first(_group_name(row, several_marketplaces=several))
            for row in risk.iter_rows(named=True)
        )
        return f"Watch closely: {names} are close to Amazon's {t} target."
    if r.status.filter(pl.col("status") == "met").height:
        return f"All channels are under Amazon's {t} target."
    return "No orders in today's window: there is no rate to report."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _mine(frame: pl.DataFrame, marketplace: str) -> pl.DataFrame:
    return frame.filter(pl.col("marketplace") == marketplace)


def _marketplace_title(r: ReportData, marketplace: str, title: str) -> str:
    return f"{title} ({marketplace})" if r.several_marketplaces else title


def history_figure(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """The rate over the past year with the expected settled rate, and what it means."""
    for market in r.marketplaces:
        daily = _mine(r.daily, market)
        chart = charts.odr_over_time(
            daily,
            matured=_mine(r.matured, market),
            title=_marketplace_title(r, market, "The rate Amazon showed on each day"),
        )
        first = _date_or_none(daily["as_of"].min())
        meaning = []
        for channel, group in daily.sort("as_of").group_by("channel", maintain_order=True):
            name = CHANNEL_SHORT.get(str(channel[0]), str(channel[0]))
            run_start = _breach_start(group, r.target)
            if run_start is not None:
                meaning.append(f"{name} have been over the target since {_day(run_start)}")
            elif group["odr"].drop_nulls().ge(r.target).any():
                last = _date_or_none(group.filter(pl.col("odr") >= r.target)["as_of"].max())
                meaning.append(f"{name} were last over the target on {_day(last)}")
            else:
                meaning.append(f"{name} stayed under the target throughout")
        caption = (
            f"Each line is the rate Amazon showed on each report date since {_day(first)} "
            "(shaded stretches were at or over the target; the dashed end is where today's "
            f"rate is expected to settle): {'; '.join(meaning)}."
        )
        yield chart, escape(caption)


def _breach_start(group: pl.DataFrame, target: float) -> dt.date | None:
    """The first day of the run of breach days that includes the last day, or None."""
    odr = group["odr"]
    if odr.len() == 0 or odr[-1] is None or odr[-1] < target:
        return None
    ok = group.with_columns(breach=(pl.col("odr") >= target).fill_null(False))
    not_breach = ok.filter(~pl.col("breach"))["as_of"]
    if not_breach.len() == 0:
        return _date_or_none(group["as_of"].min())
    last_ok = _date_or_none(not_breach.max())
    return None if last_ok is None else last_ok + dt.timedelta(days=1)


def _date_or_none(value: object) -> dt.date | None:
    """A date from a polars aggregate (``Series.min()`` is typed loosely)."""
    return value if isinstance(value, dt.date) else None


def components_html(r: ReportData) -> str:
    """Per channel: the orders in the window and the three kinds of defect behind the rate."""

    def share(count_col: str) -> Callable[[Mapping[str, Any]], str]:
        return lambda row: (
            ""
            if not row["order_count"]
            else f"{row[count_col]:,} ({_pct(row[count_col] / row['order_count'])})"
        )

    rows = [
        {
            "group": _group_name(row, several_marketplaces=r.several_marketplaces),
            "orders": row["order_count"],
            "defective": share("defective_orders")(row),
            "feedback": share("negative_feedback")(row),
            "claims": share("a_to_z_claims")(row),
            "chargebacks": share("chargebacks")(row),
        }
        for row in r.status.iter_rows(named=True)
    ]
    return table(
        rows,
        [
            Column("group", "Channel"),
            Column("orders", "Orders in the window", numeric=True),
            Column("defective", "Defective orders", numeric=True),
            Column("feedback", "With negative feedback", numeric=True),
            Column("claims", "With an A-to-z claim", numeric=True),
            Column("chargebacks", "With a chargeback", numeric=True),
        ],
        caption="An order with two kinds of defect counts once as defective and once in each kind.",
    )


def composition_figure(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """The three kinds of defect over the past year."""
    for market in r.marketplaces:
        daily = _mine(r.daily, market)
        chart = charts.composition_over_time(
            daily, title=_marketplace_title(r, market, "Defective orders in the window by kind")
        )
        today = _mine(r.status, market)
        totals = {
            kind: int(today[col].sum())
            for kind, col in (
                ("negative feedback", "negative_feedback"),
                ("A-to-z claims", "a_to_z_claims"),
                ("chargebacks", "chargebacks"),
            )
        }
        if sum(totals.values()) == 0:
            meaning = "today's window holds no defect of any kind"
        else:
            kind, count = max(totals.items(), key=lambda item: (item[1], item[0]))
            meaning = f"today most defective orders come from {kind} ({count:,})"
        caption = (
            "Each line counts the orders in each day's window with one kind of defect (black: "
            f"with any kind): {meaning}."
        )
        yield chart, escape(caption)


def change_html(r: ReportData) -> str:
    """The change since the previous report date, in words, per channel."""
    items = []
    for row in r.change.iter_rows(named=True):
        name = _group_name(row, several_marketplaces=r.several_marketplaces)
        text = row["message"] or row["reason"] or "no change to explain"
        items.append(f"<li><strong>{escape(name)}:</strong> {escape(text)}.</li>")
    return (
        f"<p>Since the last report on {escape(r.previous.strftime(_DATE_LONG))}:</p>"
        f"<ul>{''.join(items)}</ul>"
    )


def waterfall_figure(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """The change since the previous report date as a waterfall of its causes."""
    for market in r.marketplaces:
        change = _mine(r.change, market)
        chart = charts.waterfall_chart(
            change,
            title=_marketplace_title(
                r, market, f"Why the rate moved between {_day(r.previous)} and {_day(r.as_of)}"
            ),
        )
        parts = {
            "new defects": "new_defects",
            "defective orders leaving the window": "defective_left",
            "new orders": "new_orders",
            "clean orders leaving the window": "clean_left",
        }
        biggest = []
        for row in change.iter_rows(named=True):
            if row["change"] is None:
                continue
            values = {name: row[col] or 0.0 for name, col in parts.items()}
            name, value = max(values.items(), key=lambda item: (abs(item[1]), item[0]))
            channel = str(row["channel"])
            if value == 0:
                biggest.append(f"{channel} did not move")
            else:
                biggest.append(f"for {channel} the largest cause is {name} ({_points(value)})")
        meaning = "; ".join(biggest) if biggest else "there was no rate to compare"
        caption = (
            "Each bar is one cause of the change, from the rate on the last report date to "
            f"today's (red bars pushed the rate up, blue bars down): {meaning}."
        )
        yield chart, escape(caption)


def _window_defects(r: ReportData) -> pl.DataFrame:
    """The defective orders in today's window, when each leaves it, and the buyer's comment."""
    feedback = (
        r.account.feedback.filter(pl.col("date") <= r.as_of)
        .sort("account", "order_id", "date", "line")
        .group_by("account", "order_id", maintain_order=True)
        .agg(pl.col("comments").last(), pl.col("rating").last())
    )
    return (
        r.calendar.defects.join(feedback, on=["account", "order_id"], how="left")
        .with_columns(
            comments=pl.when(pl.col("negative_feedback")).then(pl.col("comments")),
            kinds=pl.col("kinds").list.eval(
                pl.element().replace_strict(KIND_WORDS, return_dtype=pl.String)
            ),
        )
        .sort("leaves_window_on", "channel", "order_id")
    )


def window_defects_html(r: ReportData) -> tuple[str, pl.DataFrame]:
    """The table of defective orders still in the window, and the frame for the CSV export."""
    frame = _window_defects(r)
    export = frame.select(
        "marketplace",
        "channel",
        "order_id",
        "order_date",
        defects=pl.col("kinds"),
        counted_since="first_counted",
        leaves_window_on="leaves_window_on",
        days_left="days_left",
        buyer_comment="comments",
    )
    if frame.is_empty():
        return "<p>No defective order is in today's window.</p>", export
    columns = [
        Column("channel", "Channel"),
        Column("order_id", "Order", nowrap=True),
        Column("order_date", "Ordered", nowrap=True),
        Column("kinds", "Defect"),
        Column("first_counted", "Counted since", nowrap=True),
        Column("leaves_window_on", "Leaves the window on", nowrap=True),
        Column("days_left", "Days left", numeric=True),
        Column("comments", "Buyer's comment"),
    ]
    if r.several_marketplaces:
        columns.insert(0, Column("marketplace", "Marketplace"))
    shown = frame.head(MAX_TABLE_ROWS)
    more = (
        f" The first {MAX_TABLE_ROWS} are shown; the CSV file has all {frame.height:,}."
        if frame.height > MAX_TABLE_ROWS
        else ""
    )
    intro = (
        f"<p>{escape(_plural(frame.height, 'defective order'))} in today's window, the first "
        f"to leave first. A defect counts until its order leaves the window, "
        f"{r.rules.lag_days + r.rules.window_days} days after the order date, whatever "
        f"happens in between.{escape(more)}</p>"
    )
    return intro + table(shown, columns), export


def dropoff_figure(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """The rate stepping down as defective orders leave, if nothing new happened."""
    cal = r.calendar
    for market in r.marketplaces:
        mine = SimpleNamespace(
            today=_mine(cal.today, market),
            path=_mine(cal.path, market),
            defects=_mine(cal.defects, market),
        )
        chart = charts.dropoff_chart(
            mine, title=_marketplace_title(r, market, "If nothing new happens: the rate falls")
        )
        meaning = []
        for row in mine.today.sort("channel").iter_rows(named=True):
            channel = str(row["channel"])
            if row["odr"] is None:
                continue
            if row["odr"] >= r.target:
                under = _date_or_none(
                    mine.path.filter((pl.col("channel") == channel) & (pl.col("odr") < r.target))[
                        "as_of"
                    ].min()
                )
                meaning.append(
                    f"{channel} would be under the target from {_day(under)}"
                    if under is not None
                    else f"{channel} would not get under the target by itself"
                )
            else:
                last = _date_or_none(
                    mine.defects.filter(pl.col("channel") == channel)["leaves_window_on"].max()
                )
                meaning.append(
                    f"{channel}'s last defective order in the window leaves on {_day(last)}"
                    if last is not None
                    else f"{channel} has no defective order in the window"
                )
        caption = (
            "The line is each channel's rate on the coming report dates if no new order and no "
            "new defect arrived, stepping down on each day a defective order leaves the window: "
            f"{'; '.join(meaning) or 'there is no rate'}."
        )
        yield chart, escape(caption)


def removals_html(r: ReportData, *, top: int = 10) -> str:
    """The defects whose removal would save the most days over the target, best first."""
    t = _target_text(r.target)
    useful = r.ranking.filter(pl.col("days_saved") > 0).head(top)
    if useful.is_empty():
        return (
            "<p>No single removal would shorten the time over the target in the next "
            f"{HORIZON_DAYS} days: either the channels stay under {escape(t)}, or it would "
            "take more than one removal on every day over it.</p>"
        )
    frame = useful.with_columns(
        kind_words=pl.col("kind").replace_strict(KIND_WORDS, return_dtype=pl.String),
        how=pl.col("kind").replace_strict(REMOVAL_HOW, return_dtype=pl.String),
        status=pl.col("status").str.replace_all("_", " "),
    )
    columns = [
        Column("rank", "Rank", numeric=True),
        Column("channel", "Channel"),
        Column("order_id", "Order", nowrap=True),
        Column("kind_words", "Defect"),
        Column("event_date", "Received", nowrap=True),
        Column("status", "Status"),
        Column("days_saved", "Days over target saved", numeric=True),
        Column("rate_today_without", "Rate today without it", _pct, numeric=True),
        Column("leaves_window_on", "Leaves the window on", nowrap=True),
        Column("how", "How"),
    ]
    return (
        f"<p>Removing one of these defects would shorten the time over {escape(t)} the most, "
        f"counting the days over it in the next {HORIZON_DAYS} days that the removal alone "
        "would save (with your usual orders a day to come).</p>" + table(frame, columns)
    )


def sources_figure(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """Defective orders per product (SKU) in today's window."""
    for market in r.marketplaces:
        breakdown = _mine(r.by_sku, market)
        chart = charts.drilldown_chart(breakdown)
        worst = breakdown.filter(pl.col("defective_orders") > 0).sort(
            ["defective_orders", "rate"], descending=True
        )
        if worst.is_empty():
            meaning = "no product has a defective order in today's window"
        else:
            row = worst.row(0, named=True)
            meaning = (
                f"{row['value']} has the most ({row['defective_orders']:,} of its "
                f"{row['orders']:,} orders, {row['channel']})"
            )
        caption = (
            "Bars count the defective orders of each product in today's window and the dots "
            "show its defect rate with its likely range (an order of two products counts for "
            f"both): {meaning}."
        )
        yield chart, escape(caption)


def projection_html(r: ReportData) -> str:
    """The projection's assumptions, in words, per channel."""
    items = []
    inputs = r.projection.inputs.join(r.outlook, on=list(GROUP_KEYS), how="left")
    for row in inputs.sort(list(GROUP_KEYS)).iter_rows(named=True):
        name = _group_name(row, several_marketplaces=r.several_marketplaces)
        items.append(
            f"<li><strong>{escape(name)}:</strong> {escape(_assumption_words(row))} "
            f"<em>{escape(_sentence(str(row['outlook'])))}.</em></li>"
        )
    a = r.projection.assumptions
    return (
        "<p>The projection assumes:</p>"
        f"<ul>{''.join(items)}</ul>"
        f"<p>Each new order's defects arrive as late after the order as this account's defects "
        f"have in the past, and so do the defects still to come on orders already placed. The "
        f"band covers {escape(f'{a.level:.0%}')} of {escape(f'{a.n_sims:,}')} simulated futures "
        "(the same every run).</p>"
    )


def _assumption_words(row: Mapping[str, Any]) -> str:
    orders = row["daily_orders"]
    rate = row["defect_rate"]
    orders_text = f"{orders:,.1f} orders a day ({row['daily_orders_source']})"
    if rate is None or math.isnan(rate):
        rate_text = "no defect rate could be estimated"
    else:
        rate_text = f"{_pct(rate)} of them defective ({row['defect_rate_source']})"
    return f"{orders_text}, {rate_text}."


def projection_figure(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """The projected rate with its band and the chance of being over the target."""
    for market in r.marketplaces:
        daily = _mine(r.projection.daily, market)
        chart = charts.projection_chart(
            daily,
            history=_mine(r.daily, market),
            title=_marketplace_title(r, market, f"The next {HORIZON_DAYS} days"),
        )
        outlook = _mine(r.outlook, market).sort("channel")
        meaning = "; ".join(
            f"{row['channel']} is {row['outlook']}" for row in outlook.iter_rows(named=True)
        )
        caption = (
            "The solid line is the rate so far and the dashed line the expected rate on each "
            "coming report date, with the band its likely range and, below, the chance of being "
            f"at or over the target: {meaning}."
        )
        yield chart, escape(caption)


# ---------------------------------------------------------------------------------------------
# The client-side what-if chart: sliders that work in the HTML file, with no kernel.


def _what_if_frame(r: ReportData, marketplace: str, channel: str) -> pl.DataFrame:
    """Known orders and known defective orders in the window of each coming report date."""
    width = r.rules.window_days
    cal = r.calendar
    mine = (pl.col("marketplace") == marketplace) & (pl.col("channel") == channel)
    cols = ["as_of", "window_start", "window_end", "order_count", "defective_orders"]
    path = pl.concat([cal.today.filter(mine).select(cols), cal.path.filter(mine).select(cols)])
    first_new = r.as_of + dt.timedelta(days=1)
    return (
        path.sort("as_of")
        .with_columns(
            day=(pl.col("as_of") - pl.lit(r.as_of)).dt.total_days().cast(pl.Int64),
            # order dates after the report date inside that window: the days of new orders
            new_days=(
                (
                    pl.col("window_end")
                    - pl.max_horizontal(pl.col("window_start"), pl.lit(first_new))
                )
                .dt.total_days()
                .add(1)
                .clip(lower_bound=0, upper_bound=width)
                .cast(pl.Int64)
            ),
        )
        .drop("window_start", "window_end")
    )


def what_if_chart(
    r: ReportData, marketplace: str, channel: str, *, orders_a_day: float, defect_rate: float
) -> alt.TopLevelMixin:
    """The rate on each coming report date, recomputed in the browser from two sliders.

    For report date ``d``: ``rate = (K + x * days * p) / (N + x * days)``, where ``K`` and
    ``N`` are the orders already defective today and the orders already placed in ``d``'s
    window, ``x`` the new orders a day (slider), ``p`` the share of them defective (slider)
    and ``days`` the number of order dates after today in ``d``'s window. Defects still to come
    on orders already placed are left out (the projection includes them). The params have
    fixed names (``orders_a_day``, ``defect_rate``) so the spec is the same every run.
    """
    frame = _what_if_frame(r, marketplace, channel)
    target = r.target
    top_orders = max(10, math.ceil(orders_a_day * 3 / 5) * 5)
    step_orders = 1 if top_orders > 20 else 0.5
    orders_value = math.floor(orders_a_day / step_orders + 0.5) * step_orders  # half up
    top_rate = max(3.0, math.ceil(defect_rate * 100 * 2))
    orders = alt.param(
        name="orders_a_day",
        value=orders_value,
        bind=alt.binding_range(
            min=0, max=top_orders, step=step_orders, name=f"New {channel} orders a day "
        ),
    )
    share = alt.param(
        name="defect_rate",
        value=round(defect_rate * 100, 1),
        bind=alt.binding_range(
            min=0, max=top_rate, step=0.1, name="Of which end up defective (%) "
        ),
    )
    base = (
        alt.Chart(frame)
        .transform_calculate(new_orders="orders_a_day * datum.new_days")
        .transform_calculate(
            rate="datum.order_count + datum.new_orders > 0 ? (datum.defective_orders + "
            "datum.new_orders * defect_rate / 100) / (datum.order_count + datum.new_orders) "
            ": null",
            date="time(toDate(datum.as_of))",
        )
    )
    x = alt.X("as_of:T", title="Report date", axis=alt.Axis(format=charts.DATE_FORMAT))
    y = alt.Y("rate:Q", title="Order Defect Rate", axis=alt.Axis(format=".2%"))
    color = charts.PALETTE["blue"] if channel == "AFN" else charts.PALETTE["orange"]
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5, color=color).encode(x=x, y=y)
    points = base.mark_point(opacity=0, size=60, filled=True).encode(
        x=x,
        y=y,
        tooltip=[
            alt.Tooltip("as_of:T", title="Report date", format=charts.DATE_FORMAT),
            alt.Tooltip("rate:Q", title="Rate", format=".2%"),
            alt.Tooltip("order_count:Q", title="Orders already placed", format=",d"),
            alt.Tooltip("defective_orders:Q", title="Already defective", format=",d"),
            alt.Tooltip("new_orders:Q", title="New orders", format=",.0f"),
        ],
    )
    rule = (
        alt.Chart(pl.DataFrame({"target": [target]}))
        .mark_rule(color=charts.PALETTE["vermillion"], strokeDash=[6, 4])
        .encode(y=alt.Y("target:Q", title="Order Defect Rate"))
    )
    t = _target_text(target)
    days = frame.height - 1
    when = "timeFormat(datum.{}, '%-d %b %Y')"
    label = (
        base.transform_calculate(
            today_rate="datum.day == 0 ? datum.rate : null",
            under=f"datum.day > 0 && isValid(datum.rate) && datum.rate < {target} ? datum.date "
            ": null",
            over=f"datum.day > 0 && isValid(datum.rate) && datum.rate >= {target} ? datum.date "
            ": null",
        )
        .transform_joinaggregate(first_under="min(under)")
        .transform_calculate(
            over_after="isValid(datum.over) && isValid(datum.first_under) && "
            "datum.over > datum.first_under ? datum.over : null"
        )
        .transform_aggregate(
            today="max(today_rate)",
            under_on="min(under)",
            over_on="min(over)",
            back_on="min(over_after)",
        )
        .transform_calculate(
            label=(
                "!isValid(datum.today) ? 'No orders in the window' : "
                f"datum.today >= {target} ? "
                f"(!isValid(datum.under_on) ? 'Not under {t} within {days} days' : "
                f"'Under {t} from ' + {when.format('under_on')} + "
                f"(isValid(datum.back_on) ? ', at or over it again from ' + "
                f"{when.format('back_on')} : '')) : "
                f"(!isValid(datum.over_on) ? 'Stays under {t} for {days} days' : "
                f"'At or over {t} from ' + {when.format('over_on')})"
            )
        )
        .mark_text(align="left", baseline="top", fontSize=14, fontWeight="bold", dx=6, dy=6)
        .encode(x=alt.value(0), y=alt.value(0), text="label:N")
    )
    title = alt.Title(
        f"Try it: {CHANNEL_WORDS.get(channel, channel)}"
        + (f" on {marketplace}" if r.several_marketplaces else ""),
        subtitle=["Move the sliders below the chart: the line is recomputed in your browser."],
        anchor="start",
    )
    return alt.layer(line, points, rule, label, width=640, height=240, title=title).add_params(
        orders, share
    )


def try_it_html(r: ReportData) -> str:
    """How the sliders' chart computes its line (the formula, in words)."""
    return (
        "<p>The sliders below each chart change the new orders a day and the share of them "
        "that end up defective; the line is recomputed in your browser from the orders and "
        "defects known today:</p>"
        '<p class="formula">rate on a report date = (orders already defective in that '
        "window + new orders \u00d7 defective share) \u00f7 (orders already placed in that "
        "window + new orders), with new orders = orders a day \u00d7 the days after today "
        "whose orders are in that window.</p>"
        f"<p>New orders only count {r.rules.lag_days} days after they are placed, when they "
        "enter the window. This leaves out the feedback and claims still to come on orders "
        "already placed (the projection above includes them), so it is the better case of "
        "the two.</p>"
    )


def try_it_figures(r: ReportData) -> Iterator[tuple[alt.TopLevelMixin, str]]:
    """One slider chart per channel with orders."""
    inputs = r.projection.inputs.sort(list(GROUP_KEYS))
    for row in inputs.iter_rows(named=True):
        status = r.status.filter(
            (pl.col("marketplace") == row["marketplace"]) & (pl.col("channel") == row["channel"])
        )
        if status.is_empty() or (status["order_count"].sum() == 0 and not row["daily_orders"]):
            continue
        rate = row["defect_rate"]
        rate = 0.0 if rate is None or math.isnan(rate) else rate
        chart = what_if_chart(
            r,
            row["marketplace"],
            row["channel"],
            orders_a_day=row["daily_orders"],
            defect_rate=rate,
        )
        caption = (
            f"The line is the {row['channel']} rate on each coming report date with the new "
            "orders set by the sliders (they start at your usual orders a day and your settled "
            "defect rate); the label says when it is under the target, or over it again."
        )
        yield chart, escape(caption)


def reconciliation_html(r: ReportData) -> str:
    """Our numbers against Amazon's account-health report, when the folder has one."""
    if r.reconciliation is None:
        return (
            "<p>The data folder holds no account-health report from Amazon, so there is "
            "nothing to compare with. Download it (Performance \u203a Account Health, report "
            "GET_V2_SELLER_PERFORMANCE_REPORT) and put it in the account's folder.</p>"
        )
    frame = r.reconciliation.sort("marketplace", "channel", "window_end").with_columns(
        verdict=pl.when(pl.col("match"))
        .then(pl.lit("Same as Amazon"))
        .otherwise(pl.concat_str(pl.lit("Different: "), pl.col("explanation"), ignore_nulls=True)),
        window=pl.concat_str(
            pl.col("window_start").dt.strftime("%-d %b %Y"),
            pl.lit(" to "),
            pl.col("window_end").dt.strftime("%-d %b %Y"),
        ),
    )
    columns = [
        Column("channel", "Channel"),
        Column("window", "Orders placed"),
        Column("rate_amazon", "Amazon's rate", _pct, numeric=True),
        Column("rate_ours", "Ours", _pct, numeric=True),
        Column("order_count_amazon", "Amazon's orders", numeric=True),
        Column("order_count_ours", "Ours", numeric=True),
        Column("defective_orders_amazon", "Amazon's defective", numeric=True),
        Column("defective_orders_ours", "Ours", numeric=True),
        Column("verdict", "Verdict"),
    ]
    if r.several_marketplaces:
        columns.insert(0, Column("marketplace", "Marketplace"))
    agree = frame["match"].all()
    lead = (
        "Every figure of Amazon's own account-health report is the same as ours."
        if agree
        else "Some of Amazon's figures differ from ours; the verdict says where to look."
    )
    return (
        f"<p>{escape(lead)} Our numbers are recomputed from the order files for exactly the "
        "window of Amazon's report.</p>" + table(frame, columns, row_class=_match_class)
    )


def _match_class(row: Mapping[str, Any]) -> str | None:
    return None if row.get("match") else "mismatch"


def data_quality_html(r: ReportData) -> str:
    """The files read, their rows kept, excluded and rejected, and the reasons."""
    ingest = r.account.ingest.sort("file")
    totals = ingest.select(pl.col("rows_read", "kept", "excluded", "rejected").sum()).row(
        0, named=True
    )
    columns = [
        Column("file", "File"),
        Column("format", "What it is", lambda v: str(v).replace("_", " ")),
        Column("rows_read", "Rows read", numeric=True),
        Column("kept", "Kept", numeric=True),
        Column("excluded", "Left out on purpose", numeric=True),
        Column("rejected", "Rejected", numeric=True),
        Column("note", "Note"),
    ]
    reasons = (
        r.account.rejects.with_columns(
            reason=pl.col("reason").str.split(" (").list.first().str.replace_all(r",? line \d+", "")
        )
        .group_by("outcome", "reason")
        .agg(rows=pl.len().cast(pl.Int64))
        .sort(["rows", "outcome", "reason"], descending=[True, False, False])
    )
    reason_table = (
        ""
        if reasons.is_empty()
        else table(
            reasons.head(20),
            [
                Column("outcome", "Outcome"),
                Column("reason", "Reason"),
                Column("rows", "Rows", numeric=True),
            ],
            caption="Why rows were not kept",
        )
    )
    summary = (
        f"{_plural(ingest.height, 'file')} read: {totals['rows_read']:,} rows, of which "
        f"{totals['kept']:,} kept, {totals['excluded']:,} left out on purpose (such as "
        f"Multi-Channel Fulfillment orders, which are not Amazon orders, and rows repeated by "
        f"overlapping exports) and {totals['rejected']:,} rejected. Every row is accounted for."
    )
    return f"<p>{escape(summary)}</p>" + table(ingest, columns) + reason_table


def feedback_html(r: ReportData) -> tuple[str, pl.DataFrame]:
    """Every negative feedback in the files (1-2 stars), newest first; and the CSV frame."""
    limit = r.rules.negative_feedback_max_rating
    frame = (
        r.account.feedback.filter(pl.col("rating") <= limit)
        .sort(["date", "order_id"], descending=[True, False])
        .with_columns(status=pl.col("status").str.replace_all("_", " "))
        .select("order_id", "date", "rating", "status", "comments", "response")
    )
    if frame.is_empty():
        return "<p>No negative feedback in the files.</p>", frame
    columns = [
        Column("date", "Received", nowrap=True),
        Column("order_id", "Order", nowrap=True),
        Column("rating", "Stars", numeric=True),
        Column("status", "Status"),
        Column("comments", "Comment"),
        Column("response", "Your response"),
    ]
    more = (
        f" The newest {MAX_TABLE_ROWS} are shown; the CSV file has all {frame.height:,}."
        if frame.height > MAX_TABLE_ROWS
        else ""
    )
    intro = (
        f"<p>{escape(_plural(frame.height, 'negative feedback', 'negative feedbacks'))} "
        f"({limit} stars or fewer) in the files, newest first. Removed, struck-through and "
        f"withdrawn ones do not count against the rate.{escape(more)}</p>"
    )
    return intro + table(frame.head(MAX_TABLE_ROWS), columns), frame


def summary_rows(r: ReportData) -> list[dict[str, Any]]:
    """The account's rows of the portfolio summary (JSON-ready: dates as ISO text)."""
    keys = list(GROUP_KEYS)
    frame = (
        r.status.select(
            *keys,
            "as_of",
            "window_start",
            "window_end",
            "order_count",
            "defective_orders",
            "odr",
            "odr_low",
            "odr_high",
            "target",
        )
        .join(r.matured.select(*keys, "expected_matured"), on=keys, how="left")
        .join(r.allowed.select(*keys, "allowed", "over_by"), on=keys, how="left")
        .join(
            r.previous_status.select(*keys, previous_as_of="as_of", previous_odr="odr"),
            on=keys,
            how="left",
        )
        .join(r.outlook.select(*keys, "outlook"), on=keys, how="left")
        .select(SUMMARY_SCHEMA.names())
        .sort(keys)
    )
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append(
            {
                k: v.isoformat()
                if isinstance(v, dt.date)
                else None
                if isinstance(v, float) and math.isnan(v)
                else v
                for k, v in row.items()
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Page assembly (in the process that runs the notebooks).

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
_bundle_cache: dict[str, str] = {}


def javascript_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (made once per process: it takes seconds)."""
    with _bundle_lock:
        if "js" not in _bundle_cache:
            import vl_convert

            # The stub wants a snippet; without one the bundle sets window.vegaEmbed etc.
            bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]
            if "</script" in bundle.lower():  # pragma: no cover - would break the page
                raise RuntimeError("the vega bundle holds '</script'; it cannot be inlined")
            _bundle_cache["js"] = bundle
        return _bundle_cache["js"]


def _markdown(text: str) -> str:
    import mistune

    return str(mistune.html(text))


@dataclass
class _Page:
    body: list[str] = field(default_factory=list)
    charts: int = 0
    csv_files: list[tuple[str, str]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _collect(nb: Any, csv_prefix: str) -> _Page:
    """Walk the executed notebook: markdown cells and the outputs of code cells."""
    page = _Page()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            page.body.append(_markdown(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                if output.get("name") == "stderr" and output.get("text", "").strip():
                    page.notes.append(output["text"].strip())
                continue
            if kind == "error":  # papermill raises before this; never shown as a page
                raise RuntimeError(f"{output.get('ename')}: {output.get('evalue')}")
            data = output.get("data", {})
            if CHART_MIME in data:
                payload = data[CHART_MIME]
                page.charts += 1
                ident = f"chart-{page.charts}"
                page.body.append(
                    f'<figure class="chart"><div class="vega-chart" id="{ident}"></div>'
                    f"<figcaption>{payload['caption']}</figcaption></figure>"
                    f'<script type="application/json" id="{ident}-spec">'
                    f"{script_json(payload['spec'])}</script>"
                )
            elif CSV_MIME in data:
                payload = data[CSV_MIME]
                name = f"{csv_prefix}-{payload['name']}"
                page.csv_files.append((name, payload["text"]))
                encoded = base64.b64encode(payload["text"].encode("utf-8")).decode("ascii")
                page.body.append(
                    f'<p><a class="download" download="{escape(name)}" '
                    f'href="data:text/csv;charset=utf-8;base64,{encoded}">'
                    f"{escape(payload['label'])} (CSV, {escape(name)})</a></p>"
                )
            elif SUMMARY_MIME in data:
                page.summary.extend(data[SUMMARY_MIME])
            elif "text/html" in data:
                page.body.append(data["text/html"])
    return page


def _document(title: str, body: str, generated: str, *, scripts: bool) -> str:
    """A complete page: head with the CSS, the body, the generated line, the chart scripts."""
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


def render_page(nb: Any, *, account: str, generated: str, csv_prefix: str) -> tuple[str, _Page]:
    """The HTML page of an executed report notebook, and what else it carried (CSV, summary)."""
    page = _collect(nb, csv_prefix)
    html_text = _document(
        f"Order Defect Rate: {account}", "\n".join(page.body), generated, scripts=True
    )
    return html_text, page


def generated_line(now: dt.datetime | None = None) -> str:
    """``Generated on 2026-02-23 09:14 UTC by odr-analysis 0.1.0``: the one line that changes."""
    from odr_analysis import __version__

    moment = now or dt.datetime.now(dt.UTC)
    return f"Generated on {moment:%Y-%m-%d %H:%M} UTC by odr-analysis {__version__}"


# ---------------------------------------------------------------------------------------------
# The portfolio summary.


def summary_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Rows of :func:`summary_rows` (from every account) as a frame of :data:`SUMMARY_SCHEMA`."""
    dates = [name for name, dtype in SUMMARY_SCHEMA.items() if dtype == pl.Date]
    text_schema = {n: pl.String if n in dates else d for n, d in SUMMARY_SCHEMA.items()}
    frame = pl.DataFrame(list(rows), schema=text_schema)
    return frame.with_columns(pl.col(dates).str.to_date("%Y-%m-%d"))


def _trend(row: Mapping[str, Any]) -> str:
    now, before = row["odr"], row["previous_odr"]
    if now is None or before is None:
        return "\u2013 no earlier rate"
    change = now - before
    if abs(change) < 5e-5:
        return "\u2192 unchanged"
    arrow = "\u25b2" if change > 0 else "\u25bc"
    return f"{arrow} {_points(change)}"


def _headroom(row: Mapping[str, Any]) -> str:
    if row["order_count"] in (None, 0):
        return "no orders"
    if row["over_by"]:
        return f"{_plural(row['over_by'], 'defective order')} too many"
    if not row["allowed"]:
        return "none: one more defective order puts it over"
    return f"room for {_plural(row['allowed'], 'more defective order')}"


def summary_page(
    rows: pl.DataFrame,
    *,
    links: Mapping[str, str],
    failures: Sequence[tuple[str, str]],
    generated: str,
    source: str,
) -> str:
    """The portfolio summary: one table of every account and channel, sorted by risk.

    ``rows`` has :data:`SUMMARY_SCHEMA`; ``links`` maps an account to its report's file name;
    ``failures`` lists (account, message) of the accounts without a report.
    """
    from great_tables import GT, loc, style

    ranked = (
        portfolio_status(rows)
        .sort("risk_rank")
        .with_columns(
            status_words=pl.col("status").replace_strict(STATUS_WORDS, return_dtype=pl.String)
        )
    )
    records = []
    for row in ranked.iter_rows(named=True):  # one per account and channel: presentation only
        link = links.get(row["account"])
        account = escape(row["account"])
        records.append(
            {
                "Account": f'<a href="{escape(link)}">{account}</a>' if link else account,
                "Marketplace": row["marketplace"],
                "Channel": row["channel"],
                "Status": row["status_words"],
                "ODR today": _pct(row["odr"]),
                "Orders in window": f"{row['order_count']:,}",
                "Expected settled": _pct(row["expected_matured"]),
                "Headroom": _headroom(row),
                "Trend": _trend(row),
                "Outlook": _sentence(row["outlook"] or ""),
                "status": row["status"],
            }
        )
    frame = pl.DataFrame(
        records,
        schema={
            name: pl.String
            for name in (
                "Account",
                "Marketplace",
                "Channel",
                "Status",
                "ODR today",
                "Orders in window",
                "Expected settled",
                "Headroom",
                "Trend",
                "Outlook",
                "status",
            )
        },
    )
    dates = sorted({d for d in rows["as_of"].to_list() if d is not None})
    date_text = (
        "Report date " + dates[0].strftime(_DATE_LONG)
        if len(dates) == 1
        else "Report dates " + ", ".join(_day(d) for d in dates)
    )
    befores = sorted({d for d in rows["previous_as_of"].to_list() if d is not None})
    previous = ", ".join(_day(d) for d in befores) or "none"
    if frame.is_empty():
        table_html = "<p>No account could be reported.</p>"
    else:
        gt = (
            GT(frame, id="portfolio")
            .cols_hide("status")
            .fmt(columns="Account", fns=lambda value: value)  # already escaped above
            .tab_header(
                title="Order Defect Rate: every account and channel",
                subtitle=f"{date_text}; sorted by risk, the account with the worst rate first",
            )
            .cols_align(
                align="right", columns=["ODR today", "Orders in window", "Expected settled"]
            )
            .tab_source_note(
                "Status against Amazon's 1% target: over it (at or above), at risk (within "
                "20% of it), or meeting it. Trend: the change in points since the last report "
                f"({previous}). Headroom: how many more defective orders today's window can "
                "take. Expected settled: the rate once the defects still to come on recent "
                "orders have arrived."
            )
        )
        for status, color in (
            ("breached", "#D55E00"),
            ("at_risk", "#B07800"),
            ("met", "#007A59"),
        ):
            gt = gt.tab_style(
                style=[style.fill(color=color), style.text(color="white", weight="bold")],
                locations=loc.body(columns="Status", rows=pl.col("status") == status),
            )
        table_html = _strip_remote(gt.as_raw_html())
    failed = ""
    if failures:
        items = "".join(
            f"<li><strong>{escape(name)}</strong>: {escape(message)}</li>"
            for name, message in failures
        )
        failed = (
            f"<h2>Not reported ({len(failures)})</h2><p>These accounts could not be read; "
            f"fix the file named and run the report again.</p><ul>{items}</ul>"
        )
    accounts = "".join(
        f'<li><a href="{escape(file)}">{escape(name)}</a></li>'
        for name, file in sorted(links.items())
    )
    body = (
        f"<h1>Order Defect Rate: portfolio summary</h1>"
        f'<p class="meta">{escape(date_text)} \u00b7 data folder {escape(source)} \u00b7 '
        f"{_plural(len(links), 'account report')}</p>"
        f"{table_html}{failed}"
        f"<h2>Account reports</h2><ul>{accounts or '<li>none</li>'}</ul>"
    )
    return _document("Order Defect Rate: portfolio summary", body, generated, scripts=False)


def _strip_remote(text: str) -> str:
    """Remove any ``@import url(http...)`` a table's CSS might carry (web fonts)."""
    return re.sub(r"@import\s+url\([^)]*\)\s*;?", "", text)


# ---------------------------------------------------------------------------------------------
# Orchestration: find the accounts, run the notebooks, write the files.


@dataclass(frozen=True)
class AccountRun:
    """The outcome of one account: its page (or the error that stopped it)."""

    name: str
    seconds: float
    html: Path | None = None
    csv_files: tuple[Path, ...] = ()
    pdf: Path | None = None
    summary: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RunResult:
    """Every account's outcome and the summary page."""

    out_dir: Path
    accounts: tuple[AccountRun, ...]
    summary: Path
    seconds: float

    @property
    def failures(self) -> list[AccountRun]:
        return [a for a in self.accounts if not a.ok]


def find_accounts(data_dir: str | Path) -> list[tuple[str, Path, str | None]]:
    """The accounts of a data folder: ``(name, DATA_DIR, ACCOUNT)`` for the notebook.

    A folder that holds report files is one account; otherwise each visible sub-folder is an
    account (a portfolio). Raises :class:`ReportError` when there is nothing to report.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise ReportError(f"data folder '{root}' does not exist or is not a folder")
    root = root.resolve()
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    reports = []
    for file in files:
        try:
            if detect_format(file) is not None:
                reports.append(file)
        except ValueError:  # an empty or unreadable file: the account's own run says which
            reports.append(file)
    if reports:
        return [(root.name, root, None)]
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise ReportError(
            f"data folder '{root}' holds no account folders and no Amazon report files: put "
            "each account's files in a folder named after the account"
        )
    return [(p.name, root, p.name) for p in folders]


def file_stem(name: str, taken: set[str]) -> str:
    """A safe, unique file name stem for an account (``index`` is the summary's).

    >>> file_stem("Summit Outdoor/UK", set()), file_stem("index", set())
    ('Summit-Outdoor-UK', 'index-account')
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "account"
    if stem.lower() == "index":
        stem += "-account"
    candidate, n = stem, 2
    while candidate.lower() in taken:
        candidate = f"{stem}-{n}"
        n += 1
    taken.add(candidate.lower())
    return candidate


def _run_account(
    name: str,
    data_dir: Path,
    account: str | None,
    *,
    stem: str,
    out_dir: Path,
    report_date: dt.date | None,
    previous_date: dt.date | None,
    generated: str,
    timeout: int,
    keep_notebook: bool,
    pdf: bool,
) -> AccountRun:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    parameters: dict[str, Any] = {
        "DATA_DIR": str(data_dir),
        "ACCOUNT": account,
        "REPORT_DATE": None if report_date is None else report_date.isoformat(),
        "PREVIOUS_DATE": None if previous_date is None else previous_date.isoformat(),
    }
    try:
        nb = papermill.execute_notebook(
            str(TEMPLATE),
            str(out_dir / f"{stem}.ipynb") if keep_notebook else None,
            parameters=parameters,
            kernel_name="python3",
            language="python",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            cwd=str(out_dir),
            extra_arguments=list(KERNEL_ARGS),
        )
        html_text, page = render_page(nb, account=name, generated=generated, csv_prefix=stem)
    except PapermillExecutionError as exc:
        return AccountRun(name, time.perf_counter() - start, error=f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # a kernel that died, a timeout, a broken page
        return AccountRun(name, time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}")
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html_text, encoding="utf-8")
    csv_paths = []
    for file_name, text in page.csv_files:
        path = out_dir / file_name
        path.write_text(text, encoding="utf-8")
        csv_paths.append(path)
    pdf_path = None
    if pdf:
        pdf_path = html_path.with_suffix(".pdf")
        try:
            write_pdf(html_path, pdf_path)
        except Exception as exc:
            return AccountRun(
                name,
                time.perf_counter() - start,
                html=html_path,
                csv_files=tuple(csv_paths),
                summary=tuple(page.summary),
                error=f"PDF: {type(exc).__name__}: {exc}",
            )
    return AccountRun(
        name,
        time.perf_counter() - start,
        html=html_path,
        csv_files=tuple(csv_paths),
        pdf=pdf_path,
        summary=tuple(page.summary),
        notes=tuple(page.notes),
    )


def run_reports(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    report_date: dt.date | str | None = None,
    previous_date: dt.date | str | None = None,
    jobs: int = 2,
    timeout: int = 600,
    pdf: bool = False,
    keep_notebooks: bool = False,
    echo: Callable[[str], None] = print,
    now: dt.datetime | None = None,
) -> RunResult:
    """Write one HTML report per account of ``data_dir`` and the summary (``index.html``).

    Accounts run side by side (``jobs`` kernels at a time); ``echo`` gets one line per account
    as it finishes. An account that fails does not stop the others: see
    :attr:`RunResult.failures`. Raises :class:`ReportError` for a run that cannot start.
    """
    started = time.perf_counter()
    day = None if report_date is None else to_date(report_date, "--date")
    before = None if previous_date is None else to_date(previous_date, "--since")
    if day is not None and before is not None and before >= day:
        raise ReportError(f"--since ({before}) must be before --date ({day})")
    accounts = find_accounts(data_dir)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"output folder '{out}' is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    if jobs < 1:
        raise ReportError(f"--jobs must be at least 1, got {jobs}")
    generated = generated_line(now)
    taken = {"index"}
    stems = {name: file_stem(name, taken) for name, _, _ in accounts}
    total = len(accounts)
    date_words = "the last day each account's data covers" if day is None else day.isoformat()
    echo(
        f"Reports for {_plural(total, 'account')} in {accounts[0][1]} (report date: "
        f"{date_words}) -> {out}"
    )
    results: list[AccountRun] = []
    # The chart bundle takes seconds to make: make it while the kernels start.
    with (
        ThreadPoolExecutor(max_workers=1) as side,
        ThreadPoolExecutor(max_workers=min(jobs, total)) as pool,
    ):
        bundle: Future[str] = side.submit(javascript_bundle)
        futures = {
            pool.submit(
                _run_account,
                name,
                folder,
                account,
                stem=stems[name],
                out_dir=out,
                report_date=day,
                previous_date=before,
                generated=generated,
                timeout=timeout,
                keep_notebook=keep_notebooks,
                pdf=pdf,
            ): name
            for name, folder, account in accounts
        }
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            if result.ok:
                echo(f"[{done}/{total}] {result.name} ... done in {result.seconds:.1f} s")
            else:
                echo(
                    f"[{done}/{total}] {result.name} ... FAILED after {result.seconds:.1f} s: "
                    f"{result.error}"
                )
            for note in result.notes:
                echo(f"    note from {result.name}: {note}")
        bundle.result()
    results.sort(key=lambda a: a.name)
    rows = summary_frame([row for a in results for row in a.summary])
    links = {a.name: a.html.name for a in results if a.html is not None}
    failures = [(a.name, a.error or "") for a in results if not a.ok]
    summary = out / "index.html"
    summary.write_text(
        summary_page(
            rows, links=links, failures=failures, generated=generated, source=accounts[0][1].name
        ),
        encoding="utf-8",
    )
    return RunResult(out, tuple(results), summary, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# PDF (optional): Chromium's print-to-PDF through Playwright.


def _chromium() -> str | None:
    import os

    path = os.environ.get("ODR_CHROMIUM", "/usr/bin/chromium")
    return path if Path(path).exists() else None


def write_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 60) -> Path:
    """Print the report to PDF with headless Chromium (Playwright); no network is used."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError(
            "--pdf needs the playwright package (pip install playwright) and Chromium "
            "(e.g. apt-get install chromium)"
        ) from None
    executable = _chromium()
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            page = browser.new_page()
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:"))
                    else route.abort()
                ),
            )
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                "() => [...document.querySelectorAll('div.vega-chart')].every("
                "el => el.dataset.rendered === 'true')",
                timeout=timeout * 1000,
            )
            page.emulate_media(media="print")
            page.pdf(path=str(pdf_path), format="A4", print_background=True, scale=0.9)
        finally:
            browser.close()
    return pdf_path


# ---------------------------------------------------------------------------------------------
# The command line.


def _date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odr-report",
        description=(
            "Write one self-contained HTML report per Amazon seller account (Order Defect "
            "Rate: status, drivers, projection, reconciliation, data quality) and a "
            "portfolio summary (index.html)."
        ),
    )
    parser.add_argument(
        "data_dir", metavar="DATA_DIR", help="a folder of account folders, or one account folder"
    )
    parser.add_argument(
        "--date",
        type=_date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the report date (default: the last day each account's data covers)",
    )
    parser.add_argument(
        "--out", default="reports", metavar="OUT_DIR", help="output folder (default: reports)"
    )
    parser.add_argument(
        "--since",
        type=_date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the last report's date, for the change and the trend (default: a week earlier)",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="accounts run side by side (default: 2)"
    )
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds allowed per notebook cell"
    )
    parser.add_argument(
        "--pdf", action="store_true", help="also print each report to PDF (needs Chromium)"
    )
    parser.add_argument(
        "--keep-notebooks",
        action="store_true",
        help="keep each account's executed notebook (.ipynb) beside its report",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``odr-report`` command: 0 when every account was reported, 1 when some failed."""
    args = _parser().parse_args(argv)

    def echo(line: str) -> None:
        print(line, flush=True)

    try:
        result = run_reports(
            args.data_dir,
            args.out,
            report_date=args.date,
            previous_date=args.since,
            jobs=args.jobs,
            timeout=args.timeout,
            pdf=args.pdf,
            keep_notebooks=args.keep_notebooks,
            echo=echo,
        )
    except (ReportError, ValueError) as exc:
        print(f"odr-report: error: {exc}", file=sys.stderr, flush=True)
        return 2
    echo(f"Portfolio summary: {result.summary} ({result.seconds:.1f} s in all)")
    if result.failures:
        echo(f"{_plural(len(result.failures), 'account')} failed:")
        for failure in result.failures:
            echo(f"  {failure.name}: {failure.error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
