"""Merchants and their API keys.

A key is 256 random bits shown once.  The database keeps only an HMAC-SHA256 of it
under the installation secret, so a copy of the database does not let anyone in;
presented keys are hashed the same way, looked up by digest and compared in
constant time.  Every failure is the same ``Unauthenticated``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from openarc.db import Database
from openarc.db.engine import KEYS_CHANNEL
from openarc.db.generation import Generation
from openarc.db.notices import Notices
from openarc.db.steps import One, Run, Steps, run
from openarc.db.tables import accounts, api_keys, inserted_id
from openarc.errors import Invalid, NotFound, Unauthenticated

log = logging.getLogger("openarc.accounts")

KEY_PREFIX = "oa_sk_"
_MAX_KEY_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class IssuedKey:
    account: Account
    key_id: str
    #: The only time the key exists outside the client: print it, do not store it.
    secret: str


def _digest(pepper: bytes, key: str) -> str:
    return hmac.digest(pepper, key.encode("utf-8", "surrogatepass"), "sha256").hex()


def validate_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise Invalid.one("account", "The account name must be 1 to 100 printable characters.")
    return name


def ensure_account(db: Database, name: str, *, now: int) -> Account:
    """The merchant called ``name``, created if new."""
    name = validate_name(name)
    with db.write() as conn:
        row = conn.execute(select(accounts.c.id, accounts.c.name).where(accounts.c.name == name)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    key = inserted_id(conn.execute(insert(accounts).values(name=name, created_at=now)))
            except IntegrityError:  # created meanwhile by another process
                key = conn.execute(select(accounts.c.id).where(accounts.c.name == name)).scalar_one()
            return Account(key, name)
        return Account(row.id, row.name)


def has_accounts(db: Database) -> bool:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(accounts)).scalar_one() > 0


def probe() -> Steps[None]:
    """One indexed read of the merchants' table, for health checks: it fails on a database
    that is unreachable, or that is not OpenArc's (no ``accounts`` table)."""
    yield One("SELECT id FROM accounts LIMIT 1", {})


def issue_key(db: Database, pepper: bytes, account_name: str, *, now: int) -> IssuedKey:
    """A new key for ``account_name`` (the merchant is created if new)."""
    account = ensure_account(db, account_name, now=now)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)  # 32 bytes = 256 bits of randomness
    key_id = "key_" + secrets.token_hex(6)
    with db.write() as conn:
        conn.execute(
            insert(api_keys).values(
                account_id=account.id, key_id=key_id, digest=_digest(pepper, secret), created_at=now
            )
        )
    return IssuedKey(account, key_id, secret)


#: A key chosen by the operator (``openarc serve --sandbox-key``): long enough not to be
#: guessed, and plain enough to sit in a header and a shell variable.
_CHOSEN_KEY = re.compile(r"[A-Za-z0-9_\-.~]{16,256}")


def accept_key(db: Database, pepper: bytes, account_name: str, secret: str, *, now: int) -> IssuedKey:
    """Make ``secret`` a key of ``account_name`` (created if new), unless it already is one: so
    a CI job can set the key it will use instead of reading it from the server's output.

    A key that is another merchant's, or was revoked, is refused (``ValueError``)."""
    if not _CHOSEN_KEY.fullmatch(secret):
        raise ValueError("a chosen API key must be 16 to 256 letters, digits or - _ . ~")
    account = ensure_account(db, account_name, now=now)
    digest = _digest(pepper, secret)
    with db.write() as conn:
        row = conn.execute(select(api_keys.c.account_id, api_keys.c.key_id, api_keys.c.revoked_at)
                           .where(api_keys.c.digest == digest)).first()
        if row is not None:
            if row.account_id != account.id or row.revoked_at is not None:
                raise ValueError("that API key belongs to another merchant or was revoked: choose another")
            return IssuedKey(account, row.key_id, secret)
        key_id = "key_" + secrets.token_hex(6)
        conn.execute(insert(api_keys).values(account_id=account.id, key_id=key_id, digest=digest, created_at=now))
    return IssuedKey(account, key_id, secret)


#: ``last_used_at`` is refreshed at most this often, so reads do not become writes.
LAST_USED_RESOLUTION = 60


def authenticate(db: Database, pepper: bytes, presented: str | None, *, now: int) -> Account:
    if not presented or len(presented) > _MAX_KEY_LENGTH:
        raise Unauthenticated()
    return account_of_digest(db, _digest(pepper, presented), now=now)


_UNOPENED = object()

#: How long a serving process trusts a key it found valid when nothing says it changed.
#: Revocations through OpenArc are announced (``Database.keys_changed``); this bounds how
#: long one that is not goes unseen: a database edited behind OpenArc's back, or a
#: PostgreSQL notice lost with a connection that died silently.
KNOWN_FOR_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class _Known:
    account: Account
    stamp: object
    until: float


class KeyCache:
    """``authenticate`` for a serving process, remembering the keys it found valid.

    Looking the key up cost every API request a statement, and, served, far more than the
    statement itself (measured: ~35 % of a SQLite retrieve's throughput, 45–75 % of a
    PostgreSQL one).  Every serving process sees a stamp that ``revoke`` changes
    (``Database.keys_changed``): on SQLite a file all processes on the machine map, changed
    after the revocation commits; on PostgreSQL a per-process stamp moved by the ``NOTIFY``
    the revocation commits with.  An entry is trusted only while the stamp is the one read
    *before* its lookup, and for at most ``KNOWN_FOR_SECONDS``.  So a key revoked with
    ``openarc keys revoke`` is refused by every worker from the next request on (on
    PostgreSQL, from the moment the notice reaches it: a loopback or network hop).  A
    process that cannot see the stamp (the file cannot be opened, the listening connection
    is down) remembers nothing and looks every key up.  Unknown and revoked keys are never
    remembered; memory holds hashes, never keys.
    """

    def __init__(self, db: Database, pepper: bytes, *, size: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pepper = pepper
        self._db = db
        self._stamps: Generation | Notices | None | object = _UNOPENED
        self._size = size
        self._clock = clock
        self._known: dict[bytes, _Known] = {}

    def _stamp(self) -> object | None:
        """The current stamp, or None when nothing may be remembered.  The stamps are opened
        on first use (so commands that never serve create no file and no connection)."""
        if self._stamps is _UNOPENED:
            try:
                self._stamps = self._db.keys_changed
            except OSError as exc:
                self._stamps = None
                log.warning("API keys are looked up on every request: %s", exc)
        stamps = self._stamps
        return None if stamps is None else stamps.read()  # type: ignore[attr-defined]

    def known(self, presented: str | None) -> Account | None:
        """The key's merchant if this process may trust what it remembers, else None (then
        ``authenticate``).  Plain code, no steps: the answer of nearly every request."""
        if not presented or len(presented) > _MAX_KEY_LENGTH:
            return None
        known = self._known.get(_ident(presented))
        if known is not None and known.stamp == self._stamp() and self._clock() < known.until:
            return known.account
        return None

    def authenticate(self, presented: str | None, *, now: int) -> Steps[Account]:
        """The key's merchant, or ``Unauthenticated``, looked up and remembered: steps
        (db.steps) for ``AppContext.query``."""
        if not presented or len(presented) > _MAX_KEY_LENGTH:
            raise Unauthenticated()
        digest = _digest(self._pepper, presented)
        stamp = self._stamp()  # before the lookup: a revocation during it voids the entry
        account = yield from account_found(digest, now=now)
        if stamp is not None:
            if len(self._known) >= self._size:
                self._known.clear()
            self._known[_ident(presented)] = _Known(account, stamp, self._clock() + KNOWN_FOR_SECONDS)
        return account

    async def aclose(self) -> None:
        """Stop watching the stamp (PostgreSQL's listening connection)."""
        if isinstance(self._stamps, Notices):
            await self._stamps.aclose()


def _ident(presented: str) -> bytes:
    """What ``KeyCache`` remembers a key by: a plain SHA-256 of it.  OpenSSL's one-shot HMAC
    (the stored digest) lets go of the GIL, and every release hands it to the server's
    threads for a while (measured: each such call costs a served request several times its
    own time); hashlib keeps the GIL for short inputs."""
    return hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()


def sign_in(db: Database, pepper: bytes, presented: str, *, now: int) -> tuple[Account, str]:
    """A valid key's merchant and the key's digest, which a session may keep instead of the key."""
    presented = presented.strip()
    account = authenticate(db, pepper, presented, now=now)
    return account, _digest(pepper, presented)


def account_of_digest(db: Database, digest: str, *, now: int) -> Account:
    """The merchant whose unrevoked key has this digest, or ``Unauthenticated``."""
    with db.raw.autocommit() as raw:
        return run(raw, account_found(digest, now=now))


def account_found(digest: str, *, now: int) -> Steps[Account]:
    """``account_of_digest`` as steps (db.steps)."""
    row = yield One(_AUTHENTICATE, {"digest": digest})
    # The lookup is by digest; the explicit constant-time comparison keeps it honest
    # should the lookup ever become a prefix or range match.
    if row is None or not hmac.compare_digest(row[0], digest) or row[1] is not None:
        raise Unauthenticated()
    _stored, _revoked, last_used, account_id, name = row
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        yield Run("UPDATE api_keys SET last_used_at = :now WHERE digest = :digest", {"now": now, "digest": digest})
    return Account(account_id, name)


_AUTHENTICATE = """
SELECT k.digest, k.revoked_at, k.last_used_at, a.id, a.name
FROM api_keys k JOIN accounts a ON a.id = k.account_id
WHERE k.digest = :digest
"""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    account: str
    key_id: str
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


def list_keys(db: Database) -> list[KeyInfo]:
    """Every key's public facts (never the secret, which OpenArc does not have)."""
    with db.read() as conn:
        rows = conn.execute(
            select(accounts.c.name, api_keys.c.key_id, api_keys.c.created_at, api_keys.c.last_used_at,
                   api_keys.c.revoked_at)
            .join(accounts, accounts.c.id == api_keys.c.account_id)
            .order_by(accounts.c.name, api_keys.c.id)
        ).all()
    return [KeyInfo(*row) for row in rows]


def revoke(db: Database, pepper: bytes, key_or_id: str, *, now: int) -> str:
    """Revoke a key given in full or by its key id; returns the key id.  Announced to every
    serving process (``KeyCache``): on SQLite at once, on PostgreSQL when its notice arrives."""
    key_or_id = key_or_id.strip()
    # SQLite's stamp file is opened first: if it cannot be, nothing is revoked unannounced.
    stamps = db.keys_changed if db.is_sqlite else None
    match = api_keys.c.digest == _digest(pepper, key_or_id)
    if not key_or_id.startswith(KEY_PREFIX):
        match = api_keys.c.key_id == key_or_id
    with db.write() as conn:
        row = conn.execute(
            api_keys.update().where(match).values(revoked_at=func.coalesce(api_keys.c.revoked_at, now))
            .returning(api_keys.c.key_id)
        ).first()
        if row is not None and not db.is_sqlite:  # PostgreSQL tells every listener when this commits
            conn.execute(text(f"NOTIFY {KEYS_CHANNEL}"))
    if row is None:
        raise NotFound("No such key.")
    if isinstance(stamps, Generation):  # committed: now every process on the machine must look again
        stamps.bump()
    return row.key_id


def account_named(db: Database, name: str) -> Account:
    with db.read() as conn:
        row = conn.execute(select(accounts.c.id, accounts.c.name).where(accounts.c.name == name)).first()
    if row is None:
        raise NotFound(f"No merchant named {name!r}.")
    return Account(row.id, row.name)
