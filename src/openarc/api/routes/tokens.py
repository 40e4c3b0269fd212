"""``/v1/tokens``: turn a card into a single-use token (the number goes no further)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies, render
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.routes import BODY_ERRORS, Body, Ok, ctx_of, operation, resource
from openarc.services import cards


@operation(
    "createToken", "Tokenize a card (single use; the number and CVV are never stored)", tag="Tokens",
    description="Attach the token to a customer (`PATCH /v1/customers/{customer_id}` with `token_id`) or charge "
                "it (`POST /v1/charges` with `token_id`). A card that fails the Luhn check, has expired or is one "
                "of the declining test cards is refused with a 409. The example is PayArc's SDK sample card.",
    body=Body("TokenInput", cards.TOKEN_RULES, "A card; card_number must pass the Luhn check.", required=True,
              descriptions=cards.DESCRIPTIONS, examples=cards.EXAMPLES,
              example={name: cards.EXAMPLES[name] for name in (
                  "card_source", "card_number", "exp_month", "exp_year", "cvv", "card_holder_name", "address_line1",
                  "zip")}),
    ok=Ok(201, "The token and its card", "TokenEnvelope"),
    errors=(*BODY_ERRORS, 409),
)
async def create(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    token = await ctx.call(
        cards.tokenize, ctx.db, account.id, body,
        fingerprint_key=ctx.secrets.derive("card-fingerprints"),
        now=ctx.clock.now(account.id), today=ctx.clock.year_month(account.id), ttl=ctx.settings.token_ttl_seconds,
    )
    return json_response(render.one(render.token(token, ctx.ids), available=()), 201)


routes = [resource("/v1/tokens", post=create)]
