"""Fixtures: a fresh real SQLite file per test, the real app, real servers on loopback.

Nothing of OpenArc is mocked.  ``client`` drives the ASGI app in-process over a
temporary database; ``live_server`` runs ``openarc serve`` as a subprocess for the
tests where the client library and the wire matter.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from openarc.api.app import create_app
from openarc.config import Settings
from openarc.context import build_context
from openarc.services import accounts

#: When set (scripts/test sets it for the second pass), every test gets a fresh PostgreSQL
#: database on that server instead of a fresh SQLite file.
POSTGRES_URL = os.environ.get("OPENARC_TEST_POSTGRES_URL", "")
ON_POSTGRES = bool(POSTGRES_URL)
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="inspects the SQLite file itself")


def _fresh_postgres_database() -> str:
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def database_url(path: Path) -> str:
    """A new, empty database for one test (or one live server)."""
    if ON_POSTGRES:
        return _fresh_postgres_database()
    return f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=database_url(tmp_path / "openarc.db"))


@dataclass
class Merchant:
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}


class Client(TestClient):
    """A test client that knows two merchants, ``a`` and ``b``."""

    a: Merchant
    b: Merchant

    def merchant(self, name: str) -> Merchant:
        ctx = self.app.state.ctx
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, name, now=ctx.clock.now())
        return Merchant(name, issued.secret)


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    with Client(create_app(settings), raise_server_exceptions=False) as c:
        c.a = c.merchant("merchant-a")
        c.b = c.merchant("merchant-b")
        yield c


# ---------------------------------------------------------------------------- live server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    database_url: str
    process: subprocess.Popen
    log: Path
    first_key: str

    def merchant(self, name: str) -> Merchant:
        ctx = build_context(Settings(database_url=self.database_url))
        try:
            issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, name, now=ctx.clock.now())
        finally:
            ctx.db.dispose()
        return Merchant(name, issued.secret)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(
    workdir: Path, *extra: str, env: dict[str, str] | None = None, database: str | None = None
) -> LiveServer:
    """``openarc serve`` on a free port, over ``database`` or a fresh one."""
    port = free_port()
    db_url = database or database_url(workdir / "live.db")
    log = workdir / "server.log"
    with log.open("w") as handle:  # the server writes to its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "openarc", "serve", "--port", str(port), "--database", db_url, *extra],
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # its own group: stopping it stops granian's workers too
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"openarc serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"openarc serve did not answer:\n{log.read_text()}")
    match = re.search(r"oa_sk_[A-Za-z0-9_-]+", log.read_text())
    return LiveServer(url, db_url, process, log, match.group(0) if match else "")


def stop_server(server: LiveServer) -> None:
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):  # no worker outlives its test
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    stop_server(server)
