"""The what-if panel: one ipywidgets panel to play with an account's ODR in a notebook or Voila.

``display(WhatIfPanel(account))`` shows, for one account, marketplace and channel:

* pickers for the account, the marketplace and the channel (each channel with today's rate);
* sliders for the extra clean orders per day, the assumed defect rate of new orders (default:
  the channel's matured rate) and the horizon in days; they recompute when released, not on
  every pixel (``continuous_update=False``);
* the counted defects of the window in a multi-select, ranked by the days above the target that
  removing each one alone would save (:func:`odr_analysis.removal.removal_ranking`);
* a headline, e.g. "2.55% today, under 1% on 14 March; removing these 2 feedbacks: 2.28% today",
  and the projection chart (:func:`live_chart`: the reported rate, then the expected rate with
  its band and the chance at or over the target; tooltips on every day), updated in place.

The numbers come from :meth:`WhatIfPanel.state` (a pure function of the widget values, also
what tests check): today's rate is the daily counter's (:func:`odr_analysis.daily.daily_path`
on the data known on the report date), the rate after removals is the counter's on the data
without the selected defects (as :func:`odr_analysis.removal.simulate_removal` computes it), and
the dates come from :func:`odr_analysis.projection.project` with the sliders' assumptions (its
outlook, :func:`odr_analysis.outlook.under_target`); the sentence is
:func:`odr_analysis.words.headline`.

Speed: :func:`odr_analysis.parts.prepare` runs once per account (the one pass over its
orders); each slider move then works on the small prepared frames of one channel. The chart is
an :class:`altair.JupyterChart` (anywidget; its JavaScript bundled by vl-convert, so it works
offline) drawn by the browser: a move sends only the chart's new rows and title, which the
browser swaps into the drawn chart (:meth:`WhatIfPanel._draw_live`), right before the new
headline. ``live=False`` (or ``ODR_PANEL_LIVE=0``, or ``ODR_STATIC_CHARTS=1`` as for the
notebooks' charts: :func:`live_by_default`) keeps the old path, an SVG drawn in the kernel by
vl-convert on every move (about 0.2 s) inside an Output widget, for comparison
(``benchmarks/bench_panel_browser.py``) and where widgets cannot run JavaScript modules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import os
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import altair as alt
import ipywidgets as widgets  # type: ignore[import-untyped]
import polars as pl

from odr_analysis import words
from odr_analysis.charts import DATE_FORMAT, PALETTE, projection_chart, to_svg
from odr_analysis.daily import daily_path
from odr_analysis.engine import odr
from odr_analysis.estimates import matured_defect_rate, recent_daily_orders
from odr_analysis.notebook import NO, STATIC_ENV, YES, default_as_of, worst_group
from odr_analysis.parts import OdrParts, known_on, prepare
from odr_analysis.projection import Assumptions, Projection, project
from odr_analysis.removal import Removal, removal_ranking
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import GROUP_KEYS, DefectKind, validate_defects, validate_orders

__all__ = ["PanelState", "WhatIfPanel"]

PANEL_CLASS: Final = "odr-whatif-panel"
HEADLINE_CLASS: Final = "odr-whatif-headline"
CHART_CLASS: Final = "odr-whatif-chart"
DETAILS_CLASS: Final = "odr-whatif-details"
_HISTORY_DAYS: Final = 120
#: The named dataset of the live chart (every row drawn) and its title parameter: a slider
#: move replaces the dataset's rows and the title in the browser, nothing else.
CHART_DATA: Final = "odr_panel_rows"
CHART_TITLE: Final = "odr_panel_title"
#: The layer of invisible points that carry the projected days' tooltips (the SVG's class of its
#: marks starts with this name). It also holds the zoom (:data:`ZOOM`).
POINTS_LAYER: Final = "odr_panel_points"
#: The interval selection bound to the time axis (wheel zooms, drag pans, double click resets).
ZOOM: Final = "odr_panel_zoom"
_REPORTED: Final = "Reported"
_EXPECTED: Final = "Expected (band: likely range)"
#: ``ODR_PANEL_LIVE=0`` in the environment: the old path (an SVG drawn in the kernel on every
#: move) by default, for before/after measurements (``benchmarks/bench_panel_browser.py``).
LIVE_ENV: Final = "ODR_PANEL_LIVE"


def live_by_default(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a panel draws its chart live when ``live`` is not given.

    ``ODR_PANEL_LIVE`` decides when set (1 or 0); otherwise the panel is live unless the
    notebook's charts are asked to be static (``ODR_STATIC_CHARTS=1``,
    :data:`odr_analysis.notebook.STATIC_ENV`). ``environ`` defaults to ``os.environ``.

    >>> live_by_default({}), live_by_default({"ODR_STATIC_CHARTS": "1"})
    (True, False)
    >>> live_by_default({"ODR_STATIC_CHARTS": "1", "ODR_PANEL_LIVE": "1"})
    True
    """
    env = os.environ if environ is None else environ
    for name, live_when_yes in ((LIVE_ENV, True), (STATIC_ENV, False)):
        flag = env.get(name, "").strip().lower()
        if flag in YES:
            return live_when_yes
        if flag in NO:
            return not live_when_yes
        if flag:
            raise ValueError(f"{name} must be 1 or 0, got {flag!r}")
    return True


@dataclass(frozen=True, eq=False)
class PanelState:
    """The panel's numbers for one set of widget values (see :meth:`WhatIfPanel.state`).

    Attributes
    ----------
    account, marketplace, channel, as_of
        The group and the report date.
    order_count, defective_orders, rate_today
        The engine's numbers on ``as_of`` (``rate_today`` is ``None`` without orders).
    daily_orders
        The channel's recent orders a day (average of the last 28 days): the baseline of new
        orders, each defective with probability ``defect_rate``.
    extra_orders, defect_rate, horizon
        The sliders: extra clean orders a day, the assumed defect rate of the baseline's new
        orders (a fraction), the days projected.
    first_under
        The first report date after ``as_of`` whose expected rate is under the target, without
        removals: the projection's ``first_under`` (``None``: not within the horizon).
    first_over
        The first report date whose expected rate is at or over the target after being under
        it: after ``first_under`` when over today, after ``as_of`` when under today (``None``:
        it stays under to the end of the horizon).
    removed
        The selected defects, as ``(order_id, kind)`` pairs.
    rate_today_after, first_under_after
        With the selected defects removed (``None`` when nothing is selected, or no orders);
        ``first_under_after`` is the projection's ``first_under`` with the removals.
    assumptions
        What :func:`~odr_analysis.projection.project` was given: the baseline orders a day, the
        defect rate, the extra clean orders a day (``extra_clean_orders``), the horizon and the
        simulations.
    daily
        The projection drawn in the chart (a ``Projection.daily`` frame): with the removals,
        when any, and the extra clean orders in every window, band and chance at or over the
        target.
    headline
        The sentence shown.
    seconds
        How long the computation took (not the chart).
    """

    account: str
    marketplace: str
    channel: str
    as_of: dt.date
    target: float
    order_count: int
    defective_orders: int
    rate_today: float | None
    daily_orders: float
    extra_orders: int
    defect_rate: float
    horizon: int
    first_under: dt.date | None
    first_over: dt.date | None
    removed: tuple[tuple[str, DefectKind], ...]
    rate_today_after: float | None
    first_under_after: dt.date | None
    assumptions: Assumptions
    daily: pl.DataFrame
    headline: str
    seconds: float


@dataclass(frozen=True, eq=False)
class _Group:
    """What the panel keeps per (account, marketplace, channel): computed once per selection."""

    key: tuple[str, str, str]
    parts: OdrParts  # this group only
    today: dict[str, Any]  # the engine's row on as_of
    history: pl.DataFrame
    daily_orders: float
    daily_orders_source: str
    matured_rate: float | None
    matured_source: str


def _filter_group(parts: OdrParts, key: tuple[str, str, str]) -> OdrParts:
    mine = pl.all_horizontal(pl.col(k) == v for k, v in zip(GROUP_KEYS, key, strict=True))
    return dataclasses.replace(
        parts,
        order_counts=parts.order_counts.filter(mine),
        defect_spans=parts.defect_spans.filter(mine),
    )


def _outlook(projection: Projection) -> dict[str, Any]:
    """The projection's outlook of its one group (:func:`odr_analysis.outlook.under_target`)."""
    rows = projection.first_under
    return rows.row(0, named=True) if rows.height else dict.fromkeys(rows.columns)


def _svg(chart: alt.TopLevelMixin) -> str:
    """The chart drawn as SVG by vl-convert (no browser, no CDN).

    The spec is not validated again here (the chart functions are tested for that): that
    saves time on every slider move (``benchmarks/README.md``).
    """
    return to_svg(chart.to_dict(validate=False))


_DAY = "%Y-%m-%dT00:00:00"  # as altair writes dates: local midnight in the browser
_ROW_COLUMNS: Final = (
    "as_of",
    "series",
    "rate",
    "low",
    "high",
    "chance",
    "orders",
    "defective",
    "first_under",
)


def _history_rows(history: pl.DataFrame) -> list[dict[str, Any]]:
    """The live chart's rows of the reported rate (the group's recent report dates)."""
    return history.select(
        as_of=pl.col("as_of").dt.strftime(_DAY),
        series=pl.lit(_REPORTED),
        rate=pl.col("odr"),
        low=pl.lit(None, pl.Float64),
        high=pl.lit(None, pl.Float64),
        chance=pl.lit(None, pl.Float64),
        orders=pl.col("order_count").cast(pl.Float64),
        defective=pl.col("defective_orders").cast(pl.Float64),
        first_under=pl.lit(value=False),
    ).to_dicts()


def _projection_rows(daily: pl.DataFrame, first_under: dt.date | None) -> list[dict[str, Any]]:
    """The live chart's rows of the projection drawn (expected rate, band, chance)."""
    return daily.select(
        as_of=pl.col("as_of").dt.strftime(_DAY),
        series=pl.lit(_EXPECTED),
        rate=pl.col("expected_rate"),
        low=pl.col("low"),
        high=pl.col("high"),
        chance=pl.col("prob_at_or_above_target"),
        orders=pl.col("order_count").cast(pl.Float64),
        defective=pl.col("expected_defective"),
        first_under=(pl.col("as_of") == first_under) if first_under else pl.lit(value=False),
    ).to_dicts()


def live_chart(rows: Sequence[Mapping[str, Any]], *, title: str, target: float) -> alt.VConcatChart:
    """The panel's live chart: every mark reads the named dataset :data:`CHART_DATA`.

    The rows (:func:`_history_rows` and :func:`_projection_rows`) are in the spec's
    ``datasets`` for the first drawing only; a slider move then replaces the dataset's rows
    and the title parameter :data:`CHART_TITLE` in the browser (the spec never changes).
    Hovering a day shows its date, rate, counts and band (and the chance at or over target).
    Over the rate chart, the mouse wheel zooms the report dates, dragging pans them and a
    double click resets them; both views share the time axis, and a slider move keeps the zoom.
    """
    data = alt.Data(name=CHART_DATA)
    # In one view only (the points layer): a selection in two views of a layer repeats its
    # signals and Vega refuses the spec ("Duplicate signal name"). The views share the x scale.
    zoom = alt.selection_interval(name=ZOOM, bind="scales", encodings=["x"])
    title_param = alt.param(name=CHART_TITLE, value=title)
    x = alt.X("as_of:T", title="Report date", axis=alt.Axis(format=DATE_FORMAT, labelOverlap=True))
    rate_axis = alt.Axis(format=".2%")
    y = alt.Y("rate:Q", title="Order Defect Rate", axis=rate_axis)
    dash = alt.StrokeDash(
        "series:N",
        title="Rate",
        scale=alt.Scale(domain=[_REPORTED, _EXPECTED], range=[[1, 0], [5, 3]]),
        legend=alt.Legend(orient="top", symbolType="stroke"),
    )
    base = alt.Chart(data).encode(x=x)
    reported = base.transform_filter(alt.datum.series == _REPORTED)
    expected = base.transform_filter(alt.datum.series == _EXPECTED)
    blue, green, red = PALETTE["blue"], PALETTE["green"], PALETTE["vermillion"]
    day = alt.Tooltip("as_of:T", title="Report date", format=DATE_FORMAT)
    rate = alt.Tooltip("rate:Q", title="ODR", format=".2%")
    orders = alt.Tooltip("orders:Q", title="Orders in the window", format=",.0f")
    # Reported days have exact counts and no band; projected days have both (expected values).
    reported_tooltip = [
        day,
        alt.Tooltip("series:N", title="Rate"),
        rate,
        orders,
        alt.Tooltip("defective:Q", title="Defective orders", format=",.0f"),
    ]
    tooltip = [
        day,
        alt.Tooltip("series:N", title="Rate"),
        rate,
        alt.Tooltip("low:Q", title="Likely from", format=".2%"),
        alt.Tooltip("high:Q", title="Likely to", format=".2%"),
        orders,
        alt.Tooltip("defective:Q", title="Defective orders (expected)", format=",.1f"),
        alt.Tooltip("chance:Q", title="Chance at or over target", format=".0%"),
    ]
    hover: dict[str, Any] = {
        "shape": "circle",
        "size": 80,
        "opacity": 0,
        "filled": True,
        "aria": False,
    }
    target_data = alt.InlineData(
        values=[{"target": target, "label": f"Target {words.target_text(target)}"}]
    )
    target_base = alt.Chart(target_data).encode(y=alt.Y("target:Q"))
    main = alt.layer(
        expected.mark_area(opacity=0.2, color=blue).encode(
            y=alt.Y("low:Q", title="Order Defect Rate", axis=rate_axis), y2="high:Q"
        ),
        reported.mark_line(interpolate="step-after", strokeWidth=2, color=blue).encode(
            y=y, strokeDash=dash
        ),
        expected.mark_line(strokeWidth=2, color=blue).encode(y=y, strokeDash=dash),
        base.transform_filter(alt.datum.first_under)
        .mark_rule(color=green, strokeWidth=1.5)
        .encode(),
        target_base.mark_rule(color=red, strokeDash=[6, 4], strokeWidth=1.5),
        target_base.mark_text(
            align="right", baseline="bottom", dx=-2, dy=-3, color=red, fontSize=11
        ).encode(x=alt.value(640), text="label:N"),
        # No name: altair lists every named layer of a concatenated layer as a view of the
        # zoom, and the zoom must be in one view only.
        reported.mark_point(**hover).encode(y=y, tooltip=reported_tooltip),
        expected.mark_point(**hover)
        .encode(y=y, tooltip=tooltip)
        .add_params(zoom)
        .properties(name=POINTS_LAYER),
    ).properties(width=640, height=260)
    chance = (
        expected.mark_area(opacity=0.5, color=red, interpolate="step-after")
        .encode(
            y=alt.Y(
                "chance:Q",
                title="Chance ≥ target",
                axis=alt.Axis(format=".0%", tickCount=2),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=tooltip,
        )
        .properties(width=640, height=60)
    )
    return (
        alt.vconcat(main, chance)
        .resolve_scale(x="shared")
        .add_params(title_param)
        .properties(
            title=alt.TitleParams(text=alt.ExprRef(CHART_TITLE), anchor="start"),
            datasets={CHART_DATA: list(rows)},
        )
    )


class _Data:
    """The frames behind the panel (an :class:`~odr_analysis.readers.Account` or a pair)."""

    def __init__(self, data: Any) -> None:
        if isinstance(data, tuple) and len(data) == 2:
            orders, defects = data
            health = None
        elif hasattr(data, "orders") and hasattr(data, "defects"):
            orders, defects = data.orders, data.defects
            health = getattr(data, "health", None)
        else:
            raise TypeError(
                "WhatIfPanel needs an Account (from odr_analysis.readers) or a pair "
                f"(orders, defects), got {type(data).__name__}"
            )
        self.orders: pl.DataFrame = validate_orders(orders).collect()
        self.defects: pl.DataFrame = validate_defects(defects).collect()
        self.health: pl.DataFrame = health if isinstance(health, pl.DataFrame) else pl.DataFrame()
        self.name = getattr(data, "name", "data")
        self.alerts: tuple[str, ...] = tuple(getattr(data, "alerts", ()))


def _alerts_html(alerts: Sequence[str]) -> str:
    """The data's alerts above the panel (nothing when there are none)."""
    if not alerts:
        return ""
    items = "".join(f"<li>{html.escape(alert)}</li>" for alert in alerts)
    return (
        '<div style="border-left: 4px solid #D55E00; background: #fdf0e6; padding: 4px 12px">'
        f"<b>{html.escape(words.ALERTS_TITLE)}</b><ul>{items}</ul></div>"
    )


class WhatIfPanel(widgets.VBox):
    """The what-if panel for an account or a portfolio; ``display()`` it in a notebook.

    Parameters
    ----------
    data
        An :class:`~odr_analysis.readers.Account` (one account or a whole portfolio from
        ``load_portfolio``) or a pair ``(orders, defects)`` of canonical frames.
    as_of
        The report date ("today"); default: the latest day the data covers
        (:func:`odr_analysis.notebook.default_as_of`).
    rules
        The ODR rules (window, lag, target).
    account, marketplace, channel
        The group shown first; default: the one with the highest rate today.
    n_sims
        Simulations behind the projection's band (fewer is faster; the expected rate is exact).
    chart
        Draw the chart (``False``: the numbers and the headline only, e.g. in a script).
    live
        The chart drawn in the browser (an :class:`altair.JupyterChart`, offline bundle) and
        updated in place: a slider move sends only the new rows and title (see
        :meth:`refresh`). ``False``: the old path, an SVG drawn in the kernel on every move.
        Default: :func:`live_by_default` (``True`` unless the environment sets
        ``ODR_PANEL_LIVE=0`` or ``ODR_STATIC_CHARTS=1``).
    """

    def __init__(
        self,
        data: Any,
        *,
        as_of: dt.date | str | None = None,
        rules: OdrRules = OdrRules(),
        account: str | None = None,
        marketplace: str | None = None,
        channel: str | None = None,
        n_sims: int = 500,
        chart: bool = True,
        live: bool | None = None,
    ) -> None:
        self._data = _Data(data)
        self._init_chart(chart, live)
        self.rules = rules
        self.n_sims = n_sims
        self.as_of: dt.date = (
            default_as_of(self._data, rules=rules) if as_of is None else to_date(as_of, "as_of")
        )
        self.status = odr(self._data.orders, self._data.defects, as_of=self.as_of, rules=rules)
        if self.status.is_empty():
            raise ValueError(f"{self._data.name}: no orders, so there is nothing to show")
        self._account_parts: dict[str, OdrParts] = {}
        self._account_defaults: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
        self._groups: dict[tuple[str, str, str], _Group] = {}
        self._rankings: dict[tuple[tuple[str, str, str], int], pl.DataFrame] = {}
        self._busy = False
        self.last_state: PanelState | None = None
        self.timings: dict[str, float] = {}

        start = self._initial_group(account, marketplace, channel)
        style = {"description_width": "initial"}
        slider_style = {"description_width": "210px"}
        wide = widgets.Layout(width="32%")
        self.account_picker = widgets.Dropdown(description="Account", style=style, layout=wide)
        self.marketplace_picker = widgets.Dropdown(
            description="Marketplace", style=style, layout=wide
        )
        self.channel_picker = widgets.Dropdown(description="Channel", style=style, layout=wide)
        slider_layout = widgets.Layout(width="640px", max_width="98%")
        self.extra_orders = widgets.IntSlider(
            value=0,
            min=0,
            max=100,
            description="Extra clean orders a day",
            continuous_update=False,
            style=slider_style,
            layout=slider_layout,
        )
        self.defect_rate = widgets.FloatSlider(
            value=0.0,
            min=0.0,
            max=5.0,
            step=0.01,
            readout_format=".2f",
            description="Defect rate of new orders (%)",
            continuous_update=False,
            style=slider_style,
            layout=slider_layout,
        )
        self.horizon = widgets.IntSlider(
            value=90,
            min=14,
            max=180,
            description="Horizon (days)",
            continuous_update=False,
            style=slider_style,
            layout=slider_layout,
        )
        self.removals = widgets.SelectMultiple(
            options=[], rows=6, layout=widgets.Layout(width="98%")
        )
        self.headline = widgets.HTML()
        self.headline.add_class(HEADLINE_CLASS)
        self.details = widgets.HTML()
        self.details.add_class(DETAILS_CLASS)
        removal_help = widgets.HTML(
            "<b>Remove defects</b>: the defects counted now, best first (the days over the "
            "target that removing each one alone saves); Ctrl- or Cmd-click to pick several"
        )
        self.alerts = widgets.HTML(_alerts_html(self._data.alerts))
        super().__init__(
            [
                self.alerts,
                widgets.HBox([self.account_picker, self.marketplace_picker, self.channel_picker]),
                self.headline,
                self.extra_orders,
                self.defect_rate,
                self.horizon,
                removal_help,
                self.removals,
                self.chart,
                self.details,
            ]
        )
        self.add_class(PANEL_CLASS)

        self._busy = True
        accounts = sorted(self.status.get_column("account").unique().to_list())
        self.account_picker.options = accounts
        self.account_picker.value = start[0]
        self._fill_marketplaces(start[1])
        self._fill_channels(start[2])
        self._busy = False
        self._select_group()

        self.account_picker.observe(self._on_account, names="value")
        self.marketplace_picker.observe(self._on_marketplace, names="value")
        self.channel_picker.observe(self._on_channel, names="value")
        for control in (self.extra_orders, self.defect_rate, self.removals):
            control.observe(self._on_change, names="value")
        self.horizon.observe(self._on_horizon, names="value")

    def _init_chart(self, chart: bool, live: bool | None) -> None:
        self.draws_chart = chart
        self.live = live_by_default() if live is None else live
        #: The live chart (``live``): one per group shown, its spec never changes after.
        self.chart_view: LiveChart | None = None
        self._chart_key: tuple[str, str, str] | None = None
        #: The rows and title last sent to the live chart (what the browser draws).
        self.chart_rows: list[dict[str, Any]] = []
        self.chart_title = ""
        #: The chart's place: a live chart (``chart_view``), or an Output with the SVG
        #: (``chart_output``, ``live=False``), or nothing (``chart=False``).
        self.chart = widgets.Box(layout=widgets.Layout(min_height="420px" if chart else "0"))
        self.chart.add_class(CHART_CLASS)
        self.chart_output = widgets.Output()
        if chart and not live:
            self.chart.children = (self.chart_output,)

    # -- choosing a group ---------------------------------------------------------------------

    def _initial_group(
        self, account: str | None, marketplace: str | None, channel: str | None
    ) -> tuple[str, str, str]:
        candidates = self.status
        for name, value in (
            ("account", account),
            ("marketplace", marketplace),
            ("channel", channel),
        ):
            if value is None:
                continue
            subset = candidates.filter(pl.col(name) == value)
            if subset.is_empty():
                known = sorted(candidates.get_column(name).unique().to_list())
                raise ValueError(f"{name} {value!r} is not in the data; choose one of {known}")
            candidates = subset
        worst = worst_group(candidates)
        return worst["account"], worst["marketplace"], worst["channel"]

    def _fill_marketplaces(self, preferred: str | None = None) -> None:
        rows = self.status.filter(pl.col("account") == self.account_picker.value)
        options = sorted(rows.get_column("marketplace").unique().to_list())
        self.marketplace_picker.options = options
        self.marketplace_picker.value = preferred if preferred in options else options[0]

    def _fill_channels(self, preferred: str | None = None) -> None:
        rows = self.status.filter(
            (pl.col("account") == self.account_picker.value)
            & (pl.col("marketplace") == self.marketplace_picker.value)
        ).sort("channel")
        options = [
            (
                f"{r['channel']}, {words.CHANNELS[r['channel']].picker}: "
                f"{words.pct(r['odr'])} today",
                r["channel"],
            )
            for r in rows.iter_rows(named=True)
        ]
        values = [v for _, v in options]
        self.channel_picker.options = options
        if preferred in values:
            self.channel_picker.value = preferred
        else:  # the worst channel of this marketplace
            self.channel_picker.value = worst_group(rows)["channel"]

    def _on_account(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._fill_marketplaces()
            self._fill_channels()
        finally:
            self._busy = False
        self._select_group()

    def _on_marketplace(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._fill_channels()
        finally:
            self._busy = False
        self._select_group()

    def _on_channel(self, change: Mapping[str, Any]) -> None:
        if not self._busy:
            self._select_group()

    @property
    def key(self) -> tuple[str, str, str]:
        """The (account, marketplace, channel) shown."""
        return (
            str(self.account_picker.value),
            str(self.marketplace_picker.value),
            str(self.channel_picker.value),
        )

    def _parts_of(self, account: str) -> OdrParts:
        """The account's prepared parts: the one pass over its orders, once per account."""
        if account not in self._account_parts:
            began = time.perf_counter()
            mine = pl.col("account") == account
            parts = prepare(
                self._data.orders.filter(mine), self._data.defects.filter(mine), rules=self.rules
            )
            self._account_parts[account] = parts
            self._account_defaults[account] = (
                recent_daily_orders(parts, as_of=self.as_of),
                matured_defect_rate(parts, as_of=self.as_of),
            )
            self.timings["prepare"] = time.perf_counter() - began
        return self._account_parts[account]

    def _group(self, key: tuple[str, str, str]) -> _Group:
        if key not in self._groups:
            parts = _filter_group(self._parts_of(key[0]), key)
            recent, matured = self._account_defaults[key[0]]
            mine = pl.all_horizontal(pl.col(k) == v for k, v in zip(GROUP_KEYS, key, strict=True))
            recent_row = recent.filter(mine).row(0, named=True)
            matured_row = matured.filter(mine).row(0, named=True)
            first = self.as_of - dt.timedelta(days=_HISTORY_DAYS)
            path = daily_path(parts, start=first, end=self.as_of)
            today = path.filter(pl.col("as_of") == self.as_of).row(0, named=True)
            self._groups[key] = _Group(
                key=key,
                parts=parts,
                today=today,
                history=path,
                daily_orders=float(recent_row["daily_orders"]),
                daily_orders_source=str(recent_row["source"]),
                matured_rate=matured_row["defect_rate"],
                matured_source=str(matured_row["source"]),
            )
        return self._groups[key]

    def _ranking(self, key: tuple[str, str, str], horizon: int) -> pl.DataFrame:
        """The removal ranking of the group's defects (cached per group and horizon)."""
        if (key, horizon) not in self._rankings:
            group = self._group(key)
            defects = self._data.defects.filter(pl.col("account") == key[0])
            self._rankings[(key, horizon)] = removal_ranking(
                group.parts, defects, as_of=self.as_of, horizon=horizon
            )
        return self._rankings[(key, horizon)]

    def _removal_options(self, key: tuple[str, str, str], horizon: int) -> list[tuple[str, Any]]:
        ranking = self._ranking(key, horizon)
        window = self.rules.window(self.as_of)
        return [
            (
                words.removal_option(row, enters=row["order_date"] > window.end, rules=self.rules),
                (row["order_id"], row["kind"]),
            )
            for row in ranking.iter_rows(named=True)
        ]

    def _select_group(self) -> None:
        """A new group: reset the sliders to its defaults, list its defects, recompute."""
        key = self.key
        group = self._group(key)
        self._busy = True
        try:
            base = group.daily_orders
            self.extra_orders.max = max(20, int(5 * base + 0.999))
            self.extra_orders.value = 0
            matured = group.matured_rate if group.matured_rate is not None else 0.0
            default_rate = round(matured * 100, 2)
            self.defect_rate.max = max(5.0, round(4 * default_rate, 2))
            self.defect_rate.value = default_rate
            self.removals.options = self._removal_options(key, self.horizon.value)
            self.removals.value = ()
        finally:
            self._busy = False
        self.refresh()

    def _on_horizon(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        chosen = tuple(self.removals.value)
        self._busy = True
        try:
            options = self._removal_options(self.key, self.horizon.value)
            self.removals.options = options
            values = {v for _, v in options}
            self.removals.value = tuple(v for v in chosen if v in values)
        finally:
            self._busy = False
        self.refresh()

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if not self._busy:
            self.refresh()

    # -- the numbers ---------------------------------------------------------------------------

    def state(self) -> PanelState:
        """The numbers for the current widget values (no side effect on the widgets)."""
        began = time.perf_counter()
        key = self.key
        group = self._group(key)
        target = self.rules.target
        horizon = int(self.horizon.value)
        extra = int(self.extra_orders.value)
        rate = float(self.defect_rate.value) / 100
        removed = tuple(tuple(v) for v in self.removals.value)
        base = group.daily_orders
        assumptions = Assumptions(
            daily_orders=base,
            defect_rate=rate,
            extra_clean_orders=extra,
            horizon=horizon,
            n_sims=self.n_sims,
        )
        today = group.today
        rate_today = today["odr"]
        parts = group.parts
        for order_id, kind in removed:
            parts = Removal(order_ids=(order_id,), kinds=(kind,)).apply_to_parts(
                parts, as_of=self.as_of
            )
        # The projection drawn: with the removals (when any) and the extra clean orders.
        shown = project(parts, as_of=self.as_of, assumptions=assumptions)
        daily = shown.daily
        rate_after: float | None = None
        first_under_after: dt.date | None = None
        if removed:
            now = daily_path(known_on(parts, as_of=self.as_of), start=self.as_of, end=self.as_of)
            rate_after = now.item(0, "odr")
            first_under_after = _outlook(shown)["first_under"]
            # Without the removals only the expected path matters: one simulation is enough.
            plain = dataclasses.replace(assumptions, n_sims=1)
            as_is = project(group.parts, as_of=self.as_of, assumptions=plain)
        else:
            as_is = shown
        outlook = _outlook(as_is)
        first_under = outlook["first_under"]
        over_today = rate_today is not None and rate_today >= target
        first_over = outlook["back_over"] if over_today else outlook["first_over"]
        text = words.headline(
            as_of=self.as_of,
            target=target,
            rate_today=rate_today,
            first_under=first_under,
            first_over=first_over,
            horizon=horizon,
            removed=removed,
            rate_today_after=rate_after,
            first_under_after=first_under_after,
        )
        return PanelState(
            account=key[0],
            marketplace=key[1],
            channel=key[2],
            as_of=self.as_of,
            target=target,
            order_count=int(today["order_count"]),
            defective_orders=int(today["defective_orders"]),
            rate_today=rate_today,
            daily_orders=base,
            extra_orders=extra,
            defect_rate=rate,
            horizon=horizon,
            first_under=first_under,
            first_over=first_over,
            removed=removed,
            rate_today_after=rate_after,
            first_under_after=first_under_after,
            assumptions=assumptions,
            daily=daily,
            headline=text,
            seconds=time.perf_counter() - began,
        )

    def chart_for(self, state: PanelState) -> alt.TopLevelMixin:
        """The projection chart of ``state`` (history of the reported rate, then the band)."""
        group = self._group((state.account, state.marketplace, state.channel))
        return projection_chart(state.daily, history=group.history, title=_title(state))

    def live_chart_for(self, state: PanelState) -> alt.VConcatChart:
        """The live chart of ``state`` (what :attr:`chart_view` shows; :func:`live_chart`)."""
        return live_chart(self._rows(state), title=_title(state), target=state.target)

    def _rows(self, state: PanelState) -> list[dict[str, Any]]:
        group = self._group((state.account, state.marketplace, state.channel))
        shown_under = state.first_under_after if state.removed else state.first_under
        return _history_rows(group.history) + _projection_rows(state.daily, shown_under)

    def _draw_live(self, state: PanelState) -> None:
        """Update the live chart in place: new rows and title only (one message).

        altair's JupyterChart applies ``_py_to_js_updates`` in the browser: each ``data``
        update replaces a named dataset's rows (``view.changeset().remove(...).insert(...)``),
        each ``signal`` update sets a parameter, then the view runs once. The spec, and so the
        chart object, stays the same; only a new group gets a new chart.
        """
        key = (state.account, state.marketplace, state.channel)
        rows = self._rows(state)
        title = _title(state)
        self.chart_rows, self.chart_title = rows, title
        if self.chart_view is None or self._chart_key != key:
            _offline()
            old = self.chart_view
            self.chart_view = LiveChart(
                live_chart(rows, title=title, target=state.target),
                embed_options={"renderer": "svg", "actions": False},
            )
            self._chart_key = key
            self.chart.children = (self.chart_view,)
            if old is not None:
                old.close()
            return
        self.chart_view._py_to_js_updates = [
            {"namespace": "signal", "name": CHART_TITLE, "scope": [], "value": title},
            {"namespace": "data", "name": CHART_DATA, "scope": [], "value": rows},
        ]

    def refresh(self) -> PanelState:
        """Recompute, then update the headline and the chart together; returns the state."""
        state = self.state()
        self.last_state = state
        self.timings["compute"] = state.seconds
        headline = f"<h3 style='margin:0.3em 0'>{html.escape(state.headline)}</h3>"
        began = time.perf_counter()
        if self.draws_chart and self.live:
            # The chart's update and the headline leave the kernel one after the other.
            self._draw_live(state)
            self.headline.value = headline
        else:
            self.headline.value = headline
            if self.draws_chart:
                svg = _svg(self.chart_for(state))
                # Replace the Output's content in one step (the same as clear_output(wait=True)
                # and a new display, without depending on which cell is running).
                self.chart_output.outputs = (
                    {"output_type": "display_data", "data": {"image/svg+xml": svg}, "metadata": {}},
                )
        self.timings["chart"] = time.perf_counter() - began
        group = self._group(self.key)
        t = words.target_text(state.target)
        how = "chart data sent" if self.live else "chart drawn"
        drawn = f", {how} in {self.timings['chart'] * 1000:.0f} ms" if self.draws_chart else ""
        self.details.value = (
            "<small>"
            f"Report date {state.as_of}; window {group.today['window_start']} to "
            f"{group.today['window_end']}: {state.defective_orders} defective of "
            f"{state.order_count:,} orders. "
            f"New orders: {state.daily_orders:,.1f} a day "
            f"({html.escape(group.daily_orders_source)}) "
            f"at {state.defect_rate:.2%} defective "
            f"(matured rate: {words.pct(group.matured_rate)}, "
            f"{html.escape(group.matured_source)}), "
            f"plus {state.extra_orders} clean a day. Target: under {t}. "
            f"{_removed_text(state.removed)}"
            f"Computed in {state.seconds * 1000:.0f} ms{drawn}.</small>"
        )
        return state


def _title(state: PanelState) -> str:
    title = f"{state.account} {state.marketplace} {state.channel}: projected ODR"
    if state.removed:
        what = words.what_removed(state.removed).removeprefix("these ").removeprefix("this ")
        title += f" without {what}"
    return title


def _removed_text(removed: Sequence[tuple[str, str]]) -> str:
    """Which defects the projection leaves out (the details line), or nothing."""
    if not removed:
        return ""
    listed = ", ".join(f"{order_id} ({kind.replace('_', ' ')})" for order_id, kind in removed)
    return f"Without: {html.escape(listed)}. "


def _offline() -> None:
    """JupyterChart with its JavaScript bundled (vl-convert): no CDN needed (done once)."""
    alt.JupyterChart.enable_offline()
    bundle = alt.JupyterChart._esm
    if LiveChart._bundle is not bundle:
        LiveChart._bundle = bundle
        try:
            LiveChart._esm = caught_up_esm(bundle)
        except ValueError as error:  # altair's module changed: the panel works, views may lag
            warnings.warn(
                f"{error}: a second view of the panel's chart shows its first rows until the "
                "next move (odr_analysis.panel.caught_up_esm needs updating)",
                stacklevel=2,
            )
            LiveChart._esm = bundle


#: JavaScript appended to altair's JupyterChart module: its ``render``, then the latest
#: in-place update (rows and title) applied to the new view. Without it a second view of the
#: chart (the output shown again, JupyterLab's "New View for Output", a page reloaded on a
#: live kernel) would draw the first rows, under a headline of the current ones.
_CATCH_UP_JS = """
async function odrRenderCaughtUp({ model, el }) {
    let apply = null;
    const watched = Object.create(model);
    watched.on = (name, callback, ...rest) => {
        if (name === "change:_py_to_js_updates") apply = callback;
        return model.on(name, callback, ...rest);
    };
    const cleanup = await %(default)s.render({ model: watched, el });
    const latest = model.get("_py_to_js_updates");
    if (apply !== null && latest && latest.length) {
        await apply({ changed: { _py_to_js_updates: latest } });
    }
    return cleanup;
}
export default { render: odrRenderCaughtUp };
"""

_DEFAULT_EXPORT = re.compile(r"export\s*\{\s*([A-Za-z_$][\w$]*)\s+as\s+default\s*\}\s*;?")


def caught_up_esm(bundle: str) -> str:
    """altair's JupyterChart module (``bundle``) whose views start from the latest update.

    Raises ``ValueError`` when the bundle's default export is not where it was (an upgrade
    of altair or vl-convert): a test runs this on the installed bundle.
    """
    found = list(_DEFAULT_EXPORT.finditer(bundle))
    if len(found) != 1:
        raise ValueError(
            f"expected one 'export {{... as default}}' in the chart module, got {len(found)}"
        )
    match = found[0]
    return bundle[: match.start()] + bundle[match.end() :] + _CATCH_UP_JS % {"default": match[1]}


class LiveChart(alt.JupyterChart):
    """altair's :class:`~altair.JupyterChart` whose every view shows the latest update.

    The panel updates the chart in place (``_py_to_js_updates``: new rows and title); altair
    applies an update to the views that exist when it arrives. This one also applies the
    latest to each view drawn later (:func:`caught_up_esm`).
    """

    _bundle: str | None = None
