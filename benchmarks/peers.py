"""What a user would run instead of ``odr_daily``: DuckDB SQL, pandas, and a bare-numpy floor.

Every implementation computes exactly the counts of :func:`odr_analysis.engine.odr_daily` (the
semantics are spelled out in ``benchmarks/README.md``): for each (account, marketplace, channel)
present in ``orders`` and each report day ``as_of`` in ``[start, end]``, ``order_count``,
``defective_orders``, ``negative_feedback``, ``a_to_z_claims`` and ``chargebacks``.

All of them use the same idea as the engine. An order is in the window of the report days
``[order_date + lag, order_date + lag + window - 1]``. A counted defect state covers an interval of
report days: a claim or chargeback counts from its first counted row's ``event_date`` on; a
feedback row decides from its ``event_date`` until the day before the order's next feedback date.
An order is defective from its first counted claim/chargeback on, and before that while its
feedback counts; these pieces never overlap, so each daily count is a running sum of +1/-1 steps
at the edges of (interval ∩ window ∩ [start, end]).

:func:`canonical` brings any result to one comparable shape (sorted, counts as ``Int64``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import polars as pl

from odr_analysis.rules import OdrRules

__all__ = [
    "COUNT_COLUMNS",
    "GROUP_KEYS",
    "RESULT_COLUMNS",
    "FloorInputs",
    "canonical",
    "duckdb_daily",
    "duckdb_sql",
    "engine_daily",
    "floor_frame",
    "floor_inputs",
    "numpy_floor",
    "pandas_daily",
    "pandas_frames",
    "pandas_read",
    "report_range",
]

GROUP_KEYS = ["account", "marketplace", "channel"]
COUNT_COLUMNS = [
    "order_count",
    "defective_orders",
    "negative_feedback",
    "a_to_z_claims",
    "chargebacks",
]
RESULT_COLUMNS = [*GROUP_KEYS, "as_of", *COUNT_COLUMNS]
_ORDER_KEY = ["account", "order_id"]


def report_range(orders: pl.DataFrame, rules: OdrRules = OdrRules()) -> tuple[dt.date, dt.date]:
    """The report days the benchmark covers: the windows ending on the first to the last order date.

    ``start = first order date + lag`` and ``end = last order date + lag``: as many report days
    as order days (730 for two years), the first ``window - 1`` of them with a partial window.
    """
    first, last = orders.select(lo=pl.col("order_date").min(), hi=pl.col("order_date").max()).row(0)
    lag = dt.timedelta(days=rules.lag_days)
    return first + lag, last + lag


def canonical(frame: pl.DataFrame | pd.DataFrame) -> pl.DataFrame:
    """``RESULT_COLUMNS`` only, counts as Int64, ``as_of`` as Date, sorted by group and day."""
    if isinstance(frame, pd.DataFrame):
        frame = pl.from_pandas(frame)
    return frame.select(
        *[pl.col(k).cast(pl.String) for k in GROUP_KEYS],
        pl.col("as_of").cast(pl.Date),
        *[pl.col(c).cast(pl.Int64) for c in COUNT_COLUMNS],
    ).sort([*GROUP_KEYS, "as_of"])


def engine_daily(
    orders: pl.DataFrame,
    defects: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    rules: OdrRules = OdrRules(),
) -> pl.DataFrame:
    """Our engine, :func:`odr_analysis.engine.odr_daily`, as a user calls it."""
    from odr_analysis.engine import odr_daily

    return odr_daily(orders, defects, start=start, end=end, rules=rules)


# --------------------------------------------------------------------------------------------
# DuckDB


def _sql_list(values: frozenset[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) or "NULL"


def duckdb_sql(start: dt.date, end: dt.date, rules: OdrRules = OdrRules()) -> str:
    """The SQL of :func:`duckdb_daily` over tables ``orders`` and ``defects``.

    Step formulation (+1/-1 at interval edges, running ``sum() OVER``): in DuckDB 2 it beat a
    ``RANGE BETWEEN`` window over daily order counts (see README).
    """
    lag, width = rules.lag_days, rules.window_days
    claim = (
        "TRUE"
        if rules.count_all_claims
        else f"status IN ({_sql_list(rules.counted_claim_statuses)})"
    )
    first, last = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"
    return f"""
WITH
per_day AS (      -- orders per group and order date
    SELECT account, marketplace, channel, order_date, count(*) AS n
    FROM orders GROUP BY ALL
),
feedback AS (     -- per order and feedback date: does the feedback of that date count?
    SELECT account, order_id, event_date,
           bool_or(status IN ({_sql_list(rules.counted_feedback_statuses)})
                   AND rating <= {rules.negative_feedback_max_rating}) AS counts
    FROM defects WHERE kind = 'negative_feedback'
    GROUP BY ALL
),
feedback_state AS (  -- it decides until the day before the order's next feedback date
    SELECT account, order_id, event_date AS s,
           lead(event_date) OVER (PARTITION BY account, order_id ORDER BY event_date) - 1 AS e,
           counts
    FROM feedback
),
hard AS (         -- first counted claim / chargeback per order
    SELECT account, order_id,
           min(event_date) FILTER (WHERE kind = 'a_to_z_claim' AND {claim}) AS claim_from,
           min(event_date) FILTER (WHERE kind = 'chargeback'
               AND status IN ({_sql_list(rules.counted_chargeback_statuses)})) AS chargeback_from
    FROM defects WHERE kind <> 'negative_feedback'
    GROUP BY ALL
),
segments AS (     -- report days [s, e] (e NULL = open) on which an order counts, per measure
    SELECT account, order_id, 2 AS m, s, e FROM feedback_state WHERE counts
    UNION ALL
    SELECT account, order_id, 3, claim_from, NULL FROM hard WHERE claim_from IS NOT NULL
    UNION ALL
    SELECT account, order_id, 4, chargeback_from, NULL FROM hard WHERE chargeback_from IS NOT NULL
    UNION ALL     -- defective: from the first claim/chargeback on ...
    SELECT account, order_id, 1, least(claim_from, chargeback_from), NULL FROM hard
    WHERE claim_from IS NOT NULL OR chargeback_from IS NOT NULL
    UNION ALL     -- ... and before that, while its feedback counts (LEAST ignores NULL)
    SELECT f.account, f.order_id, 1, f.s, least(f.e, least(h.claim_from, h.chargeback_from) - 1)
    FROM feedback_state f LEFT JOIN hard h USING (account, order_id)
    WHERE f.counts AND (f.s < least(h.claim_from, h.chargeback_from)
                        OR (h.claim_from IS NULL AND h.chargeback_from IS NULL))
),
clipped AS (      -- intersect with the order's window days and the report range
    SELECT o.account, o.marketplace, o.channel, g.m,
           greatest(g.s, o.order_date + {lag}, {first}) AS lo,
           least(coalesce(g.e, {last}), o.order_date + {lag + width - 1}, {last}) AS hi
    FROM segments g JOIN orders o USING (account, order_id)
),
order_span AS (
    SELECT account, marketplace, channel, n,
           greatest(order_date + {lag}, {first}) AS lo,
           least(order_date + {lag + width - 1}, {last}) AS hi
    FROM per_day
),
steps AS (        -- one column per measure: order_count, defective, feedback, claims, chargebacks
    SELECT account, marketplace, channel, lo AS day, n AS s0, 0 AS s1, 0 AS s2, 0 AS s3, 0 AS s4
    FROM order_span WHERE lo <= hi
    UNION ALL
    SELECT account, marketplace, channel, hi + 1, -n, 0, 0, 0, 0
    FROM order_span WHERE lo <= hi AND hi < {last}
    UNION ALL
    SELECT account, marketplace, channel, lo, 0,
           (m = 1)::INT, (m = 2)::INT, (m = 3)::INT, (m = 4)::INT
    FROM clipped WHERE lo <= hi
    UNION ALL
    SELECT account, marketplace, channel, hi + 1, 0,
           -(m = 1)::INT, -(m = 2)::INT, -(m = 3)::INT, -(m = 4)::INT
    FROM clipped WHERE lo <= hi AND hi < {last}
),
daily AS (
    SELECT account, marketplace, channel, day,
           sum(s0) AS s0, sum(s1) AS s1, sum(s2) AS s2, sum(s3) AS s3, sum(s4) AS s4
    FROM steps GROUP BY ALL
),
grid AS (
    SELECT account, marketplace, channel, day::DATE AS day
    FROM (SELECT DISTINCT account, marketplace, channel FROM per_day)
    CROSS JOIN unnest(generate_series({first}, {last}, INTERVAL 1 DAY)) AS t(day)
)
SELECT g.account, g.marketplace, g.channel, g.day AS as_of,
       (sum(coalesce(d.s0, 0)) OVER w)::BIGINT AS order_count,
       (sum(coalesce(d.s1, 0)) OVER w)::BIGINT AS defective_orders,
       (sum(coalesce(d.s2, 0)) OVER w)::BIGINT AS negative_feedback,
       (sum(coalesce(d.s3, 0)) OVER w)::BIGINT AS a_to_z_claims,
       (sum(coalesce(d.s4, 0)) OVER w)::BIGINT AS chargebacks
FROM grid g LEFT JOIN daily d USING (account, marketplace, channel, day)
WINDOW w AS (PARTITION BY g.account, g.marketplace, g.channel ORDER BY g.day
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
"""


def duckdb_daily(
    orders: pl.DataFrame,
    defects: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    rules: OdrRules = OdrRules(),
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """The daily counts in DuckDB SQL over the polars frames (registered zero-copy).

    Pass ``con`` to reuse a connection; the frames are registered as ``orders``/``defects``.
    """
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        con.register("orders", orders)
        con.register("defects", defects)
        return con.sql(duckdb_sql(start, end, rules)).pl()
    finally:
        if own:
            con.close()


# --------------------------------------------------------------------------------------------
# pandas


def pandas_frames(orders: pl.DataFrame, defects: pl.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frames as a pandas user holds them: pandas 3 ``str`` columns, ``datetime64`` dates."""
    o = orders.to_pandas()
    d = defects.to_pandas()
    o["order_date"] = pd.to_datetime(o["order_date"])
    d["event_date"] = pd.to_datetime(d["event_date"])
    return o, d


def pandas_read(
    orders_path: str | os.PathLike[str], defects_path: str | os.PathLike[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the parquet files as a pandas user would (``pd.read_parquet``, dates as datetime64)."""
    as_dates = {"to_pandas_kwargs": {"date_as_object": False}}
    return pd.read_parquet(orders_path, **as_dates), pd.read_parquet(defects_path, **as_dates)


def pandas_daily(
    orders: pd.DataFrame,
    defects: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    rules: OdrRules = OdrRules(),
) -> pd.DataFrame:
    """The daily counts in plain pandas (groupby, merge, cumsum), dates as ``datetime64``."""
    lag, width = pd.Timedelta(days=rules.lag_days), pd.Timedelta(days=rules.window_days)
    one = pd.Timedelta(days=1)
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    keys = GROUP_KEYS

    # Orders per group and order date, and the report days they are in the window of.
    per_day = orders.groupby([*keys, "order_date"], sort=False).size().reset_index(name="n")
    groups = per_day[keys].drop_duplicates()
    per_day["lo"] = (per_day["order_date"] + lag).clip(lower=first)
    per_day["hi"] = (per_day["order_date"] + lag + width - one).clip(upper=last)
    per_day = per_day[per_day["lo"] <= per_day["hi"]]

    # Feedback: per order and date, whether that date's feedback counts; it decides until the
    # day before the next feedback date of the order.
    fb = defects[defects["kind"] == "negative_feedback"]
    fb = fb.assign(
        counts=fb["status"].isin(rules.counted_feedback_statuses)
        & (fb["rating"] <= rules.negative_feedback_max_rating)
    )
    fb = fb.groupby([*_ORDER_KEY, "event_date"])["counts"].any().reset_index()  # sorted
    fb["e"] = fb.groupby(_ORDER_KEY)["event_date"].shift(-1) - one
    fb = fb[fb["counts"]].rename(columns={"event_date": "s"})[[*_ORDER_KEY, "s", "e"]]

    # Claims and chargebacks count from their first counted row on.
    claims = defects[defects["kind"] == "a_to_z_claim"]
    if not rules.count_all_claims:
        claims = claims[claims["status"].isin(rules.counted_claim_statuses)]
    charge = defects[
        (defects["kind"] == "chargeback")
        & defects["status"].isin(rules.counted_chargeback_statuses)
    ]
    claim_from = claims.groupby(_ORDER_KEY)["event_date"].min().rename("s").reset_index()
    charge_from = charge.groupby(_ORDER_KEY)["event_date"].min().rename("s").reset_index()
    hard = pd.concat([claim_from, charge_from]).groupby(_ORDER_KEY)["s"].min()

    # Defective: from the first claim/chargeback on, and before it while the feedback counts.
    fb_hard = fb.join(hard.rename("hard"), on=_ORDER_KEY)
    fb_hard = fb_hard[fb_hard["hard"].isna() | (fb_hard["s"] < fb_hard["hard"])]
    fb_hard["e"] = fb_hard[["e"]].assign(h=fb_hard["hard"] - one).min(axis=1)
    segments = pd.concat(
        [
            fb_hard[[*_ORDER_KEY, "s", "e"]].assign(m="defective_orders"),
            hard.reset_index().assign(e=pd.NaT, m="defective_orders"),
            fb.assign(m="negative_feedback"),
            claim_from.assign(e=pd.NaT, m="a_to_z_claims"),
            charge_from.assign(e=pd.NaT, m="chargebacks"),
        ],
        ignore_index=True,
    )
    # Only orders with a counted defect need their date and group: select them with ``isin``
    # before merging (a merge against all orders on two string keys is 5x slower).
    wanted = orders.loc[
        orders["order_id"].isin(segments["order_id"].unique()),
        [*_ORDER_KEY, "marketplace", "channel", "order_date"],
    ]
    seg = segments.merge(wanted, on=_ORDER_KEY)
    seg["lo"] = np.maximum(seg["s"], seg["order_date"] + lag).clip(lower=first)
    seg["hi"] = seg["e"].fillna(last).clip(upper=last)
    seg["hi"] = np.minimum(seg["hi"], seg["order_date"] + lag + width - one)
    seg = seg[seg["lo"] <= seg["hi"]]

    # +1/-1 steps at interval edges, one column per measure; then a running sum on the grid.
    measure = pd.get_dummies(seg["m"], dtype="int64").reindex(
        columns=COUNT_COLUMNS[1:], fill_value=0
    )
    seg = pd.concat([seg[[*keys, "lo", "hi"]], measure], axis=1)
    ends = per_day["hi"] < last
    seg_ends = seg["hi"] < last
    steps = pd.concat(
        [
            per_day[[*keys]].assign(day=per_day["lo"], order_count=per_day["n"]),
            per_day.loc[ends, keys].assign(
                day=per_day.loc[ends, "hi"] + one, order_count=-per_day.loc[ends, "n"]
            ),
            seg[keys].assign(day=seg["lo"]).join(seg[COUNT_COLUMNS[1:]]),
            seg.loc[seg_ends, keys]
            .assign(day=seg.loc[seg_ends, "hi"] + one)
            .join(-seg.loc[seg_ends, COUNT_COLUMNS[1:]]),
        ],
        ignore_index=True,
    ).fillna(0)
    daily = steps.groupby([*keys, "day"])[COUNT_COLUMNS].sum()

    grid = groups.merge(pd.DataFrame({"day": pd.date_range(first, last, freq="D")}), how="cross")
    out = grid.merge(daily, left_on=[*keys, "day"], right_index=True, how="left")
    out = out.fillna({c: 0 for c in COUNT_COLUMNS}).sort_values([*keys, "day"])
    out[COUNT_COLUMNS] = out.groupby(keys, sort=False)[COUNT_COLUMNS].cumsum().astype("int64")
    return out.rename(columns={"day": "as_of"}).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# numpy floor


@dataclass(frozen=True)
class FloorInputs:
    """Integer columns prepared for the floor (computing them is not timed).

    ``order_cell`` is ``group * order_days + order-day index`` per order (order-day index 0 is
    ``start - lag - window + 1``); ``seg_lo``/``seg_hi`` are ``(measure * groups + group) *
    (days + 1) + report-day index`` of each counted interval's first and one-past-last day.
    """

    groups: pl.DataFrame
    start: dt.date
    days: int
    window: int
    order_cell: np.ndarray
    seg_lo: np.ndarray
    seg_hi: np.ndarray

    @property
    def order_days(self) -> int:
        return self.days + self.window - 1


def floor_inputs(
    orders: pl.DataFrame,
    defects: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    rules: OdrRules = OdrRules(),
) -> FloorInputs:
    """Prepare the integer columns :func:`numpy_floor` counts (with polars; not timed)."""
    lag, width = rules.lag_days, rules.window_days
    days = (end - start).days + 1
    base = start - dt.timedelta(days=lag + width - 1)  # order-day index 0
    groups = orders.select(GROUP_KEYS).unique().sort(GROUP_KEYS).with_row_index("g")
    k = pl.col("order_date").cast(pl.Int32) - _day(base)
    order_days = days + width - 1
    ord_ix = (
        orders.join(groups, on=GROUP_KEYS)
        .filter(k.is_between(0, order_days - 1))
        .select(cell=pl.col("g").cast(pl.Int64) * order_days + k)
    )

    claim = (
        pl.lit(True)
        if rules.count_all_claims
        else pl.col("status").is_in(sorted(rules.counted_claim_statuses))
    )
    ev = pl.col("event_date").cast(pl.Int32)
    fb = (
        defects.filter(pl.col("kind") == "negative_feedback")
        .group_by(*_ORDER_KEY, "event_date")
        .agg(
            counts=(
                pl.col("status").is_in(sorted(rules.counted_feedback_statuses))
                & (pl.col("rating") <= rules.negative_feedback_max_rating)
            ).any()
        )
        .sort(*_ORDER_KEY, "event_date")
        .with_columns(e=ev.shift(-1).over(_ORDER_KEY) - 1, s=ev)
        .filter("counts")
    )
    hard = (
        defects.filter(
            ((pl.col("kind") == "a_to_z_claim") & claim)
            | (
                (pl.col("kind") == "chargeback")
                & pl.col("status").is_in(sorted(rules.counted_chargeback_statuses))
            )
        )
        .group_by(*_ORDER_KEY, "kind")
        .agg(s=ev.min())
    )
    first_hard = hard.group_by(_ORDER_KEY).agg(h=pl.col("s").min())
    fb_def = (
        fb.join(first_hard, on=_ORDER_KEY, how="left")
        .filter(pl.col("h").is_null() | (pl.col("s") < pl.col("h")))
        .select(*_ORDER_KEY, "s", e=pl.min_horizontal("e", pl.col("h") - 1), m=pl.lit(1))
    )
    open_end = pl.lit(None, pl.Int32)
    segments = pl.concat(
        [
            fb_def,
            first_hard.select(*_ORDER_KEY, s="h", e=open_end, m=pl.lit(1)),
            fb.select(*_ORDER_KEY, "s", "e", m=pl.lit(2)),
            hard.select(
                *_ORDER_KEY,
                "s",
                e=open_end,
                m=pl.when(pl.col("kind") == "a_to_z_claim").then(3).otherwise(4),
            ),
        ],
        how="vertical_relaxed",
    )
    od = pl.col("order_date").cast(pl.Int32)
    lo = pl.max_horizontal("s", od + lag, pl.lit(_day(start))) - _day(start)
    hi = pl.min_horizontal(
        pl.col("e").fill_null(_day(end)), od + lag + width - 1, _day(end)
    ) - _day(start)
    cell = ((pl.col("m").cast(pl.Int64) - 1) * groups.height + pl.col("g")) * (days + 1)
    seg = (
        segments.join(orders.select(*_ORDER_KEY, *GROUP_KEYS[1:], "order_date"), on=_ORDER_KEY)
        .join(groups, on=GROUP_KEYS)
        .select(lo=lo, hi=hi, g="g", m="m")
        .filter(pl.col("lo") <= pl.col("hi"))
        .select(lo=cell + pl.col("lo"), hi=cell + pl.col("hi") + 1)
    )
    return FloorInputs(
        groups=groups.drop("g"),
        start=start,
        days=days,
        window=width,
        order_cell=ord_ix["cell"].to_numpy(),
        seg_lo=seg["lo"].to_numpy(),
        seg_hi=seg["hi"].to_numpy(),
    )


def numpy_floor(x: FloorInputs) -> np.ndarray:
    """The five counts with bare ``np.bincount`` + ``cumsum``: shape ``(5, groups, days)``.

    Only this function is timed as the floor: it counts prepared integer columns.
    """
    n_groups, days, width = x.groups.height, x.days, x.window
    per_order_day = np.bincount(x.order_cell, minlength=n_groups * x.order_days)
    run = np.zeros((n_groups, x.order_days + 1), dtype=np.int64)
    np.cumsum(per_order_day.reshape(n_groups, x.order_days), axis=1, out=run[:, 1:])
    out = np.empty((5, n_groups, days), dtype=np.int64)
    out[0] = run[:, width : width + days] - run[:, :days]  # report day r: order days r..r+W-1
    size = 4 * n_groups * (days + 1)
    steps = np.bincount(x.seg_lo, minlength=size) - np.bincount(x.seg_hi, minlength=size)
    out[1:] = np.cumsum(steps.reshape(4, n_groups, days + 1), axis=2)[:, :, :days]
    return out


def floor_frame(x: FloorInputs, counts: np.ndarray) -> pl.DataFrame:
    """The floor's counts as a result frame (for the correctness check; not timed)."""
    n_groups, days = x.groups.height, x.days
    as_of = pl.date_range(x.start, x.start + dt.timedelta(days=days - 1), "1d", eager=True)
    frame = x.groups.select(pl.all().repeat_by(days).explode()).with_columns(
        as_of=pl.concat([as_of] * n_groups) if n_groups else as_of.clear()
    )
    return frame.with_columns(
        pl.Series(name, counts[i].reshape(-1)) for i, name in enumerate(COUNT_COLUMNS)
    )


def _day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days
