"""A fake Amazon for the odr-fetch tests: Login with Amazon, the Reports API (2021-06-30), the
Finances API (v0) and the presigned document downloads, answered by one handler on a local
pytest-httpserver.

python-amazon-sp-api talks to ``https://api.amazon.com/auth/o2/token``,
``https://sellingpartnerapi-<region>.amazon.com`` and the documents' presigned ``url``: the
tests give :func:`odr_analysis.fetch.run.fetch_all` a :class:`ToFake` httpx transport that
sends every request to the local server with its URL's scheme, host and port replaced and its
``Host`` header kept, so the fake sees which host the library called.

Shapes follow Amazon's published models (``reports_2021-06-30.json``, ``financesV0.json``) and
Login with Amazon's token answer. Report contents are small, made up, in the readers' own
formats (All Orders: the 32-column header; feedback: Date, Rating, Comments, Your Response,
Order ID, Rater Email with fake addresses).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from werkzeug import Request, Response

from odr_analysis.readers.orders import ORDERS_SPEC

API_HOSTS = {
    "sellingpartnerapi-na.amazon.com": "NA",
    "sellingpartnerapi-eu.amazon.com": "EU",
    "sellingpartnerapi-fe.amazon.com": "FE",
}
DOC_HOST = "tortuga-prod-na.s3-external-1.amazonaws.com"
CHANNELS = {
    "ATVPDKIKX0DER": ("Amazon.com", "111", "%m/%d/%y", "utf-8"),
    "A2EUQ1WTGCTBG2": ("Amazon.ca", "702", "%d/%m/%y", "utf-8"),
    "A1VC38T7YXB528": ("Amazon.co.jp", "503", "%y/%m/%d", "cp932"),
}


class ToFake(httpx.BaseTransport):
    """An httpx transport that sends every request to the local fake (Host header kept)."""

    def __init__(self, base_url: str) -> None:
        url = httpx.URL(base_url)
        self.host, self.port = url.host, url.port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host=self.host, port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Seller:
    """One fake selling partner: its LWA credentials and what its reports hold."""

    profile: str
    refused: bool = False
    feedback: bool = True  # False: GET_SELLER_FEEDBACK_DATA ends CANCELLED
    fatal: set[str] = field(default_factory=set)  # report types that end FATAL

    @property
    def app_id(self) -> str:
        return f"fake-app-id-{self.profile}"

    @property
    def client_secret(self) -> str:
        return f"fake-client-secret-{self.profile}"

    @property
    def refresh_token(self) -> str:
        return f"fake-refresh-token-{self.profile}"

    @property
    def access_token(self) -> str:
        return f"Atza|fake-access-token-{self.profile}"


def order_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Days with orders: every 7th day from 2026-07-01."""
    start = dt.date(2026, 7, 1)
    return [
        start + dt.timedelta(days=n)
        for n in range(0, 365, 7)
        if first <= start + dt.timedelta(days=n) <= last
    ]


def orders_document(marketplace_id: str, start: dt.datetime, end: dt.datetime) -> bytes:
    """An All Orders report (32-column header) with one or two items per order day in range."""
    name, prefix, _fmt, encoding = CHANNELS[marketplace_id]
    header = list(ORDERS_SPEC.header)
    lines = ["\t".join(header)]
    for day in order_days(start.date(), end.date()):
        n = (day - dt.date(2026, 1, 1)).days
        for item, channel in enumerate(("Amazon", "Merchant")):
            row = dict.fromkeys(header, "")
            row.update(
                {
                    "amazon-order-id": f"{prefix}-{n:07d}-{item + 1:07d}",
                    "purchase-date": f"{day.isoformat()}T10:15:00+00:00",
                    "last-updated-date": f"{day.isoformat()}T18:00:00+00:00",
                    "order-status": "Shipped",
                    "fulfillment-channel": channel,
                    "sales-channel": name,
                    "ship-service-level": "Standard",
                    "product-name": "ウィジェット" if encoding == "cp932" else "Widget",
                    "sku": f"SKU-{item}",
                    "asin": f"B00000000{item}",
                    "item-status": "Shipped",
                    "quantity": "1",
                    "currency": "JPY" if encoding == "cp932" else "USD",
                    "ship-country": "JP" if encoding == "cp932" else "US",
                    "is-business-order": "false",
                }
            )
            lines.append("\t".join(row[h] for h in header))
    return ("\n".join(lines) + "\n").encode(encoding)


def feedback_document(marketplace_id: str, now: dt.datetime) -> bytes:
    """A feedback report: a 1-star and a 3-star rating for the last two order days."""
    _name, prefix, fmt, encoding = CHANNELS[marketplace_id]
    days = order_days(now.date() - dt.timedelta(days=60), now.date() - dt.timedelta(days=3))
    lines = ["Date\tRating\tComments\tYour Response\tOrder ID\tRater Email"]
    for rating, day in zip((1, 3), days[-2:], strict=True):
        n = (day - dt.date(2026, 1, 1)).days
        left = (day + dt.timedelta(days=2)).strftime(fmt)
        comment = "遅い" if encoding == "cp932" else "Late"
        lines.append(
            f"{left}\t{rating}\t{comment}\t\t{prefix}-{n:07d}-0000001\tbuyer{n}@example.invalid"
        )
    return ("\n".join(lines) + "\n").encode(encoding)


def health_document(marketplace_ids: list[str]) -> bytes:
    """A GET_V2_SELLER_PERFORMANCE_REPORT document for the marketplaces asked for."""

    def odr(kind: str) -> dict[str, Any]:
        return {
            "reportingDateRange": {
                "reportingDateFrom": "2026-09-21T00:00:00Z",
                "reportingDateTo": "2026-11-19T23:59:59Z",
            },
            "orderCount": 9,
            "orderWithDefects": {"count": 1, "status": "BAD"},
            "claims": {"count": 0, "status": "GOOD"},
            "chargebacks": {"count": 0, "status": "GOOD"},
            "negativeFeedback": {"count": 1, "status": "BAD"},
            "fulfillmentType": kind,
            "status": "BAD",
            "rate": 0.1111,
            "targetValue": 0.01,
            "targetCondition": "LESS_THAN",
        }

    return json.dumps(
        {
            "accountStatuses": [{"marketplaceId": m, "status": "NORMAL"} for m in marketplace_ids],
            "performanceMetrics": [
                {"marketplaceId": m, "orderDefectRate": {"afn": odr("afn"), "mfn": odr("mfn")}}
                for m in marketplace_ids
            ],
        },
        indent=2,
    ).encode()


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(obj), status=status, headers=headers or {}, content_type="application/json"
    )


def _errors(status: int, code: str, message: str, **headers: str) -> Response:
    return _json({"errors": [{"code": code, "message": message, "details": ""}]}, status, headers)


@dataclass
class _Report:
    report_type: str
    marketplace_ids: list[str]
    start: dt.datetime | None
    end: dt.datetime | None
    seller: Seller
    region: str
    polls: int = 0


class FakeAmazon:
    """The handler: ``server.expect_request(re.compile(".*")).respond_with_handler(fake)``.

    ``log`` lists ``(host, method, path)`` of every request; ``throttle`` answers that many
    ``createReport`` calls 429 first; ``downloads`` counts report documents served.
    """

    def __init__(self, sellers: list[Seller], now: dt.datetime, *, throttle: int = 0) -> None:
        self.sellers = {s.refresh_token: s for s in sellers}
        self.by_token = {s.access_token: s for s in sellers}
        self.now = now
        self.throttle = throttle
        self.log: list[tuple[str, str, str]] = []
        self.reports: dict[str, _Report] = {}
        self.documents: dict[str, tuple[bytes, bool]] = {}
        self.downloads = 0
        self.on_download: Callable[[int], None] | None = None
        self._lock = threading.Lock()

    def count(self, method: str, path_start: str) -> int:
        return sum(1 for _h, m, p in self.log if m == method and p.startswith(path_start))

    def __call__(self, request: Request) -> Response:
        with self._lock:
            host = request.headers.get("Host", "").split(":")[0]
            self.log.append((host, request.method, request.path))
            if host == "api.amazon.com" and request.path == "/auth/o2/token":
                return self._token(request)
            if host == DOC_HOST:
                return self._document(request)
            if host in API_HOSTS:
                seller = self.by_token.get(request.headers.get("x-amz-access-token", ""))
                if seller is None:
                    return _errors(403, "Unauthorized", "Access to requested resource is denied.")
                return self._api(request, seller, API_HOSTS[host])
            return Response("unknown host " + host, status=404)

    def _token(self, request: Request) -> Response:
        form = request.form
        seller = self.sellers.get(form.get("refresh_token", ""))
        if (
            form.get("grant_type") != "refresh_token"
            or seller is None
            or form.get("client_id") != seller.app_id
            or form.get("client_secret") != seller.client_secret
        ):
            return _json({"error": "invalid_client", "error_description": "Unknown client"}, 401)
        if seller.refused:
            return _json(
                {
                    "error": "invalid_grant",
                    # Amazon does not echo the token; a careless server might: it must not leak.
                    "error_description": "The request has an invalid grant parameter : "
                    + seller.refresh_token,
                },
                400,
            )
        return _json(
            {
                "access_token": seller.access_token,
                "refresh_token": seller.refresh_token,
                "token_type": "bearer",
                "expires_in": 3600,
            }
        )

    def _api(self, request: Request, seller: Seller, region: str) -> Response:  # noqa: PLR0911
        path = request.path
        if path == "/reports/2021-06-30/reports" and request.method == "POST":
            if self.throttle > 0:
                self.throttle -= 1
                return _errors(
                    429,
                    "QuotaExceeded",
                    "You exceeded your quota for the requested resource.",
                    **{"x-amzn-RateLimit-Limit": "0.0167"},
                )
            body = json.loads(request.get_data())
            report_id = str(50000 + len(self.reports))
            self.reports[report_id] = _Report(
                body["reportType"],
                body["marketplaceIds"],
                _parse(body.get("dataStartTime")),
                _parse(body.get("dataEndTime")),
                seller,
                region,
            )
            return _json({"reportId": report_id}, 202, {"x-amzn-RateLimit-Limit": "0.0167"})
        if path.startswith("/reports/2021-06-30/reports/"):
            return self._report(path.rsplit("/", 1)[1])
        if path.startswith("/reports/2021-06-30/documents/"):
            document_id = path.rsplit("/", 1)[1]
            if document_id not in self.documents:
                return _errors(404, "NotFound", "Document not found")
            gz = self.documents[document_id][1]
            return _json(
                {
                    "reportDocumentId": document_id,
                    "url": f"https://{DOC_HOST}/{document_id}?X-Amz-Signature=fake-signature",
                    **({"compressionAlgorithm": "GZIP"} if gz else {}),
                }
            )
        if path == "/finances/v0/financialEvents":
            return self._finances(request.args, seller)
        return _errors(404, "NotFound", f"no resource {path}")

    def _report(self, report_id: str) -> Response:
        report = self.reports.get(report_id)
        if report is None:
            return _errors(404, "NotFound", "Report not found")
        report.polls += 1
        status = ["IN_QUEUE", "IN_PROGRESS"][report.polls - 1] if report.polls < 3 else "DONE"
        answer: dict[str, Any] = {
            "reportId": report_id,
            "reportType": report.report_type,
            "marketplaceIds": report.marketplace_ids,
            "createdTime": "2026-12-04T12:00:00+00:00",
            "processingStatus": status,
        }
        if status != "DONE":
            return _json(answer)
        document_id = f"amzn1.spdoc.1.4.na.{report_id}"
        if report.report_type in report.seller.fatal:
            answer["processingStatus"] = "FATAL"
            error = json.dumps({"errorDetails": "Report request failed: internal error 0x51"})
            self.documents[document_id] = (error.encode(), False)
        elif report.report_type == "GET_SELLER_FEEDBACK_DATA" and not report.seller.feedback:
            return _json({**answer, "processingStatus": "CANCELLED"})
        else:
            self.documents[document_id] = self._content(report)
        answer["reportDocumentId"] = document_id
        return _json(answer)

    def _content(self, report: _Report) -> tuple[bytes, bool]:
        marketplace = report.marketplace_ids[0]
        if report.report_type == "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL":
            assert report.start is not None and report.end is not None
            assert report.end - report.start <= dt.timedelta(days=30)
            data = orders_document(marketplace, report.start, report.end)
        elif report.report_type == "GET_SELLER_FEEDBACK_DATA":
            data = feedback_document(marketplace, self.now)
        else:
            data = health_document(report.marketplace_ids)
        gz = marketplace != "ATVPDKIKX0DER"  # US plain, the others gzip (as Amazon may serve)
        return (gzip.compress(data, mtime=0) if gz else data), gz

    def _document(self, request: Request) -> Response:
        document_id = request.path.lstrip("/")
        if request.args.get("X-Amz-Signature") != "fake-signature":
            return Response("<Error><Code>AccessDenied</Code></Error>", status=403)
        data, _gz = self.documents[document_id]
        self.downloads += 1
        if self.on_download is not None:
            self.on_download(self.downloads)
        return Response(data, content_type="application/octet-stream")

    def _finances(self, args: Any, seller: Seller) -> Response:
        token = args.get("NextToken")
        page = int(token.removeprefix("page-")) if token else 1
        if not token:
            after, before = _parse(args["PostedAfter"]), _parse(args["PostedBefore"])
            assert after is not None and before is not None and after < before
        # Claims and chargebacks on orders the seller's All Orders reports hold (the FBA item
        # of an order day, every 7th day from 2026-07-01; two per page, from 14 October on).
        prefix = "503" if seller.profile == "tokyo" else "111"
        days = [
            dt.date(2026, 7, 1) + dt.timedelta(days=7 * (15 + 2 * (page - 1) + n)) for n in range(2)
        ]
        events = [
            {
                "AmazonOrderId": f"{prefix}-{(day - dt.date(2026, 1, 1)).days:07d}-0000001",
                "SellerOrderId": f"{prefix}-{(day - dt.date(2026, 1, 1)).days:07d}-0000001",
                "MarketplaceName": "Amazon.co.jp" if prefix == "503" else "Amazon.com",
                "PostedDate": "2026-11-20T10:00:00Z",
                "ShipmentItemAdjustmentList": [],
            }
            for day in days
        ]
        kind = "GuaranteeClaimEventList" if page == 1 else "ChargebackEventList"
        payload: dict[str, Any] = {"FinancialEvents": {kind: events, "ShipmentEventList": []}}
        if page < 3:
            payload["NextToken"] = f"page-{page + 1}"
        return _json({"payload": payload}, headers={"x-amzn-RateLimit-Limit": "0.5"})


def _parse(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(urllib.parse.unquote(value).replace("Z", "+00:00"))
