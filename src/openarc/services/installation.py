"""The installation secret, and the keys derived from it.

One random secret per installation, unless ``OPENARC_SECRET_KEY`` gives one.  It keys
the card fingerprints and the API-key hashes, so it must not live *in* the database: a
copy of the database plus the secret would let anyone test the million card numbers
that share a stored first-6/last-4 against a fingerprint.  With SQLite it is kept in a
file beside the database (``openarc.db`` → ``openarc.secret``, mode 0600); back the two
up together.  Other engines keep it in the database only as a fallback and should be
given ``OPENARC_SECRET_KEY``.  Each use gets its own derived key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import insert, select

from openarc.db import Database
from openarc.db.tables import installation


@dataclass(frozen=True)
class Secrets:
    root: bytes

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.root, purpose.encode(), hashlib.sha256).digest()

    @cached_property
    def api_keys(self) -> bytes:
        """The key API keys are hashed under (every request needs it: derived once)."""
        return self.derive("api-keys")


def secret_file(db_path: Path) -> Path:
    return db_path.with_suffix(".secret")


def _from_file(path: Path) -> bytes:
    """Read the secret, creating it atomically (0600) the first time; concurrent starters agree."""
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process won the race: theirs is kept
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return bytes.fromhex(path.read_text().strip())


def _from_database(db: Database, now: int) -> bytes:
    with db.write() as conn:
        stored = conn.execute(select(installation.c.secret).where(installation.c.id == 1)).scalar()
        if stored is None:
            stored = secrets.token_hex(32)
            conn.execute(insert(installation).values(id=1, secret=stored, created_at=now))
    return bytes.fromhex(stored)


def load(db: Database, configured: str = "", *, now: int) -> Secrets:
    if configured:
        return Secrets(configured.encode())
    if db.path is not None:
        return Secrets(_from_file(secret_file(db.path)))
    return Secrets(_from_database(db, now))
