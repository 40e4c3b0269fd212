"""``GET /healthz``: whether this process can serve, for load balancers and orchestrators.

It asks the database a trivial question about OpenArc's own schema (so an empty or foreign
database is not "healthy") over the same connections requests use.  A worker whose
database went away, or is too slow to answer within ``TIMEOUT_SECONDS``, is taken out of
rotation instead of answering every request with an error.  No key is needed and nothing
is revealed beyond up or down: a load balancer carries no key.

The answer never waits longer than ``TIMEOUT_SECONDS``.  Cancelling a PostgreSQL query
that hangs takes psycopg up to ~10 s more (it asks the server to cancel, then waits), so
the question runs as a task of its own that the check stops waiting for; checks that
arrive meanwhile wait on the same task instead of piling up more stuck connections.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response

from openarc.api.context import AppContext
from openarc.api.errors import json_response
from openarc.api.routes import ctx_of
from openarc.db.steps import One, Steps

#: Longer than a healthy database ever takes, shorter than load balancers' usual check timeout.
TIMEOUT_SECONDS = 3.0

log = logging.getLogger("openarc.health")


def _ask() -> Steps[None]:
    yield One("SELECT id FROM accounts LIMIT 1", {})


def _asking(request: Request, ctx: AppContext) -> asyncio.Future[None]:
    """The question in flight, or a new one when the last has been answered."""
    state = request.app.state
    pending: asyncio.Future[None] | None = getattr(state, "health_question", None)
    if pending is None or pending.done():
        pending = state.health_question = asyncio.ensure_future(ctx.query(_ask()))
        # Looked at even when no check is still waiting for it (no "never retrieved" warning).
        pending.add_done_callback(lambda done: done.cancelled() or done.exception())
    return pending


async def healthz(request: Request) -> Response:
    question = _asking(request, ctx_of(request))
    await asyncio.wait({question}, timeout=TIMEOUT_SECONDS)
    failure = None if not question.done() else (question.cancelled() or question.exception())
    if not question.done() or failure:
        reason = "error" if question.done() else "timeout"
        log.warning("health check: the database failed (%s%s)", reason,
                    f": {type(failure).__name__}" if isinstance(failure, BaseException) else "")
        return json_response({"status": "unavailable", "database": reason}, 503,
                             headers={"Cache-Control": "no-store", "Retry-After": "5"})
    return json_response({"status": "ok", "database": "ok"}, 200, headers={"Cache-Control": "no-store"})
