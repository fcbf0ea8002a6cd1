"""Reconciliation: our ODR next to Amazon's, per component, with the reasons they differ."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis import sample, words
from odr_analysis.readers.health import (
    parse_account_health,
    rate_tolerance,
    read_account_health,
)
from odr_analysis.reconcile import COMPONENTS, _tolerance, our_defective_orders, reconcile
from odr_analysis.rules import OdrRules
from odr_analysis.schema import OdrInputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SCHEMA = json.loads(
    (
        Path(__file__).parent / "fixtures" / "health" / "accountHealthReport-2020-11-18.json"
    ).read_text()
)
R = sample.REPORT_DATE
DAY = dt.timedelta(days=1)


@cache
def truth() -> dict[str, sample.Truth]:
    return sample.build_truth()


def _health(name: str) -> pl.DataFrame:
    return read_account_health(SAMPLE / name / "account-health.json").odr


def explained(frame: pl.DataFrame) -> pl.DataFrame:
    """A reconcile frame with its ``explanation`` (the words of every difference)."""
    return frame.with_columns(words.reconcile_explanation())


def _small() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Ten MFN orders in the window of report date 2024-01-28, one defective."""
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "order_id": [f"o{i}" for i in range(10)],
            "order_date": [dt.date(2023, 12, 1) + dt.timedelta(days=4 * i) for i in range(10)],
        }
    )
    defects = pl.DataFrame(
        {
            "account": "acme",
            "order_id": ["o3", "o3", "o5", "o7"],
            "kind": ["negative_feedback", "a_to_z_claim", "a_to_z_claim", "chargeback"],
            "event_date": [
                dt.date(2024, 1, 2),
                dt.date(2024, 1, 5),
                dt.date(2024, 1, 9),
                dt.date(2024, 2, 20),
            ],
            "status": ["active", "granted", "denied", "service"],
            "rating": [1, None, None, None],
        }
    )
    health = pl.DataFrame(
        {
            "account": "acme",
            "marketplace_id": "ATVPDKIKX0DER",
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "window_start": dt.date(2023, 11, 16),
            "window_end": dt.date(2024, 1, 14),
            "order_count": 10,
            "defective_orders": 1,
            "negative_feedback": 1,
            "a_to_z_claims": 1,
            "chargebacks": 0,
            "rate": 0.1,
            "status": "BAD",
        }
    )
    return orders, defects, health


def test_matching_row() -> None:
    orders, defects, health = _small()
    row = explained(reconcile(orders, defects, health)).row(0, named=True)
    assert row["as_of"] == dt.date(2024, 1, 28)
    for c in COMPONENTS:
        assert row[f"{c}_ours"] == row[f"{c}_amazon"]
        assert row[f"{c}_diff"] == 0
    assert (row["rate_ours"], row["rate_amazon"], row["rate_diff"]) == (0.1, 0.1, 0.0)
    assert (row["status_ours"], row["status_amazon"]) == ("BAD", "BAD")
    assert row["match"] is True
    assert row["explanation"] is None


def test_as_of_bounds_the_known_defects() -> None:
    orders, defects, health = _small()
    # the chargeback of 2024-02-20 is unknown on the default report date (window end + 14)
    later = explained(reconcile(orders, defects, health, as_of="2024-02-25")).row(0, named=True)
    assert later["as_of"] == dt.date(2024, 2, 25)
    assert (later["window_start"], later["window_end"]) == (
        dt.date(2023, 11, 16),
        dt.date(2024, 1, 14),
    )
    assert later["chargebacks_ours"] == 1 and later["chargebacks_diff"] == 1
    assert later["defective_orders_diff"] == 1
    assert later["match"] is False
    assert (
        "we count 1 more orders with chargebacks: fraud chargebacks do not count"
        in later["explanation"]
    )
    with pytest.raises(OdrInputError, match="before the end of Amazon's window"):
        reconcile(orders, defects, health, as_of="2024-01-10")


def test_window_is_amazons_not_the_rules() -> None:
    orders, defects, health = _small()
    # a 30-day window reported by Amazon: the rules' 60 days must not leak in
    short = health.with_columns(window_start=pl.lit(dt.date(2023, 12, 16)))
    row = reconcile(orders, defects, short).row(0, named=True)
    assert row["order_count_ours"] == 6  # o4 (Dec 17) .. o9 (Jan 6); o3 (Dec 13) is out
    assert row["defective_orders_ours"] == 0
    lagged = reconcile(orders, defects, health, rules=OdrRules(lag_days=3)).row(0, named=True)
    assert lagged["as_of"] == dt.date(2024, 1, 17)


def test_missing_orders_explained() -> None:
    orders, defects, health = _small()
    row = explained(
        reconcile(orders.filter(pl.col("order_date") < dt.date(2023, 12, 20)), defects, health)
    ).row(0, named=True)
    assert row["order_count_diff"] == -5
    assert row["explanation"].startswith(
        "Amazon counts 5 more orders (10 vs 5): your orders files may not cover the whole window "
        "2023-11-16 to 2024-01-14 (your orders start on 2023-12-01) (your orders end on 2023-12-17)"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"negative_feedback": 2, "defective_orders": 2},
            "Amazon counts 1 more orders with negative feedback: is the feedback report missing",
        ),
        (
            {"a_to_z_claims": 0, "defective_orders": 1},
            "we count 1 more orders with A-to-z claims: check the claim statuses",
        ),
        ({"order_count": 9}, "we count 1 more orders than Amazon (10 vs 9)"),
        (
            {"defective_orders": 2, "rate": 0.2},
            "defective orders differ by -1 although every component agrees",
        ),
        (
            {"rate": 0.09},
            "the rate Amazon reports (9.00%) differs from its own counts (1/10 = 10.00%)",
        ),
    ],
)
def test_differences_explained(change: dict, expected: str) -> None:
    orders, defects, health = _small()
    row = explained(
        reconcile(orders, defects, health.with_columns(**{k: pl.lit(v) for k, v in change.items()}))
    ).row(0, named=True)
    assert row["match"] is False
    assert expected in row["explanation"]


def test_rounded_amazon_rate_still_matches() -> None:
    orders, defects, health = _small()
    orders = pl.concat([orders, orders.with_columns(order_id=pl.col("order_id") + "b")]).head(13)
    health = health.with_columns(order_count=pl.lit(13), rate=pl.lit(0.0769))  # 1/13 = 0.076923
    row = explained(reconcile(orders, defects, health)).row(0, named=True)
    assert row["match"] is True, row["explanation"]
    health = health.with_columns(rate=pl.lit(0.0771))
    assert reconcile(orders, defects, health)["match"].to_list() == [False]


def test_missing_sub_counts_compare_what_amazon_gives() -> None:
    orders, defects, health = _small()
    health = health.with_columns(pl.lit(None, pl.Int64).alias(c) for c in COMPONENTS[1:])
    row = reconcile(orders, defects, health).row(0, named=True)
    assert row["negative_feedback_amazon"] is None and row["negative_feedback_diff"] is None
    assert row["match"] is True


def test_channel_without_orders() -> None:
    orders, defects, health = _small()
    afn = health.with_columns(
        channel=pl.lit("AFN"),
        order_count=pl.lit(0),
        defective_orders=pl.lit(0),
        negative_feedback=pl.lit(0),
        a_to_z_claims=pl.lit(0),
        rate=pl.lit(0.0),
        status=pl.lit("NONE"),
    )
    result = reconcile(orders, defects, pl.concat([health, afn], how="vertical_relaxed"))
    row = result.filter(pl.col("channel") == "AFN").row(0, named=True)
    assert (row["order_count_ours"], row["rate_ours"], row["status_ours"]) == (0, None, "NONE")
    assert row["match"] is True
    missing = afn.with_columns(order_count=pl.lit(4))
    text = explained(reconcile(orders, defects, missing)).row(0, named=True)["explanation"]
    assert "(no orders of this channel in your files)" in text


def test_unknown_marketplace_explained() -> None:
    orders, defects, health = _small()
    unknown = health.with_columns(
        marketplace=pl.lit(None, pl.String), marketplace_id=pl.lit("AXXXX")
    )
    row = explained(reconcile(orders, defects, unknown)).row(0, named=True)
    assert row["match"] is False
    assert "Amazon's marketplace id AXXXX is unknown to odr-analysis" in row["explanation"]


def test_schema_example_disagrees_with_itself() -> None:
    report = parse_account_health(SCHEMA["examples"][0])
    orders, defects, _ = _small()
    result = explained(
        reconcile(orders.with_columns(order_date=pl.lit(dt.date(2020, 10, 1))), defects, report)
    )
    assert result["channel"].to_list() == ["AFN", "MFN"]
    text = result.row(1, named=True)["explanation"]
    assert "Amazon counts 538990 more orders" in text
    assert (
        "the rate Amazon reports (0.90%) differs from its own counts (1078/539000 = 0.20%)" in text
    )


def test_health_without_account_column() -> None:
    orders, defects, health = _small()
    assert reconcile(orders, defects, health.drop("account"))["account"].to_list() == ["acme"]
    two = pl.concat([orders, orders.with_columns(account=pl.lit("other"))])
    with pytest.raises(OdrInputError, match="no 'account' column and orders hold 2 accounts"):
        reconcile(two, defects, health.drop("account"))
    with pytest.raises(OdrInputError, match=r"missing column\(s\) \['window_end'\]"):
        reconcile(orders, defects, health.drop("window_end"))
    with pytest.raises(TypeError):
        reconcile(orders, defects, {"rows": []})  # type: ignore[arg-type]


def test_inputs_not_modified() -> None:
    orders, defects, health = _small()
    copies = [f.clone() for f in (orders, defects, health)]
    reconcile(orders.lazy(), defects.lazy(), health)
    our_defective_orders(orders, defects, health)
    for before, after in zip(copies, (orders, defects, health), strict=True):
        assert before.equals(after)


def test_our_defective_orders() -> None:
    orders, defects, health = _small()
    listed = our_defective_orders(orders, defects, health)
    assert listed.select("order_id", "negative_feedback", "a_to_z_claim", "chargeback").rows() == [
        ("o3", True, True, False)
    ]
    assert listed["as_of"].to_list() == [dt.date(2024, 1, 28)]
    later = our_defective_orders(orders, defects, health, as_of="2024-03-01")
    assert later["order_id"].to_list() == ["o3", "o7"]
    none = our_defective_orders(
        orders, defects, health.with_columns(window_end=pl.lit(None, pl.Date))
    )
    assert none.is_empty() and "order_id" in none.columns


# ------------------------------------------------------------------------------------------
# the sample accounts: their account-health reports match the truth, and broken files show


@pytest.mark.parametrize("name", sample.ACCOUNTS)
def test_sample_truth_reconciles(name: str) -> None:
    t = truth()[name]
    result = explained(reconcile(t.orders, t.known_defects(), _health(name)))
    assert result["match"].to_list() == [True, True], result["explanation"].to_list()
    listed = our_defective_orders(t.orders, t.known_defects(), _health(name))
    per_channel = dict(listed.group_by("channel").len().iter_rows())
    for row in result.iter_rows(named=True):
        assert per_channel.get(row["channel"], 0) == row["defective_orders_amazon"]


def test_sample_truth_missing_holiday_feedback() -> None:
    t = truth()["summit-outdoor"]
    defects = t.known_defects().filter(
        (pl.col("kind") != "negative_feedback") | (pl.col("event_date") < dt.date(2026, 1, 1))
    )
    row = (
        explained(reconcile(t.orders, defects, _health("summit-outdoor")))
        .filter(pl.col("channel") == "MFN")
        .row(0, named=True)
    )
    assert row["negative_feedback_diff"] < 0
    assert (
        "more orders with negative feedback: is the feedback report missing" in row["explanation"]
    )


def test_dropped_orders_file_is_explained(tmp_path: Path) -> None:
    from odr_analysis.readers.account import load_account

    folder = tmp_path / "summit-outdoor"
    shutil.copytree(SAMPLE / "summit-outdoor", folder)
    (folder / "orders-2025-08-29-to-2026-02-22.txt").unlink()
    # Its feedback is now months after the last order: the loader refuses it (a date after
    # the feedback report's end), so the feedback goes too; the claims stay (rejected).
    with pytest.raises(OdrInputError, match=r"feedback.txt', line 2: .*add the orders of that"):
        load_account(folder)
    (folder / "feedback.txt").unlink()
    loaded = load_account(folder)
    assert loaded.alerts == (
        "29 feedback, claim or chargeback row(s) dated after the last order (2025-09-06) are for "
        "orders the orders files do not hold (claims-and-chargebacks.csv: 29): add the orders "
        "report for the days since, or the rates of recent windows are wrong",
    )
    result = explained(reconcile(loaded.orders, loaded.defects, loaded.health))
    mfn = result.filter(pl.col("channel") == "MFN").row(0, named=True)
    assert mfn["order_count_ours"] == 0 and mfn["order_count_amazon"] > 700
    assert mfn["match"] is False
    assert mfn["explanation"].startswith(f"Amazon counts {mfn['order_count_amazon']} more orders")
    assert "your orders files may not cover the whole window" in mfn["explanation"]
    assert "(your orders end on 2025-09-0" in mfn["explanation"]


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_tolerance_expression_agrees_with_rate_tolerance(rate: float) -> None:
    got = pl.select(_tolerance(pl.lit(rate, pl.Float64))).item()
    assert got == pytest.approx(rate_tolerance(rate), rel=1e-9)
