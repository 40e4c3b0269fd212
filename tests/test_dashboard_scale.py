"""The dashboard at scale: one search box (the API's ``q``), sortable columns, numbered pages
with first/last and a jump, counts with thousands separators, pages past the end; the
customer id with a copy button; cards made default or deleted and bank accounts deleted from
the customer page; fields that say what they allow; a form whose session ended keeps what
was typed.

In-process over the real app and database (customers seeded through
``services.customers.create`` in one write transaction, as ``bench/seed.py`` makes its first
customer), and once in Debian's Chromium against a live server.  Nothing of OpenArc is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import html as htmlmod
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.sync_api import Page, expect

from browsers import ARTIFACTS, chromium_page
from conftest import Client, LiveServer, Merchant, database_url, start_server, stop_server
from factories import MASTERCARD, VISA, bank_account_body, card_form
from openarc.config import Settings
from openarc.context import build_context
from openarc.dashboard.pages import _sessions
from openarc.dashboard.session import Session
from openarc.db.steps import run
from openarc.services import accounts, customers
from openarc.services.installation import Secrets
from signin import csrf_of, sign_in

# ---------------------------------------------------------------------------- helpers




def seed(ctx: Any, merchant_name: str, people: Sequence[dict[str, str]]) -> list[str]:
    """Create ``people`` for the merchant in one write transaction, oldest first; their public ids."""
    now = ctx.clock.now()
    account_id = accounts.ensure_account(ctx.db, merchant_name, now=now).id
    with ctx.db.raw.write() as raw:
        made = [run(raw, customers.create(account_id, customers.clean(fields), now=now)) for fields in people]
    return [ctx.ids.customer.encode(c.id) for c in made]


def names_of(text: str) -> list[str]:
    """The names the list shows, top to bottom."""
    return [htmlmod.unescape(n) for n in re.findall(r'<th scope="row" data-label="Name"><a href="[^"]+">([^<]*)</a>',
                                                   text)]


def ids_of(text: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="Name"><a href="/dashboard/customers/([^"]+)">', text)


def count_of(text: str) -> str:
    found = re.search(r'<p class="count" aria-live="polite">(.*?)</p>', text, re.DOTALL)
    assert found, "no count shown"
    return " ".join(re.sub(r"<[^>]+>", " ", htmlmod.unescape(found.group(1))).split())


def pager_of(text: str) -> list[str]:
    """The pager's links as their text, the current page marked ``[n]``."""
    nav = re.search(r'<nav class="pager" aria-label="Pages">(.*?)</nav>', text, re.DOTALL)
    if nav is None:
        return []
    shown = []
    for attrs, label in re.findall(r"<a ([^>]*)>([^<]*)</a>", nav.group(1)):
        shown.append(f"[{label}]" if 'aria-current="page"' in attrs else htmlmod.unescape(label))
    return shown


def link_of(text: str, label: str) -> str:
    """The href of the pager link or column header called ``label``."""
    found = re.search(rf'<a (?:class="sort" )?(?:rel="\w+" )?href="([^"]+)"[^>]*>{re.escape(label)}', text)
    assert found, f"no link {label!r}"
    return htmlmod.unescape(found.group(1))


def problem_of(text: str) -> str | None:
    found = re.search(r'<p class="notice warning" role="status" id="page-problem">(.*?)</p>', text)
    return htmlmod.unescape(found.group(1)) if found else None


# ---------------------------------------------------------------------------- search

PEOPLE = [
    {"name": "John Smith", "email": "john.smith@example.com", "phone": "5550000042"},
    {"name": "Mary Johnson", "email": "mary@example.org", "phone": "15550000043"},
    {"name": "Ada Lovelace", "email": "User42@Example.com", "phone": "4155550199"},
    {"name": "Bob Stone", "email": "bob@example.net"},
]


@pytest.fixture
def people(client: Client) -> dict[str, str]:
    ids = seed(client.app.state.ctx, client.a.name, PEOPLE)
    return dict(zip(("john", "johnson", "ada", "bob"), ids, strict=True))


@pytest.mark.parametrize(("q", "found"), [
    ("John", ["John Smith", "Mary Johnson"]),          # the start of any word of a name, a whole word first
    ("jo", ["John Smith", "Mary Johnson"]),
    ("  SMI ", ["John Smith"]),
    ("john sm", ["John Smith"]),                       # the start of the whole name
    ("USER42@example.com", ["Ada Lovelace"]),          # the start of an email, any case
    ("user42@", ["Ada Lovelace"]),
    ("555-000-0042", ["John Smith"]),                  # phone digits however written
    ("(555) 000 0042", ["John Smith"]),
    ("+1 555 000 0042", ["John Smith"]),
    ("555.000.0043", ["Mary Johnson"]),                # stored with its country code, found without it
    ("zelda", []),
])
def test_one_box_finds_by_name_email_and_phone(client: Client, people: dict[str, str], q: str,
                                               found: list[str]) -> None:
    sign_in(client, client.a)
    page = client.get("/dashboard/customers", params={"q": q})
    assert page.status_code == 200
    assert names_of(page.text) == found
    if found:
        assert count_of(page.text) == f"{len(found)} customer{'' if len(found) == 1 else 's'} found, page 1 of 1"
    else:
        assert count_of(page.text) == f"No customer matches “{q.strip()}”."
    assert f'value="{htmlmod.escape(q.strip())}"' in page.text  # the box keeps the search


@pytest.mark.parametrize("form", ["bare", "cus_", "quoted"])
def test_a_pasted_id_opens_the_customer(client: Client, people: dict[str, str], form: str) -> None:
    """``cus_…`` as the SDK prints it (and the bare id the dashboard shows) gave "Not found"."""
    sign_in(client, client.a)
    public_id = people["ada"]
    q = {"bare": public_id, "cus_": f"cus_{public_id}", "quoted": f' "cus_{public_id}" '}[form]
    found = client.get("/dashboard/customers", params={"q": q}, follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/dashboard/customers/{public_id}"
    assert "Ada Lovelace" in client.get(found.headers["location"]).text


def test_an_id_leads_the_list_when_others_match_it_too(client: Client, people: dict[str, str]) -> None:
    public_id = people["bob"]
    (other,) = seed(client.app.state.ctx, client.a.name, [{"name": "Eve Echo", "email": f"{public_id}@example.com"}])
    sign_in(client, client.a)
    # The bare id is also the start of Eve's email: both are listed, the customer the id names first.
    page = client.get("/dashboard/customers", params={"q": public_id}, follow_redirects=False)
    assert page.status_code == 200 and ids_of(page.text) == [public_id, other]
    assert count_of(page.text) == "2 customers found, page 1 of 1"
    # With cus_ it matches nothing else: straight to the customer.
    only = client.get("/dashboard/customers", params={"q": f"cus_{public_id}"}, follow_redirects=False)
    assert only.status_code == 303 and only.headers["location"] == f"/dashboard/customers/{public_id}"


def test_another_merchants_id_finds_nothing(client: Client, people: dict[str, str]) -> None:
    (theirs,) = seed(client.app.state.ctx, client.b.name, [{"name": "Private Person"}])
    sign_in(client, client.a)
    for q in (theirs, f"cus_{theirs}"):
        page = client.get("/dashboard/customers", params={"q": q}, follow_redirects=False)
        assert page.status_code == 200 and names_of(page.text) == [] and "Private Person" not in page.text
    assert client.get(f"/dashboard/customers/cus_{theirs}").status_code == 404


def test_the_sdks_id_in_the_address_opens_the_customer(client: Client, people: dict[str, str]) -> None:
    sign_in(client, client.a)
    moved = client.get(f"/dashboard/customers/cus_{people['john']}", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/dashboard/customers/{people['john']}"
    assert client.get(f"/dashboard/customers/cus_{people['john']}/edit").status_code == 200


# ---------------------------------------------------------------------------- sorting

#: No word here is the start of another, so every collation (SQLite's, PostgreSQL's C or
#: locale ones) orders them alike; the case differs, which sorting ignores.
FIRST = ["olivia", "Liam", "emma", "Noah", "Zed", "Isabel", "Quincy", "Harper", "Victor", "grace", "Wanda",
         "Yusuf", "Karen", "Ulric", "Penny", "Ramon", "Tessa", "Dmitri", "Felix", "Bea", "Casper", "Xander",
         "Selma", "Magnus", "Juno", "Gwen", "Opal", "Kurt"]
EMAILS = ["kilo", "alpha", "Mike", "delta", "echo", "foxtrot", "GOLF", "hotel", "india", "juliett", "lima",
          "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
          "xray", "yankee", "zulu", "bravo", "charlie", "nine", "eight"]


@pytest.fixture
def sortable(client: Client) -> dict[str, Any]:
    """28 named customers and 3 without a name; 2 without an email.  31 in all: two pages."""
    people: list[dict[str, str]] = [
        {"name": f"{first} Surname", "email": f"{mail}@example.com"} for first, mail in zip(FIRST, EMAILS, strict=True)
    ]
    people[3].pop("email")
    people[17].pop("email")
    people.insert(5, {"email": "nameless.one@example.net"})
    people.insert(11, {"email": "nameless.two@example.net"})
    people.insert(20, {"phone": "5550001234"})
    ids = seed(client.app.state.ctx, client.a.name, people)
    return {"people": people, "ids": ids}


def expected(sortable: dict[str, Any], field: str, descending: bool) -> list[str]:
    """Ids sorted by ``field`` folded, ties and missing values by id, missing values last."""
    rows = list(enumerate(zip(sortable["people"], sortable["ids"], strict=True)))
    given = [(p[field].casefold(), n, public) for n, (p, public) in rows if field in p]
    missing = [(n, public) for n, (p, public) in rows if field not in p]
    given.sort(reverse=descending)
    missing.sort(reverse=descending)
    return [public for *_, public in given] + [public for _, public in missing]


@pytest.mark.parametrize(("sort", "order"), [
    ("name", "asc"), ("name", "desc"), ("email", "asc"), ("email", "desc"), ("created", "asc"), ("created", "desc"),
])
def test_columns_sort_both_ways_missing_values_last(client: Client, sortable: dict[str, Any], sort: str,
                                                    order: str) -> None:
    sign_in(client, client.a)
    if sort == "created":
        want = sortable["ids"][::-1] if order == "desc" else sortable["ids"]
    else:
        want = expected(sortable, sort, order == "desc")
    first = client.get("/dashboard/customers", params={"sort": sort, "order": order})
    second = client.get("/dashboard/customers", params={"sort": sort, "order": order, "page": "2"})
    assert first.status_code == second.status_code == 200
    assert ids_of(first.text) + ids_of(second.text) == want
    assert count_of(second.text) == "31 customers, page 2 of 2"
    header = re.search(r'<th scope="col" aria-sort="(\w+)"><a class="sort" href="([^"]+)">', first.text)
    assert header and header.group(1) == {"asc": "ascending", "desc": "descending"}[order]
    # The sorted column's link sorts it the other way; the sort stays on while paging.
    other = {"asc": "desc", "desc": "asc"}[order]
    assert htmlmod.unescape(header.group(2)) == f"/dashboard/customers?sort={sort}&order={other}"
    assert link_of(first.text, "Next →") == f"/dashboard/customers?sort={sort}&order={order}&page=2"


def test_newest_first_by_default_and_headers_offer_each_sort(client: Client, sortable: dict[str, Any]) -> None:
    sign_in(client, client.a)
    page = client.get("/dashboard/customers")
    assert ids_of(page.text) == sortable["ids"][::-1][:25]
    assert '<th scope="col" aria-sort="descending"><a class="sort" href="/dashboard/customers?sort=created&amp;order=asc">' \
        in page.text
    assert link_of(page.text, "Name") == "/dashboard/customers?sort=name&order=asc"
    assert link_of(page.text, "Email") == "/dashboard/customers?sort=email&order=asc"
    assert "Sorted newest first." in page.text
    # An unknown sort or order is the default, not an error.
    odd = client.get("/dashboard/customers", params={"sort": "phone; drop", "order": "sideways"})
    assert odd.status_code == 200 and ids_of(odd.text) == ids_of(page.text)
    assert ids_of(client.get("/dashboard/customers", params={"sort": "name", "order": "up"}).text) == \
        expected(sortable, "name", False)[:25]


def test_a_search_sorts_too(client: Client, sortable: dict[str, Any]) -> None:
    sign_in(client, client.a)
    best = client.get("/dashboard/customers", params={"q": "nameless"})
    assert len(ids_of(best.text)) == 2 and "Sorted best matches first." in best.text
    by_name = client.get("/dashboard/customers", params={"q": "surname", "sort": "name", "order": "desc"})
    want = [p for p in expected(sortable, "name", True) if p in ids_of(by_name.text)]
    assert len(want) == 25 and ids_of(by_name.text) == want
    assert count_of(by_name.text) == "28 customers found, page 1 of 2"
    assert link_of(by_name.text, "Best matches first") == "/dashboard/customers?q=surname"
    # The search box keeps the sort for the next search.
    assert '<input type="hidden" name="sort" value="name"><input type="hidden" name="order" value="desc">' \
        in by_name.text
    assert link_of(by_name.text, "Next →") == "/dashboard/customers?q=surname&sort=name&order=desc&page=2"
    by_email = client.get("/dashboard/customers", params={"q": "surname", "sort": "email", "page": "2"})
    emails = [p for p in expected(sortable, "email", False) if p in set(sortable["ids"])]
    named = {public for p, public in zip(sortable["people"], sortable["ids"], strict=True) if "name" in p}
    assert ids_of(by_email.text) == [p for p in emails if p in named][25:]  # those without an email last
    # By creation, either way (newest first is not the best matches' order).
    in_order = [public for public in sortable["ids"] if public in named]
    for order, want in (("desc", in_order[::-1]), ("asc", in_order)):
        by_created = client.get("/dashboard/customers", params={"q": "surname", "sort": "created", "order": order})
        assert ids_of(by_created.text) == want[:25], order
        assert f"Sorted {'newest' if order == 'desc' else 'oldest'} first." in by_created.text


# ---------------------------------------------------------------------------- pages and counts


@pytest.fixture
def thousands(client: Client) -> list[str]:
    """1,234 customers, all called John something: 50 pages."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    people = [{"name": f"John {letters[n // 676]}{letters[n // 26 % 26]}{letters[n % 26]}",
               "email": f"user{n}@example.com", "phone": f"555{n:07d}"} for n in range(1234)]
    return seed(client.app.state.ctx, client.a.name, people)


def test_counts_and_page_numbers(client: Client, thousands: list[str]) -> None:
    sign_in(client, client.a)
    first = client.get("/dashboard/customers")
    assert count_of(first.text) == "1,234 customers, page 1 of 50"
    assert pager_of(first.text) == ["[1]", "2", "3", "4", "5", "Next →", "Last »"]
    assert link_of(first.text, "Last »") == "/dashboard/customers?page=50"
    middle = client.get(link_of(first.text, "4"))
    assert count_of(middle.text) == "1,234 customers, page 4 of 50"
    assert pager_of(middle.text) == ["« First", "← Previous", "2", "3", "[4]", "5", "6", "Next →", "Last »"]
    assert ids_of(middle.text) == thousands[::-1][75:100]
    assert link_of(middle.text, "« First") == "/dashboard/customers"
    last = client.get(link_of(middle.text, "Last »"))
    assert pager_of(last.text) == ["« First", "← Previous", "46", "47", "48", "49", "[50]"]
    assert ids_of(last.text) == thousands[::-1][1225:]
    # A typed page number: the jump form keeps the sort and search.
    sorted_page = client.get("/dashboard/customers", params={"q": "john", "sort": "email", "order": "desc"})
    jump = re.search(r'<form method="get" action="/dashboard/customers" class="jump">(.*?)</form>', sorted_page.text,
                     re.DOTALL)
    assert jump
    assert re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', jump.group(1)) == [
        ("q", "john"), ("sort", "email"), ("order", "desc")]
    assert 'name="page" type="number" min="1" max="40"' in jump.group(1)


def test_a_search_says_when_it_shows_the_most_it_can(client: Client, thousands: list[str]) -> None:
    sign_in(client, client.a)
    page = client.get("/dashboard/customers", params={"q": "John"})
    assert count_of(page.text) == ("1,000 customers found, the most one search shows: type more to narrow it. "
                                   "Page 1 of 40")
    narrow = client.get("/dashboard/customers", params={"q": "john ab"})
    assert count_of(narrow.text) == "26 customers found, page 1 of 2"


@pytest.mark.parametrize(("asked", "shown", "message"), [
    ("51", 50, "There is no page 51: the list has 50 pages. This is the last one."),
    ("100000", 50, "There is no page 100,000: the list has 50 pages. This is the last one."),
    ("99999999999999999999999", 50,
     "There is no page 99999999999999999999: the list has 50 pages. This is the last one."),
    ("0", 1, "“0” is not a page number: this is the first page."),
    ("-3", 1, "“-3” is not a page number: this is the first page."),
    ("two", 1, "“two” is not a page number: this is the first page."),
    ("50", 50, None),
])
def test_a_page_past_the_end_is_the_last_page(client: Client, thousands: list[str], asked: str, shown: int,
                                              message: str | None) -> None:
    sign_in(client, client.a)
    for sort in ({}, {"sort": "name"}, {"sort": "created", "order": "asc"}):
        page = client.get("/dashboard/customers", params={"page": asked, **sort})
        assert page.status_code == 200
        assert count_of(page.text) == f"1,234 customers, page {shown} of 50"
        assert problem_of(page.text) == message
        assert len(ids_of(page.text)) == (9 if shown == 50 else 25)


def test_past_the_end_of_a_search_and_of_nothing(client: Client, people: dict[str, str]) -> None:
    sign_in(client, client.a)
    found = client.get("/dashboard/customers", params={"q": "jo", "page": "7"})
    assert found.status_code == 200 and names_of(found.text) == ["John Smith", "Mary Johnson"]
    assert problem_of(found.text) == "There is no page 7: the list has 1 page. This is the last one."
    none = client.get("/dashboard/customers", params={"q": "zelda", "page": "3", "sort": "name"})
    assert none.status_code == 200 and count_of(none.text) == "No customer matches “zelda”."
    sign_in(client, client.b)
    empty = client.get("/dashboard/customers", params={"page": "2"})
    assert empty.status_code == 200 and count_of(empty.text) == "No customers yet."


# ---------------------------------------------------------------------------- the customer page


def customer_with_cards_and_bank(client: Client, merchant: Merchant) -> dict[str, str]:
    headers = merchant.headers
    customer_id = client.post("/v1/customers", headers=headers, data={"name": "Card Holder"}).json()["data"]["id"]
    for number in (VISA, MASTERCARD):
        token = client.post("/v1/tokens", headers=headers, data=card_form(number)).json()["data"]["id"]
        assert client.patch(f"/v1/customers/{customer_id}", headers=headers, data={"token_id": token}).status_code == 200
    bank = client.post("/v1/bankaccounts", headers=headers, data=bank_account_body(customer_id=customer_id))
    assert bank.status_code == 201, bank.text
    cards = api_customer(client, merchant, customer_id)["card"]["data"]
    by_brand = {c["brand"]: c for c in cards}
    assert by_brand["V"]["is_default"] == 1  # the first card attached
    return {"customer": customer_id, "visa": by_brand["V"]["id"], "mastercard": by_brand["M"]["id"],
            "bank": bank.json()["data"]["id"]}


def api_customer(client: Client, merchant: Merchant, customer_id: str) -> dict[str, Any]:
    found = client.get(f"/v1/customers/{customer_id}", headers=merchant.headers)
    assert found.status_code == 200, found.text
    return found.json()["data"]


def defaults(client: Client, merchant: Merchant, customer_id: str) -> dict[str, int]:
    return {c["brand"]: c["is_default"] for c in api_customer(client, merchant, customer_id)["card"]["data"]}


def test_a_card_made_default_then_deleted(client: Client) -> None:
    made = customer_with_cards_and_bank(client, client.a)
    token = sign_in(client, client.a)
    customer = f"/dashboard/customers/{made['customer']}"
    page = client.get(customer)
    visa_row = re.search(rf'<tr id="card-{made["visa"]}">(.*?)</tr>', page.text, re.DOTALL)
    master_row = re.search(rf'<tr id="card-{made["mastercard"]}">(.*?)</tr>', page.text, re.DOTALL)
    assert visa_row and master_row
    assert "Make default" not in visa_row.group(1)  # already the default
    assert f'action="{customer}/cards/{made["mastercard"]}/default"' in master_row.group(1)

    # Make the Mastercard the default (a plain post, with the form's CSRF token).
    assert client.post(f"{customer}/cards/{made['mastercard']}/default", data={}).status_code == 403
    done = client.post(f"{customer}/cards/{made['mastercard']}/default", data={"csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{customer}?notice=card_default"
    assert "Default card changed." in client.get(done.headers["location"]).text
    assert defaults(client, client.a, made["customer"]) == {"V": 0, "M": 1}

    # Delete the default card, after a confirmation page: the other one takes over.
    confirm = client.get(f"{customer}/cards/{made['mastercard']}/delete")
    assert confirm.status_code == 200
    assert "Delete Mastercard ending 0055?" in confirm.text
    assert "It is the default card: the newest of the others becomes the default." in confirm.text
    assert defaults(client, client.a, made["customer"]) == {"V": 0, "M": 1}  # showing it changed nothing
    assert client.post(f"{customer}/cards/{made['mastercard']}/delete", data={"csrf_token": "0" * 64}
                       ).status_code == 403
    gone = client.post(f"{customer}/cards/{made['mastercard']}/delete", data={"csrf_token": csrf_of(confirm.text)},
                       follow_redirects=False)
    assert gone.headers["location"] == f"{customer}?notice=card_deleted"
    assert "Card deleted." in client.get(gone.headers["location"]).text
    assert defaults(client, client.a, made["customer"]) == {"V": 1}
    # Gone: its pages are not found.
    assert client.get(f"{customer}/cards/{made['mastercard']}/delete").status_code == 404
    assert client.post(f"{customer}/cards/{made['mastercard']}/default", data={"csrf_token": token}
                       ).status_code == 404


def test_a_bank_account_deleted(client: Client) -> None:
    made = customer_with_cards_and_bank(client, client.a)
    token = sign_in(client, client.a)
    customer = f"/dashboard/customers/{made['customer']}"
    page = client.get(customer)
    assert f'href="{customer}/bank-accounts/{made["bank"]}/delete"' in page.text
    confirm = client.get(f"{customer}/bank-accounts/{made['bank']}/delete")
    assert confirm.status_code == 200 and "Delete bank account XXXXXXXX5352?" in confirm.text
    assert "Personal Savings" in confirm.text and "It cannot be undone." in confirm.text
    assert client.post(f"{customer}/bank-accounts/{made['bank']}/delete", data={}).status_code == 403
    assert len(api_customer(client, client.a, made["customer"])["bank_account"]["data"]) == 1
    gone = client.post(f"{customer}/bank-accounts/{made['bank']}/delete", data={"csrf_token": token},
                       follow_redirects=False)
    assert gone.headers["location"] == f"{customer}?notice=bank_account_deleted"
    after = client.get(gone.headers["location"])
    assert "Bank account deleted." in after.text and "No bank accounts." in after.text
    assert api_customer(client, client.a, made["customer"])["bank_account"]["data"] == []
    assert len(api_customer(client, client.a, made["customer"])["card"]["data"]) == 2  # the cards stay


def test_payment_methods_of_another_customer_or_merchant_are_not_found(client: Client) -> None:
    mine = customer_with_cards_and_bank(client, client.a)
    other = client.post("/v1/customers", headers=client.a.headers, data={"name": "Other Person"}).json()["data"]["id"]
    theirs = customer_with_cards_and_bank(client, client.b)
    token = sign_in(client, client.a)
    for customer, card, bank in ((other, mine["visa"], mine["bank"]),                 # not this customer's
                                 (theirs["customer"], theirs["visa"], theirs["bank"]),  # another merchant's
                                 (mine["customer"], theirs["visa"], theirs["bank"]),
                                 (mine["customer"], "nonsense", "nonsense")):
        base = f"/dashboard/customers/{customer}"
        assert client.get(f"{base}/cards/{card}/delete").status_code == 404
        assert client.get(f"{base}/bank-accounts/{bank}/delete").status_code == 404
        for path in (f"cards/{card}/default", f"cards/{card}/delete", f"bank-accounts/{bank}/delete"):
            assert client.post(f"{base}/{path}", data={"csrf_token": token}).status_code == 404, path
    assert defaults(client, client.a, mine["customer"]) == {"V": 1, "M": 0}
    assert defaults(client, client.b, theirs["customer"]) == {"V": 1, "M": 0}
    assert len(api_customer(client, client.b, theirs["customer"])["bank_account"]["data"]) == 1


def test_the_id_has_a_copy_button_whose_script_the_policy_allows(client: Client, people: dict[str, str]) -> None:
    sign_in(client, client.a)
    page = client.get(f"/dashboard/customers/{people['ada']}")
    assert f'<code id="customer-id">{people["ada"]}</code>' in page.text
    assert f'data-copy="{people["ada"]}"' in page.text
    scripts = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = {d.split()[0]: d.split()[1:] for d in page.headers["content-security-policy"].split(";") if d.strip()}
    assert csp["script-src"] == [f"'sha256-{digest}'"]  # that script and nothing else: no file, no handler
    assert csp["default-src"] == ["'none'"] and "'unsafe-inline'" not in str(csp)
    assert not re.search(r"<[^>]*\son\w+=", page.text)  # no inline event handler (onclick=…), which it would refuse


# ---------------------------------------------------------------------------- fields and sessions


def test_each_field_says_what_it_allows(client: Client) -> None:
    token = sign_in(client, client.a)
    form = client.get("/dashboard/customers/new")
    hints = dict(re.findall(r'<p class="hint" id="h-(\w+)">([^<]*)</p>', htmlmod.unescape(form.text)))
    assert hints["name"] == "Letters and spaces only, 3–50 characters."
    assert hints["phone"] == "Digits only: no spaces, dashes or +, 2–11 digits."
    assert hints["email"] == "An email address such as name@example.com, up to 40 characters."
    assert hints["zip"] == "Digits, with hyphens between them (10469-2345), up to 10 characters."
    assert hints["country"] == "Letters only, 2–50 characters."
    assert set(hints) == set(customers.RULES)
    assert 'aria-describedby="h-name"' in form.text
    wrong = client.post("/dashboard/customers", data={"csrf_token": token, "name": "J1", "phone": "555-0100"})
    assert wrong.status_code == 422
    text = htmlmod.unescape(wrong.text)
    # The API's messages, and beside them what is allowed.
    assert '<ul class="errors" id="e-name"><li>The name field must be at least 3 characters.</li>' in text
    assert 'aria-describedby="e-name h-name"' in text
    assert "(Letters and spaces only, 3–50 characters.)" in text  # in the summary at the top too
    assert 'value="J1"' in text and 'value="555-0100"' in text


def ended_elsewhere(client: Client) -> None:
    """Sign out from another tab of the same browser (the same cookie jar)."""
    signed_in = client.get("/dashboard/customers")
    client.post("/dashboard/signout", data={"csrf_token": csrf_of(signed_in.text)})


KEPT_COOKIE = "openarc_dashboard_kept"


def sign_in_again(client: Client, merchant: Merchant, location: str) -> httpx.Response:
    """Follow a redirect to the sign-in page and sign in there; the answer to the sign-in."""
    form = client.get(location)
    assert form.status_code == 200
    return client.post("/dashboard/signin", data={"csrf_token": csrf_of(form.text), "api_key": merchant.key},
                       follow_redirects=False)


def test_a_form_sent_after_its_session_ended_keeps_what_was_typed(client: Client, people: dict[str, str]) -> None:
    sign_in(client, client.a)
    edit = f"/dashboard/customers/{people['john']}/edit"
    token = csrf_of(client.get(edit).text)
    ended_elsewhere(client)
    typed = {"name": "Johnny Smith", "email": "johnny@example.com", "phone": "5550000042", "city": "Boston"}
    sent = client.post(edit, data={"csrf_token": token, **typed}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/dashboard/signin?notice=kept"
    kept_cookie = sent.headers["set-cookie"].lower()
    assert KEPT_COOKIE in kept_cookie and "httponly" in kept_cookie and "samesite=strict" in kept_cookie
    assert "max-age=3600" in kept_cookie and "path=/dashboard" in kept_cookie
    assert api_customer(client, client.a, people["john"])["name"] == "John Smith"  # nothing was saved
    page = client.get(sent.headers["location"])
    assert "Your session has ended. Sign in again: what you typed in the form is kept." in page.text

    # A wrong key first: still kept.
    wrong = client.post("/dashboard/signin", data={"csrf_token": csrf_of(page.text), "api_key": "oa_sk_nope"})
    assert wrong.status_code == 401 and client.cookies.get(KEPT_COOKIE)
    # Signed in: the form again, filled in, under the new session; nothing sent yet.
    back = sign_in_again(client, client.a, "/dashboard/signin")
    assert back.status_code == 200
    assert "You are signed in again. Nothing was saved yet: check the form and send it." in back.text
    for value in typed.values():
        assert f'value="{value}"' in back.text
    assert f'action="{edit}"' in back.text
    assert not client.cookies.get(KEPT_COOKIE)  # used once
    assert api_customer(client, client.a, people["john"])["name"] == "John Smith"
    saved = client.post(edit, data={"csrf_token": csrf_of(back.text), **typed}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?notice=saved")
    assert api_customer(client, client.a, people["john"])["city"] == "Boston"
    # The next sign-in is an ordinary one.
    client.post("/dashboard/signout", data={"csrf_token": csrf_of(back.text)})
    assert sign_in_again(client, client.a, "/dashboard/signin").headers["location"] == "/dashboard/customers"


def test_a_new_customer_form_is_kept_after_the_key_was_revoked(client: Client) -> None:
    ctx = client.app.state.ctx
    doomed = client.merchant(client.a.name)  # a second key of merchant a
    sign_in(client, doomed)
    token = csrf_of(client.get("/dashboard/customers/new").text)
    accounts.revoke(ctx.db, ctx.secrets.api_keys, doomed.key, now=ctx.clock.now())
    sent = client.post("/dashboard/customers", data={"csrf_token": token, "name": "Kept Person", "zip": "10469"},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/dashboard/signin?notice=kept"
    back = sign_in_again(client, client.a, sent.headers["location"])
    assert back.status_code == 200 and "<h1>New customer</h1>" in back.text
    assert 'value="Kept Person"' in back.text and 'value="10469"' in back.text
    assert client.get("/v1/customers", headers=client.a.headers).json()["data"] == []  # not created behind their back


def test_a_form_sent_with_a_cookie_older_than_any_session_keeps_what_was_typed(client: Client) -> None:
    """After 8 hours the cookie's signature has expired too; it was refused as a forgery (403)
    and what was typed was lost, though its CSRF token showed the form was this dashboard's."""
    maker = _sessions(client.app.state.ctx.secrets.root)

    class NineHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 9 * 3600

    nonce = "an-old-nonce-of-this-browser"
    old = URLSafeTimedSerializer(Secrets(client.app.state.ctx.secrets.root).derive("dashboard-session"),
                                 salt="openarc.dashboard.session", signer=NineHoursAgo)
    client.cookies.clear()
    client.cookies.set("openarc_dashboard", old.dumps({"n": nonce, "s": True}), path="/dashboard")
    token = maker.csrf_token(Session(nonce))
    sent = client.post("/dashboard/customers", data={"csrf_token": token, "name": "Late Person"},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/dashboard/signin?notice=kept"
    assert client.get("/dashboard/customers", follow_redirects=False).status_code == 303  # not a session
    back = sign_in_again(client, client.a, sent.headers["location"])
    assert back.status_code == 200 and 'value="Late Person"' in back.text
    # Without the form's token, the old cookie is refused as before.
    client.cookies.set("openarc_dashboard", old.dumps({"n": nonce, "s": True}), path="/dashboard")
    assert client.post("/dashboard/customers", data={"name": "Late Person"}).status_code == 403


def test_a_kept_form_never_leaves_the_dashboard_or_shows_another_merchants_customer(
    client: Client, people: dict[str, str],
) -> None:
    (theirs,) = seed(client.app.state.ctx, client.b.name, [{"name": "Private Person"}])
    # Through the dashboard: an edit form of a customer merchant a does not have, or of none.
    for path in (f"/dashboard/customers/{theirs}/edit", "/dashboard/customers/nobody/edit"):
        sign_in(client, client.a)
        token = csrf_of(client.get("/dashboard/customers/new").text)
        ended_elsewhere(client)
        sent = client.post(path, data={"csrf_token": token, "name": "Typed Name"}, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/dashboard/signin?notice=kept"
        answer = sign_in_again(client, client.a, sent.headers["location"])
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/customers", path
        assert not client.cookies.get(KEPT_COOKIE)
    # A kept cookie naming a place outside the dashboard (only a holder of the signing key could make one).
    maker = _sessions(client.app.state.ctx.secrets.root)
    for path in ("https://evil.example/", "//evil.example/x", "/elsewhere", "/dashboard/charges"):
        client.cookies.clear()
        client.cookies.set(KEPT_COOKIE, maker.kept_value(path, {"name": "Typed Name"}), path="/dashboard")
        answer = sign_in_again(client, client.a, "/dashboard/signin")
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/customers", path
    # Forged, or not a kept form: ignored.
    for value in ("eyJwIjoiL2Rhc2hib2FyZC9jdXN0b21lcnMiLCJ2Ijp7fX0.AAAAAA.forged",
                  maker.kept_value("/dashboard/customers", "not a dict")):  # type: ignore[arg-type]
        client.cookies.clear()
        client.cookies.set(KEPT_COOKIE, value, path="/dashboard")
        answer = sign_in_again(client, client.a, "/dashboard/signin")
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/customers"


def test_an_ended_session_sends_a_page_to_sign_in_and_back(client: Client, people: dict[str, str]) -> None:
    sign_in(client, client.a)
    ended_elsewhere(client)
    moved = client.get("/dashboard/customers", params={"q": "jo", "sort": "name"}, follow_redirects=False)
    assert moved.status_code == 303
    target = "/dashboard/customers?q=jo&sort=name"
    form = client.get(moved.headers["location"])
    assert f'name="next" value="{htmlmod.escape(target)}"' in form.text
    back = client.post("/dashboard/signin", follow_redirects=False,
                       data={"csrf_token": csrf_of(form.text), "api_key": client.a.key, "next": target})
    assert back.headers["location"] == target


def test_a_form_without_its_token_is_still_refused(client: Client, people: dict[str, str]) -> None:
    """Keeping a form's values never lets a post without the form's CSRF token through."""
    sign_in(client, client.a)
    ended_elsewhere(client)
    edit = f"/dashboard/customers/{people['john']}/edit"
    for form in ({}, {"csrf_token": "0" * 64}):
        refused = client.post(edit, data={**form, "name": "Forged Name"})
        assert refused.status_code == 403 and "Forged Name" not in refused.text
    client.cookies.clear()
    refused = client.post(edit, data={"csrf_token": "0" * 64, "name": "Forged Name"})
    assert refused.status_code == 403 and "Forged Name" not in refused.text


# ---------------------------------------------------------------------------- in a browser

FIRST_NAMES = ("John", "Mary", "James", "Linda", "Robert", "Maria", "David", "Susan", "Carlos", "Sarah")
BROWSER_CUSTOMERS = 3000


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Merchant, list[str]]]:
    """A live server over a merchant with 3,000 customers, seeded before it starts."""
    folder = tmp_path_factory.mktemp("dashboard-scale")
    url = database_url(folder / "live.db")
    ctx = build_context(Settings(database_url=url))
    try:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "Big Merchant", now=ctx.clock.now())
        letters = "abcdefghijklmnopqrstuvwxyz"
        people = [{"name": f"{FIRST_NAMES[n % 10]} {letters[n // 676 % 26].upper()}{letters[n // 26 % 26]}"
                                                     f"{letters[n % 26]}son",
                   "email": f"user{n}@example.com", "phone": f"555{n:07d}"} for n in range(BROWSER_CUSTOMERS)]
        ids = seed(ctx, "Big Merchant", people)
    finally:
        ctx.db.dispose()
    server = start_server(folder, database=url)
    yield server, Merchant("Big Merchant", issued.secret), ids
    stop_server(server)


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with chromium_page("dashboard-scale-end.png", height=900) as page:
        yield page


@pytest.mark.slow  # ~10 s: 3,000 customers seeded, a server started, a browser journey
def test_browser_search_sort_and_page_through_thousands(
    browser_page: Page, big_server: tuple[LiveServer, Merchant, list[str]],
) -> None:
    server, merchant, ids = big_server
    page = browser_page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    started = time.monotonic()
    page.goto(f"{server.url}/dashboard")
    page.get_by_label("API key").fill(merchant.key)
    page.get_by_role("button", name="Sign in").click()
    count = page.locator("p.count")
    rows = page.locator("table.list tbody tr")
    expect(count).to_have_text("3,000 customers, page 1 of 120")
    expect(rows).to_have_count(25)

    # Search: a first name, any case.
    box = page.get_by_role("searchbox", name="Search customers")
    box.fill("linda")
    box.press("Enter")
    expect(count).to_have_text("300 customers found, page 1 of 12")
    for name in rows.locator("th").all_inner_texts():
        assert name.startswith("Linda ")
    # Sorted by name, then the other way.
    page.get_by_role("link", name="Name", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Name ▲")
    expect(rows.first.locator("th")).to_have_text("Linda Aadson")
    page.get_by_role("link", name="Name", exact=True).click()  # the arrow is not part of its name
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Name ▼")
    expect(rows.first.locator("th")).to_have_text("Linda Eldson")
    page.get_by_role("link", name="Best matches first").click()
    expect(page.locator("p.sorted")).to_have_text("Sorted best matches first.")

    # The whole list, by email (user0, user1, user10, …), and through its pages.
    page.get_by_role("link", name="Clear search").click()
    expect(count).to_have_text("3,000 customers, page 1 of 120")
    page.get_by_role("link", name="Email", exact=True).click()
    expect(rows.first.locator("td").first).to_have_text("user0@example.com")
    pages = page.get_by_role("navigation", name="Pages")
    pages.get_by_role("link", name="Page 3", exact=True).click()
    expect(count).to_have_text("3,000 customers, page 3 of 120")
    expect(pages.locator("[aria-current=page]")).to_have_text("3")
    pages.get_by_role("link", name="Last »").click()
    expect(count).to_have_text("3,000 customers, page 120 of 120")
    pages.get_by_label("Go to page").fill("60")
    pages.get_by_role("button", name="Go").click()
    expect(count).to_have_text("3,000 customers, page 60 of 120")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Email ▲")  # the sort stayed on
    shot = ARTIFACTS / "dashboard-scale-list.png"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=shot, full_page=True)

    # An id as the SDK prints it: straight to the customer, whose id copies.
    public_id = ids[1234]
    box.fill(f"cus_{public_id}")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Robert Bvmson")
    assert page.url == f"{server.url}/dashboard/customers/{public_id}"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.get_by_role("button", name="Copy id").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == public_id
    # A formatted phone finds its customer too.
    page.goto(f"{server.url}/dashboard/customers")
    box.fill("(555) 000-1234")
    box.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("user1234@example.com")
    # The start of an email, in capitals, and a bare id (without cus_).
    box.fill("USER2345@")
    box.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("user2345@example.com")
    page.goto(f"{server.url}/dashboard/customers")
    box.fill(ids[42])
    box.press("Enter")
    assert page.url == f"{server.url}/dashboard/customers/{ids[42]}"
    assert refused == []
    print(f"browser journey: {time.monotonic() - started:.1f} s")
