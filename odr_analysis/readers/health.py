"""Amazon's own Order Defect Rate: the account-health report (``GET_V2_SELLER_PERFORMANCE_REPORT``).

The report is JSON (schema ``accountHealthReport-2020-11-18.json``): ``accountStatuses`` (one
status per marketplace) and ``performanceMetrics`` (one object per marketplace) whose
``orderDefectRate`` holds an ``afn`` and an ``mfn`` block with Amazon's window, counts, rate,
target and status. Real reports drift from the schema and the schema's own example contradicts
itself (odr-domain.md 4a), so the reader is lenient about shape and strict about types:

* every field is optional; ``ahrStatus`` or ``accountHealthRatingStatus``; ``warningStates`` or
  ``warningState``, as a list or an object; ``documentRequests`` or ``documentRequest``;
  ``preFulfillmentCancellationRate`` or ``prefulfillmentCancelRate``; unknown keys are kept in
  :attr:`HealthReport.metrics`;
* timestamps with or without seconds and milliseconds (``2020-09-06T00:00Z``,
  ``2020-11-04T23:59:59Z``, ``2020-11-04T23:59:59.999Z``, offsets): the window is the UTC date
  part of ``reportingDateFrom`` and ``reportingDateTo``, both inclusive;
* the channel comes from the key (``afn``/``mfn``), never from ``fulfillmentType`` (the
  schema's example labels its ``afn`` block ``"mfn"``);
* Amazon's ``rate`` is kept as reported; ``rate_recomputed`` is ``orderWithDefects.count /
  orderCount`` and a warning names every block where the two differ by more than the rounding
  of ``rate`` (rule 15: the schema's example has 1078 / 539000 = 0.002 but ``rate`` 0.009);
* a value of the wrong type (``"abc"`` for a count) is an
  :class:`~odr_analysis.schema.OdrInputError` naming the file and the JSON path, never a
  silently wrong number;
* JSON that is not an account-health report is refused, and the message names what it looks
  like (:func:`odr_analysis.readers.reports.describe_json`): a Finances API response is
  financial events (read by :mod:`odr_analysis.readers.finances`), a Reports API record is not
  a report document, ...
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

from odr_analysis.readers.marketplaces import MARKETPLACES
from odr_analysis.readers.reports import FINANCIAL_EVENTS, describe_json, json_report
from odr_analysis.readers.source import Text, read_text
from odr_analysis.schema import OdrInputError

__all__ = [
    "HEALTH_ODR_SCHEMA",
    "METRICS_SCHEMA",
    "HealthReport",
    "empty_health_odr",
    "is_account_health",
    "parse_account_health",
    "rate_tolerance",
    "read_account_health",
]


HEALTH_ODR_SCHEMA: Final = pl.Schema(
    {
        "marketplace_id": pl.String,
        "marketplace": pl.String,
        "channel": pl.String,
        "window_start": pl.Date,
        "window_end": pl.Date,
        "order_count": pl.Int64,
        "defective_orders": pl.Int64,
        "negative_feedback": pl.Int64,
        "a_to_z_claims": pl.Int64,
        "chargebacks": pl.Int64,
        "rate": pl.Float64,
        "rate_recomputed": pl.Float64,
        "target": pl.Float64,
        "target_condition": pl.String,
        "status": pl.String,
        "file": pl.String,
    }
)
"""Columns of :attr:`HealthReport.odr` (one row per marketplace and channel)."""

METRICS_SCHEMA: Final = pl.Schema(
    {
        "marketplace_id": pl.String,
        "marketplace": pl.String,
        "metric": pl.String,
        "field": pl.String,
        "value": pl.Float64,
        "text": pl.String,
        "window_start": pl.Date,
        "window_end": pl.Date,
        "file": pl.String,
    }
)
"""Columns of :attr:`HealthReport.metrics` (one row per leaf value of every other metric)."""

_ACCOUNT_STATUS_SCHEMA: Final = pl.Schema(
    {"marketplace_id": pl.String, "marketplace": pl.String, "status": pl.String, "file": pl.String}
)


def empty_health_odr() -> pl.DataFrame:
    """An :attr:`HealthReport.odr` frame with no rows (for an account without a report)."""
    return pl.DataFrame(schema=HEALTH_ODR_SCHEMA)


@dataclass(frozen=True)
class HealthReport:
    """What one account-health report says.

    Attributes
    ----------
    odr
        One row per marketplace and channel (:data:`HEALTH_ODR_SCHEMA`): Amazon's window
        (``window_start``/``window_end``, inclusive UTC dates), its counts (``order_count``,
        ``defective_orders``, ``negative_feedback``, ``a_to_z_claims``, ``chargebacks``; null
        when absent), its ``rate`` (fraction, as reported), ``rate_recomputed``
        (``defective_orders / order_count``), ``target``, ``target_condition`` and ``status``.
    metrics
        Every other metric, long (:data:`METRICS_SCHEMA`): one row per leaf value, ``field``
        being its path inside the metric (``orderCount``, ``invoiceDefect.count``, ``rate``,
        ``ahrStatus`` ...); numbers in ``value``, text in ``text``. Lists get an index in
        ``metric`` (``lateShipmentRateList[1]``, ``warningStates[0]``).
    account_status
        ``marketplace_id``, ``marketplace``, ``status`` (``NORMAL``, ``AT_RISK``, ...).
    warnings
        Human-readable remarks: rates that disagree with their own counts, unknown marketplace
        ids, ``fulfillmentType`` labels that contradict their key, ...
    file
        The file the report was read from.
    """

    odr: pl.DataFrame
    metrics: pl.DataFrame
    account_status: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    file: str = ""


# Key drift between the schema, its examples and real payloads: alias -> canonical name.
_METRIC_ALIASES: Final = {
    "warningState": "warningStates",
    "documentRequest": "documentRequests",
    "prefulfillmentCancelRate": "preFulfillmentCancellationRate",
}
_ODR_COMPONENTS: Final = {
    "orderWithDefects": "defective_orders",
    "negativeFeedback": "negative_feedback",
    "claims": "a_to_z_claims",
    "chargebacks": "chargebacks",
}
_CONDITIONS: Final = ("LESS_THAN", "GREATER_THAN", "EQUALS")


class _Ctx:
    """Carries the file name and collects warnings while walking the JSON tree."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.warnings: list[str] = []

    def fail(self, path: str, expected: str, got: object) -> OdrInputError:
        if isinstance(got, dict):
            shown = "an object"
        elif isinstance(got, list):
            shown = "a list"
        else:
            shown = json.dumps(got)
        return OdrInputError(f"{self.file}: {path}: expected {expected}, got {shown}")


def _is_missing(value: object) -> bool:
    return value is None


def _get_int(ctx: _Ctx, obj: Mapping[str, Any], key: str, path: str) -> int | None:
    value = obj.get(key)
    if _is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.fail(f"{path}.{key}", "an integer", value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ctx.fail(f"{path}.{key}", "an integer", value)
        value = int(value)
    if value < 0:
        raise ctx.fail(f"{path}.{key}", "a count >= 0", value)
    return value


def _get_number(ctx: _Ctx, obj: Mapping[str, Any], key: str, path: str) -> float | None:
    value = obj.get(key)
    if _is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.fail(f"{path}.{key}", "a number", value)
    return float(value)


def _get_text(ctx: _Ctx, obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if _is_missing(value):
        return None
    if not isinstance(value, str):
        raise ctx.fail(f"{path}.{key}", "a string", value)
    return value


def _get_object(ctx: _Ctx, obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if _is_missing(value):
        return None
    if not isinstance(value, dict):
        raise ctx.fail(f"{path}.{key}", "an object", value)
    return value


def _parse_timestamp(ctx: _Ctx, value: object, path: str) -> dt.date:
    if not isinstance(value, str):
        raise ctx.fail(path, "a UTC timestamp such as 2020-09-06T00:00Z", value)
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ctx.fail(path, "a UTC timestamp such as 2020-09-06T00:00Z", value) from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC)
    return stamp.date()


def _window(ctx: _Ctx, obj: Mapping[str, Any], path: str) -> tuple[dt.date | None, dt.date | None]:
    rng = _get_object(ctx, obj, "reportingDateRange", path)
    if rng is None:
        return None, None
    where = f"{path}.reportingDateRange"
    start = rng.get("reportingDateFrom")
    end = rng.get("reportingDateTo")
    first = None if start is None else _parse_timestamp(ctx, start, f"{where}.reportingDateFrom")
    last = None if end is None else _parse_timestamp(ctx, end, f"{where}.reportingDateTo")
    if first is not None and last is not None and last < first:
        ctx.warnings.append(f"{where}: the window ends ({last}) before it starts ({first})")
    return first, last


def rate_tolerance(rate: float) -> float:
    """Half a unit in the last decimal place of ``rate`` as written: the rounding it may hide.

    A whole number (``0``) is taken as rounded to Amazon's display precision (0.01%).

    >>> rate_tolerance(0.009), rate_tolerance(0.0123), rate_tolerance(0.0)
    (0.0005, 5e-05, 5e-05)
    """
    if not math.isfinite(rate):
        return 0.0
    exponent = Decimal(repr(float(rate))).normalize().as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return _DISPLAY_TOLERANCE
    return 0.5 * 10.0**exponent


_DISPLAY_TOLERANCE: Final = 5e-05
_EPSILON: Final = 1e-12


def _status_agrees(rate: float, target: float, condition: str) -> bool:
    if condition == "LESS_THAN":
        return rate < target
    if condition == "GREATER_THAN":
        return rate > target
    return math.isclose(rate, target)


def _component(ctx: _Ctx, block: Mapping[str, Any], key: str, path: str) -> int | None:
    """``{count, status}`` -> count; a bare number is accepted too."""
    part = block.get(key)
    if _is_missing(part):
        return None
    if isinstance(part, dict):
        return _get_int(ctx, part, "count", f"{path}.{key}")
    if isinstance(part, int | float) and not isinstance(part, bool):
        return _get_int(ctx, block, key, path)
    raise ctx.fail(f"{path}.{key}", "an object with a count", part)


def _check_counts(ctx: _Ctx, row: Mapping[str, Any], path: str) -> None:
    """Rule 15 and friends: the block's rate, counts and components must agree."""
    count, defective, rate = row["order_count"], row["defective_orders"], row["rate"]
    recomputed = row["rate_recomputed"]
    if count is not None and defective is not None and defective > count:
        ctx.warnings.append(
            f"{path}: orderWithDefects.count {defective} is more than orderCount {count}"
        )
    if (
        rate is not None
        and recomputed is not None
        and abs(rate - recomputed) > rate_tolerance(rate) + _EPSILON
    ):
        ctx.warnings.append(
            f"{path}.rate {rate:g} ({rate:.2%}) differs from its own counts: "
            f"orderWithDefects.count / orderCount = {defective}/{count} = "
            f"{recomputed:.6g} ({recomputed:.2%})"
        )
    components = [row[c] for c in ("negative_feedback", "a_to_z_claims", "chargebacks")]
    if (
        defective is not None
        and all(c is not None for c in components)
        and sum(components) < defective
    ):
        ctx.warnings.append(
            f"{path}: the components add up to {sum(components)}, fewer than "
            f"orderWithDefects.count {defective}"
        )


def _check_verdict(ctx: _Ctx, row: Mapping[str, Any], path: str) -> str | None:
    """The target condition, upper-cased; warn when the status contradicts rate and target."""
    condition, rate, target, status = (
        row["target_condition"],
        row["rate"],
        row["target"],
        row["status"],
    )
    if condition is None:
        return None
    if condition.upper() not in _CONDITIONS:
        ctx.warnings.append(
            f"{path}.targetCondition {condition!r} is not one of {', '.join(_CONDITIONS)}"
        )
        return condition
    condition = condition.upper()
    if (
        rate is not None
        and target is not None
        and status in ("GOOD", "BAD")
        and _status_agrees(rate, target, condition) != (status == "GOOD")
    ):
        ctx.warnings.append(
            f"{path}.status {status} contradicts rate {rate:g} {condition} {target:g}"
        )
    return condition


def _odr_row(
    ctx: _Ctx, block: Mapping[str, Any], path: str, channel: str, marketplace_id: str | None
) -> dict[str, Any]:
    first, last = _window(ctx, block, path)
    row: dict[str, Any] = {
        "marketplace_id": marketplace_id,
        "marketplace": _name_of(marketplace_id),
        "channel": channel,
        "window_start": first,
        "window_end": last,
        "order_count": _get_int(ctx, block, "orderCount", path),
        **{column: _component(ctx, block, key, path) for key, column in _ODR_COMPONENTS.items()},
        "rate": _get_number(ctx, block, "rate", path),
        "target": _get_number(ctx, block, "targetValue", path),
        "target_condition": _get_text(ctx, block, "targetCondition", path),
        "status": _get_text(ctx, block, "status", path),
        "file": ctx.file,
    }
    label = _get_text(ctx, block, "fulfillmentType", path)
    if label is not None and label.strip().upper() != channel:
        ctx.warnings.append(
            f"{path}.fulfillmentType says {label!r} inside the {channel.lower()!r} block: "
            f"the block's key decides (channel {channel})"
        )
    rate = row["rate"]
    if rate is not None and rate > 1:
        ctx.warnings.append(
            f"{path}.rate is {rate}, more than 1: read as a percentage ({rate / 100:.6g})"
        )
        row["rate"] = rate / 100
    count, defective = row["order_count"], row["defective_orders"]
    row["rate_recomputed"] = defective / count if count and defective is not None else None
    _check_counts(ctx, row, path)
    row["target_condition"] = _check_verdict(ctx, row, path)
    return row


def _name_of(marketplace_id: str | None) -> str | None:
    found = MARKETPLACES.get(marketplace_id) if marketplace_id is not None else None
    return found.name if found is not None else None


def _flatten(
    ctx: _Ctx, value: Any, prefix: str, path: str, rows: list[tuple[str, float | None, str | None]]
) -> None:
    """Leaves of a metric object as (field path, number, text)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reportingDateRange":
                continue
            name = f"{prefix}.{key}" if prefix else key
            _flatten(ctx, item, name, f"{path}.{key}", rows)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(ctx, item, f"{prefix}[{i}]", f"{path}[{i}]", rows)
    elif value is None:
        return
    elif isinstance(value, bool):
        rows.append((prefix, None, str(value).lower()))
    elif isinstance(value, int | float):
        rows.append((prefix, float(value), None))
    elif isinstance(value, str):
        rows.append((prefix, None, value))
    else:  # pragma: no cover - json.loads produces no other types
        raise ctx.fail(path, "a JSON value", value)


def _warning_states(ctx: _Ctx, value: Any, path: str) -> list[Any]:
    """``warningStates`` as a list of {warningType, status}, from a list or an object."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if "warningType" in value or "status" in value:
            return [value]
        return [{"warningType": key, "status": status} for key, status in value.items()]
    raise ctx.fail(path, "a list or an object", value)


def _metric_rows(
    ctx: _Ctx, key: str, value: Any, path: str, marketplace_id: str | None
) -> list[dict[str, Any]]:
    name = _METRIC_ALIASES.get(key, key)
    base = {
        "marketplace_id": marketplace_id,
        "marketplace": _name_of(marketplace_id),
        "file": ctx.file,
    }
    if name == "warningStates":
        value = _warning_states(ctx, value, path)
    if isinstance(value, list):
        out: list[dict[str, Any]] = []
        for i, item in enumerate(value):
            out.extend(_metric_rows(ctx, f"{name}[{i}]", item, f"{path}[{i}]", marketplace_id))
        return out
    first = last = None
    if isinstance(value, dict):
        first, last = _window(ctx, value, path)
        if name == "accountHealthRating" and "accountHealthRatingStatus" in value:
            value = {
                ("ahrStatus" if k == "accountHealthRatingStatus" else k): v
                for k, v in value.items()
                if not (k == "accountHealthRatingStatus" and "ahrStatus" in value)
            }
    leaves: list[tuple[str, float | None, str | None]] = []
    _flatten(ctx, value, "", path, leaves)
    return [
        {
            **base,
            "metric": name,
            "field": field_name,
            "value": number,
            "text": text,
            "window_start": first,
            "window_end": last,
        }
        for field_name, number, text in leaves
    ]


def is_account_health(obj: object) -> bool:
    """Whether a parsed JSON value looks like an account-health report (its top-level keys)."""
    return isinstance(obj, dict) and ("performanceMetrics" in obj or "accountStatuses" in obj)


def parse_account_health(obj: Mapping[str, Any], *, file: str = "<memory>") -> HealthReport:
    """Read an account-health report already parsed from JSON (see :func:`read_account_health`).

    Examples
    --------
    The schema's own example disagrees with itself; the report keeps Amazon's rate and says so:

    >>> report = parse_account_health({"performanceMetrics": [{
    ...     "marketplaceId": "ATVPDKIKX0DER",
    ...     "orderDefectRate": {"afn": {
    ...         "reportingDateRange": {"reportingDateFrom": "2020-09-06T00:00Z",
    ...                                "reportingDateTo": "2020-11-04T23:59Z"},
    ...         "orderCount": 539000, "orderWithDefects": {"count": 1078, "status": "GOOD"},
    ...         "fulfillmentType": "mfn", "status": "GOOD", "rate": 0.009}}}]})
    >>> report.odr.select("channel", "window_start", "rate", "rate_recomputed").row(0)
    ('AFN', datetime.date(2020, 9, 6), 0.009, 0.002)
    >>> len(report.warnings)
    2
    """
    ctx = _Ctx(file)
    if not is_account_health(obj):
        got = (
            f"an object with keys {sorted(obj)[:8]}"
            if isinstance(obj, dict)
            else type(obj).__name__
        )
        raise OdrInputError(
            f"{file}: not an account-health report (GET_V2_SELLER_PERFORMANCE_REPORT): expected "
            f"a JSON object with 'performanceMetrics' or 'accountStatuses', got {got}"
            + _looks_like(obj)
        )
    status_rows = _account_statuses(ctx, obj.get("accountStatuses"))
    metrics = obj.get("performanceMetrics")
    if metrics is None:
        metrics = []
    if isinstance(metrics, dict):
        metrics = [metrics]
    if not isinstance(metrics, list):
        raise ctx.fail("performanceMetrics", "a list", metrics)
    odr_rows: list[dict[str, Any]] = []
    metric_rows: list[dict[str, Any]] = []
    for i, item in enumerate(metrics):
        odr_part, metric_part = _marketplace_metrics(ctx, item, f"performanceMetrics[{i}]")
        odr_rows += odr_part
        metric_rows += metric_part
    ids = {r["marketplace_id"] for r in [*status_rows, *odr_rows, *metric_rows]}
    for mid in sorted(i for i in ids if i is not None and i not in MARKETPLACES):
        ctx.warnings.append(f"unknown marketplace id {mid!r}: its marketplace name is left empty")
    if not odr_rows:
        ctx.warnings.append(f"{file}: the report holds no orderDefectRate")
    return HealthReport(
        odr=_frame(odr_rows, HEALTH_ODR_SCHEMA).sort("marketplace_id", "channel", nulls_last=True),
        metrics=_frame(metric_rows, METRICS_SCHEMA),
        account_status=_frame(status_rows, _ACCOUNT_STATUS_SCHEMA),
        warnings=ctx.warnings,
        file=file,
    )


def _looks_like(obj: object) -> str:
    """What a JSON value that is not an account-health report is, for the refusal (``''`` when
    it is nothing odr-analysis knows). A Finances response is read as financial events."""
    looks = describe_json(obj)
    if looks is None:
        return ""
    if json_report(obj) is FINANCIAL_EVENTS:
        return (
            f": it is {looks}, read as A-to-z claims and chargebacks by "
            "odr_analysis.readers.finances.read_financial_events_file (load_account does)"
        )
    return f": it looks like {looks}"


def _frame(rows: list[dict[str, Any]], schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _account_statuses(ctx: _Ctx, statuses: Any) -> list[dict[str, Any]]:
    if statuses is None:
        return []
    if isinstance(statuses, dict):
        statuses = [statuses]
    if not isinstance(statuses, list):
        raise ctx.fail("accountStatuses", "a list", statuses)
    rows = []
    for i, item in enumerate(statuses):
        where = f"accountStatuses[{i}]"
        if not isinstance(item, dict):
            raise ctx.fail(where, "an object", item)
        mid = _get_text(ctx, item, "marketplaceId", where)
        status = _get_text(ctx, item, "status", where)
        if status is not None and status not in ("NORMAL", "AT_RISK", "DEACTIVATED"):
            ctx.warnings.append(
                f"{where}.status {status!r} is not in the schema's list "
                "(NORMAL, AT_RISK, DEACTIVATED)"
            )
        rows.append(
            {
                "marketplace_id": mid,
                "marketplace": _name_of(mid),
                "status": status,
                "file": ctx.file,
            }
        )
    return rows


def _marketplace_metrics(
    ctx: _Ctx, item: Any, where: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """ODR rows and other metric rows of one ``performanceMetrics`` element."""
    if not isinstance(item, dict):
        raise ctx.fail(where, "an object", item)
    mid = _get_text(ctx, item, "marketplaceId", where)
    if mid is None:
        ctx.warnings.append(f"{where} has no marketplaceId")
    odr_rows: list[dict[str, Any]] = []
    metric_rows: list[dict[str, Any]] = []
    for key, value in item.items():
        if key == "marketplaceId" or value is None:
            continue
        if key != "orderDefectRate":
            metric_rows += _metric_rows(ctx, key, value, f"{where}.{key}", mid)
            continue
        if not isinstance(value, dict):
            raise ctx.fail(f"{where}.{key}", "an object with 'afn' and 'mfn'", value)
        for sub, block in value.items():
            channel = sub.strip().upper()
            if channel not in ("AFN", "MFN"):
                ctx.warnings.append(
                    f"{where}.{key}.{sub}: unknown channel key ignored (expected afn/mfn)"
                )
            elif block is not None:
                if not isinstance(block, dict):
                    raise ctx.fail(f"{where}.{key}.{sub}", "an object", block)
                odr_rows.append(_odr_row(ctx, block, f"{where}.{key}.{sub}", channel, mid))
    return odr_rows, metric_rows


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def read_account_health(path: str | Path | Text) -> HealthReport:
    """Read an account-health report file (``GET_V2_SELLER_PERFORMANCE_REPORT``, JSON).

    Raises :class:`~odr_analysis.schema.OdrInputError` naming the file when it is not UTF-8
    JSON, not an account-health report, or holds a value of the wrong type (the message gives
    the JSON path, e.g. ``performanceMetrics[0].orderDefectRate.afn.orderCount``).
    """
    source = path if isinstance(path, Text) else read_text(path)
    file = str(source.path)
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OdrInputError(
            f"{file}: not UTF-8 text (byte {exc.start}): an account-health report is JSON"
        ) from None
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise OdrInputError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    except ValueError as exc:
        raise OdrInputError(f"{file}: not valid JSON: {exc}") from None
    return parse_account_health(obj, file=file)
