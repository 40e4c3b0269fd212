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
is not the client's fault; a body the server already holds costs nothing.  One watchdog
per process checks the waiting requests a few times a second (a timer per ``receive``,
``asyncio.timeout``, cost ~5 µs a request, a few percent of a create), so a body's limit
is kept to within a quarter of it (at most a second) late.
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
        self.message = f"The request body did not arrive within {seconds:g} seconds."
        self.watchdog = _Watchdog(tick=min(1.0, seconds / 4))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        left = self.seconds
        done = False  # the whole body has arrived, or the answer has started: no limit since
        watchdog = self.watchdog

        async def bounded() -> Message:
            nonlocal left, done
            if done:
                return await receive()
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            assert task is not None
            began = loop.time()
            watchdog.watch(loop, task, began + left)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if not watchdog.expired(task):
                    raise
                task.uncancel()
                done = True
                raise errors.RequestTimeout(self.message) from None
            finally:
                watchdog.forget(task)
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
            # A reader that does not map OpenArc's errors let it through (see above).
            log.info("%s %s: %s", scope["method"], scope["path"], exc.message)
            if not started:
                await from_error(exc)(scope, receive, send)


class _Watchdog:
    """The tasks waiting for a body, each with its deadline; every ``tick`` seconds while any
    waits, those past their deadline are cancelled (and remembered as cancelled here)."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.waiting: dict[asyncio.Task[object], float] = {}
        self._cancelled: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watch(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[object], deadline: float) -> None:
        self.waiting[task] = deadline
        if self._timer is None or self._loop is not loop:  # (tests run each client on a loop of its own)
            self._loop = loop
            self._timer = loop.call_later(self.tick, self._check, loop)

    def expired(self, task: asyncio.Task[object]) -> bool:
        """Whether ``task`` was cancelled here."""
        return task in self._cancelled

    def forget(self, task: asyncio.Task[object]) -> None:
        self.waiting.pop(task, None)
        self._cancelled.discard(task)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            return  # a timer of a loop no longer in use
        now = loop.time()
        for task in [task for task, deadline in self.waiting.items() if deadline <= now]:
            del self.waiting[task]
            self._cancelled.add(task)
            task.cancel()
        self._timer = loop.call_later(self.tick, self._check, loop) if self.waiting else None
