"""The claims-and-chargebacks log: our own CSV, because Amazon offers no file for these.

Comma-separated UTF-8 (quotes as a spreadsheet writes them), header
``order-id,type,date,status,amount,currency,notes`` (``amount``, ``currency`` and ``notes`` are
optional and not read: notes may hold personal data). The template and the accepted wordings
are documented in ``data/templates/README.md``.

* ``type``: ``A-to-z claim`` (also ``A-to-z Guarantee claim``, ``A-to-z``, ``AtoZ``, ``claim``)
  or ``Chargeback`` (also ``Chargeback claim``), in any letter case;
* ``date``: the date the claim or chargeback was received, ISO ``YYYY-MM-DD``;
* ``status``: Amazon's own wording, mapped to the canonical statuses of
  :data:`odr_analysis.schema.STATUSES` (:data:`CLAIM_STATUS_WORDINGS`,
  :data:`CHARGEBACK_STATUS_WORDINGS`);
  a blank chargeback status is ``unknown`` (counted, conservatively).

Any other type or status wording is rejected with the line and the accepted wordings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers.marketplaces import is_spreadsheet_number, spreadsheet_number_reason
from odr_analysis.readers.source import Text
from odr_analysis.readers.table import (
    Check,
    FileRead,
    ReportFormatError,
    TableSpec,
    read_table,
    split_checked,
)

__all__ = [
    "CHARGEBACK_STATUS_WORDINGS",
    "CLAIMS_SPEC",
    "CLAIM_STATUS_WORDINGS",
    "STATUS_WORDINGS",
    "TYPE_WORDINGS",
    "normalise_wording",
    "read_claims_file",
]

CLAIMS_SPEC: Final = TableSpec(
    what="claims file",
    expected=(
        "the claims-and-chargebacks log (data/templates/claims-and-chargebacks.csv), "
        "comma- or semicolon-separated text (UTF-8 or Windows-1252, as a spreadsheet saves "
        "it) with the columns order-id, type, date, status (and optionally amount, currency, "
        "notes)"
    ),
    separator=",",
    other_separators=(";",),
    quote_char='"',
    columns={
        "order_id": ("order-id", "order id"),
        "type": ("type",),
        "date": ("date",),
        "status": ("status",),
    },
    required=("order_id", "type", "date", "status"),
    header=("order-id", "type", "date", "status", "amount", "currency", "notes"),
)
"""The claims-and-chargebacks log: the columns read (``columns``) and the template's header."""

TYPE_WORDINGS: Final[Mapping[str, str]] = {
    "A-to-z claim": "a_to_z_claim",
    "A-to-z Guarantee claim": "a_to_z_claim",
    "A-to-z": "a_to_z_claim",
    "AtoZ": "a_to_z_claim",
    "claim": "a_to_z_claim",
    "Chargeback": "chargeback",
    "Chargeback claim": "chargeback",
}
"""Accepted ``type`` wordings (any letter case) -> defect kind; the first wording of each kind
is the template's."""

CLAIM_STATUS_WORDINGS: Final[Mapping[str, str]] = {
    "Pending": "pending",
    "Open": "pending",
    "Under investigation": "pending",
    "Under review": "pending",
    "Action required": "pending",
    "Awaiting seller response": "pending",
    "Granted": "granted",
    "Decided in buyer's favor": "granted",
    "Decided in buyer's favour": "granted",
    "Funded by Amazon": "granted",
    "Amazon funded": "granted",
    "Refunded by seller": "seller_refunded",
    "Seller refunded": "seller_refunded",
    "Closed - refunded": "seller_refunded",
    "Withdrawn after grant": "withdrawn_after_grant",
    "Withdrawn after refund": "withdrawn_after_grant",
    "Denied": "denied",
    "Decided in seller's favor": "denied",
    "Decided in seller's favour": "denied",
    "Closed - denied": "denied",
    "Withdrawn": "withdrawn",
    "Withdrawn by buyer": "withdrawn",
    "Buy Shipping protected": "buy_shipping_protected",
    "Claims protected": "buy_shipping_protected",
    "Protected by Buy Shipping": "buy_shipping_protected",
    "Not counted": "not_counted",
    "Not counted against ODR": "not_counted",
}
"""Accepted A-to-z claim ``status`` wordings (any letter case, see :func:`normalise_wording`)
-> canonical status; the first wording of each status is the template's."""

CHARGEBACK_STATUS_WORDINGS: Final[Mapping[str, str]] = {
    "Service": "service",
    "Service chargeback": "service",
    "Item not received": "service",
    "Not as described": "service",
    "Fraud": "fraud",
    "Fraud chargeback": "fraud",
    "Unauthorized": "fraud",
    "Unknown": "unknown",
    "": "unknown",
}
"""Accepted chargeback ``status`` wordings -> canonical status; blank is ``unknown``."""

STATUS_WORDINGS: Final[Mapping[str, Mapping[str, str]]] = {
    "a_to_z_claim": CLAIM_STATUS_WORDINGS,
    "chargeback": CHARGEBACK_STATUS_WORDINGS,
}
"""The ``status`` wordings accepted for each defect kind of :data:`TYPE_WORDINGS`."""


def normalise_wording(column: str) -> pl.Expr:
    """Lower case, trimmed, inner spaces collapsed, typographic apostrophes and dashes plain.

    >>> pl.DataFrame({"s": ["  Decided in Buyer\u2019s   favor ", "Closed \u2013 Denied"]}).select(
    ...     normalise_wording("s")).to_series().to_list()
    ["decided in buyer's favor", 'closed - denied']
    """
    return (
        pl.col(column)
        .fill_null("")
        .str.replace_all(r"[\u2018\u2019\u02bc`]", "'")
        .str.replace_all(r"[\u2010-\u2015]", "-")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.to_lowercase()
    )


def _accepted(words: Mapping[str, str]) -> str:
    return ", ".join(w for w in words if w) + (" or blank" if "" in words else "")


def _lookup(words: Mapping[str, str]) -> dict[str, str]:
    return {w.lower(): kind for w, kind in words.items()}


def read_claims_file(path: str | Path | Text, *, file: str | None = None) -> FileRead:
    """Read one claims-and-chargebacks log.

    ``rows``: ``order_id``, ``kind`` (``a_to_z_claim``/``chargeback``), ``event_date``,
    ``status`` (canonical), ``file``, ``line``. Rejected: an empty order id or one a spreadsheet
    turned into a number (``5.80293E+13``), an unknown type, a date that is not ``YYYY-MM-DD``, a
    status wording not accepted for the type. Raises
    :class:`~odr_analysis.readers.table.ReportFormatError` when most dates are unreadable (a
    spreadsheet reformatted them).
    """
    raw = read_table(path, CLAIMS_SPEC, file=file)
    file = raw.file
    status_words = normalise_wording("status_raw")
    parsed = raw.rows.with_columns(
        order_id=pl.col("order_id").str.strip_chars(),
        type_raw=pl.col("type"),
        date_raw=pl.col("date"),
        status_raw=pl.col("status"),
        kind=normalise_wording("type").replace_strict(
            _lookup(TYPE_WORDINGS), default=None, return_dtype=pl.String
        ),
        event_date=pl.when(
            pl.col("date").str.strip_chars().str.contains(r"^\d{4}-\d{2}-\d{2}$")
        ).then(pl.col("date").str.strip_chars().str.to_date("%Y-%m-%d", strict=False)),
        file=pl.lit(file),
    ).with_columns(
        status=pl.coalesce(
            pl.when(pl.col("kind") == kind).then(
                status_words.replace_strict(_lookup(words), default=None, return_dtype=pl.String)
            )
            for kind, words in STATUS_WORDINGS.items()
        )
    )
    checks = [
        Check(
            pl.col("order_id").is_null() | (pl.col("order_id") == ""),
            "order-id",
            pl.col("order_id"),
            pl.lit("empty order-id"),
        ),
        Check(  # 5.80293E+13: the id went through a spreadsheet's number format
            is_spreadsheet_number(pl.col("order_id")),
            "order-id",
            pl.col("order_id"),
            spreadsheet_number_reason(
                pl.col("order_id"),
                "type it again from Seller Central, in a column formatted as text",
            ),
        ),
        Check(
            pl.col("kind").is_null(),
            "type",
            pl.col("type_raw"),
            pl.format(
                "unknown type '{}'; accepted: {}", "type_raw", pl.lit(_accepted(TYPE_WORDINGS))
            ),
        ),
        Check(
            pl.col("event_date").is_null(),
            "date",
            pl.col("date_raw"),
            pl.format(
                "date '{}' is not a date written YYYY-MM-DD (a spreadsheet may have reformatted "
                "it)",
                "date_raw",
            ),
        ),
        Check(
            pl.col("status").is_null() & (pl.col("kind") == "a_to_z_claim"),
            "status",
            pl.col("status_raw"),
            pl.format(
                "unknown A-to-z claim status '{}'; accepted: {}",
                "status_raw",
                pl.lit(_accepted(CLAIM_STATUS_WORDINGS)),
            ),
        ),
        Check(
            pl.col("status").is_null() & (pl.col("kind") == "chargeback"),
            "status",
            pl.col("status_raw"),
            pl.format(
                "unknown chargeback status '{}'; accepted: {}",
                "status_raw",
                pl.lit(_accepted(CHARGEBACK_STATUS_WORDINGS)),
            ),
        ),
    ]
    good, bad = split_checked(parsed, checks)
    failed = bad.filter(pl.col("column") == "date")
    if parsed.height and failed.height * 2 > parsed.height:
        first = failed.row(0, named=True)
        raise ReportFormatError(
            f"claims file '{raw.path}', line {first['line']}: {failed.height} of {parsed.height} "
            f"dates are not written YYYY-MM-DD (e.g. {first['value']!r}); write dates as "
            "2025-11-30 (a spreadsheet may have reformatted them: format the column as text); "
            f"expected {CLAIMS_SPEC.expected}",
            file=str(raw.path),
            line=int(first["line"]),
            column="date",
        )
    rejects = pl.concat([raw.rejects, bad])
    rows = good.select("order_id", "kind", "event_date", "status", "file", "line")
    notes = [f"{raw.blank_lines} blank line(s) skipped"] if raw.blank_lines else []
    return FileRead(file, "claims", rows, rejects, raw.rows_read, (*raw.notes, *notes))
