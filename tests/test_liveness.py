"""PostgreSQL connections the server closed while they sat idle are replaced, not handed to
a request that then fails (db.liveness): a restart, ``pg_terminate_backend`` or an
``idle_session_timeout`` end sessions that OpenArc's three pools still hold."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text

from conftest import ON_POSTGRES
from openarc.api.app import build_context
from openarc.config import Settings
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
