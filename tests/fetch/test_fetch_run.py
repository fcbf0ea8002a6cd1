"""odr-fetch end to end: python-amazon-sp-api's real code path against a local fake Amazon.

Every request of the library (token, Reports API, Finances API) and every document download
goes through :class:`~fake_amazon.ToFake` to a pytest-httpserver; nothing sleeps (the
``sleep`` hook records the waits).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytest.importorskip("sp_api")
pytest.importorskip("pytest_httpserver")

from pytest_httpserver import HTTPServer

from odr_analysis.fetch.run import fetch_all, main
from odr_analysis.fetch.store import STATE_FILE
from odr_analysis.readers import load_account

from .fake_amazon import FakeAmazon, Seller, ToFake

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
ACCOUNTS = {"acme": ["US", "CA"], "bravo": ["US"], "tokyo": ["JP"]}


class Interrupted(BaseException):
    """Stands for a kill: not an ``Exception``, so nothing catches it."""


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    from sp_api.auth import access_token_client

    access_token_client.cache.clear()
    yield
    access_token_client.cache.clear()


@pytest.fixture
def sellers(monkeypatch: pytest.MonkeyPatch) -> list[Seller]:
    out = [Seller("acme", feedback=True), Seller("bravo", refused=True), Seller("tokyo")]
    for name in ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN", "SP_API_AWS_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SP_API_DEFAULT_MARKETPLACE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent-odr-fetch-test")  # no credentials.yml
    for s in out:
        monkeypatch.setenv(f"LWA_APP_ID_{s.profile}", s.app_id)
        monkeypatch.setenv(f"LWA_CLIENT_SECRET_{s.profile}", s.client_secret)
        monkeypatch.setenv(f"SP_API_REFRESH_TOKEN_{s.profile}", s.refresh_token)
    return out


def portfolio(root: Path, accounts: dict[str, list[str]] = ACCOUNTS) -> Path:
    for name, marketplaces in accounts.items():
        folder = root / name
        folder.mkdir(parents=True)
        listed = ", ".join(f'"{m}"' for m in marketplaces)
        (folder / "account.toml").write_text(
            f'[amazon]\nmarketplaces = [{listed}]\nprofile = "{name}"\n'
        )
    (root / "not-an-account").mkdir()  # no account.toml: does not take part
    return root


def serve(httpserver: HTTPServer, fake: FakeAmazon) -> ToFake:
    httpserver.clear()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)
    return ToFake(httpserver.url_for("/"))


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != STATE_FILE
    }


def run(root: Path, transport: ToFake, **options: Any) -> tuple[list[Any], list[str], list[float]]:
    lines: list[str] = []
    waits: list[float] = []
    options.setdefault("now", NOW)
    options.setdefault("sleep", waits.append)
    results = fetch_all(root, echo=lines.append, transport=transport, **options)
    return results, lines, waits


def test_first_run_writes_what_the_readers_read_and_the_second_fetches_nothing(  # noqa: PLR0915
    tmp_path: Path,
    httpserver: HTTPServer,
    sellers: list[Seller],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    root = portfolio(tmp_path / "portfolio")
    sellers[0].feedback = True
    fake = FakeAmazon(sellers, NOW, throttle=1)
    transport = serve(httpserver, fake)

    status = main([str(root), "--jobs", "2"], transport=transport, now=NOW, sleep=lambda s: None)
    out = capsys.readouterr()
    assert status == 1  # bravo's token was refused

    acme, tokyo = root / "acme", root / "tokyo"
    gz = {"US": "", "CA": ".gz"}
    names = sorted(p.name for p in acme.iterdir())
    slices = [
        "2026-08-06-to-2026-09-04",
        "2026-09-05-to-2026-10-04",
        "2026-10-05-to-2026-11-03",
        "2026-11-04-to-2026-12-03",
        "2026-12-04-to-2027-01-02",
    ]
    assert names == sorted(
        [
            ".odr-fetch.json",
            "account-health-2026-12-04.json",
            "account.toml",
            "feedback-CA.txt.gz",
            "feedback-US.txt",
            "financial-events-2026-12-04-p1.json",
            "financial-events-2026-12-04-p2.json",
            "financial-events-2026-12-04-p3.json",
            *(f"all-orders-US-{s}.txt" for s in slices),
            *(f"all-orders-CA-{s}.txt.gz" for s in slices),
        ]
    )
    # Amazon's bytes as served: gzip kept, Shift_JIS kept.
    jp = gzip.decompress((tokyo / "all-orders-JP-2026-11-04-to-2026-12-03.txt.gz").read_bytes())
    assert "ウィジェット".encode("cp932") in jp
    assert "遅い".encode("cp932") in gzip.decompress((tokyo / "feedback-JP.txt.gz").read_bytes())
    page = json.loads((acme / "financial-events-2026-12-04-p1.json").read_text())
    assert set(page["payload"]["FinancialEvents"]) >= {"GuaranteeClaimEventList"}

    # The readers take every file as written, each feedback report in its own marketplace's
    # date format (US month-first, CA day-first).
    account = load_account(acme)
    formats = dict(account.ingest.select("file", "format").iter_rows())
    notes = dict(account.ingest.select("file", "note").iter_rows())
    for country in ("US", "CA"):
        assert formats[f"all-orders-{country}-2026-08-06-to-2026-09-04.txt{gz[country]}"] == (
            "all_orders"
        )
        assert formats[f"feedback-{country}.txt{gz[country]}"] == "seller_feedback"
    assert notes["feedback-US.txt"].startswith("dates read as M/D/YY")
    assert notes["feedback-CA.txt.gz"].startswith("dates read as D/M/YY")
    assert formats["account-health-2026-12-04.json"] == "account_health"
    assert formats["financial-events-2026-12-04-p2.json"] == "financial_events"
    assert set(account.orders["marketplace"]) == {"Amazon.com", "Amazon.ca"}
    assert account.feedback.height == 4
    assert account.health.height == 4
    japan = load_account(tokyo)
    assert japan.orders.height > 0 and japan.feedback.height == 2

    # Progress and summary.
    lines = out.err.splitlines()
    assert "[acme] all orders US 2026-10-05..2026-11-03: done (" in "\n".join(lines)
    assert any(
        re.fullmatch(r"\[acme\] all orders US 2026-10-05\.\.2026-11-03: done \(\d+\.\d kB\)", x)
        for x in lines
    )
    assert "odr-fetch summary:" in out.out
    assert "  acme: ok: " in out.out and "  tokyo: ok: " in out.out
    assert "  bravo: FAILED" in out.out
    stopped = [x for x in out.out.splitlines() if x.startswith("    stopped:")]
    assert len(stopped) == 1 and "profile 'bravo'" in stopped[0]
    assert "invalid_grant" in stopped[0] and "SP_API_REFRESH_TOKEN_bravo" in stopped[0]
    assert sorted(p.name for p in (root / "bravo").iterdir()) == ["account.toml"]

    # The real hosts were called, and the library asked for one token per account.
    hosts = {h for h, _m, _p in fake.log}
    assert hosts == {
        "api.amazon.com",
        "sellingpartnerapi-na.amazon.com",
        "sellingpartnerapi-fe.amazon.com",
        "tortuga-prod-na.s3-external-1.amazonaws.com",
    }
    assert fake.count("POST", "/auth/o2/token") == 3

    # No secret anywhere: files (state included), output, log records.
    # (Log records: every logger at DEBUG, python-amazon-sp-api's and httpx's included; httpx
    # logs the presigned URL of a document at INFO, so its signature is only checked in ours.)
    secrets = [x for s in sellers for x in (s.refresh_token, s.client_secret, s.access_token)]
    written = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in [*secrets, "fake-signature"]:
        assert secret.encode() not in written
        assert secret not in out.out + out.err
    for secret in secrets:
        assert secret not in logged
    assert "[redacted]" in out.out  # the refused token echoed by the fake was blanked

    # A second run: nothing new, not a single request.
    before = files(root)
    fake.log.clear()
    results, _, _ = run(root, transport, now=NOW + dt.timedelta(hours=1))
    # Only bravo, whose token was refused, tries its token again; acme and tokyo: nothing.
    assert fake.log == [("api.amazon.com", "POST", "/auth/o2/token")]
    assert files(root) == before
    acme_result = next(r for r in results if r.name == "acme")
    assert {o.status for o in acme_result.outcomes} == {"up to date"}


def test_next_day_fetches_the_trailing_stretch_and_a_new_snapshot(
    tmp_path: Path, httpserver: HTTPServer, sellers: list[Seller]
) -> None:
    root = portfolio(tmp_path / "p", {"acme": ["US"]})
    fake = FakeAmazon(sellers, NOW)
    transport = serve(httpserver, fake)
    run(root, transport)
    first_slice = (root / "acme" / "all-orders-US-2026-08-06-to-2026-09-04.txt").stat().st_mtime_ns

    fake.log.clear()
    results, lines, _ = run(root, transport, now=NOW + dt.timedelta(days=1))
    assert not results[0].failed
    # Only the slices ending within the last 30 days, the feedback and the health report.
    assert fake.count("POST", "/reports/2021-06-30/reports") == 2 + 1 + 1
    assert any("all orders US 2026-11-04..2026-12-03: done" in x for x in lines)
    assert not any("2026-08-06" in x for x in lines)
    assert (
        root / "acme" / "all-orders-US-2026-08-06-to-2026-09-04.txt"
    ).stat().st_mtime_ns == first_slice
    assert (root / "acme" / "account-health-2026-12-05.json").is_file()
    assert (root / "acme" / "account-health-2026-12-04.json").is_file()
    # Financial events posted since the last fetch (2 days of overlap): a new batch of pages.
    assert (root / "acme" / "financial-events-2026-12-05-p1.json").is_file()

    # Later the same day (--fresh-hours 1): the day's snapshot is kept, the new one gets "-2".
    run(root, transport, now=NOW + dt.timedelta(days=1, hours=2), fresh_hours=1)
    assert (root / "acme" / "account-health-2026-12-05-2.json").is_file()
    assert (root / "acme" / "financial-events-2026-12-05-2-p1.json").is_file()
    load_account(root / "acme")


def test_polling_throttling_and_waits(
    tmp_path: Path, httpserver: HTTPServer, sellers: list[Seller]
) -> None:
    root = portfolio(tmp_path / "p", {"acme": ["US"]})
    fake = FakeAmazon(sellers, NOW, throttle=2)
    transport = serve(httpserver, fake)
    results, _, waits = run(root, transport)
    assert not results[0].failed
    # 429 with x-amzn-RateLimit-Limit: 0.0167 requests per second -> wait 1/0.0167 s, twice.
    assert waits[:2] == [pytest.approx(1 / 0.0167)] * 2
    # Each report: IN_QUEUE -> IN_PROGRESS -> DONE, polled three times with 5 s then 10 s.
    assert waits[2:4] == [5.0, 10.0]
    reports = fake.count("POST", "/reports/2021-06-30/reports")
    assert reports == 5 + 1 + 1 + 2  # 5 slices, feedback, health (+2 throttled tries)
    assert fake.count("GET", "/reports/2021-06-30/reports/") == 3 * 7
    assert fake.count("GET", "/finances/v0/financialEvents") == 3  # NextToken pagination


def test_cancelled_feedback_is_no_data_and_fatal_reports_its_error_document(
    tmp_path: Path, httpserver: HTTPServer, sellers: list[Seller]
) -> None:
    root = portfolio(tmp_path / "p", {"acme": ["US"]})
    (root / "acme" / "feedback-US.txt").write_text("left by an earlier run\n")
    sellers[0].feedback = False
    sellers[0].fatal = {"GET_V2_SELLER_PERFORMANCE_REPORT"}
    fake = FakeAmazon(sellers, NOW)
    transport = serve(httpserver, fake)
    results, lines, _ = run(root, transport)
    (result,) = results
    assert result.failed and result.error is None
    statuses = {o.report: (o.status, o.detail) for o in result.outcomes}
    assert statuses["feedback US"][0] == "no data"
    assert not (root / "acme" / "feedback-US.txt").exists()
    status, detail = statuses["account health"]
    assert status == "failed"
    assert "FATAL" in detail and "Report request failed: internal error 0x51" in detail
    assert any(x.startswith("[acme] account health: failed (") and "0x51" in x for x in lines)
    assert sum(o.status == "done" for o in result.outcomes) == 5 + 1  # slices + finances
    assert not list((root / "acme").glob("account-health*"))
    state = json.loads((root / "acme" / STATE_FILE).read_text())
    assert state["feedback"]["US"]["no_data"] is True
    assert state["pending"] == {}


def test_an_interrupted_run_resumes_to_the_same_files(
    tmp_path: Path, httpserver: HTTPServer, sellers: list[Seller]
) -> None:
    accounts = {"acme": ["US", "CA"], "tokyo": ["JP"]}
    whole = portfolio(tmp_path / "whole", accounts)
    run(whole, serve(httpserver, FakeAmazon(sellers, NOW)))

    broken = portfolio(tmp_path / "broken", accounts)
    fake = FakeAmazon(sellers, NOW)
    transport = serve(httpserver, fake)

    def killing_sleep(seconds: float) -> None:
        if fake.downloads >= 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(broken, transport, sleep=killing_sleep)
    assert fake.downloads == 4
    assert not [p for p in broken.rglob(".*part*")]
    fake.log.clear()
    results, _lines, _ = run(broken, transport)
    assert not any(r.failed for r in results)
    # Killed while polling acme's 5th US slice (4 downloaded): that report is polled again, not
    # asked for anew; then CA's 5 slices, 2 feedback, health, and tokyo's 5 + 1 + 1.
    assert fake.count("POST", "/reports/2021-06-30/reports") == 5 + 2 + 1 + 7
    assert files(broken) == files(whole)


def test_a_half_written_file_of_a_killed_run_is_removed(
    tmp_path: Path, httpserver: HTTPServer, sellers: list[Seller]
) -> None:
    root = portfolio(tmp_path / "p", {"acme": ["US"]})
    part = root / "acme" / ".all-orders-US-2026-08-06-to-2026-09-04.txt.part-1-0"
    part.write_bytes(b"amazon-order-id\tpurch")
    run(root, serve(httpserver, FakeAmazon(sellers, NOW)))
    assert not part.exists()


def test_a_fetched_portfolio_is_reported_and_its_snapshots_are_history(
    tmp_path: Path, httpserver: HTTPServer, sellers: list[Seller]
) -> None:
    # From nothing: odr-fetch fills three accounts (bravo's token is refused), odr-report runs
    # on the result, and every day's account-health snapshot is a day of Amazon's history.
    from odr_analysis.history import health_history
    from odr_analysis.readers import load_portfolio
    from odr_analysis.report.run import run_reports

    root = portfolio(tmp_path / "portfolio")
    shutil.rmtree(root / "not-an-account")
    transport = serve(httpserver, FakeAmazon(sellers, NOW))
    run(root, transport)
    run(root, transport, now=NOW + dt.timedelta(days=1))

    loaded = load_portfolio(root)
    assert sorted(loaded.orders["account"].unique()) == ["acme", "tokyo"]
    assert loaded.alerts == (
        "bravo: no reports yet (only account.toml: odr-fetch has fetched nothing for it): not "
        "in the figures",
    )
    history = health_history(root / "acme")
    assert sorted(history["snapshot"].unique()) == [dt.date(2026, 12, 4), dt.date(2026, 12, 5)]
    assert set(history["dated_by"]) == {"file name"}
    odr_rows = history.filter(pl.col("metric") == "orderDefectRate")
    assert odr_rows.group_by("snapshot").len().sort("snapshot")["len"].to_list() == [4, 4]

    result = run_reports(root, tmp_path / "reports", echo=lambda line: None, jobs=1)
    by_name = {a.name: a for a in result.accounts}
    assert by_name["acme"].ok and by_name["tokyo"].ok
    assert not by_name["bravo"].ok and "holds no files" in (by_name["bravo"].error or "")
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert [a["name"] for a in summary["accounts"]] == ["acme", "bravo", "tokyo"]
    assert summary["exit_code"] == 1  # an account could not be reported
