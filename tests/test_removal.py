"""Removal scenarios and the removal ranking: hand-worked cases, property tests against the
engine, edge cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import pytest
from builders import (
    BASE,
    DAY,
    KEYS,
    SAMPLE_AS_OF,
    business_fixture,
    claim,
    engine_view,
    feedback,
    make_defects,
    make_orders,
    one,
    random_frames,
    rules_with_targets,
    sample_account,
    slow,
    sort_path,
    three_groups_fixture,
    two_channel_orders,
)
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from odr_analysis.defects import counted_defects
from odr_analysis.engine import odr, odr_daily
from odr_analysis.parts import prepare
from odr_analysis.removal import (
    APPEALABLE_CLAIM_STATUSES,
    Removal,
    removal_ranking,
    simulate_removal,
)
from odr_analysis.rules import OdrRules
from odr_analysis.schema import ORDERS_SCHEMA, STATUSES, empty_defects, empty_orders

D = dt.date


# =================================================================================================
# Removal scenarios


def removal_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    orders = make_orders(10, D(2024, 1, 5))
    defects = make_defects(
        [
            feedback("acme-0", D(2024, 1, 10), 1),
            feedback("acme-1", D(2024, 1, 12), 2),
            feedback("acme-1", D(2024, 1, 20), 1),  # the newest feedback: 01-20 (acme-1)
            feedback("acme-2", D(2024, 1, 20), 2),  # same day: ties go by order id
            feedback("acme-3", D(2024, 1, 25), 1),
            feedback("acme-3", D(2024, 1, 26), 4),  # revised: no longer counts
            claim("acme-4", D(2024, 1, 11), "pending"),
            claim("acme-5", D(2024, 1, 12), "granted"),
            claim("acme-6", D(2024, 1, 13), "seller_refunded"),
            claim("acme-0", D(2024, 1, 14), "denied"),
            ("acme", "acme-7", "chargeback", D(2024, 1, 15), "service", None),
        ]
    )
    return orders, defects


def remaining(removal: Removal, **kwargs: Any) -> list[tuple[str, str, dt.date]]:
    _, defects = removal_fixture()
    out = removal.apply(defects, **kwargs)
    return sorted(out.select("order_id", "kind", "event_date").rows())


def test_removal_selectors() -> None:
    _, defects = removal_fixture()
    every = sorted(defects.select("order_id", "kind", "event_date").rows())
    assert remaining(Removal()) == every
    # ids only: every defect of those orders
    assert {r[0] for r in remaining(Removal(order_ids=("acme-0",)))} == {
        f"acme-{i}" for i in range(1, 8)
    }
    # kinds only: every defect of that kind
    assert {r[1] for r in remaining(Removal(kinds=("negative_feedback",)))} == {
        "a_to_z_claim",
        "chargeback",
    }
    # ids AND kinds: acme-0's feedback goes, its denied claim stays
    rest = remaining(Removal(order_ids=("acme-0",), kinds=("negative_feedback",)))
    assert ("acme-0", "a_to_z_claim", D(2024, 1, 14)) in rest
    assert all(not (r[0] == "acme-0" and r[1] == "negative_feedback") for r in rest)
    # appealable claims: pending and granted go; seller_refunded and denied stay
    assert {"pending", "granted"} == APPEALABLE_CLAIM_STATUSES
    claims = [r[0] for r in remaining(Removal(appealable_claims=True)) if r[1] == "a_to_z_claim"]
    assert sorted(claims) == ["acme-0", "acme-6"]
    # selectors combine as a union
    both = remaining(Removal(kinds=("chargeback",), appealable_claims=True))
    assert {r[0] for r in both if r[1] != "negative_feedback"} == {"acme-0", "acme-6"}


def test_newest_feedback_removes_every_feedback_row_of_the_order() -> None:
    # counted feedback on 2024-01-30: acme-1 (latest row 01-20), acme-2 (01-20), acme-0 (01-10);
    # acme-3 was revised to 4 stars. Newest two: acme-1, acme-2 (same day, by order id).
    rest = remaining(Removal(newest_feedback=2), as_of="2024-01-30")
    fb = sorted({r[0] for r in rest if r[1] == "negative_feedback"})
    assert fb == ["acme-0", "acme-3"]  # acme-1's earlier 2-star row went too
    # known on 2024-01-15 only acme-0 (01-10) and acme-1 (01-12) count: newest is acme-1
    rest = remaining(Removal(newest_feedback=1), as_of="2024-01-15")
    assert sorted({r[0] for r in rest if r[1] == "negative_feedback"}) == [
        "acme-0",
        "acme-2",
        "acme-3",
    ]
    # removing more than exist removes them all, nothing else
    rest = remaining(Removal(newest_feedback=50), as_of="2024-01-30")
    assert sorted({r[0] for r in rest if r[1] == "negative_feedback"}) == ["acme-3"]


def test_removal_is_a_value_with_a_description() -> None:
    a = Removal(order_ids=["111-1", "111-2"], kinds=["a_to_z_claim"])  # type: ignore[arg-type]
    assert a == Removal(order_ids=("111-1", "111-2"), kinds=("a_to_z_claim",))
    assert hash(a) == hash(Removal(order_ids=("111-1", "111-2"), kinds=("a_to_z_claim",)))
    assert a.describe() == "removing the A-to-z claims of orders 111-1, 111-2"
    assert Removal(kinds=("chargeback",)).describe() == "removing every chargeback"
    assert Removal(order_ids=("x",)).describe() == "removing every defect of order x"
    assert Removal(newest_feedback=1).describe() == "removing the newest negative feedback"
    assert Removal(appealable_claims=True, newest_feedback=2).describe() == (
        "removing the 2 newest negative feedbacks and every appealable A-to-z claim "
        "(pending or granted)"
    )
    assert Removal(label="win the appeal").describe() == "win the appeal"
    assert Removal().describe() == "removing nothing" and Removal().is_empty
    with pytest.raises(ValueError, match="kinds holds"):
        Removal(kinds=("feedback",))
    with pytest.raises(TypeError, match="not the string"):
        Removal(order_ids="111-1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="newest_feedback"):
        Removal(newest_feedback=-1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.kinds = ()  # type: ignore[misc]


def test_apply_keeps_the_frame_type_and_does_not_mutate() -> None:
    _, defects = removal_fixture()
    before = defects.clone()
    lazy = Removal(kinds=("chargeback",)).apply(defects.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == defects.height - 1
    assert_frame_equal(defects, before)


def test_simulate_removal_hand_worked() -> None:
    # 200 orders of 2024-01-01: in the windows of report dates 01-15 .. 03-14. Three granted
    # claims: 3/200 = 1.5%. as_of 01-21, horizon 90: report dates 01-21 .. 04-20; the orders
    # are in the windows of 01-21 .. 03-14 = 54 days, all above 1%; after that no order.
    orders = make_orders(200, D(2024, 1, 1))
    defects = make_defects([claim(f"acme-{i}", D(2024, 1, 10)) for i in range(3)])
    as_of = D(2024, 1, 21)
    two = simulate_removal(
        orders,
        defects,
        removal=Removal(order_ids=("acme-0", "acme-1")),
        as_of=as_of,
        daily_orders=0,
    )
    row = one(two.summary)
    # 1 / 200 = 0.5%: no day above any more
    assert (row["odr_before"], row["odr_after"]) == (0.015, 0.005)
    assert (row["days_above_before"], row["days_above_after"], row["days_saved"]) == (54, 0, 54)
    assert two.days_saved == 54
    assert two.before.height == two.after.height == 91
    assert two.describe() == (
        "removing every defect of orders acme-0, acme-1: acme Amazon.com MFN: 1.50% -> 0.50% "
        "today, 54 fewer days above 1% (next 90 days)"
    )
    # one removed: 2 / 200 = exactly 1%, still not under the target: nothing saved
    single = simulate_removal(
        orders, defects, removal=Removal(order_ids=("acme-0",)), as_of=as_of, daily_orders=0
    )
    assert one(single.summary)["days_saved"] == 0
    assert "no fewer days above 1%" in single.describe()
    # with 4 clean orders a day from 01-22 on, m days of them are in the window of 02-04 + m
    # (m = 1 .. 39 up to 03-14). After the removal 2 / (200 + 4m) is always under 1%; before,
    # 3 / (200 + 4m) is at or above 1% while 200 + 4m <= 300, i.e. m <= 25: 25 days saved
    # (02-05 .. 03-01). On 01-21 .. 02-04 2 / 200 is still exactly 1%.
    busy = simulate_removal(
        orders, defects, removal=Removal(order_ids=("acme-0",)), as_of=as_of, daily_orders=4
    )
    assert one(busy.summary)["days_saved"] == 25
    assert busy.daily_orders.select("daily_orders", "source").rows() == [(4.0, "as given")]


@slow
@given(
    data=random_frames(),
    as_of=st.integers(5, 100),
    rules=rules_with_targets,
    pick=st.lists(st.integers(0, 39), max_size=3),
    kinds=st.lists(st.sampled_from(list(STATUSES)), max_size=2, unique=True),
    newest=st.integers(0, 3),
    appealable=st.booleans(),
    per_day=st.sampled_from([0, 2]),
    use_parts=st.booleans(),
)
def test_removal_path_equals_engine_without_the_rows(  # noqa: PLR0917
    data: tuple[pl.DataFrame, pl.DataFrame],
    as_of: int,
    rules: OdrRules,
    pick: list[int],
    kinds: list[str],
    newest: int,
    appealable: bool,
    per_day: int,
    use_parts: bool,
) -> None:
    orders, defects = data
    day = BASE + as_of * DAY
    ids = sorted(set(defects["order_id"]))  # pick among the orders that have defects
    removal = Removal(
        order_ids=tuple(ids[i % len(ids)] for i in pick) if ids else (),
        kinds=tuple(kinds),
        newest_feedback=newest,
        appealable_claims=appealable,
    )
    horizon = 50
    if use_parts:
        result = simulate_removal(
            prepare(orders, defects, rules=rules),
            defects,
            removal=removal,
            as_of=day,
            horizon=horizon,
            daily_orders=per_day,
        )
    else:
        result = simulate_removal(
            orders,
            defects,
            removal=removal,
            as_of=day,
            horizon=horizon,
            rules=rules,
            daily_orders=per_day,
        )
    known_orders, known_defects = engine_view(orders, defects, day)
    if per_day:  # the same clean future orders, as rows
        groups = known_orders.select(KEYS).unique().rows()
        extra = [
            pl.DataFrame(
                {
                    "account": a,
                    "marketplace": m,
                    "order_id": [f"f-{a}-{c}-{i}-{j}" for j in range(per_day)],
                    "order_date": day + i * DAY,
                    "channel": c,
                },
                schema=ORDERS_SCHEMA,
            )
            for a, m, c in groups
            for i in range(1, horizon + 1)
        ]
        known_orders = pl.concat([known_orders, *extra])
    end = day + horizon * DAY
    kept = removal.apply(defects, as_of=day, rules=rules).filter(pl.col("event_date") <= day)
    after = odr_daily(known_orders, kept, start=day, end=end, rules=rules)
    before = odr_daily(known_orders, known_defects, start=day, end=end, rules=rules)
    assert_frame_equal(sort_path(result.after), sort_path(after))
    assert_frame_equal(sort_path(result.before), sort_path(before))
    above_before = before.group_by(KEYS).agg(x=(pl.col("meets_target") == False).sum())  # noqa: E712
    above_after = after.group_by(KEYS).agg(y=(pl.col("meets_target") == False).sum())  # noqa: E712
    check = result.summary.join(above_before, on=KEYS).join(above_after, on=KEYS)
    assert (check["days_above_before"] == check["x"]).all()
    assert (check["days_saved"] == check["x"] - check["y"]).all()


def test_appealable_claims_on_parts_need_the_defects() -> None:
    orders, defects = removal_fixture()
    parts = prepare(orders, defects)
    with pytest.raises(ValueError, match="pass defects="):
        simulate_removal(parts, removal=Removal(appealable_claims=True), as_of="2024-01-30")
    with pytest.raises(TypeError, match="defects is required"):
        simulate_removal(orders, removal=Removal(), as_of="2024-01-30")
    with pytest.raises(TypeError, match="must be a Removal"):
        simulate_removal(parts, removal="acme-1", as_of="2024-01-30")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="daily_orders must be >= 0"):
        simulate_removal(parts, removal=Removal(), as_of="2024-01-30", daily_orders=-1)
    # the rebuilt spans keep the order's other counting claim row
    two_claims = make_defects(
        [
            claim("acme-4", D(2024, 1, 11), "pending"),
            claim("acme-4", D(2024, 1, 16), "seller_refunded"),
        ]
    )
    rebuilt = Removal(appealable_claims=True).apply_to_parts(
        prepare(orders, two_claims), as_of="2024-01-30", defects=two_claims
    )
    assert rebuilt.defect_spans.select("order_id", "counted_from").rows() == [
        ("acme-4", D(2024, 1, 16))
    ]


def test_recent_average_is_the_default_future_orders() -> None:
    # 28 orders a day on the 28 order dates before as_of: 28 clean orders a day assumed
    orders = pl.concat(
        [make_orders(28, D(2024, 1, 1) + i * DAY, prefix=f"d{i}") for i in range(40)]
    )
    defects = make_defects([claim("d0-0", D(2024, 1, 3))])
    as_of = D(2024, 2, 9)
    result = simulate_removal(orders, defects, removal=Removal(), as_of=as_of, horizon=30)
    assert result.daily_orders.select("daily_orders", "source").rows() == [
        (28.0, "average of the last 28 days")
    ]
    explicit = simulate_removal(
        orders, defects, removal=Removal(), as_of=as_of, horizon=30, daily_orders=28
    )
    assert_frame_equal(result.before, explicit.before)
    frame = pl.DataFrame(
        {
            "account": ["acme"],
            "marketplace": ["Amazon.com"],
            "channel": ["MFN"],
            "daily_orders": [28.0],
        }
    )
    by_frame = simulate_removal(
        orders, defects, removal=Removal(), as_of=as_of, horizon=30, daily_orders=frame
    )
    assert_frame_equal(result.before, by_frame.before)
    # a fractional mean is spread as whole orders: 2.5 a day -> 3, 2, 3, 2, ... (day i gets
    # round(2.5 i) - round(2.5 (i - 1)), halves rounded up)
    half = simulate_removal(
        orders, defects, removal=Removal(), as_of=as_of, horizon=30, daily_orders=2.5
    )
    without = simulate_removal(
        orders, defects, removal=Removal(), as_of=as_of, horizon=30, daily_orders=0
    )
    gained = half.before["order_count"] - without.before["order_count"]
    # order dates after as_of enter the window 14 days later: on as_of + 14 + i, i days of them
    assert gained[:15].to_list() == [0] * 15
    assert gained[15:19].to_list() == [3, 5, 8, 10]


# =================================================================================================
# Removal ranking


def test_removal_ranking_hand_worked() -> None:
    # 100 orders of 01-01 (in the windows of 01-15 .. 03-14) and 100 of 01-31 (02-14 .. 04-13).
    # as_of 02-20: 200 orders in the window, 3 defective = 1.5%.
    orders = pl.concat(
        [
            make_orders(100, D(2024, 1, 1), prefix="old"),
            make_orders(100, D(2024, 1, 31), prefix="new"),
        ]
    )
    defects = make_defects(
        [
            claim("old-0", D(2024, 1, 10)),
            claim("new-0", D(2024, 2, 5)),
            claim("new-1", D(2024, 2, 6)),
            feedback("new-1", D(2024, 2, 7), 1),  # a second kind on new-1
        ]
    )
    table = removal_ranking(orders, defects, as_of="2024-02-20", horizon=60, daily_orders=0)
    rows = table.select("rank", "order_id", "kind", "days_saved", "also_has").rows()
    # Days 02-20 .. 03-14 (24 days): 3/200 = 1.5%, 2/200 = 1% is not under: nothing saved.
    # Days 03-15 .. 04-13 (30 days): the old orders left: 2/100 = 2%, 1/100 = 1%: nothing.
    # So no single removal saves a day here:
    assert [r[3] for r in rows] == [0, 0, 0, 0]
    # ties: the later leaves_window_on first (new orders leave on 04-14), then order id, kind
    assert [r[1:3] for r in rows] == [
        ("new-0", "a_to_z_claim"),
        ("new-1", "negative_feedback"),
        ("new-1", "a_to_z_claim"),
        ("old-0", "a_to_z_claim"),
    ]
    assert one(table, order_id="new-1", kind="a_to_z_claim")["also_has"] == ["negative_feedback"]
    assert one(table, order_id="new-1", kind="a_to_z_claim")["status"] == "granted"
    # with 300 more clean orders of 01-31 the rates halve: 3/500 = 0.6% today; after old orders
    # leave: 2/400 = 0.5%... add a fourth defect instead, to make days critical:
    defects4 = pl.concat([defects, make_defects([claim("new-2", D(2024, 2, 8))])])
    orders4 = pl.concat([orders, make_orders(200, D(2024, 1, 31), prefix="more")])
    # 02-20 .. 03-14: 4 defective / 400 = 1%, critical (3/400 < 1%): 24 days
    # 03-15 .. 04-13: old orders gone: 3 / 300 = 1%, critical: 30 days
    table4 = removal_ranking(orders4, defects4, as_of="2024-02-20", horizon=60, daily_orders=0)
    got = {(r["order_id"], r["kind"]): r["days_saved"] for r in table4.iter_rows(named=True)}
    assert got[("new-0", "a_to_z_claim")] == 24 + 30  # recent: worth more
    assert got[("new-2", "a_to_z_claim")] == 54
    assert got[("old-0", "a_to_z_claim")] == 24  # leaves on 03-15
    assert got[("new-1", "a_to_z_claim")] == 0  # the feedback still counts on new-1
    assert got[("new-1", "negative_feedback")] == 0
    top = table4.row(0, named=True)
    assert (top["rank"], top["days_saved"]) == (1, 54)
    assert top["rate_today_without"] == 3 / 400
    assert one(table4, order_id="new-1", kind="a_to_z_claim")["rate_today_without"] == 4 / 400


@slow
@given(
    data=random_frames(max_orders=30),
    as_of=st.integers(5, 100),
    rules=rules_with_targets,
    horizon=st.integers(0, 80),
    per_day=st.sampled_from([0, 1, 3]),
    which=st.lists(st.integers(0, 10_000), min_size=1, max_size=3),
)
def test_ranking_days_saved_equal_two_engine_runs(  # noqa: PLR0917
    data: tuple[pl.DataFrame, pl.DataFrame],
    as_of: int,
    rules: OdrRules,
    horizon: int,
    per_day: int,
    which: list[int],
) -> None:
    orders, defects = data
    day = BASE + as_of * DAY
    table = removal_ranking(
        orders, defects, as_of=day, horizon=horizon, rules=rules, daily_orders=per_day
    )
    known_orders, known_defects = engine_view(orders, defects, day)
    groups = known_orders.select(KEYS).unique().rows()
    extra = [
        pl.DataFrame(
            {
                "account": a,
                "marketplace": m,
                "order_id": [f"f-{a}-{c}-{i}-{j}" for j in range(per_day)],
                "order_date": day + i * DAY,
                "channel": c,
            },
            schema=ORDERS_SCHEMA,
        )
        for a, m, c in groups
        for i in range(1, horizon + 1)
    ]
    all_orders = pl.concat([known_orders, *extra])
    end = day + horizon * DAY

    def above(frame: pl.DataFrame) -> dict[tuple[str, str, str], int]:
        path = odr_daily(all_orders, frame, start=day, end=end, rules=rules)
        counts = path.group_by(KEYS).agg(n=(pl.col("meets_target") == False).sum())  # noqa: E712
        return {tuple(r[:3]): r[3] for r in counts.rows()}

    base = above(known_defects)
    # every candidate counts in some window of the horizon; nothing else is a candidate
    expected = set()
    for offset in range(horizon + 1):
        d = day + offset * DAY
        window = rules.window(d)
        flags = counted_defects(known_defects, as_of=d, rules=rules)
        joined = known_orders.join(flags, on=["account", "order_id"]).filter(
            pl.col("order_date").is_between(window.start, window.end)
        )
        for kind in STATUSES:
            expected |= {(o, kind) for o in joined.filter(pl.col(kind))["order_id"]}
    assert set(zip(table["order_id"], table["kind"], strict=True)) == expected
    assert table["rank"].to_list() == list(range(1, table.height + 1))
    if not table.height:
        return
    for pick in which:
        row = table.row(pick % table.height, named=True)
        without = known_defects.filter(
            ~(
                (pl.col("account") == row["account"])
                & (pl.col("order_id") == row["order_id"])
                & (pl.col("kind") == row["kind"])
            )
        )
        key = (row["account"], row["marketplace"], row["channel"])
        assert row["days_saved"] == base[key] - above(without)[key]
        today = one(
            odr(known_orders, without, as_of=day, rules=rules),
            account=key[0],
            marketplace=key[1],
            channel=key[2],
        )
        assert row["rate_today_without"] == today["odr"]
    # sorted by days saved, then the later leaves_window_on
    ordered = table.select("days_saved", "leaves_window_on").rows()
    assert ordered == sorted(ordered, key=lambda r: (-r[0], -r[1].toordinal()))


# =================================================================================================
# Edge cases (the same inputs as in test_dropoff.py and test_headroom.py)


def test_no_orders() -> None:
    orders, defects = empty_orders(), empty_defects()
    result = simulate_removal(
        orders, defects, removal=Removal(newest_feedback=1), as_of="2024-02-01"
    )
    assert result.summary.height == 0 and result.days_saved == 0
    assert result.describe() == "removing the newest negative feedback: no orders (next 90 days)"
    ranking = removal_ranking(orders, defects, as_of="2024-02-01")
    assert ranking.height == 0 and "days_saved" in ranking.columns


def test_no_defects_and_a_group_without_defects() -> None:
    orders = two_channel_orders()
    no_defects = empty_defects()
    assert removal_ranking(orders, no_defects, as_of="2024-02-01").height == 0
    # one defect on MFN only: the AFN group is there with nothing to remove
    defects = make_defects([claim("acme-0", D(2024, 1, 20))])
    result = simulate_removal(
        orders, defects, removal=Removal(kinds=("a_to_z_claim",)), as_of="2024-02-01"
    )
    afn = one(result.summary, channel="AFN")
    mfn = one(result.summary, channel="MFN")
    assert (afn["odr_before"], afn["odr_after"], afn["days_saved"]) == (0.0, 0.0, 0)
    assert (mfn["odr_before"], mfn["odr_after"]) == (0.02, 0.0)  # 1 / 50
    assert mfn["days_saved"] > 0


def test_several_accounts_and_channels_at_once() -> None:
    orders, defects = three_groups_fixture()
    as_of = D(2024, 2, 1)
    ranking = removal_ranking(orders, defects, as_of=as_of, daily_orders=0)
    assert set(ranking["account"]) == {"a", "b"}
    # b's only defect: removing it brings 1% -> 0% on every day the orders are in the window
    assert one(ranking, account="b")["days_saved"] == (D(2024, 3, 24) - as_of).days
    result = simulate_removal(orders, defects, removal=Removal(order_ids=("b-1",)), as_of=as_of)
    assert one(result.summary, account="a", channel="MFN")["days_saved"] == 0
    assert "b Amazon.com MFN: 1.00% -> 0.00% today" in result.describe()


def test_sample_account_ranking_lists_every_defective_order() -> None:
    account = sample_account()
    engine = one(odr(account.orders, account.defects, as_of=SAMPLE_AS_OF), channel="MFN")
    ranking = removal_ranking(account.orders, account.defects, as_of=SAMPLE_AS_OF)
    assert ranking.height == engine["defective_orders"]  # one counted kind per order here
    assert ranking["status"].null_count() == 0


def test_extra_group_keys_are_carried() -> None:
    # the B2B view: prepare(..., by=("is_business",)) adds a group key to every answer
    orders, defects = business_fixture()
    parts = prepare(orders, defects, by=("is_business",))
    as_of = D(2024, 2, 1)
    result = simulate_removal(
        parts,
        defects,
        removal=Removal(appealable_claims=True),
        as_of=as_of,
        daily_orders=0,
    )
    assert result.summary["odr_after"].to_list() == [0.0, 0.0]
    ranking = removal_ranking(parts, defects, as_of=as_of, daily_orders=0)
    # same days saved (both groups are above 1% on every day the orders are in the window) and
    # the same leaves_window_on: ties go by the group keys
    assert ranking.select("is_business", "order_id", "status", "days_saved").rows() == [
        # orders of 01-10 are in the windows up to 03-23: 02-01 .. 03-23 is 29 + 23 days
        (False, "acme-1", "granted", 52),
        (True, "acme-0", "granted", 52),
    ]
