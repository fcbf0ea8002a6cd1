"""A folder of each marketplace's exports, in the encodings Amazon serves, loads with no glue.

For every marketplace of :data:`~odr_analysis.readers.marketplaces.MARKETPLACES` the test writes
an account folder as a seller of that marketplace gets it:

* the All Orders report as Amazon serves report documents: gzip-compressed, in the
  marketplace's encoding (Shift_JIS for Amazon.co.jp; ISO-8859-1/Windows-1252 for the Latin
  marketplaces, which the most used SP-API client assumes; UTF-8 where the product names need
  more, as Polish, Turkish and Arabic do), product names in the local script;
* the seller feedback report under the marketplace's own header where a public source shows it
  (:data:`~odr_analysis.readers.feedback.FEEDBACK_HEADERS`: DE, ES and MX from real files; IT,
  FR, NL, PL described), under a header no source shows elsewhere (read by position: the values
  prove the layout), dates in the marketplace's format (``13.11.25``, ``13/11/25``, ``11/13/25``,
  ``25/11/13``, ``2025-11-13``);
* the claims log as Excel saves it in the seller's locale: semicolon-separated Windows-1252
  where the decimal separator is a comma, comma-separated UTF-8 elsewhere.

``load_account(folder)`` (no ``marketplace=``, no ``encoding=``) must read every row, with the
feedback dates exact and every decision in the ingest notes.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest

from odr_analysis.readers.account import load_account
from odr_analysis.readers.claims import CLAIMS_SPEC
from odr_analysis.readers.feedback import FEEDBACK_HEADERS
from odr_analysis.readers.marketplaces import MARKETPLACES, Marketplace
from odr_analysis.readers.orders import ORDERS_SPEC

# Product names in the local script, and the encoding Amazon's document comes in.
_LOCAL: dict[str, tuple[str, str]] = {
    "US": ("Coffee mug, 12 oz", "cp1252"),
    "CA": ("Tasse à café", "cp1252"),
    "MX": ("Taza de café, cerámica", "cp1252"),
    "BR": ("Caneca de café, cerâmica", "cp1252"),
    "UK": ("Coffee mug, 350 ml", "cp1252"),
    "IE": ("Coffee mug, 350 ml", "cp1252"),
    "DE": ("Kaffeebecher, Größe L", "cp1252"),
    "FR": ("Tasse à café, crème", "cp1252"),
    "IT": ("Tazza da caffè", "cp1252"),
    "ES": ("Taza de café, pequeña", "cp1252"),
    "NL": ("Koffiemok, geëmailleerd", "cp1252"),
    "BE": ("Tasse à café", "cp1252"),
    "SE": ("Kaffemugg, blå", "cp1252"),
    "PL": ("Kubek do kawy, żółty", "utf-8"),
    "TR": ("Kahve kupası, büyük", "utf-8"),  # noqa: RUF001 (Turkish dotless i)
    "AE": ("كوب قهوة", "utf-8"),
    "SA": ("كوب قهوة", "utf-8"),
    "EG": ("كوب قهوة", "utf-8"),
    "IN": ("Coffee mug, steel", "utf-8"),
    "SG": ("Coffee mug, 350 ml", "utf-8"),
    "AU": ("Coffee mug, 350 ml", "utf-8"),
    "JP": ("コーヒーマグ、大きい", "cp932"),
}
# A header no public source shows: any six names (read by position, the values prove it).
_UNKNOWN_HEADER = ("Tarih", "Puan", "Yorumlar", "Yanıtınız", "Sipariş No", "Değerlendiren")  # noqa: RUF001
_UNKNOWN_JAPANESE = ("日付", "評価", "コメント", "返信", "注文番号", "評価者")
_COMMA_DECIMAL = {"DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL", "TR", "BR"}
# order id, purchase-date (local), channel; feedback: order, date, rating
_ORDERS = (
    ("{p}-0000001-0000001", "2025-10-02T09:00:00{tz}", "Amazon"),
    ("{p}-0000002-0000002", "2025-10-05T10:00:00{tz}", "Merchant"),
    ("{p}-0000003-0000003", "2025-10-20T11:00:00{tz}", "Merchant"),
    ("{p}-0000004-0000004", "2025-11-03T12:00:00{tz}", "Amazon"),
    ("{p}-0000005-0000005", "2025-11-12T13:00:00{tz}", "Merchant"),
)
_FEEDBACK = (
    (1, dt.date(2025, 10, 13), "1"),  # the 13th: day and month cannot be swapped
    (2, dt.date(2025, 11, 3), "2"),  # 3/11 or 11/3: the format decides
    (4, dt.date(2025, 11, 25), "3"),
)


def _header_for(country: str) -> tuple[tuple[str, ...], bool]:
    """The feedback header a seller of ``country`` gets, and whether it is a known one."""
    for header in FEEDBACK_HEADERS:
        if country in header.marketplaces:
            return header.names, True
    if country in ("US", "UK", "IE", "CA", "AU", "SG", "IN"):
        return FEEDBACK_HEADERS[0].names, True  # reports in English
    return (_UNKNOWN_JAPANESE if country == "JP" else _UNKNOWN_HEADER), False


def _write_folder(folder: Path, m: Marketplace) -> None:
    folder.mkdir()
    product, encoding = _LOCAL[m.country]
    prefix = "503" if m.country == "JP" else "402"
    tz = "+09:00" if m.country == "JP" else "+01:00"
    header = ORDERS_SPEC.header
    lines = ["\t".join(header)]
    for i, (oid, purchase, channel) in enumerate(_ORDERS):
        row = dict.fromkeys(header, "")
        row.update(
            {
                "amazon-order-id": oid.format(p=prefix),
                "purchase-date": purchase.format(tz=tz),
                "last-updated-date": purchase.format(tz=tz),
                "order-status": "Shipped",
                "fulfillment-channel": channel,
                "sales-channel": m.name,
                "product-name": product,
                "sku": f"SKU-{i}",
                "asin": f"B00000000{i}",
                "quantity": "1",
                "is-business-order": "false",
            }
        )
        lines.append("\t".join(row[c] for c in header))
    orders = ("\r\n".join(lines) + "\r\n").encode(encoding)
    (folder / f"{m.country}-orders.txt.gz").write_bytes(gzip.compress(orders, mtime=0))

    names, _ = _header_for(m.country)
    rows = ["\t".join(names)]
    for index, date, rating in _FEEDBACK:
        order = _ORDERS[index - 1][0].format(p=prefix)
        rows.append(
            "\t".join(
                (date.strftime(m.feedback_date_format), rating, product, "", order, "r@x.test")
            )
        )
    text = "\n".join(rows) + "\n"
    feedback_encoding = encoding if encoding != "cp1252" or text.isascii() else "utf-8"
    if m.country in ("DE", "FR", "JP"):
        feedback_encoding = encoding  # the marketplace's own encoding, as Amazon serves it
    (folder / "feedback.txt").write_bytes(text.encode(feedback_encoding))

    separator = ";" if m.country in _COMMA_DECIMAL else ","
    amount = "24,99" if separator == ";" else "24.99"
    claims = [
        separator.join(CLAIMS_SPEC.header),
        separator.join(
            (
                _ORDERS[2][0].format(p=prefix),
                "A-to-z claim",
                "2025-11-02",
                "Granted",
                amount,
                "EUR",
                "Käufer" if separator == ";" else "buyer",
            )
        ),
    ]
    claims_encoding = "cp1252" if separator == ";" else "utf-8"
    (folder / "claims.csv").write_bytes(("\r\n".join(claims) + "\r\n").encode(claims_encoding))


@pytest.mark.parametrize("m", list(MARKETPLACES.values()), ids=lambda m: m.country)
def test_each_marketplaces_folder_loads_as_amazon_serves_it(tmp_path: Path, m: Marketplace) -> None:
    folder = tmp_path / f"shop-{m.country.lower()}"
    _write_folder(folder, m)
    account = load_account(folder)
    assert account.rejects.is_empty(), account.rejects.rows()
    assert account.alerts == ()
    assert account.orders.height == 5
    assert set(account.orders["marketplace"]) == {m.name}
    product = _LOCAL[m.country][0]
    assert set(account.items["product_name"]) == {product}
    prefix = "503" if m.country == "JP" else "402"
    got = dict(account.feedback.select("order_id", "date").iter_rows())
    assert got == {_ORDERS[i - 1][0].format(p=prefix): date for i, date, _ in _FEEDBACK}
    assert account.defects.filter(pl.col("kind") == "a_to_z_claim").height == 1
    notes = dict(account.ingest.select("file", "note").iter_rows())
    orders_note = notes[f"{m.country}-orders.txt.gz"]
    assert orders_note.startswith("gzip-compressed")
    if m.country == "JP":
        assert "Shift_JIS (cp932)" in orders_note
    elif _LOCAL[m.country][1] == "cp1252" and not product.isascii():
        assert "Windows-1252" in orders_note
    _, known = _header_for(m.country)
    if not known:
        assert "by position" in notes["feedback.txt"]
    claims_note = notes["claims.csv"]
    if m.country in _COMMA_DECIMAL:
        assert claims_note == "Windows-1252 text; semicolon-separated"
    else:
        assert claims_note == ""
