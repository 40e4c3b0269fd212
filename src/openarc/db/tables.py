"""The schema, as SQLAlchemy Core tables.  Alembic migrations create it; these
definitions are what the services query with."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
Key = BigInteger().with_variant(Integer(), "sqlite")

installation = Table(
    "installation",
    metadata,
    Column("id", Integer, primary_key=True),
    # Random per-database secret; keys id salts and HMACs unless OPENARC_SECRET_KEY is set.
    Column("secret", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Key, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    # Customers ever created: numbers invoice prefixes, never goes down.
    Column("customers_created", BigInteger, nullable=False, server_default="0"),
    # Customers existing now: the unfiltered list's `total` without count(*).
    Column("customer_count", BigInteger, nullable=False, server_default="0"),
    sqlite_autoincrement=True,
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # Public handle shown by `openarc keys list`; never enough to authenticate.
    Column("key_id", String(32), nullable=False, unique=True),
    # HMAC-SHA256 of the key under the installation secret; the key itself is never stored.
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger),
    Column("revoked_at", BigInteger),
    sqlite_autoincrement=True,
)

customers = Table(
    "customers",
    metadata,
    # AUTOINCREMENT on SQLite: a deleted customer's id is never handed out again.
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text),
    Column("email", Text),
    Column("description", Text),
    Column("payment_overdue", Integer),
    Column("send_email_address", Text),
    Column("cc_email_address", Text),
    Column("source_id", Text),
    Column("address_1", Text),
    Column("address_2", Text),
    Column("city", Text),
    Column("state", Text),
    Column("zip", Text),
    Column("phone", Text),
    Column("country", Text),
    Column("invoice_prefix", String(8), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("account_id", "invoice_prefix", name="uq_customers_invoice_prefix"),
    Index("ix_customers_account_id_id", "account_id", "id"),
    Index("ix_customers_account_email", "account_id", "email", "id"),
    Index("ix_customers_account_name", "account_id", "name", "id"),
    Index("ix_customers_account_phone", "account_id", "phone", "id"),
    sqlite_autoincrement=True,
)

