"""Sandbox controls for tests and the quick start: ``openarc serve --sandbox`` only.

``install(app)`` adds the ``/_openarc/`` routes (reset, request log, clock) and the
request-log middleware.  Both keep state in the process (the log, the clock), so
a sandbox server runs one worker.  Never enable it in production: any merchant key
can wipe that merchant's data and move the clock every merchant sees.
"""

from __future__ import annotations

from starlette.applications import Starlette

from openarc.sandbox.log import DEFAULT_SIZE, RequestLog, RequestLogMiddleware
from openarc.sandbox.routes import routes

__all__ = ["RequestLog", "install"]


def install(app: Starlette, *, log_size: int = DEFAULT_SIZE) -> None:
    log = RequestLog(log_size)
    app.state.request_log = log
    app.router.routes.extend(routes)
    # Outermost, so the log sees the response exactly as the client gets it.
    app.add_middleware(RequestLogMiddleware, log=log)
