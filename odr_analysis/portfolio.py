"""The portfolio: every account and channel against the target, with a status and a risk order.

An agency's first look on a Monday: which accounts and channels are over the target, which are
close to it, and in which order to look at them. The statuses in words:
:data:`odr_analysis.words.STATUSES`.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from odr_analysis.rules import OdrRules
from odr_analysis.schema import Frame

__all__ = ["STATUS_ORDER", "Status", "portfolio_status"]

Status = Literal["breached", "at_risk", "met", "no_orders"]
STATUS_ORDER: Final[tuple[Status, ...]] = ("breached", "at_risk", "met", "no_orders")
"""The statuses, from worst to best."""


def portfolio_status(
    odr_frame: Frame, *, at_risk: float = 0.2, target: float | None = None
) -> pl.DataFrame:
    """Every account and channel against the target, with a status and a risk order.

    ``odr_frame`` is an :func:`~odr_analysis.engine.odr` frame (one row per account,
    marketplace and channel). Adds:

    * ``status``: ``breached`` (rate at or above the target: the target is not met),
      ``at_risk`` (under the target by less than ``at_risk`` of it: with the 1% target and the
      default 0.2, from 0.80% up to, not including, 1%), ``met`` or ``no_orders`` (no order in
      the window: no rate); ``at_risk`` is the share used (for its words:
      :func:`odr_analysis.words.status_legend`);
    * ``headroom``: ``target - odr`` (negative when breached, null without orders);
    * ``account_worst``: the account's worst rate over its rows (null when it has no rate) and
      ``risk_rank``: 1 for the row of the account with the worst rate, accounts in descending
      order of their worst rate (accounts without any rate last), then by marketplace and
      channel.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"account": ["a", "a", "b", "c"], "marketplace": "Amazon.com",
    ...     "channel": ["AFN", "MFN", "MFN", "MFN"], "odr": [0.001, 0.0085, 0.012, None],
    ...     "target": 0.01})
    >>> portfolio_status(frame).select("account", "channel", "status", "risk_rank").rows()
    [('b', 'MFN', 'breached', 1), ('a', 'AFN', 'met', 2), ('a', 'MFN', 'at_risk', 3),
     ('c', 'MFN', 'no_orders', 4)]
    """
    lf = odr_frame.lazy() if isinstance(odr_frame, pl.DataFrame) else odr_frame
    if not isinstance(lf, pl.LazyFrame):
        raise TypeError(
            f"odr_frame must be a polars DataFrame or LazyFrame, got {type(odr_frame).__name__}"
        )
    if isinstance(at_risk, bool) or not isinstance(at_risk, int | float) or not 0 <= at_risk < 1:
        raise ValueError(f"at_risk must be a fraction of the target in [0, 1), got {at_risk!r}")
    schema = lf.collect_schema()
    missing = [c for c in ("account", "channel", "odr") if c not in schema]
    if missing:
        raise ValueError(f"odr_frame has no column(s) {missing}: pass a frame from odr()")
    if target is None:
        target_expr = pl.col("target") if "target" in schema else pl.lit(OdrRules().target)
    else:
        target_expr = pl.lit(float(target))
    if "marketplace" not in schema:
        lf = lf.with_columns(marketplace=pl.lit(None, pl.String))
    rate = pl.col("odr")
    status = (
        pl.when(rate.is_null())
        .then(pl.lit("no_orders"))
        .when(rate >= pl.col("target"))
        .then(pl.lit("breached"))
        .when(rate >= pl.col("target") * (1 - at_risk))
        .then(pl.lit("at_risk"))
        .otherwise(pl.lit("met"))
    )
    return (
        lf.with_columns(target=target_expr.cast(pl.Float64))
        .with_columns(status=status, headroom=pl.col("target") - rate)
        .with_columns(
            at_risk=pl.lit(float(at_risk)),
            account_worst=rate.max().over("account"),
        )
        .sort(
            ["account_worst", "account", "marketplace", "channel"],
            descending=[True, False, False, False],
            nulls_last=True,
        )
        .with_columns(risk_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        .collect()
    )
