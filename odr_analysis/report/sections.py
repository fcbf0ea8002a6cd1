"""The sections of an account's page: each turns :class:`ReportData` into blocks.

A section is a function ``section(r) -> Iterator[Block]``; a block is an HTML fragment (a
``str``, every piece of input text escaped with :mod:`odr_analysis.htmlsafe`), a :class:`Chart`
(drawn live on the page from its Vega-Lite spec, with a one-sentence caption) or a
:class:`Download` (a CSV file written beside the page and offered as a link). The order of the
sections and the prose between them: :data:`odr_analysis.report.page.PAGE`.

The names of things, numbers and dates come from :mod:`odr_analysis.words`; the sentences
that only the report says are here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import altair as alt
import polars as pl

from odr_analysis import charts, words
from odr_analysis.dropoff import DropoffCalendar
from odr_analysis.htmlsafe import Column, escape, table
from odr_analysis.report.data import ReportData
from odr_analysis.schema import CHANGE_PARTS, COMPONENT_OF_KIND, GROUP_KEYS

__all__ = [
    "MAX_TABLE_ROWS",
    "Block",
    "Chart",
    "Download",
    "Section",
    "changes",
    "components",
    "composition",
    "data_quality",
    "dropoff",
    "feedback",
    "group_name",
    "header",
    "headline",
    "health_history_section",
    "history",
    "outlooks",
    "projection",
    "projection_chart",
    "reconciliation",
    "removals",
    "sources",
    "waterfall",
    "window_defects",
]

MAX_TABLE_ROWS: Final = 200
"""Rows a table shows at most (its CSV download has them all)."""

_KEYS: Final = list(GROUP_KEYS)
_CHANNELS: Final[dict[str, words.ChannelWords]] = {str(c): w for c, w in words.CHANNELS.items()}


@dataclass(frozen=True, eq=False)
class Chart:
    """A chart of the page: the altair chart and its caption (HTML, input text escaped)."""

    chart: alt.TopLevelMixin
    caption: str


@dataclass(frozen=True, eq=False)
class Download:
    """A CSV file offered on the page, written beside it as ``<page stem>-<name>``."""

    name: str
    label: str
    frame: pl.DataFrame


Block: TypeAlias = str | Chart | Download
Section: TypeAlias = Callable[[ReportData], Iterator[Block]]


# ---------------------------------------------------------------------------------------------
# Small helpers.


def group_name(row: Mapping[str, Any], *, several_marketplaces: bool) -> str:
    """``Seller-fulfilled orders (MFN)``, with ``on Amazon.de`` when there are several."""
    channel = str(row["channel"])
    heading = _CHANNELS[channel].heading if channel in _CHANNELS else channel
    return f"{heading} on {row['marketplace']}" if several_marketplaces else heading


def _name(r: ReportData, row: Mapping[str, Any]) -> str:
    return group_name(row, several_marketplaces=r.several_marketplaces)


def _prose(channel: str) -> str:
    return _CHANNELS[channel].prose if channel in _CHANNELS else channel


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _mine(frame: pl.DataFrame, marketplace: str) -> pl.DataFrame:
    return frame.filter(pl.col("marketplace") == marketplace)


def _marketplace_title(r: ReportData, marketplace: str, title: str) -> str:
    return f"{title} ({marketplace})" if r.several_marketplaces else title


def _date_or_none(value: object) -> dt.date | None:
    """A date from a polars aggregate (``Series.min()`` is typed loosely)."""
    return value if isinstance(value, dt.date) else None


def outlooks(r: ReportData) -> pl.DataFrame:
    """Per group, the outlook of the projection in words (column ``outlook``).

    From :attr:`Projection.first_under <odr_analysis.projection.Projection.first_under>`
    (:func:`odr_analysis.outlook.under_target`), in the words of
    :func:`odr_analysis.words.outlook_report`.
    """
    first_under = r.projection.first_under.sort(_KEYS)
    texts = [
        words.outlook_report(row, target=r.target, horizon=r.horizon)
        for row in first_under.iter_rows(named=True)  # one row per channel
    ]
    return first_under.select(_KEYS).with_columns(outlook=pl.Series(texts, dtype=pl.String))


# ---------------------------------------------------------------------------------------------
# The headline.


def header(r: ReportData) -> Iterator[Block]:
    """Title, report date, marketplaces and window; a link back to the portfolio summary."""
    window = r.rules.window(r.as_of)
    markets = ", ".join(r.marketplaces)
    yield (
        '<nav class="back"><a href="index.html">\u2190 Portfolio summary</a></nav>'
        f"<h1>Order Defect Rate: {escape(r.name)}</h1>"
        f'<p class="meta">Report date <strong>{escape(words.long_day(r.as_of))}</strong>'
        f" \u00b7 {escape(markets)} \u00b7 Amazon counts the orders placed from "
        f"{escape(words.day(window.start))} to {escape(words.day(window.end))}</p>"
    )


def headline(r: ReportData) -> Iterator[Block]:
    """One card per channel: status, rate with its interval, matured rate, headroom, outlook."""
    t = words.target_text(r.target)
    rows = (
        r.status.join(
            r.matured.select(*_KEYS, "expected_matured", matured_low="low", matured_high="high"),
            on=_KEYS,
            how="left",
        )
        .join(r.allowed.select(*_KEYS, "allowed", "over_by"), on=_KEYS, how="left")
        .join(outlooks(r), on=_KEYS, how="left")
        .sort(_KEYS)
    )
    cards = []
    for row in rows.iter_rows(named=True):  # one per channel
        status = row["status"]
        if row["order_count"] == 0:
            body = "<p>No orders in today's window, so there is no rate.</p>"
        else:
            body = _card_body(row, t)
        badge = words.STATUSES[status].badge if status in words.STATUSES else status
        cards.append(
            f'<div class="card status-{escape(status)}"><h3>{escape(_name(r, row))}</h3>'
            f'<p class="badge">{escape(badge)}</p>{body}</div>'
        )
    yield (
        f'<p class="lead">{escape(_lead(r))}</p>'
        + alerts_box(r.account.alerts)
        + f'<div class="cards">{"".join(cards)}</div>'
        f'<p class="note">Amazon\'s target is an ODR under {escape(t)} for each channel; '
        f"{escape('exactly ' + t + ' does not meet it.')}</p>"
    )


def alerts_box(alerts: Sequence[str]) -> str:
    """The account's alerts in a box that cannot be missed (empty when there are none)."""
    if not alerts:
        return ""
    items = "".join(f"<li>{escape(alert)}</li>" for alert in alerts)
    return (
        f'<div class="alert"><p><strong>{escape(words.ALERTS_TITLE)}:</strong></p>'
        f"<ul>{items}</ul></div>"
    )


def _card_body(row: Mapping[str, Any], t: str) -> str:
    n = row["order_count"]
    interval = (
        f"With {n:,} orders, chance alone could put it anywhere from "
        f"{words.pct(row['odr_low'])} to {words.pct(row['odr_high'])} (95% interval)."
    )
    if row["over_by"]:
        room = (
            f"{words.count(row['over_by'], 'defective order')} too many: that many must "
            f"leave the window or be removed to get under {t}."
        )
    elif not row["allowed"]:
        room = (
            f"One more defective order would put it at or over {t}: with "
            f"{n:,} orders, each one moves the rate by {words.pct(1 / n)}."
        )
    else:
        room = (
            f"Room for {words.count(row['allowed'], 'more defective order')} before reaching {t}."
        )
    matured = (
        "No settled rate yet: too few older orders to estimate it."
        if row["expected_matured"] is None
        else f"Expected to settle at {words.pct(row['expected_matured'])} (likely "
        f"{words.pct(row['matured_low'])} to {words.pct(row['matured_high'])}) once the "
        "feedback and claims still to come on recent orders have arrived."
    )
    return (
        f'<p class="rate"><strong>{words.pct(row["odr"])}</strong> today: '
        f"{row['defective_orders']:,} defective of {n:,} orders.</p>"
        f"<ul><li>{escape(interval)}</li><li>{escape(matured)}</li>"
        f"<li>{escape(room)}</li>"
        f"<li><strong>{escape(words.sentence(str(row['outlook'])))}.</strong></li></ul>"
    )


def _lead(r: ReportData) -> str:
    """The one-sentence verdict at the top of the page."""
    t = words.target_text(r.target)
    over = r.status.filter(pl.col("status") == "breached")
    risk = r.status.filter(pl.col("status") == "at_risk")
    if over.height:
        names = " and ".join(_lower_first(_name(r, row)) for row in over.iter_rows(named=True))
        return f"Action needed: {names} are over Amazon's {t} target."
    if risk.height:
        names = " and ".join(_lower_first(_name(r, row)) for row in risk.iter_rows(named=True))
        return f"Watch closely: {names} are close to Amazon's {t} target."
    if r.status.filter(pl.col("status") == "met").height:
        return f"All channels are under Amazon's {t} target."
    return "No orders in today's window: there is no rate to report."


def history(r: ReportData) -> Iterator[Block]:
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
            name = _prose(str(channel[0]))
            run_start = _breach_start(group, r.target)
            if run_start is not None:
                meaning.append(f"{name} have been over the target since {words.day(run_start)}")
            elif group["odr"].drop_nulls().ge(r.target).any():
                last = _date_or_none(group.filter(pl.col("odr") >= r.target)["as_of"].max())
                meaning.append(f"{name} were last over the target on {words.day(last)}")
            else:
                meaning.append(f"{name} stayed under the target throughout")
        caption = (
            f"Each line is the rate Amazon showed on each report date since {words.day(first)} "
            "(shaded stretches were at or over the target; the dashed end is where today's "
            f"rate is expected to settle): {'; '.join(meaning)}."
        )
        yield Chart(chart, escape(caption))


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


# ---------------------------------------------------------------------------------------------
# What drives it.


def components(r: ReportData) -> Iterator[Block]:
    """Per channel: the orders in the window and the three kinds of defect behind the rate."""

    def share(row: Mapping[str, Any], column: str) -> str:
        n = row["order_count"]
        return "" if not n else f"{row[column]:,} ({words.pct(row[column] / n)})"

    rows = [
        {
            "group": _name(r, row),
            "orders": row["order_count"],
            "defective": share(row, "defective_orders"),
            "feedback": share(row, "negative_feedback"),
            "claims": share(row, "a_to_z_claims"),
            "chargebacks": share(row, "chargebacks"),
        }
        for row in r.status.iter_rows(named=True)
    ]
    yield table(
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


def composition(r: ReportData) -> Iterator[Block]:
    """The three kinds of defect over the past year."""
    for market in r.marketplaces:
        daily = _mine(r.daily, market)
        chart = charts.composition_over_time(
            daily, title=_marketplace_title(r, market, "Defective orders in the window by kind")
        )
        today = _mine(r.status, market)
        totals = {
            words.KINDS[kind].all: int(today[column].sum())
            for kind, column in COMPONENT_OF_KIND.items()
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
        yield Chart(chart, escape(caption))


def changes(r: ReportData) -> Iterator[Block]:
    """The change since the last report, in words, per channel."""
    items = []
    for row in words.with_change_words(r.change).iter_rows(named=True):
        text = row["message"] or row["reason"] or "no change to explain"
        items.append(f"<li><strong>{escape(_name(r, row))}:</strong> {escape(text)}.</li>")
    yield (
        f"<p>Since the last report on {escape(words.long_day(r.since))}:</p>"
        f"<ul>{''.join(items)}</ul>"
    )


def waterfall(r: ReportData) -> Iterator[Block]:
    """The change since the last report as a waterfall of its causes."""
    causes = {words.CAUSES[part][0]: part for part in CHANGE_PARTS}
    for market in r.marketplaces:
        change = _mine(r.change, market)
        chart = charts.waterfall_chart(
            change,
            title=_marketplace_title(
                r,
                market,
                f"Why the rate moved between {words.day(r.since)} and {words.day(r.as_of)}",
            ),
        )
        biggest = []
        for row in change.iter_rows(named=True):
            if row["change"] is None:
                continue
            values = {name: row[column] or 0.0 for name, column in causes.items()}
            name, value = max(values.items(), key=lambda item: (abs(item[1]), item[0]))
            channel = str(row["channel"])
            if value == 0:
                biggest.append(f"{channel} did not move")
            else:
                biggest.append(f"for {channel} the largest cause is {name} ({words.points(value)})")
        meaning = "; ".join(biggest) if biggest else "there was no rate to compare"
        caption = (
            "Each bar is one cause of the change, from the rate on the last report date to "
            f"today's (red bars pushed the rate up, blue bars down): {meaning}."
        )
        yield Chart(chart, escape(caption))


def _window_defects(r: ReportData) -> pl.DataFrame:
    """The defective orders in today's window, when each leaves it, and the buyer's comment."""
    feedback = (
        r.account.feedback.filter(pl.col("date") <= r.as_of)
        .sort("account", "order_id", "date", "line")
        .group_by("account", "order_id", maintain_order=True)
        .agg(pl.col("comments").last(), pl.col("rating").last())
    )
    kind_words = {kind: w.one for kind, w in words.KINDS.items()}
    return (
        r.calendar.defects.join(feedback, on=["account", "order_id"], how="left")
        .with_columns(
            comments=pl.when(pl.col("negative_feedback")).then(pl.col("comments")),
            kinds=pl.col("kinds").list.eval(
                pl.element().replace_strict(kind_words, return_dtype=pl.String)
            ),
        )
        .sort("leaves_window_on", "channel", "order_id")
    )


def window_defects(r: ReportData) -> Iterator[Block]:
    """The table of defective orders still in the window, and its CSV download."""
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
        yield "<p>No defective order is in today's window.</p>"
    else:
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
        more = (
            f" The first {MAX_TABLE_ROWS} are shown; the CSV file has all {frame.height:,}."
            if frame.height > MAX_TABLE_ROWS
            else ""
        )
        counts_for = r.rules.report_days(0)[1] + 1  # the day an order of day 0 leaves
        intro = (
            f"<p>{escape(words.count(frame.height, 'defective order'))} in today's window, the "
            f"first to leave first. A defect counts until its order leaves the window, "
            f"{counts_for} days after the order date, whatever happens in between."
            f"{escape(more)}</p>"
        )
        yield intro + table(frame.head(MAX_TABLE_ROWS), columns)
    yield Download("defects-in-window.csv", "Download the defective orders in the window", export)


def dropoff(r: ReportData) -> Iterator[Block]:
    """The rate stepping down as defective orders leave, if nothing new happened."""
    cal = r.calendar
    for market in r.marketplaces:
        mine = DropoffCalendar(
            as_of=cal.as_of,
            horizon=cal.horizon,
            rules=cal.rules,
            defects=_mine(cal.defects, market),
            today=_mine(cal.today, market),
            path=_mine(cal.path, market),
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
                    f"{channel} would be under the target from {words.day(under)}"
                    if under is not None
                    else f"{channel} would not get under the target by itself"
                )
            else:
                last = _date_or_none(
                    mine.defects.filter(pl.col("channel") == channel)["leaves_window_on"].max()
                )
                meaning.append(
                    f"{channel}'s last defective order in the window leaves on {words.day(last)}"
                    if last is not None
                    else f"{channel} has no defective order in the window"
                )
        caption = (
            "The line is each channel's rate on the coming report dates if no new order and no "
            "new defect arrived, stepping down on each day a defective order leaves the window: "
            f"{'; '.join(meaning) or 'there is no rate'}."
        )
        yield Chart(chart, escape(caption))


def removals(r: ReportData, *, top: int = 10) -> Iterator[Block]:
    """The defects whose removal would save the most days over the target, best first."""
    t = words.target_text(r.target)
    useful = r.ranking.filter(pl.col("days_saved") > 0).head(top)
    if useful.is_empty():
        yield (
            "<p>No single removal would shorten the time over the target in the next "
            f"{r.horizon} days: either the channels stay under {escape(t)}, or it would "
            "take more than one removal on every day over it.</p>"
        )
        return
    frame = useful.with_columns(
        kind_words=pl.col("kind").replace_strict(
            {kind: w.one for kind, w in words.KINDS.items()}, return_dtype=pl.String
        ),
        how=pl.col("kind").replace_strict(
            {kind: w.remedy for kind, w in words.KINDS.items()}, return_dtype=pl.String
        ),
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
        Column("rate_today_without", "Rate today without it", words.pct, numeric=True),
        Column("leaves_window_on", "Leaves the window on", nowrap=True),
        Column("how", "How"),
    ]
    yield (
        f"<p>Removing one of these defects would shorten the time over {escape(t)} the most, "
        f"counting the days over it in the next {r.horizon} days that the removal alone "
        "would save (with your usual orders a day to come).</p>" + table(frame, columns)
    )


def sources(r: ReportData) -> Iterator[Block]:
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
        yield Chart(chart, escape(caption))


# ---------------------------------------------------------------------------------------------
# Where it is heading.


def projection(r: ReportData) -> Iterator[Block]:
    """The projection's assumptions, in words, per channel."""
    items = []
    inputs = r.projection.inputs.join(outlooks(r), on=_KEYS, how="left")
    for row in inputs.sort(_KEYS).iter_rows(named=True):
        items.append(
            f"<li><strong>{escape(_name(r, row))}:</strong> {escape(_assumption_words(row))} "
            f"<em>{escape(words.sentence(str(row['outlook'])))}.</em></li>"
        )
    a = r.projection.assumptions
    yield (
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
        rate_text = f"{words.pct(rate)} of them defective ({row['defect_rate_source']})"
    return f"{orders_text}, {rate_text}."


def projection_chart(r: ReportData) -> Iterator[Block]:
    """The projected rate with its band and the chance of being over the target."""
    for market in r.marketplaces:
        chart = charts.projection_chart(
            _mine(r.projection.daily, market),
            history=_mine(r.daily, market),
            title=_marketplace_title(r, market, f"The next {r.horizon} days"),
        )
        meaning = "; ".join(
            f"{row['channel']} is {row['outlook']}"
            for row in _mine(outlooks(r), market).sort("channel").iter_rows(named=True)
        )
        caption = (
            "The solid line is the rate so far and the dashed line the expected rate on each "
            "coming report date, with the band its likely range and, below, the chance of being "
            f"at or over the target: {meaning}."
        )
        yield Chart(chart, escape(caption))


# ---------------------------------------------------------------------------------------------
# Our numbers against Amazon's, and the data behind the report.


def reconciliation(r: ReportData) -> Iterator[Block]:
    """Our numbers against Amazon's account-health report, when the folder has one."""
    if r.reconciliation is None:
        yield (
            "<p>The data folder holds no account-health report from Amazon, so there is "
            "nothing to compare with. Download it (Performance \u203a Account Health, report "
            "GET_V2_SELLER_PERFORMANCE_REPORT) and put it in the account's folder.</p>"
        )
        return
    frame = (
        r.reconciliation.sort("marketplace", "channel", "window_end")
        .with_columns(words.reconcile_explanation())
        .with_columns(
            verdict=pl.when(pl.col("match"))
            .then(pl.lit("Same as Amazon"))
            .otherwise(
                pl.concat_str(pl.lit("Different: "), pl.col("explanation"), ignore_nulls=True)
            ),
            window=pl.concat_str(
                pl.col("window_start").dt.strftime(words.DAY),
                pl.lit(" to "),
                pl.col("window_end").dt.strftime(words.DAY),
            ),
        )
    )
    columns = [
        Column("channel", "Channel"),
        Column("window", "Orders placed"),
        Column("rate_amazon", "Amazon's rate", words.pct, numeric=True),
        Column("rate_ours", "Ours", words.pct, numeric=True),
        Column("order_count_amazon", "Amazon's orders", numeric=True),
        Column("order_count_ours", "Ours", numeric=True),
        Column("defective_orders_amazon", "Amazon's defective", numeric=True),
        Column("defective_orders_ours", "Ours", numeric=True),
        Column("verdict", "Verdict"),
    ]
    if r.several_marketplaces:
        columns.insert(0, Column("marketplace", "Marketplace"))
    lead = (
        "Every figure of Amazon's own account-health report is the same as ours."
        if frame["match"].all()
        else "Some of Amazon's figures differ from ours; the verdict says where to look."
    )
    yield (
        f"<p>{escape(lead)} Our numbers are recomputed from the order files for exactly the "
        "window of Amazon's report.</p>" + table(frame, columns, row_class=_match_class)
    )


def _match_class(row: Mapping[str, Any]) -> str | None:
    return None if row.get("match") else "mismatch"


def data_quality(r: ReportData) -> Iterator[Block]:
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
        f"{words.count(ingest.height, 'file')} read: {totals['rows_read']:,} rows, of which "
        f"{totals['kept']:,} kept, {totals['excluded']:,} left out on purpose (such as "
        f"Multi-Channel Fulfillment orders, which are not Amazon orders, and rows repeated by "
        f"overlapping exports) and {totals['rejected']:,} rejected. Every row is accounted for."
    )
    yield (
        alerts_box(r.account.alerts) + f"<p>{escape(summary)}</p>" + table(ingest, columns)
    ) + reason_table


def feedback(r: ReportData) -> Iterator[Block]:
    """Every negative feedback in the files (1-2 stars), newest first, and its CSV download."""
    limit = r.rules.negative_feedback_max_rating
    frame = (
        r.account.feedback.filter(pl.col("rating") <= limit)
        .sort(["date", "order_id"], descending=[True, False])
        .with_columns(status=pl.col("status").str.replace_all("_", " "))
        .select("order_id", "date", "rating", "status", "comments", "response")
    )
    if frame.is_empty():
        yield "<p>No negative feedback in the files.</p>"
    else:
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
            f"<p>{escape(words.count(frame.height, 'negative feedback', 'negative feedbacks'))} "
            f"({limit} stars or fewer) in the files, newest first. Removed, struck-through and "
            f"withdrawn ones do not count against the rate.{escape(more)}</p>"
        )
        yield intro + table(frame.head(MAX_TABLE_ROWS), columns)
    yield Download("negative-feedback.csv", "Download the negative feedback", frame)


# ---------------------------------------------------------------------------------------------
# Amazon's own figures over time.


def _figure_text(value: float | None, unit: str | None) -> str:
    """A figure of Amazon's report as people read it: ``2.55%``, ``236``, ``0``."""
    if value is None:
        return ""
    return words.pct(value) if unit == "rate" else words.number(value)


def _target_words(row: Mapping[str, Any]) -> str:
    """``under 1%``, ``over 95%``, ``exactly 0``; ``''`` without a target."""
    if row["target"] is None:
        return ""
    return words.amazon_target(row["target"], row["target_condition"], rate=row["unit"] == "rate")


def _history_metric(row: Mapping[str, Any]) -> str:
    """The metric's name in the table, with its channel or window when it has several."""
    name = words.metric_name(str(row["metric"]))
    if row["channel"] is not None:
        return f"{name}, {_prose(str(row['channel']))}"
    if row["detail"] is not None:
        return f"{name}: {row['detail']}"
    if row.get("several_windows") and row["window_days"] is not None:
        return f"{name}, {row['window_days']}-day window"
    return name


def _status_story(frame: pl.DataFrame, metric: str) -> str | None:
    """``Account status: AT_RISK on every snapshot`` or ``... NORMAL since 16 Feb 2026 (AT_RISK
    before)``, from the text statuses of one metric over the snapshots; None without any."""
    rows = frame.filter((pl.col("metric") == metric) & pl.col("status").is_not_null()).sort(
        "snapshot", "snapshot_number"
    )
    if rows.is_empty():
        return None
    statuses = rows["status"].to_list()
    days = rows["snapshot"].to_list()
    name = words.metric_name(metric)
    last = statuses[-1]
    if all(s == last for s in statuses):
        every = "on every snapshot" if len(statuses) > 1 else "on the one snapshot"
        return f"{name}: {last} {every}"
    since = len(statuses) - 1
    while since > 0 and statuses[since - 1] == last:
        since -= 1
    return f"{name}: {last} since {words.day(days[since])} ({statuses[since - 1]} before)"


def health_history_section(r: ReportData) -> Iterator[Block]:
    """Amazon's own figures from every account-health snapshot: the latest in a table, each
    metric against its target over time, and our ODR beside Amazon's on every snapshot."""
    history = r.health_history
    if history.is_empty():
        yield (
            "<p>The data folder holds no account-health report, so there are no Amazon figures "
            "to follow. Amazon's report holds today's figures only; odr-fetch "
            "keeps one snapshot each time it runs, and each is a day of history.</p>"
        )
        return
    for market in sorted(history["marketplace"].drop_nulls().unique().to_list()):
        mine = _mine(history, market)
        snapshots = mine.select("snapshot", "snapshot_number", "file").unique().sort("snapshot")
        first, last = snapshots["snapshot"][0], snapshots["snapshot"][-1]
        if snapshots.height == 1:
            lead = (
                f"One snapshot of Amazon's account-health report so far ({words.day(last)}). "
                "Amazon's report holds today's figures only; the history grows with each run "
                "of odr-fetch, which keeps one snapshot."
            )
        else:
            lead = (
                f"{snapshots.height} snapshots of Amazon's account-health report, from "
                f"{words.day(first)} to {words.day(last)}."
            )
        stories = [
            s for m in ("accountStatus", "accountHealthRating") if (s := _status_story(mine, m))
        ]
        newest = snapshots.row(-1, named=True)
        latest = (
            mine.filter(pl.col("file") == newest["file"])
            .with_columns(
                several_windows=(pl.len().over("metric", "channel", "detail") > 1),
            )
            .filter(pl.col("value").is_not_null() | pl.col("status").is_not_null())
            .filter(pl.col("metric") != "accountStatus")
        )
        missed = [
            _history_metric(row)
            for row in latest.filter(pl.col("meets_target").not_()).iter_rows(named=True)
        ]
        meaning = (
            f"On {words.day(last)} Amazon's figures miss their target for: {'; '.join(missed)}."
            if missed
            else f"On {words.day(last)} every figure with a target meets it."
        )
        text = " ".join([lead, *(f"{s}." for s in stories), meaning])
        columns = [
            Column("metric", "Metric"),
            Column("window", "Window"),
            Column("figure", "Amazon's figure", numeric=True),
            Column("counts", "Counted", numeric=True),
            Column("goal", "Target"),
            Column("status", "Amazon's status"),
        ]
        rows = [
            {
                "metric": _history_metric(row),
                "window": ""
                if row["window_start"] is None
                else f"{words.day(row['window_start'])} to {words.day(row['window_end'])}",
                "figure": _figure_text(row["value"], row["unit"]),
                "counts": ""
                if row["count"] is None
                else (
                    f"{row['count']:,} of {row['total']:,}"
                    if row["total"] is not None
                    else f"{row['count']:,}"
                ),
                "goal": _target_words(row),
                "status": row["status"] or "",
                "meets_target": row["meets_target"],
            }
            for row in latest.iter_rows(named=True)
        ]
        caption = f"Amazon's figures on {words.day(last)} (the newest snapshot)"
        yield (
            f"<p>{escape(text)}</p>"
            + table(
                rows,
                columns,
                caption=caption,
                row_class=lambda row: "mismatch" if row.get("meets_target") is False else None,
            )
        )
        chart = charts.health_history_chart(
            mine, title=_marketplace_title(r, market, "Amazon's own figures over time")
        )
        yield Chart(
            chart,
            escape(
                "Each small chart is one figure of Amazon's account-health report on each "
                "snapshot date, with Amazon's target dashed; a ringed point misses the target. "
                + meaning
            ),
        )
        if r.reconciliation_history is not None:
            ours = _mine(r.reconciliation_history, market)
            if ours.height:
                same = int(ours["match"].sum())
                verdict = (
                    f"ours is the same as Amazon's on all {words.count(ours.height, 'window')}"
                    if same == ours.height
                    else f"ours is the same as Amazon's on {same} of "
                    f"{words.count(ours.height, 'window')}; the ringed ones differ (the table "
                    "of our numbers against Amazon's says where to look for today's)"
                )
                yield Chart(
                    charts.reconcile_history_chart(
                        ours,
                        target=r.target,
                        title=_marketplace_title(
                            r, market, "Our ODR beside Amazon's, snapshot by snapshot"
                        ),
                    ),
                    escape(
                        "For every snapshot, Amazon's ODR per channel (solid) and ours "
                        "recomputed from the order files for the same window (dashed): "
                        f"{verdict}."
                    ),
                )
