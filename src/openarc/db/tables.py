"""The schema, as SQLAlchemy Core tables.  Alembic migrations create it; these
definitions are what the services query with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    CursorResult,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql

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
    # The customer's number within its merchant (1, 2, 3…): what ``real_id`` shows.
    Column("number", BigInteger, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # 1 once the customer has had a charge: what the customer list reads instead of probing
    # charges (PostgreSQL's planner scanned the whole table for merchants whose charges sit on
    # few customers), written by the first charge only.
    Column("has_charges", Integer, nullable=False, server_default="0"),
    # The name and email case-folded (services.customer_search.keys): what the filters compare.
    Column("name_key", Text),
    Column("email_key", Text),
    UniqueConstraint("account_id", "invoice_prefix", name="uq_customers_invoice_prefix"),
    Index("ix_customers_account_id_id", "account_id", "id"),
    Index("ix_customers_account_email_key", "account_id", "email_key", "id"),
    Index("ix_customers_account_name_key", "account_id", "name_key", "id"),
    Index("ix_customers_account_phone", "account_id", "phone", "id"),
    sqlite_autoincrement=True,
)

# What the ``q`` search finds customers by (services.customer_search): every word of the name,
# the whole name, the email and the phone digits, one row each.  Terms compare by code point
# (COLLATE "C" on PostgreSQL), so the terms starting with a prefix are one range of the key.
customer_terms = Table(
    "customer_terms",
    metadata,
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("term", Text().with_variant(postgresql.TEXT(collation="C"), "postgresql"), nullable=False),
    # No foreign key nor index on customer_id: one b-tree fewer to write per term; a customer's
    # terms are known from its fields, and are deleted by the key with it (services.customers).
    Column("customer_id", Key, nullable=False),
    PrimaryKeyConstraint("account_id", "term", "customer_id", name="pk_customer_terms"),
    # On SQLite the rows live in the key's b-tree itself: one b-tree fewer again.
    sqlite_with_rowid=False,
)


# Cards exist only as what a token leaves behind: brand, first 6, last 4, expiry and a keyed
# fingerprint.  The card number and CVV are never stored.
cards = Table(
    "cards",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Key, ForeignKey("customers.id", ondelete="CASCADE")),
    Column("brand", String(1), nullable=False),
    Column("first6", Integer, nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", String(2), nullable=False),
    Column("exp_year", String(4), nullable=False),
    Column("fingerprint", String(16), nullable=False),
    Column("card_source", String(16), nullable=False),
    Column("card_holder_name", Text),
    Column("address1", Text),
    Column("address2", Text),
    Column("city", Text),
    Column("state", Text),
    Column("zip", Text),
    Column("country", Text),
    Column("is_default", Integer, nullable=False, server_default="0"),
    Column("is_verified", Integer, nullable=False, server_default="0"),
    Column("address_check_passed", Integer, nullable=False, server_default="0"),
    Column("zip_check_passed", Integer, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # A sandbox test card's scripted answer to every charge (services.triggers), decided from
    # the number at tokenization, since the number itself is never kept.  NULL: approve.
    Column("outcome", String(16)),
    Index("ix_cards_customer", "customer_id"),
    # At most one default card per customer, whatever the interleaving of requests.
    Index("uq_cards_one_default", "customer_id", unique=True, sqlite_where=text("is_default = 1"),
          postgresql_where=text("is_default = 1")),
    sqlite_autoincrement=True,
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("card_id", Key, ForeignKey("cards.id", ondelete="CASCADE"), nullable=False),
    Column("used", Integer, nullable=False, server_default="0"),
    Column("expires_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    sqlite_autoincrement=True,
)

# Bank accounts keep the account number only masked (all but the last 4 digits).
bank_accounts = Table(
    "bank_accounts",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Key, ForeignKey("customers.id", ondelete="CASCADE")),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("company_name", Text),
    Column("account_type", String(32), nullable=False),
    Column("sec_code", String(3)),
    Column("routing_number", String(9), nullable=False),
    Column("account_number", String(17), nullable=False),
    Column("is_default", Integer, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_bank_accounts_customer", "customer_id"),
    sqlite_autoincrement=True,
)

# Card charges (services/charges.py).  Money is integer cents.  The card is kept as the
# snapshot it was at charge time (its safe parts only), so a charge still shows its card
# after the card or its customer is deleted; ``customer_id`` links the customer's
# ``charge`` relation and its filter.  ``status`` is what the last write left: settlement
# and authorization expiry are worked out from the clock when read (services.lifecycle).
charges = Table(
    "charges",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Key, ForeignKey("customers.id", ondelete="SET NULL")),
    Column("card_id", Key),
    Column("card", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("amount_approved", BigInteger, nullable=False),
    Column("amount_captured", BigInteger, nullable=False),
    Column("amount_refunded", BigInteger, nullable=False, server_default="0"),
    Column("amount_voided", BigInteger, nullable=False, server_default="0"),
    Column("tip_amount", BigInteger, nullable=False, server_default="0"),
    Column("surcharge", BigInteger, nullable=False, server_default="0"),
    Column("status", String(64), nullable=False),
    Column("captured", Integer, nullable=False),
    Column("auth_code", String(16)),
    Column("failure_code", String(16)),
    Column("failure_message", Text),
    Column("tsys_response_code", String(16)),
    Column("host_response_code", String(8)),
    Column("host_response_message", Text),
    Column("host_reference_number", String(16)),
    Column("statement_description", Text),
    Column("charge_description", Text),
    Column("email", Text),
    Column("phone_number", Text),
    Column("card_level", String(8), nullable=False),
    Column("card_source", String(16), nullable=False),
    # Echoed request fields of the Level 2/3 and pass-through kinds, as a JSON object.
    Column("echo", Text, nullable=False),
    # The request's ``metadata`` (a JSON-encoded object of text), as a JSON object.
    Column("metadata", Text, nullable=False),
    Column("do_not_send_email_to_customer", Integer, nullable=False, server_default="0"),
    Column("do_not_send_sms_to_customer", Integer, nullable=False, server_default="0"),
    Column("void_reason", String(32)),
    Column("void_description", Text),
    Column("refund_reason", String(32)),
    Column("refund_description", Text),
    Column("created_by", Text),
    Column("settles_at", BigInteger),
    Column("expires_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_charges_account_id_id", "account_id", "id"),
    Index("ix_charges_customer", "customer_id", "id"),
    sqlite_autoincrement=True,
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("charge_id", Key, ForeignKey("charges.id", ondelete="CASCADE"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", String(32)),
    Column("description", Text),
    Column("do_not_send_email_to_customer", Integer, nullable=False, server_default="0"),
    Column("do_not_send_sms_to_customer", Integer, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_refunds_charge", "charge_id", "id"),
    sqlite_autoincrement=True,
)

# ACH charges (services/ach_charges.py): debits and credits of a bank account, kept as the
# snapshot it was (its number masked, as bank accounts are stored).  ``request_digest`` is a
# keyed hash of the creating request's body, never the body: the Python SDK posts the same
# body to /v1/charges right after, and that request is answered with this charge.
ach_charges = Table(
    "ach_charges",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Key, ForeignKey("customers.id", ondelete="SET NULL")),
    Column("bank_account_id", Key),
    Column("bank_account", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("type", String(8), nullable=False),
    Column("sec_code", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("authorization_id", BigInteger, nullable=False),
    Column("validation_code", Integer, nullable=False),
    Column("response_message", Text, nullable=False),
    Column("receipt_email", Text),
    Column("receipt_phone", Text),
    Column("metadata", Text, nullable=False),
    Column("created_by", Text),
    Column("request_digest", String(64), nullable=False),
    Column("settles_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_ach_charges_account_id_id", "account_id", "id"),
    Index("ix_ach_charges_replay", "account_id", "request_digest"),
    sqlite_autoincrement=True,
)

# Idempotency keys (api/idempotency.py): the first request with a key inserts its row "in
# progress" (status NULL); the response is stored when it completes.  Only a keyed hash of
# the request body is kept, never the body itself (it may carry a card number).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Key, primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer),
    Column("response", LargeBinary),
    Column("created_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger),
    UniqueConstraint("account_id", "key", name="uq_idempotency_keys_account_key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
    sqlite_autoincrement=True,
)

# Dashboard sessions (services/sessions.py): a row per sign-in, deleted at sign-out.  The
# browser's token is kept only as its SHA-256; the key signed in with is checked with it on
# every request (a revoked key ends the session).  Not a merchant's data: a sandbox reset keeps it.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Key, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("api_key_id", Key, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_dashboard_sessions_expires_at", "expires_at"),
)


# Requests per rate-limit key and minute, added to by every process a few times a second
# (services.ratelimit): how N workers and nodes share one budget.  ``who`` is "account:<id>"
# or "addr:<client address>"; rows of ended windows are deleted as they go.
rate_counts = Table(
    "rate_counts",
    metadata,
    Column("who", String(80), nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("hits", BigInteger, nullable=False),
    PrimaryKeyConstraint("who", "window_start", name="pk_rate_counts"),
)

def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT of one row gave it."""
    key = result.inserted_primary_key
    if key is None:
        raise LookupError("the INSERT reported no primary key")
    return int(key[0])
