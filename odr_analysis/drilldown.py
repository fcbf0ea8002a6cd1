"""Where the defects come from: small aggregations behind the drill-down and portfolio charts.

* :func:`window_orders`: the orders in the window of a report date, one row per order, with the
  defect kinds counted on that date (the engine's rules, to the order);
* :func:`defect_breakdown`: defective orders, orders and the defect rate (with a Wilson interval)
  per SKU, ASIN, ship service level or ship country, in the current window;

Every function returns a small frame (a row per group and value), ready for
:mod:`odr_analysis.charts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import polars as pl

from odr_analysis.defects import counted_defects
from odr_analysis.rules import OdrRules
from odr_analysis.schema import (
    COMPONENT_OF_KIND,
    COMPONENTS,
    GROUP_KEYS,
    KINDS,
    ORDER_KEY,
    Frame,
    rate,
    validate_orders,
)
from odr_analysis.stats import wilson_exprs

__all__ = ["BREAKDOWN_COLUMNS", "DIMENSIONS", "Dimension", "defect_breakdown", "window_orders"]

Dimension = Literal["sku", "asin", "ship_service_level", "ship_country"]

#: The dimensions of :func:`defect_breakdown`, and the frame each is read from.
DIMENSIONS: Final[dict[str, str]] = {
    "sku": "items",
    "asin": "items",
    "ship_service_level": "orders",
    "ship_country": "orders",
}
_KINDS: Final = list(KINDS)
_KEY: Final = list(ORDER_KEY)
NOT_GIVEN: Final = "(not given)"

BREAKDOWN_COLUMNS: Final[tuple[str, ...]] = (
    *GROUP_KEYS,
    "as_of",
    "window_start",
    "window_end",
    "dimension",
    "value",
    "detail",
    "orders",
    "defective_orders",
    *COMPONENTS,
    "rate",
    "rate_low",
    "rate_high",
    "share_of_defective",
    "rank",
    "values_total",
)


def window_orders(
    orders: Frame,
    defects: Frame,
    *,
    as_of: dt.date | str,
    rules: OdrRules = OdrRules(),
) -> pl.DataFrame:
    """The orders in the window of report date ``as_of``, one row per order, with their defects.

    Columns: the orders' columns, plus one Boolean per kind (``negative_feedback``,
    ``a_to_z_claim``, ``chargeback``: counted on ``as_of``, as :func:`~odr_analysis.engine.odr`
    counts them) and ``defective`` (any of them). Cancelled orders are left out when
    ``rules.include_cancelled`` is False, as the engine does. Grouping this frame by the group
    keys gives exactly the engine's ``order_count`` and ``defective_orders``.
    """
    window = rules.window(as_of)
    lf = validate_orders(orders)
    if not rules.include_cancelled and "order_status" in lf.collect_schema():
        lf = lf.filter(
            ~pl.col("order_status")
            .str.to_lowercase()
            .is_in(rules.cancelled_order_statuses)
            .fill_null(False)
        )
    flags = counted_defects(defects, as_of=window.as_of, rules=rules).lazy()
    return (
        lf.filter(pl.col("order_date").is_between(window.start, window.end))
        .join(flags, on=_KEY, how="left")
        .with_columns(pl.col(_KINDS).fill_null(False))
        .with_columns(defective=pl.any_horizontal(_KINDS))
        .sort(*GROUP_KEYS, "order_date", "order_id")
        .collect()
    )


def _value_rows(
    in_window: pl.DataFrame, items: Frame | None, by: str
) -> tuple[pl.LazyFrame, pl.LazyFrame | None]:
    """One row per (order, value of dimension ``by``) and, for items, the product name per
    value."""
    lf = in_window.lazy()
    if DIMENSIONS[by] == "orders":
        if by not in in_window.columns:
            raise ValueError(
                f"dimension={by!r}: the orders frame has no column {by!r} (the All Orders "
                "report reader adds it; a hand-made orders frame needs it too)"
            )
        return lf.with_columns(value=pl.col(by).cast(pl.String)), None
    if items is None:
        raise ValueError(
            f"dimension={by!r} needs the order items (one row per item with {by!r}): pass "
            "items= (an Account's items)"
        )
    lf_items = items.lazy() if isinstance(items, pl.DataFrame) else items
    if not isinstance(lf_items, pl.LazyFrame):
        raise TypeError(f"items must be a polars DataFrame or LazyFrame, got {type(items)}")
    schema = lf_items.collect_schema()
    missing = [c for c in (*_KEY, by) if c not in schema]
    if missing:
        raise ValueError(f"dimension={by!r}: the items frame has no column(s) {missing}")
    item_values = lf_items.select(pl.col(_KEY).cast(pl.String), value=pl.col(by).cast(pl.String))
    names = None
    if "product_name" in schema:
        names = (
            lf_items.filter(pl.col("product_name").is_not_null())
            .group_by(value=pl.col(by).cast(pl.String))
            # the most frequent name of the value (ties: the first in alphabetical order)
            .agg(detail=pl.col("product_name").mode().sort().first().cast(pl.String))
        )
    # An order with two SKUs is a row for each: it counts once per SKU. An order without any
    # item row keeps a null value (shown as "(not given)").
    rows = lf.join(item_values.unique(), on=_KEY, how="left")
    return rows, names


def defect_breakdown(
    orders: Frame,
    defects: Frame,
    *,
    as_of: dt.date | str,
    dimension: Dimension = "sku",
    items: Frame | None = None,
    rules: OdrRules = OdrRules(),
    top: int | None = 15,
    level: float = 0.95,
) -> pl.DataFrame:
    """Defective orders per SKU, ASIN, ship service level or ship country in the current window.

    ``dimension="sku"`` and ``"asin"`` need the ``items`` (the All Orders report's item rows:
    ``account``, ``order_id``, ``sku``, ``asin``, ``product_name``; an Account's ``items``).

    Per (account, marketplace, channel) and value, over the orders in the window of ``as_of``
    (:func:`window_orders`): ``orders``, ``defective_orders`` and the three components as the
    engine counts them, ``rate`` = defective / orders with its Wilson interval at ``level``
    (``rate_low``, ``rate_high``), ``share_of_defective`` (of the group's defective orders),
    ``rank`` (1 = most defective orders; ties: higher rate, more orders, value) and
    ``values_total`` (how many values the group has in the window). Only the ``top`` values of
    each group are kept (``None``: all). ``detail`` is the product name for SKUs and ASINs.

    **Orders with several items count once for each of their SKUs (or ASINs)**: a defective
    order of two SKUs is a defective order of both. So, for SKUs and ASINs, the rows of a group
    can add up to more than its orders and defective orders, and ``share_of_defective`` can add
    up to more than 1. Ship service level and ship country are order-level: every order has
    one value, and the rows add up to the engine's counts. A missing value (an order without
    item rows, an empty ship country) is the value ``"(not given)"``.

    Examples
    --------
    Two defective orders, one of them with two SKUs:

    >>> import datetime as dt, polars as pl
    >>> orders = pl.DataFrame({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN",
    ...     "order_id": ["o1", "o2", "o3"], "order_date": dt.date(2024, 1, 2)})
    >>> defects = pl.DataFrame({"account": "acme", "order_id": ["o1", "o2"],
    ...     "kind": "chargeback", "event_date": dt.date(2024, 1, 20), "status": "service",
    ...     "rating": None})
    >>> items = pl.DataFrame({"account": "acme", "order_id": ["o1", "o1", "o2", "o3"],
    ...     "sku": ["TENT", "MAT", "TENT", "MAT"]})
    >>> out = defect_breakdown(orders, defects, items=items, as_of="2024-01-28")
    >>> out.select("value", "orders", "defective_orders", "rate", "rank").rows()
    [('TENT', 2, 2, 1.0, 1), ('MAT', 2, 1, 0.5, 2)]
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {list(DIMENSIONS)}, got {dimension!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    window = rules.window(as_of)
    in_window = window_orders(orders, defects, as_of=window.as_of, rules=rules)
    rows, names = _value_rows(in_window, items, dimension)
    keys = list(GROUP_KEYS)
    low, high = wilson_exprs("defective_orders", "orders", level=level)
    group_defective = (
        in_window.lazy().group_by(keys).agg(_group_defective=pl.col("defective").sum())
    )
    table = (
        rows.with_columns(pl.col("value").fill_null(NOT_GIVEN))
        .group_by(*keys, "value")
        .agg(
            orders=pl.len().cast(pl.Int64),
            defective_orders=pl.col("defective").sum().cast(pl.Int64),
            **{col: pl.col(kind).sum().cast(pl.Int64) for kind, col in COMPONENT_OF_KIND.items()},
        )
        .join(group_defective, on=keys, how="left")
        .with_columns(
            rate=rate(pl.col("defective_orders"), pl.col("orders")),
            rate_low=low,
            rate_high=high,
            share_of_defective=pl.when(pl.col("_group_defective") > 0).then(
                pl.col("defective_orders") / pl.col("_group_defective")
            ),
        )
        .sort(
            [*keys, "defective_orders", "rate", "orders", "value"],
            descending=[False, False, False, True, True, True, False],
        )
        .with_columns(
            rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(keys),
            values_total=pl.len().over(keys).cast(pl.Int64),
        )
    )
    if top is not None:
        table = table.filter(pl.col("rank") <= top)
    if names is not None:
        table = table.join(names, on="value", how="left", maintain_order="left")
    else:
        table = table.with_columns(detail=pl.lit(None, pl.String))
    return (
        table.with_columns(
            as_of=pl.lit(window.as_of),
            window_start=pl.lit(window.start),
            window_end=pl.lit(window.end),
            dimension=pl.lit(dimension),
        )
        .select(BREAKDOWN_COLUMNS)
        .sort(*keys, "rank")
        .collect()
    )
