"""The application factory: ``create_app(settings)`` and nothing at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from openarc import dashboard, logs
from openarc.api import docs, health
from openarc.api.errors import HANDLERS
from openarc.api.front import Front, Shortcut
from openarc.api.idempotency import IdempotencyMiddleware
from openarc.api.middleware import RateLimitMiddleware, RequestLogMiddleware
from openarc.api.rate_sharing import share_counts
from openarc.api.routes import ach_charges, bank_accounts, cards, charges, customers, resource, tokens
from openarc.api.timeouts import BodyTimeoutMiddleware
from openarc.clock import Clock
from openarc.config import Settings
from openarc.context import build_context
from openarc.services.ratelimit import RateLimiter


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Front:
    settings = settings or Settings.from_env()
    # The access log and OpenArc's own log records share one redacted stream (JSON or text lines).
    lines = logs.StderrLines(logs.choose(settings.log_format))
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        logs.install(lines)
        app.state.ctx = build_context(settings, clock, serving=True)
        # One rate-limit budget across every worker and node of the database.
        sharing = asyncio.create_task(share_counts(limiter, app.state.ctx)) if limiter else None
        # Everything alive now (modules, the app, the database's metadata) lives as long as
        # the process: keep it out of the collector's full passes, which otherwise scanned
        # it all and paused the event loop for ~25 ms about once a second under a create load.
        gc.freeze()
        try:
            yield
        finally:
            if sharing is not None:
                sharing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sharing
            await app.state.ctx.aclose()

    routes = [
        *customers.routes,
        *cards.routes,
        *tokens.routes,
        *bank_accounts.routes,
        *charges.routes,
        *ach_charges.routes,
        *docs.routes(),  # /, /openapi.json, /docs and its files
        resource("/healthz", get=health.healthz),  # declared: in the document, tagged Health
        # The one place the API and the dashboard meet (architecture: the factory mounts it).
        *dashboard.routes,
    ]
    app = Starlette(routes=routes, exception_handlers=HANDLERS, lifespan=lifespan)
    # Starlette's own trailing-slash redirect writes the Host header into its Location.
    app.router.redirect_slashes = False
    app.router.default = _SlashRedirect(app.router)
    # Built inside out (see api.front): every answer gets its Request-Id and log line, 429s
    # come before any database work, and idempotency sits next to the routes.
    chain: ASGIApp = Shortcut(app, **charges.shortcut)
    chain = Shortcut(chain, **customers.shortcut)  # outermost: the hottest calls match first
    chain = IdempotencyMiddleware(chain)
    chain = RateLimitMiddleware(chain, limiter=limiter)
    chain = RequestLogMiddleware(chain, enabled=settings.access_log, write=lines)
    if settings.sandbox:
        from openarc import sandbox  # only a sandbox server pays for it

        chain = sandbox.install(app, chain)
    chain = BodyTimeoutMiddleware(chain, seconds=settings.body_timeout_seconds)  # outermost: bounds every reader
    return Front(app, chain)


class _SlashRedirect:
    """What Starlette's ``redirect_slashes`` does when no route matches (a 307 to the path with
    its trailing slash added or taken off, if a route matches that), with a path for Location
    instead of a URL made of the client's Host header; otherwise the router's 404."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["type"] == "http" and path.rstrip("/") != scope.get("root_path", "").rstrip("/"):
            other = {**scope, "path": path.rstrip("/") if path.endswith("/") else path + "/"}
            if any(route.matches(other)[0] is not Match.NONE for route in self.router.routes):
                query = scope.get("query_string", b"").decode("latin-1")
                # One leading slash: "//host/..." would be a URL of another host to the browser.
                location = "/" + quote(other["path"]).lstrip("/") + (f"?{query}" if query else "")
                await RedirectResponse(location, status_code=307)(scope, receive, send)
                return
        await self.router.not_found(scope, receive, send)


def app_from_env() -> Front:
    """Entry point for ASGI servers (``granian --factory openarc.api.app:app_from_env``)."""
    return create_app(Settings.from_env())
