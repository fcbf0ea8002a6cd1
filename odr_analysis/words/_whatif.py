"""The what-if answers in words: the drop-off calendar, removal scenarios, the panel's headline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from odr_analysis.schema import GROUP_KEYS, ODR_COLUMNS, DefectKind
from odr_analysis.words._formats import (
    DAY_MONTH,
    chart_day,
    count,
    iso,
    pct,
    plural,
    short_day,
    target_text,
)
from odr_analysis.words._names import KINDS, group_label

__all__ = [
    "dropoff",
    "headline",
    "removal",
    "removal_option",
    "removal_result",
    "what_removed",
]


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
