"""``/v1/achcharges``: debits and credits of bank accounts.  Parse, one service call, render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.openapi import PAGING, cents, cents_text, given, id_example, include, not_given
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
from openarc.context import AppContext
from openarc.services import ach_charges, bank_accounts, charges
from openarc.services.accounts import Account

# The inline account's fields are optional here (which account is given decides); the ACH
# charge's own win where both name one (sec_code).
_FIELDS = {**{name: replace(rule, required=False) for name, rule in bank_accounts.RULES.items()}, **ach_charges.RULES}
_INLINE = ("account_number", "routing_number", "first_name", "last_name", "account_type")
_AMOUNT: tuple[str, dict[str, object], dict[str, object]] = (
    "amount", cents(charges.MIN_AMOUNT, 8),
    cents_text(charges.MIN_AMOUNT, 8))
#: Which account: a saved one, the customer's, or one given inline (all its fields).
_ONE_ACCOUNT = (("anyOf", [
    given("bank_account_id"),
    {"allOf": [given("customer_id"), not_given(*_INLINE)]},
    given(*_INLINE),
]),)
_ACCOUNT = ("The account: `bank_account_id`, `customer_id` (its bank account), or the account's fields inline "
            "(saved, masked).")


def _one(data: dict[str, object]) -> dict[str, object]:
    return render.one(data, available=render.ACH_INCLUDES)


def _digest(ctx: AppContext, body: Mapping[str, object]) -> str:
    return ach_charges.digest(ctx.secrets.derive("ach-replay"), body)


@operation(
    "createAchCharge", "Debit or credit a bank account", tag="ACH charges",
    body=Body("AchChargeInput", _FIELDS, _ACCOUNT, refs=("bank_account_id", "customer_id"), extra=(_AMOUNT,),
              constraints=_ONE_ACCOUNT, required=True,
              descriptions={**bank_accounts.DESCRIPTIONS, **ach_charges.DESCRIPTIONS},
              examples={**bank_accounts.EXAMPLES, **ach_charges.EXAMPLES},
              example={**{name: ach_charges.EXAMPLES[name] for name in ("amount", "type", "sec_code")},
                       **{name: bank_accounts.EXAMPLES[name] for name in _INLINE}}),
    ok=Ok(201, "The new ACH charge", "ACHChargeEnvelope"),
    errors=(*BODY_ERRORS, 404, 409),  # 409: the customer has no bank account
)
async def create(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    values, source = ach_charges.clean(
        body,
        bank_account_id=reference(ctx.ids.bank_account, body, "bank_account_id"),
        customer_id=reference(ctx.ids.customer, body, "customer_id"),
    )
    now = ctx.clock.now(account.id)
    created = await ctx.transaction(ach_charges.create(
        account.id, values, source, created_by=account.name, request_digest=_digest(ctx, body), now=now,
        cutoff_minutes=ctx.settings.settlement_cutoff_minutes))
    return json_response(_one(render.ach_charge(created, ctx.ids, now, created=True)), 201)


async def replay(ctx: AppContext, account: Account, body: Mapping[str, object]) -> Response:
    """``POST /v1/charges`` with an ACH body (services.ach_charges.replayed says why)."""
    now = ctx.clock.now(account.id)
    made = await ctx.query(ach_charges.replayed(account.id, _digest(ctx, body), now=now))
    return json_response(_one(render.ach_charge(made, ctx.ids, now, created=True)), 201)


@operation(
    "retrieveAchCharge", "Retrieve an ACH charge", tag="ACH charges",
    parameters=[include(render.ACH_INCLUDES_ACCEPTED)],
    ok=Ok(200, "The ACH charge", "ACHChargeEnvelope"),
    errors=ID_ERRORS,
)
async def retrieve(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    extra = render.includes(request.query_params.get("include"), render.ACH_INCLUDES_ACCEPTED)
    key = key_of(ctx.ids.ach_charge, request.path_params["ach_charge_id"])
    found = await ctx.query(ach_charges.found(account.id, key))
    return json_response(_one(render.ach_charge(found, ctx.ids, ctx.clock.now(account.id), extra=extra)), 200)


@operation(
    "listAchCharges", "List ACH charges, newest first", tag="ACH charges",
    parameters=[*PAGING,
                {"name": "customer_id", "in": "query", "schema": {"type": "string"},
                 "description": "OpenArc extension: only this customer's ACH charges",
                 "example": id_example("customer_id")},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["", *ach_charges.STATUSES]},
                 "description": "OpenArc extension: the status now", "example": "settled"},
                include(render.ACH_INCLUDES_ACCEPTED)],
    ok=Ok(200, "A page of ACH charges", "ACHChargePage"),
    errors=BODY_ERRORS,
)
async def list_(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    asked = await list_request(request, render.ACH_INCLUDES_ACCEPTED, ("customer_id", "status"))
    now = ctx.clock.now(account.id)
    result = await ctx.query(ach_charges.page_of(
        account.id, customer_id=reference(ctx.ids.customer, asked.query, "customer_id"), filters=asked.query,
        per_page=asked.per_page, number=asked.number, now=now,
    ))
    data = [render.ach_charge(x, ctx.ids, now, extra=asked.extra) for x in result.items]
    return json_response(render.page(data, result, request.url, render.ACH_INCLUDES), 200)


routes = [
    resource("/v1/achcharges", post=create, get=list_),
    resource("/v1/achcharges/{ach_charge_id}", get=retrieve),
]
