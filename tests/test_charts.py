"""Tests for odr_analysis.charts: every chart is built, checked by its encodings and rendered.

Pixels are not compared. Each chart is built from the sample account summit-outdoor on its
report date (MFN above 1%, AFN under), turned into a Vega-Lite spec (``to_dict``) and rendered
to SVG by vl-convert with no base URL allowed (so nothing can be fetched: the chart works
offline). The spec is then checked for the project's conventions: titles, axis titles in
words, rates as percentages, dates as dates, the Okabe-Ito palette, inline data only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc

from odr_analysis import charts
from odr_analysis.charts import DATE_FORMAT, MAX_ROWS, PALETTE
from odr_analysis.drilldown import defect_breakdown
from odr_analysis.dropoff import dropoff_calendar
from odr_analysis.engine import odr, odr_daily
from odr_analysis.explain import PARTS, explain_change
from odr_analysis.maturity import maturity
from odr_analysis.portfolio import portfolio_status
from odr_analysis.projection import Assumptions, project
from odr_analysis.readers import load_account, load_portfolio
from odr_analysis.stats import unusual_days

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
D = dt.date(2026, 2, 23)  # the sample's report date
VL_VERSION = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]  # "6.4"
COLOURS = {*PALETTE.values(), "#DDDDDD", "white"}
RATE_FIELDS = {
    "odr",
    "rate",
    "rate_low",
    "rate_high",
    "expected_rate",
    "expected_matured",
    "reported",
    "low",
    "high",
    "center",
    "lower",
    "upper",
    "y0",
    "y1",
    "top",
    "target",
}


# --- fixtures: the aggregated frames of the sample account ------------------------------------


@pytest.fixture(scope="module")
def summit():
    return load_account(SAMPLE / "summit-outdoor")


@pytest.fixture(scope="module")
def daily(summit):
    return odr_daily(summit.orders, summit.defects, start=D - dt.timedelta(days=150), end=D)


@pytest.fixture(scope="module")
def matured(summit):
    return maturity(summit.orders, summit.defects, as_of=D, n_sims=200)


@pytest.fixture(scope="module")
def calendar(summit):
    return dropoff_calendar(summit.orders, summit.defects, as_of=D)


@pytest.fixture(scope="module")
def projection(summit):
    return project(summit.orders, summit.defects, as_of=D, assumptions=Assumptions(n_sims=200))


@pytest.fixture(scope="module")
def explanation(summit):
    return explain_change(summit.orders, summit.defects, start=D - dt.timedelta(days=30), end=D)


@pytest.fixture(scope="module")
def unusual(summit):
    return unusual_days(summit.orders, summit.defects, as_of=D, start=D - dt.timedelta(days=180))


@pytest.fixture(scope="module")
def portfolio():
    accounts = load_portfolio(SAMPLE)
    return portfolio_status(odr(accounts.orders, accounts.defects, as_of=D))


@pytest.fixture(scope="module")
def built(request):
    """Every chart of the module, built once."""
    f = request.getfixturevalue
    summit, daily, calendar = f("summit"), f("daily"), f("calendar")
    matured, projection, explanation = f("matured"), f("projection"), f("explanation")
    unusual, portfolio = f("unusual"), f("portfolio")
    return {
        "odr_over_time": charts.odr_over_time(daily, matured=matured),
        "composition": charts.composition_over_time(daily),
        "drilldown_sku": charts.drilldown_chart(
            defect_breakdown(
                summit.orders, summit.defects, items=summit.items, as_of=D, dimension="sku"
            )
        ),
        "drilldown_country": charts.drilldown_chart(
            defect_breakdown(
                summit.orders, summit.defects, items=summit.items, as_of=D, dimension="ship_country"
            ),
            include_clean=True,
        ),
        "dropoff": charts.dropoff_chart(calendar),
        "projection": charts.projection_chart(projection, history=daily),
        "waterfall": charts.waterfall_chart(explanation),
        "waterfall_one": charts.waterfall_chart(explanation.filter(pl.col("channel") == "MFN")),
        "p_chart": charts.p_chart(unusual),
        "portfolio": charts.portfolio_chart(portfolio),
    }


# --- spec helpers -----------------------------------------------------------------------------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def units(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every unit spec (a dict with a mark) of a spec, in order."""
    return [d for d in _walk(spec) if "mark" in d]


def mark(unit: dict[str, Any]) -> str:
    return unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]


def encodings(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(channel, definition) for every encoding of every unit (tooltip lists flattened)."""
    for unit in units(spec):
        for channel, value in unit.get("encoding", {}).items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    yield channel, item


def data_of(spec: dict[str, Any], unit: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a unit draws: its own dataset or the nearest enclosing one."""

    def find(node: Any, inherited: str | None) -> str | None:
        if isinstance(node, dict):
            here = node.get("data", {}).get("name", inherited) if "data" in node else inherited
            if node is unit:
                return here
            for value in node.values():
                found = find(value, here)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = find(value, inherited)
                if found is not None:
                    return found
        return None

    name = find(spec, None)
    assert name is not None, "unit not found in spec"
    return spec["datasets"][name]


def title_text(spec: dict[str, Any]) -> str:
    title = spec["title"]
    return title if isinstance(title, str) else title["text"]


def svg(chart: alt.TopLevelMixin) -> str:
    return vlc.vegalite_to_svg(chart.to_json(), vl_version=VL_VERSION, allowed_base_urls=[])


# --- conventions, for every chart -------------------------------------------------------------


CHART_NAMES = [
    "odr_over_time",
    "composition",
    "drilldown_sku",
    "drilldown_country",
    "dropoff",
    "projection",
    "waterfall",
    "waterfall_one",
    "p_chart",
    "portfolio",
]


@pytest.mark.parametrize("name", CHART_NAMES)
def test_chart_renders_offline_to_svg_with_its_title(built, name):
    chart = built[name]
    spec = chart.to_dict()
    text = svg(chart)
    assert text.lstrip().startswith("<svg")
    assert title_text(spec) and title_text(spec) in text
    # Data is inline: no URL to load, so nothing needs a network.
    assert not [d for d in _walk(spec) if "url" in d]
    assert not re.search(r"https?://(?!www\.w3\.org)", json.dumps(spec.get("datasets", {})))


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_axis_has_a_title_in_words(built, name):
    for channel, enc in encodings(built[name].to_dict()):
        if channel in ("x", "y") and "field" in enc and enc.get("axis", {}) is not None:
            if enc.get("scale", {}) is None:  # a pixel position, not an axis
                continue
            title = enc.get("title")
            assert title, f"{name}: {channel} {enc['field']} has no title"
            assert "_" not in title, f"{name}: title {title!r} is a column name"


@pytest.mark.parametrize("name", CHART_NAMES)
def test_rates_are_percentages_and_dates_are_dates(built, name):
    seen_rate = False
    for channel, enc in encodings(built[name].to_dict()):
        field = enc.get("field", "")
        if enc.get("type") == "temporal":
            if channel == "tooltip":
                assert enc.get("format") == DATE_FORMAT, f"{name}: tooltip {field}"
            elif channel in ("x", "y") and enc.get("axis", {}) is not None:
                assert enc["axis"]["format"] == DATE_FORMAT, f"{name}: axis {field}"
        if field in RATE_FIELDS and enc.get("type") == "quantitative":
            if channel == "tooltip":
                assert enc.get("format") == ".2%", f"{name}: tooltip {field}"
            elif channel in ("x", "y") and "axis" in enc and enc["axis"] is not None:
                seen_rate = True
                assert enc["axis"]["format"] == ".2%", f"{name}: axis {field}"
    if name not in ("composition", "portfolio"):
        assert seen_rate, f"{name}: no rate axis found"


@pytest.mark.parametrize("name", CHART_NAMES)
def test_colours_come_from_the_okabe_ito_palette(built, name):
    spec = built[name].to_dict()
    used = set()
    for _, enc in encodings(spec):
        scale = enc.get("scale") or {}
        used.update(c for c in scale.get("range", []) if isinstance(c, str))
        if "value" in enc and isinstance(enc["value"], str) and enc["value"].startswith("#"):
            used.add(enc["value"])
    for unit in units(spec):
        if isinstance(unit["mark"], dict):
            used.update(v for k, v in unit["mark"].items() if k in ("color", "fill", "stroke"))
    assert used, f"{name}: no colour found"
    assert used <= COLOURS, f"{name}: colours outside the palette: {used - COLOURS}"


@pytest.mark.parametrize("name", CHART_NAMES)
def test_sizes_fit_a_notebook(built, name):
    spec = built[name].to_dict()
    widths = [d["width"] for d in _walk(spec) if isinstance(d.get("width"), int | float)]
    assert widths and max(widths) <= 700


# --- odr_over_time ----------------------------------------------------------------------------


def test_odr_over_time_encodings(built, daily):
    spec = built["odr_over_time"].to_dict()
    lines = [u for u in units(spec) if mark(u) == "line"]
    reported = next(u for u in lines if u["encoding"]["y"]["field"] == "odr")
    assert reported["mark"]["interpolate"] == "step-after"
    assert reported["encoding"]["color"]["field"] == "channel"
    assert reported["encoding"]["x"]["field"] == "as_of"
    # The tooltip (on the invisible points) carries the window, orders and defective orders.
    hover = next(u for u in units(spec) if mark(u) == "point" and u["mark"].get("opacity") == 0)
    fields = {t["field"] for t in hover["encoding"]["tooltip"]}
    assert {"window_start", "window_end", "order_count", "defective_orders", "odr"} <= fields
    # The target: a dashed rule at 1%, labelled.
    rule = next(u for u in units(spec) if mark(u) == "rule" and "strokeDash" in u["mark"])
    assert data_of(spec, rule) == [{"target": 0.01, "label": "Target 1%"}]
    # The expected matured rate: dashed, with its band.
    matured = next(u for u in lines if u["encoding"]["y"]["field"] == "expected_matured")
    assert matured["encoding"]["strokeDash"]["field"] == "series"
    assert any(mark(u) == "area" and u["encoding"]["y"]["field"] == "low" for u in units(spec))


def test_breach_days_are_shaded_as_runs(built, daily):
    spec = built["odr_over_time"].to_dict()
    rect = next(u for u in units(spec) if mark(u) == "rect")
    runs = data_of(spec, rect)
    breach = daily.filter(pl.col("odr") >= pl.col("target"))
    assert sum(r["days"] for r in runs) == breach.height
    mfn = breach.filter(pl.col("channel") == "MFN")
    assert [r["channel"] for r in runs] == ["MFN"]  # one unbroken run in the last 150 days
    assert runs[0]["start"].startswith(str(mfn["as_of"].min()))
    assert runs[0]["end"].startswith(str(mfn["as_of"].max() + dt.timedelta(days=1)))


def test_breach_runs_break_at_gaps_and_at_days_under_target():
    days = [dt.date(2024, 1, d) for d in (1, 2, 3, 5, 6, 7)]
    frame = pl.DataFrame(
        {
            "channel": "MFN",
            "as_of": days,
            "window_start": days,
            "window_end": days,
            "order_count": 100,
            "defective_orders": [2, 2, 0, 2, 1, 2],
            "odr": [0.02, 0.02, 0.0, 0.02, 0.01, 0.02],
            "target": 0.01,
        }
    )
    chart = charts.odr_over_time(frame)
    runs = chart.layer[0].data
    assert runs.select("start", "last", "days").rows() == [
        (dt.date(2024, 1, 1), dt.date(2024, 1, 2), 2),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 7), 3),  # 1% exactly is a breach; 4 Jan missing
    ]
    gap = frame.filter(pl.col("as_of") != dt.date(2024, 1, 6))
    runs = charts.odr_over_time(gap).layer[0].data
    assert runs["days"].to_list() == [2, 1, 1]


def test_matured_without_as_of_belongs_to_the_last_report_date(daily, matured):
    chart = charts.odr_over_time(daily, matured=matured.drop("as_of"), target=0.02)
    spec = chart.to_dict()
    marker = next(u for u in units(spec) if mark(u) == "point" and u["mark"].get("shape"))
    assert {row["as_of"][:10] for row in data_of(spec, marker)} == {str(D)}
    rule = next(u for u in units(spec) if mark(u) == "rule" and "strokeDash" in u["mark"])
    assert data_of(spec, rule)[0]["target"] == 0.02


def test_tooltips_false_leaves_out_the_hover_points_and_shrinks_the_svg(daily, calendar):
    with_tips, without = charts.odr_over_time(daily), charts.odr_over_time(daily, tooltips=False)
    assert len(units(without.to_dict())) == len(units(with_tips.to_dict())) - 1
    assert len(svg(without)) < len(svg(with_tips)) * 0.8
    assert len(svg(charts.dropoff_chart(calendar, tooltips=False))) < 40_000


def test_odr_over_time_refuses_several_accounts(daily):
    other = daily.with_columns(account=pl.lit("other"))
    with pytest.raises(ValueError, match="several accounts or marketplaces"):
        charts.odr_over_time(pl.concat([daily, other]))


# --- composition ------------------------------------------------------------------------------


def test_composition_has_the_three_kinds_in_words(built, daily):
    spec = built["composition"].to_dict()
    assert spec["facet"]["row"]["field"] == "channel"
    line = units(spec)[0]
    fold = next(t for t in line["transform"] if "fold" in t)
    assert fold["fold"][:3] == ["Negative feedback", "A-to-z claims", "Chargebacks"]
    colour = line["encoding"]["color"]
    assert colour["scale"]["domain"][:3] == ["Negative feedback", "A-to-z claims", "Chargebacks"]
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == daily.height  # folded in Vega, not in the frame
    last = next(r for r in rows if r["channel"] == "MFN" and r["as_of"].startswith(str(D)))
    assert (last["Negative feedback"], last["A-to-z claims"], last["Chargebacks"]) == (11, 8, 0)


# --- drill-down -------------------------------------------------------------------------------


def test_drilldown_sorted_by_defective_orders_with_wilson_intervals(built, summit):
    spec = built["drilldown_sku"].to_dict()
    bar = next(u for u in units(spec) if mark(u) == "bar")
    order = bar["encoding"]["y"]["sort"]
    rows = {r["label"]: r for r in data_of(spec, bar)}
    counts = [rows[label]["defective_orders"] for label in order]
    assert counts == sorted(counts, reverse=True)
    assert order[0] == "SO-HND-WRM-40"  # only MFN has defects: plain values
    assert rows["SO-HND-WRM-40"]["text"] == "5 of 50 orders"
    interval = next(u for u in units(spec) if mark(u) == "rule" and "x2" in u["encoding"])
    assert interval["encoding"]["x"]["field"] == "rate_low"
    assert interval["encoding"]["x2"]["field"] == "rate_high"
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "counts once for each of them" in subtitle
    assert "Not shown: 17 SKUs" in subtitle  # 2 of the 15 MFN SKUs and all 15 AFN ones
    assert "12 Dec 2025 to 09 Feb 2026" in subtitle


def test_drilldown_with_both_channels_labels_each_bar_with_its_channel(built):
    spec = built["drilldown_country"].to_dict()
    bar = next(u for u in units(spec) if mark(u) == "bar")
    assert bar["encoding"]["y"]["sort"] == ["MFN · US", "AFN · US"]
    assert spec["title"]["text"] == "Defective orders by ship country"


def test_drilldown_counts_hidden_clean_values(summit):
    breakdown = defect_breakdown(
        summit.orders, summit.defects, items=summit.items, as_of=D, dimension="sku"
    )
    spec = charts.drilldown_chart(breakdown).to_dict()
    clean = breakdown.filter(pl.col("defective_orders") == 0).height
    assert f"Not shown: {clean} SKUs" in " ".join(spec["title"]["subtitle"])
    only_clean = breakdown.filter(pl.col("channel") == "AFN")
    assert "No defective order" in svg(charts.drilldown_chart(only_clean))


def test_drilldown_needs_a_dimension_when_the_frame_does_not_say(summit):
    breakdown = defect_breakdown(
        summit.orders, summit.defects, items=summit.items, as_of=D, dimension="asin"
    ).drop("dimension")
    with pytest.raises(ValueError, match="pass dimension="):
        charts.drilldown_chart(breakdown)
    chart = charts.drilldown_chart(breakdown, dimension="asin")
    assert chart.to_dict()["title"]["text"] == "Defective orders by ASIN"


# --- drop-off calendar ------------------------------------------------------------------------


def test_dropoff_markers_are_the_days_defective_orders_leave(built, calendar):
    spec = built["dropoff"].to_dict()
    line = next(u for u in units(spec) if mark(u) == "line")
    assert line["mark"]["interpolate"] == "step-after"
    path = data_of(spec, line)
    assert path[0]["as_of"].startswith(str(D))  # starts on the report date: today's rate
    markers = next(u for u in units(spec) if u["mark"].get("shape") == "triangle-down")
    leaving = data_of(spec, markers)
    expected = calendar.defects.group_by("channel", "leaves_window_on").len()
    assert len(leaving) == expected.height
    assert sum(r["leaving"] for r in leaving) == calendar.defects.height
    first = calendar.defects.row(0, named=True)
    row = next(r for r in leaving if r["as_of"].startswith(str(first["leaves_window_on"])))
    assert first["order_id"] in row["orders"]
    assert row["defects"] == "1 negative feedback"
    tips = {t["field"] for t in markers["encoding"]["tooltip"]}
    assert {"orders", "defects", "leaving"} <= tips
    # On the marker's day, the rate is the path's rate (the order has just left).
    on_path = {(r["channel"], r["as_of"]): r["odr"] for r in path}
    assert all(on_path[(r["channel"], r["as_of"])] == r["odr"] for r in leaving)


def test_dropoff_chart_needs_a_calendar():
    with pytest.raises(TypeError, match="DropoffCalendar"):
        charts.dropoff_chart(pl.DataFrame({"a": [1]}))


# --- projection -------------------------------------------------------------------------------


def test_projection_marks_the_first_day_under_target(built, projection, daily):
    spec = built["projection"].to_dict()
    assert "vconcat" in spec  # the probability chart below
    main = spec["vconcat"][0]
    text = [
        u for u in units(main) if mark(u) == "text" and u["encoding"]["y"].get("field") == "ypix"
    ]
    rows = [r for u in text for r in data_of(spec, u)]
    first = projection.first_under.filter(pl.col("channel") == "MFN")["first_under"][0]
    # MFN starts above 1%, AFN is under all along: only MFN is annotated, at the same date
    # as the projection's own answer.
    assert {r["channel"] for r in rows} == {"MFN"}
    assert rows[0]["label"] == f"MFN under 1% from {first:%d %b %Y}"
    band = next(u for u in units(main) if mark(u) == "area")
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == ("low", "high")
    history = next(
        u for u in units(main) if mark(u) == "line" and u["encoding"]["y"]["field"] == "odr"
    )
    dates = [r["as_of"][:10] for r in data_of(spec, history)]
    assert min(dates) == str(D - dt.timedelta(days=89)) and max(dates) == str(D)
    assert spec["resolve"]["scale"]["x"] == "shared"


def test_projection_that_never_gets_under_says_so(projection):
    stuck = projection.daily.filter(pl.col("channel") == "MFN").with_columns(
        expected_rate=pl.lit(0.05)
    )
    spec = charts.projection_chart(stuck, probability=False).to_dict()
    assert "vconcat" not in spec
    assert "MFN: not expected under 1% within the horizon." in spec["title"]["subtitle"]
    assert not [u for u in units(spec) if mark(u) == "text" and "ypix" in json.dumps(u)]


def test_projection_accepts_the_frame_or_the_projection(projection):
    a = charts.projection_chart(projection).to_dict()
    b = charts.projection_chart(projection.daily).to_dict()
    assert a == b


# --- waterfall --------------------------------------------------------------------------------


def test_waterfall_bars_add_up_from_start_to_end(built, explanation):
    spec = built["waterfall"].to_dict()
    assert spec["facet"]["field"] == "group"
    rows = spec["datasets"][spec["data"]["name"]]
    for row in explanation.iter_rows(named=True):
        group = f"{row['account']} · {row['marketplace']} · {row['channel']}"
        bars = sorted((r for r in rows if r["group"] == group), key=lambda r: r["order"])
        assert len(bars) == 6
        assert bars[0]["y1"] == pytest.approx(row["odr_start"], abs=1e-12)
        assert bars[4]["y1"] == pytest.approx(row["odr_end"], abs=1e-12)  # the parts add up
        assert bars[5]["y1"] == pytest.approx(row["odr_end"], abs=1e-12)
        for bar, part in zip(bars[1:5], PARTS, strict=True):
            assert bar["value"] == pytest.approx(row[part])
            assert bar["kind"] == (
                "Raises the ODR"
                if row[part] > 0
                else "Lowers the ODR"
                if row[part] < 0
                else "No change"
            )


def test_waterfall_labels_are_percentage_points(built):
    text = svg(built["waterfall_one"])
    assert "\u22122.60 pts" in text  # MFN: 22 defective orders left the window
    assert "+2.34 pts" in text
    assert "4.02%" in text and "2.55%" in text
    spec = built["waterfall_one"].to_dict()
    assert spec["title"]["text"] == "Why the ODR moved: summit-outdoor · Amazon.com · MFN"


def test_waterfall_leaves_out_groups_without_a_rate(explanation):
    broken = explanation.with_columns(
        [
            pl.when(pl.col("channel") == "AFN").then(None).otherwise(pl.col(p)).alias(p)
            for p in PARTS
        ]
        + [
            pl.when(pl.col("channel") == "AFN")
            .then(pl.lit("no orders in the window"))
            .alias("reason")
        ]
    )
    spec = charts.waterfall_chart(broken).to_dict()
    assert "facet" not in spec
    assert "summit-outdoor · Amazon.com · AFN: no orders in the window" in spec["title"]["subtitle"]
    empty = charts.waterfall_chart(broken.filter(pl.col("channel") == "AFN"))
    assert "no orders in the window" in svg(empty)


# --- p-chart ----------------------------------------------------------------------------------


def test_p_chart_points_limits_and_greyed_immature_days(built, unusual):
    spec = built["p_chart"].to_dict()
    assert spec["facet"]["row"]["field"] == "channel"
    inner = units(spec)
    points = next(u for u in inner if mark(u) == "point")
    colour = points["encoding"]["color"]
    assert colour["scale"]["domain"] == list(charts._P_STATES)
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == unusual.height
    states = {r["state"] for r in rows}
    assert "Too recent: still collecting defects" in states
    for r, u in zip(
        rows, unusual.sort("channel", "cohort_start").iter_rows(named=True), strict=True
    ):
        if u["flag"] == "above":
            assert r["state"] == "Above the upper limit"
        elif not u["mature"]:
            assert r["state"] == "Too recent: still collecting defects"
    fields = {u["encoding"]["y"]["field"] for u in inner if "y" in u["encoding"]}
    assert {"rate", "center", "upper", "lower"} <= fields
    shade = next(u for u in inner if mark(u) == "rect")
    assert any("aggregate" in t for t in shade["transform"])


def test_weekly_p_chart_says_week(summit):
    weekly = unusual_days(summit.orders, summit.defects, as_of=D, freq="1w")
    spec = charts.p_chart(weekly).to_dict()
    titles = {enc.get("title") for c, enc in encodings(spec) if c == "y"}
    assert titles == {"Defective share of the week's orders"}


# --- portfolio --------------------------------------------------------------------------------


def test_portfolio_rows_worst_first_coloured_by_status(built, portfolio):
    spec = built["portfolio"].to_dict()
    rect = next(u for u in units(spec) if mark(u) == "rect")
    assert rect["encoding"]["y"]["sort"] == ["summit-outdoor", "tiny-letterpress", "evergreen-home"]
    domain = rect["encoding"]["color"]["scale"]["domain"]
    assert domain[0].startswith("Breached") and domain[-1].startswith("No orders")
    cells = {(r["row"], r["channel"]): r["status_label"] for r in data_of(spec, rect)}
    assert cells[("summit-outdoor", "MFN")].startswith("Breached")
    assert cells[("evergreen-home", "AFN")] == "Meets target"
    text = svg(built["portfolio"])
    assert "2.55%" in text and "0.53%" in text


def test_portfolio_chart_takes_an_odr_frame_and_shows_marketplaces_when_needed(portfolio):
    frame = portfolio.select("account", "marketplace", "channel", "odr", "target")
    de = frame.filter(pl.col("account") == "evergreen-home").with_columns(
        marketplace=pl.lit("Amazon.de"), odr=pl.lit(None, pl.Float64)
    )
    spec = charts.portfolio_chart(pl.concat([frame, de])).to_dict()
    rect = next(u for u in units(spec) if mark(u) == "rect")
    rows = rect["encoding"]["y"]["sort"]
    assert rows[-1] == "evergreen-home · Amazon.de"  # no orders: last
    assert "no orders" in svg(charts.portfolio_chart(pl.concat([frame, de])))


# --- input checks -----------------------------------------------------------------------------


def _big(columns: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame({k: [v] * (MAX_ROWS + 1) for k, v in columns.items()})


BIG_DAILY = {
    "channel": "MFN",
    "as_of": D,
    "window_start": D,
    "window_end": D,
    "order_count": 1,
    "defective_orders": 0,
    "odr": 0.0,
    "negative_feedback": 0,
    "a_to_z_claims": 0,
    "chargebacks": 0,
}


@pytest.mark.parametrize(
    ("function", "frame"),
    [
        (charts.odr_over_time, _big(BIG_DAILY)),
        (charts.composition_over_time, _big(BIG_DAILY)),
        (
            charts.drilldown_chart,
            _big(
                {
                    "channel": "MFN",
                    "value": "x",
                    "orders": 1,
                    "defective_orders": 1,
                    "rate": 1.0,
                    "rate_low": 0.5,
                    "rate_high": 1.0,
                    "dimension": "sku",
                }
            ),
        ),
        (
            charts.projection_chart,
            _big({"channel": "MFN", "as_of": D, "expected_rate": 0.1, "low": 0.0, "high": 0.2}),
        ),
        (
            charts.waterfall_chart,
            _big(
                {
                    "start": D,
                    "end": D,
                    "odr_start": 0.1,
                    "odr_end": 0.1,
                    **dict.fromkeys(PARTS, 0.0),
                }
            ),
        ),
        (
            charts.p_chart,
            _big(
                {
                    "channel": "MFN",
                    "cohort_start": D,
                    "orders": 1,
                    "defective_orders": 0,
                    "rate": 0.0,
                    "center": 0.0,
                    "lower": 0.0,
                    "upper": 0.0,
                    "mature": True,
                    "flag": None,
                }
            ),
        ),
        (charts.portfolio_chart, _big({"account": "a", "channel": "MFN", "odr": 0.0})),
        (
            charts.dropoff_chart,
            SimpleNamespace(
                today=_big(BIG_DAILY),
                path=_big(BIG_DAILY),
                defects=pl.DataFrame({"channel": [], "order_id": [], "leaves_window_on": []}),
            ),
        ),
    ],
)
def test_a_frame_over_the_row_limit_is_refused_with_advice(function, frame):
    with pytest.raises(ValueError, match=r"5,001 rows.*aggregate it first"):
        function(frame)


@pytest.mark.parametrize(
    ("function", "fixture"),
    [
        (charts.odr_over_time, "daily"),
        (charts.composition_over_time, "daily"),
        (charts.p_chart, "unusual"),
        (charts.portfolio_chart, "portfolio"),
        (charts.waterfall_chart, "explanation"),
    ],
)
def test_an_empty_frame_gives_a_chart_that_says_so(function, fixture, request):
    chart = function(request.getfixturevalue(fixture).clear())
    assert chart.mark.type == "text"
    assert "<svg" in svg(chart)


def test_empty_projection_and_calendar(projection, calendar):
    assert "Nothing to project" in svg(charts.projection_chart(projection.daily.clear()))
    empty = SimpleNamespace(
        today=calendar.today.clear(), path=calendar.path.clear(), defects=calendar.defects.clear()
    )
    assert "No orders" in svg(charts.dropoff_chart(empty))


def test_missing_columns_and_wrong_types_are_named(daily):
    with pytest.raises(ValueError, match=r"daily has no column\(s\) \['odr'\]"):
        charts.odr_over_time(daily.drop("odr"))
    with pytest.raises(TypeError, match="must be a polars DataFrame"):
        charts.composition_over_time(daily.to_dicts())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target must be a fraction"):
        charts.odr_over_time(daily, target=2)
    lazy = charts.odr_over_time(daily.lazy(), tooltips=False)  # a LazyFrame is collected
    assert lazy.to_dict() == charts.odr_over_time(daily, tooltips=False).to_dict()


def test_charts_do_not_modify_their_frames(daily, unusual):
    before = daily.clone(), unusual.clone()
    charts.odr_over_time(daily)
    charts.p_chart(unusual)
    assert daily.equals(before[0]) and unusual.equals(before[1])


# --- interactive views: zoom on the time axis, tooltips of the history charts -----------------


def _params(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for d in _walk(spec) for p in d.get("params", []) if isinstance(p, dict)]


@pytest.mark.parametrize("name", ["odr_over_time", "composition", "p_chart"])
def test_zoom_binds_an_interval_selection_to_the_time_axis(daily, matured, unusual, name):
    build = {
        "odr_over_time": lambda **kw: charts.odr_over_time(daily, matured=matured, **kw),
        "composition": lambda **kw: charts.composition_over_time(daily, **kw),
        "p_chart": lambda **kw: charts.p_chart(unusual, **kw),
    }[name]
    plain, zoomed = build(), build(zoom=True)
    assert _params(plain.to_dict()) == [], "off by default: the reports' charts are unchanged"
    (param,) = _params(zoomed.to_dict())
    assert param["bind"] == "scales"
    assert param["select"] == {"type": "interval", "encodings": ["x"]}
    # vl-convert (the svg renderer, the reports' PDF) still draws it (marks clipped to the
    # plot, for panning), over the same dates as without.
    text = svg(zoomed)
    assert text.lstrip().startswith("<svg") and title_text(zoomed.to_dict()) in text
    words = re.compile(r"<text[^>]*>([^<]*)</text>")  # titles, axis labels: the same range
    assert words.findall(text) == words.findall(svg(plain))


def test_history_tooltips_carry_the_dates_the_window_the_counts_and_the_rate(daily, matured):
    wanted = {
        "as_of": "Report date",
        "window_start": "Window from (order date)",
        "window_end": "Window to (order date)",
        "order_count": "Orders in window",
        "defective_orders": "Defective orders",
        "odr": "ODR",
    }
    for chart in (
        charts.odr_over_time(daily, matured=matured),
        charts.composition_over_time(daily),
    ):
        tips = {
            tip["field"]: tip
            for channel, tip in encodings(chart.to_dict())
            if channel == "tooltip" and tip.get("field") in wanted
        }
        assert {field: tip["title"] for field, tip in tips.items()} == wanted
        for field in ("as_of", "window_start", "window_end"):
            assert tips[field]["format"] == DATE_FORMAT and tips[field]["type"] == "temporal"
        assert tips["odr"]["format"] == ".2%"
        assert tips["order_count"]["format"] == tips["defective_orders"]["format"] == ","


def test_composition_tooltips_without_the_window_columns(daily):
    """A frame without the window's dates and rate still draws (those tooltips left out)."""
    chart = charts.composition_over_time(daily.drop("window_start", "window_end", "odr"))
    fields = {
        tip.get("field") for channel, tip in encodings(chart.to_dict()) if channel == "tooltip"
    }
    assert {"as_of", "order_count", "defective_orders"} <= fields
    assert not fields & {"window_start", "window_end", "odr"}
    assert svg(chart).lstrip().startswith("<svg")
