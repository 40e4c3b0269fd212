"""The published contract: /openapi.json and /docs describe what the server does."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import orjson
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import Client
from factories import bank_account_body
from openarc.api import openapi
from openarc.api.routes import Body, Ok, operation, resource

#: Pinned, though everything else here is derived from the routes: an operationId is a public
#: name (client generators name their methods after it), so renaming or dropping one breaks
#: generated clients, and no check derived from the routes can see a rename.  New operations
#: need not be added; these must not change.
PINNED = {
    ("post", "/v1/customers"): "createCustomer",
    ("get", "/v1/customers"): "listCustomers",
    ("get", "/v1/customers/{customer_id}"): "retrieveCustomer",
    ("patch", "/v1/customers/{customer_id}"): "updateCustomer",
    ("delete", "/v1/customers/{customer_id}"): "deleteCustomer",
    ("delete", "/v1/customers/{customer_id}/cards/{card_id}"): "deleteCustomerCard",
    ("post", "/v1/tokens"): "createToken",
    ("post", "/v1/bankaccounts"): "createBankAccount",
    ("delete", "/v1/bankaccounts/{bank_account_id}"): "deleteBankAccount",
}


def operation_ids(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(m, p): op["operationId"] for p, item in doc["paths"].items() for m, op in item.items() if m != "parameters"}


def test_every_api_route_declares_its_operation(client: Client) -> None:
    """Built strictly, as the server does not: a /v1 route without a declared operation fails
    here, named (the server leaves it out and names it in ``info``)."""
    strict = openapi.document(client.app.app.routes)  # the Starlette app behind api.front.Front
    assert orjson.loads(orjson.dumps(strict)) == client.get("/openapi.json").json()


def test_every_api_route_is_documented_under_a_unique_stable_operation_id(client: Client) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert "x-undeclared-operations" not in doc["info"]
    for route in client.app.app.routes:
        if isinstance(route, Route) and route.path.startswith("/v1"):
            documented = {m.upper() for m in doc["paths"].get(route.path, {}) if m != "parameters"}
            assert documented == set(route.methods or ()) - {"HEAD"}, route.path
    found = operation_ids(doc)
    assert len(set(found.values())) == len(found), "operationIds must be unique"
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", name) for name in found.values()), found
    assert PINNED.items() <= found.items()


async def _handler(request: Request) -> Response:
    return Response(status_code=204)


async def _other(request: Request) -> Response:
    return Response(status_code=204)


def test_an_undeclared_api_route_is_never_left_out_silently() -> None:
    declared = operation("createThing", "Create a thing", ok=Ok(204, "Done"), errors=(401,))(_handler)
    routes = [
        resource("/v1/things", post=declared, get=_other),
        Route("/v1/others/{other_id}", _other),
        Route("/not-the-api", _other),  # outside /v1: documented only when declared
    ]
    with pytest.raises(openapi.UndeclaredOperation, match=r"GET /v1/things, GET /v1/others/\{other_id\}"):
        openapi.document(routes)
    served = openapi.document(routes, strict=False)
    assert served["info"]["x-undeclared-operations"] == ["GET /v1/things", "GET /v1/others/{other_id}"]
    assert list(served["paths"]) == ["/v1/things"] and list(served["paths"]["/v1/things"]) == ["post"]
    assert served["paths"]["/v1/things"]["post"]["responses"].keys() == {"204", "401", "429"}


def test_a_declaration_names_only_published_schemas_errors_and_bodies() -> None:
    def build(**declared: Any) -> None:
        handler = operation("getThing", "Get a thing", **{"ok": Ok(204, "Done"), "errors": (401,), **declared})
        openapi.document([resource("/v1/things", post=handler(_handler))])

    with pytest.raises(ValueError, match="NoSuchSchema"):
        build(ok=Ok(200, "A thing", "NoSuchSchema"))
    with pytest.raises(ValueError, match=r"\[418\]"):
        build(errors=(401, 418))
    with pytest.raises(ValueError, match="'Customer'"):  # a body must not take a response's name
        build(body=Body("Customer", {}, "A thing"))


def test_bodies_in_both_encodings_and_every_error_documented(client: Client) -> None:
    doc = client.get("/openapi.json").json()
    create = doc["paths"]["/v1/customers"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert {"201", "401", "413", "415", "422"} <= set(create["responses"])
    fields = doc["components"]["schemas"]["CustomerInput"]["properties"]
    name = fields["name"]["anyOf"][0]
    assert name["type"] == "string" and "{1,48}" in name["pattern"]  # first + 1..48 + last = 3..50
    # Judged by the engine JSON Schema tools use (ECMA-262 regexes), not Python's re.
    ok = jsonschema_rs.validator_for(name).is_valid
    assert ok("A" * 50) and not ok("A" * 51)
    assert ok("  John Smith ") and not ok("Jo")
    assert not ok("John 3rd")
    assert {"type": "integer", "minimum": 0, "maximum": 9999999999} in fields["zip"]["anyOf"]


def test_published_patterns_agree_with_the_server_beyond_ascii(client: Client) -> None:
    """Every script the server accepts, the contract accepts, and the other way round."""
    fields = client.get("/openapi.json").json()["components"]["schemas"]["BankAccountInput"]["properties"]
    last_name = jsonschema_rs.validator_for(fields["last_name"]["anyOf"][0]).is_valid
    city = client.get("/openapi.json").json()["components"]["schemas"]["CustomerInput"]["properties"]["city"]
    city_ok = jsonschema_rs.validator_for(city["anyOf"][0]).is_valid
    for value, accepted in [("VÊ", True), ("Ñúñez III", True), ("Zhang 张", True), ("O_Neil", False), ("Smith ½", True)]:
        assert last_name(value) is accepted, value
        r = client.post("/v1/bankaccounts", json=bank_account_body(last_name=value, sec_code=None),
                        headers=client.a.headers)
        assert (r.status_code == 201) is accepted, (value, r.text)
    for value, accepted in [("Zürich", True), ("東京", True), ("New York 2", False), ("Ⅻ Town", False)]:
        assert city_ok(value) is accepted, value
        r = client.post("/v1/customers", json={"city": value}, headers=client.a.headers)
        assert (r.status_code == 201) is accepted, (value, r.text)


def test_docs_page_is_self_contained_and_interactive(client: Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "createCustomer" in page.text
    assert "<script src" not in page.text and "http" not in page.text.split("<body>")[0]  # nothing fetched
    assert page.text.count("Try it") >= 9 and "function tryIt" in page.text
