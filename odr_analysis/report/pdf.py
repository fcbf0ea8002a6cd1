"""A report printed to PDF: headless Chromium's print-to-PDF through Playwright, offline."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["chromium", "pdf_available", "write_pdf"]

_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_RENDERED = (
    "() => [...document.querySelectorAll('div.vega-chart')].every("
    "el => el.dataset.rendered === 'true')"
)
MISSING = (
    "--pdf needs the playwright package (pip install playwright) and Chromium "
    "(e.g. apt-get install chromium)"
)


def chromium() -> str | None:
    """The Chromium to print with: ``$ODR_CHROMIUM`` or Debian's; None: Playwright's own."""
    path = os.environ.get("ODR_CHROMIUM", "/usr/bin/chromium")
    return path if Path(path).exists() else None


def pdf_available() -> bool:
    """Whether the playwright package is installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def write_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 60) -> Path:
    """Print a report to PDF once every chart is drawn (``timeout`` seconds at most).

    Every request other than ``file:`` and ``data:`` is refused: no network is used.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError(MISSING) from None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=list(_ARGS), headless=True)
        try:
            page = browser.new_page()
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:"))
                    else route.abort()
                ),
            )
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.wait_for_function(_RENDERED, timeout=timeout * 1000)
            page.emulate_media(media="print")
            page.pdf(path=str(pdf_path), format="A4", print_background=True, scale=0.9)
        finally:
            browser.close()
    return pdf_path
