"""Copying the WAL back into the database, mostly off the write path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses its page count, on the writer's
connection: with ingest batched on the event loop, copying 1,000 pages there stalled the loop and
cost about 30 µs a report (bench/ingest.py). So this thread, on its own connection, runs a PASSIVE
checkpoint every ``interval`` seconds: it copies committed frames without blocking the writer or
readers, in one SQLite call (the thread holds no GIL while it works). It cannot restart the WAL
while the writer keeps appending, so the writer keeps a larger automatic checkpoint
(``WRITER_AUTOCHECKPOINT_PAGES``): by the time that fires, this thread has copied nearly every
frame, the writer copies the rest, and its next transaction starts the WAL over. The file stays
bounded near that page count.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from collector.store.database import connect

log = logging.getLogger("canh.collector.checkpoint")
INTERVAL_SECONDS = 0.25
WRITER_AUTOCHECKPOINT_PAGES = 4000  # 16 MiB of 4 KiB pages


class Checkpointer:
    """A daemon thread running PASSIVE checkpoints of ``path``'s WAL."""

    def __init__(self, path: Path, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.runs = 0  # checkpoints that copied frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="canh-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        conn = connect(self.path)
        last = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    # (busy, frames in the WAL, frames copied so far)
                    result = tuple(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
                except Exception:
                    log.exception("WAL checkpoint failed; will retry")
                    continue
                if result[2] and result != last:
                    self.runs += 1
                last = result
        finally:
            conn.close()
