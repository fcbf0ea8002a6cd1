"""explain_change / explain_daily: hand-worked splits, a plain-Python reference and properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from fractions import Fraction
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odr_analysis import words
from odr_analysis.defects import counted_defects
from odr_analysis.engine import odr
from odr_analysis.explain import EXPLAIN_COLUMNS, PARTS, explain_change, explain_daily
from odr_analysis.parts import prepare
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, ORDERS_SCHEMA, STATUSES, empty_defects

D = dt.date
DAY = dt.timedelta(days=1)
# A one- or two-day window with no lag keeps the hand arithmetic short: on report date t the
# window holds the orders of [t - window_days + 1, t].
ONE_DAY = OdrRules(window_days=1, lag_days=0)
TWO_DAYS = OdrRules(window_days=2, lag_days=0)
T0 = D(2024, 3, 1)


def orders_on(plan: list[tuple[dt.date, int]], *, channel: str = "MFN") -> pl.DataFrame:
    """``[(date, how many)]`` -> orders ``o0, o1, ...`` in that sequence."""
    dates = [day for day, count in plan for _ in range(count)]
    return pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "order_id": [f"o{i}" for i in range(len(dates))],
            "order_date": dates,
            "channel": channel,
        },
        schema=ORDERS_SCHEMA,
    )


def chargeback(order_id: str, day: dt.date) -> tuple[Any, ...]:
    return ("acme", order_id, "chargeback", day, "service", None)


def feedback(order_id: str, day: dt.date, rating: int, status: str = "active") -> tuple[Any, ...]:
    return ("acme", order_id, "negative_feedback", day, status, rating)


def defects_of(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DEFECTS_SCHEMA, orient="row")


def only_row(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


# --- hand-worked splits ------------------------------------------------------------------------


def test_only_clean_orders_leave_all_of_the_rise_is_clean_left() -> None:
    # Two-day window. Start (T0+1): 5 clean orders of T0 + 5 of T0+1, one defective = 1/10.
    # End (T0+2): the T0 orders left, nothing entered: 1/5. Change +0.1, all clean_left.
    orders = orders_on([(T0, 5), (T0 + DAY, 5)])
    defects = defects_of([chargeback("o9", T0)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + DAY, end=T0 + 2 * DAY, rules=TWO_DAYS)
        )
    )
    assert (row["odr_start"], row["odr_end"]) == (0.1, 0.2)
    assert row["clean_left"] == row["change"]  # exactly: one step moves, it gets the change
    assert (row["new_defects"], row["defective_left"], row["new_orders"]) == (0.0, 0.0, 0.0)
    assert (row["clean_left_orders"], row["entered_orders"], row["staying_orders"]) == (5, 0, 5)
    assert row["message"] == (
        "Your Amazon.com MFN ODR rose from 10.00% to 20.00% (+10.00 points) between 2024-03-02 "
        "and 2024-03-03 although no new defect arrived: 5 clean orders left the window "
        "(+10.00 points)"
    )


def test_clean_orders_swap_two_steps_share_the_change() -> None:
    # Start (T0+1): 5 clean (T0) + 5 (T0+1, o9 defective) = 1/10; end (T0+2): the 5 clean T0
    # orders left and 5 clean orders of T0+2 entered = 1/10. Change 0, but two steps moved:
    #   f(nothing) = 1/10, f(clean_left) = 1/5, f(new_orders) = 1/15, f(both) = 1/10
    #   clean_left = ((1/5 - 1/10) + (1/10 - 1/15)) / 2 = (1/10 + 1/30) / 2 = 1/15
    #   new_orders = ((1/15 - 1/10) + (1/10 - 1/5)) / 2 = -1/15
    orders = orders_on([(T0, 5), (T0 + DAY, 5), (T0 + 2 * DAY, 5)])
    defects = defects_of([chargeback("o9", T0)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + DAY, end=T0 + 2 * DAY, rules=TWO_DAYS)
        )
    )
    assert row["change"] == 0
    assert row["clean_left"] == pytest.approx(1 / 15, abs=1e-15)
    assert row["new_orders"] == pytest.approx(-1 / 15, abs=1e-15)
    assert (row["new_defects"], row["defective_left"]) == (0.0, 0.0)
    assert row["message"].startswith("Your Amazon.com MFN ODR stayed at 10.00% between")
    assert row["message"].endswith(
        ": 5 clean orders left the window (+6.67 points); "
        "5 orders entered the window (-6.67 points)"
    )


def test_windows_without_common_orders_average_the_feasible_step_orders() -> None:
    # One-day window: start T0 shows the 4 orders of T0 (o0 defective) = 1/4; end T0+1 shows the
    # 2 clean orders of T0+1 = 0. Nothing stays, so the states (defective, orders) are:
    #   {} 1/4   {new} 1/6   {def_left} 0/3   {clean_left} 1/1   {new, def_left} 0/5
    #   {new, clean_left} 1/3   {def_left, clean_left} 0/0 (empty!)   {all three} 0/2
    # The orders passing through the empty window, (dl, cl, no) and (cl, dl, no), are left out;
    # the 4 feasible ones (new_defects moves nothing, so its place does not matter):
    #   (no, dl, cl): no -1/12, dl -1/6, cl 0       (no, cl, dl): no -1/12, cl +1/6, dl -1/3
    #   (dl, no, cl): dl -1/4, no 0, cl 0           (cl, no, dl): cl +3/4, no -2/3, dl -1/3
    #   new_orders = (-1/12 - 1/12 + 0 - 2/3) / 4 = -5/24
    #   defective_left = (-1/6 - 1/3 - 1/4 - 1/3) / 4 = -13/48
    #   clean_left = (0 + 1/6 + 0 + 3/4) / 4 = 11/48;   sum = -12/48 = -1/4 = the change
    orders = orders_on([(T0, 4), (T0 + DAY, 2)])
    defects = defects_of([chargeback("o0", T0)])
    row = only_row(explain_change(orders, defects, start=T0, end=T0 + DAY, rules=ONE_DAY))
    assert row["change"] == -0.25
    assert row["new_orders"] == pytest.approx(-5 / 24, abs=1e-15)
    assert row["defective_left"] == pytest.approx(-13 / 48, abs=1e-15)
    assert row["clean_left"] == pytest.approx(11 / 48, abs=1e-15)
    assert row["new_defects"] == 0.0
    assert row["staying_orders"] == 0
    assert sum(row[p] for p in PARTS) == pytest.approx(row["change"], abs=1e-15)


def test_one_new_defect_and_no_order_moving_is_all_new_defects() -> None:
    # 60-day window, no lag: report dates T0+40 and T0+41 both show the same 10 orders (all
    # dated T0+10; nothing enters or leaves). A chargeback received on T0+41: 0/10 -> 1/10.
    rules = OdrRules(window_days=60, lag_days=0)
    orders = orders_on([(T0 + 10 * DAY, 10)])
    defects = defects_of([chargeback("o3", T0 + 41 * DAY)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + 40 * DAY, end=T0 + 41 * DAY, rules=rules)
        )
    )
    assert row["new_defects"] == row["change"] == 0.1
    assert (row["defective_left"], row["new_orders"], row["clean_left"]) == (0.0, 0.0, 0.0)
    assert row["new_defect_orders"] == 1
    assert row["message"].endswith(": 1 order got a new defect (+10.00 points)")


def test_feedback_revised_away_is_a_negative_new_defects_part() -> None:
    # 1-star on T0+20, revised to 4 stars on T0+45: counted on T0+40, not on T0+45. 1/10 -> 0/10.
    rules = OdrRules(window_days=60, lag_days=0)
    orders = orders_on([(T0 + 10 * DAY, 10)])
    defects = defects_of([feedback("o3", T0 + 20 * DAY, 1), feedback("o3", T0 + 45 * DAY, 4)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + 40 * DAY, end=T0 + 45 * DAY, rules=rules)
        )
    )
    assert row["new_defects"] == row["change"] == -0.1
    assert (row["new_defect_orders"], row["revised_away_orders"]) == (0, 1)
    assert "1 order's defect stopped counting (-10.00 points)" in row["message"]


def test_entering_orders_bring_defects_known_at_start_later_ones_are_new_defects() -> None:
    # Two-day window. Start T0+1: 4 clean orders (2 on T0, 2 on T0+1) = 0/4. End T0+2: the T0
    # orders left; o4, o5 of T0+2 entered. o4's feedback arrived on T0 (before start: it enters
    # with the order), o5's chargeback on T0+2 (after start: a new defect). End: 2/4.
    orders = orders_on([(T0, 2), (T0 + DAY, 2), (T0 + 2 * DAY, 2)])
    defects = defects_of([feedback("o4", T0, 2), chargeback("o5", T0 + 2 * DAY)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + DAY, end=T0 + 2 * DAY, rules=TWO_DAYS)
        )
    )
    assert (row["odr_start"], row["odr_end"]) == (0.0, 0.5)
    assert (row["entered_orders"], row["entered_defective_orders"]) == (2, 1)
    assert row["new_defect_orders"] == 1
    assert row["new_defects"] > 0
    assert row["new_orders"] > 0
    assert sum(row[p] for p in PARTS) == pytest.approx(0.5, abs=1e-15)
    assert "2 orders entered the window, 1 of them already defective" in row["message"]


def test_a_defect_arriving_on_an_order_that_left_changes_nothing() -> None:
    # o0 (T0) leaves between T0+1 and T0+2; its chargeback of T0+2 was not known on T0+1 and its
    # order is gone on T0+2: it is in no part and no count.
    orders = orders_on([(T0, 1), (T0 + DAY, 3)])
    defects = defects_of([chargeback("o0", T0 + 2 * DAY)])
    row = only_row(
        explain_change(orders, defects, start=T0 + DAY, end=T0 + 2 * DAY, rules=TWO_DAYS)
    )
    assert (row["odr_start"], row["odr_end"]) == (0.0, 0.0)
    assert (row["clean_left_orders"], row["defective_left_orders"]) == (1, 0)
    assert row["new_defect_orders"] == 0
    assert all(row[p] == 0 for p in PARTS)


def test_empty_windows_give_null_parts_with_a_reason_and_counts() -> None:
    orders = orders_on([(T0, 3)])
    defects = defects_of([chargeback("o1", T0)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0, end=T0 + DAY, rules=ONE_DAY)
        )
    )
    assert row["odr_start"] == pytest.approx(1 / 3)
    assert row["odr_end"] is None
    assert row["change"] is None
    assert all(row[p] is None for p in PARTS)
    assert row["reason"] == "no orders in the window on the end date: no rate to explain"
    assert (row["defective_left_orders"], row["clean_left_orders"]) == (1, 2)
    assert row["message"] == (
        "Your Amazon.com MFN ODR: was 33.33% on 2024-03-01; no orders in the window on the end "
        "date: no rate to explain (1 defective order left the window; "
        "2 clean orders left the window)"
    )
    before = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 - DAY, end=T0, rules=ONE_DAY)
        )
    )
    assert before["reason"] == "no orders in the window on the start date: no rate to explain"
    assert before["message"].startswith("Your Amazon.com MFN ODR: is 33.33% on 2024-03-01; ")
    neither = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + DAY, end=T0 + 5 * DAY, rules=ONE_DAY)
        )
    )
    assert neither["reason"].startswith("no orders in the window on either date")


def test_same_day_and_reversed_dates() -> None:
    orders = orders_on([(T0, 3)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, empty_defects(), start=T0, end=T0, rules=ONE_DAY)
        )
    )
    assert row["change"] == 0 and all(row[p] == 0 for p in PARTS)
    assert row["message"].endswith(
        "stayed at 0.00% between 2024-03-01 and 2024-03-01: "
        "no order entered or left the window and no defect changed"
    )
    with pytest.raises(ValueError, match="before start"):
        explain_change(orders, empty_defects(), start=T0 + DAY, end=T0)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        explain_change(orders, empty_defects(), start="01/03/2024", end=T0)


def test_forum_question_rose_with_no_new_defect() -> None:
    # "My ODR rose and I had no new defect": 1000 orders, 8 defective (0.80%) on the start date;
    # a week later 120 clean orders have left and only 40 entered: 8/920 = 0.87%.
    #   clean_left = ((8/880 - 8/1000) + (8/920 - 8/1040)) / 2 = (0.10909 + 0.10033) / 2 points
    #              = +0.1047 points;  new_orders = ((8/1040 - 8/1000) + (8/920 - 8/880)) / 2
    #              = (-0.03077 - 0.03953) / 2 = -0.0351 points; sum +0.0696 = 0.8696% - 0.80%
    rules = OdrRules(window_days=60, lag_days=0)
    start, end = T0 + 59 * DAY, T0 + 66 * DAY  # start window T0 .. T0+59, end T0+7 .. T0+66
    orders = orders_on([(T0, 120), (T0 + 30 * DAY, 880), (T0 + 62 * DAY, 40)])
    defects = defects_of([chargeback(f"o{200 + i}", T0 + 40 * DAY) for i in range(8)])
    row = only_row(
        words.with_change_words(explain_change(orders, defects, start=start, end=end, rules=rules))
    )
    assert (row["odr_start"], row["odr_end"]) == (0.008, 8 / 920)
    assert row["clean_left"] == pytest.approx((8 / 880 - 0.008 + 8 / 920 - 8 / 1040) / 2)
    assert row["new_orders"] == pytest.approx((8 / 1040 - 0.008 + 8 / 920 - 8 / 880) / 2)
    assert row["message"] == (
        "Your Amazon.com MFN ODR rose from 0.80% to 0.87% (+0.07 points) between 2024-04-29 and "
        "2024-05-06 although no new defect arrived: 120 clean orders left the window "
        "(+0.10 points); 40 orders entered the window (-0.04 points)"
    )


def test_groups_are_separate_and_inputs_untouched() -> None:
    orders = pl.concat(
        [
            orders_on([(T0, 2)], channel="AFN"),
            orders_on([(T0, 2)], channel="MFN").with_columns(pl.col("order_id") + "m"),
        ]
    )
    defects = defects_of([chargeback("o0m", T0)])
    copies = orders.clone(), defects.clone()
    out = explain_change(orders.lazy(), defects.lazy(), start=T0, end=T0 + DAY, rules=ONE_DAY)
    assert out.columns == list(EXPLAIN_COLUMNS)
    assert out["channel"].to_list() == ["AFN", "MFN"]
    assert out["defective_left_orders"].to_list() == [0, 1]
    assert orders.equals(copies[0]) and defects.equals(copies[1])


def test_from_parts_follows_an_edited_scenario() -> None:
    # Dropping o0's defect span (a removal scenario) is the same as explaining without it.
    orders = orders_on([(T0, 4), (T0 + DAY, 4)])
    defects = defects_of([chargeback("o0", T0), chargeback("o5", T0 + DAY)])
    parts = prepare(orders, defects, rules=TWO_DAYS)
    edited = dataclasses.replace(
        parts, defect_spans=parts.defect_spans.filter(pl.col("order_id") != "o0")
    )
    got = explain_change(edited, start=T0 + DAY, end=T0 + 2 * DAY)
    want = explain_change(
        orders,
        defects.filter(pl.col("order_id") != "o0"),
        start=T0 + DAY,
        end=T0 + 2 * DAY,
        rules=TWO_DAYS,
    )
    assert got.equals(want)


# --- a plain-Python reference and properties against the engine ---------------------------------

BASE = D(2024, 1, 1)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    n = draw(st.integers(0, 40))
    orders = [
        {
            "account": "a",
            "marketplace": "Amazon.com",
            "order_id": f"o{i}",
            "order_date": BASE + draw(st.integers(0, 40)) * DAY,
            "channel": draw(st.sampled_from(["AFN", "MFN"])),
        }
        for i in range(n)
    ]
    defects = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(list(STATUSES)))
        # mostly on an order, a few days to weeks after it (so defects arrive between the two
        # report dates, before an order enters the window, after it left ...); some on no order
        number = draw(st.one_of(st.integers(0, min(n, 6)), st.integers(0, n + 2)))
        placed = orders[number]["order_date"] if number < n else BASE
        defects.append(
            {
                "account": "a",
                "order_id": f"o{number}",
                "kind": kind,
                "event_date": placed + draw(st.one_of(st.integers(0, 5), st.integers(0, 25))) * DAY,
                # mostly the first (counted) status, so counted defects are common
                "status": draw(
                    st.one_of(
                        st.just(STATUSES[kind][0]),
                        st.just(STATUSES[kind][0]),
                        st.sampled_from(STATUSES[kind]),
                    )
                ),
                # feedback rows on one order revise each other: 1-2 stars count, 3-5 do not
                "rating": draw(st.integers(1, 5)) if kind == "negative_feedback" else None,
            }
        )
    # a few negative feedbacks revised, removed or struck through some days later
    for _ in range(draw(st.integers(0, 5)) if n else 0):
        order = orders[draw(st.integers(0, n - 1))]
        given_on = order["order_date"] + draw(st.integers(0, 10)) * DAY
        revised_on = given_on + draw(st.integers(1, 20)) * DAY
        defects.append(
            {
                **order,
                "kind": "negative_feedback",
                "event_date": given_on,
                "status": "active",
                "rating": 1,
            }
        )
        revision = draw(st.sampled_from(["active", "removed", "struck_through", "withdrawn"]))
        defects.append(
            {
                **order,
                "kind": "negative_feedback",
                "event_date": revised_on,
                "status": revision,
                "rating": 5 if revision == "active" else 1,
            }
        )
    columns = ("account", "order_id", "kind", "event_date", "status", "rating")
    return orders, [{c: row[c] for c in columns} for row in defects]


rules_strategy = st.builds(
    OdrRules, window_days=st.sampled_from([1, 3, 10, 30]), lag_days=st.sampled_from([0, 2, 14])
)


def reference_split(
    orders: list[dict[str, Any]],
    defects: pl.DataFrame,
    start: dt.date,
    end: dt.date,
    rules: OdrRules,
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Straight from the definition, one order at a time, in exact fractions."""
    defective = {
        day: {
            (r["account"], r["order_id"])
            for r in counted_defects(defects, as_of=day, rules=rules).iter_rows(named=True)
        }
        for day in (start, end)
    }
    ws, we = rules.window(start), rules.window(end)
    result: dict[tuple[str, str, str], dict[str, Any]] = {}
    for o in orders:
        group = (o["account"], o["marketplace"], o["channel"])
        c = result.setdefault(group, dict.fromkeys(["K", "S", "s", "Ld", "Lc", "E", "Ed", "ne"], 0))
        key = (o["account"], o["order_id"])
        in_s = ws.start <= o["order_date"] <= ws.end
        in_e = we.start <= o["order_date"] <= we.end
        d_s, d_e = key in defective[start], key in defective[end]
        if in_s and in_e:
            c["S"] += 1  # stays
            c["K"] += d_s  # defective among those staying, on start
            c["s"] += d_e - d_s  # their defect change
        elif in_s:
            c["Ld" if d_s else "Lc"] += 1
        elif in_e:
            c["E"] += 1
            c["Ed"] += d_s
            c["ne"] += d_e - d_s
    out = {}
    for group, c in result.items():

        def rate(applied: frozenset[str], c: dict[str, int] = c) -> Fraction | None:
            k = c["K"] + ("nd" in applied) * c["s"]
            n = c["S"]
            if "dl" not in applied:
                k, n = k + c["Ld"], n + c["Ld"]
            if "cl" not in applied:
                n += c["Lc"]
            if "no" in applied:
                n += c["E"]
                k += c["Ed"] + ("nd" in applied) * c["ne"]
            return Fraction(k, n) if n else None

        steps = ("nd", "dl", "no", "cl")
        totals = dict.fromkeys(steps, Fraction(0))
        feasible = 0
        for order in itertools.permutations(steps):
            path = [frozenset(order[:i]) for i in range(5)]
            rates = [rate(p) for p in path]
            if any(r is None for r in rates):
                continue
            feasible += 1
            for i, step in enumerate(order):
                totals[step] += rates[i + 1] - rates[i]  # type: ignore[operator]
        first, last = rate(frozenset()), rate(frozenset(steps))
        parts = (
            {step: totals[step] / feasible for step in steps}
            if first is not None and last is not None
            else dict.fromkeys(steps)
        )
        out[group] = {
            "orders_start": c["S"] + c["Ld"] + c["Lc"],
            "orders_end": c["S"] + c["E"],
            "defective_left_orders": c["Ld"],
            "clean_left_orders": c["Lc"],
            "entered_orders": c["E"],
            "entered_defective_orders": c["Ed"],
            "staying_orders": c["S"],
            "new_defects": parts["nd"],
            "defective_left": parts["dl"],
            "new_orders": parts["no"],
            "clean_left": parts["cl"],
        }
    return out


def draw_start(
    pick: st.DataObject,
    orders: list[dict[str, Any]],
    defects: list[dict[str, Any]],
    rules: OdrRules,
) -> dt.date:
    """A report date near the orders, often near a defective one (so orders enter, leave and
    get or lose defects between the two report dates)."""
    with_defects = {d["order_id"] for d in defects}
    anchors = [o["order_date"] for o in orders if o["order_id"] in with_defects] or [
        o["order_date"] for o in orders
    ]
    if anchors and pick.draw(st.booleans()):
        anchor = pick.draw(st.sampled_from(anchors))
        return anchor + (rules.lag_days + pick.draw(st.integers(-3, rules.window_days + 3))) * DAY
    return BASE + pick.draw(st.integers(0, 70)) * DAY


@settings(max_examples=150)
@given(data=datasets(), rules=rules_strategy, pick=st.data())
def test_split_matches_reference_and_engine_and_adds_up(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    rules: OdrRules,
    pick: st.DataObject,
) -> None:
    orders, defect_rows = data
    start = draw_start(pick, orders, defect_rows, rules)
    end = start + pick.draw(st.integers(0, rules.window_days + 10)) * DAY
    if orders and end > start and pick.draw(st.booleans()):
        # a 1-2 star feedback known on start and revised away (or re-rated) by end
        order_id = pick.draw(st.sampled_from([o["order_id"] for o in orders]))
        given_on = start - pick.draw(st.integers(0, 5)) * DAY
        revised_on = start + pick.draw(st.integers(1, (end - start).days)) * DAY
        status = pick.draw(st.sampled_from(STATUSES["negative_feedback"]))
        defect_rows = [
            *defect_rows,
            {
                "account": "a",
                "order_id": order_id,
                "kind": "negative_feedback",
                "event_date": given_on,
                "status": "active",
                "rating": pick.draw(st.integers(1, 2)),
            },
            {
                "account": "a",
                "order_id": order_id,
                "kind": "negative_feedback",
                "event_date": revised_on,
                "status": status,
                "rating": pick.draw(st.integers(1, 5)),
            },
        ]
    o = pl.DataFrame(orders, schema=ORDERS_SCHEMA)
    d = pl.DataFrame(defect_rows, schema=DEFECTS_SCHEMA)
    got = words.with_change_words(explain_change(o, d, start=start, end=end, rules=rules))
    want = reference_split(orders, d, start, end, rules)
    engine = {
        day: {
            (r["account"], r["marketplace"], r["channel"]): r
            for r in odr(o, d, as_of=day, rules=rules).iter_rows(named=True)
        }
        for day in (start, end)
    }
    assert got.height == len(want)
    for row in got.iter_rows(named=True):
        group = (row["account"], row["marketplace"], row["channel"])
        ref, at_start, at_end = want[group], engine[start][group], engine[end][group]
        # the rates and counts are the engine's, to the order
        assert (row["odr_start"], row["odr_end"]) == (at_start["odr"], at_end["odr"])
        assert (row["orders_start"], row["orders_end"]) == (
            at_start["order_count"],
            at_end["order_count"],
        )
        assert (row["defective_start"], row["defective_end"]) == (
            at_start["defective_orders"],
            at_end["defective_orders"],
        )
        # the orders moved account for the engine's order_count difference
        assert row["orders_end"] - row["orders_start"] == (
            row["entered_orders"] - row["defective_left_orders"] - row["clean_left_orders"]
        )
        for name, value in ref.items():
            if value is None or isinstance(value, int):
                assert row[name] == value, name
            else:
                assert row[name] == pytest.approx(float(value), abs=1e-12), name
        if row["change"] is None:
            assert row["reason"] is not None
            continue
        assert row["reason"] is None
        assert abs(sum(row[p] for p in PARTS) - row["change"]) <= 1e-12
        # a step that moves nothing contributes exactly nothing; signs that must hold
        if row["new_defect_orders"] == row["revised_away_orders"] == 0:
            assert row["new_defects"] == 0
        if row["revised_away_orders"] == 0:
            assert row["new_defects"] >= 0
        if row["entered_orders"] == 0:
            assert row["new_orders"] == 0
        assert row["defective_left"] <= 0 <= row["clean_left"]
        assert isinstance(row["message"], str) and row["message"].startswith("Your ")


@settings(max_examples=40)
@given(data=datasets(), rules=rules_strategy, pick=st.data(), span=st.integers(0, 20))
def test_daily_rows_are_consecutive_day_changes(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    rules: OdrRules,
    pick: st.DataObject,
    span: int,
) -> None:
    o = pl.DataFrame(data[0], schema=ORDERS_SCHEMA)
    d = pl.DataFrame(data[1], schema=DEFECTS_SCHEMA)
    start = draw_start(pick, data[0], data[1], rules)
    end = start + span * DAY
    daily = explain_daily(o, d, start=start, end=end, rules=rules)
    groups = o.select("account", "marketplace", "channel").unique().height
    assert daily.height == groups * span
    assert daily.columns == list(EXPLAIN_COLUMNS)
    if span == 0:
        return
    # any day's row equals explain_change for that day and the day before
    day = start + (span // 2 + 1) * DAY
    one = explain_change(o, d, start=day - DAY, end=day, rules=rules)
    assert daily.filter(pl.col("end") == day).equals(one)
    # the daily changes add up to the change over the range, when every day has a rate
    total = explain_change(o, d, start=start, end=end, rules=rules)
    sums = daily.group_by("account", "marketplace", "channel").agg(
        pl.col("change").sum(), defined=pl.col("change").is_not_null().all()
    )
    joined = total.join(sums, on=["account", "marketplace", "channel"], suffix="_daily")
    for row in joined.filter("defined").iter_rows(named=True):
        assert row["change_daily"] == pytest.approx(row["change"], abs=1e-12)


def test_daily_vectorised_over_a_year_matches_pairwise() -> None:
    # 5 orders a day for a year, a defect on every 37th order: the daily explanation for each
    # of a few days equals the pairwise one, and every day's parts add up.
    dates = [D(2024, 1, 1) + (i // 5) * DAY for i in range(5 * 366)]
    orders = pl.DataFrame(
        {
            "account": "acme",
            "marketplace": "Amazon.com",
            "order_id": [f"o{i}" for i in range(len(dates))],
            "order_date": dates,
            "channel": ["AFN", "MFN"] * (len(dates) // 2),
        }
    )
    defects = defects_of([chargeback(f"o{i}", dates[i] + 20 * DAY) for i in range(0, 1830, 37)])
    parts = prepare(orders, defects)
    daily = explain_daily(parts, start="2024-03-01", end="2024-12-31")
    assert daily.height == 2 * 305
    defined = daily.filter(pl.col("change").is_not_null())
    error = defined.select((pl.sum_horizontal(PARTS) - pl.col("change")).abs().max()).item()
    assert error <= 1e-12
    for day in (D(2024, 3, 2), D(2024, 6, 15), D(2024, 12, 31)):
        pair = explain_change(parts, start=day - DAY, end=day)
        assert daily.filter(pl.col("end") == day).equals(pair)


def test_no_orders_and_extra_keys() -> None:
    from odr_analysis.schema import empty_orders

    empty = explain_change(empty_orders(), empty_defects(), start=T0, end=T0 + 30 * DAY)
    assert empty.is_empty() and empty.columns == list(EXPLAIN_COLUMNS)
    assert explain_daily(empty_orders(), empty_defects(), start=T0, end=T0 + DAY).is_empty()
    # the B2B view: by=["is_business"] explains each side separately
    orders = orders_on([(T0, 4)]).with_columns(is_business=pl.Series([True, False, False, False]))
    defects = defects_of([chargeback("o0", T0)])
    out = explain_change(
        orders, defects, start=T0, end=T0 + DAY, rules=TWO_DAYS, by=["is_business"]
    )
    assert out.columns == ["account", "marketplace", "channel", "is_business", *EXPLAIN_COLUMNS[3:]]
    assert out.select("is_business", "odr_start", "odr_end").rows() == [
        (False, 0.0, 0.0),
        (True, 1.0, 1.0),
    ]


def test_a_lone_entering_order_already_defective_reads_well() -> None:
    # lag 14: the order of T0 (chargeback on T0+2) enters the window on T0+14, after start T0+5.
    orders = orders_on([(T0, 1), (T0 - 20 * DAY, 2)])
    defects = defects_of([chargeback("o0", T0 + 2 * DAY)])
    row = only_row(
        words.with_change_words(
            explain_change(orders, defects, start=T0 + 5 * DAY, end=T0 + 20 * DAY)
        )
    )
    assert (row["entered_orders"], row["entered_defective_orders"]) == (1, 1)
    assert row["new_orders"] == row["change"] == 1 / 3
    assert row["message"].endswith(
        "although no new defect arrived: 1 order entered the window, already defective "
        "(+33.33 points)"
    )
