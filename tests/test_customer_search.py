"""Finding customers: exact-match filters that ignore case (as PayArc's MySQL collation does),
and the ``q`` search (an OpenArc extension) by name words, email, phone digits and id."""

from __future__ import annotations

import pytest

from conftest import Client


def _create(client: Client, merchant=None, **fields: str) -> dict:
    r = client.post("/v1/customers", json=fields, headers=(merchant or client.a).headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _listed(client: Client, merchant=None, **params: str) -> tuple[list[str], int]:
    r = client.get("/v1/customers", params=params, headers=(merchant or client.a).headers)
    assert r.status_code == 200, r.text
    body = r.json()
    return [c["id"] for c in body["data"]], body["meta"]["pagination"]["total"]


@pytest.fixture
def people(client: Client) -> dict[str, dict]:
    return {
        "john": _create(client, name="John Smith", email="john.smith@example.com", phone="5550000042"),
        "johnson": _create(client, name="Mary Johnson", email="mary@example.org", phone="15550000043"),
        "jose": _create(client, name="José Ñúñez", email="User42@Example.com", phone="4155550199"),
        "other": _create(client, name="Bob Stone", email="bob@example.net"),
    }


def test_filters_ignore_case(client: Client, people: dict[str, dict]) -> None:
    """``USER42@example.com`` found nothing while ``user42@example.com`` found the customer."""
    for email in ("user42@example.com", "USER42@EXAMPLE.COM", "User42@Example.com"):
        assert _listed(client, email=email) == ([people["jose"]["id"]], 1), email
    assert _listed(client, name="john smith") == ([people["john"]["id"]], 1)
    assert _listed(client, name="JOSÉ ÑÚÑEZ") == ([people["jose"]["id"]], 1)
    assert _listed(client, name="john") == ([], 0)  # still an exact match on the whole name
    assert _listed(client, phone="5550000042") == ([people["john"]["id"]], 1)
    # What was sent is what is shown: folding is for comparing only.
    assert client.get(f"/v1/customers/{people['jose']['id']}", headers=client.a.headers).json()["data"]["email"] == (
        "User42@Example.com")


@pytest.mark.parametrize(("q", "who"), [
    ("john", ["john", "johnson"]),          # the start of any word, a whole word first
    ("JOHN", ["john", "johnson"]),
    ("smi", ["john"]),
    ("john sm", ["john"]),                  # the start of the whole name
    ("jos", ["jose"]),
    ("ÑÚÑ", ["jose"]),
    ("user42@", ["jose"]),                  # the start of the email, any case
    ("USER42@EXAMPLE.COM", ["jose"]),
    ("555-000-0042", ["john"]),             # phone digits however written
    ("(555) 000 0042", ["john"]),
    ("+1 555 000 0042", ["john"]),
    ("555.000.0043", ["johnson"]),          # stored with its country code, found without it
    ("5550000", ["john", "johnson"]),
    ("zzz", []),
])
def test_q_finds_customers_by_name_words_email_and_phone(client: Client, people: dict[str, dict], q: str,
                                                         who: list[str]) -> None:
    ids, total = _listed(client, q=q)
    assert ids == [people[w]["id"] for w in who], q
    assert total == len(who)


def test_q_finds_a_customer_by_its_id_with_or_without_the_prefix(client: Client, people: dict[str, dict]) -> None:
    """Pasting the id the SDK printed gave "Not found"."""
    wanted = people["other"]["id"]
    assert _listed(client, q=wanted) == ([wanted], 1)
    assert _listed(client, q=f"cus_{wanted}") == ([wanted], 1)
    assert _listed(client, q=f"  cus_{wanted} ") == ([wanted], 1)


def test_q_never_reaches_another_merchant(client: Client, people: dict[str, dict]) -> None:
    theirs = _create(client, client.b, name="John Other", email="john@b.example", phone="5550000042")
    assert _listed(client, client.b, q="john") == ([theirs["id"]], 1)
    assert _listed(client, client.b, q="555-000-0042") == ([theirs["id"]], 1)
    assert _listed(client, client.b, q=people["john"]["id"]) == ([], 0)
    assert _listed(client, q=theirs["id"]) == ([], 0)


def test_q_follows_updates_and_deletes(client: Client, people: dict[str, dict]) -> None:
    john = people["john"]["id"]
    r = client.patch(f"/v1/customers/{john}", json={"name": "Jack Smith", "email": "JACK@example.com"},
                     headers=client.a.headers)
    assert r.status_code == 200, r.text
    assert _listed(client, q="jack") == ([john], 1)
    assert _listed(client, q="john") == ([people["johnson"]["id"]], 1)
    assert _listed(client, email="jack@EXAMPLE.com") == ([john], 1)
    assert _listed(client, q="555 000 0042") == ([john], 1)  # the phone was not changed
    client.delete(f"/v1/customers/{john}", headers=client.a.headers)
    assert _listed(client, q="jack") == ([], 0)


def test_q_combines_with_filters_and_pages(client: Client) -> None:
    made = [_create(client, name=f"Page Person {chr(65 + i)}", email=f"p{i}@example.com") for i in range(7)]
    ids, total = _listed(client, q="page", limit="3", page="2")
    assert total == 7 and len(ids) == 3
    everyone = [i for p in (1, 2, 3) for i in _listed(client, q="page", limit="3", page=str(p))[0]]
    assert sorted(everyone) == sorted(c["id"] for c in made) and len(set(everyone)) == 7
    assert _listed(client, q="page", email="P3@EXAMPLE.COM") == ([made[3]["id"]], 1)


@pytest.mark.parametrize("q", ["", "   ", "%", "_", "\\", "'", "a" * 5000, "\u0000x", "🙂"])
def test_odd_searches_answer_cleanly(client: Client, people: dict[str, dict], q: str) -> None:
    r = client.get("/v1/customers", params={"q": q}, headers=client.a.headers)
    assert r.status_code in (200, 422), r.text
    if not q.strip():
        assert r.json()["meta"]["pagination"]["total"] == len(people)  # no search: the whole list
