"""Installation secret, merchants, API keys and customers.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", Key, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("customers_created", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("customer_count", sa.BigInteger, nullable=False, server_default="0"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", Key, primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_used_at", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "customers",
        sa.Column("id", Key, primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        *(
            sa.Column(name, sa.Text)
            for name in (
                "name", "email", "description", "send_email_address", "cc_email_address",
                "source_id", "address_1", "address_2", "city", "state", "zip", "phone", "country",
            )
        ),
        sa.Column("payment_overdue", sa.Integer),
        sa.Column("invoice_prefix", sa.String(8), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("account_id", "invoice_prefix", name="uq_customers_invoice_prefix"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_customers_account_id_id", "customers", ["account_id", "id"])
    op.create_index("ix_customers_account_email", "customers", ["account_id", "email", "id"])
    op.create_index("ix_customers_account_name", "customers", ["account_id", "name", "id"])
    op.create_index("ix_customers_account_phone", "customers", ["account_id", "phone", "id"])


def downgrade() -> None:
    op.drop_table("customers")
    op.drop_table("api_keys")
    op.drop_table("accounts")
    op.drop_table("installation")
