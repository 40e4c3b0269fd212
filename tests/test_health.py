"""``GET /healthz`` on a real server: up while its database answers, 503 while it does not."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from conftest import ON_POSTGRES, POSTGRES_URL, start_server, stop_server


def test_healthz_says_ok_without_a_key_and_is_never_cached(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        got = httpx.get(f"{server.url}/healthz")
        assert got.status_code == 200 and got.json() == {"status": "ok", "database": "ok"}
        assert got.headers["cache-control"] == "no-store" and got.headers["request-id"]
        assert httpx.head(f"{server.url}/healthz").status_code == 200
        assert httpx.post(f"{server.url}/healthz").status_code == 405
    finally:
        stop_server(server)


@pytest.mark.skipif(not ON_POSTGRES, reason="takes a PostgreSQL database away from a running server")
def test_healthz_is_503_while_the_database_refuses_or_hangs_and_ok_once_it_is_back(tmp_path: Path) -> None:
    import psycopg

    server = start_server(tmp_path)
    name = server.database_url.rsplit("/", 1)[1]
    database = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"

    def healthz() -> httpx.Response:
        return httpx.get(f"{server.url}/healthz", timeout=30)

    def until_ok() -> httpx.Response:
        deadline = time.monotonic() + 10
        while (answer := healthz()).status_code != 200:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.2)
        return answer

    try:
        assert healthz().status_code == 200
        # Refused: no new connections, and the server's sessions ended.
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        gone = healthz()
        assert gone.status_code == 503 and gone.json() == {"status": "unavailable", "database": "error"}
        assert gone.headers["retry-after"] == "5" and gone.headers["cache-control"] == "no-store"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert until_ok().json() == {"status": "ok", "database": "ok"}

        # Hanging: a lock makes the question wait.  The answer comes at the time limit, not
        # when PostgreSQL would finally answer or psycopg finish cancelling.
        with psycopg.connect(database) as holder:
            holder.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            hung = healthz()
            took = time.monotonic() - started
            assert hung.status_code == 503 and hung.json()["database"] == "timeout"
            assert 2.5 < took < 6, took
            holder.rollback()
        assert until_ok().status_code == 200

        output = server.output()
        assert "Traceback" not in output
        # Said in the server's own log, as JSON lines among the access log's.
        records = [json.loads(line) for line in output.splitlines() if line.startswith('{"time"')]
        warnings = [r["message"] for r in records if r["event"] == "log" and r["logger"] == "openarc.health"]
        assert any("(error: " in m for m in warnings) and any("(timeout)" in m for m in warnings)
    finally:
        stop_server(server)


@pytest.mark.skipif(not ON_POSTGRES, reason="freezes one PostgreSQL backend of a running server")
@pytest.mark.skipif(os.geteuid() != 0, reason="stopping PostgreSQL's backend process needs root")
def test_healthz_gives_up_on_a_connection_stuck_for_good(tmp_path: Path) -> None:
    # One backend frozen mid-question (SIGSTOP: its socket stays open, keepalives answered by
    # the kernel) while new connections work: the worker must not stay "unavailable".
    import psycopg

    server = start_server(tmp_path)
    name = server.database_url.rsplit("/", 1)[1]
    database = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    frozen = None
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        with psycopg.connect(database) as holder, psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            holder.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
            assert httpx.get(f"{server.url}/healthz", timeout=30).json()["database"] == "timeout"
            frozen = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                "AND query LIKE 'SELECT id FROM accounts%%'", [name]).fetchone()[0]
            os.kill(frozen, signal.SIGSTOP)
            holder.rollback()
        deadline = time.monotonic() + 30
        while (answer := httpx.get(f"{server.url}/healthz", timeout=30)).status_code != 200:
            assert time.monotonic() < deadline, "the stuck question was never given up on"
        assert answer.json() == {"status": "ok", "database": "ok"}
    finally:
        if frozen is not None:
            os.kill(frozen, signal.SIGCONT)
        stop_server(server)
