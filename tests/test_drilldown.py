"""Tests for odr_analysis.drilldown: the aggregations behind the drill-down charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.drilldown import BREAKDOWN_COLUMNS, defect_breakdown, window_orders
from odr_analysis.engine import odr
from odr_analysis.readers import load_account
from odr_analysis.rules import OdrRules
from odr_analysis.schema import GROUP_KEYS
from odr_analysis.stats import wilson_interval

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
REPORT_DATE = dt.date(2026, 2, 23)
AS_OF = dt.date(2024, 1, 28)  # window 2023-11-16 .. 2024-01-14
IN_WINDOW = dt.date(2024, 1, 2)


@pytest.fixture(scope="module")
def summit():
    return load_account(SAMPLE / "summit-outdoor")


@pytest.fixture(scope="module")
def evergreen():
    return load_account(SAMPLE / "evergreen-home")


def _orders(ids, *, channel="MFN", date=IN_WINDOW, **extra):
    return pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": channel,
            "order_id": list(ids),
            "order_date": date,
            **extra,
        }
    )


def _defects(rows):
    """rows: (order_id, kind, status, rating, event_date)."""
    return pl.DataFrame(
        [
            {
                "account": "acme",
                "order_id": o,
                "kind": k,
                "status": s,
                "rating": r,
                "event_date": d,
            }
            for o, k, s, r, d in rows
        ],
        schema={
            "account": pl.String,
            "order_id": pl.String,
            "kind": pl.String,
            "status": pl.String,
            "rating": pl.Int32,
            "event_date": pl.Date,
        },
    )


def _items(pairs):
    return pl.DataFrame(
        {
            "account": ["acme"] * len(pairs),
            "order_id": [o for o, _ in pairs],
            "sku": [s for _, s in pairs],
            "asin": [f"B-{s}" for _, s in pairs],
            "product_name": [f"Product {s}" for _, s in pairs],
        },
        schema=dict.fromkeys(("account", "order_id", "sku", "asin", "product_name"), pl.String),
    )


def test_items_with_null_typed_columns_are_accepted():
    """An empty items frame built from empty lists has Null columns: still a breakdown."""
    items = pl.DataFrame({"account": [], "order_id": [], "sku": []})
    out = defect_breakdown(_orders(["o1"]), _defects([]), items=items, as_of=AS_OF, dimension="sku")
    assert out.select("value", "orders").rows() == [("(not given)", 1)]


# --- window_orders ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["summit", "evergreen"])
def test_window_orders_add_up_to_the_engine(name, request):
    account = request.getfixturevalue(name)
    rows = window_orders(account.orders, account.defects, as_of=REPORT_DATE)
    mine = (
        rows.group_by(GROUP_KEYS)
        .agg(
            order_count=pl.len().cast(pl.Int64),
            defective_orders=pl.col("defective").sum().cast(pl.Int64),
            negative_feedback=pl.col("negative_feedback").sum().cast(pl.Int64),
            a_to_z_claims=pl.col("a_to_z_claim").sum().cast(pl.Int64),
            chargebacks=pl.col("chargeback").sum().cast(pl.Int64),
        )
        .sort(GROUP_KEYS)
    )
    engine = odr(account.orders, account.defects, as_of=REPORT_DATE).select(mine.columns)
    assert mine.equals(engine.filter(pl.col("order_count") > 0))
    assert rows["order_id"].is_unique().all()


def test_window_orders_leave_out_cancelled_orders_only_when_the_rules_say_so():
    orders = _orders(["o1", "o2", "o3"], order_status=["Shipped", "Cancelled", "canceled"])
    defects = _defects([("o2", "chargeback", "service", None, dt.date(2024, 1, 10))])
    rules = replace(OdrRules(), include_cancelled=False)
    assert window_orders(orders, defects, as_of=AS_OF).height == 3
    kept = window_orders(orders, defects, as_of=AS_OF, rules=rules)
    assert kept["order_id"].to_list() == ["o1"]
    engine = odr(orders, defects, as_of=AS_OF, rules=rules).row(0, named=True)
    assert (engine["order_count"], engine["defective_orders"]) == (1, 0)


def test_window_orders_ignore_defects_received_after_the_report_date():
    orders = _orders(["o1", "o2"])
    defects = _defects(
        [
            ("o1", "chargeback", "service", None, AS_OF),
            ("o2", "chargeback", "service", None, AS_OF + dt.timedelta(days=1)),
        ]
    )
    rows = window_orders(orders, defects, as_of=AS_OF).sort("order_id")
    assert rows["defective"].to_list() == [True, False]


# --- defect_breakdown -------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["ship_service_level", "ship_country"])
@pytest.mark.parametrize("name", ["summit", "evergreen"])
def test_order_level_breakdown_equals_the_engine_grouped_by_that_column(name, by, request):
    account = request.getfixturevalue(name)
    out = defect_breakdown(
        account.orders,
        account.defects,
        items=account.items,
        as_of=REPORT_DATE,
        dimension=by,
        top=None,
    )
    assert out.columns == list(BREAKDOWN_COLUMNS)
    engine = (
        odr(account.orders, account.defects, as_of=REPORT_DATE, by=[by])
        .filter(pl.col("order_count") > 0)
        .select(
            *GROUP_KEYS,
            value=pl.col(by).fill_null("(not given)"),
            orders="order_count",
            defective_orders="defective_orders",
            negative_feedback="negative_feedback",
            a_to_z_claims="a_to_z_claims",
            chargebacks="chargebacks",
        )
        .sort(*GROUP_KEYS, "value")
    )
    mine = out.select(engine.columns).sort(*GROUP_KEYS, "value")
    assert mine.equals(engine)
    # Order-level values add up to the engine's counts per channel.
    totals = out.group_by(GROUP_KEYS).agg(pl.col("orders", "defective_orders").sum())
    today = odr(account.orders, account.defects, as_of=REPORT_DATE)
    check = totals.join(today, on=list(GROUP_KEYS))
    assert (check["orders"] == check["order_count"]).all()
    assert (check["defective_orders"] == check["defective_orders_right"]).all()


def test_summit_mfn_hand_warmers_are_the_worst_sku(summit):
    """The sample's holiday wave: 5 of the 50 MFN orders with hand warmers are defective."""
    out = defect_breakdown(
        summit.orders, summit.defects, items=summit.items, as_of=REPORT_DATE, dimension="sku"
    )
    mfn = out.filter(pl.col("channel") == "MFN")
    top = mfn.row(0, named=True)
    assert (top["value"], top["orders"], top["defective_orders"], top["rank"]) == (
        "SO-HND-WRM-40",
        50,
        5,
        1,
    )
    assert top["detail"] == "Hand Warmers, 40 Pack"
    assert mfn.height == 15  # top=15 of the 19 SKUs
    assert set(mfn["values_total"]) == {19}
    assert (mfn["window_start"] == dt.date(2025, 12, 12)).all()


def test_an_order_with_two_skus_counts_for_both():
    orders = _orders(["o1", "o2", "o3", "o4"])
    defects = _defects(
        [
            ("o1", "negative_feedback", "active", 1, dt.date(2024, 1, 10)),
            ("o1", "a_to_z_claim", "granted", None, dt.date(2024, 1, 11)),
            ("o3", "chargeback", "service", None, dt.date(2024, 1, 12)),
        ]
    )
    items = _items([("o1", "TENT"), ("o1", "MAT"), ("o1", "MAT"), ("o2", "TENT"), ("o3", "MAT")])
    out = defect_breakdown(orders, defects, items=items, as_of=AS_OF, dimension="sku")
    rows = {r["value"]: r for r in out.iter_rows(named=True)}
    assert set(rows) == {"MAT", "TENT", "(not given)"}  # o4 has no item row
    assert (rows["MAT"]["orders"], rows["MAT"]["defective_orders"]) == (2, 2)  # o1 once
    assert (rows["TENT"]["orders"], rows["TENT"]["defective_orders"]) == (2, 1)
    assert (rows["(not given)"]["orders"], rows["(not given)"]["defective_orders"]) == (1, 0)
    assert rows["MAT"]["negative_feedback"] == 1
    assert rows["MAT"]["a_to_z_claims"] == 1
    assert rows["MAT"]["chargebacks"] == 1
    # Shares of the 2 defective orders add up to more than 1: o1 counts for two SKUs.
    assert rows["MAT"]["share_of_defective"] == 1.0
    assert rows["TENT"]["share_of_defective"] == 0.5
    assert out["rank"].to_list() == [1, 2, 3]
    low, high = wilson_interval(1, 2)
    assert rows["TENT"]["rate_low"] == pytest.approx(low)
    assert rows["TENT"]["rate_high"] == pytest.approx(high)
    assert rows["TENT"]["detail"] == "Product TENT"
    asin = defect_breakdown(orders, defects, items=items, as_of=AS_OF, dimension="asin")
    assert asin["value"].to_list() == ["B-MAT", "B-TENT", "(not given)"]


def test_ties_are_broken_by_rate_then_orders_then_value_and_top_keeps_the_first():
    orders = _orders([f"o{i}" for i in range(7)])
    defects = _defects(
        [(o, "chargeback", "service", None, dt.date(2024, 1, 10)) for o in ("o0", "o2", "o4", "o6")]
    )
    # A: o0 (1/1); B: o3, o4 (1/2); C: o1, o2 (1/2); D: o5, o6 (1/2) -> B, C, D tie on rate
    # and orders: value order. E: o5 (0/1) last.
    pairs = [("o0", "A"), ("o1", "C"), ("o2", "C"), ("o3", "B"), ("o4", "B"), ("o5", "D")]
    items = _items([*pairs, ("o6", "D"), ("o5", "E")])
    out = defect_breakdown(orders, defects, items=items, as_of=AS_OF, dimension="sku", top=None)
    assert out["value"].to_list() == ["A", "B", "C", "D", "E"]
    top2 = defect_breakdown(orders, defects, items=items, as_of=AS_OF, dimension="sku", top=2)
    assert top2["value"].to_list() == ["A", "B"]
    assert top2["values_total"].to_list() == [5, 5]


def test_each_channel_is_ranked_on_its_own():
    orders = pl.concat([_orders(["a1", "a2"], channel="AFN"), _orders(["m1", "m2"])])
    defects = _defects([("m2", "chargeback", "service", None, dt.date(2024, 1, 10))])
    items = _items([("a1", "X"), ("a2", "Y"), ("m1", "X"), ("m2", "Y")])
    out = defect_breakdown(orders, defects, items=items, as_of=AS_OF, dimension="sku", top=1)
    assert out.select("channel", "value", "rank").rows() == [("AFN", "X", 1), ("MFN", "Y", 1)]
    assert out["share_of_defective"].to_list() == [None, 1.0]


def test_lazy_and_eager_frames_give_the_same_breakdown(summit):
    a = defect_breakdown(
        summit.orders.lazy(),
        summit.defects.lazy(),
        items=summit.items.lazy(),
        as_of=REPORT_DATE,
        dimension="asin",
    )
    b = defect_breakdown(
        summit.orders, summit.defects, items=summit.items, as_of=REPORT_DATE, dimension="asin"
    )
    assert a.equals(b)


def test_breakdown_does_not_modify_its_inputs(summit):
    before = summit.orders.clone(), summit.items.clone()
    defect_breakdown(
        summit.orders, summit.defects, items=summit.items, as_of=REPORT_DATE, dimension="sku"
    )
    assert summit.orders.equals(before[0])
    assert summit.items.equals(before[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dimension": "colour"}, "dimension must be one of"),
        ({"top": 0}, "top must be a positive integer"),
        ({"top": True}, "top must be a positive integer"),
    ],
)
def test_bad_options_are_refused(summit, kwargs, message):
    with pytest.raises(ValueError, match=message):
        defect_breakdown(
            summit.orders, summit.defects, items=summit.items, as_of=REPORT_DATE, **kwargs
        )


def test_missing_frames_and_columns_say_what_is_missing():
    orders = _orders(["o1"])
    defects = _defects([])
    with pytest.raises(ValueError, match="needs the order items"):
        defect_breakdown(orders, defects, as_of=AS_OF, dimension="sku")
    with pytest.raises(ValueError, match=r"items frame has no column\(s\) \['asin'\]"):
        defect_breakdown(
            orders,
            defects,
            items=_items([("o1", "A")]).drop("asin"),
            as_of=AS_OF,
            dimension="asin",
        )
    with pytest.raises(ValueError, match="orders frame has no column 'ship_country'"):
        defect_breakdown(orders, defects, as_of=AS_OF, dimension="ship_country")
    with pytest.raises(TypeError, match="orders must be a polars DataFrame or LazyFrame"):
        defect_breakdown("data/sample", defects, as_of=AS_OF)  # type: ignore[arg-type]


def test_no_orders_in_the_window_gives_an_empty_frame():
    orders = _orders(["o1"], date=dt.date(2020, 1, 1), ship_country="US")
    out = defect_breakdown(orders, _defects([]), as_of=AS_OF, dimension="ship_country")
    assert out.is_empty()
    assert out.columns == list(BREAKDOWN_COLUMNS)


@given(
    skus=st.lists(st.sets(st.sampled_from("ABCD"), max_size=3), min_size=1, max_size=25),
    defective=st.lists(st.booleans(), min_size=25, max_size=25),
)
def test_sku_counts_match_a_brute_force_count(skus, defective):
    ids = [f"o{i}" for i in range(len(skus))]
    orders = _orders(ids)
    defects = _defects(
        [
            (o, "chargeback", "service", None, dt.date(2024, 1, 10))
            for o, bad in zip(ids, defective, strict=False)
            if bad
        ]
    )
    items = _items([(o, s) for o, values in zip(ids, skus, strict=True) for s in sorted(values)])
    out = defect_breakdown(orders, defects, items=items, as_of=AS_OF, dimension="sku", top=None)
    got = {r["value"]: (r["orders"], r["defective_orders"]) for r in out.iter_rows(named=True)}
    expected: dict[str, tuple[int, int]] = {}
    for values, bad in zip(skus, defective, strict=False):
        for s in values or {"(not given)"}:
            n, d = expected.get(s, (0, 0))
            expected[s] = (n + 1, d + bad)
    assert got == expected
    ranks = out.sort("rank")
    assert ranks["defective_orders"].to_list() == sorted(ranks["defective_orders"], reverse=True)
