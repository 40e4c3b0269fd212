"""Several OpenArc processes on one database act as one service (as nodes behind a load
balancer would): two real ``openarc serve`` processes, on separate ports, on one PostgreSQL
(or, without one, one SQLite file)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import LiveServer, database_url, start_server, stop_server

#: Small enough to reach in a test; the sharing interval is a quarter second.
LIMIT = 10


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    workdir = tmp_path_factory.mktemp("nodes")
    url = database_url(workdir / "shared.db")
    started: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            (workdir / name).mkdir()
            started.append(start_server(workdir / name, env={"OPENARC_RATE_LIMIT": str(LIMIT)}, database=url))
        yield started[0], started[1]
    finally:
        for server in reversed(started):
            stop_server(server)


def test_a_write_acknowledged_by_one_node_is_read_by_the_next_request_on_the_other(
        nodes: tuple[LiveServer, LiveServer]) -> None:
    a, b = nodes
    key = a.merchant("read-after-write").headers
    for i in range(LIMIT // 2):
        made = httpx.post(f"{a.url}/v1/customers", json={"name": f"Node Person {chr(65 + i)}"}, headers=key)
        assert made.status_code == 201, made.text
        assert httpx.get(f"{b.url}/v1/customers/{made.json()['data']['id']}", headers=key).status_code == 200


def test_one_idempotency_key_sent_to_both_nodes_at_once_creates_one_object(
        nodes: tuple[LiveServer, LiveServer]) -> None:
    a, b = nodes
    merchant = a.merchant("one-key-two-nodes")
    idem = uuid.uuid4().hex
    headers = {**merchant.headers, "Idempotency-Key": idem}

    def send(url: str) -> httpx.Response:
        return httpx.post(f"{url}/v1/customers", json={"name": "Only Once"}, headers=headers, timeout=10)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, [a.url, b.url] * 4))
    made = {r.json()["data"]["id"] for r in answers if r.status_code == 201}
    assert len(made) == 1, [(r.status_code, r.text[:80]) for r in answers]
    assert all(r.status_code in (201, 409) for r in answers)
    listed = httpx.get(f"{b.url}/v1/customers", headers=merchant.headers).json()
    assert listed["meta"]["pagination"]["total"] == 1


def test_a_revoked_key_is_refused_by_every_node_within_a_second(nodes: tuple[LiveServer, LiveServer]) -> None:
    a, b = nodes
    merchant = a.merchant("revoked-everywhere")
    for node in nodes:  # both remember the key as valid
        assert httpx.get(f"{node.url}/v1/customers", headers=merchant.headers).status_code == 200
    subprocess.run([sys.executable, "-m", "openarc", "keys", "revoke", merchant.key, "--database", a.database_url],
                   check=True, capture_output=True)
    deadline = time.monotonic() + 1.0
    refused: set[str] = set()
    while time.monotonic() < deadline and len(refused) < 2:
        for node in nodes:
            if httpx.get(f"{node.url}/v1/customers", headers=merchant.headers).status_code == 401:
                refused.add(node.url)
        time.sleep(0.05)
    assert refused == {a.url, b.url}


def test_the_rate_limit_is_one_budget_across_nodes(nodes: tuple[LiveServer, LiveServer]) -> None:
    """Each process counted on its own, so two nodes gave a merchant twice its limit."""
    a, b = nodes
    merchant = a.merchant("one-budget")
    if time.time() % 60 > 50:  # windows are minutes: keep both halves in one
        time.sleep(61 - time.time() % 60)
    allowed = 0
    for node, count in ((a, 8), (b, 8)):
        statuses = [httpx.get(f"{node.url}/v1/customers", headers=merchant.headers).status_code for _ in range(count)]
        allowed += statuses.count(200)
        time.sleep(0.6)  # more than the sharing interval: the other node has heard
    # At most the limit, plus what one node admits before the other's counts arrive.
    assert LIMIT <= allowed <= LIMIT + 2, allowed
