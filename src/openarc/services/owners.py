"""Locking a merchant's customer row for the length of a write transaction."""

from __future__ import annotations

from sqlalchemy import Connection, select

from openarc.db.tables import customers


def lock_customer(conn: Connection, account_id: int, customer_id: int) -> bool:
    """True if the merchant has this customer; its row stays locked until commit.

    On PostgreSQL this is ``SELECT … FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE``
    already serialises writers, and SQLAlchemy leaves the clause out there.
    """
    found = conn.execute(
        select(customers.c.id)
        .where(customers.c.id == customer_id, customers.c.account_id == account_id)
        .with_for_update()
    ).first()
    return found is not None
