"""Group commit (db.group): the writes of one event-loop tick share one SQLite transaction,
yet each succeeds or fails on its own and nobody hears of a write before it is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from openarc.config import Settings
from openarc.context import AppContext, build_context
from openarc.db.group import WriterLock
from openarc.db.raw import Raw
from openarc.db.steps import run
from openarc.errors import Invalid
from openarc.services import accounts, customers

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    # Group commit is SQLite's; PostgreSQL commits each write on its own (tested everywhere else).
    return Settings(database_url=f"sqlite:///{tmp_path / 'group.db'}")


def _count(path: str) -> int:
    with sqlite3.connect(path) as other:  # a second connection sees only what was committed
        return other.execute("SELECT count(*) FROM customers").fetchone()[0]


def test_a_tick_of_writes_is_one_transaction_and_each_fails_alone(sqlite_settings: Settings) -> None:
    ctx = build_context(sqlite_settings)
    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    account = accounts.ensure_account(ctx.db, "group", now=1)
    committed_when_answered: list[int] = []

    def insert(raw: Raw, i: int) -> customers.Customer:
        if i == 3:
            run(raw, customers.create(account.id, customers.clean({"name": "Never Stored"}), now=1))
            raise Invalid.one("name", "refused after writing")
        return run(raw, customers.create(account.id, customers.clean({"name": f"Person {chr(97 + i)}"}), now=1))

    async def one(i: int) -> customers.Customer:
        created = await ctx.write(insert, i)
        committed_when_answered.append(_count(path))
        return created

    async def main() -> list[customers.Customer | BaseException]:
        return await asyncio.gather(*(one(i) for i in range(8)), return_exceptions=True)

    try:
        results = asyncio.run(main())
        group = ctx._group
    finally:
        ctx.close()
    assert isinstance(results[3], Invalid)
    created = [r for r in results if isinstance(r, customers.Customer)]
    assert len(created) == 7
    # One batch, and every caller was answered only once all seven rows were committed.
    assert group is not None and (group.batches, group.writes) == (1, 8)
    assert committed_when_answered == [7] * 7
    # The failed write's row was rolled back; the others' prefixes are distinct.
    assert _count(path) == 7
    assert len({c.invoice_prefix for c in created}) == 7


def test_a_write_whose_caller_went_away_is_not_run(sqlite_settings: Settings) -> None:
    ctx = build_context(sqlite_settings)
    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    account = accounts.ensure_account(ctx.db, "group", now=1)

    def insert(raw: Raw, name: str) -> customers.Customer:
        return run(raw, customers.create(account.id, customers.clean({"name": name}), now=1))

    async def main() -> list[object]:
        first = asyncio.ensure_future(ctx.write(insert, "First Person"))
        gone = asyncio.ensure_future(ctx.write(insert, "Gone Person"))
        await asyncio.sleep(0)  # both are queued; the batch runs on the next tick
        gone.cancel()
        return await asyncio.gather(first, gone, return_exceptions=True)

    try:
        first, gone = asyncio.run(main())
    finally:
        ctx.close()
    assert isinstance(first, customers.Customer) and isinstance(gone, asyncio.CancelledError)
    assert _count(path) == 1


def test_the_writer_lock_admits_one_holder_at_a_time(tmp_path: Path) -> None:
    import threading

    first, second = WriterLock(tmp_path / "db-writer"), WriterLock(tmp_path / "db-writer")
    entered = threading.Event()

    def take_second() -> None:
        with second:
            entered.set()

    try:
        with first:
            waiter = threading.Thread(target=take_second)
            waiter.start()
            # Separate opens of the file conflict like separate processes do.
            assert not entered.wait(0.2)
        assert entered.wait(5)  # woken as soon as the first holder let go
        waiter.join()
    finally:
        first.close()
        second.close()


def test_a_worker_stops_queueing_behind_a_holder_that_takes_too_long(tmp_path: Path) -> None:
    holder, impatient = WriterLock(tmp_path / "db-writer"), WriterLock(tmp_path / "db-writer", patience=0.05)
    try:
        with holder, impatient:  # entered anyway: SQLite's own lock still orders the writes
            pass
        with impatient, holder:  # and the lock it did not get is not released by it
            pass
    finally:
        holder.close()
        impatient.close()
        impatient.close()  # closing twice is harmless


def _with_the_lock_elsewhere(settings: Settings) -> tuple[AppContext, str, Callable[[Raw, str], customers.Customer], WriterLock]:
    """A serving context, its file, a create to submit, and another worker's writer lock (not yet taken)."""
    ctx = build_context(settings)
    path = settings.database_url.removeprefix("sqlite:///")
    account = accounts.ensure_account(ctx.db, "group", now=1)

    def insert(raw: Raw, name: str) -> customers.Customer:
        return run(raw, customers.create(account.id, customers.clean({"name": name}), now=1))

    return ctx, path, insert, WriterLock(Path(path + "-writer"))


def test_a_worker_waits_for_the_writer_lock_without_stalling_its_event_loop(sqlite_settings: Settings) -> None:
    ctx, path, insert, other_worker = _with_the_lock_elsewhere(sqlite_settings)

    async def main() -> tuple[int, list[customers.Customer]]:
        first = asyncio.ensure_future(ctx.write(insert, "First Person"))
        await asyncio.sleep(0.1)  # the loop runs on while the lock is held elsewhere
        assert not first.done() and _count(path) == 0
        # A write submitted meanwhile joins the batch that is waiting for the lock.
        second = asyncio.ensure_future(ctx.write(insert, "Second Person"))
        await asyncio.sleep(0.05)
        ticks = 0
        asyncio.get_running_loop().call_later(0.05, other_worker.release)
        while not (first.done() and second.done()):
            ticks += 1
            await asyncio.sleep(0.005)
        return ticks, [first.result(), second.result()]

    assert other_worker.try_acquire()
    try:
        ticks, created = asyncio.run(main())
        group = ctx._group
    finally:
        ctx.close()
        other_worker.close()
    assert ticks > 1 and len(created) == 2 and _count(path) == 2
    assert group is not None and (group.batches, group.writes, group.waits) == (1, 2, 1)


def test_writes_queued_when_the_app_stops_are_refused_not_left_waiting(sqlite_settings: Settings) -> None:
    ctx, path, insert, other_worker = _with_the_lock_elsewhere(sqlite_settings)

    async def main() -> list[object]:
        waiting = asyncio.ensure_future(ctx.write(insert, "Waiting Person"))
        await asyncio.sleep(0.05)  # its batch waits for the lock held elsewhere
        asyncio.get_running_loop().call_later(0.05, other_worker.release)
        ctx.close()  # the app stops meanwhile
        late = asyncio.ensure_future(ctx.write(insert, "Late Person"))
        return await asyncio.wait_for(asyncio.gather(waiting, late, return_exceptions=True), 5)

    assert other_worker.try_acquire()
    try:
        outcomes = asyncio.run(main())
    finally:
        other_worker.close()
    assert all(isinstance(o, RuntimeError) and "stopping" in str(o) for o in outcomes), outcomes
    assert _count(path) == 0
