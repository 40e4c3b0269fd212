"""Group commit for SQLite: the write transactions of one event-loop tick share one COMMIT.

On this kind of machine a COMMIT in WAL mode costs about 65 µs (the dirty pages of the
table and its five indexes written to the WAL), an INSERT about 18 µs: committing each
create on its own spends most of its time committing.  Here every write submitted while
the event loop runs one batch of ready callbacks is queued; the next iteration runs them
all in one ``BEGIN IMMEDIATE … COMMIT``, each inside its own SAVEPOINT so a failing one
(a validation or constraint error) is rolled back alone, and only after the COMMIT has
returned does any of them get its result.  Nobody is answered before their write is as
durable as the ``synchronous`` setting makes a single commit.

The batch runs synchronously in one callback on the event-loop thread: the write lock is
never held across an ``await``, so a write elsewhere on the same thread (a SQLAlchemy
``db.write()``) cannot find it taken by a transaction that is waiting for the loop.  For the
same reason a write function must be plain synchronous code on the ``Raw`` it is given: it
must not await, nor open a transaction of its own (``db.write()``, ``db.raw.write()``).
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from openarc.db.raw import Raw, RawAccess

T = TypeVar("T")

#: A batch larger than this is split, so one commit's latency stays bounded.
MAX_BATCH = 256


class WriterLock:
    """An exclusive ``flock`` on a file beside the database, held around each group commit.

    SQLite lets one writer in at a time; a second process's ``BEGIN IMMEDIATE`` finds the
    lock taken and SQLite's busy handler sleeps 1, 2, 5, 10… ms between retries, long after
    the first commit (about 0.6 ms) is done.  With two workers that put 34 ms on the
    create p99.  Workers that take turns on a file lock instead, retried every 50–500 µs,
    get in right after the commit before them.  (A separate file, never the database
    itself: closing any descriptor of the database would drop the POSIX locks SQLite
    holds on it.)  Writers that do not take it (the CLI, the dashboard's SQLAlchemy
    writes) still meet SQLite's own lock and its busy timeout, so correctness never
    depends on this file.
    """

    def __init__(self, path: Path, *, patience: float = 1.0) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._patience = patience
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits.  A lock that cannot be taken at all
        (closed at shutdown, or the system refuses) counts as taken: the commit then meets
        SQLite's own lock, which is what ordering the writes rests on anyway."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except (OSError, ValueError):  # ValueError: the file was closed (descriptor -1)
            return True
        self.held = True
        return True

    def acquire(self) -> bool:
        """Wait at most ``patience`` seconds for the lock; whether it was taken.  A holder
        that takes longer is itself waiting on SQLite (behind the CLI, say): then the caller
        stops queueing here and meets SQLite's lock and busy timeout directly, so no worker
        waits more than its own busy timeout plus ``patience``."""
        deadline = time.monotonic() + self._patience
        pause = 0.00005
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.0005)
        return True

    def release(self) -> None:
        if self.held:
            self.held = False
            if self._fd >= 0:  # closing the file let go of the lock already
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


@dataclass(slots=True)
class _Write:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    result: Any = None
    error: Exception | None = None


@dataclass
class GroupCommit:
    raw: RawAccess
    #: Serving processes of one SQLite file take turns through this (see ``WriterLock``).
    lock: WriterLock | None = None
    _queue: list[_Write] = field(default_factory=list)
    _scheduled: bool = False
    #: Waits for ``lock`` off the event loop (see ``_flush``).
    _waiter: ThreadPoolExecutor | None = None
    #: Batches and writes committed, and batches that found the lock taken (for the
    #: benchmark's report and the tests).
    batches: int = 0
    writes: int = 0
    waits: int = 0
    _closed: bool = False

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(raw, *args, **kwargs)`` inside the next group transaction; its result once committed."""
        if inspect.iscoroutinefunction(fn):
            raise TypeError("group-commit writes are synchronous: they must not await")
        if self._closed:
            raise RuntimeError("the server is stopping: the write was not carried out")
        loop = asyncio.get_running_loop()
        write = _Write(fn, args, kwargs, loop.create_future())
        self._queue.append(write)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await write.future

    def _flush(self, waited: asyncio.Future[bool] | None = None) -> None:
        """Commit what is queued.  When another worker holds the writer lock, a helper thread
        waits for it instead of the event loop: meanwhile this worker goes on reading and
        validating requests, whose writes join the batch that commits once the lock is ours."""
        if self._closed:
            self._scheduled = False
            return self._refuse()
        if waited is not None and not waited.cancelled():
            waited.exception()  # a wait that failed (the file closed under it): go on without
        lock = self.lock
        if lock is not None and waited is None and not lock.try_acquire():
            if self._waiter is None:
                self._waiter = ThreadPoolExecutor(1, thread_name_prefix="openarc-writer-lock")
            self.waits += 1
            try:
                pending = asyncio.get_running_loop().run_in_executor(self._waiter, lock.acquire)
            except RuntimeError:  # shutting down: queue behind SQLite's own lock instead
                pass
            else:
                pending.add_done_callback(self._flush)
                return
        self._scheduled = False
        queue, self._queue = self._queue, []
        try:
            for start in range(0, len(queue), MAX_BATCH):
                self._commit(queue[start:start + MAX_BATCH])
        finally:
            if lock is not None:
                lock.release()
            # Whatever went wrong above, nobody is left waiting for an answer that never comes.
            for write in queue:
                if not write.future.done():
                    write.future.set_exception(RuntimeError("the write was not carried out"))

    def _commit(self, batch: list[_Write]) -> None:
        alone = len(batch) == 1
        try:
            with self.raw.write() as raw:
                for write in batch:
                    if write.future.cancelled():  # its client went away before the batch ran
                        continue
                    if alone:
                        write.result = write.fn(raw, *write.args, **write.kwargs)
                    else:
                        _in_savepoint(raw, write)
        except Exception as exc:  # noqa: BLE001 - the transaction failed as a whole: so did every write
            for write in batch:
                write.error = write.error or exc
        self.batches += 1
        self.writes += len(batch)
        for write in batch:
            if write.future.done():  # cancelled: its client went away
                continue
            if write.error is None:
                write.future.set_result(write.result)
            else:
                write.future.set_exception(write.error)

    def _refuse(self) -> None:
        queue, self._queue = self._queue, []
        for write in queue:
            if not write.future.done():
                write.future.set_exception(RuntimeError("the server is stopping: the write was not carried out"))

    def close(self) -> None:
        """Refuse what is still queued (a batch waiting for the lock included), stop the
        waiting thread and close the lock's file."""
        self._closed = True
        self._refuse()
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.shutdown(wait=True, cancel_futures=True)
        if self.lock is not None:
            self.lock.close()


def _in_savepoint(raw: Raw, write: _Write) -> None:
    raw.run("SAVEPOINT one_write", {})
    try:
        write.result = write.fn(raw, *write.args, **write.kwargs)
    except Exception as exc:  # noqa: BLE001 - handed to its own caller, the others go on
        write.error = exc
        raw.run("ROLLBACK TO one_write", {})
    raw.run("RELEASE one_write", {})
