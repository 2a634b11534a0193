"""Each host's newest report receipt, kept in memory and copied to its ``hosts`` row in bulk.

A report that changes no facts writes one row: its receipt, appended to the ``reports`` log in
arrival order. The host's newest receipt (sequence, body hash, signature time, arrival) is what
ingest checks the next report against. Rewriting the ``hosts`` row for every report cost about
25 µs of CPU a report in bench/ingest.py (the row is about 4 KiB, and its page went through the
WAL and the checkpoint each time), so the newest receipt waits here and :meth:`Receipts.flush`
copies every waiting one in a single transaction about once a second.

The log is the durable record: a receipt is in memory only after the transaction holding its log
row has committed, and on open :func:`recover` copies the receipts of every log row past the
mark (``receipt_mark``: the log id up to which ``hosts`` reflects the log) to ``hosts``. So a
crash between two flushes loses nothing.

``hosts.receipt_id`` is the log id of the receipt a row holds. Re-enrolment sets it to the end of
the log, so the old key's receipts, in memory or in the log, never overwrite the new key's state.
Log ids only grow: retention keeps the row at the mark (``collector/maintenance.py``), so SQLite
never reuses a row id.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("canh.collector.receipts")
FLUSH_SECONDS = 1.0

# Guarded by receipt_id: an older receipt, or one from before a re-enrolment, changes nothing.
COPY_RECEIPT = (
    "UPDATE hosts SET last_seen = max(coalesce(last_seen, 0), ?), last_seq = ?, last_sha256 = ?, "
    "last_signed_at = ?, receipt_id = ? WHERE id = ? AND receipt_id < ?"
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """One accepted report of one host: its log row and what a resend is checked against."""

    log_id: int
    seq: int
    sha256: str
    signed_at: int
    received_at: float

    def row(self, host_id: str) -> tuple[float, int, str, int, int, str, int]:
        """The parameters of the copy to ``hosts``."""
        return (
            self.received_at,
            self.seq,
            self.sha256,
            self.signed_at,
            self.log_id,
            host_id,
            self.log_id,
        )


class Receipts:
    """Receipts not yet copied to ``hosts``. Used under the writer's lock only; the API reads
    :meth:`latest` from other threads (a dict lookup)."""

    def __init__(self) -> None:
        self._waiting: dict[str, Receipt] = {}  # committed, not yet in hosts
        self._staged: dict[str, Receipt] = {}  # of the open transaction
        self._copied: dict[str, Receipt] = {}  # written by a flush in the open transaction

    def current(self, host_id: str) -> Receipt | None:
        """The newest receipt of a host not yet in its row, this transaction's included."""
        return self._staged.get(host_id) or self._waiting.get(host_id)

    def latest(self, host_id: str) -> Receipt | None:
        """The newest committed receipt not yet in the host's row (for readers)."""
        return self._waiting.get(host_id)

    def stage(self, host_id: str, receipt: Receipt) -> None:
        """Hold a receipt whose log row is in the open transaction; it counts once committed."""
        self._staged[host_id] = receipt

    def ended(self, committed: bool) -> None:
        """The open transaction committed or rolled back (the writer calls this)."""
        if committed:
            self._waiting.update(self._staged)
            for host_id, receipt in self._copied.items():
                if self._waiting.get(host_id) is receipt:
                    del self._waiting[host_id]
        self._staged.clear()
        self._copied.clear()

    def pending(self) -> int:
        """Hosts whose newest receipt is not yet in their row."""
        return len(self._waiting)

    def flush(self, conn: sqlite3.Connection) -> int:
        """Copy every waiting receipt to ``hosts`` and move the mark, in the open transaction."""
        receipts = {**self._waiting, **self._staged}
        conn.executemany(COPY_RECEIPT, [r.row(host_id) for host_id, r in receipts.items()])
        conn.execute("UPDATE receipt_mark SET log_id = (SELECT coalesce(max(id), 0) FROM reports)")
        self._copied.update(receipts)
        return len(receipts)


def recover(conn: sqlite3.Connection) -> int:
    """Copy the receipts of log rows past the mark to ``hosts`` (after a crash or a restore);
    returns how many rows it read."""
    (mark,) = conn.execute("SELECT log_id FROM receipt_mark").fetchone()
    rows = conn.execute(
        "SELECT received_at, seq, body_sha256, signed_at, id, host_id, id FROM reports "
        "WHERE id > ? ORDER BY id",
        (mark,),
    ).fetchall()
    if rows:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(COPY_RECEIPT, rows)
            conn.execute("UPDATE receipt_mark SET log_id = ?", (rows[-1][4],))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("copied %d report receipts from the log to their hosts", len(rows))
    return len(rows)


class Flusher:
    """A daemon thread that has the writer run :meth:`Receipts.flush` every ``interval``."""

    def __init__(
        self,
        receipts: Receipts,
        call: Callable[[Callable[[sqlite3.Connection], int]], int],
        interval: float = FLUSH_SECONDS,
    ) -> None:
        self.receipts = receipts
        self.call = call
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="canh-receipts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (the store flushes once more before its writer stops)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            if self.receipts.pending():
                try:
                    self.call(self.receipts.flush)
                except Exception:
                    log.exception("copying report receipts failed; will retry")
