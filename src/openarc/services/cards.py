"""Card tokens and the cards they leave on customers.

A card number and CVV live only in memory while a token request is validated:
what is stored is the brand, the first six and last four digits, the expiry and a
fingerprint — an HMAC of the number and the merchant under a secret key kept outside
the database, so equal cards match within one merchant, differ across merchants, and
a copy of the database is not enough to test candidate numbers against it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from openarc.db import Database
from openarc.db.steps import Steps, by_customer
from openarc.db.tables import cards, inserted_id, tokens
from openarc.errors import Conflict, NotFound
from openarc.luhn import luhn_ok
from openarc.services import triggers
from openarc.services import validation as v

CARD_SOURCES = ("MANUAL", "PHONE", "MAIL", "INTERNET", "SWIPE")

#: Sandbox test numbers that are declined, with PayArc's messages (README lists them).
DECLINES = {
    "4000000000000002": "Invalid Card",
    "4000000000000127": "Invalid CVV",
    "4000000000000101": "CVV2 verification failed",
    "4100000000000019": "Suspected Fraud",
    "4000000000009995": "Do Not Honor",
}

TOKEN_RULES: dict[str, v.Text] = {
    "card_source": v.Text(v.one_of(*CARD_SOURCES), required=True, message=v.IN),
    "card_number": v.Text(
        v.digits, min=14, max=19, required=True, numbers=True,
        size_message="The {attr} field must be between {min} and {max} digits.",
    ),
    "exp_month": v.Text(v.month, min=1, max=2, required=True, numbers=True,
                        message="The {attr} field must be a month from 1 to 12."),
    "exp_year": v.Text(v.year, min=2, max=4, required=True, numbers=True,
                       message="The {attr} field must be 2 or 4 digits."),
    "cvv": v.Text(
        v.digits, min=3, max=4, required=True, numbers=True,
        size_message="The {attr} field must be between {min} and {max} digits.",
    ),
    "card_holder_name": v.Text(v.address, min=2, max=50),
    "address_line1": v.Text(v.address, min=2, max=50),
    "address_line2": v.Text(v.address, min=1, max=50),
    "city": v.Text(v.letters_and_spaces, min=2, max=50),
    "state": v.Text(v.letters_and_spaces, min=2, max=50),
    "zip": v.Text(v.digits_and_hyphens, max=10, numbers=True),
    "country": v.Text(v.letters_and_spaces, min=2, max=50),
    "authorize_card": v.Text(v.one_of("0", "1"), numbers=True, message=v.IN),
}

#: What each field means, for the API reference (the token and charge bodies, and the Card object).
DESCRIPTIONS: dict[str, str] = {
    "card_source": "How the card was captured: MANUAL, PHONE, MAIL, INTERNET or SWIPE.",
    "card_number": "The card number, 14 to 19 digits, passing the Luhn check. Never stored: OpenArc keeps its "
                   "brand, first six and last four digits.",
    "exp_month": "The card's expiry month, 1 to 12 (03 or 3).",
    "exp_year": "The card's expiry year, 2 or 4 digits (31 means 2031).",
    "cvv": "The card's security code, 3 or 4 digits. Never stored.",
    "card_holder_name": "The cardholder's name as printed on the card.",
    "address_line1": "The billing address, line 1.",
    "address_line2": "The billing address, line 2.",
    "city": "The billing address's city.",
    "state": "The billing address's state.",
    "zip": "The billing address's ZIP code.",
    "country": "The billing address's country.",
    "authorize_card": "1 to verify the card as it is tokenized (is_verified, and the address and ZIP checks "
                      "when those were given), 0 (the default) not to.",
}
#: PayArc's documentation's test card and the PayArc SDK's sample cardholder.
EXAMPLES: dict[str, object] = {
    "card_source": "INTERNET",
    "card_number": "4012000098765439",
    "exp_month": "03",
    "exp_year": "2031",
    "cvv": "997",
    "card_holder_name": "John Doe",
    "address_line1": "123 Main Street",
    "address_line2": "Suite 4",
    "city": "Greenwich",
    "state": "CT",
    "zip": "06830",
    "country": "US",
    "authorize_card": "0",
}


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    account_id: int
    customer_id: int | None
    brand: str
    first6: int
    last4: str
    exp_month: str
    exp_year: str
    fingerprint: str
    card_source: str
    card_holder_name: str | None
    address1: str | None
    address2: str | None
    city: str | None
    state: str | None
    zip: str | None
    country: str | None
    is_default: int
    is_verified: int
    address_check_passed: int
    zip_check_passed: int
    created_at: int
    updated_at: int
    #: A sandbox test card's scripted answer to charges (services.triggers); None approves.
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    used: bool
    created_at: int
    updated_at: int
    card: Card


# ---------------------------------------------------------------------------- card numbers


def brand_of(number: str) -> str | None:
    """PayArc's brand codes: V Visa, M Mastercard, X Amex, R Discover/Diners/UnionPay, J JCB."""
    two, four, six = int(number[:2]), int(number[:4]), int(number[:6])
    if number[0] == "4":
        return "V"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "M"
    if two in (34, 37):
        return "X"
    if 3528 <= four <= 3589:
        return "J"
    if four == 6011 or two in (62, 65) or 644 <= int(number[:3]) <= 649 or 622126 <= six <= 622925:
        return "R"
    if 300 <= int(number[:3]) <= 305 or two in (36, 38, 39) or four == 3095:
        return "R"
    return None


_FINGERPRINT_ALPHABET = "01259LMNPmvyKRWZb"


def fingerprint(key: bytes, account_id: int, number: str) -> str:
    digest = hmac.new(key, f"{account_id}:{number}".encode(), hashlib.sha256).digest()
    return "".join(_FINGERPRINT_ALPHABET[b % len(_FINGERPRINT_ALPHABET)] for b in digest[:16])


def expiry(month: str, year: str, now_year: int, now_month: int) -> tuple[str, str] | None:
    """Normalised (``"04"``, ``"2027"``) from validated text, or None when already past."""
    m, y = int(month), int(year)
    if len(year) == 2:
        y += 2000
    if (y, m) < (now_year, now_month):
        return None
    return f"{m:02d}", str(y)


# ---------------------------------------------------------------------------- tokens


def tokenize(
    db: Database, account_id: int, body: Mapping[str, object], *, fingerprint_key: bytes,
    now: int, today: tuple[int, int], ttl: int,
) -> Token:
    """Validate a card and keep only its safe parts; the token is single use and expires."""
    values = v.clean(TOKEN_RULES, body, partial=False)
    authorized = values.pop("authorize_card") == "1"
    record = card_record(account_id, values, fingerprint_key=fingerprint_key, now=now, today=today,
                         verified=authorized)
    del values  # the number goes no further than card_record
    with db.write() as conn:
        card_id = inserted_id(conn.execute(cards.insert().values(record)))
        token_id = inserted_id(conn.execute(
            tokens.insert().values(account_id=account_id, card_id=card_id, used=0, expires_at=now + ttl,
                                   created_at=now, updated_at=now)
        ))
    return Token(token_id, False, now, now, Card(id=card_id, **record))


def card_record(
    account_id: int, values: dict[str, str | None], *, fingerprint_key: bytes, now: int,
    today: tuple[int, int], verified: bool, card_source: str | None = None,
) -> dict[str, Any]:
    """The row a validated card leaves behind (a ``cards`` row without its id).

    The card number and CVV are read here and go no further: what is returned holds
    the brand, first six and last four digits, the expiry and the keyed fingerprint.
    """
    number = values["card_number"] or ""
    # Well-formed but unusable cards are refused as PayArc refuses them: a 409 business
    # error ("Invalid Card" is the body PayArc's own sandbox sent), not a 422.
    if not luhn_ok(number) or brand_of(number) is None:
        raise Conflict("Invalid Card")
    exp = expiry(values["exp_month"] or "", values["exp_year"] or "", *today)
    if exp is None:
        raise Conflict("The card has expired.")
    if number in DECLINES:
        raise Conflict(DECLINES[number])
    return {
        "account_id": account_id,
        "customer_id": None,
        "brand": brand_of(number),
        "first6": int(number[:6]),
        "last4": number[-4:],
        "exp_month": exp[0],
        "exp_year": exp[1],
        "fingerprint": fingerprint(fingerprint_key, account_id, number),
        "card_source": card_source or values["card_source"],
        "card_holder_name": values["card_holder_name"],
        "address1": values["address_line1"],
        "address2": values["address_line2"],
        "city": values["city"],
        "state": values["state"],
        "zip": values["zip"],
        "country": values["country"],
        "is_default": 0,
        "is_verified": int(verified),
        "address_check_passed": int(verified and values["address_line1"] is not None),
        "zip_check_passed": int(verified and values["zip"] is not None),
        "created_at": now,
        "updated_at": now,
        "outcome": triggers.outcome_of(number),
    }


# ---------------------------------------------------------------------------- cards on customers


def attach_token(conn: Connection, account_id: int, customer_id: int, token_id: int, *, now: int) -> None:
    """Consume a token and attach its card; the customer's first card becomes the default.

    Runs inside the caller's write transaction, after the customer row is locked, so
    concurrent attachments to one customer leave exactly one default.
    """
    mine = (tokens.c.id == token_id, tokens.c.account_id == account_id)
    consumed = conn.execute(
        tokens.update()
        .where(*mine, tokens.c.used == 0, tokens.c.expires_at > now)
        .values(used=1, updated_at=now)
        .returning(tokens.c.card_id)
    ).first()
    if consumed is None:
        found = conn.execute(select(tokens.c.used).where(*mine)).first()
        # An unknown token (or another merchant's) is refused like a spent one: 409, as the
        # spec recommends for PATCH token_id, and nothing of the PATCH is applied.
        if found is None:
            raise Conflict("The token is not valid.")
        raise Conflict("The token has already been used." if found.used else "The token has expired.")
    has_default = conn.execute(
        select(cards.c.id).where(cards.c.customer_id == customer_id, cards.c.is_default == 1)
    ).first()
    conn.execute(
        cards.update()
        .where(cards.c.id == consumed.card_id)
        .values(customer_id=customer_id, is_default=0 if has_default else 1, updated_at=now)
    )


def set_default(conn: Connection, account_id: int, customer_id: int, card_id: int, *, now: int) -> None:
    owned = (cards.c.customer_id == customer_id, cards.c.account_id == account_id)
    if conn.execute(select(cards.c.id).where(cards.c.id == card_id, *owned)).first() is None:
        raise Conflict("The default card is not one of this customer's cards.")
    # Clear first: the partial unique index allows one default per customer at any instant.
    conn.execute(cards.update().where(*owned, cards.c.is_default == 1, cards.c.id != card_id).values(is_default=0, updated_at=now))
    conn.execute(cards.update().where(cards.c.id == card_id).values(is_default=1, updated_at=now))


def delete(db: Database, account_id: int, customer_id: int, card_id: int, *, now: int) -> None:
    """Detach and delete a customer's card; if it was the default, the newest remaining card takes over."""
    with db.write() as conn:
        row = conn.execute(
            cards.delete()
            .where(cards.c.id == card_id, cards.c.customer_id == customer_id, cards.c.account_id == account_id)
            .returning(cards.c.is_default)
        ).first()
        if row is None:
            raise NotFound()
        if row.is_default:
            successor = conn.execute(
                select(cards.c.id).where(cards.c.customer_id == customer_id).order_by(cards.c.id.desc()).limit(1)
            ).scalar()
            if successor is not None:
                conn.execute(cards.update().where(cards.c.id == successor).values(is_default=1, updated_at=now))


def of_customers(customer_ids: Sequence[int]) -> Steps[dict[int, list[Card]]]:
    return by_customer("cards", Card, customer_ids)
