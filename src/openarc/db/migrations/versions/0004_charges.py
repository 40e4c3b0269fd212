"""Card charges and their refunds, ACH charges; a sandbox outcome on cards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("cards", sa.Column("outcome", sa.String(16)))
    op.add_column("customers", sa.Column("has_charges", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "charges",
        sa.Column("id", Key, primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", Key, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("card_id", Key),
        sa.Column("card", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("amount_approved", sa.BigInteger, nullable=False),
        sa.Column("amount_captured", sa.BigInteger, nullable=False),
        sa.Column("amount_refunded", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("amount_voided", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("tip_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("surcharge", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("captured", sa.Integer, nullable=False),
        sa.Column("auth_code", sa.String(16)),
        sa.Column("failure_code", sa.String(16)),
        sa.Column("failure_message", sa.Text),
        sa.Column("tsys_response_code", sa.String(16)),
        sa.Column("host_response_code", sa.String(8)),
        sa.Column("host_response_message", sa.Text),
        sa.Column("host_reference_number", sa.String(16)),
        sa.Column("statement_description", sa.Text),
        sa.Column("charge_description", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("phone_number", sa.Text),
        sa.Column("card_level", sa.String(8), nullable=False),
        sa.Column("card_source", sa.String(16), nullable=False),
        sa.Column("echo", sa.Text, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("do_not_send_email_to_customer", sa.Integer, nullable=False, server_default="0"),
        sa.Column("do_not_send_sms_to_customer", sa.Integer, nullable=False, server_default="0"),
        sa.Column("void_reason", sa.String(32)),
        sa.Column("void_description", sa.Text),
        sa.Column("refund_reason", sa.String(32)),
        sa.Column("refund_description", sa.Text),
        sa.Column("created_by", sa.Text),
        sa.Column("settles_at", sa.BigInteger),
        sa.Column("expires_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_charges_account_id_id", "charges", ["account_id", "id"])
    op.create_index("ix_charges_customer", "charges", ["customer_id", "id"])
    op.create_table(
        "refunds",
        sa.Column("id", Key, primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("charge_id", Key, sa.ForeignKey("charges.id", ondelete="CASCADE"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("description", sa.Text),
        sa.Column("do_not_send_email_to_customer", sa.Integer, nullable=False, server_default="0"),
        sa.Column("do_not_send_sms_to_customer", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_refunds_charge", "refunds", ["charge_id", "id"])
    op.create_table(
        "ach_charges",
        sa.Column("id", Key, primary_key=True),
        sa.Column("account_id", Key, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", Key, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("bank_account_id", Key),
        sa.Column("bank_account", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("sec_code", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("authorization_id", sa.BigInteger, nullable=False),
        sa.Column("validation_code", sa.Integer, nullable=False),
        sa.Column("response_message", sa.Text, nullable=False),
        sa.Column("receipt_email", sa.Text),
        sa.Column("receipt_phone", sa.Text),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("settles_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ach_charges_account_id_id", "ach_charges", ["account_id", "id"])
    op.create_index("ix_ach_charges_replay", "ach_charges", ["account_id", "request_digest"])


def downgrade() -> None:
    op.drop_table("ach_charges")
    op.drop_table("refunds")
    op.drop_table("charges")
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("outcome")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("has_charges")
