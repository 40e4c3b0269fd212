"""A change stamp shared by every process that opens one SQLite database.

Eight bytes in a file beside the database (``<db>-keys``), mapped into each process's
memory: reading the stamp is a memory read (no system call, no lock, the GIL kept),
and a process that changes what the stamp guards writes a fresh random value there
after its transaction commits, which every other process sees at its next read.
Random rather than counted, so two changes at once can never leave the stamp as it
was (no read-modify-write to race).  Only processes on one machine share it: that is
SQLite's deployment; PostgreSQL has no such file (``beside`` returns None).
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

SIZE = 8


class Generation:
    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)  # zeros; several processes doing this at once agree
            self._map: mmap.mmap | None = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)  # the mapping keeps the file

    @classmethod
    def beside(cls, database: Path | None, suffix: str) -> Generation | None:
        return None if database is None else cls(database.with_name(database.name + suffix))

    def read(self) -> bytes:
        assert self._map is not None
        return self._map[:SIZE]

    def bump(self) -> None:
        assert self._map is not None
        self._map[:SIZE] = os.urandom(SIZE)

    def close(self) -> None:
        mapped, self._map = self._map, None
        if mapped is not None:
            mapped.close()
