"""Customers: the rules of PayArc's customer resource, over the database.

Every function is scoped to one merchant (``account_id``): another merchant's
customer is indistinguishable from one that never existed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from openarc.db import Database
from openarc.db.raw import columns, in_list, on
from openarc.db.steps import ENGINE, Many, One, Run, Steps, run
from openarc.db.tables import accounts, customers
from openarc.errors import NotFound
from openarc.services import bank_accounts, cards, charges, customer_search, paging
from openarc.services import validation as v
from openarc.services.bank_accounts import BankAccount
from openarc.services.cards import Card
from openarc.services.charges import Charge
from openarc.services.ordinals import Ordinals, invoice_prefix
from openarc.services.owners import lock_customer
from openarc.services.paging import Page

# The validation table of PayArc's Create Customer guide; PATCH takes the same rules.
RULES: dict[str, v.Text] = {
    "name": v.Text(v.letters_and_spaces, min=3, max=50),
    "email": v.Text(v.email, max=40, message="The {attr} field must be a valid email address."),
    "description": v.Text(v.printable, min=5, max=50),
    "send_email_address": v.Text(v.email, min=5, max=40, message="The {attr} field must be a valid email address."),
    "cc_email_address": v.Text(v.email, min=5, max=40, message="The {attr} field must be a valid email address."),
    "country": v.Text(v.letters, min=2, max=50),
    "address_1": v.Text(v.address, min=5, max=50),
    "address_2": v.Text(v.address, min=5, max=50),
    "city": v.Text(v.letters_and_spaces, min=2, max=50),
    "state": v.Text(v.letters_and_spaces, min=2, max=50),
    "zip": v.Text(v.digits_and_hyphens, max=10, numbers=True),
    "phone": v.Text(v.digits, min=2, max=11, numbers=True),
}

#: Query parameters that filter the list by exact match (each has an index).
FILTERS = ("email", "name", "phone")

#: What each field means, for the API reference (the request bodies and the Customer object of
#: /openapi.json), in the words of PayArc's Create Customer guide where it has some.
DESCRIPTIONS: dict[str, str] = {
    "name": "Name of the customer.",
    "email": "Email address of the customer. It is displayed next to the customer in the dashboard and can be "
             "used for searching and tracking.",
    "description": "An arbitrary string that you can attach to a customer. It is displayed next to the customer "
                   "in the dashboard.",
    "send_email_address": "Email address to which the invoices will be sent.",
    "cc_email_address": "Email address copied on the invoices.",
    "country": "The customer's country name.",
    "address_1": "The customer's address, line 1.",
    "address_2": "The customer's address, line 2.",
    "city": "The customer's city name. Can be a City/District/Suburb/Town/Village.",
    "state": "The customer's state name. Can be State/County/Province/Region.",
    "zip": "The customer's ZIP code (digits, with hyphens between them: 10469-2345).",
    "phone": "The customer's phone number (digits only).",
    "token_id": "A token (POST /v1/tokens): its card is attached to the customer, and becomes the default "
                "card if the customer has none. The token is used up.",
    "default_card_id": "One of the customer's cards, to become its default card.",
}
#: PayArc's Create Customer guide's sample customer (and its description example).
EXAMPLES: dict[str, object] = {
    "name": "John Smith",
    "email": "customer@xyz.com",
    "description": "Donut shop customer",
    "send_email_address": "invoicing@xyz.com",
    "cc_email_address": "cc@xyz.com",
    "country": "US",
    "address_1": "103 Mason Street",
    "address_2": "2nd Floor",
    "city": "New York",
    "state": "NY",
    "zip": "10469",
    "phone": "541754301",
}


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    account_id: int
    name: str | None
    email: str | None
    description: str | None
    payment_overdue: int | None
    send_email_address: str | None
    cc_email_address: str | None
    source_id: str | None
    address_1: str | None
    address_2: str | None
    city: str | None
    state: str | None
    zip: str | None
    phone: str | None
    country: str | None
    invoice_prefix: str
    #: The customer's number within its merchant, 1 for the first one created.
    number: int
    created_at: int
    updated_at: int
    cards: tuple[Card, ...] = ()
    bank_accounts: tuple[BankAccount, ...] = ()
    charges: tuple[Charge, ...] = ()


_COLUMNS = columns(Customer, skip=("cards", "bank_accounts", "charges"), table="c")
# Two index probes and a flag tell whether the payment-method and charge queries are needed at all.
_SELECT = (
    f"SELECT {_COLUMNS}, "
    "EXISTS (SELECT 1 FROM cards WHERE customer_id = c.id), "
    "EXISTS (SELECT 1 FROM bank_accounts WHERE customer_id = c.id), "
    "c.has_charges "
    "FROM customers c"
)


def with_payment_methods(rows: list[Sequence[Any]]) -> Steps[list[Customer]]:
    """Customers from rows of ``_SELECT``, each carrying its cards, bank accounts and charges.

    At most three queries (four with the charges' refunds) for any number of customers;
    built in one step (``dataclasses.replace`` on every customer was the list endpoint's
    largest cost).
    """
    with_cards = [row[0] for row in rows if row[-3]]
    with_banks = [row[0] for row in rows if row[-2]]
    with_charges = [row[0] for row in rows if row[-1]]
    card_map = (yield from cards.of_customers(with_cards)) if with_cards else {}
    bank_map = (yield from bank_accounts.of_customers(with_banks)) if with_banks else {}
    charge_map = (yield from charges.of_customers(with_charges)) if with_charges else {}
    empty: tuple = ()
    return [
        Customer(*row[:-3], tuple(card_map.get(row[0], empty)), tuple(bank_map.get(row[0], empty)),  # type: ignore[call-arg]
                 tuple(charge_map.get(row[0], empty)))
        for row in rows
    ]


# ---------------------------------------------------------------------------- operations


_FIELDS = ", ".join(RULES)
_INSERT = (
    f"INSERT INTO customers (account_id, {_FIELDS}, payment_overdue, source_id, invoice_prefix, number, created_at, "
    "updated_at, name_key, email_key) "
    f"VALUES (:account_id, {', '.join(':' + f for f in RULES)}, NULL, NULL, :invoice_prefix, :number, :created_at, "
    ":updated_at, :name_key, :email_key) "
    "RETURNING id"
)
_COUNT_CREATED = (
    "UPDATE accounts SET customers_created = customers_created + 1, customer_count = customer_count + 1 "
    "WHERE id = :account_id RETURNING customers_created"
)
# PostgreSQL only (SQLite has no data-modifying WITH): the insert, the count and the search
# terms in one statement, so one round trip and its own transaction.
_INSERT_COUNTED = (
    f"WITH inserted AS ({_INSERT}), "
    "counted AS (UPDATE accounts SET customer_count = customer_count + 1 WHERE id = :account_id), "
    f"termed AS ({customer_search.INSERTED_TERMS}) "
    "SELECT id FROM inserted"
)


def clean(body: Mapping[str, object]) -> dict[str, str | None]:
    """A new customer's fields, validated (``Invalid`` names every field that is wrong)."""
    return v.clean(RULES, body, partial=False)


def create(account_id: int, values: Mapping[str, str | None], *, now: int,
           ordinals: Ordinals | None = None) -> Steps[Customer]:
    """Store a customer whose fields ``clean`` accepted: the one way a customer is made, by the
    API, the dashboard and import alike (``AppContext.transaction(..., atomic=False)``, or
    ``run`` in a write transaction of the caller's).

    How it reaches the database is decided here, by engine: on PostgreSQL with ``ordinals``
    (a serving process) one statement in its own transaction (see ``Ordinals``); otherwise
    (SQLite, where a tick's writes share one transaction, or a command without ordinals)
    the merchant's counter and the row in the caller's transaction.
    """
    if ordinals is not None and (yield ENGINE) == "postgresql":
        return (yield from inserted_counted(ordinals, account_id, values, now=now))
    # Bumping the merchant's counters locks its row: prefixes and totals stay exact.
    ordinal = (yield One(_COUNT_CREATED, {"account_id": account_id}))[0]
    record = _record(account_id, values, ordinal - 1, now)
    key = (yield One(_INSERT, {**record, **customer_search.keys(values)}))[0]
    yield from customer_search.save_terms(account_id, key, values)
    return Customer(id=key, payment_overdue=None, source_id=None, **record)


def _record(account_id: int, values: Mapping[str, str | None], n: int, now: int) -> dict[str, Any]:
    return {**values, "account_id": account_id, "invoice_prefix": invoice_prefix(account_id, n),
            "number": n + 1, "created_at": now, "updated_at": now}


def inserted_counted(ordinals: Ordinals, account_id: int, values: Mapping[str, str | None], *,
                     now: int) -> Steps[Customer]:
    """``insert`` for PostgreSQL: an ordinal from ``ordinals``, then one statement.

    A prefix already taken can only come from a block reserved before the merchant's
    counters were reset (the sandbox's reset, racing a create): the block is dropped and
    the next ordinal tried; the failed statement wrote nothing.
    """
    attempts = 0
    while True:
        record = _record(account_id, values, (yield from ordinals.next(account_id)), now)
        try:
            # One statement, its own transaction.
            key = (yield One(_INSERT_COUNTED, {**record, **customer_search.keys(values),
                                               "terms": customer_search.terms_json(values)}))[0]
        except Exception as exc:
            attempts += 1
            if getattr(exc, "sqlstate", None) != _UNIQUE_VIOLATION or attempts == _PREFIX_ATTEMPTS:
                raise
            ordinals.forget(account_id)
            continue
        return Customer(id=key, payment_overdue=None, source_id=None, **record)


_UNIQUE_VIOLATION = "23505"
_PREFIX_ATTEMPTS = 3


def found(account_id: int, customer_id: int) -> Steps[Customer]:
    """The merchant's customer, or ``NotFound``."""
    row = yield One(f"{_SELECT} WHERE c.id = :id AND c.account_id = :account_id",
                    {"id": customer_id, "account_id": account_id})
    if row is None:
        raise NotFound()
    return (yield from with_payment_methods([row]))[0]


def update(
    db: Database,
    account_id: int,
    customer_id: int,
    body: Mapping[str, object],
    *,
    now: int,
    token_id: int | None = None,
    default_card_id: int | None = None,
) -> Customer:
    """Fields, a card token to attach and a new default card, all or nothing.

    ``token_id``/``default_card_id`` are decoded keys; 0 means "given but unknown".
    """
    values = v.clean(RULES, body, partial=True)
    with db.write() as conn:
        if not lock_customer(conn, account_id, customer_id):
            raise NotFound()
        if values:
            searched = SEARCHED & values.keys()
            before = run(on(conn, db.is_sqlite), _searched_fields(customer_id)) if searched else None
            conn.execute(
                customers.update()
                .where(customers.c.id == customer_id)
                .values(**values, updated_at=now)
            )
            if before is not None:
                run(on(conn, db.is_sqlite), _refresh_search(account_id, customer_id, before))
        if token_id is not None:
            cards.attach_token(conn, account_id, customer_id, token_id, now=now)
        if default_card_id is not None:
            cards.set_default(conn, account_id, customer_id, default_card_id, now=now)
        return run(on(conn, db.is_sqlite), found(account_id, customer_id))


#: The fields the folded columns and search terms are made of.
SEARCHED = frozenset({"name", "email", "phone"})


def _searched_fields(customer_id: int) -> Steps[dict[str, object]]:
    row = yield One("SELECT name, email, phone FROM customers WHERE id = :id", {"id": customer_id})
    return {"name": row[0], "email": row[1], "phone": row[2]}


def _refresh_search(account_id: int, customer_id: int, before: Mapping[str, object]) -> Steps[None]:
    """A changed customer's folded columns and search terms, made again from its row (``before``:
    its searched fields before the change, whose terms go)."""
    fields = yield from _searched_fields(customer_id)
    yield Run("UPDATE customers SET name_key = :name_key, email_key = :email_key WHERE id = :id",
              {"id": customer_id, **customer_search.keys(fields)})
    yield from customer_search.forget_terms(account_id, customer_id, before)
    yield from customer_search.save_terms(account_id, customer_id, fields)


def delete(db: Database, account_id: int, customer_id: int) -> None:
    with db.write() as conn:
        raw = on(conn, db.is_sqlite)
        owned = conn.execute(select(customers.c.id).where(customers.c.id == customer_id,
                                                          customers.c.account_id == account_id)).first()
        if owned is not None:
            run(raw, customer_search.forget_terms(account_id, customer_id, run(raw, _searched_fields(customer_id))))
        gone = conn.execute(
            customers.delete().where(customers.c.id == customer_id, customers.c.account_id == account_id)
        ).rowcount
        if not gone:
            raise NotFound()
        conn.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(customer_count=accounts.c.customer_count - 1)
        )


def page_of(
    account_id: int,
    *,
    filters: Mapping[str, object],
    limit: object = None,
    page: object = None,
    default_limit: int = 25,
    max_limit: int = 100,
    q: str | None = None,
    named: int | None = None,
) -> Steps[Page[Customer]]:
    """Newest first, or, with ``q``, as the search ranks them (``named``: the customer ``q``
    names by id, when it decodes to one).  ``limit`` above ``max_limit`` is capped, not refused."""
    per_page, number = paging.window(limit, page, default_limit=default_limit, max_limit=max_limit)
    # A filter value is normalised like stored input; one that could never be stored matches nothing.
    normalised = {k: v.normalise(RULES[k], filters[k]) for k in FILTERS if k in filters}
    wanted = {k: value for k, value in normalised.items() if isinstance(value, str)}
    if any(v.check(k, RULES[k], value) for k, value in wanted.items()):
        # Every stored value passed its rule, so one that fails it (e.g. holds a NUL, which
        # PostgreSQL would refuse as a parameter) matches no customer: no query needed.
        return Page([], 0, per_page, number)
    # Names and emails compare folded, as PayArc's case-insensitive collation compares them.
    where = " AND ".join(["account_id = :account_id", *(f"{_FILTER_COLUMNS[k]} = :{k}" for k in wanted)])
    params: dict[str, object] = {
        "account_id": account_id, **{k: value if k == "phone" else customer_search.fold(value) for k, value in wanted.items()}
    }
    if q is not None:
        return (yield from _searched(account_id, q, named, where, params, per_page, number))
    if wanted:
        total = (yield One(f"SELECT count(*) FROM customers WHERE {where}", params))[0]
    else:
        # Kept exact by create/delete in their transactions: no count(*) over a big merchant.
        total = (yield One("SELECT customer_count FROM accounts WHERE id = :account_id", params))[0]
    offset = (number - 1) * per_page
    items: list[Customer] = []
    if offset < total:
        # The page's ids come from the index alone (a deferred join, written as a derived
        # table so PostgreSQL runs it first): deep pages skip index entries, not rows, and
        # the EXISTS probes run for the 25 rows shown only.
        rows = yield Many(
            f"{_SELECT} JOIN (SELECT id FROM customers WHERE {where} "
            "ORDER BY id DESC LIMIT :limit OFFSET :offset) AS page ON page.id = c.id ORDER BY c.id DESC",
            {**params, "limit": per_page, "offset": offset},
        )
        items = yield from with_payment_methods(rows)
    return Page(items, total, per_page, number)


#: The column each exact-match filter compares.
_FILTER_COLUMNS = {"email": "email_key", "name": "name_key", "phone": "phone"}


def _searched(account_id: int, q: str, named: int | None, where: str, params: dict[str, object],
              per_page: int, number: int) -> Steps[Page[Customer]]:
    """A page of what ``q`` finds (see ``customer_search``), within the filters ``where`` sets."""
    offset = (number - 1) * per_page
    if named is None and len(params) == 1:  # no filters: the page's entries and a count
        ids, total = yield from customer_search.ranked(
            account_id, q, wanted=min(offset + per_page, customer_search.MAX_RESULTS))
        return (yield from _page_by_ids(account_id, ids[offset:], total, per_page, number))
    ids = yield from customer_search.matching(account_id, q, first=() if named is None else (named,))
    if ids and (named is not None or len(params) > 1):
        # The id ``q`` named may be another merchant's; filters narrow the search.
        clause, listed = in_list("k", ids)
        kept = {row[0] for row in (yield Many(f"SELECT id FROM customers WHERE {where} AND id {clause}",
                                              {**params, **listed}))}
        ids = [key for key in ids if key in kept]
    return (yield from _page_by_ids(account_id, ids[offset : offset + per_page], len(ids), per_page, number))


def _page_by_ids(account_id: int, shown: list[int], total: int, per_page: int, number: int) -> Steps[Page[Customer]]:
    """The merchant's customers ``shown``, in that order, as a page of ``total``."""
    items: list[Customer] = []
    if shown:
        clause, listed = in_list("k", shown)
        rows = yield Many(f"{_SELECT} WHERE c.account_id = :account_id AND c.id {clause}",
                          {"account_id": account_id, **listed})
        by_id = {customer.id: customer for customer in (yield from with_payment_methods(rows))}
        items = [by_id[key] for key in shown if key in by_id]
    return Page(items, total, per_page, number)
