"""The CLI contract: `openarc serve` and `openarc keys create`, run as a user runs them."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import start_server, stop_server
from openarc.cli import serve as serve_command
from openarc.db import describe
from openarc.db.engine import normalise_url


def openarc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openarc", *args], check=False, capture_output=True, text=True, cwd=cwd, timeout=60)


def test_keys_create_prints_a_working_key_last(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    first = openarc("keys", "create", "--account", "acme", "--database", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert key.startswith("oa_sk_") and len(key) >= 6 + 43
    second = openarc("keys", "create", "--account", "acme", "--database", db, cwd=tmp_path)
    assert second.stdout.strip().splitlines()[-1] != key
    # The key itself is nowhere in the database file.
    assert key.encode() not in (tmp_path / "k.db").read_bytes()

    server = start_server(tmp_path)
    try:
        # A key made by the CLI against the server's database works at once.
        made = openarc("keys", "create", "--account", "acme", "--database", server.database_url, cwd=tmp_path)
        live_key = made.stdout.strip().splitlines()[-1]
        r = httpx.get(f"{server.url}/v1/customers", headers={"Authorization": f"Bearer {live_key}"})
        assert r.status_code == 200
    finally:
        stop_server(server)


def test_keys_create_refuses_a_blank_account(tmp_path: Path) -> None:
    result = openarc("keys", "create", "--account", "  ", "--database", f"sqlite:///{tmp_path / 'k.db'}", cwd=tmp_path)
    assert result.returncode == 2 and "account" in result.stderr


def test_serve_prints_where_it_is_and_a_sandbox_key_once(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        out = server.output()
        assert f"listening on {server.url}" in out
        assert f"Database: {describe(server.database_url)}" in out
        assert server.first_key
        r = httpx.post(f"{server.url}/v1/customers", data={"name": "John Smith"},
                       headers={"Authorization": f"Bearer {server.first_key}"})
        assert r.status_code == 201
    finally:
        stop_server(server)
    again = start_server(tmp_path, database=server.database_url)
    try:
        assert "oa_sk_" not in again.output()
        r = httpx.get(f"{again.url}/v1/customers", headers={"Authorization": f"Bearer {server.first_key}"})
        assert r.json()["meta"]["pagination"]["total"] == 1  # the data survived the restart
    finally:
        stop_server(again)


def test_serve_defaults_to_a_sqlite_file_in_the_current_folder(tmp_path: Path) -> None:
    import os
    import re
    import time

    from conftest import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "OPENARC_DATABASE_URL"}
    proc = subprocess.Popen([sys.executable, "-m", "openarc", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert (tmp_path / "openarc.db").exists()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert re.search(r"Database: .*openarc\.db", out)


def test_keys_list_and_revoke(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        db = server.database_url
        made = [openarc("keys", "create", "--account", "acme", "--database", db, cwd=tmp_path).stdout for _ in range(2)]
        by_id, by_key = (m.strip().splitlines()[-1] for m in made)
        key_id = made[0].split("Key id:")[1].split()[0]
        listing = openarc("keys", "list", "--database", db, cwd=tmp_path).stdout
        assert key_id in listing and "acme" in listing and "sandbox" in listing
        assert "oa_sk_" not in listing

        def status(key: str) -> int:
            return httpx.get(f"{server.url}/v1/customers", headers={"Authorization": f"Bearer {key}"}).status_code

        assert status(by_id) == 200 and status(by_key) == 200
        used = openarc("keys", "list", "--database", db, cwd=tmp_path).stdout
        [row] = [line for line in used.splitlines() if key_id in line]
        merchant, shown_id, created, last_used, revoked = re.split(r"\s{2,}", row.strip())
        assert (merchant, shown_id, revoked) == ("acme", key_id, "-")
        assert created.endswith("Z") and last_used.endswith("Z")
        assert openarc("keys", "revoke", key_id, "--database", db, cwd=tmp_path).returncode == 0
        assert openarc("keys", "revoke", by_key, "--database", db, cwd=tmp_path).returncode == 0
        assert status(by_id) == 401 and status(by_key) == 401
        assert status(server.first_key) == 200
        unknown = openarc("keys", "revoke", "key_nope", "--database", db, cwd=tmp_path)
        assert unknown.returncode == 3 and "No such key" in unknown.stderr
    finally:
        stop_server(server)


@pytest.mark.parametrize(("url", "says"), [
    ("nonsense", "not a database URL"),
    ("mysql://admin:hunter22@db.example/shop", "not 'mysql'"),
    ("http://example.com/db", "not 'http'"),
    ("postgresql://admin:hunter22@db.example:port/shop", "malformed postgresql URL"),
    ("postgresql://admin:hun@hunter22@db.example/shop", "write an @ in the user name or password as %40"),
    ("postgresql+asyncpg://admin:hunter22@db.example/shop", "through psycopg 3 only"),
    ("sqlite://admin:hunter22@/shop.db", "a SQLite URL names a file, nothing else"),
    ("postgresql://admin:hunter22@127.0.0.1/shop?port=x", "malformed database URL"),
])
def test_a_database_url_it_cannot_use_is_named_in_one_line(tmp_path: Path, url: str, says: str) -> None:
    result = openarc("keys", "list", "--database", url, cwd=tmp_path)
    assert result.returncode == 2
    assert says in result.stderr
    assert "sqlite:///path/to/file.db" in result.stderr or "%40" in says  # how to write one
    assert "Traceback" not in result.stderr and "hunter22" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_database_that_cannot_be_reached_is_one_line_too(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'no such folder' / 'x.db'}"
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        refused = f"postgresql://openarc:hunter22@127.0.0.1:{s.getsockname()[1]}/openarc"
        results = [openarc("keys", "list", "--database", url, cwd=tmp_path) for url in (missing, refused)]
    for result in results:
        assert result.returncode == 1 and result.stderr.startswith("openarc: cannot use the database: ")
        assert "Traceback" not in result.stderr and "hunter22" not in result.stderr
        assert result.stderr.count("\n") == 1
    assert "unable to open database file" in results[0].stderr
    assert "Connection refused" in results[1].stderr


def test_listen_addresses_as_people_write_them() -> None:
    assert serve_command._address("127.0.0.1") == "127.0.0.1"
    assert serve_command._address("[::1]") == serve_command._address("::1") == "::1"
    assert serve_command._address("localhost") == "127.0.0.1"


def test_urls_written_for_other_drivers_mean_the_same_database() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg2://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    assert normalise_url("sqlite:///openarc.db") == "sqlite:///openarc.db"
    with pytest.raises(ValueError, match="not 'mysql'"):
        normalise_url("mysql://u@h/db")


@pytest.mark.parametrize(("args", "says"), [
    (("--port", "99999"), "port must be from 0 to 65535, not 99999"),
    (("--port", "eighty"), "port must be a whole number, not 'eighty'"),
    (("--workers", "0"), "workers must be from 1 to 256, not 0"),
    (("--host", "no-such-host.invalid"), "cannot listen on 'no-such-host.invalid'"),
])
def test_serve_names_a_bad_option_before_it_starts(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    result = openarc("serve", *args, "--database", f"sqlite:///{tmp_path / 's.db'}", cwd=tmp_path)
    assert result.returncode == 2 and says in result.stderr
    assert "Traceback" not in result.stderr and "listening" not in result.stdout
    assert not (tmp_path / "s.db").exists()  # refused before the database was touched


def test_serve_listens_on_a_host_name_and_refuses_a_port_in_use(tmp_path: Path) -> None:
    # granian binds addresses only: "localhost" is resolved first.  It also binds with
    # SO_REUSEPORT, so without a check a second server would share the first one's port.
    server = start_server(tmp_path, "--host", "localhost")
    try:
        port = server.url.rsplit(":", 1)[1]
        second = openarc("serve", "--port", port, "--database", f"sqlite:///{tmp_path / 'other.db'}", cwd=tmp_path)
        assert second.returncode == 1
        assert second.stderr.strip() == f"openarc: cannot listen on 127.0.0.1 port {port}: Address already in use"
        assert httpx.get(f"{server.url}/openapi.json").status_code == 200
    finally:
        stop_server(server)
