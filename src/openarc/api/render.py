"""PayArc's wire shapes, built explicitly from service objects (never dumped from rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.datastructures import URL

from openarc.errors import BadRequest
from openarc.ids import Ids
from openarc.services.ach_charges import AchCharge
from openarc.services.bank_accounts import BankAccount
from openarc.services.cards import Card, Token
from openarc.services.charges import Charge, Refund
from openarc.services.customers import Customer
from openarc.services.paging import Page
from openarc.services.validation import WHITESPACE
from openarc.timefmt import readable

#: Includes a customer can carry; card, bank_account and charge are always embedded (PayArc's documentation).
CUSTOMER_INCLUDES = ("card", "bank_account", "charge", "subscription", "invoice")


def includes(raw: object, available: Sequence[str] = CUSTOMER_INCLUDES) -> tuple[str, ...]:
    """The extra includes asked for with ``?include=a,b``; an unknown one is a 400."""
    if not raw:
        return ()
    if not isinstance(raw, str):
        raise BadRequest("Requested a invalid Include Parameter: include must be a comma-separated string.")
    parts = (part.strip(WHITESPACE) for part in raw.split(","))
    wanted = tuple(dict.fromkeys(part for part in parts if part))
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise BadRequest(f"Requested a invalid Include Parameter: {', '.join(unknown)}.")
    return wanted


def customer(c: Customer, ids: Ids, now: int, extra: Iterable[str] = ()) -> dict[str, object]:
    public_id = ids.customer.encode(c.id)
    obj: dict[str, object] = {
        "object": "customer",
        "customer_id": public_id,
        "id": public_id,
        "real_id": c.number,
        "name": c.name,
        "email": c.email,
        "description": c.description,
        "payment_overdue": c.payment_overdue,
        "send_email_address": c.send_email_address,
        "cc_email_address": c.cc_email_address,
        "source_id": c.source_id,
        "address_1": c.address_1,
        "address_2": c.address_2,
        "city": c.city,
        "state": c.state,
        "zip": c.zip,
        "phone": c.phone,
        "country": c.country,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "readable_created_at": readable(c.created_at, now),
        "readable_updated_at": readable(c.updated_at, now),
        "invoice_prefix": c.invoice_prefix,
        "card": {"data": [card(x, ids) for x in c.cards]},
        "bank_account": {"data": [bank_account(x, ids) for x in c.bank_accounts]},
        "charge": {"data": [charge(x, ids, now) for x in c.charges]},
    }
    for name in extra:
        obj.setdefault(name, {"data": []})
    return obj


def meta(available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    return {"include": list(available), "custom": []}


def one(data: dict[str, object], available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    return {"data": data, "meta": meta(available)}


def page(data: list[dict[str, object]], result: Page[Any], url: URL, available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    """Fractal's paginated envelope: five integers and a ``links`` object (``{}`` when empty)."""
    links: dict[str, str] = {}
    if result.page > 1:
        links["previous"] = str(url.include_query_params(page=result.page - 1))
    if result.page < result.total_pages:
        links["next"] = str(url.include_query_params(page=result.page + 1))
    body = meta(available)
    body["pagination"] = {
        "total": result.total,
        "count": len(data),
        "per_page": result.per_page,
        "current_page": result.page,
        "total_pages": result.total_pages,
        "links": links,
    }
    return {"data": data, "meta": body}


def card(c: Card, ids: Ids) -> dict[str, object]:
    """PayArc's Card (PayArc's documentation): flags as 0/1, ``first6digit`` an int, ``last4digit`` a string."""
    return {
        "object": "Card",
        "id": ids.card.encode(c.id),
        "address1": c.address1,
        "address2": c.address2,
        "card_source": c.card_source,
        "card_holder_name": c.card_holder_name,
        "is_default": c.is_default,
        "exp_month": c.exp_month,
        "exp_year": c.exp_year,
        "is_verified": c.is_verified,
        "fingerprint": c.fingerprint,
        "city": c.city,
        "state": c.state,
        "zip": c.zip,
        "brand": c.brand,
        "last4digit": c.last4,
        "first6digit": c.first6,
        "country": c.country,
        "avs_status": None,
        "cvc_status": None,
        "address_check_passed": c.address_check_passed,
        "zip_check_passed": c.zip_check_passed,
        "customer_id": None if c.customer_id is None else ids.customer.encode(c.customer_id),
        "card_type": None,
        "bin_country": None,
        "bank_name": None,
        "bank_website": None,
        "bank_phone": None,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def token(t: Token, ids: Ids) -> dict[str, object]:
    return {
        "object": "Token",
        "id": ids.token.encode(t.id),
        "used": t.used,
        "ip": None,
        "tokenization_method": None,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "card": {"data": card(t.card, ids)},
    }


def bank_account(b: BankAccount, ids: Ids) -> dict[str, object]:
    return {
        "object": "BankAccount",
        "id": ids.bank_account.encode(b.id),
        "first_name": b.first_name,
        "last_name": b.last_name,
        "company_name": b.company_name,
        "account_type": b.account_type,
        "sec_code": b.sec_code,
        "routing_number": b.routing_number,
        "account_number": b.account_number,
        "is_default": b.is_default,
        "customer_id": None if b.customer_id is None else ids.customer.encode(b.customer_id),
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


#: Includes clients ask of a charge (PayArc's ``meta.include`` of its latest documentation).
CHARGE_INCLUDES = ("review", "transaction_metadata", "system_metadata", "extra_metadata")
#: Accepted in ``?include=`` as well (PayArc has sent them in ``meta.include``).
CHARGE_INCLUDES_ACCEPTED = (*CHARGE_INCLUDES, "splits", "card", "refund")

#: Charge fields PayArc always sends as null for API charges made here.
_CHARGE_NULLS = (
    "toll_amount", "airport_fee", "health_care", "health_care_type", "prescription_amount", "vision_amount",
    "clinic_amount", "dental_amount", "industry_type",
)
_CHARGE_TAIL_NULLS = ("emv_issuer_scripts", "emv_issuer_authentication_data")


def charge(c: Charge, ids: Ids, now: int, *, created: bool = False, extra: Iterable[str] = ()) -> dict[str, object]:
    """PayArc's Charge, keys in the order of its documentation's example.

    ``created``: the ``POST /v1/charges`` answer, whose typing differs from every read of
    the same charge, as PayArc's does (a Laravel artefact recorded in its real responses):
    ``amount_approved`` is a string, ``captured`` ``"1"``/``"0"`` and ``under_review`` a
    boolean there; integers everywhere else.  This is the one place that knows it.
    """
    echo = orjson.loads(c.echo)
    status = c.status_at(now)
    obj: dict[str, object] = {
        "object": "Charge",
        "id": ids.charge.encode(c.id),
        "amount": c.amount,
        "amount_approved": str(c.amount_approved) if created else c.amount_approved,
        "amount_refunded": c.amount_refunded,
        "amount_captured": c.amount_captured,
        "amount_voided": c.amount_voided,
        "application_fee_amount": 0,
        "tip_amount": c.tip_amount,
        "payarc_fees": 0,
        "type": "Sale",
        "customer_email": c.email,
        "net_amount": max(c.amount_captured - c.amount_refunded - c.amount_voided, 0),
        "captured": str(c.captured) if created else c.captured,
        "is_refunded": int(status == "refunded"),
        "status": status,
        "auth_code": c.auth_code,
        "failure_code": c.failure_code,
        "failure_message": c.failure_message,
        "charge_description": c.charge_description,
        "kount_details": "",
        "kount_status": "",
        "statement_description": c.statement_description,
        "invoice": echo.get("invoice"),
        "under_review": False if created else 0,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "email": c.email,
        "phone_number": c.phone_number,
        "card_level": c.card_level,
        **{name: echo.get(name) for name in (
            "sales_tax", "purchase_order", "supplier_reference_number", "customer_ref_id", "ship_to_zip",
            "amex_descriptor", "customer_vat_number", "summary_commodity_code", "shipping_charges", "duty_charges",
            "ship_from_zip", "destination_country_code", "vat_invoice", "order_date", "tax_category", "tax_type",
            "tax_rate", "tax_amount")},
        "created_by": c.created_by,
        "terminal_register": None,
        "amex_level3": [],
        "tip_amount_refunded": None,
        "sales_tax_refunded": None,
        "shipping_charges_refunded": None,
        "duty_charges_refunded": None,
        "pax_reference_number": None,
        "refund_reason": c.refund_reason,
        "refund_description": c.refund_description,
        "surcharge": c.surcharge,
        **dict.fromkeys(_CHARGE_NULLS),
        "void_reason": c.void_reason,
        "void_description": c.void_description,
        "server_id": None,
        "external_invoice_id": None,
        "external_order_id": echo.get("external_order_id"),
        "tsys_response_code": c.tsys_response_code,
        "host_response_code": c.host_response_code,
        "host_response_message": c.host_response_message,
        **dict.fromkeys(_CHARGE_TAIL_NULLS),
        "host_reference_number": c.host_reference_number,
        "sale_terminal_id": None,
        "sale_mid": None,
        "edc_type": None,
        "ecr_reference_number": None,
        "do_not_send_email_to_customer": c.do_not_send_email_to_customer,
        "do_not_send_sms_to_customer": c.do_not_send_sms_to_customer,
        "refund": {"data": [refund(r, ids, c.id) for r in c.refunds]},
        "card": {"data": card(c.card_of(), ids)},
    }
    for name in extra:
        if name == "transaction_metadata":
            metadata = orjson.loads(c.metadata)
            obj[name] = {"data": [{"object": "TransactionMeta", "key": k, "value": value}
                                  for k, value in metadata.items()]}
        elif name not in ("card", "refund"):
            obj.setdefault(name, {"data": []})
    return obj


def refund(r: Refund, ids: Ids, charge_id: int) -> dict[str, object]:
    """PayArc's Refund; ``refund_amount`` is a string, as in its recorded bodies."""
    return {
        "object": "Refund",
        "id": ids.refund.encode(r.id),
        "refund_amount": str(r.amount),
        "currency": "usd",
        "status": r.status,
        "reason": r.reason,
        "description": r.description,
        "email": None,
        "receipt_phone": None,
        "receipt_number": None,
        "charge_id": ids.charge.encode(charge_id),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "do_not_send_email_to_customer": r.do_not_send_email_to_customer,
        "do_not_send_sms_to_customer": r.do_not_send_sms_to_customer,
    }


#: Includes clients ask of an ACH charge (``review`` from the SDKs, ``returns``/``customer`` from Go).
ACH_INCLUDES = ("review", "customer", "returns")
ACH_INCLUDES_ACCEPTED = (*ACH_INCLUDES, "bank_account")


def iso_time(unix: int) -> str:
    """An ACH charge's times: ISO-8601 strings (Laravel's default format), not Unix seconds."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def ach_charge(a: AchCharge, ids: Ids, now: int, *, created: bool = False,
               extra: Iterable[str] = ()) -> dict[str, object]:
    """PayArc's ACHCharge.  ``created``: the create answer's typing (``authorization_id`` and
    ``validation_code`` integers, ``successful`` a boolean); reads have strings and 0/1."""
    obj: dict[str, object] = {
        "object": "ACHCharge",
        "id": ids.ach_charge.encode(a.id),
        "amount": a.amount,
        "created_by": a.created_by,
        "status": a.status_at(now),
        "type": a.type,
        "authorization_id": a.authorization_id if created else str(a.authorization_id),
        "validation_code": a.validation_code if created else str(a.validation_code),
        "successful": True if created else 1,
        "response_message": a.response_message,
        "created_at": iso_time(a.created_at),
        "updated_at": iso_time(a.updated_at),
        "retried_achcharge_id": None,
        "sec_code": a.sec_code,
        "bank_account": {"data": bank_account(a.bank_account_of(), ids)},
    }
    for name in extra:
        if name != "bank_account":
            obj.setdefault(name, {"data": []})
    return obj
