"""The time OpenArc believes it is: the wall clock, or, in the sandbox, one a merchant moved.

A process has one clock.  Its own setting (``offset`` from the wall clock, or ``frozen`` at
an instant) is what every merchant sees by default; a test that builds the app in-process
moves it directly.  The sandbox's ``/_openarc/clock`` controls move a *merchant's* clock
only: a merchant's setting, once made, is what ``now(account_id)`` answers for that
merchant, and no other merchant's time changes (a shared clock let one test suite expire
another's tokens and settle another's charges).  Resetting a merchant drops its setting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

#: The latest instant a clock may be set to (9000-01-01 UTC): every date the API derives from
#: it (token expiry, cut-offs, authorization expiry) still has a year of four digits.
LATEST = 221_845_392_000
EARLIEST = 0


@dataclass(slots=True)
class Setting:
    offset: int = 0
    frozen: int | None = None

    def now(self) -> int:
        return self.frozen if self.frozen is not None else int(time.time()) + self.offset


class Clock:
    """Unix seconds, for the process and, where the sandbox moved it, per merchant."""

    def __init__(self) -> None:
        self._process = Setting()
        self._merchants: dict[int, Setting] = {}

    def _setting(self, account_id: int | None) -> Setting:
        if account_id is None or not self._merchants:
            return self._process
        return self._merchants.get(account_id, self._process)

    def _own(self, account_id: int | None) -> Setting:
        """The setting a change applies to: the merchant's own (a copy of the process's when
        it has none yet), or the process's."""
        if account_id is None:
            return self._process
        found = self._merchants.get(account_id)
        if found is None:
            found = self._merchants[account_id] = Setting(self._process.offset, self._process.frozen)
        return found

    def now(self, account_id: int | None = None) -> int:
        return self._setting(account_id).now()

    def frozen(self, account_id: int | None = None) -> bool:
        return self._setting(account_id).frozen is not None

    def offset(self, account_id: int | None = None) -> int:
        return self._setting(account_id).offset

    def year_month(self, account_id: int | None = None) -> tuple[int, int]:
        """Today's (year, month) in UTC: what card expiry dates are compared with."""
        today = datetime.fromtimestamp(self.now(account_id), UTC)
        return today.year, today.month

    def freeze(self, at: int | None = None, account_id: int | None = None) -> int:
        setting = self._own(account_id)
        setting.frozen = setting.now() if at is None else at
        return setting.frozen

    def advance(self, seconds: int, account_id: int | None = None) -> int:
        setting = self._own(account_id)
        if setting.frozen is not None:
            setting.frozen += seconds
        else:
            setting.offset += seconds
        return setting.now()

    def reset(self, account_id: int | None = None) -> None:
        """Back to the wall clock: the merchant's (which then follows the process's again), or
        the process's own."""
        if account_id is None:
            self._process = Setting()
        else:
            self._merchants.pop(account_id, None)
