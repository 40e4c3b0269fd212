"""Cards on customers (PATCH token_id / default_card_id, card delete), bank accounts,
cascade on customer delete, and isolation between merchants."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Client
from factories import AMEX, BANK_ACCOUNT_NUMBER, MASTERCARD, VISA, bank_account_body
from test_tokens import tokenize


def new_customer(client: Client, merchant=None) -> str:
    r = client.post("/v1/customers", json={"email": "anon@example.com"}, headers=(merchant or client.a).headers)
    return r.json()["data"]["id"]


def patch(client: Client, cid: str, body: dict, merchant=None):
    return client.patch(f"/v1/customers/{cid}", json=body, headers=(merchant or client.a).headers)


def cards_of(client: Client, cid: str) -> list[dict]:
    return client.get(f"/v1/customers/{cid}", headers=client.a.headers).json()["data"]["card"]["data"]


def test_attaching_tokens_first_card_is_default(client: Client) -> None:
    cid = new_customer(client)
    first = tokenize(client)
    r = patch(client, cid, {"token_id": first["id"], "name": "Ann Lee"})
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["name"] == "Ann Lee"  # fields and token in one PATCH both apply
    [card] = data["card"]["data"]
    assert card["id"] == first["card"]["data"]["id"] and card["customer_id"] == cid and card["is_default"] == 1
    second = tokenize(client, card_number=MASTERCARD)
    patch(client, cid, {"token_id": second["id"]})
    assert [(c["last4digit"], c["is_default"]) for c in cards_of(client, cid)] == [("5439", 1), ("0055", 0)]


def test_default_card_switches_and_stays_unique(client: Client) -> None:
    cid = new_customer(client)
    for number in (VISA, MASTERCARD, AMEX):
        patch(client, cid, {"token_id": tokenize(client, card_number=number)["id"]})
    third = cards_of(client, cid)[2]["id"]
    r = patch(client, cid, {"default_card_id": third})
    assert r.status_code == 200
    assert [c["is_default"] for c in r.json()["data"]["card"]["data"]] == [0, 0, 1]
    other = new_customer(client)
    foreign = tokenize(client)
    patch(client, other, {"token_id": foreign["id"]})
    refused = patch(client, cid, {"default_card_id": foreign["card"]["data"]["id"]})
    assert refused.status_code == 409 and "not one of this customer's cards" in refused.json()["message"]


def test_concurrent_attachments_leave_exactly_one_default(client: Client) -> None:
    cid = new_customer(client)
    tokens = [tokenize(client)["id"] for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda t: patch(client, cid, {"token_id": t}).status_code, tokens))
    assert answers == [200] * 8
    assert sorted(c["is_default"] for c in cards_of(client, cid)) == [0] * 7 + [1]


@pytest.mark.parametrize("case", ["used", "expired", "unknown", "garbage", "other-merchant"])
def test_bad_tokens_are_refused_and_change_nothing(client: Client, case: str) -> None:
    cid = new_customer(client)
    token = tokenize(client)["id"]
    if case == "used":
        patch(client, cid, {"token_id": token})
    elif case == "expired":
        client.app.state.ctx.clock.advance(client.app.state.ctx.settings.token_ttl_seconds + 1)
    elif case == "unknown":
        token = client.app.state.ctx.ids.token.encode(999_999)
    elif case == "garbage":
        token = "not-a-token"
    else:
        token = tokenize(client, merchant=client.b)["id"]
    before = cards_of(client, cid)
    r = patch(client, cid, {"token_id": token, "name": "Changed Name"})
    assert r.status_code == 409, r.text
    assert r.json()["status_code"] == 409
    assert {"used": "already been used", "expired": "expired"}.get(case, "not valid") in r.json()["message"]
    after = client.get(f"/v1/customers/{cid}", headers=client.a.headers).json()["data"]
    assert after["card"]["data"] == before and after["name"] is None


def test_deleting_a_card(client: Client) -> None:
    cid = new_customer(client)
    for number in (VISA, MASTERCARD):
        patch(client, cid, {"token_id": tokenize(client, card_number=number)["id"]})
    default, other = cards_of(client, cid)
    r = client.delete(f"/v1/customers/{cid}/cards/{default['id']}", headers=client.a.headers)
    assert r.status_code == 204 and r.content == b""
    assert [(c["id"], c["is_default"]) for c in cards_of(client, cid)] == [(other["id"], 1)]
    again = client.delete(f"/v1/customers/{cid}/cards/{default['id']}", headers=client.a.headers)
    assert again.status_code == 404


def test_bank_accounts(client: Client) -> None:
    cid = new_customer(client)
    r = client.post("/v1/bankaccounts", json=bank_account_body(customer_id=cid), headers=client.a.headers)
    assert r.status_code == 201, r.text
    account = r.json()["data"]
    assert account["object"] == "BankAccount" and len(account["id"]) == 16
    assert account["account_number"] == "XXXXXXXX5352" and account["routing_number"] == "123345349"
    assert account["customer_id"] == cid and account["is_default"] == 1
    listed = client.get(f"/v1/customers/{cid}", headers=client.a.headers).json()["data"]["bank_account"]["data"]
    assert listed == [account]
    loose = client.post("/v1/bankaccounts", json=bank_account_body(), headers=client.a.headers).json()["data"]
    assert loose["customer_id"] is None
    assert client.delete(f"/v1/bankaccounts/{account['id']}", headers=client.a.headers).status_code == 204
    assert client.delete(f"/v1/bankaccounts/{account['id']}", headers=client.a.headers).status_code == 404
    assert client.get(f"/v1/customers/{cid}", headers=client.a.headers).json()["data"]["bank_account"]["data"] == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"routing_number": "12334534"}, "routing_number", "The routing number field must be 9 digits."),
        ({"routing_number": "1233453490"}, "routing_number", "The routing number field must be 9 digits."),
        ({"routing_number": "12334534x"}, "routing_number", "The routing number field format is invalid."),
        ({"account_number": "12"}, "account_number", "The account number field must be between 3 and 17 digits."),
        ({"account_number": "1" * 18}, "account_number", "The account number field must be between 3 and 17 digits."),
        ({"account_number": None}, "account_number", "The account number field is required."),
        ({"account_type": "Piggy Bank"}, "account_type", "The selected account type is invalid."),
        ({"sec_code": "XYZ"}, "sec_code", "The selected sec code is invalid."),
        ({"first_name": "J"}, "first_name", "The first name field must be at least 2 characters."),
        ({"last_name": "O'Neil!"}, "last_name", "The last name field format is invalid."),
    ],
)
def test_bank_account_field_errors(client: Client, changes: dict, field: str, message: str) -> None:
    r = client.post("/v1/bankaccounts", json=bank_account_body(**changes), headers=client.a.headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == {field: [message]}
    assert BANK_ACCOUNT_NUMBER not in r.text


def test_bank_account_for_an_unknown_customer_is_404(client: Client) -> None:
    for customer in ("nope", client.app.state.ctx.ids.customer.encode(999_999)):
        r = client.post("/v1/bankaccounts", json=bank_account_body(customer_id=customer), headers=client.a.headers)
        assert r.status_code == 404 and r.json()["message"] == "No such customer: customer_id."


def test_bank_account_boundaries_that_pass(client: Client) -> None:
    for number, shown in (("123", "XXX"), ("12345678901234567", "XXXXXXXXXXXXX4567")):
        r = client.post("/v1/bankaccounts", json=bank_account_body(account_number=number), headers=client.a.headers)
        assert r.status_code == 201 and r.json()["data"]["account_number"] == shown
    r = client.post("/v1/bankaccounts", json=bank_account_body(sec_code=""), headers=client.a.headers)
    assert r.status_code == 201 and r.json()["data"]["sec_code"] is None


def test_deleting_a_customer_removes_its_payment_methods(client: Client) -> None:
    cid = new_customer(client)
    token = tokenize(client)
    patch(client, cid, {"token_id": token["id"]})
    bank = client.post("/v1/bankaccounts", json=bank_account_body(customer_id=cid), headers=client.a.headers).json()["data"]
    assert client.delete(f"/v1/customers/{cid}", headers=client.a.headers).status_code == 204
    card_id = token["card"]["data"]["id"]
    assert client.delete(f"/v1/customers/{cid}/cards/{card_id}", headers=client.a.headers).status_code == 404
    assert client.delete(f"/v1/bankaccounts/{bank['id']}", headers=client.a.headers).status_code == 404
    with client.app.state.ctx.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM cards").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM bank_accounts").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM tokens").scalar() == 0


def test_other_merchants_ids_in_bodies_are_unknown(client: Client) -> None:
    # (Every operation on another merchant's card or bank account is a 404: tests/test_conformance.py.)
    cid = new_customer(client)
    token = tokenize(client)
    patch(client, cid, {"token_id": token["id"]})
    card_id = token["card"]["data"]["id"]
    b = client.b
    theirs = new_customer(client, merchant=b)
    assert patch(client, theirs, {"default_card_id": card_id}, merchant=b).status_code == 409
    refused = client.post("/v1/bankaccounts", json=bank_account_body(customer_id=cid), headers=b.headers)
    assert refused.status_code == 404 and "customer_id" in refused.json()["message"]
    assert len(cards_of(client, cid)) == 1


def test_customer_list_items_carry_their_cards(client: Client) -> None:
    cid = new_customer(client)
    patch(client, cid, {"token_id": tokenize(client)["id"]})
    new_customer(client)
    items = client.get("/v1/customers", headers=client.a.headers).json()["data"]
    assert [len(c["card"]["data"]) for c in items] == [0, 1]

