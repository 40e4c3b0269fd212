"""Sandbox controls over the database: wipe one merchant's data, keep its keys.

Only reachable when the server runs with ``--sandbox`` (tests and the quick start).
"""

from __future__ import annotations

from dataclasses import dataclass

from openarc.db import Database
from openarc.db.tables import accounts, bank_accounts, cards, customers, idempotency_keys, tokens


@dataclass(frozen=True, slots=True)
class Reset:
    customers: int
    cards: int
    tokens: int
    bank_accounts: int
    idempotency_keys: int


def reset(db: Database, account_id: int) -> Reset:
    """Delete the merchant's customers, cards, tokens, bank accounts and remembered
    ``Idempotency-Key`` answers (they would replay objects that are gone), in one transaction.

    The merchant row and its API keys stay, and its counters restart, so a reset
    merchant hands out the same invoice prefixes as a new one (repeatable tests).
    """
    with db.write() as conn:
        # Locking the merchant's row first orders the reset against concurrent creates.
        conn.execute(
            accounts.update().where(accounts.c.id == account_id).values(customers_created=0, customer_count=0)
        )
        counts = {}
        for name, table in (("tokens", tokens), ("cards", cards), ("bank_accounts", bank_accounts),
                            ("customers", customers), ("idempotency_keys", idempotency_keys)):
            counts[name] = conn.execute(table.delete().where(table.c.account_id == account_id)).rowcount
    return Reset(**counts)
