"""``/v1/customers/{id}/cards/{card_id}``: detach and delete a customer's card."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openarc.api.auth import account_of
from openarc.api.routes import ID_ERRORS, Ok, ctx_of, key_of, operation, resource
from openarc.services import cards


@operation(
    "deleteCustomerCard", "Detach and delete a customer's card", tag="Cards",
    description="Deleting the default card makes the newest remaining card the default.",
    ok=Ok(204, "Deleted; empty body"),
    errors=ID_ERRORS,
)
async def delete(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    customer = key_of(ctx.ids.customer, request.path_params["customer_id"])
    card = key_of(ctx.ids.card, request.path_params["card_id"])
    await ctx.call(cards.delete, ctx.db, account.id, customer, card, now=ctx.clock.now(account.id))
    return Response(status_code=204)


routes = [resource("/v1/customers/{customer_id}/cards/{card_id}", delete=delete)]
