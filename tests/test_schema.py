"""Bad input is refused with a message that names the problem (odr_analysis.schema, and the
check of the by= columns in odr_analysis.parts), through odr() and odr_daily() alike; text
columns may be Categorical or Enum."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest
from builders import make_defects, make_orders
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from odr_analysis.engine import odr, odr_daily
from odr_analysis.rules import OdrRules
from odr_analysis.schema import OdrInputError, empty_defects, rate

D = dt.date


# --- bad input -----------------------------------------------------------------------------------


def test_missing_column_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1)).drop("channel")
    with pytest.raises(OdrInputError, match=r"missing column\(s\) \['channel'\]"):
        odr(orders, empty_defects(), as_of="2024-01-28")


def test_wrong_dtype_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1)).with_columns(pl.col("order_date").cast(pl.String))
    with pytest.raises(OdrInputError, match="'order_date' must be Date, got String"):
        odr(orders, empty_defects(), as_of="2024-01-28")
    stamped = make_orders(3, D(2024, 1, 1)).with_columns(
        pl.col("order_date").cast(pl.Datetime("us", "UTC"))
    )
    with pytest.raises(OdrInputError, match="convert to UTC and take the date"):
        odr_daily(stamped, empty_defects(), start="2024-01-28", end="2024-01-29")


def test_unknown_status_lists_allowed_values() -> None:
    defects = make_defects([("acme", "acme-1", "a_to_z_claim", D(2024, 1, 5), "Granted", None)])
    with pytest.raises(OdrInputError, match=r"'Granted' for kind 'a_to_z_claim'.*'granted'"):
        odr(make_orders(3, D(2024, 1, 1)), defects, as_of="2024-01-28")


def test_unknown_kind_lists_allowed_values() -> None:
    defects = make_defects([("acme", "acme-1", "mcf_claim", D(2024, 1, 5), "granted", None)])
    with pytest.raises(OdrInputError, match=r"\['mcf_claim'\].*negative_feedback"):
        odr(make_orders(3, D(2024, 1, 1)), defects, as_of="2024-01-28")


def test_unknown_channel_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1), channel="Merchant")
    with pytest.raises(OdrInputError, match=r"'channel' holds \['Merchant'\]"):
        odr(orders, empty_defects(), as_of="2024-01-28")
    # also when the only such orders are cancelled ones that the rules leave out
    mixed = pl.concat(
        [make_orders(3, D(2024, 1, 1)), orders.with_columns(pl.col("order_id") + "x")]
    )
    mixed = mixed.with_columns(
        order_status=pl.when(pl.col("channel") == "Merchant").then(pl.lit("Cancelled"))
    )
    rules = dataclasses.replace(OdrRules(), include_cancelled=False)
    with pytest.raises(OdrInputError, match=r"'channel' holds \['Merchant'\]"):
        odr_daily(mixed, empty_defects(), start="2024-01-28", end="2024-01-28", rules=rules)


def test_null_in_a_by_column_is_named() -> None:
    orders = make_orders(4, D(2024, 1, 2)).with_columns(
        is_business=pl.when(pl.col("order_id") != "acme-2").then(False)
    )
    for call in (
        lambda: odr(orders, empty_defects(), as_of="2024-01-28", by=["is_business"]),
        lambda: odr_daily(
            orders.lazy(), empty_defects(), start="2024-01-28", end="2024-01-28", by=["is_business"]
        ),
    ):
        with pytest.raises(
            OdrInputError, match=r"'is_business' .* 1 null value\(s\) \(first at row 2\)"
        ):
            call()


def test_duplicate_order_is_named() -> None:
    orders = make_orders(3, D(2024, 1, 1))
    with pytest.raises(OdrInputError, match=r"\('acme', 'acme-0'\)"):
        odr_daily(
            pl.concat([orders, orders.head(1)]),
            empty_defects(),
            start="2024-01-28",
            end="2024-01-29",
        )
    # the same id in another account is another order, not a duplicate
    other = orders.with_columns(account=pl.lit("zeta"))
    assert odr(pl.concat([orders, other]), empty_defects(), as_of="2024-01-28").height == 2


def test_feedback_without_rating_and_nulls_are_named() -> None:
    defects = make_defects([("acme", "acme-1", "negative_feedback", D(2024, 1, 5), "active", None)])
    with pytest.raises(OdrInputError, match="'rating' must be 1-5 for negative_feedback; row 0"):
        odr(make_orders(3, D(2024, 1, 1)), defects, as_of="2024-01-28")
    orders = make_orders(3, D(2024, 1, 1)).with_columns(
        order_date=pl.when(pl.col("order_id") == "acme-2").then(None).otherwise("order_date")
    )
    null_id = orders.with_columns(
        order_date=pl.lit(D(2024, 1, 1)),
        order_id=pl.when(pl.col("order_id") == "acme-1").then(None).otherwise("order_id"),
    )
    for run, column in (
        (lambda: odr(orders, empty_defects(), as_of="2024-01-28"), "order_date"),
        (
            lambda: odr_daily(orders, empty_defects(), start="2024-01-28", end="2024-01-29"),
            "order_date",
        ),
        (
            lambda: odr_daily(null_id, empty_defects(), start="2024-01-28", end="2024-01-29"),
            "order_id",
        ),
    ):
        row = 2 if column == "order_date" else 1
        with pytest.raises(
            OdrInputError, match=rf"'{column}' has 1 null value\(s\) \(first at row {row}\)"
        ):
            run()


# --- accepted types ------------------------------------------------------------------------------


def test_text_columns_may_be_categorical_or_enum() -> None:
    orders = make_orders(10, D(2024, 1, 2))
    defects = make_defects([("acme", "acme-1", "chargeback", D(2024, 1, 5), "service", None)])
    expected = odr(orders, defects, as_of="2024-01-28")
    cat_orders = orders.with_columns(
        pl.col("account", "marketplace", "order_id").cast(pl.Categorical),
        channel=pl.col("channel").cast(pl.Enum(["AFN", "MFN"])),
    )
    cat_defects = defects.with_columns(
        pl.col("account", "order_id", "status").cast(pl.Categorical),
        kind=pl.col("kind").cast(pl.Enum(["negative_feedback", "a_to_z_claim", "chargeback"])),
        rating=pl.col("rating").cast(pl.Int8),
    )
    assert_frame_equal(odr(cat_orders, cat_defects, as_of="2024-01-28"), expected)
    assert_frame_equal(
        odr_daily(cat_orders.lazy(), cat_defects.lazy(), start="2024-01-28", end="2024-01-28"),
        expected,
    )


@given(
    k=st.lists(st.integers(0, 10**6), min_size=1, max_size=5),
    n=st.integers(1, 10**7),
)
def test_rate_is_ieee_division_even_by_a_constant_column(k: list[int], n: int) -> None:
    # polars divides by a constant column through its reciprocal (17 / 1700 -> 0.00999...98)
    frame = pl.DataFrame({"k": k}).with_columns(n=pl.lit(n))
    got = frame.select(rate(pl.col("k"), pl.col("n"))).to_series().to_list()
    assert got == [x / n for x in k]
    assert pl.DataFrame({"k": [17, 1]}).with_columns(n=pl.lit(1700)).select(
        rate(pl.col("k"), pl.col("n")) < 0.01
    ).to_series().to_list() == [False, True]
