"""OpenArc in your own tests: a real ``openarc serve --sandbox`` on loopback, and a handle to it.

The pytest plugin (``openarc.testing.plugin``, loaded automatically once OpenArc is
installed) gives each test the fixture ``openarc``::

    def test_create_customer(openarc):
        payarc = Payarc(bearer_token=openarc.key, base_url=openarc.url)

Outside pytest, ``SandboxServer.start(folder)`` does the same by hand.  Only the
standard library is used here, so this works with nothing but OpenArc installed.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["OpenArc", "SandboxError", "SandboxServer"]

#: The merchant the plugin's key belongs to.
ACCOUNT = "tests"
START_TIMEOUT = 30.0


class SandboxError(RuntimeError):
    """The sandbox server failed to start or refused a control request."""


@dataclass(frozen=True)
class OpenArc:
    """What a test needs: the base URL (no trailing slash) and a merchant's bearer key."""

    url: str
    key: str = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}

    def _control(self, method: str, path: str, body: dict[str, object] | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(f"{self.url}/_openarc/{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise SandboxError(f"{method} /_openarc/{path}: {exc.code} {exc.read().decode(errors='replace')}") from None
        return json.loads(raw)["data"] if raw else None

    def reset(self) -> dict[str, object]:
        """Delete this merchant's customers, cards, tokens, bank accounts and charges, forget its
        request log, and put the clock back on the wall clock.  The key keeps working."""
        return self._control("POST", "reset")  # type: ignore[return-value]

    def requests(self, limit: int = 100) -> list[dict[str, object]]:
        """The last requests made with this key (and those with no valid key), newest first, redacted."""
        return self._control("GET", f"requests?limit={limit}")  # type: ignore[return-value]

    def settle(self) -> dict[str, int]:
        """Settle this merchant's captured card charges and ACH charges now, as the daily
        cut-off would; how many of each (``{"settled": n, "ach_settled": m}``)."""
        return self._control("POST", "settle")  # type: ignore[return-value]

    def now(self) -> int:
        return self._control("GET", "clock")["now"]  # type: ignore[index]

    def freeze(self, at: int | None = None) -> int:
        """Stop the clock, at ``at`` (Unix seconds) or now; returns the frozen time."""
        return self._control("POST", "clock/freeze", {} if at is None else {"at": at})["now"]  # type: ignore[index]

    def advance(self, seconds: int) -> int:
        """Move the clock forward (frozen or not); returns the new time."""
        return self._control("POST", "clock/advance", {"seconds": seconds})["now"]  # type: ignore[index]

    def reset_clock(self) -> int:
        return self._control("POST", "clock/reset")["now"]  # type: ignore[index]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _issue_key(database_url: str) -> str:
    """Migrate the database and make a key for ``ACCOUNT``, before the server opens it."""
    from openarc.config import Settings
    from openarc.context import build_context
    from openarc.services import accounts

    ctx = build_context(Settings.from_env(database_url=database_url))
    try:
        return accounts.issue_key(ctx.db, ctx.secrets.api_keys, ACCOUNT, now=ctx.clock.now()).secret
    finally:
        ctx.db.dispose()


@dataclass
class SandboxServer:
    """One ``openarc serve --sandbox`` subprocess and the key of its merchant ``tests``."""

    url: str
    key: str = field(repr=False)
    database_url: str
    process: subprocess.Popen = field(repr=False)
    log: Path

    @classmethod
    def start(cls, folder: Path, database_url: str | None = None) -> SandboxServer:
        """Start a server over ``database_url`` (default: a new SQLite file in ``folder``)."""
        folder.mkdir(parents=True, exist_ok=True)
        database_url = database_url or f"sqlite:///{folder / 'openarc.db'}"
        key = _issue_key(database_url)
        for _attempt in range(3):  # another process may take the free port before the server binds it
            server = cls._launch(folder, database_url, key)
            if server is not None:
                return server
        raise SandboxError(f"openarc serve --sandbox did not start:\n{(folder / 'openarc.log').read_text()}")

    @classmethod
    def _launch(cls, folder: Path, database_url: str, key: str) -> SandboxServer | None:
        port = _free_port()
        log = folder / "openarc.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "openarc", "serve", "--sandbox", "--host", "127.0.0.1", "--port", str(port),
                 "--database", database_url],
                stdout=out, stderr=subprocess.STDOUT, cwd=folder, env={**os.environ, "OPENARC_SANDBOX": "1"},
                start_new_session=True,  # its own process group: stop() reaches granian's worker too
            )
        server = cls(f"http://127.0.0.1:{port}", key, database_url, process, log)
        atexit.register(server.stop)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return None
            try:
                with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=1) as response:
                    if response.status == 200:
                        return server
            except OSError:
                time.sleep(0.05)
        server.stop()
        raise SandboxError(f"openarc serve --sandbox did not answer within {START_TIMEOUT:.0f}s:\n{log.read_text()}")

    def handle(self) -> OpenArc:
        return OpenArc(self.url, self.key)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):  # a worker left behind by a stuck shutdown
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
