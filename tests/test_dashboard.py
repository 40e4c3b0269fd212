"""The merchant dashboard, driven in a real browser against a live ``openarc serve``.

Playwright (from PyPI) drives Debian's Chromium at /usr/bin/chromium; no browser is
ever downloaded.  Screenshots go to ``test-artifacts/``; ``docs/dashboard.png`` (shown
in the README) is written when missing or when ``OPENARC_UPDATE_SCREENSHOTS=1``, so a
test run does not dirty the working tree.
"""

from __future__ import annotations

import base64
import json
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import Client, LiveServer, Merchant
from factories import BANK_ACCOUNT_NUMBER, VISA, bank_account_body, card_form
from openarc.config import Settings
from openarc.context import build_context
from openarc.services import accounts

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "dashboard.png"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium package (scripts/test does it in CI)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


#: Generous: CI runs two workers on two cores beside a browser and a server.
TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    opened = new_page(browser)
    yield opened
    # The last thing the browser showed, to read beside a failure.
    shot(opened, f"end-{request.node.name}")
    opened.context.close()


def new_page(browser: Browser, viewport: dict[str, int] = LAPTOP) -> Page:
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context.new_page()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"dashboard-{name}.png", full_page=full_page)


def api(server: LiveServer, merchant: Merchant) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=merchant.headers, timeout=10)


def create_customer(server: LiveServer, merchant: Merchant, **fields: str) -> str:
    with api(server, merchant) as client:
        r = client.post("/v1/customers", data=fields)
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


def sign_in(page: Page, server: LiveServer, merchant: Merchant) -> None:
    page.goto(f"{server.url}/dashboard")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API key").fill(merchant.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Signed in as {merchant.name}")).to_be_visible()


def session_cookie(page: Page) -> dict:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "openarc_dashboard"]
    return cookie


def payload_of(cookie: dict) -> dict:
    """The signed (not encrypted) JSON inside the session cookie; a leading "." means zlib."""
    value = cookie["value"]
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if value.startswith(".") else raw)


def field_errors(page: Page, field: str) -> list[str]:
    return page.locator(f"#e-{field} li").all_inner_texts()


# ---------------------------------------------------------------------------- the journey


def test_sign_in_create_find_open_edit_delete_sign_out(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("journey-merchant")
    create_customer(live_server, merchant, name="Grace Hopper", email="grace@example.com")

    sign_in(page, live_server, merchant)
    cookie = session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/dashboard"
    # The cookie names a session kept on the server; nothing of the key is in it.
    assert set(payload_of(cookie)) == {"n", "s"} and merchant.key not in json.dumps(payload_of(cookie))
    assert merchant.key not in cookie["value"]

    # Create.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Phone").fill("5417543010")
    page.get_by_label("Address line 1").fill("12 St James Square")
    page.get_by_label("City").fill("London")
    page.get_by_label("Country").fill("GB")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("status")).to_have_text("Customer created.")
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()

    # Find it by email, then open it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    page.get_by_role("search").get_by_label("Search customers").fill("ADA@example")  # the start of it, any case
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ada@example.com")
    shot(page, "search")
    rows.first.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    details = page.locator("dl.fields")
    for text in ("ada@example.com", "5417543010", "12 St James Square", "London", "Created", "Updated"):
        expect(details).to_contain_text(text)
    customer_id = page.url.rstrip("/").split("/")[-1]

    # Edit with an invalid phone: the API's own message, next to the field.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Phone").fill("541-754-3010")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-phone")).to_be_visible()
    expect(page.get_by_label("Phone")).to_have_attribute("aria-invalid", "true")
    with api(live_server, merchant) as client:
        api_errors = client.patch(f"/v1/customers/{customer_id}", data={"phone": "541-754-3010"}).json()["errors"]
    assert field_errors(page, "phone") == api_errors["phone"]
    assert "The phone field format is invalid." in api_errors["phone"]
    expect(page.get_by_label("Name")).to_have_value("Ada Lovelace")  # the rest of the input is kept
    shot(page, "invalid-phone")

    # Fix and save.
    page.get_by_label("Phone").fill("5417543011")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Changes saved.")
    expect(page.locator("dl.fields")).to_contain_text("5417543011")
    with api(live_server, merchant) as client:
        assert client.get(f"/v1/customers/{customer_id}").json()["data"]["phone"] == "5417543011"

    # Delete, after a confirmation page.
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete Ada Lovelace?")).to_be_visible()
    page.get_by_role("button", name="Delete customer").click()
    expect(page.get_by_role("status")).to_have_text("Customer deleted.")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    with api(live_server, merchant) as client:
        assert client.get(f"/v1/customers/{customer_id}").status_code == 404

    # Sign out: the session is gone, and pages send you back to sign in, even with the old cookie.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    assert all("s" not in payload_of(c) for c in page.context.cookies() if c["name"] == "openarc_dashboard")
    page.goto(f"{live_server.url}/dashboard/customers")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.context.add_cookies([{"name": "openarc_dashboard", "value": cookie["value"], "url": f"{live_server.url}/dashboard"}])
    page.goto(f"{live_server.url}/dashboard/customers")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_wrong_key_is_refused_with_a_message(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/dashboard/signin")
    page.get_by_label("API key").fill("oa_sk_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That API key is not valid")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")


def test_details_show_cards_and_bank_accounts_masked(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("payment-methods-merchant")
    customer_id = create_customer(live_server, merchant, name="John Smith", email="john@example.com")
    with api(live_server, merchant) as client:
        token = client.post("/v1/tokens", data=card_form(card_holder_name="John Smith")).json()["data"]["id"]
        assert client.patch(f"/v1/customers/{customer_id}", data={"token_id": token}).status_code == 200
        bank = client.post("/v1/bankaccounts", data=bank_account_body(customer_id=customer_id))
        assert bank.status_code == 201, bank.text

    sign_in(page, live_server, merchant)
    page.goto(f"{live_server.url}/dashboard/customers/{customer_id}")
    cards = page.locator("section").filter(has=page.get_by_role("heading", name="Cards"))
    expect(cards.locator("tbody tr")).to_have_count(1)
    expect(cards).to_contain_text("Visa ending 5439")
    expect(cards).to_contain_text("04/2031")
    banks = page.locator("section").filter(has=page.get_by_role("heading", name="Bank accounts"))
    expect(banks).to_contain_text("XXXXXXXX5352")
    expect(banks).to_contain_text("Personal Savings")
    html = page.content()
    assert VISA not in html and BANK_ACCOUNT_NUMBER not in html
    shot(page, "detail")


def test_list_pages_and_reads_at_phone_width(browser: Browser, live_server: LiveServer) -> None:
    merchant = live_server.merchant("paging-merchant")
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in range(30):
        create_customer(live_server, merchant, name=f"Customer {letters[n // 26]}{letters[n % 26]}",
                        email=f"c{n}@example.com", phone=f"555000{n:04d}")
    page = new_page(browser, PHONE)
    try:
        sign_in(page, live_server, merchant)
        expect(page.locator("p.count")).to_contain_text("30 customers, page 1 of 2")
        expect(page.locator("table.list tbody tr")).to_have_count(25)
        expect(page.locator("table.list tbody tr").first).to_contain_text("Customer bd")  # newest first
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "phone-list")
        page.get_by_role("link", name="Next →").click()
        expect(page.locator("table.list tbody tr")).to_have_count(5)
        expect(page.locator("p.count")).to_contain_text("page 2 of 2")
        # A phone number however it is written.
        page.get_by_role("search").get_by_label("Search customers").fill("555-000-0007")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        expect(page.locator("table.list tbody tr")).to_contain_text("Customer ah")
        page.goto(f"{live_server.url}/dashboard/customers/new")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "phone-form")
    finally:
        page.context.close()


def test_keyboard_only(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("keyboard-merchant")
    page.goto(f"{live_server.url}/dashboard/signin")
    expect(page.get_by_label("API key")).to_be_focused()  # autofocus
    page.keyboard.type(merchant.key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="OpenArc dashboard")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="New customer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New customer")).to_be_visible()
    # Every input of the form has a label.
    for field in page.locator("form.card input:not([type=hidden])").all():
        assert field.evaluate("el => el.labels.length") == 1
    page.get_by_label("Name").focus()
    page.keyboard.type("Kay Board")
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("status")).to_have_text("Customer created.")


# ---------------------------------------------------------------------------- security


def test_a_second_merchant_cannot_see_the_first_ones_customer(browser: Browser, live_server: LiveServer) -> None:
    first = live_server.merchant("first-merchant")
    second = live_server.merchant("second-merchant")
    theirs = create_customer(live_server, first, name="Private Person", email="private@example.com")
    create_customer(live_server, second, name="Own Customer", email="own@example.com")

    page = new_page(browser)
    try:
        sign_in(page, live_server, second)
        rows = page.locator("table.list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("Own Customer")
        page.get_by_role("search").get_by_label("Search customers").fill("private@example.com")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("p.count")).to_have_text("No customer matches “private@example.com”.")
        for path in ("", "/edit", "/delete"):
            response = page.goto(f"{live_server.url}/dashboard/customers/{theirs}{path}")
            assert response is not None and response.status == 404
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
            assert "Private Person" not in page.content()
        # Even a well-formed post (with the second merchant's valid CSRF token) cannot touch it.
        page.goto(f"{live_server.url}/dashboard/customers/new")
        token = page.locator("input[name=csrf_token]").first.input_value()
        refused = page.request.post(f"{live_server.url}/dashboard/customers/{theirs}/delete",
                                    form={"csrf_token": token})
        assert refused.status == 404
        refused = page.request.post(f"{live_server.url}/dashboard/customers/{theirs}/edit",
                                    form={"csrf_token": token, "name": "Hijacked"})
        assert refused.status == 404
    finally:
        page.context.close()
    with api(live_server, first) as client:
        assert client.get(f"/v1/customers/{theirs}").json()["data"]["name"] == "Private Person"


def test_a_form_post_without_the_csrf_token_is_refused(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("csrf-merchant")
    customer_id = create_customer(live_server, merchant, name="Target Customer")
    sign_in(page, live_server, merchant)

    # The real edit form, with its token taken out: 403, and nothing changes.
    page.goto(f"{live_server.url}/dashboard/customers/{customer_id}/edit")
    page.get_by_label("Name").fill("Changed Name")
    page.evaluate("document.querySelector('form.card input[name=csrf_token]').remove()")
    with page.expect_response(re.compile(r"/edit$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    shot(page, "csrf-refused")

    # A wrong token, and a post with none at all, from the signed-in browser: 403 too.
    for form in ({"csrf_token": "0" * 64}, {}):
        refused = page.request.post(f"{live_server.url}/dashboard/customers/{customer_id}/delete", form=form)
        assert refused.status == 403
    refused = page.request.post(f"{live_server.url}/dashboard/customers", form={"name": "Sneaky Customer"})
    assert refused.status == 403

    # Another site's page that posts to the dashboard: the browser sends no cookie (SameSite=Strict).
    evil = (f'<form method="post" action="{live_server.url}/dashboard/customers/{customer_id}/delete">'
            '<input name="csrf_token" value="guess"></form><script>document.forms[0].submit()</script>')
    page.route("http://attacker.test/**", lambda route: route.fulfill(content_type="text/html", body=evil))
    with page.expect_response(re.compile(r"/delete$")) as answer:
        page.goto("http://attacker.test/")
    assert answer.value.status == 403

    # Signing in needs the token too (no login CSRF).
    assert page.request.post(f"{live_server.url}/dashboard/signin", form={"api_key": merchant.key}).status == 403

    with api(live_server, merchant) as client:
        assert client.get(f"/v1/customers/{customer_id}").json()["data"]["name"] == "Target Customer"
        assert client.get("/v1/customers", params={"name": "Sneaky Customer"}).json()["data"] == []


def test_the_api_ignores_the_dashboard_cookie(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("cookie-merchant")
    create_customer(live_server, merchant, name="Cookie Customer")
    sign_in(page, live_server, merchant)
    cookie = session_cookie(page)
    jar = {"Cookie": f"openarc_dashboard={cookie['value']}", "Accept": "application/json"}

    listed = httpx.get(f"{live_server.url}/v1/customers", headers=jar)
    assert (listed.status_code, listed.json()) == (401, {"error": "Unauthenticated."})
    created = httpx.post(f"{live_server.url}/v1/customers", headers=jar, data={"name": "Via Cookie"})
    assert created.status_code == 401
    # From the signed-in browser itself, too.
    assert page.request.get(f"{live_server.url}/v1/customers").status == 401
    with api(live_server, merchant) as client:
        assert [c["name"] for c in client.get("/v1/customers").json()["data"]] == ["Cookie Customer"]


def test_revoking_the_key_ends_the_session(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("revoked-merchant")
    sign_in(page, live_server, merchant)
    ctx = build_context(Settings(database_url=live_server.database_url))
    try:
        accounts.revoke(ctx.db, ctx.secrets.api_keys, merchant.key, now=ctx.clock.now())
    finally:
        ctx.db.dispose()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your session has ended. Sign in again.")


def test_a_forged_session_cookie_is_not_a_session(page: Page, live_server: LiveServer) -> None:
    page.context.add_cookies([{"name": "openarc_dashboard", "value": "eyJuIjoieCIsImQiOiJ5In0.AAAAAA.forged",
                               "url": f"{live_server.url}/dashboard"}])
    page.goto(f"{live_server.url}/dashboard/customers")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


# ---------------------------------------------------------------------------- the README's picture


def test_readme_screenshot(page: Page, live_server: LiveServer) -> None:
    merchant = live_server.merchant("Acme Coffee")
    for name, email, phone in [
        ("John Smith", "customer@xyz.com", "541754301"),
        ("Ada Lovelace", "ada@example.com", "2025550143"),
        ("Grace Hopper", "grace@example.com", "2025550188"),
        ("Alan Turing", "alan@example.com", "2025550117"),
        ("Margaret Hamilton", "margaret@example.com", "2025550199"),
    ]:
        create_customer(live_server, merchant, name=name, email=email, phone=phone, city="New York", state="NY")
    sign_in(page, live_server, merchant)
    page.set_viewport_size({"width": 1100, "height": 640})
    expect(page.locator("table.list tbody tr")).to_have_count(5)
    shot(page, "list", full_page=False)
    if os.environ.get("OPENARC_UPDATE_SCREENSHOTS") == "1" or not README_SHOT.exists():
        README_SHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=README_SHOT)


# ---------------------------------------------------------------------------- headers (no browser needed)


def test_cookie_and_security_headers(client: Client) -> None:
    plain = client.get("/dashboard/signin")
    assert plain.status_code == 200
    cookie = plain.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    assert "secure" not in cookie
    client.cookies.clear()
    behind_tls = client.get("/dashboard/signin", headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in behind_tls.headers["set-cookie"].lower()
    csp = plain.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert plain.headers["cache-control"] == "no-store" and plain.headers["x-frame-options"] == "DENY"
    # Every asset the page names is served from /dashboard itself.
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|svg|js))"', plain.text)
    assert assets and all(client.get(a).status_code == 200 and "/dashboard/static/" in a for a in assets)
