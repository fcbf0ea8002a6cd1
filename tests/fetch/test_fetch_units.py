"""odr-fetch's pure parts: account.toml, the slice plan, scrubbing, the optional dependency."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from odr_analysis.fetch.plan import Slice, anchor_for, due_slices, slices
from odr_analysis.fetch.settings import SettingsError, find_accounts, read_settings

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def settings(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "account.toml").write_text(text)
    return folder


def test_settings_resolve_marketplaces_by_code_name_or_id(tmp_path: Path) -> None:
    folder = settings(
        tmp_path / "acme",
        '[amazon]\nmarketplaces = ["us", "Amazon.ca", "A1F83G8C2ARO7P", "GB"]\nprofile = "acme"\n',
    )
    account = read_settings(folder)
    assert account.name == "acme" and account.profile == "acme"
    assert [m.country for m in account.marketplaces] == ["US", "CA", "UK"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[amazon]\nmarketplaces = ["XX"]\nprofile = "a"\n', "unknown marketplace 'XX'"),
        ('[amazon]\nprofile = "a"\n', "marketplaces must be a list"),
        ('[amazon]\nmarketplaces = ["US"]\n', "profile must be"),
        ("marketplaces = [", "cannot be read"),
        (
            '[amazon]\nmarketplaces = ["US"]\nprofile = "a"\nrefresh_token = "x"\n',
            "credentials do not belong in the data folder",
        ),
    ],
)
def test_settings_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    folder = settings(tmp_path / "acme", text)
    with pytest.raises(SettingsError, match=r"account\.toml") as info:
        read_settings(folder)
    assert message in str(info.value)
    assert '"x"' not in str(info.value)


def test_find_accounts_takes_folders_with_settings(tmp_path: Path) -> None:
    settings(tmp_path / "b", '[amazon]\nmarketplaces = ["US"]\nprofile = "b"\n')
    settings(tmp_path / "a", '[amazon]\nmarketplaces = ["JP"]\nprofile = "a"\n')
    (tmp_path / "c").mkdir()
    assert [a.name for a in find_accounts(tmp_path)] == ["a", "b"]
    assert [a.name for a in find_accounts(tmp_path, ["b"])] == ["b"]
    with pytest.raises(SettingsError, match="for: c"):
        find_accounts(tmp_path, ["c"])
    with pytest.raises(SettingsError, match="nothing to fetch"):
        find_accounts(tmp_path / "c")


def test_slices_lie_on_a_fixed_30_day_grid() -> None:
    anchor = dt.date(2026, 8, 6)
    every = slices(anchor, anchor, NOW.date())
    assert [s.file_stem("US") for s in every][-1] == "all-orders-US-2026-12-04-to-2027-01-02"
    assert all((s.last - s.first).days == 29 for s in every)
    # An earlier --since extends the grid backwards: the existing slices keep their names.
    earlier = anchor_for(dt.date(2026, 7, 20), anchor)
    assert earlier == dt.date(2026, 7, 7)
    assert set(every) <= set(slices(earlier, earlier, NOW.date()))


def test_due_slices() -> None:
    every = slices(dt.date(2026, 8, 6), dt.date(2026, 8, 6), NOW.date())
    assert due_slices(every, {}, NOW) == every

    def entry(s: Slice, fetched: dt.datetime) -> dict[str, str]:
        through = min(dt.datetime.combine(s.last, dt.time(23, 59, 59), dt.UTC), fetched)
        return {"fetched_at": fetched.isoformat(), "through": through.isoformat()}

    done = {s.key: entry(s, NOW) for s in every}
    assert due_slices(every, done, NOW + dt.timedelta(hours=1)) == []
    tomorrow = NOW + dt.timedelta(days=1)
    # The slices ending within the last 30 days (and the one of today, partial).
    assert [s.key for s in due_slices(every, done, tomorrow)] == ["2026-11-04", "2026-12-04"]
    assert [s.key for s in due_slices(every, done, tomorrow, recent_days=0)] == ["2026-12-04"]


def test_scrub_blanks_secrets_and_url_queries() -> None:
    pytest.importorskip("sp_api")
    from odr_analysis.fetch.amazon import Connection

    conn = Connection("acme")
    try:
        conn._secrets.update({"fake-refresh-token-acme", "Atza|fake-access"})
        text = conn.scrub(
            "refused fake-refresh-token-acme with Atza|fake-access at "
            "https://bucket.example/doc?X-Amz-Signature=abc&X-Amz-Credential=def"
        )
    finally:
        conn.close()
    assert text == "refused [redacted] with [redacted] at https://bucket.example/doc?[...]"


def test_missing_credentials_name_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sp_api")
    from odr_analysis.fetch.run import fetch_account

    for name in ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_nobody", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = settings(tmp_path / "nobody", '[amazon]\nmarketplaces = ["US"]\nprofile = "nobody"\n')
    lines: list[str] = []
    result = fetch_account(read_settings(folder), now=NOW, echo=lines.append, sleep=lambda s: None)
    assert result.failed and result.error is not None
    assert "no credentials found" in result.error and "LWA_APP_ID_nobody" in result.error


def test_the_core_package_imports_without_sp_api() -> None:
    code = (
        "import sys; sys.modules['sp_api'] = None; sys.modules['httpx'] = None\n"
        "import odr_analysis, odr_analysis.readers, odr_analysis.fetch\n"
        "from odr_analysis.fetch.run import main\n"
        "raise SystemExit(main(['.']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "python-amazon-sp-api is not installed" in result.stderr


def test_progress_is_lines_in_a_log_and_one_status_line_on_a_terminal() -> None:
    import io

    from odr_analysis.fetch.run import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    log = io.StringIO()
    progress = Progress(log)
    progress("[acme] all orders US 2026-10-05..2026-11-03: done (1.2 kB)")
    progress("[acme] feedback US: failed (FATAL)")
    progress.close()
    assert log.getvalue().splitlines() == [
        "[acme] all orders US 2026-10-05..2026-11-03: done (1.2 kB)",
        "[acme] feedback US: failed (FATAL)",
    ]
    screen = Terminal()
    progress = Progress(screen)
    progress("[acme] all orders US 2026-10-05..2026-11-03: done (1.2 kB)")
    progress("[acme] feedback US: failed (FATAL)")
    progress("[acme] account health: up to date")
    progress.close()
    text = screen.getvalue()
    assert text.count("\n") == 2  # the failure kept on screen, the status line ended
    assert "\r\x1b[K[1 done, " in text and "\r\x1b[K[2 done, " in text
    assert "\r\x1b[K[acme] feedback US: failed (FATAL)\n" in text
