"""Bearer-key authentication for the ``/v1`` API (never cookies)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Scope

from openarc.api.headers import header
from openarc.context import AppContext
from openarc.errors import Unauthenticated
from openarc.services.accounts import Account

PREFIX = "Bearer "
#: Where the rate limit leaves the merchant it authenticated, so the route does not look again.
SCOPE_ACCOUNT = "openarc.account"


def bearer(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header (Laravel's exact, case-sensitive prefix)."""
    if not header or not header.startswith(PREFIX):
        return None
    return header[len(PREFIX):].strip() or None


async def account_of(request: Request) -> Account:
    found: Account | None = request.scope.get(SCOPE_ACCOUNT)
    if found is not None:
        return found
    key = key_of(request.scope)
    if key is None:
        raise Unauthenticated()
    return await account_for(request.app.state.ctx, key)


def key_of(scope: Scope) -> str | None:
    """The API key a request presents, or None."""
    value = header(scope, b"authorization")
    return bearer(None if value is None else value.decode("latin-1"))


async def account_for(ctx: AppContext, key: str) -> Account:
    """The merchant of an API key, or ``Unauthenticated``: from what this process remembers
    (services.accounts.KeyCache), else looked up."""
    known = ctx.keys.known(key)
    if known is not None:
        return known
    return await ctx.query(ctx.keys.authenticate(key, now=ctx.clock.now()))
