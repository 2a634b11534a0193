"""The single writer: loop-side ingest batches and the writer thread share one connection."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collector.errors import ApiError, StoreUnavailable
from collector.store import Store
from collector.store.writer import INLINE_SLICE, RunOnThread


def _insert(unit: str, pause: float = 0.0) -> Callable[[sqlite3.Connection], str]:
    def job(conn: sqlite3.Connection) -> str:
        time.sleep(pause)
        conn.execute("INSERT INTO units (id, name, created_at) VALUES (?, ?, 0)", (unit, unit))
        return unit

    return job


def _refuse(conn: sqlite3.Connection) -> None:
    conn.execute("SELECT count(*) FROM units").fetchone()
    raise ApiError(409, "replay", "refused before writing")


def _refuse_after_write(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO units (id, name, created_at) VALUES ('half', 'half', 0)")
    raise ApiError(409, "replay", "refused after a write")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "db.sqlite")
    store.start()
    yield store
    store.close()


def _units(store: Store) -> set[str]:
    return {row["id"] for row in store.query("SELECT id FROM units")}


def test_one_loop_turn_is_one_batch(store: Store) -> None:
    """Jobs queued in the same event-loop turn commit together; a refused job leaves nothing."""

    async def main() -> list[object]:
        before = store.writer.batches
        waiters = [store.writer.run_inline(_insert(f"u{i}")) for i in range(20)]
        waiters.insert(5, store.writer.run_inline(_refuse))
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert store.writer.batches == before + 1
        return results

    results = asyncio.run(main())
    assert isinstance(results[5], ApiError)
    assert [r for i, r in enumerate(results) if i != 5] == [f"u{i}" for i in range(20)]
    assert _units(store) == {f"u{i}" for i in range(20)}


def test_a_loop_job_that_fails_after_writing_undoes_nothing_but_itself(store: Store) -> None:
    """Loop-side jobs run without savepoints; one that wrote and then failed makes its batch roll
    back and run again on the thread, where only its own writes are undone."""

    async def main() -> list[object]:
        waiters = [store.writer.run_inline(_insert(f"u{i}")) for i in range(10)]
        waiters.insert(3, store.writer.run_inline(_refuse_after_write))
        return await asyncio.gather(*waiters, return_exceptions=True)

    failed = store.writer.failed_commits
    results = asyncio.run(main())
    assert isinstance(results[3], ApiError) and results[3].message == "refused after a write"
    assert [r for i, r in enumerate(results) if i != 3] == [f"u{i}" for i in range(10)]
    assert _units(store) == {f"u{i}" for i in range(10)}  # not 'half'
    assert store.writer.failed_commits == failed


def test_a_loop_batch_yields_after_its_time_slice(store: Store) -> None:
    """Slow jobs are split over several batches so the loop gets turns in between."""
    pause = INLINE_SLICE / 2.5
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> None:
        before = store.writer.batches
        tick = asyncio.create_task(ticker())
        await asyncio.gather(*(store.writer.run_inline(_insert(f"s{i}", pause)) for i in range(9)))
        tick.cancel()
        assert store.writer.batches - before >= 3
        assert ticks >= 3

    asyncio.run(main())
    assert _units(store) == {f"s{i}" for i in range(9)}


def test_thread_and_loop_writers_interleave(store: Store) -> None:
    """Thread jobs (API writes, maintenance) and loop batches never overlap on the connection."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        thread_jobs = [
            loop.run_in_executor(None, store.writer.call, _insert(f"t{i}", 0.002))
            for i in range(10)
        ]
        loop_jobs = [store.writer.run_inline(_insert(f"l{i}", 0.002)) for i in range(10)]
        await asyncio.gather(*thread_jobs, *loop_jobs)

    asyncio.run(main())
    assert _units(store) == {f"t{i}" for i in range(10)} | {f"l{i}" for i in range(10)}


def test_a_loop_job_hands_real_work_to_the_thread(store: Store) -> None:
    """A loop-side job that raises RunOnThread before writing is replaced by its thread job,
    and the waiter gets the replacement's answer once it is committed."""
    threads: list[str] = []

    def heavy(conn: sqlite3.Connection) -> str:
        threads.append(threading.current_thread().name)
        return _insert("heavy")(conn)

    def light_or_handoff(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO units (id, name, created_at) VALUES ('undone', 'x', 0)")
        raise RunOnThread(heavy)

    async def main() -> list[str]:
        return await asyncio.gather(
            store.writer.run_inline(light_or_handoff), store.writer.run_inline(_insert("light"))
        )

    assert asyncio.run(main()) == ["heavy", "light"]
    assert threads == ["canh-writer"]
    assert _units(store) == {"heavy", "light"}  # the hand-off's own write was rolled back


def test_stopped_writer_refuses(tmp_path: Path) -> None:
    """After close, a loop-side job is refused with 503's error, not left waiting."""
    store = Store(tmp_path / "db.sqlite")
    store.start()
    store.close()

    async def main() -> None:
        with pytest.raises(StoreUnavailable):
            await store.writer.run_inline(_insert("late"))

    asyncio.run(main())
