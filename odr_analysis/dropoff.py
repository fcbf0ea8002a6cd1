"""The drop-off calendar: when each defective order leaves the window, and the rate until then.

"If nothing new happens" means what Amazon knows on the report date ``as_of`` and nothing more
(:func:`~odr_analysis.parts.known_on`): the orders dated up to ``as_of`` (the ones dated after
the window end enter it over the next days) and the defects received up to ``as_of``, each
counting for good from then on. The count of defective orders then falls exactly on the days
the defective orders leave the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from odr_analysis import words
from odr_analysis.daily import daily_path
from odr_analysis.defects import OPEN_END
from odr_analysis.parts import OdrParts, as_parts, known_on
from odr_analysis.rules import OdrRules, to_date, whole_days
from odr_analysis.schema import KINDS, ORDER_KEY, Frame

__all__ = ["DropoffCalendar", "dropoff_calendar"]

_KEY = list(ORDER_KEY)


@dataclass(frozen=True, eq=False)
class DropoffCalendar:
    """When each defective order leaves the window, and the rate on each day if nothing new.

    Attributes
    ----------
    as_of, horizon, rules
        The report date, the number of days after it in ``path``, and the rules.
    defects
        One row per order that is defective on ``as_of`` and in its window: the group keys,
        ``order_id``, ``order_date``, ``kinds`` (the counted kinds, a list), one Boolean per
        kind, ``first_counted`` (the first report date of the stretch the order has counted
        without a break, normally the day the defect was received), ``leaves_window_on`` (the
        first report date whose window no longer holds the order) and ``days_left``
        (``leaves_window_on - as_of``). Sorted by ``leaves_window_on``.
    today
        The engine's row per group on ``as_of``.
    path
        The engine's rows per group for ``as_of + 1 .. as_of + horizon`` if nothing new happens,
        plus ``dropped_today``: defective orders that left the window since the day before.
    """

    as_of: dt.date
    horizon: int
    rules: OdrRules
    defects: pl.DataFrame
    today: pl.DataFrame
    path: pl.DataFrame

    def describe(self) -> str:
        """One line per group, joined by ``"; "`` (:func:`odr_analysis.words.dropoff`)."""
        return words.dropoff(self.today, self.defects, self.path)


def dropoff_calendar(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
    horizon: int | None = None,
) -> DropoffCalendar:
    """Every defective order in the window of ``as_of``, the day it leaves, and the rate path.

    ``orders`` and ``defects`` are the canonical frames, or ``orders`` is the
    :class:`~odr_analysis.parts.OdrParts` prepared from them (then leave out ``defects``).
    ``horizon`` defaults to ``rules.days_to_leave``: by then every order known on ``as_of``
    (the newest are dated ``as_of``) has left. The path assumes nothing new happens (see
    :func:`~odr_analysis.parts.known_on`): no new order and no new defect, so the count of
    defective orders falls exactly on the ``leaves_window_on`` dates (and rises only when a
    known defective order dated after the window end enters it).

    Examples
    --------
    20 orders of 2024-01-02, one with a 1-star feedback: it leaves on 2024-01-02 + 14 + 60.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com",
    ...     "channel": "MFN", "order_id": [f"o{i}" for i in range(20)],
    ...     "order_date": dt.date(2024, 1, 2)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o3",
    ...     "kind": "negative_feedback", "event_date": dt.date(2024, 1, 9),
    ...     "status": "active", "rating": 1})
    >>> cal = dropoff_calendar(orders, defects, as_of="2024-02-01")
    >>> cal.defects.select("order_id", "kinds", "leaves_window_on", "days_left").row(0)
    ('o3', ['negative_feedback'], datetime.date(2024, 3, 16), 44)
    >>> cal.path.filter(pl.col("dropped_today") > 0).select("as_of", "defective_orders").row(0)
    (datetime.date(2024, 3, 16), 0)
    """
    parts = as_parts(orders, defects, rules=rules)
    rules = parts.rules
    day = to_date(as_of, "as_of")
    horizon = whole_days(rules.days_to_leave if horizon is None else horizon, "horizon", minimum=1)
    keys = list(parts.keys)
    known = known_on(parts, as_of=day)
    window = rules.window(day)
    spans = known.defect_spans.lazy()
    # A stretch still counting on as_of counts for good (counted_until null in the known view).
    lasting = spans.filter(pl.col("counted_until").is_null())
    current = lasting.filter(pl.col("order_date").is_between(window.start, window.end))
    s, e = pl.col("counted_from").cast(pl.Int32), pl.col("counted_until").cast(pl.Int32)
    stretch = (
        spans.join(current.select(_KEY).unique(), on=_KEY, how="semi")
        .sort(*_KEY, "counted_from")
        .with_columns(reach=e.fill_null(OPEN_END).cum_max().shift(1).over(_KEY))
        # a stretch starts where a span begins after every earlier one ended (a gap of a day)
        .with_columns(starts=pl.col("reach").is_null() | (s > pl.col("reach") + 1))
        .group_by(_KEY)
        .agg(first_counted=pl.col("counted_from").filter(pl.col("starts")).max())
    )
    flags = (
        current.group_by(*keys, "order_id", "order_date")
        .agg(**{kind: (pl.col("kind") == kind).any() for kind in KINDS})
        .with_columns(
            kinds=pl.concat_list(
                pl.when(pl.col(kind)).then(pl.lit(kind)) for kind in KINDS
            ).list.drop_nulls()
        )
        .join(stretch, on=_KEY, how="left")
        .with_columns(leaves_window_on=rules.leaves_window_expr(pl.col("order_date")))
        .with_columns(days_left=(pl.col("leaves_window_on") - pl.lit(day)).dt.total_days())
        .select(
            *keys,
            "order_id",
            "order_date",
            "kinds",
            *KINDS,
            "first_counted",
            "leaves_window_on",
            pl.col("days_left").cast(pl.Int64),
        )
        .sort("leaves_window_on", *keys, "order_id")
        .collect()
    )
    full = daily_path(known, start=day, end=day + dt.timedelta(days=horizon), dropped=True)
    path = full.filter(pl.col("as_of") > day)
    today = full.filter(pl.col("as_of") == day).drop("dropped_today")
    return DropoffCalendar(day, horizon, rules, flags, today, path)
