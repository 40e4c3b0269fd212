"""/docs in a real browser (Debian's Chromium): the "Try it" runner sends a request with the reader's key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import LiveServer

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_try_it_creates_a_customer_with_the_typed_key(live_server: LiveServer) -> None:
    key = live_server.merchant("docs-reader").key
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{live_server.url}/docs")
            page.fill("#key", key)
            form = page.locator("form[data-method=POST][data-path='/v1/customers']")
            form.locator("xpath=..").locator("summary").click()
            form.locator("textarea").fill('{"name": "Ann Lee", "email": "ann@xyz.com"}')
            form.locator("button").click()
            output = form.locator("output")
            output.filter(has_text="201").wait_for(timeout=10_000)
            status, body = output.text_content().split("\n", 1)
            Path("test-artifacts").mkdir(exist_ok=True)
            page.screenshot(path="test-artifacts/docs-try-it.png", full_page=False)
        finally:
            browser.close()
    assert errors == []
    assert status.startswith("201")
    assert json.loads(body)["data"]["email"] == "ann@xyz.com"
