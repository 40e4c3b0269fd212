"""``GET /healthz`` on a real server: up while its database answers, 503 while it does not."""

from __future__ import annotations

import json
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
def test_healthz_is_503_while_the_database_is_gone_and_ok_once_it_is_back(tmp_path: Path) -> None:
    import psycopg

    server = start_server(tmp_path)
    name = server.database_url.rsplit("/", 1)[1]
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # ends the server's sessions too
        gone = httpx.get(f"{server.url}/healthz", timeout=30)
        assert gone.status_code == 503
        assert gone.json() == {"status": "unavailable", "database": "error"}
        assert gone.headers["retry-after"] == "5"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        deadline = time.monotonic() + 10
        while (back := httpx.get(f"{server.url}/healthz", timeout=30)).status_code != 200:
            assert time.monotonic() < deadline, back.text
            time.sleep(0.2)
        assert back.json() == {"status": "ok", "database": "ok"}
        output = server.output()
        assert "Traceback" not in output
        # Said once in the server's own log, as a JSON line among the access log's.
        records = [json.loads(line) for line in output.splitlines() if line.startswith('{"time"')]
        assert any(r["event"] == "log" and r["logger"] == "openarc.health" and r["level"] == "warning"
                   for r in records)
    finally:
        stop_server(server)
