"""No lost updates: concurrent writes to one customer all take effect, against a live server."""

from __future__ import annotations

import string
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from conftest import ON_POSTGRES, LiveServer
from factories import AMEX, DISCOVER, MASTERCARD, VISA, card_form
from openarc.config import Settings

ROUNDS = 100
WRITERS = 16
CARDS = [VISA, MASTERCARD, AMEX, DISCOVER]


def _letters(n: int) -> str:
    out = ""
    for _ in range(3):
        n, digit = divmod(n, 26)
        out += string.ascii_lowercase[digit]
    return out


def field_values(i: int) -> dict[str, str]:
    """Twelve fields, each valid and different in every round."""
    tag = _letters(i)
    return {
        "name": f"Name {tag}",
        "email": f"r{i}@example.com",
        "description": f"round {i} description",
        "send_email_address": f"send{i}@example.com",
        "cc_email_address": f"cc{i}@example.com",
        "country": f"Land{tag}",
        "address_1": f"{i} Main Street",
        "address_2": f"Suite {i}",
        "city": f"City {tag}",
        "state": f"State {tag}",
        "zip": f"{i:05d}",
        "phone": f"5417{i:05d}",
    }


class Pool:
    """``WRITERS`` threads, each with its own keep-alive connection, released together."""

    def __init__(self, server: LiveServer) -> None:
        self.clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(WRITERS)]
        self.executor = ThreadPoolExecutor(WRITERS)

    def together(self, jobs: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
        barrier = threading.Barrier(len(jobs))

        def run(n: int) -> httpx.Response:
            barrier.wait()
            return jobs[n](self.clients[n])

        return list(self.executor.map(run, range(len(jobs))))

    def close(self) -> None:
        self.executor.shutdown()
        for c in self.clients:
            c.close()


def test_concurrent_patches_of_different_fields_all_take_effect(live_server: LiveServer) -> None:
    merchant = live_server.merchant("concurrent-patches")
    headers = merchant.headers
    pool = Pool(live_server)
    http = pool.clients[0]
    try:
        for i in range(ROUNDS):
            cid = http.post("/v1/customers", headers=headers, json={"name": "Start Name"}).json()["data"]["id"]
            tokens = [
                http.post("/v1/tokens", headers=headers, data=card_form(
                    number, cvv="1234" if number.startswith("3") else "997",
                )).json()["data"]["id"]
                for number in CARDS
            ]
            values = field_values(i)
            changes = [{name: value} for name, value in values.items()] + [{"token_id": t} for t in tokens]
            assert len(changes) == WRITERS

            def patch(change: dict[str, str], url: str = f"/v1/customers/{cid}") -> Callable[[httpx.Client], httpx.Response]:
                return lambda c: c.patch(url, headers=headers, json=change)

            answers = pool.together([patch(change) for change in changes])
            assert [r.status_code for r in answers] == [200] * WRITERS, [r.text for r in answers if r.status_code != 200]
            found = http.get(f"/v1/customers/{cid}", headers=headers).json()["data"]
            assert {name: found[name] for name in values} == values, f"round {i}"
            cards = found["card"]["data"]
            assert len(cards) == len(CARDS), f"round {i}"
            assert sum(card["is_default"] for card in cards) == 1, f"round {i}"
    finally:
        pool.close()


def test_invoice_prefixes_stay_unique_under_concurrent_creates(live_server: LiveServer) -> None:
    merchant = live_server.merchant("concurrent-creates")
    pool = Pool(live_server)
    per_writer = 15
    try:
        def create_many(c: httpx.Client) -> httpx.Response:
            last = None
            for _ in range(per_writer):
                last = c.post("/v1/customers", headers=merchant.headers, json={"name": "John Smith"})
                assert last.status_code == 201
            assert last is not None
            return last

        pool.together([create_many] * WRITERS)
        http = pool.clients[0]
        seen: list[dict[str, object]] = []
        page = 1
        while True:
            body = http.get("/v1/customers", headers=merchant.headers, params={"limit": 100, "page": page}).json()
            seen += body["data"]
            if page >= body["meta"]["pagination"]["total_pages"]:
                break
            page += 1
    finally:
        pool.close()
    assert len(seen) == WRITERS * per_writer == body["meta"]["pagination"]["total"]
    assert len({c["invoice_prefix"] for c in seen}) == len(seen)
    assert len({c["id"] for c in seen}) == len(seen)


def test_ordinal_blocks_of_separate_processes_never_overlap(settings: Settings) -> None:
    """PostgreSQL creates take invoice-prefix ordinals from blocks each worker reserves; two
    workers (two ``Ordinals``) drawing concurrently for one merchant never share one."""
    from openarc.context import build_context
    from openarc.db.steps import Steps, run
    from openarc.services import accounts, customers, ordinals

    ctx = build_context(settings)

    def blocking(steps: Steps[Any]) -> Any:  # on this thread's connection, as a worker's database thread would
        with ctx.db.raw.autocommit() as raw:
            return run(raw, steps)

    try:
        account = accounts.ensure_account(ctx.db, "blocks", now=1)
        workers = [ordinals.Ordinals(size=7), ordinals.Ordinals(size=5)]
        with ThreadPoolExecutor(8) as pool:
            drawn = list(pool.map(lambda i: blocking(workers[i % 2].next(account.id)), range(400)))
        assert len(set(drawn)) == len(drawn)
        # A create that reserves nothing (the CLI's, SQLite's) still lands after every block.
        with ctx.db.raw.write() as raw:
            created = run(raw, customers.create(account.id, customers.clean({"name": "After Blocks"}), now=1))
        assert created.invoice_prefix not in {ordinals.invoice_prefix(account.id, n) for n in drawn}
        if ON_POSTGRES:  # the one-statement insert exists there only (SQLite has no DML in WITH)
            for i in range(20):
                blocking(customers.inserted_counted(workers[i % 2], account.id, customers.clean({"name": "Blocked"}),
                                                    now=1))
            with ctx.db.raw.read() as raw:
                page = run(raw, customers.page_of(account.id, filters={}, limit=None, page=None, default_limit=25,
                                                  max_limit=100))
            assert page.total == 21  # the count stays exact
            prefixes = [c.invoice_prefix for c in page.items]
            assert len(set(prefixes)) == len(prefixes)
    finally:
        ctx.close()
