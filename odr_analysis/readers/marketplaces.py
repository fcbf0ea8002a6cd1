"""The Amazon marketplaces the readers know: id, name, country and feedback date format.

The orders report names a marketplace (``sales-channel`` ``Amazon.co.uk``), the account-health
report gives its id (``A1F83G8C2ARO7P``), people say ``UK``: :data:`MARKETPLACES` ties them
together, and says how each marketplace's seller feedback report writes its dates.

The shape of Amazon's order ids is the same in every marketplace: :data:`AMAZON_ORDER_ID`, and
:func:`is_spreadsheet_number` / :func:`spreadsheet_number_reason` for an id a spreadsheet turned
into a number (``5.80293E+13``), the one rule every reader applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

import polars as pl

from odr_analysis.schema import OdrInputError

__all__ = [
    "AMAZON_ORDER_ID",
    "MARKETPLACES",
    "SPREADSHEET_NUMBER",
    "Marketplace",
    "feedback_date_format",
    "is_spreadsheet_number",
    "marketplace_name",
    "marketplaces_frame",
    "spreadsheet_number_reason",
]


class Marketplace(NamedTuple):
    """One Amazon marketplace: its id, its name (the orders report's ``sales-channel``), its
    country code and the ``strftime`` format of the dates in its seller feedback report."""

    id: str
    name: str
    country: str
    feedback_date_format: str


_DAY_FIRST = "%d/%m/%y"
MARKETPLACES: Final[Mapping[str, Marketplace]] = {
    m.id: m
    for m in (
        Marketplace("ATVPDKIKX0DER", "Amazon.com", "US", "%m/%d/%y"),
        Marketplace("A2EUQ1WTGCTBG2", "Amazon.ca", "CA", _DAY_FIRST),
        Marketplace("A1AM78C64UM0Y8", "Amazon.com.mx", "MX", _DAY_FIRST),
        Marketplace("A2Q3Y263D00KWC", "Amazon.com.br", "BR", _DAY_FIRST),
        Marketplace("A1F83G8C2ARO7P", "Amazon.co.uk", "UK", _DAY_FIRST),
        Marketplace("A28R8C7NBKEWEA", "Amazon.ie", "IE", _DAY_FIRST),
        Marketplace("A1PA6795UKMFR9", "Amazon.de", "DE", "%d.%m.%y"),
        Marketplace("A13V1IB3VIYZZH", "Amazon.fr", "FR", _DAY_FIRST),
        Marketplace("APJ6JRA9NG5V4", "Amazon.it", "IT", _DAY_FIRST),
        Marketplace("A1RKKUPIHCS9HS", "Amazon.es", "ES", _DAY_FIRST),
        Marketplace("A1805IZSGTT6HS", "Amazon.nl", "NL", _DAY_FIRST),
        Marketplace("AMEN7PMS3EDWL", "Amazon.com.be", "BE", _DAY_FIRST),
        Marketplace("A1C3SOZRARQ6R3", "Amazon.pl", "PL", _DAY_FIRST),
        Marketplace("A2NODRKZP88ZB9", "Amazon.se", "SE", "%Y-%m-%d"),
        Marketplace("A33AVAJ2PDY3EV", "Amazon.com.tr", "TR", _DAY_FIRST),
        Marketplace("A2VIGQ35RCS4UG", "Amazon.ae", "AE", _DAY_FIRST),
        Marketplace("A17E79C6D8DWNP", "Amazon.sa", "SA", _DAY_FIRST),
        Marketplace("ARBP9OOSHTCHU", "Amazon.eg", "EG", _DAY_FIRST),
        Marketplace("A21TJRUUN4KGV", "Amazon.in", "IN", _DAY_FIRST),
        Marketplace("A39IBJ37TRP1C6", "Amazon.com.au", "AU", _DAY_FIRST),
        Marketplace("A19VAU5U5O7RUS", "Amazon.sg", "SG", _DAY_FIRST),
        Marketplace("A1VC38T7YXB528", "Amazon.co.jp", "JP", "%y/%m/%d"),
    )
}
"""Marketplace id -> :class:`Marketplace` (sources: SP-API "Marketplace IDs"; feedback date
formats: odr-domain.md 4c)."""

_LOOKUP: Final[Mapping[str, Marketplace]] = {
    **{m.id.upper(): m for m in MARKETPLACES.values()},
    **{m.name.upper(): m for m in MARKETPLACES.values()},
    **{m.country: m for m in MARKETPLACES.values()},
    "GB": MARKETPLACES["A1F83G8C2ARO7P"],
}


def marketplaces_frame() -> pl.DataFrame:
    """:data:`MARKETPLACES` as a frame: ``marketplace_id``, ``marketplace``, ``country``,
    ``feedback_date_format`` (for joins)."""
    return pl.DataFrame(
        [tuple(m) for m in MARKETPLACES.values()],
        schema={
            "marketplace_id": pl.String,
            "marketplace": pl.String,
            "country": pl.String,
            "feedback_date_format": pl.String,
        },
        orient="row",
    )


def _find_marketplace(marketplace: str) -> Marketplace:
    found = _LOOKUP.get(str(marketplace).strip().upper()) if marketplace is not None else None
    if found is None:
        known = ", ".join(f"{m.name} ({m.country}, {m.id})" for m in MARKETPLACES.values())
        raise OdrInputError(
            f"unknown marketplace {marketplace!r}: give a marketplace name, country code or "
            f"marketplace id; known: {known}"
        )
    return found


def feedback_date_format(marketplace: str) -> str:
    """The ``strftime`` format of the ``Date`` column in this marketplace's feedback report.

    ``marketplace`` may be a name (``Amazon.co.uk``), a marketplace id (``A1F83G8C2ARO7P``)
    or a country code (``UK``, also ``GB``), in any letter case.

    >>> feedback_date_format("Amazon.com"), feedback_date_format("uk"), feedback_date_format("JP")
    ('%m/%d/%y', '%d/%m/%y', '%y/%m/%d')
    """
    return _find_marketplace(marketplace).feedback_date_format


def marketplace_name(marketplace: str) -> str:
    """The marketplace's name (``Amazon.co.uk``) from a name, an id or a country code.

    >>> marketplace_name("A1PA6795UKMFR9"), marketplace_name("gb")
    ('Amazon.de', 'Amazon.co.uk')
    """
    return _find_marketplace(marketplace).name


AMAZON_ORDER_ID: Final = r"^\d{3}-\d{7}-\d{7}$"
"""An Amazon order id, in every marketplace: three groups of 3, 7 and 7 digits
(``114-3121629-2157694``)."""

SPREADSHEET_NUMBER: Final = r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$"
"""An id that a spreadsheet turned into a number in scientific notation (``5.80293E+13``, or
``5,80293E+13`` where the decimal mark is a comma): most of its digits are gone, so it can never
be matched to an order again."""


def is_spreadsheet_number(value: pl.Expr) -> pl.Expr:
    """Whether ``value`` (a ``String`` expression) is an id written in scientific notation by a
    spreadsheet (:data:`SPREADSHEET_NUMBER`; surrounding spaces ignored).

    >>> ids = pl.Series(["5.80293E+13", "5,80293E+13", " 1E5", "111-1234567-1234567", "x"])
    >>> pl.select(is_spreadsheet_number(pl.lit(ids))).to_series().to_list()
    [True, True, True, False, False]
    """
    return value.str.strip_chars().str.contains(SPREADSHEET_NUMBER)


def spreadsheet_number_reason(
    value: pl.Expr,
    advice: str = "export the report again without opening it in a spreadsheet",
) -> pl.Expr:
    """The reject reason for an order id turned into a number by a spreadsheet, with what to do.

    >>> print(pl.select(spreadsheet_number_reason(pl.lit(" 5.80293E+13"), "retype it")).item())
    an order id turned into a number by a spreadsheet (5.80293E+13): the digits are lost; retype it
    """
    return pl.format(
        "an order id turned into a number by a spreadsheet ({}): the digits are lost; {}",
        value.str.strip_chars(),
        pl.lit(advice),
    )
