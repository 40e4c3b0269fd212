"""Cards (never the number), single-use card tokens, bank accounts (number masked).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _owner_columns() -> list[sa.Column]:
    return [
        sa.Column("id", Key, primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    ]


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _times() -> list[sa.Column]:
    return [sa.Column("created_at", sa.BigInteger, nullable=False), sa.Column("updated_at", sa.BigInteger, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "cards",
        *_owner_columns(),
        sa.Column("customer_id", Key, sa.ForeignKey("customers.id", ondelete="CASCADE")),
        sa.Column("brand", sa.String(1), nullable=False),
        sa.Column("first6", sa.Integer, nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("exp_month", sa.String(2), nullable=False),
        sa.Column("exp_year", sa.String(4), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("card_source", sa.String(16), nullable=False),
        *(sa.Column(name, sa.Text) for name in ("card_holder_name", "address1", "address2", "city", "state", "zip", "country")),
        *(_flag(name) for name in ("is_default", "is_verified", "address_check_passed", "zip_check_passed")),
        *_times(),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_cards_customer", "cards", ["customer_id"])
    op.create_index(
        "uq_cards_one_default", "cards", ["customer_id"], unique=True,
        sqlite_where=sa.text("is_default = 1"), postgresql_where=sa.text("is_default = 1"),
    )
    op.create_table(
        "tokens",
        *_owner_columns(),
        sa.Column("card_id", Key, sa.ForeignKey("cards.id", ondelete="CASCADE"), nullable=False),
        _flag("used"),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        *_times(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "bank_accounts",
        *_owner_columns(),
        sa.Column("customer_id", Key, sa.ForeignKey("customers.id", ondelete="CASCADE")),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("company_name", sa.Text),
        sa.Column("account_type", sa.String(32), nullable=False),
        sa.Column("sec_code", sa.String(3)),
        sa.Column("routing_number", sa.String(9), nullable=False),
        sa.Column("account_number", sa.String(17), nullable=False),
        _flag("is_default"),
        *_times(),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bank_accounts_customer", "bank_accounts", ["customer_id"])


def downgrade() -> None:
    op.drop_table("bank_accounts")
    op.drop_table("tokens")
    op.drop_table("cards")
