"""One routes module per resource; each exposes ``routes``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openarc.context import AppContext
from openarc.errors import BadRequest, NotFound
from openarc.ids import IdCodec, looks_numeric

Handler = Callable[[Request], Awaitable[Response]]


def resource(path: str, **handlers: Handler) -> Route:
    """One route per path, dispatching on the method, so a 405 lists every allowed method."""
    table = {method.upper(): handler for method, handler in handlers.items()}
    if "GET" in table:
        table["HEAD"] = table["GET"]

    async def endpoint(request: Request) -> Response:
        return await table[request.method](request)

    return Route(path, endpoint, methods=list(table))


def ctx_of(request: Request) -> AppContext:
    return request.app.state.ctx


def key_of(codec: IdCodec, public_id: str) -> int:
    """The key behind an id in a URL: 400 for a bare number (as Apiato), 404 for anything else unknown."""
    key = codec.decode(public_id)
    if key is None:
        if looks_numeric(public_id):
            raise BadRequest("Only Hashed ID's allowed.")
        raise NotFound()
    return key


def reference(codec: IdCodec, body: dict[str, object], field: str) -> int | None:
    """The key behind an id given in a body field: None when absent or empty, 0 when unknown.

    The service decides what an unknown reference means, so its message is the same
    whether the id never decoded or belongs to nobody here.
    """
    raw = body.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        return 0
    return codec.decode(raw.strip()) or 0
