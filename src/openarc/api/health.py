"""``GET /healthz``: whether this process can serve, for load balancers and orchestrators.

It asks the database a trivial question about OpenArc's own schema (so an empty or foreign
database is not "healthy") over the same connections requests use.  A worker whose
database went away, or is too slow to answer within ``TIMEOUT_SECONDS``, is taken out of
rotation instead of answering every request with an error.  No key is needed and nothing
is revealed beyond up or down: a load balancer carries no key.

On PostgreSQL the answer never waits longer than ``TIMEOUT_SECONDS``.  Cancelling a query
that hangs takes psycopg up to ~10 s more (it asks the server to cancel, then waits), so
the question runs as a task of its own that the check stops waiting for; checks that
arrive meanwhile wait on the same task instead of piling up more stuck connections, and
a question unanswered for ``GIVE_UP_SECONDS`` is abandoned (cancelled in the background)
for a new one, so one connection stuck for good cannot keep a worker out of rotation.
On SQLite the question is answered inline in microseconds; it never waits on a lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from openarc.api.errors import json_response
from openarc.api.routes import Ok, ctx_of, operation
from openarc.context import AppContext
from openarc.services import accounts

#: Longer than a healthy database ever takes, shorter than load balancers' usual check timeout.
TIMEOUT_SECONDS = 3.0
#: A question older than this is given up on and asked afresh.
GIVE_UP_SECONDS = 2 * TIMEOUT_SECONDS

log = logging.getLogger("openarc.health")


@dataclass(eq=False)
class _Question:
    task: asyncio.Future[None]
    asked_at: float = field(default_factory=time.monotonic)
    reported: bool = False  # its failure is logged once, however many checks saw it

    def stale(self, now: float) -> bool:
        return not self.task.done() and now - self.asked_at >= GIVE_UP_SECONDS


def _asking(request: Request, ctx: AppContext) -> _Question:
    """The question in flight, or a new one when the last was answered or given up on."""
    state = request.app.state
    question: _Question | None = getattr(state, "health_question", None)
    if question is not None and question.stale(time.monotonic()):
        question.task.cancel()  # psycopg closes the stuck connection in the background
        question = None
    if question is None or question.task.done():
        task = asyncio.ensure_future(ctx.query(accounts.probe()))
        # Looked at even when no check is still waiting for it (no "never retrieved" warning).
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        question = state.health_question = _Question(task)
    return question


_NO_STORE: tuple[str, dict[str, object]] = ("Cache-Control", {"description": "Always no-store", "schema": {"type": "string"}, "example": "no-store"})


@operation(
    "checkHealth", "Whether this server can serve", tag="Health", authenticated=False,
    description="Asks the database a trivial question about OpenArc's own schema, over the connections requests "
                "use. No key is needed and nothing is revealed beyond up or down.",
    ok=Ok(200, "The database answered: this worker can serve", "Health", headers=(_NO_STORE,)),
    also=(Ok(503, f"The database failed, or did not answer within {TIMEOUT_SECONDS:g} seconds: take this worker "
                  "out of rotation", "Health", example={"status": "unavailable", "database": "timeout"},
             headers=(_NO_STORE, ("Retry-After", {"description": "Seconds to wait before asking again",
                                                  "schema": {"type": "integer"}, "example": 5}))),),
    errors=(),
)
async def healthz(request: Request) -> Response:
    question = _asking(request, ctx_of(request))
    task = question.task
    await asyncio.wait({task}, timeout=TIMEOUT_SECONDS)
    if task.done() and not task.cancelled() and task.exception() is None:
        return json_response({"status": "ok", "database": "ok"}, 200, headers={"Cache-Control": "no-store"})
    reason = "error" if task.done() else "timeout"
    if not question.reported:
        question.reported = True
        failure = task.exception() if task.done() and not task.cancelled() else None
        log.warning("health check: the database failed (%s%s)", reason,
                    f": {type(failure).__name__}" if failure is not None else "")
    return json_response({"status": "unavailable", "database": reason}, 503,
                         headers={"Cache-Control": "no-store", "Retry-After": "5"})
