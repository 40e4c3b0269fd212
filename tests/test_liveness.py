"""PostgreSQL connections the server closed while they sat idle are replaced, not handed to
a request that then fails (db.liveness): a restart, ``pg_terminate_backend`` or an
``idle_session_timeout`` end sessions that OpenArc's three pools still hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import text

from conftest import ON_POSTGRES
from openarc.config import Settings
from openarc.context import build_context
from openarc.db.liveness import LOOK_AFTER_SECONDS
from openarc.db.steps import One, Steps

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's connections")


def _one() -> Steps[int]:
    return (yield One("SELECT 1", {}))[0]


def test_connections_closed_by_the_server_while_idle_are_replaced(settings: Settings) -> None:
    ctx = build_context(settings)

    async def every_pool() -> list[int]:
        """The event loop's pool (hot API paths), a thread's own connection (db.raw), SQLAlchemy's pool."""
        with ctx.db.raw.autocommit() as raw:
            thread = raw.one("SELECT 1", {})[0]
        with ctx.db.read() as conn:
            engine = conn.execute(text("SELECT 1")).scalar_one()
        return [await ctx.query(_one()), thread, engine]

    async def main() -> None:
        try:
            assert await every_pool() == [1, 1, 1]
            with psycopg.connect(settings.database_url.replace("+psycopg", ""), autocommit=True) as admin:
                ended = admin.execute(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t").fetchone()
            assert ended is not None and ended[0] >= 3
            await asyncio.sleep(LOOK_AFTER_SECONDS + 0.2)
            assert await every_pool() == [1, 1, 1]
        finally:
            await ctx.aclose()

    asyncio.run(main())


def test_a_connection_on_a_high_numbered_descriptor_is_not_taken_for_closed(settings: Settings) -> None:
    """A busy worker's sockets are numbered past 1024, where ``select()`` refuses to look."""
    import os

    from openarc.db.liveness import hung_up

    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with psycopg.connect(settings.database_url.replace("+psycopg", ""), autocommit=True) as conn:
            assert conn.pgconn.socket >= 1024
            assert not hung_up(conn)
            conn.execute("SELECT 1")
    finally:
        for fd in filler:
            os.close(fd)


def test_the_key_notices_follow_the_event_loop_and_leave_one_listener(settings: Settings) -> None:
    from openarc.db.engine import KEYS_CHANNEL
    from openarc.db.notices import Notices

    ctx = build_context(settings)
    notices = Notices(ctx.db.conninfo, KEYS_CHANNEL)

    def listeners() -> int:
        with psycopg.connect(settings.database_url.replace("+psycopg", ""), autocommit=True) as admin:
            row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()").fetchone()
        return row[0] if row else 0

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

    async def first() -> None:
        await until(lambda: notices.read() is not None)
        assert listeners() == 1

    async def second() -> None:
        # The first loop ended (its listener unwound with it): this one listens on its own.
        await until(lambda: notices.read() is not None)
        assert listeners() == 1
        await notices.aclose()
        assert notices.read() is None
        await until(lambda: listeners() == 0)

    try:
        asyncio.run(first())
        asyncio.run(second())
    finally:
        notices.close()
        ctx.close()
