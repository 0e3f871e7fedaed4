"""Browser tests of the DES panel: Debian's Chromium, driven by Playwright, against a real
``deslab-hub up`` (hub, proxy, job service, a JupyterLab server per user) on a free port.

One platform and one logged-in browser serve the whole module: starting them takes about a
minute. Every test saves a screenshot under ``test-artifacts/browser/``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.lab_helpers import ARTIFACTS, USER
from tests.platform.platform_helpers import Platform, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[Platform]:
    base = tmp_path_factory.mktemp("browser-platform")
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "platform.log",
                 args=["--demo-rows", "20000"])
    p.start(timeout=240)
    try:
        yield p
    finally:
        p.stop()
        left = p.leftovers()
        assert not left, f"processes left running: {left}"


@pytest.fixture(scope="module")
def lab(platform: Platform):
    """A Chromium page logged in as alice, JupyterLab loaded."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: run `make setup`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="deslab-chromium-")
    password = (platform.data_dir / "password").read_text().strip()
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 950},
        )
        try:
            page = ctx.new_page()
            page.set_default_timeout(60_000)
            page.goto(platform.url + "hub/login")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url(f"**/user/{USER}/lab**", timeout=180_000)
            page.wait_for_selector("li[data-id=deslab-side-panel]", timeout=120_000)
            platform.remember_processes()
            yield page
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)
