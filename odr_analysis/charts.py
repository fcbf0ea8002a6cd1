"""Altair charts: functions that take an aggregated polars frame and return a chart.

They never display anything and never receive order-level rows: a frame of more than
:data:`MAX_ROWS` rows is refused with a :class:`ValueError` that says to aggregate first, so no
chart comes near altair's row limit. Every chart has a title, axis titles in words, rates as
percentages, dates as dates (``23 Feb 2026``) and a colour-blind-safe palette (Okabe-Ito). The
specs hold their data inline and load nothing from the network: render them offline with
``alt.renderers.enable("svg")``, ``alt.JupyterChart(chart, offline=True)``,
``chart.save("x.png")`` or ``chart.save("x.html", inline=True)``.

=========================  ===================================================================
function                   frame it takes
=========================  ===================================================================
:func:`odr_over_time`      :func:`~odr_analysis.engine.odr_daily` (one account), optionally
                           :func:`~odr_analysis.maturity.maturity`
:func:`composition_over_time`  :func:`~odr_analysis.engine.odr_daily` (one account)
:func:`drilldown_chart`    :func:`~odr_analysis.drilldown.defect_breakdown`
:func:`dropoff_chart`      :func:`~odr_analysis.dropoff.dropoff_calendar`
:func:`projection_chart`   :func:`~odr_analysis.projection.project`
:func:`waterfall_chart`    :func:`~odr_analysis.explain.explain_change`
:func:`p_chart`            :func:`~odr_analysis.stats.unusual_days`
:func:`portfolio_chart`    :func:`~odr_analysis.engine.odr` for many accounts, or
                           :func:`~odr_analysis.portfolio.portfolio_status`
:func:`health_history_chart`  :func:`~odr_analysis.history.health_history` (one account and
                           marketplace); one metric: :func:`health_metric_chart`
:func:`reconcile_history_chart`  :func:`~odr_analysis.history.reconcile_history`
=========================  ===================================================================

The charts over time (:func:`odr_over_time`, :func:`composition_over_time`, :func:`p_chart`,
:func:`reconcile_history_chart`, :func:`health_metric_chart`, :func:`health_history_chart`,
whose panels zoom together) take ``zoom=True`` for an interactive view: an interval
selection bound to the time axis (``alt.selection_interval(bind="scales", encodings=["x"])``):
the mouse wheel zooms the dates, dragging pans them, a double click resets them. It is off by
default (the reports' charts stay as they are); a static SVG ignores it (vl-convert draws the
full range).

An empty frame gives a small chart that says there is nothing to show (so a notebook run on an
account without orders still runs to the end), never an error.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import warnings
from collections.abc import Sequence
from typing import Any, Final

import altair as alt
import polars as pl
import vl_convert

from odr_analysis import words
from odr_analysis.outlook import under_target
from odr_analysis.portfolio import STATUS_ORDER, portfolio_status
from odr_analysis.rules import OdrRules
from odr_analysis.schema import COMPONENT_OF_KIND, KINDS, WINDOW_COLUMNS

__all__ = [
    "CHANNEL_COLORS",
    "DATE_FORMAT",
    "KIND_LABELS",
    "MAX_ROWS",
    "PALETTE",
    "composition_over_time",
    "drilldown_chart",
    "dropoff_chart",
    "health_history_chart",
    "health_metric_chart",
    "odr_over_time",
    "p_chart",
    "portfolio_chart",
    "projection_chart",
    "reconcile_history_chart",
    "to_svg",
    "waterfall_chart",
]

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PALETTE: Final = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#999999",
    "black": "#000000",
}
CHANNEL_COLORS: Final = alt.Scale(domain=["AFN", "MFN"], range=[PALETTE["blue"], PALETTE["orange"]])
#: The largest frame a chart accepts; altair refuses more than 5,000 rows per dataset.
MAX_ROWS: Final = 5000
#: How every date is shown: 23 Feb 2026 (:data:`odr_analysis.words.CHART_DATE`).
DATE_FORMAT: Final = words.CHART_DATE
#: The engine's component columns, in words.
KIND_LABELS: Final = {column: words.KINDS[kind].title for kind, column in COMPONENT_OF_KIND.items()}
_KIND_COLORS: Final = alt.Scale(
    domain=[*KIND_LABELS.values(), "Defective orders (any kind)"],
    range=[PALETTE["purple"], PALETTE["sky"], PALETTE["green"], PALETTE["black"]],
)
_TOTAL = "Defective orders (any kind)"
_REPORTED = "Reported (as Amazon shows it)"
_MATURED = "Expected once all defects are in"
_WIDTH, _HEIGHT = 640, 260
# An axis of whole numbers (orders): no label on a fractional tick (tickMinStep alone is not
# honoured by every renderer).
_COUNT_AXIS: Final = alt.Axis(
    tickMinStep=1, format=",d", labelExpr="datum.value % 1 ? '' : datum.label"
)
_INDEPENDENT_Y: Final = alt.Resolve(scale=alt.ScaleResolveMap(y="independent"))
_DAY = dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Shared helpers.


def _frame(frame: Any, function: str, name: str, required: Sequence[str]) -> pl.DataFrame:
    """The frame as a DataFrame, checked: type, required columns and at most MAX_ROWS rows."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(
            f"{function}: {name} must be a polars DataFrame, got {type(frame).__name__}"
        )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{function}: {name} has no column(s) {missing}; it has {frame.columns}")
    if frame.height > MAX_ROWS:
        raise ValueError(
            f"{function}: {name} has {frame.height:,} rows, more than a chart should get "
            f"({MAX_ROWS:,}); aggregate it first (e.g. one row per channel and day, or "
            "filter to one account)"
        )
    return frame


def _one_account(frame: pl.DataFrame, function: str) -> None:
    present = [c for c in ("account", "marketplace") if c in frame.columns]
    if present and frame.select(present).n_unique() > 1:
        shown = frame.select(present).unique().sort(present).head(3).rows()
        raise ValueError(
            f"{function}: the frame holds several accounts or marketplaces (e.g. {shown}); "
            'filter it to one first, e.g. daily.filter(pl.col("account") == "...")'
        )


def _empty(title: str, message: str) -> alt.Chart:
    """A small chart that shows ``message`` instead of data."""
    return (
        alt.Chart(pl.DataFrame({"message": [message]}))
        .mark_text(fontSize=13, color=PALETTE["grey"])
        .encode(text="message:N")
        .properties(title=title, width=_WIDTH, height=60)
    )


def _target(frame: pl.DataFrame, target: float | None) -> float:
    if target is not None:
        if not 0 < target <= 1:
            raise ValueError(f"target must be a fraction in (0, 1], got {target!r}")
        return float(target)
    if "target" in frame.columns and frame["target"].drop_nulls().len():
        return float(frame["target"].drop_nulls().max())  # type: ignore[arg-type]
    return OdrRules().target


def _target_layers(target: float, *, label: str | None = None) -> list[alt.Chart]:
    """The target as a dashed rule, labelled at its right end."""
    text = label or f"Target {words.target_text(target)}"
    data = pl.DataFrame({"target": [target], "label": [text]})
    base = alt.Chart(data).encode(y=alt.Y("target:Q", title="Order Defect Rate"))
    rule = base.mark_rule(color=PALETTE["vermillion"], strokeDash=[6, 4], strokeWidth=1.5)
    text = base.mark_text(
        align="right", baseline="bottom", dx=-2, dy=-3, color=PALETTE["vermillion"], fontSize=11
    ).encode(x=alt.value(_WIDTH), text="label:N")
    return [rule, text]


def _date_x(field: str, title: str, **kwargs: Any) -> alt.X:
    return alt.X(
        f"{field}:T", title=title, axis=alt.Axis(format=DATE_FORMAT, labelOverlap=True), **kwargs
    )


def _date_tip(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=DATE_FORMAT)


def _rate_y(field: str = "odr", title: str = "Order Defect Rate", **kwargs: Any) -> alt.Y:
    return alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format=".2%"), **kwargs)


def _channel_color(*, lines: bool = False, **kwargs: Any) -> alt.Color:
    """Colour by channel; ``lines``: a legend of strokes (for charts of lines and bands)."""
    if lines:
        kwargs.setdefault(
            "legend", alt.Legend(symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=3)
        )
    return alt.Color("channel:N", title="Channel", scale=CHANNEL_COLORS, **kwargs)


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.Title:
    return alt.Title(text, subtitle=subtitle or [], anchor="start")


def _window_tips(rate: str) -> list[alt.Tooltip]:
    """Tooltip lines of one window: its order dates, its counts and its rate (column ``rate``)."""
    return [
        _date_tip("window_start", "Window from (order date)"),
        _date_tip("window_end", "Window to (order date)"),
        alt.Tooltip("order_count:Q", title="Orders in window", format=","),
        alt.Tooltip("defective_orders:Q", title="Defective orders", format=","),
        alt.Tooltip(f"{rate}:Q", title="ODR", format=".2%"),
    ]


def _day_tooltip() -> list[alt.Tooltip]:
    """The tooltip of one report date of a channel: its window, counts and rate."""
    return [
        alt.Tooltip("channel:N", title="Channel"),
        _date_tip("as_of", "Report date"),
        *_window_tips("odr"),
    ]


def _hover(base: alt.Chart, tooltip: list[alt.Tooltip], **encoding: Any) -> alt.Chart:
    """Invisible points that carry the tooltip of each row (a line has one tooltip in all).

    ``aria=False``: their accessible labels would only repeat the tooltips and would make a
    static SVG several times larger.
    """
    return base.mark_point(shape="square", size=60, opacity=0, filled=True, aria=False).encode(
        tooltip=tooltip, **encoding
    )


def _zoomable(chart: Any, zoom: bool) -> Any:
    """``chart`` (a layer) with the time axis zoomable (wheel) and pannable (drag), if ``zoom``.

    Only x: the rate axis stays put, so the target rule stays in view.
    """
    if not zoom:
        return chart
    return chart.add_params(alt.selection_interval(bind="scales", encodings=["x"]))


def _window_words(frame: pl.DataFrame) -> str:
    """'a 60-day window that ended 14 days earlier', from the frame's own window columns."""
    row = frame.row(0, named=True)
    days = (row["window_end"] - row["window_start"]).days + 1
    lag = (row["as_of"] - row["window_end"]).days
    return f"a {days}-day window that ended {lag} day{'s' if lag != 1 else ''} earlier"


def _breach_runs(frame: pl.DataFrame, target: float) -> pl.DataFrame:
    """Runs of consecutive report dates with the rate at or above the target, per channel."""
    return (
        frame.sort("channel", "as_of")
        .with_columns(breach=(pl.col("odr") >= target).fill_null(False))
        .with_columns(
            run=(
                (pl.col("breach") != pl.col("breach").shift(1))
                | (pl.col("as_of") - pl.col("as_of").shift(1) != pl.duration(days=1))
            )
            .fill_null(True)
            .cum_sum()
            .over("channel")
        )
        .filter(pl.col("breach"))
        .group_by("channel", "run")
        .agg(
            start=pl.col("as_of").min(),
            last=pl.col("as_of").max(),
            days=pl.len().cast(pl.Int64),
            worst=pl.col("odr").max(),
        )
        .with_columns(end=pl.col("last") + pl.duration(days=1))
        .sort("channel", "start")
    )


# ---------------------------------------------------------------------------------------------
# ODR over time.


def odr_over_time(
    daily: pl.DataFrame,
    *,
    matured: pl.DataFrame | None = None,
    target: float | None = None,
    title: str = "Order Defect Rate by report date",
    tooltips: bool = True,
    zoom: bool = False,
) -> alt.TopLevelMixin:
    """ODR per channel over report dates against the target, breach days shaded.

    ``daily`` is an :func:`~odr_analysis.engine.odr_daily` frame for one account and
    marketplace (one row per channel and day). The reported rate is a solid step line per
    channel; the days on which it is at or above the target are shaded in the channel's colour
    (one band per run of days); the target is a labelled dashed rule (``target``, default: the
    frame's ``target`` column). Hovering a day shows its window, orders and defective orders.

    ``matured`` (optional) is the expected rate once every order of the window has had time to
    collect its defects, from :func:`~odr_analysis.maturity.maturity`: columns ``channel``,
    ``expected_matured``, ``low``, ``high`` and optionally ``as_of`` and ``reported``. Without
    ``as_of`` its rows belong to the last report date of ``daily``. It is drawn dashed with its
    band, and a marker with the band's range on the last day it covers.

    ``tooltips=False`` leaves out the invisible per-day points that carry the tooltips: a
    static SVG (the ``svg`` renderer, where tooltips do not work) is then about 3 times smaller.
    ``zoom=True``: the report dates can be zoomed (mouse wheel) and panned (drag); a double
    click resets them.
    """
    function = "odr_over_time"
    required = ("channel", "as_of", "window_start", "window_end", "order_count")
    frame = _frame(daily, function, "daily", (*required, "defective_orders", "odr"))
    if frame.is_empty():
        return _empty(title, "No report dates to show")
    _one_account(frame, function)
    goal = _target(frame, target)
    frame = frame.select(*required, "defective_orders", "odr", series=pl.lit(_REPORTED)).sort(
        "channel", "as_of"
    )
    x = _date_x("as_of", "Report date")
    dash = alt.StrokeDash(
        "series:N",
        title="Rate",
        scale=alt.Scale(
            domain=[_REPORTED, _MATURED],
            range=[[1, 0], [5, 3]],
        ),
    )
    runs = _breach_runs(frame, goal)
    layers: list[alt.Chart] = []
    if runs.height:
        layers.append(
            alt.Chart(runs)
            .mark_rect(opacity=0.14)
            .encode(
                x=_date_x("start", "Report date"),
                x2="end:T",
                color=_channel_color(lines=True),
                tooltip=[
                    alt.Tooltip("channel:N", title="Channel"),
                    _date_tip("start", "At or above target from"),
                    _date_tip("last", "to"),
                    alt.Tooltip("days:Q", title="Days"),
                    alt.Tooltip("worst:Q", title="Highest rate", format=".2%"),
                ],
            )
        )
    if matured is not None:
        layers.extend(_matured_layers(matured, frame, x, dash))
    tooltip = _day_tooltip()
    base = alt.Chart(frame).encode(x=x, y=_rate_y(), color=_channel_color(lines=True))
    layers.append(base.mark_line(interpolate="step-after", strokeWidth=2).encode(strokeDash=dash))
    if tooltips:
        layers.append(_hover(base, tooltip))
    layers.extend(_target_layers(goal))
    chart = alt.layer(
        *layers,
        title=_title(
            title,
            subtitle="Shaded: days at or above the target. Each day's rate covers the orders of "
            f"{_window_words(frame)}.",
        ),
        width=_WIDTH,
        height=_HEIGHT,
    )
    return _zoomable(chart, zoom)


def _matured_layers(
    matured: pl.DataFrame, daily: pl.DataFrame, x: alt.X, dash: alt.StrokeDash
) -> list[alt.Chart]:
    need = ("channel", "expected_matured", "low", "high")
    frame = _frame(matured, "odr_over_time", "matured", need)
    if frame.is_empty():
        return []
    if "as_of" not in frame.columns:
        frame = frame.with_columns(as_of=pl.lit(daily["as_of"].max()))
    frame = frame.select(
        "channel",
        "as_of",
        "expected_matured",
        "low",
        "high",
        *(["reported"] if "reported" in frame.columns else []),
        series=pl.lit(_MATURED),
    ).sort("channel", "as_of")
    tooltip = [
        alt.Tooltip("channel:N", title="Channel"),
        _date_tip("as_of", "Report date"),
        *(
            [alt.Tooltip("reported:Q", title="Reported", format=".2%")]
            if "reported" in frame.columns
            else []
        ),
        alt.Tooltip("expected_matured:Q", title="Expected when matured", format=".2%"),
        alt.Tooltip("low:Q", title="Band from", format=".2%"),
        alt.Tooltip("high:Q", title="Band to", format=".2%"),
    ]
    base = alt.Chart(frame).encode(x=x, color=_channel_color(lines=True))
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=_rate_y("low"), y2="high:Q"
    )
    line = base.mark_line(interpolate="step-after", strokeWidth=1.5).encode(
        y=_rate_y("expected_matured"), strokeDash=dash
    )
    last = frame.filter(pl.col("as_of") == pl.col("as_of").max().over("channel"))
    last_base = alt.Chart(last).encode(x=x, color=_channel_color(lines=True))
    whisker = last_base.mark_rule(strokeWidth=2).encode(y=_rate_y("low"), y2="high:Q")
    marker = last_base.mark_point(shape="diamond", size=80, filled=True).encode(
        y=_rate_y("expected_matured"), tooltip=tooltip
    )
    return [band, line, whisker, marker]


# ---------------------------------------------------------------------------------------------
# Composition.


def composition_over_time(
    daily: pl.DataFrame, *, title: str = "Defects in the window by kind", zoom: bool = False
) -> alt.TopLevelMixin:
    """The three components of the ODR over report dates, one panel per channel.

    ``daily`` is an :func:`~odr_analysis.engine.odr_daily` frame for one account and
    marketplace. Each panel has one line per kind of defect (orders in the window with a
    negative feedback, an A-to-z claim, a chargeback) and, in black, the defective orders (an
    order with two kinds counts once there, so the three lines can add up to more). The tooltip
    gives each component's rate too and, when ``daily`` has them (an ``odr_daily`` frame
    does), the window's order dates, the defective orders and the ODR. ``zoom=True``: the
    report dates can be zoomed and panned, as in :func:`odr_over_time`.
    """
    function = "composition_over_time"
    columns = ("channel", "as_of", "order_count", "defective_orders", *KIND_LABELS)
    frame = _frame(daily, function, "daily", columns)
    if frame.is_empty():
        return _empty(title, "No report dates to show")
    _one_account(frame, function)
    total = _TOTAL
    extra = [c for c in ("window_start", "window_end", "odr") if c in frame.columns]
    frame = frame.select(
        "channel",
        "as_of",
        *extra,
        "order_count",
        "defective_orders",
        **{label: pl.col(col) for col, label in KIND_LABELS.items()},
        **{total: pl.col("defective_orders")},
    ).sort("channel", "as_of")
    window_tips = [
        _date_tip(c, t)
        for c, t in (
            ("window_start", "Window from (order date)"),
            ("window_end", "Window to (order date)"),
        )
        if c in extra
    ]
    odr_tip = [alt.Tooltip("odr:Q", title="ODR", format=".2%")] if "odr" in extra else []
    lines = (
        alt.Chart()
        .transform_fold([*KIND_LABELS.values(), total], as_=["kind", "orders"])
        .transform_calculate(rate="datum.order_count > 0 ? datum.orders / datum.order_count : null")
        .mark_line(interpolate="step-after", strokeWidth=1.8)
        .encode(
            x=_date_x("as_of", "Report date"),
            y=alt.Y("orders:Q", title="Orders in the window", axis=_COUNT_AXIS),
            color=alt.Color("kind:N", title="Defect", scale=_KIND_COLORS),
            strokeDash=alt.condition(
                f"datum.kind === '{total}'", alt.value([4, 2]), alt.value([1, 0])
            ),
            tooltip=[
                alt.Tooltip("channel:N", title="Channel"),
                _date_tip("as_of", "Report date"),
                *window_tips,
                alt.Tooltip("kind:N", title="Defect"),
                alt.Tooltip("orders:Q", title="Orders with it", format=","),
                alt.Tooltip("rate:Q", title="Share of orders", format=".2%"),
                alt.Tooltip("order_count:Q", title="Orders in window", format=","),
                alt.Tooltip("defective_orders:Q", title="Defective orders", format=","),
                *odr_tip,
            ],
        )
        .properties(width=_WIDTH, height=150)
    )
    return _zoomable(alt.layer(lines, data=frame), zoom).facet(
        row=alt.Row("channel:N", title="Channel", header=alt.Header(labelAngle=0)),
        resolve=_INDEPENDENT_Y,
        title=_title(
            title, subtitle="Orders in each report date's window with a defect of each kind"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Drill-down.


_DIMENSION_WORDS: Final = {
    "sku": "SKU",
    "asin": "ASIN",
    "ship_service_level": "ship service level",
    "ship_country": "ship country",
}


def drilldown_chart(
    breakdown: pl.DataFrame,
    *,
    dimension: str | None = None,
    target: float | None = None,
    include_clean: bool = False,
) -> alt.TopLevelMixin:
    """Defective orders and the defect rate per SKU, ASIN, ship service level or ship country.

    ``breakdown`` is a :func:`~odr_analysis.drilldown.defect_breakdown` frame (one account and
    marketplace; one or both channels). Left: the defective orders of each value in the current
    window (bars, coloured by channel, labelled "5 of 50 orders"), most first; right: the
    value's defect rate with its Wilson interval, against the target. The rate axis stops a
    little above the highest rate (at least at twice the target), so a wide interval of a
    value with few orders is cut at the edge rather than squeezing the others; the tooltip has
    the exact numbers. ``dimension`` defaults to the frame's ``dimension`` column. With several
    channels each bar is labelled ``channel · value``. Values without a defective order are
    left out (the subtitle counts them) unless ``include_clean``.
    """
    function = "drilldown_chart"
    need = ("channel", "value", "orders", "defective_orders", "rate", "rate_low", "rate_high")
    frame = _frame(breakdown, function, "breakdown", need)
    if dimension is None:
        values = frame["dimension"].unique().to_list() if "dimension" in frame.columns else []
        if len(values) != 1:
            raise ValueError(f"{function}: pass dimension= (the frame does not say which one)")
        dimension = values[0]
    named = _DIMENSION_WORDS.get(str(dimension), str(dimension).replace("_", " "))
    title = f"Defective orders by {named}"
    subtitle = []
    if "window_start" in frame.columns and frame.height:
        start, end = frame["window_start"].min(), frame["window_end"].max()
        span = f"{words.chart_day(start)} to {words.chart_day(end)}"  # type: ignore[arg-type]
        subtitle.append(f"Orders of {span} (the current window).")
    if dimension in ("sku", "asin"):
        subtitle.append(f"An order with several {named}s counts once for each of them.")
    _one_account(frame, function)
    clean = frame.filter(pl.col("defective_orders") == 0).height
    if not include_clean:
        frame = frame.filter(pl.col("defective_orders") > 0)
        if clean:
            subtitle.append(f"Not shown: {clean} {named}s of the list without a defective order.")
    if frame.is_empty():
        return _empty(title, "No defective order in the window")
    goal = _target(frame, target)
    several = frame["channel"].n_unique() > 1
    label = pl.concat_str("channel", pl.lit(" · "), "value") if several else pl.col("value")
    frame = frame.with_columns(
        label=label,
        text=pl.format("{} of {} orders", "defective_orders", "orders"),
    ).sort(["defective_orders", "rate", "orders", "label"], descending=[True, True, True, False])
    order = frame["label"].to_list()
    most = float(frame["defective_orders"].cast(pl.Float64).max() or 1.0)  # type: ignore[arg-type]
    extra = [c for c in ("detail", *KIND_LABELS) if c in frame.columns]
    frame = frame.select(
        "label",
        "channel",
        "value",
        "text",
        "orders",
        "defective_orders",
        "rate",
        "rate_low",
        "rate_high",
        *extra,
    )
    name = words.sentence(named)
    tooltip = [
        alt.Tooltip("channel:N", title="Channel"),
        alt.Tooltip("value:N", title=name),
        *([alt.Tooltip("detail:N", title="Product")] if "detail" in extra else []),
        alt.Tooltip("orders:Q", title="Orders in window", format=","),
        alt.Tooltip("defective_orders:Q", title="Defective orders", format=","),
        *[alt.Tooltip(f"{c}:Q", title=w, format=",") for c, w in KIND_LABELS.items() if c in extra],
        alt.Tooltip("rate:Q", title="Defect rate", format=".2%"),
        alt.Tooltip("rate_low:Q", title="95% interval from", format=".2%"),
        alt.Tooltip("rate_high:Q", title="95% interval to", format=".2%"),
    ]
    height = max(60, 22 * frame.height)
    y = alt.Y("label:N", title=name, sort=order, axis=alt.Axis(labelLimit=220))
    bars = alt.Chart(frame).encode(
        y=y,
        x=alt.X(
            "defective_orders:Q",
            title="Defective orders in the window",
            axis=_COUNT_AXIS,
            scale=alt.Scale(domainMax=most * 1.45),
        ),
        tooltip=tooltip,
    )
    left = alt.layer(
        bars.mark_bar().encode(color=_channel_color()),
        bars.mark_text(align="left", dx=4, fontSize=10).encode(text="text:N"),
        width=300,
        height=height,
    )
    rate_max = min(1.0, max(2 * goal, float(frame["rate"].max()) * 1.6))  # type: ignore[arg-type]
    x_rate = alt.X(
        "rate:Q",
        title="Defect rate (with 95% interval)",
        axis=alt.Axis(format=".2%", tickCount=5),
        scale=alt.Scale(domain=[0, rate_max], nice=False),
    )
    base = alt.Chart(frame).encode(y=alt.Y("label:N", sort=order, axis=None), tooltip=tooltip)
    interval = base.mark_rule(strokeWidth=2, opacity=0.6, clip=True).encode(
        x=alt.X(
            "rate_low:Q",
            title="Defect rate (with 95% interval)",
            scale=alt.Scale(domain=[0, rate_max], nice=False),
        ),
        x2="rate_high:Q",
        color=_channel_color(),
    )
    point = base.mark_point(filled=True, size=50, clip=True).encode(
        x=x_rate, color=_channel_color()
    )
    target_rule = (
        alt.Chart(pl.DataFrame({"target": [goal]}))
        .mark_rule(color=PALETTE["vermillion"], strokeDash=[6, 4])
        .encode(x=alt.X("target:Q", title="Defect rate (with 95% interval)"))
    )
    right = alt.layer(point, interval, target_rule, width=260, height=height)
    subtitle.append(f"Dashed: the {words.target_text(goal)} target.")
    return alt.hconcat(left, right, spacing=8, title=_title(title, subtitle=subtitle))


# ---------------------------------------------------------------------------------------------
# Drop-off calendar.


def _order_list(ids: pl.Expr, shown: int = 3) -> pl.Expr:
    head = ids.sort().head(shown).str.join(", ")
    more = ids.len() - shown
    return (
        pl.when(more > 0)
        .then(pl.concat_str(head, pl.lit(" and "), more.cast(pl.String), pl.lit(" more")))
        .otherwise(head)
    )


def dropoff_chart(
    calendar: Any,
    *,
    title: str = "If nothing new happens: when defects leave the window",
    tooltips: bool = True,
) -> alt.TopLevelMixin:
    """The drop-off calendar: the rate going down, step by step, as defective orders leave.

    ``calendar`` is a :class:`~odr_analysis.dropoff.DropoffCalendar` (or any object with its
    ``today``, ``path`` and ``defects`` frames). The line is the rate per channel from the
    report date on if no new order and no new defect arrived; a marker sits on each day
    defective orders leave the window, and its tooltip says which orders and defects leave.
    ``tooltips=False``: no per-day tooltip points (a smaller static SVG; see
    :func:`odr_over_time`).
    """
    function = "dropoff_chart"
    try:
        today, path, defects = calendar.today, calendar.path, calendar.defects
    except AttributeError:
        raise TypeError(
            f"{function}: pass the DropoffCalendar from dropoff_calendar(), got "
            f"{type(calendar).__name__}"
        ) from None
    columns = ("channel", *WINDOW_COLUMNS, "order_count", "defective_orders", "odr")
    today = _frame(today, function, "calendar.today", columns)
    path = _frame(path, function, "calendar.path", columns)
    defects = _frame(
        defects, function, "calendar.defects", ("channel", "order_id", "leaves_window_on")
    )
    if today.is_empty() and path.is_empty():
        return _empty(title, "No orders")
    _one_account(pl.concat([today.select(columns), path.select(columns)]), function)
    goal = _target(pl.concat([today, path], how="diagonal_relaxed"), None)
    frame = pl.concat([today.select(columns), path.select(columns)]).sort("channel", "as_of")
    kinds = [k for k in KINDS if k in defects.columns]
    leaving = (
        defects.group_by("channel", as_of="leaves_window_on")
        .agg(
            leaving=pl.len().cast(pl.Int64),
            orders=_order_list(pl.col("order_id")),
            **{f"n_{k}": pl.col(k).sum().cast(pl.Int64) for k in kinds},
        )
        .with_columns(
            defects=pl.concat_str(
                [
                    pl.when(pl.col(f"n_{k}") > 0).then(
                        pl.concat_str(
                            pl.col(f"n_{k}").cast(pl.String), pl.lit(" " + words.KINDS[k].one)
                        )
                    )
                    for k in kinds
                ],
                separator=", ",
                ignore_nulls=True,
            )
            if kinds
            else pl.lit(None, pl.String)
        )
        .join(frame, on=["channel", "as_of"], how="inner")
        .select(
            "channel",
            "as_of",
            "window_start",
            "leaving",
            "orders",
            "defects",
            "odr",
            "order_count",
            "defective_orders",
        )
        .sort("channel", "as_of")
    )
    x = _date_x("as_of", "Report date")
    line = alt.Chart(frame).encode(x=x, y=_rate_y(), color=_channel_color(lines=True))
    tooltip = _day_tooltip()
    layers: list[alt.Chart] = [
        line.mark_line(interpolate="step-after", strokeWidth=2),
    ]
    if tooltips:
        layers.append(_hover(line, tooltip))
    if leaving.height:
        layers.append(
            alt.Chart(leaving)
            .mark_point(shape="triangle-down", filled=True, size=90, opacity=0.9)
            .encode(
                x=x,
                y=_rate_y(),
                color=_channel_color(lines=True),
                tooltip=[
                    alt.Tooltip("channel:N", title="Channel"),
                    _date_tip("as_of", "Leave on report date"),
                    alt.Tooltip("leaving:Q", title="Defective orders leaving"),
                    alt.Tooltip("orders:N", title="Orders"),
                    alt.Tooltip("defects:N", title="Their defects"),
                    alt.Tooltip("odr:Q", title="ODR that day", format=".2%"),
                ],
            )
        )
    layers.extend(_target_layers(goal))
    start = frame["as_of"].min()
    return alt.layer(
        *layers,
        title=_title(
            title,
            subtitle=f"From {words.chart_day(start)}, with no new order and no new defect. "  # type: ignore[arg-type]
            "Triangles: days on which defective orders leave the 60-day window.",
        ),
        width=_WIDTH,
        height=_HEIGHT,
    )


# ---------------------------------------------------------------------------------------------
# Projection.


def projection_chart(
    projection: Any,
    *,
    history: pl.DataFrame | None = None,
    target: float | None = None,
    title: str = "Projected Order Defect Rate",
    probability: bool = True,
    tooltips: bool = True,
    history_days: int = 90,
) -> alt.TopLevelMixin:
    """The expected rate per channel with its band, the target, and the first day under it.

    ``projection`` is a :class:`~odr_analysis.projection.Projection` (its ``daily`` frame is used)
    or that frame: ``channel``, ``as_of`` (future report dates), ``expected_rate``, ``low``,
    ``high`` and optionally ``prob_at_or_above_target``. ``history`` (an
    :func:`~odr_analysis.engine.odr_daily` frame) adds the reported rate of the
    ``history_days`` report dates before the projection. For a channel at or above the target
    when the projection starts (its last reported or first expected rate), the first report
    date whose expected rate is under the target is marked (or the subtitle says it is not
    reached within the horizon). With ``probability`` (and the column),
    a small chart below shows the probability of being at or above the target each day.
    ``tooltips=False``: no per-day tooltip points (a smaller static SVG).
    """
    function = "projection_chart"
    daily = getattr(projection, "daily", projection)
    frame = _frame(
        daily, function, "projection.daily", ("channel", "as_of", "expected_rate", "low", "high")
    )
    if frame.is_empty():
        return _empty(title, "Nothing to project")
    _one_account(frame, function)
    goal = _target(frame, target)
    keep = [
        c
        for c in (
            "prob_at_or_above_target",
            "order_count",
            "defective_orders",
            "expected_order_count",
            "expected_defective",
        )
        if c in frame.columns
    ]
    frame = frame.select(
        "channel",
        "as_of",
        "expected_rate",
        "low",
        "high",
        *keep,
        series=pl.lit("Expected (band: likely range)"),
    ).sort("channel", "as_of")
    dash = alt.StrokeDash(
        "series:N",
        title="Rate",
        scale=alt.Scale(
            domain=[_REPORTED, "Expected (band: likely range)"], range=[[1, 0], [5, 3]]
        ),
    )
    x = _date_x("as_of", "Report date")
    layers: list[alt.Chart] = []
    if history is not None:
        past = _frame(history, function, "history", ("channel", "as_of", "odr"))
        _one_account(past, function)
        begin = frame["as_of"].min()
        past = past.filter(
            pl.col("as_of").is_between(begin - dt.timedelta(days=history_days), begin, "left")  # type: ignore[operator]
        )
        if past.height:
            past = past.select("channel", "as_of", "odr", series=pl.lit(_REPORTED))
            layers.append(
                alt.Chart(past)
                .mark_line(interpolate="step-after", strokeWidth=2)
                .encode(
                    x=x,
                    y=_rate_y(),
                    color=_channel_color(lines=True),
                    strokeDash=dash,
                    tooltip=[
                        alt.Tooltip("channel:N", title="Channel"),
                        _date_tip("as_of", "Report date"),
                        alt.Tooltip("odr:Q", title="Reported ODR", format=".2%"),
                    ],
                )
            )
    tooltip = [
        alt.Tooltip("channel:N", title="Channel"),
        _date_tip("as_of", "Report date"),
        alt.Tooltip("expected_rate:Q", title="Expected ODR", format=".2%"),
        alt.Tooltip("low:Q", title="Likely from", format=".2%"),
        alt.Tooltip("high:Q", title="Likely to", format=".2%"),
        *(
            [
                alt.Tooltip(
                    "prob_at_or_above_target:Q", title="Chance at or above target", format=".0%"
                )
            ]
            if "prob_at_or_above_target" in keep
            else []
        ),
    ]
    base = alt.Chart(frame).encode(x=x, color=_channel_color(lines=True))
    layers += [
        base.mark_area(opacity=0.2).encode(y=_rate_y("low"), y2="high:Q"),
        base.mark_line(strokeWidth=2).encode(y=_rate_y("expected_rate"), strokeDash=dash),
    ]
    if tooltips:
        layers.append(_hover(base, tooltip, y=_rate_y("expected_rate")))
    annotations, never = _first_under(frame, past if history is not None else None, goal)
    layers += annotations
    layers.extend(_target_layers(goal))
    subtitle = [
        "Solid: reported; dashed: expected, the band its likely range (see the assumptions)."
    ]
    if never:
        subtitle.append(
            f"{' and '.join(never)}: not expected under {words.target_text(goal)} "
            "within the horizon."
        )
    if probability and "prob_at_or_above_target" in keep:
        prob = (
            alt.Chart(frame)
            .mark_line(interpolate="step-after", strokeWidth=1.5)
            .encode(
                x=x,
                y=alt.Y(
                    "prob_at_or_above_target:Q",
                    title="Chance ≥ target",
                    axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                color=_channel_color(lines=True),
                tooltip=tooltip,
            )
            .properties(width=_WIDTH, height=90)
        )
        # Properties go into the constructors: every .properties() or .resolve_scale() call
        # deep-copies the whole chart, which costs more than building it.
        main = alt.layer(*layers, width=_WIDTH, height=_HEIGHT)
        return alt.vconcat(
            main,
            prob,
            spacing=12,
            resolve=alt.Resolve(scale=alt.ScaleResolveMap(x="shared")),
            title=_title(title, subtitle=subtitle),
        )
    return alt.layer(*layers, width=_WIDTH, height=_HEIGHT, title=_title(title, subtitle=subtitle))


def _first_under(
    frame: pl.DataFrame, past: pl.DataFrame | None, goal: float
) -> tuple[list[alt.Chart], list[str]]:
    """Marks for the first day under the target of each channel that starts at or above it
    (:func:`odr_analysis.outlook.under_target`)."""
    begin: dt.date = frame["as_of"].min()  # type: ignore[assignment]
    channels = frame.select(pl.col("channel").unique().sort())
    if past is not None and past.height:
        last = past.sort("as_of").group_by("channel").agg(rate_today=pl.col("odr").last())
        today = channels.join(last, on="channel", how="left")
    else:
        today = channels.with_columns(rate_today=pl.lit(None, pl.Float64))
    outlook = under_target(
        frame, today, as_of=begin - _DAY, target=goal, rate="expected_rate", keys=["channel"]
    )
    above = outlook.filter(
        (pl.col("first_over") == begin) | (pl.col("meets_target_today") == False)  # noqa: E712
    )
    never = sorted(above.filter(pl.col("first_under").is_null())["channel"])
    first = above.filter(pl.col("first_under").is_not_null()).select("channel", as_of="first_under")
    if not first.height:
        return [], never
    lo, hi = begin, frame["as_of"].max()
    if past is not None and past.height:
        lo = min(lo, past["as_of"].min())  # type: ignore[type-var, assignment]
    # Late dates get their label on the left of the rule; labels are stacked from the top.
    late = pl.col("as_of") > pl.lit(lo) + (pl.lit(hi) - pl.lit(lo)) * 0.65
    labels = [words.outlook_label(c, goal, d) for c, d in first.iter_rows()]
    first = first.with_columns(
        label=pl.Series(labels, dtype=pl.String),
        ypix=4 + 15 * pl.int_range(pl.len()),
        late=late,
    )
    x = _date_x("as_of", "Report date")
    mark = alt.Chart(first).encode(x=x, color=_channel_color(lines=True))
    text = mark.encode(y=alt.Y("ypix:Q", scale=None), text="label:N")
    return [
        mark.mark_rule(strokeDash=[2, 2], strokeWidth=1.5),
        text.transform_filter("!datum.late").mark_text(align="left", baseline="top", dx=4),
        text.transform_filter("datum.late").mark_text(align="right", baseline="top", dx=-4),
    ], never


# ---------------------------------------------------------------------------------------------
# Waterfall.


_STEPS: Final = {part: label for part, (_, label) in words.CAUSES.items()}  # "|": a new line


def _waterfall_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Six bars per group: start rate, the four parts (floating), end rate."""
    keys = [c for c in ("account", "marketplace", "channel") if c in frame.columns]
    group = pl.concat_str([pl.col(k) for k in keys], separator=" · ")
    starts = pl.col("start").dt.strftime("%d %b %Y")
    ends = pl.col("end").dt.strftime("%d %b %Y")
    frame = frame.with_columns(group=group, start_text=starts, end_text=ends)
    first = frame.select(
        "group",
        step=pl.concat_str(pl.lit("ODR on|"), "start_text"),
        order=pl.lit(0),
        y0=pl.lit(0.0),
        y1=pl.col("odr_start"),
        value=pl.col("odr_start"),
        kind=pl.lit("Rate"),
    )
    parts = (
        frame.unpivot(
            index=["group", "odr_start"], on=list(_STEPS), variable_name="part", value_name="value"
        )
        .with_columns(
            order=pl.col("part").replace_strict(
                {p: i + 1 for i, p in enumerate(_STEPS)}, return_dtype=pl.Int32
            )
        )
        .sort("group", "order")
        .with_columns(y1=pl.col("odr_start") + pl.col("value").cum_sum().over("group"))
        .with_columns(y0=pl.col("y1") - pl.col("value"))
        .select(
            "group",
            step=pl.col("part").replace_strict(_STEPS, return_dtype=pl.String),
            order="order",
            y0="y0",
            y1="y1",
            value="value",
            kind=pl.when(pl.col("value") > 0)
            .then(pl.lit("Raises the ODR"))
            .when(pl.col("value") < 0)
            .then(pl.lit("Lowers the ODR"))
            .otherwise(pl.lit("No change")),
        )
    )
    last = frame.select(
        "group",
        step=pl.concat_str(pl.lit("ODR on|"), "end_text"),
        order=pl.lit(5),
        y0=pl.lit(0.0),
        y1=pl.col("odr_end"),
        value=pl.col("odr_end"),
        kind=pl.lit("Rate"),
    )
    return (
        pl.concat([first, parts, last], how="vertical_relaxed")
        .with_columns(
            label=pl.when(pl.col("kind") == "Rate")
            .then(pl.lit("rate"))
            .otherwise(pl.lit("points")),
            top=pl.max_horizontal("y0", "y1"),
            step_text=pl.col("step").str.replace("|", " ", literal=True),
        )
        .sort("group", "order")
    )


def waterfall_chart(
    explanation: pl.DataFrame, *, title: str = "Why the ODR moved", target: float | None = None
) -> alt.TopLevelMixin:
    """The change of the ODR between two report dates as a waterfall of its four causes.

    ``explanation`` is an :func:`~odr_analysis.explain.explain_change` frame. Per group: the
    rate on the start date, the four parts (new defects, defective orders that left, new
    orders, clean orders that left) as floating bars, red when they raise the rate and blue
    when they lower it, labelled in percentage points, and the rate on the end date. Groups
    whose parts are null (an empty window) are left out and named in the subtitle with the
    reason. Several groups give one panel each.
    """
    function = "waterfall_chart"
    need = ("start", "end", "odr_start", "odr_end", *_STEPS)
    frame = _frame(explanation, function, "explanation", need)
    keys = [c for c in ("account", "marketplace", "channel") if c in frame.columns]
    skipped = frame.filter(pl.any_horizontal(pl.col(list(_STEPS)).is_null()))
    frame = frame.filter(pl.all_horizontal(pl.col(list(_STEPS)).is_not_null()))
    notes = []
    for row in skipped.iter_rows(named=True):  # a handful of groups
        name = " · ".join(str(row[k]) for k in keys) or "this group"
        notes.append(f"{name}: {row.get('reason') or 'no rate to explain'}")
    if frame.is_empty():
        return _empty(title, "; ".join(notes) or "Nothing to explain")
    goal = _target(frame, target)
    bars = _waterfall_frame(frame)
    order = bars.unique("order").sort("order")["step"].to_list()
    several = bars["group"].n_unique() > 1
    color = alt.Color(
        "kind:N",
        title=None,
        scale=alt.Scale(
            domain=["Rate", "Raises the ODR", "Lowers the ODR", "No change"],
            range=[PALETTE["grey"], PALETTE["vermillion"], PALETTE["blue"], PALETTE["black"]],
        ),
    )
    x = alt.X(
        "step:N",
        title="What moved the rate",
        sort=order,
        axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '|')", labelPadding=6),
    )
    tooltip = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("step_text:N", title="Step"),
        alt.Tooltip("text:N", title="Value"),
        alt.Tooltip("y0:Q", title="Rate before", format=".2%"),
        alt.Tooltip("y1:Q", title="Rate after", format=".2%"),
    ]
    text_expr = (
        "datum.label === 'rate' ? format(datum.value, '.2%') : "
        "(datum.value > 0 ? '+' : datum.value < 0 ? '\u2212' : '±') "
        "+ format(abs(datum.value) * 100, '.2f') + ' pts'"
    )
    base = alt.Chart().transform_calculate(text=text_expr)
    bar = base.mark_bar(size=40 if several else 50).encode(
        x=x, y=_rate_y("y0", title="Order Defect Rate"), y2="y1:Q", color=color, tooltip=tooltip
    )
    text = base.mark_text(baseline="bottom", dy=-3, fontSize=11).encode(
        x=x, y=alt.Y("top:Q", title="Order Defect Rate"), text="text:N"
    )
    rule = (
        alt.Chart()
        .transform_calculate(target=str(goal))
        .mark_rule(color=PALETTE["vermillion"], strokeDash=[6, 4])
        .encode(y=alt.Y("target:Q", title="Order Defect Rate"))
    )
    first = frame.row(0, named=True)
    subtitle = [
        f"From {words.chart_day(first['start'])} to {words.chart_day(first['end'])}; "
        "parts in percentage "
        f"points; dashed: the {words.target_text(goal)} target.",
        *notes,
    ]
    if several:
        return alt.layer(bar, text, rule, data=bars, width=380, height=_HEIGHT).facet(
            facet=alt.Facet("group:N", title=None),
            columns=2,
            title=_title(title, subtitle=subtitle),
        )
    return alt.layer(
        bar,
        text,
        rule,
        data=bars,
        width=520,
        height=_HEIGHT,
        title=_title(f"{title}: {bars['group'][0]}" if keys else title, subtitle=subtitle),
    )


# ---------------------------------------------------------------------------------------------
# p-chart.


_P_STATES: Final = {
    "Above the upper limit": PALETTE["vermillion"],
    "Below the lower limit": PALETTE["blue"],
    "Within the limits": PALETTE["black"],
    "Too recent: still collecting defects": PALETTE["grey"],
}


def p_chart(
    unusual: pl.DataFrame, *, title: str = "Unusual order days (p-chart)", zoom: bool = False
) -> alt.TopLevelMixin:
    """Each order-date cohort's defect rate against the p-chart's centre line and limits.

    ``unusual`` is a :func:`~odr_analysis.stats.unusual_days` frame for one account and
    marketplace. Points: the cohorts (red above the upper limit, blue below the lower one,
    grey when the cohort is too recent to have collected its defects, which also shades its
    dates); the centre line (rate of the mature cohorts) is solid, the limits dashed around a
    light band. One panel per channel. ``zoom=True``: the order dates can be zoomed and panned,
    as in :func:`odr_over_time`.
    """
    function = "p_chart"
    shown = ("orders", "defective_orders", "rate", "center", "lower", "upper", "mature")
    frame = _frame(unusual, function, "unusual", ("channel", "cohort_start", *shown, "flag"))
    if frame.is_empty():
        return _empty(title, "No order days to show")
    _one_account(frame, function)
    extra = [c for c in ("cohort_end", "z") if c in frame.columns]
    state = (
        pl.when(pl.col("flag") == "above")
        .then(pl.lit("Above the upper limit"))
        .when(pl.col("flag") == "below")
        .then(pl.lit("Below the lower limit"))
        .when(~pl.col("mature"))
        .then(pl.lit("Too recent: still collecting defects"))
        .otherwise(pl.lit("Within the limits"))
    )
    frame = frame.select("channel", "cohort_start", *extra, *shown, state=state).sort(
        "channel", "cohort_start"
    )
    if "cohort_end" not in frame.columns:
        frame = frame.with_columns(cohort_end=pl.col("cohort_start"))
    immature = (
        frame.filter(~pl.col("mature"))
        .group_by("channel")
        .agg(start=pl.col("cohort_start").min(), end=pl.col("cohort_end").max() + _DAY)
    )
    x = _date_x("cohort_start", "Order date")
    tooltip = [
        alt.Tooltip("channel:N", title="Channel"),
        _date_tip("cohort_start", "Orders of"),
        _date_tip("cohort_end", "to"),
        alt.Tooltip("orders:Q", title="Orders", format=","),
        alt.Tooltip("defective_orders:Q", title="Defective orders", format=","),
        alt.Tooltip("rate:Q", title="Defect rate", format=".2%"),
        alt.Tooltip("center:Q", title="Centre line", format=".2%"),
        alt.Tooltip("lower:Q", title="Lower limit", format=".2%"),
        alt.Tooltip("upper:Q", title="Upper limit", format=".2%"),
        alt.Tooltip("state:N", title="Verdict"),
    ]
    weekly = frame.filter(pl.col("cohort_end") != pl.col("cohort_start")).height > 0
    y_title = f"Defective share of the {'week' if weekly else 'day'}'s orders"
    base = alt.Chart().encode(x=x)
    band = base.mark_area(interpolate="step-after", opacity=0.12, color=PALETTE["sky"]).encode(
        y=alt.Y("lower:Q", title=y_title, axis=alt.Axis(format=".2%")),
        y2="upper:Q",
    )
    upper = base.mark_line(
        interpolate="step-after", strokeDash=[4, 3], strokeWidth=1, color=PALETTE["blue"]
    ).encode(y=alt.Y("upper:Q", title=y_title))
    lower = base.mark_line(
        interpolate="step-after", strokeDash=[4, 3], strokeWidth=1, color=PALETTE["blue"]
    ).encode(y=alt.Y("lower:Q", title=y_title))
    center = base.mark_line(strokeWidth=1.5, color=PALETTE["black"]).encode(
        y=alt.Y("center:Q", title=y_title)
    )
    points = base.mark_point(filled=True, opacity=0.9, aria=False).encode(
        y=alt.Y("rate:Q", title=y_title),
        color=alt.Color(
            "state:N",
            title="Day",
            scale=alt.Scale(domain=list(_P_STATES), range=list(_P_STATES.values())),
        ),
        size=alt.condition(
            "datum.state === 'Above the upper limit' || datum.state === 'Below the lower limit'",
            alt.value(70),
            alt.value(22),
        ),
        tooltip=tooltip,
    )
    subtitle = (
        "Centre line: defect rate of the mature order days; dashed: control limits; "
        "grey area: order days too recent to judge."
    )
    # One dataset for every layer (so the panels can be faceted by channel): the shading of
    # the immature days is each row's channel range, drawn once per channel by an aggregate.
    joined = frame.join(
        immature.rename({"start": "shade_start", "end": "shade_end"}), on="channel", how="left"
    )
    shade = (
        alt.Chart()
        .transform_filter("datum.shade_start != null")
        .transform_aggregate(start="min(shade_start)", end="max(shade_end)", groupby=["channel"])
        .mark_rect(color=PALETTE["grey"], opacity=0.12)
        .encode(x=_date_x("start", "Order date"), x2="end:T")
    )
    height = 200 if frame["channel"].n_unique() == 1 else 160
    layers = alt.layer(
        shade, band, upper, lower, center, points, data=joined, width=_WIDTH, height=height
    )
    return _zoomable(layers, zoom).facet(
        row=alt.Row("channel:N", title="Channel", header=alt.Header(labelAngle=0)),
        resolve=_INDEPENDENT_Y,
        title=_title(title, subtitle=subtitle),
    )


# ---------------------------------------------------------------------------------------------
# Portfolio.


_STATUS_COLORS: Final = {
    "breached": PALETTE["vermillion"],
    "at_risk": PALETTE["orange"],
    "met": PALETTE["green"],
    "no_orders": "#DDDDDD",
}


def portfolio_chart(
    status: pl.DataFrame, *, title: str = "Portfolio: every account against the target"
) -> alt.TopLevelMixin:
    """Accounts x channels, each cell coloured by its status against the target, worst first.

    ``status`` is a :func:`~odr_analysis.portfolio.portfolio_status` frame, or an
    :func:`~odr_analysis.engine.odr` frame for many accounts (its status is then computed with
    the default 20% at-risk margin). Rows are accounts (``account · marketplace`` when an
    account sells on several), sorted by their worst rate, highest first; columns are the
    channels; each cell shows the rate (or "no orders"), and its tooltip the counts.
    """
    function = "portfolio_chart"
    frame = _frame(status, function, "status", ("account", "channel", "odr"))
    if frame.is_empty():
        return _empty(title, "No accounts")
    if not {"status", "at_risk", "risk_rank"} <= set(frame.columns):
        frame = portfolio_status(frame)
    frame = frame.sort("risk_rank")
    several = "marketplace" in frame.columns and bool(
        frame.select((pl.col("marketplace").n_unique().over("account") > 1).any()).item()
    )
    row = pl.concat_str("account", pl.lit(" · "), "marketplace") if several else pl.col("account")
    counts = [c for c in ("order_count", "defective_orders") if c in frame.columns]
    # Colour by the status words, in a fixed order from worst to best (every status in the
    # legend, so two charts of different portfolios read the same).
    at_risk = float(frame["at_risk"].max() or 0.2)  # type: ignore[arg-type]
    legend = {s: words.status_legend(s, at_risk=at_risk) for s in STATUS_ORDER}
    frame = frame.select(
        "channel",
        "odr",
        "status",
        pl.col("status").replace_strict(legend, return_dtype=pl.String).alias("status_label"),
        *counts,
        row=row,
    )
    rows = frame["row"].unique(maintain_order=True).to_list()
    color = alt.Color(
        "status_label:N",
        title="Status",
        scale=alt.Scale(domain=list(legend.values()), range=[_STATUS_COLORS[s] for s in legend]),
    )
    y = alt.Y("row:N", title="Account", sort=rows, axis=alt.Axis(labelLimit=220))
    x = alt.X(
        "channel:N", title="Channel", sort=["AFN", "MFN"], axis=alt.Axis(orient="top", labelAngle=0)
    )
    tooltip = [
        alt.Tooltip("row:N", title="Account"),
        alt.Tooltip("channel:N", title="Channel"),
        alt.Tooltip("odr:Q", title="ODR", format=".2%"),
        *[
            alt.Tooltip(f"{c}:Q", title=t, format=",")
            for c, t in (
                ("order_count", "Orders in window"),
                ("defective_orders", "Defective orders"),
            )
            if c in counts
        ],
        alt.Tooltip("status_label:N", title="Status"),
    ]
    base = alt.Chart(frame).encode(x=x, y=y)
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(color=color, tooltip=tooltip)
    text = (
        base.transform_calculate(text="datum.odr == null ? 'no orders' : format(datum.odr, '.2%')")
        .mark_text(fontSize=12)
        .encode(text="text:N", tooltip=tooltip)
    )
    n_channels = max(frame["channel"].n_unique(), 1)
    return alt.layer(
        cells,
        text,
        title=_title(title, subtitle="Rows: accounts, worst rate first."),
        width=110 * n_channels,
        height=max(60, 30 * len(rows)),
    )


# ---------------------------------------------------------------------------------------------
# Amazon's own figures over time (account-health snapshots).


_SNAPSHOTS_GROW: Final = "The history grows with each run of odr-fetch, which keeps one snapshot."
_AMAZON = "Amazon's report"
_AMAZON_FIGURE = "Amazon's figure"
_OURS = "Ours, from the order files"
_SERIES_COLORS: Final = (
    PALETTE["black"],
    PALETTE["purple"],
    PALETTE["green"],
    PALETTE["sky"],
    PALETTE["grey"],
)


def _snapshot_words(frame: pl.DataFrame) -> str:
    """'3 snapshots, 02 Mar 2026 to 04 Dec 2026.' or, with one, the sentence that says so."""
    days = frame["snapshot"].drop_nulls().unique().sort()
    if days.len() == 0:
        return ""
    if frame.select("snapshot", "file").unique().height == 1:
        return f"One snapshot so far ({words.chart_day(days[0])}). {_SNAPSHOTS_GROW}"
    n = frame.select("snapshot", "file").unique().height
    return f"{n} snapshots, {words.chart_day(days[0])} to {words.chart_day(days[-1])}."


def _snapshot_x(frame: pl.DataFrame, title: str = "Snapshot date") -> alt.X:
    """The snapshot dates, padded by a day each side (one snapshot still gets an axis)."""
    days = frame["snapshot"].drop_nulls()
    first, last = days.min(), days.max()
    scale: Any = alt.Undefined
    if isinstance(first, dt.date) and isinstance(last, dt.date):
        lo, hi = first - _DAY, last + _DAY
        scale = alt.Scale(
            domain=[
                alt.DateTime(year=lo.year, month=lo.month, date=lo.day),
                alt.DateTime(year=hi.year, month=hi.month, date=hi.day),
            ]
        )
    return _date_x("snapshot", title, scale=scale)


def _series(frame: pl.DataFrame) -> pl.Expr:
    """The line a row belongs to: its channel (ODR), its window length when the metric has
    several windows in one snapshot (``10-day window``), else the metric's name."""
    several = (
        (pl.len().over("metric", "snapshot", "file", "channel", "detail") > 1).any().over("metric")
    )
    window = pl.concat_str(pl.col("window_days").cast(pl.String), pl.lit("-day window"))
    return (
        pl.when(pl.col("channel").is_not_null())
        .then(pl.col("channel"))
        .when(several & pl.col("window_days").is_not_null())
        .then(window)
        .when(pl.col("detail").is_not_null())
        .then(pl.col("detail"))
        .otherwise(pl.lit(_AMAZON_FIGURE))
    )


def _series_scale(names: Sequence[str]) -> alt.Scale:
    """AFN and MFN in their channel colours, Amazon's single figure in black, any other line
    (a window length, a warning) in the next palette colour."""
    fixed = {"AFN": PALETTE["blue"], "MFN": PALETTE["orange"], _AMAZON_FIGURE: PALETTE["black"]}
    others = iter(_SERIES_COLORS[1:] * (len(names) // len(_SERIES_COLORS) + 1))
    return alt.Scale(domain=list(names), range=[fixed.get(n) or next(others) for n in names])


def _series_names(frame: pl.DataFrame) -> list[str]:
    order = {"AFN": 0, "MFN": 1, _AMAZON_FIGURE: 2}
    names = frame.select(_series(frame).alias("series"))["series"].unique().to_list()
    return sorted(names, key=lambda n: (order.get(n, 3), len(n), n))


def health_metric_chart(
    history: pl.DataFrame,
    metric: str,
    *,
    title: str | None = None,
    width: int = 300,
    height: int = 150,
    series: Sequence[str] | None = None,
    zoom: bool = False,
) -> alt.TopLevelMixin:
    """One metric of Amazon's account-health report over its snapshots, against its target.

    ``history`` is a :func:`~odr_analysis.history.health_history` frame for one account and
    marketplace. One line with a point per snapshot for each channel (the ODR) or window
    (``10-day window`` and ``30-day window`` of the late shipment rate); a point that misses
    the target (by the report's own target and condition) has a vermillion ring; the target is
    a dashed rule. Rates on a percentage axis, counts and the rating's score as numbers. The
    tooltip has the window, the counts, the target and Amazon's status as given. One snapshot
    still draws (its points), and the subtitle says the history grows with each run of
    ``odr-fetch``. ``series``: the names of every line of the charts it is shown with (one
    colour scale for all of them; default: this metric's). ``zoom=True``: the snapshot dates
    can be zoomed and panned, as in :func:`odr_over_time`.
    """
    function = "health_metric_chart"
    need = [
        *("snapshot", "file", "metric", "channel", "detail", "window_start", "window_end"),
        *("window_days", "value", "unit", "count", "total", "target", "status"),
        *("target_condition", "meets_target"),
    ]
    frame = _frame(history, function, "history", need)
    name = words.metric_name(metric)
    title = title or name
    frame = frame.filter((pl.col("metric") == metric) & pl.col("value").is_not_null())
    if frame.is_empty():
        return _empty(title, f"No {name.lower()} in the snapshots").properties(
            width=width, height=40
        )
    _one_account(frame, function)
    unit = frame["unit"].drop_nulls().mode().sort()[0]
    is_rate = unit == "rate"
    names = list(series) if series is not None else _series_names(frame)
    frame = frame.with_columns(series=_series(frame)).sort("series", "snapshot")
    color = alt.Color(
        "series:N",
        title="Line",
        scale=_series_scale(names),
        legend=alt.Legend(orient="bottom", symbolType="stroke", symbolStrokeWidth=3)
        if len(names) > 1
        else None,
    )
    y_title = "Rate" if is_rate else ("Score" if unit == "score" else "Count")
    y_axis = alt.Axis(format=".2%") if is_rate else _COUNT_AXIS
    value_format = ".2%" if is_rate else ","
    tooltip = [
        alt.Tooltip("series:N", title="Line"),
        _date_tip("snapshot", "Snapshot"),
        _date_tip("window_start", "Window from"),
        _date_tip("window_end", "Window to"),
        alt.Tooltip("value:Q", title=name, format=value_format),
        alt.Tooltip("count:Q", title="Counted", format=","),
        alt.Tooltip("total:Q", title="Out of", format=","),
        alt.Tooltip("target:Q", title="Target", format=value_format),
        alt.Tooltip("status:N", title="Amazon's status"),
    ]
    x = _snapshot_x(frame)
    base = alt.Chart(frame).encode(x=x, y=alt.Y("value:Q", title=y_title, axis=y_axis), color=color)
    layers: list[alt.Chart] = [
        base.mark_line(strokeWidth=1.8),
        base.mark_point(filled=True, size=45, opacity=1).encode(tooltip=tooltip),
    ]
    missed = frame.filter(pl.col("meets_target").not_())
    if missed.height:
        layers.append(
            alt.Chart(missed)
            .mark_point(size=150, strokeWidth=2, color=PALETTE["vermillion"], filled=False)
            .encode(x=x, y=alt.Y("value:Q", title=y_title), tooltip=tooltip)
        )
    targets = frame.filter(pl.col("target").is_not_null())
    subtitle = []
    if targets.height:
        goal = float(targets.sort("snapshot")["target"][-1])
        condition = str(targets.sort("snapshot")["target_condition"][-1] or "")
        layers.append(
            alt.Chart(pl.DataFrame({"goal": [goal]}))
            .mark_rule(color=PALETTE["vermillion"], strokeDash=[6, 4], strokeWidth=1.5)
            .encode(y=alt.Y("goal:Q", title=y_title))
        )
        subtitle.append(
            f"Dashed: Amazon's target, {words.amazon_target(goal, condition, rate=is_rate)}."
        )
    chart = alt.layer(
        *layers,
        title=_title(title, subtitle=subtitle),
        width=width,
        height=height,
    )
    return _zoomable(chart, zoom)


def health_history_chart(
    history: pl.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    title: str = "Amazon's own figures over time",
    columns: int = 2,
    zoom: bool = False,
) -> alt.TopLevelMixin:
    """Every numeric metric of Amazon's account-health snapshots, one small chart each.

    ``history`` is a :func:`~odr_analysis.history.health_history` frame for one account and
    marketplace; ``metrics`` (default: every metric with a number, in
    :data:`~odr_analysis.history.METRIC_ORDER`) chooses and orders the panels, each a
    :func:`health_metric_chart`. By default a count that is 0 in every snapshot (a policy
    metric without a violation) gets no panel: the subtitle names those. Statuses without a
    number (the account status, the rating's status, warnings) are not drawn: the history
    frame has them. ``zoom=True``: one zoom for every panel, so that the snapshot dates stay
    aligned: the wheel over any panel zooms them all, dragging pans them, a double click
    resets them.
    """
    from odr_analysis.history import METRIC_ORDER

    function = "health_history_chart"
    frame = _frame(history, function, "history", ("snapshot", "file", "metric", "value"))
    numbers = frame.filter(pl.col("value").is_not_null())
    if numbers.is_empty():
        return _empty(title, "No account-health snapshot with figures to show")
    _one_account(numbers, function)
    subtitle = [_snapshot_words(numbers)]
    if metrics is None:
        present = set(numbers["metric"].to_list())
        metrics = [m for m in METRIC_ORDER if m in present]
        metrics += sorted(present - set(metrics))
        zero = (
            numbers.group_by("metric")
            .agg(zero=((pl.col("unit") == "count") & (pl.col("value") == 0)).all())
            .filter("zero")["metric"]
            .to_list()
        )
        if zero:
            metrics = [m for m in metrics if m not in zero]
            named = ", ".join(words.metric_name(m).lower() for m in METRIC_ORDER if m in zero)
            named += "".join(
                f", {words.metric_name(m).lower()}" for m in sorted(zero) if m not in METRIC_ORDER
            )
            subtitle += textwrap.wrap(f"None in any snapshot: {named}.", width=100)
    if not metrics:
        return _empty(title, " ".join(subtitle))
    shown = numbers.filter(pl.col("metric").is_in(list(metrics)))
    series = _series_names(shown)
    panels: list[Any] = [health_metric_chart(frame, m, series=series) for m in metrics]
    if not zoom:
        return alt.concat(*panels, columns=columns, title=_title(title, subtitle=subtitle))
    linked = alt.selection_interval(bind="scales", encodings=["x"])
    panels = [p.add_params(linked) if isinstance(p, alt.LayerChart) else p for p in panels]
    with warnings.catch_warnings():
        # One selection in every panel is what links them: altair merges it into one
        # parameter (with every panel as a view) and says so in a warning.
        warnings.filterwarnings("ignore", message="Automatically deduplicated selection")
        return alt.concat(*panels, columns=columns, title=_title(title, subtitle=subtitle))


def reconcile_history_chart(
    reconciled: pl.DataFrame,
    *,
    target: float | None = None,
    title: str = "Our ODR beside Amazon's, snapshot by snapshot",
    zoom: bool = False,
) -> alt.TopLevelMixin:
    """Amazon's ODR and ours for each account-health snapshot, per channel.

    ``reconciled`` is a :func:`~odr_analysis.history.reconcile_history` frame for one account
    and marketplace. Per channel (colour): Amazon's rate as reported (solid line, filled
    points) and ours recomputed from the order files for the same window (dashed line, open
    points); a snapshot where the two differ has a vermillion ring. The target is the dashed
    rule (``target``, default: the rules' 1%). The tooltip gives both counts. ``zoom=True``:
    the snapshot dates can be zoomed and panned, as in :func:`odr_over_time`.
    """
    function = "reconcile_history_chart"
    need = [
        *("snapshot", "file", "channel", "window_start", "window_end", "rate_ours"),
        *("rate_amazon", "order_count_ours", "order_count_amazon", "match"),
        *("defective_orders_ours", "defective_orders_amazon"),
    ]
    frame = _frame(reconciled, function, "reconciled", need)
    if frame.is_empty():
        return _empty(title, "No account-health snapshot to compare with")
    _one_account(frame, function)
    goal = _target(frame, target)
    keys = ["snapshot", "file", "channel", "window_start", "window_end", "match"]
    long = (
        pl.concat(
            [
                frame.select(
                    *keys,
                    source=pl.lit(_AMAZON),
                    rate=pl.col("rate_amazon"),
                    order_count=pl.col("order_count_amazon"),
                    defective_orders=pl.col("defective_orders_amazon"),
                ),
                frame.select(
                    *keys,
                    source=pl.lit(_OURS),
                    rate=pl.col("rate_ours"),
                    order_count=pl.col("order_count_ours"),
                    defective_orders=pl.col("defective_orders_ours"),
                ),
            ]
        )
        .with_columns(amazon=pl.col("source") == _AMAZON)
        .sort("channel", "source", "snapshot")
    )
    x = _snapshot_x(long)
    dash = alt.StrokeDash(
        "source:N", title="Rate", scale=alt.Scale(domain=[_AMAZON, _OURS], range=[[1, 0], [5, 3]])
    )
    tooltip = [
        alt.Tooltip("channel:N", title="Channel"),
        alt.Tooltip("source:N", title="Whose"),
        _date_tip("snapshot", "Snapshot"),
        *_window_tips("rate"),
    ]
    base = alt.Chart(long).encode(x=x, y=_rate_y("rate"), color=_channel_color(lines=True))
    layers: list[alt.Chart] = [
        base.mark_line(strokeWidth=1.8).encode(strokeDash=dash),
        base.transform_filter("datum.amazon")
        .mark_point(size=55, opacity=1, filled=True)
        .encode(tooltip=tooltip),
        base.transform_filter("!datum.amazon")
        .mark_point(size=55, opacity=1, strokeWidth=1.5, filled=False)
        .encode(tooltip=tooltip),
    ]
    differ = long.filter(~pl.col("match") & (pl.col("source") == _AMAZON))
    if differ.height:
        layers.append(
            alt.Chart(differ)
            .mark_point(size=170, strokeWidth=2, color=PALETTE["vermillion"], filled=False)
            .encode(x=x, y=_rate_y("rate"), tooltip=tooltip)
        )
    layers.extend(_target_layers(goal))
    subtitle = [
        "Solid: Amazon's rate as its report gave it; dashed: ours for the same window.",
        _snapshot_words(frame),
    ]
    if differ.height:
        subtitle.insert(1, "Ringed: a snapshot where ours differs from Amazon's.")
    chart = alt.layer(*layers, title=_title(title, subtitle=subtitle), width=_WIDTH, height=_HEIGHT)
    return _zoomable(chart, zoom)


def to_svg(spec: dict[str, Any]) -> str:
    """A chart's Vega-Lite spec drawn as SVG by vl-convert, with altair's Vega-Lite version (no
    browser, no CDN): the static drawing of the notebooks' live charts and of the panel's SVG
    path."""
    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return str(vl_convert.vegalite_to_svg(spec, vl_version=version))
