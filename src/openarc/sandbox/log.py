"""The sandbox request log: the last requests and responses, redacted, per merchant.

It answers "what did my code actually send?" in tests.  It lives in the memory of
one process (the sandbox runs one worker), holds at most ``size`` entries per merchant, and
never holds a card number, CVV, bank account number or API key: every body,
header and query string goes through ``openarc.redact`` before it is kept.

This is not the operator's access log (``api/middleware.py``); it exists only
with ``--sandbox``.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from openarc import redact
from openarc.api.auth import account_for, key_of
from openarc.api.middleware import logged_path
from openarc.errors import Unauthenticated

#: Entries kept per merchant.
DEFAULT_SIZE = 500
#: Bodies larger than this are logged as their size only.
BODY_LIMIT = 256 * 1024
#: Only the API is logged: not the sandbox's own controls, the docs or the dashboard.
LOGGED_PREFIX = "/v1/"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)


class RequestLog:
    """Bounded, in-memory lists of redacted exchanges, one per merchant.

    Each merchant's list holds its last ``size`` requests, so one merchant's traffic never
    pushes another's out.  Requests that no valid key vouched for are not kept: anyone can
    send them, they could carry another merchant's mistyped key and its customers'
    details, and no merchant can be shown them.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._merchants: dict[int, deque[dict[str, object]]] = {}
        self._ids = itertools.count(1)

    def add(self, account_id: int | None, data: dict[str, object]) -> None:
        if account_id is None:
            return
        entries = self._merchants.get(account_id)
        if entries is None:
            entries = self._merchants[account_id] = deque(maxlen=self._size)
        entries.append({"id": next(self._ids), **data})

    def visible_to(self, account_id: int, limit: int) -> list[dict[str, object]]:
        """The merchant's own requests, newest first."""
        entries = self._merchants.get(account_id, ())
        return list(itertools.islice(reversed(entries), limit))

    def clear(self, account_id: int) -> int:
        """Forget the merchant's entries; returns how many went."""
        return len(self._merchants.pop(account_id, ()))


# ---------------------------------------------------------------------------- redaction of one exchange


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return redact.headers(merged)


def _body(content_type: str, raw: bytes, size: int) -> object:
    """The body as JSON, a form (as an object) or text, redacted; None when empty."""
    if size > BODY_LIMIT:
        return f"[{size} bytes, not logged]"
    if not raw.strip():
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json" or mime.endswith("+json") or (not mime and raw.lstrip()[:1] in (b"{", b"[")):
        try:
            return redact.body(orjson.loads(raw))
        except orjson.JSONDecodeError:
            return _unread(len(raw), mime or "JSON")
    text = raw.decode("utf-8", "replace")
    if mime == "application/x-www-form-urlencoded" or (not mime and "=" in text):
        form = dict(parse_qsl(text, keep_blank_values=True))
        if any(name.lstrip()[:1] in ("{", "[") for name in form):
            # A JSON body sent as a form: one field name holding all of it, which redaction
            # by field name cannot see into.
            return _unread(len(raw), "JSON sent as a form")
        return redact.body(form)
    # Free text has no field names to redact by: a CVV in it would be kept.
    return _unread(len(raw), mime or "text")


def _unread(size: int, kind: str) -> str:
    return f"[{size} bytes of {kind}, not logged: it could not be read field by field]"


class _Capture:
    """What one request sent and what it got back, up to ``BODY_LIMIT`` bytes each way."""

    def __init__(self) -> None:
        self.request = bytearray()
        self.request_size = 0
        self.status = 0
        self.response_headers: list[tuple[bytes, bytes]] = []
        self.response = bytearray()
        self.response_size = 0

    @staticmethod
    def _keep(buffer: bytearray, chunk: bytes) -> None:
        if len(buffer) <= BODY_LIMIT:
            buffer.extend(chunk[: BODY_LIMIT + 1 - len(buffer)])


# ---------------------------------------------------------------------------- the middleware


class RequestLogMiddleware:
    """Pure ASGI, so bodies are seen exactly as sent, whether or not the route reads them."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LOGGED_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        capture = _Capture()
        request_headers = list(scope.get("headers", []))
        account_id = await self._account(scope)
        if account_id is None:  # kept for nobody (see RequestLog)
            await self.app(scope, receive, send)
            return

        # Read the request body first (the route may refuse before reading it), then replay it.
        buffered: list[Message] = []
        failed: Exception | None = None
        while True:
            try:
                message = await receive()
            except Exception as exc:  # noqa: BLE001 - a body too slow, a client gone: the route reads it and answers
                failed = exc
                break
            buffered.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            capture.request_size += len(chunk)
            _Capture._keep(capture.request, chunk)
            if not message.get("more_body", False) or capture.request_size > BODY_LIMIT:
                break

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            if failed is not None:
                raise failed
            return await receive()

        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            try:
                self.log.add(account_id, self._entry(scope, account_id, request_headers, capture, started))
            except Exception:
                log.warning("a request could not be added to the sandbox request log", exc_info=True)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                capture.status = message["status"]
                capture.response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                capture.response_size += len(chunk)
                _Capture._keep(capture.response, chunk)
                if not message.get("more_body", False):
                    # Recorded before the last byte leaves, so a client reading the log
                    # right after its response always finds the exchange there.
                    record()
            await send(message)

        try:
            await self.app(scope, replay, watch)
        except BaseException:
            capture.status = capture.status or 500
            record()
            raise
        record()

    @staticmethod
    async def _account(scope: Scope) -> int | None:
        """The merchant whose key made the request (the process's key cache remembers keys,
        and forgets revoked ones), or None."""
        key = key_of(scope)
        if key is None:
            return None
        try:
            return (await account_for(scope["app"].state.ctx, key)).id
        except Unauthenticated:
            return None

    @staticmethod
    def _entry(scope: Scope, account_id: int, headers: list[tuple[bytes, bytes]], capture: _Capture,
               started: float) -> dict[str, object]:
        request_headers = _headers(headers)
        response_headers = _headers(capture.response_headers)
        query = scope.get("query_string", b"").decode("latin-1")
        return {
            "at": scope["app"].state.ctx.clock.now(account_id),
            "method": scope["method"],
            "path": logged_path(scope["path"]),
            "query": redact.body(dict(parse_qsl(query, keep_blank_values=True))),
            "request": {
                "headers": request_headers,
                "body": _body(request_headers.get("content-type", ""), bytes(capture.request), capture.request_size),
            },
            "response": {
                "status": capture.status,
                "headers": response_headers,
                "body": _body(response_headers.get("content-type", ""), bytes(capture.response), capture.response_size),
            },
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
