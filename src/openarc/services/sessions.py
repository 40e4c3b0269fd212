"""Dashboard sessions, kept on the server so that signing out ends them.

A signed cookie alone could not be ended: a copy of it (and of its CSRF token) kept working
after sign-out until it expired.  Now signing in makes a row, and the browser gets a random
256-bit token that names it.  The table keeps only the token's SHA-256 (a copy of the database
holds no live session; the token is random, so no key or salt is needed to make the hash one
way), with the merchant, the API key signed in with, and when the session began and ends.

Every dashboard request finds its session by that hash, joined with its key, in one indexed
statement (``resume``): signing out (``end``) deletes the row, and a revoked key or a past
expiry refuses it at once.  Rows that have expired are deleted when they are next presented
and at every sign-in, so they do not pile up.

Sessions keep wall-clock time (``now``), not the sandbox's movable clock: moving that clock
does not sign anyone out or keep a session alive.  A key's ``last_used_at`` is stamped with
OpenArc's clock (``used_at``), as every other use of a key is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete, insert, literal, select

from openarc.db import Database
from openarc.db.steps import One, Run, Steps, run
from openarc.db.tables import api_keys, dashboard_sessions
from openarc.errors import Unauthenticated
from openarc.services import accounts
from openarc.services.accounts import Account

#: A session ends this long after sign-in whatever happens (and at once when its key is revoked).
LIFETIME = 8 * 60 * 60


def token_hash(token: str) -> str:
    """What the table keeps of a session's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start(db: Database, pepper: bytes, presented: str, *, now: int, used_at: int,
          replacing: str | None = None) -> tuple[Account, str]:
    """Sign in with an API key: its merchant and a new session's token (for the browser only;
    the table keeps its hash).  ``replacing`` is the token this browser had, which ends; every
    expired session is deleted on the way.  ``Unauthenticated`` if the key is not valid."""
    account, digest = accounts.sign_in(db, pepper, presented, now=used_at)
    token = secrets.token_urlsafe(32)
    table = dashboard_sessions
    with db.write() as conn:
        conn.execute(delete(table).where(table.c.expires_at <= now))
        if replacing:
            conn.execute(delete(table).where(table.c.token_hash == token_hash(replacing)))
        # The key by its digest, still unrevoked: a revocation since sign_in's check makes no row.
        made = conn.execute(insert(table).from_select(
            ["token_hash", "account_id", "api_key_id", "created_at", "expires_at"],
            select(literal(token_hash(token)), api_keys.c.account_id, api_keys.c.id, literal(now),
                   literal(now + LIFETIME))
            .where(api_keys.c.digest == digest, api_keys.c.revoked_at.is_(None)),
        ).returning(table.c.account_id)).first()  # (not rowcount: psycopg's reads -1 here)
    if made is None:
        raise Unauthenticated()
    return account, token


def resume(db: Database, token: str, *, now: int, used_at: int) -> Account:
    """The merchant of the live session ``token`` names, or ``Unauthenticated`` (signed out,
    expired, or its key revoked)."""
    with db.raw.autocommit() as raw:
        return run(raw, session_found(token_hash(token), now=now, used_at=used_at))


def session_found(hashed: str, *, now: int, used_at: int) -> Steps[Account]:
    """``resume`` as steps (db.steps): one indexed lookup; a write only when the key's
    ``last_used_at`` is stale or the session is dead (then its row goes)."""
    row = yield One(_RESUME, {"token_hash": hashed})
    if row is None or not hmac.compare_digest(row[0], hashed):
        raise Unauthenticated()
    _stored, expires_at, revoked_at, last_used, key_id, account_id, name = row
    if expires_at <= now or revoked_at is not None:
        yield Run("DELETE FROM dashboard_sessions WHERE token_hash = :token_hash", {"token_hash": hashed})
        raise Unauthenticated()
    if last_used is None or used_at - last_used >= accounts.LAST_USED_RESOLUTION:
        yield Run("UPDATE api_keys SET last_used_at = :now WHERE id = :id", {"now": used_at, "id": key_id})
    return Account(account_id, name)


_RESUME = """
SELECT s.token_hash, s.expires_at, k.revoked_at, k.last_used_at, k.id, a.id, a.name
FROM dashboard_sessions s
JOIN api_keys k ON k.id = s.api_key_id
JOIN accounts a ON a.id = k.account_id
WHERE s.token_hash = :token_hash
"""


def end(db: Database, token: str) -> None:
    """Sign out: the session ``token`` names is gone (nothing happens if it already was)."""
    with db.write() as conn:
        conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.token_hash == token_hash(token)))
