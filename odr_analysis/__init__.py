"""odr-analysis: Amazon's Order Defect Rate, to the order, with what-ifs and forecasts.

The analytics are importable from here; charts (:mod:`odr_analysis.charts`), the what-if panel
(:mod:`odr_analysis.panel`) and notebook helpers (:mod:`odr_analysis.notebook`) live in their
own modules so that ``import odr_analysis`` stays light.

>>> from odr_analysis import OdrRules, load_account, odr
>>> account = load_account("data/sample/summit-outdoor")  # doctest: +SKIP
>>> odr(account.orders, account.defects, as_of="2026-02-23")  # doctest: +SKIP
"""

from odr_analysis.engine import (
    OdrParts,
    counted_defects,
    daily_path,
    odr,
    odr_daily,
    prepare,
    unmatched_defects,
)
from odr_analysis.explain import explain_change, explain_daily
from odr_analysis.forecast import Assumptions, Projection, maturity, project
from odr_analysis.readers import Account, load_account, load_portfolio, read_account_health
from odr_analysis.reconcile import reconcile
from odr_analysis.rules import OdrRules, Window
from odr_analysis.schema import OdrInputError, validate_defects, validate_orders
from odr_analysis.stats import unusual_days, with_intervals
from odr_analysis.whatif import (
    Removal,
    defects_allowed,
    dropoff_calendar,
    orders_needed,
    removal_ranking,
    simulate_removal,
)

__all__ = [
    "Account",
    "Assumptions",
    "OdrInputError",
    "OdrParts",
    "OdrRules",
    "Projection",
    "Removal",
    "Window",
    "counted_defects",
    "daily_path",
    "defects_allowed",
    "dropoff_calendar",
    "explain_change",
    "explain_daily",
    "load_account",
    "load_portfolio",
    "maturity",
    "odr",
    "odr_daily",
    "orders_needed",
    "prepare",
    "project",
    "read_account_health",
    "reconcile",
    "removal_ranking",
    "simulate_removal",
    "unmatched_defects",
    "unusual_days",
    "validate_defects",
    "validate_orders",
    "with_intervals",
]
__version__ = "0.1.0"
