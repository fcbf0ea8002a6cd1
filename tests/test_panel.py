"""The what-if panel without a browser: set widget values, check the numbers it recomputes.

Every number of :meth:`WhatIfPanel.state` is checked against the library functions called
directly (engine, removal, projection) on the sample data (report date 2026-02-23).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import altair as alt
import polars as pl
import pytest
from conftest import ROOT

import odr_analysis.panel as panel_module
from odr_analysis.engine import odr
from odr_analysis.estimates import matured_defect_rate, recent_daily_orders
from odr_analysis.notebook import load
from odr_analysis.panel import CHART_DATA, CHART_TITLE, PanelState, WhatIfPanel
from odr_analysis.parts import prepare
from odr_analysis.projection import Assumptions, Projection, project
from odr_analysis.readers import Account
from odr_analysis.removal import Removal, removal_ranking, simulate_removal
from odr_analysis.rules import OdrRules
from odr_analysis.words import pct

AS_OF = dt.date(2026, 2, 23)
KEYS = ["account", "marketplace", "channel"]
SUMMIT = ("summit-outdoor", "Amazon.com", "MFN")


@pytest.fixture(scope="module")
def sample() -> Account:
    return load(ROOT / "data" / "sample")


@pytest.fixture
def panel(sample: Account) -> WhatIfPanel:
    """A panel that computes but does not draw (drawing is tested on its own: it is slow)."""
    return WhatIfPanel(sample, chart=False)


@pytest.fixture
def drawing_panel(sample: Account) -> WhatIfPanel:
    return WhatIfPanel(sample, live=True)


def group_filter(key: tuple[str, str, str]) -> pl.Expr:
    return pl.all_horizontal(pl.col(k) == v for k, v in zip(KEYS, key, strict=True))


def account_parts(sample: Account, account: str) -> Any:
    mine = pl.col("account") == account
    return prepare(sample.orders.filter(mine), sample.defects.filter(mine))


def baseline(sample: Account, key: tuple[str, str, str]) -> tuple[float, float]:
    """The channel's recent orders a day and its matured rate, as the library computes them."""
    parts = account_parts(sample, key[0])
    recent = recent_daily_orders(parts, as_of=AS_OF).filter(group_filter(key))
    matured = matured_defect_rate(parts, as_of=AS_OF).filter(group_filter(key))
    return recent.item(0, "daily_orders"), matured.item(0, "defect_rate")


def direct_projection(
    sample: Account,
    key: tuple[str, str, str],
    *,
    daily: float,
    rate: float,
    horizon: int,
    extra: int = 0,
    removed: tuple[tuple[str, str], ...] = (),
) -> Projection:
    """``project`` called directly on the group's own data (without ``removed``)."""
    mine = group_filter(key)
    orders = sample.orders.filter(mine)
    defects = sample.defects.filter(pl.col("account") == key[0])
    if removed:
        drop = pl.any_horizontal(
            (pl.col("order_id") == order_id) & (pl.col("kind") == kind)
            for order_id, kind in removed
        )
        defects = defects.filter(~drop)
    return project(
        prepare(orders, defects),
        as_of=AS_OF,
        assumptions=Assumptions(
            daily_orders=daily,
            defect_rate=rate,
            extra_clean_orders=extra,
            horizon=horizon,
            n_sims=500,
        ),
    )


def first_day(daily: pl.DataFrame, condition: pl.Expr) -> dt.date | None:
    hits = daily.filter(condition)
    return None if hits.is_empty() else hits["as_of"].min()  # type: ignore[return-value]


def svg_of(panel: WhatIfPanel) -> str:
    assert panel.chart.children == (panel.chart_output,)
    assert len(panel.chart_output.outputs) == 1
    return panel.chart_output.outputs[0]["data"]["image/svg+xml"]


def sent(panel: WhatIfPanel) -> tuple[str, list[dict[str, Any]]]:
    """The title and rows of the last in-place update of the live chart."""
    assert panel.chart_view is not None
    updates = {u["namespace"]: u for u in panel.chart_view._py_to_js_updates}
    assert set(updates) == {"signal", "data"}
    assert updates["signal"]["name"] == CHART_TITLE and updates["data"]["name"] == CHART_DATA
    assert updates["signal"]["scope"] == updates["data"]["scope"] == []
    return updates["signal"]["value"], updates["data"]["value"]


def expected_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["series"].startswith("Expected")]


def marked_day(rows: list[dict[str, Any]]) -> dt.date | None:
    days = [r["as_of"] for r in rows if r["first_under"]]
    assert len(days) <= 1
    return dt.date.fromisoformat(days[0][:10]) if days else None


# --- opening ----------------------------------------------------------------------------------


def test_opens_on_the_worst_channel_with_the_engines_rate(
    panel: WhatIfPanel, sample: Account
) -> None:
    assert panel.as_of == AS_OF, "default report date of the sample"
    assert panel.key == SUMMIT, "the channel with the highest rate today"
    state = panel.last_state
    assert isinstance(state, PanelState)
    row = (
        odr(sample.orders, sample.defects, as_of=AS_OF)
        .filter(group_filter(SUMMIT))
        .row(0, named=True)
    )
    assert (state.order_count, state.defective_orders) == (row["order_count"], 19)
    assert state.rate_today == row["odr"] == pytest.approx(19 / 746)
    assert state.headline.startswith("2.55% today, under 1% on ")
    assert html.escape(state.headline) in panel.headline.value
    assert state.removed == () and state.rate_today_after is None


def test_default_sliders_are_the_channels_baseline(panel: WhatIfPanel, sample: Account) -> None:
    daily, matured = baseline(sample, SUMMIT)
    state = panel.last_state
    assert state is not None
    assert state.daily_orders == pytest.approx(daily)
    assert panel.extra_orders.value == 0
    assert panel.defect_rate.value == pytest.approx(round(matured * 100, 2))
    assert panel.horizon.value == 90
    for slider in (panel.extra_orders, panel.defect_rate, panel.horizon):
        assert slider.continuous_update is False, f"{slider.description} recomputes on release"


def test_dates_are_the_projections(panel: WhatIfPanel, sample: Account) -> None:
    state = panel.state()
    projection = direct_projection(
        sample, SUMMIT, daily=state.daily_orders, rate=state.defect_rate, horizon=90
    )
    daily = projection.daily
    assert state.daily.equals(daily)
    assert state.assumptions == projection.assumptions
    first_under = first_day(daily, pl.col("expected_rate") < 0.01)
    assert first_under is not None and state.first_under == first_under
    assert first_under == projection.first_under.item(0, "first_under")
    back = first_day(daily, (pl.col("expected_rate") >= 0.01) & (pl.col("as_of") > first_under))
    assert state.first_over == back
    assert f"under 1% on {first_under.day} {first_under:%B}" in state.headline


def test_extra_clean_orders_are_in_the_projection_with_its_chance_of_breach(
    panel: WhatIfPanel, sample: Account
) -> None:
    before = panel.state()
    panel.extra_orders.value = 30  # recomputes through the observer
    after = panel.last_state
    assert after is not None and after.extra_orders == 30
    assert after.assumptions == Assumptions(
        daily_orders=after.daily_orders,
        defect_rate=after.defect_rate,
        extra_clean_orders=30,
        horizon=90,
        n_sims=500,
    )
    # the panel's numbers are project's, called directly with the same assumptions
    projection = direct_projection(
        sample, SUMMIT, daily=after.daily_orders, rate=after.defect_rate, horizon=90, extra=30
    )
    assert after.daily.equals(projection.daily)
    first_under = projection.first_under.item(0, "first_under")
    assert first_under is not None and after.first_under == first_under
    assert f"under 1% on {first_under.day} {first_under:%B}" in after.headline
    # the chance of being at or over the target is kept, for every day
    assert after.daily["prob_at_or_above_target"].null_count() == 0
    joined = before.daily.join(after.daily, on=[*KEYS, "as_of"])
    # b orders a day at rate p plus e clean ones: the same expected defects ...
    assert joined["expected_defective"].equals(
        joined["expected_defective_right"], check_names=False
    )
    # ... and e more orders for each new order date inside the window
    lag, width = OdrRules().lag_days, OdrRules().window_days
    days_in = joined.select(
        pl.min_horizontal(
            (pl.col("as_of") - pl.lit(AS_OF)).dt.total_days() - lag, pl.lit(width)
        ).clip(0)
    ).to_series()
    assert (joined["order_count_right"] - joined["order_count"]).to_list() == (
        days_in * 30
    ).to_list()
    # the same simulated defects over more orders: the chance never rises, and here it falls
    chance, chance_after = (
        joined["prob_at_or_above_target"],
        joined["prob_at_or_above_target_right"],
    )
    assert (chance_after <= chance).all()
    assert (chance_after < chance).any()
    assert after.first_under is not None and before.first_under is not None
    assert after.first_under <= before.first_under


def test_extra_clean_orders_with_removals(panel: WhatIfPanel, sample: Account) -> None:
    chosen = tuple(v for _, v in panel.removals.options[:2])
    panel.extra_orders.value = 10
    panel.removals.value = chosen
    state = panel.last_state
    assert state is not None and (state.extra_orders, state.removed) == (10, chosen)
    without, as_is = (
        direct_projection(
            sample,
            SUMMIT,
            daily=state.daily_orders,
            rate=state.defect_rate,
            horizon=90,
            extra=10,
            removed=removed,
        )
        for removed in (chosen, ())
    )
    assert state.daily.equals(without.daily)
    assert state.first_under_after == without.first_under.item(0, "first_under")
    assert state.first_under == as_is.first_under.item(0, "first_under")
    assert state.first_under_after is not None and state.first_under is not None
    assert state.first_under_after <= state.first_under


def test_defect_rate_and_horizon_sliders_reach_the_projection(
    panel: WhatIfPanel, sample: Account
) -> None:
    panel.defect_rate.value = 0.0
    panel.horizon.value = 40
    state = panel.last_state
    assert state is not None and (state.defect_rate, state.horizon) == (0.0, 40)
    daily = direct_projection(sample, SUMMIT, daily=state.daily_orders, rate=0.0, horizon=40).daily
    assert state.daily.equals(daily)
    assert state.daily.height == 40
    # nothing new becomes defective: once under, the rate stays under
    assert state.first_over is None
    assert "(back at or over" not in state.headline


def test_removal_options_follow_the_ranking(panel: WhatIfPanel, sample: Account) -> None:
    mine = group_filter(SUMMIT)
    ranking = removal_ranking(
        prepare(sample.orders.filter(mine), sample.defects), sample.defects, as_of=AS_OF, horizon=90
    )
    values = [value for _, value in panel.removals.options]
    assert values == list(zip(ranking["order_id"], ranking["kind"], strict=True))
    assert len(values) == 19, "every counted defect of the window (no order has two kinds)"
    label, _ = panel.removals.options[0]
    top = ranking.row(0, named=True)
    assert label.startswith(f"{top['order_id']} · ")
    assert f"saves {top['days_saved']} day" in label


def test_removing_two_feedbacks_is_simulate_removal(panel: WhatIfPanel, sample: Account) -> None:
    feedbacks = [v for _, v in panel.removals.options if v[1] == "negative_feedback"][:2]
    panel.removals.value = tuple(feedbacks)
    state = panel.last_state
    assert state is not None and state.removed == tuple(feedbacks)
    removal = Removal(order_ids=tuple(o for o, _ in feedbacks), kinds=("negative_feedback",))
    result = simulate_removal(
        sample.orders.filter(group_filter(SUMMIT)), sample.defects, removal=removal, as_of=AS_OF
    )
    expected = result.summary.item(0, "odr_after")
    assert state.rate_today_after == expected == pytest.approx(17 / 746)
    assert state.headline.startswith("2.55% today, under 1% on ")
    assert f"; removing these 2 feedbacks: {pct(expected)} today, under 1% on " in state.headline
    # the chart shows the projection without the removed defects
    assert state.first_under_after == first_day(state.daily, pl.col("expected_rate") < 0.01)


def test_removing_defects_of_different_kinds(panel: WhatIfPanel, sample: Account) -> None:
    options = [v for _, v in panel.removals.options]
    chosen = (
        next(v for v in options if v[1] == "negative_feedback"),
        next(v for v in options if v[1] == "a_to_z_claim"),
    )
    panel.removals.value = chosen
    state = panel.last_state
    assert state is not None
    drop = pl.any_horizontal(
        (pl.col("order_id") == order_id) & (pl.col("kind") == kind) for order_id, kind in chosen
    )
    after = odr(sample.orders, sample.defects.filter(~drop), as_of=AS_OF)
    assert state.rate_today_after == after.filter(group_filter(SUMMIT)).item(0, "odr")
    assert "removing these 1 feedback and 1 A-to-z claim: 2.28% today" in state.headline


def test_changing_the_horizon_keeps_the_selection(panel: WhatIfPanel) -> None:
    chosen = panel.removals.options[3][1]
    panel.removals.value = (chosen,)
    panel.horizon.value = 60
    assert panel.removals.value == (chosen,)
    assert panel.last_state is not None and panel.last_state.removed == (chosen,)


def test_choosing_another_account(panel: WhatIfPanel, sample: Account) -> None:
    panel.extra_orders.value = 10
    panel.removals.value = (panel.removals.options[0][1],)
    panel.account_picker.value = "tiny-letterpress"
    assert panel.marketplace_picker.options == ("Amazon.co.uk",)
    assert panel.key == ("tiny-letterpress", "Amazon.co.uk", "MFN"), "its worst channel"
    assert panel.extra_orders.value == 0 and panel.removals.value == ()
    state = panel.last_state
    assert state is not None and state.account == "tiny-letterpress"
    assert state.rate_today == pytest.approx(1 / 72)
    assert state.headline.startswith("1.39% today")
    values = [v for _, v in panel.removals.options]
    assert values and all(o.startswith("2") for o, _ in values), "UK order ids"
    labels = [label for label, _ in panel.channel_picker.options]
    assert labels == [
        "AFN, FBA (Amazon-fulfilled): 0.00% today",
        "MFN, seller-fulfilled: 1.39% today",
    ]
    panel.channel_picker.value = "AFN"
    assert panel.last_state is not None and panel.last_state.rate_today == 0.0
    assert panel.last_state.headline.startswith("0.00% today, under 1%, and expected")


def test_chart_is_live_and_only_its_data_changes(drawing_panel: WhatIfPanel) -> None:
    panel = drawing_panel
    view = panel.chart_view
    assert isinstance(view, alt.JupyterChart) and panel.chart.children == (view,)
    assert view._is_offline, "the JavaScript is bundled: no CDN"
    spec, chart = view.spec, view.chart
    title = next(p["value"] for p in spec["params"] if p["name"] == CHART_TITLE)
    assert title == "summit-outdoor Amazon.com MFN: projected ODR"
    first_rows = spec["datasets"][CHART_DATA]
    assert panel.chart_rows == first_rows and panel.chart_output.outputs == ()
    before = panel.last_state
    assert before is not None
    panel.extra_orders.value = panel.extra_orders.max
    state = panel.last_state
    assert state is not None
    # the same chart (the same spec object, nothing re-sent); new rows and title only
    assert panel.chart_view is view and view.spec is spec and view.chart is chart
    title, rows = sent(panel)
    assert title == "summit-outdoor Amazon.com MFN: projected ODR"
    assert rows == panel.chart_rows and rows != first_rows
    # the headline and the chart agree: the drawn projection is the state's
    projected = expected_rows(rows)
    assert [r["rate"] for r in projected] == state.daily["expected_rate"].to_list()
    assert [r["high"] for r in projected] == state.daily["high"].to_list()
    assert [r["chance"] for r in projected] == state.daily["prob_at_or_above_target"].to_list()
    assert marked_day(rows) == state.first_under is not None
    assert state.first_under is not None
    assert f"under 1% on {state.first_under.day} {state.first_under:%B}" in state.headline
    assert html.escape(state.headline) in panel.headline.value
    reported = [r for r in rows if r["series"] == "Reported"]
    assert reported[-1]["rate"] == state.rate_today and len(reported) == 121
    # removals: the title says so, the marked day is the one without them
    panel.removals.value = tuple(v for _, v in panel.removals.options[:2])
    state = panel.last_state
    assert state is not None and view.spec is spec
    title, rows = sent(panel)
    assert title.endswith("without 2 feedbacks")
    assert marked_day(rows) == state.first_under_after
    assert ", chart data sent in " in panel.details.value


def test_another_channel_gets_its_own_live_chart(drawing_panel: WhatIfPanel) -> None:
    panel = drawing_panel
    view = panel.chart_view
    panel.channel_picker.value = "AFN"
    assert panel.chart_view is not None and panel.chart_view is not view
    assert panel.chart.children == (panel.chart_view,)
    spec = panel.chart_view.spec
    title = next(p["value"] for p in spec["params"] if p["name"] == CHART_TITLE)
    assert title.startswith("summit-outdoor Amazon.com AFN")


@pytest.mark.parametrize(
    ("environ", "live"),
    [
        ({}, True),
        ({"ODR_PANEL_LIVE": "0"}, False),
        ({"ODR_STATIC_CHARTS": "1"}, False),
        ({"ODR_STATIC_CHARTS": "0"}, True),
        ({"ODR_STATIC_CHARTS": "1", "ODR_PANEL_LIVE": "yes"}, True),
        ({"ODR_STATIC_CHARTS": "0", "ODR_PANEL_LIVE": "off"}, False),
    ],
)
def test_the_environment_chooses_the_chart_path(environ: dict[str, str], live: bool) -> None:
    assert panel_module.live_by_default(environ) is live


def test_a_flag_that_is_neither_yes_nor_no_is_named() -> None:
    with pytest.raises(ValueError, match="ODR_STATIC_CHARTS must be 1 or 0, got 'maybe'"):
        panel_module.live_by_default({"ODR_STATIC_CHARTS": "maybe"})


@pytest.mark.parametrize("flag", [("ODR_PANEL_LIVE", "0"), ("ODR_STATIC_CHARTS", "1")])
def test_the_svg_path_is_kept(
    sample: Account, monkeypatch: pytest.MonkeyPatch, flag: tuple[str, str]
) -> None:
    monkeypatch.delenv("ODR_PANEL_LIVE", raising=False)
    monkeypatch.delenv("ODR_STATIC_CHARTS", raising=False)
    monkeypatch.setenv(*flag)
    panel = WhatIfPanel(sample)
    assert panel.live is False and panel.chart_view is None
    first = svg_of(panel)
    assert first.startswith("<svg") and "summit-outdoor Amazon.com MFN" in first
    assert len(first) < 100_000, "widget-captured outputs must stay small (nbclient#312)"
    panel.extra_orders.value = panel.extra_orders.max
    second = svg_of(panel)
    assert second != first and len(second) < 100_000
    for svg in (first, second):  # the chance row stays at every slider value
        assert "Chance ≥ target" in svg
    panel.removals.value = tuple(v for _, v in panel.removals.options[:2])
    assert "without 2 feedbacks" in svg_of(panel)
    assert ", chart drawn in " in panel.details.value


def test_the_live_chart_of_a_state_is_an_altair_chart(panel: WhatIfPanel) -> None:
    state = panel.state()
    chart = panel.live_chart_for(state)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert len(expected_rows(spec["datasets"][CHART_DATA])) == 90
    assert isinstance(panel.chart_for(state), alt.TopLevelMixin)


def test_the_live_chart_zooms_in_one_view_and_vega_accepts_it(panel: WhatIfPanel) -> None:
    """The zoom is one selection in one view (the hover points) over a shared time axis.

    A selection in two views of a layer repeats its signals and Vega refuses the whole spec
    ("Duplicate signal name"): the browser then draws nothing. vl-convert runs Vega here.
    """
    import vl_convert as vlc

    spec = panel.live_chart_for(panel.state()).to_dict()
    (zoom,) = (p for p in spec["params"] if p["name"] == panel_module.ZOOM)
    assert zoom["bind"] == "scales" and zoom["select"]["encodings"] == ["x"]
    names = [layer.get("name") for layer in spec["vconcat"][0]["layer"]]
    assert zoom["views"] == [n for n in names if n], names
    assert zoom["views"][0].startswith(panel_module.POINTS_LAYER)
    assert spec["resolve"] == {"scale": {"x": "shared"}}
    vega = vlc.vegalite_to_vega(spec)
    assert sum(s["name"] == f"{panel_module.ZOOM}_tuple" for s in signals_of(vega)) == 1


def test_the_live_chart_module_applies_the_latest_update_to_new_views() -> None:
    """altair's installed JupyterChart bundle, with its default export wrapped (one found)."""
    panel_module._offline()
    bundle = alt.JupyterChart._esm
    module = panel_module.LiveChart._esm
    assert panel_module.LiveChart._bundle is bundle
    assert module.count("export default") == 1 and "as default}" not in module.replace(" ", "")
    assert "export default { render: odrRenderCaughtUp }" in module
    assert len(module) - len(bundle) < 2_000  # the bundle, not a second copy of it
    with pytest.raises(ValueError, match="one 'export"):
        panel_module.caught_up_esm("export default { render };")


def test_a_chart_module_that_changed_still_draws_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changed = "async function render(){}; export default { render };"
    monkeypatch.setattr(alt.JupyterChart, "enable_offline", classmethod(lambda cls: None))
    monkeypatch.setattr(alt.JupyterChart, "_esm", changed)
    monkeypatch.setattr(panel_module.LiveChart, "_bundle", None)
    monkeypatch.setattr(panel_module.LiveChart, "_esm", "")
    with pytest.warns(UserWarning, match="shows its first rows until the next move"):
        panel_module._offline()
    assert panel_module.LiveChart._esm == changed


def signals_of(vega: dict[str, Any]) -> list[dict[str, Any]]:
    """Every signal of a Vega spec, its groups' included."""
    found = list(vega.get("signals", []))
    for mark in vega.get("marks", []):
        if mark.get("type") == "group":
            found += signals_of(mark)
    return found


def test_without_chart_nothing_is_drawn(panel: WhatIfPanel) -> None:
    panel.extra_orders.value = 3
    assert panel.chart.children == () and panel.chart_view is None
    assert panel.chart_output.outputs == ()
    assert panel.last_state is not None and panel.last_state.extra_orders == 3


def test_prepares_once_per_account(sample: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(panel_module, "prepare", counting)
    panel = WhatIfPanel(sample, chart=False)
    panel.extra_orders.value = 5
    panel.defect_rate.value = 0.5
    panel.horizon.value = 30
    panel.channel_picker.value = "AFN"
    panel.channel_picker.value = "MFN"
    assert len(calls) == 1
    panel.account_picker.value = "evergreen-home"
    panel.account_picker.value = "summit-outdoor"
    assert len(calls) == 2, "once more for the new account, then from the cache"


def test_pair_of_frames_and_explicit_choices(sample: Account) -> None:
    panel = WhatIfPanel(
        (sample.orders, sample.defects), as_of="2026-02-20", account="evergreen-home", chart=False
    )
    assert panel.as_of == dt.date(2026, 2, 20)
    assert panel.key[0] == "evergreen-home"
    row = odr(sample.orders, sample.defects, as_of="2026-02-20").filter(group_filter(panel.key))
    assert panel.last_state is not None
    assert panel.last_state.rate_today == row.item(0, "odr")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"account": "nobody"}, ValueError, "account 'nobody' is not in the data"),
        ({"channel": "XYZ"}, ValueError, r"channel 'XYZ' is not in the data; choose one of"),
    ],
)
def test_unknown_choices_are_named(
    sample: Account, kwargs: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        WhatIfPanel(sample, chart=False, **kwargs)


def test_needs_an_account_or_two_frames() -> None:
    with pytest.raises(TypeError, match=r"an Account .* or a pair \(orders, defects\)"):
        WhatIfPanel("data/sample")


def test_the_data_alerts_are_shown_above_the_panel(panel: WhatIfPanel) -> None:
    assert panel.alerts.value == ""  # the sample has none
    acme = load(ROOT / "tests" / "fixtures" / "readers" / "accounts", "acme-us", quiet=True)
    shown = WhatIfPanel(acme, as_of="2025-11-30", chart=False, n_sims=20)
    assert shown.children[0] is shown.alerts
    assert "Check the data first" in shown.alerts.value
    for alert in acme.alerts:
        assert html.escape(alert) in shown.alerts.value
