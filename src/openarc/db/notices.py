"""A change stamp for every process on one PostgreSQL database: ``LISTEN``/``NOTIFY``.

The SQLite stamp (db.generation) is a file every process on the machine maps; workers
sharing a PostgreSQL server may sit on several machines, so there the stamp is local to
each process and moved by notices on a channel: a transaction that changes what the
stamp guards runs ``NOTIFY <channel>``, which PostgreSQL delivers to every listening
connection when (and only if) it commits.

``Notices.read()`` is the stamp: a number that changes with every notice, or ``None``
while this process is not listening (before its first read inside an event loop, while
the listening connection is down, after ``close``).  A reader trusts what it saw under
one stamp only while ``read()`` returns that same number, so whatever was remembered
while deaf, or before a notice, is void.  Between a commit and its notice reaching a
worker lies the notice's trip (a loopback hop, or the network's); a connection lost
without a word (a silent network partition) is noticed by TCP keepalives, and readers
bound their trust in time as well.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from psycopg import AsyncConnection, errors, sql

from openarc.db.liveness import KEEPALIVES

log = logging.getLogger("openarc.db")

#: The running event loop or None (asyncio's own fast accessor: no exception outside a loop).
_running_loop = asyncio._get_running_loop

#: Reconnecting after a failure waits this long, doubling up to ``RETRY_MAX_SECONDS``; the
#: wait starts small again only after a connection has stayed up ``STABLE_SECONDS``.
RETRY_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
STABLE_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10


class Notices:
    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._count = 0
        self._listening = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def read(self) -> int | None:
        """The stamp, or None while not listening (nothing may be trusted then).  The first
        read inside an event loop starts listening on that loop."""
        task = self._task
        if task is None or task.done() or task.get_loop() is not _running_loop():
            self._listen_here()
            return None
        return self._count if self._listening else None

    def _listen_here(self) -> None:
        """Start listening on the running loop, unless closed, outside a loop, or another loop
        that is still running listens (whose reads then are the only ones trusted)."""
        loop = _running_loop()
        if self._closed or loop is None:
            return
        task = self._task
        if task is not None and not task.done() and task.get_loop().is_running():
            return
        # Never listened, or the loop that did went away without closing: listen on this one
        # (the old listener is stopped; its loop, if it ever runs again, unwinds it).
        if task is not None:
            _cancel(task)
        self._count += 1
        self._listening = False
        self._task = loop.create_task(self._listen(), name=f"openarc-listen-{self._channel}")

    def _moved(self, me: asyncio.Task[None] | None, *, listening: bool) -> None:
        """The stamp moves; only the current listener says whether anyone listens."""
        self._count += 1
        if me is self._task:
            self._listening = listening

    async def _listen(self) -> None:
        delay = RETRY_SECONDS
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        while True:
            since = loop.time()
            try:
                async with await AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, **KEEPALIVES,
                ) as conn:
                    # Quiet is this connection's normal state: not ended by a server-wide idle
                    # timeout (PostgreSQL 14+; older servers have none).
                    with suppress(errors.UndefinedObject):
                        await conn.execute("SET idle_session_timeout = 0")
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    # Listening from now on; whatever was seen before (deaf) is void.
                    self._moved(me, listening=True)
                    since = loop.time()
                    async for _notice in conn.notifies():
                        self._moved(me, listening=True)
                raise ConnectionError("the connection stopped delivering notices")
            except Exception as exc:  # noqa: BLE001 - logged, deaf until listening again
                if loop.time() - since >= STABLE_SECONDS:
                    delay = RETRY_SECONDS
                log.warning("not listening for %s notices (retrying in %.1f s): %s", self._channel, delay, exc)
            finally:
                self._moved(me, listening=False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def aclose(self) -> None:
        """Stop listening and close the connection (waiting for that when it listens on this loop)."""
        task = self.close()
        if task is not None and not task.done() and task.get_loop() is _running_loop():
            await asyncio.wait([task])  # its cancellation, not ours, is swallowed

    def close(self) -> asyncio.Task[None] | None:
        """Stop listening.  The connection closes as the task unwinds on its loop (``aclose``
        waits for that; from another thread, or with that loop stopped, it is left to run
        when the loop next runs)."""
        self._closed = True
        self._count += 1
        self._listening = False
        task, self._task = self._task, None
        if task is not None:
            _cancel(task)
        return task


def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` from any thread (at once on its own loop's thread)."""
    if task.done():
        return
    loop = task.get_loop()
    if loop is _running_loop():
        task.cancel()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(task.cancel)
