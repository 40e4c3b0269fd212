"""Bounded resources: per-key rate limits (PayArc's headers, 429) and server timeouts."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import Client, LiveServer, start_server, stop_server
from openarc.api.app import create_app
from openarc.config import Settings
from openarc.services.ratelimit import RateLimiter


@pytest.fixture
def limited(settings: Settings) -> Iterator[Client]:
    with Client(create_app(Settings(database_url=settings.database_url, rate_limit=3))) as c:
        c.a = c.merchant("merchant-a")
        c.b = c.merchant("merchant-b")
        yield c


def test_headers_count_down_then_429_in_payarc_shape(limited: Client) -> None:
    remaining = [limited.get("/v1/customers", headers=limited.a.headers).headers for _ in range(3)]
    assert [h["x-ratelimit-limit"] for h in remaining] == ["3", "3", "3"]
    assert [h["x-ratelimit-remaining"] for h in remaining] == ["2", "1", "0"]
    refused = limited.post("/v1/customers", headers=limited.a.headers, json={"name": "John Smith"})
    assert refused.status_code == 429
    assert refused.json() == {"status": "error", "code": 0, "message": "Too Many Attempts.", "status_code": 429}
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining"] == "0" and "request-id" in refused.headers
    # Nothing was created by the refused request, and other keys keep their own budget.
    assert limited.get("/v1/customers", headers=limited.b.headers).status_code == 200


def test_unauthenticated_requests_are_limited_too(limited: Client) -> None:
    statuses = [limited.get("/v1/customers", headers={"Authorization": "Bearer wrong"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_limit_is_off_at_zero_and_outside_v1(settings: Settings) -> None:
    with Client(create_app(Settings(database_url=settings.database_url, rate_limit=0))) as c:
        merchant = c.merchant("m")
        answers = [c.get("/v1/customers", headers=merchant.headers) for _ in range(5)]
        assert all(r.status_code == 200 and "x-ratelimit-limit" not in r.headers for r in answers)
    limiter = RateLimiter(1)
    assert limiter.hit("k", 0).allowed and not limiter.hit("k", 59.9).allowed
    assert limiter.hit("k", 60).allowed  # a new window


def test_default_limit_is_generous_and_configurable() -> None:
    assert Settings().rate_limit >= 10_000
    assert Settings.from_env({"OPENARC_RATE_LIMIT": "30"}).rate_limit == 30
    assert Settings.from_env({"OPENARC_RATE_LIMIT": "0"}).rate_limit == 0


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("timeouts"), env={"OPENARC_HEADER_TIMEOUT_SECONDS": "1"})
    yield server
    stop_server(server)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except (TimeoutError, ConnectionResetError):
        return False


def test_a_client_that_never_finishes_its_headers_is_cut_off(impatient_server: LiveServer) -> None:
    port = int(impatient_server.url.rsplit(":", 1)[1])
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    for sock in slow:
        sock.sendall(b"GET /v1/customers HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    # Others are served meanwhile…
    started = time.monotonic()
    assert httpx.get(f"{impatient_server.url}/openapi.json", timeout=5).status_code == 200
    assert time.monotonic() - started < 1
    # …and the slow ones are dropped after the header timeout.
    assert all(_closed_within(sock, 5) for sock in slow)
    for sock in slow:
        sock.close()


def test_an_idle_kept_alive_connection_is_closed(impatient_server: LiveServer) -> None:
    port = int(impatient_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert _closed_within(sock, 6)
        assert time.monotonic() - started < 5


def test_the_limit_counts_the_merchant_whatever_the_header_looks_like(limited: Client) -> None:
    """The limit used to be keyed on the raw header: ``Bearer`` and extra spaces authenticated
    but counted on a fresh counter, so every spacing was another full budget."""
    key = limited.a.key
    variants = [f"Bearer {key}", f"Bearer  {key}", f"Bearer {key} ", f"Bearer \t{key}"]
    statuses = [limited.get("/v1/customers", headers={"Authorization": v}).status_code for v in variants]
    assert statuses == [200, 200, 200, 429]
    # Another key of the same merchant shares the budget; another merchant has its own.
    second_key = limited.merchant("merchant-a")
    assert limited.get("/v1/customers", headers=second_key.headers).status_code == 429
    assert limited.get("/v1/customers", headers=limited.b.headers).status_code == 200


def test_wrong_keys_count_against_the_client_address(limited: Client) -> None:
    """Each made-up key is not a budget of its own."""
    statuses = [limited.get("/v1/customers", headers={"Authorization": f"Bearer wrong-{i}"}).status_code
                for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_hostile_ids_do_not_stay_in_memory(client: Client) -> None:
    """The id decoder's cache kept any string it was given: 1,500 GETs of 30-KB ids and 100
    PATCHes with 500-KB ``token_id`` values grew a worker by ~90 MiB for good."""
    import gc
    import tracemalloc

    h = client.a.headers
    customer = client.post("/v1/customers", json={"name": "Memory Check"}, headers=h).json()["data"]["id"]

    def hostile(rounds: int, start: int) -> None:
        for i in range(start, start + rounds):
            client.get(f"/v1/customers/{i:08d}{'x' * 30_000}", headers=h)
            client.get(f"/v1/charges/{i:08d}{'y' * 30_000}", headers=h)
            if i % 15 == 0:
                client.patch(f"/v1/customers/{customer}", json={"token_id": f"{i}{'z' * 500_000}"}, headers=h)

    # Warm every path first: lazily built things are not a leak, and the URL parsers' own
    # caches (urllib's and httpx's, 128 entries each) are full before anything is counted.
    tracemalloc.start()  # before the warm-up, so that what it evicts later counts as freed
    try:
        hostile(150, 0)
        gc.collect()
        before = tracemalloc.take_snapshot()
        hostile(300, 1000)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    # 600 ids of 30 KB and 20 token ids of 500 KB would be ~28 MB if any were kept.
    assert grown < 2_000_000, f"{grown} bytes kept after hostile ids"
