"""The ASGI app a server runs: the layers every request passes, then a shortcut or Starlette.

    sandbox log             (``--sandbox`` only) what /_openarc/requests shows
    RequestLogMiddleware    Request-Id, the access log, the PayArc-shaped 500
    RateLimitMiddleware     per key under /v1
    IdempotencyMiddleware   Idempotency-Key on POST/PATCH under /v1
    Shortcut                the hottest routes straight to their handlers; the rest to Starlette

Starlette routes everything (the API, the dashboard, the docs, 404/405) and owns the
lifespan that builds the ``AppContext``.  Measured, its router and exception layers cost
about a quarter of a retrieve, so ``Shortcut`` sends the calls clients make most (a
resource's create, list and retrieve; one ``Shortcut`` each for customers and charges)
straight to the *same* handler functions Starlette would call, with the same error
mapping: there is one implementation of every endpoint, reached two ways.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from openarc.api.errors import from_error
from openarc.errors import OpenArcError

Handler = Callable[[Request], Awaitable[Response]]


class Shortcut:
    """``collection`` (``{method: handler}`` for an exact path) and ``item`` (for the path
    plus one segment, passed as the ``param`` path parameter) are answered here."""

    def __init__(self, app: ASGIApp, *, path: str, param: str,
                 collection: dict[str, Handler], item: dict[str, Handler]) -> None:
        self.app = app
        self.path = path
        self.prefix = path + "/"
        self.param = param
        self.collection = collection
        self.item = item

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._match(scope)
        if handler is None:
            return await self.app(scope, receive, send)
        try:
            response = await handler(Request(scope, receive))
        except OpenArcError as exc:
            response = from_error(exc)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> Handler | None:
        if scope["type"] != "http":
            return None
        path: str = scope["path"]
        if path == self.path:
            scope["path_params"] = {}
            return self.collection.get(scope["method"])
        if path.startswith(self.prefix):
            segment = path[len(self.prefix):]
            # Starlette's ``{param}`` matches one non-empty segment; anything else is its business.
            if segment and "/" not in segment:
                handler = self.item.get(scope["method"])
                if handler is not None:
                    scope["path_params"] = {self.param: segment}
                return handler
        return None


class Front:
    """The outermost app: sets ``scope["app"]`` to the Starlette app (handlers and middleware
    find the ``AppContext`` on its state) and hands lifespan events to it."""

    def __init__(self, app: Starlette, chain: ASGIApp) -> None:
        self.app = app
        self.chain = chain

    @property
    def state(self) -> State:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope["app"] = self.app
        await self.chain(scope, receive, send)
