"""Idempotency keys: a retried write is answered with the first answer, never applied twice.

The database decides, not a check in Python: the first request with a key inserts the
row ``(account_id, key)`` "in progress" (status NULL) in its own short transaction; the
unique constraint makes every other request with that key fail that insert, whatever
the interleaving, on any number of workers.  Those then read the row and get

- the stored response, when the first request has completed and theirs is the same
  (same method, path and body hash);
- ``Invalid`` (422) when the key was used for a different request;
- ``Conflict`` (409) while the first is still in progress.

Only a keyed hash of the request is kept, never its body (it may carry a card number);
the stored response never holds one (cards are rendered as first 6 / last 4 digits).

Known gap, documented in README: the claim, the write itself and the stored response
are three transactions.  If the process dies after the write commits and before the
response is stored, the key stays "in progress" until ``stale_after`` seconds have
passed and is then free again, so a retry after that applies the request a second time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from openarc import redact
from openarc.db import Database
from openarc.db.tables import idempotency_keys, inserted_id
from openarc.errors import BadRequest, Conflict, Invalid

#: Longest accepted key (Stripe allows 255; UUIDs are 36).
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Claimed:
    """This request is the first with its key: run it, then ``complete`` or ``release``."""

    id: int


@dataclass(frozen=True, slots=True)
class Replay:
    """A completed earlier request with the same key and the same request."""

    status: int
    body: bytes


def validate_key(raw: str) -> str:
    """The key as given, or ``BadRequest``: 1 to 255 printable ASCII characters, no card number."""
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in raw) or not raw.strip():
        raise BadRequest(f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.")
    if redact.card_number_in(raw):  # the key is stored as given: never a card number
        raise BadRequest(f"The {HEADER} header must not contain a card number.")
    return raw


def request_hash(pepper: bytes, body: bytes, content_type: str, query: bytes = b"") -> str:
    """A keyed hash of what the request says beyond its method and path (query string,
    encoding, body): equal for a byte-identical retry, useless for guessing a card number
    inside it without the installation secret.  The query string is hashed, never stored:
    a client can put anything there, a card number included."""
    mac = hmac.new(pepper, content_type.split(";", 1)[0].strip().lower().encode(), hashlib.sha256)
    mac.update(b"\0")
    mac.update(query)
    mac.update(b"\0")
    mac.update(body)
    return mac.hexdigest()


def claim(
    db: Database,
    account_id: int,
    key: str,
    *,
    method: str,
    path: str,
    digest: str,
    now: int,
    ttl: int,
    stale_after: int,
) -> Claimed | Replay:
    """Claim ``key`` for this request, or say what an earlier request with it decided.

    Rows older than ``ttl`` are forgotten; "in progress" rows older than
    ``stale_after`` belong to a request whose process died, and are taken over.
    """
    match = (idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key)
    with db.write() as conn:
        conn.execute(
            delete(idempotency_keys).where(
                *match,
                or_(
                    idempotency_keys.c.created_at <= now - ttl,
                    (idempotency_keys.c.status.is_(None)) & (idempotency_keys.c.created_at <= now - stale_after),
                ),
            )
        )
        try:
            with conn.begin_nested():
                new_id = inserted_id(conn.execute(
                    insert(idempotency_keys).values(
                        account_id=account_id, key=key, method=method, path=path,
                        request_hash=digest, created_at=now,
                    )
                ))
            return Claimed(new_id)
        except IntegrityError:
            pass  # someone has the key: read what they left
        row = conn.execute(
            select(
                idempotency_keys.c.method, idempotency_keys.c.path, idempotency_keys.c.request_hash,
                idempotency_keys.c.status, idempotency_keys.c.response,
            ).where(*match)
        ).one()
    if row.method != method or row.path != path:
        raise _mismatch(f"was first used for {row.method} {row.path}, not for {method} {path}")
    if not hmac.compare_digest(row.request_hash, digest):
        raise _mismatch("was first used with a different request body or query string")
    if row.status is None:
        raise Conflict(f"A request with this {HEADER} is still in progress; retry after it has completed.")
    return Replay(row.status, row.response or b"")


def _mismatch(detail: str) -> Invalid:
    message = f"This {HEADER} {detail}; use a new key for a new request."
    return Invalid({"idempotency_key": [message]}, message=message)


def complete(db: Database, claimed: Claimed, status: int, body: bytes, *, now: int) -> None:
    """Store the response of the claimed request, to be replayed to its retries."""
    with db.write() as conn:
        conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.id == claimed.id)
            .values(status=status, response=body, completed_at=now)
        )


def release(db: Database, claimed: Claimed) -> None:
    """Forget the claim of a request that failed without an answer worth replaying (5xx),
    so that a retry runs it again."""
    with db.write() as conn:
        conn.execute(delete(idempotency_keys).where(idempotency_keys.c.id == claimed.id))


def purge(db: Database, *, now: int, ttl: int) -> int:
    """Delete completed rows older than ``ttl``; returns how many went."""
    with db.write() as conn:
        return conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at <= now - ttl)
        ).rowcount
