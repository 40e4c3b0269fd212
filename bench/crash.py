"""Crash safety: SIGKILL a loaded ``openarc serve`` at random moments, restart it, and check.

Each cycle starts the real server (``python -m openarc serve``, in its own process
group so the kill takes its workers too), runs concurrent writers that create customers
and update their own customers' fields, kills everything with SIGKILL after a random
fraction of a second (or, with ``--signal TERM``, stops it the way a deploy does and
requires it to exit within ``STOP_SECONDS``), restarts, and checks:

- every write the server acknowledged (a 2xx answer reached the client) is present and
  unchanged; a write whose answer never came may or may not have happened, and either
  outcome is accepted;
- ``PRAGMA integrity_check`` says ``ok`` (SQLite; skipped on PostgreSQL).

    python bench/crash.py                       # 50 cycles on a fresh SQLite file
    python bench/crash.py --cycles 10 --database postgresql://…/fresh_db
    python bench/crash.py --signal TERM         # graceful stops under load instead

Prints one line per cycle and a summary; exits 1 if anything acknowledged was lost.
``tests/test_crash_safety.py`` runs it at CI size (10 cycles).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CITIES = ["Boston", "Denver", "Austin", "Seattle", "Portland", "Chicago", "Phoenix", "Atlanta"]


@dataclass
class Expected:
    """What one customer must look like: its city, or one of several if a write is in doubt."""

    city: set[str]
    invoice_prefix: str


@dataclass
class Report:
    cycles: int = 0
    acknowledged_creates: int = 0
    acknowledged_updates: int = 0
    #: Requests cut off: sent, and no answer came (the write may or may not have happened).
    unanswered: int = 0
    #: Requests that found no server listening (sent after it stopped accepting): never started.
    refused: int = 0
    lost: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    #: Graceful stops (SIGTERM) that did not end the server within STOP_SECONDS, or ended it
    #: with an exit status other than 0 (what a SIGKILL looks like).
    hung: int = 0
    unclean_exits: int = 0

    @property
    def ok(self) -> bool:
        return (not self.lost and not self.hung and not self.unclean_exits
                and all(result == "ok" for result in self.integrity))


#: How long a SIGTERM'd server may take to finish its requests and exit.
STOP_SECONDS = 15


class Server:
    def __init__(self, database_url: str, workdir: Path, workers: int = 1) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> str:
        """Start (or restart) the server; returns its output so far (the first key is in it)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = self.workdir / "server.log"
        with log.open("a") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "openarc", "serve", "--port", str(port), "--database", self.database_url,
                 "--workers", str(self.workers)],
                stdout=handle, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True,
                env={**os.environ, "OPENARC_RATE_LIMIT": "0", "OPENARC_ACCESS_LOG": "0"},
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"openarc serve exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=1).status_code == 200:
                    return log.read_text()
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"openarc serve did not answer:\n{log.read_text()}")

    def kill(self, how: signal.Signals = signal.SIGKILL) -> int | None:
        """Stop the server and its workers with ``how`` (SIGKILL runs no shutdown code;
        SIGTERM lets it finish); its exit status, or None if a SIGTERM did not end it within
        STOP_SECONDS (it is then killed)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.killpg(self.process.pid, how)
        try:
            return self.process.wait(STOP_SECONDS if how != signal.SIGKILL else None)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return None


class Writer(threading.Thread):
    """Creates customers and updates its own ones' city, recording what was acknowledged."""

    def __init__(self, url: str, key: str, owned: dict[str, Expected], rng: random.Random,
                 stop: threading.Event, report: Report, lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.owned, self.rng, self.stop_event = url, key, owned, rng, stop
        self.report, self.lock = report, lock

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as http:
            while not self.stop_event.is_set():
                city = self.rng.choice(CITIES)
                try:
                    if not self.owned or self.rng.random() < 0.4:
                        self._create(http, city)
                    else:
                        self._update(http, self.rng.choice(sorted(self.owned)), city)
                except httpx.TransportError:
                    return  # the server is gone: this cycle's load is over

    def _create(self, http: httpx.Client, city: str) -> None:
        try:
            answer = http.post("/v1/customers", json={"name": "Crash Test", "city": city})
        except httpx.TransportError as exc:
            self._count("refused" if isinstance(exc, httpx.ConnectError) else "unanswered")
            raise
        if answer.status_code == 201:
            data = answer.json()["data"]
            self.owned[data["id"]] = Expected({data["city"]}, data["invoice_prefix"])
            self._count("acknowledged_creates")

    def _update(self, http: httpx.Client, cid: str, city: str) -> None:
        expected = self.owned[cid]
        try:
            answer = http.patch(f"/v1/customers/{cid}", json={"city": city})
        except httpx.TransportError as exc:
            if isinstance(exc, httpx.ConnectError):  # no connection: the request never left
                self._count("refused")
            else:
                expected.city.add(city)  # it may or may not have been applied
                self._count("unanswered")
            raise
        if answer.status_code == 200 and answer.json()["data"]["city"] == city:
            self.owned[cid] = Expected({city}, expected.invoice_prefix)
            self._count("acknowledged_updates")
        elif answer.status_code >= 500:
            expected.city.add(city)  # failed after it may have committed: either outcome is fine

    def _count(self, name: str) -> None:
        with self.lock:
            setattr(self.report, name, getattr(self.report, name) + 1)


def integrity_check(database_url: str) -> str | None:
    """``PRAGMA integrity_check`` of a SQLite database; None on PostgreSQL."""
    if not database_url.startswith("sqlite:///"):
        return None
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
        return ";".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def all_customers(url: str, key: str) -> dict[str, dict[str, object]]:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    found: dict[str, dict[str, object]] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        page = 1
        while True:
            body = http.get("/v1/customers", params={"limit": 100, "page": page}).json()
            found.update({c["id"]: c for c in body["data"]})
            if page >= body["meta"]["pagination"]["total_pages"]:
                return found
            page += 1


def verify(expected: dict[str, Expected], found: dict[str, dict[str, object]], report: Report) -> None:
    for cid, want in expected.items():
        got = found.get(cid)
        if got is None:
            report.lost.append(f"customer {cid} is missing")
        elif got["city"] not in want.city or got["invoice_prefix"] != want.invoice_prefix:
            report.lost.append(f"customer {cid}: city {got['city']!r}, expected one of {sorted(want.city)}")
        else:
            want.city = {str(got["city"])}  # settled: whatever happened to an unanswered write


def run(cycles: int, database_url: str, workdir: Path, *, writers: int = 8, seed: int | None = None,
        max_load_seconds: float = 1.0, server_workers: int = 1, echo: bool = True,
        how: signal.Signals = signal.SIGKILL) -> Report:
    rng = random.Random(seed)
    server = Server(database_url, workdir, server_workers)
    output = server.start()
    match = re.search(r"oa_sk_[A-Za-z0-9_-]+", output)
    if match is None:
        server.kill()
        raise RuntimeError("no API key in the server's output: give crash.py a fresh database")
    key = match.group(0)
    report = Report()
    lock = threading.Lock()
    owned: list[dict[str, Expected]] = [{} for _ in range(writers)]
    try:
        for cycle in range(1, cycles + 1):
            stop = threading.Event()
            threads = [Writer(server.url, key, owned[n], random.Random(rng.random()), stop, report, lock)
                       for n in range(writers)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, max_load_seconds))
            status = server.kill(how)
            if how == signal.SIGTERM and status is None:
                report.hung += 1
            elif how == signal.SIGTERM and status != 0:
                report.unclean_exits += 1
            stop.set()
            for t in threads:
                t.join(15)
            integrity = integrity_check(database_url)
            if integrity is not None:
                report.integrity.append(integrity)
            server.start()
            expected = {cid: want for mine in owned for cid, want in mine.items()}
            verify(expected, all_customers(server.url, key), report)
            report.cycles = cycle
            if echo:
                print(f"cycle {cycle:3}: {len(expected)} customers acknowledged, "
                      f"{report.acknowledged_updates} updates so far, lost {len(report.lost)}, "
                      f"integrity {integrity or 'n/a (PostgreSQL)'}", flush=True)
    finally:
        server.kill()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--database", help="a fresh database URL (default: a new SQLite file)")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--signal", choices=["KILL", "TERM"], default="KILL",
                        help="how to stop the loaded server (default KILL: no shutdown code runs)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="openarc-crash-") as tmp:
        workdir = Path(tmp)
        database = args.database or f"sqlite:///{workdir / 'crash.db'}"
        report = run(args.cycles, database, workdir, writers=args.writers, seed=args.seed,
                     server_workers=args.workers, how=signal.Signals[f"SIG{args.signal}"])
    print(f"{report.cycles} SIG{args.signal} cycles: {report.acknowledged_creates} creates and "
          f"{report.acknowledged_updates} updates acknowledged, {report.unanswered} cut off by the stop, "
          f"{report.refused} refused after it; lost {len(report.lost)}; {'ok' if report.ok else 'FAILED'}"
          + (f"; {report.hung} stops took over {STOP_SECONDS} s" if report.hung else "")
          + (f"; {report.unclean_exits} stops exited with an error" if report.unclean_exits else ""))
    for line in report.lost[:20]:
        print("  " + line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
