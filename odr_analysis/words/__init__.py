"""Every word a user reads: numbers, dates, the names of things, and the sentences of the answers.

The analytics return frames of data; the report, the panel, the charts and the notebooks turn
them into words with this module, so that a wording is changed in one place and reads the same
everywhere. Use it from here (``from odr_analysis import words``); behind it, one private module
per area: ``_formats`` (numbers, dates), ``_names`` (kinds, channels, statuses, causes),
``_sources`` (where an estimate comes from), and one per answer: ``_outlook``, ``_change``,
``_reconcile``, ``_headroom``, ``_whatif``, ``_status``.
Three kinds of helper:

* formats of one value: :func:`pct` (``2.55%``), :func:`target_text` (``1%``), :func:`count`
  (``3 defective orders``), :func:`day` (``9 Feb 2026``), ...;
* the names of things: :data:`KINDS` (each defect kind in its forms), :data:`CHANNELS`,
  :data:`STATUSES`, :data:`CAUSES`;
* sentences: functions that take a row (a mapping) or return a polars expression that builds
  the sentence of every row of an answer's frame at once (``frame.with_columns(message=...)``).

Nothing here computes a number that is not already in its input.

>>> import datetime as dt
>>> pct(0.025469), target_text(0.015), count(1, "defective order"), day(dt.date(2026, 2, 9))
('2.55%', '1.5%', '1 defective order', '9 Feb 2026')
"""

from odr_analysis.words._change import (
    with_change_words,
)
from odr_analysis.words._formats import (
    CHART_DATE,
    DAY,
    DAY_MONTH,
    LONG_DAY,
    amazon_target,
    chart_day,
    count,
    day,
    iso,
    long_day,
    number,
    pct,
    pct_expr,
    plural,
    plural_expr,
    points,
    short_day,
    target_expr,
    target_text,
)
from odr_analysis.words._headroom import (
    headroom,
    orders_needed,
)
from odr_analysis.words._names import (
    CAUSES,
    CHANNELS,
    KINDS,
    METRIC_NAMES,
    STATUSES,
    ChannelWords,
    KindWords,
    StatusWords,
    group_label,
    metric_name,
    sentence,
    status_legend,
)
from odr_analysis.words._outlook import (
    outlook,
    outlook_label,
    outlook_label_js,
    outlook_report,
    projection,
)
from odr_analysis.words._reconcile import (
    reconcile_explanation,
)
from odr_analysis.words._sources import (
    AS_GIVEN,
    ASSUMED,
    NO_MATURED_RATE,
    NO_ORDERS,
    arrival_fixed,
    arrival_source,
    assumptions,
    matured_rate_source,
    maturity_source,
    method_monte_carlo,
    method_normal,
    recent_orders_source,
)
from odr_analysis.words._status import (
    ALERTS_TITLE,
    alerts_text,
    small_numbers_note,
    status_line,
)
from odr_analysis.words._whatif import (
    dropoff,
    headline,
    removal,
    removal_option,
    removal_result,
    what_removed,
)

__all__ = [
    "ALERTS_TITLE",
    "ASSUMED",
    "AS_GIVEN",
    "CAUSES",
    "CHANNELS",
    "CHART_DATE",
    "DAY",
    "DAY_MONTH",
    "KINDS",
    "LONG_DAY",
    "METRIC_NAMES",
    "NO_MATURED_RATE",
    "NO_ORDERS",
    "STATUSES",
    "ChannelWords",
    "KindWords",
    "StatusWords",
    "alerts_text",
    "amazon_target",
    "arrival_fixed",
    "arrival_source",
    "assumptions",
    "chart_day",
    "count",
    "day",
    "dropoff",
    "group_label",
    "headline",
    "headroom",
    "iso",
    "long_day",
    "matured_rate_source",
    "maturity_source",
    "method_monte_carlo",
    "method_normal",
    "metric_name",
    "number",
    "orders_needed",
    "outlook",
    "outlook_label",
    "outlook_label_js",
    "outlook_report",
    "pct",
    "pct_expr",
    "plural",
    "plural_expr",
    "points",
    "projection",
    "recent_orders_source",
    "reconcile_explanation",
    "removal",
    "removal_option",
    "removal_result",
    "sentence",
    "short_day",
    "small_numbers_note",
    "status_legend",
    "status_line",
    "target_expr",
    "target_text",
    "what_removed",
    "with_change_words",
]
