"""The published shape of every response body, as JSON Schema components.

Each object is written out key by key in ``api.render``'s order (customer, card, token,
bank account), with the types render emits; ``tests/test_schemas.py`` validates real
answers against these with extra keys forbidden, so a key added to or dropped from
render, or a type changed there, fails a test instead of drifting from the document.
Published schemas stay open (no ``additionalProperties: false``): a client generated from
them keeps working when a response gains a key.
"""

from __future__ import annotations

from openarc.api.render import CUSTOMER_INCLUDES
from openarc.services.bank_accounts import ACCOUNT_TYPES, SEC_CODES

Schema = dict[str, object]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """An object that always carries all of ``properties`` but the ``optional`` ones."""
    return {"type": "object", "properties": properties, "required": [k for k in properties if k not in optional]}


def envelope(name: str) -> Schema:
    """Fractal's single-object envelope: ``{"data": <name>, "meta": {include, custom}}``."""
    return obj({"data": ref(name), "meta": ref("Meta")})


def page(name: str) -> Schema:
    """Fractal's list envelope: ``{"data": [<name>], "meta": {include, custom, pagination}}``."""
    return obj({"data": {"type": "array", "items": ref(name)}, "meta": ref("PageMeta")})


TEXT: Schema = {"type": "string"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
TIMESTAMP: Schema = {"type": "integer", "description": "Unix seconds"}
#: PayArc's 0/1 flags (spec §2.3): integers on the wire, never booleans.
FLAG: Schema = {"type": "integer", "enum": [0, 1]}
ID: Schema = {"type": "string", "description": "A 16-character hash"}
NULLABLE_ID: Schema = {"type": ["string", "null"], "description": "A 16-character hash, or null"}
#: Fields PayArc fills from the card network and OpenArc, moving no money, leaves null.
UNFILLED: Schema = {"type": ["string", "null"], "description": "Always null in OpenArc"}


def included(items: Schema | None, description: str | None = None) -> Schema:
    """An include as Fractal embeds it: ``{"data": [...]}``."""
    array: Schema = {"type": "array"} if items is None else {"type": "array", "items": items}
    schema = obj({"data": array})
    if description:
        schema["description"] = description
    return schema


CARD = obj({
    "object": {"const": "Card"},
    "id": ID,
    "address1": NULLABLE_TEXT,
    "address2": NULLABLE_TEXT,
    "card_source": TEXT,
    "card_holder_name": NULLABLE_TEXT,
    "is_default": FLAG,
    "exp_month": {"type": "string", "pattern": "^(?:0[1-9]|1[0-2])$"},
    "exp_year": {"type": "string", "pattern": "^[0-9]{4}$"},
    "is_verified": FLAG,
    "fingerprint": {"type": "string", "description": "Equal for equal card numbers of one merchant"},
    "city": NULLABLE_TEXT,
    "state": NULLABLE_TEXT,
    "zip": NULLABLE_TEXT,
    "brand": {"type": "string", "enum": ["V", "M", "X", "R", "J"],
              "description": "V Visa, M Mastercard, X Amex, R Discover/Diners/UnionPay, J JCB"},
    "last4digit": {"type": "string", "pattern": "^[0-9]{4}$"},
    "first6digit": {"type": "integer", "minimum": 100000, "maximum": 999999},
    "country": NULLABLE_TEXT,
    "avs_status": UNFILLED,
    "cvc_status": UNFILLED,
    "address_check_passed": FLAG,
    "zip_check_passed": FLAG,
    "customer_id": NULLABLE_ID,
    "card_type": UNFILLED,
    "bin_country": UNFILLED,
    "bank_name": UNFILLED,
    "bank_website": UNFILLED,
    "bank_phone": UNFILLED,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
})

TOKEN = obj({
    "object": {"const": "Token"},
    "id": ID,
    "used": {"type": "boolean"},
    "ip": UNFILLED,
    "tokenization_method": UNFILLED,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "card": obj({"data": ref("Card")}),
})

BANK_ACCOUNT = obj({
    "object": {"const": "BankAccount"},
    "id": ID,
    "first_name": TEXT,
    "last_name": TEXT,
    "company_name": NULLABLE_TEXT,
    "account_type": {"type": "string", "enum": list(ACCOUNT_TYPES)},
    "sec_code": {"anyOf": [{"type": "string", "enum": list(SEC_CODES)}, {"type": "null"}]},
    "routing_number": {"type": "string", "pattern": "^[0-9]{9}$"},
    # Stored and returned masked (services.bank_accounts.mask): every digit but the last four is X.
    "account_number": {"type": "string", "pattern": "^(?:X{3,4}|X+[0-9]{4})$"},
    "is_default": FLAG,
    "customer_id": NULLABLE_ID,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
})

#: Includes embedded only when asked for (``?include=subscription``); OpenArc keeps none of them.
_ON_REQUEST = tuple(name for name in CUSTOMER_INCLUDES if name not in ("card", "bank_account", "charge"))

CUSTOMER = obj({
    "object": {"const": "customer"},
    "customer_id": ID,
    "id": ID,
    "real_id": INTEGER,
    "name": NULLABLE_TEXT,
    "email": NULLABLE_TEXT,
    "description": NULLABLE_TEXT,
    "payment_overdue": {"type": ["integer", "null"]},
    "send_email_address": NULLABLE_TEXT,
    "cc_email_address": NULLABLE_TEXT,
    "source_id": NULLABLE_TEXT,
    "address_1": NULLABLE_TEXT,
    "address_2": NULLABLE_TEXT,
    "city": NULLABLE_TEXT,
    "state": NULLABLE_TEXT,
    "zip": NULLABLE_TEXT,
    "phone": NULLABLE_TEXT,
    "country": NULLABLE_TEXT,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "readable_created_at": {"type": "string", "description": 'Relative, e.g. "1 second ago"'},
    "readable_updated_at": {"type": "string", "description": 'Relative, e.g. "1 second ago"'},
    "invoice_prefix": {"type": "string", "pattern": "^[A-Z0-9]{4,}$"},
    "card": included(ref("Card")),
    "bank_account": included(ref("BankAccount")),
    "charge": included(ref("Charge"), "The customer's newest charges (25 at most)"),
    **{name: included(None, f"Only with ?include={name}; always empty") for name in _ON_REQUEST},
}, optional=_ON_REQUEST)

#: Typed one way on the ``POST /v1/charges`` answer and another on every read, as PayArc's
#: recorded answers are (render.charge).
_CREATED_OR_READ = "A string (or boolean) on the create answer, an integer on every read"
CENTS: Schema = {"type": "integer", "description": "Cents"}
NULLABLE_CENTS: Schema = {"type": ["integer", "null"], "description": "Cents"}

REFUND = obj({
    "object": {"const": "Refund"},
    "id": ID,
    "refund_amount": {"type": "string", "pattern": "^[0-9]+$", "description": "Cents, as a string (PayArc's typing)"},
    "currency": {"const": "usd"},
    "status": {"type": "string", "enum": ["partial_refund", "refunded"]},
    "reason": NULLABLE_TEXT,
    "description": NULLABLE_TEXT,
    "email": UNFILLED,
    "receipt_phone": UNFILLED,
    "receipt_number": UNFILLED,
    "charge_id": ID,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "do_not_send_email_to_customer": FLAG,
    "do_not_send_sms_to_customer": FLAG,
})

_CHARGE_ECHOES = (
    "sales_tax", "purchase_order", "supplier_reference_number", "customer_ref_id", "ship_to_zip", "amex_descriptor",
    "customer_vat_number", "summary_commodity_code", "shipping_charges", "duty_charges", "ship_from_zip",
    "destination_country_code", "vat_invoice", "order_date", "tax_category", "tax_type", "tax_rate", "tax_amount",
)
_CHARGE_INCLUDES = ("review", "transaction_metadata", "system_metadata", "extra_metadata", "splits")

CHARGE = obj({
    "object": {"const": "Charge"},
    "id": ID,
    "amount": CENTS,
    "amount_approved": {"anyOf": [CENTS, {"type": "string", "pattern": "^[0-9]+$"}], "description": _CREATED_OR_READ},
    "amount_refunded": CENTS,
    "amount_captured": CENTS,
    "amount_voided": CENTS,
    "application_fee_amount": CENTS,
    "tip_amount": CENTS,
    "payarc_fees": CENTS,
    "type": {"const": "Sale"},
    "customer_email": NULLABLE_TEXT,
    "net_amount": CENTS,
    "captured": {"anyOf": [FLAG, {"type": "string", "enum": ["0", "1"]}], "description": _CREATED_OR_READ},
    "is_refunded": FLAG,
    "status": {"type": "string", "description": "authorized, submitted_for_settlement, "
               "partially_submitted_for_settlement, settled, void, partial_refund, refunded, "
               "authorization_expired, or a decline's words (Declined, Insufficient Funds, …)"},
    "auth_code": NULLABLE_TEXT,
    "failure_code": NULLABLE_TEXT,
    "failure_message": NULLABLE_TEXT,
    "charge_description": NULLABLE_TEXT,
    "kount_details": {"const": ""},
    "kount_status": {"const": ""},
    "statement_description": NULLABLE_TEXT,
    "invoice": NULLABLE_TEXT,
    "under_review": {"anyOf": [{"const": False}, {"const": 0}], "description": _CREATED_OR_READ},
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "email": NULLABLE_TEXT,
    "phone_number": NULLABLE_TEXT,
    "card_level": {"type": "string", "enum": ["LEVEL1", "LEVEL2", "LEVEL3"]},
    **dict.fromkeys(_CHARGE_ECHOES, NULLABLE_TEXT),
    "created_by": NULLABLE_TEXT,
    "terminal_register": {"type": "null"},
    "amex_level3": {"type": "array", "maxItems": 0},
    **dict.fromkeys(("tip_amount_refunded", "sales_tax_refunded", "shipping_charges_refunded",
                     "duty_charges_refunded", "pax_reference_number"), UNFILLED),
    "refund_reason": NULLABLE_TEXT,
    "refund_description": NULLABLE_TEXT,
    "surcharge": CENTS,
    **dict.fromkeys(("toll_amount", "airport_fee", "health_care", "health_care_type", "prescription_amount",
                     "vision_amount", "clinic_amount", "dental_amount", "industry_type"), UNFILLED),
    "void_reason": NULLABLE_TEXT,
    "void_description": NULLABLE_TEXT,
    "server_id": UNFILLED,
    "external_invoice_id": UNFILLED,
    "external_order_id": NULLABLE_TEXT,
    "tsys_response_code": NULLABLE_TEXT,
    "host_response_code": NULLABLE_TEXT,
    "host_response_message": NULLABLE_TEXT,
    "emv_issuer_scripts": UNFILLED,
    "emv_issuer_authentication_data": UNFILLED,
    "host_reference_number": NULLABLE_TEXT,
    **dict.fromkeys(("sale_terminal_id", "sale_mid", "edc_type", "ecr_reference_number"), UNFILLED),
    "do_not_send_email_to_customer": FLAG,
    "do_not_send_sms_to_customer": FLAG,
    "refund": included(ref("Refund")),
    "card": obj({"data": ref("Card")}),
    **{name: included(None, f"Only with ?include={name}") for name in _CHARGE_INCLUDES},
}, optional=_CHARGE_INCLUDES)

_ISO_TIME: Schema = {"type": "string", "format": "date-time", "description": "ISO-8601, UTC"}
ACH_CHARGE = obj({
    "object": {"const": "ACHCharge"},
    "id": ID,
    "amount": CENTS,
    "created_by": NULLABLE_TEXT,
    "status": {"type": "string", "enum": ["validated", "settled", "rejected"]},
    "type": {"type": "string", "enum": ["debit", "credit"]},
    "authorization_id": {"type": ["integer", "string"], "description": "An integer on the create answer, a string on reads"},
    "validation_code": {"type": ["integer", "string"], "description": "An integer on the create answer, a string on reads"},
    "successful": {"anyOf": [{"const": True}, {"const": 1}], "description": "true on the create answer, 1 on reads"},
    "response_message": TEXT,
    "created_at": _ISO_TIME,
    "updated_at": _ISO_TIME,
    "retried_achcharge_id": {"type": "null"},
    "sec_code": {"type": "string", "enum": list(SEC_CODES)},
    "bank_account": obj({"data": ref("BankAccount")}),
    **{name: included(None, f"Only with ?include={name}") for name in ("review", "customer", "returns")},
}, optional=("review", "customer", "returns"))

#: A declined charge's 422 (PayArc's error body with the decline in ``data``).
DECLINED = obj({
    "status": {"const": "error"},
    "code": INTEGER,
    "message": TEXT,
    "data": obj({"failure_code": TEXT, "failure_message": TEXT, "host_response_code": TEXT, "status": TEXT,
                 "charge_id": ID}),
    "status_code": {"const": 422},
})

SETTLED = obj({"data": obj({"settled": INTEGER, "ach_settled": INTEGER})})

META = obj({"include": {"type": "array", "items": TEXT}, "custom": {"type": "array"}})

PAGINATION = obj({
    **{k: INTEGER for k in ("total", "count", "per_page", "current_page", "total_pages")},
    # An object even when empty ({} , never []): a Go client decodes it into a struct.
    "links": obj({"previous": TEXT, "next": TEXT}, optional=("previous", "next")),
})

PAGE_META = obj({"include": {"type": "array", "items": TEXT}, "custom": {"type": "array"}, "pagination": PAGINATION})

#: Apiato's error body (api.errors): ``status_code`` repeats the HTTP status.
ERROR = obj({"status": {"const": "error"}, "code": INTEGER, "message": TEXT, "status_code": INTEGER})

VALIDATION_ERROR = obj({
    "status": {"const": "error"},
    "code": INTEGER,
    "message": TEXT,
    "errors": {"type": "object", "additionalProperties": {"type": "array", "items": TEXT},
               "description": "Each refused field, with every message about it"},
    "status_code": {"const": 422},
})

METHOD_NOT_ALLOWED = obj({
    "status": {"const": "error"},
    "code": INTEGER,
    "message": TEXT,
    "errors": {"const": "Method Not Allowed!"},
    "status_code": {"const": 405},
})

UNAUTHENTICATED = obj({"error": {"const": "Unauthenticated."}})

#: Every response component, by the name operations and the document refer to it by.
COMPONENTS: dict[str, Schema] = {
    "Customer": CUSTOMER,
    "Card": CARD,
    "Token": TOKEN,
    "BankAccount": BANK_ACCOUNT,
    "Meta": META,
    "PageMeta": PAGE_META,
    "CustomerEnvelope": envelope("Customer"),
    "CustomerPage": page("Customer"),
    "TokenEnvelope": envelope("Token"),
    "BankAccountEnvelope": envelope("BankAccount"),
    "Error": ERROR,
    "Charge": CHARGE,
    "Refund": REFUND,
    "ACHCharge": ACH_CHARGE,
    "ChargeEnvelope": envelope("Charge"),
    "ChargePage": page("Charge"),
    "ACHChargeEnvelope": envelope("ACHCharge"),
    "ACHChargePage": page("ACHCharge"),
    "ValidationError": VALIDATION_ERROR,
    "Declined": DECLINED,
    "MethodNotAllowed": METHOD_NOT_ALLOWED,
    "Unauthenticated": UNAUTHENTICATED,
}
