"""Real answers against the response schemas the document publishes (api.schemas).

Each answer is checked against what its own operation publishes for its status, with
keys the schemas do not list forbidden here (the published schemas stay open for
clients): a key added to or dropped from api.render, a type changed there, or a status
an operation does not publish, fails one of these tests.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import httpx
import jsonschema_rs
import pytest

from conftest import Client
from factories import SEED_FORM, bank_account_body, full_card_form
from openarc.api.app import create_app
from openarc.config import Settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def closed(schema: Any) -> Any:
    """``schema`` with every object that lists its properties refusing any other key.

    Not into ``allOf`` (a part that pins one property must not refuse the others), and not
    where a schema says itself what else is allowed (request bodies allow anything).
    """
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (v if k == "allOf" else closed(v)) for k, v in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


class Contract:
    """The published document, and a check of one answer against it."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components = copy.deepcopy(doc["components"])
        self.components["schemas"] = {name: closed(s) for name, s in doc["components"]["schemas"].items()}
        self.seen: set[tuple[str, str, str]] = set()

    def response(self, method: str, template: str, status: int) -> dict[str, Any]:
        declared = self.doc["paths"][template][method.lower()]["responses"]
        assert str(status) in declared, f"{method} {template} answered {status}, which it does not publish"
        answer = declared[str(status)]
        if "$ref" in answer:
            answer = self.doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        return answer

    def check(self, answer: httpx.Response, method: str, template: str) -> dict[str, Any]:
        """Validate ``answer`` (to ``method template``) and return its body."""
        self.seen.add((method.lower(), template, str(answer.status_code)))
        return self.check_as(answer, self.response(method, template, answer.status_code))

    def check_as(self, answer: httpx.Response, published: dict[str, Any]) -> dict[str, Any]:
        if "content" not in published:
            assert answer.content == b""
            return {}
        schema = published["content"]["application/json"]["schema"]
        validator = jsonschema_rs.validator_for({**schema, "components": self.components})
        body = answer.json()
        problems = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not problems, (answer.request.method, answer.request.url.path, problems)
        return body


@pytest.fixture
def contract(client: Client) -> Contract:
    return Contract(client.get("/openapi.json").json())


def test_customers_tokens_and_bank_accounts_answer_as_published(client: Client, contract: Contract) -> None:
    h = client.a.headers
    created = contract.check(client.post("/v1/customers", content=SEED_FORM, headers={**h, **FORM}),
                             "POST", "/v1/customers")["data"]
    cid = created["id"]
    contract.check(client.post("/v1/customers", json={}, headers=h), "POST", "/v1/customers")  # all nulls
    token = contract.check(client.post("/v1/tokens", data=full_card_form(), headers=h), "POST", "/v1/tokens")
    assert token["data"]["card"]["data"]["customer_id"] is None
    updated = contract.check(client.patch(f"/v1/customers/{cid}", json={"token_id": token["data"]["id"]}, headers=h),
                             "PATCH", "/v1/customers/{customer_id}")["data"]
    bound = contract.check(client.post("/v1/bankaccounts", json=bank_account_body(customer_id=cid), headers=h),
                           "POST", "/v1/bankaccounts")["data"]
    loose = contract.check(client.post("/v1/bankaccounts", data=bank_account_body(sec_code=None, company_name="Acme"),
                                       headers=h), "POST", "/v1/bankaccounts")["data"]
    assert bound["customer_id"] == cid and loose["customer_id"] is None and loose["sec_code"] is None

    everything = "card,bank_account,charge,subscription,invoice"
    one = contract.check(client.get(f"/v1/customers/{cid}?include={everything}", headers=h),
                         "GET", "/v1/customers/{customer_id}")["data"]
    assert len(one["card"]["data"]) == 1 and len(one["bank_account"]["data"]) == 1 and "invoice" in one

    client.post("/v1/customers", json={"name": "Third One"}, headers=h)
    middle = contract.check(client.get("/v1/customers?limit=1&page=2", headers=h), "GET", "/v1/customers")
    assert set(middle["meta"]["pagination"]["links"]) == {"previous", "next"}
    empty = contract.check(client.get("/v1/customers", headers=client.b.headers), "GET", "/v1/customers")
    assert empty["data"] == [] and empty["meta"]["pagination"]["links"] == {}

    card_id = updated["card"]["data"][0]["id"]
    contract.check(client.delete(f"/v1/customers/{cid}/cards/{card_id}", headers=h),
                   "DELETE", "/v1/customers/{customer_id}/cards/{card_id}")
    contract.check(client.delete(f"/v1/bankaccounts/{loose['id']}", headers=h),
                   "DELETE", "/v1/bankaccounts/{bank_account_id}")
    contract.check(client.delete(f"/v1/customers/{cid}", headers=h), "DELETE", "/v1/customers/{customer_id}")


def test_errors_answer_as_published(client: Client, contract: Contract) -> None:
    h = client.a.headers
    cid = client.post("/v1/customers", json={}, headers=h).json()["data"]["id"]
    item = "/v1/customers/{customer_id}"
    cases = [
        ("GET", item, client.get(f"/v1/customers/{cid}"), 401),
        ("GET", item, client.get("/v1/customers/110", headers=h), 400),
        ("GET", item, client.get(f"/v1/customers/{cid}?include=nope", headers=h), 400),
        ("GET", item, client.get(f"/v1/customers/{cid}x", headers=h), 404),
        ("POST", "/v1/customers", client.post("/v1/customers", json={"name": "J0"}, headers=h), 422),
        ("POST", "/v1/customers", client.post("/v1/customers", content=b"{", headers={**h, "Content-Type": "application/json"}), 400),
        ("POST", "/v1/customers", client.post("/v1/customers", content=b"x", headers={**h, "Content-Type": "text/plain"}), 415),
        ("POST", "/v1/customers", client.post("/v1/customers", content=b"x" * (2 << 20), headers={**h, **FORM}), 413),
        ("GET", "/v1/customers", client.get("/v1/customers?page=0", headers=h), 422),
        ("POST", "/v1/tokens", client.post("/v1/tokens", data=full_card_form("4000000000000002"), headers=h), 409),
        ("PATCH", item, client.patch(f"/v1/customers/{cid}", json={"default_card_id": "nope"}, headers=h), 409),
        ("POST", "/v1/bankaccounts", client.post("/v1/bankaccounts", json=bank_account_body(customer_id="nope"),
                                                 headers=h), 404),
    ]
    for method, template, answer, status in cases:
        assert answer.status_code == status, (method, template, answer.text)
        contract.check(answer, method, template)
    # 405 belongs to a path, not an operation: its body is the E405 component.
    wrong = client.put(f"/v1/customers/{cid}", json={}, headers=h)
    assert wrong.status_code == 405
    contract.check_as(wrong, contract.doc["components"]["responses"]["E405"])


def test_a_rate_limited_answer_is_as_published(settings: Settings) -> None:
    with Client(create_app(dataclasses.replace(settings, rate_limit=1)), raise_server_exceptions=False) as client:
        contract = Contract(client.get("/openapi.json").json())
        headers = client.merchant("hasty").headers
        client.get("/v1/customers", headers=headers)
        limited = client.get("/v1/customers", headers=headers)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 0
        contract.check(limited, "GET", "/v1/customers")


def test_the_check_refuses_a_key_the_document_does_not_list(client: Client, contract: Contract) -> None:
    """Without this, a mistake in ``closed`` would let every answer above pass."""
    cid = client.post("/v1/customers", json={}, headers=client.a.headers).json()["data"]["id"]
    token = client.post("/v1/tokens", data=full_card_form(), headers=client.a.headers).json()["data"]["id"]
    client.patch(f"/v1/customers/{cid}", json={"token_id": token}, headers=client.a.headers)
    body = client.get(f"/v1/customers/{cid}", headers=client.a.headers).json()
    schema = {"$ref": "#/components/schemas/CustomerEnvelope", "components": contract.components}
    assert jsonschema_rs.validator_for(schema).is_valid(body)
    body["data"]["card"]["data"][0]["cvv"] = "997"
    assert not jsonschema_rs.validator_for(schema).is_valid(body)


def test_charges_and_ach_charges_answer_as_published(client: Client, contract: Contract) -> None:
    a = client.a.headers
    customer = client.post("/v1/customers", headers=a, data={"name": "John Smith"}).json()["data"]["id"]
    token = client.post("/v1/tokens", headers=a, data=full_card_form()).json()["data"]["id"]
    client.patch(f"/v1/customers/{customer}", headers=a, data={"token_id": token})
    created = contract.check(client.post("/v1/charges", headers=a, json={
        "amount": 1500, "currency": "usd", "customer_id": customer, "metadata": '{"order": "7"}',
        "purchase_order": "PO-1", "capture": 0}), "POST", "/v1/charges")["data"]
    path = f"/v1/charges/{created['id']}"
    contract.check(client.get(f"{path}?include=transaction_metadata,extra_metadata,review", headers=a),
                   "GET", "/v1/charges/{charge_id}")
    contract.check(client.post(f"{path}/capture", headers=a, data={"amount": 1000}),
                   "POST", "/v1/charges/{charge_id}/capture")
    contract.check(client.post(f"{path}/capture", headers=a), "POST", "/v1/charges/{charge_id}/capture")  # 409
    client.app.state.ctx.clock.advance(86_401)
    contract.check(client.post(f"{path}/refunds", headers=a, json={"amount": 300, "reason": "other"}),
                   "POST", "/v1/charges/{charge_id}/refunds")
    contract.check(client.post(f"{path}/void", headers=a, data={"reason": "other"}),
                   "POST", "/v1/charges/{charge_id}/void")  # 409: settled
    fresh = client.post("/v1/charges", headers=a, json={"amount": 900, "currency": "usd", "customer_id": customer})
    contract.check(client.post(f"/v1/charges/{fresh.json()['data']['id']}/void", headers=a,
                               data={"reason": "duplicate"}), "POST", "/v1/charges/{charge_id}/void")
    declined = client.post("/v1/charges", headers=a, json={"amount": 1000, "currency": "usd", "card_number":
                                                           "4000000000000341", "exp_month": "3", "exp_year": "2031"})
    assert declined.status_code == 422
    contract.check(declined, "POST", "/v1/charges")
    contract.check(client.post("/v1/charges", headers=a, json={"amount": 10}), "POST", "/v1/charges")
    contract.check(client.get("/v1/charges?limit=2", headers=a), "GET", "/v1/charges")
    contract.check(client.get(f"/v1/customers/{customer}", headers=a), "GET", "/v1/customers/{customer_id}")

    bank = client.post("/v1/bankaccounts", headers=a, data={**bank_account_body(), "customer_id": customer})
    made = contract.check(client.post("/v1/achcharges", headers=a, json={
        "amount": 700, "type": "debit", "sec_code": "WEB", "bank_account_id": bank.json()["data"]["id"]}),
        "POST", "/v1/achcharges")["data"]
    contract.check(client.get(f"/v1/achcharges/{made['id']}?include=review", headers=a),
                   "GET", "/v1/achcharges/{ach_charge_id}")
    contract.check(client.get("/v1/achcharges", headers=a), "GET", "/v1/achcharges")


def test_the_reference_shows_every_key_a_real_answer_has(client: Client, contract: Contract) -> None:
    """Each answer's published example (made of its properties' examples) has the keys of a real
    answer, at every depth, and is valid by the closed schemas: the reference shows what comes."""
    def keys(value: Any, where: str = "") -> set[str]:
        if isinstance(value, dict):
            return {f"{where}.{k}" for k in value} | {p for k, v in value.items() for p in keys(v, f"{where}.{k}")}
        if isinstance(value, list) and value:
            return keys(value[0], where + "[]")
        return set()

    h = client.a.headers
    customer = client.post("/v1/customers", content=SEED_FORM, headers={**h, **FORM})
    token = client.post("/v1/tokens", data=full_card_form(), headers=h)
    charge = client.post("/v1/charges", headers=h, json={"amount": 1500, "currency": "usd",
                                                         "token_id": token.json()["data"]["id"]})
    bank = client.post("/v1/bankaccounts", json=bank_account_body(), headers=h)
    ach = client.post("/v1/achcharges", headers=h, json={"amount": 700, "type": "debit", "sec_code": "WEB",
                                                         "bank_account_id": bank.json()["data"]["id"]})
    for answer, path in [(customer, "/v1/customers"), (token, "/v1/tokens"), (charge, "/v1/charges"),
                         (bank, "/v1/bankaccounts"), (ach, "/v1/achcharges")]:
        published = contract.response("POST", path, answer.status_code)["content"]["application/json"]
        contract.check(answer, "POST", path)
        validator = jsonschema_rs.validator_for({**published["schema"], "components": contract.components})
        assert validator.is_valid(published["example"]), path
        assert keys(published["example"]) == keys(answer.json()), (path, keys(answer.json()) ^ keys(published["example"]))
