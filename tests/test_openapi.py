"""The published contract: /openapi.json and /docs describe what the server does."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import jsonschema_rs
import orjson
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31  # the official OpenAPI 3.1 schema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import Client, database_url
from factories import bank_account_body
from openarc.api import openapi
from openarc.api.app import create_app
from openarc.api.routes import Body, Ok, operation, resource
from openarc.config import Settings
from openarc.services import customers

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


# ---------------------------------------------------------------------------- a reference people can read


def _document(settings: Settings, *, sandbox: bool = False) -> dict[str, Any]:
    """The document a server serves, through JSON (as a client reads it)."""
    with Client(create_app(dataclasses.replace(settings, sandbox=sandbox)), raise_server_exceptions=False) as client:
        return client.get("/openapi.json").json()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [(method, path, item, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method != "parameters"]


def _answer(doc: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer


def _resolved(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _check_example(doc: dict[str, Any], value: object, schema: dict[str, Any], where: str) -> None:
    """``value`` is valid by ``schema``: an example that the server would refuse (or never send) misleads."""
    validator = jsonschema_rs.validator_for({**schema, "components": doc["components"]})
    problems = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(value)]
    assert not problems, (where, problems)


@pytest.fixture(scope="module")
def sandbox_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(database_url=database_url(tmp_path_factory.mktemp("doc") / "openarc.db"))
    return _document(settings, sandbox=True)


def test_the_document_is_valid_openapi_3_1(sandbox_doc: dict[str, Any]) -> None:
    """By the OpenAPI 3.1 schema (Schemathesis' copy of the official one), and each schema in it by
    JSON Schema 2020-12, the dialect 3.1 uses."""
    problems = [f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}"
                for e in jsonschema_rs.validator_for(OPENAPI_31).iter_errors(sandbox_doc)]
    assert not problems, problems[:10]
    for name, schema in sandbox_doc["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_operation_is_tagged_and_every_tag_described(sandbox_doc: dict[str, Any]) -> None:
    tags = [tag["name"] for tag in sandbox_doc["tags"]]
    assert tags == ["Customers", "Cards", "Tokens", "Bank accounts", "Charges", "ACH charges", "Sandbox", "Health"]
    assert all(tag["description"] for tag in sandbox_doc["tags"])
    for method, path, _, op in _operations(sandbox_doc):
        assert op.get("tags") and len(op["tags"]) == 1 and op["tags"][0] in tags, (method, path)
        assert op["summary"], (method, path)
    tagged = {op["tags"][0] for _, _, _, op in _operations(sandbox_doc)}
    assert tagged == set(tags)


def test_every_request_field_is_described_with_an_example_that_is_valid(sandbox_doc: dict[str, Any]) -> None:
    """Parameters and body fields, in both encodings; each example valid by its own field's schema and
    each operation's body example by the body's (so "Try it out" sends what the server takes)."""
    bodies = 0
    for method, path, item, op in _operations(sandbox_doc):
        for parameter in [*item.get("parameters", []), *op.get("parameters", [])]:
            where = (method, path, parameter["name"])
            assert parameter.get("description") and "example" in parameter, where
            _check_example(sandbox_doc, parameter["example"], parameter["schema"], str(where))
        if "requestBody" not in op:
            continue
        assert op["requestBody"]["description"], (method, path)
        for media_type, content in op["requestBody"]["content"].items():
            bodies += 1
            schema = _resolved(sandbox_doc, content["schema"])
            assert schema["properties"], (method, path)
            for name, field in schema["properties"].items():
                where = (method, path, media_type, name)
                assert field.get("description"), where
                assert field.get("examples"), where
                for example in field["examples"]:
                    _check_example(sandbox_doc, example, field, str(where))
            assert content["example"], (method, path, media_type)
            _check_example(sandbox_doc, content["example"], content["schema"], f"{method} {path} {media_type}")
            if media_type == "application/x-www-form-urlencoded":
                assert all(isinstance(value, str) for value in content["example"].values()), (method, path)
    assert bodies == 2 * 11  # 9 bodies of the API, 2 of the sandbox controls


def test_every_answer_is_described_with_an_example_that_is_valid(sandbox_doc: dict[str, Any]) -> None:
    for method, path, _, op in _operations(sandbox_doc):
        for status, answer in op["responses"].items():
            answer = _answer(sandbox_doc, answer)
            assert answer["description"], (method, path, status)
            for header, spec in answer.get("headers", {}).items():
                assert spec["description"] and "example" in spec, (method, path, status, header)
            for content in answer.get("content", {}).values():
                assert "example" in content, (method, path, status)
                _check_example(sandbox_doc, content["example"], content["schema"], f"{method} {path} {status}")
            assert "content" in answer or status == "204", (method, path, status)


def _undescribed(schema: Any, where: str) -> list[str]:
    """The properties (at any depth) of a response schema that say nothing of what they are."""
    if isinstance(schema, list):
        return [found for i, s in enumerate(schema) for found in _undescribed(s, f"{where}[{i}]")]
    if not isinstance(schema, dict):
        return []
    found = []
    for name, sub in schema.get("properties", {}).items():
        if not sub.get("description"):
            found.append(f"{where}.{name}")
        found += _undescribed(sub, f"{where}.{name}")
    for keyword in ("items", "anyOf", "allOf", "additionalProperties"):
        if keyword in schema:
            found += _undescribed(schema[keyword], where)
    return found


def test_every_response_property_is_described(sandbox_doc: dict[str, Any]) -> None:
    from openarc.api.schemas import COMPONENTS

    undescribed = [found for name in COMPONENTS
                   for found in _undescribed(sandbox_doc["components"]["schemas"][name], name)]
    assert not undescribed, undescribed
    customer = sandbox_doc["components"]["schemas"]["Customer"]["properties"]
    assert len(customer) >= 26 and all(field["description"] for field in customer.values())


def test_the_examples_are_payarcs_own(sandbox_doc: dict[str, Any]) -> None:
    """The Create Customer example is the customer of PayArc's Create Customer guide, in both encodings."""
    guide = {"name": "John Smith", "email": "customer@xyz.com", "address_1": "103 Mason Street",
             "city": "New York", "zip": "10469", "phone": "541754301"}
    create = sandbox_doc["paths"]["/v1/customers"]["post"]
    for content in create["requestBody"]["content"].values():
        assert guide.items() <= content["example"].items()
    fields = sandbox_doc["components"]["schemas"]["CustomerCreateInput"]["properties"]
    assert fields["name"]["description"] == "Name of the customer." and fields["name"]["examples"] == ["John Smith"]
    answer = create["responses"]["201"]["content"]["application/json"]["example"]["data"]
    assert answer["id"] == "KPxMADVnxMV4nNjp" and guide.items() <= answer.items()
    token = sandbox_doc["paths"]["/v1/tokens"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert token["card_number"] == "4012000098765439"  # a test card of PayArc's documentation


def test_examples_change_nothing_that_is_valid(sandbox_doc: dict[str, Any]) -> None:
    """Descriptions and examples are annotations: without them every schema is what it was."""
    def bare(schema: Any) -> Any:
        if isinstance(schema, list):
            return [bare(s) for s in schema]
        if not isinstance(schema, dict):
            return schema
        return {k: bare(v) for k, v in schema.items() if k not in ("description", "examples")}

    customer = sandbox_doc["components"]["schemas"]["CustomerInput"]["properties"]
    assert bare(customer["name"]) == openapi.field_schema(customers.RULES["name"])


def test_health_and_the_sandbox_controls_are_documented_only_where_served(
        settings: Settings, sandbox_doc: dict[str, Any]) -> None:
    health = sandbox_doc["paths"]["/healthz"]["get"]
    assert health["security"] == [] and {"200", "503"} <= set(health["responses"])
    controls = {path for path in sandbox_doc["paths"] if path.startswith("/_openarc/")}
    assert controls == {"/_openarc/reset", "/_openarc/settle", "/_openarc/requests", "/_openarc/clock",
                        "/_openarc/clock/freeze", "/_openarc/clock/advance", "/_openarc/clock/reset"}
    assert all(op["tags"] == ["Sandbox"] for path in controls for op in sandbox_doc["paths"][path].values())
    plain = _document(settings)
    assert "/healthz" in plain["paths"] and not any(path.startswith("/_openarc") for path in plain["paths"])
    assert "Sandbox" not in {tag["name"] for tag in plain["tags"]}


def test_the_key_is_a_bearer_scheme_every_api_operation_needs(sandbox_doc: dict[str, Any]) -> None:
    assert sandbox_doc["security"] == [{"bearerAuth": []}]
    scheme = sandbox_doc["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and scheme["description"]
    for method, path, _, op in _operations(sandbox_doc):
        assert ("security" in op) is (path == "/healthz"), (method, path)


def test_the_sandbox_controls_answer_as_documented(settings: Settings, sandbox_doc: dict[str, Any]) -> None:
    with Client(create_app(dataclasses.replace(settings, sandbox=True)), raise_server_exceptions=False) as client:
        headers = client.merchant("sandboxed").headers
        client.post("/v1/customers", headers=headers, data={"name": "John Smith"})
        answers = [
            ("get", "/_openarc/clock", client.get("/_openarc/clock", headers=headers)),
            ("post", "/_openarc/clock/freeze", client.post("/_openarc/clock/freeze", headers=headers,
                                                           json={"at": 1930132800})),
            ("post", "/_openarc/clock/advance", client.post("/_openarc/clock/advance", headers=headers,
                                                            data={"seconds": "-60"})),
            ("post", "/_openarc/clock/advance", client.post("/_openarc/clock/advance", headers=headers, json={})),
            ("post", "/_openarc/clock/reset", client.post("/_openarc/clock/reset", headers=headers)),
            ("post", "/_openarc/settle", client.post("/_openarc/settle", headers=headers)),
            ("get", "/_openarc/requests", client.get("/_openarc/requests?limit=5", headers=headers)),
            ("post", "/_openarc/reset", client.post("/_openarc/reset", headers=headers)),
            ("delete", "/_openarc/requests", client.delete("/_openarc/requests", headers=headers)),
            ("get", "/_openarc/clock", client.get("/_openarc/clock")),
            ("get", "/healthz", client.get("/healthz")),
        ]
    for method, path, answer in answers:
        published = _answer(sandbox_doc, sandbox_doc["paths"][path][method]["responses"][str(answer.status_code)])
        if "content" in published:
            _check_example(sandbox_doc, answer.json(), published["content"]["application/json"]["schema"],
                           f"{method} {path} {answer.status_code}")


def test_docs_is_swagger_ui_from_this_server_under_a_strict_policy(client: Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ["<script src='docs/static/swagger-ui/swagger-ui-bundle.js'>",
                       "<script src='docs/static/docs.js'>"]  # no inline code, nothing from elsewhere
    assert "http" not in page.text
    csp = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";") if d.strip())
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert csp["img-src"] == "'self' data:" and csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in page.headers["content-security-policy"]
    for path in re.findall(r"(?:src|href)='(docs/static/[^']+)'", page.text):
        served = client.get(f"/{path}")
        assert served.status_code == 200 and served.headers["x-content-type-options"] == "nosniff", path
    assert "SwaggerUIBundle" in client.get("/docs/static/docs.js").text
    # Only what /docs loads of the package: not its editor, not its OAuth2 page.
    assert client.get("/docs/static/swagger-ui/oauth2-redirect.html").status_code == 404
    assert client.get("/docs/static/swagger-ui/swagger-editor-bundle.js").status_code == 404


def test_the_home_page_runs_nothing_and_styles_from_a_file(client: Client) -> None:
    home = client.get("/")
    csp = home.headers["content-security-policy"]
    assert "unsafe" not in csp and "style-src 'self'" in csp and "script-src" not in csp
    assert "style=" not in home.text and "<style" not in home.text
    assert client.get("/docs/static/home.css").status_code == 200
