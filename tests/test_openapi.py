"""The published contract: /openapi.json and /docs describe what the server does."""

from __future__ import annotations

import re

from starlette.routing import Route

from conftest import Client

OPERATIONS = {
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


def test_openapi_document_has_stable_operation_ids(client: Client) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    found = {(m, p): op["operationId"] for p, item in doc["paths"].items() for m, op in item.items() if m != "parameters"}
    assert found == OPERATIONS


def test_every_api_route_is_documented(client: Client) -> None:
    doc = client.get("/openapi.json").json()
    for route in client.app.routes:
        if isinstance(route, Route) and route.path.startswith("/v1"):
            documented = {m.upper() for m in doc["paths"][route.path] if m != "parameters"}
            assert documented == set(route.methods) - {"HEAD"}


def test_bodies_in_both_encodings_and_every_error_documented(client: Client) -> None:
    doc = client.get("/openapi.json").json()
    create = doc["paths"]["/v1/customers"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert {"201", "401", "413", "415", "422"} <= set(create["responses"])
    fields = doc["components"]["schemas"]["CustomerInput"]["properties"]
    name = fields["name"]["anyOf"][0]
    assert name["type"] == "string" and "{1,48}" in name["pattern"]  # first + 1..48 + last = 3..50
    assert re.search(name["pattern"], "A" * 50) and not re.search(name["pattern"], "A" * 51)
    assert re.search(name["pattern"], "  John Smith ") and not re.search(name["pattern"], "Jo")
    assert not re.search(name["pattern"], "John 3rd")
    assert {"type": "integer", "minimum": 0, "maximum": 9999999999} in fields["zip"]["anyOf"]


def test_docs_page_is_self_contained_and_interactive(client: Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "createCustomer" in page.text
    assert "<script src" not in page.text and "http" not in page.text.split("<body>")[0]  # nothing fetched
    assert page.text.count("Try it") >= 9 and "function tryIt" in page.text
