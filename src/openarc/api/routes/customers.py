"""``/v1/customers``: parse, one service call, render."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.openapi import PAGING, exact_match, include
from openarc.api.routes import (
    BODY_ERRORS,
    ID_ERRORS,
    Body,
    Ok,
    ctx_of,
    key_of,
    list_parameters,
    operation,
    reference,
    resource,
)
from openarc.context import AppContext
from openarc.services import customer_search, customers


def customer_key(ctx: AppContext, request: Request) -> int:
    return key_of(ctx.ids.customer, request.path_params["customer_id"])


_FIELDS = "Every field optional; unknown keys are ignored."


@operation(
    "createCustomer", "Create a customer", tag="Customers",
    description="The example is the customer of PayArc's Create Customer guide.",
    body=Body("CustomerCreateInput", customers.RULES, _FIELDS, descriptions=customers.DESCRIPTIONS,
              examples=customers.EXAMPLES),
    ok=Ok(201, "The new customer", "CustomerEnvelope"),
    errors=BODY_ERRORS,
)
async def create(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    values = customers.clean(await bodies.form_or_json(request, ctx.settings.max_body_bytes))
    now = ctx.clock.now(account.id)
    # One statement on PostgreSQL: no BEGIN/COMMIT round trips (customers.create says how).
    created = await ctx.transaction(customers.create(account.id, values, now=now, ordinals=ctx.ordinals),
                                    atomic=False)
    return json_response(render.one(render.customer(created, ctx.ids, now)), 201)


@operation(
    "retrieveCustomer", "Retrieve a customer", tag="Customers",
    parameters=[include(render.CUSTOMER_INCLUDES)],
    ok=Ok(200, "The customer", "CustomerEnvelope"),
    errors=ID_ERRORS,
)
async def retrieve(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    extra = render.includes(request.query_params.get("include")) if request.scope["query_string"] else ()
    key = customer_key(ctx, request)
    found = await ctx.query(customers.found(account.id, key))
    return json_response(render.one(render.customer(found, ctx.ids, ctx.clock.now(account.id), extra)), 200)


_SEARCH: dict[str, object] = {
    # Any length: only the first 100 characters are looked at (customer_search.MAX_QUERY), none refused.
    "name": "q", "in": "query", "schema": {"type": "string"},
    "description": "OpenArc extension: finds customers by the start of any word of their name, the start of their "
                   "email, their phone digits however written (`555-000-0042`, `+1 555 000 0042`) or their id (with "
                   "or without `cus_`), ignoring case; best matches first, at most 1,000. Only the first 100 "
                   "characters are looked at.",
    "example": "john",
}


@operation(
    "listCustomers", "List customers, newest first", tag="Customers",
    description="The query's parameters may also come as a JSON or form body, which wins (as Laravel reads input).",
    parameters=[*PAGING, *exact_match(customers.FILTERS, customers.EXAMPLES), _SEARCH, include(render.CUSTOMER_INCLUDES)],
    ok=Ok(200, "A page of customers", "CustomerPage"),
    errors=BODY_ERRORS,  # it reads a body too
)
async def list_(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    # Laravel reads input from the query and the body alike, and one Go client sends
    # page/limit as a JSON body on this GET; the body wins, as in Laravel.
    query = await list_parameters(request, (*customers.FILTERS, "q"))
    extra = render.includes(query.get("include"))
    given = query.get("q")
    q = str(given).strip() if given is not None else ""
    result = await ctx.query(customers.page_of(
        account.id,
        filters=query,
        limit=query.get("limit"),
        page=query.get("page"),
        default_limit=ctx.settings.default_page_size,
        max_limit=ctx.settings.max_page_size,
        q=q or None,
        named=customer_search.named_key(ctx.ids.customer, q) if q else None,
    ))
    now = ctx.clock.now(account.id)
    data = [render.customer(c, ctx.ids, now, extra) for c in result.items]
    return json_response(render.page(data, result, request.url), 200)


@operation(
    "updateCustomer", "Update a customer (an empty string clears a field)", tag="Customers",
    description="Only the fields given change. `token_id` attaches a token's card to the customer; "
                "`default_card_id` makes one of its cards the default.",
    body=Body("CustomerInput", customers.RULES, _FIELDS, refs=("token_id", "default_card_id"),
              descriptions=customers.DESCRIPTIONS, examples=customers.EXAMPLES,
              example={"description": "Donut shop customer", "phone": "541754301"}),
    ok=Ok(200, "The updated customer", "CustomerEnvelope"),
    errors=(*BODY_ERRORS, 404, 409),  # 409: the token or default card refused
)
async def update(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    key = customer_key(ctx, request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    now = ctx.clock.now(account.id)
    updated = await ctx.call(
        customers.update, ctx.db, account.id, key, body, now=now,
        token_id=reference(ctx.ids.token, body, "token_id"),
        default_card_id=reference(ctx.ids.card, body, "default_card_id"),
    )
    return json_response(render.one(render.customer(updated, ctx.ids, now)), 200)


@operation(
    "deleteCustomer", "Delete a customer, its cards and its bank accounts", tag="Customers",
    description="Its charges stay, no longer linked to a customer.",
    ok=Ok(204, "Deleted; empty body"),
    errors=ID_ERRORS,
)
async def delete(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    key = customer_key(ctx, request)
    await ctx.call(customers.delete, ctx.db, account.id, key)
    return Response(status_code=204)


routes = [
    resource("/v1/customers", post=create, get=list_),
    resource("/v1/customers/{customer_id}", get=retrieve, patch=update, delete=delete),
]

#: The calls clients make most, answered by ``api.front.Shortcut`` without Starlette's router.
shortcut: dict[str, Any] = {
    "path": "/v1/customers",
    "param": "customer_id",
    "collection": {"POST": create, "GET": list_},
    "item": {"GET": retrieve},
}
