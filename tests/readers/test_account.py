"""One folder = one account (odr_analysis.readers.account), on tests/fixtures/readers/."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.engine import odr
from odr_analysis.readers.account import (
    ACCOUNT_REJECTS_SCHEMA,
    HEALTH_SCHEMA,
    INGEST_SCHEMA,
    Account,
    detect_format,
    load_account,
    load_portfolio,
)
from odr_analysis.readers.feedback import is_feedback_header
from odr_analysis.readers.health import HEALTH_ODR_SCHEMA
from odr_analysis.readers.orders import ITEMS_SCHEMA, ORDERS_FRAME_SCHEMA
from odr_analysis.readers.source import read_text
from odr_analysis.readers.table import ReportFormatError
from odr_analysis.schema import OdrInputError, validate_defects, validate_orders

FIXTURES = Path(__file__).parents[1] / "fixtures" / "readers"
ACCOUNTS = FIXTURES / "accounts"
ACME = ACCOUNTS / "acme-us"
ACCOUNT_FOLDERS = sorted(p for p in ACCOUNTS.iterdir() if p.is_dir())
BROKEN = FIXTURES / "broken"


@pytest.fixture(scope="module")
def acme() -> Account:
    return load_account(ACME)


def _data_lines(path: Path) -> int:
    """Independent count (not through readers.source): lines after the header that hold
    something, in each fixture's known encoding."""
    data = path.read_bytes()
    if data.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp932" if path.parent.name.endswith("-jp") else "cp1252")
    return sum(1 for line in text.splitlines()[1:] if line.strip())


def _frames(account: Account) -> dict[str, pl.DataFrame]:
    names = ("orders", "defects", "items", "feedback", "health", "ingest", "rejects")
    return {name: getattr(account, name) for name in names}


@pytest.mark.parametrize("folder", ACCOUNT_FOLDERS, ids=lambda p: p.name)
def test_every_row_read_is_accounted_for(folder: Path) -> None:
    account = load_account(folder)
    ingest = account.ingest
    assert ingest["file"].to_list() == sorted(p.name for p in folder.iterdir())
    assert (ingest["rows_read"] == ingest["kept"] + ingest["excluded"] + ingest["rejected"]).all()
    rejects = account.rejects.group_by("file", "outcome").len()
    kept = pl.concat([account.items.select("file"), account.feedback.select("file")])
    kept = kept.group_by("file").len()
    for row in ingest.iter_rows(named=True):
        path = folder / row["file"]
        if row["format"] == "account_health":
            continue
        assert _data_lines(path) == row["rows_read"], row["file"]
        for outcome in ("excluded", "rejected"):
            counted = rejects.filter(
                (pl.col("file") == row["file"]) & (pl.col("outcome") == outcome)
            )
            assert row[outcome] == (counted["len"].item() if counted.height else 0), row
        if row["format"] in ("all_orders", "seller_feedback"):
            got = kept.filter(pl.col("file") == row["file"])
            assert row["kept"] == (got["len"].item() if got.height else 0), row
    # Claims rows become defects (which do not carry the file): compare the totals.
    claims = ingest.filter(pl.col("format") == "claims")["kept"].sum()
    assert account.defects.filter(pl.col("kind") != "negative_feedback").height == claims
    assert account.defects.filter(pl.col("kind") == "negative_feedback").height == (
        account.feedback.height
    )


@pytest.mark.parametrize("folder", ACCOUNT_FOLDERS, ids=lambda p: p.name)
def test_frames_are_canonical(folder: Path) -> None:
    account = load_account(folder)
    validate_orders(account.orders).collect()
    validate_defects(account.defects).collect()
    assert account.orders.schema == ORDERS_FRAME_SCHEMA
    assert account.items.schema == ITEMS_SCHEMA
    assert account.ingest.schema == INGEST_SCHEMA
    assert account.rejects.schema == ACCOUNT_REJECTS_SCHEMA
    assert account.health.schema == HEALTH_SCHEMA
    assert account.feedback.columns == [
        "account",
        "order_id",
        "date",
        "rating",
        "comments",
        "response",
        "status",
        "file",
        "line",
    ]
    for name, frame in _frames(account).items():
        if "account" in frame.columns:
            assert frame["account"].unique().to_list() in ([], [folder.name]), name


@pytest.mark.parametrize("folder", ACCOUNT_FOLDERS, ids=lambda p: p.name)
def test_no_rater_email_reaches_any_frame(folder: Path) -> None:
    emails = set()
    for path in folder.iterdir():
        text = read_text(path).data.decode("utf-8")  # gzip, cp932, cp1252 as the readers see it
        header = text.splitlines()[0].split("\t")
        if is_feedback_header(header):  # the rater's e-mail is the sixth column in every language
            emails |= {line.split("\t")[5] for line in text.splitlines()[1:] if line.strip()}
    account = load_account(folder)
    for name, frame in _frames(account).items():
        assert not [c for c in frame.columns if "email" in c.lower()], name
        values = {v for col in frame.select(pl.col(pl.String)).iter_columns() for v in col if v}
        assert not values & emails, name
        assert not [v for v in values if "@" in v], name


def test_acme_orders(acme: Account) -> None:
    orders = {r["order_id"]: r for r in acme.orders.iter_rows(named=True)}
    assert len(orders) == 11
    assert {k: (v["channel"], v["order_date"].isoformat()) for k, v in orders.items()} == {
        "111-0000001-0000001": ("AFN", "2025-10-05"),
        "111-0000002-0000002": ("MFN", "2025-10-11"),  # 23:30 -07:00 is the next UTC day
        "111-0000003-0000003": ("MFN", "2025-10-11"),  # Amazon + Merchant items
        "111-0000005-0000005": ("MFN", "2025-10-20"),
        "111-0000006-0000006": ("MFN", "2025-10-31"),
        "111-0000009-0000009": ("AFN", "2025-11-01"),
        "111-0000010-0000010": ("AFN", "2025-10-15"),
        "111-0000011-0000011": ("MFN", "2025-10-12"),
        "111-0000013-0000013": ("AFN", "2025-11-03"),
        "111-0000014-0000014": ("MFN", "2025-11-05"),
        "111-0000015-0000015": ("AFN", "2025-11-05"),
    }
    assert orders["111-0000005-0000005"]["order_status"] == "Cancelled"
    assert orders["111-0000006-0000006"]["order_status"] == "Shipped"
    assert acme.name == "acme-us"
    assert repr(acme).splitlines() == [
        "Account('acme-us': 5 file(s), 11 orders, 11 defect rows, 15 rejects; 3 ALERT(S)):",
        *(f"  ! {alert}" for alert in acme.alerts),
    ]


def test_rejects_that_change_the_rates_are_alerts(acme: Account) -> None:
    # Orders rows 10, 11, 16 of October are rejected and their orders are missing. Feedback
    # lines 6 (month 13) and 10 (rating 6) are unreadable, claims lines 6, 7, 9 too; feedback
    # line 8 (an unknown order dated 11/10/25) is after the last order (5 November): the
    # orders files may end too early. Line 11's order is the rejected orders row 10.
    assert acme.alerts == (
        "3 orders row(s) could not be read (All Orders 2025-10.txt: 3): their orders are missing "
        "from the order counts, so the rates may be wrong; fix the rows (see the rejects)",
        "5 feedback, claim or chargeback row(s) that may be defects are not counted "
        "(claims-and-chargebacks.csv: 3, feedback.txt: 2): an unreadable value, or an order "
        "missing from the orders files although they cover the days it was placed; the rates "
        "may be too low (see the rejects)",
        "1 feedback, claim or chargeback row(s) dated after the last order (2025-11-05) are for "
        "orders the orders files do not hold (feedback.txt: 1): add the orders report for the "
        "days since, or the rates of recent windows are wrong",
    )
    assert load_account(ACCOUNTS / "london-uk").alerts == ()


def test_acme_rejects_say_why(acme: Account) -> None:
    got = {
        (r["file"], r["line"]): (r["outcome"], r["reason"])
        for r in acme.rejects.iter_rows(named=True)
    }
    feedback = {line: v for (file, line), v in got.items() if file == "feedback.txt"}
    assert feedback[6][0] == "rejected" and "13/11/25" in feedback[6][1]
    assert feedback[7] == (
        "excluded",
        "order is an MCF order (sales-channel Non-Amazon), not in ODR",
    )
    assert feedback[8] == ("rejected", "order not in the orders report")
    assert feedback[9] == ("excluded", "duplicate row (already read from feedback.txt line 2)")
    assert feedback[11] == (
        "rejected",
        "order not in the orders report (its rows there were rejected)",
    )
    assert got[("All Orders 2025-11.txt", 3)] == (
        "excluded",
        "duplicate row (already read from All Orders 2025-10.txt line 2)",
    )
    assert got[("All Orders 2025-10.txt", 16)][1].startswith("the line has 10 fields")
    claims = {line for (file, line) in got if file == "claims-and-chargebacks.csv"}
    assert claims == {6, 7, 9}


def test_acme_defects(acme: Account) -> None:
    defects = acme.defects.sort("kind", "order_id", "event_date")
    assert defects.select("order_id", "kind", "event_date", "status", "rating").rows() == [
        (
            "111-0000003-0000003",
            "a_to_z_claim",
            dt.date(2025, 11, 12),
            "buy_shipping_protected",
            None,
        ),
        ("111-0000005-0000005", "a_to_z_claim", dt.date(2025, 11, 1), "granted", None),
        ("111-0000006-0000006", "a_to_z_claim", dt.date(2025, 11, 8), "denied", None),
        (
            "111-0000011-0000011",
            "a_to_z_claim",
            dt.date(2025, 11, 13),
            "withdrawn_after_grant",
            None,
        ),
        ("111-0000010-0000010", "chargeback", dt.date(2025, 11, 9), "unknown", None),
        ("111-0000013-0000013", "chargeback", dt.date(2025, 11, 10), "fraud", None),
        ("111-0000001-0000001", "negative_feedback", dt.date(2025, 10, 20), "active", 1),
        ("111-0000002-0000002", "negative_feedback", dt.date(2025, 11, 2), "active", 2),
        ("111-0000002-0000002", "negative_feedback", dt.date(2025, 11, 10), "active", 3),
        ("111-0000010-0000010", "negative_feedback", dt.date(2025, 11, 8), "active", 3),
        ("111-0000013-0000013", "negative_feedback", dt.date(2025, 11, 5), "active", 1),
    ]
    comments = acme.feedback.filter(pl.col("order_id") == "111-0000013-0000013")["comments"]
    assert comments.to_list() == ["never came, write me at [email removed]"]


def test_acme_odr_from_the_engine(acme: Account) -> None:
    """The loaded account, through the engine: Amazon's rules decide, to the order."""
    result = odr(acme.orders, acme.defects, as_of="2025-11-30").sort("channel")
    # AFN: 001 (1 star), 013 (1 star; its fraud chargeback does not count), 010 (unknown
    # chargeback counts; its 3-star feedback does not) of 5. MFN: 005 (granted claim), 011
    # (withdrawn after refund) of 6; 002's 2 stars were revised to 3, 006 denied, 003 protected.
    assert result.select("channel", "order_count", "defective_orders").rows() == [
        ("AFN", 5, 3),
        ("MFN", 6, 2),
    ]
    assert result["negative_feedback"].to_list() == [2, 0]
    assert result["chargebacks"].to_list() == [1, 0]
    assert result["a_to_z_claims"].to_list() == [0, 2]


def test_acme_health_report(acme: Account) -> None:
    health = acme.health.sort("channel")
    assert health.select("account", "marketplace", "channel", "order_count", "file").rows() == [
        ("acme-us", "Amazon.com", "AFN", 6, "account-health.json"),
        ("acme-us", "Amazon.com", "MFN", 6, "account-health.json"),
    ]
    assert health["window_end"].to_list() == [dt.date(2025, 11, 17)] * 2
    empty = load_account(ACCOUNTS / "tokyo-jp").health
    assert empty.is_empty()
    assert empty.schema == pl.Schema({"account": pl.String, **HEALTH_ODR_SCHEMA})


@pytest.mark.parametrize(
    ("name", "orders", "dates"),
    [
        (
            "hamburg-de",
            5,
            {"302-0000002-0000002": "2025-10-28", "302-0000003-0000003": "2025-11-03"},
        ),
        ("tokyo-jp", 2, {"503-0000001-0000001": "2025-11-03", "503-0000002-0000002": "2025-12-01"}),
        (
            "london-uk",
            2,
            {"202-0000001-0000001": "2025-11-04", "202-0000002-0000002": "2025-12-01"},
        ),
    ],
)
def test_feedback_dates_follow_the_orders_marketplace(
    name: str, orders: int, dates: dict[str, str]
) -> None:
    account = load_account(ACCOUNTS / name)
    assert account.orders.height == orders
    got = {r["order_id"]: r["date"].isoformat() for r in account.feedback.iter_rows(named=True)}
    assert {k: got[k] for k in dates} == dates


def test_hamburg_statuses_and_offsets() -> None:
    account = load_account(ACCOUNTS / "hamburg-de")
    statuses = dict(account.feedback.select("order_id", "status").iter_rows())
    assert statuses == {
        "302-0000002-0000002": "struck_through",
        "302-0000003-0000003": "active",
        "302-0000004-0000004": "removed",
        "302-0000005-0000005": "withdrawn",
    }
    dates = dict(account.orders.select("order_id", "order_date").iter_rows())
    assert dates["302-0000002-0000002"] == dt.date(2025, 10, 25)  # 00:30 +01:00 is the day before
    assert account.rejects.select("file", "line").rows() == [
        ("Bestellungen.txt", 8),
        ("Feedback.txt", 5),
    ]


def test_header_only_files_give_empty_frames() -> None:
    account = load_account(ACCOUNTS / "header-only")
    assert account.orders.is_empty() and account.defects.is_empty() and account.rejects.is_empty()
    assert account.ingest.select("file", "rows_read").rows() == [
        ("claims.csv", 0),
        ("orders.txt", 0),
    ]


@pytest.mark.parametrize(
    ("folder", "file", "message"),
    [
        ("claims-line-break", "claims.csv", "line 2: a quoted value runs over a line break"),
        ("comma-separated", "orders.csv", "comma-separated, not tab-separated"),
        ("empty", "orders.txt", "is empty"),
        ("feedback-without-orders", "feedback.txt", "no orders to take it from: pass marketplace="),
        ("missing-column", "orders.txt", "line 1: missing column 'purchase-date'"),
        (
            "mixed-marketplaces",
            "feedback.txt",
            # one file speaks of an Amazon.com order and an Amazon.co.uk one
            "it speaks of orders of Amazon.co.uk, Amazon.com; the orders span marketplaces whose "
            "feedback reports write dates differently",
        ),
        ("no-offsets", "orders.txt", "2 of 2 purchase-date values are not ISO 8601"),
        ("not-a-report", "notes.txt", "is not a file odr-analysis reads"),
        ("not-health-json", "settings.json", "not an account-health report"),
        ("truncated", "orders.txt", "line 4: the file ends in the middle of a row"),
        ("wrong-marketplace", "feedback.txt", "2 of 3 dates are not valid in the format M/D/YY"),
    ],
)
def test_unreadable_files_are_errors_that_name_them(folder: str, file: str, message: str) -> None:
    with pytest.raises(OdrInputError, match=message) as info:
        load_account(BROKEN / folder)
    assert str(BROKEN / folder / file) in str(info.value)


def test_every_broken_fixture_is_tested() -> None:
    tested = {
        "claims-line-break", "comma-separated", "empty", "feedback-without-orders",
        "missing-column", "mixed-marketplaces", "no-offsets", "not-a-report", "not-health-json",
        "truncated", "wrong-marketplace",
    }  # fmt: skip
    assert {p.name for p in BROKEN.iterdir()} == tested


def test_marketplace_argument_wins(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    shutil.copytree(BROKEN / "feedback-without-orders", folder)
    account = load_account(folder, marketplace="UK")  # 1/2/25 is 1 February
    assert account.feedback.is_empty()
    assert account.rejects.select("line", "reason").rows() == [
        (2, "order not in the orders report")
    ]
    shutil.copytree(BROKEN / "mixed-marketplaces", tmp_path / "both")
    account = load_account(tmp_path / "both", marketplace="Amazon.com")
    assert account.feedback["date"].to_list() == [dt.date(2025, 1, 2), dt.date(2025, 2, 1)]


def test_files_are_recognised_by_content_not_name(tmp_path: Path) -> None:
    folder = tmp_path / "acme-us"
    folder.mkdir()
    for i, path in enumerate(sorted(ACME.iterdir())):
        shutil.copy(path, folder / f"download [{i}] (copy).dat")  # [ ] would be a glob
    (folder / ".DS_Store").write_bytes(b"\x00\x01binary")
    (folder / "archive").mkdir()
    renamed = load_account(folder)
    original = load_account(ACME)
    assert renamed.ingest["format"].to_list() == original.ingest["format"].to_list()
    assert renamed.orders.equals(original.orders)
    assert renamed.defects.equals(original.defects)


def test_detect_format() -> None:
    assert detect_format(ACME / "All Orders 2025-10.txt") == "all_orders"
    assert detect_format(ACME / "feedback.txt") == "seller_feedback"
    assert detect_format(ACME / "claims-and-chargebacks.csv") == "claims"
    assert detect_format(ACME / "account-health.json") == "account_health"
    assert detect_format(ACCOUNTS / "README.md") is None
    assert detect_format(BROKEN / "comma-separated" / "orders.csv") == "all_orders"


def test_missing_or_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(OdrInputError, match="does not exist"):
        load_account(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(OdrInputError, match="holds no files"):
        load_account(tmp_path / "empty")
    with pytest.raises(OdrInputError, match="holds no account folders"):
        load_portfolio(tmp_path / "empty")


def test_portfolio_concatenates_accounts() -> None:
    portfolio = load_portfolio(ACCOUNTS)  # its README.md is not a report: ignored
    assert portfolio.name == "accounts"
    accounts = [load_account(f) for f in ACCOUNT_FOLDERS]
    assert portfolio.orders.height == sum(a.orders.height for a in accounts)
    assert portfolio.ingest.height == sum(a.ingest.height for a in accounts)
    assert sorted(portfolio.orders["account"].unique()) == [
        "acme-us",
        "hamburg-de",
        "london-uk",
        "seattle-cp1252",
        "seattle-utf16",
        "tokyo-jp",
    ]
    validate_orders(portfolio.orders).collect()
    validate_defects(portfolio.defects).collect()


def test_portfolio_marketplace_per_account_and_stray_reports(tmp_path: Path) -> None:
    shutil.copytree(BROKEN / "feedback-without-orders", tmp_path / "a")
    shutil.copytree(ACCOUNTS / "tokyo-jp", tmp_path / "b")
    portfolio = load_portfolio(tmp_path, marketplace={"a": "US"})
    assert portfolio.ingest["account"].to_list() == ["a", "b", "b"]
    shutil.copy(ACME / "feedback.txt", tmp_path / "feedback.txt")
    with pytest.raises(ReportFormatError, match="put it into a folder named after its account"):
        load_portfolio(tmp_path)


def test_encodings_and_compression_are_decided_per_file_and_said() -> None:
    notes = dict(load_portfolio(ACCOUNTS).ingest.select("file", "note").iter_rows())
    assert notes["Feedback.txt"].endswith("Windows-1252 text")  # German header, Latin-1 bytes
    assert notes["Reklamationen.csv"] == "Windows-1252 text; semicolon-separated"  # German Excel
    assert notes["orders.txt.gz"] == "gzip-compressed; 2 order(s)"
    tokyo = load_account(ACCOUNTS / "tokyo-jp")
    assert dict(tokyo.ingest.select("file", "note").iter_rows())["feedback.txt"] == (
        "dates read as YY/M/D (%y/%m/%d, the format of Amazon.co.jp); Shift_JIS (cp932) text "
        "(told by its double-byte characters)"
    )
    assert tokyo.feedback["comments"].to_list()[0] == "遅い"
    hamburg = load_account(ACCOUNTS / "hamburg-de")
    assert hamburg.feedback["comments"].to_list()[0] == "Zu spät"
    claims = hamburg.defects.filter(pl.col("kind") == "a_to_z_claim")
    assert claims.select("order_id", "status").rows() == [("302-0000003-0000003", "granted")]


def test_an_encoding_override_wins(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    shutil.copytree(ACCOUNTS / "seattle-cp1252", folder)
    account = load_account(folder, encoding="latin-1")
    assert account.orders.height == 2
    assert account.ingest["note"].item() == "ISO-8859-1 text (encoding= given); 2 order(s)"
    with pytest.raises(ReportFormatError, match=r"orders.txt.*line 3"):
        load_account(folder, encoding="utf-8")


def test_financial_events_become_defects_and_the_claims_log_wins(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    for name in ("All Orders 2025-10.txt", "All Orders 2025-11.txt"):
        shutil.copy(ACME / name, folder / name)
    for page in ("financial-events-page1.json", "financial-events-page2.json"):
        shutil.copy(FIXTURES / "reports" / page, folder / page)
    (folder / "claims.csv").write_text(
        "order-id,type,date,status\n111-0000001-0000001,A-to-z claim,2025-11-01,Denied\n",
        encoding="utf-8",
    )
    account = load_account(folder)
    defects = account.defects.sort("order_id", "kind")
    assert defects.select("order_id", "kind", "event_date", "status").rows() == [
        ("111-0000001-0000001", "a_to_z_claim", dt.date(2025, 11, 1), "denied"),  # the log's
        ("111-0000002-0000002", "a_to_z_claim", dt.date(2025, 11, 4), "granted"),
        ("111-0000003-0000003", "chargeback", dt.date(2025, 11, 3), "unknown"),
        ("111-0000005-0000005", "chargeback", dt.date(2025, 11, 6), "unknown"),
    ]
    rejects = account.rejects.filter(pl.col("file").str.ends_with(".json"))
    assert rejects.select("file", "line", "outcome").sort("file", "line").rows() == [
        ("financial-events-page1.json", None, "rejected"),  # no AmazonOrderId
        ("financial-events-page1.json", 32, "excluded"),  # the log speaks of this claim
        ("financial-events-page1.json", 104, "rejected"),  # PostedDate 'yesterday'
        ("financial-events-page2.json", 1, "excluded"),  # page 1's second claim again
    ]
    assert "the claims log speaks of this order's A-to-z claim (claims.csv line 2)" in (
        rejects.filter(pl.col("line") == 32)["reason"].item()
    )
    notes = dict(account.ingest.select("file", "note").iter_rows())
    assert notes["financial-events-page1.json"].startswith(
        "Finances API events show only the A-to-z claims and chargebacks that moved money"
    )
    assert account.alerts[-1].startswith(
        "2 feedback, claim or chargeback row(s) that may be defects are not counted "
        "(financial-events-page1.json: 2)"
    )


def test_fba_shipments_alone_say_the_fba_rate_is_over_stated(tmp_path: Path) -> None:
    folder = tmp_path / "tokyo"
    folder.mkdir()
    shutil.copy(FIXTURES / "reports" / "fba-shipments-jp.txt", folder / "shipments.txt")
    account = load_account(folder)
    assert account.orders["channel"].unique().to_list() == ["AFN"]
    assert account.alerts[0].startswith(
        f"{account.orders.height} FBA order(s) come from the FBA shipments report alone "
        "(shipments.txt): it holds no cancelled orders, so the FBA order count is too low and "
        "the FBA rate over-stated"
    )
    note = account.ingest.filter(pl.col("file") == "shipments.txt")["note"].item()
    assert "cancelled" in note


def test_a_health_report_of_another_marketplace_is_said(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    shutil.copytree(ACCOUNTS / "london-uk", folder)
    shutil.copy(ACME / "account-health.json", folder / "health.json")  # Amazon.com's
    account = load_account(folder)
    note = account.ingest.filter(pl.col("file") == "health.json")["note"].item()
    assert note.endswith(
        "marketplace(s) Amazon.com of this report are not among the orders' (Amazon.co.uk): a "
        "report of another marketplace or account, nothing to compare with"
    )
    assert account.alerts == (f"health.json: {note}",)


def test_each_feedback_file_is_read_in_its_own_marketplaces_format(tmp_path: Path) -> None:
    # An account selling on Amazon.com and Amazon.co.uk has a feedback report per marketplace:
    # 1/2/25 is 2 January in the US one, 1 February in the UK one.
    folder = tmp_path / "both"
    shutil.copytree(BROKEN / "mixed-marketplaces", folder)
    (folder / "feedback.txt").unlink()
    header = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n"
    for name, order in (("us", "111-0000001-0000001"), ("uk", "202-0000001-0000001")):
        (folder / f"feedback-{name}.txt").write_text(
            f"{header}11/20/25\t1\t\t\t{order}\tx@y.test\n".replace(
                "11/20/25", "11/20/25" if name == "us" else "20/11/25"
            ),
            encoding="utf-8",
        )
    account = load_account(folder)
    assert dict(account.feedback.select("order_id", "date").iter_rows()) == {
        "111-0000001-0000001": dt.date(2025, 11, 20),
        "202-0000001-0000001": dt.date(2025, 11, 20),
    }
    notes = dict(account.ingest.select("file", "note").iter_rows())
    assert notes["feedback-us.txt"].startswith(
        "dates read as M/D/YY (%m/%d/%y, the format of Amazon.com)"
    )
    assert notes["feedback-uk.txt"].startswith(
        "dates read as D/M/YY (%d/%m/%y, the format of Amazon.co.uk)"
    )


def test_orders_of_two_date_formats_and_feedback_on_neither_name_both_files(
    tmp_path: Path,
) -> None:
    # Feedback on orders the folder does not hold, and orders of two marketplaces that write
    # dates differently: nothing tells the feedback's marketplace. The error names the orders
    # file and line of the marketplace with the fewest orders, and the other one's.
    folder = tmp_path / "london"
    shutil.copytree(ACCOUNTS / "london-uk", folder)
    shutil.copy(ACME / "All Orders 2025-10.txt", folder / "zz-orders.txt")
    header = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n"
    (folder / "feedback.txt").write_text(
        f"{header}4/11/25\t1\t\t\t202-9999999-9999999\tx@y.test\n", encoding="utf-8"
    )
    with pytest.raises(ReportFormatError) as info:
        load_account(folder)
    assert str(info.value).startswith(
        f"orders file '{folder / 'orders.txt'}', line 2: sales-channel Amazon.co.uk (2 order(s)) "
        "beside Amazon.com (8 orders, first in zz-orders.txt line 2): is this file, or row, of "
        "another account?"
    )
    assert (info.value.file, info.value.line) == (str(folder / "orders.txt"), 2)


def test_the_account_settings_file_is_not_a_report(tmp_path: Path) -> None:
    folder = tmp_path / "london"
    shutil.copytree(ACCOUNTS / "london-uk", folder)
    (folder / "account.toml").write_text('[amazon]\nmarketplaces = ["UK"]\n', encoding="utf-8")
    account = load_account(folder)
    assert "account.toml" not in account.ingest["file"].to_list()
    (folder / "account.txt").write_text('[amazon]\nmarketplaces = ["UK"]\n', encoding="utf-8")
    with pytest.raises(ReportFormatError, match=r"account\.txt' is not a file odr-analysis reads"):
        load_account(folder)


def test_a_portfolio_account_with_only_its_settings_is_left_out_with_an_alert(
    tmp_path: Path,
) -> None:
    shutil.copytree(ACCOUNTS / "london-uk", tmp_path / "london")
    (tmp_path / "bravo").mkdir()
    (tmp_path / "bravo" / "account.toml").write_text("[amazon]\n", encoding="utf-8")
    portfolio = load_portfolio(tmp_path)
    assert portfolio.orders["account"].unique().to_list() == ["london"]
    assert portfolio.alerts == (
        "bravo: no reports yet (only account.toml: odr-fetch has fetched nothing for it): not "
        "in the figures",
    )
    shutil.rmtree(tmp_path / "london")
    with pytest.raises(OdrInputError, match="no account folder with reports yet"):
        load_portfolio(tmp_path)
