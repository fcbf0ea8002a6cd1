"""Helpers for the browser tests: Debian's chromium driven by Playwright, local servers.

* :func:`require_browser`: skip (with how to install chromium) when it is missing, or fail when
  ``CI=true``: CI must never pass without the browser tests.
* :func:`serve`: start a server (JupyterLab, Voila) on a free local port in its own process
  group, wait until it answers, and stop it (and its kernels) afterwards.
* :func:`browser_page`: a headless chromium page; page errors are collected.
* :func:`screenshot`: save a screenshot under the test's folder and copy it to ``tests/output/``
  (ignored by git) for a human to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("ODR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "install Debian's chromium to run them: `sudo apt-get install chromium` (or `make browser` "
    "as root)"
)
OUTPUT_DIR = ROOT / "tests" / "output"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_browser() -> None:
    """Skip the calling test when chromium or playwright is missing; fail instead in CI."""
    problems = []
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"{CHROMIUM} is missing")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing (make install)")
    if not problems:
        return
    message = "browser test: " + " and ".join(problems) + f"; {INSTALL_HINT}"
    if in_ci():
        pytest.fail(f"CI=true, so the browser tests must run: {message}")
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 400
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@contextlib.contextmanager
def serve(
    command: Sequence[str],
    *,
    ready_url: str,
    cwd: Path,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 90,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (a server) until the block ends; wait until ``ready_url`` answers.

    The server runs in its own process group, so stopping it also stops the kernels it
    started. Its output goes to ``log``, quoted in the failure message if it does not start.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _answers(ready_url):
                if process.poll() is not None or time.monotonic() > deadline:
                    sink.flush()
                    tail = log.read_text(errors="replace")[-3000:]
                    state = (
                        f"exited with {process.returncode}"
                        if process.poll() is not None
                        else f"did not answer within {timeout:.0f} s"
                    )
                    pytest.fail(f"{command[0]} {state} ({ready_url}); its log:\n{tail}")
                time.sleep(0.25)
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def browser_page(*, width: int = 1400, height: int = 1100) -> Iterator[Any]:
    """A page of a fresh headless chromium; ``page.errors`` collects uncaught page errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.errors = errors
            yield page
        finally:
            browser.close()


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """Save a full-page screenshot as ``folder/name`` and copy it to ``tests/output/``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    ignore = OUTPUT_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Screenshots of the browser tests: never committed.\n*\n")
    shutil.copy2(path, OUTPUT_DIR / name)
    return path


def copy_project_files(destination: Path) -> Path:
    """A throw-away copy of ``notebooks/`` and ``data/sample/``; returns the notebooks folder.

    The notebooks read ``../data/sample``, so the copy keeps that layout. JupyterLab and Voila
    then never touch the real notebooks (no checkpoints, no saved outputs).
    """
    notebooks = destination / "notebooks"
    notebooks.mkdir(parents=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(path, notebooks / path.name)
    shutil.copytree(ROOT / "data" / "sample", destination / "data" / "sample")
    return notebooks


def jupyter_env(base: Path) -> dict[str, str]:
    """Environment for a throw-away Jupyter server: its own runtime, config and data dirs."""
    runtime = base / "runtime"
    config = base / "config"
    for folder in (runtime, config):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
    }


# --- helpers of test_browser_charts.py (the JupyterLab command) --------------------------------


def jupyterlab_command(root: Path, base: Path, port: int) -> list[str]:
    """The command of a throw-away JupyterLab on ``root``: no token, no news, no update check.

    ``base`` receives its settings (no "get notified about news?" toast) and workspaces.
    ``window.jupyterapp`` is exposed, so a test can wait for the kernel.
    """
    import json
    import sys

    settings = base / "lab-settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(
        json.dumps(
            {
                "@jupyterlab/apputils-extension:notification": {
                    "fetchNews": "false",
                    "checkForUpdates": False,
                }
            }
        )
    )
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.app_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]


# --- offline checks and the live chart (appended for the what-if panel) -----------------------

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def block_outside_requests(page: Any) -> list[str]:
    """Abort every request that would leave the machine; returns the list of their URLs.

    Local servers (127.0.0.1, localhost) and ``data:``/``blob:`` URLs pass. Assert that the
    list is empty at the end of a test: the page must work offline.
    """
    from urllib.parse import urlsplit

    outside: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", handle)
    return outside


#: JavaScript: a string that changes whenever the panel's chart draws other data (the SVG
#: paths of its lines and areas, as vega-embed's SVG renderer draws them, and its title).
CHART_SIGNATURE_JS = """(selector) => {
    const root = document.querySelector(selector);
    if (!root) return '';
    const paths = root.querySelectorAll('.mark-line path, .mark-area path, .role-title-text');
    return Array.from(paths, p => p.getAttribute('d') || p.textContent).join('|');
}"""


def offline_voila_template(base: Path) -> tuple[dict[str, str], list[str]]:
    """Voila's ``lab`` template without its links to cdn.jsdelivr.net, as ``make app`` serves
    it (``scripts/voila_offline_template.py``), written under ``base``.

    Returns the environment (``JUPYTER_PATH``) and the Voila arguments that select it, so
    that a page asks nothing from outside the machine.
    """
    import importlib.util

    script = ROOT / "scripts" / "voila_offline_template.py"
    spec = importlib.util.spec_from_file_location("voila_offline_template", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = module.write_template(base / "voila" / "templates")
    return {"JUPYTER_PATH": str(base)}, [f"--template={folder.name}"]


@contextlib.contextmanager
def voila(root: Path, notebook: str, base: Path) -> Iterator[str]:
    """Voila serving ``notebook`` (in ``root``) on a free local port with the offline
    template, until the block ends; yields its URL. Its files and log are under ``base``."""
    import sys

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    template_env, template_args = offline_voila_template(base / "voila-template")
    command = [
        str(Path(sys.executable).with_name("voila")),
        notebook,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        *template_args,
    ]
    with serve(
        command,
        ready_url=f"{url}/",
        cwd=root,
        log=base / "voila.log",
        env={**jupyter_env(base / "jupyter"), **template_env},
    ):
        yield url


# --- zoom (a Vega interval selection bound to the time scale) ---------------------------------


def axis_labels(chart: Any, axis: str) -> list[str]:
    """Vega's accessible description of each ``axis`` ("X" or "Y") of a chart, top view first.

    Each gives the axis's title and its scale's range as first drawn, e.g. "X-axis titled
    'Report date' for a time scale with values from 01 March 2026 to 30 June 2026" (Vega does
    not always rewrite it on a zoom: :func:`tick_labels` tells what the axis shows).
    """
    found = chart.locator(f"g[aria-roledescription='axis'][aria-label^='{axis}-axis']")
    return [found.nth(i).get_attribute("aria-label") or "" for i in range(found.count())]


#: JavaScript: the tick labels of each X axis under an element, joined by "|" per axis.
X_TICKS_JS = """(el) => Array.from(
    el.querySelectorAll("g[aria-roledescription='axis'][aria-label^='X-axis']"),
    axis => Array.from(axis.querySelectorAll('.role-axis-label text'), t => t.textContent)
        .join('|'))"""


def tick_labels(chart: Any) -> list[str]:
    """The tick labels each X axis of ``chart`` shows now ("Jan 04|Jan 11|..."), top first."""
    return list(chart.evaluate(X_TICKS_JS))


def wheel_zoom(page: Any, chart: Any, over: Any) -> list[str]:
    """Turn the mouse wheel (zoom in) over ``over``; wait until the chart's X axes show other
    ticks, then return them (:func:`tick_labels`)."""
    before = tick_labels(chart)
    box = over.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(3):
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(150)
    page.wait_for_function(
        f"([el, old]) => JSON.stringify(({X_TICKS_JS})(el)) !== old",
        arg=[chart.element_handle(), json.dumps(before, separators=(",", ":"))],
        timeout=10_000,
    )
    return tick_labels(chart)


# --- JupyterLab: serve the project, run a notebook, check the page ---------------------------

#: JavaScript: whether the kernel of the notebook in front is idle.
KERNEL_IDLE_JS = (
    "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session"
    "?.kernel?.status === 'idle'"
)


@contextlib.contextmanager
def jupyterlab(root: Path, base: Path) -> Iterator[str]:
    """JupyterLab serving ``root`` on a free local port until the block ends; yields its URL.

    Its settings, runtime files and log (``jupyterlab.log``) are under ``base``.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve(
        jupyterlab_command(root, base, port),
        ready_url=f"{url}/api/status",
        cwd=root,
        log=base / "jupyterlab.log",
        env=jupyter_env(base / "jupyter"),
    ):
        yield url


def run_all_cells(page: Any, url: str, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab (a fresh workspace), wait for its kernel, run every cell.

    Returns once the run has started; the caller waits for what the notebook shows.
    """
    page.goto(f"{url}/lab/tree/{notebook}?reset", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.wait_for_function(KERNEL_IDLE_JS)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def check_jupyterlab_page(page: Any, outside: list[str]) -> None:
    """No error output in any cell, no page error, no request that left the machine; then the
    kernels are shut down (the server stops cleanly)."""
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert page.errors == [], page.errors
    assert outside == [], f"{len(outside)} requests left the machine: {outside}"
    page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")
