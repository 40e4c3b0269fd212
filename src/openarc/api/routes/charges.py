"""``/v1/charges``: card charges, and their capture, void and refunds.  Parse, one service call, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.openapi import (
    PAGING,
    any_given,
    cents,
    cents_text,
    given,
    id_example,
    include,
    not_given,
    positive_cents,
    without_card_numbers,
)
from openarc.api.routes import (
    BODY_ERRORS,
    ID_ERRORS,
    Body,
    Ok,
    ctx_of,
    key_of,
    list_request,
    operation,
    reference,
    resource,
)
from openarc.api.routes import ach_charges as ach
from openarc.db.steps import Steps
from openarc.services import ach_charges, cards, charges, money
from openarc.services import validation as v

#: What a charge body may hold: the charge's fields and a keyed card's (required only when
#: keyed: which source is given decides, as PayArc's ``required_without_all`` rules do).
_FIELDS = {**charges.RULES, **{name: replace(rule, required=False) for name, rule in charges.KEYED_RULES.items()}}
# The published shapes are a safe subset of what the service takes (services.charges.metadata_of):
# any JSON object of up to 50 keys of 1–20 letters, digits or underscores, with text values of
# at most 100 characters, without control characters or a card number.
_METADATA_TEXT: dict[str, object] = {"type": "string", "pattern": r'^\{(?:"[A-Za-z0-9_]{1,20}": ?"[A-Za-z .,_-]{0,100}")?\}$',
                  "description": "A JSON-encoded object of text values, as PayArc takes it"}
_METADATA: tuple[str, dict[str, object], dict[str, object]] = ("metadata", {
    "anyOf": [_METADATA_TEXT, {"type": "null"},
              {"type": "object", "maxProperties": 50, "propertyNames": {"pattern": "^[A-Za-z0-9_]{1,20}$"},
               "additionalProperties": {"type": "string", "pattern": "^[A-Za-z .,_-]{0,100}$"},
               "description": "In a JSON body, the object itself (an OpenArc extension)"}],
}, _METADATA_TEXT)
_AMOUNT: tuple[str, dict[str, object], dict[str, object]] = (
    "amount", cents(charges.MIN_AMOUNT, 8), cents_text(charges.MIN_AMOUNT, 8))
def _free_text(rules: v.Rules, names: tuple[str, ...]) -> tuple[tuple[str, dict[str, object], dict[str, object]], ...]:
    """Free-text fields, published as refusing card numbers (validation.refuse_card_numbers)."""
    return tuple((name, without_card_numbers(rules[name]), without_card_numbers(rules[name], form=True))
                 for name in names if name in rules)


_FREE_TEXT = _free_text(charges.RULES, charges.FREE_TEXT)
_KEYED = ("card_number", "exp_month", "exp_year", "cvv")
#: PayArc's ``required_without_all`` rules, and OpenArc's "exactly one card", across fields.
_ONE_CARD = (("allOf", [
    any_given("token_id", "customer_id", *_KEYED),
    {"not": {"allOf": [given("token_id"), any_given(*_KEYED)]}},
    {"anyOf": [not_given("card_id"), given("customer_id")]},
    {"not": {"allOf": [given("card_id"), any_given("token_id", *_KEYED)]}},
    {"anyOf": [not_given(*_KEYED), given(*_KEYED[:3])]},
]),)
_SOURCES = ("Exactly one card: `token_id`, `customer_id` (its default card, or `card_id` among its cards), "
            "or a keyed card (`card_number`, `exp_month`, `exp_year`, optional `cvv`). `customer_id` beside a "
            "token or keyed card links the charge to that customer.")
_FILTERS: list[dict[str, object]] = [
    {"name": "customer_id", "in": "query", "schema": {"type": "string"},
     "description": "OpenArc extension: only this customer's charges", "example": id_example("customer_id")},
    {"name": "status", "in": "query",
     "schema": {"type": "string", "enum": ["", *charges.LISTED_STATUSES, charges.DECLINED]},
     "description": "OpenArc extension: the status now (`declined`: every declined charge)", "example": "settled"},
    {"name": "from_date", "in": "query", "schema": {"anyOf": [{"type": "string", "format": "date"}, {"const": ""}]},
     "description": "OpenArc extension: created on or after this UTC day (YYYY-MM-DD)", "example": "2031-03-01"},
    {"name": "to_date", "in": "query", "schema": {"anyOf": [{"type": "string", "format": "date"}, {"const": ""}]},
     "description": "OpenArc extension: created on or before this UTC day (YYYY-MM-DD)", "example": "2031-03-31"},
]
_FILTER_NAMES = tuple(str(p["name"]) for p in _FILTERS)


def _one(data: dict[str, object]) -> dict[str, object]:
    return render.one(data, available=render.CHARGE_INCLUDES)


@operation(
    "createCharge", "Charge a card", tag="Charges",
    description=f"{_SOURCES} The example charges a token: make one with `POST /v1/tokens` and put its id in "
                "`token_id`. A declined card answers 422 with the decline in `data`; the declined charge is "
                "kept. The answer types `amount_approved` and `captured` as strings and `under_review` as a "
                "boolean, as PayArc's create answer does; every read has integers.",
    body=Body("ChargeInput", _FIELDS, _SOURCES, refs=("token_id", "customer_id", "card_id"),
              extra=(_METADATA, _AMOUNT, *_FREE_TEXT), constraints=_ONE_CARD, required=True,
              descriptions={**cards.DESCRIPTIONS, **charges.DESCRIPTIONS},
              examples={**cards.EXAMPLES, **charges.EXAMPLES},
              # A token, as PayArc's documentation charges: "Try it out" with the id POST /v1/tokens gave.
              example={"amount": 1500, "currency": "usd", "token_id": id_example("token_id")}),
    ok=Ok(201, "The new charge (or a declined one, for the card that answers so)", "ChargeEnvelope"),
    errors=(*BODY_ERRORS, 404, 409),
)
async def create(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    if ach_charges.is_ach_request(body):
        return await ach.replay(ctx, account, body)
    values, source = charges.clean(
        body,
        token_id=reference(ctx.ids.token, body, "token_id"),
        customer_id=reference(ctx.ids.customer, body, "customer_id"),
        card_id=reference(ctx.ids.card, body, "card_id"),
    )
    now = ctx.clock.now(account.id)
    created = await ctx.transaction(charges.create(
        account.id, values, source, created_by=account.name,
        fingerprint_key=ctx.secrets.derive("card-fingerprints"), now=now, today=ctx.clock.year_month(account.id),
        cutoff_minutes=ctx.settings.settlement_cutoff_minutes,
    ), atomic=source.atomic)
    data = render.charge(created, ctx.ids, now, created=True)
    charges.refuse_if_declined(created, str(data["id"]))
    return json_response(_one(data), 201)


@operation(
    "retrieveCharge", "Retrieve a charge", tag="Charges",
    parameters=[include(render.CHARGE_INCLUDES_ACCEPTED)],
    ok=Ok(200, "The charge", "ChargeEnvelope"),
    errors=ID_ERRORS,
)
async def retrieve(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    extra = render.includes(request.query_params.get("include"), render.CHARGE_INCLUDES_ACCEPTED)
    key = key_of(ctx.ids.charge, request.path_params["charge_id"])
    found = await ctx.query(charges.found(account.id, key))
    return json_response(_one(render.charge(found, ctx.ids, ctx.clock.now(account.id), extra=extra)), 200)


@operation(
    "listCharges", "List charges, newest first", tag="Charges",
    parameters=[*PAGING, *_FILTERS, include(render.CHARGE_INCLUDES_ACCEPTED)],
    ok=Ok(200, "A page of charges", "ChargePage"),
    errors=BODY_ERRORS,  # it reads a body too, as the customer list does
)
async def list_(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    asked = await list_request(request, render.CHARGE_INCLUDES_ACCEPTED, _FILTER_NAMES)
    now = ctx.clock.now(account.id)
    result = await ctx.query(charges.page_of(
        account.id, customer_id=reference(ctx.ids.customer, asked.query, "customer_id"), filters=asked.query,
        per_page=asked.per_page, number=asked.number, now=now,
    ))
    data = [render.charge(x, ctx.ids, now, extra=asked.extra) for x in result.items]
    return json_response(render.page(data, result, request.url, render.CHARGE_INCLUDES), 200)


@operation(
    "captureCharge", "Capture an authorized charge, in full or in part", tag="Charges",
    body=Body("CaptureInput", money.CAPTURE_RULES, "`amount` (default: what was authorized; required with "
              "`tip_amount`)", extra=(("amount", *positive_cents(8)),),
              constraints=(("anyOf", [not_given("tip_amount"), given("amount")]),),
              descriptions=money.CAPTURE_DESCRIPTIONS, examples=money.CAPTURE_EXAMPLES, example={"amount": 1500}),
    ok=Ok(200, "The captured charge", "ChargeEnvelope"),
    errors=(*BODY_ERRORS, 404, 409),
)
async def capture(request: Request) -> Response:
    cutoff = ctx_of(request).settings.settlement_cutoff_minutes
    return await _change(request, money.capture, 200, cutoff_minutes=cutoff)


@operation(
    "voidCharge", "Void a charge that has not settled", tag="Charges",
    body=Body("VoidInput", money.VOID_RULES, "Why the charge is voided", required=True,
              extra=_free_text(money.VOID_RULES, money.FREE_TEXT),
              descriptions=money.VOID_DESCRIPTIONS, examples=money.VOID_EXAMPLES),
    ok=Ok(201, "The voided charge", "ChargeEnvelope"),
    errors=(*BODY_ERRORS, 404, 409),
)
async def void(request: Request) -> Response:
    return await _change(request, money.void, 201)


@operation(
    "refundCharge", "Refund a settled charge (before settlement: void it whole)", tag="Charges",
    description="No `amount`, or no body at all, refunds what remains. A charge that has not settled is voided "
                "whole, whatever the amount, as PayArc's sandbox does.",
    body=Body("RefundInput", money.REFUND_RULES, "What to refund, and why",
              extra=_free_text(money.REFUND_RULES, money.FREE_TEXT),
              descriptions=money.REFUND_DESCRIPTIONS, examples=money.REFUND_EXAMPLES,
              example={"amount": 500, "reason": "requested_by_customer"}),
    ok=Ok(201, "The charge, with the new refund in `refund.data`", "ChargeEnvelope"),
    errors=(*BODY_ERRORS, 404, 409),
)
async def refund(request: Request) -> Response:
    # No body at all (the Python SDK's ``create_refund(id)``) refunds what remains.
    return await _change(request, money.refund, 201)


async def _change(request: Request, change: Callable[..., Steps[charges.Charge]], status: int,
                  **options: object) -> Response:
    """Capture, void or refund: parse, one change of money in a write transaction, render."""
    ctx = ctx_of(request)
    account = await account_of(request)
    key = key_of(ctx.ids.charge, request.path_params["charge_id"])
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    now = ctx.clock.now(account.id)
    changed = await ctx.transaction(change(account.id, key, body, now=now, **options))
    return json_response(_one(render.charge(changed, ctx.ids, now)), status)


routes = [
    resource("/v1/charges", post=create, get=list_),
    resource("/v1/charges/{charge_id}", get=retrieve),
    resource("/v1/charges/{charge_id}/capture", post=capture),
    resource("/v1/charges/{charge_id}/void", post=void),
    resource("/v1/charges/{charge_id}/refunds", post=refund),
]

#: The charge calls clients make most, answered by ``api.front.Shortcut`` without Starlette's router.
shortcut: dict[str, Any] = {
    "path": "/v1/charges",
    "param": "charge_id",
    "collection": {"POST": create, "GET": list_},
    "item": {"GET": retrieve},
}
