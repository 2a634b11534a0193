"""The single writer: one connection that batches jobs into transactions.

One-row transactions are 10–20× slower than a batch (DESIGN.md §4), so callers submit a job and
wait; the writer takes whatever is queued (up to ``batch_max``), runs each job inside its own
SAVEPOINT of one transaction, commits once, and only then resolves the waiters. A job that fails
rolls back to its savepoint without spoiling the batch; a commit that fails (disk full) fails
every job of the batch, and nothing of it is acknowledged. ``on_end`` hears whether each batch
committed or rolled back (the report receipts held in memory count only once committed).

Two ways in, one connection guarded by one lock:

- ``submit``/``call``/``run``: the writer thread's queue, for any thread and any job.
- ``run_inline``: report ingest, from the event loop. Its jobs are batched per event-loop turn and
  run on the loop's own thread. Handing each report to the writer thread made the two threads
  trade the GIL at every SQLite call (sqlite3 releases it around each step): batches of under two
  reports and twice the CPU per report (bench/ingest.py). A loop-side batch stops taking jobs
  after ``INLINE_SLICE`` seconds so other requests (health checks, the API) are not held up.
  Loop-side jobs must be cheap: a job that finds it has real work to do (a report that changes
  facts, hence findings, scores and alerts) raises :class:`RunOnThread` before writing anything,
  and the writer thread runs its replacement, after-batch hooks included, before the waiter
  is answered. After-batch hooks run in a loop-side batch only when ``hooks_due`` says so.
  A loop-side job runs without a savepoint: ingest jobs raise before they write or not at all.
  If a job wrote and then raised, its batch is rolled back and every job of it runs again on the
  writer thread, each in its own savepoint.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from collector.errors import StoreUnavailable

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
log = logging.getLogger("canh.collector.writer")
# Result codes that mean the storage failed, not the job: the whole batch is abandoned (503) —
# SQLite may already have rolled the transaction back (https://sqlite.org/lang_transaction.html).
STORAGE_FAILURES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_CORRUPT,
    }
)


def storage_failure(err: BaseException) -> bool:
    """A SQLite error caused by the disk or the database file rather than by the job."""
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(err, sqlite3.Error) and code is not None and code & 0xFF in STORAGE_FAILURES


INLINE_SLICE = 0.010  # seconds of job time per loop-side batch before the loop gets a turn
INLINE_RETRY = 0.001  # seconds before a loop-side batch retries while the thread holds the lock


class RunOnThread(Exception):
    """Raised by a job in a loop-side batch, before it writes: run ``job`` on the thread."""

    def __init__(self, job: Job) -> None:
        super().__init__("run on the writer thread")
        self.job = job


@dataclass(frozen=True, slots=True)
class _Handoff:
    job: Job


@dataclass(slots=True)
class _Item:
    job: Job
    future: Future[Any] | asyncio.Future[Any]
    raw: bool = False  # run outside any transaction (checkpoints)


class _WroteThenFailed(Exception):
    """A loop-side job raised after it had written; ``replacement``: the thread job it asked for
    (RunOnThread), if any."""

    def __init__(self, item: _Item, replacement: Job | None) -> None:
        super().__init__("a loop-side job failed after writing")
        self.item = item
        self.replacement = replacement


class Writer:
    """Owns the write connection; ``submit`` from any thread, ``run`` from async code."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        batch_max: int = 256,
        after_batch: Callable[[sqlite3.Connection], None] | None = None,
        hooks_due: Callable[[], bool] | None = None,
        on_end: Callable[[bool], None] | None = None,
    ) -> None:
        self._connect = connect
        # Told whether each batch's transaction committed (True) or rolled back (False).
        self._on_end = on_end
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._batch_max = batch_max
        self._after_batch = after_batch
        self._hooks_due = hooks_due
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # held while the connection is in use
        self._conn: sqlite3.Connection | None = None
        self._inline: list[_Item] = []
        self._inline_handle: asyncio.Handle | asyncio.TimerHandle | None = None
        self._inline_loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.committed = 0
        self.failed_commits = 0
        self.last_batch_seconds = 0.0

    def start(self) -> None:
        """Open the connection and start the writer thread."""
        self._conn = self._connect()
        self._thread = threading.Thread(target=self._loop, name="canh-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish queued jobs, then stop."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def depth(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize() + len(self._inline)

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue a job; the future resolves after its batch is committed."""
        if self._thread is None:
            raise StoreUnavailable("writer is not running")
        future: Future[T] = Future()
        self._queue.put(_Item(job, future))
        return future

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Queue a job and wait for its commit without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(job))

    async def run_inline(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """From the event loop: batch the job with the others of this loop turn, run the batch on
        the loop's thread, answer after its commit (or after the thread ran its replacement)."""
        if self._thread is None:
            raise StoreUnavailable("writer is not running")
        loop = asyncio.get_running_loop()
        if self._inline and loop is not self._inline_loop:
            # Another event loop's batch is pending (two servers on one store): use the thread.
            return await asyncio.wrap_future(self.submit(job))
        self._inline_loop = loop
        future: asyncio.Future[Any] = loop.create_future()
        self._inline.append(_Item(job, future))
        if self._inline_handle is None:
            self._inline_handle = loop.call_soon(self._flush_inline, loop)
        value = await future
        while isinstance(value, _Handoff):
            value = await asyncio.wrap_future(self.submit(value.job))
        result: T = value
        return result

    def _flush_inline(self, loop: asyncio.AbstractEventLoop) -> None:
        self._inline_handle = None
        if not self._lock.acquire(blocking=False):
            self._inline_handle = loop.call_later(INLINE_RETRY, self._flush_inline, loop)
            return
        try:
            batch, self._inline = self._inline[: self._batch_max], self._inline[self._batch_max :]
            if self._conn is None:
                for item in batch:
                    _resolve(item, None, StoreUnavailable("writer is not running"))
            else:
                deadline = time.perf_counter() + INLINE_SLICE
                self._inline[:0] = self._run_batch(
                    self._conn, batch, deadline, hooks=False, loop_side=True
                )
        finally:
            self._lock.release()
        if self._inline:
            self._inline_handle = loop.call_soon(self._flush_inline, loop)

    def call(self, job: Callable[[sqlite3.Connection], T], timeout: float = 60) -> T:
        """Queue a job and wait for its commit (for synchronous callers)."""
        return self.submit(job).result(timeout=timeout)

    def checkpoint(self) -> tuple[int, int]:
        """Checkpoint the WAL into the database and truncate it; returns (log, checkpointed)
        frames."""
        future: Future[tuple[int, int, int]] = Future()
        self._queue.put(
            _Item(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone(), future, True)
        )
        _busy, frames, done = future.result(timeout=120)
        return int(frames), int(done)

    def _loop(self) -> None:
        conn = self._conn
        assert conn is not None  # opened by start()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < self._batch_max and not batch[-1].raw:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                raw = batch.pop() if batch[-1].raw else None
                with self._lock:
                    if batch:
                        self._run_batch(conn, batch)
                    if raw is not None:
                        self._run_raw(conn, raw)
                if stop:
                    return
        finally:
            with self._lock:
                self._conn = None
                conn.close()

    @staticmethod
    def _run_raw(conn: sqlite3.Connection, item: _Item) -> None:
        try:
            value = item.job(conn)
        except Exception as err:  # noqa: BLE001 - handed to the caller
            _resolve(item, None, err)
        else:
            _resolve(item, value, None)

    @staticmethod
    def _run_job(conn: sqlite3.Connection, item: _Item) -> tuple[_Item, Any, BaseException | None]:
        """One job in its own savepoint; its error is handed to the waiting request, except a
        storage failure, which fails the whole batch."""
        conn.execute("SAVEPOINT job")
        try:
            value = item.job(conn)
        except RunOnThread as handoff:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return item, _Handoff(handoff.job), None
        except Exception as err:
            if storage_failure(err):
                raise  # a full disk: nothing of this batch can be committed
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return item, None, err
        conn.execute("RELEASE job")
        return item, value, None

    @staticmethod
    def _run_loop_job(
        conn: sqlite3.Connection, item: _Item
    ) -> tuple[_Item, Any, BaseException | None]:
        """One loop-side job, without a savepoint (two statements, ~3 µs a report). Ingest jobs
        raise before they write or not at all, which ``total_changes`` confirms; a job that
        wrote and then raised undoes its whole batch (``_run_batch`` reruns it on the thread)."""
        before = conn.total_changes
        try:
            value = item.job(conn)
        except RunOnThread as handoff:
            if conn.total_changes != before:
                raise _WroteThenFailed(item, handoff.job) from handoff
            return item, _Handoff(handoff.job), None
        except Exception as err:
            if storage_failure(err):
                raise
            if conn.total_changes != before:
                raise _WroteThenFailed(item, None) from err
            return item, None, err
        return item, value, None

    def _run_batch(
        self,
        conn: sqlite3.Connection,
        batch: list[_Item],
        deadline: float | None = None,
        hooks: bool = True,
        loop_side: bool = False,
    ) -> list[_Item]:
        """Run and commit the batch; past ``deadline`` the remaining jobs are returned unrun.
        The after-batch hooks run in the same transaction: always with ``hooks``, otherwise only
        when ``hooks_due`` says the jobs left them work."""
        run_job = self._run_loop_job if loop_side else self._run_job
        started = time.perf_counter()
        results: list[tuple[_Item, Any, BaseException | None]] = []
        rest: list[_Item] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for index, item in enumerate(batch):
                if deadline is not None and index and time.perf_counter() > deadline:
                    rest = batch[index:]
                    batch = batch[:index]
                    break
                results.append(run_job(conn, item))
            due = hooks or self._hooks_due is None or self._hooks_due()
            if due and self._after_batch is not None:
                conn.execute("SAVEPOINT after")
                try:
                    self._after_batch(conn)
                    conn.execute("RELEASE after")
                except Exception:
                    log.exception("post-batch work failed; batch is kept")
                    conn.execute("ROLLBACK TO after")
                    conn.execute("RELEASE after")
            conn.execute("COMMIT")
        except _WroteThenFailed as failed:
            conn.execute("ROLLBACK")
            self._ended(committed=False)
            for item in batch:  # each runs again on the thread, in its own savepoint
                job = failed.replacement if item is failed.item else None
                _resolve(item, _Handoff(job or item.job), None)
            return rest
        except sqlite3.Error as err:
            self.failed_commits += 1
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._ended(committed=False)
            log.error("batch of %d not committed: %s", len(batch), err)
            failure = StoreUnavailable(f"database write failed: {err}")
            for item in batch:
                _resolve(item, None, failure)
            return rest
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._ended(committed=False)
            raise
        self._ended(committed=True)
        self.batches += 1
        self.committed += len(batch)
        self.last_batch_seconds = time.perf_counter() - started
        for item, value, error in results:
            _resolve(item, value, error)
        return rest

    def _ended(self, committed: bool) -> None:
        if self._on_end is not None:
            self._on_end(committed)


def _resolve(item: _Item, value: Any, error: BaseException | None) -> None:
    """Hand a job's outcome to its waiter (a waiter that gave up is skipped)."""
    if item.future.done():  # an abandoned asyncio waiter is cancelled
        return
    if error is not None:
        item.future.set_exception(error)
    else:
        item.future.set_result(value)
