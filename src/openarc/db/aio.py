"""Async psycopg connections for the hot services on PostgreSQL (see db.steps).

On PostgreSQL those services used to run on a pool of threads, each call a hop to a
thread and back and each network wait a hand-off of the GIL.  Here their statements
are awaited on the event loop over connections from this pool.

The pool has ``size`` slots, each holding an open connection or ``None`` (leave to
open one), so there are never more than ``size`` connections, waiters are served in
turn by the slots handed back, and a connection that broke (or was handed back
inside a statement or transaction) is closed and its slot freed for a new one, as is
one the server closed while it sat idle (db.liveness).  psycopg_pool's
``AsyncConnectionPool`` does this and more, but cost ~22 µs per checkout here (measured
against this queue on the same statements), a third of a PostgreSQL retrieve.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextlib import suppress
from typing import TypeVar

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus

from openarc.db.liveness import KEEPALIVES, LOOK_AFTER_SECONDS, hung_up
from openarc.db.steps import Steps, run_async

T = TypeVar("T")

#: A server that does not answer fails the request that needed it, instead of holding it.
CONNECT_TIMEOUT_SECONDS = 10


class AsyncPool:
    def __init__(self, conninfo: str, *, size: int) -> None:
        self._conninfo = conninfo
        # Free slots: an open connection and since when it is idle, or None (leave to open one).
        self._free: list[tuple[AsyncConnection, float] | None] = [None] * size
        # Callers waiting for a slot, served first come first served: a slot handed back
        # goes straight to the oldest waiter (asyncio.Queue lets a newcomer take it
        # instead, which left some requests waiting ~10 times the mean under load).
        self._waiting: deque[asyncio.Future[tuple[AsyncConnection, float] | None]] = deque()

    async def run(self, steps: Steps[T], *, transaction: bool = False) -> T:
        """Carry out ``steps`` on one connection of the pool, held until they are done; with
        ``transaction``, all of them in one transaction (committed when they return, rolled
        back when they raise)."""
        slot = await self._take()
        try:
            if slot is not None and _hung_up(slot):
                with suppress(Exception):
                    await slot[0].close()
                slot = None
            conn = slot[0] if slot is not None else await AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, **KEEPALIVES)
        except BaseException:
            self._give(None)
            raise
        try:
            if not transaction:
                return await run_async(conn, steps)
            # Not pipelined: measured, a pipelined transaction of a charge took 1.64 ms against
            # 1.34 ms for the plain one (psycopg's pipeline bookkeeping outweighed the round trips).
            async with conn.transaction():
                return await run_async(conn, steps)
        finally:
            if conn.broken or conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
                # Broken, or left inside a statement or transaction (its caller was cancelled):
                # closed, and its slot freed for a new connection.
                with suppress(Exception):
                    await conn.close()
                self._give(None)
            else:
                self._give(conn)

    async def _take(self) -> tuple[AsyncConnection, float] | None:
        if self._free:
            return self._free.pop()
        waiter: asyncio.Future[tuple[AsyncConnection, float] | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give(_conn(waiter.result()))  # handed a slot just as it was cancelled
            else:
                with suppress(ValueError):
                    self._waiting.remove(waiter)
            raise

    def _give(self, conn: AsyncConnection | None) -> None:
        slot = None if conn is None else (conn, time.monotonic())
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(slot)
                return
        self._free.append(slot)

    async def close(self) -> None:
        free, self._free = self._free, []
        for slot in free:
            if slot is not None:
                with suppress(Exception):
                    await slot[0].close()


def _conn(slot: tuple[AsyncConnection, float] | None) -> AsyncConnection | None:
    return None if slot is None else slot[0]


def _hung_up(slot: tuple[AsyncConnection, float]) -> bool:
    """An idle connection the server has closed (db.liveness); looked at only after a while."""
    conn, idle_since = slot
    return time.monotonic() - idle_since >= LOOK_AFTER_SECONDS and hung_up(conn)
