"""Why did the ODR move? The change between two report dates, split exactly into its causes.

Between report dates ``start`` and ``end`` the window moves: some orders leave it, others enter,
and defects arrive (or stop counting) on orders already in it. :func:`explain_change` splits
``odr(end) - odr(start)`` into four parts that add up to the change:

``new_defects``
    defects counted on ``end`` but not on ``start``, on orders in ``end``'s window, net of
    defects that stopped counting in between (feedback revised, removed or struck through);
``defective_left``
    orders that were defective on ``start`` and are no longer in the window on ``end``;
``new_orders``
    orders entering the window, with their defects as known on ``start`` (so zero defects
    unless one was received before ``start``: a defect received later is in ``new_defects``);
``clean_left``
    orders clean on ``start`` that left the window.

How the change is split: the rate is a ratio, so a step's effect depends on what has already
happened (a clean order leaving a window of 50 orders moves the rate more than one leaving a
window of 5,000). No step is privileged, so each part is the Shapley value of its step: the
step's effect on the rate averaged over the 4! = 24 sequences in which the four steps can be
applied. Applying some of the steps gives a real window (the orders that stay, plus those of
the steps not applied yet on the start side and of the applied steps on the end side, with
defects as known on ``end`` once ``new_defects`` is applied and as known on ``start`` before),
so every intermediate rate is a true rate in [0, 1]. When the two windows share no order, some
sequences pass through an empty window (both leaving steps before the new orders): those are
left out, i.e. each part is the average over the *feasible* sequences. One always is (new
orders, new defects, then the leaving orders), the effects along any feasible sequence add up
to the change, so their average does too (to floating-point rounding, far below 1e-12), and
with overlapping windows all 24 are feasible: plain Shapley. Effects are averaged as their
deviation from that always-feasible sequence, so a step that moves nothing gets exactly 0 and
a lone moving step exactly the change. When the window is empty on ``start`` or ``end`` there
is no rate to explain: the parts are null and ``reason`` says why; the counts are still given.

The counts behind the parts: ``new_defect_orders`` (orders in ``end``'s window that became
defective), ``revised_away_orders`` (that stopped being defective), ``defective_left_orders``,
``clean_left_orders``, ``entered_orders`` (of which ``entered_defective_orders`` already
defective on ``start``) and ``staying_orders``. ``orders_end - orders_start = entered_orders -
defective_left_orders - clean_left_orders`` always, and ``message`` says it all in one line.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Sequence

import polars as pl

from odr_analysis.engine import OdrParts, prepare
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import Frame

__all__ = [
    "EXPLAIN_COLUMNS",
    "PARTS",
    "explain_change",
    "explain_change_from_parts",
    "explain_daily",
    "explain_daily_from_parts",
]

PARTS: tuple[str, ...] = ("new_defects", "defective_left", "new_orders", "clean_left")
COUNTS: tuple[str, ...] = (
    "orders_start",
    "orders_end",
    "defective_start",
    "defective_end",
    "new_defect_orders",
    "revised_away_orders",
    "defective_left_orders",
    "clean_left_orders",
    "entered_orders",
    "entered_defective_orders",
    "staying_orders",
)
EXPLAIN_COLUMNS: tuple[str, ...] = (
    "account",
    "marketplace",
    "channel",
    "start",
    "end",
    "odr_start",
    "odr_end",
    "change",
    *PARTS,
    *COUNTS,
    "reason",
    "message",
)
# Step indices, in the order of PARTS; a set of applied steps is a 4-bit mask.
_ND, _DL, _NO, _CL = range(4)


def explain_change(
    orders: Frame,
    defects: Frame,
    *,
    start: dt.date | str,
    end: dt.date | str,
    rules: OdrRules = OdrRules(),
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Split ``odr(end) - odr(start)`` per group into four parts that add up to the change.

    One row per (account, marketplace, channel) of ``orders`` (plus ``by`` keys), with the
    columns :data:`EXPLAIN_COLUMNS`: the two rates, the ``change``, the parts (fractions, like
    the rate: 0.001 = 0.1 points), the counts behind them, a ``reason`` when the parts are null
    (an empty window) and a one-line ``message``. See the module text for the method.
    ``start`` must not be after ``end``; for the same day every part is 0.

    Examples
    --------
    Ten orders in the window on 2024-03-01, one defective; by 2024-03-06 the five oldest (clean)
    orders have left and nothing entered: 1/10 -> 1/5, although no defect arrived.

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": [f"o{i}" for i in range(10)],
    ...     "order_date": [dt.date(2024, 1, 1 + i // 5 * 5) for i in range(10)]})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o9", "kind": "chargeback",
    ...     "event_date": dt.date(2024, 1, 20), "status": "service", "rating": None})
    >>> out = explain_change(orders, defects, start="2024-03-14", end="2024-03-15")
    >>> out.select("odr_start", "odr_end", "clean_left", "clean_left_orders").row(0)
    (0.1, 0.2, 0.1, 5)
    >>> out["message"][0]  # doctest: +NORMALIZE_WHITESPACE
    'Your Amazon.com MFN ODR rose from 10.00% to 20.00% (+10.00 points) between 2024-03-14
     and 2024-03-15 although no new defect arrived: 5 clean orders left the window
     (+10.00 points)'
    """
    first, last = to_date(start, "start"), to_date(end, "end")
    _check_order(first, last)
    return explain_change_from_parts(
        prepare(orders, defects, rules=rules, by=by), start=first, end=last
    )


def explain_change_from_parts(
    parts: OdrParts, *, start: dt.date | str, end: dt.date | str
) -> pl.DataFrame:
    """:func:`explain_change` from :class:`~odr_analysis.engine.OdrParts` (fast; for sliders).

    Works on edited parts too (e.g. a removal scenario's ``defect_spans``).
    """
    first, last = to_date(start, "start"), to_date(end, "end")
    _check_order(first, last)
    pairs = pl.LazyFrame(
        {"s": [day_number(first)], "e": [day_number(last)]}, schema={"s": pl.Int32, "e": pl.Int32}
    )
    return _explain(parts, pairs)


def explain_daily(
    orders: Frame,
    defects: Frame,
    *,
    start: dt.date | str,
    end: dt.date | str,
    rules: OdrRules = OdrRules(),
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """:func:`explain_change` for every day's move: one row per group and report date.

    The row of report date ``d`` (``start < d <= end``) explains ``odr(d) - odr(d - 1)``; its
    ``start`` column is ``d - 1`` and its ``end`` column ``d``. The daily changes add up to
    ``odr(end) - odr(start)`` (when every day has a rate). Empty when ``start == end``.
    """
    first, last = to_date(start, "start"), to_date(end, "end")
    _check_order(first, last)
    return explain_daily_from_parts(
        prepare(orders, defects, rules=rules, by=by), start=first, end=last
    )


def explain_daily_from_parts(
    parts: OdrParts, *, start: dt.date | str, end: dt.date | str
) -> pl.DataFrame:
    """:func:`explain_daily` from :class:`~odr_analysis.engine.OdrParts`."""
    first, last = to_date(start, "start"), to_date(end, "end")
    _check_order(first, last)
    ends = pl.int_range(day_number(first) + 1, day_number(last) + 1, dtype=pl.Int32, eager=True)
    pairs = pl.LazyFrame({"e": ends}).select(s=pl.col("e") - 1, e="e")
    return _explain(parts, pairs, consecutive=True)


def _check_order(first: dt.date, last: dt.date) -> None:
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first}); pass the earlier date first")


# --- counts per group and pair of report dates --------------------------------------------------


def _explain(parts: OdrParts, pairs: pl.LazyFrame, *, consecutive: bool = False) -> pl.DataFrame:
    """The explanation for every group of ``parts`` and every pair (``s``, ``e``: day numbers).

    ``consecutive``: every pair is ``(e - 1, e)`` (the daily view), which lets each defective
    order meet only the few pairs whose windows hold it instead of every pair.
    """
    keys = list(parts.keys)
    lag, width = parts.rules.lag_days, parts.rules.window_days
    counts = parts.order_counts.lazy().with_columns(od=pl.col("order_date").cast(pl.Int32))
    groups = counts.select(keys).unique()
    # Windows as order-day ranges: [lo, hi] inclusive; the overlap may be empty (lo > hi).
    windows = groups.join(pairs, how="cross").with_columns(
        s_lo=pl.col("s") - lag - width + 1,
        s_hi=pl.col("s") - lag,
        e_lo=pl.col("e") - lag - width + 1,
        e_hi=pl.col("e") - lag,
    )
    windows = windows.with_columns(
        both_lo=pl.max_horizontal("s_lo", "e_lo"), both_hi=pl.min_horizontal("s_hi", "e_hi")
    )
    order_counts = _order_counts(counts, windows, keys)
    defect_counts = _defect_counts(parts, windows, keys, consecutive=consecutive)
    table = (
        windows.join(order_counts, on=[*keys, "s", "e"], how="left")
        .join(defect_counts, on=[*keys, "s", "e"], how="left")
        .with_columns(pl.col(_DEFECT_COUNTS).fill_null(0))
        .with_columns(
            defective_start=pl.col("stay_def_s") + pl.col("left_def_s"),
            defective_end=pl.col("stay_def_s")
            + pl.col("stay_new")
            - pl.col("stay_rev")
            + pl.col("ent_def_s")
            + pl.col("ent_new")
            - pl.col("ent_rev"),
            new_defect_orders=pl.col("stay_new") + pl.col("ent_new"),
            revised_away_orders=pl.col("stay_rev") + pl.col("ent_rev"),
            defective_left_orders=pl.col("left_def_s"),
            clean_left_orders=pl.col("orders_start")
            - pl.col("staying_orders")
            - pl.col("left_def_s"),
            entered_orders=pl.col("orders_end") - pl.col("staying_orders"),
            entered_defective_orders=pl.col("ent_def_s"),
        )
    )
    # The counts are a small frame (groups x pairs): split and word it eagerly.
    split = _shapley(
        table.with_columns(
            start=pl.col("s").cast(pl.Date),
            end=pl.col("e").cast(pl.Date),
            **{c: pl.col(c).cast(pl.Int64) for c in COUNTS},
        ).collect()
    )
    return _with_message(split).select(*keys, *EXPLAIN_COLUMNS[3:]).sort(*keys, "end")


def _order_counts(counts: pl.LazyFrame, windows: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """Orders in each window and in the overlap, from running totals per group (as-of joins)."""
    running = counts.sort(*keys, "od").select(
        *keys, "od", total=pl.col("orders").cum_sum().over(keys)
    )
    # total(x) = orders dated on or before day x; orders in [lo, hi] = total(hi) - total(lo - 1).
    points = {
        "s_hi": pl.col("s_hi"),
        "s_lo1": pl.col("s_lo") - 1,
        "e_hi": pl.col("e_hi"),
        "e_lo1": pl.col("e_lo") - 1,
        "both_hi": pl.col("both_hi"),
        "both_lo1": pl.col("both_lo") - 1,
    }
    lookups = pl.concat(
        [windows.select(*keys, "s", "e", point=pl.lit(name), x=x) for name, x in points.items()]
    ).sort("x")
    totals = (
        lookups.join_asof(
            running.sort("od"),
            left_on="x",
            right_on="od",
            by=keys,
            strategy="backward",
            check_sortedness=False,
        )
        .with_columns(pl.col("total").fill_null(0))
        .group_by(*keys, "s", "e")
        .agg(**{name: pl.col("total").filter(pl.col("point") == name).first() for name in points})
    )
    return totals.select(
        *keys,
        "s",
        "e",
        orders_start=pl.col("s_hi") - pl.col("s_lo1"),
        orders_end=pl.col("e_hi") - pl.col("e_lo1"),
        # the overlap is empty when its low end is past its high end: no order stays
        staying_orders=pl.max_horizontal(pl.col("both_hi") - pl.col("both_lo1"), pl.lit(0)),
    )


_DEFECT_COUNTS = (
    "stay_def_s",
    "stay_new",
    "stay_rev",
    "left_def_s",
    "ent_def_s",
    "ent_new",
    "ent_rev",
)


def _defect_counts(
    parts: OdrParts, windows: pl.LazyFrame, keys: list[str], *, consecutive: bool
) -> pl.LazyFrame:
    """Per group and pair: orders by place (stays, left, entered) and defect state on s and e."""
    spans = parts.defect_spans.lazy().select(
        *keys,
        "order_id",
        od=pl.col("order_date").cast(pl.Int32),
        c_from=pl.col("counted_from").cast(pl.Int32),
        c_until=pl.col("counted_until").cast(pl.Int32),
    )

    def covers(day: str) -> pl.Expr:
        return (pl.col("c_from") <= pl.col(day)) & (
            pl.col("c_until").is_null() | (pl.col("c_until") >= pl.col(day))
        )

    on = keys
    if consecutive:
        # An order of day od is in the window of report days od + lag .. od + lag + width - 1,
        # so it matters to the pairs (e - 1, e) with e in od + lag .. od + lag + width.
        lag, width = parts.rules.lag_days, parts.rules.window_days
        spans = spans.with_columns(
            e=pl.int_ranges(pl.col("od") + lag, pl.col("od") + lag + width + 1, dtype=pl.Int32)
        ).explode("e")
        on = [*keys, "e"]
    in_s = pl.col("od").is_between(pl.col("s_lo"), pl.col("s_hi"))
    in_e = pl.col("od").is_between(pl.col("e_lo"), pl.col("e_hi"))
    per_order = (
        spans.join(windows.select(*keys, "s", "e", "s_lo", "s_hi", "e_lo", "e_hi"), on=on)
        .filter(in_s | in_e)
        .group_by(*keys, "s", "e", "order_id")
        .agg(
            stays=(in_s & in_e).first(),
            left=(in_s & ~in_e).first(),
            d_s=covers("s").any(),
            d_e=covers("e").any(),
        )
    )
    d_s, d_e = pl.col("d_s"), pl.col("d_e")
    stays, left = pl.col("stays"), pl.col("left")
    entered = ~stays & ~left

    def total(condition: pl.Expr) -> pl.Expr:
        return condition.sum().cast(pl.Int64)

    return per_order.group_by(*keys, "s", "e").agg(
        stay_def_s=total(stays & d_s),
        stay_new=total(stays & ~d_s & d_e),
        stay_rev=total(stays & d_s & ~d_e),
        left_def_s=total(left & d_s),
        ent_def_s=total(entered & d_s),
        ent_new=total(entered & ~d_s & d_e),
        ent_rev=total(entered & d_s & ~d_e),
    )


# --- the split: Shapley values over the feasible orders of the four steps -----------------------


def _state(bits: dict[str, pl.Expr]) -> tuple[pl.Expr, pl.Expr]:
    """(defective orders, orders) of the window after applying the steps whose bit is 1.

    ``bits`` maps each step (``nd``, ``dl``, ``no``, ``cl``) to a 0/1 integer expression.
    """
    nd, dl, no, cl = bits["nd"], bits["dl"], bits["no"], bits["cl"]
    defective = (
        pl.col("stay_def_s")
        + nd * (pl.col("stay_new") - pl.col("stay_rev"))
        + (1 - dl) * pl.col("defective_left_orders")
        + no * (pl.col("ent_def_s") + nd * (pl.col("ent_new") - pl.col("ent_rev")))
    )
    orders = (
        pl.col("staying_orders")
        + (1 - dl) * pl.col("defective_left_orders")
        + (1 - cl) * pl.col("clean_left_orders")
        + no * pl.col("entered_orders")
    )
    return defective, orders


_STEP_NAMES = ("nd", "dl", "no", "cl")  # in the order of PARTS
_REFERENCE = (_NO, _ND, _DL, _CL)  # always feasible when both rates exist


@functools.cache
def _steps_frame() -> pl.DataFrame:
    """Every order of the four steps (24) and every step in it: which steps were applied
    before it (``b_*``) and after it (``a_*``), as 0/1 columns."""
    rows = []
    for number, order in enumerate(itertools.permutations(range(len(PARTS)))):
        applied: set[int] = set()
        for step in order:
            before = {f"b_{name}": int(i in applied) for i, name in enumerate(_STEP_NAMES)}
            applied.add(step)
            after = {f"a_{name}": int(i in applied) for i, name in enumerate(_STEP_NAMES)}
            rows.append(
                {"_perm": number, "_step": step, "_ref": order == _REFERENCE, **before, **after}
            )
    return pl.DataFrame(rows).with_columns(pl.col("^[ab]_.*$").cast(pl.Int64))


def _shapley(table: pl.DataFrame) -> pl.DataFrame:
    """Add ``odr_start``, ``odr_end``, ``change``, ``reason`` and the four parts.

    Long format (a row per group-and-pair x order of the steps x step) keeps the expressions
    few and the work vectorised. Each step's effect along each order is measured against its
    effect along :data:`_REFERENCE`, so averaging identical effects is exact (a lone moving
    step gets exactly the change, a step that moves nothing exactly 0).
    """
    table = table.with_row_index("_row")
    k_before, n_before = _state({name: pl.col(f"b_{name}") for name in _STEP_NAMES})
    k_after, n_after = _state({name: pl.col(f"a_{name}") for name in _STEP_NAMES})
    rate_before = pl.when(n_before > 0).then(k_before / n_before)
    rate_after = pl.when(n_after > 0).then(k_after / n_after)
    effects = (
        table.join(_steps_frame(), how="cross")
        .with_columns(
            _effect=rate_after - rate_before,
            _ok=(n_before > 0) & (n_after > 0),
        )
        .with_columns(
            # an order of the steps is feasible when no window along it is empty
            _feasible=pl.col("_ok").all().over("_row", "_perm"),
            _deviation=pl.col("_effect")
            - pl.col("_effect").filter("_ref").first().over("_row", "_step"),
        )
        .group_by("_row", "_step")
        .agg(
            _part=pl.col("_effect").filter("_ref").first()
            + pl.col("_deviation").filter("_feasible").sum() / pl.col("_feasible").sum()
        )
        .group_by("_row")
        .agg(
            **{
                name: pl.col("_part").filter(pl.col("_step") == step).first()
                for step, name in enumerate(PARTS)
            }
        )
    )
    k_start, n_start = _state(dict.fromkeys(_STEP_NAMES, pl.lit(0)))
    k_end, n_end = _state(dict.fromkeys(_STEP_NAMES, pl.lit(1)))
    has_start, has_end = n_start > 0, n_end > 0
    reason = (
        pl.when(~has_start & ~has_end)
        .then(pl.lit("no orders in the window on either date: no rate to explain"))
        .when(~has_start)
        .then(pl.lit("no orders in the window on the start date: no rate to explain"))
        .when(~has_end)
        .then(pl.lit("no orders in the window on the end date: no rate to explain"))
    )
    return (
        table.join(effects, on="_row", how="left")
        .with_columns(
            odr_start=pl.when(has_start).then(k_start / n_start),
            odr_end=pl.when(has_end).then(k_end / n_end),
            reason=reason,
        )
        .with_columns(
            change=pl.col("odr_end") - pl.col("odr_start"),
            **{name: pl.when(has_start & has_end).then(pl.col(name)) for name in PARTS},
        )
        .drop("_row")
    )


# --- the one-line message ----------------------------------------------------------------------


def _fixed2(value: pl.Expr, *, sign: bool) -> pl.Expr:
    """``value`` with exactly two decimals (e.g. ``0.80``, ``+0.30``), rounded half away from 0."""
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
    return pl.concat_str(_fixed2(rate * 100, sign=False), pl.lit("%"))


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


def _with_message(table: pl.DataFrame) -> pl.DataFrame:
    """Add the one-line ``message``, built in three stages of short expressions."""
    texts, joined, message = _message_stages()
    temporary = [*texts, *joined]
    return (
        table.with_columns(**texts)
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
        **{f"_p_{part}": _points(part) for part in PARTS},
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
