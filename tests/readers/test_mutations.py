"""Every byte sequence either loads with its accounting complete or is an error naming its file.

Hypothesis mutates real fixture files (truncations, inserted and deleted bytes, other encodings,
gzip, other line ends, byte-order marks) and drops each into an account folder beside a good
orders report. :func:`~odr_analysis.readers.load_account` must then either read the folder, with
every data line of every file accounted for (kept, excluded or rejected) and every reject naming
a file of the folder, or raise :class:`~odr_analysis.schema.OdrInputError` naming the mutated
file. Any other exception (a polars error, a ``UnicodeDecodeError``, an ``IndexError``) fails.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odr_analysis.readers.account import load_account
from odr_analysis.readers.source import read_text
from odr_analysis.schema import OdrInputError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "readers"
ACME = FIXTURES / "accounts" / "acme-us"
ORDERS = ACME / "All Orders 2025-10.txt"
SOURCES = (
    ORDERS,
    ACME / "All Orders 2025-11.txt",
    ACME / "feedback.txt",
    ACME / "claims-and-chargebacks.csv",
    ACME / "account-health.json",
    FIXTURES / "accounts" / "hamburg-de" / "Feedback.txt",
    FIXTURES / "accounts" / "tokyo-jp" / "feedback.txt",
    FIXTURES / "reports" / "fba-shipments-jp.txt",
    FIXTURES / "reports" / "all-orders.xml",
    FIXTURES / "reports" / "financial-events-page1.json",
)
CODECS = ("utf-8-sig", "utf-16", "utf-16-be", "cp1252", "latin-1", "cp932", "ascii")
TEXT_FORMATS = ("all_orders", "fba_shipments", "seller_feedback", "claims")


def _reencode(data: bytes, codec: str) -> bytes:
    return data.decode("utf-8", errors="replace").encode(codec, errors="replace")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, bytes]:
    """A fixture file and its bytes after one to three mutations."""
    source = draw(st.sampled_from(SOURCES))
    data = source.read_bytes()
    if data.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ("truncate", "insert", "delete", "encoding", "gzip", "cr", "bom", "duplicate")
            )
        )
        at = draw(st.integers(0, len(data)))
        if kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            noise = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=8),
                    st.sampled_from(
                        [b"\t", b"\n", b"\r", b'"', b",", b";", b"\x00", b"\xff\xfe", b"\xe4"]
                    ),
                )
            )
            data = data[:at] + noise + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif kind == "encoding":
            data = _reencode(data, draw(st.sampled_from(CODECS)))
        elif kind == "gzip":
            data = gzip.compress(data, mtime=0)
        elif kind == "cr":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
        elif kind == "bom":
            data = b"\xef\xbb\xbf" + data
        else:  # two exports pasted together: the header repeated mid-file
            data = data + data
    return source, data


def _check_loaded(folder: Path, name: str) -> None:
    account = load_account(folder)
    ingest = account.ingest
    assert (ingest["rows_read"] == ingest["kept"] + ingest["excluded"] + ingest["rejected"]).all()
    assert set(account.rejects["file"].unique().to_list()) <= {p.name for p in folder.iterdir()}
    row = ingest.filter(pl.col("file") == name)
    assert row.height == 1, f"{name} was not read and not refused"
    if row["format"].item() in TEXT_FORMATS:
        # Independent of the parser: every physical line but the header and blank lines is a
        # data line, so rows_read can never exceed them.
        text = read_text(folder / name)
        assert row["rows_read"].item() <= max(text.lines - 1, 0)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated())
def test_mutated_files_load_or_fail_naming_the_file(case: tuple[Path, bytes]) -> None:
    source, data = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shop"
        folder.mkdir()
        if source != ORDERS:
            shutil.copy(ORDERS, folder / "orders.txt")
        target = folder / f"mutated-{source.name}"
        target.write_bytes(data)
        try:
            _check_loaded(folder, target.name)
        except OdrInputError as exc:
            message = str(exc)
            assert target.name in message or "orders.txt" in message, message
