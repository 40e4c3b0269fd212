"""Request-Id on every answer, and a JSON-lines access log that never holds a secret."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from conftest import Client, LiveServer
from factories import BANK_ACCOUNT_NUMBER, MASTERCARD, bank_account_body, card_form

CVV = "7391"


def test_every_answer_has_a_request_id(client: Client) -> None:
    answers = [
        client.get("/v1/customers", headers=client.a.headers),
        client.get("/v1/customers"),
        client.post("/v1/customers", headers=client.a.headers, json={"name": "X"}),
        client.get("/nowhere"),
        client.get("/openapi.json"),
    ]
    ids = [r.headers["request-id"] for r in answers]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == len(ids)


def test_a_sane_incoming_request_id_is_echoed_others_replaced(client: Client) -> None:
    echoed = client.get("/v1/customers", headers={**client.a.headers, "Request-Id": "req-42.abc"})
    assert echoed.headers["request-id"] == "req-42.abc"
    assert client.get("/v1/customers", headers={"X-Request-Id": "trace:7f"}).headers["request-id"] == "trace:7f"
    for insane in ("has spaces", "x" * 200, f"card-{MASTERCARD}", "a\"b"):
        assert client.get("/v1/customers", headers={"Request-Id": insane}).headers["request-id"] != insane


def _log_lines(server: LiveServer) -> list[dict[str, object]]:
    lines = []
    for raw in server.output().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_the_access_log_holds_no_key_card_cvv_or_account_number(live_server: LiveServer) -> None:
    merchant = live_server.merchant("log-scan")
    h = merchant.headers
    url = live_server.url
    card = card_form(MASTERCARD, cvv=CVV)
    sent_ids = []
    with httpx.Client(base_url=url, timeout=10) as http:
        token = http.post("/v1/tokens", headers=h, data=card)
        assert token.status_code == 201
        sent_ids.append(token.headers["request-id"])
        http.post("/v1/tokens", headers=h, json=card)
        http.post("/v1/tokens", headers={**h, "Idempotency-Key": f"k-{MASTERCARD}"}, json=card)
        http.post("/v1/tokens", headers=h, json={**card, "cvv": "12345"})  # refused: still not logged
        http.post("/v1/bankaccounts", headers=h, data=bank_account_body())
        # Secrets where they do not belong: in the query, in the path, as a key.
        http.get("/v1/customers", headers=h, params={"phone": MASTERCARD, "note": BANK_ACCOUNT_NUMBER, "cvv": CVV})
        http.get(f"/v1/customers/{MASTERCARD}", headers=h)
        http.get("/v1/customers", headers={"Authorization": f"Bearer {merchant.key}x"})
        http.get("/v1/customers", headers={**h, "Request-Id": "scan-1"})
    time.sleep(0.3)  # let the server's stderr reach the file
    output = live_server.output()
    for secret in (merchant.key, merchant.key[6:], MASTERCARD, BANK_ACCOUNT_NUMBER):
        assert secret not in output
    # Request ids (hex) and durations may hold the CVV's digits by chance: look for it as a value of its own.
    assert re.search(rf"(?<![0-9A-Za-z.]){CVV}(?![0-9A-Za-z.])", output) is None
    entries = [e for e in _log_lines(live_server) if e.get("event") == "request"]
    assert len(entries) >= 9
    by_id = {e["request_id"]: e for e in entries}
    assert by_id["scan-1"]["status"] == 200 and by_id["scan-1"]["method"] == "GET"
    first = by_id[sent_ids[0]]
    assert first["path"] == "/v1/tokens" and first["status"] == 201
    assert {"time", "duration_ms", "bytes"} <= set(first)


def test_searches_do_not_put_customers_details_in_the_log(live_server: LiveServer) -> None:
    key = live_server.merchant("log-privacy").key
    before = len(live_server.output())
    r = httpx.get(f"{live_server.url}/v1/customers", params={"email": "jane.doe@example.com", "name": "Jane Doe",
                  "limit": "5"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    time.sleep(0.3)
    logged = live_server.output()[before:]
    assert '"limit":"5"' in logged and '"email":"[redacted]"' in logged
    assert "jane.doe" not in logged and "Jane" not in logged


def test_a_huge_path_is_logged_as_its_start_and_its_length(client: Client, capfd: pytest.CaptureFixture[str]) -> None:
    client.get(f"/v1/customers/{'x' * 30_000}", headers=client.a.headers)
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    path = next(e["path"] for e in lines if e.get("status") == 404)
    assert path.startswith("/v1/customers/xxx") and path.endswith("...[28990 more characters]")
