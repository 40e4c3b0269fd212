"""A per-merchant request budget per minute, shared by every worker and node of one database.

Laravel's ``throttle`` as PayArc runs it: a fixed window of a minute; every request in it
counts; past the limit, requests are refused until the window ends.  Windows are aligned to
the minute (``now // 60``) so that every process agrees on which one a request falls in.

Counting in memory keeps reads from becoming writes.  Each process counts its own requests,
and every ``SHARE_EVERY_SECONDS`` adds what it counted since to the window's row in
``rate_counts`` (one upsert per key seen, not a write per request), reading back the total
of every process.  A request is allowed while that total, plus what this process counted
since, stays within the limit.  So N processes together give a key at most its limit, plus
what the others admitted in the last quarter second before their counts arrived (a small
overshoot that batching makes, documented in docs/operations.md); without sharing, N
workers gave it N times the limit.  A process that starts counting a key in a window first
reads what the others counted (one read per key and minute).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, text

from openarc.db import Database
from openarc.db.steps import One, Steps
from openarc.db.tables import rate_counts

WINDOW_SECONDS = 60
#: How often a process adds its counts to the shared ones.
SHARE_EVERY_SECONDS = 0.25


@dataclass(slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    #: Seconds until the window ends (``Retry-After`` when refused).
    reset_in: int
    #: Unix time at which the window ends.
    reset_at: int


@dataclass(slots=True)
class _Window:
    start: int
    #: This process's requests in the window, all of them.
    ours: int = 0
    #: Of those, the ones not yet added to the shared count.
    unshared: int = 0
    #: The other processes' requests, as the last sharing read them.
    others: int = 0


@dataclass(frozen=True, slots=True)
class Share:
    """What one process adds to one key's window: ``hits`` more requests."""

    who: str
    start: int
    hits: int


class RateLimiter:
    def __init__(self, limit: int, window: int = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def hit(self, who: str, now: float) -> Verdict:
        start = int(now) // self.window * self.window
        with self._lock:
            entry = self._windows.get(who)
            if entry is None or entry.start != start:
                entry = self._windows[who] = _Window(start)
            entry.ours += 1
            entry.unshared += 1
            count = entry.ours + entry.others
        ends = start + self.window
        reset_in = max(int(-(-(ends - now) // 1)), 1)
        return Verdict(count <= self.limit, self.limit, max(self.limit - count, 0), reset_in, ends)

    def window_of(self, who: str, now: float) -> int | None:
        """The start of ``who``'s current window when this process has not counted it yet (so
        it should first learn what the others counted: ``shared_total``, then ``seed``), else None."""
        start = int(now) // self.window * self.window
        entry = self._windows.get(who)
        return start if entry is None or entry.start != start else None

    def seed(self, who: str, start: int, others: int) -> None:
        """Begin ``who``'s window knowing the others' ``others`` requests in it."""
        with self._lock:
            entry = self._windows.get(who)
            if entry is None or entry.start != start:
                self._windows[who] = _Window(start, others=others)

    def to_share(self, now: float) -> list[Share]:
        """What to add to the shared counts: every key of the current window (a key with
        nothing new is read back too, to learn what the others did), and windows that have
        ended are forgotten, so memory follows the keys of the last minute."""
        current = int(now) // self.window * self.window
        with self._lock:
            self._windows = {who: w for who, w in self._windows.items() if w.start >= current}
            shares = [Share(who, w.start, w.unshared) for who, w in self._windows.items()]
            for w in self._windows.values():
                w.unshared = 0
        return shares

    def shared(self, shares: Sequence[Share], totals: Sequence[int]) -> None:
        """The shared totals the upserts of ``shares`` read back."""
        with self._lock:
            for share, total in zip(shares, totals, strict=True):
                entry = self._windows.get(share.who)
                if entry is not None and entry.start == share.start:
                    entry.others = max(total - (entry.ours - entry.unshared), 0)

    def unshare(self, shares: Sequence[Share]) -> None:
        """Counts that could not be shared (the database was unreachable) wait for the next turn."""
        with self._lock:
            for share in shares:
                entry = self._windows.get(share.who)
                if entry is not None and entry.start == share.start:
                    entry.unshared += share.hits


def shared_total(who: str, start: int) -> Steps[int]:
    """What every process has counted for ``who`` in the window starting at ``start`` (read once
    per key and window by a process that starts counting it: one read, never a write)."""
    row = yield One("SELECT hits FROM rate_counts WHERE who = :who AND window_start = :start",
                    {"who": who, "start": start})
    return int(row[0]) if row else 0


_ADD = text(
    "INSERT INTO rate_counts (who, window_start, hits) VALUES (:who, :start, :hits) "
    "ON CONFLICT (who, window_start) DO UPDATE SET hits = rate_counts.hits + excluded.hits RETURNING hits"
)


def add_counts(db: Database, shares: Sequence[Share], *, now: float) -> list[int]:
    """Add each share to its window's shared count, in one transaction; the totals after.
    Windows that ended a minute ago or more are deleted on the way."""
    with db.write() as conn:
        totals = [conn.execute(_ADD, {"who": s.who, "start": s.start, "hits": s.hits}).scalar_one() for s in shares]
        conn.execute(delete(rate_counts).where(rate_counts.c.window_start < int(now) - 2 * WINDOW_SECONDS))
    return totals
