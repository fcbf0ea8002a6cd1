"""The account-health report reader: Amazon's own ODR, read leniently and checked (rule 15)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.readers.health import (
    HEALTH_ODR_SCHEMA,
    METRICS_SCHEMA,
    HealthReport,
    empty_health_odr,
    is_account_health,
    parse_account_health,
    rate_tolerance,
    read_account_health,
)
from odr_analysis.schema import OdrInputError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "health"
SCHEMA = json.loads((FIXTURES / "accountHealthReport-2020-11-18.json").read_text())
EXAMPLE: dict[str, Any] = SCHEMA["examples"][0]


def _block(**changes: Any) -> dict[str, Any]:
    """The schema's example ODR block with some fields changed (``None`` removes a field)."""
    block = copy.deepcopy(SCHEMA["definitions"]["OrderDefectRate"]["examples"][0])
    for key, value in changes.items():
        if value is None:
            block.pop(key, None)
        else:
            block[key] = value
    return block


def _report(afn: dict[str, Any] | None = None, mfn: dict[str, Any] | None = None) -> dict:
    rates = {k: v for k, v in (("afn", afn), ("mfn", mfn)) if v is not None}
    return {"performanceMetrics": [{"marketplaceId": "ATVPDKIKX0DER", "orderDefectRate": rates}]}


# ------------------------------------------------------------------------------------------
# the schema's own example


def test_schema_example_odr_rows() -> None:
    report = parse_account_health(EXAMPLE, file="example.json")
    assert isinstance(report, HealthReport)
    assert report.odr.schema == HEALTH_ODR_SCHEMA
    assert report.odr["channel"].to_list() == ["AFN", "MFN"]
    row = report.odr.row(0, named=True)
    assert row == {
        "marketplace_id": "ATVPDKIKX0DER",
        "marketplace": "Amazon.com",
        "channel": "AFN",
        "window_start": dt.date(2020, 9, 6),
        "window_end": dt.date(2020, 11, 4),
        "order_count": 539000,
        "defective_orders": 1078,
        "negative_feedback": 628,
        "a_to_z_claims": 442,
        "chargebacks": 15,
        "rate": 0.009,
        "rate_recomputed": pytest.approx(0.002),
        "target": 0.01,
        "target_condition": "LESS_THAN",
        "status": "GOOD",
        "file": "example.json",
    }
    # the window is 60 days, inclusive (E11)
    assert (row["window_end"] - row["window_start"]).days + 1 == 60


def test_schema_example_warns_about_its_own_contradictions() -> None:
    warnings = parse_account_health(EXAMPLE, file="example.json").warnings
    rate_warnings = [w for w in warnings if "differs from its own counts" in w]
    # E4: 1078 / 539000 = 0.002, not the reported 0.009; in both blocks
    assert len(rate_warnings) == 2
    assert "1078/539000" in rate_warnings[0]
    assert any("fulfillmentType says 'mfn' inside the 'afn' block" in w for w in warnings)
    assert any("'SUSPENDED'" in w for w in warnings)
    # documentRequest's window ends before it starts in the example
    assert any("documentRequests" in w or "documentRequest" in w for w in warnings)


def test_schema_example_other_metrics_and_key_drift() -> None:
    report = parse_account_health(EXAMPLE, file="example.json")
    assert report.metrics.schema == METRICS_SCHEMA
    metrics = set(report.metrics["metric"].to_list())
    # aliases are normalised to the schema's names
    assert {"warningStates[0]", "documentRequests", "preFulfillmentCancellationRate"} <= metrics
    assert not {"warningState[0]", "documentRequest", "prefulfillmentCancelRate"} & metrics
    value = report.metrics.filter(
        (pl.col("metric") == "lateShipmentRate") & (pl.col("field") == "lateShipmentCount")
    ).row(0, named=True)
    assert value["value"] == 27896
    assert value["window_end"] == dt.date(2020, 11, 19)
    # E5 and E6 hold in the example: the long frame carries enough to recompute them
    lsr = dict(
        report.metrics.filter(pl.col("metric") == "lateShipmentRate")
        .select("field", "value")
        .iter_rows()
    )
    assert lsr["lateShipmentCount"] / lsr["orderCount"] == pytest.approx(lsr["rate"], abs=1e-9)
    invoice = dict(
        report.metrics.filter(pl.col("metric") == "invoiceDefectRate")
        .select("field", "value")
        .iter_rows()
    )
    assert invoice["invoiceDefect.count"] / invoice["orderCount"] == pytest.approx(
        invoice["rate"], abs=5e-9
    )
    ahr = report.metrics.filter(pl.col("metric") == "accountHealthRating")
    assert ahr.select("field", "text").rows() == [("ahrStatus", "WARNED")]
    assert report.account_status.select("marketplace", "status").rows() == [
        ("Amazon.com", "AT_RISK"),
        ("Amazon.ca", "NORMAL"),
        ("Amazon.com.mx", "SUSPENDED"),
    ]


def test_schema_property_example_as_one_marketplace() -> None:
    # The schema's performanceMetrics example is a single marketplace object, not a list.
    element = SCHEMA["properties"]["performanceMetrics"]["examples"][0]
    report = parse_account_health({"performanceMetrics": element}, file="x.json")
    assert report.odr.height == 2
    assert report.account_status.is_empty()


def test_read_account_health_from_file(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    path.write_text("\ufeff" + json.dumps(EXAMPLE), encoding="utf-8")  # BOM tolerated
    report = read_account_health(path)
    assert report.file == str(path)
    assert report.odr["file"].unique().to_list() == [str(path)]
    assert report.odr["order_count"].to_list() == [539000, 539000]


# ------------------------------------------------------------------------------------------
# a real-world-style payload


def test_real_world_payload() -> None:
    report = read_account_health(FIXTURES / "real-world-de.json")
    odr = report.odr
    assert odr["marketplace"].unique().to_list() == ["Amazon.de"]
    afn = odr.filter(pl.col("channel") == "AFN").row(0, named=True)
    assert afn["window_start"] == dt.date(2025, 6, 1)
    assert afn["window_end"] == dt.date(2025, 7, 30)  # 23:59:59.999Z is still that day
    assert afn["order_count"] == 2503
    # sub-counts are missing: null, never 0
    for column in ("defective_orders", "negative_feedback", "a_to_z_claims", "chargebacks"):
        assert afn[column] is None
    assert afn["rate_recomputed"] is None
    assert afn["rate"] == 0.0012
    mfn = odr.filter(pl.col("channel") == "MFN").row(0, named=True)
    assert (mfn["order_count"], mfn["status"]) == (0, "NONE")
    assert report.warnings == []
    metrics = report.metrics
    ahr = dict(
        metrics.filter(pl.col("metric") == "accountHealthRating")
        .select("field", pl.coalesce(pl.col("text"), pl.col("value").cast(pl.String)))
        .iter_rows()
    )
    assert ahr == {"ahrStatus": "GREAT", "ahrScore": "428.0"}
    assert {"lateShipmentRateList[0]", "lateShipmentRateList[1]"} <= set(metrics["metric"])
    ten_day = metrics.filter(pl.col("metric") == "lateShipmentRateList[0]")
    assert ten_day["window_start"].unique().to_list() == [dt.date(2025, 8, 19)]
    warning = metrics.filter(pl.col("metric") == "warningStates[0]")
    assert dict(warning.select("field", "text").iter_rows()) == {
        "warningType": "spammingSellerMessaging",
        "status": "GOOD",
    }
    pvw = metrics.filter(pl.col("metric") == "policyViolationWarnings")
    assert pvw.select("field", "value").rows() == [("warningsCount", 1.0)]
    assert "documentRequests" not in set(metrics["metric"])  # null: absent


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2020-11-04T23:59Z", dt.date(2020, 11, 4)),
        ("2020-11-04T23:59:59Z", dt.date(2020, 11, 4)),
        ("2020-11-04T23:59:59.999Z", dt.date(2020, 11, 4)),
        ("2020-11-04T23:59:59+00:00", dt.date(2020, 11, 4)),
        ("2020-11-05T01:30:00+02:00", dt.date(2020, 11, 4)),  # converted to UTC first
        ("2020-11-04", dt.date(2020, 11, 4)),
    ],
)
def test_timestamp_variants(stamp: str, expected: dt.date) -> None:
    block = _block(
        reportingDateRange={"reportingDateFrom": "2020-09-06T00:00Z", "reportingDateTo": stamp}
    )
    report = parse_account_health(_report(mfn=block))
    assert report.odr["window_end"].to_list() == [expected]


def test_warning_states_forms() -> None:
    as_list = {"performanceMetrics": [{"warningStates": [{"warningType": "a", "status": "BAD"}]}]}
    as_object = {"performanceMetrics": [{"warningState": {"warningType": "a", "status": "BAD"}}]}
    as_map = {"performanceMetrics": [{"warningStates": {"a": "BAD"}}]}
    frames = [
        parse_account_health(obj).metrics.select("metric", "field", "text")
        for obj in (as_list, as_object, as_map)
    ]
    assert frames[0].rows() == [
        ("warningStates[0]", "warningType", "a"),
        ("warningStates[0]", "status", "BAD"),
    ]
    assert frames[1].equals(frames[0])
    assert frames[2].equals(frames[0])


def test_both_ahr_status_keys() -> None:
    both = {
        "performanceMetrics": [
            {"accountHealthRating": {"ahrStatus": "WARNED", "accountHealthRatingStatus": "GREAT"}}
        ]
    }
    rows = parse_account_health(both).metrics.select("field", "text").rows()
    # ahrStatus is the schema's required key: it wins, the other is dropped
    assert rows == [("ahrStatus", "WARNED")]


# ------------------------------------------------------------------------------------------
# rule 15 and the other consistency checks


@pytest.mark.parametrize(
    ("rate", "warns"),
    [(0.002, False), (0.0020, False), (0.00200001, True), (0.0021, True), (0.009, True)],
)
def test_rate_checked_against_counts_within_rounding(rate: float, warns: bool) -> None:
    report = parse_account_health(_report(mfn=_block(rate=rate, fulfillmentType="mfn")))
    assert any("differs from its own counts" in w for w in report.warnings) is warns


def test_rate_rounded_to_display_precision_is_accepted() -> None:
    # 19/746 = 0.025469...; Amazon shows 2.55%, i.e. 0.0255
    block = _block(orderCount=746, orderWithDefects={"count": 19}, rate=0.0255, status="BAD")
    report = parse_account_health(_report(mfn=block))
    assert not [w for w in report.warnings if "differs" in w]


def test_rate_over_one_is_read_as_percentage() -> None:
    report = parse_account_health(_report(mfn=_block(rate=0.2)))  # 20%: contradicts 0.002
    assert any("differs from its own counts" in w for w in report.warnings)
    report = parse_account_health(
        _report(mfn=_block(rate=2.5, orderWithDefects={"count": 25}, orderCount=1000, status="BAD"))
    )
    assert report.odr["rate"].to_list() == [0.025]
    assert any("read as a percentage" in w for w in report.warnings)
    assert not [w for w in report.warnings if "differs" in w]


def test_status_contradicting_rate_is_flagged() -> None:
    report = parse_account_health(_report(mfn=_block(rate=0.002, status="BAD")))
    assert any("status BAD contradicts rate" in w for w in report.warnings)


def test_components_below_defective_orders_flagged() -> None:
    block = _block(claims={"count": 1}, chargebacks={"count": 0}, negativeFeedback={"count": 2})
    report = parse_account_health(_report(mfn=block))
    assert any("components add up to 3" in w for w in report.warnings)


def test_unknown_marketplace_and_channel() -> None:
    obj = {
        "performanceMetrics": [
            {
                "marketplaceId": "AXXXXXXXXXXXX",
                "orderDefectRate": {"mfn": _block(), "sfp": _block()},
            }
        ]
    }
    report = parse_account_health(obj)
    assert report.odr["marketplace"].to_list() == [None]
    assert report.odr["marketplace_id"].to_list() == ["AXXXXXXXXXXXX"]
    assert any("unknown marketplace id 'AXXXXXXXXXXXX'" in w for w in report.warnings)
    assert any("sfp: unknown channel key" in w for w in report.warnings)


def test_report_without_odr_is_empty_with_columns() -> None:
    report = parse_account_health({"accountStatuses": []}, file="empty.json")
    assert report.odr.schema == HEALTH_ODR_SCHEMA
    assert report.odr.is_empty()
    assert report.metrics.is_empty() and report.metrics.schema == METRICS_SCHEMA
    assert any("holds no orderDefectRate" in w for w in report.warnings)
    assert empty_health_odr().schema == HEALTH_ODR_SCHEMA


BLOCK_KEYS = sorted(_block())


@given(st.sets(st.sampled_from(BLOCK_KEYS)), st.sampled_from(["afn", "mfn", "AFN"]))
def test_every_field_is_optional(dropped: set[str], key: str) -> None:
    block = _block(**dict.fromkeys(dropped))
    report = parse_account_health({"performanceMetrics": [{"orderDefectRate": {key: block}}]})
    row = report.odr.row(0, named=True)
    assert row["channel"] == key.upper()
    assert (row["order_count"] is None) == ("orderCount" in dropped)
    assert (row["rate"] is None) == ("rate" in dropped)
    if "orderCount" not in dropped and "orderWithDefects" not in dropped:
        assert row["rate_recomputed"] == pytest.approx(0.002)
    else:
        assert row["rate_recomputed"] is None


# ------------------------------------------------------------------------------------------
# broken input: a clear error naming the file and the JSON path


def _broken(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "broken.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_wrong_type_names_file_and_path(tmp_path: Path) -> None:
    obj = _report(afn=_block(orderCount="abc"))
    path = _broken(tmp_path, json.dumps(obj))
    with pytest.raises(OdrInputError) as err:
        read_account_health(path)
    assert str(err.value) == (
        f"{path}: performanceMetrics[0].orderDefectRate.afn.orderCount: "
        'expected an integer, got "abc"'
    )


@pytest.mark.parametrize(
    ("change", "where", "expected"),
    [
        ({"orderCount": 1.5}, "afn.orderCount", "expected an integer, got 1.5"),
        ({"orderCount": -3}, "afn.orderCount", "expected a count >= 0, got -3"),
        ({"orderCount": True}, "afn.orderCount", "expected an integer, got true"),
        ({"orderWithDefects": {"count": "7"}}, "afn.orderWithDefects.count", 'got "7"'),
        ({"orderWithDefects": "many"}, "afn.orderWithDefects", "expected an object with a count"),
        ({"rate": "0.9%"}, "afn.rate", 'expected a number, got "0.9%"'),
        ({"status": 1}, "afn.status", "expected a string, got 1"),
        ({"reportingDateRange": []}, "afn.reportingDateRange", "expected an object, got a list"),
        (
            {"reportingDateRange": {"reportingDateFrom": "06/09/2020"}},
            "afn.reportingDateRange.reportingDateFrom",
            "expected a UTC timestamp",
        ),
    ],
)
def test_wrong_types_in_odr_block(change: dict[str, Any], where: str, expected: str) -> None:
    with pytest.raises(OdrInputError, match=r"^bad\.json: ") as err:
        parse_account_health(_report(afn=_block(**change)), file="bad.json")
    assert f"performanceMetrics[0].orderDefectRate.{where}: " in str(err.value)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"performanceMetrics": "x"}, "performanceMetrics: expected a list"),
        ({"performanceMetrics": [3]}, "performanceMetrics[0]: expected an object"),
        ({"performanceMetrics": [{"orderDefectRate": []}]}, "orderDefectRate: expected an object"),
        (
            {"performanceMetrics": [{"orderDefectRate": {"afn": 5}}]},
            "orderDefectRate.afn: expected an object",
        ),
        ({"accountStatuses": "NORMAL"}, "accountStatuses: expected a list"),
        ({"accountStatuses": [{"marketplaceId": 5}]}, "accountStatuses[0].marketplaceId"),
        (
            {"performanceMetrics": [{"warningStates": 3}]},
            "warningStates: expected a list or an object",
        ),
        (
            {
                "performanceMetrics": [
                    {"lateShipmentRate": {"reportingDateRange": {"reportingDateTo": 7}}}
                ]
            },
            "lateShipmentRate.reportingDateRange.reportingDateTo: expected a UTC timestamp",
        ),
    ],
)
def test_wrong_shapes(obj: dict[str, Any], expected: str) -> None:
    with pytest.raises(OdrInputError, match=r"^f\.json: ") as err:
        parse_account_health(obj, file="f.json")
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"performanceMetrics": [', "not valid JSON (line 1, column 25)"),
        ("", "not valid JSON"),
        (
            '{"performanceMetrics": [{"orderDefectRate": {"afn": {"rate": NaN}}}]}',
            "NaN is not a JSON number",
        ),
        (b"\xff\xfe{}", "not valid JSON"),  # UTF-16 (byte-order mark): one CJK character
        ('[{"performanceMetrics": []}]', "not an account-health report"),
        (
            '{"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"}',
            "got an object with keys ['reportType']",
        ),
    ],
)
def test_not_an_account_health_report(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = _broken(tmp_path, content)
    with pytest.raises(OdrInputError) as err:
        read_account_health(path)
    assert str(err.value).startswith(f"{path}: ")
    assert expected in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OdrInputError, match=r"nope.json': cannot be read \(No such file"):
        read_account_health(tmp_path / "nope.json")


def test_is_account_health() -> None:
    assert is_account_health(EXAMPLE)
    assert is_account_health({"accountStatuses": []})
    assert not is_account_health({"payload": {}})
    assert not is_account_health([EXAMPLE])


def test_input_not_mutated() -> None:
    obj = copy.deepcopy(EXAMPLE)
    parse_account_health(obj)
    assert obj == EXAMPLE


def test_rate_tolerance() -> None:
    assert rate_tolerance(0.009) == pytest.approx(0.0005)
    assert rate_tolerance(0.03203973037) == pytest.approx(5e-12)
    assert rate_tolerance(0.0) == pytest.approx(5e-5)
    assert rate_tolerance(float("nan")) == 0.0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"payload": {"FinancialEvents": {"ChargebackEventList": []}}}',
            "got an object with keys ['payload']: it is the Finances API financial events "
            "(listFinancialEvents (Finances API v0)), read as A-to-z claims and chargebacks by "
            "odr_analysis.readers.finances.read_financial_events_file",
        ),
        (
            '{"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"}',
            "got an object with keys ['reportType']: it looks like the Reports API record",
        ),
        ('{"errors": []}', "got an object with keys ['errors']: it looks like the SP-API error"),
        ('{"theme": "dark"}', "got an object with keys ['theme']"),
    ],
)
def test_other_json_is_refused_by_what_it_looks_like(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = _broken(tmp_path, content)
    with pytest.raises(OdrInputError) as err:
        read_account_health(path)
    assert "not an account-health report (GET_V2_SELLER_PERFORMANCE_REPORT)" in str(err.value)
    assert expected in str(err.value)
