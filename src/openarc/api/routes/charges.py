"""``/v1/charges``: card charges, and their capture, void and refunds.  Parse, one service call, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.routes import ach_charges as ach
from openarc.api.routes import ctx_of, key_of, reference, resource
from openarc.services import ach_charges, charges, money, paging


def _one(data: dict[str, object]) -> dict[str, object]:
    return render.one(data, available=render.CHARGE_INCLUDES)


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
    now = ctx.clock.now()
    created = await ctx.write(
        charges.create, account.id, values, source, created_by=account.name,
        fingerprint_key=ctx.secrets.derive("card-fingerprints"), now=now, today=ctx.clock.year_month(),
        cutoff_minutes=ctx.settings.settlement_cutoff_minutes,
    )
    data = render.charge(created, ctx.ids, now, created=True)
    charges.refuse_if_declined(created, str(data["id"]))
    return json_response(_one(data), 201)


async def retrieve(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    extra = render.includes(request.query_params.get("include"), render.CHARGE_INCLUDES_ACCEPTED)
    key = key_of(ctx.ids.charge, request.path_params["charge_id"])
    found = await ctx.query(charges.found(account.id, key))
    return json_response(_one(render.charge(found, ctx.ids, ctx.clock.now(), extra=extra)), 200)


async def list_(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    query = {**request.query_params, **await bodies.form_or_json(request, ctx.settings.max_body_bytes)}
    extra = render.includes(query.get("include"), render.CHARGE_INCLUDES_ACCEPTED)
    per_page, number = paging.window(query.get("limit"), query.get("page"),
                                     default_limit=ctx.settings.default_page_size,
                                     max_limit=ctx.settings.max_page_size)
    now = ctx.clock.now()
    result = await ctx.query(charges.page_of(
        account.id, customer_id=reference(ctx.ids.customer, query, "customer_id"), filters=query,
        per_page=per_page, number=number, now=now,
    ))
    data = [render.charge(c, ctx.ids, now, extra=extra) for c in result.items]
    return json_response(render.page(data, result, request.url, render.CHARGE_INCLUDES), 200)


async def capture(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    key = key_of(ctx.ids.charge, request.path_params["charge_id"])
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    now = ctx.clock.now()
    captured = await ctx.write(money.capture, account.id, key, body, now=now,
                               cutoff_minutes=ctx.settings.settlement_cutoff_minutes)
    return json_response(_one(render.charge(captured, ctx.ids, now)), 200)


async def void(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    key = key_of(ctx.ids.charge, request.path_params["charge_id"])
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    now = ctx.clock.now()
    voided = await ctx.write(money.void, account.id, key, body, now=now)
    return json_response(_one(render.charge(voided, ctx.ids, now)), 201)


async def refund(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    key = key_of(ctx.ids.charge, request.path_params["charge_id"])
    # No body at all (the Python SDK's ``create_refund(id)``) refunds what remains.
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    now = ctx.clock.now()
    refunded = await ctx.write(money.refund, account.id, key, body, now=now)
    return json_response(_one(render.charge(refunded, ctx.ids, now)), 201)


routes = [
    resource("/v1/charges", post=create, get=list_),
    resource("/v1/charges/{charge_id}", get=retrieve),
    resource("/v1/charges/{charge_id}/capture", post=capture),
    resource("/v1/charges/{charge_id}/void", post=void),
    resource("/v1/charges/{charge_id}/refunds", post=refund),
]
