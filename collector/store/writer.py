"""The single writer: every write goes through one thread that batches jobs into transactions.

One-row transactions are 10–20× slower than a batch (DESIGN.md §4), so request handlers submit a
job and wait; the writer takes whatever is queued (up to ``batch_max``), runs each job inside its
own SAVEPOINT of one transaction, commits once, and only then resolves the waiters. A job that
fails rolls back to its savepoint without spoiling the batch; a commit that fails (disk full)
fails every job of the batch, and nothing of it is acknowledged.
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
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class _Item:
    job: Job
    future: Future[Any] = field(default_factory=Future)
    raw: bool = False  # run outside any transaction (checkpoints)


class Writer:
    """Owns the write connection; ``submit`` from any thread, ``run`` from async code."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        batch_max: int = 256,
        after_batch: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._batch_max = batch_max
        self._after_batch = after_batch
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.committed = 0
        self.failed_commits = 0
        self.last_batch_seconds = 0.0

    def start(self) -> None:
        """Start the writer thread."""
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
        return self._queue.qsize()

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue a job; the future resolves after its batch is committed."""
        if self._thread is None:
            raise StoreUnavailable("writer is not running")
        item = _Item(job)
        self._queue.put(item)
        return item.future

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Queue a job and wait for its commit without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(job))

    def call(self, job: Callable[[sqlite3.Connection], T], timeout: float = 60) -> T:
        """Queue a job and wait for its commit (for synchronous callers)."""
        return self.submit(job).result(timeout=timeout)

    def checkpoint(self) -> tuple[int, int]:
        """Checkpoint the WAL into the database and truncate it; returns (log, checkpointed)
        frames."""
        item = _Item(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone(), raw=True)
        self._queue.put(item)
        _busy, frames, done = item.future.result(timeout=120)
        return int(frames), int(done)

    def _loop(self) -> None:
        conn = self._connect()
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
                if batch:
                    self._run_batch(conn, batch)
                if raw is not None:
                    self._run_raw(conn, raw)
                if stop:
                    return
        finally:
            conn.close()

    @staticmethod
    def _run_raw(conn: sqlite3.Connection, item: _Item) -> None:
        try:
            item.future.set_result(item.job(conn))
        except Exception as err:  # noqa: BLE001 - handed to the caller
            item.future.set_exception(err)

    @staticmethod
    def _run_job(conn: sqlite3.Connection, item: _Item) -> tuple[_Item, Any, BaseException | None]:
        """One job in its own savepoint; its error is handed to the waiting request, except a
        storage failure, which fails the whole batch."""
        conn.execute("SAVEPOINT job")
        try:
            value = item.job(conn)
        except Exception as err:
            if storage_failure(err):
                raise  # a full disk: nothing of this batch can be committed
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return item, None, err
        conn.execute("RELEASE job")
        return item, value, None

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Item]) -> None:
        started = time.perf_counter()
        results: list[tuple[_Item, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for item in batch:
                results.append(self._run_job(conn, item))
            if self._after_batch is not None:
                conn.execute("SAVEPOINT after")
                try:
                    self._after_batch(conn)
                    conn.execute("RELEASE after")
                except Exception:
                    log.exception("post-batch work failed; batch is kept")
                    conn.execute("ROLLBACK TO after")
                    conn.execute("RELEASE after")
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            self.failed_commits += 1
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            log.error("batch of %d not committed: %s", len(batch), err)
            failure = StoreUnavailable(f"database write failed: {err}")
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(failure)
            return
        self.batches += 1
        self.committed += len(batch)
        self.last_batch_seconds = time.perf_counter() - started
        for item, value, error in results:
            if error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(value)
