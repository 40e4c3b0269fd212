"""Customers found without regard to case, and by any word: folded names and emails, and
the terms of the ``q`` search.

``name_key``/``email_key`` hold the name and email case-folded (the filters compare them,
as PayArc's MySQL collation compares without case); ``customer_terms`` holds every word of
a customer's name, its whole name, its email and its phone digits, one row each, which a
search reads as one index range.  Existing customers are filled in here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from openarc.services.customer_search import keys, terms

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Terms compare by code point, so a prefix is one range of the index (PostgreSQL's default
# collation would sort by locale).
Term = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_BATCH = 5000


def upgrade() -> None:
    op.add_column("customers", sa.Column("name_key", sa.Text))
    op.add_column("customers", sa.Column("email_key", sa.Text))
    op.create_table(
        "customer_terms",
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("term", Term, nullable=False),
        sa.Column("customer_id", Key, nullable=False),  # deleted by the key with its customer
        sa.PrimaryKeyConstraint("account_id", "term", "customer_id", name="pk_customer_terms"),
        sqlite_with_rowid=False,  # the rows live in the key's b-tree: one b-tree fewer to write per term
    )

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, account_id, name, email, phone FROM customers WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        fields = [{"name": r[2], "email": r[3], "phone": r[4]} for r in rows]
        conn.execute(sa.text("UPDATE customers SET name_key = :name_key, email_key = :email_key WHERE id = :id"),
                     [{"id": r[0], **keys(f)} for r, f in zip(rows, fields, strict=True)])
        found = [{"account_id": r[1], "term": t, "customer_id": r[0]}
                 for r, f in zip(rows, fields, strict=True) for t in terms(f)]
        if found:
            conn.execute(sa.text("INSERT INTO customer_terms (account_id, term, customer_id) "
                                 "VALUES (:account_id, :term, :customer_id)"), found)

    # The exact-match filters read the folded columns now.
    op.drop_index("ix_customers_account_email", "customers")
    op.drop_index("ix_customers_account_name", "customers")
    op.create_index("ix_customers_account_email_key", "customers", ["account_id", "email_key", "id"])
    op.create_index("ix_customers_account_name_key", "customers", ["account_id", "name_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_customers_account_name_key", "customers")
    op.drop_index("ix_customers_account_email_key", "customers")
    op.create_index("ix_customers_account_email", "customers", ["account_id", "email", "id"])
    op.create_index("ix_customers_account_name", "customers", ["account_id", "name", "id"])
    op.drop_table("customer_terms")
    op.drop_column("customers", "email_key")
    op.drop_column("customers", "name_key")
