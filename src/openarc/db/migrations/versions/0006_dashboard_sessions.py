"""Dashboard sessions on the server, so that signing out ends them.

One row per sign-in, found by the SHA-256 of the browser's token (never the token), deleted
at sign-out; it names the merchant and the API key signed in with.  Sessions signed in before
this upgrade lived only in their cookie: those browsers sign in again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("api_key_id", Key, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dashboard_sessions_expires_at", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
