"""The one home of shared test data: valid request bodies and the test card numbers.

Plain constants and functions, no fixtures and no requests.  Each body factory returns a
fresh ``dict`` of a *valid* request; keyword arguments change fields, and a field given as
``None`` is left out (how the tests say "without this field").  Tests state only the fields
their assertions are about, e.g. ``card_form(MASTERCARD, cvv="12")``.

Also here, because the card-data tests and the conformance suite share it: how to look for
card numbers and CVVs in everything the database holds (``assert_not_at_rest``).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path
from typing import Any

from conftest import ON_POSTGRES
from openarc.luhn import luhn_ok

# ---------------------------------------------------------------------------- cards

#: Test numbers from PayArc's documentation; each tokenizes with its brand.
VISA = "4012000098765439"
MASTERCARD = "5146315000000055"
AMEX = "371449635392376"
DISCOVER = "6011000993026909"
#: The CVV the documentation's samples send.
CVV = "997"

#: The cardholder and billing address of the SDK README's card samples.
CARD_HOLDER: dict[str, str] = {
    "card_holder_name": "John Doe",
    "address_line1": "123 Main Street",
    "city": "Greenwich",
    "state": "CT",
    "zip": "06830",
    "country": "US",
}


def _without_nones(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def card_form(number: object = VISA, **overrides: object) -> dict[str, Any]:
    """The fewest fields ``POST /v1/tokens`` needs for a card that tokenizes."""
    return _without_nones({
        "card_source": "INTERNET", "card_number": number, "exp_month": "04", "exp_year": "2031", "cvv": CVV,
        **overrides,
    })


def full_card_form(number: object = VISA, **overrides: object) -> dict[str, Any]:
    """``card_form`` with the cardholder's name and billing address, as the SDK samples send it."""
    return card_form(number, **{**CARD_HOLDER, **overrides})


# ---------------------------------------------------------------------------- customers

#: The customer of the sample request in PayArc's Create Customer guide.
SEED_VALUES: dict[str, str] = {
    "name": "John Smith",
    "email": "customer@xyz.com",
    "send_email_address": "invoicing@xyz.com",
    "cc_email_address": "cc@xyz.com",
    "address_1": "103 Mason Street",
    "address_2": "2nd Floor",
    "city": "New York",
    "state": "NY",
    "zip": "10469",
    "phone": "541754301",
    "country": "US",
}

#: The same request, byte for byte as the seed document sends it (form-encoded, %20 for spaces).
SEED_FORM = (
    "name=John%20Smith&email=customer%40xyz.com&send_email_address=invoicing%40xyz.com"
    "&cc_email_address=cc%40xyz.com&address_1=103%20Mason%20Street&address_2=2nd%20Floor"
    "&city=New%20York&state=NY&zip=10469&phone=541754301&country=US"
)


def customer_body(**overrides: object) -> dict[str, Any]:
    """A valid ``POST /v1/customers`` body: the seed's customer."""
    return _without_nones({**SEED_VALUES, **overrides})


# ---------------------------------------------------------------------------- bank accounts

BANK_ACCOUNT_NUMBER = "123432575352"
ROUTING_NUMBER = "123345349"


def bank_account_body(**overrides: object) -> dict[str, Any]:
    """A valid ``POST /v1/bankaccounts`` body: the SDK README's account (no customer)."""
    return _without_nones({
        "account_number": BANK_ACCOUNT_NUMBER,
        "routing_number": ROUTING_NUMBER,
        "first_name": "John III",
        "last_name": "LastName III",
        "account_type": "Personal Savings",
        "sec_code": "WEB",
        **overrides,
    })


# ---------------------------------------------------------------------------- card data at rest

# Digits no stored field can form runs of: fingerprints, ids and the last-4/zip values
# used here draw only on 0 1 2 5 9, so a CVV made of 3 4 6 7 8 found in the files is a leak.
CVV_DIGITS = "34678"
SAFE_DIGITS = "01259"


def scan_card_numbers(count: int, rng: random.Random) -> list[str]:
    """``count`` Luhn-valid Visa numbers whose last four digits (which are stored) are SAFE_DIGITS."""
    numbers: set[str] = set()
    while len(numbers) < count:
        body = "4" + "".join(rng.choice("0123456789") for _ in range(11)) + "".join(rng.choice(SAFE_DIGITS) for _ in range(3))
        for check in "0123456789":
            candidate = body + check
            if luhn_ok(candidate) and check in SAFE_DIGITS:
                numbers.add(candidate)
    return sorted(numbers)


def scan_cvvs(count: int, rng: random.Random) -> list[str]:
    """Four-digit CVVs of CVV_DIGITS only: none can turn up in the database by chance."""
    return ["".join(rng.choice(CVV_DIGITS) for _ in range(4)) for _ in range(count)]


def scan_card_form(number: str, cvv: str) -> dict[str, Any]:
    """A card to look for afterwards: every other stored digit of it is one of SAFE_DIGITS."""
    return card_form(number, exp_month="10", cvv=cvv, card_holder_name="Rest Check", zip="10259")


def stored_bytes(url: str) -> dict[str, bytes]:
    """What the database at ``url`` holds: the SQLite file and its WAL, or every PostgreSQL row as text.

    Random hex the database holds by design (key digests and key ids) can contain any
    4-digit run; it is taken out so that a hit can only be a leak.
    """
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            blobs = {t: "\n".join(r[0] for r in conn.execute(f'SELECT row_to_json(x)::text FROM "{t}" x')).encode()
                     for t in tables}
            hex_values = [v for r in conn.execute("SELECT digest, key_id FROM api_keys") for v in r]
            hex_values += [r[0] for r in conn.execute("SELECT secret FROM installation")]
    else:
        path = Path(url.removeprefix("sqlite:///"))
        blobs = {p.name: p.read_bytes() for p in path.parent.glob(f"{path.name}*")}
        assert path.name in blobs
        with sqlite3.connect(path) as conn:
            hex_values = [v for r in conn.execute("SELECT digest, key_id FROM api_keys") for v in r]
            hex_values += _charge_texts(conn)
    for name, blob in blobs.items():
        for value in hex_values:
            blob = blob.replace(value.encode(), b"")
        blobs[name] = blob
    return blobs


def _charge_texts(conn: sqlite3.Connection) -> list[str]:
    """Digit-bearing texts a charge holds by design, checked here and then taken out of the scan
    like the digests: a charge's random host reference and auth code, and the JSON snapshots of
    its card and of an ACH charge's bank account (SQLite keeps their numbers as ASCII text, where
    a timestamp or a first-six can hold any 4-digit run).  A snapshot may hold no card number,
    account number or CVV field, and no card-length run of digits."""
    texts: list[str] = []
    for table, columns in (("charges", "host_reference_number, auth_code, card"), ("ach_charges", "bank_account")):
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
            continue
        for row in conn.execute(f"SELECT {columns} FROM {table}"):
            for value in row:
                if value is None:
                    continue
                if value.startswith("{"):
                    snapshot = json.loads(value)
                    assert not {"card_number", "cvv", "number"} & set(snapshot), "a snapshot holds card data"
                    assert all(not isinstance(v, str) or not v.isdigit() or len(v) < 12
                               for v in snapshot.values()), "a snapshot holds a card-length digit string"
                texts.append(value)
    return texts


def standalone(cvv: str) -> re.Pattern[str]:
    """``cvv`` as a value of its own, not as digits inside a longer run (an id, a time, a digest)."""
    return re.compile(rf"(?<![0-9A-Za-z]){cvv}(?![0-9A-Za-z])")


def assert_not_at_rest(url: str, *, numbers: list[str], cvvs: list[str]) -> None:
    """No card number and no CVV anywhere in what the database at ``url`` holds."""
    files = stored_bytes(url)
    for number in numbers:
        needle = number.encode()
        assert not any(needle in blob for blob in files.values()), "card number found in the database files"
    for cvv in set(cvvs):
        if ON_POSTGRES:  # rows as JSON text, where integer columns are digits too: whole values only
            pattern = standalone(cvv)
            assert not any(pattern.search(blob.decode()) for blob in files.values()), "a CVV found in the database"
        else:
            assert not any(cvv.encode() in blob for blob in files.values()), "a CVV found in the database files"


# ---------------------------------------------------------------------------- charges


def charge_body(**overrides: object) -> dict[str, Any]:
    """A card charge's own fields; its card comes from ``overrides`` (a keyed card, a
    ``token_id``, or a ``customer_id``)."""
    return _without_nones({"amount": 1500, "currency": "usd", **overrides})


def keyed_charge_body(number: object = VISA, **overrides: object) -> dict[str, Any]:
    """A charge of a keyed card (never stored: only its safe parts are kept)."""
    return charge_body(card_number=number, exp_month="03", exp_year="2031", cvv="999", **overrides)


def ach_charge_body(**overrides: object) -> dict[str, Any]:
    """A debit of an inline bank account (saved, masked)."""
    return _without_nones({"amount": 6699, "type": "debit", "sec_code": "WEB", **bank_account_body(), **overrides})
