"""The time OpenArc believes it is: the wall clock, or a frozen/advanced one in the sandbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Unix seconds.  ``offset`` shifts the wall clock; ``frozen`` pins it."""

    def __init__(self) -> None:
        self.offset = 0
        self.frozen: int | None = None

    def now(self) -> int:
        if self.frozen is not None:
            return self.frozen
        return int(time.time()) + self.offset

    def year_month(self) -> tuple[int, int]:
        """Today's (year, month) in UTC: what card expiry dates are compared with."""
        today = datetime.fromtimestamp(self.now(), UTC)
        return today.year, today.month

    def freeze(self, at: int | None = None) -> int:
        self.frozen = self.now() if at is None else at
        return self.frozen

    def advance(self, seconds: int) -> int:
        if self.frozen is not None:
            self.frozen += seconds
        else:
            self.offset += seconds
        return self.now()

    def reset(self) -> None:
        self.offset = 0
        self.frozen = None
