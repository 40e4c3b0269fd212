"""Idempotency-Key: a retry gets the first answer; a reuse for another request is refused."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from conftest import Client, LiveServer
from factories import card_form
from openarc.api.app import create_app
from openarc.api.idempotency import STALE_AFTER_SECONDS
from openarc.clock import Clock
from openarc.config import Settings
from openarc.db.tables import idempotency_keys
from openarc.errors import Conflict
from openarc.services import idempotency

CARD = card_form()


def _count(client: Client, headers: dict[str, str]) -> int:
    return client.get("/v1/customers", headers=headers).json()["meta"]["pagination"]["total"]


def test_replay_of_a_patch_and_of_an_error(client: Client) -> None:
    cid = client.post("/v1/customers", headers=client.a.headers, json={"name": "John Smith"}).json()["data"]["id"]
    headers = {**client.a.headers, "Idempotency-Key": "patch-1"}
    first = client.patch(f"/v1/customers/{cid}", headers=headers, data={"city": "Boston"})
    client.patch(f"/v1/customers/{cid}", headers=client.a.headers, data={"city": "Denver"})
    again = client.patch(f"/v1/customers/{cid}", headers=headers, data={"city": "Boston"})
    assert (again.status_code, again.content) == (200, first.content)
    assert client.get(f"/v1/customers/{cid}", headers=client.a.headers).json()["data"]["city"] == "Denver"
    # A refused request is a decided one: its retry gets the same refusal.
    bad = {**client.a.headers, "Idempotency-Key": "bad-1"}
    assert client.post("/v1/customers", headers=bad, json={"name": "X"}).status_code == 422
    assert client.post("/v1/customers", headers=bad, json={"name": "X"}).headers["idempotent-replayed"] == "true"


def test_same_key_for_another_body_or_path_is_refused(client: Client) -> None:
    headers = {**client.a.headers, "Idempotency-Key": "k-1"}
    assert client.post("/v1/customers", headers=headers, json={"name": "John Smith"}).status_code == 201
    other_body = client.post("/v1/customers", headers=headers, json={"name": "Jane Smith"})
    assert other_body.status_code == 422
    body = other_body.json()
    assert body["status"] == "error" and body["status_code"] == 422 and "different request body" in body["message"]
    assert body["errors"] == {"idempotency_key": [body["message"]]}
    other_path = client.post("/v1/tokens", headers=headers, data=CARD)
    assert other_path.status_code == 422 and "POST /v1/customers" in other_path.json()["message"]
    assert _count(client, client.a.headers) == 1


def test_keys_are_per_merchant(client: Client) -> None:
    for merchant in (client.a, client.b):
        headers = {**merchant.headers, "Idempotency-Key": "shared"}
        response = client.post("/v1/customers", headers=headers, json={"name": "John Smith"})
        assert response.status_code == 201 and "idempotent-replayed" not in response.headers
        assert _count(client, merchant.headers) == 1


def test_bad_keys_and_bad_credentials(client: Client) -> None:
    too_long = client.post("/v1/customers", headers={**client.a.headers, "Idempotency-Key": "k" * 256}, json={})
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()["message"]
    nobody = client.post("/v1/customers", headers={"Authorization": "Bearer nope", "Idempotency-Key": "k"}, json={})
    assert (nobody.status_code, nobody.json()) == (401, {"error": "Unauthenticated."})
    # Other methods ignore the header.
    assert client.get("/v1/customers", headers={**client.a.headers, "Idempotency-Key": "k"}).status_code == 200


def test_keys_expire_after_the_configured_time(tmp_path: Path, settings: Settings) -> None:
    clock = Clock()
    clock.freeze(1_800_000_000)
    app = create_app(Settings(database_url=settings.database_url, idempotency_ttl_seconds=3600), clock=clock)
    with Client(app) as c:
        merchant = c.merchant("m")
        headers = {**merchant.headers, "Idempotency-Key": "daily"}
        assert c.post("/v1/customers", headers=headers, json={"name": "John Smith"}).status_code == 201
        clock.advance(3599)
        assert c.post("/v1/customers", headers=headers, json={"name": "John Smith"}).headers.get("idempotent-replayed")
        clock.advance(1)
        fresh = c.post("/v1/customers", headers=headers, json={"name": "Jane Smith"})
        assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
        assert _count(c, merchant.headers) == 2


def test_default_ttl_is_at_least_a_day() -> None:
    assert Settings().idempotency_ttl_seconds >= 24 * 3600
    assert Settings.from_env({"OPENARC_IDEMPOTENCY_TTL_SECONDS": "172800"}).idempotency_ttl_seconds == 172800


def test_in_progress_claims_conflict_until_stale(client: Client) -> None:
    ctx = client.app.state.ctx
    account = ctx_account(client)
    args = {"method": "POST", "path": "/v1/customers", "digest": "d" * 64, "ttl": 86400,
            "stale_after": STALE_AFTER_SECONDS}
    claimed = idempotency.claim(ctx.db, account, "k", now=1000, **args)
    assert isinstance(claimed, idempotency.Claimed)
    with pytest.raises(Conflict):
        idempotency.claim(ctx.db, account, "k", now=1000 + STALE_AFTER_SECONDS - 1, **args)
    # A claim whose process died is taken over.
    assert isinstance(idempotency.claim(ctx.db, account, "k", now=1000 + STALE_AFTER_SECONDS, **args),
                      idempotency.Claimed)


def ctx_account(client: Client) -> int:
    from openarc.services import accounts

    return accounts.account_named(client.app.state.ctx.db, client.a.name).id


def test_only_a_hash_of_the_body_is_stored(client: Client) -> None:
    headers = {**client.a.headers, "Idempotency-Key": "tok"}
    response = client.post("/v1/tokens", headers=headers, data=CARD)
    assert response.status_code == 201
    with client.app.state.ctx.db.read() as conn:
        rows = conn.execute(select(idempotency_keys)).all()
    assert len(rows) == 1
    row = rows[0]
    # The request is kept only as a SHA-256 digest and the response as it was sent. (Digests and
    # timestamps are digit runs that may contain the three-digit CVV by chance, so the CVV is looked
    # for in the text columns only.)
    assert re.fullmatch(r"[0-9a-f]{64}", row.request_hash)
    assert row.response == response.content
    assert CARD["card_number"] not in response.text
    assert re.search(rf"(?<![0-9A-Za-z]){CARD['cvv']}(?![0-9A-Za-z])", response.text) is None
    text = repr((row.key, row.method, row.path))
    assert CARD["card_number"] not in text and CARD["cvv"] not in text


def test_32_concurrent_requests_with_one_key_create_one_customer(live_server: LiveServer) -> None:
    merchant = live_server.merchant("idem-concurrent")
    headers = {**merchant.headers, "Idempotency-Key": "one-customer"}
    barrier = threading.Barrier(32)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            barrier.wait()
            return http.post("/v1/customers", headers=headers, json={"name": "John Smith"})

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(post, range(32)))
    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in answers if r.status_code == 201]
    assert created and len({r.content for r in created}) == 1
    for busy in (r for r in answers if r.status_code == 409):
        assert "in progress" in busy.json()["message"]
    listing = httpx.get(f"{live_server.url}/v1/customers", headers=merchant.headers).json()
    assert listing["meta"]["pagination"]["total"] == 1
    # Once the first has completed, every retry is a replay.
    retry = httpx.post(f"{live_server.url}/v1/customers", headers=headers, json={"name": "John Smith"})
    assert retry.status_code == 201 and retry.content == created[0].content
