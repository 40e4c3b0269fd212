"""``GET /healthz``: whether this process can serve, for load balancers and orchestrators.

It asks the database one trivial question over the same connections requests use, so a
worker whose PostgreSQL went away (or is too slow to answer within ``TIMEOUT_SECONDS``)
is taken out of rotation instead of answering every request with an error.  No key is
needed and nothing is revealed beyond up or down: a load balancer carries no key.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response

from openarc.api.errors import json_response
from openarc.api.routes import ctx_of
from openarc.db.steps import One, Steps

#: Longer than a healthy database ever takes, shorter than load balancers' usual check timeout.
TIMEOUT_SECONDS = 3.0

log = logging.getLogger("openarc.health")


def _ping() -> Steps[None]:
    yield One("SELECT 1", {})


async def healthz(request: Request) -> Response:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await ctx_of(request).query(_ping())
    except Exception as exc:  # noqa: BLE001 - any failure means "not now", said as 503
        reason = "timeout" if isinstance(exc, TimeoutError) else "error"
        log.warning("health check: the database failed (%s: %s)", reason, type(exc).__name__)
        return json_response({"status": "unavailable", "database": reason}, 503,
                             headers={"Cache-Control": "no-store", "Retry-After": "5"})
    return json_response({"status": "ok", "database": "ok"}, 200, headers={"Cache-Control": "no-store"})
