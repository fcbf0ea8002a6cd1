"""The benchmark's peers (DuckDB, pandas, numpy floor) and the engine match the literal reference.

The reference (``tests/reference.py``) follows the rules word for word, one report day and one
order at a time; the peers and the engine use interval arithmetic instead, so agreement on every
row is a real check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from reference import reference_daily

from benchmarks import peers, portfolio
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, ORDERS_SCHEMA, STATUSES


def run_duckdb(o: pl.DataFrame, d: pl.DataFrame, **kw: object) -> pl.DataFrame:
    return peers.duckdb_daily(o, d, **kw)  # type: ignore[arg-type]


def run_pandas(o: pl.DataFrame, d: pl.DataFrame, **kw: object) -> pl.DataFrame:
    po, pd_ = peers.pandas_frames(o, d)
    return peers.pandas_daily(po, pd_, **kw)  # type: ignore[arg-type]


def run_floor(o: pl.DataFrame, d: pl.DataFrame, **kw: object) -> pl.DataFrame:
    inputs = peers.floor_inputs(o, d, **kw)  # type: ignore[arg-type]
    return peers.floor_frame(inputs, peers.numpy_floor(inputs))


def run_engine(o: pl.DataFrame, d: pl.DataFrame, **kw: object) -> pl.DataFrame:
    return peers.engine_daily(o, d, **kw)  # type: ignore[arg-type]


IMPLEMENTATIONS: dict[str, Callable[..., pl.DataFrame]] = {
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "numpy_floor": run_floor,
    "engine": run_engine,
}


@pytest.fixture(scope="module")
def small() -> tuple[pl.DataFrame, pl.DataFrame]:
    return portfolio.generate(
        portfolio.PortfolioSpec(orders=900, accounts=3, days=150, seed=17, defect_rate=0.08)
    )


@pytest.fixture(scope="module")
def small_reference(small: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    orders, defects = small
    start, end = peers.report_range(orders)
    return reference_daily(orders, defects, start, end, OdrRules())


def test_small_portfolio_exercises_every_rule(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    orders, defects = small
    per_order = defects.group_by("account", "order_id").agg(
        kinds=pl.col("kind").n_unique(),
        feedback_dates=pl.col("event_date").filter(pl.col("kind") == "negative_feedback"),
    )
    assert (per_order["kinds"] >= 2).any()  # orders with defects of several kinds
    revised = per_order.filter(pl.col("feedback_dates").list.len() >= 2)
    assert revised.height > 0  # orders whose feedback was revised
    ties = revised.filter(
        pl.col("feedback_dates").list.n_unique() < pl.col("feedback_dates").list.len()
    )
    assert ties.height > 0  # two feedback rows on one day
    assert set(defects["status"]) - {"active", "granted", "pending", "service"}  # uncounted too
    assert orders.select(pl.struct("account", "marketplace").n_unique()).item() > 3
    assert (defects.join(orders, on=["account", "order_id"]).height) == defects.height


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_matches_reference_on_small_portfolio(
    name: str, small: tuple[pl.DataFrame, pl.DataFrame], small_reference: pl.DataFrame
) -> None:
    orders, defects = small
    start, end = peers.report_range(orders)
    got = peers.canonical(IMPLEMENTATIONS[name](orders, defects, start=start, end=end))
    assert got.height == small_reference.height
    assert (small_reference["defective_orders"] > 0).any()
    assert_frame_equal(got, small_reference)


def hand_case() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A 1-star feedback revised to 3 stars, then a granted claim: counted, not, counted again."""
    d = dt.date
    orders = pl.DataFrame(
        {
            "account": ["a", "a"],
            "marketplace": ["Amazon.com"] * 2,
            "order_id": ["o1", "o2"],
            "order_date": [d(2024, 1, 1), d(2024, 1, 10)],
            "channel": ["MFN", "MFN"],
        }
    )
    defects = pl.DataFrame(
        {
            "account": ["a"] * 4,
            "order_id": ["o1", "o1", "o1", "o2"],
            "kind": ["negative_feedback", "negative_feedback", "a_to_z_claim", "chargeback"],
            "event_date": [d(2024, 1, 20), d(2024, 1, 25), d(2024, 2, 1), d(2024, 1, 20)],
            "status": ["active", "active", "granted", "fraud"],
            "rating": [1, 3, None, None],
        },
        schema=DEFECTS_SCHEMA,
    )
    return orders, defects


def test_reference_follows_the_rules_on_a_hand_case() -> None:
    d = dt.date
    orders, defects = hand_case()
    ref = reference_daily(orders, defects, d(2024, 1, 19), d(2024, 3, 16), OdrRules())
    on = {r["as_of"]: r for r in ref.iter_rows(named=True)}
    assert on[d(2024, 1, 19)]["order_count"] == 1  # o2 (2024-01-10) not yet in the window
    assert on[d(2024, 1, 24)]["order_count"] == 2
    assert on[d(2024, 1, 20)]["defective_orders"] == 1  # 1-star known
    assert on[d(2024, 1, 25)]["defective_orders"] == 0  # revised to 3 stars
    assert on[d(2024, 2, 1)]["a_to_z_claims"] == 1  # claim from its event date on
    assert on[d(2024, 2, 1)]["negative_feedback"] == 0
    assert on[d(2024, 3, 14)]["defective_orders"] == 1  # o1's last day in the window
    assert on[d(2024, 3, 15)]["defective_orders"] == 0  # o1 left the window
    assert on[d(2024, 3, 15)]["order_count"] == 1  # o2 still in
    assert max(r["chargebacks"] for r in on.values()) == 0  # fraud never counts


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_matches_reference_on_the_hand_case(name: str) -> None:
    d = dt.date
    orders, defects = hand_case()
    ref = reference_daily(orders, defects, d(2024, 1, 19), d(2024, 3, 16), OdrRules())
    got = IMPLEMENTATIONS[name](orders, defects, start=d(2024, 1, 19), end=d(2024, 3, 16))
    assert_frame_equal(peers.canonical(got), ref, check_exact=True)


# Random small inputs: edge dates, same-day feedback ties, defects received before the window,
# many revisions, every status, report ranges that start late or end early.
_day0 = dt.date(2024, 1, 1)


@st.composite
def tiny_inputs(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, dt.date, dt.date]:
    n = draw(st.integers(1, 12))
    order_rows: list[dict[str, Any]] = []
    for i in range(n):
        order_rows.append(
            {
                "account": draw(st.sampled_from(["a", "b"])),
                "marketplace": draw(st.sampled_from(["Amazon.com", "Amazon.de"])),
                "order_id": f"o{i}",
                "order_date": _day0 + dt.timedelta(days=draw(st.integers(0, 40))),
                "channel": draw(st.sampled_from(["AFN", "MFN"])),
            }
        )
    defect_rows = []
    for _ in range(draw(st.integers(0, 14))):
        order = draw(st.sampled_from(order_rows))
        kind = draw(st.sampled_from(list(STATUSES)))
        defect_rows.append(
            {
                "account": order["account"],
                "order_id": order["order_id"],
                "kind": kind,
                "event_date": order["order_date"] + dt.timedelta(days=draw(st.integers(-3, 90))),
                "status": draw(st.sampled_from(STATUSES[kind])),
                "rating": draw(st.integers(1, 5)) if kind == "negative_feedback" else None,
            }
        )
    start = _day0 + dt.timedelta(days=draw(st.integers(0, 60)))
    end = start + dt.timedelta(days=draw(st.integers(0, 100)))
    orders = pl.DataFrame(order_rows, schema=ORDERS_SCHEMA)
    defects = pl.DataFrame(defect_rows, schema=DEFECTS_SCHEMA)
    return orders, defects, start, end


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=tiny_inputs(),
    rules=st.sampled_from(
        [OdrRules(), OdrRules(window_days=7, lag_days=0), OdrRules(count_all_claims=True)]
    ),
)
def test_matches_reference_on_random_inputs(
    name: str, data: tuple[pl.DataFrame, pl.DataFrame, dt.date, dt.date], rules: OdrRules
) -> None:
    orders, defects, start, end = data
    ref = reference_daily(orders, defects, start, end, rules)
    got = peers.canonical(IMPLEMENTATIONS[name](orders, defects, start=start, end=end, rules=rules))
    assert got.equals(ref), f"{name} differs from the reference:\n{got}\n{ref}"


def test_generator_is_deterministic_and_realistic() -> None:
    spec = portfolio.PortfolioSpec(orders=20_000, accounts=12, days=365, seed=3)
    orders, defects = portfolio.generate(spec)
    again, _ = portfolio.generate(spec)
    assert_frame_equal(orders, again)
    assert orders.schema == ORDERS_SCHEMA and defects.schema == DEFECTS_SCHEMA
    assert orders["order_id"].str.contains(r"^\d{3}-\d{7}-\d{7}$").all()
    assert orders.select(pl.struct("account", "order_id").n_unique()).item() == orders.height
    defective = defects.select(pl.struct("account", "order_id").n_unique()).item()
    assert 0.005 < defective / orders.height < 0.025
    delay = defects.join(orders, on=["account", "order_id"]).select(
        (pl.col("event_date") - pl.col("order_date")).dt.total_days()
    )
    assert (delay.to_series() >= 0).all()
    assert (delay.to_series() > 90).sum() < 0.02 * delay.height  # only feedback revisions
    assert set(orders["channel"]) == {"AFN", "MFN"}
    assert orders["order_date"].n_unique() == 365


def test_portfolio_doctests() -> None:
    import doctest

    result = doctest.testmod(portfolio)
    assert result.attempted > 0 and result.failed == 0


def test_pandas_from_parquet_matches_reference(
    small: tuple[pl.DataFrame, pl.DataFrame], small_reference: pl.DataFrame, tmp_path: Path
) -> None:
    """The benchmark's pandas child reads parquet itself (dtypes differ from to_pandas)."""
    orders, defects = small
    orders.write_parquet(tmp_path / "orders.parquet")
    defects.write_parquet(tmp_path / "defects.parquet")
    o, d = peers.pandas_read(tmp_path / "orders.parquet", tmp_path / "defects.parquet")
    start, end = peers.report_range(orders)
    assert_frame_equal(
        peers.canonical(peers.pandas_daily(o, d, start=start, end=end)), small_reference
    )
