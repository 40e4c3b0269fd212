"""The hot path: plain SQL on a DBAPI connection, without SQLAlchemy's per-statement cost.

Measured on the reference machine, one primary-key SELECT costs ~90 µs through a
SQLAlchemy ``Connection`` (checkout, compile-cache lookup, result wrapping) against
~7 µs on a persistent ``sqlite3`` connection.  The few statements every request runs
(authentication, create, retrieve, list) therefore use this module; everything else
stays on SQLAlchemy Core.

SQL is written once with ``:name`` parameters, which sqlite3 takes as is and which
are rewritten to psycopg's ``%(name)s`` for PostgreSQL.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import fields
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine

from openarc.db.liveness import KEEPALIVES, LOOK_AFTER_SECONDS, hung_up

Params = Mapping[str, Any]
_NAMED = re.compile(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (and literal % doubled)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


class Raw:
    """One DBAPI connection in use: ``one``, ``all`` and ``run`` take SQL with ``:name`` params."""

    __slots__ = ("_conn", "_translate")

    def __init__(self, conn: Any, translate: bool) -> None:
        self._conn = conn
        self._translate = translate

    def _cursor(self, sql: str, params: Params) -> Any:
        # Both drivers' connections execute on a cursor of their own making.
        return self._conn.execute(pyformat(sql) if self._translate else sql, params)

    @property
    def dialect(self) -> str:
        return "postgresql" if self._translate else "sqlite"

    def one(self, sql: str, params: Params) -> Sequence[Any] | None:
        return self._cursor(sql, params).fetchone()

    def value(self, sql: str, params: Params) -> Any:
        """The first column of the one row a statement always returns (``… RETURNING``)."""
        row = self._cursor(sql, params).fetchone()
        if row is None:
            raise LookupError(f"no row from: {sql[:60]}")
        return row[0]

    def all(self, sql: str, params: Params) -> list[Sequence[Any]]:
        return self._cursor(sql, params).fetchall()

    def run(self, sql: str, params: Params) -> int:
        """Execute a write; the number of rows it touched."""
        return self._cursor(sql, params).rowcount


class RawAccess:
    """Hands out ``Raw`` connections for reads and write transactions.

    One persistent autocommit connection per thread: on SQLite the event-loop thread
    (opened through the engine's pool, whose "connect" event set the pragmas), on
    PostgreSQL each of the few worker threads that run database calls.  A read is then a
    single statement with no BEGIN/ROLLBACK round trips, and a write is an explicit
    BEGIN (IMMEDIATE on SQLite) … COMMIT.  A PostgreSQL connection that fails is dropped
    and reopened by the next call.
    """

    def __init__(self, engine: Engine, is_sqlite: bool) -> None:
        self._engine = engine
        self._is_sqlite = is_sqlite
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._begin = "BEGIN IMMEDIATE" if is_sqlite else "BEGIN"

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not self._is_sqlite:
            now = time.monotonic()
            if now - self._local.used >= LOOK_AFTER_SECONDS and hung_up(conn):
                with suppress(Exception):  # closed by the server while idle (db.liveness)
                    conn.close()
                conn = self._local.conn = None
            self._local.used = now
        if conn is None:
            if self._is_sqlite:
                # Checked out of the engine's pool (whose "connect" event set the pragmas) and
                # kept; statements go to the sqlite3 connection itself, not the pool's proxy.
                opened: Any = self._engine.raw_connection()
                conn = opened.dbapi_connection
            else:
                import psycopg

                opened = conn = psycopg.connect(conninfo(self._engine), autocommit=True, **KEEPALIVES)
                self._local.used = time.monotonic()
            self._local.conn = conn
            with self._lock:
                self._opened.append(opened)
        return conn

    @contextmanager
    def _guard(self) -> Iterator[Any]:
        conn = self._conn()
        try:
            yield conn
        except Exception as exc:
            self._forget_if_broken(exc)
            raise

    def _forget_if_broken(self, exc: BaseException) -> None:
        if not self._is_sqlite and isinstance(exc, Exception) and _is_disconnect(exc):
            self._local.conn = None

    def autocommit(self) -> _Autocommit:
        """The thread's connection outside any transaction: each statement commits on its own.

        Every request runs a few of these, so the context manager is a plain object made
        once per thread (a generator-based one cost ~2 µs per use, measured)."""
        conn = self._conn()
        use = getattr(self._local, "autocommit", None)
        if use is None or use.raw._conn is not conn:
            use = self._local.autocommit = _Autocommit(self, Raw(conn, translate=not self._is_sqlite))
        return use

    #: A read is one such statement.
    read = autocommit

    @contextmanager
    def write(self) -> Iterator[Raw]:
        with self._guard() as conn:
            conn.execute(self._begin)
            try:
                yield Raw(conn, translate=not self._is_sqlite)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except Exception:
                # A COMMIT that failed (disk full, I/O error) can leave the transaction open,
                # and with it the write lock: end it, so the connection's next BEGIN works.
                with suppress(Exception):
                    conn.execute("ROLLBACK")
                raise

    def dispose(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            with suppress(Exception):  # closing a connection that already broke
                conn.close()
        self._local = threading.local()


class _Autocommit:
    """``RawAccess.autocommit()``: hands out the thread's ``Raw``; a broken PostgreSQL
    connection is forgotten on the way out, so the next use reconnects."""

    __slots__ = ("_access", "raw")

    def __init__(self, access: RawAccess, raw: Raw) -> None:
        self._access = access
        self.raw = raw

    def __enter__(self) -> Raw:
        return self.raw

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self._access._forget_if_broken(exc)


def conninfo(engine: Engine) -> str:
    """A PostgreSQL engine's server as libpq (psycopg itself) takes it."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _is_disconnect(exc: Exception) -> bool:
    import psycopg

    return isinstance(exc, psycopg.OperationalError)


def on(conn: Any, is_sqlite: bool) -> Raw:
    """The ``Raw`` view of a SQLAlchemy ``Connection``'s DBAPI connection, inside its transaction."""
    return Raw(conn.connection.dbapi_connection, translate=not is_sqlite)


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``IN (:name0, :name1, …)`` and its parameters: portable across both drivers."""
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return "IN (" + ", ".join(f":{key}" for key in params) + ")", params


@lru_cache(maxsize=64)
def columns(cls: Any, *, table: str = "", skip: tuple[str, ...] = ()) -> str:
    """The column list matching a dataclass's fields in order, for ``cls(*row)``."""
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + f.name for f in fields(cls) if f.name not in skip)


@lru_cache(maxsize=64)
def insert_returning_id(table: str, cls: Any, *, skip: tuple[str, ...] = ()) -> str:
    """``INSERT INTO table (…) VALUES (:…) RETURNING id`` for every field of the dataclass
    ``cls`` but ``id`` and ``skip`` (fields that are not columns), named as the fields are."""
    names = [f.name for f in fields(cls) if f.name != "id" and f.name not in skip]
    return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "
            "RETURNING id")
