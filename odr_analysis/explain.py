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
is no rate to explain: the parts are null; the counts are still given.

The counts behind the parts: ``new_defect_orders`` (orders in ``end``'s window that became
defective), ``revised_away_orders`` (that stopped being defective), ``defective_left_orders``,
``clean_left_orders``, ``entered_orders`` (of which ``entered_defective_orders`` already
defective on ``start``) and ``staying_orders``. ``orders_end - orders_start = entered_orders -
defective_left_orders - clean_left_orders`` always. In words (one line per row, and why a
change has no parts): :func:`odr_analysis.words.with_change_words`.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Sequence

import numpy as np
import polars as pl

from odr_analysis.daily import order_index
from odr_analysis.parts import OdrParts, as_parts
from odr_analysis.rules import OdrRules, day_number, to_date
from odr_analysis.schema import CHANGE_PARTS, GROUP_KEYS, Frame, rate

__all__ = ["EXPLAIN_COLUMNS", "PARTS", "explain_change", "explain_daily"]

PARTS: tuple[str, ...] = CHANGE_PARTS
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
    *GROUP_KEYS,
    "start",
    "end",
    "odr_start",
    "odr_end",
    "change",
    *PARTS,
    *COUNTS,
)
# Step indices, in the order of PARTS; a set of applied steps is a 4-bit mask.
_ND, _DL, _NO, _CL = range(4)


def explain_change(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    start: dt.date | str,
    end: dt.date | str,
    rules: OdrRules = OdrRules(),
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Split ``odr(end) - odr(start)`` per group into four parts that add up to the change.

    ``orders`` and ``defects`` are the canonical frames, or ``orders`` is the
    :class:`~odr_analysis.parts.OdrParts` prepared from them (then leave out ``defects``; edited
    parts work too, e.g. a removal scenario's). One row per (account, marketplace, channel) of
    ``orders`` (plus ``by`` keys), with the columns :data:`EXPLAIN_COLUMNS`: the two rates, the
    ``change``, the parts (fractions, like the rate: 0.001 = 0.1 points) and the counts behind
    them; the parts are null when a window is empty. See the module text for the method; the
    change in words: :func:`odr_analysis.words.with_change_words`. ``start`` must not be after
    ``end``; for the same day every part is 0.

    Examples
    --------
    Ten orders in the window on 2024-03-01, one defective; by 2024-03-06 the five oldest (clean)
    orders have left and nothing entered: 1/10 -> 1/5, although no defect arrived.

    >>> import datetime as dt, polars as pl
    >>> from odr_analysis import words
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": [f"o{i}" for i in range(10)],
    ...     "order_date": [dt.date(2024, 1, 1 + i // 5 * 5) for i in range(10)]})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o9", "kind": "chargeback",
    ...     "event_date": dt.date(2024, 1, 20), "status": "service", "rating": None})
    >>> out = explain_change(orders, defects, start="2024-03-14", end="2024-03-15")
    >>> out.select("odr_start", "odr_end", "clean_left", "clean_left_orders").row(0)
    (0.1, 0.2, 0.1, 5)
    >>> words.with_change_words(out)["message"][0]
    'Your Amazon.com MFN ODR rose from 10.00% to 20.00% (+10.00 points) between 2024-03-14
     and 2024-03-15 although no new defect arrived: 5 clean orders left the window
     (+10.00 points)'
    """
    first, last = _dates(start, end)
    parts = as_parts(orders, defects, rules=rules, by=by)
    pairs = pl.DataFrame(
        {"s": [day_number(first)], "e": [day_number(last)]}, schema={"s": pl.Int32, "e": pl.Int32}
    )
    return _explain(parts, pairs)


def explain_daily(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
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
    first, last = _dates(start, end)
    parts = as_parts(orders, defects, rules=rules, by=by)
    ends = pl.int_range(day_number(first) + 1, day_number(last) + 1, dtype=pl.Int32, eager=True)
    pairs = pl.DataFrame({"e": ends}).select(s=pl.col("e") - 1, e="e")
    return _explain(parts, pairs, consecutive=True)


def _dates(start: dt.date | str, end: dt.date | str) -> tuple[dt.date, dt.date]:
    first, last = to_date(start, "start"), to_date(end, "end")
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first}); pass the earlier date first")
    return first, last


# --- counts per group and pair of report dates --------------------------------------------------


def _explain(parts: OdrParts, pairs: pl.DataFrame, *, consecutive: bool = False) -> pl.DataFrame:
    """The explanation for every group of ``parts`` and every pair (``s``, ``e``: day numbers).

    ``consecutive``: every pair is ``(e - 1, e)`` (the daily view), which lets each defective
    order meet only the few pairs whose windows hold it instead of every pair.
    """
    keys = list(parts.keys)
    rules = parts.rules
    index = order_index(parts)
    s_days, e_days = (pairs[c].to_numpy().astype(np.int64) for c in ("s", "e"))
    g = np.repeat(np.arange(index.size), s_days.size)
    s, e = np.tile(s_days, index.size), np.tile(e_days, index.size)
    # Windows as order-day ranges: [lo, hi] inclusive; the overlap may be empty (lo > hi).
    s_lo, s_hi = rules.order_days(s)
    e_lo, e_hi = rules.order_days(e)
    both_lo, both_hi = np.maximum(s_lo, e_lo), np.minimum(s_hi, e_hi)
    windows = (
        index.groups.select(pl.all().gather(g))
        .with_columns(
            **{
                name: pl.Series(values, dtype=pl.Int32)
                for name, values in {
                    "s": s,
                    "e": e,
                    "s_lo": s_lo,
                    "s_hi": s_hi,
                    "e_lo": e_lo,
                    "e_hi": e_hi,
                }.items()
            },
            orders_start=pl.Series(index.between(g, s_lo, s_hi), dtype=pl.Int64),
            orders_end=pl.Series(index.between(g, e_lo, e_hi), dtype=pl.Int64),
            # the overlap is empty when its low end is past its high end: no order stays
            staying_orders=pl.Series(index.between(g, both_lo, both_hi), dtype=pl.Int64),
        )
        .lazy()
    )
    defect_counts = _defect_counts(parts, windows, keys, consecutive=consecutive)
    table = (
        windows.join(defect_counts, on=[*keys, "s", "e"], how="left")
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
    # The counts are a small frame (groups x pairs): split them eagerly.
    split = _shapley(
        table.with_columns(
            start=pl.col("s").cast(pl.Date),
            end=pl.col("e").cast(pl.Date),
            **{c: pl.col(c).cast(pl.Int64) for c in COUNTS},
        ).collect()
    )
    return split.select(*keys, *EXPLAIN_COLUMNS[3:]).sort(*keys, "end")


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
        # An order is in the windows of report days enters .. exits, so it matters to the
        # pairs (e - 1, e) with e in enters .. exits + 1.
        enters, exits = parts.rules.report_days(pl.col("od"))
        spans = spans.with_columns(e=pl.int_ranges(enters, exits + 2, dtype=pl.Int32)).explode("e")
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
    """Add ``odr_start``, ``odr_end``, ``change`` and the four parts.

    Long format (a row per group-and-pair x order of the steps x step) keeps the expressions
    few and the work vectorised. Each step's effect along each order is measured against its
    effect along :data:`_REFERENCE`, so averaging identical effects is exact (a lone moving
    step gets exactly the change, a step that moves nothing exactly 0).
    """
    table = table.with_row_index("_row")
    k_before, n_before = _state({name: pl.col(f"b_{name}") for name in _STEP_NAMES})
    k_after, n_after = _state({name: pl.col(f"a_{name}") for name in _STEP_NAMES})
    rate_before = pl.when(n_before > 0).then(rate(k_before, n_before))
    rate_after = pl.when(n_after > 0).then(rate(k_after, n_after))
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
    return (
        table.join(effects, on="_row", how="left")
        .with_columns(
            odr_start=pl.when(has_start).then(rate(k_start, n_start)),
            odr_end=pl.when(has_end).then(rate(k_end, n_end)),
        )
        .with_columns(
            change=pl.col("odr_end") - pl.col("odr_start"),
            **{name: pl.when(has_start & has_end).then(pl.col(name)) for name in PARTS},
        )
        .drop("_row")
    )
