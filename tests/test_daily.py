"""The daily counter (odr_analysis.daily): daily_path against the plain-Python reference, its
dropped_today and extra_orders, and on the known view (known_on) against the engine on what is
known; order_index, in_windows and _merge against brute force."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import polars as pl
from builders import (
    KEYS,
    engine_view,
    make_defects,
    make_orders,
    random_frames,
    rules_with_targets,
    slow,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from reference import BASE, counts, datasets, reference_daily, reference_odr, rules_strategy

from odr_analysis.daily import _merge, daily_path, in_windows, order_index
from odr_analysis.engine import odr_daily
from odr_analysis.estimates import future_orders
from odr_analysis.parts import known_on, prepare
from odr_analysis.rules import OdrRules, day_number
from odr_analysis.schema import DEFECTS_SCHEMA, GROUP_KEYS, ODR_COLUMNS, ORDERS_SCHEMA

D = dt.date
DAY = dt.timedelta(days=1)


# --- daily_path ----------------------------------------------------------------------------------


@settings(max_examples=60)
@given(data=datasets(), rules=rules_strategy, span=st.integers(0, 40), pick=st.data())
def test_daily_path_matches_reference_and_counts_the_defective_orders_leaving(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    rules: OdrRules,
    span: int,
    pick: st.DataObject,
) -> None:
    orders, defects = data
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    # often a range of days in which an order with defects leaves the window
    with_defects = {(r["account"], r["order_id"]) for r in defects}
    anchors = [r["order_date"] for r in orders if (r["account"], r["order_id"]) in with_defects]
    if anchors and pick.draw(st.booleans()):
        leaves = rules.leaves_window_on(pick.draw(st.sampled_from(anchors)))
        start = leaves - pick.draw(st.integers(0, span)) * DAY
    else:
        start = BASE + pick.draw(st.integers(0, 150)) * DAY
    end = start + span * DAY
    parts = prepare(o, d, rules=rules)
    path = daily_path(parts, start=start, end=end, dropped=True)
    assert path.columns == [*ODR_COLUMNS, "dropped_today"]
    assert counts(path) == counts(reference_daily(orders, defects, start, end, rules))
    assert_frame_equal(path.drop("dropped_today"), daily_path(parts, start=start, end=end))
    # dropped_today on day t: the orders of the first day of the window of t - 1 (they are
    # gone on t) that were defective on t - 1
    dropped = {
        (*key, day): n
        for *key, day, n in path.select(*GROUP_KEYS, "as_of", "dropped_today").iter_rows()
    }
    for offset in range(span + 1):
        day = start + offset * DAY
        leaving = [r for r in orders if r["order_date"] == rules.window(day - DAY).start]
        before = reference_odr(leaving, defects, day - DAY, rules)
        want = {tuple(r[k] for k in GROUP_KEYS): r["defective_orders"] for r in before.to_dicts()}
        for key, n in dropped.items():
            if key[-1] == day:
                assert n == want.get(key[:-1], 0), key


def test_extra_orders_are_clean_orders_of_their_group() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    extra = pl.DataFrame(
        {
            "account": ["acme", "acme", "zeta"],  # zeta is no group of the parts: ignored
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "order_date": [D(2024, 1, 5), D(2024, 3, 1), D(2024, 1, 5)],
            "orders": [5, 3, 7],
        }
    )
    got = daily_path(
        prepare(orders, defects), start="2024-01-10", end="2024-05-31", extra_orders=extra.lazy()
    )
    more = pl.concat(
        [
            orders,
            make_orders(5, D(2024, 1, 5), prefix="x"),
            make_orders(3, D(2024, 3, 1), prefix="y"),
        ]
    )
    assert_frame_equal(got, odr_daily(more, defects, start="2024-01-10", end="2024-05-31"))


# --- daily_path of the known view (known_on) -----------------------------------------------------


def order_rows(extra: pl.DataFrame) -> pl.DataFrame:
    """``extra_orders`` (group keys, ``order_date``, ``orders``) as that many order rows."""
    return (
        extra.with_columns(i=pl.int_ranges(0, "orders"))
        .explode("i")
        .select(
            *KEYS,
            "order_date",
            order_id=pl.format("f-{}-{}-{}-{}", "account", "channel", "order_date", "i"),
        )
        .select(ORDERS_SCHEMA.names())
        .cast(dict(ORDERS_SCHEMA))
    )


@slow
@given(
    data=random_frames(),
    as_of=st.integers(5, 100),
    rules=rules_with_targets,
    later=st.integers(0, 20),
    span=st.integers(0, 90),
    per_day=st.sampled_from([0, 1, 2.5]),
)
def test_daily_path_of_the_known_view_equals_the_engine_on_what_is_known(  # noqa: PLR0917
    data: tuple[pl.DataFrame, pl.DataFrame],
    as_of: int,
    rules: OdrRules,
    later: int,
    span: int,
    per_day: float,
) -> None:
    orders, defects = data
    day = BASE + as_of * DAY
    known = known_on(prepare(orders, defects, rules=rules), as_of=day)
    start = day + later * DAY
    end = start + span * DAY
    rates = known.order_counts.select(KEYS).unique().with_columns(daily_orders=pl.lit(per_day))
    extra = future_orders(rates, as_of=day, horizon=span + later) if per_day else None
    ours = daily_path(known, start=start, end=end, extra_orders=extra)
    known_orders, known_defects = engine_view(orders, defects, day)
    if extra is not None:
        known_orders = pl.concat([known_orders, order_rows(extra)])
    engine = odr_daily(known_orders, known_defects, start=start, end=end, rules=rules)
    assert_frame_equal(ours, engine.sort(*KEYS, "as_of"), check_exact=True)


# --- order_index ---------------------------------------------------------------------------------


@settings(max_examples=40)
@given(data=datasets(), first=st.integers(-10, 130), span=st.integers(0, 30), pick=st.data())
def test_order_index_counts_the_orders_of_each_group_and_day(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    first: int,
    span: int,
    pick: st.DataObject,
) -> None:
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA)
    parts = prepare(o, pl.DataFrame(data[1], schema=DEFECTS_SCHEMA))
    index = order_index(parts)
    assert order_index(parts) is index  # built once per order_counts frame
    edited = dataclasses.replace(parts, defect_spans=parts.defect_spans.head(0))
    assert order_index(edited) is index
    assert index.groups.rows() == sorted(set(o.select(GROUP_KEYS).rows()))
    lo = day_number(BASE) + first
    hi = lo + span
    per_day = index.per_day(lo, hi)
    assert per_day.shape == (index.size, span + 1)
    for g, key in enumerate(index.groups.rows()):
        days = [
            day_number(r["order_date"]) for r in data[0] if tuple(r[k] for k in GROUP_KEYS) == key
        ]
        assert per_day[g].tolist() == [days.count(x) for x in range(lo, hi + 1)]
        assert index.first_day()[g] == min(days)
        a = pick.draw(st.integers(lo - 5, hi + 5))
        b = pick.draw(st.integers(lo - 5, hi + 5))
        between = index.between(np.array([g]), np.array([a]), np.array([b]))
        assert between.tolist() == [sum(a <= x <= b for x in days)]
    # a new order_counts frame (e.g. the known view) gets its own index
    fewer = dataclasses.replace(parts, order_counts=parts.order_counts.head(1))
    assert order_index(fewer) is not index


# --- in_windows ----------------------------------------------------------------------------------


@given(
    rules=st.builds(OdrRules, window_days=st.integers(1, 10), lag_days=st.integers(0, 5)),
    values=st.lists(st.lists(st.integers(0, 9), min_size=12, max_size=12), min_size=1, max_size=3),
    first_order_day=st.integers(-5, 5),
    first=st.integers(-10, 25),
    span=st.integers(0, 12),
)
def test_in_windows_sums_each_report_days_window(
    rules: OdrRules, values: list[list[int]], first_order_day: int, first: int, span: int
) -> None:
    per_order_day = np.array(values, dtype=np.int64)
    got = in_windows(per_order_day, first_order_day, first, first + span, rules)
    want = []
    for row in values:
        sums = []
        for report in range(first, first + span + 1):
            lo, hi = rules.order_days(report)
            sums.append(sum(v for j, v in enumerate(row) if lo <= first_order_day + j <= hi))
        want.append(sums)
    assert got.tolist() == want


# --- _merge --------------------------------------------------------------------------------------


@given(
    intervals=st.lists(
        st.tuples(st.integers(0, 4), st.integers(-20, 40), st.integers(0, 15)), max_size=30
    )
)
def test_merge_unites_the_overlapping_intervals_of_each_order(
    intervals: list[tuple[int, int, int]],
) -> None:
    order = np.array([o for o, _, _ in intervals], dtype=np.int64)
    s = np.array([a for _, a, _ in intervals], dtype=np.int64)
    e = np.array([a + n for _, a, n in intervals], dtype=np.int64)
    rows, starts, ends = _merge(order, s, e)
    got = sorted(zip(order[rows].tolist(), starts.tolist(), ends.tolist(), strict=True))
    # by hand: per order, intervals by start; one run while the next starts on or before the
    # run's last day (intervals that only touch stay apart)
    want: list[tuple[int, int, int]] = []
    for o, a, b in sorted((o, a, a + n) for o, a, n in intervals):
        if want and want[-1][0] == o and a <= want[-1][2]:
            want[-1] = (o, want[-1][1], max(want[-1][2], b))
        else:
            want.append((o, a, b))
    assert got == want
