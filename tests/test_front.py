"""The hot routes reach their handlers two ways (api.front.Shortcut, or Starlette's router when
a request does not take the shortcut): both must answer exactly alike."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from conftest import Client
from factories import SEED_FORM

FORM = {"Content-Type": "application/x-www-form-urlencoded"}

#: Parts of an answer that differ between two otherwise identical creates.
_VARYING = re.compile(rb'"(id|customer_id|real_id|invoice_prefix)":("[^"]*"|\d+)')


def _same(answer: object) -> tuple[int, str | None, bytes]:
    return answer.status_code, answer.headers.get("content-type"), _VARYING.sub(rb'"\1":_', answer.content)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/customers", {"content": SEED_FORM, "headers": FORM}),
        ("POST", "/v1/customers", {"json": {"name": "J", "email": "nope", "phone": "12a"}}),
        ("POST", "/v1/customers", {"content": b"{", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/v1/customers", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
        ("GET", "/v1/customers/{id}", {}),
        ("GET", "/v1/customers/{id}", {"params": {"include": "invoice,subscription"}}),
        ("GET", "/v1/customers/{id}", {"params": {"include": "nonsense"}}),
        ("GET", "/v1/customers/12345", {}),
        ("GET", "/v1/customers/NoSuchCustomerId", {}),
        ("GET", "/v1/customers", {"params": {"limit": "2"}}),
        ("GET", "/v1/customers", {"params": {"limit": "0"}}),
        ("GET", "/v1/customers", {"params": {"email": "customer@xyz.com"}}),
    ],
)
def test_the_shortcut_answers_exactly_as_starlette_does(
    client: Client, method: str, path: str, kwargs: dict[str, object]
) -> None:
    client.app.state.ctx.clock.freeze()
    starlette = TestClient(client.app.app, raise_server_exceptions=False)  # shares the running app's state
    cid = client.post("/v1/customers", headers={**client.a.headers, **FORM}, content=SEED_FORM).json()["data"]["id"]
    url = path.replace("{id}", cid)
    headers = {**client.a.headers, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    via_shortcut = client.request(method, url, headers=headers, **kwargs)
    via_router = starlette.request(method, url, headers=headers, **kwargs)
    assert _same(via_shortcut) == _same(via_router)
    # Only the shortcut's answer went through the outer chain: it alone carries the Request-Id.
    assert "request-id" in via_shortcut.headers and "request-id" not in via_router.headers


def test_requests_the_shortcut_does_not_take_still_reach_their_routes(client: Client) -> None:
    h = client.a.headers
    assert client.head("/v1/customers", headers=h).status_code == 200
    slash = client.get("/v1/customers/", headers=h, follow_redirects=False)  # Starlette's redirect
    assert slash.status_code == 307 and slash.headers["location"].endswith("/v1/customers")
    assert client.put("/v1/customers", headers=h).status_code == 405
    assert client.get("/v1/customers/x/cards", headers=h).status_code == 404
