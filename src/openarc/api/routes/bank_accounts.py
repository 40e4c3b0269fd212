"""``/v1/bankaccounts``: create (optionally for a customer) and delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.routes import BODY_ERRORS, ID_ERRORS, Body, Ok, ctx_of, key_of, operation, reference, resource
from openarc.services import bank_accounts


@operation(
    "createBankAccount", "Create a bank account, bound to a customer when customer_id is given",
    tag="Bank accounts", description="The example is the bank account of PayArc's SDK sample.",
    body=Body("BankAccountInput", bank_accounts.RULES, "A US bank account.", refs=("customer_id",), required=True,
              descriptions=bank_accounts.DESCRIPTIONS, examples=bank_accounts.EXAMPLES,
              example={name: bank_accounts.EXAMPLES[name] for name in (
                  "account_number", "routing_number", "first_name", "last_name", "account_type", "sec_code")}),
    ok=Ok(201, "The bank account", "BankAccountEnvelope"),
    errors=(*BODY_ERRORS, 404),  # 404: no such customer_id
)
async def create(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    created = await ctx.call(
        bank_accounts.create, ctx.db, account.id, body,
        customer_id=reference(ctx.ids.customer, body, "customer_id"), now=ctx.clock.now(account.id),
    )
    return json_response(render.one(render.bank_account(created, ctx.ids), available=()), 201)


@operation("deleteBankAccount", "Delete a bank account", tag="Bank accounts", ok=Ok(204, "Deleted; empty body"),
           errors=ID_ERRORS)
async def delete(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    key = key_of(ctx.ids.bank_account, request.path_params["bank_account_id"])
    await ctx.call(bank_accounts.delete, ctx.db, account.id, key)
    return Response(status_code=204)


routes = [
    resource("/v1/bankaccounts", post=create),
    resource("/v1/bankaccounts/{bank_account_id}", delete=delete),
]
