"""ASGI middleware around every request: ``Request-Id`` and the access log, rate limits.

    RequestLogMiddleware   outermost: a ``Request-Id`` on every response (a sane incoming
                           one is echoed), one line per request on stderr (JSON, or text
                           with ``--log-format text``: logs.text_line), and the
                           PayArc-shaped 500 for anything unhandled (with its traceback
                           logged, redacted)
    RateLimitMiddleware    per merchant under ``/v1``, one budget across processes: ``X-RateLimit-Limit`` /
                           ``X-RateLimit-Remaining`` on every answer, 429 with ``Retry-After``

The access log never holds a header value, a body or a key: only the method, the path
(through ``redact.text``, which masks digit runs and keys), the query's parameter names
with values for paging only, the status, sizes and timings.
"""

from __future__ import annotations

import random
import re
import time
import traceback
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openarc import errors, redact
from openarc.api.auth import SCOPE_ACCOUNT, account_for, key_of
from openarc.api.errors import error_body, from_error, json_response
from openarc.api.headers import header
from openarc.logs import StderrLines, encoder, timestamp
from openarc.services import ratelimit
from openarc.services.ratelimit import RateLimiter

#: Query parameters whose values the access log keeps (nothing personal, nothing secret).
LOGGED_QUERY_VALUES = frozenset({"limit", "page", "include"})

REQUEST_ID = b"request-id"
X_REQUEST_ID = b"x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The client's ``Request-Id`` (or ``X-Request-Id``) when it is short, plain and holds
    nothing the redactor would mask; otherwise a new one."""
    given = (header(scope, REQUEST_ID) or header(scope, X_REQUEST_ID) or b"").decode("latin-1")
    if given and _SANE_ID.fullmatch(given) and redact.text(given) == given:
        return given
    return new_request_id()


def new_request_id() -> str:
    # 128 bits from the random module: an identifier, not a secret (it grants nothing), and
    # unlike os.urandom it does not let go of the GIL, which under load hands it to the
    # server's threads for a while on every request.  Reseeded in each forked worker.
    return f"{random.getrandbits(128):032x}"


#: Characters of a path a log line keeps (a 30-KB "id" is logged as its start and its length).
LOGGED_PATH_CHARS = 1024


def logged_path(path: str) -> str:
    """``path`` redacted, and cut to ``LOGGED_PATH_CHARS`` (with how much more there was)."""
    if len(path) <= LOGGED_PATH_CHARS:
        return redact.text(path)
    return f"{redact.text(path[:LOGGED_PATH_CHARS])}...[{len(path) - LOGGED_PATH_CHARS} more characters]"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, *, enabled: bool = True, write: Callable[[bytes], None] | None = None) -> None:
        self.app = app
        self.enabled = enabled
        self.write = write or StderrLines()
        self.encode = encoder(self.write)  # JSON, or text for a writer set to text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        rid = request_id_of(scope)
        ids = [(REQUEST_ID, rid.encode())]
        if header(scope, X_REQUEST_ID) is not None:  # echoed under the name the client used too
            ids.append((X_REQUEST_ID, ids[0][1]))
        status = 0
        size = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *ids]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # noqa: BLE001 - answered below like Starlette would, but with the id
            self._log({"event": "error", "request_id": rid, "error": redact.text(traceback.format_exc())})
            if status == 0:
                response = json_response(error_body(500, "The server failed to handle this request."), 500)
                await response(scope, receive, send_with_id)
        finally:
            if self.enabled:
                self._log(self._entry(scope, rid, status, size, started))

    def _entry(self, scope: Scope, rid: str, status: int, size: int, started: float) -> dict[str, object]:
        entry: dict[str, object] = {
            "time": timestamp(time.time()),
            "event": "request",
            "request_id": rid,
            "method": scope["method"],
            "path": logged_path(scope["path"]),
            "status": status,
            "bytes": size,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if scope.get("query_string"):
            # Parameter names are kept, values only for paging: searches carry customers'
            # emails, names and phones, and secret parameters (?cvv=…) must not appear either.
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            # Names are redacted like text too: ``?4716…`` or ``?<key>`` makes the secret a name.
            entry["query"] = {redact.text(k): redact.text(v) if k in LOGGED_QUERY_VALUES else redact.REDACTED
                              for k, v in query}
        if scope.get("client"):
            entry["client"] = scope["client"][0]
        return entry

    def _log(self, entry: dict[str, object]) -> None:
        self.write(self.encode(entry))


class RateLimitMiddleware:
    """Counts each request against the merchant its key authenticates (as Laravel's throttle
    counts per user; whatever spacing the header used), or, without a valid key, against its
    client address.  The merchant found is left in the scope for the route (``auth.account_of``).
    ``limiter`` is None when the limit is off; its counts are shared by ``api.rate_sharing``."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter | None) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limiter is None or scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        who, now = await _who(scope), time.time()
        start = self.limiter.window_of(who, now)
        if start is not None:  # the first request of a window here: what did the others count?
            ctx = scope["app"].state.ctx
            self.limiter.seed(who, start, await ctx.query(ratelimit.shared_total(who, start)))
        verdict = self.limiter.hit(who, now)
        extra = [(b"x-ratelimit-limit", str(verdict.limit).encode()),
                 (b"x-ratelimit-remaining", str(verdict.remaining).encode())]
        if not verdict.allowed:
            response = from_error(errors.TooManyRequests(verdict.reset_in))
            response.raw_headers += [*extra, (b"x-ratelimit-reset", str(verdict.reset_at).encode())]
            return await response(scope, receive, send)

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_limits)


async def _who(scope: Scope) -> str:
    """Whom a request counts against: the merchant its key authenticates (never the raw
    header, whose spacing and variants a client chooses), else its client address."""
    key = key_of(scope)
    if key is not None:
        try:
            account = await account_for(scope["app"].state.ctx, key)
        except errors.Unauthenticated:
            pass
        else:
            scope[SCOPE_ACCOUNT] = account
            return f"account:{account.id}"
    client = scope.get("client")
    return "addr:" + (client[0] if client else "")[:64]
