"""odr-analysis: Amazon's Order Defect Rate, to the order, with what-ifs and forecasts.

The answers a seller or an agency asks for, their result types, the rules and the loaders are
importable from here. Charts (:mod:`odr_analysis.charts`), the what-if panel
(:mod:`odr_analysis.panel`), the words of every answer (:mod:`odr_analysis.words`) and the
reports (:mod:`odr_analysis.report`) live in their own modules so that ``import odr_analysis``
stays light; :mod:`odr_analysis.parts` has the one pass over the orders (``prepare``) that makes
repeated answers fast.

>>> from odr_analysis import OdrRules, load_account, odr
>>> account = load_account("data/sample/summit-outdoor")  # doctest: +SKIP
>>> odr(account.orders, account.defects, as_of="2026-02-23")  # doctest: +SKIP
"""

from odr_analysis.defects import counted_defects, unmatched_defects
from odr_analysis.drilldown import defect_breakdown, window_orders
from odr_analysis.dropoff import DropoffCalendar, dropoff_calendar
from odr_analysis.engine import odr, odr_daily
from odr_analysis.estimates import arrival_delays, matured_defect_rate, recent_daily_orders
from odr_analysis.explain import explain_change, explain_daily
from odr_analysis.headroom import defects_allowed, orders_needed
from odr_analysis.history import health_history, latest_health, reconcile_history
from odr_analysis.maturity import maturity
from odr_analysis.portfolio import portfolio_status
from odr_analysis.projection import Assumptions, Projection, project
from odr_analysis.readers import (
    Account,
    HealthReport,
    load_account,
    load_portfolio,
    read_account_health,
)
from odr_analysis.reconcile import reconcile
from odr_analysis.removal import Removal, RemovalResult, removal_ranking, simulate_removal
from odr_analysis.rules import OdrRules, Window
from odr_analysis.schema import OdrInputError
from odr_analysis.stats import unusual_days, with_intervals

__all__ = [
    "Account",
    "Assumptions",
    "DropoffCalendar",
    "HealthReport",
    "OdrInputError",
    "OdrRules",
    "Projection",
    "Removal",
    "RemovalResult",
    "Window",
    "arrival_delays",
    "counted_defects",
    "defect_breakdown",
    "defects_allowed",
    "dropoff_calendar",
    "explain_change",
    "explain_daily",
    "health_history",
    "latest_health",
    "load_account",
    "load_portfolio",
    "matured_defect_rate",
    "maturity",
    "odr",
    "odr_daily",
    "orders_needed",
    "portfolio_status",
    "project",
    "read_account_health",
    "recent_daily_orders",
    "reconcile",
    "reconcile_history",
    "removal_ranking",
    "simulate_removal",
    "unmatched_defects",
    "unusual_days",
    "window_orders",
    "with_intervals",
]
__version__ = "0.1.0"
