"""PayArc's wire shapes, built explicitly from service objects (never dumped from rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.datastructures import URL

from openarc.errors import BadRequest
from openarc.ids import Ids
from openarc.services.bank_accounts import BankAccount
from openarc.services.cards import Card, Token
from openarc.services.customers import Customer, Page
from openarc.services.validation import WHITESPACE
from openarc.timefmt import readable

#: Includes a customer can carry; card, bank_account and charge are always embedded (spec §5.1).
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
        "real_id": c.id,
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
        "charge": {"data": []},
    }
    for name in extra:
        obj.setdefault(name, {"data": []})
    return obj


def meta(available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    return {"include": list(available), "custom": []}


def one(data: dict[str, object], available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    return {"data": data, "meta": meta(available)}


def page(data: list[dict[str, object]], result: Page, url: URL) -> dict[str, object]:
    """Fractal's paginated envelope: five integers and a ``links`` object (``{}`` when empty)."""
    links: dict[str, str] = {}
    if result.page > 1:
        links["previous"] = str(url.include_query_params(page=result.page - 1))
    if result.page < result.total_pages:
        links["next"] = str(url.include_query_params(page=result.page + 1))
    body = meta()
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
    """PayArc's Card (spec §5.2): flags as 0/1, ``first6digit`` an int, ``last4digit`` a string."""
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
