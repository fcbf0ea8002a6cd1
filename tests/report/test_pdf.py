"""A report printed to PDF (odr_analysis.report.pdf), with Chromium: needs the browser."""

from __future__ import annotations

from pathlib import Path

from browser_util import require_browser

from odr_analysis import report

from .runs import Run


def test_pdf_of_a_report(sample: Run, tmp_path: Path) -> None:
    require_browser()
    pdf = report.write_pdf(sample.out / "tiny-letterpress.html", tmp_path / "tiny.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 50_000
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 3
