"""The published shape of every response body, as JSON Schema components.

Each object is written out key by key in ``api.render``'s order (customer, card, token,
bank account), with the types render emits; ``tests/test_schemas.py`` validates real
answers against these with extra keys forbidden, so a key added to or dropped from
render, or a type changed there, fails a test instead of drifting from the document.
Published schemas stay open (no ``additionalProperties: false``): a client generated from
them keeps working when a response gains a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openarc.api.render import ACH_INCLUDES, CHARGE_INCLUDES, CUSTOMER_INCLUDES
from openarc.services import ach_charges, bank_accounts, cards, charges, customers, money
from openarc.services.bank_accounts import ACCOUNT_TYPES, SEC_CODES

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """An object that always carries all of ``properties`` but the ``optional`` ones."""
    return {"type": "object", "properties": properties, "required": [k for k in properties if k not in optional]}


def described(schema: Schema, description: str, *examples: object) -> Schema:
    """``schema`` with what it means, and an example of it (the reference shows both)."""
    out = {**schema, "description": description}
    if examples:
        out["examples"] = list(examples)
    return out


def envelope(name: str, includes: Sequence[str] = ()) -> Schema:
    """Fractal's single-object envelope: ``{"data": <name>, "meta": {include, custom}}``."""
    meta = {"include": list(includes), "custom": []}
    return obj({"data": described(ref(name), f"The {name}"),
                "meta": described(ref("Meta"), "What else can be asked of it", meta)})


def page(name: str, includes: Sequence[str] = ()) -> Schema:
    """Fractal's list envelope: ``{"data": [<name>], "meta": {include, custom, pagination}}``."""
    meta = {"include": list(includes), "custom": [], "pagination": {
        "total": 1, "count": 1, "per_page": 25, "current_page": 1, "total_pages": 1, "links": {}}}
    return obj({"data": {"type": "array", "items": ref(name), "description": f"This page's {name} objects"},
                "meta": described(ref("PageMeta"), "What else can be asked of them, and where this page is", meta)})


#: The ids the examples show: the customer's is the one of PayArc's Create Customer guide.
EXAMPLE_IDS = {
    "customer": "KPxMADVnxMV4nNjp",
    "card": "3NVPLyMP9BpNqDwB",
    "token": "yK2dM8NqLR5mPjWZ",
    "bank_account": "nLbJ6Vx9AqRkGd2P",
    "charge": "LbRqv9jWZNQmkPxA",
    "ach_charge": "qW9ZaN2yLmPbXkRd",
    "refund": "Zx8nPqLmR2kWbVjA",
}
#: 2031-03-01 12:00:00 UTC, the time every example happens at.
EXAMPLE_TIME = 1930132800

TEXT: Schema = {"type": "string"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
TIMESTAMP: Schema = {"type": "integer", "description": "Unix seconds", "examples": [EXAMPLE_TIME]}
#: PayArc's 0/1 flags (PayArc's documentation): integers on the wire, never booleans.
FLAG: Schema = {"type": "integer", "enum": [0, 1]}
NULLABLE_ID: Schema = {"type": ["string", "null"]}


def id_of(noun: str, description: str | None = None) -> Schema:
    """The id of an object (a 16-character hash), with the example of its kind."""
    return {"type": "string", "description": description or f"The {noun.replace('_', ' ')}'s id (a 16-character hash)",
            "examples": [EXAMPLE_IDS[noun]]}


def unfilled(what: str) -> Schema:
    """A field PayArc fills from the card network and OpenArc, moving no money, leaves null."""
    return {"type": ["string", "null"], "description": f"{what}: always null in OpenArc", "examples": [None]}


def created(noun: str) -> Schema:
    return described(TIMESTAMP, f"When the {noun} was created, in Unix seconds", EXAMPLE_TIME)


def updated(noun: str) -> Schema:
    return described(TIMESTAMP, f"When the {noun} was last changed, in Unix seconds", EXAMPLE_TIME)


def included(items: Schema | None, description: str) -> Schema:
    """An include as Fractal embeds it: ``{"data": [...]}`` (the examples show it empty)."""
    array: Schema = {"type": "array"} if items is None else {"type": "array", "items": items}
    return described(obj({"data": described(array, "The included objects")}), description, {"data": []})


def one(schema: Schema, description: str) -> Schema:
    """One object embedded as Fractal embeds it: ``{"data": {...}}``."""
    return described(obj({"data": described(schema, description)}), description)


def _echo(table: dict[str, str], examples: dict[str, object], name: str, schema: Schema = NULLABLE_TEXT,
          *, as_name: str | None = None) -> Schema:
    """A field the object shows as the request gave it: the request field's description and example."""
    key = as_name or name
    return described(schema, table[key], examples[key])


_C, _CX = cards.DESCRIPTIONS, cards.EXAMPLES

CARD = obj({
    "object": described({"const": "Card"}, "The object's type"),
    "id": id_of("card"),
    "address1": _echo(_C, _CX, "address1", as_name="address_line1"),
    "address2": _echo(_C, _CX, "address2", as_name="address_line2"),
    "card_source": described(TEXT, _C["card_source"], _CX["card_source"]),
    "card_holder_name": _echo(_C, _CX, "card_holder_name"),
    "is_default": described(FLAG, "1 for the customer's default card (charged when a charge names only the "
                                  "customer), else 0", 1),
    "exp_month": described({"type": "string", "pattern": "^(?:0[1-9]|1[0-2])$"}, "The expiry month, two digits",
                           "03"),
    "exp_year": described({"type": "string", "pattern": "^[0-9]{4}$"}, "The expiry year, four digits", "2031"),
    "is_verified": described(FLAG, "1 if the card was verified as it was tokenized (authorize_card=1), else 0", 0),
    "fingerprint": described(TEXT, "A keyed hash of the card number: equal for equal card numbers of one merchant, "
                                   "different across merchants", "PmZ5vR1yKbW2N9LM"),
    "city": _echo(_C, _CX, "city"),
    "state": _echo(_C, _CX, "state"),
    "zip": _echo(_C, _CX, "zip"),
    "brand": described({"type": "string", "enum": ["V", "M", "X", "R", "J"]},
                       "The card's brand: V Visa, M Mastercard, X Amex, R Discover/Diners/UnionPay, J JCB", "V"),
    "last4digit": described({"type": "string", "pattern": "^[0-9]{4}$"}, "The card number's last four digits", "5439"),
    "first6digit": described({"type": "integer", "minimum": 100000, "maximum": 999999},
                             "The card number's first six digits (its BIN)", 401200),
    "country": _echo(_C, _CX, "country"),
    "avs_status": unfilled("The address verification result"),
    "cvc_status": unfilled("The security code check's result"),
    "address_check_passed": described(FLAG, "1 if the card was verified with a billing address, else 0", 0),
    "zip_check_passed": described(FLAG, "1 if the card was verified with a ZIP code, else 0", 0),
    "customer_id": described(NULLABLE_ID, "The customer the card is saved to; null for a token's card not yet "
                                          "attached", EXAMPLE_IDS["customer"]),
    "card_type": unfilled("Credit, debit or prepaid"),
    "bin_country": unfilled("The issuing bank's country"),
    "bank_name": unfilled("The issuing bank's name"),
    "bank_website": unfilled("The issuing bank's website"),
    "bank_phone": unfilled("The issuing bank's phone number"),
    "created_at": created("card"),
    "updated_at": updated("card"),
})

TOKEN = obj({
    "object": described({"const": "Token"}, "The object's type"),
    "id": id_of("token"),
    "used": described({"type": "boolean"}, "Whether the token was used (attached to a customer or charged): a "
                                           "token is single use", False),
    "ip": unfilled("The IP address the card was tokenized from"),
    "tokenization_method": unfilled("How the card was tokenized"),
    "created_at": created("token"),
    "updated_at": updated("token"),
    "card": one(ref("Card"), "The tokenized card (its safe parts)"),
})

_B, _BX = bank_accounts.DESCRIPTIONS, bank_accounts.EXAMPLES
BANK_ACCOUNT = obj({
    "object": described({"const": "BankAccount"}, "The object's type"),
    "id": id_of("bank_account"),
    "first_name": _echo(_B, _BX, "first_name", TEXT),
    "last_name": _echo(_B, _BX, "last_name", TEXT),
    "company_name": described(NULLABLE_TEXT, _B["company_name"], None),
    "account_type": _echo(_B, _BX, "account_type", {"type": "string", "enum": list(ACCOUNT_TYPES)}),
    "sec_code": _echo(_B, _BX, "sec_code", {"anyOf": [{"type": "string", "enum": list(SEC_CODES)}, {"type": "null"}]}),
    "routing_number": _echo(_B, _BX, "routing_number", {"type": "string", "pattern": "^[0-9]{9}$"}),
    # Stored and returned masked (services.bank_accounts.mask): every digit but the last four is X.
    "account_number": described({"type": "string", "pattern": "^(?:X{3,4}|X+[0-9]{4})$"},
                                "The account number, masked: every digit but the last four is X", "XXXXXXXX5352"),
    "is_default": described(FLAG, "1 for the customer's default bank account, else 0", 1),
    "customer_id": described(NULLABLE_ID, "The customer the account is saved to, or null", EXAMPLE_IDS["customer"]),
    "created_at": created("bank account"),
    "updated_at": updated("bank account"),
})

#: Includes embedded only when asked for (``?include=subscription``); OpenArc keeps none of them.
_ON_REQUEST = tuple(name for name in CUSTOMER_INCLUDES if name not in ("card", "bank_account", "charge"))
_U, _UX = customers.DESCRIPTIONS, customers.EXAMPLES
#: The customer of PayArc's Create Customer guide's answer (its time, 2018-11-27 07:36:58 UTC, in Unix seconds).
_GUIDE_TIME = 1543304218

CUSTOMER = obj({
    "object": described({"const": "customer"}, "The object's type"),
    "customer_id": id_of("customer", "The customer's id again (PayArc sends both)"),
    "id": id_of("customer"),
    "real_id": described(INTEGER, "The customer's number within the merchant: 1 for the first one created", 110),
    **{name: _echo(_U, _UX, name) for name in ("name", "email", "description")},
    "payment_overdue": described({"type": ["integer", "null"]}, "Whether an invoice payment is overdue: always "
                                                                "null in OpenArc, which keeps no invoices", None),
    **{name: _echo(_U, _UX, name) for name in ("send_email_address", "cc_email_address")},
    "source_id": described(NULLABLE_TEXT, "Where the customer came from: always null in OpenArc", None),
    **{name: _echo(_U, _UX, name) for name in ("address_1", "address_2", "city", "state", "zip", "phone", "country")},
    "created_at": described(TIMESTAMP, "When the customer was created, in Unix seconds", _GUIDE_TIME),
    "updated_at": described(TIMESTAMP, "When the customer was last changed, in Unix seconds", _GUIDE_TIME),
    "readable_created_at": described(TEXT, 'How long ago the customer was created, e.g. "1 second ago"',
                                     "1 second ago"),
    "readable_updated_at": described(TEXT, 'How long ago the customer was last changed, e.g. "1 second ago"',
                                     "1 second ago"),
    "invoice_prefix": described({"type": "string", "pattern": "^[A-Z0-9]{4,}$"},
                                "The prefix of the customer's invoice numbers, unique within the merchant", "52KZ"),
    "card": included(ref("Card"), "The customer's saved cards"),
    "bank_account": included(ref("BankAccount"), "The customer's saved bank accounts"),
    "charge": included(ref("Charge"), "The customer's newest charges (25 at most)"),
    **{name: included(None, f"Only with ?include={name}; always empty") for name in _ON_REQUEST},
}, optional=_ON_REQUEST)

#: Typed one way on the ``POST /v1/charges`` answer and another on every read, as PayArc's
#: recorded answers are (render.charge).
_CREATED_OR_READ = "a string (or boolean) on the create answer, an integer on every read"
CENTS: Schema = {"type": "integer", "description": "Cents"}
NULLABLE_CENTS: Schema = {"type": ["integer", "null"], "description": "Cents"}


def cents(description: str, example: int) -> Schema:
    return described(CENTS, f"{description}, in cents", example)


_R = money.REFUND_DESCRIPTIONS
_NOTIFY_REFUND = {name: described(FLAG, f"1 if the refund asked for {name}=yes, else 0", 0)
                  for name in ("do_not_send_email_to_customer", "do_not_send_sms_to_customer")}
REFUND = obj({
    "object": described({"const": "Refund"}, "The object's type"),
    "id": id_of("refund"),
    "refund_amount": described({"type": "string", "pattern": "^[0-9]+$"},
                               "The amount refunded, in cents, as a string (PayArc's typing)", "500"),
    "currency": described({"const": "usd"}, "The currency"),
    "status": described({"type": "string", "enum": ["partial_refund", "refunded"]},
                        "partial_refund while some of the charge remains, refunded when nothing does", "partial_refund"),
    "reason": described(NULLABLE_TEXT, _R["reason"], money.REFUND_EXAMPLES["reason"]),
    "description": described(NULLABLE_TEXT, _R["description"], money.REFUND_EXAMPLES["description"]),
    "email": unfilled("The email address the refund receipt went to"),
    "receipt_phone": unfilled("The phone number the refund receipt went to"),
    "receipt_number": unfilled("The refund receipt's number"),
    "charge_id": id_of("charge", "The refunded charge's id"),
    "created_at": created("refund"),
    "updated_at": updated("refund"),
    **_NOTIFY_REFUND,
})

_CHARGE_ECHOES = (
    "sales_tax", "purchase_order", "supplier_reference_number", "customer_ref_id", "ship_to_zip", "amex_descriptor",
    "customer_vat_number", "summary_commodity_code", "shipping_charges", "duty_charges", "ship_from_zip",
    "destination_country_code", "vat_invoice", "order_date", "tax_category", "tax_type", "tax_rate", "tax_amount",
)
_CHARGE_INCLUDES = ("review", "transaction_metadata", "system_metadata", "extra_metadata", "splits")
_H, _HX = charges.DESCRIPTIONS, charges.EXAMPLES


def _echoed(name: str) -> Schema:
    """A Level 2/3 field as the charge was given it (or null)."""
    return described(NULLABLE_TEXT, _H[name], _HX[name])


def _refunded(what: str) -> Schema:
    return unfilled(f"How much of the {what} was refunded")


CHARGE = obj({
    "object": described({"const": "Charge"}, "The object's type"),
    "id": id_of("charge"),
    "amount": cents("The amount charged", 1500),
    "amount_approved": described({"anyOf": [CENTS, {"type": "string", "pattern": "^[0-9]+$"}]},
                                 f"The amount the issuer approved, in cents (0 when declined): {_CREATED_OR_READ}",
                                 1500),
    "amount_refunded": cents("The amount refunded so far", 0),
    "amount_captured": cents("The amount captured (0 while only authorized)", 1500),
    "amount_voided": cents("The amount voided", 0),
    "application_fee_amount": cents("The platform's fee: always 0 in OpenArc", 0),
    "tip_amount": cents("The tip included in the amount", 0),
    "payarc_fees": cents("PayArc's fees: always 0 in OpenArc", 0),
    "type": described({"const": "Sale"}, "The charge's type"),
    "customer_email": described(NULLABLE_TEXT, "The email address given with the charge", _HX["email"]),
    "net_amount": cents("What remains: captured less refunded and voided", 1500),
    "captured": described({"anyOf": [FLAG, {"type": "string", "enum": ["0", "1"]}]},
                          f"1 once captured, 0 while only authorized (or declined): {_CREATED_OR_READ}", 1),
    "is_refunded": described(FLAG, "1 when the whole charge was refunded, else 0", 0),
    "status": described(TEXT, "authorized, submitted_for_settlement, partially_submitted_for_settlement, settled, "
                              "void, partial_refund, refunded, authorization_expired, or a decline's words "
                              "(Declined, Insufficient Funds, …)", "submitted_for_settlement"),
    "auth_code": described(NULLABLE_TEXT, "The issuer's authorization code; null when declined", "TAS123"),
    "failure_code": described(NULLABLE_TEXT, "Why the charge was declined (D2026, …); null when approved", None),
    "failure_message": described(NULLABLE_TEXT, "The decline's message; null when approved", None),
    "charge_description": _echoed("charge_description"),
    "kount_details": described({"const": ""}, "Fraud screening details: always empty in OpenArc"),
    "kount_status": described({"const": ""}, "Fraud screening status: always empty in OpenArc"),
    "statement_description": _echoed("statement_description"),
    "invoice": _echoed("invoice"),
    "under_review": described({"anyOf": [{"const": False}, {"const": 0}]},
                              f"Whether the charge is held for review, never in OpenArc: {_CREATED_OR_READ}", 0),
    "created_at": created("charge"),
    "updated_at": updated("charge"),
    "email": _echoed("email"),
    "phone_number": _echoed("phone_number"),
    "card_level": described({"type": "string", "enum": ["LEVEL1", "LEVEL2", "LEVEL3"]},
                            f"{_H['card_level']} LEVEL1 unless given.", "LEVEL1"),
    **{name: _echoed(name) for name in _CHARGE_ECHOES},
    "created_by": described(NULLABLE_TEXT, "The merchant whose key made the charge", "sandbox"),
    "terminal_register": described({"type": "null"}, "The terminal's register: always null for API charges", None),
    "amex_level3": described({"type": "array", "maxItems": 0}, "Amex Level 3 line items: always empty in OpenArc", []),
    "tip_amount_refunded": _refunded("tip"),
    "sales_tax_refunded": _refunded("sales tax"),
    "shipping_charges_refunded": _refunded("shipping charges"),
    "duty_charges_refunded": _refunded("duty charges"),
    "pax_reference_number": unfilled("The PAX terminal's reference number"),
    "refund_reason": described(NULLABLE_TEXT, "The latest refund's reason", None),
    "refund_description": described(NULLABLE_TEXT, "The latest refund's description", None),
    "surcharge": cents("The surcharge included in the amount", 0),
    **{name: unfilled(what) for name, what in (
        ("toll_amount", "A toll amount (transport charges)"), ("airport_fee", "An airport fee (transport charges)"),
        ("health_care", "The healthcare amount (FSA/HSA cards)"), ("health_care_type", "The healthcare amount's type"),
        ("prescription_amount", "The prescription amount (FSA/HSA cards)"),
        ("vision_amount", "The vision care amount (FSA/HSA cards)"),
        ("clinic_amount", "The clinic amount (FSA/HSA cards)"), ("dental_amount", "The dental amount (FSA/HSA cards)"),
        ("industry_type", "The merchant's industry type"))},
    "void_reason": described(NULLABLE_TEXT, money.VOID_DESCRIPTIONS["reason"] + " Null unless voided.", None),
    "void_description": described(NULLABLE_TEXT, money.VOID_DESCRIPTIONS["void_description"], None),
    "server_id": unfilled("The server (waiter) id"),
    "external_invoice_id": unfilled("An external invoice id"),
    "external_order_id": _echoed("external_order_id"),
    "tsys_response_code": described(NULLABLE_TEXT, "The processor's response code: A0000 when approved, the "
                                                   "failure code when declined", "A0000"),
    "host_response_code": described(NULLABLE_TEXT, "The issuer's response code: 00 when approved", "00"),
    "host_response_message": described(NULLABLE_TEXT, "The issuer's response message", "Success"),
    "emv_issuer_scripts": unfilled("EMV issuer scripts (card-present charges)"),
    "emv_issuer_authentication_data": unfilled("EMV issuer authentication data (card-present charges)"),
    "host_reference_number": described(NULLABLE_TEXT, "The processor's reference number", "000123456789"),
    **{name: unfilled(what) for name, what in (
        ("sale_terminal_id", "The terminal's id (card-present charges)"),
        ("sale_mid", "The terminal's merchant id"), ("edc_type", "The terminal's EDC type"),
        ("ecr_reference_number", "The register's reference number"))},
    "do_not_send_email_to_customer": described(FLAG, "1 if the charge asked for no email receipt, else 0", 0),
    "do_not_send_sms_to_customer": described(FLAG, "1 if the charge asked for no text receipt, else 0", 1),
    "refund": included(ref("Refund"), "The charge's refunds, oldest first"),
    "card": one(ref("Card"), "The card charged, as it was then"),
    **{name: included(None, f"Only with ?include={name}" + ("" if name == "transaction_metadata" else
                                                            "; always empty"))
       for name in _CHARGE_INCLUDES},
}, optional=_CHARGE_INCLUDES)

_ISO_TIME: Schema = {"type": "string", "format": "date-time", "description": "ISO-8601, UTC"}
_A, _AX = ach_charges.DESCRIPTIONS, ach_charges.EXAMPLES
_ACH_INCLUDES = ("review", "customer", "returns")
ACH_CHARGE = obj({
    "object": described({"const": "ACHCharge"}, "The object's type"),
    "id": id_of("ach_charge", "The ACH charge's id (a 16-character hash)"),
    "amount": cents("The amount debited or credited", 1500),
    "created_by": described(NULLABLE_TEXT, "The merchant whose key made the charge", "sandbox"),
    "status": described({"type": "string", "enum": ["validated", "settled", "rejected"]},
                        "validated when made, settled after the daily cut-off", "validated"),
    "type": _echo(_A, _AX, "type", {"type": "string", "enum": ["debit", "credit"]}),
    "authorization_id": described({"type": ["integer", "string"]}, "The authorization's number: an integer on the "
                                                                   "create answer, a string on reads", 123456789),
    "validation_code": described({"type": ["integer", "string"]}, "The validation code: an integer on the create "
                                                                  "answer, a string on reads", 4321),
    "successful": described({"anyOf": [{"const": True}, {"const": 1}]},
                            "Whether the entry was accepted: true on the create answer, 1 on reads", True),
    "response_message": described(TEXT, "The processor's message", "Approved"),
    "created_at": described(_ISO_TIME, "When the ACH charge was made (ISO-8601, UTC)", "2031-03-01T12:00:00.000000Z"),
    "updated_at": described(_ISO_TIME, "When the ACH charge last changed (ISO-8601, UTC)",
                            "2031-03-01T12:00:00.000000Z"),
    "retried_achcharge_id": described({"type": "null"}, "The ACH charge this one retries: always null", None),
    "sec_code": _echo(_A, _AX, "sec_code", {"type": "string", "enum": list(SEC_CODES)}),
    "bank_account": one(ref("BankAccount"), "The account debited or credited"),
    **{name: included(None, f"Only with ?include={name}; always empty") for name in _ACH_INCLUDES},
}, optional=_ACH_INCLUDES)

_STATUS: Schema = described({"const": "error"}, "Always error")
_CODE: Schema = described(INTEGER, "Always 0", 0)


def _status_code(status: int | None = None) -> Schema:
    schema = INTEGER if status is None else {"const": status}
    return described(schema, "The HTTP status again", status or 404)


#: A declined charge's 422 (PayArc's error body with the decline in ``data``).
DECLINED = obj({
    "status": _STATUS,
    "code": _CODE,
    "message": described(TEXT, "The decline, in words", "Do Not Honor"),
    "data": described(obj({
        "failure_code": described(TEXT, "Why the charge was declined", "D2026"),
        "failure_message": described(TEXT, "The decline's message", "Do not honor"),
        "host_response_code": described(TEXT, "The issuer's response code", "05"),
        "status": described(TEXT, "The declined charge's status", "Declined"),
        "charge_id": id_of("charge", "The declined charge's id: it is kept, and listed"),
    }), "The decline"),
    "status_code": _status_code(422),
})

META = obj({
    "include": described({"type": "array", "items": TEXT}, "The includes this object can be asked for (?include=)",
                         ["card", "bank_account", "charge", "subscription", "invoice"]),
    "custom": described({"type": "array"}, "Always empty", []),
})

PAGINATION = described(obj({
    "total": described(INTEGER, "How many objects the list has in all", 1),
    "count": described(INTEGER, "How many are on this page", 1),
    "per_page": described(INTEGER, "The page size (limit)", 25),
    "current_page": described(INTEGER, "This page's number, from 1", 1),
    "total_pages": described(INTEGER, "How many pages there are", 1),
    # An object even when empty ({} , never []): a Go client decodes it into a struct.
    "links": described(obj({"previous": described(TEXT, "The previous page's URL"),
                            "next": described(TEXT, "The next page's URL")}, optional=("previous", "next")),
                       "The previous and next pages' URLs, when there are such pages", {}),
}), "Where this page is in the list")

PAGE_META = obj({**META["properties"], "pagination": PAGINATION})

#: Apiato's error body (api.errors): ``status_code`` repeats the HTTP status.
ERROR = obj({
    "status": _STATUS,
    "code": _CODE,
    "message": described(TEXT, "What went wrong", "The requested Resource was not found."),
    "status_code": _status_code(),
})

VALIDATION_ERROR = obj({
    "status": _STATUS,
    "code": _CODE,
    "message": described(TEXT, "Always this text", "The given data was invalid."),
    "errors": described({"type": "object", "additionalProperties": {"type": "array", "items": TEXT}},
                        "Each refused field, with every message about it",
                        {"name": ["The name field must be at least 3 characters."]}),
    "status_code": _status_code(422),
})

METHOD_NOT_ALLOWED = obj({
    "status": _STATUS,
    "code": _CODE,
    "message": described(TEXT, "The method, and the ones this path supports",
                         "The PUT method is not supported here. Supported methods: GET, HEAD, PATCH, DELETE."),
    "errors": described({"const": "Method Not Allowed!"}, "Always this text"),
    "status_code": _status_code(405),
})

UNAUTHENTICATED = obj({"error": described({"const": "Unauthenticated."}, "Always this text")})

HEALTH = obj({
    "status": described({"type": "string", "enum": ["ok", "unavailable"]}, "ok (200) or unavailable (503)", "ok"),
    "database": described({"type": "string", "enum": ["ok", "error", "timeout"]},
                          "Whether the database answered: ok, error, or timeout (no answer within 3 seconds)", "ok"),
})

# ---------------------------------------------------------------------------- the sandbox controls' answers

SANDBOX_CLOCK = obj({"data": described(obj({
    "now": described(INTEGER, "The merchant's time now, in Unix seconds", EXAMPLE_TIME),
    "frozen": described({"type": "boolean"}, "Whether the merchant's clock stands still", True),
    "offset": described(INTEGER, "Seconds the merchant's clock is ahead of the wall clock (negative: behind)", 0),
}), "The merchant's sandbox clock")})

SANDBOX_RESET = obj({"data": described({
    "type": "object",
    "properties": {
        "requests": described(INTEGER, "How many request log entries were forgotten", 12),
        "clock": described(SANDBOX_CLOCK["properties"]["data"], "The merchant's clock, back on the wall clock"),
    },
    "required": ["requests", "clock"],
    "additionalProperties": described(INTEGER, "How many rows of this table were deleted"),
}, "How many rows of each table were deleted, and of the request log", {
    "customers": 1, "cards": 1, "charges": 1, "requests": 12,
    "clock": {"now": EXAMPLE_TIME, "frozen": False, "offset": 0}})})

_HEADERS: Schema = {"type": "object", "additionalProperties": TEXT}
_LOGGED_BODY: Schema = {"description": "The body as JSON, a form as an object, or text; card numbers, CVVs and "
                                       "keys masked; null when empty"}
SANDBOX_REQUESTS = obj({"data": described({"type": "array", "items": obj({
    "at": described(INTEGER, "When, on the merchant's clock (Unix seconds)", EXAMPLE_TIME),
    "method": described(TEXT, "The request's method", "POST"),
    "path": described(TEXT, "The request's path", "/v1/customers"),
    "query": described({"type": "object"}, "The query string's parameters, masked", {}),
    "request": described(obj({"headers": described(_HEADERS, "The request's headers, the key masked"),
                              "body": _LOGGED_BODY}), "What was asked"),
    "response": described(obj({"status": described(INTEGER, "The answer's status", 201),
                               "headers": described(_HEADERS, "The answer's headers"),
                               "body": _LOGGED_BODY}), "What was answered"),
    "duration_ms": described({"type": "number"}, "How long the answer took, in milliseconds", 3.2),
})}, "The merchant's latest requests, newest first", [])})

SETTLED = obj({"data": described(obj({
    "settled": described(INTEGER, "How many card charges were settled", 2),
    "ach_settled": described(INTEGER, "How many ACH charges were settled", 1),
}), "What was settled")})

#: Every response component, by the name operations and the document refer to it by.
COMPONENTS: dict[str, Schema] = {
    "Customer": CUSTOMER,
    "Card": CARD,
    "Token": TOKEN,
    "BankAccount": BANK_ACCOUNT,
    "Meta": META,
    "PageMeta": PAGE_META,
    "CustomerEnvelope": envelope("Customer", CUSTOMER_INCLUDES),
    "CustomerPage": page("Customer", CUSTOMER_INCLUDES),
    "TokenEnvelope": envelope("Token"),
    "BankAccountEnvelope": envelope("BankAccount"),
    "Error": ERROR,
    "Charge": CHARGE,
    "Refund": REFUND,
    "ACHCharge": ACH_CHARGE,
    "ChargeEnvelope": envelope("Charge", CHARGE_INCLUDES),
    "ChargePage": page("Charge", CHARGE_INCLUDES),
    "ACHChargeEnvelope": envelope("ACHCharge", ACH_INCLUDES),
    "ACHChargePage": page("ACHCharge", ACH_INCLUDES),
    "ValidationError": VALIDATION_ERROR,
    "Declined": DECLINED,
    "MethodNotAllowed": METHOD_NOT_ALLOWED,
    "Unauthenticated": UNAUTHENTICATED,
    "Health": HEALTH,
    "SandboxClock": SANDBOX_CLOCK,
    "SandboxReset": SANDBOX_RESET,
    "SandboxRequests": SANDBOX_REQUESTS,
    "Settled": SETTLED,
}


# ---------------------------------------------------------------------------- examples


def example_of(schema: Schema, *, arrays: bool = True) -> Any:
    """An example of ``schema``, made of the examples its properties carry: what the reference
    shows for each answer (tests/test_openapi.py checks each against its schema)."""
    if "examples" in schema:
        return schema["examples"][0]
    if "$ref" in schema:
        return example_of(COMPONENTS[schema["$ref"].rsplit("/", 1)[1]])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged |= example_of(part) if "properties" not in part or "type" in part else {
                name: example_of(sub) for name, sub in part["properties"].items()}
        return merged
    if "anyOf" in schema:
        return example_of(schema["anyOf"][0])
    kind = schema.get("type")
    if "properties" in schema:
        return {name: example_of(sub) for name, sub in schema["properties"].items()
                if name in schema.get("required", ())}
    if kind == "array":
        return [example_of(schema["items"])] if "items" in schema else []
    if isinstance(kind, list) and "null" in kind or kind == "null":
        return None
    raise ValueError(f"no example for {schema}: give it one (described(..., example))")
