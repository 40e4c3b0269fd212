"""The installation secret, and the keys derived from it.

One random secret per database, made on first start, unless ``OPENARC_SECRET_KEY``
gives one.  Each use gets its own derived key, so no two purposes share a key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select

from openarc.db import Database
from openarc.db.tables import installation


@dataclass(frozen=True)
class Secrets:
    root: bytes

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.root, purpose.encode(), hashlib.sha256).digest()

    @property
    def api_keys(self) -> bytes:
        return self.derive("api-keys")


def load(db: Database, configured: str = "", *, now: int) -> Secrets:
    if configured:
        return Secrets(configured.encode())
    with db.write() as conn:
        stored = conn.execute(select(installation.c.secret).where(installation.c.id == 1)).scalar()
        if stored is None:
            stored = secrets.token_hex(32)
            conn.execute(insert(installation).values(id=1, secret=stored, created_at=now))
    return Secrets(bytes.fromhex(stored))
