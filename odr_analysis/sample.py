"""The seeded generator behind ``data/sample/``: three fictional seller accounts, Amazon formats.

Run ``python -m odr_analysis.sample OUT_DIR`` (the ``make sample`` target). The output is
byte-for-byte reproducible: a fixed seed (numpy ``Generator``), fixed line endings, fixed number
formatting, and no "now" anywhere: every date derives from :data:`REPORT_DATE`.

How it works: first the *truth* (:func:`build_truth`): canonical ``orders`` (one row per order,
plus the items and the facts the files need) and ``defects`` (every defect event, including
those that arrive after the report date), then the *rendering* in Amazon's formats, as a seller
would download them on the report date (so only events with ``event_date <= REPORT_DATE``):

* All Orders report (``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``), tab-separated,
  one row per item; ``evergreen-home`` has a UTF-8 BOM and CRLF line ends, ``summit-outdoor`` is
  two exports that overlap by a week (orders still pending in the first are shipped in the
  second), ``tiny-letterpress`` uses a newer header (``number-of-items`` added, ``url`` gone);
* seller feedback report (``GET_SELLER_FEEDBACK_DATA``), 1-3 stars, with our ``Status`` column;
* claims-and-chargebacks log (``data/templates/README.md``), every type and status wording the
  reader accepts;
* account-health report (``GET_V2_SELLER_PERFORMANCE_REPORT``) whose ODR blocks are
  :func:`odr_analysis.engine.odr` of the truth on the report date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from odr_analysis.defects import counted_defects
from odr_analysis.engine import odr
from odr_analysis.readers.claims import CLAIMS_SPEC, STATUS_WORDINGS, TYPE_WORDINGS
from odr_analysis.readers.feedback import FEEDBACK_SPEC, FEEDBACK_STATUS_WORDINGS
from odr_analysis.readers.marketplaces import MARKETPLACES
from odr_analysis.readers.orders import ORDERS_SPEC
from odr_analysis.readers.table import wordings_by_value
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, empty_defects

__all__ = [
    "ACCOUNTS",
    "REPORT_DATE",
    "SEED",
    "Truth",
    "build_truth",
    "main",
    "write_sample",
]

REPORT_DATE: Final = dt.date(2026, 2, 23)
"""The day the sample files were "downloaded" (the as-of date of every account-health report)."""
SEED: Final = 20260223
FIRST_DAY: Final = REPORT_DATE - dt.timedelta(days=395)
"""First local purchase day in the orders files (about 13 months before the report date)."""
LAST_DAY: Final = REPORT_DATE - dt.timedelta(days=1)
ACCOUNTS: Final = ("evergreen-home", "summit-outdoor", "tiny-letterpress")

# The files' headers and wordings are the readers' own (their specs and wording tables), so a
# sample file always reads back: the claims logs use every accepted wording of every status and
# type; a feedback status is written as the report shows it.
_CLAIM_WORDINGS: Final = {
    (kind, status): words
    for kind, table in STATUS_WORDINGS.items()
    for status, words in wordings_by_value(table).items()
}
_TYPE_WORDINGS: Final = wordings_by_value(TYPE_WORDINGS)  # kind -> (the template's, aliases...)
_FEEDBACK_STATUS_TEXT: Final = {
    status: words[0] for status, words in wordings_by_value(FEEDBACK_STATUS_WORDINGS).items()
}
# tiny-letterpress's orders file: a newer header (number-of-items added, url gone).
_NEWER_HEADER: Final = tuple(
    c
    for name in ORDERS_SPEC.header
    if name != "url"
    for c in ((name, "number-of-items") if name == "quantity" else (name,))
)


@dataclass(frozen=True)
class _Spec:
    """Everything that makes one fictional account what it is."""

    name: str
    marketplace_id: str
    seed: int
    story: str
    tz: str
    currency: str
    orders_per_day: float
    afn_share: float
    mcf_share: float
    business_share: float
    cancel_share: float
    id_prefixes: tuple[str, ...]
    catalog: tuple[tuple[str, str, float], ...]  # sku, product name, unit price
    places: tuple[tuple[str, str, str, str], ...]  # city, state, postal code, country
    p_negative: tuple[float, float]  # (AFN, MFN) probability of 1-2 star feedback
    p_neutral: float
    p_claim: tuple[float, float]
    p_chargeback: float
    late_share: float  # MFN orders delivered late outside the wave
    wave: tuple[dt.date, dt.date, float, float] | None  # first, last, volume x, late share
    late_negative: float  # extra feedback probability for a late delivery
    late_claim: float
    tax_rate: float
    stamp: str  # strftime of the account-health timestamps (seconds, minutes, millis)
    ahr: tuple[str, int, str]  # ahrStatus, ahrScore, account status
    holiday_boost: float


_US_PLACES: Final = (
    ("Seattle", "WA", "98103", "US"),
    ("Portland", "OR", "97214", "US"),
    ("Denver", "CO", "80205", "US"),
    ("Austin", "TX", "78704", "US"),
    ("Chicago", "IL", "60614", "US"),
    ("Brooklyn", "NY", "11215", "US"),
    ("Atlanta", "GA", "30307", "US"),
    ("Minneapolis", "MN", "55408", "US"),
    ("San Diego", "CA", "92104", "US"),
    ("Boise", "ID", "83702", "US"),
    ("Columbus", "OH", "43215", "US"),
    ("Raleigh", "NC", "27601", "US"),
    ("Phoenix", "AZ", "85004", "US"),
    ("Boston", "MA", "02118", "US"),
    ("Salt Lake City", "UT", "84111", "US"),
    ("Anchorage", "AK", "99501", "US"),
    ("Burlington", "VT", "05401", "US"),
    ("Madison", "WI", "53703", "US"),
)
_UK_PLACES: Final = (
    ("London", "", "SE15 4QL", "GB"),
    ("Manchester", "Greater Manchester", "M4 1HN", "GB"),
    ("Bristol", "", "BS1 5TR", "GB"),
    ("Edinburgh", "Midlothian", "EH6 6QU", "GB"),
    ("Leeds", "West Yorkshire", "LS6 1AN", "GB"),
    ("Norwich", "Norfolk", "NR2 1JD", "GB"),
    ("Cardiff", "", "CF10 1EP", "GB"),
    ("York", "North Yorkshire", "YO1 7HH", "GB"),
    ("Brighton", "East Sussex", "BN1 1AE", "GB"),
    ("Belfast", "County Antrim", "BT1 5GS", "GB"),
)

SPECS: Final = (
    _Spec(
        name="evergreen-home",
        marketplace_id="ATVPDKIKX0DER",
        seed=SEED + 1,
        story=(
            "A healthy mid-size home-goods seller on Amazon.com: about 20 orders a day, 85% "
            "Fulfilled by Amazon, a few Multi-Channel Fulfillment orders for its own web shop "
            "(sales-channel Non-Amazon, not in ODR). ODR stays well under 1% on both channels. "
            "Its orders file has a UTF-8 BOM and CRLF line ends; its feedback report holds one "
            "feedback for an order older than the orders file (a reject) and the comments used "
            "for escaping tests."
        ),
        tz="America/Los_Angeles",
        currency="USD",
        orders_per_day=19.0,
        afn_share=0.85,
        mcf_share=0.012,
        business_share=0.04,
        cancel_share=0.012,
        id_prefixes=("111", "112", "113", "114"),
        catalog=(
            ("EH-LIN-SHT-Q-SAGE", "Evergreen Linen Sheet Set, Queen, Sage", 89.99),
            ("EH-LIN-SHT-K-OAT", "Evergreen Linen Sheet Set, King, Oat", 99.99),
            ("EH-WAF-TWL-4-CLD", "Waffle Bath Towel Set of 4, Cloud", 39.99),
            ("EH-BAM-DRW-6", "Bamboo Drawer Organizer, 6 Piece", 24.99),
            ("EH-CER-DRIP-WHT", "Ceramic Pour-Over Coffee Dripper, White", 21.50),
            ("EH-GLS-STOR-10", "Glass Food Storage Containers, 10 Pack", 34.99),
            ("EH-THR-5060-RST", "Cotton Throw Blanket 50x60, Rust", 44.00),
            ("EH-STW-PLT-4", "Stoneware Dinner Plates, Set of 4", 48.99),
            ("EH-CDR-SHOE-3", "Cedar Shoe Rack, 3 Tier", 36.99),
            ("EH-CND-FIG-8", "Soy Wax Candle, Fig & Cedar, 8 oz", 18.00),
            ("EH-SIL-MAT-2", "Silicone Baking Mats, 2 Pack", 15.99),
            ("EH-ACA-BRD-L", "Acacia Wood Cutting Board, Large", 29.99),
            ("EH-MFC-CLTH-24", "Microfiber Cleaning Cloths, 24 Pack", 16.49),
            ("EH-CRT-5284-CHR", "Blackout Curtains 52x84, Charcoal, Pair", 42.99),
            ("EH-WOOL-DRY-6", "Wool Dryer Balls, 6 Pack", 13.99),
            ("EH-SS-SOAP-DSP", "Stainless Steel Soap Dispenser", 19.99),
            ("EH-JUTE-RUG-46", "Jute Area Rug 4x6", 64.99),
            ("EH-WVN-BSK-3", "Woven Storage Baskets, Set of 3", 38.50),
            ("EH-MEM-BATH-GRY", "Memory Foam Bath Mat, Grey", 22.99),
            ("EH-CI-SKL-10", "Cast Iron Skillet, 10 inch", 32.00),
            ("EH-LIN-NAP-6", "Linen Napkins, Set of 6, Natural", 27.99),
            ("EH-BAM-CADDY", "Bamboo Bath Caddy Tray", 33.99),
            ("EH-OIL-SPR-2", "Glass Oil Sprayer, 2 Pack", 14.99),
        ),
        places=_US_PLACES,
        p_negative=(0.0045, 0.0040),
        p_neutral=0.004,
        p_claim=(0.0006, 0.0050),
        p_chargeback=0.0012,
        late_share=0.03,
        wave=None,
        late_negative=0.03,
        late_claim=0.03,
        tax_rate=0.0725,
        stamp="%Y-%m-%dT%H:%M:%SZ",
        ahr=("GREAT", 412, "NORMAL"),
        holiday_boost=1.5,
    ),
    _Spec(
        name="summit-outdoor",
        marketplace_id="ATVPDKIKX0DER",
        seed=SEED + 2,
        story=(
            "An outdoor-gear seller on Amazon.com that ships most orders itself (about 10 orders "
            "a day, 90% seller-fulfilled). The holiday wave (orders of 20 November to 31 "
            "December 2025) doubled volume and a quarter of those parcels arrived late: A-to-z "
            "claims and 1-2 star feedback followed, and the seller-fulfilled ODR went above 1%. "
            "On the report date it is still above 1%, and it falls back under 1% within the "
            "following weeks as the holiday orders leave the 60-day window. Its orders come in "
            "two exports that overlap by a week."
        ),
        tz="America/Los_Angeles",
        currency="USD",
        orders_per_day=9.5,
        afn_share=0.10,
        mcf_share=0.004,
        business_share=0.06,
        cancel_share=0.015,
        id_prefixes=("111", "112", "113", "114"),
        catalog=(
            ("SO-HDL-400", "Summit Trail Headlamp, 400 Lumen", 29.99),
            ("SO-BTL-32-GLC", "Insulated Water Bottle, 32 oz, Glacier", 27.95),
            ("SO-STV-CMP", "Compact Camp Stove", 49.99),
            ("SO-SLB-DWN-20", "Down Sleeping Bag, 20F", 189.00),
            ("SO-TRK-CRB-PR", "Carbon Trekking Poles, Pair", 79.99),
            ("SO-SCK-MER-3", "Merino Hiking Socks, 3 Pack", 34.00),
            ("SO-DRY-20-ORG", "Dry Bag 20L, Orange", 21.99),
            ("SO-TARP-810", "Ultralight Tarp 8x10", 64.50),
            ("SO-MUG-TI-450", "Titanium Camp Mug, 450 ml", 24.99),
            ("SO-BIVY-EMG", "Emergency Bivvy", 16.99),
            ("SO-JKT-M-SLT", "Packable Rain Jacket, Men's M, Slate", 89.00),
            ("SO-JKT-W-TEA", "Packable Rain Jacket, Women's S, Teal", 89.00),
            ("SO-HMK-STRP", "Camping Hammock with Straps", 54.99),
            ("SO-CHR-FLD", "Folding Camp Chair", 42.99),
            ("SO-FIRE-KIT", "Fire Starter Kit", 12.49),
            ("SO-SNW-25", "Snowshoes, 25 inch", 139.00),
            ("SO-HND-WRM-40", "Hand Warmers, 40 Pack", 19.99),
            ("SO-GTR-WP", "Waterproof Gaiters", 31.00),
            ("SO-FAK-100", "Trail First Aid Kit, 100 Piece", 26.99),
        ),
        places=_US_PLACES,
        p_negative=(0.0020, 0.0015),
        p_neutral=0.005,
        p_claim=(0.0006, 0.0015),
        p_chargeback=0.0015,
        late_share=0.02,
        wave=(dt.date(2025, 11, 20), dt.date(2025, 12, 31), 2.1, 0.26),
        late_negative=0.10,
        late_claim=0.11,
        tax_rate=0.0725,
        stamp="%Y-%m-%dT%H:%MZ",
        ahr=("GREAT", 236, "AT_RISK"),
        holiday_boost=1.0,
    ),
    _Spec(
        name="tiny-letterpress",
        marketplace_id="A1F83G8C2ARO7P",
        seed=SEED + 3,
        story=(
            "A one-person letterpress studio on Amazon.co.uk: about one order a day, mostly "
            "posted by the seller, a few cards stocked at Amazon. With only a few dozen "
            "seller-fulfilled orders in the window, each defect moves the rate by more than a "
            "whole percentage point: a single 2-star feedback puts it over 1% on the report "
            "date (Amazon says it judges low-volume accounts with their volume in mind), and a "
            "1-star feedback already received on a newer order will join it within days. Its "
            "feedback report writes dates day first (UK), and its orders file uses a newer "
            "header (number-of-items added, url gone)."
        ),
        tz="Europe/London",
        currency="GBP",
        orders_per_day=1.0,
        afn_share=0.2,
        mcf_share=0.0,
        business_share=0.0,
        cancel_share=0.02,
        id_prefixes=("202", "203", "204", "205", "206"),
        catalog=(
            ("TL-CARD-THX", "Letterpress Greeting Card, Thank You", 4.50),
            ("TL-CARD-BOT-6", "Letterpress Card Set of 6, Botanical", 18.00),
            ("TL-WED-SMPL", "Wedding Invitation Sample Pack", 12.00),
            ("TL-NTB-A5-DOT", "Letterpress Notebook A5, Dotted", 14.50),
            ("TL-TAGS-12", "Gift Tags, Set of 12", 7.50),
            ("TL-XMAS-ROB-5", "Christmas Cards, Robin, Set of 5", 15.00),
            ("TL-CARD-BDAY", "Birthday Card, Hand-Set Type", 4.75),
        ),
        places=_UK_PLACES,
        p_negative=(0.0, 0.0),
        p_neutral=0.0,
        p_claim=(0.0, 0.0),
        p_chargeback=0.0,
        late_share=0.03,
        wave=None,
        late_negative=0.0,
        late_claim=0.0,
        tax_rate=0.20,
        stamp="%Y-%m-%dT%H:%M:%S.000Z",
        ahr=("GREAT", 200, "NORMAL"),
        holiday_boost=2.0,
    ),
)

# Exports: (file name, first local purchase day, last local purchase day, download day).
_EXPORTS: Final[dict[str, tuple[tuple[str, dt.date, dt.date, dt.date], ...]]] = {
    "evergreen-home": (("All Orders Report.txt", FIRST_DAY, LAST_DAY, REPORT_DATE),),
    "summit-outdoor": (
        (
            "orders-2025-01-24-to-2025-09-05.txt",
            FIRST_DAY,
            dt.date(2025, 9, 5),
            dt.date(2025, 9, 6),
        ),
        ("orders-2025-08-29-to-2026-02-22.txt", dt.date(2025, 8, 29), LAST_DAY, REPORT_DATE),
    ),
    "tiny-letterpress": (("all-orders-newer-layout.txt", FIRST_DAY, LAST_DAY, REPORT_DATE),),
}
_HOUR_WEIGHTS: Final = np.array(
    [3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 6, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4], dtype=float
)
_WEEKDAY: Final = np.array([1.0, 1.0, 1.0, 0.95, 1.0, 1.1, 1.15])  # Monday .. Sunday


@dataclass(frozen=True)
class Truth:
    """One sample account as it really is (the files are a view of this on the report date).

    Attributes
    ----------
    name, marketplace
        Account (folder) name and marketplace name (``Amazon.com``, ``Amazon.co.uk``).
    orders
        Canonical orders (:mod:`odr_analysis.schema`; MCF orders left out), ``order_status``
        as on the report date, plus ``purchase_ts`` (UTC), ``item_count`` and ``units``.
    defects
        Canonical defects, every event including those received after the report date.
    items, facts
        One row per order item; per-order facts the other metrics need (late shipment, ...).
    """

    name: str
    marketplace: str
    orders: pl.DataFrame
    defects: pl.DataFrame
    items: pl.DataFrame
    facts: pl.DataFrame

    def known_defects(self, as_of: dt.date = REPORT_DATE) -> pl.DataFrame:
        """The defects Amazon had received by ``as_of`` (what the files of that day hold)."""
        return self.defects.filter(pl.col("event_date") <= as_of)


# --------------------------------------------------------------------------------------------
# truth


def _days() -> pl.Series:
    return pl.date_range(FIRST_DAY, LAST_DAY, "1d", eager=True)


def _daily_rates(spec: _Spec) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """Every local purchase day, its expected order count and whether it is in the wave."""
    days = _days()
    day_np = days.to_numpy()
    rate = spec.orders_per_day * _WEEKDAY[days.dt.weekday().to_numpy() - 1]
    holiday = (day_np >= np.datetime64("2025-11-20")) & (day_np <= np.datetime64("2025-12-24"))
    rate = np.where(holiday, rate * spec.holiday_boost, rate)
    prime = (day_np >= np.datetime64("2025-07-08")) & (day_np <= np.datetime64("2025-07-11"))
    rate = np.where(prime, rate * 1.8, rate)
    in_wave = np.zeros(len(days), dtype=bool)
    if spec.wave is not None:
        first, last, volume, _ = spec.wave
        in_wave = (day_np >= np.datetime64(first)) & (day_np <= np.datetime64(last))
        rate = np.where(in_wave, rate * volume, rate)
    return days, rate, in_wave


def _service_levels(
    spec: _Spec, afn: np.ndarray, mcf: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    n = len(afn)
    if spec.currency == "GBP":
        levels = (np.array(["Standard", "Expedited"]), [0.85, 0.15])
        afn_levels = levels
    else:
        levels = (np.array(["Standard", "Expedited", "SecondDay"]), [0.75, 0.2, 0.05])
        afn_levels = (
            np.array(["Expedited", "Standard", "SecondDay", "NextDay"]),
            [0.4, 0.4, 0.15, 0.05],
        )
    level = np.where(
        afn,
        afn_levels[0][rng.choice(len(afn_levels[0]), size=n, p=afn_levels[1])],
        levels[0][rng.choice(len(levels[0]), size=n, p=levels[1])],
    )
    return np.where(mcf, "Standard", level)


def _build_orders(spec: _Spec, rng: np.random.Generator) -> pl.DataFrame:
    """One row per order (MCF included) with everything the files and the metrics need."""
    days, rate, in_wave = _daily_rates(spec)
    counts = rng.poisson(rate)
    n = int(counts.sum())
    day_index = np.repeat(np.arange(len(days)), counts)
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, size=n)
    mcf = rng.random(n) < spec.mcf_share
    afn = mcf | (rng.random(n) < spec.afn_share)
    wave = in_wave[day_index] & ~afn
    late_share = np.where(wave, spec.wave[3] if spec.wave else 0.0, spec.late_share)
    late = ~afn & (rng.random(n) < late_share)
    late_ship = ~afn & (rng.random(n) < np.where(wave, 0.06, 0.015))
    cancelled = ~mcf & (rng.random(n) < spec.cancel_share)
    business = ~mcf & (rng.random(n) < spec.business_share)
    n_items = 1 + (rng.random(n) < 0.15).astype(int) + (rng.random(n) < 0.035).astype(int)
    prefix = np.array(spec.id_prefixes)[rng.integers(0, len(spec.id_prefixes), size=n)]
    prefix = np.where(mcf, "S01", prefix)
    part1 = rng.integers(0, 10**7, size=n)
    part2 = rng.integers(0, 10**7, size=n)
    level = _service_levels(spec, afn, mcf, rng)
    # Minutes from purchase to shipment / cancellation (AFN ships faster; late MFN ships late).
    ship_minutes = np.where(
        afn, rng.integers(240, 1800, size=n), rng.integers(480, 3600, size=n)
    ) + np.where(late_ship, rng.integers(2880, 5760, size=n), 0)
    cancel_minutes = rng.integers(10, 1200, size=n)
    place = rng.integers(0, len(spec.places), size=n)
    valid_tracking = rng.random(n) < 0.985
    promo = ~mcf & (rng.random(n) < 0.06)
    frame = pl.DataFrame(
        {
            "local_day": days.gather(day_index),
            "seconds": seconds.astype(np.int64),
            "prefix": prefix,
            "part1": part1,
            "part2": part2,
            "mcf": mcf,
            "channel": np.where(afn, "AFN", "MFN"),
            "cancelled": cancelled,
            "is_business": business,
            "late_delivery": late,
            "late_ship": late_ship,
            "valid_tracking": valid_tracking,
            "wave": wave,
            "item_count": n_items,
            "ship_service_level": level,
            "ship_minutes": ship_minutes.astype(np.int64),
            "cancel_minutes": cancel_minutes.astype(np.int64),
            "place": place,
            "promo": promo,
        }
    )
    naive = pl.col("local_day").cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("seconds"))
    local = naive.dt.replace_time_zone(spec.tz, ambiguous="earliest", non_existent="null")
    shifted = (naive + pl.duration(hours=1)).dt.replace_time_zone(spec.tz, ambiguous="earliest")
    marketplace = MARKETPLACES[spec.marketplace_id].name
    orders = (
        frame.with_columns(purchase_local=pl.coalesce(local, shifted))
        .with_columns(
            account=pl.lit(spec.name),
            marketplace=pl.when("mcf").then(pl.lit("Non-Amazon")).otherwise(pl.lit(marketplace)),
            order_id=pl.format(
                "{}-{}-{}",
                "prefix",
                pl.col("part1").cast(pl.String).str.zfill(7),
                pl.col("part2").cast(pl.String).str.zfill(7),
            ),
            purchase_ts=pl.col("purchase_local").dt.convert_time_zone("UTC"),
            merchant_order_id=pl.when("mcf")
            .then(pl.format("WEB-{}", (pl.col("part2") % 90000 + 10000).cast(pl.String)))
            .otherwise(pl.lit("")),
        )
        .with_columns(order_date=pl.col("purchase_ts").dt.date())
        .sort("purchase_ts", "order_id")
        .drop("prefix", "part1", "part2", "seconds")
    )
    dupes = orders.height - orders["order_id"].n_unique()
    if dupes:  # pragma: no cover - depends on the seed only
        raise RuntimeError(f"{spec.name}: {dupes} duplicate order ids; change the seed")
    return orders


def _build_items(spec: _Spec, orders: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One row per order item: distinct SKUs within an order, quantity, prices."""
    size = len(spec.catalog)
    n = orders.height
    base = rng.integers(0, size, size=n)
    step = rng.integers(1, size, size=n)  # catalog sizes are prime: base + j*step are distinct
    quantities = rng.choice([1, 2, 3], size=(n, 3), p=[0.88, 0.09, 0.03])
    rows = (
        orders.select("order_id", "item_count")
        .with_columns(
            base=pl.Series(base),
            step=pl.Series(step),
            q=pl.Series(quantities.tolist(), dtype=pl.List(pl.Int64)),
        )
        .with_columns(item_no=pl.int_ranges(0, "item_count"))
        .explode("item_no")
        .with_columns(
            catalog_index=((pl.col("base") + pl.col("item_no") * pl.col("step")) % size),
            quantity=pl.col("q").list.get(pl.col("item_no")),
        )
    )
    catalog = pl.DataFrame(
        {
            "catalog_index": range(size),
            "sku": [c[0] for c in spec.catalog],
            "product_name": [c[1] for c in spec.catalog],
            "unit_price": [c[2] for c in spec.catalog],
            "asin": _asins(spec, size),
        },
        schema_overrides={"catalog_index": pl.Int64},
    )
    return (
        rows.join(catalog, on="catalog_index", how="left")
        .select("order_id", "item_no", "sku", "asin", "product_name", "quantity", "unit_price")
        .sort("order_id", "item_no")
    )


def _asins(spec: _Spec, size: int) -> list[str]:
    rng = np.random.default_rng(spec.seed * 7)
    chars = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    picks = chars[rng.integers(0, len(chars), size=(size, 8))]
    return ["B0" + "".join(row) for row in picks.tolist()]


def _random_text(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    chars = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    picks = np.ascontiguousarray(chars[rng.integers(0, len(chars), size=(n, length))])
    return picks.view(f"<U{length}").ravel()


def _pool(
    rng: np.random.Generator, n: int, statuses: Sequence[str], weights: Sequence[float]
) -> np.ndarray:
    """``n`` statuses drawn by weight, with every status at least once when ``n`` allows."""
    if n == 0:
        return np.array([], dtype=object)
    p = np.asarray(weights, dtype=float) / float(np.sum(weights))
    must = list(statuses) if n >= len(statuses) else []
    rest = rng.choice(np.array(statuses, dtype=object), size=n - len(must), p=p)
    out = np.concatenate([np.array(must, dtype=object), rest])
    rng.shuffle(out)
    return out


_MFN_CLAIM = (
    ("granted", 0.30),
    ("seller_refunded", 0.18),
    ("withdrawn_after_grant", 0.06),
    ("denied", 0.14),
    ("withdrawn", 0.08),
    ("buy_shipping_protected", 0.14),
    ("not_counted", 0.10),
)
_AFN_CLAIM = tuple(s for s in _MFN_CLAIM if s[0] != "buy_shipping_protected")
_CHARGEBACK = (("service", 0.6), ("fraud", 0.28), ("unknown", 0.12))


def _decided(
    rng: np.random.Generator, frame: pl.DataFrame, table: Sequence[tuple[str, float]]
) -> pl.DataFrame:
    """Final statuses for ``frame``'s rows (sorted): known rows from a covering pool."""
    statuses = [s for s, _ in table]
    weights = [w for _, w in table]
    known = frame.filter(pl.col("event_date") <= REPORT_DATE)
    future = frame.filter(pl.col("event_date") > REPORT_DATE)
    return pl.concat(
        [
            known.with_columns(
                status=pl.Series(_pool(rng, known.height, statuses, weights), dtype=pl.String)
            ),
            future.with_columns(
                status=pl.Series(
                    rng.choice(
                        np.array(statuses, dtype=object),
                        size=future.height,
                        p=np.array(weights) / sum(weights),
                    ),
                    dtype=pl.String,
                )
            ),
        ]
    )


def _build_defects(spec: _Spec, orders: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Random defect events (at most one feedback per order; claims and chargebacks)."""
    n = orders.height
    mfn = (orders["channel"] == "MFN").to_numpy()
    late = orders["late_delivery"].to_numpy()
    eligible = ~orders["mcf"].to_numpy() & ~orders["cancelled"].to_numpy()
    p_neg = np.where(mfn, spec.p_negative[1], spec.p_negative[0]) + late * spec.late_negative
    u = rng.random(n)
    negative = eligible & (u < p_neg)
    neutral = eligible & ~negative & (u < p_neg + spec.p_neutral)
    rating = np.where(rng.random(n) < 0.6, 1, 2)
    rating = np.where(neutral, 3, rating)
    fb_delay = np.where(
        late, 6 + rng.gamma(2.0, 4.0, size=n), 3 + rng.gamma(2.0, 8.0, size=n)
    ).astype(int)
    fb_delay = np.minimum(fb_delay, 90)
    r = rng.random(n)
    fb_status = np.where(
        mfn,
        np.select(
            [r < 0.03, r < 0.08, r < 0.15], ["struck_through", "removed", "withdrawn"], "active"
        ),
        np.select(
            [r < 0.35, r < 0.40, r < 0.45], ["struck_through", "removed", "withdrawn"], "active"
        ),
    )
    fb_status = np.where(neutral, np.where(r < 0.03, "withdrawn", "active"), fb_status)
    claim = eligible & (
        rng.random(n) < np.where(mfn, spec.p_claim[1], spec.p_claim[0]) + late * spec.late_claim
    )
    cl_delay = np.where(
        late, 8 + rng.gamma(2.0, 5.0, size=n), 5 + rng.gamma(2.0, 7.0, size=n)
    ).astype(int)
    cl_delay = np.minimum(cl_delay, 60)
    chargeback = eligible & (rng.random(n) < spec.p_chargeback)
    cb_delay = np.minimum(20 + rng.gamma(2.0, 6.0, size=n).astype(int), 60)
    base = orders.select("account", "order_id", "order_date", "channel").with_columns(
        fb=pl.Series(negative | neutral),
        rating=pl.Series(rating),
        fb_delay=pl.Series(fb_delay),
        fb_status=pl.Series(fb_status),
        claim=pl.Series(claim),
        cl_delay=pl.Series(cl_delay),
        chargeback=pl.Series(chargeback),
        cb_delay=pl.Series(cb_delay),
        pending_draw=pl.Series(rng.random(n)),
    )
    feedback = base.filter("fb").select(
        "account",
        "order_id",
        "channel",
        kind=pl.lit("negative_feedback"),
        event_date=pl.col("order_date") + pl.duration(days=pl.col("fb_delay")),
        status=pl.col("fb_status"),
        rating=pl.col("rating").cast(pl.Int32),
        pending_draw=pl.col("pending_draw"),
    )
    claims = base.filter("claim").select(
        "account",
        "order_id",
        "channel",
        kind=pl.lit("a_to_z_claim"),
        event_date=pl.col("order_date") + pl.duration(days=pl.col("cl_delay")),
        status=pl.lit(None, pl.String),
        rating=pl.lit(None, pl.Int32),
        pending_draw=pl.col("pending_draw"),
    )
    chargebacks = base.filter("chargeback").select(
        "account",
        "order_id",
        "channel",
        kind=pl.lit("chargeback"),
        event_date=pl.col("order_date") + pl.duration(days=pl.col("cb_delay")),
        status=pl.lit(None, pl.String),
        rating=pl.lit(None, pl.Int32),
        pending_draw=pl.col("pending_draw"),
    )
    # A claim still open on the report date is pending; the others are decided.
    age = (pl.lit(REPORT_DATE) - pl.col("event_date")).dt.total_days()
    open_now = (pl.col("event_date") <= REPORT_DATE) & (
        ((age <= 21) & (pl.col("pending_draw") < 0.95))
        | ((age > 21) & (age <= 45) & (pl.col("pending_draw") < 0.6))
    )
    claims = claims.sort("event_date", "order_id")
    pending = claims.filter(open_now).with_columns(status=pl.lit("pending"))
    rest = claims.filter(~open_now)
    decided = pl.concat(
        [
            _decided(rng, rest.filter(pl.col("channel") == "MFN"), _MFN_CLAIM),
            _decided(rng, rest.filter(pl.col("channel") == "AFN"), _AFN_CLAIM),
        ]
    )
    chargebacks = _decided(rng, chargebacks.sort("event_date", "order_id"), _CHARGEBACK)
    return pl.concat([feedback, pending, decided, chargebacks]).drop("channel", "pending_draw")


def _nearest(
    orders: pl.DataFrame, channel: str, day: dt.date, taken: list[str]
) -> tuple[str, dt.date]:
    """The eligible order of ``channel`` placed nearest ``day`` and not ``taken``."""
    row = (
        orders.filter(
            (pl.col("channel") == channel)
            & ~pl.col("mcf")
            & ~pl.col("cancelled")
            & ~pl.col("order_id").is_in(pl.Series(taken, dtype=pl.String).implode())
        )
        .with_columns(gap=(pl.col("order_date") - pl.lit(day)).dt.total_days().abs())
        .sort("gap", "order_id")
        .row(0, named=True)
    )
    return row["order_id"], row["order_date"]


def _planted(spec: _Spec, orders: pl.DataFrame) -> pl.DataFrame:
    """The hand-placed defects of the low-volume story (``tiny-letterpress``)."""
    if spec.name != "tiny-letterpress":
        return empty_defects()
    plan = (
        # (channel, order date offset from the report date, kind, days to event, status, rating)
        ("MFN", -40, "negative_feedback", 11, "active", 2),
        ("MFN", -55, "negative_feedback", 9, "removed", 1),
        ("MFN", -31, "a_to_z_claim", 19, "denied", None),
        ("MFN", -22, "negative_feedback", 8, "active", 3),
        ("MFN", -200, "a_to_z_claim", 24, "granted", None),
        ("MFN", -130, "negative_feedback", 6, "struck_through", 1),
        ("AFN", -120, "chargeback", 33, "fraud", None),
        ("MFN", -10, "negative_feedback", 6, "active", 1),
    )
    taken: list[str] = []
    rows = []
    for channel, offset, kind, delay, status, rating in plan:
        order_id, order_date = _nearest(
            orders, channel, REPORT_DATE + dt.timedelta(days=offset), taken
        )
        taken.append(order_id)
        rows.append(
            (spec.name, order_id, kind, order_date + dt.timedelta(days=delay), status, rating)
        )
    return pl.DataFrame(
        rows,
        schema=DEFECTS_SCHEMA,
        orient="row",
    )


@dataclass(frozen=True)
class _Built:
    spec: _Spec
    orders: pl.DataFrame  # every order, MCF included, with all facts
    items: pl.DataFrame
    defects: pl.DataFrame  # canonical columns + render columns


def _build_one(spec: _Spec) -> _Built:
    rng = np.random.default_rng(spec.seed)
    orders = _build_orders(spec, rng)
    items = _build_items(spec, orders, rng)
    orders = orders.join(
        items.group_by("order_id").agg(units=pl.col("quantity").sum()), on="order_id"
    ).sort("purchase_ts", "order_id")
    defects = pl.concat([_build_defects(spec, orders, rng), _planted(spec, orders)]).sort(
        "event_date", "order_id", "kind"
    )
    return _Built(spec, orders, items, _render_columns(spec, defects, rng))


_NEGATIVE_COMMENTS: Final = (
    "Item arrived damaged and the box was crushed.",
    "Not as described, colour is completely different.",
    "Wrong item sent. Still waiting on a reply.",
    "Poor quality, broke after two uses.",
    "Seller never answered my messages.",
    "Missing parts, had to return it.",
    "Very disappointed, would not buy again",
    "Package was left open and half empty",
)
_LATE_COMMENTS: Final = (
    "Arrived two weeks late, after Christmas. Useless as a gift.",
    "Never received my order and no reply from the seller.",
    "Came a week after the promised date.",
    "Tracking said delivered but nothing arrived until 10 days later.",
    "Ordered for a trip, showed up after I got back.",
    "Late, late, late. Ordered Dec 12 and still nothing on the 28th",
)
_AFN_COMMENTS: Final = (
    "Amazon delivery was three days late.",
    "Box was soaked, courier left it in the rain.",
    "Delivery driver threw the parcel over the fence.",
)
_NEUTRAL_COMMENTS: Final = (
    "Item OK but shipping was slow.",
    "Fine. Packaging could be better.",
    "Does the job, a bit smaller than expected",
    "Good product, took a while to arrive.",
)
_UK_COMMENTS: Final = (
    "Card arrived bent, paid £3.20 for postage.",
    "Lovely print but the envelope was missing.",
    "Très déçu, the colours were off.",
    "Took 9 days to arrive, missed the birthday.",
)
_RESPONSES: Final = (
    "We are sorry for the delay; a replacement was sent the same day.",
    "Sorry to hear this. We refunded the order in full.",
    "Please contact us through Buyer-Seller Messaging so we can make this right.",
    "Our carrier confirmed the late delivery. We have issued a partial refund.",
)
_NOTES: Final[dict[str, tuple[str, ...]]] = {
    "pending": ("Buyer reports parcel not received", "Replied with tracking, waiting", ""),
    "granted": ("Tracking stalled at carrier hub, delivered late", "Amazon paid the buyer", ""),
    "seller_refunded": ("Refunded in full, item arrived damaged", "Refunded, buyer kept it", ""),
    "withdrawn_after_grant": ("Buyer withdrew after the grant, parcel turned up", ""),
    "denied": ("Proof of delivery accepted", "Tracking shows delivered, signed for", ""),
    "withdrawn": ("Buyer withdrew, parcel turned up", ""),
    "buy_shipping_protected": ("Shipped on time with Buy Shipping", ""),
    "not_counted": ("Amazon: not counted against ODR, refused delivery", ""),
    "service": ("Card issuer: item not received", "Bank notice, reason code 13.1", ""),
    "fraud": ("Card issuer: unauthorized use", ""),
    "unknown": ("",),
}


def _render_columns(spec: _Spec, defects: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Text the files carry for each defect: comments, responses, emails, notes."""
    n = defects.height
    is_uk = spec.currency == "GBP"
    pick = rng.integers(0, 1 << 30, size=(n, 4))
    domain = "marketplace.amazon.co.uk" if is_uk else "marketplace.amazon.com"
    emails = np.char.add(_random_text(rng, n, 14), "@" + domain)
    return defects.with_columns(
        pick_comment=pl.Series(pick[:, 0]),
        pick_response=pl.Series(pick[:, 1]),
        pick_note=pl.Series(pick[:, 2]),
        pick_amount=pl.Series(pick[:, 3]),
        rater_email=pl.Series(emails.astype(str)),
    )


def _choose(pool: Sequence[str], pick: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(pool, dtype=pl.String).implode()).list.get(
        (pick % len(pool)).cast(pl.Int64)
    )


def _feedback_text(built: _Built) -> pl.DataFrame:
    """Feedback rows of one account with their comments and responses."""
    negative = _UK_COMMENTS if built.spec.currency == "GBP" else _NEGATIVE_COMMENTS
    info = built.orders.select("order_id", "channel", "late_delivery")
    rows = built.defects.filter(pl.col("kind") == "negative_feedback").join(
        info, on="order_id", how="left"
    )
    comment = (
        pl.when(pl.col("rating") == 3)
        .then(_choose(_NEUTRAL_COMMENTS, pl.col("pick_comment")))
        .when(pl.col("late_delivery").fill_null(False))
        .then(_choose(_LATE_COMMENTS, pl.col("pick_comment")))
        .when(pl.col("channel") == "AFN")
        .then(_choose(_AFN_COMMENTS, pl.col("pick_comment")))
        .otherwise(_choose(negative, pl.col("pick_comment")))
    )
    response = (
        pl.when((pl.col("rating") <= 2) & (pl.col("pick_response") % 10 < 3))
        .then(_choose(_RESPONSES, pl.col("pick_response") // 10))
        .otherwise(pl.lit(""))
    )
    return rows.with_columns(comments=comment, response=response)


def _assign_wordings(built: list[_Built]) -> list[_Built]:
    """Status wordings and type aliases for the claims log, covering every wording across the
    three accounts (each canonical status cycles through its wordings)."""
    wordings = pl.DataFrame(
        [
            (kind, status, i, text, len(texts))
            for (kind, status), texts in _CLAIM_WORDINGS.items()
            for i, text in enumerate(texts)
        ],
        schema={
            "kind": pl.String,
            "status": pl.String,
            "slot": pl.Int64,
            "wording": pl.String,
            "n_wordings": pl.Int64,
        },
        orient="row",
    )
    logged = pl.concat(
        [
            b.defects.filter(
                (pl.col("kind") != "negative_feedback") & (pl.col("event_date") <= REPORT_DATE)
            ).with_columns(account_no=pl.lit(i))
            for i, b in enumerate(built)
        ]
    ).sort("account_no", "event_date", "order_id", "kind")
    ranked = (
        logged.with_columns(rank=pl.int_range(pl.len()).over("kind", "status"))
        .join(wordings.select("kind", "status", "n_wordings").unique(), on=["kind", "status"])
        .with_columns(slot=pl.col("rank") % pl.col("n_wordings"))
        .join(wordings.drop("n_wordings"), on=["kind", "status", "slot"])
        .with_columns(
            type_rank=pl.int_range(pl.len()).over("account_no", "kind"),
        )
        .with_columns(
            # An account's first claims of a kind use every type wording, the others the first.
            type_text=pl.coalesce(
                pl.when(pl.col("kind") == kind).then(
                    pl.when(pl.col("type_rank") < len(types))
                    .then(_choose(types, pl.col("type_rank")))
                    .otherwise(pl.lit(types[0]))
                )
                for kind, types in _TYPE_WORDINGS.items()
            ),
            # One wording in capitals: the mapping is case-insensitive.
            wording=pl.when(
                (pl.col("account_no") == 1)
                & (pl.col("kind") == "a_to_z_claim")
                & (pl.col("type_rank") == 8)
            )
            .then(pl.col("wording").str.to_uppercase())
            .otherwise("wording"),
        )
        .select("account_no", "order_id", "kind", "event_date", "wording", "type_text")
    )
    covered = set(ranked["wording"].str.to_lowercase().to_list())
    missing = [
        text for texts in _CLAIM_WORDINGS.values() for text in texts if text.lower() not in covered
    ]
    if missing:  # pragma: no cover - depends on the seed only
        raise RuntimeError(f"the sample claims logs miss the wordings {missing}; change the seed")
    out = []
    for i, b in enumerate(built):
        mine = ranked.filter(pl.col("account_no") == i).drop("account_no")
        defects = b.defects.join(mine, on=["order_id", "kind", "event_date"], how="left")
        out.append(_Built(b.spec, b.orders, b.items, defects))
    return out


def _check_statuses(built: list[_Built]) -> None:
    from odr_analysis.schema import STATUSES

    known = pl.concat(
        [b.defects.filter(pl.col("event_date") <= REPORT_DATE) for b in built]
    ).select("kind", "status")
    seen = set(known.unique().iter_rows())
    missing = [(k, s) for k, statuses in STATUSES.items() for s in statuses if (k, s) not in seen]
    if missing:  # pragma: no cover - depends on the seed only
        raise RuntimeError(f"the sample misses the statuses {missing}; change the seed")


def _build_all() -> list[_Built]:
    built = _assign_wordings([_build_one(spec) for spec in SPECS])
    _check_statuses(built)
    return built


_CANONICAL_DEFECTS: Final = ("account", "order_id", "kind", "event_date", "status", "rating")


def _truth(b: _Built) -> Truth:
    orders = (
        b.orders.filter(~pl.col("mcf"))
        .with_columns(order_status=_status_at(REPORT_DATE, b.spec.tz)[0])
        .select(
            "account",
            "marketplace",
            "order_id",
            "order_date",
            "channel",
            "order_status",
            "is_business",
            "ship_service_level",
            "purchase_ts",
            "item_count",
            "units",
        )
    )
    facts = b.orders.select(
        "order_id",
        "mcf",
        "cancelled",
        "late_delivery",
        "late_ship",
        "valid_tracking",
        "wave",
        "local_day",
    )
    return Truth(
        name=b.spec.name,
        marketplace=MARKETPLACES[b.spec.marketplace_id].name,
        orders=orders,
        defects=b.defects.select(_CANONICAL_DEFECTS),
        items=b.items,
        facts=facts,
    )


def build_truth() -> dict[str, Truth]:
    """The three sample accounts' truth, by account name (deterministic)."""
    return {b.spec.name: _truth(b) for b in _build_all()}


# --------------------------------------------------------------------------------------------
# rendering


def _export_instant(day: dt.date, tz: str) -> pl.Expr:
    """06:00 local time on ``day``, the moment a file was downloaded, in UTC."""
    return (
        pl.lit(dt.datetime(day.year, day.month, day.day, 6, 0))
        .dt.replace_time_zone(tz)
        .dt.convert_time_zone("UTC")
    )


def _status_at(download: dt.date, tz: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(order-status, item-status, last-updated UTC) as a download on ``download`` shows them."""
    instant = _export_instant(download, tz)
    shipped_at = pl.col("purchase_ts") + pl.duration(minutes=pl.col("ship_minutes"))
    cancelled_at = pl.col("purchase_ts") + pl.duration(minutes=pl.col("cancel_minutes"))
    waiting = (
        pl.when(pl.col("channel") == "AFN").then(pl.lit("Pending")).otherwise(pl.lit("Unshipped"))
    )
    done_cancel = pl.col("cancelled") & (cancelled_at <= instant)
    done_ship = ~pl.col("cancelled") & (shipped_at <= instant)
    order_status = (
        pl.when(done_cancel)
        .then(pl.lit("Cancelled"))
        .when(done_ship)
        .then(pl.lit("Shipped"))
        .otherwise(waiting)
    )
    item_status = (
        pl.when(done_cancel)
        .then(pl.lit("Cancelled"))
        .when(done_ship)
        .then(pl.lit("Shipped"))
        .otherwise(pl.lit("Unshipped"))
    )
    updated = (
        pl.when(done_cancel)
        .then(cancelled_at)
        .when(done_ship)
        .then(shipped_at)
        .otherwise(pl.col("purchase_ts") + pl.duration(minutes=2))
    )
    return order_status, item_status, updated


def _fmt2(expr: pl.Expr) -> pl.Expr:
    """A number as text with exactly two decimals (``24.99``, ``0.00``, ``-3.00``)."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (cents.abs() // 100).cast(pl.String)
    frac = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    return pl.concat_str([sign, whole, pl.lit("."), frac])


def _order_rows(b: _Built, first: dt.date, last: dt.date, download: dt.date) -> pl.DataFrame:
    """The All Orders rows (one per item) of one export, every value as text."""
    spec = b.spec
    order_status, item_status, updated = _status_at(download, spec.tz)
    places = pl.DataFrame(
        {
            "place": range(len(spec.places)),
            "ship-city": [p[0] for p in spec.places],
            "ship-state": [p[1] for p in spec.places],
            "ship-postal-code": [p[2] for p in spec.places],
            "ship-country": [p[3] for p in spec.places],
        },
        schema_overrides={"place": pl.Int64},
    )
    orders = (
        b.orders.filter(pl.col("local_day").is_between(first, last))
        .with_columns(
            order_status=order_status,
            item_status=item_status,
            updated=updated.dt.convert_time_zone(spec.tz),
        )
        .join(places, on="place", how="left")
    )
    stamp = "%Y-%m-%dT%H:%M:%S%:z"
    priced = ~pl.col("mcf") & (pl.col("item_status") != "Cancelled")
    line = pl.col("unit_price") * pl.col("quantity")
    shipping = (
        pl.when(
            (pl.col("channel") == "MFN") & (pl.col("item_no") == 0) & (pl.col("unit_price") < 35)
        )
        .then(pl.lit(4.99))
        .otherwise(pl.lit(0.0))
    )
    tax = (
        (line * spec.tax_rate / (1 + spec.tax_rate))
        if spec.currency == "GBP"
        else (line * spec.tax_rate)
    )
    ship_tax = shipping * (spec.tax_rate / (1 + spec.tax_rate) if spec.currency == "GBP" else 0.0)
    promo = pl.when(pl.col("promo")).then(-0.1 * line).otherwise(pl.lit(0.0))

    def money(expr: pl.Expr) -> pl.Expr:
        return pl.when(priced).then(_fmt2(expr)).otherwise(pl.lit(""))

    rows = b.items.join(orders, on="order_id", how="inner")
    return rows.sort("purchase_ts", "order_id", "item_no").select(
        **{
            "amazon-order-id": pl.col("order_id"),
            "merchant-order-id": pl.col("merchant_order_id"),
            "purchase-date": pl.col("purchase_local").dt.strftime(stamp),
            "last-updated-date": pl.col("updated").dt.strftime(stamp),
            "order-status": pl.col("order_status"),
            "fulfillment-channel": pl.when(pl.col("channel") == "AFN")
            .then(pl.lit("Amazon"))
            .otherwise(pl.lit("Merchant")),
            "sales-channel": pl.col("marketplace"),
            "order-channel": pl.lit(""),
            "url": pl.lit(""),
            "ship-service-level": pl.col("ship_service_level"),
            "product-name": pl.col("product_name"),
            "sku": pl.col("sku"),
            "asin": pl.col("asin"),
            "item-status": pl.col("item_status"),
            "quantity": pl.col("quantity").cast(pl.String),
            "number-of-items": pl.col("units").cast(pl.String),
            "currency": pl.when(priced).then(pl.lit(spec.currency)).otherwise(pl.lit("")),
            "item-price": money(line),
            "item-tax": money(tax),
            "shipping-price": money(shipping),
            "shipping-tax": money(ship_tax),
            "gift-wrap-price": money(pl.lit(0.0)),
            "gift-wrap-tax": money(pl.lit(0.0)),
            "item-promotion-discount": money(promo),
            "ship-promotion-discount": money(-shipping * pl.col("promo").cast(pl.Float64)),
            "ship-city": pl.col("ship-city"),
            "ship-state": pl.col("ship-state"),
            "ship-postal-code": pl.col("ship-postal-code"),
            "ship-country": pl.col("ship-country"),
            "promotion-ids": pl.when(pl.col("promo"))
            .then(pl.lit("Save 10% on select items"))
            .otherwise(pl.lit("")),
            "is-business-order": pl.col("is_business").cast(pl.String),
            "purchase-order-number": pl.when("is_business")
            .then(pl.format("PO-{}", pl.col("order_id").str.slice(12, 7)))
            .otherwise(pl.lit("")),
            "price-designation": pl.when("is_business")
            .then(pl.lit("BusinessPrice"))
            .otherwise(pl.lit("")),
        }
    )


def _write_tsv(frame: pl.DataFrame, path: Path, *, crlf: bool = False, bom: bool = False) -> None:
    frame.write_csv(
        path,
        separator="\t",
        quote_style="never",
        line_terminator="\r\n" if crlf else "\n",
        include_bom=bom,
    )


def _feedback_date(expr: pl.Expr, fmt: str) -> pl.Expr:
    """Dates as Amazon writes them in the feedback report: no leading zeros (``1/13/17``)."""
    parts = {
        "%m": expr.dt.month().cast(pl.String),
        "%d": expr.dt.day().cast(pl.String),
        "%y": expr.dt.strftime("%y"),
        "%Y": expr.dt.year().cast(pl.String),
    }
    if fmt == "%Y-%m-%d":
        return expr.dt.strftime(fmt)
    sep = fmt[2]
    pieces = [parts[p] for p in fmt.split(sep)]
    return pl.concat_str(pieces, separator=sep)


_SPECIAL_COMMENTS: Final = (
    "<script>alert(1)</script>",
    '=HYPERLINK("http://example.com/refund","Click for refund")',
)


def _feedback_rows(b: _Built) -> pl.DataFrame:
    fmt = MARKETPLACES[b.spec.marketplace_id].feedback_date_format
    rows = (
        _feedback_text(b)
        .filter(pl.col("event_date") <= REPORT_DATE)
        .sort(pl.col("event_date"), pl.col("order_id"), descending=[True, False])
    )
    if b.spec.name == "evergreen-home":
        # The two oldest negative comments carry text for later escaping tests.
        oldest = rows.filter(pl.col("rating") <= 2).sort("event_date", "order_id").head(2)
        special = oldest.select(
            "order_id", special=pl.Series(_SPECIAL_COMMENTS[: oldest.height], dtype=pl.String)
        )
        rows = rows.join(special, on="order_id", how="left").with_columns(
            comments=pl.coalesce("special", "comments")
        )
        rows = pl.concat(
            [
                rows.select(_FEEDBACK_COLUMNS),
                pl.DataFrame(
                    [_ORPHAN_FEEDBACK],
                    schema={c: rows.schema[c] for c in _FEEDBACK_COLUMNS},
                    orient="row",
                ),
            ]
        )
    return rows.select(
        **{
            "Date": _feedback_date(pl.col("event_date"), fmt),
            "Rating": pl.col("rating").cast(pl.String),
            "Comments": pl.col("comments"),
            "Your Response": pl.col("response"),
            "Order ID": pl.col("order_id"),
            "Rater Email": pl.col("rater_email"),
            "Status": pl.col("status").replace_strict(_FEEDBACK_STATUS_TEXT),
        }
    ).select(FEEDBACK_SPEC.header)


_FEEDBACK_COLUMNS: Final = (
    "event_date",
    "rating",
    "comments",
    "response",
    "order_id",
    "rater_email",
    "status",
)
# A feedback for an order older than the orders export: the readers must reject it, not lose it.
_ORPHAN_FEEDBACK: Final = (
    FIRST_DAY + dt.timedelta(days=17),
    1,
    "Ordered before Christmas, never came.",
    "",
    "113-0048815-2211907",
    "q8x2m4c1v9z7kd@marketplace.amazon.com",
    "active",
)


def _claims_rows(b: _Built) -> pl.DataFrame:
    totals = b.items.group_by("order_id").agg(
        total=(pl.col("unit_price") * pl.col("quantity")).sum()
    )
    rows = (
        b.defects.filter(
            (pl.col("kind") != "negative_feedback") & (pl.col("event_date") <= REPORT_DATE)
        )
        .join(totals, on="order_id", how="left")
        .sort("event_date", "order_id", "kind")
    )
    notes = pl.coalesce(
        [
            pl.when(pl.col("status") == status).then(_choose(texts, pl.col("pick_note")))
            for status, texts in _NOTES.items()
        ]
    )
    return rows.select(
        **{
            "order-id": pl.col("order_id"),
            "type": pl.col("type_text"),
            "date": pl.col("event_date").dt.strftime("%Y-%m-%d"),
            "status": pl.col("wording"),
            "amount": _fmt2(pl.col("total")),
            "currency": pl.lit(b.spec.currency),
            "notes": notes,
        }
    ).select(pl.col(CLAIMS_SPEC.header).replace("", None))


def _stamp(day: dt.date, spec: _Spec, *, end: bool) -> str:
    moment = dt.datetime.combine(day, dt.time(23, 59, 59) if end else dt.time(0, 0))
    return moment.strftime(spec.stamp)


def _range(spec: _Spec, first: dt.date, last: dt.date) -> dict[str, str]:
    return {
        "reportingDateFrom": _stamp(first, spec, end=False),
        "reportingDateTo": _stamp(last, spec, end=True),
    }


def _rate(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _verdict(rate: float, denominator: int, target: float, condition: str) -> str:
    if not denominator:
        return "NONE"
    if condition == "LESS_THAN":
        return "GOOD" if rate < target else "BAD"
    return "GOOD" if rate > target else "BAD"


def _odr_block(spec: _Spec, row: dict[str, Any] | None, channel: str) -> dict[str, Any]:
    window = OdrRules().window(REPORT_DATE)
    counts = row or dict.fromkeys(
        ("order_count", "defective_orders", "negative_feedback", "a_to_z_claims", "chargebacks"), 0
    )
    n, d = counts["order_count"], counts["defective_orders"]
    exact = d / n if n else 0.0
    status = _verdict(exact, n, 0.01, "LESS_THAN")

    def part(count: int) -> dict[str, Any]:
        return {"count": count, "status": "NONE"}

    return {
        "reportingDateRange": _range(spec, window.start, window.end),
        "orderCount": n,
        "orderWithDefects": {"count": d, "status": status},
        "claims": part(counts["a_to_z_claims"]),
        "chargebacks": part(counts["chargebacks"]),
        "negativeFeedback": part(counts["negative_feedback"]),
        "fulfillmentType": channel.lower(),
        "status": status,
        "rate": _rate(d, n),
        "targetValue": 0.01,
        "targetCondition": "LESS_THAN",
    }


def _ratio_metric(
    spec: _Spec,
    first: dt.date,
    last: dt.date,
    counts: dict[str, int],
    *,
    numerator: str,
    denominator: str,
    target: float,
    condition: str,
) -> dict[str, Any]:
    rate = _rate(counts[numerator], counts[denominator])
    return {
        "reportingDateRange": _range(spec, first, last),
        **counts,
        "status": _verdict(rate, counts[denominator], target, condition),
        "rate": rate,
        "targetValue": target,
        "targetCondition": condition,
    }


def _mfn_counts(b: _Built, first: dt.date, last: dt.date) -> dict[str, int]:
    """Late shipments, cancellations, tracking and on-time delivery of MFN orders placed
    between ``first`` and ``last``."""
    row = (
        b.orders.filter(
            (pl.col("channel") == "MFN")
            & ~pl.col("mcf")
            & pl.col("order_date").is_between(first, last)
        )
        .with_columns(shipped=~pl.col("cancelled"))
        .select(
            orders=pl.len(),
            shipped=pl.col("shipped").sum(),
            late_ship=(pl.col("shipped") & pl.col("late_ship")).sum(),
            cancelled=pl.col("cancelled").sum(),
            tracked=(pl.col("shipped") & pl.col("valid_tracking")).sum(),
            on_time=(pl.col("shipped") & pl.col("valid_tracking") & ~pl.col("late_delivery")).sum(),
            units=pl.when("shipped").then(pl.col("units")).otherwise(0).sum(),
            units_on_time=pl.when(pl.col("shipped") & ~pl.col("late_delivery"))
            .then(pl.col("units"))
            .otherwise(0)
            .sum(),
        )
        .row(0, named=True)
    )
    return {k: int(v) for k, v in row.items()}


def _listing(spec: _Spec, first: dt.date) -> dict[str, Any]:
    return {
        "reportingDateRange": _range(spec, first, REPORT_DATE),
        "defectsCount": 0,
        "status": "GOOD",
        "targetValue": 0,
        "targetCondition": "EQUALS",
    }


def _health_json(truth: Truth, b: _Built) -> dict[str, Any]:
    """The account-health report (V2 JSON) of one account on :data:`REPORT_DATE`."""
    spec = b.spec
    day = dt.timedelta(days=1)
    ours = odr(truth.orders, truth.known_defects(), as_of=REPORT_DATE)
    by_channel = {r["channel"]: r for r in ours.iter_rows(named=True)}
    lsr30 = _mfn_counts(b, REPORT_DATE - 30 * day, REPORT_DATE - day)
    lsr10 = _mfn_counts(b, REPORT_DATE - 10 * day, REPORT_DATE - day)
    cancel = _mfn_counts(b, REPORT_DATE - 7 * day, REPORT_DATE - day)
    vtr = _mfn_counts(b, REPORT_DATE - 39 * day, REPORT_DATE - 10 * day)

    def lsr(counts: dict[str, int], days: int) -> dict[str, Any]:
        return _ratio_metric(
            spec,
            REPORT_DATE - days * day,
            REPORT_DATE - day,
            {"orderCount": counts["shipped"], "lateShipmentCount": counts["late_ship"]},
            numerator="lateShipmentCount",
            denominator="orderCount",
            target=0.04,
            condition="LESS_THAN",
        )

    ahr_start = REPORT_DATE - 180 * day
    metrics: dict[str, Any] = {
        "marketplaceId": spec.marketplace_id,
        "accountHealthRating": {
            "ahrStatus": spec.ahr[0],
            "ahrScore": spec.ahr[1],
            "reportingDateRange": _range(spec, ahr_start, REPORT_DATE),
        },
        "orderDefectRate": {
            "mfn": _odr_block(spec, by_channel.get("MFN"), "MFN"),
            "afn": _odr_block(spec, by_channel.get("AFN"), "AFN"),
        },
        "lateShipmentRate": lsr(lsr30, 30),
        "lateShipmentRateList": [lsr(lsr10, 10), lsr(lsr30, 30)],
        "preFulfillmentCancellationRate": _ratio_metric(
            spec,
            REPORT_DATE - 7 * day,
            REPORT_DATE - day,
            {"orderCount": cancel["orders"], "cancellationCount": cancel["cancelled"]},
            numerator="cancellationCount",
            denominator="orderCount",
            target=0.025,
            condition="LESS_THAN",
        ),
        "validTrackingRate": _ratio_metric(
            spec,
            REPORT_DATE - 39 * day,
            REPORT_DATE - 10 * day,
            {"shipmentCount": vtr["shipped"], "validTrackingCount": vtr["tracked"]},
            numerator="validTrackingCount",
            denominator="shipmentCount",
            target=0.95,
            condition="GREATER_THAN",
        ),
        "onTimeDeliveryRate": _ratio_metric(
            spec,
            REPORT_DATE - 39 * day,
            REPORT_DATE - 10 * day,
            {
                "shipmentCountWithValidTracking": vtr["tracked"],
                "onTimeDeliveryCount": vtr["on_time"],
            },
            numerator="onTimeDeliveryCount",
            denominator="shipmentCountWithValidTracking",
            target=0.9,
            condition="GREATER_THAN",
        ),
    }
    if spec.marketplace_id == "ATVPDKIKX0DER":
        metrics["unitOnTimeDeliveryRate"] = _ratio_metric(
            spec,
            REPORT_DATE - 39 * day,
            REPORT_DATE - 10 * day,
            {"unitOnTimeDeliveryCount": vtr["units_on_time"], "totalUnitCount": vtr["units"]},
            numerator="unitOnTimeDeliveryCount",
            denominator="totalUnitCount",
            target=0.9,
            condition="GREATER_THAN",
        )
    for key in (
        "listingPolicyViolations",
        "productAuthenticityCustomerComplaints",
        "productConditionCustomerComplaints",
        "productSafetyCustomerComplaints",
        "receivedIntellectualPropertyComplaints",
        "restrictedProductPolicyViolations",
        "suspectedIntellectualPropertyViolations",
        "foodAndProductSafetyIssues",
        "customerProductReviewsPolicyViolations",
        "otherPolicyViolations",
        "documentRequests",
    ):
        metrics[key] = _listing(spec, ahr_start)
    metrics["policyViolationWarnings"] = {
        "warningsCount": 0,
        "reportingDateRange": _range(spec, ahr_start, REPORT_DATE),
    }
    metrics["warningStates"] = []
    return {
        "accountStatuses": [{"marketplaceId": spec.marketplace_id, "status": spec.ahr[2]}],
        "performanceMetrics": [metrics],
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=96, break_on_hyphens=False)


def _readme(truths: dict[str, Truth], files: dict[str, list[str]]) -> str:
    rules = OdrRules()
    window = rules.window(REPORT_DATE)
    lines = [
        "# Sample data: three fictional Amazon seller accounts",
        "",
        *_wrap(
            "Generated by `python -m odr_analysis.sample data/sample` (the `make sample` target) "
            f"from a fixed seed ({SEED}); a test regenerates it and compares every byte, so do "
            "not edit these files by hand. Every name, order id, e-mail address and comment is "
            "invented."
        ),
        "",
        f"**Report date: {REPORT_DATE:%A %d %B %Y} ({REPORT_DATE}).**",
        "",
        *_wrap(
            "The files are what a seller would download that day: orders placed from "
            f"{FIRST_DAY} to {LAST_DAY} (marketplace local time), and only the feedback, claims "
            "and chargebacks received on or before the report date (later ones exist in the "
            "generator's truth, not in the files). Amazon's 60-day ODR window on the report "
            f"date holds the orders of {window.start} to {window.end} (UTC order dates). Each "
            "account-health report holds exactly the counts that "
            "`odr_analysis.engine.odr(orders, defects, as_of=REPORT_DATE)` gives for the "
            "account's files; its rates are rounded to four decimals (0.0255 = 2.55%, as Seller "
            "Central shows them), its counts are exact."
        ),
        "",
        "One folder per account; the readers recognise files by their content, not their name:",
        "",
        "* All Orders report (`GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL`),",
        "  tab-separated, one row per item, purchase dates in local time with their UTC offset;",
        "* `feedback.txt`: seller feedback report (`GET_SELLER_FEEDBACK_DATA`), ratings 1-3,",
        "  with our optional `Status` column (Removed, Struck through, Withdrawn; blank = active);",
        "* `claims-and-chargebacks.csv`: the claims log described in `data/templates/README.md`;",
        "* `account-health.json`: the account-health report (`GET_V2_SELLER_PERFORMANCE_REPORT`).",
        "",
    ]
    for spec in SPECS:
        t = truths[spec.name]
        known = t.known_defects()
        health = odr(t.orders, known, as_of=REPORT_DATE)
        pending = (
            counted_defects(known, as_of=REPORT_DATE, rules=rules)
            .join(t.orders, on=["account", "order_id"])
            .filter(pl.col("order_date") > window.end)
            .sort("order_date")
        )
        channels = t.orders.group_by("channel").len().sort("channel")
        split = ", ".join(f"{n} {c}" for c, n in channels.iter_rows())
        lines += [
            f"## `{spec.name}` ({t.marketplace})",
            "",
            *_wrap(spec.story),
            "",
            f"* Files: {', '.join(f'`{f}`' for f in files[spec.name])}.",
            f"* {t.orders.height} Amazon orders ({split}); "
            f"{(t.orders['item_count'] > 1).sum()} have several items.",
            f"* {known.height} defect events in the files; later ones, not in the files: "
            f"{t.defects.height - known.height}.",
        ]
        if pending.height:
            first = pending.row(0, named=True)
            enters = rules.enters_window_on(first["order_date"])
            lines.append(
                f"* {pending.height} counted defect(s) already received on orders too recent "
                f"for the window; the first enters it on {enters}."
            )
        lines += [
            "",
            "| channel | orders in window | defective | negative feedback | A-to-z claims "
            "| chargebacks | ODR | target 1% |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in health.iter_rows(named=True):
            verdict = "met" if row["meets_target"] else "missed"
            lines.append(
                f"| {row['channel']} | {row['order_count']} | {row['defective_orders']} | "
                f"{row['negative_feedback']} | {row['a_to_z_claims']} | {row['chargebacks']} | "
                f"{_pct(row['odr'])} | {verdict} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_sample(out_dir: str | Path) -> list[Path]:
    """Write the three sample accounts (and ``README.md``) into ``out_dir``; return the files.

    Each account folder is replaced as a whole, so files left over from an earlier run vanish.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    built = _build_all()
    truths = {b.spec.name: _truth(b) for b in built}
    written: list[Path] = []
    names: dict[str, list[str]] = {}
    for b in built:
        folder = out / b.spec.name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        files: list[Path] = []
        for name, first, last, download in _EXPORTS[b.spec.name]:
            rows = _order_rows(b, first, last, download)
            header = _NEWER_HEADER if b.spec.name == "tiny-letterpress" else ORDERS_SPEC.header
            evergreen = b.spec.name == "evergreen-home"
            _write_tsv(rows.select(header), folder / name, crlf=evergreen, bom=evergreen)
            files.append(folder / name)
        _write_tsv(_feedback_rows(b), folder / "feedback.txt")
        files.append(folder / "feedback.txt")
        claims = folder / "claims-and-chargebacks.csv"
        _claims_rows(b).write_csv(claims, line_terminator="\n", quote_style="necessary")
        files.append(claims)
        health = folder / "account-health.json"
        report = _health_json(truths[b.spec.name], b)
        health.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        files.append(health)
        names[b.spec.name] = [f.name for f in files]
        written += files
    readme = out / "README.md"
    readme.write_text(_readme(truths, names), encoding="utf-8")
    return [*written, readme]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m odr_analysis.sample OUT_DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m odr_analysis.sample",
        description="Write the three fictional sample accounts (Amazon formats) into OUT_DIR.",
    )
    parser.add_argument("out_dir", help="folder to write into, e.g. data/sample")
    args = parser.parse_args(argv)
    files = write_sample(args.out_dir)
    total = sum(f.stat().st_size for f in files)
    print(f"wrote {len(files)} files ({total / 1e6:.1f} MB) into {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
