"""Charges through the official ``payarc`` SDK (PyPI 1.7.9), unchanged, against a live sandbox server,
and the races money must survive (concurrent refunds, one ``Idempotency-Key`` sent many times)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from payarc import Payarc

from conftest import LiveServer, Merchant, start_server, stop_server
from factories import MASTERCARD, VISA


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("charges"), "--sandbox")
    yield server
    stop_server(server)


@pytest.fixture
def merchant(sandbox_server: LiveServer, request: pytest.FixtureRequest) -> Merchant:
    return sandbox_server.merchant(f"charges-{request.node.name}"[:90])


@pytest.fixture
def payarc(sandbox_server: LiveServer, merchant: Merchant) -> Payarc:
    return Payarc(bearer_token=merchant.key, base_url=sandbox_server.url)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def settle(server: LiveServer, merchant: Merchant) -> int:
    return httpx.post(f"{server.url}/_openarc/settle", headers=merchant.headers).json()["data"]["settled"]


def test_the_readme_flow_customer_card_charge_settle_refunds(payarc: Payarc, sandbox_server: LiveServer,
                                                             merchant: Merchant) -> None:
    customer = run(payarc.customers["create"]({"name": "John Doe", "email": "john@example.com", "cards": [
        {"card_source": "INTERNET", "card_number": VISA, "exp_month": "03", "exp_year": "2031", "cvv": "999"}]}))
    charge = run(customer["charges"]["create"]({"amount": 1500, "currency": "usd"}))
    assert charge["object"] == "Charge" and charge["object_id"] == f"ch_{charge['id']}"
    assert charge["status"] == "submitted_for_settlement" and charge["amount_approved"] == "1500"

    assert settle(sandbox_server, merchant) == 1
    found = run(payarc.charges["retrieve"](charge["object_id"]))
    assert found["status"] == "settled" and found["transaction_metadata"] == {"data": []}

    part = run(payarc.charges["create_refund"](charge["object_id"], {
        "amount": 500, "reason": "requested_by_customer", "description": "Partial return"}))
    assert (part["status"], part["amount_refunded"]) == ("partial_refund", 500)
    rest = run(found["create_refund"]())  # no body at all: what remains
    assert (rest["status"], rest["amount_refunded"], rest["is_refunded"]) == ("refunded", 1500, 1)
    assert [r["refund_amount"] for r in rest["refund"]["data"]] == ["500", "1000"]

    again = run(payarc.customers["retrieve"](customer["object_id"]))
    assert [c["status"] for c in again["charge"]["data"]] == ["refunded"]

    with pytest.raises(Exception) as raised:
        run(payarc.charges["create_refund"](charge["object_id"], {"amount": 1}))
    assert raised.value.args[0]["errorCode"] == 409


def test_every_card_source_of_the_sdk_readme(payarc: Payarc) -> None:
    keyed = run(payarc.charges["create"]({"amount": 1785, "currency": "usd", "source": {
        "card_number": VISA, "exp_month": "03", "exp_year": "2031"}}))
    assert keyed["card"]["data"]["last4digit"] == "5439"
    digits = run(payarc.charges["create"]({"amount": 1785, "currency": "usd", "source": MASTERCARD,
                                            "exp_month": "03", "exp_year": "2031"}))
    assert digits["card"]["data"]["last4digit"] == "0055"

    tok = httpx.post(f"{payarc.base_url}tokens", headers={"Authorization": f"Bearer {payarc.bearer_token}"},
                     data={"card_source": "INTERNET", "card_number": VISA, "exp_month": "3", "exp_year": "31",
                           "cvv": "999"}).json()["data"]["id"]
    by_token = run(payarc.charges["create"]({"amount": 3785, "currency": "usd", "source": f"tok_{tok}"}))
    assert by_token["amount"] == 3785

    customer = run(payarc.customers["create"]({"name": "Card Owner", "cards": [
        {"card_source": "INTERNET", "card_number": VISA, "exp_month": "03", "exp_year": "2031", "cvv": "999"},
        {"card_source": "INTERNET", "card_number": MASTERCARD, "exp_month": "03", "exp_year": "2031", "cvv": "998"},
    ]}))
    second = next(c for c in customer["card"]["data"] if c["last4digit"] == "0055")
    chosen = run(payarc.charges["create"]({"amount": 5785, "currency": "usd", "source": {
        "card_id": f"card_{second['id']}", "customer_id": customer["object_id"]}}))
    assert chosen["card"]["data"]["id"] == second["id"]
    by_customer = run(payarc.charges["create"]({"amount": 6785, "currency": "usd",
                                                 "source": {"customer_id": customer["object_id"]}}))
    assert by_customer["card"]["data"]["is_default"] == 1

    listed = run(payarc.charges["list"]({"limit": 10, "page": 1,
                                         "search": {"customer_id": customer["customer_id"]}}))
    assert [c["amount"] for c in listed["charges"]] == [6785, 5785]
    assert listed["pagination"] == {"total": 2, "count": 2, "per_page": 10, "current_page": 1, "total_pages": 1}
    assert all(c["object_id"].startswith("ch_") for c in listed["charges"])
    assert run(payarc.charges["retrieve"](chosen["id"])) == []  # the SDK needs the prefix; no request is made


def test_a_decline_raises_in_the_sdk_with_the_message(payarc: Payarc) -> None:
    with pytest.raises(Exception) as raised:
        run(payarc.charges["create"]({"amount": 1000, "currency": "usd", "source": {
            "card_number": "4000000000000341", "exp_month": "03", "exp_year": "2031"}}))
    error = raised.value.args[0]
    assert error["errorCode"] == 422 and error["errorMessage"] == "Do Not Honor"
    [declined] = run(payarc.charges["list"]())["charges"]
    assert declined["status"] == "Declined" and declined["failure_code"] == "D2026"


def test_twenty_concurrent_refunds_never_refund_more_than_was_captured(sandbox_server: LiveServer,
                                                                       merchant: Merchant) -> None:
    url = sandbox_server.url
    created = httpx.post(f"{url}/v1/charges", headers=merchant.headers, data={
        "amount": 1000, "currency": "usd", "card_number": VISA, "exp_month": "03", "exp_year": "2031"}).json()["data"]
    settle(sandbox_server, merchant)

    def refund(_: int) -> int:
        return httpx.post(f"{url}/v1/charges/{created['id']}/refunds", headers=merchant.headers,
                          data={"amount": 100}, timeout=30).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(refund, range(20)))
    assert sorted(statuses) == [201] * 10 + [409] * 10
    final = httpx.get(f"{url}/v1/charges/{created['id']}", headers=merchant.headers).json()["data"]
    assert (final["amount_refunded"], final["status"], len(final["refund"]["data"])) == (1000, "refunded", 10)


def test_sixteen_racing_creates_with_one_idempotency_key_make_one_charge(sandbox_server: LiveServer,
                                                                          merchant: Merchant) -> None:
    headers = {**merchant.headers, "Idempotency-Key": "one-charge-please"}
    body = {"amount": 2500, "currency": "usd", "card_number": VISA, "exp_month": "03", "exp_year": "2031"}

    def create(_: int) -> httpx.Response:
        return httpx.post(f"{sandbox_server.url}/v1/charges", headers=headers, data=body, timeout=30)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(create, range(16)))
    created = [a for a in answers if a.status_code == 201]
    assert created and {a.json()["data"]["id"] for a in created} == {created[0].json()["data"]["id"]}
    # The others were told to retry (409 while the first was in progress) or got the replay.
    assert {a.status_code for a in answers} <= {201, 409}
    listed = httpx.get(f"{sandbox_server.url}/v1/charges", headers=merchant.headers).json()
    assert listed["meta"]["pagination"]["total"] == 1


def test_card_data_of_keyed_charges_is_not_at_rest(tmp_path: Path) -> None:
    """A keyed charge's number and CVV reach neither the database nor the log."""
    from factories import assert_not_at_rest

    server = start_server(tmp_path)
    try:
        merchant = server.merchant("scan")
        numbers = ["4111111111111111", "5555555555554444", "371449635398431"]
        cvvs = ["8462", "7364", "6487"]
        for number, cvv in zip(numbers, cvvs, strict=True):
            answer = httpx.post(f"{server.url}/v1/charges", headers=merchant.headers, json={
                "amount": 1000, "currency": "usd", "card_number": number, "exp_month": "03", "exp_year": "2031",
                "cvv": cvv}, timeout=30)
            assert answer.status_code == 201, answer.text
            assert number not in answer.text and cvv not in answer.text
    finally:
        stop_server(server)
    assert_not_at_rest(server.database_url, numbers=numbers, cvvs=cvvs)
    log = server.output()
    assert not any(n in log for n in numbers) and not any(c in log for c in cvvs)


def test_ach_through_the_sdk_returns_the_ach_charge_without_a_second_debit(payarc: Payarc, sandbox_server: LiveServer,
                                                                             merchant: Merchant) -> None:
    customer = run(payarc.customers["create"]({"name": "Ach Payer"}))
    bank = httpx.post(f"{sandbox_server.url}/v1/bankaccounts", headers=merchant.headers, data={
        "account_number": "123432575352", "routing_number": "123345349", "first_name": "Ach", "last_name": "Payer",
        "account_type": "Personal Checking", "sec_code": "WEB", "customer_id": customer["customer_id"]}).json()["data"]
    made = run(customer["charges"]["create"]({"amount": 6699, "sec_code": "WEB",
                                              "source": {"bank_account_id": f"bnk_{bank['id']}"}}))
    assert made["object"] == "ACHCharge" and made["object_id"] == f"ach_{made['id']}"
    assert (made["amount"], made["type"], made["status"]) == (6699, "debit", "validated")
    listed = httpx.get(f"{sandbox_server.url}/v1/achcharges", headers=merchant.headers).json()
    assert listed["meta"]["pagination"]["total"] == 1  # one debit, although the SDK posted twice
    assert httpx.get(f"{sandbox_server.url}/v1/charges", headers=merchant.headers).json()["data"] == []
    found = run(payarc.charges["retrieve"](made["object_id"]))
    assert found["id"] == made["id"] and found["successful"] == 1
    assert settle(sandbox_server, merchant) == 0  # card charges settled; the ACH one is counted apart
    assert run(payarc.charges["retrieve"](made["object_id"]))["status"] == "settled"


def test_the_sandbox_log_never_fails_a_charge_nor_keeps_card_data(sandbox_server: LiveServer,
                                                                  merchant: Merchant) -> None:
    url, number, cvv = sandbox_server.url, "6011000993026909", "8642"
    deep = '{"a": ' * 1000 + '"x"' + "}" * 1000
    body = f'{{"amount": 1000, "currency": "usd", "card_number": "{VISA}", "exp_month": "03", "exp_year": "2031", "x": {deep}}}'
    created = httpx.post(f"{url}/v1/charges", headers={**merchant.headers, "Content-Type": "application/json"},
                         content=body, timeout=30)
    assert created.status_code == 201, created.text  # the charge was made: the client is told so
    # Card data where redaction by field name cannot see it: a query parameter's name, a JSON
    # body sent as a form, free text.
    httpx.post(f"{url}/v1/charges?{number}", headers=merchant.headers, data={"amount": "1000"})
    httpx.post(f"{url}/v1/charges", headers={**merchant.headers, "Content-Type": "application/x-www-form-urlencoded"},
               content=f'{{"card_number": "{number}", "cvv": "{cvv}"}}')
    httpx.post(f"{url}/v1/charges", headers={**merchant.headers, "Content-Type": "text/plain"},
               content=f'cvv: {cvv} card {number}')
    logged = httpx.get(f"{url}/_openarc/requests", headers=merchant.headers)
    assert logged.status_code == 200 and len(logged.json()["data"]) >= 4
    assert number not in logged.text and cvv not in logged.text
    access_log = sandbox_server.output()
    assert number not in access_log and cvv not in access_log
