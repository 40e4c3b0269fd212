"""One redaction policy wherever data leaves the process or comes to rest.

Card data is sent through every door an attacker or a careless client might use — as query
parameter names, as a key in a query, as a JSON body labelled a form, as plain text, in an
idempotent request's query string, in a header, in a path, with a mistyped key — and then the
server's output, the database (file and WAL, or every row), the sandbox request log (as each
merchant sees it) and every answer are scanned.  And what must survive does: ids, request ids
and phone numbers are not rewritten.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer, start_server, stop_server
from factories import CVV_DIGITS, assert_not_at_rest, keyed_charge_body, scan_card_numbers, standalone

CARD, OTHER_CARD = scan_card_numbers(2, __import__("random").Random(14))
CVV = CVV_DIGITS[:4]  # "3467": digits no stored value holds by chance
CARD_BODY = {"card_number": CARD, "exp_month": "10", "exp_year": "2035", "cvv": CVV}


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("redaction"), "--sandbox")
    yield server
    stop_server(server)


def _send_card_data_everywhere(server: LiveServer, key: str) -> list[str]:
    """Every way card data reached a log or a row in the review; the answers' bodies."""
    auth = {"Authorization": f"Bearer {key}"}
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=server.url, timeout=10) as http:
        # As query parameter *names*, and a key as a name.
        answers.append(http.get(f"/v1/customers?{CARD}&cvv={CVV}", headers=auth))
        answers.append(http.get(f"/v1/customers?{key}", headers=auth))
        answers.append(http.get(f"/v1/customers?card%5Bnumber%5D={CARD}", headers=auth))
        # A JSON card body labelled a form (one field name holding all of it), and as plain text.
        for content_type in ("application/x-www-form-urlencoded", "text/plain", "application/octet-stream", ""):
            answers.append(http.post("/v1/tokens", content=json.dumps(CARD_BODY),
                                     headers={**auth, "Content-Type": content_type}))
        answers.append(http.post("/v1/tokens", content=f"card {CARD} cvv {CVV}", headers={**auth, "Content-Type": "text/plain"}))
        # An idempotent POST with card data in its query string, then its replay.
        for _ in range(2):
            answers.append(http.post(f"/v1/customers?card_number={CARD}&cvv={CVV}", json={"name": "Query Card"},
                                     headers={**auth, "Idempotency-Key": "query-card"}))
        # In a header, in the path, spaced as people write it, under unexpected names.
        answers.append(http.get("/v1/customers", headers={**auth, "X-Note": f"card {CARD}"}))
        answers.append(http.get(f"/v1/customers/{CARD}", headers=auth))
        spaced = " ".join(CARD[i:i + 4] for i in range(0, 16, 4))
        answers.append(http.post("/v1/customers", json={"name": "Spaced Card", "description": spaced}, headers=auth))
        answers.append(http.post("/v1/customers", json={"nickname": CARD, "cardNumber": OTHER_CARD, "CVV": CVV},
                                 headers=auth))
        # A keyed charge (card data is what it is for), and one refused.
        answers.append(http.post("/v1/charges", json={**keyed_charge_body(CARD), "cvv": CVV}, headers=auth))
        answers.append(http.post("/v1/charges", json={**keyed_charge_body(CARD), "cvv": CVV, "amount": "x"},
                                 headers=auth))
        # In a page's links, which echo the query (two charges, one a page).
        answers.append(http.get(f"/v1/charges?limit=1&card_number={CARD}&cvv={CVV}", headers=auth))
        # Separators people use, in a path and a body; in an Idempotency-Key; in a Content-Type.
        slashed, double = "/".join(CARD[i:i + 4] for i in range(0, 16, 4)), "  ".join(CARD[i:i + 4] for i in (0, 4, 8, 12))
        answers.append(http.get(f"/v1/customers/{slashed}", headers=auth))
        answers.append(http.post("/v1/customers", json={"name": "Double Space", "description": double}, headers=auth))
        answers.append(http.post("/v1/customers", json={"name": "Keyed Key"}, headers={**auth, "Idempotency-Key": CARD}))
        answers.append(http.post("/v1/customers", content=b"{}", headers={**auth, "Idempotency-Key": "ct",
                                                                           "Content-Type": f"application/{CARD}"}))
        # With a mistyped key: the request belongs to no merchant.
        answers.append(http.post("/v1/tokens", json=CARD_BODY, headers={"Authorization": f"Bearer {key}x"}))
        answers.append(http.post("/v1/tokens", json=CARD_BODY, headers={"Authorization": f"Bearer  {key}"}))
    return [a.text for a in answers]


def test_card_data_sent_through_every_door_reaches_no_log_row_or_answer(sandbox_server: LiveServer) -> None:
    merchant, other = sandbox_server.merchant("doors"), sandbox_server.merchant("bystander")
    answers = _send_card_data_everywhere(sandbox_server, merchant.key)

    with httpx.Client(base_url=sandbox_server.url, timeout=10) as http:
        logs = [http.get("/_openarc/requests?limit=1000", headers=m.headers).text for m in (merchant, other)]
    time.sleep(0.3)  # the server's stderr reaches its file
    places = {"server output": sandbox_server.output(), "request log": logs[0], "bystander's request log": logs[1],
              **{f"answer {i}": text for i, text in enumerate(answers)}}
    for where, text in places.items():
        for secret in (CARD, OTHER_CARD, merchant.key, merchant.key.removeprefix("oa_sk_")):
            assert secret not in text, f"{secret[:6]}… in {where}"
        assert not standalone(CVV).search(text), f"the CVV in {where}"
    assert_not_at_rest(sandbox_server.database_url, numbers=[CARD, OTHER_CARD], cvvs=[CVV])
    # What was logged is still there, masked: the request log is no less useful for it.
    entries = json.loads(logs[0])["data"]
    assert any(e["path"] == "/v1/customers/[redacted]" for e in entries)
    assert any(e["query"] == {"card_number": "[redacted]", "cvv": "[redacted]"} for e in entries)


def test_redaction_keeps_ids_request_ids_and_phone_numbers(sandbox_server: LiveServer) -> None:
    """Masking every run of 8+ digits used to mangle request ids (so the request log no longer
    matched the access log), a client's ``X-Request-Id`` and phone numbers in bodies."""
    merchant = sandbox_server.merchant("kept")
    with httpx.Client(base_url=sandbox_server.url, headers=merchant.headers, timeout=10) as http:
        created = http.post("/v1/customers", json={"name": "Kept Phone", "phone": "15550000042", "zip": "12345-6789"},
                            headers={"X-Request-Id": "20261203000042"})
        assert created.status_code == 201
        assert created.headers["request-id"] == "20261203000042"
        customer = created.json()["data"]["id"]
        ours = http.get(f"/v1/customers/{customer}").headers["request-id"]
        entries = http.get("/_openarc/requests?limit=2").json()["data"]
    retrieved, made = entries
    assert made["request"]["body"]["phone"] == "15550000042"
    assert made["response"]["body"]["data"]["phone"] == "15550000042"
    assert made["response"]["body"]["data"]["zip"] == "12345-6789"
    assert made["response"]["headers"]["request-id"] == "20261203000042"
    assert retrieved["path"] == f"/v1/customers/{customer}"
    assert retrieved["response"]["headers"]["request-id"] == ours
    time.sleep(0.3)
    access = [json.loads(line) for line in sandbox_server.output().splitlines() if line.startswith("{")]
    logged_ids = {e.get("request_id") for e in access}
    assert {"20261203000042", ours} <= logged_ids


def test_a_client_x_request_id_is_echoed_under_its_own_name(sandbox_server: LiveServer) -> None:
    merchant = sandbox_server.merchant("echo")
    with httpx.Client(base_url=sandbox_server.url, headers=merchant.headers, timeout=10) as http:
        answer = http.get("/v1/customers", headers={"X-Request-Id": "trace-7f3a"})
        plain = http.get("/v1/customers")
    assert answer.headers["x-request-id"] == answer.headers["request-id"] == "trace-7f3a"
    assert "x-request-id" not in plain.headers and re.fullmatch(r"[0-9a-f]{32}", plain.headers["request-id"])

