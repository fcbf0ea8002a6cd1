"""odr and odr_daily: hand-worked cases, groups and windows, the plain-Python reference and
invariants. (Which defect counts: test_defects.py; bad input: test_schema.py; the hash grid of
prepare(): test_parts.py; the daily counter itself: test_daily.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import pytest
from builders import make_defects, make_orders, one
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from reference import BASE, counts, datasets, reference_daily, reference_odr, rules_strategy

from odr_analysis.engine import odr, odr_daily
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, ODR_COLUMNS, ORDERS_SCHEMA, empty_defects

D = dt.date


# --- worked examples (odr-domain.md section 5) ---------------------------------------------------


def test_e1_ten_orders_one_defect_is_ten_percent() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-0", "chargeback", D(2024, 1, 10), "service", None)])
    row = one(odr(orders, defects, as_of="2024-01-28"))
    # 1 defective order / 10 orders = 0.1
    assert (row["order_count"], row["defective_orders"], row["odr"]) == (10, 1, 0.1)
    assert row["meets_target"] is False


def test_e2_forty_three_orders_one_feedback() -> None:
    orders = make_orders(43, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-7", "negative_feedback", D(2024, 1, 9), "active", 1)])
    row = one(odr(orders, defects, as_of="2024-01-28"))
    assert row["odr"] == pytest.approx(1 / 43)  # 2.33%, Amazon shows "2.3%"
    assert f"{row['odr']:.2%}" == "2.33%"


def test_exactly_one_percent_fails_the_target() -> None:
    orders = make_orders(100, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "a_to_z_claim", D(2024, 1, 9), "pending", None)])
    row = one(odr(orders, defects, as_of="2024-01-28"))
    # 1 / 100 = 0.01, and the target is met only strictly below 0.01
    assert row["odr"] == 0.01
    assert row["meets_target"] is False
    orders_101 = make_orders(101, D(2024, 1, 2))
    assert one(odr(orders_101, defects, as_of="2024-01-28"))["meets_target"] is True


def test_e13_feedback_and_claim_on_one_order_is_one_defective_order() -> None:
    orders = make_orders(20, D(2024, 1, 2))
    defects = make_defects(
        [
            ("acme", "acme-3", "negative_feedback", D(2024, 1, 8), "active", 2),
            ("acme", "acme-3", "a_to_z_claim", D(2024, 1, 12), "granted", None),
        ]
    )
    row = one(odr(orders, defects, as_of="2024-01-28"))
    # one defective order, two component counts: 1 + 1 > 1
    assert row["defective_orders"] == 1
    assert (row["negative_feedback"], row["a_to_z_claims"], row["chargebacks"]) == (1, 1, 0)
    assert row["odr"] == pytest.approx(1 / 20)


def test_e10_window_is_sixty_days_inclusive_and_ends_fourteen_days_before() -> None:
    # as_of 2024-01-28: window 2023-11-16 .. 2024-01-14 (15 + 31 + 14 = 60 days)
    days = [D(2023, 11, 15), D(2023, 11, 16), D(2024, 1, 14), D(2024, 1, 15)]
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "order_id": ["before", "first", "last", "after"],
            "order_date": days,
            "channel": "AFN",
        }
    )
    defects = make_defects(
        [
            (("acme", oid, "chargeback", D(2024, 1, 20), "service", None))
            for oid in ["before", "after"]
        ]
    )
    row = one(odr(orders, defects, as_of=D(2024, 1, 28)))
    assert (row["window_start"], row["window_end"]) == (D(2023, 11, 16), D(2024, 1, 14))
    assert (row["window_end"] - row["window_start"]).days + 1 == 60
    assert (row["order_count"], row["defective_orders"]) == (2, 0)


def test_e4_v2_report_example_counts() -> None:
    # Amazon's V2 schema example: 1078 defective orders of 539000 -> 0.002 (its "rate" 0.009
    # disagrees with its own counts). Components 628 + 442 + 15 = 1085 >= 1078: 7 orders carry
    # two kinds of defect.
    orders = pl.DataFrame(
        {
            "account": "example",
            "marketplace": "Amazon.com",
            "order_id": pl.int_range(0, 539_000, eager=True).cast(pl.String),
            "order_date": D(2020, 10, 1),
            "channel": "MFN",
        }
    )
    event = D(2020, 10, 20)
    rows = [("example", str(i), "negative_feedback", event, "active", 1) for i in range(628)]
    rows += [("example", str(621 + i), "a_to_z_claim", event, "granted", None) for i in range(442)]
    rows += [("example", str(1063 + i), "chargeback", event, "service", None) for i in range(15)]
    row = one(odr(orders, make_defects(rows), as_of="2020-11-18"))
    assert (row["window_start"], row["window_end"]) == (D(2020, 9, 6), D(2020, 11, 4))
    assert row["order_count"] == 539_000
    assert row["defective_orders"] == 1078  # 1085 component counts - 7 orders counted twice
    assert (row["negative_feedback"], row["a_to_z_claims"], row["chargebacks"]) == (628, 442, 15)
    assert row["odr"] == pytest.approx(0.002)


# --- groups, cancelled orders and windows --------------------------------------------------------


def test_cancelled_orders_count_by_default_and_can_be_left_out() -> None:
    orders = make_orders(10, D(2024, 1, 2)).with_columns(
        order_status=pl.when(pl.col("order_id").is_in(["acme-0", "acme-1"]))
        .then(pl.lit("Cancelled"))
        .otherwise(pl.lit("Shipped"))
    )
    defects = make_defects([("acme", "acme-5", "chargeback", D(2024, 1, 5), "service", None)])
    assert one(odr(orders, defects, as_of="2024-01-28"))["order_count"] == 10
    rules = dataclasses.replace(OdrRules(), include_cancelled=False)
    row = one(odr(orders, defects, as_of="2024-01-28", rules=rules))
    assert (row["order_count"], row["odr"]) == (8, 1 / 8)
    daily = odr_daily(orders, defects, start="2024-01-28", end="2024-01-28", rules=rules)
    assert_frame_equal(daily, odr(orders, defects, as_of="2024-01-28", rules=rules))
    # a defect on a cancelled order leaves with its order
    on_cancelled = make_defects([("acme", "acme-0", "chargeback", D(2024, 1, 5), "service", None)])
    daily = odr_daily(orders, on_cancelled, start="2024-01-28", end="2024-01-28", rules=rules)
    assert one(daily)["defective_orders"] == 0


def test_channels_accounts_and_marketplaces_are_separate() -> None:
    orders = pl.concat(
        [
            make_orders(10, D(2024, 1, 2), channel="AFN", account="a"),
            make_orders(20, D(2024, 1, 2), channel="MFN", account="b").with_columns(
                order_id=pl.col("order_id").str.replace("b-", "a-")  # same ids, other account
            ),
        ]
    )
    defects = make_defects([("b", "a-0", "chargeback", D(2024, 1, 5), "service", None)])
    result = odr(orders, defects, as_of="2024-01-28")
    assert result.select("account", "channel", "order_count", "defective_orders").rows() == [
        ("a", "AFN", 10, 0),
        ("b", "MFN", 20, 1),
    ]


def test_no_orders_in_window_gives_null_rate() -> None:
    orders = make_orders(5, D(2023, 1, 2))
    row = one(odr(orders, empty_defects(), as_of="2024-01-28"))
    assert row["order_count"] == 0
    assert row["odr"] is None
    assert row["meets_target"] is None


def test_b2b_view_by_extra_key() -> None:
    orders = make_orders(10, D(2024, 1, 2)).with_columns(
        is_business=pl.col("order_id").is_in(["acme-0", "acme-1", "acme-2", "acme-3"])
    )
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    result = odr(orders, defects, as_of="2024-01-28", by=["is_business"])
    assert result.select("is_business", "order_count", "defective_orders").rows() == [
        (False, 6, 0),
        (True, 4, 1),
    ]
    daily = odr_daily(orders, defects, start="2024-01-28", end="2024-01-28", by=["is_business"])
    assert_frame_equal(daily, result)


def test_daily_covers_every_day_including_empty_windows() -> None:
    orders = make_orders(3, D(2024, 1, 1))
    daily = odr_daily(orders, empty_defects(), start="2024-01-01", end="2024-04-30")
    assert daily.height == 121
    assert (
        daily["as_of"].to_list()
        == pl.date_range(D(2024, 1, 1), D(2024, 4, 30), eager=True).to_list()
    )
    in_window = daily.filter(pl.col("order_count") == 3)["as_of"]
    # order date 2024-01-01 is in the windows of report dates 01-15 .. 03-14 (60 days)
    assert (in_window.min(), in_window.max(), in_window.len()) == (
        D(2024, 1, 15),
        D(2024, 3, 14),
        60,
    )
    assert daily.filter(pl.col("order_count") == 0)["odr"].null_count() == 121 - 60


# --- the plain-Python reference (tests/reference.py), and properties -----------------------------


@settings(max_examples=150)
@given(data=datasets(), as_of=st.integers(0, 220), rules=rules_strategy, lazy=st.booleans())
def test_odr_matches_reference(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int, rules: OdrRules, lazy: bool
) -> None:
    orders, defects = data
    day = BASE + dt.timedelta(days=as_of)
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    result = odr(o.lazy() if lazy else o, d.lazy() if lazy else d, as_of=day, rules=rules)
    assert counts(result) == counts(reference_odr(orders, defects, day, rules))
    for r in result.iter_rows(named=True):
        n, k = r["order_count"], r["defective_orders"]
        assert r["odr"] == (k / n if n else None)
        assert r["meets_target"] == (k / n < rules.target if n else None)


@settings(max_examples=60)
@given(data=datasets(), rules=rules_strategy, first=st.integers(0, 150), span=st.integers(0, 80))
def test_odr_daily_matches_reference_every_day(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], rules: OdrRules, first: int, span: int
) -> None:
    orders, defects = data
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    start = BASE + dt.timedelta(days=first)
    end = start + dt.timedelta(days=span)
    daily = odr_daily(o, d, start=start, end=end, rules=rules)
    groups = {(r["account"], r["marketplace"], r["channel"]) for r in orders}
    assert daily.height == len(groups) * (span + 1)
    assert counts(daily) == counts(reference_daily(orders, defects, start, end, rules))


@settings(max_examples=40)
@given(data=datasets(), as_of=st.integers(0, 220))
def test_odr_daily_agrees_with_odr(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int
) -> None:
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA)
    d = pl.DataFrame(data[1], schema=DEFECTS_SCHEMA)
    day = BASE + dt.timedelta(days=as_of)
    assert_frame_equal(
        odr_daily(o, d, start=day, end=day), odr(o, d, as_of=day), check_row_order=False
    )


@settings(max_examples=60)
@given(data=datasets(), as_of=st.integers(0, 220), which=st.integers(0, 1000), seed=st.integers())
def test_removing_a_defect_never_raises_the_rate_and_order_does_not_matter(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int, which: int, seed: int
) -> None:
    orders, defects = data
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defects, schema=DEFECTS_SCHEMA)
    day = BASE + dt.timedelta(days=as_of)
    before = odr(o, d, as_of=day)
    shuffled = odr(
        o.sample(fraction=1.0, shuffle=True, seed=seed % 2**32),
        d.sample(fraction=1.0, shuffle=True, seed=seed % 2**31),
        as_of=day,
    )
    assert_frame_equal(before, shuffled)
    if not defects:
        return
    # Removing a claim or chargeback never raises a count. (Removing a feedback row can bring an
    # earlier, superseded 1-star feedback back; so for feedback remove every row of the order.)
    gone = defects[which % len(defects)]
    if gone["kind"] == "negative_feedback":
        keep = [
            x
            for x in defects
            if not (
                x["kind"] == "negative_feedback"
                and (x["account"], x["order_id"]) == (gone["account"], gone["order_id"])
            )
        ]
    else:
        keep = [x for x in defects if x is not gone]
    after = odr(o, pl.DataFrame(keep, schema=DEFECTS_SCHEMA), as_of=day)
    for b, a in zip(before.iter_rows(named=True), after.iter_rows(named=True), strict=True):
        for column in ("defective_orders", "negative_feedback", "a_to_z_claims", "chargebacks"):
            assert a[column] <= b[column]
        if b["odr"] is not None:
            assert a["odr"] <= b["odr"]


def test_inputs_are_not_mutated_and_columns_are_documented() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    o_copy, d_copy = orders.clone(), defects.clone()
    result = odr(orders, defects, as_of="2024-01-28")
    odr_daily(orders, defects, start="2024-01-01", end="2024-02-28")
    assert_frame_equal(orders, o_copy)
    assert_frame_equal(defects, d_copy)
    assert tuple(result.columns) == ODR_COLUMNS


# --- bad dates and frames (bad columns and values: test_schema.py) -------------------------------


def test_bad_dates_and_frames_are_refused() -> None:
    orders = make_orders(3, D(2024, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        odr(orders, empty_defects(), as_of="28/01/2024")
    with pytest.raises(ValueError, match="before start"):
        odr_daily(orders, empty_defects(), start="2024-02-01", end="2024-01-01")
    with pytest.raises(TypeError, match="must be a polars DataFrame"):
        odr(orders.to_dicts(), empty_defects(), as_of="2024-01-28")  # type: ignore[arg-type]
