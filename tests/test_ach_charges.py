"""ACH charges: debits and credits from a saved, a customer's or an inline bank account."""

from __future__ import annotations

import re
from typing import Any

from conftest import Client
from factories import BANK_ACCOUNT_NUMBER, ROUTING_NUMBER, bank_account_body

DAY = 86_400
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$")


def ach(client: Client, body: dict[str, Any], *, json: bool = True) -> Any:
    return client.post("/v1/achcharges", headers=client.a.headers, **({"json": body} if json else {"data": body}))


def customer_with_bank_account(client: Client) -> tuple[str, str]:
    customer = client.post("/v1/customers", headers=client.a.headers, data={"name": "Jane Roe"}).json()["data"]["id"]
    bank = client.post("/v1/bankaccounts", headers=client.a.headers,
                       data={**bank_account_body(), "customer_id": customer}).json()["data"]["id"]
    return customer, bank


def test_debit_from_a_saved_bank_account_create_and_read_typing(client: Client) -> None:
    _customer, bank = customer_with_bank_account(client)
    created = ach(client, {"amount": 6699, "type": "debit", "sec_code": "WEB", "bank_account_id": bank})
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert list(data)[:4] == ["object", "id", "amount", "created_by"]
    assert (data["object"], data["amount"], data["type"], data["status"], data["sec_code"]) == (
        "ACHCharge", 6699, "debit", "validated", "WEB")
    assert isinstance(data["authorization_id"], int) and data["successful"] is True
    assert ISO.match(data["created_at"]) and ISO.match(data["updated_at"])
    account = data["bank_account"]["data"]
    assert account["id"] == bank and account["account_number"].endswith(BANK_ACCOUNT_NUMBER[-4:])
    assert BANK_ACCOUNT_NUMBER not in created.text

    read = client.get(f"/v1/achcharges/{data['id']}?include=review", headers=client.a.headers).json()["data"]
    assert read["authorization_id"] == str(data["authorization_id"]) and read["successful"] == 1
    assert read["review"] == {"data": []}
    client.app.state.ctx.clock.advance(DAY + 1)
    assert client.get(f"/v1/achcharges/{data['id']}", headers=client.a.headers).json()["data"]["status"] == "settled"


def test_customer_default_and_inline_accounts_and_credits(client: Client) -> None:
    customer, bank = customer_with_bank_account(client)
    by_customer = ach(client, {"amount": 500, "type": "debit", "sec_code": "PPD", "customer_id": customer}).json()
    assert by_customer["data"]["bank_account"]["data"]["id"] == bank
    inline = ach(client, {"amount": 700, "type": "credit", "sec_code": "CCD", "account_number": "123456789",
                          "routing_number": ROUTING_NUMBER, "first_name": "Jane", "last_name": "Roe",
                          "account_type": "Personal Checking"}, json=False)
    assert inline.status_code == 201 and inline.json()["data"]["type"] == "credit"
    assert "123456789" not in inline.text
    listed = client.get("/v1/achcharges", headers=client.a.headers).json()
    assert [a["amount"] for a in listed["data"]] == [700, 500]
    assert listed["meta"]["pagination"]["total"] == 2
    mine = client.get(f"/v1/achcharges?customer_id={customer}", headers=client.a.headers).json()["data"]
    assert [a["amount"] for a in mine] == [500]


def test_ach_rules_name_the_field(client: Client) -> None:
    errors = ach(client, {"amount": 10, "type": "refund", "sec_code": "XYZ"}).json()["errors"]
    assert errors["amount"] == ["The amount field must be at least 50."]
    assert errors["type"] == ["The selected type is invalid."] and errors["sec_code"] == ["The selected sec code is invalid."]
    assert errors["account_number"] == ["The account number field is required."]
    bare = client.post("/v1/customers", headers=client.a.headers, data={"name": "No Bank"}).json()["data"]["id"]
    no_bank = ach(client, {"amount": 500, "type": "debit", "sec_code": "WEB", "customer_id": bare})
    assert no_bank.status_code == 409 and "no bank account" in no_bank.json()["message"]


def test_another_merchants_bank_accounts_and_ach_charges_are_not_found(client: Client) -> None:
    b = client.b.headers
    bank = client.post("/v1/bankaccounts", headers=b, data=bank_account_body()).json()["data"]["id"]
    theirs = client.post("/v1/achcharges", headers=b, json={"amount": 900, "type": "debit", "sec_code": "WEB",
                                                            "bank_account_id": bank}).json()["data"]
    assert client.get(f"/v1/achcharges/{theirs['id']}", headers=client.a.headers).status_code == 404
    assert ach(client, {"amount": 500, "type": "debit", "sec_code": "WEB", "bank_account_id": bank}).status_code == 404
    assert client.get("/v1/achcharges", headers=client.a.headers).json()["data"] == []


def test_the_sdks_second_post_to_charges_answers_the_ach_charge_just_made(client: Client) -> None:
    _, bank = customer_with_bank_account(client)
    body = {"amount": 6699, "sec_code": "WEB", "bank_account_id": bank, "type": "debit"}
    first = ach(client, body).json()["data"]
    second = client.post("/v1/charges", headers=client.a.headers, json=body)
    assert second.status_code == 201 and second.json()["data"]["id"] == first["id"]
    assert client.get("/v1/achcharges", headers=client.a.headers).json()["meta"]["pagination"]["total"] == 1
    # Not an ACH charge made moments ago with this body: refused, nothing debited.
    client.app.state.ctx.clock.advance(120)
    late = client.post("/v1/charges", headers=client.a.headers, json=body)
    assert late.status_code == 422 and "sec_code" in late.json()["errors"]
    other = client.post("/v1/charges", headers=client.a.headers, json={**body, "amount": 6700})
    assert other.status_code == 422
