"""The marketplace registry: ids, names, countries, feedback date formats
(odr_analysis.readers.marketplaces)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from odr_analysis.readers.marketplaces import (
    AMAZON_ORDER_ID,
    MARKETPLACES,
    feedback_date_format,
    is_spreadsheet_number,
    marketplace_name,
    marketplaces_frame,
    spreadsheet_number_reason,
)
from odr_analysis.schema import OdrInputError


def test_marketplace_table() -> None:
    frame = marketplaces_frame()
    assert frame.height == len(MARKETPLACES) == 22
    for column in ("marketplace_id", "marketplace", "country"):
        assert frame[column].n_unique() == frame.height
    assert dict(frame.select("country", "marketplace").iter_rows())["IE"] == "Amazon.ie"


@pytest.mark.parametrize(
    ("marketplace", "fmt", "written"),
    [
        # E14: 2017-01-13 as each marketplace writes it
        ("Amazon.com", "%m/%d/%y", "01/13/17"),
        ("ATVPDKIKX0DER", "%m/%d/%y", "01/13/17"),
        ("us", "%m/%d/%y", "01/13/17"),
        ("Amazon.de", "%d.%m.%y", "13.01.17"),
        ("A1VC38T7YXB528", "%y/%m/%d", "17/01/13"),
        ("SE", "%Y-%m-%d", "2017-01-13"),
        ("Amazon.co.uk", "%d/%m/%y", "13/01/17"),
        ("GB", "%d/%m/%y", "13/01/17"),
        ("amazon.ca", "%d/%m/%y", "13/01/17"),
        ("MX", "%d/%m/%y", "13/01/17"),
        (" A28R8C7NBKEWEA ", "%d/%m/%y", "13/01/17"),
    ],
)
def test_feedback_date_format(marketplace: str, fmt: str, written: str) -> None:
    assert feedback_date_format(marketplace) == fmt
    day = pl.Series([dt.date(2017, 1, 13)])
    assert day.dt.strftime(fmt).to_list() == [written]
    assert pl.Series([written]).str.strptime(pl.Date, fmt).to_list() == [dt.date(2017, 1, 13)]


def test_unknown_marketplace_lists_known_ones() -> None:
    with pytest.raises(OdrInputError, match=r"unknown marketplace 'Amazon\.xx'") as err:
        feedback_date_format("Amazon.xx")
    assert "Amazon.co.uk (UK, A1F83G8C2ARO7P)" in str(err.value)
    with pytest.raises(OdrInputError):
        marketplace_name("")
    assert marketplace_name("A1PA6795UKMFR9") == "Amazon.de"


def test_amazon_order_ids_have_one_shape() -> None:
    ids = pl.Series(
        ["114-3121629-2157694", " 302-1000001-1000001", "111-1", "1143121629215769", ""]
    )
    assert ids.str.strip_chars().str.contains(AMAZON_ORDER_ID).to_list() == [
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("value", "mangled"),
    [
        ("5.80293E+13", True),
        ("5,80293E+13", True),  # a comma decimal mark (Excel in DE, FR, ES ...)
        ("5.80293e13", True),
        (" 1E+17 ", True),
        ("114-3121629-2157694", False),
        ("58029312345678", False),  # digits only: not scientific notation
        ("E+13", False),
        ("", False),
    ],
)
def test_ids_a_spreadsheet_turned_into_numbers(value: str, mangled: bool) -> None:
    frame = pl.DataFrame({"id": [value]})
    assert frame.select(is_spreadsheet_number(pl.col("id"))).item() is mangled
    reason = frame.select(spreadsheet_number_reason(pl.col("id"))).item()
    assert reason == (
        f"an order id turned into a number by a spreadsheet ({value.strip()}): the digits are "
        "lost; export the report again without opening it in a spreadsheet"
    )
