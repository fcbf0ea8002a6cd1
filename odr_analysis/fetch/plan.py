"""What to fetch: the All Orders slices and when a fetched report is due again (pure functions).

The All Orders report takes at most 30 days per request. Slices lie on a fixed grid of 30-day
steps from the account's start date (the first run's ``--since``), so a slice fetched again
rewrites the same file: ``all-orders-US-2026-10-01-to-2026-10-30.txt``. The last slice reaches
past today; its file is rewritten as it fills.

A slice is fetched when it never was, when its data stopped before its last day (the slice of
today), or when it ends within the trailing stretch (``recent_days``, default 30: order
statuses change, cancellations arrive late); but never again within ``fresh_hours`` of its last
fetch, so running twice in a row fetches nothing new the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "DEFAULT_FRESH_HOURS",
    "DEFAULT_HISTORY_DAYS",
    "DEFAULT_RECENT_DAYS",
    "FEEDBACK_DAYS",
    "SLICE_DAYS",
    "Slice",
    "anchor_for",
    "due_slices",
    "is_fresh",
    "slices",
]

SLICE_DAYS: Final = 30
"""Days per All Orders request (Amazon's limit for this report)."""
DEFAULT_HISTORY_DAYS: Final = 120
"""The first run's start: 120 days ago (the 60-day window, its 14-day lag, and history)."""
DEFAULT_RECENT_DAYS: Final = 30
"""Days back from today whose slices are fetched again (statuses change)."""
DEFAULT_FRESH_HOURS: Final = 12.0
"""A report fetched less than this long ago is not fetched again."""
FEEDBACK_DAYS: Final = 90
"""Days of seller feedback asked for (1-3 star feedback is given within 90 days of an order)."""


@dataclass(frozen=True, order=True)
class Slice:
    """Order dates ``first`` .. ``last`` (inclusive, UTC days) of one All Orders request."""

    first: dt.date
    last: dt.date

    @property
    def key(self) -> str:
        """The slice's key in the state: its first day, ISO."""
        return self.first.isoformat()

    def file_stem(self, country: str) -> str:
        """``all-orders-US-2026-10-01-to-2026-10-30`` (the extension follows the bytes)."""
        return f"all-orders-{country}-{self.first.isoformat()}-to-{self.last.isoformat()}"


def anchor_for(since: dt.date, anchor: dt.date | None) -> dt.date:
    """The grid's start: ``since`` on a first run; else the stored anchor, moved back by whole
    30-day steps when ``since`` is earlier (so the existing files keep their names).

    >>> anchor_for(dt.date(2026, 1, 1), None)
    datetime.date(2026, 1, 1)
    >>> anchor_for(dt.date(2026, 1, 1), dt.date(2026, 1, 20))
    datetime.date(2025, 12, 21)
    >>> anchor_for(dt.date(2026, 3, 1), dt.date(2026, 1, 20))
    datetime.date(2026, 1, 20)
    """
    if anchor is None:
        return since
    if since >= anchor:
        return anchor
    steps = -(-(anchor - since).days // SLICE_DAYS)
    return anchor - dt.timedelta(days=steps * SLICE_DAYS)


def slices(anchor: dt.date, since: dt.date, today: dt.date) -> list[Slice]:
    """The grid's slices from the one holding ``since`` to the one holding ``today``.

    >>> [(s.first.isoformat(), s.last.isoformat())
    ...  for s in slices(dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 5))]
    [('2026-01-01', '2026-01-30'), ('2026-01-31', '2026-03-01')]
    """
    step = dt.timedelta(days=SLICE_DAYS)
    first = anchor + max(0, (since - anchor).days // SLICE_DAYS) * step
    out = []
    while first <= today:
        out.append(Slice(first, first + step - dt.timedelta(days=1)))
        first += step
    return out


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def is_fresh(entry: Mapping[str, Any] | None, now: dt.datetime, fresh_hours: float) -> bool:
    """Whether a state entry's ``fetched_at`` is less than ``fresh_hours`` before ``now``."""
    fetched = _when((entry or {}).get("fetched_at"))
    return fetched is not None and now - fetched < dt.timedelta(hours=fresh_hours)


def due_slices(
    all_slices: list[Slice],
    done: Mapping[str, Mapping[str, Any]],
    now: dt.datetime,
    *,
    recent_days: int = DEFAULT_RECENT_DAYS,
    fresh_hours: float = DEFAULT_FRESH_HOURS,
) -> list[Slice]:
    """The slices to fetch now (see the module's docstring), oldest first.

    ``done`` maps a slice's key to its state entry (``fetched_at``, ``through``: the end of the
    data asked for, ISO date-times).
    """
    today = now.date()
    recent = today - dt.timedelta(days=recent_days)
    due = []
    for s in all_slices:
        entry = done.get(s.key)
        if entry is None:
            due.append(s)
            continue
        if is_fresh(entry, now, fresh_hours):
            continue
        through = _when(entry.get("through"))
        partial = through is None or through.date() < s.last
        if partial or s.last >= recent:
            due.append(s)
    return due
