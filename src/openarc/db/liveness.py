"""PostgreSQL connections that died while they sat idle in a pool.

A server restart, ``pg_terminate_backend`` or an ``idle_session_timeout`` (common on
managed PostgreSQL) ends a session the pool still holds; the first request handed that
connection then failed.  The server says goodbye before it closes (a FATAL message, then
end of file), so an idle connection with anything to read is one to replace: one
``poll`` with no wait tells, without a round trip.  A peer that vanished without a word
is found by TCP keepalives instead (``KEEPALIVES``, for every connection OpenArc opens).
"""

from __future__ import annotations

import select
from typing import Any

#: libpq's TCP keepalives: a silent peer is given up on after ~20 s of idleness.
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 5, "keepalives_count": 3}

#: A connection idle for less than this is used without looking (a ``poll`` lets go of the
#: GIL, which costs a served request far more than the call itself).
LOOK_AFTER_SECONDS = 1.0


def hung_up(conn: Any) -> bool:
    """Whether an idle psycopg connection has something to read (the server's goodbye), or
    has lost its socket altogether."""
    try:
        socket = conn.pgconn.socket  # psycopg raises OperationalError once the socket is gone
    except Exception:  # noqa: BLE001 - whatever the reason, not a connection to use
        return True
    poller = select.poll()  # not select(): it refuses descriptors numbered 1024 and up
    poller.register(socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
