"""Sandbox controls (``openarc serve --sandbox``) and the pytest plugin built on them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from conftest import ON_POSTGRES, Client, LiveServer, database_url, start_server, stop_server
from factories import MASTERCARD, VISA, bank_account_body, card_form
from openarc.api.app import create_app
from openarc.cli import main
from openarc.config import Settings
from openarc.testing import OpenArc, SandboxError

SAMPLE_PROJECT = Path(__file__).parent / "sample_project"
CVV = "8531"
FROZEN_AT = 1_700_000_000  # 2023-11-14


@pytest.fixture
def sandbox(settings: Settings) -> Iterator[Client]:
    with Client(create_app(replace(settings, sandbox=True)), raise_server_exceptions=False) as c:
        c.a = c.merchant("merchant-a")
        c.b = c.merchant("merchant-b")
        yield c


def test_reset_wipes_one_merchants_data_and_keeps_its_key(sandbox: Client) -> None:
    a, b = sandbox.a.headers, sandbox.b.headers
    first = sandbox.post("/v1/customers", headers=a, data={"name": "John Smith"}).json()["data"]
    token = sandbox.post("/v1/tokens", headers=a, data=card_form(cvv=CVV)).json()["data"]["id"]
    assert sandbox.patch(f"/v1/customers/{first['id']}", headers=a, data={"token_id": token}).status_code == 200
    bank = bank_account_body(customer_id=first["id"])
    assert sandbox.post("/v1/bankaccounts", headers=a, data=bank).status_code == 201
    sandbox.post("/v1/tokens", headers=a, data=card_form(MASTERCARD, cvv=CVV))  # an unattached token
    replayed = {**a, "Idempotency-Key": "same-key-in-every-test"}
    assert sandbox.post("/v1/customers", headers=replayed, data={"name": "Kept Once"}).status_code == 201
    theirs = sandbox.post("/v1/customers", headers=b, data={"name": "Jane Roe"}).json()["data"]

    done = sandbox.post("/_openarc/reset", headers=a).json()["data"]
    assert (done["customers"], done["cards"], done["tokens"], done["bank_accounts"]) == (2, 2, 2, 1)
    assert done["idempotency_keys"] == 1

    assert sandbox.get("/v1/customers", headers=a).json()["meta"]["pagination"]["total"] == 0
    assert sandbox.get(f"/v1/customers/{first['id']}", headers=a).status_code == 404
    # The other merchant is untouched.
    assert sandbox.get(f"/v1/customers/{theirs['id']}", headers=b).json()["data"]["name"] == "Jane Roe"
    assert sandbox.get("/v1/customers", headers=b).json()["meta"]["pagination"]["total"] == 1
    # The key still works, and the merchant starts over as if new (same invoice prefixes).
    again = sandbox.post("/v1/customers", headers=a, data={"name": "John Smith"}).json()["data"]
    assert again["invoice_prefix"] == first["invoice_prefix"] and again["id"] != first["id"]
    # A remembered Idempotency-Key does not replay a customer that the reset removed.
    fresh = sandbox.post("/v1/customers", headers=replayed, data={"name": "Kept Once"})
    assert fresh.status_code == 201 and sandbox.get(f"/v1/customers/{fresh.json()['data']['id']}", headers=a).status_code == 200


def test_the_request_log_shows_what_was_sent_without_secrets(sandbox: Client) -> None:
    a = sandbox.a.headers
    assert sandbox.post("/v1/tokens", headers=a, data=card_form(cvv=CVV)).status_code == 201
    assert sandbox.post("/v1/tokens", headers=a, json=card_form(MASTERCARD, cvv=CVV, exp_month=13)).status_code == 422
    # A card number under a key no rule knows, spaced as people type it, is caught too.
    sandbox.post("/v1/customers", headers=a, json={"name": "John Smith", "note": "card 4012 0000 9876 5439"})
    sandbox.get("/v1/customers", headers={"Authorization": "Bearer oa_sk_wrongwrongwrong"})
    sandbox.get("/v1/customers", headers=sandbox.b.headers)

    log = sandbox.get("/_openarc/requests", headers=a).json()["data"]
    text = json.dumps(log)
    for secret in (VISA, MASTERCARD, "4012 0000 9876 5439", sandbox.a.key, sandbox.b.key, "oa_sk_"):
        assert secret not in text
    # Request ids and timestamps are digit runs that may hold the CVV's digits by chance: look for it
    # as a value of its own.
    assert re.search(rf"(?<![0-9A-Za-z]){CVV}(?![0-9A-Za-z])", text) is None
    # Newest first; neither merchant b's request nor the keyless 401 is in a's log.
    assert [(e["method"], e["path"], e["response"]["status"]) for e in log] == [
        ("POST", "/v1/customers", 201), ("POST", "/v1/tokens", 422), ("POST", "/v1/tokens", 201),
    ]
    form_token, json_token = log[2], log[1]
    assert form_token["request"]["body"]["card_number"] == "[redacted]"
    assert form_token["request"]["body"]["cvv"] == "[redacted]"
    assert form_token["request"]["body"]["card_source"] == "INTERNET"
    assert form_token["request"]["headers"]["authorization"] == "[redacted]"
    assert form_token["response"]["body"]["data"]["card"]["data"]["last4digit"] == "5439"
    assert json_token["request"]["body"]["exp_month"] == 13
    assert "exp_month" in json_token["response"]["body"]["errors"]
    assert log[0]["request"]["body"] == {"name": "John Smith", "note": "card [redacted]"}

    assert len(sandbox.get("/_openarc/requests?limit=2", headers=a).json()["data"]) == 2
    assert sandbox.delete("/_openarc/requests", headers=a).status_code == 204
    assert sandbox.get("/_openarc/requests", headers=a).json()["data"] == []
    assert len(sandbox.get("/_openarc/requests", headers=sandbox.b.headers).json()["data"]) == 1


def test_the_clock_drives_timestamps_readable_texts_and_token_expiry(sandbox: Client) -> None:
    a = sandbox.a.headers
    frozen = sandbox.post("/_openarc/clock/freeze", headers=a, json={"at": FROZEN_AT}).json()["data"]
    assert frozen == {"now": FROZEN_AT, "frozen": True, "offset": 0}
    customer = sandbox.post("/v1/customers", headers=a, data={"name": "John Smith"}).json()["data"]
    assert customer["created_at"] == FROZEN_AT and customer["readable_created_at"] == "1 second ago"

    assert sandbox.post("/_openarc/clock/advance", headers=a, data={"seconds": "259200"}).json()["data"]["now"] == (
        FROZEN_AT + 3 * 86_400
    )
    found = sandbox.get(f"/v1/customers/{customer['id']}", headers=a).json()["data"]
    assert found["readable_created_at"] == "3 days ago" and found["created_at"] == FROZEN_AT

    ttl = sandbox.app.state.ctx.settings.token_ttl_seconds
    fresh = sandbox.post("/v1/tokens", headers=a, data=card_form(cvv=CVV)).json()["data"]["id"]
    stale = sandbox.post("/v1/tokens", headers=a, data=card_form(MASTERCARD, cvv=CVV)).json()["data"]["id"]
    sandbox.post("/_openarc/clock/advance", headers=a, json={"seconds": ttl - 1})
    assert sandbox.patch(f"/v1/customers/{customer['id']}", headers=a, data={"token_id": fresh}).status_code == 200
    sandbox.post("/_openarc/clock/advance", headers=a, json={"seconds": 2})
    expired = sandbox.patch(f"/v1/customers/{customer['id']}", headers=a, data={"token_id": stale})
    assert expired.status_code == 409

    back = sandbox.post("/_openarc/clock/reset", headers=a).json()["data"]
    assert back["frozen"] is False and back["offset"] == 0 and back["now"] > FROZEN_AT + 86_400 * 365
    assert sandbox.get("/_openarc/clock", headers=a).json()["data"]["frozen"] is False


def test_every_control_acts_on_the_calling_merchant_only(sandbox: Client) -> None:
    """The clock, the request log and reset were shared: one merchant's freeze or advance
    expired another's tokens and settled its charges, one merchant's reset unfroze another's
    clock, keyless requests were shown to every merchant and one DELETE wiped them for all."""
    a, b = sandbox.a.headers, sandbox.b.headers
    token_b = sandbox.post("/v1/tokens", headers=b, data=card_form(cvv=CVV)).json()["data"]["id"]
    customer_b = sandbox.post("/v1/customers", headers=b, json={"name": "Bee Customer"}).json()["data"]["id"]
    frozen_b = sandbox.post("/_openarc/clock/freeze", headers=b).json()["data"]["now"]

    # a moves its clock a year on: b's time, tokens and charges are not a's business.
    moved = sandbox.post("/_openarc/clock/advance", headers=a, json={"seconds": 365 * 86_400}).json()["data"]
    assert moved["now"] >= frozen_b + 365 * 86_400
    assert sandbox.get("/_openarc/clock", headers=b).json()["data"] == {"now": frozen_b, "frozen": True, "offset": 0}
    assert sandbox.patch(f"/v1/customers/{customer_b}", headers=b, data={"token_id": token_b}).status_code == 200
    created_a = sandbox.post("/v1/customers", headers=a, json={"name": "Ann Customer"}).json()["data"]
    assert created_a["created_at"] == pytest.approx(moved["now"], abs=5)

    # a's reset leaves b's clock frozen; a's request log and DELETE are a's alone.
    sandbox.get("/v1/customers", headers={"Authorization": "Bearer oa_sk_mistyped"})
    assert sandbox.post("/_openarc/reset", headers=a).json()["data"]["clock"]["frozen"] is False
    assert sandbox.get("/_openarc/clock", headers=b).json()["data"]["frozen"] is True
    assert sandbox.delete("/_openarc/requests", headers=a).status_code == 204
    b_log = sandbox.get("/_openarc/requests", headers=b).json()["data"]
    assert [(e["method"], e["path"]) for e in b_log] == [
        ("PATCH", f"/v1/customers/{customer_b}"), ("POST", "/v1/customers"), ("POST", "/v1/tokens")]


def test_one_merchants_clock_never_expires_another_merchants_idempotency_keys(sandbox: Client) -> None:
    """Keys were purged by the calling merchant's clock: a moves its clock three days on, sends
    any keyed request, and b's retry of a charge made a second charge."""
    a, b = sandbox.a.headers, sandbox.b.headers
    body = {"amount": 1000, "currency": "usd", "card_number": VISA, "exp_month": "03", "exp_year": "2031"}
    first = sandbox.post("/v1/charges", json=body, headers={**b, "Idempotency-Key": "b-charge-1"})
    assert first.status_code == 201, first.text
    sandbox.post("/_openarc/clock/advance", headers=a, json={"seconds": 3 * 86_400})
    sandbox.post("/v1/customers", json={"name": "Purge Trigger"}, headers={**a, "Idempotency-Key": "a-any"})
    again = sandbox.post("/v1/charges", json=body, headers={**b, "Idempotency-Key": "b-charge-1"})
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert sandbox.get("/v1/charges", headers=b).json()["meta"]["pagination"]["total"] == 1


def test_clock_times_are_bounded_to_dates_the_api_can_show(sandbox: Client) -> None:
    """``at`` up to 2**53 was accepted: past year 9999 tokens answered 500, and dashboard pages
    of customers created then stayed broken after the clock was reset."""
    from openarc.clock import LATEST

    a = sandbox.a.headers
    for path, body, field in [("/_openarc/clock/freeze", {"at": 2**53}, "at"),
                              ("/_openarc/clock/freeze", {"at": LATEST + 1}, "at"),
                              ("/_openarc/clock/advance", {"seconds": LATEST}, "seconds"),
                              ("/_openarc/clock/advance", {"seconds": -(2**40)}, "seconds")]:
        r = sandbox.post(path, headers=a, json=body)
        assert r.status_code == 422 and list(r.json()["errors"]) == [field], (path, body, r.text)
    assert sandbox.post("/_openarc/clock/freeze", headers=a, json={"at": LATEST}).status_code == 200
    token = sandbox.post("/v1/tokens", headers=a, data=card_form(exp_year="9999", cvv=CVV))
    assert token.status_code in (201, 409), token.text  # a card that expired long ago, or a token: never a 500
    customer = sandbox.post("/v1/customers", headers=a, json={"name": "Far Future"})
    assert customer.status_code == 201
    sandbox.post("/_openarc/clock/reset", headers=a)
    assert sandbox.get(f"/v1/customers/{customer.json()['data']['id']}", headers=a).status_code == 200


def test_a_reset_also_puts_the_clock_back(sandbox: Client) -> None:
    a = sandbox.a.headers
    sandbox.post("/_openarc/clock/freeze", headers=a, json={"at": FROZEN_AT})
    assert sandbox.post("/_openarc/reset", headers=a).json()["data"]["clock"]["frozen"] is False


def test_clock_settings_are_validated(sandbox: Client) -> None:
    a = sandbox.a.headers
    for path, body, field in [
        ("/_openarc/clock/advance", {}, "seconds"),
        ("/_openarc/clock/advance", {"seconds": "soon"}, "seconds"),
        ("/_openarc/clock/advance", {"seconds": 1.5}, "seconds"),
        ("/_openarc/clock/advance", {"seconds": True}, "seconds"),
        ("/_openarc/clock/freeze", {"at": -1}, "at"),
    ]:
        r = sandbox.post(path, headers=a, json=body)
        assert r.status_code == 422 and list(r.json()["errors"]) == [field], (path, body)


def test_the_controls_need_a_merchant_key(sandbox: Client) -> None:
    for method, path in [("POST", "/_openarc/reset"), ("GET", "/_openarc/requests"), ("GET", "/_openarc/clock"),
                         ("POST", "/_openarc/clock/advance")]:
        r = sandbox.request(method, path, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and r.json() == {"error": "Unauthenticated."}


def test_without_sandbox_the_controls_do_not_exist(client: Client) -> None:
    for method, path in [("POST", "/_openarc/reset"), ("GET", "/_openarc/requests"), ("DELETE", "/_openarc/requests"),
                         ("GET", "/_openarc/clock"), ("POST", "/_openarc/clock/freeze"),
                         ("POST", "/_openarc/clock/advance"), ("POST", "/_openarc/clock/reset")]:
        r = client.request(method, path, headers=client.a.headers)
        assert r.status_code == 404, path
    assert client.get("/v1/customers", headers=client.a.headers).status_code == 200


def test_the_sandbox_refuses_several_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    assert main(["serve", "--sandbox", "--workers", "2", "--database", db]) == 2
    assert "one worker" in capsys.readouterr().err
    assert not (tmp_path / "w.db").exists()  # refused before touching anything


def test_openarc_serve_sandbox_and_the_handle(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--sandbox")
    try:
        assert "Sandbox controls on" in server.output()
        arc = OpenArc(server.url, server.first_key)
        assert arc.freeze(FROZEN_AT) == FROZEN_AT
        r = httpx.post(f"{arc.url}/v1/customers", headers=arc.headers, data=card_form(cvv=CVV, name="John Smith"))
        assert r.json()["data"]["created_at"] == FROZEN_AT
        assert arc.advance(60) == FROZEN_AT + 60
        [entry] = arc.requests()
        assert entry["request"]["body"]["card_number"] == "[redacted]" and VISA not in json.dumps(entry)
        assert arc.reset()["customers"] == 1
        assert arc.requests() == [] and arc.now() > FROZEN_AT + 86_400
        with pytest.raises(SandboxError):
            OpenArc(server.url, "oa_sk_not-a-key").reset()
    finally:
        stop_server(server)


def test_a_server_without_sandbox_answers_404_to_the_controls(live_server: LiveServer) -> None:
    merchant = live_server.merchant("no-sandbox")
    assert httpx.post(f"{live_server.url}/_openarc/reset", headers=merchant.headers).status_code == 404


def test_a_sample_project_with_only_the_plugin_and_the_sdk(tmp_path: Path) -> None:
    """The plugin as a user gets it: installed, loaded through its entry point, nothing else."""
    shutil.copy(SAMPLE_PROJECT / "test_with_plugin.py", tmp_path / "test_with_plugin.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENARC_"))}
    if ON_POSTGRES:
        env["OPENARC_PYTEST_DATABASE_URL"] = database_url(tmp_path / "unused.db")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_with_plugin.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
