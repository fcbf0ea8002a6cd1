"""Altair charts: functions that take an aggregated polars frame and return a chart.

They never display anything and never receive order-level rows, so they stay far below altair's
row limit. Every chart has a title, axis titles in words, percentages as percentages and a
colour-blind-safe palette (Okabe-Ito).
"""

from __future__ import annotations

import altair as alt
import polars as pl

__all__ = ["CHANNEL_COLORS", "PALETTE", "odr_over_time"]

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#999999",
}
CHANNEL_COLORS = alt.Scale(domain=["AFN", "MFN"], range=[PALETTE["blue"], PALETTE["orange"]])


def odr_over_time(daily: pl.DataFrame, *, title: str = "Order Defect Rate by report date") -> (
    alt.LayerChart
):
    """ODR per channel over report dates against the target, breach days shaded.

    ``daily`` is an :func:`~odr_analysis.engine.odr_daily` frame for one account (one row per
    channel and day). The tooltip shows the window each day covers.
    """
    if daily.is_empty():
        raise ValueError("odr_over_time needs at least one day of ODR (the frame is empty)")
    frame = daily.select(
        "channel",
        "as_of",
        "window_start",
        "window_end",
        "order_count",
        "defective_orders",
        "odr",
        "target",
        breach=pl.col("odr") >= pl.col("target"),
    )
    target = float(frame["target"].max())  # type: ignore[arg-type]
    base = alt.Chart(frame).encode(
        x=alt.X("as_of:T", title="Report date", axis=alt.Axis(format="%d %b %Y"))
    )
    breach = (
        base.transform_filter(alt.datum.breach)
        .transform_calculate(day_end="datum.as_of + 86400000")
        .mark_rect(opacity=0.15, color=PALETTE["vermillion"])
        .encode(x2="day_end:T")
    )
    line = base.mark_line(interpolate="step-after").encode(
        y=alt.Y("odr:Q", title="Order Defect Rate", axis=alt.Axis(format=".1%")),
        color=alt.Color("channel:N", title="Channel", scale=CHANNEL_COLORS),
        tooltip=[
            alt.Tooltip("channel:N", title="Channel"),
            alt.Tooltip("as_of:T", title="Report date", format="%d %b %Y"),
            alt.Tooltip("window_start:T", title="Window from", format="%d %b %Y"),
            alt.Tooltip("window_end:T", title="Window to", format="%d %b %Y"),
            alt.Tooltip("order_count:Q", title="Orders in window", format=","),
            alt.Tooltip("defective_orders:Q", title="Defective orders"),
            alt.Tooltip("odr:Q", title="ODR", format=".2%"),
        ],
    )
    rule = (
        alt.Chart(pl.DataFrame({"target": [target], "label": [f"target {target:.0%}"]}))
        .mark_rule(color=PALETTE["vermillion"], strokeDash=[6, 4])
        .encode(y=alt.Y("target:Q", title="Order Defect Rate"))
    )
    return alt.layer(breach, line, rule).properties(title=title, width=640, height=260)
