"""Rate-limit counts shared by every worker and node of one database.

Each process adds the requests it counted to its window's row a few times a second (one
upsert per key, not a write per request) and reads back the total of every process.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counts",
        sa.Column("who", sa.String(80), nullable=False),
        sa.Column("window_start", sa.BigInteger, nullable=False),
        sa.Column("hits", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("who", "window_start", name="pk_rate_counts"),
    )


def downgrade() -> None:
    op.drop_table("rate_counts")
