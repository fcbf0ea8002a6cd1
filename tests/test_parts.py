"""prepare(), the one pass over the orders: its hash grid and the exact fallbacks (a hash
collision, too many groups, too long a date range); as_parts, the one resolver of "frames or
parts"; known_on, the parts as Amazon knows them on a report date."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from unittest import mock

import numpy as np
import polars as pl
import pytest
from builders import calendar_fixture, make_defects, make_orders, one
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from reference import BASE, datasets

from odr_analysis import parts
from odr_analysis.engine import odr, odr_daily
from odr_analysis.parts import OdrParts, as_parts, known_on, prepare
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, ORDERS_SCHEMA, empty_defects

D = dt.date


# --- the hash grid of prepare() and its exact fallbacks ------------------------------------------


@settings(max_examples=40)
@given(
    data=datasets(),
    first=st.integers(0, 150),
    cancelled=st.sets(st.integers(0, 30)),
    business=st.sets(st.integers(0, 30)),
    seed=st.integers(0, 2**32 - 1),
)
def test_hash_grouping_equals_exact_grouping(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    first: int,
    cancelled: set[int],
    business: set[int],
    seed: int,
) -> None:
    """prepare() counts orders by a hash of their group; its exact group_by fallback agrees."""
    number = pl.col("order_id").str.slice(1).cast(pl.Int64)
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA).with_columns(
        order_status=pl.when(number.is_in(sorted(cancelled))).then(pl.lit("Cancelled")),
        is_business=number.is_in(sorted(business)),
    )
    o = o.sample(fraction=1.0, shuffle=True, seed=seed)
    d = pl.DataFrame(data[1], schema=DEFECTS_SCHEMA)
    start = BASE + dt.timedelta(days=first)
    rules = dataclasses.replace(OdrRules(), include_cancelled=False)
    for by in ((), ("is_business",)):
        fast = odr_daily(o, d, start=start, end=start + dt.timedelta(days=40), rules=rules, by=by)
        with mock.patch.object(parts, "_order_grid", return_value=None) as grid:
            exact = odr_daily(
                o, d, start=start, end=start + dt.timedelta(days=40), rules=rules, by=by
            )
        assert grid.called == (o.height > 0)  # the exact fallback did count
        assert_frame_equal(fast, exact)


def test_group_hashes_must_agree_within_a_group() -> None:
    """Two keys sharing the first 64-bit group hash are told apart by the second."""
    rows = pl.DataFrame(
        {
            "group": pl.Series([7, 7, 9], dtype=pl.UInt64),
            "check": pl.Series([1, 1, 5], dtype=pl.UInt64),
        }
    )
    dates = pl.Series([D(2022, 1, 8), D(2022, 1, 9), D(2022, 1, 8)])  # day numbers 19000, 19001
    counted = parts._order_grid(rows, dates, None)
    assert counted is not None
    grid, first, d0 = counted
    assert (first.tolist(), d0) == ([0, 2], 19000)
    assert grid.tolist() == [[1, 1], [1, 0]]  # a row per group (7, 9); a column per day
    kept = parts._order_grid(rows, dates, pl.Series([True, False, True]))
    assert kept is not None
    assert kept[0].tolist() == [[1, 0], [1, 0]]
    collided = rows.with_columns(check=pl.Series([1, 2, 5], dtype=pl.UInt64))
    assert parts._order_grid(collided, dates, None) is None  # then prepare() groups exactly


def test_many_groups_and_a_long_date_range_are_counted_exactly() -> None:
    """Past what the hash grid holds (about 2,900 groups, or 2**26 group-days), prepare()
    groups by the keys themselves; the answer is the same."""

    def accounts(n: int, days: list[dt.date]) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "account": [f"acct-{i}" for i in range(n)],
                "marketplace": "Amazon.com",
                "order_id": "o1",
                "order_date": [days[i % len(days)] for i in range(n)],
                "channel": "AFN",
            }
        )

    many = accounts(3000, [D(2024, 1, 2)])
    wide = accounts(1600, [D(1900, 1, 1), D(2024, 1, 2)])  # 1,600 groups x 45,000 days
    for orders in (many, wide):
        hashes = orders.select(
            group=parts._group_hash(["account"], 1), check=parts._group_hash(["account"], 2)
        )
        assert parts._order_grid(hashes, orders["order_date"], None) is None
        daily = odr_daily(orders, empty_defects(), start="2024-01-28", end="2024-01-28")
        assert_frame_equal(daily, odr(orders, empty_defects(), as_of="2024-01-28"))
        assert (
            daily["order_count"].sum()
            == orders.filter(pl.col("order_date").dt.year() == 2024).height
        )


def test_slot_window_tells_every_value_apart() -> None:
    values = np.random.default_rng(3).integers(0, 2**63, size=500, dtype=np.int64).astype(np.uint64)
    shift, bits, slot = parts._slot_window(values)
    assert np.unique(slot).size == values.size
    assert slot.tolist() == ((values >> np.uint64(shift)) & np.uint64(2**bits - 1)).tolist()
    assert parts._slot_window(np.arange(5000, dtype=np.uint64)) is None  # table too large


# --- as_parts ------------------------------------------------------------------------------------


def test_as_parts_takes_the_frames_or_the_parts_prepared_from_them() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-0", "chargeback", D(2024, 1, 10), "service", None)])
    legacy = OdrRules(count_all_claims=True)
    prepared = prepare(orders, defects, rules=legacy)
    # parts pass through, with the default rules or their own
    assert as_parts(prepared) is prepared
    assert as_parts(prepared, rules=legacy) is prepared
    # frames are prepared
    from_frames = as_parts(orders, defects, rules=legacy)
    assert isinstance(from_frames, OdrParts)
    assert (from_frames.keys, from_frames.rules) == (prepared.keys, legacy)
    assert_frame_equal(from_frames.order_counts, prepared.order_counts)
    assert_frame_equal(from_frames.defect_spans, prepared.defect_spans)
    business = as_parts(orders.with_columns(is_business=False), defects, by=["is_business"])
    assert business.keys == ("account", "marketplace", "channel", "is_business")
    # an orders frame alone, for an answer about orders only
    assert as_parts(orders, defects_required=False).defect_spans.is_empty()
    # an answer that needs the defects' statuses too gets the parts and the defects
    assert as_parts(prepared, defects, with_defects=True) is prepared
    with pytest.raises(
        TypeError,
        match=r"defects is required with an orders frame \(or pass the OdrParts from prepare\(\)\)",
    ):
        as_parts(orders)
    with pytest.raises(
        TypeError,
        match="pass either OdrParts alone or the orders and defects frames, not both",
    ):
        as_parts(prepared, defects)
    with pytest.raises(
        ValueError, match="rules differ from the rules the parts were prepared with"
    ):
        as_parts(prepared, rules=OdrRules(lag_days=3))


# --- known_on ------------------------------------------------------------------------------------


def test_known_on_truncates_spans_and_drops_later_orders() -> None:
    orders, defects = calendar_fixture()
    parts = prepare(orders, defects)
    known = known_on(parts, as_of="2024-03-01")
    assert known.order_counts["order_date"].max() <= D(2024, 3, 1)
    spans = known.defect_spans
    assert spans["counted_from"].max() <= D(2024, 3, 1)
    # jan20-3's 1-star is revised after as_of: it counts for good in the known view
    assert one(spans, order_id="jan20-3")["counted_until"] is None
    # jan20-0's first 1-star stretch ended before as_of and stays ended
    first = spans.filter(pl.col("order_id") == "jan20-0").sort("counted_from").row(0, named=True)
    assert first["counted_until"] == D(2024, 1, 27)
