""" "Try it yourself": one chart per channel with two sliders that work in the HTML file itself.

The chart's line is recomputed by the browser (Vega-Lite expressions, no kernel, no server)
from the orders and defective orders known today for each coming report date, and the sliders'
new orders a day and share of them defective. Its label says when the line is under the target
(:func:`odr_analysis.words.outlook_label_js`, the outlook's words as a Vega expression).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import altair as alt
import polars as pl

from odr_analysis import charts, words
from odr_analysis.htmlsafe import escape
from odr_analysis.report.data import ReportData
from odr_analysis.report.sections import Block, Chart, group_name
from odr_analysis.rules import day_number
from odr_analysis.schema import GROUP_KEYS

__all__ = ["try_it", "what_if_chart", "what_if_frame"]


def what_if_frame(r: ReportData, marketplace: str, channel: str) -> pl.DataFrame:
    """Known orders and known defective orders in the window of each coming report date.

    One row per report date from ``r.as_of`` (``day`` 0) on, with ``new_days``: the order
    dates after the report date inside that date's window (the days of new orders).
    """
    cal = r.calendar
    mine = (pl.col("marketplace") == marketplace) & (pl.col("channel") == channel)
    cols = ["as_of", "order_count", "defective_orders"]
    path = pl.concat([cal.today.filter(mine).select(cols), cal.path.filter(mine).select(cols)])
    first, last = r.rules.order_days(pl.col("as_of").cast(pl.Int64))
    tomorrow = day_number(r.as_of) + 1
    return path.sort("as_of").with_columns(
        day=(pl.col("as_of") - pl.lit(r.as_of)).dt.total_days().cast(pl.Int64),
        new_days=(last - pl.max_horizontal(first, pl.lit(tomorrow)) + 1)
        .clip(lower_bound=0)
        .cast(pl.Int64),
    )


def what_if_chart(
    r: ReportData, marketplace: str, channel: str, *, orders_a_day: float, defect_rate: float
) -> alt.TopLevelMixin:
    """The rate on each coming report date, recomputed in the browser from two sliders.

    For report date ``d``: ``rate = (K + x * days * p) / (N + x * days)``, where ``K`` and
    ``N`` are the orders already defective today and the orders already placed in ``d``'s
    window, ``x`` the new orders a day (slider), ``p`` the share of them defective (slider)
    and ``days`` the number of order dates after today in ``d``'s window. Defects still to come
    on orders already placed are left out (the projection includes them). The params have
    fixed names (``orders_a_day``, ``defect_rate``) so the spec is the same every run.
    """
    frame = what_if_frame(r, marketplace, channel)
    target = r.target
    top_orders = max(10, math.ceil(orders_a_day * 3 / 5) * 5)
    step_orders = 1 if top_orders > 20 else 0.5
    orders_value = math.floor(orders_a_day / step_orders + 0.5) * step_orders  # half up
    top_rate = max(3.0, math.ceil(defect_rate * 100 * 2))
    orders = alt.param(
        name="orders_a_day",
        value=orders_value,
        bind=alt.binding_range(
            min=0, max=top_orders, step=step_orders, name=f"New {channel} orders a day "
        ),
    )
    share = alt.param(
        name="defect_rate",
        value=round(defect_rate * 100, 1),
        bind=alt.binding_range(
            min=0, max=top_rate, step=0.1, name="Of which end up defective (%) "
        ),
    )
    base = (
        alt.Chart(frame)
        .transform_calculate(new_orders="orders_a_day * datum.new_days")
        .transform_calculate(
            rate="datum.order_count + datum.new_orders > 0 ? (datum.defective_orders + "
            "datum.new_orders * defect_rate / 100) / (datum.order_count + datum.new_orders) "
            ": null",
            date="time(toDate(datum.as_of))",
        )
    )
    x = alt.X("as_of:T", title="Report date", axis=alt.Axis(format=words.CHART_DATE))
    y = alt.Y("rate:Q", title="Order Defect Rate", axis=alt.Axis(format=".2%"))
    color = charts.PALETTE["blue"] if channel == "AFN" else charts.PALETTE["orange"]
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5, color=color).encode(x=x, y=y)
    points = base.mark_point(opacity=0, size=60, filled=True).encode(
        x=x,
        y=y,
        tooltip=[
            alt.Tooltip("as_of:T", title="Report date", format=words.CHART_DATE),
            alt.Tooltip("rate:Q", title="Rate", format=".2%"),
            alt.Tooltip("order_count:Q", title="Orders already placed", format=",d"),
            alt.Tooltip("defective_orders:Q", title="Already defective", format=",d"),
            alt.Tooltip("new_orders:Q", title="New orders", format=",.0f"),
        ],
    )
    rule = (
        alt.Chart(pl.DataFrame({"target": [target]}))
        .mark_rule(color=charts.PALETTE["vermillion"], strokeDash=[6, 4])
        .encode(y=alt.Y("target:Q", title="Order Defect Rate"))
    )
    label = (
        base.transform_calculate(
            today_rate="datum.day == 0 ? datum.rate : null",
            under=f"datum.day > 0 && isValid(datum.rate) && datum.rate < {target} ? datum.date "
            ": null",
            over=f"datum.day > 0 && isValid(datum.rate) && datum.rate >= {target} ? datum.date "
            ": null",
        )
        .transform_joinaggregate(first_under="min(under)")
        .transform_calculate(
            over_after="isValid(datum.over) && isValid(datum.first_under) && "
            "datum.over > datum.first_under ? datum.over : null"
        )
        .transform_aggregate(
            today="max(today_rate)",
            under_on="min(under)",
            over_on="min(over)",
            back_on="min(over_after)",
        )
        .transform_calculate(label=words.outlook_label_js(target, frame.height - 1))
        .mark_text(align="left", baseline="top", fontSize=14, fontWeight="bold", dx=6, dy=6)
        .encode(x=alt.value(0), y=alt.value(0), text="label:N")
    )
    title = alt.Title(
        "Try it: "
        + group_name(
            {"marketplace": marketplace, "channel": channel},
            several_marketplaces=r.several_marketplaces,
        ),
        subtitle=["Move the sliders below the chart: the line is recomputed in your browser."],
        anchor="start",
    )
    return alt.layer(line, points, rule, label, width=640, height=240, title=title).add_params(
        orders, share
    )


def try_it(r: ReportData) -> Iterator[Block]:
    """How the sliders' chart computes its line, then one slider chart per channel with orders."""
    yield (
        "<p>The sliders below each chart change the new orders a day and the share of them "
        "that end up defective; the line is recomputed in your browser from the orders and "
        "defects known today:</p>"
        '<p class="formula">rate on a report date = (orders already defective in that '
        "window + new orders \u00d7 defective share) \u00f7 (orders already placed in that "
        "window + new orders), with new orders = orders a day \u00d7 the days after today "
        "whose orders are in that window.</p>"
        f"<p>New orders only count {r.rules.report_days(0)[0]} days after they are placed, "
        "when they enter the window. This leaves out the feedback and claims still to come on "
        "orders already placed (the projection above includes them), so it is the better case "
        "of the two.</p>"
    )
    keys = list(GROUP_KEYS)
    inputs = r.projection.inputs.sort(keys).join(
        r.status.select(*keys, "order_count"), on=keys, how="left", maintain_order="left"
    )
    for row in inputs.iter_rows(named=True):
        if row["order_count"] is None or (row["order_count"] == 0 and not row["daily_orders"]):
            continue
        rate = row["defect_rate"]
        rate = 0.0 if rate is None or math.isnan(rate) else rate
        chart = what_if_chart(
            r,
            row["marketplace"],
            row["channel"],
            orders_a_day=row["daily_orders"],
            defect_rate=rate,
        )
        caption = (
            f"The line is the {row['channel']} rate on each coming report date with the new "
            "orders set by the sliders (they start at your usual orders a day and your settled "
            "defect rate); the label says when it is under the target, or over it again."
        )
        yield Chart(chart, escape(caption))
