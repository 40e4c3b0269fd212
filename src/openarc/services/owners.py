"""Locking a merchant's customer row for the length of a write transaction."""

from __future__ import annotations

from sqlalchemy import Connection, select

from openarc.db.steps import One, Steps
from openarc.db.tables import customers
from openarc.errors import NotFound


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


def require_customer(account_id: int, customer_id: int | None) -> Steps[bool]:
    """``NotFound`` naming the field unless ``customer_id`` (when given) is the merchant's
    customer; whether that customer has had charges (``customers.has_charges``)."""
    if customer_id is None:
        return False
    row = yield One("SELECT has_charges FROM customers WHERE id = :id AND account_id = :account_id",
                    {"id": customer_id, "account_id": account_id})
    if row is None:
        raise NotFound("No such customer: customer_id.")
    return bool(row[0])
