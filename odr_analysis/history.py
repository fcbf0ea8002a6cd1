"""Amazon's own figures over time: every account-health snapshot of a folder, as one frame.

Amazon's account-health report (``GET_V2_SELLER_PERFORMANCE_REPORT``) holds today's figures
only: there is no way to ask Amazon for yesterday's (account-health-domain.md, section 12). A
history exists only if the report is kept every time it is fetched: ``odr-fetch`` writes one
dated file per run into the account folder (``account-health-2026-12-04.json``, then
``account-health-2026-12-04-2.json`` for a second one the same day), and the loader reads them
all (:attr:`Account.health <odr_analysis.readers.Account.health>` and
:attr:`Account.health_metrics <odr_analysis.readers.Account.health_metrics>`, each row with its
``file``).

* :func:`health_history`: every figure of every snapshot, long (one row per snapshot,
  marketplace and metric, and per channel for the ODR), with its window, counts, target and
  Amazon's status;
* :func:`reconcile_history`: our ODR for each snapshot's own window beside Amazon's
  (:func:`odr_analysis.reconcile.reconcile` over all of them);
* :func:`latest_health`: the rows of each account's newest snapshot only: "today" (the
  reconciliation of the report and of notebook 01 use it, so that several snapshots are never
  mixed);
* :func:`snapshot_dates`: the date of each snapshot file, and how it was decided.

**The snapshot date.** The date in the file name when it is ``account-health-YYYY-MM-DD``
(optionally ``-N`` for the N-th snapshot of the day, and any extension), as ``odr-fetch``
writes it. Otherwise (``account-health.json``, a file renamed by hand) the day the report
speaks for, from its own windows: the latest ``reportingDateTo`` of any metric in it, or the
ODR window's end plus the rules' lag (14 days) when that is later. Amazon's own example ends
its Account Health Rating and late shipment windows on the report day, and ends the ODR window
14 days earlier; the sample, downloaded on 23 Feb 2026, ends its AHR window on 23 Feb 2026 and
its ODR window on 9 Feb 2026, so both give the download day (not the day after).
``dated_by`` says which rule gave the date.

**Metrics.** ``metric`` is Amazon's key (``orderDefectRate``, ``lateShipmentRate``,
``preFulfillmentCancellationRate`` ...; :func:`metric_name` says it in words); aliases are
already resolved by the reader (``prefulfillmentCancelRate``, ``documentRequest``,
``warningState``). A list of windows of one metric (``lateShipmentRateList``: the 10-day and
the 30-day late shipment rate) gives one row per window under the metric's own name, the
top-level object and its copy in the list being one row. ``warningStates`` gives one row per
warning, its ``warningType`` in ``detail``; ``accountStatus`` is the marketplace's account
status (``NORMAL``, ``AT_RISK``, ``DEACTIVATED``). Amazon's text statuses are kept as they are
(``GOOD``, ``BAD``, ``NONE``; the rating's ``GREAT``, ``WARNED``, ``AT_RISK`` ...).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers import Account
from odr_analysis.reconcile import reconcile
from odr_analysis.rules import OdrRules
from odr_analysis.words import METRIC_NAMES, metric_name

__all__ = [
    "HISTORY_SCHEMA",
    "METRIC_NAMES",
    "METRIC_ORDER",
    "health_history",
    "latest_health",
    "metric_name",
    "reconcile_history",
    "snapshot_dates",
]

HISTORY_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String,
        "snapshot": pl.Date,
        "snapshot_number": pl.Int64,
        "dated_by": pl.String,
        "file": pl.String,
        "marketplace_id": pl.String,
        "marketplace": pl.String,
        "metric": pl.String,
        "channel": pl.String,
        "detail": pl.String,
        "window_start": pl.Date,
        "window_end": pl.Date,
        "window_days": pl.Int64,
        "value": pl.Float64,
        "unit": pl.String,
        "count": pl.Int64,
        "total": pl.Int64,
        "rate_recomputed": pl.Float64,
        "negative_feedback": pl.Int64,
        "a_to_z_claims": pl.Int64,
        "chargebacks": pl.Int64,
        "target": pl.Float64,
        "target_condition": pl.String,
        "status": pl.String,
        "meets_target": pl.Boolean,
    }
)
"""Columns of :func:`health_history`."""

METRIC_ORDER: Final = tuple(METRIC_NAMES)
"""The order in which the metrics are listed: the ODR, the shipping metrics, the rating, the
policy metrics; a metric Amazon adds later comes after them, by name."""

# (numerator, denominator) of each rate; a metric not listed counts its defectsCount or
# warningsCount (no denominator).
_COUNTS: Final[Mapping[str, tuple[str, str]]] = {
    "lateShipmentRate": ("lateShipmentCount", "orderCount"),
    "preFulfillmentCancellationRate": ("cancellationCount", "orderCount"),
    "validTrackingRate": ("validTrackingCount", "shipmentCount"),
    "onTimeDeliveryRate": ("onTimeDeliveryCount", "shipmentCountWithValidTracking"),
    "unitOnTimeDeliveryRate": ("unitOnTimeDeliveryCount", "totalUnitCount"),
    "invoiceDefectRate": ("invoiceDefect.count", "orderCount"),
}
_PLAIN_COUNTS: Final = ("defectsCount", "warningsCount")
_SNAPSHOT_NAME: Final = re.compile(
    # odr-fetch's names; an account selling in several regions gets the region first
    r"account-health-(?:(?:NA|EU|FE)-)?(\d{4}-\d{2}-\d{2})(?:-(\d+))?(?:\.[A-Za-z0-9]+)*",
    re.IGNORECASE,
)
_LIST_ITEM: Final = re.compile(r"^(?P<base>.+?)(?:List)?\[(?P<index>\d+)\]$")
FILE_NAME: Final = "file name"
WINDOWS: Final = "report windows"


def _name_date(file: str) -> tuple[dt.date, int] | None:
    """(date, number of the day's snapshot) from an ``odr-fetch`` file name, or ``None``."""
    found = _SNAPSHOT_NAME.fullmatch(Path(file).name)
    if found is None:
        return None
    try:
        day = dt.date.fromisoformat(found.group(1))
    except ValueError:
        return None
    return day, int(found.group(2) or 1)


def snapshot_dates(
    health: pl.DataFrame,
    metrics: pl.DataFrame | None = None,
    *,
    rules: OdrRules = OdrRules(),
) -> pl.DataFrame:
    """The date of each account-health file: ``account``, ``file``, ``snapshot``,
    ``snapshot_number`` (1 for the first of the day) and ``dated_by`` (``"file name"`` or
    ``"report windows"``; the rule: see the module's docstring).

    ``health`` is :attr:`Account.health <odr_analysis.readers.Account.health>` (the ODR rows,
    with ``file``); ``metrics`` :attr:`Account.health_metrics
    <odr_analysis.readers.Account.health_metrics>` (its windows count too). Sorted by account,
    snapshot date and number, then file.

    >>> health = pl.DataFrame({"account": ["a", "a"], "file": ["account-health-2026-12-04-2.json",
    ...     "account-health.json"], "window_end": [dt.date(2026, 11, 20), dt.date(2026, 11, 1)]})
    >>> snapshot_dates(health).rows()
    [('a', 'account-health.json', datetime.date(2026, 11, 15), 0, 'report windows'), \
('a', 'account-health-2026-12-04-2.json', datetime.date(2026, 12, 4), 2, 'file name')]
    """
    frames = [_windows(health, "account", "file", "window_end", odr=True)]
    if metrics is not None:
        frames.append(_windows(metrics, "account", "file", "window_end", odr=False))
    ends = (
        pl.concat(frames)
        .group_by("account", "file")
        .agg(latest=pl.col("latest").max(), odr=pl.col("odr").max())
    )
    rows: list[tuple[str, str, dt.date | None, int, str]] = []
    for account, file, latest, odr_end in ends.iter_rows():
        named = _name_date(file)
        if named is not None:
            rows.append((account, file, named[0], named[1], FILE_NAME))
            continue
        candidates = [d for d in (latest, odr_end and rules.enters_window_on(odr_end)) if d]
        rows.append((account, file, max(candidates) if candidates else None, 0, WINDOWS))
    return pl.DataFrame(
        rows,
        schema={
            "account": pl.String,
            "file": pl.String,
            "snapshot": pl.Date,
            "snapshot_number": pl.Int64,
            "dated_by": pl.String,
        },
        orient="row",
    ).sort("account", "snapshot", "snapshot_number", "file", nulls_last=True)


def _windows(frame: pl.DataFrame, account: str, file: str, end: str, *, odr: bool) -> pl.DataFrame:
    if "account" not in frame.columns:
        frame = frame.with_columns(account=pl.lit("", pl.String))
    return frame.group_by(account, file).agg(
        latest=pl.col(end).max(),
        odr=pl.col(end).max() if odr else pl.lit(None, pl.Date),
    )


def latest_health(health: pl.DataFrame, *, rules: OdrRules = OdrRules()) -> pl.DataFrame:
    """The ODR rows of each account's newest account-health snapshot (:func:`snapshot_dates`).

    ``health`` is :attr:`Account.health <odr_analysis.readers.Account.health>`; with one file
    per account it is returned unchanged. Use it for "today" (:func:`odr_analysis.reconcile.
    reconcile` on today's report): the rows of several snapshots are never mixed.
    """
    if health.is_empty() or "file" not in health.columns:
        return health
    dates = snapshot_dates(health, rules=rules)
    newest = dates.group_by("account", maintain_order=True).last().select("account", "file")
    if "account" not in health.columns:
        return health.filter(pl.col("file") == newest["file"][0])
    return health.join(newest, on=["account", "file"], how="semi", maintain_order="left")


def _account(account_or_dir: Account | str | Path) -> Account:
    if isinstance(account_or_dir, Account):
        return account_or_dir
    if isinstance(account_or_dir, str | Path):
        from odr_analysis.notebook import load  # the notebook helpers import altair

        return load(account_or_dir, quiet=True)
    raise TypeError(
        "health_history needs an Account (odr_analysis.load_account) or a folder, "
        f"got {type(account_or_dir).__name__}"
    )


def health_history(
    account_or_dir: Account | str | Path, *, rules: OdrRules = OdrRules()
) -> pl.DataFrame:
    """Amazon's own figures from every account-health snapshot, long (:data:`HISTORY_SCHEMA`).

    ``account_or_dir`` is an :class:`~odr_analysis.readers.Account` (one account or a
    portfolio) or a folder (read with :func:`odr_analysis.notebook.load`). One row per
    snapshot, marketplace and metric (per channel for the ODR, per window for a metric Amazon
    gives over several windows, per warning for ``warningStates``):

    ``account``, ``snapshot`` (the snapshot's date, see the module's docstring),
    ``snapshot_number`` (the N-th snapshot of that day; 0 when not dated by its name),
    ``dated_by``, ``file``, ``marketplace_id``, ``marketplace``, ``metric`` (Amazon's key),
    ``channel`` (``AFN``/``MFN`` for the ODR, else null: the report does not split the other
    metrics by channel; the shipping metrics are seller-fulfilled only), ``detail`` (the
    warning type of a warning), ``window_start``, ``window_end`` and ``window_days``
    (inclusive UTC dates; null days when Amazon's window runs backwards), ``value`` (the rate as
    Amazon reports it, the score of the Account Health Rating, or the count of a policy metric),
    ``unit`` (``rate``, ``score``, ``count``, or null for a status only), ``count`` and
    ``total`` (the rate's numerator and denominator: defective orders of orders, late
    shipments of orders, valid-tracking shipments of shipments, ...; the count of a policy
    metric has no total), ``rate_recomputed`` (``count / total``), the ODR's
    ``negative_feedback``, ``a_to_z_claims`` and ``chargebacks``, ``target``,
    ``target_condition`` (``LESS_THAN``, ``GREATER_THAN``, ``EQUALS``), ``status`` (Amazon's
    text, as given) and ``meets_target`` (``value`` against ``target`` by the condition, read
    strictly: 95% does not meet GREATER_THAN 95%; Amazon's own ``status`` may say otherwise,
    both are kept).

    Sorted by account, snapshot (date and number), marketplace, metric (:data:`METRIC_ORDER`),
    channel, detail and window length. An account without account-health files has no rows.
    """
    account = _account(account_or_dir)
    health = account.health
    metrics = account.health_metrics
    if "account" not in health.columns:  # pragma: no cover - Account.health always has it
        health = health.with_columns(account=pl.lit(account.name))
    dates = snapshot_dates(health, metrics, rules=rules)
    frame = pl.concat(
        [pl.DataFrame(schema=_ROW_SCHEMA), _odr_rows(health), _metric_rows(metrics)],
        how="diagonal_relaxed",
    ).select(_ROW_SCHEMA.names())
    if frame.is_empty():
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    rank = {m: i for i, m in enumerate(METRIC_ORDER)}
    out = (
        frame.join(dates, on=["account", "file"], how="left")
        .with_columns(
            window_days=pl.when(pl.col("window_end") >= pl.col("window_start")).then(
                (pl.col("window_end") - pl.col("window_start")).dt.total_days() + 1
            ),
            rate_recomputed=pl.when((pl.col("unit") == "rate") & (pl.col("total") > 0)).then(
                pl.col("count") / pl.col("total")
            ),
            target_condition=pl.col("target_condition").str.to_uppercase(),
            _rank=pl.col("metric").replace_strict(rank, default=len(rank), return_dtype=pl.Int64),
        )
        .with_columns(meets_target=_meets_target())
        .sort(
            "account",
            "snapshot",
            "snapshot_number",
            "file",
            "marketplace_id",
            "_rank",
            "metric",
            "channel",
            "detail",
            "window_days",
            nulls_last=True,
        )
    )
    return out.select(HISTORY_SCHEMA.names())


_ROW_SCHEMA: Final = pl.Schema(
    {
        name: dtype
        for name, dtype in HISTORY_SCHEMA.items()
        if name not in ("snapshot", "snapshot_number", "dated_by", "window_days", "rate_recomputed")
    }
)


def _meets_target() -> pl.Expr:
    value, target, condition = pl.col("value"), pl.col("target"), pl.col("target_condition")
    return (
        pl.when(value.is_null() | target.is_null())
        .then(None)
        .when(condition == "LESS_THAN")
        .then(value < target)
        .when(condition == "GREATER_THAN")
        .then(value > target)
        .when(condition == "EQUALS")
        .then((value - target).abs() < 1e-12)
    )


def _odr_rows(health: pl.DataFrame) -> pl.DataFrame:
    return health.select(
        "account",
        "file",
        "marketplace_id",
        "marketplace",
        metric=pl.lit("orderDefectRate"),
        channel="channel",
        detail=pl.lit(None, pl.String),
        window_start="window_start",
        window_end="window_end",
        value="rate",
        unit=pl.when(pl.col("rate").is_not_null()).then(pl.lit("rate")),
        count="defective_orders",
        total="order_count",
        negative_feedback="negative_feedback",
        a_to_z_claims="a_to_z_claims",
        chargebacks="chargebacks",
        target="target",
        target_condition="target_condition",
        status="status",
    )


def _metric_rows(metrics: pl.DataFrame) -> pl.DataFrame:
    """One row per metric object (and list item) of :attr:`Account.health_metrics`."""
    if metrics.is_empty():
        return pl.DataFrame(schema=_ROW_SCHEMA)
    keys = ["account", "file", "marketplace_id", "marketplace", "item", "window_start"]
    keys += ["window_end"]
    base = pl.col("metric").str.extract(_LIST_ITEM.pattern, 1)
    long = metrics.with_columns(
        item=pl.col("metric"),
        metric=pl.coalesce(base, pl.col("metric")),
        # the top-level object first: its copy in the list is dropped as a repeat
        listed=pl.col("metric").str.contains(r"\[\d+\]$"),
    )
    numbers = long.filter(pl.col("value").is_not_null()).pivot(
        on="field", index=[*keys, "metric", "listed"], values="value", aggregate_function="first"
    )
    texts = long.filter(pl.col("text").is_not_null()).pivot(
        on="field", index=[*keys, "metric", "listed"], values="text", aggregate_function="first"
    )
    texts = texts.rename({c: f"text:{c}" for c in texts.columns if c not in (*keys, "metric")})
    texts = texts.drop("text:listed")
    wide = (
        long.select(*keys, "metric", "listed")
        .unique(maintain_order=True)
        .join(numbers.drop("listed"), on=keys, how="left", nulls_equal=True)
        .join(texts.drop("metric"), on=keys, how="left", nulls_equal=True)
    )

    def num(name: str) -> pl.Expr:
        return pl.col(name) if name in wide.columns else pl.lit(None, pl.Float64)

    def text(name: str) -> pl.Expr:
        column = f"text:{name}"
        return pl.col(column) if column in wide.columns else pl.lit(None, pl.String)

    count: pl.Expr = pl.coalesce(*(num(c) for c in _PLAIN_COUNTS))
    total: pl.Expr = pl.lit(None, pl.Float64)
    for metric, (numerator, denominator) in _COUNTS.items():
        count = pl.when(pl.col("metric") == metric).then(num(numerator)).otherwise(count)
        total = pl.when(pl.col("metric") == metric).then(num(denominator)).otherwise(total)
    rate, score = num("rate"), num("ahrScore")
    rows = wide.select(
        "account",
        "file",
        "marketplace_id",
        "marketplace",
        "metric",
        "listed",
        channel=pl.lit(None, pl.String),
        detail=text("warningType"),
        window_start="window_start",
        window_end="window_end",
        value=pl.coalesce(rate, score, count),
        unit=pl.when(rate.is_not_null())
        .then(pl.lit("rate"))
        .when(score.is_not_null())
        .then(pl.lit("score"))
        .when(count.is_not_null())
        .then(pl.lit("count")),
        count=count.cast(pl.Int64),
        total=total.cast(pl.Int64),
        negative_feedback=pl.lit(None, pl.Int64),
        a_to_z_claims=pl.lit(None, pl.Int64),
        chargebacks=pl.lit(None, pl.Int64),
        target=num("targetValue"),
        target_condition=text("targetCondition"),
        status=pl.coalesce(text("status"), text("ahrStatus")),
    )
    same = ["account", "file", "marketplace_id", "metric", "detail", "window_start", "window_end"]
    return (
        rows.sort("listed", maintain_order=True)
        .unique(subset=same, keep="first", maintain_order=True)
        .drop("listed")
    )


def reconcile_history(
    account: Account, *, rules: OdrRules = OdrRules(), newest_only: bool = False
) -> pl.DataFrame:
    """Our ODR beside Amazon's for every snapshot: :func:`odr_analysis.reconcile.reconcile`
    on the ODR rows of every account-health file, each row with its snapshot.

    Each snapshot's ODR is recomputed from the order files for exactly that snapshot's window
    and channel, with the defects known on its report date (window end plus the lag). Returns
    :func:`~odr_analysis.reconcile.reconcile`'s columns plus ``snapshot``,
    ``snapshot_number``, ``dated_by`` and ``file``, sorted by account, marketplace, channel
    and snapshot. ``newest_only``: the newest snapshot of each account only (today's
    reconciliation). An account without account-health files gives no rows.
    """
    health = account.health
    if newest_only:
        health = latest_health(health, rules=rules)
    dates = snapshot_dates(health, account.health_metrics, rules=rules)
    keyed = health.join(dates, on=["account", "file"], how="left", maintain_order="left")
    result = reconcile(account.orders, account.defects, keyed, rules=rules)
    # reconcile keeps the order of its health rows, one row each
    if result.height != keyed.height:  # pragma: no cover - reconcile's contract
        raise AssertionError("reconcile returned a different number of rows")
    snapshots = keyed.select("snapshot", "snapshot_number", "dated_by", "file")
    return pl.concat([result, snapshots], how="horizontal").sort(
        "account",
        "marketplace",
        "channel",
        "snapshot",
        "snapshot_number",
        "file",
        nulls_last=True,
    )
