"""The portfolio summary for machines (``summary.json``) and the exit status of ``odr-report``.

``odr-report`` writes ``summary.json`` next to ``index.html`` on every run that starts (and,
with ``--json PATH``, the same document to ``PATH``; ``-`` for standard output), so a
scheduled job can post the morning's answer to e-mail or chat without reading HTML. The
document, built by :func:`summary_document` from each account's rows of the portfolio summary
(:data:`~odr_analysis.report.summary.SUMMARY_SCHEMA`), keys always in this order::

    {
      "version": 1,                                # of this layout
      "generated": "2026-02-23T07:02:41+00:00",    # the pages' "Generated on" moment (UTC)
      "data_dir": "/srv/odr/data/raw",             # the data folder read
      "report_dates": ["2026-02-23"],              # the accounts' report dates, once each
      "status": "breached",          # the worst: failed, breached, at_risk or met
      "exit_code": 4,                # odr-report's exit status for it (below)
      "accounts": [                  # by name
        {
          "name": "summit-outdoor",
          "report": "summit-outdoor.html",   # its page beside index.html (null: none)
          "report_date": "2026-02-23",       # null when it could not be reported
          "status": "breached",      # its worst channel; failed when error is set
          "error": null,             # why it could not be reported (or its PDF failed)
          "alerts": [],              # its data alerts, as on its page
          "channels": [              # by marketplace, then channel
            {
              "marketplace": "Amazon.com",
              "channel": "MFN",
              "status": "breached",  # breached, at_risk, met or no_orders
              "odr": 0.02546916890080429,
              "odr_percent": "2.55%",          # as the pages show it
              "defective_orders": 19,
              "order_count": 746,
              "window_start": "2025-12-12",
              "window_end": "2026-02-09",
              "target": 0.01,
              "headroom": -0.015469168901,     # target - odr, negative when over
              "allowed": 0,          # defective orders still allowed under the target
              "over_by": 12,         # defective orders too many
              "expected_matured": 0.02692858643730934,   # once late defects arrived
              "outlook": "Expected under 1% from 13 Mar 2026 (in 18 days), but at or ...",
              "odr_since": 0.031363088057901084,         # at the last report,
              "since": "2026-02-16"                      # that day
            }
          ]
        }
      ]
    }

Dates are ISO strings (``YYYY-MM-DD``); a number or a date that does not exist (no order in the
window, no earlier report) is ``null``, never NaN. A channel's status is
:func:`odr_analysis.portfolio.portfolio_status`'s: ``breached`` at or above the target,
``at_risk`` under it by less than a fifth of it, ``met``, or ``no_orders``.

Exit status (:func:`exit_code`), the first that applies:

* ``2``: the run could not start (a bad command line, no data folder, no account, an output
  folder that is a file); no ``summary.json`` is written;
* ``1``: an account could not be reported (its ``error`` says why) or its PDF failed; the
  document's ``status`` is ``failed``: the accounts that were reported are in it with their
  channels, but the failed account's channels are unknown, so a failure wins over a breach;
* ``4``: at least one channel is over the target (``breached``);
* ``3``: at least one channel is at risk, none over;
* ``0``: every channel meets the target (or has no order in its window).

With ``--exit-zero`` the command exits 0 instead of 3 or 4 (errors still give 1 and 2); the
document's ``exit_code`` is always the status's code above.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import polars as pl

from odr_analysis import words
from odr_analysis.portfolio import portfolio_status
from odr_analysis.report.summary import SUMMARY_SCHEMA

__all__ = [
    "EXIT_AT_RISK",
    "EXIT_BREACHED",
    "EXIT_FAILED",
    "EXIT_MET",
    "EXIT_USAGE",
    "JSON_VERSION",
    "RunStatus",
    "account_record",
    "channel_records",
    "dumps",
    "exit_code",
    "run_status",
    "summary_document",
]

JSON_VERSION: Final = 1
"""The version of the document's layout (a key renamed or removed would raise it)."""

EXIT_MET: Final = 0
"""Every channel meets the target (or has no order in its window)."""
EXIT_FAILED: Final = 1
"""An account could not be reported: the summary is incomplete."""
EXIT_USAGE: Final = 2
"""The run could not start (argparse's own code for a bad command line)."""
EXIT_AT_RISK: Final = 3
"""At least one channel is at risk, none over the target."""
EXIT_BREACHED: Final = 4
"""At least one channel is over the target."""

RunStatus = Literal["failed", "breached", "at_risk", "met"]
_CODES: Final[Mapping[RunStatus, int]] = {
    "failed": EXIT_FAILED,
    "breached": EXIT_BREACHED,
    "at_risk": EXIT_AT_RISK,
    "met": EXIT_MET,
}


class AccountOutcome(Protocol):
    """What the document needs of an account's run (:class:`~odr_analysis.report.AccountRun`)."""

    @property
    def name(self) -> str: ...
    @property
    def html(self) -> Path | None: ...
    @property
    def summary(self) -> pl.DataFrame | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def alerts(self) -> tuple[str, ...]: ...


def run_status(statuses: Iterable[str], *, failed: bool = False) -> RunStatus:
    """The worst of channel statuses: ``failed`` when an account failed, then ``breached``,
    ``at_risk``, else ``met`` (``no_orders`` and no channel at all count as met).

    >>> run_status(["met", "at_risk", "no_orders"]), run_status([]), run_status([], failed=True)
    ('at_risk', 'met', 'failed')
    """
    if failed:
        return "failed"
    seen = set(statuses)
    if "breached" in seen:
        return "breached"
    if "at_risk" in seen:
        return "at_risk"
    return "met"


def exit_code(statuses: Iterable[str], *, failed: bool = False, exit_zero: bool = False) -> int:
    """The exit status of a run that started: 1 when an account failed, else 4 when a channel
    is over the target, 3 when one is at risk, 0 when every channel meets it. ``exit_zero``
    (``--exit-zero``) turns 3 and 4 into 0; a failure stays 1.

    >>> exit_code(["met", "breached", "at_risk"]), exit_code(["at_risk", "met"])
    (4, 3)
    >>> exit_code(["breached"], failed=True), exit_code(["breached"], exit_zero=True)
    (1, 0)
    """
    code = _CODES[run_status(statuses, failed=failed)]
    if exit_zero and code in (EXIT_AT_RISK, EXIT_BREACHED):
        return EXIT_MET
    return code


def _value(value: Any) -> Any:
    """A JSON value: dates as ISO text, NaN and infinities as null."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def channel_records(rows: pl.DataFrame) -> list[dict[str, Any]]:
    """One account's channels as JSON objects, by marketplace and channel.

    ``rows``: the account's rows of :data:`~odr_analysis.report.summary.SUMMARY_SCHEMA`.
    The status and headroom are :func:`~odr_analysis.portfolio.portfolio_status`'s (the
    headroom rounded to 12 decimals, to drop the float subtraction's last digits); the
    rate's text and the outlook's sentence are those of the summary page.
    """
    missing = [c for c in SUMMARY_SCHEMA.names() if c not in rows.columns]
    if missing:
        raise ValueError(f"rows has no column(s) {missing}: pass rows of SUMMARY_SCHEMA")
    if rows.is_empty():
        return []
    ranked = portfolio_status(rows.with_columns(pl.col(pl.Float64).fill_nan(None))).sort(
        "marketplace", "channel", nulls_last=True
    )
    records = []
    for row in ranked.iter_rows(named=True):
        odr, headroom, outlook = row["odr"], row["headroom"], row["outlook"]
        record = {
            "marketplace": row["marketplace"],
            "channel": row["channel"],
            "status": row["status"],
            "odr": odr,
            "odr_percent": None if odr is None else words.pct(odr),
            "defective_orders": row["defective_orders"],
            "order_count": row["order_count"],
            "window_start": row["window_start"],
            "window_end": row["window_end"],
            "target": row["target"],
            "headroom": None if headroom is None else round(headroom, 12),
            "allowed": row["allowed"],
            "over_by": row["over_by"],
            "expected_matured": row["expected_matured"],
            "outlook": None if outlook is None else words.sentence(outlook),
            "odr_since": row["odr_since"],
            "since": row["since"],
        }
        records.append({key: _value(value) for key, value in record.items()})
    return records


def account_record(account: AccountOutcome) -> dict[str, Any]:
    """One account as a JSON object: its report file, error, alerts and channels."""
    rows = account.summary if account.summary is not None else pl.DataFrame(schema=SUMMARY_SCHEMA)
    channels = channel_records(rows)
    dates = sorted({d for d in rows["as_of"].to_list() if d is not None})
    failed = account.error is not None
    return {
        "name": account.name,
        "report": None if account.html is None else account.html.name,
        "report_date": _value(dates[-1]) if dates else None,
        "status": run_status((c["status"] for c in channels), failed=failed),
        "error": account.error,
        "alerts": list(account.alerts),
        "channels": channels,
    }


def summary_document(
    accounts: Sequence[AccountOutcome], *, generated: dt.datetime, data_dir: str | Path
) -> dict[str, Any]:
    """The ``summary.json`` document of a run (layout: the module's docstring).

    ``accounts``: every account's outcome, failed ones included (listed by name);
    ``generated``: the moment of the pages' generated line (a naive time is UTC);
    ``data_dir``: the data folder read.
    """
    records = [account_record(a) for a in sorted(accounts, key=lambda a: a.name)]
    statuses = [c["status"] for a in records for c in a["channels"]]
    failed = any(a["error"] is not None for a in records)
    status = run_status(statuses, failed=failed)
    moment = generated if generated.tzinfo else generated.replace(tzinfo=dt.UTC)
    dates = sorted({a["report_date"] for a in records if a["report_date"] is not None})
    return {
        "version": JSON_VERSION,
        "generated": moment.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "report_dates": dates,
        "status": status,
        "exit_code": _CODES[status],
        "accounts": records,
    }


def dumps(document: Mapping[str, Any]) -> str:
    """The document as JSON text: indented, keys in their order, non-ASCII kept, NaN refused."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
