"""Migrations over data that already exists: what an operator's upgrade does to their rows."""

from __future__ import annotations

from pathlib import Path

from conftest import database_url
from openarc.db.engine import Database
from openarc.db.migrate import upgrade


def test_customer_numbers_count_each_merchants_customers_in_creation_order(tmp_path: Path) -> None:
    db = Database(database_url(tmp_path / "old.db"))
    try:
        upgrade(db, "0004")
        with db.write() as conn:
            for account in (1, 2):
                conn.exec_driver_sql(
                    f"INSERT INTO accounts (id, name, created_at, customers_created, customer_count) "
                    f"VALUES ({account}, 'm{account}', 0, 9, 0)")
            # Interleaved merchants, and a gap where a customer was deleted.
            for key, account in [(1, 1), (2, 2), (3, 1), (5, 1), (6, 2)]:
                conn.exec_driver_sql(
                    "INSERT INTO customers (id, account_id, invoice_prefix, created_at, updated_at) "
                    f"VALUES ({key}, {account}, 'P{key:03d}', 0, 0)")
        upgrade(db)
        with db.read() as conn:
            rows = conn.exec_driver_sql("SELECT id, number FROM customers ORDER BY id").all()
        assert [tuple(r) for r in rows] == [(1, 1), (2, 1), (3, 2), (5, 3), (6, 2)]
    finally:
        db.dispose()
