"""Why does my number differ from Amazon's? Our ODR and Amazon's, side by side, per component.

:func:`reconcile` takes Amazon's account-health report (``Account.health``, or a
:class:`~odr_analysis.readers.HealthReport`) and recomputes, for each of its rows, our
figure from the order-level files for exactly the same window and channel: the report's own
``window_start``..``window_end``, with the defects Amazon could know on the report date
(``window_end + lag_days`` unless ``as_of`` is given). Each count is shown as ours, Amazon's and
the difference (ours minus Amazon's), with ``match`` and the facts behind a difference
(:func:`odr_analysis.words.reconcile_explanation` says them).
:func:`our_defective_orders` lists the orders behind our numbers, to compare with Amazon's
per-order download of the Account Health page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Final

import polars as pl

from odr_analysis.defects import counted_defects
from odr_analysis.engine import odr
from odr_analysis.readers import HealthReport
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import (
    COUNT_COLUMNS,
    GROUP_KEYS,
    Frame,
    OdrInputError,
    rate,
    validate_orders,
)

__all__ = ["COMPONENTS", "our_defective_orders", "reconcile"]

COMPONENTS: Final = COUNT_COLUMNS
"""The counts compared, in output order."""

_HEALTH_COLUMNS: Final = ("marketplace", "channel", "window_start", "window_end", *COMPONENTS)
_KEYS: Final = [*GROUP_KEYS, "window_start", "window_end"]
_EPSILON: Final = 1e-12
_DISPLAY_TOLERANCE: Final = 5e-05  # a whole-number rate: Amazon's display precision (0.01%)


def _health_frame(health: HealthReport | Frame, orders: pl.LazyFrame) -> pl.DataFrame:
    frame = health.odr if isinstance(health, HealthReport) else health
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(
            f"health must be a HealthReport or a polars frame, got {type(health).__name__}"
        )
    missing = [c for c in _HEALTH_COLUMNS if c not in frame.columns]
    if missing:
        raise OdrInputError(
            f"health frame is missing column(s) {missing}; expected the columns of "
            "read_account_health(...).odr or Account.health"
        )
    if "account" not in frame.columns:
        accounts = orders.select(pl.col("account").unique().sort()).collect().to_series()
        if accounts.len() != 1:
            raise OdrInputError(
                "health has no 'account' column and orders hold "
                f"{accounts.len()} accounts {accounts.head(5).to_list()}: add the account to "
                "the health rows (Account.health has it)"
            )
        frame = frame.with_columns(account=pl.lit(accounts[0], pl.String))
    for column in ("marketplace_id", "rate", "rate_recomputed", "status"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(column))
    return frame.with_columns(
        pl.col(list(COMPONENTS)).cast(pl.Int64),
        pl.col("rate", "rate_recomputed").cast(pl.Float64),
        pl.col("marketplace_id", "status").cast(pl.String),
    )


def _report_dates(
    health: pl.DataFrame, rules: OdrRules, as_of: dt.date | None
) -> list[tuple[dt.date, dt.date, dt.date]]:
    """Distinct (window_start, window_end, report date) of the health rows that have a window."""
    windows = (
        health.filter(pl.col("window_start").is_not_null() & pl.col("window_end").is_not_null())
        .select("window_start", "window_end")
        .unique()
        .sort("window_start", "window_end")
    )
    out = []
    for start, end in windows.iter_rows():
        if end < start:
            raise OdrInputError(f"health window ends ({end}) before it starts ({start})")
        day = as_of if as_of is not None else rules.enters_window_on(end)
        if day < end:
            raise OdrInputError(
                f"as_of {day} is before the end of Amazon's window ({end}): the report date "
                "cannot precede the window it reports on"
            )
        out.append((start, end, day))
    return out


def _window_rules(rules: OdrRules, start: dt.date, end: dt.date, day: dt.date) -> OdrRules:
    """``rules`` whose window on report date ``day`` is exactly ``start``..``end``."""
    return replace(rules, window_days=(end - start).days + 1, lag_days=(day - end).days)


def _ours(
    orders: Frame, defects: Frame, windows: list[tuple[dt.date, dt.date, dt.date]], rules: OdrRules
) -> pl.DataFrame:
    frames = [
        odr(orders, defects, as_of=day, rules=_window_rules(rules, start, end, day))
        for start, end, day in windows
    ]
    if not frames:
        return pl.DataFrame(
            schema={
                **dict.fromkeys(GROUP_KEYS, pl.String),
                "as_of": pl.Date,
                "window_start": pl.Date,
                "window_end": pl.Date,
                **dict.fromkeys(COMPONENTS, pl.Int64),
                "odr": pl.Float64,
            }
        )
    return pl.concat(frames).select(*_KEYS, "as_of", *COMPONENTS, "odr")


def reconcile(
    orders: Frame,
    defects: Frame,
    health: HealthReport | Frame,
    *,
    rules: OdrRules = OdrRules(),
    as_of: dt.date | str | None = None,
) -> pl.DataFrame:
    """Our ODR and Amazon's, side by side, for every row of Amazon's account-health report.

    For each row of ``health`` (account, marketplace, channel, window), our counts are computed
    with :func:`odr_analysis.engine.odr` for exactly that window: the rules' window length and
    lag are set so that the window is Amazon's, and the report date (which bounds the defects
    that were known) is ``window_end + rules.lag_days``, or ``as_of`` when given.

    Returns one row per health row: ``account``, ``marketplace_id``, ``marketplace``,
    ``channel``, ``window_start``, ``window_end``, ``as_of``; for each of ``order_count``,
    ``defective_orders``, ``negative_feedback``, ``a_to_z_claims``, ``chargebacks`` the columns
    ``<name>_ours``, ``<name>_amazon`` and ``<name>_diff`` (ours minus Amazon's; null when
    Amazon's report lacks the count); ``rate_ours``, ``rate_amazon`` (as reported),
    ``rate_amazon_recomputed``, ``rate_diff``; ``status_ours`` and ``status_amazon``
    (``GOOD``/``BAD``/``NONE``); ``match`` (every count Amazon gives agrees and the rates agree
    within the rounding of Amazon's rate), and the facts behind a difference: ``counts_match``,
    ``rate_differs`` (beyond the rounding of Amazon's rate), ``amazon_inconsistent`` (Amazon's
    rate differs from its own counts), ``first_order`` and ``last_order`` (the orders files'
    first and last order date for the channel). Every difference in words, with where to look:
    :func:`odr_analysis.words.reconcile_explanation`.

    Examples
    --------
    Amazon counts one order more than our files hold:

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": ["o1", "o2", "o3"], "order_date": dt.date(2024, 1, 10)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": "o1", "kind": "negative_feedback",
    ...     "event_date": dt.date(2024, 1, 20), "status": "active", "rating": 1})
    >>> health = pl.DataFrame({"marketplace": "Amazon.com", "channel": "MFN",
    ...     "window_start": dt.date(2023, 11, 16), "window_end": dt.date(2024, 1, 14),
    ...     "order_count": 4, "defective_orders": 1, "negative_feedback": 1, "a_to_z_claims": 0,
    ...     "chargebacks": 0, "rate": 0.25})
    >>> from odr_analysis import words
    >>> out = reconcile(orders, defects, health)
    >>> row = out.row(0, named=True)
    >>> row["as_of"], row["order_count_ours"], row["order_count_amazon"], row["match"]
    (datetime.date(2024, 1, 28), 3, 4, False)
    >>> out.select(words.reconcile_explanation()).item().split(":")[0]
    'Amazon counts 1 more orders (4 vs 3)'
    """
    day = None if as_of is None else to_date(as_of, "as_of")
    lf_orders = validate_orders(orders)
    frame = _health_frame(health, lf_orders)
    windows = _report_dates(frame, rules, day)
    ours = _ours(orders, defects, windows, rules)
    coverage = (
        lf_orders.group_by(GROUP_KEYS)
        .agg(first_order=pl.col("order_date").min(), last_order=pl.col("order_date").max())
        .collect()
    )
    report_day = {(start, end): d for start, end, d in windows}
    dates = pl.DataFrame(
        [(s, e, d) for (s, e), d in report_day.items()],
        schema={"window_start": pl.Date, "window_end": pl.Date, "as_of": pl.Date},
        orient="row",
    )
    amazon = frame.select(
        *_KEYS,
        "marketplace_id",
        *[pl.col(c).alias(f"{c}_amazon") for c in COMPONENTS],
        rate_amazon=pl.col("rate"),
        rate_amazon_recomputed=pl.when(pl.col("order_count") > 0).then(
            rate(pl.col("defective_orders"), pl.col("order_count"))
        ),
        status_amazon=pl.col("status"),
    ).with_row_index("_row")
    joined = (
        amazon.join(dates, on=["window_start", "window_end"], how="left", nulls_equal=False)
        .join(
            ours.rename({c: f"{c}_ours" for c in COMPONENTS}).drop("as_of"),
            on=_KEYS,
            how="left",
            nulls_equal=False,
        )
        .join(coverage, on=list(GROUP_KEYS), how="left", nulls_equal=False)
        .with_columns(
            pl.when(pl.col("as_of").is_not_null())
            .then(pl.col(f"{c}_ours").fill_null(0))
            .alias(f"{c}_ours")
            for c in COMPONENTS
        )
        .with_columns(
            rate_ours=pl.when(pl.col("order_count_ours") > 0).then(
                rate(pl.col("defective_orders_ours"), pl.col("order_count_ours"))
            ),
            **{f"{c}_diff": pl.col(f"{c}_ours") - pl.col(f"{c}_amazon") for c in COMPONENTS},
        )
    )
    tolerance = _tolerance(pl.col("rate_amazon"))
    result = (
        joined.with_columns(
            rate_diff=pl.col("rate_ours") - pl.col("rate_amazon"),
            status_ours=pl.when(pl.col("order_count_ours").fill_null(0) == 0)
            .then(pl.lit("NONE"))
            .when(pl.col("rate_ours") < rules.target)
            .then(pl.lit("GOOD"))
            .otherwise(pl.lit("BAD")),
            tolerance=tolerance,
        )
        .with_columns(
            counts_match=pl.all_horizontal(
                [pl.col(f"{c}_diff").fill_null(0) == 0 for c in COMPONENTS]
            )
            & pl.col("order_count_diff").is_not_null()
            & pl.col("as_of").is_not_null(),
            rate_differs=(
                pl.col("rate_amazon").is_not_null()
                & (
                    (pl.col("rate_ours").fill_null(0.0) - pl.col("rate_amazon")).abs()
                    > pl.col("tolerance") + _EPSILON
                )
            ),
            amazon_inconsistent=(
                pl.col("rate_amazon").is_not_null()
                & pl.col("rate_amazon_recomputed").is_not_null()
                & (
                    (pl.col("rate_amazon_recomputed") - pl.col("rate_amazon")).abs()
                    > pl.col("tolerance") + _EPSILON
                )
            ),
        )
        .with_columns(match=pl.col("counts_match") & ~pl.col("rate_differs"))
        .sort("_row")
    )
    columns = [
        *["account", "marketplace_id", "marketplace", "channel"],
        *["window_start", "window_end", "as_of"],
        *[f"{c}_{side}" for c in COMPONENTS for side in ("ours", "amazon", "diff")],
        *["rate_ours", "rate_amazon", "rate_amazon_recomputed", "rate_diff"],
        *["status_ours", "status_amazon", "match"],
        *["counts_match", "rate_differs", "amazon_inconsistent", "first_order", "last_order"],
    ]
    return result.select(columns)


def _tolerance(rate: pl.Expr) -> pl.Expr:
    """:func:`~odr_analysis.readers.health.rate_tolerance` as an expression: half a unit in the
    last decimal of the rate as written (polars writes floats in their shortest form)."""
    text = rate.cast(pl.String)
    mantissa = text.str.split("e").list.get(0)
    exponent = text.str.split("e").list.get(1, null_on_oob=True).cast(pl.Int64).fill_null(0)
    fraction = mantissa.str.split(".").list.get(1, null_on_oob=True).fill_null("")
    digits = (
        pl.when(fraction.str.strip_chars("0") == "").then(0).otherwise(fraction.str.len_chars())
    )
    decimals = digits.cast(pl.Int64) - exponent
    return (
        pl.when(rate.is_null() | rate.is_nan() | rate.is_infinite())
        .then(None)
        .when(decimals <= 0)
        .then(pl.lit(_DISPLAY_TOLERANCE))
        .otherwise(0.5 * pl.lit(10.0).pow(-decimals.cast(pl.Float64)))
    )


def our_defective_orders(
    orders: Frame,
    defects: Frame,
    health: HealthReport | Frame,
    *,
    rules: OdrRules = OdrRules(),
    as_of: dt.date | str | None = None,
) -> pl.DataFrame:
    """Our defective orders inside each window of Amazon's report, one row per order.

    The same windows and report dates as :func:`reconcile`. Columns: ``account``,
    ``marketplace``, ``channel``, ``window_start``, ``window_end``, ``as_of``, ``order_id``,
    ``order_date`` and one Boolean per defect kind (``negative_feedback``, ``a_to_z_claim``,
    ``chargeback``) that counts on that report date. Compare it with the per-order download of
    the Account Health page to find the orders behind a difference.
    """
    day = None if as_of is None else to_date(as_of, "as_of")
    lf_orders = validate_orders(orders)
    frame = _health_frame(health, lf_orders)
    keys = frame.select(_KEYS).unique()
    found = []
    for start, end, report_day in _report_dates(frame, rules, day):
        flags = counted_defects(defects, as_of=report_day, rules=rules).lazy()
        found.append(
            lf_orders.filter(pl.col("order_date").is_between(start, end))
            .join(flags, on=["account", "order_id"], how="inner")
            .with_columns(
                window_start=pl.lit(start), window_end=pl.lit(end), as_of=pl.lit(report_day)
            )
            .select(
                *_KEYS,
                "as_of",
                "order_id",
                "order_date",
                "negative_feedback",
                "a_to_z_claim",
                "chargeback",
            )
            .collect()
        )
    if not found:
        return pl.DataFrame(
            schema={
                **dict.fromkeys(GROUP_KEYS, pl.String),
                **dict.fromkeys(["window_start", "window_end", "as_of"], pl.Date),
                "order_id": pl.String,
                "order_date": pl.Date,
                **dict.fromkeys(["negative_feedback", "a_to_z_claim", "chargeback"], pl.Boolean),
            }
        )
    return pl.concat(found).join(keys, on=_KEYS, how="semi").sort(*_KEYS, "order_date", "order_id")
