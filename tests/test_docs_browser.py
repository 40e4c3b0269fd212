"""/docs in a real browser (Debian's Chromium): Swagger UI, served by this server, sends requests
with the reader's key, under the page's Content-Security-Policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import LiveServer

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _authorize(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI's Authorize, with the document's bearerAuth scheme."""
    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.get_by_label("auth-bearer-value").fill(key)
    dialog.locator(".auth-btn-wrapper button.authorize").click()  # named "Apply credentials"
    dialog.get_by_role("button", name="Close").click()


def _execute(page, operation_id: str, tag: str):  # type: ignore[no-untyped-def]
    """Open an operation, Try it out, Execute; its live answer's row."""
    block = page.locator(f"#operations-{tag.replace(' ', '_')}-{operation_id}")
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    answer = block.locator(".live-responses-table .response")
    answer.wait_for(timeout=10_000)
    return block, answer


def test_authorize_then_try_it_out_sends_the_key(live_server: LiveServer) -> None:
    key = live_server.merchant("docs-reader").key
    refused: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda e: refused.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{live_server.url}/docs")
            page.get_by_text("Create a customer").first.wait_for(timeout=15_000)
            for tag in ("Customers", "Cards", "Tokens", "Bank accounts", "Charges", "ACH charges", "Health"):
                assert page.locator(f"#operations-tag-{tag.replace(' ', '_')}").count() == 1, tag

            _authorize(page, key)
            # The example body of POST /v1/customers is the customer of PayArc's Create Customer guide.
            create, created = _execute(page, "createCustomer", "Customers")
            assert created.locator(".response-col_status").inner_text().strip() == "201"
            body = json.loads(create.locator(".live-responses-table .microlight").first.inner_text())
            assert body["data"]["name"] == "John Smith" and body["data"]["email"] == "customer@xyz.com"

            # The list's example filters find the example customer.
            listing, listed = _execute(page, "listCustomers", "Customers")
            assert listed.locator(".response-col_status").inner_text().strip() == "200"
            assert f"Bearer {key}" in listing.locator(".curl-command").inner_text()
            found = json.loads(listing.locator(".live-responses-table .microlight").first.inner_text())
            assert [c["id"] for c in found["data"]] == [body["data"]["id"]]
            Path("test-artifacts").mkdir(exist_ok=True)
            listed.scroll_into_view_if_needed()
            page.screenshot(path="test-artifacts/docs-try-it.png", full_page=False)
        finally:
            browser.close()
    assert refused == []
    # Everything the page fetched came from this server: no CDN, no validator badge.
    assert requests and all(url.startswith(live_server.url + "/") for url in requests), requests
