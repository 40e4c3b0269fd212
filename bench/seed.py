"""Seed a merchant with N varied customers straight into the database (not through HTTP)."""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass

from openarc.config import Settings
from openarc.context import AppContext, build_context
from openarc.db.steps import run
from openarc.services import accounts, cards, charges, customer_search, customers
from openarc.services.ordinals import invoice_prefix

BATCH = 20_000
#: Settled charges of 1,000 cents the refund scenario spreads its 10-cent refunds over (room for
#: 500,000 refunds, so a charge is read with a few refunds, as in life, not thousands).
REFUNDABLE = 5_000
DAY = 86_400


@dataclass(frozen=True)
class ChargeFixture:
    """What the charge scenarios need: a customer with a default card, and settled charges."""

    customer_id: str
    settled_charge_ids: list[str]


def seed_charges(ctx: AppContext, account_id: int) -> ChargeFixture:
    """Through OpenArc's own services (not HTTP): a customer with a card, and ``REFUNDABLE``
    charges made two days ago, so settled by now.  Made first, so this customer is the
    merchant's oldest and the customer-list scenarios measure what they always did."""
    now = ctx.clock.now()
    key = ctx.secrets.derive("card-fingerprints")
    # PayArc's sandbox Visa, through tokenize like any card: only its safe parts are stored.
    token = cards.tokenize(ctx.db, account_id, {
        "card_source": "INTERNET", "card_number": "4012000098765439", "exp_month": "12", "exp_year": "2035",
        "cvv": "999"}, fingerprint_key=key, now=now, today=ctx.clock.year_month(), ttl=600)
    with ctx.db.raw.write() as raw:
        customer = run(raw, customers.create(account_id, customers.clean({"name": "Charged Customer"}), now=now))
    customers.update(ctx.db, account_id, customer.id, {}, now=now, token_id=token.id)
    values, source = charges.clean({"amount": 1000, "currency": "usd"}, token_id=None,
                                   customer_id=customer.id, card_id=None)
    made = []
    with ctx.db.raw.write() as raw:
        for _ in range(REFUNDABLE):
            made.append(run(raw, charges.create(account_id, values, source, created_by="bench", fingerprint_key=key,
                                                now=now - 2 * DAY, today=ctx.clock.year_month(), cutoff_minutes=0)))
    return ChargeFixture(ctx.ids.customer.encode(customer.id), [ctx.ids.charge.encode(c.id) for c in made])


def _letters(n: int) -> str:
    out = []
    while True:
        n, r = divmod(n, 26)
        out.append(string.ascii_lowercase[r])
        if n == 0:
            return "".join(out)


#: First names, one in 20 customers each: a search for "john" finds 5 % of a merchant's
#: customers, as a support person's search for a common name does.
FIRST_NAMES = ("John", "Mary", "James", "Linda", "Robert", "Maria", "David", "Susan", "Carlos", "Sarah",
               "Michael", "Karen", "William", "Lisa", "Joseph", "Nancy", "Thomas", "Betty", "Daniel", "Helen")


def fields_of(i: int) -> dict[str, str]:
    """The searchable fields of the ``i``-th bulk customer (1-based)."""
    return {"name": f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {_letters(i).capitalize()}", "email": f"c{i}@example.com",
            "phone": str(2_000_000_000 + i)}


def customer_row(account_id: int, i: int, now: int, rng: random.Random) -> tuple:
    f = fields_of(i)
    return (
        account_id, f["name"], f["email"], "Donut shop customer", f"inv{i}@example.com", None,
        "103 Mason Street", None, rng.choice(["New York", "Boston", "Austin"]), "NY", "10469",
        f["phone"], "US", invoice_prefix(account_id, i), now - (i % 86_400), now, i + 1,
        *customer_search.keys(f).values(),
    )


COLUMNS = ("account_id, name, email, description, send_email_address, cc_email_address, address_1, address_2, "
           "city, state, zip, phone, country, invoice_prefix, created_at, updated_at, number, name_key, email_key")


def seed(database_url: str, count: int) -> tuple[str, list[tuple[str, str]], float, ChargeFixture]:
    """Create merchant 'bench' with ``count`` customers (and the charge scenarios' fixture).

    Returns its key, (public id, email) of 1,000 random customers, the seconds it took, and
    the charge fixture.
    """
    started = time.perf_counter()
    ctx = build_context(Settings(database_url=database_url))
    try:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, "bench", now=ctx.clock.now())
        account_id, now, rng = issued.account.id, ctx.clock.now(), random.Random(count)
        fixture = seed_charges(ctx, account_id)  # customer ordinal 0: the bulk rows start at 1
        raw_conn = ctx.db.engine.raw_connection()
        try:
            cursor = raw_conn.cursor()
            sql = f"INSERT INTO customers ({COLUMNS}) VALUES ({', '.join(['?'] * (COLUMNS.count(',') + 1))})"
            if ctx.db.is_sqlite:
                cursor.execute("BEGIN")
            for start in range(0, count, BATCH):
                rows = [customer_row(account_id, i + 1, now, rng) for i in range(start, min(start + BATCH, count))]
                if ctx.db.is_sqlite:
                    cursor.executemany(sql, rows)
                else:  # COPY is PostgreSQL's bulk path, ~10x executemany
                    with cursor.copy(f"COPY customers ({COLUMNS}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            # The search terms, as creates write them (ids are consecutive: one writer, a fresh database).
            cursor.execute(f"SELECT min(id) FROM customers WHERE account_id = {account_id} AND number > 1")
            first_id = cursor.fetchone()[0]
            term_sql = "INSERT INTO customer_terms (account_id, term, customer_id) VALUES (?, ?, ?)"
            for start in range(0, count, BATCH):
                terms = [(account_id, term, first_id + i) for i in range(start, min(start + BATCH, count))
                         for term in customer_search.terms(fields_of(i + 1))]
                if ctx.db.is_sqlite:
                    cursor.executemany(term_sql, terms)
                else:
                    with cursor.copy("COPY customer_terms (account_id, term, customer_id) FROM STDIN") as copy:
                        for row in terms:
                            copy.write_row(row)
            cursor.execute(
                f"UPDATE accounts SET customers_created = {count + 1}, customer_count = {count + 1} "
                f"WHERE id = {account_id}"
            )
            cursor.execute("COMMIT") if ctx.db.is_sqlite else raw_conn.commit()
            # Planner statistics, as a database that has lived with its data would have them.
            if ctx.db.is_sqlite:
                cursor.execute("ANALYZE")
                # The bulk load's WAL folded into the database file, as a checkpoint would
                # have done long ago in a database that grew to this size.
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                raw_conn.commit()
                # Likewise: without it, the checkpoint the COPY's WAL triggers (hundreds of
                # MB at 1M rows) runs for ~40 s into the measurements, and every page first
                # written after it starts costs a full-page image in the WAL (create p99 at
                # 1M: 27.7–32.8 ms with it overlapping, measured in the fifth session).
                raw_conn.driver_connection.autocommit = True  # the psycopg connection itself
                # And the visibility map autovacuum would have set by now: without it an
                # index-only scan (the search's count) visits the heap for every entry.
                cursor.execute("VACUUM ANALYZE")
                cursor.execute("CHECKPOINT")
            cursor.execute("SELECT min(id), max(id) FROM customers WHERE account_id = " + str(account_id)
                           + " AND name <> 'Charged Customer'")
            low, high = cursor.fetchone()
        finally:
            raw_conn.close()
        keys = [rng.randint(low, high) for _ in range(1000)] if count else []
        sample = [(ctx.ids.customer.encode(k), f"c{k - low + 1}@example.com") for k in keys]  # k - low + 1: i
        return issued.secret, sample, time.perf_counter() - started, fixture
    finally:
        ctx.db.dispose()
