"""Amazon's own figures over time (odr_analysis.history) and their charts.

Snapshots are built from Amazon's schema example (shared/reference) and from the sample's
account-health.json with shifted windows and changed values, in a temporary account folder
named as odr-fetch names them (account-health-YYYY-MM-DD.json, -2 for a second one that day).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from builders import LSR, weekly_snapshots

from odr_analysis import charts, notebook
from odr_analysis.engine import odr
from odr_analysis.history import (
    HISTORY_SCHEMA,
    health_history,
    latest_health,
    metric_name,
    reconcile_history,
    snapshot_dates,
)
from odr_analysis.readers import load_account

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SCHEMA = Path("/work/shared/reference/accountHealthReport-2020-11-18.json")
D = dt.date(2026, 2, 23)


def _example() -> dict[str, Any]:
    if SCHEMA.exists():
        return json.loads(SCHEMA.read_text())["examples"][0]
    pytest.skip("Amazon's schema example is not on this machine")


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """summit-outdoor with three weekly snapshots instead of its one account-health.json."""
    return weekly_snapshots(tmp_path_factory.mktemp("history") / "summit-outdoor")


@pytest.fixture(scope="module")
def account(snapshots: Path):
    return load_account(snapshots)


@pytest.fixture(scope="module")
def history(account) -> pl.DataFrame:
    return health_history(account)


def _row(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    found = frame.filter(**where)
    assert found.height == 1, (where, found)
    return found.row(0, named=True)


# --- Amazon's schema example ------------------------------------------------------------------


def test_schema_example_row_by_row(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "account-health-2020-11-19.json").write_text(json.dumps(_example()))
    frame = health_history(folder)
    assert frame.schema == HISTORY_SCHEMA
    assert frame["snapshot"].unique().to_list() == [dt.date(2020, 11, 19)]
    assert frame["dated_by"].unique().to_list() == ["file name"]
    us = frame.filter(pl.col("marketplace_id") == "ATVPDKIKX0DER")
    lsr = _row(us, metric="lateShipmentRate")
    assert (lsr["window_start"], lsr["window_end"], lsr["window_days"]) == (
        dt.date(2020, 10, 21),
        dt.date(2020, 11, 19),
        30,
    )
    assert (lsr["value"], lsr["unit"], lsr["count"], lsr["total"]) == (
        0.03203973037,
        "rate",
        27896,
        870669,
    )
    assert (lsr["target"], lsr["target_condition"], lsr["status"]) == (0.04, "LESS_THAN", "GOOD")
    assert lsr["meets_target"] is True
    # the example's misspelt key, its 0.01 target (help pages: 2.5%) and a rate that is not
    # its own counts' (551 / 17197 = 3.2%): all kept as Amazon gave them
    cancel = _row(us, metric="preFulfillmentCancellationRate")
    assert (cancel["value"], cancel["target"], cancel["window_days"]) == (0.005, 0.01, 7)
    assert cancel["rate_recomputed"] == pytest.approx(551 / 17197)
    unit = _row(us, metric="unitOnTimeDeliveryRate")
    assert (unit["count"], unit["total"], unit["meets_target"], unit["status"]) == (
        146,
        165,
        False,
        "GOOD",
    )
    vtr = _row(us, metric="validTrackingRate")
    assert (vtr["count"], vtr["total"]) == (896462, 878443)  # the example's impossible counts
    ahr = _row(us, metric="accountHealthRating")
    assert (ahr["status"], ahr["value"], ahr["window_days"]) == ("WARNED", None, 181)
    docs = _row(us, metric="documentRequests")  # its window runs backwards
    assert (docs["window_start"], docs["window_days"], docs["value"]) == (
        dt.date(2020, 11, 21),
        None,
        8.0,
    )
    assert docs["meets_target"] is False and docs["status"] == "GOOD"
    warning = _row(us, metric="warningStates")
    assert (warning["detail"], warning["status"]) == ("spammingSellerMessaging", "BAD")
    listing = _row(us, metric="listingPolicyViolations")
    assert (listing["value"], listing["unit"], listing["count"], listing["status"]) == (
        86.0,
        "count",
        86,
        "BAD",
    )
    odr_rows = us.filter(metric="orderDefectRate").sort("channel")
    assert odr_rows["channel"].to_list() == ["AFN", "MFN"]
    assert odr_rows["count"].to_list() == [1078, 1078]
    assert odr_rows["negative_feedback"].to_list() == [628, 628]
    statuses = dict(frame.filter(metric="accountStatus").select("marketplace_id", "status").rows())
    assert statuses == {
        "ATVPDKIKX0DER": "AT_RISK",
        "A2EUQ1WTGCTBG2": "NORMAL",
        "A1AM78C64UM0Y8": "SUSPENDED",
    }
    # the metrics come in METRIC_ORDER: the ODR first, the shipping metrics next
    assert us["metric"].unique(maintain_order=True).to_list()[:3] == [
        "orderDefectRate",
        "lateShipmentRate",
        "preFulfillmentCancellationRate",
    ]


def test_an_undated_file_is_dated_by_its_windows(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "account-health.json").write_text(json.dumps(_example()))
    frame = health_history(folder)
    # latest window end: the rating's and the late shipment rate's, 19 Nov 2020 (the ODR's
    # 4 Nov + 14 days is 18 Nov)
    assert frame.select("snapshot", "dated_by").unique().rows() == [
        (dt.date(2020, 11, 19), "report windows")
    ]
    only_odr = pl.DataFrame({"account": "a", "file": "x.json", "window_end": [dt.date(2026, 2, 9)]})
    assert snapshot_dates(only_odr)["snapshot"].to_list() == [D]


# --- snapshots of the sample ------------------------------------------------------------------


def test_history_has_every_snapshot_with_its_own_windows(history: pl.DataFrame) -> None:
    days = [D - dt.timedelta(days=14), D - dt.timedelta(days=7), D]
    assert history["snapshot"].unique().sort().to_list() == days
    lsr = history.filter(metric="lateShipmentRate").sort("snapshot", "window_days")
    # two windows per snapshot (lateShipmentRateList), the top-level 30-day one not repeated
    assert lsr["window_days"].to_list() == [10, 30] * 3
    thirty = lsr.filter(window_days=30)
    assert thirty["value"].to_list() == [LSR[-14], LSR[-7], LSR[0]]
    assert thirty["window_end"].to_list() == [d - dt.timedelta(days=1) for d in days]
    assert thirty["meets_target"].to_list() == [False, True, True]
    assert thirty["status"].to_list() == ["GOOD"] * 3  # Amazon's own, kept as given
    assert history.filter(metric="accountHealthRating")["value"].to_list() == [286, 293, 300]
    assert history.filter(metric="accountStatus")["status"].to_list() == [
        "NORMAL",
        "AT_RISK",
        "AT_RISK",
    ]
    mfn = history.filter(metric="orderDefectRate", channel="MFN")
    assert mfn["window_end"].to_list() == [d - dt.timedelta(days=14) for d in days]
    assert mfn["value"].to_list() == [0.0255] * 3
    assert (mfn["count"].to_list(), mfn["total"].to_list()) == ([19] * 3, [746] * 3)


def test_a_second_snapshot_the_same_day_is_the_newest(snapshots: Path, tmp_path: Path) -> None:
    folder = tmp_path / "summit-outdoor"
    shutil.copytree(snapshots, folder)
    doc = json.loads((folder / "account-health-2026-02-23.json").read_text())
    doc["performanceMetrics"][0]["orderDefectRate"]["mfn"]["rate"] = 0.03
    (folder / "account-health-2026-02-23-2.json").write_text(json.dumps(doc))
    account = load_account(folder)
    dates = snapshot_dates(account.health, account.health_metrics)
    assert dates.select("snapshot", "snapshot_number").rows()[-2:] == [(D, 1), (D, 2)]
    today = latest_health(account.health)
    assert today["file"].unique().to_list() == ["account-health-2026-02-23-2.json"]
    assert _row(today, channel="MFN")["rate"] == 0.03
    frame = health_history(account).filter(metric="orderDefectRate", channel="MFN")
    assert frame["snapshot_number"].to_list() == [1, 1, 1, 2]


def test_reconcile_history_is_the_engine_on_each_snapshots_window(account) -> None:
    ours = reconcile_history(account)
    assert ours.height == 6
    for row in ours.iter_rows(named=True):
        assert row["as_of"] == row["window_end"] + dt.timedelta(days=14)
        assert row["snapshot"] == row["as_of"]
        engine = odr(account.orders, account.defects, as_of=row["as_of"]).filter(
            channel=row["channel"]
        )
        assert row["window_start"] == engine["window_start"][0]
        assert row["order_count_ours"] == engine["order_count"][0]
        assert row["defective_orders_ours"] == engine["defective_orders"][0]
        assert row["rate_ours"] == pytest.approx(engine["odr"][0])
    # Amazon's counts did not move with the shifted windows: only the newest matches
    assert ours.filter("match")["snapshot"].unique().to_list() == [D]
    newest = reconcile_history(account, newest_only=True)
    assert newest["snapshot"].unique().to_list() == [D] and newest.height == 2


def test_loading_several_snapshots_keeps_today_the_newest(snapshots: Path) -> None:
    data = notebook.load(snapshots, quiet=True)
    assert data.health.height == 6
    assert notebook.default_as_of(data) == D
    assert latest_health(data.health)["window_end"].unique().to_list() == [
        D - dt.timedelta(days=14)
    ]


def test_a_portfolio_keeps_each_accounts_snapshots_apart() -> None:
    portfolio = notebook.load(SAMPLE, quiet=True)
    frame = health_history(portfolio)
    assert frame["account"].unique().sort().to_list() == [
        "evergreen-home",
        "summit-outdoor",
        "tiny-letterpress",
    ]
    assert frame["dated_by"].unique().to_list() == ["report windows"]
    assert frame["snapshot"].unique().to_list() == [D]
    assert latest_health(portfolio.health).height == portfolio.health.height == 6


def test_metric_names_in_words() -> None:
    assert metric_name("validTrackingRate") == "Valid tracking rate"
    assert metric_name("somethingAmazonAddsLater") == "Something amazon adds later"


# --- charts -----------------------------------------------------------------------------------


def _datasets(chart: Any) -> list[list[dict[str, Any]]]:
    return list(chart.to_dict()["datasets"].values())


def _subtitle(spec: dict[str, Any]) -> str:
    sub = spec["title"].get("subtitle", [])
    return " ".join(sub) if isinstance(sub, list) else sub


def test_health_history_chart_panels_and_data(history: pl.DataFrame) -> None:
    chart = charts.health_history_chart(history)
    spec = chart.to_dict()
    titles = [
        p["title"]["text"] if isinstance(p["title"], dict) else p["title"] for p in spec["concat"]
    ]
    assert titles[:3] == ["Order Defect Rate", "Late shipment rate", "Pre-fulfilment cancel rate"]
    assert "Account Health Rating" in titles
    assert "Listing policy violations" not in titles  # 0 in every snapshot: named instead
    assert "listing policy violations" in _subtitle(spec)
    assert "3 snapshots, 09 Feb 2026 to 23 Feb 2026." in _subtitle(spec)
    lsr = charts.health_metric_chart(history, "lateShipmentRate").to_dict()
    rows = max(_datasets_of(lsr), key=len)
    thirty = sorted((r["snapshot"], r["value"]) for r in rows if r["series"] == "30-day window")
    assert [v for _, v in thirty] == [LSR[-14], LSR[-7], LSR[0]]
    ringed = [d for d in _datasets_of(lsr) if len(d) == 1 and "value" in d[0]]
    assert [r["value"] for d in ringed for r in d] == [
        LSR[-14]
    ]  # the one that misses the 4% target
    goal = [d for d in _datasets_of(lsr) if d and set(d[0]) == {"goal"}]
    assert goal == [[{"goal": 0.04}]]
    assert "Dashed: Amazon's target, under 4%." in _subtitle(lsr)


def test_health_charts_zoom_their_snapshot_dates_together(history: pl.DataFrame) -> None:
    """One zoom (an interval bound to the x scales) over every panel; Vega accepts it.

    The panels zooming together in a browser: tests/test_browser_charts.py.
    """
    import warnings

    import vl_convert as vlc

    assert "params" not in charts.health_history_chart(history).to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # altair's warning about merging the panels' zooms
        chart = charts.health_history_chart(history, zoom=True)
        spec = chart.to_dict()
    (zoom,) = spec["params"]
    assert zoom["bind"] == "scales" and zoom["select"] == {"type": "interval", "encodings": ["x"]}
    panels = [p for p in spec["concat"] if "layer" in p]
    assert len(panels) == 7
    assert charts.to_svg(spec).lstrip().startswith("<svg")  # Vega parses it (no duplicate)
    vega = json.dumps(vlc.vegalite_to_vega(spec))  # the zoom in each panel, once
    assert vega.count(f'"name": "{zoom["name"]}_tuple"') == len(panels)
    (one,) = charts.health_metric_chart(history, "lateShipmentRate", zoom=True).to_dict()["params"]
    assert one["bind"] == "scales"


def _datasets_of(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(spec["datasets"].values())


def test_one_snapshot_still_draws_and_says_history_grows() -> None:
    one = health_history(load_account(SAMPLE / "tiny-letterpress"))
    spec = charts.health_history_chart(one).to_dict()
    assert "One snapshot so far (23 Feb 2026)" in _subtitle(spec)
    assert "grows with each run of odr-fetch" in _subtitle(spec)
    assert any(
        u.get("mark", {}) == {"type": "point", "filled": True, "size": 45, "opacity": 1}
        for u in _units(spec)
    )


def _units(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "mark" in node:
            found.append(node)
        for value in node.values():
            found += _units(value)
    elif isinstance(node, list):
        for value in node:
            found += _units(value)
    return found


def test_reconcile_history_chart_has_both_rates_per_snapshot(account) -> None:
    ours = reconcile_history(account)
    spec = charts.reconcile_history_chart(ours).to_dict()
    rows = max(_datasets_of(spec), key=len)
    assert len(rows) == 12  # 3 snapshots x 2 channels x (Amazon's, ours)
    mfn = {(r["snapshot"][:10], r["amazon"]): r["rate"] for r in rows if r["channel"] == "MFN"}
    expected = ours.filter(channel="MFN").sort("snapshot")
    for row in expected.iter_rows(named=True):
        day = row["snapshot"].isoformat()
        assert mfn[(day, True)] == row["rate_amazon"]
        assert mfn[(day, False)] == pytest.approx(row["rate_ours"])
    ringed = [d for d in _datasets_of(spec) if d and len(d) == 4]
    assert ringed and all(not r["match"] for r in ringed[0])
    assert "Ringed: a snapshot where ours differs from Amazon's." in _subtitle(spec)


def test_charts_of_an_account_without_snapshots_say_so() -> None:
    account = load_account(SAMPLE / "summit-outdoor")
    empty = health_history(account).clear()
    assert charts.health_history_chart(empty).to_dict()["mark"]["type"] == "text"
    none = reconcile_history(account).clear()
    assert charts.reconcile_history_chart(none).to_dict()["mark"]["type"] == "text"


def test_odr_fetch_region_names_are_dated_by_their_name() -> None:
    files = ["account-health-EU-2026-12-04.json", "account-health-fe-2026-12-05-2.json"]
    ends = [dt.date(2026, 11, 20)] * 2
    health = pl.DataFrame({"account": ["a", "a"], "file": files, "window_end": ends})
    dated = snapshot_dates(health)
    assert dated.select("file", "snapshot", "snapshot_number", "dated_by").rows() == [
        ("account-health-EU-2026-12-04.json", dt.date(2026, 12, 4), 1, "file name"),
        ("account-health-fe-2026-12-05-2.json", dt.date(2026, 12, 5), 2, "file name"),
    ]
