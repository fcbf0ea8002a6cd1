"""One folder = one seller account: recognise its files, read them, account for every row.

:func:`load_account` reads every file of an account folder (the folder name is the account
name). Files are recognised by their header or structure, never by their name
(:mod:`odr_analysis.readers.reports` knows every report a seller may have, and refuses by name
those that do not carry what ODR needs, saying which report to download instead); gzip, the
encodings Amazon serves (UTF-8, UTF-16, Windows-1252, Shift_JIS for Amazon.co.jp) and the line
ends of every spreadsheet are read as they come (:mod:`odr_analysis.readers.source`), and the
ingest note says what was decided:

=======================  ====================================================================
format                   read by
=======================  ====================================================================
``all_orders``           :mod:`~odr_analysis.readers.orders`: the All Orders report (by order
                         date or by last update) and the archived orders report (several
                         files are fine: monthly exports, overlapping ranges)
``all_orders_xml``       :mod:`~odr_analysis.readers.xml_orders`: the XML All Orders report
``fba_shipments``        :mod:`~odr_analysis.readers.shipments`: the FBA shipments report (no
                         cancelled orders: the ingest note says the rate is over-stated)
``seller_feedback``      :mod:`~odr_analysis.readers.feedback`: the seller feedback report, in
                         any marketplace's language (by position when its values prove it)
``claims``               :mod:`~odr_analysis.readers.claims`: our claims-and-chargebacks log
``financial_events``     :mod:`~odr_analysis.readers.finances`: the Finances API's A-to-z claim
                         and chargeback events (the claims log wins for the same order)
``account_health``       :mod:`~odr_analysis.readers.health`: ``GET_V2_SELLER_PERFORMANCE_REPORT``
=======================  ====================================================================

Hidden files (``.DS_Store``, ``.gitkeep``), the account's settings (``account.toml``, for
``odr-fetch``) and sub-folders are skipped; any other file that is none of these is an error
naming it (nothing is skipped silently).

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

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from odr_analysis.readers.claims import read_claims_file
from odr_analysis.readers.feedback import (
    FEEDBACK_SCHEMA,
    FEEDBACK_WINDOW_DAYS,
    date_format_for,
    looks_like_feedback,
    read_feedback_file,
)
from odr_analysis.readers.finances import merge_financial_events, read_financial_events_file
from odr_analysis.readers.health import HEALTH_ODR_SCHEMA, METRICS_SCHEMA, read_account_health
from odr_analysis.readers.orders import (
    MCF_REASON,
    ORDERS_FORMATS,
    combine_orders,
    read_orders_file,
)
from odr_analysis.readers.reports import FEEDBACK, Report, recognise, refusal
from odr_analysis.readers.shipments import read_shipments_file
from odr_analysis.readers.source import Text, read_head, read_text
from odr_analysis.readers.table import (
    REJECTS_SCHEMA,
    FileRead,
    ReportFormatError,
    duplicate_rows,
    is_blank,
    rejects_frame,
)
from odr_analysis.readers.xml_orders import read_xml_orders_file
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, OdrInputError

__all__ = [
    "ACCOUNT_REJECTS_SCHEMA",
    "ACCOUNT_SETTINGS",
    "FORMATS",
    "HEALTH_METRICS_SCHEMA",
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
    "all_orders_xml": "the XML All Orders report",
    "fba_shipments": "the FBA shipments report (GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL)",
    "seller_feedback": "the seller feedback report (tab-separated, header Date, Rating, "
    "Comments, Your Response, Order ID, Rater Email, or the same six columns in the language of "
    "the seller's reports)",
    "claims": "the claims-and-chargebacks log (comma- or semicolon-separated, header order-id, "
    "type, date, status, ...; see data/templates/)",
    "account_health": "the account-health report (GET_V2_SELLER_PERFORMANCE_REPORT, JSON)",
    "financial_events": "the Finances API's financial events (listFinancialEvents, JSON)",
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
HEALTH_METRICS_SCHEMA: Final = pl.Schema({"account": pl.String(), **METRICS_SCHEMA})
# Feedback of this many stars or fewer counts as a defect under the default rules.
_NEGATIVE_RATING: Final = OdrRules().negative_feedback_max_rating
_ORDER_FILES: Final = (*ORDERS_FORMATS, "fba_shipments")


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
    alerts
        What makes the rates less than exact, one sentence each (rows rejected that change
        the counts, FBA orders from the shipments report alone, an account-health report of
        another marketplace); shown in the repr, the notebooks' status and the reports.
        From :func:`load_portfolio`, each starts with its account's name.
    health_metrics
        Every other figure of the account-health reports (:attr:`HealthReport.metrics
        <odr_analysis.readers.HealthReport.metrics>`, long: one row per leaf value), plus
        each marketplace's account status as metric ``accountStatus`` (field ``status``);
        ``account`` and ``file`` (the file name, as in ``health``) say where each row is from.
        Read by :func:`odr_analysis.history.health_history`.
    """

    name: str
    orders: pl.DataFrame
    defects: pl.DataFrame
    items: pl.DataFrame
    feedback: pl.DataFrame
    health: pl.DataFrame
    ingest: pl.DataFrame
    rejects: pl.DataFrame
    alerts: tuple[str, ...] = ()
    health_metrics: pl.DataFrame = dataclasses.field(
        default_factory=lambda: pl.DataFrame(schema=HEALTH_METRICS_SCHEMA)
    )

    def __repr__(self) -> str:
        head = (
            f"Account({self.name!r}: {self.ingest.height} file(s), {self.orders.height:,} "
            f"orders, {self.defects.height:,} defect rows, {self.rejects.height:,} rejects"
        )
        if not self.alerts:
            return head + ")"
        return (
            head
            + f"; {len(self.alerts)} ALERT(S)):\n"
            + "\n".join(f"  ! {alert}" for alert in self.alerts)
        )


def recognise_file(
    path: str | Path, *, encoding: str | None = None, marketplace: str | None = None
) -> Report | None:
    """The report a file is (:func:`odr_analysis.readers.reports.recognise`), or ``None``.

    Reads the start of the file only (decompressed and decoded, :func:`~odr_analysis.readers.
    source.read_head`). A tab-separated file whose header is no known feedback header but
    whose rows look like Amazon's feedback layout (a 1-5 rating in column 2, an Amazon order
    id in column 5) is taken for the feedback report, whose reader then proves the layout on
    every row or refuses it. An empty file is an error.
    """
    path = Path(path)
    head = read_head(path, encoding=encoding, marketplace=marketplace)
    if is_blank(head.data):
        raise ReportFormatError(
            f"file '{path}' is empty; expected one of: {'; '.join(FORMATS.values())}",
            file=str(path),
        )
    text = head.data.decode("utf-8", errors="replace")
    return recognise(head.first_line, text) or (FEEDBACK if looks_like_feedback(text) else None)


def detect_format(
    path: str | Path, *, encoding: str | None = None, marketplace: str | None = None
) -> str | None:
    """The format of a file (a key of :data:`FORMATS`), or ``None`` when it is none of them
    (a report odr-analysis refuses included: :func:`recognise_file` says which).

    An empty file is an error.
    """
    report = recognise_file(path, encoding=encoding, marketplace=marketplace)
    return None if report is None or report.refused else report.reader


ACCOUNT_SETTINGS: Final = "account.toml"
"""The account's settings file (its marketplaces and credentials profile, for ``odr-fetch``):
not a report, so the loader skips it."""


def _files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != ACCOUNT_SETTINGS
    )


def load_account(
    path: str | Path, *, marketplace: str | None = None, encoding: str | None = None
) -> Account:
    """Read an account folder: its orders, feedback, claims and account-health files.

    Parameters
    ----------
    path
        The account folder; its name is the account name.
    marketplace
        The account's marketplace: a name (``Amazon.co.uk``), country code (``UK``) or id. It
        says how the feedback report writes dates, and that a file not in UTF-8 is Shift_JIS
        (``JP``). Default: the marketplace of the account's orders (an error asks for it when
        the orders span marketplaces with different date formats, or there are no orders).
    encoding
        A Python codec name (``cp1252``, ``cp932``, ``utf-16``) every file of the folder is
        read with, instead of deciding it from each file's bytes (the ingest note says what
        was decided).

    Raises
    ------
    OdrInputError
        For a folder that does not exist or holds no files, and (as
        :class:`~odr_analysis.readers.table.ReportFormatError`) for a file that is not one of
        :data:`FORMATS` (a known report that is refused names itself and the report to
        download instead), is empty, lacks a required column, is cut off mid-row or has the
        wrong separator; each message names the file (and the line, where there is one) and
        says what was expected.
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
        report = recognise_file(file, encoding=encoding, marketplace=marketplace)
        if report is None:
            raise ReportFormatError(
                f"file '{file}' is not a file odr-analysis reads (its first line does not look "
                f"like any of them); expected one of: {'; '.join(FORMATS.values())}. Move other "
                "files out of the account folder",
                file=str(file),
                line=1,
            )
        if report.reader is None:
            raise ReportFormatError(refusal(report, str(file)), file=str(file), line=1)
        by_format[report.reader].append(file)

    def text(file: Path) -> Text:
        return read_text(file, encoding=encoding, marketplace=marketplace)

    health_frames = []
    metric_frames = [pl.DataFrame(schema=HEALTH_METRICS_SCHEMA)]
    health_files = []
    for p in by_format["account_health"]:
        amazon = read_account_health(text(p))
        health_frames.append(amazon.odr.with_columns(account=pl.lit(name), file=pl.lit(p.name)))
        statuses = amazon.account_status.select(
            "marketplace_id",
            "marketplace",
            metric=pl.lit("accountStatus"),
            field=pl.lit("status"),
            value=pl.lit(None, pl.Float64),
            text="status",
            window_start=pl.lit(None, pl.Date),
            window_end=pl.lit(None, pl.Date),
        )
        metric_frames += [
            frame.with_columns(account=pl.lit(name), file=pl.lit(p.name)).select(
                HEALTH_METRICS_SCHEMA.names()
            )
            for frame in (amazon.metrics, statuses)
        ]
        health_files.append((p.name, amazon.odr.height, "; ".join(amazon.warnings)))
    health = pl.concat(
        [
            pl.DataFrame(schema=HEALTH_SCHEMA),
            *(f.select(HEALTH_SCHEMA.names()) for f in health_frames),
        ]
    )

    order_reads = [
        *(read_orders_file(text(p)) for p in by_format["all_orders"]),
        *(read_xml_orders_file(text(p)) for p in by_format["all_orders_xml"]),
        *(read_shipments_file(text(p)) for p in by_format["fba_shipments"]),
    ]
    combined = combine_orders(order_reads, name)
    orders = combined.orders
    order_rejects = combined.rejects

    reads: list[FileRead] = []
    if by_format["seller_feedback"]:
        order_files = [
            *by_format["all_orders"],
            *by_format["all_orders_xml"],
            *by_format["fba_shipments"],
        ]
        order_dates = orders.select("order_id", "order_date")
        sources = [text(p) for p in by_format["seller_feedback"]]
        for source in sources:
            date_format, shown = _feedback_format(marketplace, orders, source) or _feedback_dates(
                marketplace,
                combined.items,
                source.path,
                order_files,
                lambda: _feedback_order_ids(sources),
            )
            reads.append(
                read_feedback_file(
                    source, date_format=date_format, marketplace=shown, order_dates=order_dates
                )
            )
    claims_reads = [read_claims_file(text(p)) for p in by_format["claims"]]
    event_reads = merge_financial_events(
        [read_financial_events_file(text(p)) for p in by_format["financial_events"]],
        claims_reads,
    )
    reads += [*claims_reads, *event_reads]
    feedback, defects, defect_rejects, kept, unknown = _match_defects(
        reads, orders, order_rejects, name
    )

    rejects = pl.concat([order_rejects, *defect_rejects]).with_columns(account=pl.lit(name))
    rejects = rejects.select(ACCOUNT_REJECTS_SCHEMA.names()).sort("file", "line")
    health_notes = _health_marketplaces(health, orders)
    ingest = _ingest(
        name,
        reads=[*order_reads, *reads],
        kept={**combined.kept, **kept},
        notes=combined.notes,
        health=[
            (f, n, "; ".join(x for x in (w, health_notes.get(f, "")) if x))
            for f, n, w in health_files
        ],
        rejects=rejects,
    )
    alerts = (
        *_shipments_alert(order_reads, combined.items),
        *_rejects_alerts(
            orders, rejects, unknown, {r.file: r.format for r in [*order_reads, *reads]}
        ),
        *(f"{file}: {note}" for file, note in sorted(health_notes.items())),
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
        alerts=alerts,
        health_metrics=pl.concat(metric_frames),
    )


def _feedback_order_ids(texts: Sequence[Text]) -> pl.Series:
    """The order ids of feedback files, read without their dates: the fifth tab-separated
    field of every line after the header (Amazon's layout in every language)."""
    ids = [
        fields[4].strip().strip('"')
        for source in texts
        for line in source.data.decode("utf-8", errors="replace").split("\n")[1:]
        if len(fields := line.split("\t")) >= 5
    ]
    return pl.Series("order_id", ids, pl.String)


def _feedback_format(
    marketplace: str | None, orders: pl.DataFrame, source: Text
) -> tuple[str, str] | None:
    """How one feedback file writes its dates: ``marketplace`` when given, else the
    marketplace of the orders it speaks of (a feedback report is one marketplace's, and an
    account selling in several has one per marketplace: US month first, CA day first), else
    ``None`` (no order of it is known: the account's marketplaces decide). Orders of
    marketplaces that write dates differently in one file are an error naming it."""
    if marketplace is not None:
        return date_format_for(marketplace, [])
    ids = _feedback_order_ids([source]).implode()
    names = (
        orders.filter(pl.col("order_id").is_in(ids))
        .get_column("marketplace")
        .drop_nulls()
        .unique()
        .sort()
        .to_list()
    )
    if not names:
        return None
    try:
        return date_format_for(None, names)
    except OdrInputError as exc:
        raise ReportFormatError(
            f"feedback file '{source.path}': it speaks of orders of {', '.join(names)}; {exc}. "
            "A feedback report holds one marketplace's feedback: is it two reports joined?",
            file=str(source.path),
            column="Order ID",
        ) from None


def _feedback_dates(
    marketplace: str | None,
    items: pl.DataFrame,
    first: Path,
    order_files: Sequence[Path],
    feedback_ids: Callable[[], pl.Series],
) -> tuple[str, str]:
    """The feedback date format (:func:`~odr_analysis.readers.feedback.date_format_for`); an
    error names the file at fault: when the orders span marketplaces whose feedback reports
    write dates differently, the orders file and line of the marketplace the feedback speaks
    of least (then: with the fewest orders): a stray file of another account, a typo; else
    the feedback file."""
    names = items.get_column("marketplace").drop_nulls().unique().to_list()
    try:
        return date_format_for(marketplace, names)
    except OdrInputError as exc:
        if marketplace is not None or len(names) < 2:
            raise ReportFormatError(
                f"feedback file '{first}': {exc}", file=str(first), column="Date"
            ) from None
        message = str(exc)
    # The orders disagree: blame the marketplace the feedback speaks of least, then the one
    # with the fewest orders, naming its first order's file and line.
    firsts = (
        items.filter(pl.col("marketplace").is_not_null())
        .group_by("marketplace", maintain_order=True)
        .agg(
            pl.col("file").first(),
            pl.col("line").first(),
            orders=pl.col("order_id").n_unique(),
            _feedback=pl.col("order_id").is_in(feedback_ids().implode()).sum(),
        )
    )
    odd = firsts.sort("_feedback", "orders", maintain_order=True).row(0, named=True)
    where = str(next((p for p in order_files if p.name == odd["file"]), odd["file"]))
    others = ", ".join(
        f"{m} ({n:,} orders, first in {f} line {line})"
        for m, n, f, line in firsts.select("marketplace", "orders", "file", "line").iter_rows()
        if m != odd["marketplace"]
    )
    raise ReportFormatError(
        f"orders file '{where}', line {odd['line']}: sales-channel {odd['marketplace']} "
        f"({odd['orders']:,} order(s)) beside {others}: is this file, or row, of another "
        f"account? {message}",
        file=where,
        line=int(odd["line"]),
        column="sales-channel",
    )


_DEFECT_FORMATS: Final = (
    ("seller_feedback", "Order ID", "date"),
    ("claims", "order-id", "event_date"),
    ("financial_events", "AmazonOrderId", "event_date"),
)


def _match_defects(
    reads: Sequence[FileRead], orders: pl.DataFrame, order_rejects: pl.DataFrame, account: str
) -> tuple[pl.DataFrame, pl.DataFrame, list[pl.DataFrame], dict[str, int], pl.DataFrame]:
    """Feedback, claims and financial-event rows: drop repeats, keep those whose order is in
    ``orders``.

    Returns the feedback frame, the defects frame, the rejects frames, the kept rows per file
    and the rows whose order is unknown that could be defects (``file``, ``line``, ``date``:
    feedback of 1-2 stars, every claim and chargeback).
    """
    known = orders["order_id"].implode()
    rejects: list[pl.DataFrame] = [r.rejects for r in reads]
    kept: dict[str, pl.DataFrame] = {}
    unknown: list[pl.DataFrame] = [
        pl.DataFrame(schema={"file": pl.String, "line": pl.Int64, "date": pl.Date})
    ]
    for fmt, column, date in _DEFECT_FORMATS:
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
        missing = rows.filter(~pl.col("_known"))
        rejects.append(_unknown_orders(missing, column, order_rejects))
        if fmt == "seller_feedback":
            missing = missing.filter(pl.col("rating") <= _NEGATIVE_RATING)
        unknown.append(missing.select("file", "line", pl.col(date).alias("date")))
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
    claims = [kept[fmt] for fmt in ("claims", "financial_events") if fmt in kept]
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
                frame.select(
                    account=pl.lit(account),
                    order_id="order_id",
                    kind="kind",
                    event_date="event_date",
                    status="status",
                    rating=pl.lit(None, pl.Int32),
                )
                for frame in claims
            ),
        ]
    )
    counts = dict(feedback.group_by("file").len().iter_rows())
    for frame in claims:
        counts.update(frame.group_by("file").len().iter_rows())
    return feedback, defects, rejects, counts, pl.concat(unknown)


def _shipments_alert(order_reads: Sequence[FileRead], items: pl.DataFrame) -> tuple[str, ...]:
    """The alert for FBA orders read from the FBA shipments report alone (no cancelled orders
    there: the FBA order count is too low, the FBA rate over-stated)."""
    files = sorted({r.file for r in order_reads if r.format == "fba_shipments"})
    if not files or items.is_empty():
        return ()
    alone = (
        items.group_by("order_id")
        .agg(alone=pl.col("file").is_in(files).all())
        .get_column("alone")
        .sum()
    )
    if not alone:
        return ()
    return (
        f"{alone:,} FBA order(s) come from the FBA shipments report alone ({', '.join(files)}): "
        "it holds no cancelled orders, so the FBA order count is too low and the FBA rate "
        "over-stated; add the All Orders report for the same days",
    )


def _rejects_alerts(
    orders: pl.DataFrame, rejects: pl.DataFrame, unknown: pl.DataFrame, formats: Mapping[str, str]
) -> tuple[str, ...]:
    """Alerts for rejected rows that change the rates: orders rows whose order is missing from
    the orders (the count of orders is too low), feedback, claims and chargeback rows that
    could be defects (an unreadable value; a 1-2 star feedback, a claim or a chargeback for an
    order the orders files must hold: placed, as the event's date says, between their first and
    last days)."""
    rejected = rejects.filter(pl.col("outcome") == "rejected").with_columns(
        _format=pl.col("file").replace_strict(formats, default=None)
    )
    alerts = []
    lost = rejected.filter(pl.col("_format").is_in(_ORDER_FILES))
    if lost.height:  # rows of an order whose other items were kept do not lose the order
        lost = lost.filter(
            pl.col("order_id").is_null() | ~pl.col("order_id").is_in(orders["order_id"].implode())
        )
    if lost.height:
        alerts.append(
            f"{lost.height:,} orders row(s) could not be read ({_per_file(lost)}): their orders "
            "are missing from the order counts, so the rates may be wrong; fix the rows (see "
            "the rejects)"
        )
    # The order of a feedback (or claim) dated D was placed in [D - 90 days, D]: when that is
    # inside the days the orders files cover, they must hold it.
    dates = orders.get_column("order_date")
    start: dt.date | None = dates.min()  # type: ignore[assignment]
    end: dt.date | None = dates.max()  # type: ignore[assignment]
    covered = unknown.join(rejected, on=["file", "line"], how="semi")
    if start is not None:
        covered = covered.filter(
            (pl.col("date") - pl.duration(days=FEEDBACK_WINDOW_DAYS) >= start)
            & (pl.col("date") <= end)
        )
    unreadable = rejected.filter(
        ~pl.col("_format").is_in(_ORDER_FILES)
        & ~pl.col("reason").str.starts_with("order not in the orders report")
    )
    defects = pl.concat([unreadable.select("file"), covered.select("file")])
    if defects.height:
        alerts.append(
            f"{defects.height:,} feedback, claim or chargeback row(s) that may be defects are "
            f"not counted ({_per_file(defects)}): an unreadable value, or an order missing "
            "from the orders files although they cover the days it was placed; the rates may be "
            "too low (see the rejects)"
        )
    missing = rejected.filter(pl.col("reason") == "order not in the orders report")
    later = (
        unknown.join(missing, on=["file", "line"], how="semi").filter(pl.col("date") > end)
        if start is not None
        else unknown.clear()
    )
    if later.height:
        alerts.append(
            f"{later.height:,} feedback, claim or chargeback row(s) dated after the last order "
            f"({end}) are for orders the orders files do not hold ({_per_file(later)}): add "
            "the orders report for the days since, or the rates of recent windows are wrong"
        )
    return tuple(alerts)


def _per_file(rows: pl.DataFrame) -> str:
    counts = rows.group_by("file").len().sort("file")
    return ", ".join(f"{file}: {n:,}" for file, n in counts.iter_rows())


def _health_marketplaces(health: pl.DataFrame, orders: pl.DataFrame) -> dict[str, str]:
    """Per account-health file, a note when it speaks of a marketplace the orders do not have
    (a report of another marketplace, or of another account)."""
    if health.is_empty() or orders.is_empty():
        return {}
    ours = set(orders.get_column("marketplace").drop_nulls().unique().to_list())
    notes = {}
    for file, names in (
        health.group_by("file", maintain_order=True).agg(pl.col("marketplace").unique()).iter_rows()
    ):
        other = sorted({str(n) for n in names} - ours)
        if other:
            notes[file] = (
                f"marketplace(s) {', '.join(other)} of this report are not among the orders' "
                f"({', '.join(sorted(ours))}): a report of another marketplace or account, "
                "nothing to compare with"
            )
    return notes


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
    path: str | Path,
    *,
    marketplace: str | Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Account:
    """Read a folder of account folders and concatenate them (``name`` = the folder's name).

    ``marketplace`` is passed to :func:`load_account`: one value for every account, or a mapping
    account name -> marketplace; ``encoding`` too. Hidden entries are skipped; a file next to
    the account folders is ignored unless it is a report (then it is an error: it belongs in an
    account folder). An account folder holding only its ``account.toml`` (``odr-fetch`` has
    fetched nothing for it yet) is left out with an alert.
    """
    root = Path(path)
    if not root.is_dir():
        raise OdrInputError(f"portfolio folder '{root}' does not exist or is not a folder")
    for file in _files(root):
        if detect_format(file, encoding=encoding) is not None:
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
    waiting = [f for f in folders if not _files(f) and (f / ACCOUNT_SETTINGS).is_file()]
    folders = [f for f in folders if f not in waiting]
    if not folders:
        raise OdrInputError(
            f"portfolio folder '{root}' holds no account folder with reports yet (only "
            f"{ACCOUNT_SETTINGS} in {', '.join(f.name for f in waiting)}): run odr-fetch, or "
            "drop the reports in"
        )
    accounts = [
        load_account(
            f,
            marketplace=marketplace.get(f.name)
            if isinstance(marketplace, Mapping)
            else marketplace,
            encoding=encoding,
        )
        for f in folders
    ]
    return Account(
        name=root.resolve().name,
        **{
            field: pl.concat([getattr(a, field) for a in accounts])
            for field in (
                "orders",
                "defects",
                "items",
                "feedback",
                "health",
                "ingest",
                "rejects",
                "health_metrics",
            )
        },
        alerts=(
            *(f"{a.name}: {alert}" for a in accounts for alert in a.alerts),
            *(
                f"{f.name}: no reports yet (only {ACCOUNT_SETTINGS}: odr-fetch has fetched "
                "nothing for it): not in the figures"
                for f in waiting
            ),
        ),
    )
