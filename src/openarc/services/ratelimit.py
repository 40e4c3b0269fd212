"""A per-merchant request budget per minute, in memory (per worker process).

Laravel's ``throttle`` as PayArc runs it: a fixed window that opens with a key's first
request and lasts a minute; every request in it counts; past the limit, requests are
refused until the window ends.  Counting in memory keeps reads from becoming writes;
with ``--workers N`` each worker counts on its own, so a key gets up to N times the
limit (README "Guarantees").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

WINDOW_SECONDS = 60


@dataclass(slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    #: Seconds until the window ends (``Retry-After`` when refused).
    reset_in: int
    #: Unix time at which the window ends.
    reset_at: int


class RateLimiter:
    def __init__(self, limit: int, window: int = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[bytes, list[float]] = {}  # who -> [window end, count]
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, who: bytes, now: float) -> Verdict:
        with self._lock:
            if now >= self._next_sweep:
                # Forget windows that have ended, so memory follows the keys of the last minute.
                self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
                self._next_sweep = now + self.window
            entry = self._windows.get(who)
            if entry is None or entry[0] <= now:
                entry = self._windows[who] = [now + self.window, 0]
            entry[1] += 1
            count = entry[1]
            ends = entry[0]
        reset_in = max(int(-(-(ends - now) // 1)), 1)
        return Verdict(count <= self.limit, self.limit, max(self.limit - int(count), 0), reset_in, int(ends))
