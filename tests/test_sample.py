"""The sample data: reproducible byte for byte, in Amazon's formats, and telling its stories."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from odr_analysis import sample
from odr_analysis.engine import odr, odr_daily
from odr_analysis.readers.claims import STATUS_WORDINGS, TYPE_WORDINGS
from odr_analysis.readers.health import read_account_health
from odr_analysis.reconcile import reconcile
from odr_analysis.schema import STATUSES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
R = sample.REPORT_DATE
DAY = dt.timedelta(days=1)
COUNTS = ["order_count", "defective_orders", "negative_feedback", "a_to_z_claims", "chargebacks"]


@cache
def truth() -> dict[str, sample.Truth]:
    return sample.build_truth()


@cache
def account(name: str):  # type: ignore[no-untyped-def]
    from odr_analysis.readers.account import load_account

    return load_account(SAMPLE / name)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_regenerates_byte_for_byte(tmp_path: Path) -> None:
    written = sample.write_sample(tmp_path)
    assert {str(p.relative_to(tmp_path)) for p in written} == set(_files(tmp_path))
    committed, fresh = _files(SAMPLE), _files(tmp_path)
    assert sorted(committed) == sorted(fresh)
    different = [name for name in fresh if fresh[name] != committed[name]]
    assert different == [], f"regenerate with `make sample`: {different} differ"


def test_rewriting_replaces_stale_files(tmp_path: Path) -> None:
    stale = tmp_path / "summit-outdoor" / "old-export.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("left over")
    sample.write_sample(tmp_path)
    assert not stale.exists()


def test_size_budget() -> None:
    total = sum(len(b) for b in _files(SAMPLE).values())
    assert total < 6_000_000


# ------------------------------------------------------------------------------------------
# the files, as the readers see them


@pytest.mark.parametrize("name", sample.ACCOUNTS)
def test_loaded_odr_equals_the_account_health_report(name: str) -> None:
    loaded = account(name)
    ours = odr(loaded.orders, loaded.defects, as_of=R)
    report = read_account_health(SAMPLE / name / "account-health.json")
    assert report.warnings == []
    assert report.odr["window_end"].to_list() == [R - 14 * DAY] * 2
    amazon = report.odr.select("channel", *COUNTS).sort("channel")
    assert ours.select("channel", *COUNTS).sort("channel").equals(amazon)
    # and the health rows the loader carries reconcile without a difference
    assert loaded.health.height == 2
    result = reconcile(loaded.orders, loaded.defects, loaded.health)
    assert result["match"].to_list() == [True, True], result["explanation"].to_list()


@pytest.mark.parametrize("name", sample.ACCOUNTS)
def test_loaded_frames_equal_the_truth(name: str) -> None:
    loaded, t = account(name), truth()[name]
    key = ["order_id"]
    assert loaded.orders.height == t.orders.height
    assert (
        loaded.orders.select("order_id", "order_date", "channel", "marketplace")
        .sort(key)
        .equals(t.orders.select("order_id", "order_date", "channel", "marketplace").sort(key))
    )
    columns = ["order_id", "kind", "event_date", "status", "rating"]
    sort = ["order_id", "kind", "event_date", "status"]
    assert (
        loaded.defects.select(columns)
        .sort(sort)
        .equals(t.known_defects().select(columns).sort(sort))
    )


def test_every_status_appears() -> None:
    seen = set(
        pl.concat([account(n).defects.select("kind", "status") for n in sample.ACCOUNTS])
        .unique()
        .iter_rows()
    )
    expected = {(kind, status) for kind, statuses in STATUSES.items() for status in statuses}
    assert expected <= seen


def test_orphan_feedback_is_rejected_not_lost() -> None:
    rejects = account("evergreen-home").rejects
    assert "113-0048815-2211907" in rejects["order_id"].to_list()


def test_mcf_orders_are_in_the_file_but_not_in_orders() -> None:
    loaded = account("evergreen-home")
    raw = (SAMPLE / "evergreen-home" / "All Orders Report.txt").read_text(encoding="utf-8-sig")
    assert "\tNon-Amazon\t" in raw
    assert "Non-Amazon" not in loaded.orders["marketplace"].to_list()


# ------------------------------------------------------------------------------------------
# the files, byte level


def _orders_files(name: str) -> list[Path]:
    return sorted(p for p in (SAMPLE / name).glob("*.txt") if p.name != "feedback.txt")


def test_orders_file_variants() -> None:
    evergreen = _orders_files("evergreen-home")[0].read_bytes()
    assert evergreen.startswith(b"\xef\xbb\xbfamazon-order-id\t")
    assert evergreen.count(b"\r\n") == evergreen.count(b"\n")
    header = evergreen[3:].split(b"\r\n")[0].decode().split("\t")
    assert len(header) == 32 and "url" in header
    tiny = _orders_files("tiny-letterpress")[0].read_text(encoding="utf-8")
    tiny_header = tiny.split("\n")[0].split("\t")
    assert "number-of-items" in tiny_header and "url" not in tiny_header
    assert "\r" not in tiny
    first, second = (
        pl.read_csv(p, separator="\t", infer_schema=False) for p in _orders_files("summit-outdoor")
    )
    overlap = set(first["amazon-order-id"]) & set(second["amazon-order-id"])
    assert len(overlap) > 50  # a week of orders in both exports
    # orders still waiting in the first export are shipped in the second
    changed = first.join(second, on=["amazon-order-id", "sku"], suffix="_later").filter(
        pl.col("order-status") != pl.col("order-status_later")
    )
    assert changed.height > 0
    assert set(changed["order-status"]) <= {"Pending", "Unshipped"}


def test_orders_content() -> None:
    frames = {
        name: pl.concat(
            [
                pl.read_csv(p, separator="\t", infer_schema=False, encoding="utf8-lossy")
                for p in _orders_files(name)
            ],
            how="diagonal",
        ).rename(lambda c: c.lstrip("\ufeff"))
        for name in sample.ACCOUNTS
    }
    evergreen = frames["evergreen-home"]
    offsets = set(evergreen["purchase-date"].str.slice(-6))
    assert {"-08:00", "-07:00"} <= offsets  # Pacific time across DST
    assert {"+00:00", "+01:00"} <= set(frames["tiny-letterpress"]["purchase-date"].str.slice(-6))
    ts = pl.col("purchase-date").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z")
    next_day = evergreen.select(
        (pl.col("purchase-date").str.slice(0, 10).str.to_date() != ts.dt.date()).sum()
    ).item()
    assert next_day > 100  # late-evening orders fall on the next UTC day
    per_order = evergreen.group_by("amazon-order-id").len()
    multi = (per_order["len"] > 1).mean()
    assert 0.10 < multi < 0.22
    assert set(evergreen["fulfillment-channel"]) == {"Amazon", "Merchant"}
    assert {"Amazon.com", "Non-Amazon"} == set(evergreen["sales-channel"])
    assert "Cancelled" in set(evergreen["order-status"])
    assert "true" in set(frames["summit-outdoor"]["is-business-order"])


def test_feedback_files() -> None:
    us = pl.read_csv(SAMPLE / "evergreen-home" / "feedback.txt", separator="\t", infer_schema=False)
    uk = pl.read_csv(
        SAMPLE / "tiny-letterpress" / "feedback.txt",
        separator="\t",
        infer_schema=False,
        quote_char=None,
    )
    assert us.columns == [
        "Date",
        "Rating",
        "Comments",
        "Your Response",
        "Order ID",
        "Rater Email",
        "Status",
    ]
    union = pl.concat(
        [
            pl.read_csv(
                SAMPLE / n / "feedback.txt", separator="\t", infer_schema=False, quote_char=None
            )
            for n in sample.ACCOUNTS
        ]
    )
    assert set(union["Rating"]) == {"1", "2", "3"}  # Amazon's report: 1-3 stars only
    assert {"Removed", "Struck through", "Withdrawn"} <= set(union["Status"].drop_nulls())
    assert union["Rater Email"].str.contains("@marketplace.amazon.").all()
    comments = union["Comments"].to_list()
    assert "<script>alert(1)</script>" in comments
    assert any(c.startswith("=HYPERLINK(") for c in comments)
    # US month first, UK day first
    assert us["Date"].str.strptime(pl.Date, "%m/%d/%y").max() <= R
    assert uk["Date"].str.strptime(pl.Date, "%d/%m/%y").max() <= R
    assert uk["Date"].str.strptime(pl.Date, "%m/%d/%y", strict=False).null_count() > 0


def test_claims_files_use_every_wording() -> None:
    logs = pl.concat(
        [
            pl.read_csv(
                SAMPLE / n / "claims-and-chargebacks.csv",
                infer_schema=False,
            )
            for n in sample.ACCOUNTS
        ]
    )
    assert logs.columns == ["order-id", "type", "date", "status", "amount", "currency", "notes"]
    used = set(logs["status"].fill_null("").str.to_lowercase())
    wordings = {w.lower() for texts in STATUS_WORDINGS.values() for w in texts}
    assert wordings <= used
    assert set(logs["type"]) >= set(TYPE_WORDINGS)
    assert logs["date"].str.to_date("%Y-%m-%d").max() <= R


def test_account_health_json_shape() -> None:
    obj = json.loads((SAMPLE / "summit-outdoor" / "account-health.json").read_text())
    metrics = obj["performanceMetrics"][0]
    assert {"orderDefectRate", "accountHealthRating", "lateShipmentRateList"} <= set(metrics)
    assert metrics["orderDefectRate"]["mfn"]["status"] == "BAD"
    assert obj["accountStatuses"][0]["status"] == "AT_RISK"


# ------------------------------------------------------------------------------------------
# the stories


def _daily(name: str, channel: str, start: dt.date, end: dt.date) -> pl.DataFrame:
    t = truth()[name]
    return odr_daily(t.orders, t.known_defects(), start=start, end=end).filter(
        pl.col("channel") == channel
    )


def test_story_summit_breach_then_recovery() -> None:
    mfn = _daily("summit-outdoor", "MFN", R - 150 * DAY, R + 60 * DAY)
    before = mfn.filter(pl.col("as_of") < dt.date(2025, 12, 1))
    on_report = mfn.filter(pl.col("as_of") == R).row(0, named=True)
    after = mfn.filter(pl.col("as_of") > R)
    assert before["odr"].max() < 0.01  # healthy before the holiday wave
    assert mfn["odr"].max() > 0.03  # the wave pushes it well over
    assert on_report["odr"] > 0.01  # a live breach on the report date
    recovered = after.filter(pl.col("odr") < 0.01)["as_of"]
    assert recovered.len() > 0 and recovered.min() <= R + 60 * DAY
    assert recovered.min() > R + 7 * DAY  # ... within the following weeks, not at once


def test_story_evergreen_healthy() -> None:
    t = truth()["evergreen-home"]
    for row in odr(t.orders, t.known_defects(), as_of=R).iter_rows(named=True):
        assert 0.002 <= row["odr"] < 0.01
    shares = t.orders.group_by("channel").len().sort("channel")["len"]
    assert shares[0] / shares.sum() > 0.8  # FBA heavy


def test_story_tiny_one_defect_moves_whole_points() -> None:
    t = truth()["tiny-letterpress"]
    row = (
        odr(t.orders, t.known_defects(), as_of=R)
        .filter(pl.col("channel") == "MFN")
        .row(0, named=True)
    )
    assert row["order_count"] < 100
    assert row["defective_orders"] == 1
    assert 1 / row["order_count"] >= 0.01  # one defect: at least a whole point
    ahead = _daily("tiny-letterpress", "MFN", R, R + 14 * DAY)
    assert ahead["defective_orders"].max() == 2  # an already-received defect joins the window


def test_some_defects_arrive_after_the_report_date() -> None:
    later = sum(t.defects.height - t.known_defects().height for t in truth().values())
    assert later > 0
    assert all(t.known_defects()["event_date"].max() <= R for t in truth().values())
