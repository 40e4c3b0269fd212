"""POST /v1/tokens: card validation, sandbox declines, the Token and Card shapes."""

from __future__ import annotations

import pytest

from conftest import Client
from factories import AMEX, DISCOVER, MASTERCARD, VISA, full_card_form


def tokenize(client: Client, merchant=None, **changes) -> dict:
    r = client.post("/v1/tokens", json=full_card_form(**changes), headers=(merchant or client.a).headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def test_token_and_card_shapes(client: Client) -> None:
    r = client.post("/v1/tokens", json=full_card_form(), headers=client.a.headers)
    assert r.status_code == 201
    body = r.json()
    assert body["meta"] == {"include": [], "custom": []}
    token = body["data"]
    assert token["object"] == "Token" and len(token["id"]) == 16 and token["used"] is False
    assert isinstance(token["created_at"], int)
    card = token["card"]["data"]
    assert card["object"] == "Card" and len(card["id"]) == 16
    assert (card["brand"], card["first6digit"], card["last4digit"]) == ("V", 401200, "5439")
    assert (card["exp_month"], card["exp_year"]) == ("04", "2031")
    assert card["address1"] == "123 Main Street" and card["address2"] is None
    assert card["customer_id"] is None
    assert card["is_default"] == 0 and card["is_verified"] == 0
    assert card["address_check_passed"] == 0 and card["zip_check_passed"] == 0
    assert len(card["fingerprint"]) == 16
    assert "card_number" not in card and "cvv" not in card and VISA not in r.text


def test_form_encoding_and_authorize_card(client: Client) -> None:
    from urllib.parse import urlencode

    r = client.post("/v1/tokens", content=urlencode(full_card_form(authorize_card="1")),
                    headers={**client.a.headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201
    card = r.json()["data"]["card"]["data"]
    assert card["is_verified"] == 1 and card["address_check_passed"] == 1 and card["zip_check_passed"] == 1


@pytest.mark.parametrize(
    ("number", "brand"),
    [(VISA, "V"), (MASTERCARD, "M"), (AMEX, "X"), (DISCOVER, "R"),
     ("6282000123842342", "R"), ("3055155515160018", "R"), ("3530142019945859", "J")],
)
def test_spec_test_numbers_succeed_with_their_brand(client: Client, number: str, brand: str) -> None:
    assert tokenize(client, card_number=number)["card"]["data"]["brand"] == brand


def test_fingerprint_is_per_card_and_per_merchant(client: Client) -> None:
    one = tokenize(client)["card"]["data"]["fingerprint"]
    assert tokenize(client, exp_month="05")["card"]["data"]["fingerprint"] == one
    assert tokenize(client, card_number=MASTERCARD)["card"]["data"]["fingerprint"] != one
    assert tokenize(client, merchant=client.b)["card"]["data"]["fingerprint"] != one


@pytest.mark.parametrize(
    ("number", "message"),
    [("4000000000000002", "Invalid Card"), ("4000000000000127", "Invalid CVV"),
     ("4000000000000101", "CVV2 verification failed"), ("4100000000000019", "Suspected Fraud"),
     ("4000000000009995", "Do Not Honor")],
)
def test_decline_numbers_answer_409(client: Client, number: str, message: str) -> None:
    r = client.post("/v1/tokens", json=full_card_form(number), headers=client.a.headers)
    assert r.status_code == 409
    assert r.json() == {"status": "error", "code": 0, "message": message, "status_code": 409}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"card_number": "4012 0000 9876 5439"}, "card_number", "The card number field format is invalid."),
        ({"card_number": "4" * 13}, "card_number", "The card number field must be between 14 and 19 digits."),
        ({"card_number": "4" * 20}, "card_number", "The card number field must be between 14 and 19 digits."),
        ({"card_number": None}, "card_number", "The card number field is required."),
        ({"card_source": "TELEPATHY"}, "card_source", "The selected card source is invalid."),
        ({"card_source": ""}, "card_source", "The card source field is required."),
        ({"exp_month": "13"}, "exp_month", "The exp month field must be a month from 1 to 12."),
        ({"exp_month": "0"}, "exp_month", "The exp month field must be a month from 1 to 12."),
        ({"exp_year": "203"}, "exp_year", "The exp year field must be 2 or 4 digits."),
        ({"cvv": "12"}, "cvv", "The cvv field must be between 3 and 4 digits."),
        ({"cvv": "12345"}, "cvv", "The cvv field must be between 3 and 4 digits."),
        ({"cvv": "12a"}, "cvv", "The cvv field format is invalid."),
        ({"zip": "ABC"}, "zip", "The zip field format is invalid."),
        ({"authorize_card": "2"}, "authorize_card", "The selected authorize card is invalid."),
    ],
)
def test_token_field_errors(client: Client, changes: dict, field: str, message: str) -> None:
    r = client.post("/v1/tokens", json=full_card_form(**changes), headers=client.a.headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == {field: [message]}
    assert VISA not in r.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"card_number": "4012000098765438"}, "Invalid Card"),  # fails the Luhn check
        ({"card_number": "0000000000000000"}, "Invalid Card"),  # Luhn-valid, but no brand
        ({"exp_year": "2020"}, "The card has expired."),
        ({"exp_year": "26", "exp_month": "10"}, "The card has expired."),  # October 2026, before today
    ],
)
def test_well_formed_but_unusable_cards_are_409(client: Client, changes: dict, message: str) -> None:
    r = client.post("/v1/tokens", json=full_card_form(**changes), headers=client.a.headers)
    assert r.status_code == 409, r.text
    assert r.json() == {"status": "error", "code": 0, "message": message, "status_code": 409}
    assert "4012000098765438" not in r.text


def test_boundaries_that_pass(client: Client) -> None:
    assert tokenize(client, cvv="1234", exp_year="31", exp_month="1")["card"]["data"]["exp_month"] == "01"
    assert tokenize(client, card_number=int(VISA))["card"]["data"]["last4digit"] == "5439"
