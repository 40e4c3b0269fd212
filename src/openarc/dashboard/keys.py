"""Which merchant a dashboard session belongs to, re-checked on every request.

The session cookie names the API key it was opened with by the key's *digest* (the
HMAC the database already stores), never by the key itself: a stolen cookie is not an
API key, and it stops working the moment the key is revoked, as the API does.

``account_of_digest`` is a service-level query.  It lives here, not in
``services/accounts.py`` where it belongs, only because that module had another owner
when the dashboard was written; move it there (beside ``authenticate``) when convenient.
"""

from __future__ import annotations

import hmac

from sqlalchemy import select

from openarc.db import Database
from openarc.db.tables import accounts, api_keys
from openarc.errors import Unauthenticated
from openarc.services import accounts as account_service
from openarc.services.accounts import Account


def sign_in(db: Database, pepper: bytes, presented: str, *, now: int) -> str:
    """The digest to keep in the session of a valid, unrevoked API key; else ``Unauthenticated``."""
    presented = presented.strip()
    account_service.authenticate(db, pepper, presented, now=now)
    # The same keyed hash ``authenticate`` looked the key up by.
    return account_service._digest(pepper, presented)


def account_of_digest(db: Database, digest: str) -> Account:
    """The merchant whose unrevoked key has this digest, or ``Unauthenticated``."""
    with db.read() as conn:
        row = conn.execute(
            select(api_keys.c.digest, api_keys.c.revoked_at, accounts.c.id, accounts.c.name)
            .join(accounts, accounts.c.id == api_keys.c.account_id)
            .where(api_keys.c.digest == digest)
        ).first()
    if row is None or not hmac.compare_digest(row.digest, digest) or row.revoked_at is not None:
        raise Unauthenticated()
    return Account(row.id, row.name)
