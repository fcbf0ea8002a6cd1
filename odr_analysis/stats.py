"""Small numbers and unusual days: Wilson intervals for every rate, and a p-chart of order cohorts.

* :func:`wilson_exprs` / :func:`wilson_interval`: the Wilson score interval of a proportion
  ``k / n``, as polars expressions (vectorised over columns) or for two plain numbers. Wilson,
  unlike the textbook ``p +- z*sqrt(p(1-p)/n)``, stays inside [0, 1] and is honest at ``k = 0``
  and small ``n``: the low-volume account's daily reality.
* :func:`with_intervals`: adds to an ODR frame (:func:`odr_analysis.engine.odr` or
  :func:`~odr_analysis.engine.odr_daily`) the interval, how much one more defect moves the rate
  (``1 / order_count``) and a ``small_numbers`` flag when that move exceeds a tenth of the target.
* :func:`unusual_days`: a p-chart over order-date cohorts: per order date (or week), the share
  of its orders that are defective as known on the report date, against control limits
  ``p_bar +- sigma * sqrt(p_bar * (1 - p_bar) / n)`` around the rate of the mature cohorts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from statistics import NormalDist
from typing import Literal

import polars as pl

from odr_analysis.parts import OdrParts, as_parts
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import Frame

__all__ = [
    "UNUSUAL_DAYS_COLUMNS",
    "unusual_days",
    "wilson_exprs",
    "wilson_interval",
    "with_intervals",
]

UNUSUAL_DAYS_COLUMNS: tuple[str, ...] = (
    "account",
    "marketplace",
    "channel",
    "cohort_start",
    "cohort_end",
    "orders",
    "defective_orders",
    "rate",
    "center",
    "lower",
    "upper",
    "z",
    "p_value",
    "mature",
    "flag",
)


def _z(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"level must be a probability strictly between 0 and 1, got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_exprs(
    successes: str | pl.Expr, trials: str | pl.Expr, *, level: float = 0.95
) -> tuple[pl.Expr, pl.Expr]:
    """The Wilson score interval of ``successes / trials`` as two expressions ``(low, high)``.

    Vectorised over columns (pass column names or expressions); the two expressions are named
    ``odr_low`` and ``odr_high`` (rename with ``.alias``). Both are null where ``trials <= 0``,
    ``successes < 0`` or ``successes > trials`` (no rate). The low end is exactly 0 when there
    is no success and the high end exactly 1 when every trial is one.

    Examples
    --------
    One defective order of ten, and none of twenty, at 95%:

    >>> import polars as pl
    >>> frame = pl.DataFrame({"k": [1, 0, 0], "n": [10, 20, 0]})
    >>> low, high = wilson_exprs("k", "n")
    >>> frame.select(low.round(4), high.round(4)).rows()
    [(0.0179, 0.4042), (0.0, 0.1611), (None, None)]
    """
    z = _z(level)
    z2 = z * z
    k = (pl.col(successes) if isinstance(successes, str) else successes).cast(pl.Float64)
    n = (pl.col(trials) if isinstance(trials, str) else trials).cast(pl.Float64)
    p = k / n
    denominator = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    valid = (n > 0) & (k >= 0) & (k <= n)
    low = (
        pl.when(~valid)
        .then(None)
        .when(k == 0)
        .then(0.0)
        .otherwise((center - half).clip(0.0, 1.0))
        .alias("odr_low")
    )
    high = (
        pl.when(~valid)
        .then(None)
        .when(k == n)
        .then(1.0)
        .otherwise((center + half).clip(0.0, 1.0))
        .alias("odr_high")
    )
    return low, high


def wilson_interval(k: int, n: int, *, level: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval of ``k`` defective orders out of ``n`` (``None`` when ``n = 0``).

    >>> [round(x, 4) for x in wilson_interval(1, 10)]
    [0.0179, 0.4042]
    >>> wilson_interval(0, 0) is None
    True
    """
    for name, value in (("k", k), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a count (an integer >= 0), got {value!r}")
    if k > n:
        raise ValueError(f"k ({k}) cannot exceed n ({n}): more defective orders than orders")
    if n == 0:
        return None
    low, high = wilson_exprs(pl.lit(k), pl.lit(n), level=level)
    row = pl.select(low, high).row(0)
    return float(row[0]), float(row[1])


def with_intervals(
    odr_frame: Frame, *, level: float = 0.95, rules: OdrRules = OdrRules()
) -> pl.DataFrame:
    """Add the Wilson interval and the small-numbers flag to an ODR frame.

    Needs ``order_count`` and ``defective_orders`` (as in :data:`~odr_analysis.engine.ODR_COLUMNS`).
    Adds:

    * ``odr_low``, ``odr_high``: the Wilson interval of the rate at ``level`` (null, no orders);
    * ``one_defect_moves``: ``1 / order_count``, how much one more defective order among the
      orders in the window raises the rate (null when the window is empty);
    * ``small_numbers``: True when that move is more than a tenth of ``rules.target``
      (``1/n > target/10``: fewer than 1,000 orders at the 1% target). An empty window is as
      small as numbers get: True.

    The move in words, e.g. ``one more defect adds 2.3 points``:
    :func:`odr_analysis.words.small_numbers_note`.

    Examples
    --------
    43 orders and one negative feedback (odr-domain.md example E2):

    >>> import polars as pl
    >>> from odr_analysis import words
    >>> frame = pl.DataFrame({"order_count": [43, 2000, 0], "defective_orders": [1, 12, 0]})
    >>> out = with_intervals(frame)
    >>> out.select("small_numbers", words.small_numbers_note(0.01)).rows()
    [(True, 'one more defect adds 2.3 points, over a tenth of the 1% target'),
     (False, 'one more defect adds 0.05 points'),
     (True, 'no orders in the window: no rate')]
    """
    lf = odr_frame.lazy() if isinstance(odr_frame, pl.DataFrame) else odr_frame
    if not isinstance(lf, pl.LazyFrame):
        raise TypeError(
            f"odr_frame must be a polars DataFrame or LazyFrame, got {type(odr_frame).__name__}"
        )
    names = lf.collect_schema().names()
    missing = [c for c in ("order_count", "defective_orders") if c not in names]
    if missing:
        raise ValueError(
            f"odr_frame has no column(s) {missing}: pass a frame from odr() or odr_daily()"
        )
    low, high = wilson_exprs("defective_orders", "order_count", level=level)
    n = pl.col("order_count")
    moves = pl.when(n > 0).then(1 / n)
    return (
        lf.with_columns(low, high, one_defect_moves=moves)
        .with_columns(
            small_numbers=(pl.col("one_defect_moves") > rules.target / 10).fill_null(True)
        )
        .collect()
    )


# --- unusual days: a p-chart over order-date cohorts --------------------------------------------


def unusual_days(
    orders: Frame | OdrParts,
    defects: Frame | None = None,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    sigma: float = 3.0,
    mature_days: int | None = None,
    freq: Literal["1d", "1w"] = "1d",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Flag order-date cohorts whose defect rate is outside p-chart control limits.

    For each group and cohort (order date, or ISO week with ``freq="1w"`` for low-volume
    accounts) with orders dated ``start`` .. ``end``: ``orders`` (n_i), ``defective_orders``
    (d_i, orders with a defect counted on report date ``as_of``, as the engine counts them),
    ``rate`` = d_i / n_i. The center line ``center`` is the pooled rate sum(d) / sum(n) of the
    group's *mature* cohorts in the period; the limits are ``center +- sigma * sqrt(center *
    (1 - center) / n_i)``, the lower one clipped at 0; ``z`` is the cohort's distance from the
    center in standard errors.

    ``orders`` and ``defects`` are the canonical frames, or ``orders`` is the
    :class:`~odr_analysis.parts.OdrParts` prepared from them (then leave out ``defects``).

    A cohort is ``mature`` when its last order date is at least ``mature_days`` (default 60)
    before ``as_of``: younger cohorts are still collecting defects, so they are shown but left
    out of the center line. ``flag`` is ``"above"`` when ``rate > upper``, ``"below"`` when a
    mature cohort's ``rate < lower``, ``"immature"`` for an immature cohort that is not above,
    and null otherwise. An immature cohort can be flagged ``above``: defects only arrive later,
    so a cohort that is already above the limit is the early warning this chart is for.

    With few orders per cohort the normal limits alone would flag a single defect (one of six
    orders is far above a 0.3% center in standard errors, yet happens 2% of the time), so a
    cohort is flagged only when it is outside the limits *and* ``p_value``, the exact binomial
    probability of a count at least that far from the center (``P(X >= d)`` above it, ``P(X <=
    d)`` below it, ``X ~ Binomial(orders, center)``), is at most the normal tail beyond
    ``sigma`` (0.135% at 3 sigma).

    ``start`` defaults to the first order date, ``end`` to ``as_of`` (later orders cannot be
    known on the report date). Only cohorts with orders get a row. Groups with no mature cohort
    have null limits.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": [f"o{i}" for i in range(300)],
    ...     "order_date": [dt.date(2024, 1, 1 + i // 100) for i in range(300)]})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": ["o0", "o100", *[f"o2{i:02}"
    ...     for i in range(16)]], "kind": "chargeback", "event_date": dt.date(2024, 2, 1),
    ...     "status": "service", "rating": None})
    >>> days = unusual_days(orders, defects, as_of="2024-05-01")
    >>> days.select("cohort_start", "defective_orders", "center", "flag").rows()
    [(datetime.date(2024, 1, 1), 1, 0.06, None), (datetime.date(2024, 1, 2), 1, 0.06, None),
     (datetime.date(2024, 1, 3), 16, 0.06, 'above')]

    Center 18/300 = 6%; upper limit 0.06 + 3 * sqrt(0.06 * 0.94 / 100) = 13.1% < 16%, and 16 or
    more defective orders of 100 at 6% happen with probability 0.03% (< 0.135%):

    >>> days.select(pl.col("upper", "p_value").round(4)).row(2)
    (0.1312, 0.0003)
    """
    day = to_date(as_of, "as_of")
    if freq not in ("1d", "1w"):
        raise ValueError(f'freq must be "1d" (daily cohorts) or "1w" (weekly), got {freq!r}')
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma > 0:
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")
    mature_days = 60 if mature_days is None else mature_days
    if isinstance(mature_days, bool) or not isinstance(mature_days, int) or mature_days < 0:
        raise ValueError(f"mature_days must be an integer >= 0, got {mature_days!r}")
    parts = as_parts(orders, defects, rules=rules, by=by)
    return _unusual_days(
        parts,
        as_of=day,
        start=start,
        end=end,
        sigma=float(sigma),
        mature_days=mature_days,
        freq=freq,
    )


def _unusual_days(
    parts: OdrParts,
    *,
    as_of: dt.date,
    start: dt.date | str | None,
    end: dt.date | str | None,
    sigma: float,
    mature_days: int,
    freq: str,
) -> pl.DataFrame:
    keys = list(parts.keys)
    counts = parts.order_counts.lazy()
    first = to_date(start, "start") if start is not None else None
    last = to_date(end, "end") if end is not None else as_of
    if last > as_of:
        raise ValueError(
            f"end ({last}) is after as_of ({as_of}): orders after the report date are not known"
        )
    if first is not None and first > last:
        raise ValueError(f"start ({first}) is after end ({last})")
    in_period = pl.col("order_date") <= last
    if first is not None:
        in_period &= pl.col("order_date") >= first
    # Orders defective on report date as_of: any counted stretch covers as_of.
    defective = (
        parts.defect_spans.lazy()
        .filter(
            (pl.col("counted_from") <= as_of)
            & (pl.col("counted_until").is_null() | (pl.col("counted_until") >= as_of))
        )
        .group_by(*keys, "order_date")
        .agg(defective_orders=pl.col("order_id").n_unique().cast(pl.Int64))
    )
    daily = (
        counts.filter(in_period)
        .join(defective, on=[*keys, "order_date"], how="left")
        .with_columns(pl.col("defective_orders").fill_null(0))
    )
    if freq == "1d":
        cohorts = daily.with_columns(
            cohort_start=pl.col("order_date"), cohort_end=pl.col("order_date")
        )
    else:
        week = pl.col("order_date").dt.truncate("1w")
        cohorts = daily.with_columns(
            cohort_start=week, cohort_end=pl.min_horizontal(week.dt.offset_by("6d"), pl.lit(last))
        )
    n, d = pl.col("orders"), pl.col("defective_orders")
    center = pl.col("center")
    std = (center * (1 - center) / n).sqrt()
    table = (
        cohorts.group_by(*keys, "cohort_start", "cohort_end")
        .agg(pl.col("orders", "defective_orders").sum())
        .with_columns(
            rate=d / n,
            mature=(pl.lit(as_of) - pl.col("cohort_end")).dt.total_days() >= mature_days,
        )
        .with_columns(
            _mature_d=pl.when("mature").then(d).otherwise(0).sum().over(keys),
            _mature_n=pl.when("mature").then(n).otherwise(0).sum().over(keys),
        )
        .with_columns(
            center=pl.when(pl.col("_mature_n") > 0).then(pl.col("_mature_d") / pl.col("_mature_n"))
        )
        .with_columns(
            lower=(center - sigma * std).clip(lower_bound=0.0),
            upper=center + sigma * std,
            z=pl.when(std > 0).then((pl.col("rate") - center) / std),
        )
        .with_row_index("_cohort")
    )
    table = table.join(_binomial_tail(table), on="_cohort", how="left")
    tail = NormalDist().cdf(-sigma)
    unusual = pl.col("p_value") <= tail
    table = (
        table.with_columns(
            flag=pl.when((pl.col("rate") > pl.col("upper")) & unusual)
            .then(pl.lit("above"))
            .when(~pl.col("mature"))
            .then(pl.lit("immature"))
            .when((pl.col("rate") < pl.col("lower")) & unusual)
            .then(pl.lit("below"))
        )
        .select(*keys, *UNUSUAL_DAYS_COLUMNS[3:])
        .sort(*keys, "cohort_start")
    )
    return table.collect()


def _binomial_tail(cohorts: pl.LazyFrame) -> pl.LazyFrame:
    """Exact one-sided binomial probability of a count at least as far from the center.

    Per cohort (``_cohort``): with ``X ~ Binomial(orders, center)``, ``P(X >= d)`` when the
    rate is above the center and ``P(X <= d)`` otherwise; null without a center line. The
    probabilities of ``X = 0 .. d`` come from log-space running sums (no loop, no scipy).
    """
    n, d, p = pl.col("orders"), pl.col("defective_orders"), pl.col("center")
    inner = cohorts.filter(p.is_between(0.0, 1.0, closed="none")).select(
        "_cohort", n, d, p, j=pl.int_ranges(0, d + 1)
    )
    j = pl.col("j")
    # log C(n, j) = sum over i = 1 .. j of log(n - i + 1) - log(i)
    step = pl.when(j > 0).then((n - j + 1).cast(pl.Float64).log() - j.cast(pl.Float64).log())
    terms = (
        inner.explode("j")
        .with_columns(log_choose=step.fill_null(0.0).cum_sum().over("_cohort", order_by="j"))
        .with_columns(
            pmf=(pl.col("log_choose") + j * p.log() + (n - j).cast(pl.Float64) * (-p).log1p()).exp()
        )
        .group_by("_cohort")
        .agg(
            below_or_at=pl.col("pmf").sum(),
            at=pl.col("pmf").filter(j == d).first(),
            up=(pl.col("defective_orders") / pl.col("orders") > pl.col("center")).first(),
        )
        .select(
            "_cohort",
            _tail=pl.when("up")
            .then(1 - (pl.col("below_or_at") - pl.col("at")))
            .otherwise(pl.col("below_or_at"))
            .clip(0.0, 1.0),
        )
    )
    # A center of exactly 0 or 1 leaves no doubt: any other count is impossible under it.
    edge = cohorts.filter((p == 0) | (p == 1)).select(
        "_cohort", _tail=pl.when(pl.col("rate") == p).then(1.0).otherwise(0.0)
    )
    return pl.concat([terms, edge]).select("_cohort", p_value="_tail")
