"""Card charges: the rules of ``POST /v1/charges``, and reading charges back.

A charge is made from exactly one card: a token (``token_id``, consumed), a keyed card
(``card_number``…, kept only as a card's safe parts), or a customer's card
(``customer_id``, its default card, or ``card_id`` among its cards).  ``customer_id``
beside a token or keyed card links the charge to that customer.  Amounts are integer
cents from the edge on.  Changes to a charge's money (capture, void, refund) are in
``services.money``; the statuses and what time does to them in ``services.lifecycle``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.dialects import postgresql

from openarc.db.raw import columns, in_list, insert_returning_id
from openarc.db.steps import ENGINE, Many, One, Run, Steps
from openarc.db.tables import charges as charges_table
from openarc.errors import Conflict, Declined, Invalid, NotFound
from openarc.services import cards, lifecycle, triggers
from openarc.services import validation as v
from openarc.services.cards import Card
from openarc.services.owners import require_customer
from openarc.services.paging import Page

AMOUNT_DIGITS = "The {attr} field must be between 1 and 8 digits."
#: PayArc's sandbox refuses charges under 50 cents.
MIN_AMOUNT = 50
CARD_LEVELS = ("LEVEL1", "LEVEL2", "LEVEL3")
YES_NO = ("yes", "no")


def amount_rule(*, required: bool) -> v.Text:
    return v.Text(v.digits, min=1, max=8, required=required, numbers=True, size_message=AMOUNT_DIGITS,
                  message="The {attr} field must be an integer number of cents.")


#: Echoed as given (Level 2/3 data and other pass-through fields of PayArc's Charge).
ECHOED = (
    "invoice", "sales_tax", "purchase_order", "supplier_reference_number", "customer_ref_id", "ship_to_zip",
    "amex_descriptor", "customer_vat_number", "summary_commodity_code", "shipping_charges", "duty_charges",
    "ship_from_zip", "destination_country_code", "vat_invoice", "order_date", "tax_category", "tax_type",
    "tax_rate", "tax_amount", "external_order_id",
)

RULES: dict[str, v.Text] = {
    "amount": amount_rule(required=True),
    "currency": v.Text(v.one_of("usd"), required=True, message=v.IN),
    "capture": v.Text(v.one_of("0", "1"), numbers=True, message=v.IN),
    "card_source": v.Text(v.one_of(*cards.CARD_SOURCES), message=v.IN),
    "card_level": v.Text(v.one_of(*CARD_LEVELS), message=v.IN),
    "statement_description": v.Text(v.alphanumeric_words, min=5, max=25),
    "charge_description": v.Text(v.printable, max=255),
    "email": v.Text(v.email, max=75, message="The {attr} field must be a valid email address."),
    "phone_number": v.Text(v.digits, min=2, max=15, numbers=True),
    "tip_amount": amount_rule(required=False),
    "surcharge": amount_rule(required=False),
    "do_not_send_email_to_customer": v.Text(v.one_of(*YES_NO), message=v.IN),
    "do_not_send_sms_to_customer": v.Text(v.one_of(*YES_NO), message=v.IN),
    **{name: v.Text(v.printable, max=100, numbers=True) for name in ECHOED},
}

#: Text a client writes freely, where a card number pasted by mistake would be stored: refused.
FREE_TEXT = ("statement_description", "charge_description", "email", "phone_number", *ECHOED)

#: A keyed card: the token's fields, but the CVV is optional and the source is the charge's.
KEYED_RULES: dict[str, v.Text] = {
    name: rule for name, rule in cards.TOKEN_RULES.items() if name not in ("card_source", "authorize_card")
}
KEYED_RULES["cvv"] = v.Text(v.digits, min=3, max=4, numbers=True,
                            size_message="The {attr} field must be between {min} and {max} digits.")
KEYED_FIELDS = ("card_number", "exp_month", "exp_year", "cvv")

#: Transaction metadata: PayArc's limits (50 keys, key <= 20 of [A-Za-z0-9_], value <= 100).
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 20, 100

_LEVEL_2_3 = "Kept and echoed back on the charge as given (Level 2/3 data)."
#: What each field means, for the API reference (the charge body and the Charge object); a keyed
#: card's fields are the token's (cards.DESCRIPTIONS).
DESCRIPTIONS: dict[str, str] = {
    "amount": "The amount to charge, in cents: at least 50, at most 8 digits.",
    "currency": "The currency: usd.",
    "capture": "1 (the default) to capture at once, 0 to authorize only (capture it later with "
               "POST /v1/charges/{charge_id}/capture).",
    "card_source": "How the card was captured: MANUAL, PHONE, MAIL, INTERNET or SWIPE.",
    "card_level": "The card data level sent: LEVEL1, LEVEL2 or LEVEL3.",
    "statement_description": "What the customer's card statement shows: 5 to 25 letters, digits and spaces.",
    "charge_description": "An arbitrary description of the charge.",
    "email": "The customer's email address, for the receipt.",
    "phone_number": "The customer's phone number, for the receipt (digits only).",
    "tip_amount": "A tip, in cents, included in the amount.",
    "surcharge": "A surcharge, in cents, included in the amount.",
    "do_not_send_email_to_customer": "yes not to email the customer a receipt, no to email it.",
    "do_not_send_sms_to_customer": "yes not to text the customer a receipt, no to text it.",
    "invoice": f"Your invoice number. {_LEVEL_2_3}",
    "sales_tax": f"The sales tax. {_LEVEL_2_3}",
    "purchase_order": f"The customer's purchase order number. {_LEVEL_2_3}",
    "supplier_reference_number": f"The supplier's reference number. {_LEVEL_2_3}",
    "customer_ref_id": f"The customer's reference. {_LEVEL_2_3}",
    "ship_to_zip": f"The ZIP code the goods are shipped to. {_LEVEL_2_3}",
    "amex_descriptor": f"The American Express descriptor. {_LEVEL_2_3}",
    "customer_vat_number": f"The customer's VAT number. {_LEVEL_2_3}",
    "summary_commodity_code": f"The summary commodity code. {_LEVEL_2_3}",
    "shipping_charges": f"The shipping charges. {_LEVEL_2_3}",
    "duty_charges": f"The duty charges. {_LEVEL_2_3}",
    "ship_from_zip": f"The ZIP code the goods are shipped from. {_LEVEL_2_3}",
    "destination_country_code": f"The destination's country code. {_LEVEL_2_3}",
    "vat_invoice": f"The VAT invoice number. {_LEVEL_2_3}",
    "order_date": f"The order's date. {_LEVEL_2_3}",
    "tax_category": f"The tax category. {_LEVEL_2_3}",
    "tax_type": f"The tax type. {_LEVEL_2_3}",
    "tax_rate": f"The tax rate. {_LEVEL_2_3}",
    "tax_amount": f"The tax amount. {_LEVEL_2_3}",
    "external_order_id": "Your own order id, echoed back on the charge.",
    "token_id": "A token (POST /v1/tokens) whose card is charged; the token is used up.",
    "customer_id": "A customer whose default card is charged (or, with card_id, one of its cards). Beside a "
                   "token or a keyed card: the customer the charge is linked to.",
    "card_id": "One of customer_id's cards, to charge instead of its default card.",
    "metadata": "Up to 50 keys of your own (1 to 20 letters, digits or underscores) with text values of up to "
                "100 characters: a JSON-encoded object, or in a JSON body the object itself.",
}
#: A charge of PayArc's documentation's sample amount.
EXAMPLES: dict[str, object] = {
    "amount": 1500,
    "currency": "usd",
    "capture": "1",
    "card_source": "INTERNET",
    "card_level": "LEVEL1",
    "statement_description": "Donut shop",
    "charge_description": "A dozen donuts",
    "email": "customer@xyz.com",
    "phone_number": "541754301",
    "tip_amount": 200,
    "surcharge": 100,
    "do_not_send_email_to_customer": "no",
    "do_not_send_sms_to_customer": "yes",
    "invoice": "INV-1001",
    "sales_tax": "120",
    "purchase_order": "PO-1001",
    "supplier_reference_number": "SR-42",
    "customer_ref_id": "CR-7",
    "ship_to_zip": "10469",
    "amex_descriptor": "Donut order",
    "customer_vat_number": "US123456789",
    "summary_commodity_code": "5812",
    "shipping_charges": "500",
    "duty_charges": "0",
    "ship_from_zip": "06830",
    "destination_country_code": "840",
    "vat_invoice": "VI-1001",
    "order_date": "2031-03-01",
    "tax_category": "SERVICE",
    "tax_type": "SALES",
    "tax_rate": "8.875",
    "tax_amount": "133",
    "external_order_id": "ORDER-1001",
    "metadata": '{"order": "donuts"}',
}


@dataclass(frozen=True, slots=True)
class Refund:
    id: int
    account_id: int
    charge_id: int
    amount: int
    status: str
    reason: str | None
    description: str | None
    do_not_send_email_to_customer: int
    do_not_send_sms_to_customer: int
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class Charge:
    id: int
    account_id: int
    customer_id: int | None
    card_id: int | None
    card: str  # the card's safe parts at charge time, as JSON (see ``card_of``)
    amount: int
    amount_approved: int
    amount_captured: int
    amount_refunded: int
    amount_voided: int
    tip_amount: int
    surcharge: int
    status: str  # as last written: see ``status_at``
    captured: int
    auth_code: str | None
    failure_code: str | None
    failure_message: str | None
    tsys_response_code: str | None
    host_response_code: str | None
    host_response_message: str | None
    host_reference_number: str | None
    statement_description: str | None
    charge_description: str | None
    email: str | None
    phone_number: str | None
    card_level: str
    card_source: str
    echo: str
    metadata: str
    do_not_send_email_to_customer: int
    do_not_send_sms_to_customer: int
    void_reason: str | None
    void_description: str | None
    refund_reason: str | None
    refund_description: str | None
    created_by: str | None
    settles_at: int | None
    expires_at: int | None
    created_at: int
    updated_at: int
    refunds: tuple[Refund, ...] = ()

    def status_at(self, now: int) -> str:
        return lifecycle.status_at(self.status, self.settles_at, self.expires_at, now)

    def card_of(self) -> Card:
        return Card(**orjson.loads(self.card))

    @property
    def declined(self) -> triggers.Decline | None:
        """The decline, for a charge that was declined."""
        return triggers.DECLINES.get(self.failure_code or "") if self.failure_code else None


@dataclass(frozen=True, slots=True)
class Source:
    """Where a charge's card comes from: decoded keys (0: given but unknown), or a keyed card."""

    token_id: int | None = None
    customer_id: int | None = None
    card_id: int | None = None
    keyed: dict[str, str | None] | None = None

    @property
    def atomic(self) -> bool:
        """Whether ``create``'s writes must commit together: a token is used up by the charge,
        so the two go together.  Otherwise the charge is the one write that matters (a keyed
        card's row, or the customer's has_charges mark, is harmless alone)."""
        return self.token_id is not None


COLUMNS = columns(Charge, skip=("refunds",))
_SELECT = f"SELECT {columns(Charge, skip=('refunds',), table='ch')} FROM charges ch"
_REFUND_COLUMNS = columns(Refund)


# ---------------------------------------------------------------------------- input


def money_fields(rules: v.Rules, body: Mapping[str, object]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``body`` by ``rules`` (which have an ``amount``), the minimum amount included: the values,
    and the errors so far (a caller adds its own before raising them all at once)."""
    errors: dict[str, list[str]] = {}
    try:
        values: dict[str, Any] = v.clean(rules, body, partial=False)
    except Invalid as exc:
        errors.update(exc.errors)
        values = {}
    amount = v.normalise(rules["amount"], body.get("amount"))
    if "amount" not in errors and isinstance(amount, str) and int(amount) < MIN_AMOUNT:
        errors["amount"] = [f"The amount field must be at least {MIN_AMOUNT}."]
    return values, errors


def clean(body: Mapping[str, object], *, token_id: int | None, customer_id: int | None,
          card_id: int | None) -> tuple[dict[str, Any], Source]:
    """A charge request's fields and its card source, validated; ``Invalid`` names every wrong field."""
    values, errors = money_fields(RULES, body)
    keyed = any(v.given(body, name) for name in KEYED_FIELDS)
    if token_id is None and customer_id is None and not keyed:
        errors["customer_id"] = [("The customer id field is required when none of token id / cvv / exp year / "
                                  "exp month / card number are present.")]
        errors["token_id"] = [("The token id field is required when none of customer id / cvv / exp year / "
                               "exp month / card number are present.")]
        errors["card_number"] = ["The card number field is required when none of token id / customer id are present."]
    if token_id is not None and keyed:
        errors["card_number"] = ["The card number field is prohibited when token id is present."]
    if card_id is not None and customer_id is None:
        errors["customer_id"] = ["The customer id field is required when card id is present."]
    elif card_id is not None and (token_id is not None or keyed):
        errors["card_id"] = ["The card id field is prohibited when token id or card number is present."]
    card: dict[str, str | None] | None = None
    if keyed and token_id is None:
        try:
            card = v.clean({**KEYED_RULES, **{n: replace(KEYED_RULES[n], required=True) for n in KEYED_FIELDS[:3]}},
                           body, partial=False)
        except Invalid as exc:
            errors.update(exc.errors)
    try:
        values["metadata"] = metadata_of(body.get("metadata"))
    except Invalid as exc:
        errors.update(exc.errors)
    try:
        v.refuse_card_numbers(values, FREE_TEXT)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    for name in ("amount", "tip_amount", "surcharge"):
        values[name] = int(values[name]) if values[name] is not None else 0
    return values, Source(token_id, customer_id, card_id, card)


def metadata_of(raw: object) -> dict[str, str]:
    """``metadata``: a JSON-encoded object (as PayArc takes it) or, in a JSON body, the object itself.

    Parsed by orjson, the body parser's own, so what is accepted here is exactly what is read
    back later (the standard library's parser took lone surrogates, NaN and any depth, and
    either failed the request with a 500 or stored what every later read failed on).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip(v.WHITESPACE)):
        return {}
    problem = "The metadata field must be a JSON object of text values."
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise Invalid.one("metadata", problem) from None
    if not isinstance(raw, dict) or not all(
            isinstance(x, (str, int)) and not isinstance(x, bool) for x in raw.values()):
        raise Invalid.one("metadata", problem)
    if len(raw) > METADATA_KEYS:
        raise Invalid.one("metadata", f"The metadata field must not have more than {METADATA_KEYS} keys.")
    for key, value in raw.items():
        if not (0 < len(key) <= METADATA_KEY_LENGTH and key.isascii() and key.replace("_", "a").isalnum()):
            raise Invalid.one("metadata", f"Each metadata key must be 1 to {METADATA_KEY_LENGTH} letters, digits "
                                          "or underscores.")
        if v.holds_card_number(key):
            raise Invalid.one("metadata", v.CARD_NUMBER_IN_TEXT.format(attr="metadata"))
        text = str(value)
        if len(text) > METADATA_VALUE_LENGTH:
            raise Invalid.one("metadata", f"Each metadata value must not be greater than {METADATA_VALUE_LENGTH} "
                                          "characters.")
        if text and not v.printable(text):
            raise Invalid.one("metadata", "Each metadata value must be text without control characters.")
        if v.holds_card_number(text):
            raise Invalid.one("metadata", v.CARD_NUMBER_IN_TEXT.format(attr="metadata"))
    return {key: str(value) for key, value in raw.items()}


# ---------------------------------------------------------------------------- create

_CARD_COLUMNS = columns(Card)
_CARD_FIELDS = _CARD_COLUMNS.split(", ")
_CONSUME_TOKEN = (
    "UPDATE tokens SET used = 1, updated_at = :now "
    "WHERE id = :id AND account_id = :account_id AND used = 0 AND expires_at > :now RETURNING card_id"
)
INSERT = insert_returning_id("charges", Charge, skip=("refunds",))
_INSERT_CARD = insert_returning_id("cards", Card)
#: A customer's first charge marks it (the customer list reads ``has_charges``, not this table).
MARK_CUSTOMER = "UPDATE customers SET has_charges = 1 WHERE id = :id AND has_charges = 0"


def create(account_id: int, values: Mapping[str, Any], source: Source, *, created_by: str,
           fingerprint_key: bytes, now: int, today: tuple[int, int], cutoff_minutes: int) -> Steps[Charge]:
    """Charge the source's card, steps for one write transaction (``AppContext.transaction``);
    a declined charge is stored too (``Charge.declined`` says so), so it is listed like any other.

    On PostgreSQL a charge of a customer's saved card is one statement (``_CHARGE_SAVED_CARD``):
    the card is read, the charge inserted and the customer marked in one round trip, as a
    customer create is.  Whatever it does not cover (no such card, a sandbox trigger card, a
    token or keyed card, SQLite) takes the steps below.
    """
    if source.token_id is None and source.keyed is None and (yield ENGINE) == "postgresql":
        made = yield from _saved_card_charge(account_id, values, source, created_by=created_by, now=now,
                                             cutoff_minutes=cutoff_minutes)
        if made is not None:
            return made
    card, customer_id, had_charges = yield from _card(account_id, source, values, fingerprint_key=fingerprint_key,
                                                      now=now, today=today)
    record = _record(account_id, customer_id, card, values, created_by=created_by, now=now,
                     cutoff_minutes=cutoff_minutes)
    if customer_id is not None and not had_charges:
        # Marks the customer as one with charges (the customer list reads this, not the charges
        # table): by its first charge only.
        yield Run(MARK_CUSTOMER, {"id": customer_id})
    key = (yield One(INSERT, record))[0]
    return Charge(id=key, **record)


def _record(account_id: int, customer_id: int | None, card: Card | None, values: Mapping[str, Any], *,
            created_by: str, now: int, cutoff_minutes: int) -> dict[str, Any]:
    """The charges row of a charge of ``card`` (None: the card is filled in by the database)."""
    decline = triggers.decline_of(card.outcome) if card is not None else None
    capture = values["capture"] != "0"
    amount = values["amount"]
    record: dict[str, Any] = {
        "account_id": account_id,
        "customer_id": customer_id,
        "card_id": None if card is None else card.id,
        "card": None if card is None else orjson.dumps({name: getattr(card, name) for name in _CARD_FIELDS}).decode(),
        "amount": amount,
        "amount_approved": 0 if decline else amount,
        "amount_captured": amount if capture and not decline else 0,
        "amount_refunded": 0,
        "amount_voided": 0,
        "tip_amount": values["tip_amount"],
        "surcharge": values["surcharge"],
        "captured": int(capture and not decline),
        "auth_code": None if decline else f"TAS{secrets.randbelow(1000):03d}",
        "tsys_response_code": decline.failure_code if decline else "A0000",
        "host_response_code": decline.host_response_code if decline else "00",
        "host_response_message": decline.failure_message if decline else "Success",
        "host_reference_number": f"{secrets.randbelow(10**12):012d}",
        "failure_code": decline.failure_code if decline else None,
        "failure_message": decline.failure_message if decline else None,
        "statement_description": values["statement_description"],
        "charge_description": values["charge_description"],
        "email": values["email"],
        "phone_number": values["phone_number"],
        "card_level": values["card_level"] or "LEVEL1",
        "card_source": values["card_source"] or "INTERNET",
        "echo": orjson.dumps({name: values[name] for name in ECHOED if values[name] is not None}).decode(),
        "metadata": orjson.dumps(values["metadata"]).decode(),
        "do_not_send_email_to_customer": int(values["do_not_send_email_to_customer"] == "yes"),
        "do_not_send_sms_to_customer": int(values["do_not_send_sms_to_customer"] == "yes"),
        "void_reason": None,
        "void_description": None,
        "refund_reason": None,
        "refund_description": None,
        "created_by": created_by,
        "created_at": now,
        "updated_at": now,
    }
    if decline:
        record |= {"status": decline.status, "settles_at": None, "expires_at": None}
    elif capture:
        record |= {"status": lifecycle.SUBMITTED, "settles_at": lifecycle.next_cutoff(now, cutoff_minutes),
                   "expires_at": None}
    else:
        record |= {"status": lifecycle.AUTHORIZED, "settles_at": None,
                   "expires_at": now + lifecycle.AUTHORIZATION_SECONDS}
    return record


def _typed(name: str) -> str:
    """``:name`` cast to its charges column's PostgreSQL type (a parameter in a SELECT list has none)."""
    return f"CAST(:{name} AS {charges_table.c[name].type.compile(dialect=postgresql.dialect())})"


_INSERTED = [name for name in COLUMNS.split(", ") if name != "id"]
#: PostgreSQL only (SQLite has no DML in WITH): a saved card's approved charge in one statement.
_CHARGE_SAVED_CARD = (
    f"WITH card AS (SELECT {_CARD_COLUMNS} FROM cards WHERE customer_id = :customer_id "
    "AND account_id = :account_id AND outcome IS NULL "
    "AND (id = CAST(:card_id AS BIGINT) OR (CAST(:card_id AS BIGINT) IS NULL AND is_default = 1))), "
    "marked AS (UPDATE customers SET has_charges = 1 WHERE id = :customer_id AND has_charges = 0 "
    "AND EXISTS (SELECT 1 FROM card)), "
    f"inserted AS (INSERT INTO charges ({', '.join(_INSERTED)}) SELECT "
    + ", ".join("card.id" if n == "card_id" else "row_to_json(card)::text" if n == "card" else _typed(n)
                for n in _INSERTED)
    + " FROM card RETURNING id, card_id, card) SELECT id, card_id, card FROM inserted"
)


def _saved_card_charge(account_id: int, values: Mapping[str, Any], source: Source, *, created_by: str, now: int,
                       cutoff_minutes: int) -> Steps[Charge | None]:
    """``_CHARGE_SAVED_CARD``; None when it charged nothing (no such card, or a trigger card)."""
    record = _record(account_id, source.customer_id, None, values, created_by=created_by, now=now,
                     cutoff_minutes=cutoff_minutes)
    row = yield One(_CHARGE_SAVED_CARD, {**record, "card_id": source.card_id})
    if row is None:
        return None
    return Charge(**{**record, "id": row[0], "card_id": row[1], "card": row[2]})


def _card(account_id: int, source: Source, values: Mapping[str, Any], *, fingerprint_key: bytes,
          now: int, today: tuple[int, int]) -> Steps[tuple[Card, int | None, bool]]:
    """The card to charge, the customer the charge belongs to, and whether that customer
    has had charges before."""
    customer_id = source.customer_id
    if source.token_id is not None or source.keyed is not None:
        had_charges = yield from require_customer(account_id, customer_id)
        if source.token_id is not None:
            consumed = yield One(_CONSUME_TOKEN, {"id": source.token_id, "account_id": account_id, "now": now})
            if consumed is None:
                raise NotFound("The requested token_id is not valid or already used")
            card, _ = yield from _find_card("id = :id", {"id": consumed[0], "customer_id": None})
            if card is None:
                raise LookupError("a token's card is missing")
            return card, customer_id, had_charges
        assert source.keyed is not None
        record = cards.card_record(account_id, source.keyed, fingerprint_key=fingerprint_key, now=now, today=today,
                                   verified=False, card_source=values["card_source"] or "INTERNET")
        return Card(id=(yield One(_INSERT_CARD, record))[0], **record), customer_id, had_charges
    assert customer_id is not None  # clean() let no other request through
    # A card found by (merchant, customer) proves the customer is the merchant's; only when
    # none is found is the customer looked up, to say which of the two is missing.
    mine = {"customer_id": customer_id, "account_id": account_id}
    if source.card_id is not None:
        card, had_charges = yield from _find_card(
            "id = :id AND customer_id = :customer_id AND account_id = :account_id", {**mine, "id": source.card_id})
        if card is None:
            yield from require_customer(account_id, customer_id)
            raise NotFound("No such card for this customer: card_id.")
        return card, customer_id, had_charges
    card, had_charges = yield from _find_card(
        "customer_id = :customer_id AND account_id = :account_id AND is_default = 1", mine)
    if card is None:
        yield from require_customer(account_id, customer_id)
        # The request is well formed; the customer's state refuses it: 409, like a used token.
        raise Conflict("The customer has no card to charge: attach one, or send a token_id or card.")
    return card, customer_id, had_charges


def _find_card(where: str, params: Mapping[str, Any]) -> Steps[tuple[Card | None, bool]]:
    """The card, and whether the customer ``params`` names has had charges (one round trip)."""
    row = yield One(f"SELECT {_CARD_COLUMNS}, (SELECT has_charges FROM customers WHERE id = :customer_id) "
                    f"FROM cards WHERE {where}", params)
    return (None, False) if row is None else (Card(*row[:-1]), bool(row[-1]))


# ---------------------------------------------------------------------------- read


def of_charges(rows: Sequence[Sequence[Any]]) -> Steps[list[Charge]]:
    """Charges from rows of ``_SELECT``, each with its refunds (one query for them all)."""
    charges = [Charge(*row) for row in rows]
    if not charges:
        return charges
    clause, params = in_list("c", [c.id for c in charges])
    found: dict[int, list[Refund]] = {}
    for row in (yield Many(f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE charge_id {clause} ORDER BY id", params)):
        refund = Refund(*row)
        found.setdefault(refund.charge_id, []).append(refund)
    return [_with_refunds(c, found.get(c.id, ())) for c in charges]


def _with_refunds(charge: Charge, refunds: Sequence[Refund]) -> Charge:
    return replace(charge, refunds=tuple(refunds)) if refunds else charge


def found(account_id: int, charge_id: int) -> Steps[Charge]:
    """The merchant's charge, or ``NotFound``."""
    row = yield One(f"{_SELECT} WHERE ch.id = :id AND ch.account_id = :account_id",
                    {"id": charge_id, "account_id": account_id})
    if row is None:
        raise NotFound()
    return (yield from of_charges([row]))[0]


#: A customer's ``charge.data`` holds its newest charges, this many at most, so a customer
#: with years of payments stays a small object; ``GET /v1/charges?customer_id=`` pages them all.
CUSTOMER_CHARGES = 25


def of_customers(customer_ids: Sequence[int]) -> Steps[dict[int, list[Charge]]]:
    """Each customer's newest charges (``CUSTOMER_CHARGES`` at most), newest first."""
    result: dict[int, list[Charge]] = {}
    if not customer_ids:
        return result
    clause, params = in_list("c", customer_ids)
    rows = yield Many(
        f"{_SELECT} JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY id DESC) AS n "
        f"FROM charges WHERE customer_id {clause}) AS newest ON newest.id = ch.id "
        "WHERE newest.n <= :most ORDER BY ch.id DESC",
        {**params, "most": CUSTOMER_CHARGES},
    )
    for charge in (yield from of_charges(rows)):
        assert charge.customer_id is not None
        result.setdefault(charge.customer_id, []).append(charge)
    return result


def _day(raw: object, field: str) -> int:
    """Midnight UTC of a ``YYYY-MM-DD`` query parameter, as Unix seconds (only that form:
    ``date.fromisoformat`` also takes week dates such as ``2024-W01-1``)."""
    try:
        day = datetime.strptime(str(raw).strip(), "%Y-%m-%d")
    except ValueError:
        raise Invalid.one(field, f"The {field} field must be a date in the format YYYY-MM-DD.") from None
    return int(day.replace(tzinfo=UTC).timestamp())


#: ``status=declined`` lists every declined charge, whatever its human status text.
DECLINED = "declined"
#: Every status a charge can be listed by: the lifecycle's, and each decline's own words.
LISTED_STATUSES = (*lifecycle.STATUSES, *dict.fromkeys(d.status for d in triggers.DECLINES.values()))


def where(account_id: int, *, customer_id: int | None, filters: Mapping[str, object],
          now: int) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (over ``charges ch``) and parameters of a list's filters: the one
    reading of ``customer_id`` (a decoded key; 0 matches nothing), ``status`` (at ``now``, or
    ``declined``) and ``from_date``/``to_date`` (UTC days, inclusive)."""
    clauses = ["ch.account_id = :account_id"]
    params: dict[str, Any] = {"account_id": account_id}
    if customer_id is not None:
        clauses.append("ch.customer_id = :customer_id")
        params["customer_id"] = customer_id
    status = filters.get("status")
    if isinstance(status, str) and status.strip().lower() == DECLINED:
        clauses.append("ch.failure_code IS NOT NULL")
    elif status not in (None, ""):
        if status not in LISTED_STATUSES:
            raise Invalid.one("status", "The status must be one of: " + ", ".join((*LISTED_STATUSES, DECLINED)) + ".")
        clauses.append(f"{lifecycle.STATUS_SQL} = :status")
        params |= {"status": status, "now": now}
    if filters.get("from_date") not in (None, ""):
        clauses.append("ch.created_at >= :from_time")
        params["from_time"] = _day(filters["from_date"], "from_date")
    if filters.get("to_date") not in (None, ""):
        clauses.append("ch.created_at < :to_time")
        params["to_time"] = _day(filters["to_date"], "to_date") + lifecycle.DAY
    return " AND ".join(clauses), params


def page_of(account_id: int, *, customer_id: int | None, filters: Mapping[str, object], per_page: int,
            number: int, now: int) -> Steps[Page[Charge]]:
    """Newest first, filtered as ``where`` reads the filters."""
    clause, params = where(account_id, customer_id=customer_id, filters=filters, now=now)
    total = (yield One(f"SELECT count(*) FROM charges ch WHERE {clause}", params))[0]
    items: list[Charge] = []
    offset = (number - 1) * per_page
    if offset < total:
        rows = yield Many(f"{_SELECT} WHERE {clause} ORDER BY ch.id DESC LIMIT :limit OFFSET :offset",
                          {**params, "limit": per_page, "offset": offset})
        items = yield from of_charges(rows)
    return Page(items, total, per_page, number)


def refuse_if_declined(charge: Charge, public_id: str) -> None:
    """Raise the HTTP form of a decline (422, the charge kept), unless the charge was
    approved or its decline is one PayArc answers 2xx with (the charge itself)."""
    decline = charge.declined
    if decline is None or decline.error is None:
        return
    raise Declined(decline.error, {
        "failure_code": decline.failure_code,
        "failure_message": decline.failure_message,
        "host_response_code": decline.host_response_code,
        "status": decline.status,
        "charge_id": public_id,
    })
