"""Sandbox controls for tests and the quick start: ``openarc serve --sandbox`` only.

``install(app, chain)`` adds the ``/_openarc/`` routes (reset, request log, clock) to
the Starlette app and wraps the request chain in the request-log middleware.  Both keep
state in the process (the log, the clock), so a sandbox server runs one worker.  Never enable it in production: any merchant key
can wipe that merchant's data and move its clock.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from openarc.sandbox.log import DEFAULT_SIZE, RequestLog, RequestLogMiddleware
from openarc.sandbox.routes import routes

__all__ = ["RequestLog", "install"]


def install(app: Starlette, chain: ASGIApp, *, log_size: int = DEFAULT_SIZE) -> ASGIApp:
    """The chain wrapped in the request log, outermost, so the log sees each response
    exactly as the client gets it (Request-Id, rate-limit headers and replays included)."""
    log = RequestLog(log_size)
    app.state.request_log = log
    app.router.routes.extend(routes)
    return RequestLogMiddleware(chain, log=log)
