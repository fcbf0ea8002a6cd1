"""Removal scenarios: what the rate would be without some defects, and which removal helps most.

A seller can get a negative feedback removed (it breaks Amazon's rules, or the buyer withdraws
it), appeal an A-to-z claim or represent a chargeback. :class:`Removal` says which defects
disappear; :func:`simulate_removal` gives the rate today and on each of the coming days with and
without them; :func:`removal_ranking` ranks every counted defect by the days over the target its
removal alone would save.

Only what is known on ``as_of`` counts (:func:`~odr_analysis.parts.known_on`), plus clean future
orders: each group's recent orders a day by default
(:func:`~odr_analysis.estimates.planned_orders`, the projection's assumption).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import overload

import polars as pl

from odr_analysis import words
from odr_analysis.daily import daily_path
from odr_analysis.defects import OPEN_END
from odr_analysis.estimates import planned_orders
from odr_analysis.parts import OdrParts, as_parts, known_on, prepare
from odr_analysis.rules import OdrRules, day_number, to_date, whole_days
from odr_analysis.schema import KINDS, ORDER_KEY, DefectKind, Frame, rate, validate_defects

__all__ = [
    "APPEALABLE_CLAIM_STATUSES",
    "Removal",
    "RemovalResult",
    "removal_ranking",
    "simulate_removal",
]

#: Claim statuses a seller can still fight: an open claim (``pending``: respond to Amazon with
#: proof of delivery before the decision) and a claim decided for the buyer (``granted``: the
#: decision can be appealed). A ``seller_refunded`` claim was conceded by the refund and a
#: ``withdrawn_after_grant`` one is closed: neither can be appealed, so neither is included.
APPEALABLE_CLAIM_STATUSES: frozenset[str] = frozenset({"pending", "granted"})

_KEY = list(ORDER_KEY)
_KIND_CODE = {kind: 1 << i for i, kind in enumerate(KINDS)}  # one bit per kind


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
    kinds: tuple[DefectKind, ...] = ()
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
        """One line: what this scenario removes (:func:`odr_analysis.words.removal`)."""
        return words.removal(
            order_ids=self.order_ids,
            kinds=self.kinds,
            newest_feedback=self.newest_feedback,
            appealable_claims=self.appealable_claims,
            label=self.label,
        )

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
        day = None if as_of is None else to_date(as_of, "as_of")
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
        day = to_date(as_of, "as_of")
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
        days above 1% (next 90 days)`` (:func:`odr_analysis.words.removal_result`)."""
        keys = [c for c in self.summary.columns if c not in _SUMMARY_VALUES]
        return words.removal_result(
            self.removal.describe(), self.summary, keys, self.rules.target, self.horizon
        )


_SUMMARY_VALUES = (
    "as_of",
    "odr_before",
    "odr_after",
    "days_above_before",
    "days_above_after",
    "days_saved",
)


def simulate_removal(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    removal: Removal,
    as_of: dt.date | str,
    horizon: int = 90,
    rules: OdrRules = OdrRules(),
    daily_orders: float | Frame | None = None,
) -> RemovalResult:
    """The rate today and on each of the next ``horizon`` days, with and without ``removal``.

    ``orders`` and ``defects`` are the canonical frames, or ``orders`` is the
    :class:`~odr_analysis.parts.OdrParts` prepared from them (then ``defects`` is needed only
    for ``appealable_claims``, whose statuses the parts do not hold). Only what is known on
    ``as_of`` counts (see :func:`~odr_analysis.parts.known_on`), plus clean future orders on
    the order dates after ``as_of``: ``daily_orders`` per day (``None``: each group's recent
    average, as the projection assumes; a number; or a frame with the group keys and
    ``daily_orders``; ``0`` for none). Days are the report dates ``as_of .. as_of + horizon``.

    With ``daily_orders=0`` the ``after`` path equals ``odr_daily`` on the orders dated up to
    ``as_of`` and ``removal.apply(defects, as_of=as_of)`` restricted to ``event_date <= as_of``.
    """
    day = to_date(as_of, "as_of")
    horizon = whole_days(horizon, "horizon", minimum=0)
    parts = as_parts(orders, defects, rules=rules, with_defects=True)
    raw = defects
    if not isinstance(removal, Removal):
        raise TypeError(f"removal must be a Removal, got {type(removal).__name__}")
    removed = removal.apply_to_parts(
        parts, as_of=day, defects=raw if removal.appealable_claims else None
    )
    before_parts, after_parts = known_on(parts, as_of=day), known_on(removed, as_of=day)
    extra, rates = planned_orders(
        before_parts, as_of=day, horizon=horizon, daily_orders=daily_orders
    )
    end = day + dt.timedelta(days=horizon)
    before = daily_path(before_parts, start=day, end=end, extra_orders=extra)
    after = daily_path(after_parts, start=day, end=end, extra_orders=extra)
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
    rules: OdrRules = OdrRules(),
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
    parts = as_parts(orders, defects, rules=rules, with_defects=True)
    raw = None if defects is None else validate_defects(defects)
    rules = parts.rules
    day = to_date(as_of, "as_of")
    horizon = whole_days(horizon, "horizon", minimum=0)
    keys = list(parts.keys)
    target = rules.target
    lo = day_number(day)
    hi = lo + horizon
    known = known_on(parts, as_of=day)
    extra, _ = planned_orders(known, as_of=day, horizon=horizon, daily_orders=daily_orders)
    base = daily_path(known, start=day, end=day + dt.timedelta(days=horizon), extra_orders=extra)
    k, n = pl.col("defective_orders"), pl.col("order_count")
    # Critical days: one defective order fewer would bring the rate under the target.
    prefix = (
        base.select(
            *keys,
            d=pl.col("as_of").cast(pl.Int32),
            n=n,
            k=k,
            crit=((pl.col("meets_target") == False) & (rate(k - 1, n) < target))  # noqa: E712
            .fill_null(False)
            .cast(pl.Int64),
        )
        .sort(*keys, "d")
        .with_columns(P=pl.col("crit").cum_sum().over(keys))
    )
    enters, exits = rules.report_days(pl.col("order_date").cast(pl.Int32))
    clipped = known.defect_spans.with_columns(
        a=pl.max_horizontal(pl.col("counted_from").cast(pl.Int32), enters, pl.lit(lo)),
        b=pl.min_horizontal(
            pl.col("counted_until").cast(pl.Int32).fill_null(OPEN_END), exits, pl.lit(hi)
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
            leaves_window_on=rules.leaves_window_expr(pl.col("order_date")),
            also_has=pl.col("also_has").list.sort(),
        )
        .with_columns(
            rate_today_without=pl.when(pl.col("n_today") > 0).then(
                rate(pl.col("k_today") - pl.col("sole_today").cast(pl.Int64), pl.col("n_today"))
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
