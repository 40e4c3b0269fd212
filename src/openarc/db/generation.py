"""A change stamp shared by every process that opens one SQLite database.

Eight bytes in a file beside the database (``<db>-keys``), mapped into each process's
memory: reading the stamp is a memory read (no system call, no lock, the GIL kept),
and a process that changes what the stamp guards writes a fresh random value there
after its transaction commits, which every other process sees at its next read.
Random rather than counted, so two changes at once can never leave the stamp as it
was (no read-modify-write to race).  Only processes on one machine share it: that is
SQLite's deployment; PostgreSQL has no such file.

The file must stay in place while OpenArc runs, like SQLite's ``-shm``: a worker keeps
the mapping of the file it opened, so one deleted or replaced underneath sees no more
stamps (the cache's 10-second bound still holds), and one truncated under a mapping
makes the next read fault.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

SIZE = 8


class Generation:
    def __init__(self, path: Path, *, owner: os.stat_result | None = None) -> None:
        """Map ``path``, creating it if needed with ``owner``'s permissions (and, as root, its
        owner), as SQLite does for its ``-wal`` and ``-shm`` files: whoever may write the
        database may stamp it, and a CLI run as root does not lock the server out."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            stat = os.fstat(fd)
            if stat.st_size < SIZE:  # new: readable and writable by whoever may use the database
                if owner is not None:
                    os.fchmod(fd, owner.st_mode & 0o666)
                os.ftruncate(fd, SIZE)  # zeros; several processes doing this at once agree
            if owner is not None and os.geteuid() == 0 and (stat.st_uid, stat.st_gid) != (owner.st_uid, owner.st_gid):
                os.fchown(fd, owner.st_uid, owner.st_gid)
            self._map: mmap.mmap | None = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)  # the mapping keeps the file

    @classmethod
    def beside(cls, database: Path, suffix: str) -> Generation:
        """The stamp file beside the database file itself: like SQLite's own ``-wal``, beside
        the file a symbolic link points to, so every process finds the same one however it
        spelled the database's path."""
        real = Path(os.path.realpath(database))
        return cls(real.with_name(real.name + suffix), owner=os.stat(real))

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
