"""Sandbox controls over the database: wipe one merchant's data, keep its keys.

Only reachable when the server runs with ``--sandbox`` (tests and the quick start).
"""

from __future__ import annotations

from openarc.db import Database
from openarc.db.tables import accounts, api_keys, metadata

#: What a reset deletes: every table that holds a merchant's data (it has an ``account_id``),
#: dependents first, except the merchant's keys.  A new resource's table is included by
#: having the column, not by being listed here.
RESET_TABLES = [t for t in reversed(metadata.sorted_tables)  # nor its dashboard sessions: a reset signs no one out
                if "account_id" in t.c and t is not api_keys and t.name != "dashboard_sessions"]


def reset(db: Database, account_id: int) -> dict[str, int]:
    """Delete the merchant's data (customers, cards, tokens, bank accounts, charges…) and its
    remembered ``Idempotency-Key`` answers (they would replay objects that are gone), in one
    transaction; how many rows of each table went.

    The merchant row and its API keys stay, and its counters restart, so a reset
    merchant hands out the same invoice prefixes as a new one (repeatable tests).
    """
    with db.write() as conn:
        # Locking the merchant's row first orders the reset against concurrent creates.
        conn.execute(
            accounts.update().where(accounts.c.id == account_id).values(customers_created=0, customer_count=0)
        )
        return {str(table.name): conn.execute(table.delete().where(table.c.account_id == account_id)).rowcount
                for table in RESET_TABLES}
