"""One routes module per resource; each exposes ``routes``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Handler = Callable[[Request], Awaitable[Response]]


def resource(path: str, **handlers: Handler) -> Route:
    """One route per path, dispatching on the method, so a 405 lists every allowed method."""
    table = {method.upper(): handler for method, handler in handlers.items()}
    if "GET" in table:
        table["HEAD"] = table["GET"]

    async def endpoint(request: Request) -> Response:
        return await table[request.method](request)

    return Route(path, endpoint, methods=list(table))
