"""What every request handler needs, built once per process by ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import anyio
import anyio.to_thread

from openarc.clock import Clock
from openarc.config import Settings
from openarc.db import Database
from openarc.ids import Ids
from openarc.services.installation import Secrets

T = TypeVar("T")

#: Threads (and so PostgreSQL connections of the hot path) per worker process.
DATABASE_THREADS = 8


@dataclass
class AppContext:
    settings: Settings
    db: Database
    secrets: Secrets
    ids: Ids
    clock: Clock
    _limiter: anyio.CapacityLimiter | None = field(default=None, repr=False)

    async def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run a (synchronous) service call.

        SQLite answers in microseconds from a local file, so its calls run inline on
        the event loop; a PostgreSQL round trip would stall the loop, so those go to
        a worker thread.
        """
        if self.db.is_sqlite:
            return fn(*args, **kwargs)
        if self._limiter is None:
            # Few threads, each with its own persistent connection (db.raw): bounded connections.
            self._limiter = anyio.CapacityLimiter(DATABASE_THREADS)
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=self._limiter)
