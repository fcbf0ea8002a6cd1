"""What-if answers over the ODR engine: drop-off calendar, headroom, orders needed, removals.

Every answer is per (account, marketplace, channel), the engine's group keys, and is computed
from :class:`~odr_analysis.engine.OdrParts`, so a notebook slider can call it many times on
parts prepared once. Every public function takes either the canonical ``orders`` and
``defects`` frames or the parts from :func:`~odr_analysis.engine.prepare` (then without
``defects``, except where a defect's *status* is needed).

"Today" is the report date ``as_of``. "If nothing new happens" means what Amazon knows on
``as_of`` and nothing more (:func:`known_on`): the orders dated up to ``as_of`` (the ones dated
after the window end enter it over the next days) and the defects received up to ``as_of``,
each counting for good from then on (a later revision or a later claim is not known yet).

The target is met only when the rate is strictly below it, compared exactly as the engine
does: ``defective_orders / order_count < rules.target`` on float64.

Speed: in the known view every defect stretch has either ended before ``as_of`` or counts for
good, so the daily counts from ``as_of`` on are plain +1/-1 steps per order date. They are
counted in numpy on the parts (about 3 ms for two years of a 200,000-order account, against
about 11 ms of fixed cost for :func:`~odr_analysis.engine.daily_path`); the tests check every
path against :func:`~odr_analysis.engine.odr_daily`, day by day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import polars as pl

from odr_analysis.engine import ODR_COLUMNS, OdrParts, prepare
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import KINDS, Frame, validate_defects

__all__ = [
    "APPEALABLE_CLAIM_STATUSES",
    "DropoffCalendar",
    "Removal",
    "RemovalResult",
    "defects_allowed",
    "dropoff_calendar",
    "known_on",
    "orders_needed",
    "removal_ranking",
    "simulate_removal",
]

#: Claim statuses a seller can still fight: an open claim (``pending``: respond to Amazon with
#: proof of delivery before the decision) and a claim decided for the buyer (``granted``: the
#: decision can be appealed). A ``seller_refunded`` claim was conceded by the refund and a
#: ``withdrawn_after_grant`` one is closed: neither can be appealed, so neither is included.
APPEALABLE_CLAIM_STATUSES: frozenset[str] = frozenset({"pending", "granted"})

_OPEN = 2**30  # an open-ended stretch of report days, as a day number (as in the engine)
_KEY = ["account", "order_id"]
_KIND_CODE = {kind: 1 << i for i, kind in enumerate(KINDS)}  # one bit per kind


# ---------------------------------------------------------------------------------------------
# Input: frames or prepared parts, and the "known on as_of" view.


def _resolve(
    orders: Frame | OdrParts,
    defects: Frame | None,
    rules: OdrRules | None,
    *,
    statuses: bool = False,
) -> tuple[OdrParts, pl.LazyFrame | None]:
    """The parts to work on, and the validated defects when given (for their statuses)."""
    if isinstance(orders, OdrParts):
        if rules is not None and rules != orders.rules:
            raise ValueError(
                "rules differ from the rules the parts were prepared with; "
                "call prepare(orders, defects, rules=...) again with these rules"
            )
        if defects is not None and not statuses:
            raise TypeError(
                "pass either the orders and defects frames, or the OdrParts from prepare() "
                "alone (they already hold the defects)"
            )
        return orders, (validate_defects(defects) if defects is not None else None)
    if defects is None:
        raise TypeError(
            "defects is required with an orders frame (or pass the OdrParts from prepare())"
        )
    rules = OdrRules() if rules is None else rules
    return prepare(orders, defects, rules=rules), validate_defects(defects)


def known_on(parts: OdrParts, *, as_of: dt.date | str) -> OdrParts:
    """The parts as Amazon knows them on ``as_of``, if nothing new happens afterwards.

    Keeps the orders dated up to ``as_of`` and the defect stretches that began by ``as_of``;
    a stretch that was still counting on ``as_of`` counts for good (a revision or a change
    received later is not known yet). ``daily_path`` on the result equals ``odr_daily`` on the
    frames restricted to ``order_date <= as_of`` and ``event_date <= as_of``.
    """
    day = to_date(as_of, "as_of")
    spans = parts.defect_spans.filter(
        (pl.col("counted_from") <= day) & (pl.col("order_date") <= day)
    ).with_columns(
        counted_until=pl.when(pl.col("counted_until") < day).then(pl.col("counted_until"))
    )
    counts = parts.order_counts.filter(pl.col("order_date") <= day)
    return dataclasses.replace(parts, order_counts=counts, defect_spans=spans)


_MEASURES = ("order_count", "defective_orders", "negative_feedback", "a_to_z_claims", "chargebacks")
_MEASURE_OF_KIND = {"negative_feedback": 2, "a_to_z_claim": 3, "chargeback": 4}


def _known_path(
    known: OdrParts,
    *,
    start: dt.date,
    end: dt.date,
    extra_orders: pl.DataFrame | None = None,
    dropped: bool = False,
) -> pl.DataFrame:
    """``daily_path(known, start, end, extra_orders)`` for the view of :func:`known_on`.

    ``dropped`` adds ``dropped_today``: the defective orders that left the window since the day
    before (the orders whose last window day was the day before).

    In that view a defect stretch either ended before the report date or counts for good, so
    from ``start`` (on or after that report date) an order is defective on every day it is
    in the window once its first lasting stretch has begun: each count is a sum of +/- steps
    per order date, done in numpy (a small fraction of ``daily_path``'s fixed cost, which
    matters behind a slider). The tests check it against ``odr_daily`` day by day.
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    # Eager polars on these small frames, numpy for the counting: a lazy plan's fixed cost is
    # several times the work here.
    keys = list(known.keys)
    rules = known.rules
    lag, width = rules.lag_days, rules.window_days
    spans = known.defect_spans
    ended = pl.col("counted_until").is_not_null()
    if spans.filter(ended & (pl.col("counted_until") >= start)).height:
        raise ValueError("_known_path needs the known_on() view: a stretch ends after start")
    groups = known.order_counts.select(keys).unique().sort(keys).with_row_index("_g")
    counts = known.order_counts.select(*keys, "order_date", "orders")
    if extra_orders is not None:
        extra = extra_orders.select(*keys, "order_date", pl.col("orders").cast(pl.Int64))
        counts = pl.concat([counts, extra])
    counts = counts.join(groups, on=keys, how="inner")
    # In this view at most one stretch per order and kind is still counting (the last one).
    lasting = spans.filter(~ended).join(groups, on=keys, how="inner")
    per_order = lasting.group_by("_g", "order_id").agg(
        pl.col("order_date").first(), pl.col("counted_from").min()
    )

    def numbers(frame: pl.DataFrame, column: str) -> np.ndarray:
        return frame[column].to_numpy().astype(np.int64)  # dates: datetime64[D] -> day number

    od = np.concatenate([numbers(f, "order_date") for f in (counts, per_order, lasting)])
    never = np.full(counts.height, np.iinfo(np.int64).min)
    began = np.concatenate(
        [never, numbers(per_order, "counted_from"), numbers(lasting, "counted_from")]
    )
    g = np.concatenate([numbers(f, "_g") for f in (counts, per_order, lasting)])
    w = np.concatenate(
        [numbers(counts, "orders"), np.ones(per_order.height + lasting.height, np.int64)]
    )
    names = lasting["kind"].to_numpy()
    kind = np.zeros(lasting.height, np.int64)
    for name, measure in _MEASURE_OF_KIND.items():  # three kinds
        kind[names == name] = measure
    m = np.concatenate(
        [np.zeros(counts.height, np.int64), np.ones(per_order.height, np.int64), kind]
    )
    size, first = groups.height, day_number(start)
    days = (end - start).days + 1
    # in the window of report days od + lag .. od + lag + width - 1, counted from `began` on
    a = np.clip(np.maximum(od + lag, began) - first, 0, days)
    b = np.clip(od + lag + width - first, 0, days)
    live = a < b
    g, m, w, a, b = g[live], m[live], w[live], a[live], b[live]
    steps = np.zeros((size, days + 1, len(_MEASURES)), np.int64)
    np.add.at(steps, (g, a, m), w)
    np.add.at(steps, (g, b, m), -w)
    level = steps[:, :days, :].cumsum(axis=1).reshape(size * days, len(_MEASURES))
    n, k = level[:, 0], level[:, 1]
    report = np.tile(np.arange(first, first + days, dtype=np.int64), size)

    def dates(numbers: np.ndarray) -> pl.Series:
        return pl.Series(numbers.astype("datetime64[D]"))

    columns: dict[str, pl.Series] = {
        "as_of": dates(report),
        "window_start": dates(report - (lag + width - 1)),
        "window_end": dates(report - lag),
        **{name: pl.Series(level[:, i]) for i, name in enumerate(_MEASURES)},
        # the engine's rate: Int64 / Int64 on float64, null without orders
        "odr": pl.Series(
            np.divide(k, n, out=np.full(n.shape, np.nan), where=n > 0), nan_to_null=True
        ),
        "target": pl.Series(np.full(n.shape, rules.target)),
    }
    if dropped:  # a defective order leaves on its day b (it was in the window on b - 1 >= a)
        gone = np.zeros((size, days + 1), np.int64)
        leaving = m == 1
        np.add.at(gone, (g[leaving], b[leaving]), w[leaving])
        columns["dropped_today"] = pl.Series(gone[:, :days].reshape(-1))
    frame = pl.concat(
        [groups.drop("_g")[np.repeat(np.arange(size), days)], pl.DataFrame(columns)],
        how="horizontal",
    )
    return frame.with_columns(meets_target=pl.col("odr") < rules.target).select(
        *keys, *ODR_COLUMNS[3:], *(["dropped_today"] if dropped else [])
    )


def _day(value: dt.date | str, name: str) -> dt.date:
    return to_date(value, name)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _check_horizon(horizon: int, *, minimum: int) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < minimum:
        raise ValueError(f"horizon must be an integer >= {minimum} (days), got {horizon!r}")
    return horizon


def _rate(k: str = "defective_orders", n: str = "order_count") -> pl.Expr:
    """The engine's rate expression: Int64 / Int64 on float64, null without orders."""
    return pl.when(pl.col(n) > 0).then(pl.col(k) / pl.col(n))


def _pct_expr(x: pl.Expr) -> pl.Expr:
    """A rate as text with two decimals, e.g. ``0.0073`` -> ``"0.73%"``."""
    hundredths = (x * 10_000).round(0, mode="half_away_from_zero").cast(pl.Int64)
    return pl.format("{}.{}%", hundredths // 100, (hundredths % 100).cast(pl.String).str.zfill(2))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2%}"


def _target_text(target: float) -> str:
    """``0.01`` -> ``"1%"``, ``0.015`` -> ``"1.5%"``."""
    return f"{target * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _group_label(row: dict[str, Any], keys: Iterable[str]) -> str:
    return " ".join(str(row[k]) for k in keys)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------------------------------
# Future orders (the projection's assumption).


def _future_orders(
    parts: OdrParts,
    *,
    as_of: dt.date,
    horizon: int,
    daily_orders: float | Frame | None,
) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Clean orders on the order dates ``as_of + 1 .. as_of + horizon`` (``extra_orders``).

    ``daily_orders``: ``None`` for each group's recent average
    (:func:`odr_analysis.forecast.recent_daily_orders`, the projection's default), a number
    for every group, or a frame with the group keys and ``daily_orders``. A fractional mean
    becomes whole orders as in :func:`odr_analysis.forecast.future_orders`. Returns the orders
    (``None`` when there are none) and the daily rates with their ``source``.
    """
    from odr_analysis.forecast import future_orders, recent_daily_orders

    keys = list(parts.keys)
    groups = parts.order_counts.select(keys).unique().sort(keys)
    if daily_orders is None:
        rates = recent_daily_orders(parts, as_of=as_of).select(*keys, "daily_orders", "source")
    elif isinstance(daily_orders, pl.DataFrame | pl.LazyFrame):
        frame = daily_orders.lazy().collect()
        missing = [c for c in [*keys, "daily_orders"] if c not in frame.columns]
        if missing:
            raise ValueError(f"daily_orders frame is missing column(s) {missing}")
        rates = groups.join(
            frame.select(*keys, "daily_orders"), on=keys, how="left", maintain_order="left"
        ).with_columns(
            pl.col("daily_orders").cast(pl.Float64).fill_null(0.0),
            source=pl.lit("as given"),
        )
    elif isinstance(daily_orders, int | float) and not isinstance(daily_orders, bool):
        rates = groups.with_columns(
            daily_orders=pl.lit(float(daily_orders)), source=pl.lit("as given")
        )
    else:
        raise TypeError(
            f"daily_orders must be None, a number or a frame, got {type(daily_orders).__name__}"
        )
    if rates.filter(~(pl.col("daily_orders") >= 0)).height:  # negative or NaN
        raise ValueError("daily_orders must be >= 0")
    if horizon < 1 or not rates.filter(pl.col("daily_orders") > 0).height:
        return None, rates
    extra = future_orders(rates, as_of=as_of, horizon=horizon, keys=tuple(keys))
    return extra, rates


# ---------------------------------------------------------------------------------------------
# 1. Drop-off calendar.


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
        """One line per group, joined by ``"; "``."""
        keys = [c for c in self.today.columns if c not in _ODR_VALUE_COLUMNS]
        parts = []
        for row in self.today.iter_rows(named=True):  # a handful of groups
            label = _group_label(row, keys)
            mine = self.defects.filter(pl.all_horizontal(pl.col(k) == row[k] for k in keys)).sort(
                "leaves_window_on"
            )
            if not mine.height:
                parts.append(
                    f"{label}: no defective order in the window ({_pct(row['odr'])} today)"
                )
                continue
            first = mine.row(0, named=True)["leaves_window_on"]
            after = self.path.filter(
                pl.all_horizontal(pl.col(k) == row[k] for k in keys) & (pl.col("as_of") == first)
            )
            rate_then = after.item(0, "odr") if after.height else None
            last = mine.item(mine.height - 1, "leaves_window_on")
            parts.append(
                f"{label}: {_plural(mine.height, 'defective order')} in the window "
                f"({_pct(row['odr'])} today); the first leaves on {first} "
                f"({_pct(rate_then)} then), the last on {last}"
            )
        return "; ".join(parts) if parts else "no orders"


_ODR_VALUE_COLUMNS = frozenset(
    {
        "as_of",
        "window_start",
        "window_end",
        "order_count",
        "defective_orders",
        "negative_feedback",
        "a_to_z_claims",
        "chargebacks",
        "odr",
        "target",
        "meets_target",
        "dropped_today",
    }
)


def dropoff_calendar(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules | None = None,
    horizon: int | None = None,
) -> DropoffCalendar:
    """Every defective order in the window of ``as_of``, the day it leaves, and the rate path.

    ``horizon`` defaults to ``lag_days + window_days``: by then every order known on ``as_of``
    (the newest are dated ``as_of``) has left. The path assumes nothing new happens (see
    :func:`known_on`): no new order and no new defect, so the count of defective orders falls
    exactly on the ``leaves_window_on`` dates (and rises only when a known defective order
    dated after the window end enters it).

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
    parts, _ = _resolve(orders, defects, rules)
    rules = parts.rules
    day = _day(as_of, "as_of")
    horizon = _check_horizon(
        rules.lag_days + rules.window_days if horizon is None else horizon, minimum=1
    )
    keys = list(parts.keys)
    known = known_on(parts, as_of=day)
    window = rules.window(day)
    leaves = pl.col("order_date") + pl.duration(days=rules.lag_days + rules.window_days)
    spans = known.defect_spans.lazy()
    # A stretch still counting on as_of counts for good (counted_until null in the known view).
    lasting = spans.filter(pl.col("counted_until").is_null())
    current = lasting.filter(pl.col("order_date").is_between(window.start, window.end))
    s, e = pl.col("counted_from").cast(pl.Int32), pl.col("counted_until").cast(pl.Int32)
    stretch = (
        spans.join(current.select(_KEY).unique(), on=_KEY, how="semi")
        .sort(*_KEY, "counted_from")
        .with_columns(reach=e.fill_null(_OPEN).cum_max().shift(1).over(_KEY))
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
        .with_columns(leaves_window_on=leaves)
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
    full = _known_path(known, start=day, end=day + _days(horizon), dropped=True)
    path = full.filter(pl.col("as_of") > day)
    today = full.filter(pl.col("as_of") == day).drop("dropped_today")
    return DropoffCalendar(day, horizon, rules, flags, today, path)


# ---------------------------------------------------------------------------------------------
# 2. Headroom and orders needed.


def _largest_under(n: pl.Expr, target: float) -> pl.Expr:
    """The largest integer ``j`` with ``j / n < target`` (float64, as the engine), for n > 0."""
    j0 = (n.cast(pl.Float64) * target).ceil().cast(pl.Int64) - 1  # exact arithmetic's answer

    def under(j: pl.Expr) -> pl.Expr:
        return (j / n) < target

    # float rounding can move the boundary by one either way
    return pl.when(under(j0 + 1)).then(j0 + 1).when(under(j0)).then(j0).otherwise(j0 - 1)


def defects_allowed(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules | None = None,
) -> pl.DataFrame:
    """How many more defective orders the window of ``as_of`` can take and stay under target.

    One row per group: ``order_count``, ``defective_orders``, ``odr`` (on ``as_of``, defects
    received up to ``as_of``), ``allowed`` (the largest ``m >= 0`` with ``(k + m) / n <
    target``; 0 when at or over the target), ``over_by`` (0 when under; else the fewest
    defective orders that must leave the window or be removed for ``(k - r) / n < target``),
    and ``message``. ``allowed`` and ``over_by`` are null when the window holds no order.

    Examples
    --------
    250 orders, 1 defective: (1 + 1) / 250 = 0.8% is under 1%, (1 + 2) / 250 = 1.2% is not.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com",
    ...     "channel": "AFN", "order_id": [f"o{i}" for i in range(250)],
    ...     "order_date": dt.date(2024, 1, 2)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o1", "kind": "chargeback",
    ...     "event_date": dt.date(2024, 1, 20), "status": "service", "rating": None})
    >>> row = defects_allowed(orders, defects, as_of="2024-01-28").row(0, named=True)
    >>> row["allowed"], row["over_by"]
    (1, 0)
    >>> row["message"]
    '1 of 250 orders defective (0.40%): 1 more defective order keeps the rate under 1%'
    """
    parts, _ = _resolve(orders, defects, rules)
    rules = parts.rules
    day = _day(as_of, "as_of")
    keys = list(parts.keys)
    target = rules.target
    today = _known_path(known_on(parts, as_of=day), start=day, end=day)
    n, k = pl.col("order_count"), pl.col("defective_orders")
    under = pl.col("odr") < target
    t = pl.lit(_target_text(target))
    head = pl.format("{} of {} orders defective ({})", k, n, _pct_expr(pl.col("odr")))
    return (
        today.with_columns(_jmax=_largest_under(n, target))
        .with_columns(
            allowed=pl.when(n > 0).then(pl.when(under).then(pl.col("_jmax") - k).otherwise(0)),
            over_by=pl.when(n > 0).then(pl.when(under).then(0).otherwise(k - pl.col("_jmax"))),
        )
        .with_columns(
            message=pl.when(n == 0)
            .then(pl.format("no orders in the window of {}: the rate is undefined", "as_of"))
            .when(under & (pl.col("allowed") == 0))
            .then(pl.format("{}: one more defective order puts the rate at or over {}", head, t))
            .when(under)
            .then(
                pl.format(
                    "{}: {} more defective {} the rate under {}",
                    head,
                    "allowed",
                    pl.when(pl.col("allowed") == 1)
                    .then(pl.lit("order keeps"))
                    .otherwise(pl.lit("orders keep")),
                    t,
                )
            )
            .otherwise(
                pl.format(
                    "{}: over the target by {} defective order{}; that many must leave the "
                    "window or be removed for the rate to be under {}",
                    head,
                    "over_by",
                    pl.when(pl.col("over_by") == 1).then(pl.lit("")).otherwise(pl.lit("s")),
                    t,
                )
            )
        )
        .select(
            *keys,
            "as_of",
            "window_start",
            "window_end",
            "order_count",
            "defective_orders",
            "odr",
            "target",
            "meets_target",
            pl.col("allowed").cast(pl.Int64),
            pl.col("over_by").cast(pl.Int64),
            "message",
        )
        .sort(keys)
    )


def orders_needed(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    by_date: dt.date | str,
    rules: OdrRules | None = None,
) -> pl.DataFrame:
    """The fewest clean orders per day, from tomorrow, for the rate on ``by_date`` to be under.

    New orders are placed on every order date from ``as_of + 1`` to the window end of
    ``by_date`` that is inside that window (``days_of_new_orders`` days, the same number ``x``
    each day). Only what is known on ``as_of`` counts: the known orders in ``by_date``'s window
    (``order_count_known``) and the defects received by ``as_of`` (``defective_known``). The
    answer ``orders_per_day`` is the smallest ``x >= 0`` with ``k / (n + x * days) < target``;
    null when not ``reachable`` (no new order can enter the window), and ``reason`` says why.

    Examples
    --------
    Report date 2024-02-01, goal 2024-02-20 (window 2023-12-09 .. 2024-02-06): new orders on
    2024-02-02 .. 2024-02-06 (5 days). 100 known orders, 2 defective: need 100 + 5x > 200,
    so x = 21 (2 / 205 = 0.98%), while x = 20 gives 2 / 200 = 1.00%.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com",
    ...     "channel": "MFN", "order_id": [f"o{i}" for i in range(100)],
    ...     "order_date": dt.date(2024, 1, 10)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": ["o1", "o2"],
    ...     "kind": "a_to_z_claim", "event_date": dt.date(2024, 1, 25), "status": "granted",
    ...     "rating": None})
    >>> row = orders_needed(orders, defects, as_of="2024-02-01", by_date="2024-02-20").row(
    ...     0, named=True)
    >>> row["days_of_new_orders"], row["orders_per_day"], row["reachable"]
    (5, 21, True)
    """
    parts, _ = _resolve(orders, defects, rules)
    rules = parts.rules
    day, goal = _day(as_of, "as_of"), _day(by_date, "by_date")
    if goal < day:
        raise ValueError(f"by_date ({goal}) is before as_of ({day})")
    keys = list(parts.keys)
    target = rules.target
    window = rules.window(goal)
    first_new = max(day + _days(1), window.start)
    days = max(0, (window.end - first_new).days + 1)
    at_goal = _known_path(known_on(parts, as_of=day), start=goal, end=goal)
    n, k = pl.col("order_count"), pl.col("defective_orders")

    def under(x: pl.Expr) -> pl.Expr:
        total = n + x * days
        return (total > 0) & ((k / total) < target)

    # exact arithmetic: the smallest x with n + x * days > k / target; float may move it by one
    if days:
        x1 = ((k / target - n) / days).floor().cast(pl.Int64) + 1
        x1 = pl.max_horizontal(x1, pl.lit(0, pl.Int64))
        x0 = pl.max_horizontal(x1 - 1, pl.lit(0, pl.Int64))
        x = pl.when(under(x0)).then(x0).when(under(x1)).then(x1).otherwise(x1 + 1)
    else:
        x = pl.when(under(pl.lit(0, pl.Int64))).then(pl.lit(0, pl.Int64))
    new_text = ""
    if days:
        new_text = f"from {first_new} to {window.end} ({_plural(days, 'day')})"
        reason_reach = pl.format(
            "{} clean order{} a day {} give {} defective of {} orders ({}) on {}",
            "orders_per_day",
            pl.when(pl.col("orders_per_day") == 1).then(pl.lit("")).otherwise(pl.lit("s")),
            pl.lit(new_text),
            k,
            n + pl.col("orders_per_day") * days,
            _pct_expr(pl.col("odr_then")),
            pl.lit(str(goal)),
        )
        reason_unreachable = pl.lit("")  # every target is reachable with enough orders
    else:
        why = (
            f"the window of {goal} ends on {window.end}, before tomorrow ({day + _days(1)}): "
            "no new order can enter it"
        )
        reason_reach = pl.lit("")
        reason_unreachable = pl.format(
            "{}; known: {} defective of {} orders ({})", pl.lit(why), k, n, _pct_expr(_rate())
        )
    result = (
        at_goal.with_columns(orders_per_day=x)
        .with_columns(
            reachable=pl.col("orders_per_day").is_not_null(),
            odr_known=_rate(),
            odr_then=pl.when(pl.col("orders_per_day").is_not_null()).then(
                k / (n + pl.col("orders_per_day") * days)
            ),
        )
        .with_columns(
            reason=pl.when(pl.col("orders_per_day") == 0)
            .then(
                pl.format(
                    "already under the target on {} ({} defective of {} orders, {}): 0 needed",
                    pl.lit(str(goal)),
                    k,
                    n,
                    _pct_expr(pl.col("odr_known")),
                )
            )
            .when(pl.col("reachable") & (n == 0) & (k == 0))
            .then(
                pl.format(
                    "no known order in the window of {}: 1 clean order a day {} gives 0.00%",
                    pl.lit(str(goal)),
                    pl.lit(new_text),
                )
            )
            .when(pl.col("reachable"))
            .then(reason_reach)
            .otherwise(reason_unreachable)
        )
        .select(
            *keys,
            pl.lit(day).alias("as_of"),
            pl.lit(goal).alias("by_date"),
            "window_start",
            "window_end",
            pl.col("order_count").alias("order_count_known"),
            pl.col("defective_orders").alias("defective_known"),
            "odr_known",
            pl.lit(days, pl.Int64).alias("days_of_new_orders"),
            pl.lit(first_new if days else None, pl.Date).alias("first_new_order_date"),
            pl.col("orders_per_day").cast(pl.Int64),
            "odr_then",
            "reachable",
            "reason",
        )
        .sort(keys)
    )
    return result


# ---------------------------------------------------------------------------------------------
# 3. Removal scenarios and the removal ranking.


def _strings(values: Iterable[str]) -> pl.Expr:
    """A literal list of strings for ``is_in`` (sorted, so the plan is deterministic)."""
    return pl.lit(pl.Series(sorted(set(values)), dtype=pl.String).implode())


def _as_tuple(value: Iterable[str] | str, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"{name} must be a tuple of strings, not the string {value!r}")
    items = tuple(value)
    bad = [v for v in items if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must hold strings, got {bad[:3]!r}")
    return items


@dataclass(frozen=True)
class Removal:
    """A removal scenario: which defects disappear (won appeals, removed feedback, ...).

    A defect row is removed when it matches any of the three selectors:

    * ``order_ids`` and/or ``kinds``: with only ``order_ids``, every defect of those orders
      (any account); with only ``kinds``, every defect of those kinds; with both, the defects
      of those orders **and** of those kinds;
    * ``newest_feedback=N``: the N orders whose negative feedback counts (on ``as_of``) and was
      received last (ties: account, then order id); all of their feedback rows go, so an
      earlier 1-star cannot come back;
    * ``appealable_claims``: every A-to-z claim row in a status of
      :data:`APPEALABLE_CLAIM_STATUSES` (``pending``, ``granted``).

    Removing a kind of an order removes all its rows of that kind (a removed feedback is gone
    for good, whatever it was revised to). ``label`` replaces the generated description.

    >>> Removal(newest_feedback=2).describe()
    'removing the 2 newest negative feedbacks'
    >>> Removal(order_ids=("111-1",), kinds=("a_to_z_claim",)).describe()
    'removing the A-to-z claims of order 111-1'
    """

    order_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    newest_feedback: int = 0
    appealable_claims: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "order_ids", _as_tuple(self.order_ids, "order_ids"))
        kinds = _as_tuple(self.kinds, "kinds")
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"kinds holds {unknown}; allowed: {list(KINDS)}")
        object.__setattr__(self, "kinds", kinds)
        n = self.newest_feedback
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"newest_feedback must be an integer >= 0, got {n!r}")
        if not isinstance(self.appealable_claims, bool):
            raise TypeError(
                f"appealable_claims must be True or False, got {self.appealable_claims!r}"
            )

    @property
    def is_empty(self) -> bool:
        """True when the scenario removes nothing."""
        return not (self.order_ids or self.kinds or self.newest_feedback or self.appealable_claims)

    def describe(self) -> str:
        """One line: what this scenario removes."""
        if self.label:
            return self.label
        names = {
            "negative_feedback": "negative feedback",
            "a_to_z_claim": "A-to-z claims",
            "chargeback": "chargebacks",
        }
        what = []
        kinds = " and ".join(names[k] for k in self.kinds)
        if self.order_ids:
            shown = ", ".join(self.order_ids[:3]) + (" ..." if len(self.order_ids) > 3 else "")
            orders = f"order{'s' if len(self.order_ids) > 1 else ''} {shown}"
            what.append(f"the {kinds} of {orders}" if kinds else f"every defect of {orders}")
        elif self.kinds:
            what.append(
                f"every {kinds.replace('claims', 'claim').replace('chargebacks', 'chargeback')}"
            )
        if self.newest_feedback:
            what.append(
                "the newest negative feedback"
                if self.newest_feedback == 1
                else f"the {self.newest_feedback} newest negative feedbacks"
            )
        if self.appealable_claims:
            what.append("every appealable A-to-z claim (pending or granted)")
        return "removing " + (" and ".join(what) if what else "nothing")

    # -- selection ------------------------------------------------------------------------

    def _explicit(self) -> pl.Expr | None:
        if not (self.order_ids or self.kinds):
            return None
        cond = pl.lit(True)
        if self.order_ids:
            cond = cond & pl.col("order_id").is_in(_strings(self.order_ids))
        if self.kinds:
            cond = cond & pl.col("kind").is_in(_strings(self.kinds))
        return cond

    def _newest_from_rows(
        self, defects: pl.LazyFrame, as_of: dt.date | None, rules: OdrRules
    ) -> pl.LazyFrame:
        """(account, order_id) of the newest counted negative feedbacks among defect rows."""
        rows = defects.filter(pl.col("kind") == "negative_feedback")
        if as_of is not None:
            rows = rows.filter(pl.col("event_date") <= as_of)
        counts = pl.col("status").is_in(_strings(rules.counted_feedback_statuses)) & (
            pl.col("rating") <= rules.negative_feedback_max_rating
        )
        return (
            rows.filter(pl.col("event_date") == pl.col("event_date").max().over(_KEY))
            .group_by(_KEY)
            .agg(pl.col("event_date").first(), counted=counts.any())
            .filter(pl.col("counted"))
            .sort(["event_date", "account", "order_id"], descending=[True, False, False])
            .head(self.newest_feedback)
            .select(_KEY)
        )

    def _marked(
        self, defects: pl.LazyFrame, as_of: dt.date | None, rules: OdrRules
    ) -> pl.LazyFrame:
        """The defect rows with a Boolean ``_drop``: True for the rows this scenario removes."""
        drop = pl.lit(False)
        explicit = self._explicit()
        if explicit is not None:
            drop = drop | explicit
        if self.appealable_claims:
            drop = drop | (
                (pl.col("kind") == "a_to_z_claim")
                & pl.col("status").is_in(_strings(APPEALABLE_CLAIM_STATUSES))
            )
        marked = defects.with_columns(_drop=drop)
        if self.newest_feedback:
            newest = self._newest_from_rows(defects, as_of, rules).with_columns(
                _newest=pl.lit(True)
            )
            marked = (
                marked.join(newest, on=_KEY, how="left", maintain_order="left")
                .with_columns(
                    _drop=pl.col("_drop")
                    | ((pl.col("kind") == "negative_feedback") & pl.col("_newest").fill_null(False))
                )
                .drop("_newest")
            )
        return marked

    @overload
    def apply(
        self, defects: pl.DataFrame, *, as_of: dt.date | str | None = ..., rules: OdrRules = ...
    ) -> pl.DataFrame: ...
    @overload
    def apply(
        self, defects: pl.LazyFrame, *, as_of: dt.date | str | None = ..., rules: OdrRules = ...
    ) -> pl.LazyFrame: ...
    def apply(
        self,
        defects: Frame,
        *,
        as_of: dt.date | str | None = None,
        rules: OdrRules = OdrRules(),
    ) -> Frame:
        """The ``defects`` frame without the rows this scenario removes (input untouched).

        ``as_of`` only matters for ``newest_feedback``: the newest feedbacks that count on that
        report date (default: on the latest date in the frame). ``rules`` says which feedback
        counts. A DataFrame gives a DataFrame, a LazyFrame a LazyFrame.
        """
        day = None if as_of is None else _day(as_of, "as_of")
        lf = validate_defects(defects)
        columns = lf.collect_schema().names()
        out = self._marked(lf, day, rules).filter(~pl.col("_drop")).select(columns)
        return out.collect() if isinstance(defects, pl.DataFrame) else out

    def apply_to_parts(
        self, parts: OdrParts, *, as_of: dt.date | str, defects: Frame | None = None
    ) -> OdrParts:
        """The parts without the removed defects (a new :class:`OdrParts`; input untouched).

        Fast: drops defect spans, no pass over the orders. ``appealable_claims`` needs the
        claim statuses, which the parts do not hold: pass the ``defects`` frame; the affected
        orders' spans are then rebuilt from their remaining rows. ``newest_feedback`` picks
        among the feedbacks of orders in the parts (a defect of an unknown order never counts).
        """
        day = _day(as_of, "as_of")
        if self.is_empty:
            return parts
        spans = parts.defect_spans
        if self.appealable_claims:
            if defects is None:
                raise ValueError(
                    "removing appealable claims needs the claim statuses, which OdrParts do not "
                    "hold: pass defects=<the defects frame>"
                )
            return self._rebuild(parts, validate_defects(defects), day)
        explicit = self._explicit()
        if explicit is not None:
            spans = spans.filter(~explicit)
        if self.newest_feedback:
            feedback = parts.defect_spans.filter(
                (pl.col("kind") == "negative_feedback")
                & (pl.col("counted_from") <= day)
                & (pl.col("counted_until").is_null() | (pl.col("counted_until") >= day))
            )
            newest = (
                feedback.sort(
                    ["counted_from", "account", "order_id"], descending=[True, False, False]
                )
                .head(self.newest_feedback)
                .select(*_KEY, kind=pl.lit("negative_feedback"))
            )
            spans = spans.join(newest, on=[*_KEY, "kind"], how="anti", maintain_order="left")
        return dataclasses.replace(parts, defect_spans=spans)

    def _rebuild(self, parts: OdrParts, defects: pl.LazyFrame, day: dt.date) -> OdrParts:
        """Recompute the spans of every order that loses a defect row (exact for any selector)."""
        marked = self._marked(defects, day, parts.rules).collect()
        affected = marked.filter(pl.col("_drop")).select(_KEY).unique()
        spans = parts.defect_spans
        affected = affected.join(spans.select(_KEY).unique(), on=_KEY, how="semi")
        if not affected.height:
            return parts
        keys = list(parts.keys)
        mini_orders = (
            spans.join(affected, on=_KEY, how="semi")
            .select(*keys, "order_id", "order_date")
            .unique()
        )
        remaining = (
            marked.filter(~pl.col("_drop")).drop("_drop").join(affected, on=_KEY, how="semi")
        )
        rebuilt = prepare(mini_orders, remaining, rules=parts.rules, by=keys[3:]).defect_spans
        new_spans = pl.concat(
            [spans.join(affected, on=_KEY, how="anti"), rebuilt.select(spans.columns)]
        ).sort(*keys, "order_id", "kind", "counted_from")
        return dataclasses.replace(parts, defect_spans=new_spans)


@dataclass(frozen=True, eq=False)
class RemovalResult:
    """What a :class:`Removal` changes, per group, over report dates ``as_of .. as_of+horizon``.

    ``summary``: one row per group with ``odr_before`` / ``odr_after`` (today, ``as_of``),
    ``days_above_before`` / ``days_above_after`` (report dates in the horizon whose rate is at
    or above the target) and ``days_saved``. ``before`` / ``after``: the engine's daily rows.
    ``daily_orders``: the clean orders a day assumed after ``as_of``, per group, with their
    ``source`` (see :func:`simulate_removal`).
    """

    removal: Removal
    as_of: dt.date
    horizon: int
    rules: OdrRules
    daily_orders: pl.DataFrame
    summary: pl.DataFrame
    before: pl.DataFrame
    after: pl.DataFrame

    @property
    def days_saved(self) -> int:
        """Days above the target saved, summed over the groups."""
        return int(self.summary["days_saved"].sum())

    def describe(self) -> str:
        """One line, e.g. ``removing ...: acme Amazon.com MFN: 1.10% -> 0.98% today, 11 fewer
        days above 1% (next 90 days)``."""
        keys = [c for c in self.summary.columns if c not in _SUMMARY_VALUES]
        t = _target_text(self.rules.target)
        groups = []
        for row in self.summary.iter_rows(named=True):  # a handful of groups
            saved = row["days_saved"]
            change = (
                f"{saved} fewer day{'s' if saved != 1 else ''} above {t}"
                if saved
                else f"no fewer days above {t}"
            )
            groups.append(
                f"{_group_label(row, keys)}: {_pct(row['odr_before'])} -> "
                f"{_pct(row['odr_after'])} today, {change}"
            )
        body = "; ".join(groups) if groups else "no orders"
        return f"{self.removal.describe()}: {body} (next {self.horizon} days)"


_SUMMARY_VALUES = (
    "as_of",
    "odr_before",
    "odr_after",
    "days_above_before",
    "days_above_after",
    "days_saved",
)


def simulate_removal(
    data: OdrParts | tuple[Frame, Frame],
    removal: Removal,
    *,
    as_of: dt.date | str,
    horizon: int = 90,
    rules: OdrRules | None = None,
    daily_orders: float | Frame | None = None,
    defects: Frame | None = None,
) -> RemovalResult:
    """The rate today and on each of the next ``horizon`` days, with and without ``removal``.

    ``data`` is the :class:`~odr_analysis.engine.OdrParts` from ``prepare`` or the pair
    ``(orders, defects)``. Only what is known on ``as_of`` counts (see :func:`known_on`), plus
    clean future orders on the order dates after ``as_of``: ``daily_orders`` per day (``None``:
    each group's recent average, as the projection assumes; a number; or a frame with the
    group keys and ``daily_orders``; ``0`` for none). ``defects`` (with parts) is needed only
    for ``appealable_claims``. Days are the report dates ``as_of .. as_of + horizon``.

    With ``daily_orders=0`` the ``after`` path equals ``odr_daily`` on the orders dated up to
    ``as_of`` and ``removal.apply(defects, as_of=as_of)`` restricted to ``event_date <= as_of``.
    """
    day = _day(as_of, "as_of")
    horizon = _check_horizon(horizon, minimum=0)
    if isinstance(data, OdrParts):
        parts, _ = _resolve(data, None, rules)
        raw = defects
    else:
        if defects is not None:
            raise TypeError("defects is already in data=(orders, defects)")
        orders, raw = data
        parts, _ = _resolve(orders, raw, rules)
    if not isinstance(removal, Removal):
        raise TypeError(f"removal must be a Removal, got {type(removal).__name__}")
    removed = removal.apply_to_parts(
        parts, as_of=day, defects=raw if removal.appealable_claims else None
    )
    before_parts, after_parts = known_on(parts, as_of=day), known_on(removed, as_of=day)
    extra, rates = _future_orders(
        before_parts, as_of=day, horizon=horizon, daily_orders=daily_orders
    )
    end = day + _days(horizon)
    before = _known_path(before_parts, start=day, end=end, extra_orders=extra)
    after = _known_path(after_parts, start=day, end=end, extra_orders=extra)
    keys = list(parts.keys)

    def summary(path: pl.DataFrame, tag: str) -> pl.DataFrame:
        return path.group_by(keys).agg(
            pl.col("odr").filter(pl.col("as_of") == day).first().alias(f"odr_{tag}"),
            (pl.col("meets_target") == False)  # noqa: E712 - null (no orders) is not above
            .sum()
            .cast(pl.Int64)
            .alias(f"days_above_{tag}"),
        )

    table = (
        summary(before, "before")
        .join(summary(after, "after"), on=keys, how="left")
        .with_columns(
            as_of=pl.lit(day),
            days_saved=pl.col("days_above_before") - pl.col("days_above_after"),
        )
        .select(*keys, *_SUMMARY_VALUES)
        .sort(keys)
    )
    return RemovalResult(removal, day, horizon, parts.rules, rates, table, before, after)


def removal_ranking(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    horizon: int = 90,
    rules: OdrRules | None = None,
    daily_orders: float | Frame | None = None,
) -> pl.DataFrame:
    """Every counted defect ranked by the days above the target its removal alone would save.

    Candidates: every (order, kind) known on ``as_of`` that counts in the window of at least
    one report date of ``as_of .. as_of + horizon``. Future clean orders as in
    :func:`simulate_removal`. A day is saved when the order is in that day's window, counted
    only through this kind, and the day's ``k`` defective of ``n`` orders has ``(k-1)/n <
    target <= k/n``; computed in one pass over the base path with prefix sums, not one engine
    run per defect. Ties: the later ``leaves_window_on`` first (it stays longer).

    Columns: the group keys, ``rank``, ``order_id``, ``order_date``, ``kind``, ``event_date``
    (when the counted defect was received), ``status`` (the latest row's status known on
    ``as_of``; null when only parts are given, pass ``defects`` with the parts to get it),
    ``days_saved``, ``counts_today``, ``rate_today_without``, ``leaves_window_on`` and
    ``also_has`` (the order's other counted kinds: while one of them counts, removing this
    kind alone saves nothing).
    """
    parts, raw = _resolve(orders, defects, rules, statuses=True)
    rules = parts.rules
    day = _day(as_of, "as_of")
    horizon = _check_horizon(horizon, minimum=0)
    keys = list(parts.keys)
    lag, width, target = rules.lag_days, rules.window_days, rules.target
    lo = day_number(day)
    hi = lo + horizon
    known = known_on(parts, as_of=day)
    extra, _ = _future_orders(known, as_of=day, horizon=horizon, daily_orders=daily_orders)
    base = _known_path(known, start=day, end=day + _days(horizon), extra_orders=extra)
    k, n = pl.col("defective_orders"), pl.col("order_count")
    # Critical days: one defective order fewer would bring the rate under the target.
    prefix = (
        base.select(
            *keys,
            d=pl.col("as_of").cast(pl.Int32),
            n=n,
            k=k,
            crit=((pl.col("meets_target") == False) & (((k - 1) / n) < target))  # noqa: E712
            .fill_null(False)
            .cast(pl.Int64),
        )
        .sort(*keys, "d")
        .with_columns(P=pl.col("crit").cum_sum().over(keys))
    )
    od = pl.col("order_date").cast(pl.Int32)
    clipped = known.defect_spans.with_columns(
        a=pl.max_horizontal(pl.col("counted_from").cast(pl.Int32), od + lag, pl.lit(lo)),
        b=pl.min_horizontal(
            pl.col("counted_until").cast(pl.Int32).fill_null(_OPEN),
            od + lag + width - 1,
            pl.lit(hi),
        ),
        code=pl.col("kind").replace_strict(_KIND_CODE, return_dtype=pl.Int64),
    ).filter(pl.col("a") <= pl.col("b"))
    # Coverage of each order's days: +1/-1 and +code/-code at the edges of its clipped spans.
    # Spans of one kind never overlap, so where the count is 1 the code names the sole kind.
    edges = (
        pl.concat(
            [
                clipped.select(*keys, "order_id", d=pl.col("a"), dc=pl.lit(1), dm=pl.col("code")),
                clipped.select(
                    *keys, "order_id", d=pl.col("b") + 1, dc=pl.lit(-1), dm=-pl.col("code")
                ),
            ]
        )
        .group_by(*keys, "order_id", "d")
        .agg(pl.col("dc").sum(), pl.col("dm").sum())
        .sort(*keys, "order_id", "d")
        .with_columns(
            cover=pl.col("dc").cum_sum().over(_KEY),
            mask=pl.col("dm").cum_sum().over(_KEY),
            until=pl.col("d").shift(-1).over(_KEY) - 1,
        )
        .filter(pl.col("cover") == 1)
    )
    ends = prefix.select(*keys, until="d", P_end="P")
    starts = prefix.select(*keys, P_before="P", d=pl.col("d") + 1)
    sole = (
        edges.join(ends, on=[*keys, "until"], how="left")
        .join(starts, on=[*keys, "d"], how="left")
        .group_by(*keys, "order_id", code="mask")
        .agg(
            days_saved=(pl.col("P_end") - pl.col("P_before").fill_null(0)).sum(),
            sole_today=((pl.col("d") <= lo) & (pl.col("until") >= lo)).any(),
        )
    )
    counted_today = (
        clipped.filter((pl.col("a") <= lo) & (pl.col("b") >= lo))
        .select(*_KEY, "code", counts_today=pl.lit(True))
        .unique()
    )
    today = prefix.filter(pl.col("d") == lo).select(*keys, n_today="n", k_today="k")
    candidates = (
        clipped.group_by(*keys, "order_id", "order_date", "kind", "code")
        .agg(event_date=pl.col("counted_from").max())
        .with_columns(
            also_has=pl.col("kind").implode().over(_KEY).list.set_difference(pl.concat_list("kind"))
        )
    )
    kind_order = {kind: i for i, kind in enumerate(KINDS)}
    ranked = (
        candidates.join(sole, on=[*keys, "order_id", "code"], how="left")
        .join(counted_today, on=[*_KEY, "code"], how="left")
        .join(today, on=keys, how="left")
        .with_columns(
            days_saved=pl.col("days_saved").fill_null(0).cast(pl.Int64),
            counts_today=pl.col("counts_today").fill_null(False),
            sole_today=pl.col("sole_today").fill_null(False),
            leaves_window_on=pl.col("order_date") + pl.duration(days=lag + width),
            also_has=pl.col("also_has").list.sort(),
        )
        .with_columns(
            rate_today_without=pl.when(pl.col("n_today") > 0).then(
                (pl.col("k_today") - pl.col("sole_today").cast(pl.Int64)) / pl.col("n_today")
            ),
            _kind_order=pl.col("kind").replace_strict(kind_order, return_dtype=pl.Int64),
        )
    )
    status = _latest_status(raw, day) if raw is not None else None
    if status is not None:
        ranked = ranked.join(status, on=[*_KEY, "kind"], how="left")
    else:
        ranked = ranked.with_columns(status=pl.lit(None, pl.String))
    return (
        ranked.sort(
            ["days_saved", "leaves_window_on", *keys, "order_id", "_kind_order"],
            descending=[True, True, *[False] * (len(keys) + 2)],
        )
        .with_row_index("rank", offset=1)
        .select(
            *keys,
            pl.col("rank").cast(pl.Int64),
            "order_id",
            "order_date",
            "kind",
            "event_date",
            "status",
            "days_saved",
            "counts_today",
            "rate_today_without",
            "leaves_window_on",
            "also_has",
        )
    )


def _latest_status(defects: pl.LazyFrame, day: dt.date) -> pl.DataFrame:
    """Per (order, kind): the status of the latest row received by ``day`` (ties: any first)."""
    return (
        defects.filter(pl.col("event_date") <= day)
        .sort(*_KEY, "kind", "event_date", "status")
        .group_by(*_KEY, "kind")
        .agg(pl.col("status").last())
        .collect()
    )
