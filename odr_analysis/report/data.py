"""The numbers of one account's report, computed once: :class:`ReportData` and :func:`compute`.

Every frame comes from the analytics modules (engine, maturity, projection, drop-off, removal,
explain, drilldown, reconcile, history); nothing here words a number. With several
account-health snapshots in the folder, "today's" reconciliation uses the newest one and the
history frames all of them. The sections
(:mod:`odr_analysis.report.sections`) turn them into HTML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.daily import daily_path
from odr_analysis.drilldown import defect_breakdown
from odr_analysis.dropoff import DropoffCalendar, dropoff_calendar
from odr_analysis.explain import explain_change
from odr_analysis.headroom import defects_allowed
from odr_analysis.history import health_history, latest_health, reconcile_history
from odr_analysis.maturity import maturity
from odr_analysis.notebook import history_start, load, resolve_as_of
from odr_analysis.parts import OdrParts, prepare
from odr_analysis.portfolio import portfolio_status
from odr_analysis.projection import Assumptions, Projection, project
from odr_analysis.readers import Account
from odr_analysis.reconcile import reconcile
from odr_analysis.removal import removal_ranking
from odr_analysis.rules import OdrRules, to_date
from odr_analysis.schema import GROUP_KEYS
from odr_analysis.stats import with_intervals

__all__ = ["HISTORY_DAYS", "HORIZON", "N_SIMS", "ReportData", "compute"]

HISTORY_DAYS: Final = 365
"""Report dates charted before ``as_of`` (at most: never before the first full window)."""
HORIZON: Final = 90
"""Days projected after ``as_of`` (the projection and the removal ranking)."""
N_SIMS: Final = 2000
"""Seeded simulations of the projection and the settled rate."""


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything one account's report shows, computed once by :func:`compute`.

    Frames are per (account, marketplace, channel), sorted by those keys where the page lists
    them; see each attribute's producer.
    """

    account: Account
    as_of: dt.date
    since: dt.date  # the last report's date: the change and the trend are since then
    rules: OdrRules
    parts: OdrParts
    status: pl.DataFrame  # the daily counter on as_of + Wilson interval + portfolio status
    status_since: pl.DataFrame  # the daily counter on since
    daily: pl.DataFrame  # the daily counter from the history start to as_of
    matured: pl.DataFrame  # maturity.maturity
    projection: Projection  # projection.project; first_under: outlook.under_target
    allowed: pl.DataFrame  # headroom.defects_allowed
    calendar: DropoffCalendar  # dropoff.dropoff_calendar
    ranking: pl.DataFrame  # removal.removal_ranking
    change: pl.DataFrame  # explain.explain_change from since to as_of
    by_sku: pl.DataFrame  # drilldown.defect_breakdown(dimension="sku")
    reconciliation: pl.DataFrame | None  # reconcile.reconcile on the newest snapshot only
    # Amazon's own figures over time: history.health_history (empty without a health report)
    # and history.reconcile_history (None without a health report)
    health_history: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)
    reconciliation_history: pl.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def marketplaces(self) -> list[str]:
        return sorted(self.status["marketplace"].unique().to_list())

    @property
    def several_marketplaces(self) -> bool:
        return len(self.marketplaces) > 1

    @property
    def target(self) -> float:
        return self.rules.target

    @property
    def horizon(self) -> int:
        return self.projection.assumptions.horizon


def compute(
    data_dir: str | Path,
    account: str | None = None,
    *,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    rules: OdrRules = OdrRules(),
    n_sims: int = N_SIMS,
    horizon: int = HORIZON,
) -> ReportData:
    """Read one account and compute every number of its report.

    ``data_dir`` is a portfolio folder (then ``account`` names the account folder in it) or one
    account folder (``account=None``). ``as_of`` defaults to the last day the data covers
    (:func:`odr_analysis.notebook.default_as_of`); ``since`` (the last report's date, for the
    change explanation and the trend) to a week earlier. Projections use ``n_sims`` seeded
    simulations over ``horizon`` days, so the same input gives the same numbers.
    """
    data = load(data_dir, account, quiet=True)  # the page shows the alerts
    if data.orders.is_empty():
        raise ValueError(
            f"account {data.name!r}: no orders were read, so there is no rate to report; "
            "check its orders files (see the ingest summary)"
        )
    day = resolve_as_of(as_of, data, rules=rules)
    before = day - dt.timedelta(days=7) if since is None else to_date(since, "since")
    if before >= day:
        raise ValueError(f"since ({before}) must be before as_of ({day})")
    keys = list(GROUP_KEYS)
    parts = prepare(data.orders, data.defects, rules=rules)
    today = daily_path(parts, start=day, end=day)
    status = with_intervals(today, rules=rules).join(
        portfolio_status(today).select(*keys, "status", "headroom"), on=keys
    )
    health = latest_health(data.health, rules=rules)  # today: the newest snapshot only
    return ReportData(
        account=data,
        as_of=day,
        since=before,
        rules=rules,
        parts=parts,
        status=status.sort(keys),
        status_since=daily_path(parts, start=before, end=before).sort(keys),
        daily=daily_path(
            parts,
            start=history_start(data, day, days=HISTORY_DAYS, rules=rules),
            end=day,
        ),
        matured=maturity(parts, as_of=day, n_sims=n_sims).sort(keys),
        projection=project(
            parts, as_of=day, assumptions=Assumptions(horizon=horizon, n_sims=n_sims)
        ),
        allowed=defects_allowed(parts, as_of=day),
        calendar=dropoff_calendar(parts, as_of=day),
        ranking=removal_ranking(parts, data.defects, as_of=day, horizon=horizon),
        change=explain_change(parts, start=before, end=day).sort(keys),
        by_sku=defect_breakdown(
            data.orders,
            data.defects,
            items=data.items,
            as_of=day,
            dimension="sku",
            rules=rules,
        ),
        reconciliation=None
        if health.is_empty()
        else reconcile(data.orders, data.defects, health, rules=rules),
        health_history=health_history(data, rules=rules),
        reconciliation_history=None if health.is_empty() else reconcile_history(data, rules=rules),
    )
