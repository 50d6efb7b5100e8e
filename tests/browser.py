"""Real-browser harness: `streamlit run` on a free port, driven by Debian's Chromium.

playwright cannot download its own browser here, so it launches /usr/bin/chromium. The
background-networking flags keep Chromium from dialling out on a closed network.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

from kpi.config import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip where no Chromium exists (a laptop without it), but never in CI."""
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run must install it")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TODAY = "2026-11-25"  # the sample's years are all over: every grade shows


def sample_database(folder: Path) -> Path:
    """The seed plan with the fictional sample actuals, built by the CLI as `make run` does."""
    from etl import cli

    db = folder / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    return db


def app_env(db: Path, password: str | None = None) -> dict[str, str]:
    """The app's environment for a browser test: its database, a fixed today, and an upload
    password when the test signs in (a cheap hash: 1,000 iterations)."""
    from kpi.auth import hash_password

    env = {"KPI_DB": str(db), "KPI_TODAY": TODAY}
    if password is not None:
        env["KPI_UPLOAD_PASSWORD_HASH"] = hash_password(password, iterations=1_000)
    return env


@contextmanager
def streamlit_server(
    env: dict[str, str], script: Path = ROOT / "app.py", cwd: Path = ROOT
) -> Iterator[str]:
    """`streamlit run script` (the app by default) from `cwd` on a free port; yields its URL."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(
        cmd, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                    raise RuntimeError(f"streamlit did not start:\n{out}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def chromium_page(width: int = 1366, height: int = 900) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, locale="ja-JP")
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def wait_for_app(page) -> None:
    """Streamlit has finished a run when its status widget stops showing 'running'."""
    page.wait_for_selector("[data-testid=stApp]")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')"
        " && document.querySelector('[data-testid=stMain] h1')",
    )


@contextmanager
def chromium_browser() -> Iterator[object]:
    """One browser for a whole test module (launching one costs seconds on a 2-core runner);
    tests open their own pages or contexts in it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
