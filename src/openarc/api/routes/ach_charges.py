"""``/v1/achcharges``: debits and credits of bank accounts.  Parse, one service call, render."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.routes import ctx_of, key_of, reference, resource
from openarc.context import AppContext
from openarc.errors import Invalid
from openarc.services import ach_charges, paging
from openarc.services.accounts import Account


def _one(data: dict[str, object]) -> dict[str, object]:
    return render.one(data, available=render.ACH_INCLUDES)


def _digest(ctx: AppContext, body: Mapping[str, object]) -> str:
    return ach_charges.digest(ctx.secrets.derive("ach-replay"), body)


async def create(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    values, source = ach_charges.clean(
        body,
        bank_account_id=reference(ctx.ids.bank_account, body, "bank_account_id"),
        customer_id=reference(ctx.ids.customer, body, "customer_id"),
    )
    now = ctx.clock.now()
    created = await ctx.write(ach_charges.create, account.id, values, source, created_by=account.name,
                              request_digest=_digest(ctx, body), now=now,
                              cutoff_minutes=ctx.settings.settlement_cutoff_minutes)
    return json_response(_one(render.ach_charge(created, ctx.ids, now, created=True)), 201)


async def replay(ctx: AppContext, account: Account, body: Mapping[str, object]) -> Response:
    """``POST /v1/charges`` with an ACH body: the Python SDK (1.7.9) posts every ACH charge to
    /v1/achcharges and then the same body to /v1/charges, and returns the second answer.
    That second request is answered with the ACH charge the first one made, moments ago,
    so the SDK returns it and nobody is debited twice.  Any other ACH body here is refused."""
    now = ctx.clock.now()
    made = await ctx.query(ach_charges.replayed(account.id, _digest(ctx, body), now=now))
    if made is None:
        raise Invalid.one("sec_code", "ACH charges are made with POST /v1/achcharges.")
    return json_response(_one(render.ach_charge(made, ctx.ids, now, created=True)), 201)


async def retrieve(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    extra = render.includes(request.query_params.get("include"), render.ACH_INCLUDES_ACCEPTED)
    key = key_of(ctx.ids.ach_charge, request.path_params["ach_charge_id"])
    found = await ctx.query(ach_charges.found(account.id, key))
    return json_response(_one(render.ach_charge(found, ctx.ids, ctx.clock.now(), extra=extra)), 200)


async def list_(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    query = {**request.query_params, **await bodies.form_or_json(request, ctx.settings.max_body_bytes)}
    extra = render.includes(query.get("include"), render.ACH_INCLUDES_ACCEPTED)
    per_page, number = paging.window(query.get("limit"), query.get("page"),
                                     default_limit=ctx.settings.default_page_size,
                                     max_limit=ctx.settings.max_page_size)
    now = ctx.clock.now()
    result = await ctx.query(ach_charges.page_of(
        account.id, customer_id=reference(ctx.ids.customer, query, "customer_id"), filters=query,
        per_page=per_page, number=number, now=now,
    ))
    data = [render.ach_charge(a, ctx.ids, now, extra=extra) for a in result.items]
    return json_response(render.page(data, result, request.url, render.ACH_INCLUDES), 200)


routes = [
    resource("/v1/achcharges", post=create, get=list_),
    resource("/v1/achcharges/{ach_charge_id}", get=retrieve),
]
