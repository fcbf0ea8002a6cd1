"""One folder = one seller account: recognise its files, read them, account for every row.

:func:`load_account` reads every file of an account folder (the folder name is the account
name). Files are recognised by their header or structure, never by their name:

=====================  ======================================================================
format                 recognised by
=====================  ======================================================================
``all_orders``         a header with ``amazon-order-id`` and one of ``purchase-date``,
                       ``fulfillment-channel``, ``sales-channel`` (several files are fine:
                       monthly exports, overlapping ranges)
``seller_feedback``    a header with ``Rating`` and ``Order ID`` or ``Rater Email``
``claims``             a header with ``order-id`` and ``type`` (our claims-and-chargebacks log)
``account_health``     JSON (``GET_V2_SELLER_PERFORMANCE_REPORT``)
=====================  ======================================================================

Hidden files (``.DS_Store``, ``.gitkeep``) and sub-folders are skipped; any other file that is
none of these is an error naming it (nothing is skipped silently).

Nothing is lost: every data line read is a row of ``orders``' items, ``feedback`` or
``defects``, or a row of ``rejects`` with its file, line and reason. ``ingest`` counts per
file ``rows_read = kept + excluded + rejected`` (``excluded``: valid rows left out by a rule,
like MCF orders and rows repeated by overlapping exports; ``rejected``: rows that could not be
used, like an unreadable date or feedback for an order not in the orders report).

Choices where Amazon is silent:

* a file whose last line stops in the middle of a row (fewer fields, no line end) is an error,
  not a reject: the download was cut off, so orders after it are missing and every rate would
  be wrong without a visible reject to explain it;
* overlapping orders exports: a row identical to one already read is excluded as a duplicate;
  the same order item (order id, sku, asin) in two files is kept once, from the copy with the
  latest ``last-updated-date``; different items of one order in different files are merged;
* feedback and claims rows identical to one already read are excluded as duplicates; feedback
  for an MCF order is excluded; feedback or a claim for any other order missing from the
  orders report is rejected (the engine would not see it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers.claims import read_claims_file
from odr_analysis.readers.feedback import FEEDBACK_SCHEMA, date_format_for, read_feedback_file
from odr_analysis.readers.health import HEALTH_ODR_SCHEMA, read_account_health
from odr_analysis.readers.orders import MCF_REASON, combine_orders, read_orders_file
from odr_analysis.readers.table import (
    REJECTS_SCHEMA,
    FileRead,
    ReportFormatError,
    duplicate_rows,
    is_blank,
    rejects_frame,
)
from odr_analysis.schema import DEFECTS_SCHEMA, OdrInputError

__all__ = [
    "ACCOUNT_REJECTS_SCHEMA",
    "FORMATS",
    "HEALTH_SCHEMA",
    "INGEST_SCHEMA",
    "Account",
    "detect_format",
    "load_account",
    "load_portfolio",
]

FORMATS: Final[Mapping[str, str]] = {
    "all_orders": "the All Orders report (tab-separated, header with amazon-order-id, "
    "purchase-date, fulfillment-channel, sales-channel)",
    "seller_feedback": "the seller feedback report (tab-separated, header Date, Rating, "
    "Comments, Your Response, Order ID, Rater Email)",
    "claims": "the claims-and-chargebacks log (comma-separated, header order-id, type, date, "
    "status, ...; see data/templates/)",
    "account_health": "the account-health report (GET_V2_SELLER_PERFORMANCE_REPORT, JSON)",
}
"""The formats an account folder may hold, and how to recognise each."""

INGEST_SCHEMA: Final = pl.Schema(
    {
        "account": pl.String(),
        "file": pl.String(),
        "format": pl.String(),
        "rows_read": pl.Int64(),
        "kept": pl.Int64(),
        "excluded": pl.Int64(),
        "rejected": pl.Int64(),
        "note": pl.String(),
    }
)
ACCOUNT_REJECTS_SCHEMA: Final = pl.Schema({"account": pl.String(), **REJECTS_SCHEMA})
HEALTH_SCHEMA: Final = pl.Schema({"account": pl.String(), **HEALTH_ODR_SCHEMA})
_ORDERS_SIGNATURE: Final = ("purchase-date", "fulfillment-channel", "sales-channel")


@dataclass(frozen=True, repr=False)
class Account:
    """Everything read from one account folder (or, from :func:`load_portfolio`, several).

    Attributes
    ----------
    name
        The folder name.
    orders, defects
        The canonical frames of :mod:`odr_analysis.schema`, ready for
        :func:`odr_analysis.engine.odr`. ``orders`` also has ``ship_service_level``,
        ``ship_country``, ``ship_state``, ``purchase_ts`` (UTC), ``item_count`` and ``units``.
    items
        One row per kept order item (sku, asin, product name, quantity, file, line, ...), to
        drill into defective orders.
    feedback
        The feedback rows kept: ``order_id``, ``date``, ``rating``, ``comments``, ``response``,
        ``status``, ``file``, ``line``. No rater e-mail, anywhere.
    health
        Amazon's own ODR from account-health reports (one row per marketplace and channel;
        empty when the folder has none).
    ingest
        One row per file: ``format``, ``rows_read``, ``kept``, ``excluded``, ``rejected``,
        ``note``; ``rows_read = kept + excluded + rejected``.
    rejects
        One row per data line not kept: ``file``, ``line`` (header = 1), ``order_id``,
        ``column``, ``value``, ``reason``, ``outcome`` (``excluded`` or ``rejected``).
    """

    name: str
    orders: pl.DataFrame
    defects: pl.DataFrame
    items: pl.DataFrame
    feedback: pl.DataFrame
    health: pl.DataFrame
    ingest: pl.DataFrame
    rejects: pl.DataFrame

    def __repr__(self) -> str:
        return (
            f"Account({self.name!r}: {self.ingest.height} file(s), {self.orders.height:,} "
            f"orders, {self.defects.height:,} defect rows, {self.rejects.height:,} rejects)"
        )


def _first_line(path: Path) -> tuple[bytes, str]:
    """The file's first 64 KiB and its first line as text (errors name the file)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise ReportFormatError(
            f"file '{path}' cannot be read ({exc.strerror})", file=str(path)
        ) from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReportFormatError(
            f"file '{path}' is UTF-16 text (a spreadsheet's 'Unicode text'?); every file "
            "odr-analysis reads is UTF-8 text (save it as UTF-8)",
            file=str(path),
        )
    first = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")
    try:
        return head, first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportFormatError(
            f"file '{path}', line 1: byte {exc.start} is not UTF-8; every file odr-analysis "
            "reads is UTF-8 text (save it as UTF-8)",
            file=str(path),
            line=1,
        ) from None


def detect_format(path: str | Path) -> str | None:
    """The format of a file (a key of :data:`FORMATS`) from its first line, or ``None``.

    The header is split on tabs, commas and semicolons, so a report re-saved with the wrong
    separator is still recognised (and then rejected by its reader with a clear message).
    An empty file is an error.
    """
    path = Path(path)
    head, first = _first_line(path)
    if is_blank(head):
        raise ReportFormatError(
            f"file '{path}' is empty; expected one of: {'; '.join(FORMATS.values())}",
            file=str(path),
        )
    if head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"["):
        return "account_health"
    for separator in ("\t", ",", ";"):
        names = {name.strip().strip('"').lower() for name in first.split(separator)}
        if "amazon-order-id" in names and names.intersection(_ORDERS_SIGNATURE):
            return "all_orders"
        if {"order-id", "order id"} & names and "type" in names:
            return "claims"
        if "rating" in names and {"order id", "rater email"} & names:
            return "seller_feedback"
    return None


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def load_account(path: str | Path, *, marketplace: str | None = None) -> Account:
    """Read an account folder: its orders, feedback, claims and account-health files.

    Parameters
    ----------
    path
        The account folder; its name is the account name.
    marketplace
        How the feedback report writes dates: a marketplace name (``Amazon.co.uk``), country
        code (``UK``) or id. Default: the marketplace of the account's orders (an error asks
        for it when the orders span marketplaces with different date formats, or there are
        no orders).

    Raises
    ------
    OdrInputError
        For a folder that does not exist or holds no files, and (as
        :class:`~odr_analysis.readers.table.ReportFormatError`) for a file that is not one of
        :data:`FORMATS`, is empty, is not UTF-8, lacks a required column, is cut off mid-row
        or has the wrong separator; each message names the file and says what was expected.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise OdrInputError(f"account folder '{folder}' does not exist or is not a folder")
    name = folder.resolve().name
    files = _files(folder)
    if not files:
        raise OdrInputError(
            f"account folder '{folder}' holds no files; expected: {'; '.join(FORMATS.values())}"
        )
    by_format: dict[str, list[Path]] = {f: [] for f in FORMATS}
    for file in files:
        found = detect_format(file)
        if found is None:
            raise ReportFormatError(
                f"file '{file}' is not a file odr-analysis reads (its first line does not look "
                f"like any of them); expected one of: {'; '.join(FORMATS.values())}. Move other "
                "files out of the account folder",
                file=str(file),
                line=1,
            )
        by_format[found].append(file)

    health_frames = []
    health_files = []
    for p in by_format["account_health"]:
        report = read_account_health(p)
        health_frames.append(report.odr.with_columns(account=pl.lit(name), file=pl.lit(p.name)))
        health_files.append((p.name, report.odr.height, "; ".join(report.warnings)))
    health = pl.concat(
        [
            pl.DataFrame(schema=HEALTH_SCHEMA),
            *(f.select(HEALTH_SCHEMA.names()) for f in health_frames),
        ]
    )

    order_reads = [read_orders_file(p) for p in by_format["all_orders"]]
    combined = combine_orders(order_reads, name)
    orders = combined.orders
    order_rejects = combined.rejects

    reads: list[FileRead] = []
    if by_format["seller_feedback"]:
        first = by_format["seller_feedback"][0]
        try:
            date_format, shown = date_format_for(
                marketplace, orders["marketplace"].unique().drop_nulls().to_list()
            )
        except OdrInputError as exc:
            raise ReportFormatError(
                f"feedback file '{first}': {exc}", file=str(first), column="Date"
            ) from None
        reads += [
            read_feedback_file(p, date_format=date_format, marketplace=shown)
            for p in by_format["seller_feedback"]
        ]
    reads += [read_claims_file(p) for p in by_format["claims"]]
    feedback, defects, defect_rejects, kept = _match_defects(reads, orders, order_rejects, name)

    rejects = pl.concat([order_rejects, *defect_rejects]).with_columns(account=pl.lit(name))
    rejects = rejects.select(ACCOUNT_REJECTS_SCHEMA.names()).sort("file", "line")
    ingest = _ingest(
        name,
        reads=[*order_reads, *reads],
        kept={**combined.kept, **kept},
        notes=combined.notes,
        health=health_files,
        rejects=rejects,
    )
    return Account(
        name=name,
        orders=orders,
        defects=defects,
        items=combined.items,
        feedback=feedback,
        health=health,
        ingest=ingest,
        rejects=rejects,
    )


def _match_defects(
    reads: Sequence[FileRead], orders: pl.DataFrame, order_rejects: pl.DataFrame, account: str
) -> tuple[pl.DataFrame, pl.DataFrame, list[pl.DataFrame], dict[str, int]]:
    """Feedback and claims rows: drop repeats, keep those whose order is in ``orders``.

    Returns the feedback frame, the defects frame, the rejects frames and the kept rows per
    file.
    """
    known = orders["order_id"].implode()
    rejects: list[pl.DataFrame] = [r.rejects for r in reads]
    kept: dict[str, pl.DataFrame] = {}
    for fmt, column in (("seller_feedback", "Order ID"), ("claims", "order-id")):
        parts = [
            r.rows.with_columns(_file_index=pl.lit(i, pl.Int32))
            for i, r in enumerate(reads)
            if r.format == fmt
        ]
        if not parts:
            continue
        rows = pl.concat(parts)
        repeated = duplicate_rows(
            rows, [c for c in rows.columns if c not in ("file", "line", "_file_index")]
        )
        rows = rows.join(
            repeated.select("_file_index", "line"),
            on=["_file_index", "line"],
            how="anti",
            maintain_order="left",
        ).with_columns(_known=pl.col("order_id").is_in(known))
        rejects.append(
            rejects_frame(
                repeated.select(
                    "file",
                    "line",
                    "order_id",
                    column=pl.lit(column),
                    value="order_id",
                    reason="_reason",
                    outcome=pl.lit("excluded"),
                )
            )
        )
        rejects.append(_unknown_orders(rows.filter(~pl.col("_known")), column, order_rejects))
        kept[fmt] = rows.filter("_known").drop("_known", "_file_index")

    feedback = pl.concat(
        [
            pl.DataFrame(schema=FEEDBACK_SCHEMA),
            *(
                [kept["seller_feedback"].with_columns(account=pl.lit(account))]
                if "seller_feedback" in kept
                else []
            ),
        ],
        how="diagonal",
    ).select(FEEDBACK_SCHEMA.names())
    claims = kept.get("claims")
    defects = pl.concat(
        [
            pl.DataFrame(schema=DEFECTS_SCHEMA),
            feedback.select(
                "account",
                "order_id",
                kind=pl.lit("negative_feedback"),
                event_date="date",
                status="status",
                rating="rating",
            ),
            *(
                []
                if claims is None
                else [
                    claims.select(
                        account=pl.lit(account),
                        order_id="order_id",
                        kind="kind",
                        event_date="event_date",
                        status="status",
                        rating=pl.lit(None, pl.Int32),
                    )
                ]
            ),
        ]
    )
    counts = dict(feedback.group_by("file").len().iter_rows())
    if claims is not None:
        counts.update(claims.group_by("file").len().iter_rows())
    return feedback, defects, rejects, counts


def _unknown_orders(rows: pl.DataFrame, column: str, order_rejects: pl.DataFrame) -> pl.DataFrame:
    """Rejects for feedback or claims rows whose order is not among the orders: excluded when
    it is an MCF order, rejected otherwise (saying so when the order's own rows were rejected)."""
    mcf = order_rejects.filter(pl.col("reason") == MCF_REASON)["order_id"].implode()
    failed = order_rejects.filter(pl.col("outcome") == "rejected")["order_id"].implode()
    in_mcf = pl.col("order_id").is_in(mcf)
    return rejects_frame(
        rows.select(
            "file",
            "line",
            "order_id",
            column=pl.lit(column),
            value="order_id",
            reason=pl.when(in_mcf)
            .then(pl.lit("order is an MCF order (sales-channel Non-Amazon), not in ODR"))
            .when(pl.col("order_id").is_in(failed))
            .then(pl.lit("order not in the orders report (its rows there were rejected)"))
            .otherwise(pl.lit("order not in the orders report")),
            outcome=pl.when(in_mcf).then(pl.lit("excluded")).otherwise(pl.lit("rejected")),
        )
    )


def _ingest(
    account: str,
    *,
    reads: Sequence[FileRead],
    kept: Mapping[str, int],
    notes: Mapping[str, tuple[str, ...]],
    health: Sequence[tuple[str, int, str]],
    rejects: pl.DataFrame,
) -> pl.DataFrame:
    """One row per file; raises if a file's rows do not add up (that would be a bug here)."""
    counts = {(f, o): n for f, o, n in rejects.group_by("file", "outcome").len().iter_rows()}
    rows = [
        (
            account,
            r.file,
            r.format,
            r.rows_read,
            kept.get(r.file, 0),
            counts.get((r.file, "excluded"), 0),
            counts.get((r.file, "rejected"), 0),
            "; ".join([*r.notes, *notes.get(r.file, ())]),
        )
        for r in reads
    ]
    rows += [(account, file, "account_health", n, n, 0, 0, note) for file, n, note in health]
    ingest = pl.DataFrame(rows, schema=INGEST_SCHEMA, orient="row").sort("file")
    wrong = ingest.filter(
        pl.col("rows_read") != pl.col("kept") + pl.col("excluded") + pl.col("rejected")
    )
    if wrong.height:  # pragma: no cover - a bug in the readers, never bad input
        raise RuntimeError(f"rows do not add up in {account!r}: {wrong.rows(named=True)}")
    return ingest


def load_portfolio(
    path: str | Path, *, marketplace: str | Mapping[str, str] | None = None
) -> Account:
    """Read a folder of account folders and concatenate them (``name`` = the folder's name).

    ``marketplace`` is passed to :func:`load_account`: one value for every account, or a mapping
    account name -> marketplace. Hidden entries are skipped; a file next to the account folders
    is ignored unless it is a report (then it is an error: it belongs in an account folder).
    """
    root = Path(path)
    if not root.is_dir():
        raise OdrInputError(f"portfolio folder '{root}' does not exist or is not a folder")
    for file in _files(root):
        if detect_format(file) is not None:
            raise ReportFormatError(
                f"file '{file}' is a report at the top of the portfolio folder '{root}'; put "
                "it into a folder named after its account (one folder = one account)",
                file=str(file),
            )
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise OdrInputError(
            f"portfolio folder '{root}' holds no account folders (one folder per account)"
        )
    accounts = [
        load_account(
            f,
            marketplace=marketplace.get(f.name)
            if isinstance(marketplace, Mapping)
            else marketplace,
        )
        for f in folders
    ]
    return Account(
        name=root.resolve().name,
        **{
            field: pl.concat([getattr(a, field) for a in accounts])
            for field in ("orders", "defects", "items", "feedback", "health", "ingest", "rejects")
        },
    )
