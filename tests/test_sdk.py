"""The official ``payarc`` SDK (PyPI 1.7.9), unchanged, against a real ``openarc serve``.

Each test follows one of the SDK README's customer examples.
"""

from __future__ import annotations

import asyncio

import pytest
from payarc import Payarc

from conftest import LiveServer
from factories import MASTERCARD, VISA, bank_account_body, full_card_form


@pytest.fixture
def payarc(live_server: LiveServer, request: pytest.FixtureRequest) -> Payarc:
    merchant = live_server.merchant(f"sdk-{request.node.name}")
    return Payarc(bearer_token=merchant.key, base_url=live_server.url)


def run(coro):
    return asyncio.run(coro)


def test_create_retrieve_with_prefix_update_delete(payarc: Payarc) -> None:
    customer = run(payarc.customers["create"]({"email": "anon+50@example.com", "name": "John Doe"}))
    assert customer["object"] == "customer"
    assert customer["object_id"] == f"cus_{customer['customer_id']}"

    found = run(payarc.customers["retrieve"](customer["object_id"]))
    assert found["customer_id"] == customer["customer_id"] and found["email"] == "anon+50@example.com"

    updated = run(payarc.customers["update"](customer["object_id"], {
        "name": "John Doe II", "description": "Example customer", "phone": "1234567890",
    }))
    assert (updated["name"], updated["description"], updated["phone"]) == ("John Doe II", "Example customer", "1234567890")

    again = run(found["update"]({"description": "Senior Example customer"}))
    assert again["description"] == "Senior Example customer" and again["name"] == "John Doe II"

    assert run(payarc.customers["delete"](customer["object_id"])) == {}
    with pytest.raises(Exception) as raised:
        run(payarc.customers["retrieve"](customer["object_id"]))
    error = raised.value.args[0]
    assert error["errorCode"] == 404
    assert error["errorMessage"] == "The requested Resource was not found."


def test_list_with_a_limit(payarc: Payarc) -> None:
    for i in range(5):
        run(payarc.customers["create"]({"email": f"anon+{i}@example.com"}))
    data = run(payarc.customers["list"]({"limit": 3}))
    assert [c["email"] for c in data["customers"]] == ["anon+4@example.com", "anon+3@example.com", "anon+2@example.com"]
    assert data["customers"][0]["card"]["data"] == []
    assert data["pagination"] == {"total": 5, "count": 3, "per_page": 3, "current_page": 1, "total_pages": 2}

    second = run(payarc.customers["list"]({"limit": 3, "page": 2, "constraint": {"email": "anon+0@example.com"}}))
    assert [c["email"] for c in second["customers"]] == []
    filtered = run(payarc.customers["list"]({"limit": 3, "constraint": {"email": "anon+0@example.com"}}))
    assert [c["email"] for c in filtered["customers"]] == ["anon+0@example.com"]


def test_validation_errors_reach_the_sdk(payarc: Payarc) -> None:
    with pytest.raises(Exception) as raised:
        run(payarc.customers["create"]({"name": "Jo", "phone": "abc"}))
    error = raised.value.args[0]
    assert error["errorCode"] == 422
    assert error["errorMessage"] == "The given data was invalid."
    assert set(error["errorList"]) == {"name", "phone"}


def test_a_wrong_key_is_401(live_server: LiveServer) -> None:
    sdk = Payarc(bearer_token="not-a-key", base_url=live_server.url)
    with pytest.raises(Exception) as raised:
        run(sdk.customers["list"]())
    assert raised.value.args[0]["errorCode"] == 401


def test_customer_with_cards_then_card_and_bank_account(payarc: Payarc) -> None:
    # The SDK README's cards (factories.full_card_form), but for the year: theirs expire in 2025, already past.
    customer = run(payarc.customers["create"]({
        "email": "anon+50@example.com",
        "cards": [
            full_card_form(VISA),
            full_card_form(VISA, exp_month="11", cvv="998", address_line1="123 Main Street Apt 3"),
        ],
    }))
    cards = customer["card"]["data"]
    assert len(cards) == 2 and sorted(c["is_default"] for c in cards) == [0, 1]
    assert {c["exp_month"] for c in cards} == {"04", "11"}

    card = run(customer["cards"]["create"](full_card_form(MASTERCARD, exp_month="03", address_line1="123 Main Street ap 5")))
    assert card["object"] == "Card" and card["object_id"] == f"card_{card['id']}" and card["last4digit"] == "0055"

    bank = run(customer["bank_accounts"]["create"](bank_account_body()))
    assert bank["object"] == "BankAccount" and bank["object_id"] == f"bnk_{bank['id']}"

    found = run(payarc.customers["retrieve"](customer["object_id"]))
    assert sorted(c["last4digit"] for c in found["card"]["data"]) == ["0055", "5439", "5439"]
    assert all(c["customer_id"] == customer["customer_id"] for c in found["card"]["data"])
    assert [b["id"] for b in found["bank_account"]["data"]] == [bank["id"]]
