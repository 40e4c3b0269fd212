"""A time limit on each request's body, as ASGI middleware (granian bounds the rest).

granian 2.8, serving HTTP/1.1 only (``cli.serve``), closes a connection that has not sent
a whole request head within ``OPENARC_HEADER_TIMEOUT_SECONDS``: a new connection that
sends nothing, slow headers, a kept-alive connection idle between requests.  It has no
limit on the body (emmett-framework/granian#728, closed as "wontfix"): a client that
declares a ``Content-Length`` and then sends a byte a second, or nothing, keeps the
connection, the request's task and the bytes so far for as long as it likes.

``BodyTimeoutMiddleware`` wraps ``receive``: while the body is incomplete and no answer
has started, the time spent waiting for it adds up, and past ``seconds`` the waiting
``receive`` raises ``errors.RequestTimeout``.  Whoever was reading (a route through
``api.bodies``, the idempotency layer, Starlette) maps it like any error, to a 408 in
PayArc's shape with ``Connection: close``; granian then closes the connection, as it does
after any answer to a request whose body was not read to its end.  A reader outside that
mapping (the sandbox's request log reads every ``/v1`` body first) lets it through to
here, and the 408 is sent from here.

Only time spent waiting counts, so a route that works a while before it reads the body
is not the client's fault; a body the server already holds costs nothing.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openarc import errors
from openarc.api.errors import from_error

log = logging.getLogger("openarc.api")


class BodyTimeoutMiddleware:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        left = self.seconds
        done = False  # the whole body has arrived, or the answer has started: no limit since

        async def bounded() -> Message:
            nonlocal left, done
            if done:
                return await receive()
            loop = asyncio.get_running_loop()
            began = loop.time()
            try:
                async with asyncio.timeout(left):
                    message = await receive()
            except TimeoutError:
                done = True
                raise errors.RequestTimeout(
                    f"The request body did not arrive within {self.seconds:g} seconds.") from None
            left -= loop.time() - began
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started, done
            if message["type"] == "http.response.start":
                started = done = True
            await send(message)

        try:
            await self.app(scope, bounded, watched)
        except errors.RequestTimeout as exc:
            log.info("%s %s: %s", scope["method"], scope["path"], exc.message)
            if not started:
                await from_error(exc)(scope, receive, send)
