"""Wilson intervals, the small-numbers flag and the p-chart of order cohorts (unusual_days)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odr_analysis import words
from odr_analysis.engine import odr
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, ORDERS_SCHEMA
from odr_analysis.stats import (
    UNUSUAL_DAYS_COLUMNS,
    unusual_days,
    wilson_exprs,
    wilson_interval,
    with_intervals,
)

D = dt.date
DAY = dt.timedelta(days=1)


# --- Wilson ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # p = 0.1, z = 1.96, z^2 = 3.8415: center (0.1 + 0.19207) / 1.38415 = 0.21101,
        # half 1.96 / 1.38415 * sqrt(0.009 + 0.0096037) = 0.19314 -> 0.0179 .. 0.4042
        (1, 10, 0.0179, 0.4042),
        (0, 20, 0.0, 0.1611),  # high = (z^2/n) / (1 + z^2/n) = 0.19207 / 1.19207
        (0, 10, 0.0, 0.2775),  # 0.38415 / 1.38415
        (5, 10, 0.2366, 0.7634),  # symmetric around 0.5: half 1.41603 * 0.18602 = 0.26341
        (10, 10, 0.7225, 1.0),
        # odr-domain.md E2, one feedback in 43 orders: z^2/n = 0.089337, center (0.023256 +
        # 0.044669) / 1.089337 = 0.062354, half 1.79925 * sqrt(0.00052826 + 0.0005194) = 0.058238
        (1, 43, 0.0041, 0.1206),
    ],
)
def test_wilson_known_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(k, n)
    assert got is not None
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_wilson_exprs_vectorised_with_null_for_no_rate() -> None:
    frame = pl.DataFrame({"k": [1, 0, 0, 3, -1], "n": [10, 20, 0, 2, 5]})
    low, high = wilson_exprs("k", "n")
    out = frame.with_columns(low, high)
    assert out.columns == ["k", "n", "odr_low", "odr_high"]
    assert out["odr_low"].round(4).to_list() == [0.0179, 0.0, None, None, None]
    assert out["odr_high"].round(4).to_list() == [0.4042, 0.1611, None, None, None]
    # expressions work as well as names, and the level is honoured
    low99, high99 = wilson_exprs(pl.col("k"), pl.col("n") * 1, level=0.99)
    wide = frame.head(1).select(low99, high99).row(0)
    assert wide[0] < 0.0179 and wide[1] > 0.4042


def test_wilson_level_and_scalar_validation() -> None:
    assert wilson_interval(0, 0) is None
    for bad_level in (0, 1, 1.5, -0.1, True):
        with pytest.raises(ValueError, match="level"):
            wilson_interval(1, 10, level=bad_level)
    with pytest.raises(ValueError, match="cannot exceed"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="count"):
        wilson_interval(-1, 10)
    with pytest.raises(ValueError, match="count"):
        wilson_interval(1, 10.0)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(n=st.integers(1, 5000), data=st.data(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_contains_the_rate_and_is_monotone(
    n: int, data: st.DataObject, level: float
) -> None:
    k = data.draw(st.integers(0, n))
    interval = wilson_interval(k, n, level=level)
    assert interval is not None
    low, high = interval
    assert 0 <= low <= k / n <= high <= 1
    # symmetric: the interval of the clean share mirrors the defective share's
    mirror = wilson_interval(n - k, n, level=level)
    assert mirror is not None
    assert mirror[0] == pytest.approx(1 - high, abs=1e-12)
    # one more defective order moves both ends up (or keeps them at 0 / 1)
    if k < n:
        up = wilson_interval(k + 1, n, level=level)
        assert up is not None
        assert up[0] >= low and up[1] >= high
    # four times the orders at the same rate: a narrower interval
    more = wilson_interval(4 * k, 4 * n, level=level)
    assert more is not None
    assert more[1] - more[0] < high - low
    # a higher confidence level: a wider interval
    wider = wilson_interval(k, n, level=min(0.999, level + 0.009))
    assert wider is not None
    assert wider[0] <= low and wider[1] >= high


# --- with_intervals ----------------------------------------------------------------------------


def test_small_numbers_flag_at_the_boundary() -> None:
    frame = pl.DataFrame(
        {"order_count": [999, 1000, 0, 43, 100_000], "defective_orders": [9, 10, 0, 1, 100]}
    )
    out = with_intervals(frame).with_columns(words.small_numbers_note(OdrRules().target))
    # one more defect moves the rate by 1/n; at 1000 orders that is 0.1 point = 1/10 of 1%: not
    # more than a tenth, so not small; at 999 orders it is.
    assert out["small_numbers"].to_list() == [True, False, True, True, False]
    assert out["one_defect_moves"].to_list() == [1 / 999, 1 / 1000, None, 1 / 43, 1 / 100_000]
    assert out["note"].to_list() == [
        "one more defect adds 0.1 points, over a tenth of the 1% target",
        "one more defect adds 0.1 points",
        "no orders in the window: no rate",
        "one more defect adds 2.3 points, over a tenth of the 1% target",
        "one more defect adds 0.001 points",
    ]
    assert out["odr_low"][2] is None and out["odr_high"][2] is None
    # a 2% target halves the count below which one defect is "small numbers"
    relaxed = with_intervals(
        pl.DataFrame({"order_count": [499, 500], "defective_orders": [0, 0]}),
        rules=OdrRules(target=0.02),
    ).with_columns(words.small_numbers_note(0.02))
    assert relaxed["small_numbers"].to_list() == [True, False]
    assert relaxed["note"][0].endswith("over a tenth of the 2% target")


def test_with_intervals_on_the_engine_frame() -> None:
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": ["MFN"] * 10 + ["AFN"] * 20,
            "order_id": [f"o{i}" for i in range(30)],
            "order_date": D(2024, 1, 2),
        }
    )
    defects = pl.DataFrame(
        [("acme", "o0", "chargeback", D(2024, 1, 10), "service", None)],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    frame = odr(orders, defects, as_of="2024-01-28")
    copy = frame.clone()
    out = with_intervals(frame.lazy(), level=0.95).with_columns(
        words.small_numbers_note(OdrRules().target)
    )
    assert frame.equals(copy)
    assert out.columns == [
        *frame.columns,
        "odr_low",
        "odr_high",
        "one_defect_moves",
        "small_numbers",
        "note",
    ]
    rows = {r["channel"]: r for r in out.iter_rows(named=True)}
    assert (round(rows["MFN"]["odr_low"], 4), round(rows["MFN"]["odr_high"], 4)) == (
        0.0179,
        0.4042,
    )
    assert (rows["AFN"]["odr_low"], round(rows["AFN"]["odr_high"], 4)) == (0.0, 0.1611)
    assert rows["MFN"]["note"] == "one more defect adds 10.0 points, over a tenth of the 1% target"


def test_with_intervals_refuses_other_frames() -> None:
    with pytest.raises(ValueError, match="order_count"):
        with_intervals(pl.DataFrame({"orders": [1]}))
    with pytest.raises(TypeError, match="DataFrame or LazyFrame"):
        with_intervals({"order_count": [1]})  # type: ignore[arg-type]


# --- unusual days ------------------------------------------------------------------------------

FIRST = D(2024, 1, 1)


def synthetic_account(
    seed: int,
    *,
    days: int = 60,
    per_day: int = 1000,
    rate: float = 0.01,
    bad_day: int | None = None,
    bad_rate: float = 0.05,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``per_day`` orders a day, each defective with probability ``rate`` (a chargeback a week
    after the order); on ``bad_day`` (an offset) the defect probability is ``bad_rate``."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    offsets = np.repeat(np.arange(days), per_day)
    p = np.where(offsets == bad_day, bad_rate, rate) if bad_day is not None else rate
    defective = rng.random(n) < p
    orders = pl.DataFrame({"offset": offsets, "i": np.arange(n)}).select(
        account=pl.lit("acme"),
        marketplace=pl.lit("Amazon.com"),
        channel=pl.lit("MFN"),
        order_id=pl.format("o{}", "i"),
        order_date=pl.lit(FIRST) + pl.duration(days="offset"),
    )
    defects = orders.filter(pl.Series(defective)).select(
        "account",
        "order_id",
        kind=pl.lit("chargeback"),
        event_date=pl.col("order_date") + pl.duration(days=7),
        status=pl.lit("service"),
        rating=pl.lit(None, pl.Int32),
    )
    return orders, defects


AS_OF = FIRST + 200 * DAY  # every cohort of the 60 days is mature (>= 60 days old)


def test_an_injected_bad_day_is_flagged() -> None:
    # 1000 orders a day at 1%; day 30 at 5%: about 50 defective orders against an upper limit
    # of 0.01 + 3 * sqrt(0.0107 * 0.9893 / 1000) = 2.0%.
    for seed in range(5):
        orders, defects = synthetic_account(seed, bad_day=30)
        days = unusual_days(orders, defects, as_of=AS_OF)
        flagged = days.filter(pl.col("flag") == "above")
        assert FIRST + 30 * DAY in flagged["cohort_start"].to_list(), seed
        assert days.height == 60 and days["mature"].all()


def test_a_clean_baseline_is_mostly_unflagged() -> None:
    # No bad day: each day is flagged with probability ~0.3% (two-sided 3 sigma, exact binomial
    # gate), so 60 days give a clean chart in ~85% of seeds. Require 16 of 20.
    clean = 0
    for seed in range(20):
        orders, defects = synthetic_account(seed, per_day=300)
        days = unusual_days(orders, defects, as_of=AS_OF)
        clean += days.filter(pl.col("flag").is_in(["above", "below"])).is_empty()
    assert clean >= 16


def test_limits_center_and_columns_by_hand() -> None:
    # Three days of 100 orders with 1, 1 and 16 defective: center 18/300 = 0.06;
    # sd = sqrt(0.06 * 0.94 / 100) = 0.023749; upper 0.06 + 3 * 0.023749 = 0.13125; lower < 0 -> 0.
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "order_id": [f"o{i}" for i in range(300)],
            "order_date": [FIRST + (i // 100) * DAY for i in range(300)],
        }
    )
    bad = ["o0", "o100", *[f"o{200 + i}" for i in range(16)]]
    defects = pl.DataFrame(
        [("acme", o, "chargeback", FIRST + 10 * DAY, "service", None) for o in bad],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    days = unusual_days(orders, defects, as_of=FIRST + 100 * DAY)
    assert days.columns == list(UNUSUAL_DAYS_COLUMNS)
    assert days["center"].to_list() == [0.06] * 3
    assert days["upper"][0] == pytest.approx(0.06 + 3 * math.sqrt(0.06 * 0.94 / 100))
    assert days["lower"].to_list() == [0.0] * 3
    assert days["z"][2] == pytest.approx((0.16 - 0.06) / math.sqrt(0.06 * 0.94 / 100))
    assert days["flag"].to_list() == [None, None, "above"]
    # the exact binomial probabilities, by brute force
    for row in days.iter_rows(named=True):
        n, d, p = row["orders"], row["defective_orders"], row["center"]
        pmf = [math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n + 1)]
        want = sum(pmf[d:]) if d / n > p else sum(pmf[: d + 1])
        assert row["p_value"] == pytest.approx(want, rel=1e-9)


def test_a_single_defect_in_a_tiny_cohort_is_not_unusual() -> None:
    # 6 orders with one defect against a 0.33% center is 7 standard errors out, yet happens with
    # probability 1 - 0.9967^6 = 2%: outside the normal limits, not flagged.
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "order_id": [f"o{i}" for i in range(306)],
            "order_date": [FIRST] * 300 + [FIRST + DAY] * 6,
        }
    )
    defects = pl.DataFrame(
        [("acme", "o300", "chargeback", FIRST + 10 * DAY, "service", None)],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    days = unusual_days(orders, defects, as_of=FIRST + 100 * DAY)
    tiny = days.row(1, named=True)
    assert tiny["rate"] > tiny["upper"]
    assert tiny["p_value"] == pytest.approx(1 - (1 - 1 / 306) ** 6)
    assert tiny["flag"] is None


def test_a_clean_mature_day_far_below_the_center_is_flagged_below() -> None:
    # 10% defective on days 0-2 (300 of 3000), day 3: 0 of 500. center 300/3500 = 0.0857;
    # lower 0.0857 - 3 * sqrt(0.0857 * 0.9143 / 500) = 0.0482 > 0; P(X = 0) = 0.9143^500 ~ 4e-20.
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": "AFN",
            "order_id": [f"o{i}" for i in range(3500)],
            "order_date": [FIRST + min(i // 1000, 3) * DAY for i in range(3500)],
        }
    )
    defects = pl.DataFrame(
        [
            ("acme", f"o{i}", "chargeback", FIRST + 20 * DAY, "service", None)
            for i in range(0, 3000, 10)
        ],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    days = unusual_days(orders, defects, as_of=FIRST + 100 * DAY)
    assert days["flag"].to_list() == [None, None, None, "below"]
    assert days["center"][0] == pytest.approx(300 / 3500)


def test_immature_cohorts_are_shown_but_kept_out_of_the_center() -> None:
    orders, defects = synthetic_account(3, days=60, per_day=200)
    # as_of 80 days after the first order date: order dates 0..20 are mature (>= 60 days old)
    as_of = FIRST + 80 * DAY
    days = unusual_days(orders, defects, as_of=as_of)
    assert days["mature"].to_list() == [i <= 20 for i in range(60)]
    mature = days.filter("mature")
    assert days["center"][0] == pytest.approx(
        mature["defective_orders"].sum() / mature["orders"].sum()
    )
    # immature days are "immature" unless already above the limits
    young = days.filter(~pl.col("mature"))
    assert set(young["flag"].to_list()) <= {"immature", "above"}
    # a bigger mature_days moves the line; mature_days=0 makes every cohort mature
    assert unusual_days(orders, defects, as_of=as_of, mature_days=0)["mature"].all()
    # no mature cohort at all: no center line, every cohort immature
    none = unusual_days(orders, defects, as_of=FIRST + 61 * DAY, mature_days=90)
    assert none["center"].is_null().all() and none["flag"].to_list() == ["immature"] * 60


def test_defects_after_as_of_and_revised_feedback_do_not_count() -> None:
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "channel": "MFN",
            "order_id": ["o1", "o2", "o3"],
            "order_date": FIRST,
        }
    )
    defects = pl.DataFrame(
        [
            ("acme", "o1", "chargeback", FIRST + 10 * DAY, "service", None),
            ("acme", "o2", "negative_feedback", FIRST + 5 * DAY, "active", 1),
            ("acme", "o2", "negative_feedback", FIRST + 8 * DAY, "active", 5),  # revised
            ("acme", "o3", "chargeback", FIRST + 90 * DAY, "service", None),  # after as_of
        ],
        schema=DEFECTS_SCHEMA,
        orient="row",
    )
    days = unusual_days(orders, defects, as_of=FIRST + 70 * DAY)
    assert days.select("orders", "defective_orders").row(0) == (3, 1)
    with pytest.raises(ValueError, match="after as_of"):
        unusual_days(orders, defects, as_of=FIRST + 70 * DAY, end=FIRST + 71 * DAY)


def test_weekly_cohorts_add_up_the_days() -> None:
    orders, defects = synthetic_account(7, days=28, per_day=50)
    daily = unusual_days(orders, defects, as_of=AS_OF, start=FIRST + 2 * DAY)
    weekly = unusual_days(orders, defects, as_of=AS_OF, start=FIRST + 2 * DAY, freq="1w")
    assert weekly["orders"].sum() == daily["orders"].sum() == 26 * 50
    assert weekly["defective_orders"].sum() == daily["defective_orders"].sum()
    # 2024-01-01 is a Monday: weeks start on Mondays; the first one is cut by start (Jan 3)
    assert weekly["cohort_start"][0] == D(2024, 1, 1)
    assert weekly["orders"][0] == 5 * 50
    assert (weekly["cohort_end"] - weekly["cohort_start"]).dt.total_days().max() == 6
    assert weekly["center"][0] == pytest.approx(daily["center"][0])


def test_unusual_days_refuses_bad_arguments() -> None:
    orders, defects = synthetic_account(0, days=3, per_day=5)
    with pytest.raises(ValueError, match="freq"):
        unusual_days(orders, defects, as_of=AS_OF, freq="1m")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sigma"):
        unusual_days(orders, defects, as_of=AS_OF, sigma=0)
    with pytest.raises(ValueError, match="mature_days"):
        unusual_days(orders, defects, as_of=AS_OF, mature_days=-1)
    with pytest.raises(ValueError, match="after end"):
        unusual_days(orders, defects, as_of=AS_OF, start=FIRST + 2 * DAY, end=FIRST)


@st.composite
def small_accounts(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    n = draw(st.integers(1, 40))
    orders = [
        {
            "account": "a",
            "marketplace": "Amazon.com",
            "order_id": f"o{i}",
            "order_date": FIRST + draw(st.integers(0, 30)) * DAY,
            "channel": draw(st.sampled_from(["AFN", "MFN"])),
        }
        for i in range(n)
    ]
    defects = [
        {
            "account": "a",
            "order_id": f"o{draw(st.integers(0, n - 1))}",
            "kind": "negative_feedback",
            "event_date": FIRST + draw(st.integers(0, 120)) * DAY,
            "status": draw(st.sampled_from(["active", "removed"])),
            "rating": draw(st.integers(1, 5)),
        }
        for _ in range(draw(st.integers(0, 25)))
    ]
    return orders, defects


@settings(max_examples=60)
@given(data=small_accounts(), as_of=st.integers(20, 130))
def test_cohort_counts_add_up_to_the_engine_window(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]], as_of: int
) -> None:
    # The daily cohorts over exactly the window of report date `as_of` hold the engine's counts.
    rules = OdrRules(window_days=10, lag_days=3)
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA)
    d = pl.DataFrame(data[1], schema=DEFECTS_SCHEMA)
    day = FIRST + as_of * DAY
    window = rules.window(day)
    days = unusual_days(o, d, as_of=day, rules=rules, start=window.start, end=window.end)
    sums = days.group_by("account", "marketplace", "channel").agg(
        pl.col("orders", "defective_orders").sum()
    )
    engine = odr(o, d, as_of=day, rules=rules).filter(pl.col("order_count") > 0)
    joined = engine.join(sums, on=["account", "marketplace", "channel"], how="full")
    assert joined.height == engine.height
    assert joined["order_count"].to_list() == joined["orders"].to_list()
    assert joined["defective_orders"].to_list() == joined["defective_orders_right"].to_list()
