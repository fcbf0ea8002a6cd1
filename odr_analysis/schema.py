"""The canonical frames every part of odr-analysis speaks: ``orders`` and ``defects``.

Readers turn Amazon's files into these frames; the engine, the what-if answers, the charts and
the reports only ever read these frames. Both may be eager (``pl.DataFrame``) or lazy
(``pl.LazyFrame``); text columns may be ``String``, ``Categorical`` or ``Enum``.

``orders``: one row per order (never per item)
    ==============  =========  ==========================================================
    column          dtype      meaning
    ==============  =========  ==========================================================
    account         String     the seller account (a folder name, a client code, ...)
    marketplace     String     the sales channel, e.g. ``Amazon.com``, ``Amazon.de``
    order_id        String     ``amazon-order-id``
    order_date      Date       the UTC calendar date of ``purchase-date``
    channel         String     ``AFN`` (Fulfilled by Amazon) or ``MFN`` (seller-fulfilled)
    order_status    String     optional; Amazon's wording (``Shipped``, ``Cancelled``, ...)
    is_business     Boolean    optional; an Amazon Business (B2B) order
    ==============  =========  ==========================================================

    The key is (``account``, ``order_id``): the same order id in two accounts is two orders.
    Multi-Channel Fulfillment orders (``sales-channel`` ``Non-Amazon``) are not Amazon orders and
    must not be in this frame: the readers exclude them with that reason. Any further column a
    reader keeps (ship service level, ship country, ...) is carried along and ignored by the engine.

``defects``: one row per defect event
    ==============  =========  ==========================================================
    column          dtype      meaning
    ==============  =========  ==========================================================
    account         String     as in ``orders``
    order_id        String     the order the defect is charged to (by its order date)
    kind            String     ``negative_feedback``, ``a_to_z_claim`` or ``chargeback``
    event_date      Date       the date Amazon received the defect (feedback left, claim
                               filed, chargeback received)
    status          String     the defect's current status, from :data:`STATUSES`
    rating          Int        feedback stars 1-5; null for claims and chargebacks
    ==============  =========  ==========================================================

Statuses, and which count under the default :class:`~odr_analysis.rules.OdrRules`:

* ``negative_feedback``: ``active`` counts when ``rating <= 2``; ``removed``, ``struck_through``
  and ``withdrawn`` never count. Rating 3 is neutral and never counts. An order has one
  feedback: when several rows exist, the latest one known on the report date decides.
* ``a_to_z_claim``: ``pending``, ``granted`` (Amazon-funded included), ``seller_refunded`` and
  ``withdrawn_after_grant`` count; ``denied``, ``withdrawn`` (before a decision),
  ``buy_shipping_protected`` and ``not_counted`` don't.
* ``chargeback``: ``service`` counts, ``fraud`` doesn't; ``unknown`` (the reason was not
  recorded) counts, conservatively (odr-domain.md rule 10).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

import polars as pl

__all__ = [
    "CHANGE_PARTS",
    "CHANNELS",
    "COMPONENTS",
    "COMPONENT_OF_KIND",
    "COUNT_COLUMNS",
    "DEFECTS_SCHEMA",
    "GROUP_KEYS",
    "KINDS",
    "ODR_COLUMNS",
    "ORDERS_SCHEMA",
    "ORDER_KEY",
    "STATUSES",
    "WINDOW_COLUMNS",
    "Channel",
    "DefectKind",
    "Frame",
    "OdrInputError",
    "check_order_values",
    "empty_defects",
    "empty_orders",
    "order_key_hash",
    "rate",
    "validate_defects",
    "validate_orders",
]

Frame = pl.DataFrame | pl.LazyFrame
Channel = Literal["AFN", "MFN"]
DefectKind = Literal["negative_feedback", "a_to_z_claim", "chargeback"]

CHANNELS: Final[tuple[Channel, ...]] = ("AFN", "MFN")
KINDS: Final[tuple[DefectKind, ...]] = ("negative_feedback", "a_to_z_claim", "chargeback")

# Column names. Every module takes them from here; the frames below are documented above.
ORDER_KEY: Final = ("account", "order_id")
"""The key of an order: the same order id in two accounts is two orders."""
GROUP_KEYS: Final = ("account", "marketplace", "channel")
"""What Amazon reports a rate for: one account, marketplace and fulfilment channel."""
COMPONENT_OF_KIND: Final[Mapping[DefectKind, str]] = {
    "negative_feedback": "negative_feedback",
    "a_to_z_claim": "a_to_z_claims",
    "chargeback": "chargebacks",
}
"""Each defect kind and the column that counts the orders with a defect of that kind."""
COMPONENTS: Final = tuple(COMPONENT_OF_KIND.values())
"""The component count columns, in the order of :data:`KINDS`."""
COUNT_COLUMNS: Final = ("order_count", "defective_orders", *COMPONENTS)
"""The counts of an ODR row: orders in the window, defective orders, then each component."""
WINDOW_COLUMNS: Final = ("as_of", "window_start", "window_end")
"""The report date and the first and last order date of its window."""
ODR_COLUMNS: Final = (*GROUP_KEYS, *WINDOW_COLUMNS, *COUNT_COLUMNS, "odr", "target", "meets_target")
"""The columns of :func:`~odr_analysis.engine.odr` and of every daily path, in order."""
CHANGE_PARTS: Final = ("new_defects", "defective_left", "new_orders", "clean_left")
"""The four causes of a change of rate (:mod:`odr_analysis.explain`), in order."""
STATUSES: Final[Mapping[str, tuple[str, ...]]] = {
    "negative_feedback": ("active", "removed", "struck_through", "withdrawn"),
    "a_to_z_claim": (
        "pending",
        "granted",
        "seller_refunded",
        "withdrawn_after_grant",
        "denied",
        "withdrawn",
        "buy_shipping_protected",
        "not_counted",
    ),
    "chargeback": ("service", "fraud", "unknown"),
}

ORDERS_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String,
        "marketplace": pl.String,
        "order_id": pl.String,
        "order_date": pl.Date,
        "channel": pl.String,
    }
)
ORDERS_OPTIONAL: Final = pl.Schema({"order_status": pl.String, "is_business": pl.Boolean})
DEFECTS_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String,
        "order_id": pl.String,
        "kind": pl.String,
        "event_date": pl.Date,
        "status": pl.String,
        "rating": pl.Int32,
    }
)


class OdrInputError(ValueError):
    """A frame or file does not have the shape odr-analysis expects; the message says what."""


def empty_orders() -> pl.DataFrame:
    """A canonical ``orders`` frame with no rows (required and optional columns)."""
    return pl.DataFrame(schema={**ORDERS_SCHEMA, **ORDERS_OPTIONAL})


def empty_defects() -> pl.DataFrame:
    """A canonical ``defects`` frame with no rows."""
    return pl.DataFrame(schema=DEFECTS_SCHEMA)


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


def _is_integer(dtype: pl.DataType) -> bool:
    return dtype.is_integer()


def _check_columns(
    schema: pl.Schema, required: pl.Schema, optional: pl.Schema, name: str
) -> list[pl.Expr]:
    """Check names and dtypes; return the casts that bring the frame to canonical dtypes."""
    missing = [c for c in required if c not in schema]
    if missing:
        raise OdrInputError(
            f"{name} frame is missing column(s) {missing}; "
            f"required: {list(required)}; found: {list(schema)}"
        )
    casts: list[pl.Expr] = []
    for column, want in {**required, **optional}.items():
        if column not in schema:
            continue
        got = schema[column]
        if want == pl.String:
            ok = _is_text(got) or got == pl.Null
        elif want == pl.Date:
            ok = got == pl.Date
            if isinstance(got, pl.Datetime):
                raise OdrInputError(
                    f"{name} column {column!r} must be Date, got {got}: convert to UTC and take "
                    f'the date, e.g. pl.col("{column}").dt.convert_time_zone("UTC").dt.date()'
                )
        elif want == pl.Int32:
            ok = _is_integer(got) or got == pl.Null
        elif want == pl.Boolean:
            ok = got in (pl.Boolean, pl.Null)
        else:  # pragma: no cover - the schemas above hold only these dtypes
            ok = got == want
        if not ok:
            raise OdrInputError(f"{name} column {column!r} must be {want}, got {got}")
        if got != want:
            casts.append(pl.col(column).cast(want))
    return casts


def _null_problems(lf: pl.LazyFrame, columns: Iterable[str], name: str) -> None:
    columns = list(columns)
    counts = lf.select(pl.col(columns).null_count()).collect().row(0, named=True)
    bad = {c: n for c, n in counts.items() if n}
    if bad:
        column, n = next(iter(bad.items()))
        first = (
            lf.with_row_index("_row")
            .filter(pl.col(column).is_null())
            .select("_row")
            .head(1)
            .collect()
            .item()
        )
        raise OdrInputError(
            f"{name} column {column!r} has {n} null value(s) (first at row {first}); "
            "every row needs a value"
        )


def validate_orders(orders: Frame, *, check_values: bool = True) -> pl.LazyFrame:
    """Check an ``orders`` frame and return it lazily with canonical dtypes.

    Raises :class:`OdrInputError` naming the column or value for: a missing column, a wrong
    dtype, a null in a required column, a channel other than ``AFN``/``MFN``, and an order that
    appears twice in one account. Does not mutate its input.
    """
    lf = _as_lazy(orders, "orders")
    schema = lf.collect_schema()
    casts = _check_columns(schema, ORDERS_SCHEMA, ORDERS_OPTIONAL, "orders")
    lf = lf.with_columns(casts) if casts else lf
    if not check_values:
        return lf
    check_order_values(lf, _orders_value_stats(lf).collect(engine="in-memory").row(0, named=True))
    return lf


def _orders_value_stats(lf: pl.LazyFrame) -> pl.LazyFrame:
    """The one-row query behind the value checks of :func:`validate_orders`.

    Run it with the in-memory engine (faster than streaming here: ``benchmarks/README.md``).
    The engine's :func:`prepare` gets the same counts from its own pass over the orders and
    calls :func:`check_order_values` itself.
    """
    return lf.select(
        rows=pl.len(),
        nulls=pl.sum_horizontal(pl.col(list(ORDERS_SCHEMA)).null_count()),
        bad_channel=pl.all_horizontal(pl.col("channel") != c for c in CHANNELS).sum(),
        # A 64-bit hash of the key: as many distinct hashes as rows proves the key unique;
        # otherwise count exactly below.
        distinct=order_key_hash().n_unique(),
    )


def check_order_values(lf: pl.LazyFrame, counts: Mapping[str, int]) -> None:
    """Raise :class:`OdrInputError` for the problems counted in an orders frame.

    ``counts`` holds ``rows``, ``nulls`` (in required columns), ``bad_channel`` and
    ``distinct`` (distinct key hashes); the messages are built from ``lf`` itself.
    """
    stats = dict(counts)
    if stats["nulls"]:
        _null_problems(lf, ORDERS_SCHEMA, "orders")
    if stats["bad_channel"]:
        bad = (
            lf.filter(~pl.col("channel").is_in(CHANNELS))
            .select(pl.col("channel").unique(maintain_order=True))
            .head(5)
            .collect()
            .to_series()
            .to_list()
        )
        raise OdrInputError(
            f"orders column 'channel' holds {bad}; allowed values: {list(CHANNELS)} "
            "(AFN = Fulfilled by Amazon, MFN = seller-fulfilled)"
        )
    if stats["distinct"] != stats["rows"]:
        stats["distinct"] = lf.select(pl.struct("account", "order_id").n_unique()).collect().item()
    if stats["distinct"] != stats["rows"]:
        dupes = (
            lf.group_by("account", "order_id")
            .len()
            .filter(pl.col("len") > 1)
            .sort("account", "order_id")
            .head(3)
            .collect()
        )
        examples = [(r["account"], r["order_id"]) for r in dupes.iter_rows(named=True)]
        raise OdrInputError(
            f"orders has {stats['rows'] - stats['distinct']} duplicate row(s) for the key "
            f"(account, order_id), e.g. {examples}: orders must hold one row per order "
            "(collapse items to orders first)"
        )


def order_key_hash() -> pl.Expr:
    """A UInt64 hash of the order key (``account``, ``order_id``), for fast joins and checks.

    Equal keys always hash equal; unequal keys collide with probability about 2**-64, so a
    caller that joins on it must still compare the key columns of the rows it keeps.
    """
    return pl.col("order_id").hash(0x0D12) ^ pl.col("account").hash(0x5EED)


def validate_defects(defects: Frame) -> pl.LazyFrame:
    """Check a ``defects`` frame and return it lazily with canonical dtypes.

    Raises :class:`OdrInputError` for a missing column, a wrong dtype, a null where a value is
    required, an unknown ``kind``, a ``status`` not allowed for its kind (the message lists the
    allowed values), and a feedback row without a rating between 1 and 5.
    """
    lf = _as_lazy(defects, "defects")
    schema = lf.collect_schema()
    casts = _check_columns(schema, DEFECTS_SCHEMA, pl.Schema(), "defects")
    lf = lf.with_columns(casts) if casts else lf
    allowed = pl.DataFrame(
        [(k, s) for k, values in STATUSES.items() for s in values],
        schema={"kind": pl.String, "status": pl.String},
        orient="row",
    ).lazy()
    required = [c for c in DEFECTS_SCHEMA if c != "rating"]
    stats = (
        lf.select(
            nulls=pl.sum_horizontal(pl.col(required).null_count()),
            bad_kind=(~pl.col("kind").is_in(KINDS)).sum(),
            bad_rating=(
                (pl.col("kind") == "negative_feedback")
                & (pl.col("rating").is_null() | ~pl.col("rating").is_between(1, 5))
            ).sum(),
        )
        .collect()
        .row(0, named=True)
    )
    if stats["nulls"]:
        _null_problems(lf, required, "defects")
    if stats["bad_kind"]:
        bad = (
            lf.filter(~pl.col("kind").is_in(KINDS))
            .select(pl.col("kind").unique(maintain_order=True))
            .head(5)
            .collect()
            .to_series()
            .to_list()
        )
        raise OdrInputError(f"defects column 'kind' holds {bad}; allowed values: {list(KINDS)}")
    bad_status = (
        lf.select("kind", "status")
        .unique()
        .join(allowed, on=["kind", "status"], how="anti")
        .sort("kind", "status")
        .collect()
    )
    if bad_status.height:
        kind, status = bad_status.row(0)
        raise OdrInputError(
            f"defects column 'status' holds {status!r} for kind {kind!r}; "
            f"allowed for {kind}: {list(STATUSES[kind])}"
        )
    if stats["bad_rating"]:
        first = (
            lf.with_row_index("_row")
            .filter(
                (pl.col("kind") == "negative_feedback")
                & (pl.col("rating").is_null() | ~pl.col("rating").is_between(1, 5))
            )
            .head(1)
            .collect()
            .row(0, named=True)
        )
        raise OdrInputError(
            f"defects column 'rating' must be 1-5 for negative_feedback; row {first['_row']} "
            f"(order {first['order_id']!r}) has {first['rating']!r}"
        )
    return lf


def _as_lazy(frame: Frame, name: str) -> pl.LazyFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame
    if isinstance(frame, pl.DataFrame):
        return frame.lazy()
    raise TypeError(f"{name} must be a polars DataFrame or LazyFrame, got {type(frame).__name__}")


def rate(defective: pl.Expr, orders: pl.Expr) -> pl.Expr:
    """``defective / orders`` in float64, correctly rounded: the one way every rate is computed.

    For use in ``select`` / ``with_columns`` (one value per row), not in an aggregation. polars
    divides by a constant column (a literal, or a column it holds as one value) by multiplying
    with the reciprocal, which can be a unit in the last place off: 17 defective of 1,700
    orders would be 0.009999999999999998, under a 1% target that 17 / 1,700 = 0.01 does not
    meet. Adding a zero that varies by row keeps the divisor a column, so the division is
    IEEE's, the same as ``17 / 1700`` in Python and numpy's.

    >>> frame = pl.DataFrame({"k": [17, 3]}).with_columns(n=pl.lit(1700))
    >>> frame.select(rate(pl.col("k"), pl.col("n"))).to_series().to_list()
    [0.01, 0.0017647058823529412]
    """
    return defective / (orders + pl.int_range(pl.len(), dtype=pl.Int64) * 0)
