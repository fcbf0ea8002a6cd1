"""The ODR rules written out literally: one report day, one group and one order at a time.

This is the one plain-Python reference the tests compare the engine and the benchmark's peers
with. It is slow on purpose and shares no code with them: no intervals, no running sums, no
joins. The rules (``docs/rules.md``; defaults in :class:`~odr_analysis.rules.OdrRules`):

* A report day ``d`` shows the orders whose ``order_date`` is in
  ``[d - lag - window + 1, d - lag]``, counted per (account, marketplace, channel) and any
  ``by`` columns. Every group present in the orders gets a row on every day, 0 when its window
  is empty. With ``include_cancelled=False`` the cancelled orders (``order_status`` in
  ``cancelled_order_statuses``, any case) are left out first, with their defects.
* A defect row is known on ``d`` if its ``event_date <= d``; it is charged to its order (by
  ``account`` and ``order_id``), whatever its own date, even one before the order date.
  Defects of no order count nowhere.
* Negative feedback: of the order's known feedback rows, those of the latest date decide. It
  counts if one of them has a counted status and a rating of at most
  ``negative_feedback_max_rating``.
* An A-to-z claim counts if a known claim row has a counted status, or any status with
  ``count_all_claims``. A chargeback counts if a known chargeback row has a counted status.
* An order is defective if at least one kind counts: ``defective_orders`` counts it once,
  each component counts the orders with that kind.

The one-date answer is the daily answer on one day: :func:`reference_odr` is
:func:`reference_daily` with ``start = end = as_of``.

Also here: :func:`datasets`, the hypothesis strategy of small inputs the engine tests draw from,
and :func:`counts`, which turns a result into a comparable dictionary.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import polars as pl
from hypothesis import strategies as st

from odr_analysis.rules import OdrRules
from odr_analysis.schema import COUNT_COLUMNS, GROUP_KEYS, STATUSES

__all__ = [
    "BASE",
    "counts",
    "datasets",
    "reference_daily",
    "reference_odr",
    "rules_strategy",
]

Row = dict[str, Any]


def _rows(frame: pl.DataFrame | pl.LazyFrame | Sequence[Row]) -> list[Row]:
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if isinstance(frame, pl.DataFrame):
        return list(frame.iter_rows(named=True))
    return list(frame)


def _is_cancelled(order: Row, rules: OdrRules) -> bool:
    status = order.get("order_status")
    return status is not None and status.lower() in rules.cancelled_order_statuses


def _kinds_counted(defects: list[Row], day: dt.date, rules: OdrRules) -> set[str]:
    """The kinds of defect that count on report day ``day`` for one order's defect rows."""
    known = [r for r in defects if r["event_date"] <= day]
    found = set()
    feedback = [r for r in known if r["kind"] == "negative_feedback"]
    if feedback:
        latest = max(r["event_date"] for r in feedback)
        if any(
            r["status"] in rules.counted_feedback_statuses
            and r["rating"] <= rules.negative_feedback_max_rating
            for r in feedback
            if r["event_date"] == latest
        ):
            found.add("negative_feedback")
    for r in known:
        if r["kind"] == "a_to_z_claim" and (
            rules.count_all_claims or r["status"] in rules.counted_claim_statuses
        ):
            found.add("a_to_z_claim")
        if r["kind"] == "chargeback" and r["status"] in rules.counted_chargeback_statuses:
            found.add("chargeback")
    return found


def reference_daily(
    orders: pl.DataFrame | pl.LazyFrame | Sequence[Row],
    defects: pl.DataFrame | pl.LazyFrame | Sequence[Row],
    start: dt.date,
    end: dt.date,
    rules: OdrRules = OdrRules(),
    *,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """The daily counts for report days ``start`` .. ``end``, straight from the rules.

    Takes frames or lists of row dictionaries. Returns one row per group and day: the group
    keys (``account``, ``marketplace``, ``channel`` as String, then ``by``), ``as_of`` and the
    five counts as Int64, sorted by group and day (the shape of ``benchmarks.peers.canonical``
    when ``by`` is empty).
    """
    order_rows = _rows(orders)
    if not rules.include_cancelled:
        order_rows = [o for o in order_rows if not _is_cancelled(o, rules)]
    keys = [*GROUP_KEYS, *by]
    by_order: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in _rows(defects):
        by_order[(row["account"], row["order_id"])].append(row)
    by_group: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for order in order_rows:
        by_group[tuple(order[k] for k in keys)].append(order)

    out = []
    day = start
    while day <= end:
        window_end = day - dt.timedelta(days=rules.lag_days)
        window_start = window_end - dt.timedelta(days=rules.window_days - 1)
        for group, group_orders in by_group.items():
            n = dict.fromkeys(COUNT_COLUMNS, 0)
            for order in group_orders:
                if not window_start <= order["order_date"] <= window_end:
                    continue
                n["order_count"] += 1
                found = _kinds_counted(by_order[(order["account"], order["order_id"])], day, rules)
                n["defective_orders"] += bool(found)
                n["negative_feedback"] += "negative_feedback" in found
                n["a_to_z_claims"] += "a_to_z_claim" in found
                n["chargebacks"] += "chargeback" in found
            out.append({**dict(zip(keys, group, strict=True)), "as_of": day, **n})
        day += dt.timedelta(days=1)

    schema: dict[str, Any] = dict.fromkeys(GROUP_KEYS, pl.String)
    if isinstance(orders, pl.DataFrame | pl.LazyFrame):
        schema |= {c: orders.collect_schema()[c] for c in by}
    else:
        schema |= dict.fromkeys(by)  # inferred from the values
    schema |= {"as_of": pl.Date} | dict.fromkeys(COUNT_COLUMNS, pl.Int64)
    return pl.DataFrame(out, schema=schema).sort([*keys, "as_of"])


def reference_odr(
    orders: pl.DataFrame | pl.LazyFrame | Sequence[Row],
    defects: pl.DataFrame | pl.LazyFrame | Sequence[Row],
    as_of: dt.date,
    rules: OdrRules = OdrRules(),
    *,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """The counts on report day ``as_of``: :func:`reference_daily` on that one day."""
    return reference_daily(orders, defects, as_of, as_of, rules, by=by)


def counts(frame: pl.DataFrame, by: Sequence[str] = ()) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """``{(account, marketplace, channel, *by, as_of): (order_count, defective_orders,
    negative_feedback, a_to_z_claims, chargebacks)}`` of an engine result or a reference."""
    keys = [*GROUP_KEYS, *by, "as_of"]
    return {
        tuple(r[k] for k in keys): tuple(r[c] for c in COUNT_COLUMNS)
        for r in frame.iter_rows(named=True)
    }


# --- small random inputs ------------------------------------------------------------------------

BASE = dt.date(2024, 1, 1)
_day_offsets = st.integers(min_value=0, max_value=120)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[Row], list[Row]]:
    """Up to 60 orders of accounts ``a``/``b`` and up to 40 defect rows, as row dictionaries.

    Order dates are ``BASE`` + 0..120 days, defect dates ``BASE`` + 0..200 (so some defects
    are dated before their order); most defects fall on a few orders, some on no order; half
    the statuses are the kind's first (counted) one.
    """
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 30)),
            unique=True,
            max_size=60,
        )
    )
    orders = [
        {
            "account": account,
            "marketplace": draw(st.sampled_from(["Amazon.com", "Amazon.de"])),
            "order_id": f"o{number}",
            "order_date": BASE + dt.timedelta(days=draw(_day_offsets)),
            "channel": draw(st.sampled_from(["AFN", "MFN"])),
        }
        for account, number in keys
    ]
    defects = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(list(STATUSES)))
        defects.append(
            {
                "account": draw(st.sampled_from(["a", "b"])),
                # most defects fall on a few orders (several per order); some ids are not orders
                "order_id": f"o{draw(st.one_of(st.integers(0, 6), st.integers(0, 35)))}",
                "kind": kind,
                "event_date": BASE + dt.timedelta(days=draw(st.integers(0, 200))),
                # half the time the first (counted) status, so counted defects are common
                "status": draw(
                    st.one_of(st.just(STATUSES[kind][0]), st.sampled_from(STATUSES[kind]))
                ),
                "rating": draw(st.one_of(st.integers(1, 2), st.integers(1, 5)))
                if kind == "negative_feedback"
                else None,
            }
        )
    return orders, defects


rules_strategy = st.builds(
    OdrRules,
    window_days=st.sampled_from([1, 7, 60]),
    lag_days=st.sampled_from([0, 3, 14]),
    count_all_claims=st.booleans(),
)
