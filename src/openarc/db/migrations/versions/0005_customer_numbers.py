"""A customer's number within its merchant, which ``real_id`` shows.

``real_id`` used to be the primary key, one counter across every merchant of an
installation, so each merchant could watch how many customers the others created.  The
number counts the merchant's own customers (1, 2, 3…), from the same counter that fixes
invoice prefixes.  Existing customers are numbered in the order they were created.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("number", sa.BigInteger, nullable=False, server_default="0"))
    # Counted with the (account_id, id) index; numbers stay at or below the merchant's
    # customers_created, so the next customer's number (customers_created + 1) is new.
    op.execute(
        "UPDATE customers SET number = "
        "(SELECT count(*) FROM customers earlier "
        "WHERE earlier.account_id = customers.account_id AND earlier.id <= customers.id)"
    )


def downgrade() -> None:
    op.drop_column("customers", "number")
