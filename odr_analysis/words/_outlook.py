"""When the rate is under the target again, in words: the dates of
:func:`odr_analysis.outlook.under_target` as a plain answer, as the report says them, as a
chart's mark and as the in-page chart's label; and a projection in one line.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from odr_analysis.words._formats import chart_day, count, day, iso, number, target_text
from odr_analysis.words._names import group_label

__all__ = [
    "outlook",
    "outlook_label",
    "outlook_label_js",
    "outlook_report",
    "projection",
]


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
