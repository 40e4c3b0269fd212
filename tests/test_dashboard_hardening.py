"""What an adversarial review of the dashboard and /docs asked for, each as a class:

- signing out ends the session on the server (a copied cookie and its CSRF token stop working);
- a form body cut short or malformed is a 4xx (or nothing, when the client is gone), never a 500;
- no redirect or link is built from the Host header (Locations are paths, behind ``root_path``);
- /docs, like the dashboard, says how it may be framed, sniffed and referred.

In-process (``client``) where the HTTP exchange is the point, a live ``openarc serve`` where the
server's own handling of a broken connection is, and Chromium for what the browser enforces.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from conftest import Client, LiveServer, start_server, stop_server
from openarc.api.app import create_app
from openarc.config import Settings
from openarc.services import accounts

COOKIE = "openarc_dashboard"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
EVIL = "evil.example"


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Client, key: str, headers: dict[str, str] | None = None, prefix: str = "") -> str:
    """Signs ``client`` in with ``key``; the CSRF token of the signed-in pages."""
    form = client.get(f"{prefix}/dashboard/signin", headers=headers)
    assert form.status_code == 200
    done = client.post(f"{prefix}/dashboard/signin", headers=headers, follow_redirects=False,
                       data={"csrf_token": csrf_of(form.text), "api_key": key})
    assert done.status_code == 303, done.text
    page = client.get(f"{prefix}/dashboard/customers", headers=headers, follow_redirects=False)
    assert page.status_code == 200
    return csrf_of(page.text)


def signed_payload(cookie: str) -> dict[str, object]:
    """The signed (not encrypted) JSON inside the session cookie; a leading "." means zlib."""
    import zlib

    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if cookie.startswith(".") else raw)


def session_rows(client: Client) -> list[dict[str, object]]:
    with client.app.state.ctx.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM dashboard_sessions"))]


def customers_named(client: Client, name: str) -> list[dict[str, object]]:
    found = client.get("/v1/customers", params={"name": name}, headers=client.a.headers)
    assert found.status_code == 200
    return found.json()["data"]


@pytest.fixture
def sandbox(settings: Settings) -> Iterator[Client]:
    with Client(create_app(replace(settings, sandbox=True)), raise_server_exceptions=False) as c:
        c.a = c.merchant("merchant-a")
        c.b = c.merchant("merchant-b")
        yield c


# ---------------------------------------------------------------------------- 1. sessions live on the server


def test_a_cookie_copied_before_sign_out_is_refused_after_it(client: Client) -> None:
    token = sign_in(client, client.a.key)
    copied = client.cookies[COOKIE]
    out = client.post("/dashboard/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303

    client.cookies.clear()
    replayed = {"Cookie": f"{COOKIE}={copied}"}
    page = client.get("/dashboard/customers", headers=replayed, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/dashboard/signin")
    # The copied CSRF token with it changes nothing either.
    post = client.post("/dashboard/customers", headers=replayed, follow_redirects=False,
                       data={"csrf_token": token, "name": "After Sign Out"})
    assert post.status_code in (303, 403) and "/dashboard/signin" in post.headers.get("location", "/dashboard/signin")
    assert customers_named(client, "After Sign Out") == []


def test_the_database_keeps_a_hash_of_the_session_token_and_sign_out_deletes_it(client: Client) -> None:
    before = client.get("/dashboard/signin")
    planted = client.cookies[COOKIE]
    token = sign_in(client, client.a.key)
    cookie = client.cookies[COOKIE]
    # A fresh token at sign-in: the cookie from before it (say, planted) is not the session's.
    assert cookie != planted and before.status_code == 200
    secret = str(signed_payload(cookie)["n"])
    assert secret != signed_payload(planted)["n"]
    # The cookie holds neither the key nor the key's digest.
    assert client.a.key not in json.dumps(signed_payload(cookie))

    (row,) = session_rows(client)
    ctx = client.app.state.ctx
    assert row["account_id"] == accounts.account_named(ctx.db, "merchant-a").id
    assert all(secret not in str(value) for value in row.values())  # a leaked table is no cookie
    assert row["expires_at"] > row["created_at"]

    client.post("/dashboard/signout", data={"csrf_token": token}, follow_redirects=False)
    assert session_rows(client) == []


def test_each_sign_in_is_its_own_session(client: Client) -> None:
    sign_in(client, client.a.key)
    first = client.cookies[COOKIE]
    client.cookies.clear()
    token = sign_in(client, client.a.key)
    assert client.cookies[COOKIE] != first and len(session_rows(client)) == 2
    client.post("/dashboard/signout", data={"csrf_token": token}, follow_redirects=False)
    # Signing out of one leaves the other (another browser) signed in.
    client.cookies.clear()
    assert client.get("/dashboard/customers", headers={"Cookie": f"{COOKIE}={first}"},
                      follow_redirects=False).status_code == 200


def test_revoking_the_key_ends_its_sessions_at_once(client: Client) -> None:
    sign_in(client, client.a.key)
    ctx = client.app.state.ctx
    accounts.revoke(ctx.db, ctx.secrets.api_keys, client.a.key, now=ctx.clock.now())
    page = client.get("/dashboard/customers", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/signin?notice=ended"


def test_an_expired_session_is_refused_and_swept_at_the_next_sign_in(client: Client) -> None:
    sign_in(client, client.a.key)
    stale = client.cookies[COOKIE]
    with client.app.state.ctx.db.write() as conn:
        conn.execute(text("UPDATE dashboard_sessions SET created_at = 0, expires_at = 1"))
    page = client.get("/dashboard/customers", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/signin?notice=ended"

    client.cookies.clear()
    sign_in(client, client.b.key)  # anyone's sign-in sweeps what has expired
    assert [row["expires_at"] > 1 for row in session_rows(client)] == [True]
    client.cookies.clear()
    assert client.get("/dashboard/customers", headers={"Cookie": f"{COOKIE}={stale}"},
                      follow_redirects=False).status_code == 303


def test_a_sandbox_reset_keeps_the_merchant_signed_in(sandbox: Client) -> None:
    sign_in(sandbox, sandbox.a.key)
    assert sandbox.post("/_openarc/reset", headers=sandbox.a.headers).status_code == 200
    assert sandbox.get("/dashboard/customers", follow_redirects=False).status_code == 200


# ---------------------------------------------------------------------------- 2. bodies cut short or malformed


def _log_after(server: LiveServer, start: int) -> list[dict[str, object]]:
    return [json.loads(line) for line in server.output()[start:].splitlines() if line.startswith("{")]


def _answered(server: LiveServer, start: int, request_id: str) -> dict[str, object]:
    """The access-log line of ``request_id`` (polled: the server writes it when it is done)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in _log_after(server, start):
            if line.get("event") == "request" and line.get("request_id") == request_id:
                return line
        time.sleep(0.05)
    raise AssertionError(f"no access-log line for {request_id}:\n{server.output()[start:]}")


@pytest.mark.parametrize("path", ["/dashboard/signin", "/dashboard/customers", "/dashboard/nowhere"])
def test_a_form_cut_short_is_no_500_and_no_error_in_the_log(live_server: LiveServer, path: str) -> None:
    form = httpx.get(f"{live_server.url}/dashboard/signin")
    cookie = form.headers["set-cookie"].split(";")[0]
    start = len(live_server.output())
    request_id = f"cut-{uuid.uuid4().hex}"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nRequest-Id: {request_id}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head.encode() + b"csrf_token")  # 10 of the 100 bytes declared, then gone
    line = _answered(live_server, start, request_id)
    assert isinstance(line["status"], int) and 400 <= line["status"] < 500, line
    problems = [entry for entry in _log_after(live_server, start)
                if entry.get("event") == "log" and entry.get("level") in ("warning", "error", "critical")]
    assert problems == []


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("impatient"), env={"OPENARC_BODY_TIMEOUT_SECONDS": "1"})
    yield live
    stop_server(live)


def test_a_form_too_slow_to_arrive_is_a_408_page(impatient_server: LiveServer) -> None:
    form = httpx.get(f"{impatient_server.url}/dashboard/signin")
    cookie = form.headers["set-cookie"].split(";")[0]
    head = (f"POST /dashboard/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
    host, port = impatient_server.url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head.encode() + b"csrf_token")  # and then nothing: the client is still there
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408") and b"text/html" in answer, answer[:300]
    assert b"did not arrive" in answer


@pytest.mark.parametrize(("content_type", "body"), [
    ("multipart/form-data; boundary=xx", b'--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\nb'),
    ("application/x-www-form-urlencoded", b"csrf_token=\xff\xfe"),
    ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % n for n in range(500))),
    ("application/x-www-form-urlencoded; charset=utf-8", b"%%%=%zz&&=="),
])
def test_a_malformed_form_is_a_4xx_page(client: Client, content_type: str, body: bytes) -> None:
    client.get("/dashboard/signin")
    answer = client.post("/dashboard/signin", content=body, headers={"Content-Type": content_type})
    assert 400 <= answer.status_code < 500 and answer.headers["content-type"].startswith("text/html")


# ---------------------------------------------------------------------------- 3. no URL from the Host header


def _is_path(location: str, prefix: str = "") -> bool:
    return location.startswith(prefix + "/") and not location.startswith("//") and EVIL not in location


@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:8443", f"{EVIL}/x?", f"{EVIL}#"])
def test_redirects_are_paths_whatever_the_host_header(client: Client, host: str) -> None:
    evil = {"Host": host}
    for path in ("/dashboard", "/dashboard/", "/dashboard/customers", "/dashboard/charges?page=2", "/docs/",
                 "/openapi.json/", "/v1/customers/", "/v1/tokens/"):
        answer = client.get(path, headers=evil, follow_redirects=False)
        assert answer.status_code in (303, 307), (path, answer.status_code)
        assert _is_path(answer.headers["location"]), (path, answer.headers["location"])
    assert client.get("/dashboard/customers", headers=evil,
                      follow_redirects=False).headers["location"] == "/dashboard/signin?next=%2Fdashboard%2Fcustomers"
    assert client.get("/docs/", headers=evil, follow_redirects=False).headers["location"] == "/docs"

    form = client.get("/dashboard/signin", headers=evil)
    assert host.split("/")[0].split("#")[0] not in form.text
    signed = client.post("/dashboard/signin", headers=evil, follow_redirects=False,
                         data={"csrf_token": csrf_of(form.text), "api_key": client.a.key})
    assert signed.status_code == 303 and signed.headers["location"] == "/dashboard/customers"
    page = client.get("/dashboard/customers", headers=evil)
    out = client.post("/dashboard/signout", headers=evil, follow_redirects=False,
                      data={"csrf_token": csrf_of(page.text)})
    assert out.headers["location"] == "/dashboard/signin?notice=signed_out"
    # The cookie's path is the dashboard's, whatever the Host says.
    assert "path=/dashboard;" in out.headers["set-cookie"].lower() + ";"


def test_no_page_links_to_the_host_header(client: Client) -> None:
    evil = {"Host": EVIL}
    sign_in(client, client.a.key, evil)
    made = client.post("/v1/customers", headers=client.a.headers, data={"name": "Linked Customer"})
    customer = made.json()["data"]["id"]
    for n in range(30):  # two pages, so the pager's links are drawn
        client.post("/v1/customers", headers=client.a.headers, data={"name": f"Filler {n}"})
    pages = ["/dashboard/customers", "/dashboard/customers?page=2", "/dashboard/customers/new",
             f"/dashboard/customers/{customer}", f"/dashboard/customers/{customer}/edit",
             f"/dashboard/customers/{customer}/delete", "/dashboard/charges", "/dashboard/nowhere", "/docs"]
    for path in pages:
        answer = client.get(path, headers=evil, follow_redirects=False)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        assert EVIL not in answer.text, path
        links = re.findall(r'(?:href|action|src)=["\']([^"\']*)["\']', answer.text)
        assert links and all(not re.match(r"[a-z]+:|//", link) for link in links), (path, links)


def test_redirects_and_links_keep_the_root_path(settings: Settings) -> None:
    with Client(create_app(settings), root_path="/openarc", raise_server_exceptions=False) as client:
        client.a = client.merchant("merchant-a")
        evil = {"Host": EVIL}
        index = client.get("/openarc/dashboard", headers=evil, follow_redirects=False)
        assert index.headers["location"] == "/openarc/dashboard/customers"
        assert client.get("/openarc/docs/", headers=evil, follow_redirects=False).headers["location"] == "/openarc/docs"
        form = client.get("/openarc/dashboard/signin", headers=evil)
        assert "/openarc/dashboard/static/dashboard.css" in form.text and EVIL not in form.text
        assert "path=/openarc/dashboard" in form.headers["set-cookie"].lower()
        sign_in(client, client.a.key, evil, prefix="/openarc")


# ---------------------------------------------------------------------------- 4. framing, sniffing, referrers


@pytest.mark.parametrize("path", ["/docs", "/dashboard/signin", "/dashboard/customers", "/dashboard/nowhere"])
def test_pages_forbid_framing_and_sniffing_and_inline_code(client: Client, path: str) -> None:
    answer = client.get(path)
    headers = answer.headers
    csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split(";") if d.strip()}
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert not any("'unsafe-inline'" in values or "*" in values for values in csp.values())
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("no-referrer", "same-origin")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_the_browser_loads_docs_and_dashboard_under_their_policy(live_server: LiveServer) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path("/usr/bin/chromium").exists(), "install Debian's chromium package"
    key = live_server.merchant("csp-reader").key
    refused: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda e: refused.append(str(e)))
            page.goto(f"{live_server.url}/docs")  # Swagger UI: Authorize, then Try it out
            page.get_by_text("Create a customer").first.wait_for(timeout=15_000)
            page.locator(".scheme-container button.authorize").click()
            page.get_by_label("auth-bearer-value").fill(key)
            page.locator(".auth-btn-wrapper button.authorize").click()
            page.get_by_role("button", name="Close").click()
            block = page.locator("#operations-Customers-listCustomers")
            block.locator(".opblock-summary").first.click()
            block.get_by_role("button", name="Try it out").click()
            block.get_by_role("button", name="Execute").click()
            block.locator(".live-responses-table .response-col_status").filter(has_text="200").wait_for(timeout=10_000)

            page.goto(f"{live_server.url}/dashboard")
            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Customers", exact=True).wait_for()
            page.goto(f"{live_server.url}/dashboard/customers/new")
            page.get_by_role("button", name="Sign out").click()
            page.get_by_role("heading", name="Sign in").wait_for()
        finally:
            browser.close()
    assert refused == []
