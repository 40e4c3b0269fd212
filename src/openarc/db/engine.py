"""Engines and transactions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on.  Write transactions start with
``BEGIN IMMEDIATE`` so that two writers never both read and then fail to upgrade
their lock (the classic SQLITE_BUSY deadlock); reads use a plain deferred BEGIN.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from openarc.db.checkpoint import Checkpointer
from openarc.db.generation import Generation
from openarc.db.liveness import KEEPALIVES, hung_up
from openarc.db.notices import Notices
from openarc.db.raw import RawAccess, conninfo

_WRITE = "openarc_write"
#: Where PostgreSQL announces that an API key stopped being valid (``keys_changed``).
KEYS_CHANNEL = "openarc_keys"
_SYNCHRONOUS = {"OFF", "NORMAL", "FULL", "EXTRA"}


#: The URL schemes people type, and the SQLAlchemy dialect each means here: PostgreSQL is
#: always spoken through psycopg 3 (the hot path and the revocation listener use it directly),
#: so a URL written for psycopg2 works unchanged.
_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
}
URL_HELP = "give sqlite:///path/to/file.db or postgresql://user:password@host:5432/database"


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL for a database URL as people type it; a ``ValueError`` naming the
    problem for anything else.  The message never repeats the URL, which may hold a password."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {URL_HELP}")
    dialect = _SCHEMES.get(scheme.lower())
    if dialect is None:
        if scheme.lower().startswith(("postgresql+", "postgres+")):
            raise ValueError(f"OpenArc connects to PostgreSQL through psycopg 3 only: {URL_HELP}")
        shown = scheme if scheme.replace("+", "").isalnum() else "?"
        raise ValueError(f"OpenArc stores its data in SQLite or PostgreSQL, not {shown!r}: {URL_HELP}")
    normal = f"{dialect}://{rest}"
    try:
        host = make_url(normal).host
    except (ArgumentError, ValueError):  # a port that is not a number, a stray character…
        raise ValueError(f"malformed {scheme} URL: {URL_HELP}") from None
    if host and "@" in host:  # the rest of a password (or user name) that held a bare "@"
        raise ValueError(f"malformed {scheme} URL: write an @ in the user name or password as %40")
    if dialect == "sqlite" and rest.split("/", 1)[0]:
        raise ValueError(f"a SQLite URL names a file, nothing else: {URL_HELP}")
    return normal


def describe(url: str) -> str:
    """The database as shown to a person: the SQLite file path, or the URL without its password."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        return str(Path(parsed.database or "").resolve())
    return parsed.render_as_string(hide_password=True)


class Database:
    """One engine plus the two ways OpenArc talks to it: ``read()`` and ``write()``."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", background_checkpoints: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self._checkpointer: Checkpointer | None = None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if sqlite_synchronous not in _SYNCHRONOUS:
                raise ValueError(f"synchronous must be one of {sorted(_SYNCHRONOUS)}")
            if not parsed.database or parsed.database == ":memory:":
                raise ValueError("OpenArc keeps its data in a file: give sqlite:///path/to/file.db")
            #: The database file, for what is kept beside it (the installation secret).
            self.path: Path | None = Path(parsed.database)
            self.engine = create_engine(self.url, pool_size=4, max_overflow=8)
            _configure_sqlite(self.engine, sqlite_synchronous, automatic_checkpoints=not background_checkpoints)
            if background_checkpoints:
                self._checkpointer = Checkpointer(self.path).start()
        else:
            self.path = None
            # No pre-ping (a round trip per checkout): a connection the server closed while it
            # was idle is found without one (db.liveness), and all are recycled hourly.
            self.engine = create_engine(self.url, pool_size=10, max_overflow=10, pool_recycle=3600,
                                        connect_args=KEEPALIVES)
            _replace_hung_up(self.engine)
        #: Plain-SQL access for the statements every request runs (see ``db.raw``).
        self.raw = RawAccess(self.engine, self.is_sqlite)
        self._keys_changed: Generation | Notices | None = None

    @property
    def conninfo(self) -> str:
        """The PostgreSQL server as libpq (psycopg) takes it."""
        return conninfo(self.engine)

    @property
    def keys_changed(self) -> Generation | Notices:
        """A stamp that changes whenever an API key stops being valid, for every serving
        process (``services.accounts.KeyCache``): on SQLite a file every process on the
        machine maps (db.generation), on PostgreSQL notices on ``KEYS_CHANNEL`` (db.notices)."""
        if self._keys_changed is None:
            if self.path is not None:
                self._keys_changed = Generation.beside(self.path, "-keys")
            else:
                self._keys_changed = Notices(self.conninfo, KEYS_CHANNEL)
        return self._keys_changed

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.raw.dispose()
        if self._keys_changed is not None:
            self._keys_changed.close()
            self._keys_changed = None
        self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.stop()


#: Bytes of WAL kept on disk after it is reset (see db.checkpoint).
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _replace_hung_up(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_conn, _record, _proxy):  # type: ignore[no-untyped-def]
        if hung_up(dbapi_conn):
            raise DisconnectionError("closed by the server while idle")  # the pool connects anew


def _configure_sqlite(engine: Engine, synchronous: str, *, automatic_checkpoints: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's events, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if not automatic_checkpoints:
            cur.execute("PRAGMA wal_autocheckpoint=0")
            # The WAL is reused from its start once a checkpoint has copied all of it;
            # this cuts a WAL that a burst grew back to this size when that happens.
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
