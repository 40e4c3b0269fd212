"""OpenArc's benchmark: one command, everything started here, one table printed.

    bench/run                         # the documented entry point (installs, starts PostgreSQL)
    python bench/run.py --sizes 10000 --engines sqlite --seconds 3   # a quick look

For each engine and size it seeds a merchant straight into a fresh database, starts a real
`openarc serve` (with one worker, then two: ``--workers``), and drives it with wrk
(32 connections, loopback only, time-bounded):
create (varied names, emails, phones), retrieve (1,000 random ids), list (limit 25, with
total), list filtered by email, a deep page (page 1,000), and the ``q`` search (every form,
mixed; its p99 is compared across sizes).  In the same run it measures
the trivial-ASGI ceiling (uvicorn and granian, once before and once after) and localstripe,
the stateful Python peer.  Ratios are to the uvicorn ceiling's mean, as the issue defines them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
import seed as seeding

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early ({process.returncode})")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


class RssPeak:
    """Samples the resident memory of a process and its children; keeps the peak of the sum."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        found = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            for child in children:
                found += self._tree(int(child))
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            total = 0
            try:
                for pid in self._tree(self.pid):
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
            except (FileNotFoundError, ProcessLookupError):
                continue
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@dataclass
class Row:
    subject: str
    scenario: str
    result: loadgen.Result
    rss: int = 0
    notes: list[str] = field(default_factory=list)


class Server:
    def __init__(self, cmd: list[str], env: dict[str, str] | None = None, ready_path: str = "/") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = [part.replace("{port}", str(self.port)) for part in cmd]
        # Its own process group, so that stopping it also stops the worker processes it spawns.
        self.process = subprocess.Popen(full, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
                                        start_new_session=True)
        wait_ready(self.url + ready_path, self.process)
        self.rss = RssPeak(self.process.pid)

    def stop(self) -> int:
        peak = self.rss.stop()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):  # whatever is left of the group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return peak


def ceiling(kind: str, seconds: int) -> loadgen.Result:
    cmd = {
        "uvicorn": [PYTHON, "-m", "uvicorn", "ceiling:app", "--port", "{port}", "--no-access-log", "--log-level", "warning"],
        "granian": [PYTHON, "-m", "granian", "--interface", "asgi", "--port", "{port}", "--no-ws", "--log-level", "warning", "ceiling:app"],
    }[kind]
    server = Server(cmd, env={"PYTHONPATH": str(HERE)})
    try:
        loadgen.run(server.url, None, 2)  # warm-up
        return loadgen.run(server.url, None, seconds)
    finally:
        server.stop()


def fresh_database(engine: str, workdir: Path, postgres_url: str, label: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / (label + '.db')}"
    import psycopg

    name = f"bench_{label}_{os.getpid()}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str, postgres_url: str) -> None:
    """Leave nothing behind on a PostgreSQL server the bench was pointed at."""
    if url.startswith("sqlite"):
        return
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def openarc(engine: str, size: int, args: argparse.Namespace, workdir: Path) -> list[Row]:
    """Seed once, then serve the same database with each worker count in turn."""
    url = fresh_database(engine, workdir, args.postgres_url, f"{engine}_{size}")
    key, sample, took, fixture = seeding.seed(url, size)
    print(f"  seeded {size:,} customers on {engine} in {took:.1f} s", flush=True)
    scenarios: list[tuple[str, Path]] = []
    if sample:
        scenarios.append(("retrieve", loadgen.lua_paths(workdir, "retrieve", key, [f"/v1/customers/{i}" for i, _ in sample])))
    scenarios.append(("list", loadgen.lua_paths(workdir, "list", key, ["/v1/customers?limit=25"])))
    if sample:
        emails = [f"/v1/customers?limit=25&email={e.replace('@', '%40')}" for _, e in sample]
        scenarios.append(("list by email", loadgen.lua_paths(workdir, "filtered", key, emails)))
    if size >= 25_000:
        scenarios.append(("list page 1000", loadgen.lua_paths(workdir, "deep", key, ["/v1/customers?limit=25&page=1000"])))
    if sample:
        scenarios.append(("search", loadgen.lua_paths(workdir, "search", key, search_paths(sample))))
    scenarios.append(("create", loadgen.lua_create(workdir, key)))
    # Charges beside customer create, in the same run: a charge of the customer's default
    # card, and 10-cent refunds spread over settled charges.
    scenarios.append(("charge create", loadgen.lua_posts(
        workdir, "charge", key, ["/v1/charges"], f"amount=1000&currency=usd&customer_id={fixture.customer_id}")))
    scenarios.append(("refund", loadgen.lua_posts(
        workdir, "refund", key, [f"/v1/charges/{c}/refunds" for c in fixture.settled_charge_ids], "amount=10")))
    if args.only:
        scenarios = [(name, script) for name, script in scenarios if name in args.only.split(",")]
    rows: list[Row] = []
    try:
        for workers in args.workers:
            rows += _serve_and_load(engine, size, url, workers, scenarios, args.seconds)
    finally:
        drop_database(url, args.postgres_url)
    return rows


def search_paths(sample: list[tuple[str, str]]) -> list[str]:
    """``q`` searches of every form, in turn: a common first name (5 % of the customers), a
    surname's first letters, an email's start, phone digits written with punctuation, an id
    as the SDK prints it."""
    paths = []
    for n, (public_id, email) in enumerate(sample):
        i = int(email[1:].split("@")[0])
        fields = seeding.fields_of(i)
        digits = fields["phone"]
        q = [fields["name"].split()[0].lower(), fields["name"].split()[1][:3], f"c{i}%40",
             f"({digits[:3]})%20{digits[3:6]}-{digits[6:]}", f"cus_{public_id}"][n % 5]
        paths.append(f"/v1/customers?q={q}")
    return paths


def search_ratios(rows: list[Row]) -> str:
    """Search p99 at each size against the smallest size of the same engine and workers."""
    lines = ["| engine, workers | size | search p50 ms | search p99 ms | p99 / smallest size's |", "|---|---:|---:|---:|---:|"]
    base: dict[str, float] = {}
    for r in rows:
        if r.scenario != "search":
            continue
        engine, size, workers = r.subject.split()[1], r.subject.split()[2], r.subject.split()[3]
        key = f"{engine} {workers}"
        base.setdefault(key, r.result.p99_ms)
        lines.append(f"| {key} | {size} | {r.result.p50_ms:.2f} | {r.result.p99_ms:.2f} | "
                     f"{r.result.p99_ms / base[key]:.2f}× |")
    return "\n".join(lines)


def _serve_and_load(engine: str, size: int, url: str, workers: int, scenarios: list[tuple[str, Path]],
                    seconds: int) -> list[Row]:
    env = {"OPENARC_RATE_LIMIT": "0", "OPENARC_SECRET_KEY": "", "OPENARC_DATABASE_URL": url}
    server = Server([PYTHON, "-m", "openarc", "serve", "--port", "{port}", "--database", url,
                     "--workers", str(workers)], env=env, ready_path="/openapi.json")
    subject = f"OpenArc {engine} {size:,} ×{workers}w"
    rows: list[Row] = []
    try:
        for name, script in scenarios:
            loadgen.run(server.url, script, 1)  # warm-up (caches, connections)
            rows.append(Row(subject, name, loadgen.run(server.url, script, seconds)))
    finally:
        peak = server.stop()
    for row in rows:
        row.rss = peak
    return rows


def localstripe(args: argparse.Namespace, workdir: Path) -> list[Row]:
    exe = shutil.which("localstripe", path=str(Path(PYTHON).parent))
    if exe is None:
        return []
    server = Server([exe, "--port", "{port}", "--from-scratch"], ready_path="/v1/customers")
    auth = {"Authorization": "Bearer sk_test_bench"}
    rows = []
    try:
        ids = [httpx.post(f"{server.url}/v1/customers", data={"email": f"c{i}@example.com"}, headers=auth).json()["id"]
               for i in range(100)]
        create = loadgen.lua_stripe_create(workdir, "sk_test_bench")
        scripts = [
            ("retrieve", loadgen.lua_paths(workdir, "ls_retrieve", "sk_test_bench", [f"/v1/customers/{i}" for i in ids])),
            ("list", loadgen.lua_paths(workdir, "ls_list", "sk_test_bench", ["/v1/customers?limit=10"])),
            ("create", create),
        ]
        for name, script in scripts:
            rows.append(Row("localstripe (its first customers)", name, loadgen.run(server.url, script, args.seconds)))
    finally:
        peak = server.stop()
    for row in rows:
        row.rss = peak
    return rows


def table(rows: list[Row], ceiling_rps: float) -> str:
    lines = ["| subject | scenario | req/s | % of ceiling | p50 ms | p99 ms | non-2xx | peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        pct = 100 * r.result.rps / ceiling_rps if ceiling_rps else 0
        lines.append(f"| {r.subject} | {r.scenario} | {r.result.rps:,.0f} | {pct:.0f} % | {r.result.p50_ms:.2f} | "
                     f"{r.result.p99_ms:.2f} | {r.result.errors} | {r.rss / 2**20:.0f} |")
    return "\n".join(lines)


def charge_ratios(rows: list[Row]) -> str:
    """Charge create and refund against customer create, per server (same run, same server)."""
    lines = ["| subject | charge create / customer create | refund / customer create |", "|---|---:|---:|"]
    by_subject: dict[str, dict[str, float]] = {}
    for r in rows:
        by_subject.setdefault(r.subject, {})[r.scenario] = r.result.rps
    for subject, rps in by_subject.items():
        if rps.get("create") and "charge create" in rps:
            lines.append(f"| {subject} | {rps['charge create'] / rps['create']:.2f}× | "
                         f"{rps.get('refund', 0) / rps['create']:.2f}× |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=5, help="per scenario")
    parser.add_argument("--workers", default="1,2", help="worker counts to serve each database with")
    parser.add_argument("--postgres-url", default=os.environ.get("POSTGRES_URL", ""))
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--only", help="comma-separated scenarios to run (default: all), e.g. search")
    parser.add_argument("--output", type=Path, help="also write the table (markdown) here")
    args = parser.parse_args()
    args.workers = [int(w) for w in str(args.workers).split(",") if w]
    if shutil.which("wrk") is None:
        print("bench: wrk is missing (Debian package wrk); bench/run installs it", file=sys.stderr)
        return 2
    engines = [e for e in args.engines.split(",") if e]
    if "postgres" in engines and not args.postgres_url:
        print("bench: --postgres-url (or bench/run, which starts one) is needed for postgres", file=sys.stderr)
        return 2

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="openarc-bench-") as tmp:
        workdir = Path(tmp)
        print("ceilings…", flush=True)
        before = {kind: ceiling(kind, args.seconds) for kind in ("uvicorn", "granian")}
        for engine in engines:
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"OpenArc on {engine} at {size:,}…", flush=True)
                rows += openarc(engine, size, args, workdir)
        if not args.skip_peers:
            print("localstripe…", flush=True)
            rows += localstripe(args, workdir)
        after = {kind: ceiling(kind, args.seconds) for kind in ("uvicorn", "granian")}

    ceilings = [Row(f"ceiling ({kind}, trivial ASGI)", f"GET, {when}", res)
                for when, results in (("before", before), ("after", after)) for kind, res in results.items()]
    ceiling_rps = (before["uvicorn"].rps + after["uvicorn"].rps) / 2
    report = "\n".join([
        f"Command: {' '.join(['python', 'bench/run.py', *sys.argv[1:]])}",
        (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
         f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wrk -t2 -c32 on the same cores; "
         f"OpenArc with {'/'.join(map(str, args.workers))} worker(s) (×Nw), rate limit off, access log on"),
        f"Ceiling (uvicorn, mean of before/after): {ceiling_rps:,.0f} req/s",
        "",
        table(ceilings + rows, ceiling_rps),
    ])
    report += "\n\n" + charge_ratios(rows)
    report += "\n\n" + search_ratios(rows)
    print("\n" + report)
    if args.output:
        args.output.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
