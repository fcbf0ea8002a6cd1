"""The portfolio summary (``index.html``): every account and channel in one table, by risk.

Each account's report gives its rows (:func:`summary_rows`, a frame of
:data:`SUMMARY_SCHEMA`); :func:`summary_page` ranks the rows of every account with
:func:`odr_analysis.portfolio.portfolio_status` and lists the accounts that failed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import polars as pl

from odr_analysis import words
from odr_analysis.htmlsafe import escape
from odr_analysis.portfolio import portfolio_status
from odr_analysis.report.data import ReportData
from odr_analysis.report.page import document
from odr_analysis.report.sections import outlooks
from odr_analysis.schema import GROUP_KEYS

__all__ = ["SUMMARY_SCHEMA", "summary_page", "summary_rows"]

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
        "since": pl.Date(),
        "odr_since": pl.Float64(),
        "outlook": pl.String(),
    }
)
"""One row per account, marketplace and channel: the numbers the summary shows."""

_COLUMNS: Final = (
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
_STATUS_COLORS: Final = (("breached", "#D55E00"), ("at_risk", "#B07800"), ("met", "#007A59"))


def summary_rows(r: ReportData) -> pl.DataFrame:
    """The account's rows of the portfolio summary (:data:`SUMMARY_SCHEMA`; NaN as null)."""
    keys = list(GROUP_KEYS)
    return (
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
        .join(r.status_since.select(*keys, since="as_of", odr_since="odr"), on=keys, how="left")
        .join(outlooks(r), on=keys, how="left")
        .select(SUMMARY_SCHEMA.names())
        .cast(SUMMARY_SCHEMA)
        .with_columns(pl.col(pl.Float64).fill_nan(None))
        .sort(keys)
    )


def _trend(row: Mapping[str, Any]) -> str:
    now, before = row["odr"], row["odr_since"]
    if now is None or before is None:
        return "\u2013 no earlier rate"
    change = now - before
    if abs(change) < 5e-5:
        return "\u2192 unchanged"
    arrow = "\u25b2" if change > 0 else "\u25bc"
    return f"{arrow} {words.points(change)}"


def _headroom(row: Mapping[str, Any]) -> str:
    if row["order_count"] in (None, 0):
        return "no orders"
    if row["over_by"]:
        return f"{words.count(row['over_by'], 'defective order')} too many"
    if not row["allowed"]:
        return "none: one more defective order puts it over"
    return f"room for {words.count(row['allowed'], 'more defective order')}"


def _strip_remote(text: str) -> str:
    """Remove any ``@import url(http...)`` a table's CSS might carry (web fonts)."""
    return re.sub(r"@import\s+url\([^)]*\)\s*;?", "", text)


def summary_page(
    rows: pl.DataFrame,
    *,
    links: Mapping[str, str],
    failures: Sequence[tuple[str, str]],
    generated: str,
    source: str,
    alerts: Sequence[tuple[str, str]] = (),
) -> str:
    """The portfolio summary: one table of every account and channel, sorted by risk.

    ``rows`` has :data:`SUMMARY_SCHEMA` (the rows of every account); ``links`` maps an account
    to its report's file name; ``failures`` lists (account, message) of the accounts without a
    report; ``source`` names the data folder; ``alerts`` lists (account, alert) of the accounts
    whose data makes their rates less than exact (shown above the table).
    """
    ranked = portfolio_status(rows).sort("risk_rank")
    records = []
    for row in ranked.iter_rows(named=True):  # one per account and channel: presentation only
        link = links.get(row["account"])
        account = escape(row["account"])
        records.append(
            {
                "Account": f'<a href="{escape(link)}">{account}</a>' if link else account,
                "Marketplace": row["marketplace"],
                "Channel": row["channel"],
                "Status": words.STATUSES[row["status"]].badge,
                "ODR today": words.pct(row["odr"]),
                "Orders in window": f"{row['order_count']:,}",
                "Expected settled": words.pct(row["expected_matured"]),
                "Headroom": _headroom(row),
                "Trend": _trend(row),
                "Outlook": words.sentence(row["outlook"] or ""),
                "status": row["status"],
            }
        )
    frame = pl.DataFrame(records, schema=dict.fromkeys(_COLUMNS, pl.String))
    dates = sorted({d for d in rows["as_of"].to_list() if d is not None})
    date_text = (
        "Report date " + words.long_day(dates[0])
        if len(dates) == 1
        else "Report dates " + ", ".join(words.day(d) for d in dates)
    )
    befores = sorted({d for d in rows["since"].to_list() if d is not None})
    since = ", ".join(words.day(d) for d in befores) or "none"
    if frame.is_empty():
        table_html = "<p>No account could be reported.</p>"
    else:
        table_html = _table(frame, ranked, date_text=date_text, since=since)
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
        f"{words.count(len(links), 'account report')}</p>"
        f"{_alerts(alerts)}{table_html}{failed}"
        f"<h2>Account reports</h2><ul>{accounts or '<li>none</li>'}</ul>"
    )
    return document("Order Defect Rate: portfolio summary", body, generated)


def _alerts(alerts: Sequence[tuple[str, str]]) -> str:
    if not alerts:
        return ""
    items = "".join(
        f"<li><strong>{escape(name)}</strong>: {escape(alert)}</li>" for name, alert in alerts
    )
    return (
        f'<div class="alert"><p><strong>{escape(words.ALERTS_TITLE)} (accounts named):'
        f"</strong></p><ul>{items}</ul></div>"
    )


def _table(frame: pl.DataFrame, ranked: pl.DataFrame, *, date_text: str, since: str) -> str:
    """The great_tables table of the summary (no web font, every status in its colour)."""
    from great_tables import GT, loc, style

    target = words.target_text(ranked["target"][0])
    at_risk = f"{ranked['at_risk'][0]:.0%}"
    gt = (
        GT(frame, id="portfolio")
        .cols_hide("status")
        .fmt(columns="Account", fns=lambda value: value)  # already escaped above
        .tab_header(
            title="Order Defect Rate: every account and channel",
            subtitle=f"{date_text}; sorted by risk, the account with the worst rate first",
        )
        .cols_align(align="right", columns=["ODR today", "Orders in window", "Expected settled"])
        .tab_source_note(
            f"Status against Amazon's {target} target: over it (at or above), at risk (within "
            f"{at_risk} of it), or meeting it. Trend: the change in points since the last report "
            f"({since}). Headroom: how many more defective orders today's window can "
            "take. Expected settled: the rate once the defects still to come on recent "
            "orders have arrived."
        )
    )
    for status, color in _STATUS_COLORS:
        gt = gt.tab_style(
            style=[style.fill(color=color), style.text(color="white", weight="bold")],
            locations=loc.body(columns="Status", rows=pl.col("status") == status),
        )
    return _strip_remote(gt.as_raw_html())
