"""``Idempotency-Key`` on ``POST`` and ``PATCH`` under ``/v1``, as ASGI middleware.

A request carrying the header is authenticated here (the key is scoped to the
merchant), its body read once (and bounded like any body), and its key claimed in the
database before the route runs: see ``services.idempotency`` for the rules.  The
route's response is stored *before* it is sent, so a client that retries the moment
it has an answer gets the replay, never a 409.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openarc import errors
from openarc.api import bodies
from openarc.api.auth import account_for, bearer
from openarc.api.errors import from_error
from openarc.context import AppContext
from openarc.services import idempotency as service

METHODS = frozenset({"POST", "PATCH"})
#: An "in progress" claim older than this belongs to a process that died: it is taken over.
STALE_AFTER_SECONDS = 60
#: Expired keys are purged at most this often per process.
PURGE_EVERY_SECONDS = 3600
#: Answers worth replaying: the request was understood and decided.  401/405/429 and 5xx
#: say nothing about the request itself, so their claim is released and a retry runs again.
NOT_REPLAYED = frozenset({401, 403, 405, 429})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._next_purge = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        raw_key = headers.get(service.HEADER)
        if raw_key is None:
            return await self.app(scope, receive, send)
        ctx: AppContext = scope["app"].state.ctx
        try:
            await self._run(ctx, scope, receive, send, headers, raw_key)
        except errors.Unauthenticated:
            # The route answers 401 exactly as it would without the header.
            await self.app(scope, receive, send)
        except errors.OpenArcError as exc:
            await from_error(exc)(scope, receive, send)

    async def _run(self, ctx: AppContext, scope: Scope, receive: Receive, send: Send,
                   headers: Headers, raw_key: str) -> None:
        token = bearer(headers.get("authorization"))
        if token is None:
            raise errors.Unauthenticated()
        account = await account_for(ctx, token)
        # Keys age by the process's clock, never by a merchant's sandbox clock: a purge removes
        # every merchant's expired keys, and one merchant moving its clock must not expire
        # another's (whose retries would then charge twice).
        now = ctx.clock.now()
        key = service.validate_key(raw_key)
        body = await bodies.collect(_chunks(receive), ctx.settings.max_body_bytes)
        path = scope["path"]  # the query string goes into the hash only (it may carry anything)
        digest = service.request_hash(ctx.secrets.derive("idempotency"), body, headers.get("content-type", ""),
                                      scope.get("query_string", b""))
        ttl = ctx.settings.idempotency_ttl_seconds
        await self._maybe_purge(ctx, now, ttl)
        outcome = await ctx.call(
            service.claim, ctx.db, account.id, key, method=scope["method"], path=path, digest=digest,
            now=now, ttl=ttl, stale_after=STALE_AFTER_SECONDS,
        )
        if isinstance(outcome, service.Replay):
            return await _send_replay(send, outcome)

        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, _replaying(body, receive), capture)
        except BaseException:
            await ctx.call(service.release, ctx.db, outcome)
            raise
        if start is None:
            await ctx.call(service.release, ctx.db, outcome)
            return
        content = b"".join(chunks)
        status = start["status"]
        if status >= 500 or status in NOT_REPLAYED:
            await ctx.call(service.release, ctx.db, outcome)
        else:
            await ctx.call(service.complete, ctx.db, outcome, status, content, now=ctx.clock.now())
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})

    async def _maybe_purge(self, ctx: AppContext, now: int, ttl: int) -> None:
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY_SECONDS
            await ctx.call(service.purge, ctx.db, now=now, ttl=ttl)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body's chunks straight from ASGI (no Request object exists yet)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise errors.BadRequest("The client went away before sending the whole body.")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the route the body already read, then waits as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_replay(send: Send, replay: service.Replay) -> None:
    headers = [(b"idempotent-replayed", b"true"), (b"content-length", str(len(replay.body)).encode())]
    if replay.body:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": replay.status, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body, "more_body": False})
