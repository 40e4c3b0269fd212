"""Hot services written as steps (db.steps), run by the blocking driver on either engine and,
on PostgreSQL, by the async pool (db.aio) the API uses."""

from __future__ import annotations

import asyncio

import pytest

from conftest import ON_POSTGRES, POSTGRES_URL
from openarc.db.raw import Raw
from openarc.db.steps import Many, One, Run, Steps, run

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="the async pool is PostgreSQL's")


def _counted(start: int) -> Steps[tuple[int, str, int]]:
    """A service that meets an error where it sent a statement, and goes on."""
    try:
        yield One("SELECT no_such_column FROM no_such_table", {})
    except Exception as exc:  # noqa: BLE001 - what the test is about
        failed = type(exc).__name__
    else:
        failed = "nothing"
    rows = yield Many("SELECT 1 AS n UNION ALL SELECT 2 ORDER BY n", {})
    touched = yield Run("SELECT :start AS n", {"start": start})
    return sum(row[0] for row in rows) + start, failed, touched


def test_the_blocking_driver_throws_errors_in_at_the_yield(tmp_path) -> None:
    import sqlite3

    conn = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    try:
        total, failed, _touched = run(Raw(conn, translate=False), _counted(4))
    finally:
        conn.close()
    assert (total, failed) == (7, "OperationalError")


def test_an_error_the_service_does_not_handle_reaches_the_caller(tmp_path) -> None:
    import sqlite3

    def careless() -> Steps[None]:
        yield One("SELECT no_such_column FROM no_such_table", {})

    conn = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError):
            run(Raw(conn, translate=False), careless())
    finally:
        conn.close()


@postgres_only
def test_the_async_pool_serves_waiters_in_turn_and_replaces_broken_connections() -> None:
    import psycopg

    from openarc.db.aio import AsyncPool

    def backend() -> Steps[int]:
        row = yield One("SELECT pg_backend_pid()", {})
        return row[0]

    def slow(seconds: float) -> Steps[int]:
        yield One("SELECT pg_sleep(:s)", {"s": seconds})
        return (yield from backend())

    async def main() -> None:
        pool = AsyncPool(POSTGRES_URL, size=2)
        try:
            # Two connections for twenty callers: all served, never more than two backends.
            pids = await asyncio.gather(*(pool.run(slow(0.01)) for _ in range(20)))
            assert len(set(pids)) <= 2
            # Errors the service handles leave the connection usable.
            total, failed, _ = await pool.run(_counted(4))
            assert (total, failed) == (7, "UndefinedTable")
            # A connection killed under the pool: the call using it fails, the next one gets a new one.
            victim = await pool.run(backend())
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
            outcomes = await asyncio.gather(*(pool.run(backend()) for _ in range(4)), return_exceptions=True)
            assert any(isinstance(o, int) for o in outcomes)
            after = await asyncio.gather(*(pool.run(backend()) for _ in range(4)))
            assert victim not in after
            # A caller cancelled mid-statement frees its slot (its connection is replaced).
            stuck = asyncio.ensure_future(pool.run(slow(30)))
            await asyncio.sleep(0.2)
            stuck.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stuck
            assert len(await asyncio.wait_for(asyncio.gather(*(pool.run(backend()) for _ in range(4))), 10)) == 4
        finally:
            await pool.close()

    asyncio.run(main())
