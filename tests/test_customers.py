"""Conformance of /v1/customers: shapes, field rules in both encodings, paging, filters,
errors and merchant isolation, as PayArc documents them."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from conftest import Client
from factories import SEED_FORM, SEED_VALUES, VISA

FORM = {"Content-Type": "application/x-www-form-urlencoded"}

OBJECT_KEYS = [
    "object", "customer_id", "id", "real_id", "name", "email", "description", "payment_overdue",
    "send_email_address", "cc_email_address", "source_id", "address_1", "address_2", "city", "state",
    "zip", "phone", "country", "created_at", "updated_at", "readable_created_at", "readable_updated_at",
    "invoice_prefix", "card", "bank_account", "charge",
]


def create(client: Client, body: dict | None = None, *, form: bool = False, merchant=None) -> dict:
    merchant = merchant or client.a
    if form:
        r = client.post("/v1/customers", content=urlencode(body or {}), headers={**merchant.headers, **FORM})
    else:
        r = client.post("/v1/customers", json=body or {}, headers=merchant.headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def post(client: Client, body: dict, *, form: bool):
    if form:
        return client.post("/v1/customers", content=urlencode(body), headers={**client.a.headers, **FORM})
    return client.post("/v1/customers", json=body, headers=client.a.headers)


# ---------------------------------------------------------------------------- shapes


def test_seed_form_request_returns_the_seed_shape(client: Client) -> None:
    before = int(time.time())
    r = client.post("/v1/customers", content=SEED_FORM, headers={**client.a.headers, **FORM})
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["meta"] == {"include": ["card", "bank_account", "charge", "subscription", "invoice"], "custom": []}
    data = body["data"]
    assert list(data) == OBJECT_KEYS
    assert {k: data[k] for k in SEED_VALUES} == SEED_VALUES
    assert data["object"] == "customer"
    assert data["id"] == data["customer_id"] and len(data["id"]) == 16
    assert isinstance(data["real_id"], int)
    assert data["description"] is None and data["payment_overdue"] is None and data["source_id"] is None
    assert before <= data["created_at"] == data["updated_at"] <= int(time.time())
    assert data["readable_created_at"] == "1 second ago"
    assert data["readable_updated_at"] == "1 second ago"
    assert len(data["invoice_prefix"]) == 4 and data["invoice_prefix"].isalnum() and data["invoice_prefix"].isupper() or data["invoice_prefix"].isdigit()
    assert data["card"] == {"data": []} and data["bank_account"] == {"data": []} and data["charge"] == {"data": []}


def test_json_body_gives_the_same_object(client: Client) -> None:
    data = create(client, SEED_VALUES)
    assert {k: data[k] for k in SEED_VALUES} == SEED_VALUES


def test_empty_body_creates_an_empty_customer(client: Client) -> None:
    r = client.post("/v1/customers", headers=client.a.headers)
    assert r.status_code == 201
    data = r.json()["data"]
    assert all(data[k] is None for k in SEED_VALUES)


def test_retrieve_returns_what_create_returned(client: Client) -> None:
    client.app.state.ctx.clock.freeze()  # the readable_* texts must not move between the two
    created = create(client, SEED_VALUES)
    r = client.get(f"/v1/customers/{created['id']}", headers=client.a.headers)
    assert r.status_code == 200
    assert r.json()["data"] == created


def test_retrieve_with_includes_adds_empty_collections(client: Client) -> None:
    created = create(client, {"name": "Ann Lee"})
    r = client.get(f"/v1/customers/{created['id']}?include=subscription,invoice", headers=client.a.headers)
    assert r.status_code == 200
    assert r.json()["data"]["subscription"] == {"data": []}
    assert r.json()["data"]["invoice"] == {"data": []}
    bad = client.get(f"/v1/customers/{created['id']}?include=secrets", headers=client.a.headers)
    assert bad.status_code == 400
    assert "secrets" in bad.json()["message"]


def test_server_owned_fields_cannot_be_set(client: Client) -> None:
    owned = {
        "id": "AAAAAAAAAAAAAAAA", "customer_id": "AAAAAAAAAAAAAAAA", "real_id": 999999, "created_at": 1,
        "updated_at": 1, "invoice_prefix": "ZZZZ", "payment_overdue": 5, "source_id": "x", "object": "card",
    }
    data = create(client, {"name": "Ann Lee", **owned, "cards": [{"card_number": VISA}], "bank_accounts": []})
    assert data["object"] == "customer"
    assert data["id"] != owned["id"] and data["real_id"] != 999999
    assert data["created_at"] > 1 and data["invoice_prefix"] != "ZZZZ"
    assert data["payment_overdue"] is None and data["source_id"] is None
    patched = client.patch(f"/v1/customers/{data['id']}", json=owned, headers=client.a.headers)
    assert patched.status_code == 200
    assert patched.json()["data"]["id"] == data["id"]
    assert patched.json()["data"]["invoice_prefix"] == data["invoice_prefix"]
    assert patched.json()["data"]["created_at"] == data["created_at"]


def test_invoice_prefixes_are_unique_per_merchant(client: Client) -> None:
    prefixes = {create(client)["invoice_prefix"] for _ in range(50)}
    assert len(prefixes) == 50


# ---------------------------------------------------------------------------- field rules

# (field, longest valid, shortest valid or None, a value of valid length with a wrong character)
BOUNDARIES = [
    ("name", "A" * 50, "Abe", "John 3rd"),
    ("email", "a" * 32 + "@xyz.com", None, "not-an-email"),
    ("description", "d" * 50, "Donut", None),
    ("send_email_address", "b" * 32 + "@xyz.com", "a@b.c", "invoicing at xyz"),
    ("cc_email_address", "c" * 32 + "@xyz.com", "a@b.c", "cc@@xyz.com"),
    ("country", "C" * 50, "US", "U S"),
    ("address_1", "1" * 50, "1 Elm", "103 Mason St!"),
    ("address_2", "2" * 50, "2nd F", "Floor <2>"),
    ("city", "Y" * 50, "NY", "New York 2"),
    ("state", "S" * 50, "NY", "N.Y."),
    ("zip", "1" * 10, "1", "10469 2345"),
    ("phone", "1" * 11, "12", "541-754301"),
]

MIN = {"name": 3, "description": 5, "send_email_address": 5, "cc_email_address": 5, "country": 2,
       "address_1": 5, "address_2": 5, "city": 2, "state": 2, "phone": 2}
MAX = {"name": 50, "email": 40, "description": 50, "send_email_address": 40, "cc_email_address": 40,
       "country": 50, "address_1": 50, "address_2": 50, "city": 50, "state": 50, "zip": 10, "phone": 11}


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
@pytest.mark.parametrize(("field", "longest", "shortest", "wrong"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_field_boundaries(client: Client, form: bool, field: str, longest: str, shortest: str | None, wrong: str | None) -> None:
    attr = field.replace("_", " ")
    assert len(longest) == MAX[field]
    r = post(client, {field: longest}, form=form)
    assert r.status_code == 201, r.text
    assert r.json()["data"][field] == longest

    too_long = longest[0] + longest if "@" not in longest else "x" + longest
    r = post(client, {field: too_long}, form=form)
    assert r.status_code == 422
    assert f"The {attr} field must not be greater than {MAX[field]} characters." in r.json()["errors"][field]

    if shortest is not None:
        assert len(shortest) == MIN.get(field, len(shortest))
        r = post(client, {field: shortest}, form=form)
        assert r.status_code == 201, r.text
    if field in MIN:
        r = post(client, {field: (shortest or "x")[: MIN[field] - 1] or "x"}, form=form)
        assert r.status_code == 422
        assert f"The {attr} field must be at least {MIN[field]} characters." in r.json()["errors"][field]
    if wrong is not None:
        r = post(client, {field: wrong}, form=form)
        assert r.status_code == 422, r.text
        assert list(r.json()["errors"]) == [field]


def test_lengths_count_characters_not_bytes(client: Client) -> None:
    data = create(client, {"name": "É" * 50, "city": "Zürich", "state": "Île de France", "country": "España"})
    assert data["name"] == "É" * 50 and data["city"] == "Zürich"
    r = post(client, {"name": "É" * 51}, form=True)
    assert r.status_code == 422


def test_every_failing_field_is_named_in_laravel_wording(client: Client) -> None:
    r = post(client, {"name": "Jo", "email": "nope", "phone": "1", "zip": "ABCDE", "description": "hey"}, form=False)
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "The given data was invalid."
    assert body["status"] == "error" and body["status_code"] == 422 and body["code"] == 0
    assert body["errors"] == {
        "name": ["The name field must be at least 3 characters."],
        "email": ["The email field must be a valid email address."],
        "description": ["The description field must be at least 5 characters."],
        "zip": ["The zip field format is invalid."],
        "phone": ["The phone field must be at least 2 characters."],
    }


def test_numbers_for_zip_and_phone_are_stored_as_text(client: Client) -> None:
    data = create(client, {"zip": 10469, "phone": 541754301})
    assert data["zip"] == "10469" and data["phone"] == "541754301"


@pytest.mark.parametrize("value", [["a"], {"a": 1}, True, 1.5])
def test_non_text_values_are_refused_by_field(client: Client, value: object) -> None:
    r = client.post("/v1/customers", json={"name": value, "phone": value}, headers=client.a.headers)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"name", "phone"}


def test_strings_are_trimmed_and_empty_means_null(client: Client) -> None:
    data = create(client, {"name": "  John Smith  ", "email": "", "city": "   "}, form=True)
    assert data["name"] == "John Smith" and data["email"] is None and data["city"] is None


def test_control_characters_are_refused(client: Client) -> None:
    r = client.post("/v1/customers", json={"description": "Donut\x00shop"}, headers=client.a.headers)
    assert r.status_code == 422 and "description" in r.json()["errors"]


# ---------------------------------------------------------------------------- update and delete


def test_update_changes_only_the_given_fields(client: Client) -> None:
    clock = client.app.state.ctx.clock
    clock.freeze()  # frozen, so the readable_* texts of the two answers compared below agree
    created = create(client, SEED_VALUES)
    clock.advance(1)
    r = client.patch(
        f"/v1/customers/{created['id']}",
        content=urlencode({"description": "Donut shop customer", "city": "Boston"}),
        headers={**client.a.headers, **FORM},
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["description"] == "Donut shop customer" and data["city"] == "Boston"
    assert data["name"] == "John Smith" and data["email"] == "customer@xyz.com"
    assert data["updated_at"] > data["created_at"] == created["created_at"]
    assert client.get(f"/v1/customers/{created['id']}", headers=client.a.headers).json()["data"] == data


def test_update_with_empty_string_clears_a_field(client: Client) -> None:
    created = create(client, SEED_VALUES)
    r = client.patch(f"/v1/customers/{created['id']}", json={"address_2": "", "phone": None}, headers=client.a.headers)
    assert r.status_code == 200
    assert r.json()["data"]["address_2"] is None and r.json()["data"]["phone"] is None
    assert r.json()["data"]["address_1"] == "103 Mason Street"


def test_invalid_update_changes_nothing(client: Client) -> None:
    created = create(client, SEED_VALUES)
    r = client.patch(f"/v1/customers/{created['id']}", json={"city": "Boston", "phone": "abc"}, headers=client.a.headers)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["phone"]
    assert client.get(f"/v1/customers/{created['id']}", headers=client.a.headers).json()["data"]["city"] == "New York"


def test_empty_update_returns_the_customer_unchanged(client: Client) -> None:
    created = create(client, SEED_VALUES)
    r = client.patch(f"/v1/customers/{created['id']}", json={}, headers=client.a.headers)
    assert r.status_code == 200 and r.json()["data"]["updated_at"] == created["updated_at"]


def test_delete_answers_204_and_the_customer_is_gone(client: Client) -> None:
    created = create(client, SEED_VALUES)
    r = client.delete(f"/v1/customers/{created['id']}", headers=client.a.headers)
    assert r.status_code == 204 and r.content == b""
    for method in ("get", "patch", "delete"):
        gone = client.request(method.upper(), f"/v1/customers/{created['id']}", headers=client.a.headers)
        assert gone.status_code == 404
        assert gone.json() == {"status": "error", "code": 0, "message": "The requested Resource was not found.", "status_code": 404}
    listed = client.get("/v1/customers", headers=client.a.headers).json()
    assert listed["meta"]["pagination"]["total"] == 0


def test_deleted_ids_are_never_reused(client: Client) -> None:
    first = create(client)
    client.delete(f"/v1/customers/{first['id']}", headers=client.a.headers)
    second = create(client)
    assert second["id"] != first["id"] and second["real_id"] > first["real_id"]


def test_real_id_counts_the_merchants_own_customers(client: Client) -> None:
    """``real_id`` numbers a merchant's customers 1, 2, 3…: it used to be the primary key, one
    counter across merchants, so each merchant learnt how many customers the others made."""
    numbers_a = [create(client)["real_id"] for _ in range(3)]
    numbers_b = [create(client, merchant=client.b)["real_id"] for _ in range(2)]
    assert numbers_a == [1, 2, 3]
    assert numbers_b == [1, 2]
    # The number is stored: a read shows what the create answered.
    first = client.get("/v1/customers?limit=1", headers=client.b.headers).json()["data"][0]
    assert first["real_id"] in numbers_b


# ---------------------------------------------------------------------------- list


def test_list_pagination_arithmetic(client: Client) -> None:
    ids = [create(client, {"name": f"Customer {chr(65 + i)}"})["id"] for i in range(7)]
    r = client.get("/v1/customers?limit=3&page=2", headers=client.a.headers)
    assert r.status_code == 200
    body = r.json()
    assert [c["id"] for c in body["data"]] == list(reversed(ids))[3:6]
    pagination = body["meta"]["pagination"]
    assert {k: pagination[k] for k in ("total", "count", "per_page", "current_page", "total_pages")} == {
        "total": 7, "count": 3, "per_page": 3, "current_page": 2, "total_pages": 3,
    }
    assert pagination["links"]["previous"].endswith("page=1") and pagination["links"]["next"].endswith("page=3")
    last = client.get("/v1/customers?limit=3&page=3", headers=client.a.headers).json()
    assert last["meta"]["pagination"]["count"] == 1 and "next" not in last["meta"]["pagination"]["links"]
    beyond = client.get("/v1/customers?limit=3&page=9", headers=client.a.headers).json()
    assert beyond["data"] == [] and beyond["meta"]["pagination"]["count"] == 0


def test_list_defaults_caps_and_empty_pages(client: Client) -> None:
    empty = client.get("/v1/customers", headers=client.a.headers).json()
    assert empty["data"] == []
    assert empty["meta"]["pagination"] == {
        "total": 0, "count": 0, "per_page": 25, "current_page": 1, "total_pages": 1, "links": {},
    }
    capped = client.get("/v1/customers?limit=100000", headers=client.a.headers).json()
    assert capped["meta"]["pagination"]["per_page"] == 100


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=abc", "page=0", "page=1.5", "page=" + "9" * 40])
def test_list_bad_paging_is_422_naming_the_parameter(client: Client, query: str) -> None:
    r = client.get(f"/v1/customers?{query}", headers=client.a.headers)
    assert r.status_code == 422
    assert list(r.json()["errors"]) == [query.split("=")[0]]


def test_list_filters_by_exact_email_name_and_phone(client: Client) -> None:
    create(client, {"name": "Ann Lee", "email": "ann@xyz.com", "phone": "111"})
    create(client, {"name": "Bob Ray", "email": "bob@xyz.com", "phone": "222"})
    create(client, {"name": "Ann Lee", "email": "ann2@xyz.com", "phone": "333"})
    def names(query: str) -> list[str]:
        return [c["email"] for c in client.get(f"/v1/customers?{query}", headers=client.a.headers).json()["data"]]
    assert names("email=bob%40xyz.com") == ["bob@xyz.com"]
    assert names("name=Ann%20Lee") == ["ann2@xyz.com", "ann@xyz.com"]
    assert names("phone=333") == ["ann2@xyz.com"]
    assert names("name=Ann%20Lee&phone=111") == ["ann@xyz.com"]
    assert names("email=ann") == []
    filtered = client.get("/v1/customers?name=Ann%20Lee&limit=1", headers=client.a.headers).json()
    assert filtered["meta"]["pagination"]["total"] == 2 and filtered["meta"]["pagination"]["total_pages"] == 2
    # A value no customer could hold matches none; a NUL (which PostgreSQL refuses) is no 500.
    for query in ("email=d%2Bc%00x%40xyz.com", "name=Ann%00Lee", "phone=1%002", "name=A&phone=333"):
        answer = client.get(f"/v1/customers?{query}", headers=client.a.headers)
        assert answer.status_code == 200, query
        assert answer.json()["data"] == [] and answer.json()["meta"]["pagination"]["total"] == 0


# ---------------------------------------------------------------------------- isolation


def test_filters_never_reach_another_merchants_customers(client: Client) -> None:
    # (Every operation on another merchant's customer is a 404: tests/test_conformance.py.)
    create(client, SEED_VALUES, merchant=client.a)
    assert client.get("/v1/customers?email=customer%40xyz.com", headers=client.b.headers).json()["data"] == []
    assert len(client.get("/v1/customers?email=customer%40xyz.com", headers=client.a.headers).json()["data"]) == 1


def test_list_reads_paging_from_a_json_body_on_get(client: Client) -> None:
    for i in range(3):
        create(client, {"name": f"Customer {chr(65 + i)}"})
    r = client.request("GET", "/v1/customers", json={"page": 2, "limit": 2}, headers=client.a.headers)
    assert r.status_code == 200
    assert r.json()["meta"]["pagination"]["current_page"] == 2 and r.json()["meta"]["pagination"]["count"] == 1
    bad = client.request("GET", "/v1/customers", json={"include": ["card"], "page": {"a": 1}}, headers=client.a.headers)
    assert bad.status_code in (400, 422)
