"""The Selling Partner API calls, through python-amazon-sp-api (``sp_api``), for one account.

:class:`Connection` holds one credentials profile (python-amazon-sp-api's ``account``: env
``LWA_APP_ID_<profile>``, ``LWA_CLIENT_SECRET_<profile>``, ``SP_API_REFRESH_TOKEN_<profile>``, or
a section of its ``credentials.yml``) and makes the calls ``odr-fetch`` needs with the library's
``Reports`` and ``Finances`` (v0) clients and its Login-with-Amazon token client:

* reports: ``create_report`` -> ``get_report`` until ``DONE``/``CANCELLED``/``FATAL`` (waits
  doubling from :attr:`Retry.poll_first` to :attr:`Retry.poll_max` seconds, at most
  :attr:`Retry.poll_timeout` seconds of waiting) -> ``get_report_document`` for the presigned
  URL, downloaded here (not by the library, which decompresses and decodes) so the file keeps
  Amazon's bytes as served; ``FATAL`` fetches the error document and raises
  :class:`ReportFatal` with its text;
* financial events: ``list_financial_events`` with ``PostedAfter``/``PostedBefore``, then
  ``NextToken`` alone, one page at a time.

Amazon is slow and flaky: a 429 waits ``1 / x-amzn-RateLimit-Limit`` seconds (the header is
requests per second) or a doubling back-off, 5xx answers, unreadable answers and network errors
back off too, all bounded by :attr:`Retry.tries`. A refused login (Login with Amazon 400/401
``invalid_grant``, ...) or a 403 raises :class:`CredentialsError`: the account's run stops,
the others go on. Sleeping goes through the ``sleep`` given (tests pass a fake).

Secrets never leave this module: every message raised is passed through :meth:`Connection.scrub`,
which blanks the profile's refresh token, client secret and every access token seen, and the
query of any URL (a presigned URL's signature); exceptions are raised ``from None``.

All HTTP (token, API, documents) goes through one ``httpx.Client`` per connection, built on the
``transport`` given (default: httpx's own). The library's clients are given that client through
their ``HttpxTransport(client=...)``; tests pass a transport that sends every request to a local
fake Amazon, so the library's real code path runs.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import httpx

from odr_analysis.fetch.store import GZIP_MAGIC, write_document
from odr_analysis.readers.marketplaces import Marketplace

__all__ = [
    "ALL_ORDERS",
    "FEEDBACK",
    "SELLER_PERFORMANCE",
    "Connection",
    "CredentialsError",
    "FetchError",
    "ReportFatal",
    "Retry",
    "iso",
    "region_of",
]

ALL_ORDERS: Final = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
FEEDBACK: Final = "GET_SELLER_FEEDBACK_DATA"
SELLER_PERFORMANCE: Final = "GET_V2_SELLER_PERFORMANCE_REPORT"

DONE: Final = "DONE"
CANCELLED: Final = "CANCELLED"
FATAL: Final = "FATAL"

_T = TypeVar("_T")
_TOKEN_LOCK: Final = threading.Lock()  # the library's token cache is a plain TTLCache
_URL_QUERY: Final = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")
_REGIONS: Final = {"na": "NA", "eu": "EU", "fe": "FE"}


class FetchError(Exception):
    """Something Amazon would not give; the message names what and why (no secrets)."""


class CredentialsError(FetchError):
    """The account's credentials are missing or were refused: its run stops."""


class ReportFatal(FetchError):
    """Amazon ended a report ``FATAL``; the message carries its error document's text."""


class _Transient(Exception):
    """An answer to try again: unreadable, or a document download that failed."""


@dataclass(frozen=True)
class Retry:
    """How long to wait and how often to try (seconds)."""

    tries: int = 8
    backoff: float = 2.0
    max_wait: float = 300.0
    poll_first: float = 5.0
    poll_max: float = 60.0
    poll_timeout: float = 3600.0
    timeout: float = 120.0


def iso(when: dt.datetime) -> str:
    """UTC ISO 8601 with ``Z``, seconds precision: what Amazon's date-time parameters take.

    >>> iso(dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    '2026-10-01T00:00:00Z'
    """
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _sp_marketplace(marketplace: Marketplace) -> Any:
    """The ``sp_api.base.Marketplaces`` member of a marketplace (matched by id)."""
    from sp_api.base import Marketplaces

    for member in Marketplaces:
        if member.marketplace_id == marketplace.id:
            return member
    raise FetchError(f"python-amazon-sp-api does not know the marketplace {marketplace.name}")


def region_of(marketplace: Marketplace) -> str:
    """The SP-API region of a marketplace: ``NA``, ``EU`` or ``FE``.

    >>> from odr_analysis.readers.marketplaces import MARKETPLACES
    >>> region_of(MARKETPLACES["A1VC38T7YXB528"]), region_of(MARKETPLACES["A2EUQ1WTGCTBG2"])
    ('FE', 'NA')
    """
    endpoint = _sp_marketplace(marketplace).endpoint
    match = re.search(r"sellingpartnerapi-(\w+)\.", endpoint)
    return _REGIONS.get(match.group(1), match.group(1).upper()) if match else endpoint


class Connection:
    """One credentials profile's SP-API connection (every region), with retries and scrubbing.

    Parameters
    ----------
    profile
        The credentials profile (python-amazon-sp-api's ``account``).
    transport
        The httpx transport every request goes through (default: httpx's).
    sleep
        Called with the seconds to wait (default :func:`time.sleep`).
    retry
        Tries and waits.
    """

    def __init__(
        self,
        profile: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry: Retry = Retry(),
    ) -> None:
        self.profile = profile
        self.sleep = sleep
        self.retry = retry
        self._secrets: set[str] = set()
        self._http = httpx.Client(transport=transport, timeout=retry.timeout)
        self._clients: dict[tuple[str, str], Any] = {}

    # -- secrets ----------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` without the profile's secrets, access tokens and URL queries."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        return _URL_QUERY.sub(r"\1?[...]", text)

    def _error(self, cls: type[FetchError], message: str) -> FetchError:
        return cls(self.scrub(message))

    def _fix_credentials(self) -> str:
        p = self.profile
        return (
            f"fix the credentials of profile '{p}' (env LWA_APP_ID_{p}, LWA_CLIENT_SECRET_{p}, "
            f"SP_API_REFRESH_TOKEN_{p}, or section '{p}' of python-amazon-sp-api's "
            "credentials.yml)"
        )

    # -- clients ----------------------------------------------------------------------------

    def _token_client_class(self) -> type:
        from sp_api.auth import AccessTokenClient
        from sp_api.base._transport_httpx import HttpxTransport

        http = self._http
        secrets = self._secrets

        class TokenClient(AccessTokenClient):
            """The library's LWA client on our httpx client, its cache behind a lock."""

            _transport: Any

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._transport.close()
                self._transport = HttpxTransport(client=http)
                secrets.update(s for s in (self.cred.refresh_token, self.cred.client_secret) if s)

            def get_auth(self) -> Any:
                with _TOKEN_LOCK:
                    auth = super().get_auth()
                if auth.access_token:
                    secrets.add(str(auth.access_token))
                return auth

        return TokenClient

    def _client(self, kind: str, marketplace: Marketplace) -> Any:
        """The library's ``Reports`` or ``Finances`` (v0) client for a marketplace's region."""
        from sp_api.api import Finances, Reports
        from sp_api.base._transport_httpx import HttpxTransport
        from sp_api.base.credential_provider import MissingCredentials

        member = _sp_marketplace(marketplace)
        key = (kind, member.endpoint)
        if key in self._clients:
            return self._clients[key]
        cls = Reports if kind == "reports" else Finances
        try:
            client = cls(
                member,
                account=self.profile,
                auth_token_client_class=self._token_client_class(),
                timeout=self.retry.timeout,
            )
        except MissingCredentials as exc:
            raise self._error(
                CredentialsError, f"no credentials found ({exc}); {self._fix_credentials()}"
            ) from None
        creds = client.credentials
        self._secrets.update(
            s for s in (getattr(creds, "refresh_token", None), creds.lwa_client_secret) if s
        )
        if not client._auth.cred.refresh_token:
            raise self._error(
                CredentialsError, f"no refresh token found; {self._fix_credentials()}"
            )
        # SP_API_DEFAULT_MARKETPLACE would override the marketplace given: keep ours.
        client.endpoint, client.marketplace_id = member.endpoint, member.marketplace_id
        client._transport.close()
        client._transport = HttpxTransport(client=self._http)
        self._clients[key] = client
        return client

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- retries ----------------------------------------------------------------------------

    def _wait(self, attempt: int, limit: object = None) -> float:
        try:
            rate = float(str(limit)) if limit is not None else 0.0
        except ValueError:
            rate = 0.0
        if rate > 0:
            return min(1.0 / rate, self.retry.max_wait)
        return min(self.retry.backoff * 2 ** (attempt - 1), self.retry.max_wait)

    def call(self, what: str, request: Callable[[], _T]) -> _T:
        """``request()``, tried again after throttling and transient errors (bounded); raises
        :class:`CredentialsError` for a refused login or a 403, :class:`FetchError` else."""
        from sp_api.auth.exceptions import AuthorizationError
        from sp_api.base.exceptions import (
            SellingApiException,
            SellingApiForbiddenException,
            SellingApiGatewayTimeoutException,
            SellingApiRequestThrottledException,
            SellingApiServerException,
            SellingApiTemporarilyUnavailableException,
        )

        transient = (
            SellingApiServerException,
            SellingApiTemporarilyUnavailableException,
            SellingApiGatewayTimeoutException,
        )
        reason = ""
        for attempt in range(1, self.retry.tries + 1):
            try:
                return request()
            except AuthorizationError as exc:
                detail = f"{exc.status_code} {exc.error_code}: {exc.message}"
                if exc.status_code in (400, 401, 403):
                    raise self._error(
                        CredentialsError,
                        f"{what}: Login with Amazon refused the credentials ({detail}); "
                        + self._fix_credentials(),
                    ) from None
                reason, wait = f"Login with Amazon answered {detail}", self._wait(attempt)
            except SellingApiForbiddenException as exc:
                raise self._error(
                    CredentialsError,
                    f"{what}: Amazon refused access (403: {_amazon_message(exc)}); "
                    + self._fix_credentials()
                    + " and check the app's roles",
                ) from None
            except SellingApiRequestThrottledException as exc:
                limit = (exc.headers or {}).get("x-amzn-RateLimit-Limit")
                reason, wait = "throttled (429)", self._wait(attempt, limit)
            except transient as exc:
                reason, wait = f"Amazon answered {exc.code}", self._wait(attempt)
            except SellingApiException as exc:
                raise self._error(
                    FetchError, f"{what}: Amazon answered {exc.code}: {_amazon_message(exc)}"
                ) from None
            except (httpx.TransportError, _Transient, ValueError) as exc:
                reason, wait = f"{type(exc).__name__}: {exc}", self._wait(attempt)
            if attempt < self.retry.tries:
                self.sleep(wait)
        raise self._error(FetchError, f"{what}: gave up after {self.retry.tries} tries ({reason})")

    # -- reports ----------------------------------------------------------------------------

    def create_report(
        self,
        what: str,
        marketplace: Marketplace,
        *,
        report_type: str,
        marketplace_ids: Sequence[str],
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> str:
        """Ask for a report; its ``reportId``."""
        api = self._client("reports", marketplace)
        body: dict[str, Any] = {"reportType": report_type, "marketplaceIds": list(marketplace_ids)}
        if start is not None:
            body["dataStartTime"] = iso(start)
        if end is not None:
            body["dataEndTime"] = iso(end)

        def create() -> str:
            report_id = api.create_report(**body).payload.get("reportId")
            if not report_id:
                raise _Transient("createReport answered without a reportId")
            return str(report_id)

        return self.call(what, create)

    def wait_report(self, what: str, marketplace: Marketplace, report_id: str) -> str | None:
        """Poll until the report is done: its ``reportDocumentId``, or ``None`` when Amazon
        cancelled it (no data). Raises :class:`ReportFatal` with the error document's text,
        :class:`FetchError` when it is not done after :attr:`Retry.poll_timeout`."""
        api = self._client("reports", marketplace)

        def poll() -> dict[str, Any]:
            payload = api.get_report(report_id).payload
            if not isinstance(payload, dict) or "processingStatus" not in payload:
                raise _Transient("getReport answered without a processingStatus")
            return payload

        waited, delay = 0.0, self.retry.poll_first
        while True:
            report = self.call(what, poll)
            status = report["processingStatus"]
            if status == DONE:
                document = report.get("reportDocumentId")
                if not document:
                    raise self._error(FetchError, f"{what}: DONE without a reportDocumentId")
                return str(document)
            if status == CANCELLED:
                return None
            if status == FATAL:
                text = "no error document"
                if report.get("reportDocumentId"):
                    text = self._error_document(what, marketplace, str(report["reportDocumentId"]))
                raise self._error(
                    ReportFatal, f"{what}: Amazon could not make the report (FATAL): {text}"
                )
            if waited >= self.retry.poll_timeout:
                raise self._error(
                    FetchError,
                    f"{what}: still {status} after {waited:.0f} s; the next run goes on waiting",
                )
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, self.retry.poll_max)

    def _document_url(self, what: str, marketplace: Marketplace, document_id: str) -> str:
        api = self._client("reports", marketplace)

        def get() -> str:
            url = api.get_report_document(document_id).payload.get("url")
            if not url:
                raise _Transient("getReportDocument answered without a url")
            return str(url)

        return self.call(what, get)

    def _stream(self, url: str) -> Iterator[bytes]:
        with self._http.stream("GET", url) as response:
            if response.status_code != 200:
                raise _Transient(f"the document download answered HTTP {response.status_code}")
            yield from response.iter_bytes()

    def download(
        self,
        what: str,
        marketplace: Marketplace,
        document_id: str,
        *,
        folder: Path,
        stem: str,
        extension: str,
    ) -> Path:
        """Download a report document into ``folder`` as it is served (gzip or not), through a
        temporary file; a failed download asks for a fresh URL and tries again."""

        def get() -> Path:
            url = self._document_url(what, marketplace, document_id)
            return write_document(folder, stem, extension, self._stream(url))

        return self.call(what, get)

    def _error_document(self, what: str, marketplace: Marketplace, document_id: str) -> str:
        def get() -> bytes:
            url = self._document_url(what, marketplace, document_id)
            return b"".join(self._stream(url))

        try:
            data = self.call(what, get)
        except CredentialsError:
            raise
        except FetchError as exc:
            return f"the error document could not be read ({exc})"
        if data.startswith(GZIP_MAGIC):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                return "the error document is a damaged gzip file"
        text = " ".join(data.decode("utf-8", errors="replace").split())
        return text[:1000] or "the error document is empty"

    # -- finances ---------------------------------------------------------------------------

    def financial_events(
        self,
        what: str,
        marketplace: Marketplace,
        posted_after: dt.datetime,
        posted_before: dt.datetime,
    ) -> Iterator[dict[str, Any]]:
        """The pages (``payload`` objects) of ``listFinancialEvents`` for the region of
        ``marketplace``, following ``NextToken``."""
        api = self._client("finances", marketplace)
        params: dict[str, Any] = {
            "PostedAfter": iso(posted_after),
            "PostedBefore": iso(posted_before),
            "MaxResultsPerPage": 100,
        }
        while True:
            kwargs = params

            def page(kwargs: dict[str, Any] = kwargs) -> Any:
                res = api.list_financial_events(**kwargs)
                if not isinstance(res.payload, dict) or "FinancialEvents" not in res.payload:
                    raise _Transient("listFinancialEvents answered without FinancialEvents")
                return res

            res = self.call(what, page)
            yield res.payload
            if not res.next_token:
                return
            params = {"NextToken": res.next_token}


def _amazon_message(exc: Any) -> str:
    """The message of a ``SellingApiException`` (its first error's code and message)."""
    code = getattr(exc, "amzn_code", None)
    message = getattr(exc, "message", None)
    text = ": ".join(str(p) for p in (code, message) if p)
    return text or "no message"
