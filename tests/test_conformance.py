"""The conformance suite: the checks every resource of the API gets by *declaring* itself.

A resource plugs in with one entry in ``RESOURCES`` below (NetBox's ``APIViewTestCases``;
design note habit 7): its paths, the methods of its item path, a valid body, one invalid
field, the table its objects are rows of, and how a card reaches it.  The tests are generated
from the declarations; a resource writes none of these checks itself.
``test_every_operation_is_declared`` fails while the app routes a ``/v1`` operation that no
entry declares (``NOT_YET_DECLARED`` lists those still owed an entry).

What a declaration gets, each with PayArc's exact error shapes:

==============================================  ===========================================
check                                           generated when the declaration has
==============================================  ===========================================
401 ``{"error": "Unauthenticated."}`` with no   always: every operation it declares, with
key and with each kind of wrong key, creating   and without an ``Idempotency-Key``
nothing
404 for unknown ids (and 400 for a bare         ``item_path``: its methods and ``actions``,
number), on every id of the path                each id of the path in turn
404 for another merchant's ids, whose object    ``item_path``
stays as it was and is not in b's list
422 naming the field, in JSON and as a form,    ``invalid`` (POST ``create_path``, and PATCH
creating nothing                                on ``item_path`` if it has PATCH)
413 over the body limit (declared, streamed,    any operation that reads a body: POST, PATCH,
and through the Idempotency-Key middleware);    GET ``list_path`` if ``list_reads_body``
415 for another content type
a retried create (same ``Idempotency-Key``)     ``create_path`` and ``table``
answers the same bytes and creates one row
no card number or CVV in the database           ``sends_card``
==============================================  ===========================================

A check that does not apply is not generated: tokens have no item path, so no 404 test
exists for them.  Charges, for instance, plug in as::

    Resource(
        "charges",
        create_path="/v1/charges",
        list_path="/v1/charges",
        item_path="/v1/charges/{charge_id}",        # "{charge_id}": ids decoded by ctx.ids.charge
        item_methods=("GET",),
        actions=(("POST", "/v1/charges/{charge_id}/capture"), ("POST", "/v1/charges/{charge_id}/void"),
                 ("POST", "/v1/charges/{charge_id}/refunds")),
        body=lambda client, merchant: charge_body(),   # a new factory in factories.py
        invalid=Invalid("amount", "49", "The amount field must be at least 50."),
        table="charges",
        sends_card=lambda client, merchant, card: created(client, merchant, "/v1/charges",
                                                         {**charge_body(), **card}),
    ),

If a body needs objects of its own (a token, a customer), ``body`` makes them with the client
and merchant it is given.  When an object is not made by ``POST create_path`` with ``body``
(a card is made by attaching a token to a customer), ``make`` makes one and returns the item
path's parameters.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import cycle
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.routing import Route

from conftest import Client, Merchant
from factories import (
    ach_charge_body,
    assert_not_at_rest,
    bank_account_body,
    card_form,
    charge_body,
    customer_body,
    keyed_charge_body,
    scan_card_form,
    scan_card_numbers,
    scan_cvvs,
    stored_bytes,
)
from openarc.config import Settings

Body = dict[str, Any]


@dataclass(frozen=True)
class Invalid:
    """A value that makes a valid body invalid, and the one message naming its field."""

    field: str
    value: str
    message: str


@dataclass(frozen=True)
class Resource:
    name: str
    #: ``POST`` here with ``body`` creates one (answering 201 and the object as ``data``).
    create_path: str | None = None
    #: ``GET`` here lists the merchant's objects as ``data``.
    list_path: str | None = None
    #: The path of one object; its ``{…_id}`` parameters name the id codecs (``ctx.ids.…``).
    item_path: str | None = None
    item_methods: tuple[str, ...] = ()
    #: Other operations on one object, with item_path's parameters: ``("POST", "…/{charge_id}/void")``.
    actions: tuple[tuple[str, str], ...] = ()
    #: A valid create body, for the merchant given (it may make objects the body refers to).
    body: Callable[[Client, Merchant], Body] | None = None
    invalid: Invalid | None = None
    #: The table whose rows the creates add (to see that a replay created nothing).
    table: str | None = None
    #: Whether the list reads paging from a body too, as Laravel reads input.
    list_reads_body: bool = True
    #: Makes one object for the merchant and returns ``item_path``'s parameters; by default
    #: ``POST create_path`` with ``body``, the new object's id filling the one parameter.
    make: Callable[[Client, Merchant], dict[str, str]] | None = None
    #: Sends a card (a ``card_form``) to this resource so that it is kept, or its token is.
    sends_card: Callable[[Client, Merchant, Body], object] | None = None

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.item_path or "")

    def item_operations(self) -> list[tuple[str, str]]:
        """The (method, path template) pairs that act on one object."""
        return [(method, self.item_path) for method in self.item_methods if self.item_path] + list(self.actions)

    def operations(self) -> list[tuple[str, str]]:
        """Every (method, path template) this resource answers."""
        ops = [("POST", self.create_path)] if self.create_path else []
        ops += [("GET", self.list_path)] if self.list_path else []
        return ops + self.item_operations()

    def endpoints(self, ids: dict[str, str]) -> list[tuple[str, str]]:
        """Every (method, path) this resource answers, for the object ``ids`` names."""
        return [(method, path.format(**ids)) for method, path in self.operations()]

    def body_endpoints(self, ids: dict[str, str]) -> list[tuple[str, str]]:
        """The endpoints that read a request body."""
        return [(method, path) for method, path in self.endpoints(ids)
                if method in ("POST", "PATCH") or (method == "GET" and self.list_reads_body and path == self.list_path)]

    def valid_body(self, client: Client, merchant: Merchant) -> Body:
        return self.body(client, merchant) if self.body else {}

    def create(self, client: Client, merchant: Merchant) -> dict[str, str]:
        if self.make is not None:
            return self.make(client, merchant)
        assert self.create_path is not None, f"{self.name}: declare create_path or make"
        new_id = created(client, merchant, self.create_path, self.valid_body(client, merchant))["id"]
        return {self.params[-1]: new_id} if self.params else {}


# ---------------------------------------------------------------------------- helpers


def send(client: Client, headers: dict[str, str], method: str, path: str, body: Body | None = None,
         *, form: bool = False) -> httpx.Response:
    if body is None:
        return client.request(method, path, headers=headers)
    if form:
        return client.request(method, path, content=urlencode(body),
                              headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
    return client.request(method, path, json=body, headers=headers)


def created(client: Client, merchant: Merchant, path: str, body: Body) -> Body:
    r = client.post(path, json=body, headers=merchant.headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def attached_card(client: Client, merchant: Merchant, card: Body) -> dict[str, str]:
    """A new customer of ``merchant`` with ``card`` on it, through a token."""
    customer = created(client, merchant, "/v1/customers", customer_body())["id"]
    token = created(client, merchant, "/v1/tokens", card)
    r = client.patch(f"/v1/customers/{customer}", json={"token_id": token["id"]}, headers=merchant.headers)
    assert r.status_code == 200, r.text
    return {"customer_id": customer, "card_id": token["card"]["data"]["id"]}


# ---------------------------------------------------------------------------- the resources

RESOURCES = [
    Resource(
        "customers",
        create_path="/v1/customers",
        list_path="/v1/customers",
        item_path="/v1/customers/{customer_id}",
        item_methods=("GET", "PATCH", "DELETE"),
        body=lambda client, merchant: customer_body(),
        invalid=Invalid("name", "Jo", "The name field must be at least 3 characters."),
        table="customers",
        # sends_card: none (a ``cards`` key in a customer body is ignored; cards come as tokens)
    ),
    Resource(
        "tokens",
        create_path="/v1/tokens",
        # no list and no item path: a token is only ever created, then used by id in a body
        body=lambda client, merchant: card_form(),
        invalid=Invalid("cvv", "12", "The cvv field must be between 3 and 4 digits."),
        table="tokens",
        sends_card=lambda client, merchant, card: created(client, merchant, "/v1/tokens", card),
    ),
    Resource(
        "bank accounts",
        create_path="/v1/bankaccounts",
        item_path="/v1/bankaccounts/{bank_account_id}",
        item_methods=("DELETE",),
        body=lambda client, merchant: bank_account_body(),
        invalid=Invalid("routing_number", "12334534", "The routing number field must be 9 digits."),
        table="bank_accounts",
        # sends_card: none (the account number is kept in full: ACH debits need it)
    ),
    Resource(
        "customer cards",
        # no create path and no body: a card is made by PATCHing a token onto a customer
        item_path="/v1/customers/{customer_id}/cards/{card_id}",
        item_methods=("DELETE",),
        make=lambda client, merchant: attached_card(client, merchant, card_form()),
        sends_card=attached_card,
    ),
    Resource(
        "charges",
        create_path="/v1/charges",
        list_path="/v1/charges",
        item_path="/v1/charges/{charge_id}",
        item_methods=("GET",),
        actions=(("POST", "/v1/charges/{charge_id}/capture"), ("POST", "/v1/charges/{charge_id}/void"),
                 ("POST", "/v1/charges/{charge_id}/refunds")),
        body=lambda client, merchant: keyed_charge_body(),
        invalid=Invalid("amount", "49", "The amount field must be at least 50."),
        table="charges",
        sends_card=lambda client, merchant, card: created(
            client, merchant, "/v1/charges", charge_body(**{k: v for k, v in card.items() if k != "card_source"})),
    ),
    Resource(
        "ach charges",
        create_path="/v1/achcharges",
        list_path="/v1/achcharges",
        item_path="/v1/achcharges/{ach_charge_id}",
        item_methods=("GET",),
        body=lambda client, merchant: ach_charge_body(),
        invalid=Invalid("sec_code", "XYZ", "The selected sec code is invalid."),
        table="ach_charges",
    ),
]


def having(applies: Callable[[Resource], object]) -> list[Any]:
    """The declared resources a check applies to, as parameters named after them."""
    return [pytest.param(r, id=r.name.replace(" ", "-")) for r in RESOURCES if applies(r)]


NOT_FOUND = {"status": "error", "code": 0, "message": "The requested Resource was not found.", "status_code": 404}

BAD_AUTHORIZATIONS = [
    None, "", "Bearer", "Bearer ", "bearer {key}", "{key}", "Bearer nope", "Basic {key}", "Bearer " + "x" * 5000,
]


def assert_error(r: httpx.Response, status: int, needle: str = "") -> Body:
    """A PayArc error: JSON ``{"status": "error", …, "status_code": status}`` whose message holds ``needle``."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert isinstance(body, dict)
    assert body["status_code"] == status and body["status"] == "error"
    assert needle in body["message"]
    assert "Traceback" not in r.text
    return body


def rows(client: Client, table: str) -> int:
    with client.app.state.ctx.db.read() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def assert_still_there(client: Client, resource: Resource, ids: dict[str, str]) -> None:
    """The owner still reaches the object: it reads it, or deletes it (which answers 204 only once)."""
    assert resource.item_path
    path = resource.item_path.format(**ids)
    if "GET" in resource.item_methods:
        assert client.get(path, headers=client.a.headers).status_code == 200
    if "DELETE" in resource.item_methods:
        assert client.delete(path, headers=client.a.headers).status_code == 204


# ---------------------------------------------------------------------------- the declarations themselves

#: Operations the app answers that no declaration covers yet: each is a resource owed its
#: entry in RESOURCES.  Declaring it means deleting its lines here.
NOT_YET_DECLARED: set[tuple[str, str]] = set()


def test_every_operation_is_declared(client: Client) -> None:
    """Each /v1 operation the app routes belongs to exactly one declared resource."""
    routed = {(method, route.path) for route in client.app.app.routes
              if isinstance(route, Route) and route.path.startswith("/v1/")
              for method in route.methods or () if method != "HEAD"}
    declared = [op for resource in RESOURCES for op in resource.operations()]
    assert len(declared) == len(set(declared)), "an operation is declared twice"
    assert routed - set(declared) == NOT_YET_DECLARED, "declare these in RESOURCES (tests/test_conformance.py)"
    assert set(declared) - routed == set(), "declared, but the app has no such route"


# ---------------------------------------------------------------------------- 401


def _body_for(resource: Resource, method: str, client: Client, merchant: Merchant) -> Body | None:
    """What a request sends: the valid body to a create or update, nothing to a read, delete or action."""
    return resource.valid_body(client, merchant) if method == "PATCH" else None


@pytest.mark.parametrize("resource", having(lambda r: True))
def test_every_operation_needs_a_valid_key(client: Client, resource: Resource) -> None:
    ids = resource.create(client, client.a)
    before = rows(client, resource.table) if resource.table else None
    body = resource.valid_body(client, client.a)
    for header in BAD_AUTHORIZATIONS:
        headers = {} if header is None else {"Authorization": header.format(key=client.a.key)}
        for method, path in resource.endpoints(ids):
            writes = method in ("POST", "PATCH")
            for extra in [{}, {"Idempotency-Key": "k-401"}] if writes else [{}]:
                r = send(client, {**headers, **extra}, method, path, body if writes else None)
                assert (r.status_code, r.json()) == (401, {"error": "Unauthenticated."}), (header, method, path, extra)
    if resource.table:
        assert rows(client, resource.table) == before
    if resource.item_path:
        assert_still_there(client, resource, ids)


# ---------------------------------------------------------------------------- 404


@pytest.mark.parametrize("resource", having(lambda r: r.item_path))
def test_unknown_ids_are_404(client: Client, resource: Resource) -> None:
    ids = resource.create(client, client.a)
    codecs = client.app.state.ctx.ids
    for param in resource.params:
        codec = getattr(codecs, param.removesuffix("_id"))
        beyond_64_bits = (codec.encode(2**63), codec.encode(2**64 + 5))
        for unknown in (codec.encode(999_999), *beyond_64_bits, "x", "KPxMADVnxMV4nNjp", "%00", "a" * 300, "%F0%9F%92%A9"):
            for method, template in resource.item_operations():
                path = template.format(**{**ids, param: unknown})
                r = send(client, client.a.headers, method, path, _body_for(resource, method, client, client.a))
                assert (r.status_code, r.json()) == (404, NOT_FOUND), (method, path)
        for method, template in resource.item_operations():  # a database key where a hashed id belongs
            path = template.format(**{**ids, param: "110"})
            assert_error(send(client, client.a.headers, method, path), 400, "Only Hashed ID's allowed.")
    assert_still_there(client, resource, ids)


@pytest.mark.parametrize("resource", having(lambda r: r.item_path))
def test_another_merchants_ids_are_404_and_stay_as_they_were(client: Client, resource: Resource) -> None:
    assert resource.item_path
    client.app.state.ctx.clock.freeze()  # readable_* texts must not move between the two reads compared
    mine = resource.create(client, client.a)
    theirs = resource.create(client, client.b)
    path = resource.item_path.format(**mine)
    before = client.get(path, headers=client.a.headers).json() if "GET" in resource.item_methods else None
    # Merchant b asks for a's object, and for its own with any one of a's ids in it.
    mixes = [{**theirs, param: mine[param]} for param in resource.params]
    for ids in [mine, *(m for m in mixes if m != mine)]:
        for method, template in resource.item_operations():
            r = send(client, client.b.headers, method, template.format(**ids),
                     _body_for(resource, method, client, client.b))
            assert (r.status_code, r.json()) == (404, NOT_FOUND), (method, template, ids)
    if resource.list_path:
        listed = client.get(resource.list_path, headers=client.b.headers).json()["data"]
        assert mine[resource.params[-1]] not in [item["id"] for item in listed]
    if before is not None:
        assert client.get(path, headers=client.a.headers).json() == before
    assert_still_there(client, resource, mine)


# ---------------------------------------------------------------------------- 422


@pytest.mark.parametrize("resource", having(lambda r: r.list_path and r.list_reads_body))
def test_a_list_parameter_of_the_wrong_type_is_422_naming_it(client: Client, resource: Resource) -> None:
    """``{"email": ["x"]}`` or ``{"name": {"$ne": null}}`` as a list's JSON body used to be
    dropped, answering the whole list.  Every parameter the list publishes is checked."""
    assert resource.list_path is not None
    resource.create(client, client.a)
    published = client.get("/openapi.json").json()["paths"][resource.list_path]["get"]["parameters"]
    names = [p["name"] for p in published]
    assert {"limit", "page"} <= set(names)
    for name in names:
        for value in (["x"], {"$ne": None}, True):
            r = client.request("GET", resource.list_path, json={name: value}, headers=client.a.headers)
            assert r.status_code == 422, (name, value, r.text)
            assert list(r.json()["errors"]) == [name], (name, value, r.text)



@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
@pytest.mark.parametrize("resource", having(lambda r: r.invalid))
def test_an_invalid_field_is_422_naming_it(client: Client, resource: Resource, form: bool) -> None:
    invalid = resource.invalid
    assert invalid is not None
    ids = resource.create(client, client.a) if resource.item_path else {}
    before = rows(client, resource.table) if resource.table else None
    # Creates and updates; an action's body (a refund's amount) has rules of its own.
    targets = [("POST", resource.create_path)] if resource.create_path else []
    targets += [("PATCH", resource.item_path.format(**ids))] if resource.item_path and "PATCH" in resource.item_methods else []
    assert targets, f"{resource.name}: 'invalid' is declared, but nothing creates or updates"
    for method, path in targets:
        body = {**resource.valid_body(client, client.a), invalid.field: invalid.value}
        r = send(client, client.a.headers, method, path, body, form=form)
        assert r.status_code == 422, (method, path, r.text)
        assert r.json() == {
            "status": "error", "code": 0, "message": "The given data was invalid.",
            "errors": {invalid.field: [invalid.message]}, "status_code": 422,
        }
        # Card and account numbers sent are never echoed in the refusal.
        numbers = [v for v in body.values() if isinstance(v, str) and v.isdigit() and len(v) >= 12]
        assert not any(number in r.text for number in numbers)
    if resource.table:
        assert rows(client, resource.table) == before


# ---------------------------------------------------------------------------- 413 and 415


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 65536 + 2):
        yield b"x" * 65536


@pytest.mark.parametrize("resource", having(lambda r: r.body_endpoints({p: "x" for p in r.params})))
def test_a_body_over_the_limit_is_413(client: Client, resource: Resource) -> None:
    limit = client.app.state.ctx.settings.max_body_bytes
    ids = resource.create(client, client.a) if resource.item_path else {}
    big = b'{"description": "' + b"x" * limit + b'"}'
    json_type = {"Content-Type": "application/json"}
    for method, path in resource.body_endpoints(ids):
        headers = {**client.a.headers, **json_type}
        assert_error(client.request(method, path, content=big, headers=headers), 413, f"larger than {limit} bytes")
        streamed = client.request(method, path, content=_chunks(limit), headers=headers)  # no Content-Length
        assert_error(streamed, 413, f"larger than {limit} bytes")
        if method in ("POST", "PATCH"):  # read first by the Idempotency-Key middleware, bounded alike
            keyed = {**headers, "Idempotency-Key": f"big-{method}"}
            assert_error(client.request(method, path, content=big, headers=keyed), 413, f"larger than {limit} bytes")


@pytest.mark.parametrize("resource", having(lambda r: r.body_endpoints({p: "x" for p in r.params})))
def test_an_unsupported_content_type_is_415(client: Client, resource: Resource) -> None:
    ids = resource.create(client, client.a) if resource.item_path else {}
    headers = {**client.a.headers, "Content-Type": "application/xml"}
    for method, path in resource.body_endpoints(ids):
        assert_error(client.request(method, path, content=b"<customer/>", headers=headers), 415, "application/json")


# ---------------------------------------------------------------------------- Idempotency-Key


@pytest.mark.parametrize("resource", having(lambda r: r.create_path and r.table))
def test_a_retried_create_is_replayed_and_creates_one(client: Client, resource: Resource) -> None:
    assert resource.create_path and resource.table
    headers = {**client.a.headers, "Idempotency-Key": f"create-{resource.name}"}
    body = resource.valid_body(client, client.a)
    before = rows(client, resource.table)
    first = client.post(resource.create_path, json=body, headers=headers)
    again = client.post(resource.create_path, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert rows(client, resource.table) == before + 1


# ---------------------------------------------------------------------------- card data at rest


@pytest.mark.parametrize("resource", having(lambda r: r.sends_card))
def test_no_card_number_or_cvv_reaches_the_database(client: Client, settings: Settings, resource: Resource) -> None:
    assert resource.sends_card is not None
    rng = random.Random(f"at rest: {resource.name}")
    numbers = scan_card_numbers(4, rng)
    cvvs = scan_cvvs(len(numbers), rng)
    for merchant, number, cvv in zip(cycle([client.a, client.b]), numbers, cvvs):
        resource.sends_card(client, merchant, scan_card_form(number, cvv))
    assert_not_at_rest(settings.database_url, numbers=numbers, cvvs=cvvs)
    # The scan read where the cards went: their last four digits are kept.
    held = b"".join(stored_bytes(settings.database_url).values())
    assert all(number[-4:].encode() in held for number in numbers)
