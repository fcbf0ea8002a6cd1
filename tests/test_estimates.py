"""Estimates (:mod:`odr_analysis.estimates`): recent orders a day, future orders, the matured
defect rate and the arrival delays, hand-worked.

Dates and builders: :mod:`forecast_builders` (report date ``AS_OF`` = 2024-06-01).
"""

from __future__ import annotations

import polars as pl
import pytest
from forecast_builders import AS_OF, chargebacks, day, make_orders, oid, only
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.estimates import (
    arrival_delays,
    future_orders,
    matured_defect_rate,
    recent_daily_orders,
)
from odr_analysis.parts import prepare
from odr_analysis.projection import Assumptions, project
from odr_analysis.schema import DEFECTS_SCHEMA, empty_defects

# --- recent_daily_orders, future_orders -----------------------------------------------------


def test_recent_daily_orders_averages_the_28_days_before_the_report_date() -> None:
    # 3 orders a day on as_of-28 .. as_of-1 (84 orders); the report date's own 50 orders and
    # the 40 orders of as_of-29 are outside the average: 84 / 28 = 3.0
    orders = make_orders({**{-k: 3 for k in range(1, 29)}, 0: 50, -29: 40})
    row = only(recent_daily_orders(orders, as_of=AS_OF))
    assert (row["daily_orders"], row["days"], row["source"]) == (
        3.0,
        28,
        "average of the last 28 days",
    )


def test_recent_daily_orders_of_a_young_group_and_of_a_group_without_history() -> None:
    # MFN starts on as_of-10 with 5 a day: 50 orders over 10 days = 5.0 (not 50/28);
    # AFN has only orders on the report date: 0 a day.
    orders = pl.concat(
        [make_orders({-k: 5 for k in range(1, 11)}), make_orders({0: 7}, channel="AFN")]
    )
    recent = recent_daily_orders(orders, as_of=AS_OF)
    mfn, afn = only(recent, channel="MFN"), only(recent, channel="AFN")
    assert (mfn["daily_orders"], mfn["days"]) == (5.0, 10)
    assert mfn["source"] == f"average of the 10 days since the first order on {day(-10)}"
    assert (afn["daily_orders"], afn["days"], afn["source"]) == (
        0.0,
        0,
        "no order before the report date",
    )
    assert recent.equals(recent_daily_orders(prepare(orders, empty_defects()), as_of=AS_OF))


def test_future_orders_spreads_a_fractional_mean_as_whole_orders() -> None:
    daily = pl.DataFrame(
        {"account": "a", "marketplace": "m", "channel": ["AFN", "MFN"], "daily_orders": [12.4, 0.3]}
    )
    out = future_orders(daily, as_of=AS_OF, horizon=10)
    # 12.4 a day: cumulative round(12.4 i) = 12, 25, 37, 50, 62, ... -> 12, 13, 12, 13, 12, ...
    assert out.filter(channel="AFN")["orders"].to_list()[:5] == [12, 13, 12, 13, 12]
    assert out.filter(channel="AFN")["order_date"].to_list()[:2] == [day(1), day(2)]
    # 0.3 a day: round(0.3 i) = 0, 1, 1, 1, 2, 2, 2, 2, 3, 3: orders on days 2, 5 and 9
    assert out.filter(channel="MFN")["order_date"].to_list() == [day(2), day(5), day(9)]


@given(mean=st.floats(0, 500, allow_nan=False), days=st.integers(1, 120))
def test_future_orders_total_is_within_one_order_of_mean_times_days(mean: float, days: int) -> None:
    daily = pl.DataFrame(
        {"account": "a", "marketplace": "m", "channel": "MFN", "daily_orders": mean}
    )
    total = future_orders(daily, as_of=AS_OF, horizon=days)["orders"].sum()
    assert abs(total - mean * days) <= 0.5 + 1e-9


# --- matured_defect_rate --------------------------------------------------------------------


def matured_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """MFN: 300 matured orders (5 a day on as_of-149 .. as_of-90), 3 defective by as_of.

    AFN: 100 matured orders (2 a day on as_of-139 .. as_of-90), 2 defective.
    """
    mfn = make_orders({-k: 5 for k in range(90, 150)})
    afn = make_orders({-k: 2 for k in range(90, 140)}, channel="AFN")
    young = make_orders({-80: 4})
    orders = pl.concat([mfn, afn, young])
    defects = chargebacks(
        [
            (oid(-100, 0), day(-60)),
            (oid(-120, 1), day(-100)),
            (oid(-149, 4), day(-1)),
            (oid(-130, 2), day(3)),  # received after as_of: not known yet
            (oid(-80, 0), day(-50)),  # a young order: not in the matured cohort
            (oid(-95, 0, channel="AFN"), day(-70)),
            (oid(-139, 1, channel="AFN"), day(-80)),
        ]
    )
    return orders, defects


def test_matured_defect_rate_hand_worked_and_pooled_for_a_small_channel() -> None:
    orders, defects = matured_fixture()
    rates = matured_defect_rate(orders, defects, as_of=AS_OF)
    mfn, afn = only(rates, channel="MFN"), only(rates, channel="AFN")
    # MFN: 3 / 300 = 1%
    assert (mfn["orders"], mfn["defective"], mfn["defect_rate"], mfn["pooled"]) == (
        300,
        3,
        0.01,
        False,
    )
    assert mfn["source"] == "matured rate of 300 orders 90-149 days old"
    # AFN has 100 < 200: pooled over the account, (3 + 2) / (300 + 100) = 1.25%
    assert (afn["orders"], afn["defective"], afn["pooled"]) == (400, 5, True)
    assert afn["defect_rate"] == pytest.approx(0.0125)
    assert "pooled over the account (this channel has 100)" in afn["source"]
    # with a lower threshold AFN stands on its own: 2 / 100
    own = only(matured_defect_rate(orders, defects, as_of=AS_OF, min_orders=50), channel="AFN")
    assert (own["defect_rate"], own["pooled"]) == (0.02, False)


def test_matured_defect_rate_uses_the_state_on_the_report_date() -> None:
    orders = make_orders({-100: 250})
    feedback = pl.DataFrame(
        [
            ("acme", oid(-100, 0), "negative_feedback", day(-90), "active", 1),
            ("acme", oid(-100, 0), "negative_feedback", day(-10), "removed", 1),  # gone by as_of
            ("acme", oid(-100, 1), "negative_feedback", day(-90), "active", 2),
            ("acme", oid(-100, 1), "negative_feedback", day(5), "removed", 2),  # after as_of
        ],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    row = only(matured_defect_rate(orders, feedback, as_of=AS_OF))
    assert (row["defective"], row["orders"]) == (1, 250)


def test_no_matured_orders_gives_a_null_rate_and_project_says_what_to_pass() -> None:
    orders = make_orders({-k: 3 for k in range(1, 60)})
    row = only(matured_defect_rate(orders, empty_defects(), as_of=AS_OF))
    assert row["defect_rate"] is None
    assert row["source"] == "no order 90-149 days old: give a defect rate"
    with pytest.raises(ValueError, match=r"Assumptions\(defect_rate=...\)"):
        project(orders, empty_defects(), as_of=AS_OF)
    given_rate = project(
        orders, empty_defects(), as_of=AS_OF, assumptions=Assumptions(defect_rate=0.01)
    )
    assert given_rate.inputs["defect_rate_source"].to_list() == ["assumed"]


# --- arrival_delays -------------------------------------------------------------------------


def test_arrival_delays_hand_worked_from_mature_orders_only() -> None:
    # 10 orders of as_of-200 with a defect after 5 days, 10 of as_of-150 after 30 days: shares
    # 0.5 and 0.5. Left out: an order of as_of-100 (younger than 120 days) and a delay of 130.
    orders = make_orders({-200: 10, -150: 11, -100: 1})
    defects = chargebacks(
        [(oid(-200, i), day(-195)) for i in range(10)]
        + [(oid(-150, i), day(-120)) for i in range(10)]
        + [(oid(-150, 10), day(-20)), (oid(-100, 0), day(-99))]
    )
    table = arrival_delays(orders, defects, as_of=AS_OF)
    assert table.select("account", "delay", "share", "cumulative", "defects", "pooled").rows() == [
        ("acme", 5, 0.5, 0.5, 20, False),
        ("acme", 30, 0.5, 1.0, 20, False),
    ]
    assert table["source"].unique().to_list() == [
        "the account's own 20 defects on orders at least 120 days old"
    ]


def test_arrival_delays_pool_all_accounts_below_twenty_defects_and_default_to_uniform() -> None:
    big = make_orders({-200: 30}, account="big")
    small = make_orders({-200: 5}, account="small")
    defects = pl.concat(
        [
            chargebacks(
                [(oid(-200, i, account="big"), day(-190)) for i in range(30)], account="big"
            ),
            chargebacks([(oid(-200, 0, account="small"), day(-199))], account="small"),
        ]
    )
    table = arrival_delays(pl.concat([big, small]), defects, as_of=AS_OF)
    small_rows = table.filter(account="small")
    # 30 + 1 pooled defects: delay 10 (30 of them) and delay 1 (1)
    assert small_rows.select("delay", "share").rows() == [(1, 1 / 31), (10, 30 / 31)]
    assert small_rows["pooled"].to_list() == [True, True]
    assert small_rows["source"][0] == (
        "pooled over all 2 accounts (31 defects on orders at least 120 days old); "
        "this account has only 1"
    )
    assert table.filter(account="big").select("delay", "share").rows() == [(10, 1.0)]
    uniform = arrival_delays(big, empty_defects(), as_of=AS_OF, max_delay=9)
    assert uniform["share"].to_list() == [0.1] * 10
    assert (
        uniform["source"][0]
        == "no defect on orders at least 9 days old: assumed uniform over 0-9 days"
    )
