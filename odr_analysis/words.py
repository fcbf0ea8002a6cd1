"""Every word a user reads: numbers, dates, the names of things, and the sentences of the answers.

The analytics return frames of data; the report, the panel, the charts and the notebooks turn
them into words with this module, so that a wording is changed in one place and reads the same
everywhere. Three kinds of helper:

* formats of one value: :func:`pct` (``2.55%``), :func:`target_text` (``1%``), :func:`count`
  (``3 defective orders``), :func:`day` (``9 Feb 2026``), ...;
* the names of things: :data:`KINDS` (each defect kind in its forms), :data:`CHANNELS`,
  :data:`STATUSES`, :data:`CAUSES`;
* sentences: functions that take a row (a mapping) or return a polars expression that builds
  the sentence of every row of an answer's frame at once (``frame.with_columns(message=...)``).

Nothing here computes a number that is not already in its input.

>>> pct(0.025469), target_text(0.015), count(1, "defective order"), day(dt.date(2026, 2, 9))
('2.55%', '1.5%', '1 defective order', '9 Feb 2026')
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import polars as pl

from odr_analysis.schema import (
    CHANGE_PARTS,
    COUNT_COLUMNS,
    GROUP_KEYS,
    ODR_COLUMNS,
    Channel,
    DefectKind,
)

__all__ = [
    "CAUSES",
    "CHANNELS",
    "CHART_DATE",
    "DAY",
    "KINDS",
    "LONG_DAY",
    "STATUSES",
    "ChannelWords",
    "KindWords",
    "StatusWords",
    "count",
    "day",
    "group_label",
    "iso",
    "long_day",
    "number",
    "pct",
    "pct_expr",
    "plural",
    "points",
    "sentence",
    "short_day",
    "target_text",
]

# ---------------------------------------------------------------------------------------------
# Numbers


def pct(rate: float | None, digits: int = 2) -> str:
    """A rate as a percentage for people: ``0.02547 -> '2.55%'``; ``None`` or NaN -> ``'n/a'``.

    >>> pct(0.025469), pct(None), pct(float("nan")), pct(0.01, 0)
    ('2.55%', 'n/a', 'n/a', '1%')
    """
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "n/a"
    return f"{rate:.{digits}%}"


def pct_expr(rate: pl.Expr) -> pl.Expr:
    """:func:`pct` with two decimals as a polars expression (null stays null).

    Rounded half to even on the hundredths of a percent, as Python's own formatting rounds.

    >>> pl.select(pct_expr(pl.lit(0.0073))).item()
    '0.73%'
    """
    hundredths = (rate * 10_000).round(0).cast(pl.Int64)
    return pl.concat_str(
        (hundredths // 100).cast(pl.String),
        pl.lit("."),
        (hundredths % 100).cast(pl.String).str.zfill(2),
        pl.lit("%"),
    )


def target_text(value: float) -> str:
    """The target as people write it: ``0.01 -> '1%'``, ``0.015 -> '1.5%'``.

    >>> target_text(0.01), target_text(0.015), target_text(0.0125)
    ('1%', '1.5%', '1.25%')
    """
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def number(value: float) -> str:
    """A number without needless decimals: ``5.0 -> '5'``, ``2.5 -> '2.5'``, ``1234 -> '1,234'``.

    >>> number(5.0), number(2.5), number(1234.0)
    ('5', '2.5', '1,234')
    """
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``word`` for one, ``many`` (default ``word + 's'``) for any other number.

    >>> plural(1, "day"), plural(2, "day"), plural(0, "feedback", "feedbacks")
    ('day', 'days', 'feedbacks')
    """
    return word if n == 1 else (many or word + "s")


def count(n: int, word: str, many: str | None = None) -> str:
    """``n`` and its noun: ``1 day``, ``2 days``, ``1,234 orders``.

    >>> count(1, "day"), count(2, "day"), count(1234, "order")
    ('1 day', '2 days', '1,234 orders')
    """
    return f"{n:,} {plural(n, word, many)}"


def points(change: float) -> str:
    """A change of rate in percentage points, signed with a true minus: ``+0.30 points``.

    >>> points(0.003), points(-0.0125), points(0.0)
    ('+0.30 points', '\u22121.25 points', '\u00b10.00 points')
    """
    value = change * 100
    sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
    return f"{sign}{abs(value):.2f} points"


# ---------------------------------------------------------------------------------------------
# Dates

DAY: Final = "%-d %b %Y"
"""A date in prose and tables: ``9 Feb 2026`` (strftime, also for polars ``dt.strftime``)."""
LONG_DAY: Final = "%A %d %B %Y"
"""A report date in a heading: ``Monday 23 February 2026``."""
CHART_DATE: Final = "%d %b %Y"
"""A date on a chart (axis, tooltip, label): ``09 Feb 2026``; also a Vega time format."""


def day(value: dt.date | None) -> str:
    """``9 Feb 2026``; ``''`` for ``None``.

    >>> day(dt.date(2026, 2, 9)), day(None)
    ('9 Feb 2026', '')
    """
    return "" if value is None else f"{value.day} {value:%b %Y}"


def long_day(value: dt.date) -> str:
    """``Monday 23 February 2026``.

    >>> long_day(dt.date(2026, 2, 23))
    'Monday 23 February 2026'
    """
    return value.strftime(LONG_DAY)


def chart_day(value: dt.date) -> str:
    """``09 Feb 2026``: a date written as the charts write it.

    >>> chart_day(dt.date(2026, 2, 9))
    '09 Feb 2026'
    """
    return value.strftime(CHART_DATE)


def short_day(value: dt.date, today: dt.date) -> str:
    """``14 March``: the year only when it is not ``today``'s year.

    >>> short_day(dt.date(2026, 3, 14), dt.date(2026, 2, 23))
    '14 March'
    >>> short_day(dt.date(2027, 1, 2), dt.date(2026, 2, 23))
    '2 January 2027'
    """
    text = f"{value.day} {value:%B}"
    return text if value.year == today.year else f"{text} {value.year}"


def iso(value: dt.date | None) -> str:
    """``2026-02-23``: a date in the plain one-line answers (``describe()``, messages)."""
    return "" if value is None else value.isoformat()


# ---------------------------------------------------------------------------------------------
# The names of things


class KindWords(NamedTuple):
    """How one kind of defect is named.

    ``one``: a single defect (``every A-to-z claim``); ``many``: a count of them (``2 A-to-z
    claims``); ``all``: the kind as a whole (``the negative feedback of order 1``); ``short``:
    (one, many) where the context is clear (the what-if panel); ``remedy``: what a seller can do
    about one.
    """

    one: str
    many: str
    all: str
    short: tuple[str, str]
    remedy: str

    @property
    def title(self) -> str:
        """The kind as a legend names it: ``Negative feedback``, ``A-to-z claims``."""
        return sentence(self.all)


KINDS: Final[Mapping[DefectKind, KindWords]] = {
    "negative_feedback": KindWords(
        one="negative feedback",
        many="negative feedbacks",
        all="negative feedback",
        short=("feedback", "feedbacks"),
        remedy=(
            "ask Amazon to remove it if it breaks the feedback rules, or the buyer to withdraw it"
        ),
    ),
    "a_to_z_claim": KindWords(
        one="A-to-z claim",
        many="A-to-z claims",
        all="A-to-z claims",
        short=("A-to-z claim", "A-to-z claims"),
        remedy="appeal the claim if it was decided wrongly",
    ),
    "chargeback": KindWords(
        one="chargeback",
        many="chargebacks",
        all="chargebacks",
        short=("chargeback", "chargebacks"),
        remedy="represent the chargeback with proof of delivery",
    ),
}
"""Each defect kind of :data:`odr_analysis.schema.KINDS`, in words."""


class ChannelWords(NamedTuple):
    """How a fulfilment channel is named: in a heading, in prose, and in a picker."""

    heading: str
    prose: str
    picker: str


CHANNELS: Final[Mapping[Channel, ChannelWords]] = {
    "AFN": ChannelWords(
        heading="FBA orders (AFN, fulfilled by Amazon)",
        prose="FBA orders",
        picker="FBA (Amazon-fulfilled)",
    ),
    "MFN": ChannelWords(
        heading="Seller-fulfilled orders (MFN)",
        prose="seller-fulfilled orders",
        picker="seller-fulfilled",
    ),
}
"""Each channel of :data:`odr_analysis.schema.CHANNELS`, in words."""


class StatusWords(NamedTuple):
    """How a status against the target is named: on a badge, and in a legend (with its rule)."""

    badge: str
    legend: str


STATUSES: Final[Mapping[str, StatusWords]] = {
    "breached": StatusWords("Over the target", "Breached (at or above target)"),
    "at_risk": StatusWords("At risk", "At risk (within {at_risk:.0%} of target)"),
    "met": StatusWords("Meets the target", "Meets target"),
    "no_orders": StatusWords("No orders", "No orders in the window"),
}
"""Each status of :func:`odr_analysis.portfolio.portfolio_status`, from worst to best."""


def status_legend(status: str, *, at_risk: float = 0.2) -> str:
    """The legend of a status: ``At risk (within 20% of target)``.

    >>> status_legend("at_risk"), status_legend("met")
    ('At risk (within 20% of target)', 'Meets target')
    """
    return STATUSES[status].legend.format(at_risk=at_risk)


CAUSES: Final[Mapping[str, tuple[str, str]]] = {
    "new_defects": ("new defects", "New|defects"),
    "defective_left": ("defective orders leaving the window", "Defective|orders left"),
    "new_orders": ("new orders", "New|orders"),
    "clean_left": ("clean orders leaving the window", "Clean|orders left"),
}
"""The four causes of a change of rate (:mod:`odr_analysis.explain`): in prose, and as a
chart's axis label (``|`` breaks the line)."""


def sentence(text: str) -> str:
    """``text`` with its first letter in capitals (the rest unchanged).

    >>> sentence("expected under 1% from 9 Mar 2026")
    'Expected under 1% from 9 Mar 2026'
    """
    return text[:1].upper() + text[1:]


def group_label(
    row: Mapping[str, object], keys: Sequence[str] = ("account", "marketplace", "channel")
) -> str:
    """``summit-outdoor Amazon.com MFN`` from a row with the group keys.

    >>> group_label({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN"})
    'acme Amazon.com MFN'
    """
    return " ".join(str(row[key]) for key in keys)


# ---------------------------------------------------------------------------------------------
# Where a number comes from (the provenance columns of the estimates)

AS_GIVEN: Final = "as given"
"""The source of a number the user gave."""
ASSUMED: Final = "assumed"
"""The source of an assumption the user gave to the projection."""
NO_ORDERS: Final = "no orders"
NO_MATURED_RATE: Final = "no matured rate"


def recent_orders_source(covered: int, days: int, since: dt.date | None) -> str:
    """Where a recent orders-a-day figure comes from.

    >>> recent_orders_source(28, 28, None)
    'average of the last 28 days'
    >>> recent_orders_source(5, 28, dt.date(2024, 3, 1))
    'average of the 5 days since the first order on 2024-03-01'
    """
    if covered == days:
        return f"average of the last {days} days"
    if covered > 0:
        return f"average of the {count(covered, 'day')} since the first order on {iso(since)}"
    return "no order before the report date"


def matured_rate_source(
    used: int, own: int, *, pooled: bool, min_orders: int, ages: tuple[int, int]
) -> str:
    """Where a matured defect rate comes from: how many orders, how old, pooled or not.

    >>> matured_rate_source(150, 40, pooled=True, min_orders=200, ages=(90, 149))
    'matured rate of 150 orders 90-149 days old, pooled over the account (this channel has 40), fewer than 200: uncertain'
    """  # noqa: E501
    old = f"{ages[0]}-{ages[1]} days old"
    if used == 0:
        return f"no order {old}: give a defect rate"
    text = f"matured rate of {used:,} orders {old}"
    if pooled:
        text += f", pooled over the account (this channel has {own:,})"
    if used < min_orders:
        text += f", fewer than {min_orders}: uncertain"
    return text


def arrival_source(k: int, *, pooled: bool, accounts: int, everyone: int, max_delay: int) -> str:
    """Where an account's arrival delays come from.

    >>> arrival_source(30, pooled=False, accounts=3, everyone=90, max_delay=120)
    "the account's own 30 defects on orders at least 120 days old"
    """
    old = f"orders at least {max_delay} days old"
    if not pooled:
        return f"the account's own {k:,} defects on {old}"
    if not everyone:
        return f"no defect on {old}: assumed uniform over 0-{max_delay} days"
    if accounts == 1:
        return f"only {k} defect(s) on {old}: few, uncertain"
    return (
        f"pooled over all {accounts} accounts ({everyone:,} defects on {old}); "
        f"this account has only {k}"
    )


def arrival_fixed(delay: int) -> str:
    """``every defect 3 days after its order``: the source of an assumed arrival delay."""
    return f"every defect {count(delay, 'day')} after its order"


def maturity_source(rate_source: str, delay_source: str) -> str:
    """Both sources behind a matured rate: the defect rate's and the delays'."""
    return f"{rate_source}; delays: {delay_source}"


def method_monte_carlo(n_sims: int) -> str:
    """``monte carlo, 500 simulations``: how a band was computed."""
    return f"monte carlo, {n_sims:,} simulations"


def method_normal(defects: float, what: str) -> str:
    """``normal approximation (1,234 defects to come)``: how a band was computed."""
    return f"normal approximation ({defects:,.0f} defects {what})"


# ---------------------------------------------------------------------------------------------
# The projection's assumptions

# (((column, value), ...), number) pairs, as odr_analysis.projection.Assumptions stores them
_Entries = tuple[tuple[tuple[tuple[str, str], ...], float], ...]


def _entries(entries: _Entries | None, fmt: str, unit: str, default: str) -> str:
    if entries is None:
        return default
    if len(entries) == 1 and not entries[0][0]:
        return f"{entries[0][1]:{fmt}} {unit}"
    values = ", ".join(" ".join(v for _, v in key) + f" {x:{fmt}}" for key, x in entries)
    return f"{values} {unit} (others: default)"


def _extra(entries: _Entries) -> str:
    """``5 extra clean orders a day``, or per group: ``MFN 5 extra clean ... (others: none)``."""
    unit = "extra clean orders a day"
    if len(entries) == 1 and not entries[0][0]:
        return f"{number(entries[0][1])} {unit}"
    values = ", ".join(" ".join(v for _, v in key) + f" {number(x)}" for key, x in entries)
    return f"{values} {unit} (others: none)"


def assumptions(
    *,
    daily_orders: _Entries | None,
    defect_rate: _Entries | None,
    extra_clean_orders: _Entries,
    arrival_delay: int | None,
    horizon: int,
    n_sims: int,
    level: float,
    seed: int,
    recent_days: int = 28,
    matured_ages: tuple[int, int] = (90, 149),
) -> str:
    """The projection's assumptions in one line (``Assumptions.describe``)."""
    orders = _entries(
        daily_orders,
        ",.1f",
        "orders a day",
        f"the average orders a day of the last {recent_days} days",
    )
    rate = _entries(
        defect_rate,
        ".2%",
        "of orders defective",
        f"the matured defect rate (orders {matured_ages[0]}-{matured_ages[1]} days old)",
    )
    arrival = (
        "defects arriving as in the account history"
        if arrival_delay is None
        else f"every defect arriving {count(arrival_delay, 'day')} after its order"
    )
    if extra_clean_orders:
        orders += " + " + _extra(extra_clean_orders)
    return (
        f"{orders}, {rate}, {arrival}, {horizon} days, {n_sims:,} simulations, "
        f"{level:.0%} band, seed {seed}"
    )


# ---------------------------------------------------------------------------------------------
# When the rate is under the target again (the dates of odr_analysis.outlook.under_target)


def outlook(row: Mapping[str, Any], *, target: float, horizon: int) -> str:
    """The dates of one group's outlook in one line, as a plain answer.

    >>> outlook({"first_under": None, "rate_today": 0.02}, target=0.01, horizon=90)
    'not expected under 1% within 90 days'
    >>> outlook({"first_under": dt.date(2026, 3, 10), "days_until_under": 15,
    ...          "stays_under_from": dt.date(2026, 3, 10), "rate_today": 0.012},
    ...         target=0.01, horizon=90)
    'expected under 1% from 2026-03-10 (in 15 days) and to stay under'
    """
    t = target_text(target)
    first = row["first_under"]
    if first is None:
        return f"not expected under {t} within {count(horizon, 'day')}"
    wait, stay, rate_now = row["days_until_under"], row.get("stays_under_from"), row["rate_today"]
    if wait == 1 and rate_now is not None and rate_now < target:
        text = f"under {t} today"
    else:
        text = f"expected under {t} from {iso(first)} (in {count(wait, 'day')})"
    if stay == first:
        return text + " and to stay under"
    if stay is not None:
        return text + f", to stay under from {iso(stay)}"
    if row.get("back_over") is not None:
        return text + f", but at or above it again from {iso(row['back_over'])}"
    return text + f", but with no order in the window from {iso(row.get('empty_from'))}"


def outlook_report(row: Mapping[str, Any], *, target: float, horizon: int) -> str:
    """The outlook of one group as the stakeholder report says it (dates as ``9 Mar 2026``).

    >>> outlook_report({"rate_today": 0.005, "meets_target_today": True, "first_over": None},
    ...                target=0.01, horizon=90)
    'expected to stay under 1% for the next 90 days'
    """
    t = target_text(target)
    rate_now = row["rate_today"]
    if rate_now is None or (isinstance(rate_now, float) and math.isnan(rate_now)):
        return "no orders in today's window"
    if row["meets_target_today"]:
        if row["first_over"] is None:
            return f"expected to stay under {t} for the next {horizon} days"
        return f"under {t} today, but expected at or over it from {day(row['first_over'])}"
    if row["first_under"] is None:
        return f"not expected under {t} within the next {horizon} days"
    text = (
        f"expected under {t} from {day(row['first_under'])} "
        f"(in {count(row['days_until_under'], 'day')})"
    )
    if row["back_over"] is not None:
        text += f", but at or over it again from {day(row['back_over'])}"
    return text


def outlook_label(channel: str, target: float, when: dt.date) -> str:
    """``MFN under 1% from 09 Mar 2026``: the mark on a projection chart."""
    return f"{channel} under {target_text(target)} from {chart_day(when)}"


def outlook_label_js(target: float, days: int) -> str:
    """The outlook as a Vega expression, for a chart recomputed in the browser.

    It reads ``datum.today`` (today's rate), ``datum.under_on`` (the first coming day under
    the target), ``datum.over_on`` (the first at or over it) and ``datum.back_on`` (the first
    at or over it after ``under_on``), as times.
    """
    t = target_text(target)
    when = "timeFormat(datum.{}, '%-d %b %Y')"
    return (
        "!isValid(datum.today) ? 'No orders in the window' : "
        f"datum.today >= {target} ? "
        f"(!isValid(datum.under_on) ? 'Not under {t} within {days} days' : "
        f"'Under {t} from ' + {when.format('under_on')} + "
        f"(isValid(datum.back_on) ? ', at or over it again from ' + "
        f"{when.format('back_on')} : '')) : "
        f"(!isValid(datum.over_on) ? 'Stays under {t} for {days} days' : "
        f"'At or over {t} from ' + {when.format('over_on')})"
    )


def projection(result: Any) -> str:
    """A projection in one line: per group, its assumptions in numbers and the answer.

    ``result`` is an :class:`odr_analysis.projection.Projection`.
    """
    if not result.inputs.height:
        return f"no orders: nothing to project from {iso(result.as_of)}"
    a = result.assumptions
    keys = list(result.keys)
    texts = []
    rows = result.inputs.join(result.first_under, on=keys, how="left")
    for row in rows.iter_rows(named=True):  # a handful of groups
        extra = row["extra_clean_orders"]
        more = f" + {number(extra)} extra clean orders a day" if extra else ""
        answer = outlook(row, target=result.rules.target, horizon=a.horizon)
        texts.append(
            f"{group_label(row, keys)}: {row['daily_orders']:,.1f} orders a day "
            f"({row['daily_orders_source']}){more}, {row['defect_rate']:.2%} of orders defective "
            f"({row['defect_rate_source']}): {answer}"
        )
    return (
        "; ".join(texts) + f" [{a.horizon} days, {a.n_sims:,} simulations, "
        f"{a.level:.0%} band, seed {a.seed}]"
    )


# ---------------------------------------------------------------------------------------------
# Why the rate moved (the parts of odr_analysis.explain)

_PARTS = CHANGE_PARTS


def _fixed2(value: pl.Expr, *, sign: bool) -> pl.Expr:
    """``value`` with exactly two decimals (e.g. ``0.80``, ``+0.30``), rounded half to even."""
    hundredths = (value * 100).round(0).cast(pl.Int64)
    size = hundredths.abs()
    text = pl.concat_str(
        (size // 100).cast(pl.String), pl.lit("."), (size % 100).cast(pl.String).str.zfill(2)
    )
    minus = pl.when(hundredths < 0).then(pl.lit("-"))
    if sign:
        prefix = minus.when(hundredths > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    else:
        prefix = minus.otherwise(pl.lit(""))
    return pl.concat_str(prefix, text)


def _percent(rate: pl.Expr) -> pl.Expr:
    return pct_expr(rate)


def _points(part: str) -> pl.Expr:
    return pl.concat_str(pl.lit(" ("), _fixed2(pl.col(part) * 100, sign=True), pl.lit(" points)"))


def _n(column: str, singular: str, plural: str) -> pl.Expr:
    """``1 clean order`` / ``5 clean orders``."""
    count = pl.col(column)
    return pl.concat_str(
        count.cast(pl.String),
        pl.when(count == 1).then(pl.lit(f" {singular}")).otherwise(pl.lit(f" {plural}")),
    )


# The order in which the message tells the parts.
_NARRATIVE = ("new_defects", "defective_left", "clean_left", "new_orders")


def with_change_words(table: pl.DataFrame) -> pl.DataFrame:
    """An explanation of a change with its ``reason`` (why there are no parts) and ``message``.

    ``table`` is a frame of :func:`odr_analysis.explain.explain_change` (or ``explain_daily``);
    ``reason`` is null when the rate is defined on both dates, and ``message`` says the change
    and its causes in one line, e.g. ``Your Amazon.com MFN ODR rose from 10.00% to 20.00% (+10.00
    points) between 2024-03-14 and 2024-03-15 although no new defect arrived: 5 clean orders
    left the window (+10.00 points)``. Built in three stages of short expressions.
    """
    texts, joined, message = _message_stages()
    temporary = [*texts, *joined]
    return (
        table.with_columns(reason=_change_reason())
        .with_columns(**texts)
        .with_columns(**joined)
        .with_columns(message=message)
        .drop(temporary)
    )


@functools.cache
def _message_stages() -> tuple[dict[str, pl.Expr], dict[str, pl.Expr], pl.Expr]:
    new, revised = pl.col("new_defect_orders"), pl.col("revised_away_orders")
    new_text = _n("new_defect_orders", "order got a new defect", "orders got a new defect")
    defects_text = (
        pl.when((new > 0) & (revised > 0))
        .then(
            pl.concat_str(
                new_text, pl.lit(" and "), _n("revised_away_orders", "lost one", "lost one")
            )
        )
        .when(new > 0)
        .then(new_text)
        .when(revised > 0)
        .then(
            _n(
                "revised_away_orders",
                "order's defect stopped counting",
                "orders' defects stopped counting",
            )
        )
    )
    entered_text = pl.when(pl.col("entered_orders") > 0).then(
        pl.concat_str(
            _n("entered_orders", "order entered the window", "orders entered the window"),
            pl.when(pl.col("entered_defective_orders") == 0)
            .then(None)
            .when(pl.col("entered_orders") == 1)
            .then(pl.lit(", already defective"))
            .otherwise(
                pl.concat_str(
                    pl.lit(", "),
                    pl.col("entered_defective_orders").cast(pl.String),
                    pl.lit(" of them already defective"),
                )
            ),
            ignore_nulls=True,
        )
    )
    # Stage 1: each part's words (null when it moved nothing) and its points; the rates.
    texts = {
        "_t_new_defects": defects_text,
        "_t_defective_left": pl.when(pl.col("defective_left_orders") > 0).then(
            _n(
                "defective_left_orders",
                "defective order left the window",
                "defective orders left the window",
            )
        ),
        "_t_clean_left": pl.when(pl.col("clean_left_orders") > 0).then(
            _n("clean_left_orders", "clean order left the window", "clean orders left the window")
        ),
        "_t_new_orders": entered_text,
        **{f"_p_{part}": _points(part) for part in _PARTS},
        "_t_start": _percent(pl.col("odr_start")),
        "_t_end": _percent(pl.col("odr_end")),
        "_t_change": _fixed2(pl.col("change") * 100, sign=True),
    }
    # Stage 2: the parts joined, with and without their points.
    joined = {
        "_drivers": pl.concat_str(
            *[pl.concat_str(f"_t_{part}", f"_p_{part}") for part in _NARRATIVE],
            separator="; ",
            ignore_nulls=True,
        ),
        "_movers": pl.concat_str(
            *[f"_t_{part}" for part in _NARRATIVE[1:]], separator="; ", ignore_nulls=True
        ),
    }
    # Stage 3: the sentence.
    drivers, change = pl.col("_drivers"), pl.col("change")
    who = pl.concat_str(pl.lit("Your "), "marketplace", pl.lit(" "), "channel", pl.lit(" ODR"))
    start, end = pl.col("start").cast(pl.String), pl.col("end").cast(pl.String)
    rates = pl.concat_str(
        pl.lit(" from "),
        "_t_start",
        pl.lit(" to "),
        "_t_end",
        pl.lit(" ("),
        "_t_change",
        pl.lit(" points)"),
    )
    movement = (
        pl.when(change > 0)
        .then(pl.concat_str(pl.lit(" rose"), rates))
        .when(change < 0)
        .then(pl.concat_str(pl.lit(" fell"), rates))
        .otherwise(pl.concat_str(pl.lit(" stayed at "), "_t_end"))
    )
    tail = (
        pl.when(drivers == "")
        .then(pl.lit(": no order entered or left the window and no defect changed"))
        .when((change > 0) & (new == 0))
        .then(pl.concat_str(pl.lit(" although no new defect arrived: "), drivers))
        .otherwise(pl.concat_str(pl.lit(": "), drivers))
    )
    defined = pl.concat_str(who, movement, pl.lit(" between "), start, pl.lit(" and "), end, tail)

    def rate_on(column: str, verb: str, day: pl.Expr) -> pl.Expr:
        return pl.when(pl.col(column).is_not_null()).then(
            pl.concat_str(pl.lit(verb), f"_t_{column[4:]}", pl.lit(" on "), day, pl.lit("; "))
        )

    undefined = pl.concat_str(
        who,
        pl.lit(": "),
        rate_on("odr_start", "was ", start),
        rate_on("odr_end", "is ", end),
        pl.col("reason"),
        pl.when(pl.col("_movers") != "").then(pl.concat_str(pl.lit(" ("), "_movers", pl.lit(")"))),
        ignore_nulls=True,
    )
    return texts, joined, pl.when(change.is_null()).then(undefined).otherwise(defined)


def _change_reason() -> pl.Expr:
    """Why a change has no parts: a window without orders on the start or the end date."""
    has_start, has_end = pl.col("orders_start") > 0, pl.col("orders_end") > 0
    return (
        pl.when(~has_start & ~has_end)
        .then(pl.lit("no orders in the window on either date: no rate to explain"))
        .when(~has_start)
        .then(pl.lit("no orders in the window on the start date: no rate to explain"))
        .when(~has_end)
        .then(pl.lit("no orders in the window on the end date: no rate to explain"))
    )


# ---------------------------------------------------------------------------------------------
# Ours against Amazon's (the differences of odr_analysis.reconcile)

_RECONCILED: Final = COUNT_COLUMNS
_WHAT: Final = {
    "order_count": "orders",
    "defective_orders": "defective orders",
    "negative_feedback": "orders with negative feedback",
    "a_to_z_claims": "orders with A-to-z claims",
    "chargebacks": "orders with chargebacks",
}
_AMAZON_MORE: Final = {
    "negative_feedback": "is the feedback report missing, or exported before the report date?",
    "a_to_z_claims": "is the claims log complete, with every claim's current status?",
    "chargebacks": "is every chargeback in the claims log?",
}
_OURS_MORE: Final = {
    "negative_feedback": (
        "was some feedback removed, struck through or withdrawn without the feedback report's "
        "Status column saying so?"
    ),
    "a_to_z_claims": (
        "check the claim statuses in your log: denied, withdrawn (before a decision), Buy "
        "Shipping protected and not-counted claims do not count"
    ),
    "chargebacks": (
        "fraud chargebacks do not count: check the chargeback reasons in your log (Unknown "
        "counts, conservatively)"
    ),
}


def reconcile_explanation() -> pl.Expr:
    """Short reasons for every difference of a :func:`odr_analysis.reconcile.reconcile` row.

    Null where ours and Amazon's agree (``match``); otherwise every difference, each with where
    to look, joined by ``; ``.
    """
    diff = {c: pl.col(f"{c}_diff") for c in _RECONCILED}
    pieces = [
        pl.when(pl.col("marketplace").is_null()).then(
            pl.format(
                "Amazon's marketplace id {} is unknown to odr-analysis: it cannot be matched to "
                "your orders' sales channel",
                pl.col("marketplace_id").fill_null("(none)"),
            )
        ),
        pl.when(pl.col("order_count_amazon").is_null()).then(
            pl.lit("Amazon's report gives no order count for this window")
        ),
        pl.when(diff["order_count"] < 0).then(
            pl.format(
                "Amazon counts {} more orders ({} vs {}): your orders files may not cover the "
                "whole window {} to {}{}",
                -diff["order_count"],
                pl.col("order_count_amazon"),
                pl.col("order_count_ours"),
                pl.col("window_start"),
                pl.col("window_end"),
                pl.concat_str(
                    pl.when(pl.col("first_order") > pl.col("window_start")).then(
                        pl.format(" (your orders start on {})", pl.col("first_order"))
                    ),
                    pl.when(pl.col("last_order") < pl.col("window_end")).then(
                        pl.format(" (your orders end on {})", pl.col("last_order"))
                    ),
                    pl.when(pl.col("first_order").is_null()).then(
                        pl.lit(" (no orders of this channel in your files)")
                    ),
                    ignore_nulls=True,
                ),
            )
        ),
        pl.when(diff["order_count"] > 0).then(
            pl.format(
                "we count {} more orders than Amazon ({} vs {}): orders of another account or "
                "marketplace in the files, or cancelled orders Amazon leaves out "
                "(OdrRules.include_cancelled)?",
                diff["order_count"],
                pl.col("order_count_ours"),
                pl.col("order_count_amazon"),
            )
        ),
    ]
    for column in ("negative_feedback", "a_to_z_claims", "chargebacks"):
        pieces += [
            pl.when(diff[column] < 0).then(
                pl.format(
                    f"Amazon counts {{}} more {_WHAT[column]}: {_AMAZON_MORE[column]}",
                    -diff[column],
                )
            ),
            pl.when(diff[column] > 0).then(
                pl.format(f"we count {{}} more {_WHAT[column]}: {_OURS_MORE[column]}", diff[column])
            ),
        ]
    components_agree = pl.all_horizontal(
        [diff[c].fill_null(0) == 0 for c in ("negative_feedback", "a_to_z_claims", "chargebacks")]
    )
    pieces += [
        pl.when((diff["defective_orders"] != 0) & components_agree).then(
            pl.format(
                "defective orders differ by {} although every component agrees: Amazon counts an "
                "order with several defects once",
                diff["defective_orders"],
            )
        ),
        pl.when(pl.col("amazon_inconsistent")).then(
            pl.format(
                "the rate Amazon reports ({}) differs from its own counts ({}/{} = {})",
                pct_expr(pl.col("rate_amazon")),
                pl.col("defective_orders_amazon"),
                pl.col("order_count_amazon"),
                pct_expr(pl.col("rate_amazon_recomputed")),
            )
        ),
        pl.when(
            pl.col("rate_differs") & pl.col("counts_match") & ~pl.col("amazon_inconsistent")
        ).then(
            pl.format(
                "the counts agree but the rates differ: ours {}, Amazon's {}",
                pct_expr(pl.col("rate_ours")),
                pct_expr(pl.col("rate_amazon")),
            )
        ),
    ]
    text = pl.concat_str(pieces, separator="; ", ignore_nulls=True)
    none = pl.lit(None, pl.String)
    return pl.when(pl.col("match")).then(none).otherwise(text).alias("explanation")


# ---------------------------------------------------------------------------------------------
# Headroom and orders needed (odr_analysis.headroom)


def target_expr(target: pl.Expr) -> pl.Expr:
    """:func:`target_text` as a polars expression: ``0.01 -> '1%'``.

    >>> pl.select(target_expr(pl.lit(0.015))).item()
    '1.5%'
    """
    return pl.concat_str(
        (target * 100).round(2).cast(pl.String).str.replace(r"\.0$", ""), pl.lit("%")
    )


def _plural_expr(n: pl.Expr, one: str, many: str) -> pl.Expr:
    return pl.when(n == 1).then(pl.lit(one)).otherwise(pl.lit(many))


def headroom() -> pl.Expr:
    """The sentence of each row of :func:`odr_analysis.headroom.defects_allowed`.

    For example ``1 of 250 orders defective (0.40%): 1 more defective order keeps the rate
    under 1%``, or ``..., over the target by 2 defective orders; that many must leave the window
    or be removed for the rate to be under 1%``.
    """
    n, k, allowed = pl.col("order_count"), pl.col("defective_orders"), pl.col("allowed")
    t = target_expr(pl.col("target"))
    under = pl.col("odr") < pl.col("target")
    head = pl.format("{} of {} orders defective ({})", k, n, pct_expr(pl.col("odr")))
    return (
        pl.when(n == 0)
        .then(pl.format("no orders in the window of {}: the rate is undefined", "as_of"))
        .when(under & (allowed == 0))
        .then(pl.format("{}: one more defective order puts the rate at or over {}", head, t))
        .when(under)
        .then(
            pl.format(
                "{}: {} more defective {} the rate under {}",
                head,
                allowed,
                _plural_expr(allowed, "order keeps", "orders keep"),
                t,
            )
        )
        .otherwise(
            pl.format(
                "{}: over the target by {} defective order{}; that many must leave the window "
                "or be removed for the rate to be under {}",
                head,
                "over_by",
                _plural_expr(pl.col("over_by"), "", "s"),
                t,
            )
        )
        .alias("message")
    )


def orders_needed() -> pl.Expr:
    """The sentence of each row of :func:`odr_analysis.headroom.orders_needed`.

    For example ``21 clean orders a day from 2024-02-02 to 2024-02-06 (5 days) give 2
    defective of 205 orders (0.98%) on 2024-02-20``.
    """
    n, k = pl.col("order_count_known"), pl.col("defective_known")
    x, days = pl.col("orders_per_day"), pl.col("days_of_new_orders")
    goal = pl.col("by_date").cast(pl.String)
    new_days = pl.format(
        "from {} to {} ({} {})",
        "first_new_order_date",
        "window_end",
        days,
        _plural_expr(days, "day", "days"),
    )
    reached = pl.format(
        "{} clean order{} a day {} give {} defective of {} orders ({}) on {}",
        x,
        _plural_expr(x, "", "s"),
        new_days,
        k,
        n + x * days,
        pct_expr(pl.col("odr_then")),
        goal,
    )
    unreachable = pl.format(
        "the window of {} ends on {}, before tomorrow ({}): no new order can enter it; "
        "known: {} defective of {} orders ({})",
        goal,
        "window_end",
        (pl.col("as_of") + pl.duration(days=1)).cast(pl.String),
        k,
        n,
        pct_expr(pl.col("odr_known")),
    )
    return (
        pl.when(x == 0)
        .then(
            pl.format(
                "already under the target on {} ({} defective of {} orders, {}): 0 needed",
                goal,
                k,
                n,
                pct_expr(pl.col("odr_known")),
            )
        )
        .when(pl.col("reachable") & (n == 0) & (k == 0))
        .then(
            pl.format(
                "no known order in the window of {}: 1 clean order a day {} gives 0.00%",
                goal,
                new_days,
            )
        )
        .when(pl.col("reachable"))
        .then(reached)
        .otherwise(unreachable)
        .alias("reason")
    )


# ---------------------------------------------------------------------------------------------
# The drop-off calendar and removal scenarios (odr_analysis.dropoff, odr_analysis.removal)

_PATH_VALUES = frozenset({*ODR_COLUMNS[len(GROUP_KEYS) :], "dropped_today"})


def _same_group(row: Mapping[str, Any], keys: Sequence[str]) -> pl.Expr:
    return pl.all_horizontal(pl.col(k) == row[k] for k in keys)


def dropoff(today: pl.DataFrame, defects: pl.DataFrame, path: pl.DataFrame) -> str:
    """A drop-off calendar in one line per group, joined by ``"; "``.

    ``today``, ``defects`` and ``path`` are the frames of a
    :class:`~odr_analysis.dropoff.DropoffCalendar`.
    """
    keys = [c for c in today.columns if c not in _PATH_VALUES]
    parts = []
    for row in today.iter_rows(named=True):  # a handful of groups
        label = group_label(row, keys)
        mine = defects.filter(_same_group(row, keys)).sort("leaves_window_on")
        if not mine.height:
            parts.append(f"{label}: no defective order in the window ({pct(row['odr'])} today)")
            continue
        first = mine.row(0, named=True)["leaves_window_on"]
        after = path.filter(_same_group(row, keys) & (pl.col("as_of") == first))
        rate_then = after.item(0, "odr") if after.height else None
        last = mine.item(mine.height - 1, "leaves_window_on")
        parts.append(
            f"{label}: {count(mine.height, 'defective order')} in the window "
            f"({pct(row['odr'])} today); the first leaves on {iso(first)} "
            f"({pct(rate_then)} then), the last on {iso(last)}"
        )
    return "; ".join(parts) if parts else "no orders"


def removal(
    *,
    order_ids: Sequence[str] = (),
    kinds: Sequence[DefectKind] = (),
    newest_feedback: int = 0,
    appealable_claims: bool = False,
    label: str = "",
) -> str:
    """What a removal scenario removes, in one line (``Removal.describe``).

    >>> removal(order_ids=("111-1",), kinds=("a_to_z_claim",))
    'removing the A-to-z claims of order 111-1'
    >>> removal(kinds=("chargeback",)), removal(newest_feedback=2)
    ('removing every chargeback', 'removing the 2 newest negative feedbacks')
    """
    if label:
        return label
    what = []
    if order_ids:
        shown = ", ".join(order_ids[:3]) + (" ..." if len(order_ids) > 3 else "")
        orders = f"{plural(len(order_ids), 'order')} {shown}"
        named = " and ".join(KINDS[k].all for k in kinds)
        what.append(f"the {named} of {orders}" if kinds else f"every defect of {orders}")
    elif kinds:
        what.append("every " + " and ".join(KINDS[k].one for k in kinds))
    if newest_feedback:
        what.append(
            "the newest negative feedback"
            if newest_feedback == 1
            else f"the {newest_feedback} newest {KINDS['negative_feedback'].many}"
        )
    if appealable_claims:
        what.append("every appealable A-to-z claim (pending or granted)")
    return "removing " + (" and ".join(what) if what else "nothing")


def removal_result(
    removed: str, summary: pl.DataFrame, keys: Sequence[str], target: float, horizon: int
) -> str:
    """What a removal changes, in one line: per group the rate today before and after, and the
    days above the target it saves (``RemovalResult.describe``)."""
    t = target_text(target)
    groups = []
    for row in summary.iter_rows(named=True):  # a handful of groups
        saved = row["days_saved"]
        change = (
            f"{saved} fewer {plural(saved, 'day')} above {t}"
            if saved
            else f"no fewer days above {t}"
        )
        groups.append(
            f"{group_label(row, keys)}: {pct(row['odr_before'])} -> "
            f"{pct(row['odr_after'])} today, {change}"
        )
    body = "; ".join(groups) if groups else "no orders"
    return f"{removed}: {body} (next {horizon} days)"


# ---------------------------------------------------------------------------------------------
# Small numbers (odr_analysis.stats) and the status of a group


def _points_text(points: pl.Expr) -> pl.Expr:
    """Percentage points with two significant-ish digits: 2.3, 0.23, 0.023, 0.0023."""
    rounded = (
        pl.when(points >= 1)
        .then(points.round(1))
        .when(points >= 0.1)
        .then(points.round(2))
        .when(points >= 0.01)
        .then(points.round(3))
        .otherwise(points.round(4))
    )
    return rounded.cast(pl.String)


def small_numbers_note(target: float) -> pl.Expr:
    """How much one more defect moves each row's rate, in words, for a frame of
    :func:`odr_analysis.stats.with_intervals`: ``one more defect adds 2.3 points, over a tenth
    of the 1% target``."""
    return (
        pl.when(pl.col("order_count") > 0)
        .then(
            pl.concat_str(
                pl.lit("one more defect adds "),
                _points_text(pl.col("one_defect_moves") * 100),
                pl.lit(" points"),
                pl.when(pl.col("small_numbers")).then(
                    pl.lit(f", over a tenth of the {target_text(target)} target")
                ),
                ignore_nulls=True,
            )
        )
        .otherwise(pl.lit("no orders in the window: no rate"))
        .alias("note")
    )


def status_line(row: Mapping[str, Any], *, target: float = 0.01) -> str:
    """One line for a row of :func:`odr_analysis.engine.odr`, for people.

    >>> row = {"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...        "window_start": dt.date(2025, 12, 12), "window_end": dt.date(2026, 2, 9),
    ...        "order_count": 746, "defective_orders": 19, "negative_feedback": 11,
    ...        "a_to_z_claims": 8, "chargebacks": 0, "odr": 19 / 746}
    >>> line = status_line(row)
    >>> line.split(" (")[0]
    'acme Amazon.com MFN: 2.55% = 19 defective of 746 orders'
    >>> line.split("): ")[1]
    'at or over the 1% target'
    """
    t = target_text(target)
    rate = row["odr"]
    if rate is None:
        verdict = "no orders in the window, no rate"
    elif rate < target:
        verdict = f"under the {t} target"
    else:
        verdict = f"at or over the {t} target"
    return (
        f"{group_label(row)}: {pct(rate)} = {row['defective_orders']} defective of "
        f"{row['order_count']:,} orders (negative feedback {row['negative_feedback']}, "
        f"A-to-z claims {row['a_to_z_claims']}, chargebacks {row['chargebacks']}; orders of "
        f"{row['window_start']} to {row['window_end']}): {verdict}"
    )


# ---------------------------------------------------------------------------------------------
# The what-if panel's headline (odr_analysis.panel)


def what_removed(removed: Sequence[tuple[str, DefectKind]]) -> str:
    """``(("o1", "negative_feedback"), ("o2", "negative_feedback"))`` -> ``these 2 feedbacks``.

    >>> what_removed((("o1", "negative_feedback"),))
    'this feedback'
    >>> what_removed((("o1", "negative_feedback"), ("o2", "a_to_z_claim"), ("o3", "a_to_z_claim")))
    'these 1 feedback and 2 A-to-z claims'
    """
    if len(removed) == 1:
        return f"this {KINDS[removed[0][1]].short[0]}"
    counts = {kind: sum(1 for _, k in removed if k == kind) for kind in KINDS}
    named = [f"{n} {plural(n, *KINDS[kind].short)}" for kind, n in counts.items() if n]
    return "these " + " and ".join(named)


def headline(
    *,
    as_of: dt.date,
    target: float,
    rate_today: float | None,
    first_under: dt.date | None,
    first_over: dt.date | None,
    horizon: int,
    removed: Sequence[tuple[str, DefectKind]] = (),
    rate_today_after: float | None = None,
    first_under_after: dt.date | None = None,
) -> str:
    """The what-if panel's sentence, e.g. ``2.55% today, under 1% on 14 March``.

    ``first_over``: the first coming day at or over the target after being under it (after
    ``first_under`` when over today).

    >>> day = dt.date(2026, 2, 23)
    >>> headline(as_of=day, target=0.01, rate_today=0.0124, first_under=dt.date(2026, 3, 14),
    ...          first_over=None, horizon=90, removed=(("a", "negative_feedback"),
    ...          ("b", "negative_feedback")), rate_today_after=0.0098)
    '1.24% today, under 1% on 14 March; removing these 2 feedbacks: 0.98% today'
    >>> headline(as_of=day, target=0.01, rate_today=0.005, first_under=None, first_over=None,
    ...          horizon=90)
    '0.50% today, under 1%, and expected to stay under for the next 90 days'
    >>> headline(as_of=day, target=0.01, rate_today=0.02, first_under=dt.date(2026, 3, 13),
    ...          first_over=dt.date(2027, 1, 2), horizon=400)
    '2.00% today, under 1% on 13 March (back at or over it on 2 January 2027)'
    """
    t = target_text(target)
    if rate_today is None:
        text = "No orders in today's window: no rate"
    elif rate_today < target:
        text = f"{pct(rate_today)} today, under {t}, and " + (
            f"expected to stay under for the next {horizon} days"
            if first_over is None
            else f"expected at or over {t} on {short_day(first_over, as_of)}"
        )
    elif first_under is None:
        text = f"{pct(rate_today)} today, not under {t} within {horizon} days"
    else:
        text = f"{pct(rate_today)} today, under {t} on {short_day(first_under, as_of)}"
        if first_over is not None:
            text += f" (back at or over it on {short_day(first_over, as_of)})"
    if removed:
        text += f"; removing {what_removed(removed)}: {pct(rate_today_after)} today"
        if rate_today_after is not None and rate_today_after >= target:
            text += (
                f", under {t} on {short_day(first_under_after, as_of)}"
                if first_under_after is not None
                else f", not under {t} within {horizon} days"
            )
    return text


DAY_MONTH: Final = "%d %b"
"""A date within the coming weeks, in a picker: ``14 Mar``."""


def removal_option(row: Mapping[str, Any], *, enters: bool, rules: Any) -> str:
    """A defect of :func:`odr_analysis.removal.removal_ranking` as the panel's picker lists it.

    ``enters``: the order is dated after today's window (it enters the window later).
    """
    saved = row["days_saved"]
    where = (
        f"enters the window {rules.enters_window_on(row['order_date']):{DAY_MONTH}}"
        if enters
        else f"leaves the window {row['leaves_window_on']:{DAY_MONTH}}"
    )
    label = (
        f"{row['order_id']} · {KINDS[row['kind']].short[0]} · ordered "
        f"{chart_day(row['order_date'])} · {where} · saves {count(saved, 'day')} over "
        f"{target_text(rules.target)}"
    )
    if row["also_has"]:
        label += " (also has " + ", ".join(KINDS[k].short[0] for k in row["also_has"]) + ")"
    return label
