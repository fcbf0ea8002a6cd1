"""``odr-fetch``: fetch every account's reports from Amazon's Selling Partner API, unattended.

Usage::

    odr-fetch DATA_DIR [--account NAME ...] [--since YYYY-MM-DD] [--jobs N]
              [--recent-days 30] [--fresh-hours 12]

``DATA_DIR`` is a portfolio folder, one sub-folder per account; an account takes part when its
folder has an ``account.toml`` (:mod:`odr_analysis.fetch.settings`). Per account and marketplace
it writes, into the account folder, files the readers take as they are
(:func:`odr_analysis.readers.load_account`):

=========================================  =========================================================
file                                       what
=========================================  =========================================================
``all-orders-US-2026-10-01-to-2026-10-30``  All Orders by order date, one file per 30-day slice on a
``.txt`` (``.txt.gz`` when served gzip)     fixed grid from the first run's ``--since`` (default 120
                                            days back); new days, plus the last ``--recent-days``
                                            again (statuses change), rewrite the same file names
``feedback-US.txt[.gz]``                    the seller feedback report, last 90 days, replaced each
                                            run; Amazon's ``CANCELLED`` means no 1-3 star feedback:
                                            "no data", and an older copy is removed
``account-health-2026-12-04.json``          the account-health report (all the account's
                                            marketplaces of a region): one snapshot per run, never
                                            overwritten (``-2``, ``-3`` ... on the same day)
``financial-events-2026-12-04-p1.json``     the Finances API's events posted since the last fetch
                                            (2 days of overlap: late events; the readers read a
                                            repeated event once), one file per page with events
``.odr-fetch.json``                         the state: what was fetched up to when (hidden)
=========================================  =========================================================

With marketplaces in several regions, the account-health and financial-events names carry the
region (``account-health-EU-2026-12-04.json``).

What was fetched less than ``--fresh-hours`` ago (default 12) is not fetched again: running
twice in a row fetches nothing new the second time (no account-health snapshot either).
A run that is killed leaves no half-written file, and the next run resumes from the state
(polling a report already asked for, when it is recent).

Progress is printed per account and report, then a summary: fetched, no data, failed and why.
The exit status is 0 when every account was fetched, 1 when one failed (its credentials were
refused, a report ended ``FATAL``, Amazon kept failing), 2 when the run could not start.
Credentials come from the environment or python-amazon-sp-api's ``credentials.yml`` only; no
token or secret is written to a file, a line of output or an error message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from odr_analysis.fetch.plan import (
    DEFAULT_FRESH_HOURS,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_RECENT_DAYS,
    FEEDBACK_DAYS,
    anchor_for,
    due_slices,
    is_fresh,
    slices,
)
from odr_analysis.fetch.settings import AccountSettings, SettingsError, find_accounts
from odr_analysis.fetch.store import State, clean_parts, load_state, save_state, write_atomic
from odr_analysis.readers.marketplaces import Marketplace
from odr_analysis.rules import date_arg

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AccountResult",
    "Outcome",
    "fetch_account",
    "fetch_all",
    "main",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
FINANCES_OVERLAP: Final = dt.timedelta(days=2)
FINANCES_MAX_RANGE: Final = dt.timedelta(days=180)
# Amazon wants PostedBefore / dataEndTime at least 2 minutes in the past.
SAFETY: Final = dt.timedelta(minutes=5)
PENDING_HOURS: Final = 12.0


@dataclass(frozen=True)
class Outcome:
    """One report of one account: ``fetched``, ``no data``, ``up to date`` or ``failed``."""

    report: str
    status: str
    detail: str = ""


@dataclass
class AccountResult:
    """What one account's run did; ``error`` when it stopped (credentials, settings)."""

    name: str
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> bool:
        """Whether anything of this account failed."""
        return self.error is not None or any(o.status == "failed" for o in self.outcomes)


def _size(n: int) -> str:
    """``1.2 MB``, ``830 B``.

    >>> _size(1_234_567), _size(830), _size(2048)
    ('1.2 MB', '830 B', '2.0 kB')
    """
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def _parse(value: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass
class _AccountRun:
    """One account's run: its settings, state, connection and output."""

    settings: AccountSettings
    conn: Any  # amazon.Connection (imported lazily: sp_api is optional)
    now: dt.datetime
    since: dt.date | None
    recent_days: int
    fresh_hours: float
    echo: Callable[[str], None]
    state: State = field(default_factory=dict)
    result: AccountResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = AccountResult(self.settings.name)

    @property
    def folder(self) -> Path:
        return self.settings.folder

    def say(self, report: str, status: str, detail: str = "") -> None:
        self.result.outcomes.append(Outcome(report, status, detail))
        self.echo(f"[{self.settings.name}] {report}: {status}" + (f" ({detail})" if detail else ""))

    def save(self) -> None:
        save_state(self.folder, self.state)

    def section(self, name: str) -> dict[str, Any]:
        value = self.state.setdefault(name, {})
        assert isinstance(value, dict)
        return value

    @property
    def regions(self) -> dict[str, list[Marketplace]]:
        from odr_analysis.fetch.amazon import region_of

        out: dict[str, list[Marketplace]] = {}
        for m in self.settings.marketplaces:
            out.setdefault(region_of(m), []).append(m)
        return out

    # -- one report: create (or resume) -> wait -> download ----------------------------------

    def report(
        self,
        key: str,
        label: str,
        *,
        marketplace: Marketplace,
        report_type: str,
        marketplace_ids: Sequence[str],
        start: dt.datetime | None,
        end: dt.datetime | None,
        name: Callable[[], tuple[str, str]],
    ) -> tuple[Path | None, dt.datetime | None]:
        """Fetch one report into the folder: the file written (``None``: Amazon cancelled it,
        no data) and the end of the data asked for. A report asked for by an earlier run that
        did not finish is polled again instead of asked for anew (recorded in ``pending``)."""
        pending = self.section("pending")
        entry = pending.get(key)
        if isinstance(entry, dict) and is_fresh(
            {"fetched_at": entry.get("created_at")}, self.now, PENDING_HOURS
        ):
            report_id = str(entry["report_id"])
            end = _parse(entry["end"]) if entry.get("end") else end
        else:
            report_id = self.conn.create_report(
                label,
                marketplace,
                report_type=report_type,
                marketplace_ids=marketplace_ids,
                start=start,
                end=end,
            )
            pending[key] = {
                "report_id": report_id,
                "created_at": self.now.isoformat(),
                "end": end.isoformat() if end else None,
            }
            self.save()
        try:
            document = self.conn.wait_report(label, marketplace, report_id)
        except Exception as exc:
            from odr_analysis.fetch.amazon import ReportFatal

            if isinstance(exc, ReportFatal):
                pending.pop(key, None)
                self.save()
            raise
        if document is None:
            pending.pop(key, None)
            return None, end
        stem, extension = name()
        path = self.conn.download(
            label, marketplace, document, folder=self.folder, stem=stem, extension=extension
        )
        pending.pop(key, None)
        return path, end

    def guarded(self, label: str, step: Callable[[], None]) -> None:
        """Run one report's step; a failure other than refused credentials is noted and the
        account goes on."""
        from odr_analysis.fetch.amazon import CredentialsError, FetchError

        try:
            step()
        except CredentialsError:
            raise
        except FetchError as exc:
            self.say(label, "failed", str(exc).removeprefix(f"{label}: "))

    # -- the reports ------------------------------------------------------------------------

    def orders(self, marketplace: Marketplace) -> None:
        from odr_analysis.fetch.amazon import ALL_ORDERS

        country = marketplace.country
        section = self.section("orders").setdefault(country, {})
        stored = section.get("anchor")
        default = self.now.date() - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
        since = self.since or (dt.date.fromisoformat(stored) if stored else default)
        anchor = anchor_for(since, dt.date.fromisoformat(stored) if stored else None)
        section["anchor"] = anchor.isoformat()
        done = section.setdefault("slices", {})
        every = slices(anchor, since, self.now.date())
        due = due_slices(
            every, done, self.now, recent_days=self.recent_days, fresh_hours=self.fresh_hours
        )
        if not due:
            self.say(f"all orders {country}", "up to date")
            return
        for s in due:
            label = f"all orders {country} {s.first.isoformat()}..{s.last.isoformat()}"

            def step(s: Any = s, label: str = label) -> None:
                end = min(_day_end(s.last), self.now - SAFETY)
                path, through = self.report(
                    f"orders/{country}/{s.key}",
                    label,
                    marketplace=marketplace,
                    report_type=ALL_ORDERS,
                    marketplace_ids=[marketplace.id],
                    start=_day_start(s.first),
                    end=end,
                    name=lambda: (s.file_stem(country), ".txt"),
                )
                if path is None:  # no orders at all in the slice: nothing to keep
                    self.say(label, "no data")
                else:
                    self.say(label, "done", _size(path.stat().st_size))
                done[s.key] = {
                    "last": s.last.isoformat(),
                    "through": (through or end).isoformat(),
                    "fetched_at": self.now.isoformat(),
                    "file": path.name if path else None,
                }
                self.save()

            self.guarded(label, step)

    def feedback(self, marketplace: Marketplace) -> None:
        from odr_analysis.fetch.amazon import FEEDBACK

        country = marketplace.country
        section = self.section("feedback")
        label = f"feedback {country}"
        if is_fresh(section.get(country), self.now, self.fresh_hours):
            self.say(label, "up to date")
            return

        def step() -> None:
            end = self.now - SAFETY
            path, _ = self.report(
                f"feedback/{country}",
                label,
                marketplace=marketplace,
                report_type=FEEDBACK,
                marketplace_ids=[marketplace.id],
                start=end - dt.timedelta(days=FEEDBACK_DAYS),
                end=end,
                name=lambda: (f"feedback-{country}", ".txt"),
            )
            if path is None:  # CANCELLED: no 1-3 star feedback in the last 90 days
                for old in (f"feedback-{country}.txt", f"feedback-{country}.txt.gz"):
                    (self.folder / old).unlink(missing_ok=True)
                self.say(label, "no data", "no 1-3 star feedback in the last 90 days")
            else:
                self.say(label, "done", _size(path.stat().st_size))
            section[country] = {
                "fetched_at": self.now.isoformat(),
                "file": path.name if path else None,
                "no_data": path is None,
            }
            self.save()

        self.guarded(label, step)

    def health(self, region: str, marketplaces: list[Marketplace], tag: str) -> None:
        from odr_analysis.fetch.amazon import SELLER_PERFORMANCE

        section = self.section("health")
        label = "account health" + (f" {region}" if tag else "")
        if is_fresh(section.get(region), self.now, self.fresh_hours):
            self.say(label, "up to date")
            return

        def name() -> tuple[str, str]:
            base = f"account-health{tag}-{self.now.date().isoformat()}"
            stem, n = base, 1
            while any((self.folder / f"{stem}.json{gz}").exists() for gz in ("", ".gz")):
                n += 1
                stem = f"{base}-{n}"
            return stem, ".json"

        def step() -> None:
            path, _ = self.report(
                f"health/{region}",
                label,
                marketplace=marketplaces[0],
                report_type=SELLER_PERFORMANCE,
                marketplace_ids=[m.id for m in marketplaces],
                start=None,
                end=None,
                name=name,
            )
            if path is None:
                self.say(label, "no data")
            else:
                self.say(label, "done", f"{path.name}, {_size(path.stat().st_size)}")
            section[region] = {
                "fetched_at": self.now.isoformat(),
                "file": path.name if path else None,
            }
            self.save()

        self.guarded(label, step)

    def finances(self, region: str, marketplaces: list[Marketplace], tag: str) -> None:
        import json

        section = self.section("finances")
        entry = section.setdefault(region, {})
        label = "financial events" + (f" {region}" if tag else "")
        if is_fresh(entry, self.now, self.fresh_hours) and not entry.get("pending"):
            self.say(label, "up to date")
            return
        before = self.now - SAFETY
        if entry.get("posted_before"):
            after = _parse(entry["posted_before"]) - FINANCES_OVERLAP
        else:
            first = self.since or self.now.date() - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
            after = _day_start(first)

        def window(start: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
            pending = entry.get("pending")
            if isinstance(pending, dict):  # an interrupted batch: the same range and names
                return _parse(pending["after"]), _parse(pending["before"]), pending["batch"]
            stop = min(before, start + FINANCES_MAX_RANGE)
            base = f"financial-events{tag}-{self.now.date().isoformat()}"
            batch, n = base, 1
            while any(self.folder.glob(f"{batch}-p*.json")):
                n += 1
                batch = f"{base}-{n}"
            entry["pending"] = {
                "after": start.isoformat(),
                "before": stop.isoformat(),
                "batch": batch,
            }
            self.save()
            return start, stop, batch

        def step() -> None:
            nonlocal after
            while True:
                start, stop, batch = window(after)
                pages = events = 0
                for payload in self.conn.financial_events(label, marketplaces[0], start, stop):
                    lists = payload.get("FinancialEvents") or {}
                    count = sum(len(v) for v in lists.values() if isinstance(v, list))
                    if not count:
                        continue
                    pages += 1
                    events += count
                    text = json.dumps({"payload": payload}, indent=1, ensure_ascii=False) + "\n"
                    write_atomic(self.folder / f"{batch}-p{pages}.json", text.encode("utf-8"))
                for stale in self.folder.glob(f"{batch}-p*.json"):
                    number = stale.name.removeprefix(f"{batch}-p").removesuffix(".json")
                    if number.isdigit() and int(number) > pages:
                        stale.unlink()
                span = f"{start.date().isoformat()}..{stop.date().isoformat()}"
                if pages:
                    self.say(f"{label} {span}", "done", f"{events} events, {pages} page(s)")
                else:
                    self.say(f"{label} {span}", "no data", "no events posted")
                entry.pop("pending", None)
                entry.update(posted_before=stop.isoformat(), fetched_at=self.now.isoformat())
                self.save()
                if stop >= before:
                    return
                after = stop

        self.guarded(label, step)

    def run(self) -> AccountResult:
        from odr_analysis.fetch.amazon import CredentialsError

        clean_parts(self.folder)
        try:
            self.state = load_state(self.folder)
        except ValueError as exc:
            self.result.error = str(exc)
            self.echo(f"[{self.settings.name}] failed: {exc}")
            return self.result
        regions = self.regions
        tag = len(regions) > 1
        try:
            for m in self.settings.marketplaces:
                self.orders(m)
            for m in self.settings.marketplaces:
                self.feedback(m)
            for region, ms in regions.items():
                self.health(region, ms, f"-{region}" if tag else "")
            for region, ms in regions.items():
                self.finances(region, ms, f"-{region}" if tag else "")
        except CredentialsError as exc:
            self.result.error = str(exc)
            self.echo(f"[{self.settings.name}] stopped: {exc}")
        return self.result


def fetch_account(
    settings: AccountSettings,
    *,
    now: dt.datetime | None = None,
    since: dt.date | None = None,
    recent_days: int = DEFAULT_RECENT_DAYS,
    fresh_hours: float = DEFAULT_FRESH_HOURS,
    transport: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    retry: Any = None,
    echo: Callable[[str], None] = print,
) -> AccountResult:
    """Fetch one account's reports into its folder (see the module's docstring).

    ``now`` (UTC) fixes the clock, ``transport`` is the httpx transport every request goes
    through, ``sleep`` is called for every wait, ``retry`` an :class:`~odr_analysis.fetch.
    amazon.Retry`; ``echo`` receives the progress lines.
    """
    from odr_analysis.fetch.amazon import Connection, Retry

    conn = Connection(
        settings.profile,
        transport=transport,
        sleep=sleep,
        retry=retry if retry is not None else Retry(),
    )
    try:
        run = _AccountRun(
            settings,
            conn,
            (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
            since,
            recent_days,
            fresh_hours,
            lambda line: echo(conn.scrub(line)),
        )
        return run.run()
    finally:
        conn.close()


def fetch_all(
    data_dir: str | Path,
    *,
    accounts: Sequence[str] = (),
    jobs: int = 1,
    echo: Callable[[str], None] = print,
    **options: Any,
) -> list[AccountResult]:
    """Fetch every account of a portfolio folder (those with ``account.toml``; only
    ``accounts`` when given), ``jobs`` accounts side by side (threads). ``options`` go to
    :func:`fetch_account`. Raises :class:`~odr_analysis.fetch.settings.SettingsError` when no
    account can take part or a settings file is wrong."""
    lock = threading.Lock()

    def locked(line: str) -> None:
        with lock:
            echo(line)

    every = find_accounts(data_dir, accounts)

    def one(settings: AccountSettings) -> AccountResult:
        return fetch_account(settings, echo=locked, **options)

    if jobs <= 1 or len(every) == 1:
        return [one(s) for s in every]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, every))


def summary(results: Sequence[AccountResult]) -> Iterator[str]:
    """The summary lines: per account, what was fetched, had no data, failed and why."""
    yield "odr-fetch summary:"
    for r in results:
        counts = {s: sum(1 for o in r.outcomes if o.status == s) for s in ("done", "no data")}
        failed = [o for o in r.outcomes if o.status == "failed"]
        head = f"  {r.name}: " + ("FAILED" if r.failed else "ok")
        yield (
            f"{head}: {counts['done']} fetched, {counts['no data']} no data, {len(failed)} failed"
        )
        for o in r.outcomes:
            if o.status == "no data":
                yield f"    no data: {o.report}" + (f" ({o.detail})" if o.detail else "")
        for o in failed:
            yield f"    failed: {o.report}: {o.detail}"
        if r.error:
            yield f"    stopped: {r.error}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odr-fetch",
        description="Fetch every account's reports (All Orders, seller feedback, account "
        "health, financial events) from Amazon's Selling Partner API into its folder.",
    )
    parser.add_argument("data_dir", metavar="DATA_DIR", help="portfolio folder (one per account)")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="NAME",
        help="only this account (repeat for several); default: every folder with account.toml",
    )
    parser.add_argument(
        "--since",
        type=date_arg,
        metavar="YYYY-MM-DD",
        help=f"first order date to fetch (default on a first run: {DEFAULT_HISTORY_DAYS} days ago)",
    )
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="accounts side by side")
    parser.add_argument(
        "--recent-days",
        type=int,
        default=DEFAULT_RECENT_DAYS,
        metavar="N",
        help=f"days of orders fetched again each run (default {DEFAULT_RECENT_DAYS})",
    )
    parser.add_argument(
        "--fresh-hours",
        type=float,
        default=DEFAULT_FRESH_HOURS,
        metavar="H",
        help="what was fetched less than H hours ago is not fetched again "
        f"(default {DEFAULT_FRESH_HOURS:g})",
    )
    return parser


class Progress:
    """Where the progress lines go: one line each in a log (a file, a pipe, cron's mail); on a
    terminal, one status line rewritten in place (reports done, seconds, the latest line),
    with failures kept on screen as lines of their own."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.done = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            if not self.live:
                print(line, file=self.stream, flush=True)
                return
            width = shutil.get_terminal_size().columns
            if ": done" in line or ": no data" in line or ": up to date" in line:
                self.done += 1
                status = f"[{self.done} done, {time.monotonic() - self.started:.0f} s] {line}"
                self.stream.write("\r\033[K" + status[: max(width - 1, 20)])
            else:  # a failure, a retry: kept on screen
                self.stream.write("\r\033[K" + line + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End the status line (on a terminal)."""
        if self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()


def main(argv: Sequence[str] | None = None, **options: Any) -> int:
    """The ``odr-fetch`` command; exit status 0 all fetched, 1 an account failed, 2 the run
    could not start. ``options`` go to :func:`fetch_account` (``now``, ``transport``,
    ``sleep``: for tests)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        import sp_api  # noqa: F401
    except ImportError:
        print(
            "odr-fetch: error: python-amazon-sp-api is not installed; "
            "pip install 'odr-analysis[amazon]'",
            file=sys.stderr,
        )
        return EXIT_USAGE

    echo = Progress(sys.stderr)
    try:
        results = fetch_all(
            args.data_dir,
            accounts=args.account,
            jobs=args.jobs,
            echo=echo,
            since=args.since,
            recent_days=args.recent_days,
            fresh_hours=args.fresh_hours,
            **options,
        )
    except SettingsError as exc:
        echo.close()
        print(f"odr-fetch: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    echo.close()
    for line in summary(results):
        print(line, flush=True)
    return EXIT_FAILED if any(r.failed for r in results) else EXIT_OK
