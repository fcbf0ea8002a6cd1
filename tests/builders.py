"""Small canonical frames, fixtures and hypothesis strategies shared by the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from odr_analysis.readers import Account, load_account
from odr_analysis.rules import OdrRules
from odr_analysis.schema import DEFECTS_SCHEMA, GROUP_KEYS, ODR_COLUMNS, ORDERS_SCHEMA, STATUSES


def make_orders(
    n: int, day: dt.date, *, channel: str = "MFN", account: str = "acme", prefix: str = ""
) -> pl.DataFrame:
    """``n`` orders of one day, ids ``{prefix or account}-0`` .. ``-{n-1}``."""
    return pl.DataFrame(
        {
            "account": account,
            "marketplace": "Amazon.com",
            "order_id": [f"{prefix or account}-{i}" for i in range(n)],
            "order_date": day,
            "channel": channel,
        },
        schema=ORDERS_SCHEMA,
    )


def make_defects(rows: list[tuple[str, str, str, dt.date, str, int | None]]) -> pl.DataFrame:
    """Defects from ``(account, order_id, kind, event_date, status, rating)`` tuples."""
    return pl.DataFrame(rows, schema=DEFECTS_SCHEMA, orient="row")


# --- Shared fixtures and strategies

DAY = dt.timedelta(days=1)
KEYS = list(GROUP_KEYS)
BASE = dt.date(2024, 1, 1)  # the first order date of random_frames
SAMPLE_AS_OF = dt.date(2026, 2, 23)  # the sample report date (data/sample/README.md)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def claim(order_id: str, day: dt.date, status: str = "granted", account: str = "acme") -> tuple:
    """An A-to-z claim row for :func:`make_defects`."""
    return (account, order_id, "a_to_z_claim", day, status, None)


def feedback(order_id: str, day: dt.date, rating: int, status: str = "active") -> tuple:
    """A feedback row of account ``acme`` for :func:`make_defects`."""
    return ("acme", order_id, "negative_feedback", day, status, rating)


def one(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    """The one row of ``frame`` whose columns equal ``where`` (fails unless exactly one)."""
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def engine_view(
    orders: pl.DataFrame, defects: pl.DataFrame, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What Amazon knows on as_of: orders dated <= as_of, defects received <= as_of."""
    return (
        orders.filter(pl.col("order_date") <= as_of),
        defects.filter(pl.col("event_date") <= as_of),
    )


def sort_path(frame: pl.DataFrame) -> pl.DataFrame:
    """A daily path's engine columns, sorted by group and day (to compare two paths)."""
    return frame.select(ODR_COLUMNS).sort(*KEYS, "as_of")


def calendar_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Orders of 01-01, 01-20 and 02-25 2024 with defects known and unknown on 2024-03-01."""
    D = dt.date
    # as_of 2024-03-01: window 2023-12-19 .. 2024-02-16 (60 days, lag 14)
    orders = pl.concat(
        [
            make_orders(10, D(2024, 1, 1), prefix="jan1"),  # leave on 2024-01-01 + 74 = 03-15
            make_orders(10, D(2024, 1, 20), prefix="jan20"),  # leave on 2024-04-03
            make_orders(5, D(2024, 2, 25), prefix="feb25"),  # enter on 03-10, leave on 05-09
        ]
    )
    defects = make_defects(
        [
            feedback("jan1-0", D(2024, 1, 10), 1),
            claim("jan1-0", D(2024, 1, 15)),  # same order, second kind: one defective order
            claim("jan1-1", D(2024, 1, 12), "pending"),
            # revised 1 -> 3 -> 2 stars: counts again since 02-05 (first_counted is 02-05)
            feedback("jan20-0", D(2024, 1, 25), 1),
            feedback("jan20-0", D(2024, 1, 28), 3),
            feedback("jan20-0", D(2024, 2, 5), 2),
            # 1 star, then revised to 2 stars the next day: one unbroken stretch since 01-30
            feedback("jan20-1", D(2024, 1, 30), 1),
            feedback("jan20-1", D(2024, 1, 31), 2),
            ("acme", "jan20-2", "chargeback", D(2024, 3, 5), "service", None),  # after as_of
            feedback("jan20-3", D(2024, 2, 1), 1),
            feedback("jan20-3", D(2024, 3, 2), 5),  # revision after as_of: not known yet
            claim("jan20-4", D(2024, 2, 2), "denied"),  # does not count
            claim("feb25-0", D(2024, 2, 28)),  # order dated after the window end
        ]
    )
    return orders, defects


def two_channel_orders() -> pl.DataFrame:
    """50 MFN and 80 AFN orders of acme on 2024-01-10 (ids ``acme-*`` and ``afn-*``)."""
    return pl.concat(
        [
            make_orders(50, dt.date(2024, 1, 10), channel="MFN"),
            make_orders(80, dt.date(2024, 1, 10), channel="AFN", prefix="afn"),
        ]
    )


def three_groups_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """100 orders of 2024-01-10 in each of a/MFN, a/AFN, b/MFN; 2 claims on a/MFN, 1 on b/MFN."""
    orders = pl.concat(
        [
            make_orders(100, dt.date(2024, 1, 10), channel="MFN", account="a"),
            make_orders(100, dt.date(2024, 1, 10), channel="AFN", account="a", prefix="a-afn"),
            make_orders(100, dt.date(2024, 1, 10), channel="MFN", account="b"),
        ]
    )
    defects = make_defects(
        [
            claim("a-1", dt.date(2024, 1, 20), account="a"),
            claim("a-2", dt.date(2024, 1, 20), account="a"),
            claim("b-1", dt.date(2024, 1, 21), account="b"),
        ]
    )
    return orders, defects


def business_fixture() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The B2B view: 100 orders of 2024-01-10, every 4th ``is_business``; 2 claims.

    acme-0 is a business order (0 % 4 == 0): 1 of its 25 orders; acme-1 is not: 1 of 75.
    """
    orders = make_orders(100, dt.date(2024, 1, 10)).with_columns(
        is_business=pl.int_range(pl.len()) % 4 == 0
    )
    defects = make_defects(
        [claim("acme-0", dt.date(2024, 1, 20)), claim("acme-1", dt.date(2024, 1, 20))]
    )
    return orders, defects


def sample_account() -> Account:
    """The sample account summit-outdoor (report date :data:`SAMPLE_AS_OF`)."""
    return load_account(Path(__file__).resolve().parents[1] / "data" / "sample" / "summit-outdoor")


@st.composite
def random_frames(draw: st.DrawFn, max_orders: int = 40) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Orders and defects frames: two accounts, both channels; defects only on existing orders
    (ids unique everywhere), dated 2 days before to 30 days after their order."""
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b"]),
                st.integers(0, 60),
                st.sampled_from(["AFN", "MFN"]),
            ),
            min_size=1,
            max_size=max_orders,
        )
    )
    orders = pl.DataFrame(
        {
            "account": [s[0] for s in specs],
            "marketplace": "Amazon.com",
            "order_id": [f"o{i}" for i in range(len(specs))],
            "order_date": [BASE + s[1] * DAY for s in specs],
            "channel": [s[2] for s in specs],
        },
        schema=ORDERS_SCHEMA,
    )
    rows = []
    if specs:
        for _ in range(draw(st.integers(3, 30))):  # no-defect cases: see the edge-case tests
            i = draw(st.integers(0, len(specs) - 1))
            kind = draw(st.sampled_from(list(STATUSES)))
            counted = st.just(STATUSES[kind][0])  # the first status of each kind counts
            status = draw(st.one_of(counted, counted, st.sampled_from(STATUSES[kind])))
            rating = draw(st.one_of(st.integers(1, 2), st.integers(1, 5)))
            rows.append(
                (
                    specs[i][0],
                    f"o{i}",
                    kind,
                    BASE + (specs[i][1] + draw(st.integers(-2, 30))) * DAY,
                    status,
                    rating if kind == "negative_feedback" else None,
                )
            )
    return orders, make_defects(rows)


#: Rules with a short or the usual window and lag, and targets from 1% to 34%.
rules_with_targets = st.builds(
    OdrRules,
    window_days=st.sampled_from([5, 30, 60]),
    lag_days=st.sampled_from([0, 3, 14]),
    target=st.sampled_from([0.01, 0.1, 0.15, 0.25, 0.34]),
)
#: Hypothesis settings of the property tests that run the engine for every example.
slow = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def shift_dates(obj: Any, days: int) -> Any:
    """A JSON report with every ISO timestamp moved by ``days`` (to make dated snapshots)."""
    if isinstance(obj, dict):
        return {k: shift_dates(v, days) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shift_dates(v, days) for v in obj]
    if isinstance(obj, str) and len(obj) > 10 and obj[4] == "-" and obj[10] == "T":
        return (dt.date.fromisoformat(obj[:10]) + dt.timedelta(days=days)).isoformat() + obj[10:]
    return obj


# Late shipment rate (30 days) written into each snapshot: 6.41%, 3.61%, 0.81%.
LSR = {-14: 0.0641, -7: 0.0361, 0: 0.0081}


def weekly_snapshots(folder: Path, *, as_of: dt.date = dt.date(2026, 2, 23)) -> Path:
    """The sample's summit-outdoor in ``folder``, with three weekly account-health snapshots
    (``account-health-YYYY-MM-DD.json``, as odr-fetch names them) instead of its one: windows
    shifted by -14, -7 and 0 days, the late shipment rate of :data:`LSR`, the rating's score
    300 + days, the account status NORMAL in the first."""
    import json
    import shutil

    shutil.copytree(SAMPLE / "summit-outdoor", folder)
    base = json.loads((folder / "account-health.json").read_text())
    (folder / "account-health.json").unlink()
    for days, rate in LSR.items():
        doc = shift_dates(base, days)
        metrics = doc["performanceMetrics"][0]
        metrics["lateShipmentRate"]["rate"] = rate
        metrics["accountHealthRating"]["ahrScore"] = 300 + days
        if days == -14:
            doc["accountStatuses"][0]["status"] = "NORMAL"
        day = as_of + dt.timedelta(days=days)
        (folder / f"account-health-{day.isoformat()}.json").write_text(json.dumps(doc))
    return folder
