"""Serving processes remember the API keys they found valid (services.accounts.KeyCache),
yet a revoked key is refused by every worker from the next request on (on PostgreSQL, from
when the revocation's notice reaches it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
import psycopg.sql
import pytest
from sqlalchemy import text

from conftest import ON_POSTGRES, start_server, stop_server
from openarc.config import Settings
from openarc.context import AppContext, build_context
from openarc.db.generation import Generation
from openarc.db.steps import Steps, run
from openarc.db.tables import api_keys
from openarc.errors import Unauthenticated
from openarc.services import accounts


def test_a_key_revoked_from_the_command_line_is_refused_at_once_by_every_worker(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "2")
    try:
        merchant = server.merchant("revoked-at-once")

        def fresh(method: str, **kwargs: object) -> int:
            # A new connection each time, so the requests spread over both workers.
            with httpx.Client(base_url=server.url, headers=merchant.headers, timeout=30) as http:
                return http.request(method, "/v1/customers", **kwargs).status_code  # type: ignore[arg-type]

        assert {fresh("GET") for _ in range(20)} == {200}  # found valid, and remembered
        if ON_POSTGRES:  # remembered only while listening: both workers are
            with psycopg.connect(server.database_url.replace("+psycopg", "")) as conn:
                listening = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                         " AND query LIKE 'LISTEN %'").fetchone()
            assert listening == (2,)
        revoke = subprocess.run(
            [sys.executable, "-m", "openarc", "keys", "revoke", merchant.key, "--database", server.database_url],
            capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
        )
        assert revoke.returncode == 0, revoke.stderr
        assert {fresh("GET") for _ in range(20)} == {401}
        assert fresh("POST", data={"name": "Too Late"}) == 401
    finally:
        stop_server(server)


async def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout} s"
        await asyncio.sleep(0.01)


def _serving(settings: Settings, test: Callable[[AppContext, accounts.KeyCache, list[float]], Awaitable[None]]) -> None:
    """``test(ctx, ctx.keys, elapsed)`` inside an event loop, as a serving process runs, with a
    key cache whose clock the test moves (``elapsed[0]``), listening (PostgreSQL) before it
    starts; closed as the server closes it."""
    elapsed = [0.0]

    async def main() -> None:
        ctx = build_context(settings)
        ctx.keys = cache = accounts.KeyCache(ctx.db, ctx.secrets.api_keys, clock=lambda: elapsed[0])
        try:
            await _until(lambda: cache._stamp() is not None, "watching the stamp")
            await test(ctx, cache, elapsed)
        finally:
            await ctx.aclose()
        if not ctx.db.is_sqlite:
            assert cache._stamp() is None  # no longer listening, and not again

    asyncio.run(main())


async def _authenticate(ctx: AppContext, cache: accounts.KeyCache, key: str, now: int) -> accounts.Account:
    return cache.known(key) or await ctx.query(cache.authenticate(key, now=now))  # as api.auth does


def test_a_change_made_behind_openarcs_back_is_seen_within_the_trust_period(settings: Settings) -> None:
    async def test(ctx: AppContext, cache: accounts.KeyCache, elapsed: list[float]) -> None:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "edited", now=1)
        assert await _authenticate(ctx, cache, issued.secret, now=1) == issued.account
        # Revoked by editing the database, not through OpenArc: nothing stamps or announces it.
        with ctx.db.write() as conn:
            conn.execute(api_keys.update().values(revoked_at=2))
        await asyncio.sleep(0.2)  # (a notice, were there one, would have arrived by now)
        assert await _authenticate(ctx, cache, issued.secret, now=3) == issued.account
        elapsed[0] = accounts.KNOWN_FOR_SECONDS + 0.1
        with pytest.raises(Unauthenticated):
            await _authenticate(ctx, cache, issued.secret, now=4)
        # Unknown keys are never remembered, nor are keys themselves (only their hashes).
        with pytest.raises(Unauthenticated):
            await _authenticate(ctx, cache, "oa_sk_unknown", now=5)
        assert all(len(ident) == 32 and issued.secret.encode() not in ident for ident in cache._known)

    _serving(settings, test)


def test_a_revocation_voids_what_every_process_remembers(settings: Settings) -> None:
    """In-process, and on PostgreSQL through the notice the revocation commits with."""

    async def test(ctx: AppContext, cache: accounts.KeyCache, elapsed: list[float]) -> None:
        kept = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "kept", now=1)
        revoked = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "revoked", now=1)
        for issued in (kept, revoked):
            assert await _authenticate(ctx, cache, issued.secret, now=1) == issued.account
            assert cache.known(issued.secret) == issued.account  # remembered
        # From another process's point of view: its own connection, its own thread.
        other = build_context(Settings(database_url=ctx.settings.database_url))
        try:
            await asyncio.to_thread(accounts.revoke, other.db, other.secrets.api_keys, revoked.secret, now=2)
        finally:
            other.db.dispose()
        await _until(lambda: cache.known(revoked.secret) is None, "told of the revocation")
        with pytest.raises(Unauthenticated):
            await _authenticate(ctx, cache, revoked.secret, now=3)
        # Every entry is void after a change (the stamp moved), but a valid key is simply looked up again.
        assert cache.known(kept.secret) is None
        assert await _authenticate(ctx, cache, kept.secret, now=3) == kept.account
        assert cache.known(kept.secret) == kept.account

    _serving(settings, test)


def test_a_revocation_during_the_lookup_voids_what_the_lookup_found(settings: Settings) -> None:
    """The lookup answers "valid", but the key was revoked (and announced) between the stamp
    read and the answer: the answer is used once, never remembered."""

    async def test(ctx: AppContext, cache: accounts.KeyCache, elapsed: list[float]) -> None:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "raced", now=1)
        steps = cache.authenticate(issued.secret, now=1)
        lookup = next(steps)  # the stamp is read here, before the statement is sent
        with ctx.db.raw.autocommit() as raw:
            row = raw.one(lookup.sql, lookup.params)  # the statement runs: the key is valid
        before = cache._stamp()
        other = build_context(Settings(database_url=ctx.settings.database_url))
        try:
            await asyncio.to_thread(accounts.revoke, other.db, other.secrets.api_keys, issued.secret, now=2)
        finally:
            other.db.dispose()
        await _until(lambda: cache._stamp() != before, "told of the revocation")
        with ctx.db.raw.autocommit() as raw:  # the answer arrives: the rest of the steps run
            assert run(raw, _resumed(steps, row)) == issued.account
        assert cache.known(issued.secret) is None
        with pytest.raises(Unauthenticated):
            await _authenticate(ctx, cache, issued.secret, now=3)

    _serving(settings, test)


def _resumed(steps: Steps[accounts.Account], answer: object) -> Steps[accounts.Account]:
    """``steps`` sent ``answer`` for the statement they are waiting on, then run on."""
    try:
        step = steps.send(answer)
    except StopIteration as done:
        return done.value
    result = yield step
    return (yield from _resumed(steps, result))


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's listening connection")
def test_a_process_that_stops_listening_trusts_nothing_until_it_listens_again(settings: Settings, caplog) -> None:
    async def test(ctx: AppContext, cache: accounts.KeyCache, elapsed: list[float]) -> None:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "deaf", now=1)
        assert await _authenticate(ctx, cache, issued.secret, now=1) == issued.account
        assert cache.known(issued.secret) == issued.account
        # The listening connection is cut (a server restart, a network failure) ...
        with ctx.db.write() as conn:
            killed = conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN %'")).scalars().all()
        assert killed == [True]
        await _until(lambda: cache._stamp() is None, "deaf")
        assert cache.known(issued.secret) is None  # ... and nothing is trusted meanwhile
        assert await _authenticate(ctx, cache, issued.secret, now=2) == issued.account
        assert cache.known(issued.secret) is None  # nor remembered while deaf
        await _until(lambda: cache._stamp() is not None, "listening again")
        assert cache.known(issued.secret) is None  # what was seen before is void
        assert await _authenticate(ctx, cache, issued.secret, now=3) == issued.account
        assert cache.known(issued.secret) == issued.account
        assert "not listening for openarc_keys notices" in caplog.text

    _serving(settings, test)


def test_every_process_sees_a_stamp_change_at_once(tmp_path: Path) -> None:
    first, second = Generation(tmp_path / "db-keys"), Generation(tmp_path / "db-keys")
    try:
        before = second.read()
        assert before == first.read() == bytes(8)
        first.bump()
        assert second.read() != before and second.read() == first.read()
    finally:
        first.close()
        second.close()
        first.close()  # closing twice is harmless


def test_the_stamp_file_is_found_beside_the_database_however_its_path_is_spelled(tmp_path: Path) -> None:
    real = tmp_path / "data" / "openarc.db"
    real.parent.mkdir()
    real.touch()
    link = tmp_path / "openarc.db"
    link.symlink_to(real)
    through_link = Generation.beside(link, "-keys")
    direct = Generation.beside(tmp_path / "data" / ".." / "data" / "openarc.db", "-keys")
    try:
        through_link.bump()
        assert direct.read() == through_link.read() != bytes(8)
        assert (real.parent / "openarc.db-keys").exists() and not (tmp_path / "openarc.db-keys").exists()
    finally:
        through_link.close()
        direct.close()


def test_a_worker_that_cannot_open_the_stamp_file_looks_every_key_up(settings: Settings, caplog) -> None:
    ctx = build_context(settings)
    try:
        if ctx.db.path is None:
            pytest.skip("PostgreSQL has no stamp file")
        (ctx.db.path.with_name(ctx.db.path.name + "-keys")).mkdir()  # something that cannot be mapped
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "no-stamps", now=1)
        cache = accounts.KeyCache(ctx.db, ctx.secrets.api_keys)
        with ctx.db.raw.autocommit() as raw:
            assert run(raw, cache.authenticate(issued.secret, now=1)) == issued.account
        assert cache.known(issued.secret) is None  # nothing remembered: every request looks up
        assert "looked up on every request" in caplog.text
    finally:
        ctx.db.dispose()


def test_the_stamp_file_gets_the_databases_permissions(tmp_path: Path) -> None:
    import os
    import stat

    database = tmp_path / "shared.db"
    database.touch()
    database.chmod(0o660)
    stamps = Generation.beside(database, "-keys")
    try:
        assert stat.S_IMODE(os.stat(tmp_path / "shared.db-keys").st_mode) == 0o660
    finally:
        stamps.close()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's listening connection")
def test_a_quiet_listening_connection_outlives_an_idle_session_timeout(settings: Settings) -> None:
    """Managed PostgreSQL often ends idle sessions; the listener is idle by nature."""
    name = settings.database_url.rsplit("/", 1)[1]  # a fresh database of this test's own
    with psycopg.connect(settings.database_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("ALTER DATABASE {} SET idle_session_timeout = '200ms'").format(
            psycopg.sql.Identifier(name)))

    async def test(ctx: AppContext, cache: accounts.KeyCache, elapsed: list[float]) -> None:
        stamp = cache._stamp()
        await asyncio.sleep(1.0)
        assert cache._stamp() == stamp  # still listening, never reconnected

    _serving(settings, test)
