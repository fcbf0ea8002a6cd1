"""A-to-z claims and chargebacks from the Finances API's financial events.

A page of ``listFinancialEvents`` (or ``listFinancialEventsByOrderId`` /
``listFinancialEventsByGroupId``) saved as JSON: ``{"payload": {"FinancialEvents": {...},
"NextToken": "..."}}`` as the API answers, or ``{"FinancialEvents": {...}, "NextToken": ...}``
as clients hand the payload over. Shape from Amazon's published model
(``models/finances-api-model/financesV0.json``): ``FinancialEvents`` holds, among many lists,
``GuaranteeClaimEventList`` (A-to-z Guarantee claims) and ``ChargebackEventList``
(chargebacks), both lists of ``ShipmentEvent`` objects with ``AmazonOrderId``,
``SellerOrderId``, ``MarketplaceName``, ``PostedDate`` (ISO 8601 date-time) and item lists.

:func:`read_financial_events_file` turns each of those events into a defect row (the claims
log's columns: ``order_id``, ``kind``, ``event_date``, ``status``, ``file``, ``line``):

* a guarantee claim event is an ``a_to_z_claim`` with status ``granted``: the seller was
  debited, so the claim was decided against the seller (or refunded through it);
* a chargeback event is a ``chargeback`` with status ``unknown``: the event does not say whether
  it is a service or a fraud chargeback, and ``unknown`` counts, conservatively, as the claims
  log does for a blank reason;
* ``event_date`` is the UTC date of ``PostedDate``.

Their limits (:data:`FINANCES_LIMITS`, in every file's notes): they show only claims and
chargebacks that moved money, so a pending claim, an Amazon-funded claim (Buy Shipping
protection included), a denied or withdrawn one is missing; a chargeback's service/fraud nature
is not given; the posted date is when the money moved, on or after the day the claim or
chargeback was received. Several pages (files) are fine: an event repeated in two pages is
read once (:func:`merge_financial_events`), and the seller's own claims log wins where both
speak of the same order and kind.

Every other event list (shipments, refunds, fees, ...) is not a defect and is not read (the
notes count them). ``line`` is the physical line of the event's ``AmazonOrderId`` key; in a JSON
file that is not one event per line it is the event's number in the file, and a note says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from odr_analysis.readers.reports import describe_json
from odr_analysis.readers.source import Text, read_text
from odr_analysis.readers.table import (
    FileRead,
    ReportFormatError,
    duplicate_rows,
    rejects_frame,
)

__all__ = [
    "EVENTS_SCHEMA",
    "EVENT_KINDS",
    "FINANCES_LIMITS",
    "FINANCIAL_EVENTS",
    "merge_financial_events",
    "parse_financial_events",
    "read_financial_events_file",
]

FINANCIAL_EVENTS: Final = "listFinancialEvents (Finances API v0)"

EVENT_KINDS: Final[Mapping[str, tuple[str, str]]] = {
    "GuaranteeClaimEventList": ("a_to_z_claim", "granted"),
    "ChargebackEventList": ("chargeback", "unknown"),
}
"""The event lists read: list -> (defect kind, status)."""

FINANCES_LIMITS: Final = (
    "Finances API events show only the A-to-z claims and chargebacks that moved money: a "
    "pending claim, one Amazon funded (Buy Shipping protection included), denied or withdrawn "
    "is missing",
    "a chargeback event does not say whether it is a service or a fraud chargeback: each is "
    "counted as 'unknown', which counts, conservatively, as the claims log does for a blank "
    "reason",
    "the event date is the posted date (when the money moved), on or after the day the claim "
    "or chargeback was received",
)
"""What financial events cannot say (every file's notes start with these)."""

EVENTS_SCHEMA: Final = pl.Schema(
    {
        "order_id": pl.String(),
        "kind": pl.String(),
        "event_date": pl.Date(),
        "status": pl.String(),
        "marketplace": pl.String(),
        "path": pl.String(),
        "event_key": pl.String(),
        "file": pl.String(),
        "line": pl.Int64(),
    }
)
"""Columns of the rows of :func:`read_financial_events_file`: the claims log's (``order_id``,
``kind``, ``event_date``, ``status``, ``file``, ``line``) plus ``marketplace``
(``MarketplaceName``), ``path`` (the event's JSON path) and ``event_key`` (a digest of the
event object, to find the same event in two pages)."""

_KEY: Final = re.compile(r'"AmazonOrderId"\s*:')


def _json_source(source: Path | Text) -> Text:
    """The file as UTF-8 text (gzip and the encoding decided by
    :mod:`~odr_analysis.readers.source`)."""
    return source if isinstance(source, Text) else read_text(source)


class _Event(dict[str, Any]):
    """A JSON object holding ``AmazonOrderId``, with the number of its key in the document."""

    seq: int = -1


@dataclass
class _Hook:
    """``object_pairs_hook`` that numbers the ``AmazonOrderId`` keys in document order."""

    count: int = 0
    seen: list[int] = field(default_factory=list)

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        n = sum(1 for key, _ in pairs if key == "AmazonOrderId")
        if not n:
            return dict(pairs)
        event = _Event(pairs)
        self.count += n
        event.seq = self.count - 1  # json keeps the last of repeated keys
        return event


def _error(where: str, problem: str, line: int | None = None) -> ReportFormatError:
    head = f"financial events file '{where}'" + (f", line {line}" if line is not None else "")
    return ReportFormatError(
        f"{head}: {problem}; expected a page of the Finances API's financial events "
        f'({FINANCIAL_EVENTS}) saved as JSON: {{"payload": {{"FinancialEvents": {{...}}}}}}',
        file=where,
        line=line,
    )


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def read_financial_events_file(path: str | Path | Text, *, file: str | None = None) -> FileRead:
    """Read one page of financial events into defect rows (format ``financial_events``).

    ``rows``: :data:`EVENTS_SCHEMA`. Rejected: an event that is not an object, has no
    ``AmazonOrderId`` or a ``PostedDate`` that is not an ISO 8601 date-time. Raises
    :class:`~odr_analysis.readers.table.ReportFormatError` naming the file when it is not
    UTF-8 JSON, or is JSON of another kind (an error response, an account-health report, ...).
    """
    source = _json_source(path if isinstance(path, Text) else Path(path))
    file = source.path.name if file is None else file
    where = str(source.path)
    data = source.data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(where, f"is not UTF-8 text (byte {exc.start})") from None
    hook = _Hook()
    try:
        obj = json.loads(text, object_pairs_hook=hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _error(where, f"is not valid JSON ({exc.msg})", exc.lineno) from None
    except ValueError as exc:
        raise _error(where, f"is not valid JSON ({exc})") from None
    starts = [m.start() for m in _KEY.finditer(text)]
    key_lines: list[int] | None = None
    if len(starts) == hook.count:
        key_lines, line, previous = [], 1, 0
        for start in starts:  # one pass over the text, whatever the number of events
            line += text.count("\n", previous, start)
            key_lines.append(line)
            previous = start
    return parse_financial_events(obj, file=file, where=where, key_lines=key_lines)


def parse_financial_events(
    obj: object, *, file: str, where: str | None = None, key_lines: Sequence[int] | None = None
) -> FileRead:
    """Read financial events already parsed from JSON (see :func:`read_financial_events_file`).

    ``key_lines`` gives the physical line of each ``AmazonOrderId`` key in document order (when
    the caller could find them); without it, rows are numbered.

    >>> read = parse_financial_events({"payload": {"FinancialEvents": {
    ...     "ChargebackEventList": [{"AmazonOrderId": "111-0000001-0000001",
    ...                              "PostedDate": "2025-11-02T23:30:00-08:00"}]}}}, file="p.json")
    >>> read.rows.select("order_id", "kind", "event_date", "status").row(0)
    ('111-0000001-0000001', 'chargeback', datetime.date(2025, 11, 3), 'unknown')
    """
    where = file if where is None else where
    events, next_token = _financial_events(obj, where)
    records: list[dict[str, Any]] = []
    for list_name, found in events.items():  # the file's order
        if list_name not in EVENT_KINDS or found is None:
            continue
        if not isinstance(found, list):
            raise _error(where, f"FinancialEvents.{list_name} is not a list")
        kind, status = EVENT_KINDS[list_name]
        for i, event in enumerate(found):
            json_path = f"FinancialEvents.{list_name}[{i}]"
            records.append(_record(event, kind, status, json_path, key_lines))
    rows_read = len(records)
    frame = pl.DataFrame(
        records,
        schema={
            "order_id": pl.String,
            "kind": pl.String,
            "posted": pl.String,
            "status": pl.String,
            "marketplace": pl.String,
            "path": pl.String,
            "event_key": pl.String,
            "line": pl.Int64,
            "_problem": pl.String,
        },
        orient="row",
    )
    # Lines must tell the rows apart: the physical line of each event's AmazonOrderId key when
    # every event that has one got a line of its own, else the events' numbers.
    lines = frame.filter(pl.col("order_id").is_not_null())["line"]
    positional = key_lines is None or lines.is_null().any() or not lines.is_unique().all()
    if positional:
        frame = frame.with_columns(line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    frame = frame.with_columns(
        file=pl.lit(file),
        event_date=pl.col("posted")
        .str.strip_chars()
        .str.to_datetime("%+", strict=False, time_unit="us", time_zone="UTC")
        .dt.date(),
    ).with_columns(
        _problem=pl.coalesce(
            "_problem",
            pl.when(pl.col("event_date").is_null()).then(
                pl.format(
                    "PostedDate '{}' is not an ISO 8601 date-time with a UTC offset (like "
                    "2025-11-02T10:00:00Z)",
                    pl.col("posted").fill_null(""),
                )
            ),
        )
    )
    good = frame.filter(pl.col("_problem").is_null())
    rejects = rejects_frame(
        frame.filter(pl.col("_problem").is_not_null()).select(
            "file",
            "line",
            "order_id",
            column="path",
            value=pl.when(pl.col("order_id").is_not_null()).then("posted"),
            reason="_problem",
            outcome=pl.lit("rejected"),
        )
    )
    notes = [*FINANCES_LIMITS]
    others = {
        name: len(value)
        for name, value in events.items()
        if name not in EVENT_KINDS and isinstance(value, list) and value
    }
    if others:
        shown = ", ".join(f"{name} {n}" for name, n in sorted(others.items()))
        notes.append(f"other events are not defects and are not read ({shown})")
    if next_token:
        notes.append(
            "this page has a NextToken: Amazon has more events for the request; put every "
            "page (file) in the folder"
        )
    if positional and rows_read:
        notes.append(
            "the JSON is not written one event per line: line numbers are the events' numbers "
            "in the file"
        )
    return FileRead(
        file,
        "financial_events",
        good.select(EVENTS_SCHEMA.names()),
        rejects,
        rows_read,
        tuple(notes),
    )


def _financial_events(obj: object, where: str) -> tuple[Mapping[str, Any], bool]:
    """``FinancialEvents`` of a response or a payload, and whether a ``NextToken`` is set."""
    if not isinstance(obj, dict):
        raise _error(where, f"the JSON is {type(obj).__name__}, not an object")
    payload = obj.get("payload")
    body: dict[str, Any] = payload if isinstance(payload, dict) else obj
    events = body.get("FinancialEvents")
    if events is None:
        errors = obj.get("errors")
        if errors:
            raise _error(where, f"it is an error response from Amazon ({_short(errors)})")
        looks = describe_json(obj)
        got = f"it looks like {looks}" if looks else f"its keys are {sorted(body)[:8]}"
        raise _error(where, f"it holds no FinancialEvents: {got}")
    if not isinstance(events, dict):
        raise _error(where, "FinancialEvents is not an object")
    return events, bool(body.get("NextToken"))


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


def _record(
    event: object,
    kind: str,
    status: str,
    json_path: str,
    key_lines: Sequence[int] | None,
) -> dict[str, Any]:
    """One row of the frame (``_problem`` set when the event cannot be used)."""
    record: dict[str, Any] = {
        "order_id": None,
        "kind": kind,
        "posted": None,
        "status": status,
        "marketplace": None,
        "path": json_path,
        "event_key": None,
        "line": None,
        "_problem": None,
    }
    if not isinstance(event, dict):
        record["_problem"] = f"{json_path} is not an object (a ShipmentEvent)"
        return record
    order_id = event.get("AmazonOrderId")
    posted = event.get("PostedDate")
    market = event.get("MarketplaceName")
    record.update(
        order_id=order_id.strip() if isinstance(order_id, str) and order_id.strip() else None,
        posted=posted if isinstance(posted, str) else None if posted is None else str(posted),
        marketplace=market if isinstance(market, str) else None,
        event_key=hashlib.sha1(
            json.dumps(event, sort_keys=True, ensure_ascii=False).encode(), usedforsecurity=False
        ).hexdigest(),
    )
    if isinstance(event, _Event) and key_lines is not None and event.seq < len(key_lines):
        record["line"] = key_lines[event.seq]
    if record["order_id"] is None:
        record["_problem"] = "event without an AmazonOrderId: its order cannot be found"
    return record


def merge_financial_events(
    events: Sequence[FileRead], claims: Sequence[FileRead] = ()
) -> list[FileRead]:
    """The financial events files of an account, ready to be matched to its orders.

    Two rules, each moving rows from ``rows`` to ``rejects`` (outcome ``excluded``):

    * the same event in two pages (the same JSON object: ``event_key``) is read once:
      ``duplicate event (already read from <file> line <n>)``;
    * the seller's own claims log wins where both speak of the same order and kind (an A-to-z
      claim, a chargeback): the log has the claim's status, the event only that money moved:
      ``the claims log speaks of this order's <kind> (<file> line <n>): it wins over the
      financial event``.

    ``events`` are :func:`read_financial_events_file` reads, ``claims`` the
    :func:`~odr_analysis.readers.claims.read_claims_file` reads of the same account (their
    ``rows`` have ``order_id``, ``kind``, ``file``, ``line``). Returns one read per events
    file, in the same order; ``rows_read`` is unchanged, so each file's accounting still adds
    up. An event whose order is not in the orders is left for the caller (as claims are).
    """
    if not events:
        return []
    rows = pl.concat(
        [r.rows.with_columns(_file_index=pl.lit(i, pl.Int32)) for i, r in enumerate(events)]
    )
    repeated = duplicate_rows(rows, ["event_key"]).select(
        "_file_index",
        "line",
        "file",
        "order_id",
        reason=pl.col("_reason").str.replace("duplicate row", "duplicate event", literal=True),
    )
    logged = (
        pl.concat([c.rows.select("order_id", "kind", "file", "line") for c in claims])
        if claims
        else pl.DataFrame(
            schema={"order_id": pl.String, "kind": pl.String, "file": pl.String, "line": pl.Int64}
        )
    )
    first_logged = logged.group_by("order_id", "kind").agg(
        _log_file=pl.col("file").first(), _log_line=pl.col("line").min()
    )
    overridden = (
        rows.join(repeated.select("_file_index", "line"), on=["_file_index", "line"], how="anti")
        .join(first_logged, on=["order_id", "kind"], how="inner")
        .select(
            "_file_index",
            "line",
            "file",
            "order_id",
            reason=pl.format(
                "the claims log speaks of this order's {} ({} line {}): it wins over the "
                "financial event",
                pl.col("kind").replace({"a_to_z_claim": "A-to-z claim"}),
                "_log_file",
                "_log_line",
            ),
        )
    )
    dropped = pl.concat([repeated, overridden])
    merged = []
    for i, read in enumerate(events):
        mine = dropped.filter(pl.col("_file_index") == i)
        if mine.is_empty():
            merged.append(read)
            continue
        kept = read.rows.join(mine.select("line"), on="line", how="anti", maintain_order="left")
        extra = rejects_frame(
            mine.select(
                "file",
                "line",
                "order_id",
                column=pl.lit("AmazonOrderId"),
                value="order_id",
                reason="reason",
                outcome=pl.lit("excluded"),
            )
        )
        merged.append(
            FileRead(
                read.file,
                read.format,
                kept,
                pl.concat([read.rejects, extra]),
                read.rows_read,
                read.notes,
            )
        )
    return merged
