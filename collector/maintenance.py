"""Periodic housekeeping: retention of old events and reports, and WAL checkpoints.

Runs as write jobs through the single writer, so it never races ingest. The WAL file is truncated
after a checkpoint so it stays bounded even under constant ingest.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from collector.store import Store

log = logging.getLogger("canh.collector.maintenance")


def prune(
    conn: sqlite3.Connection, now: float, event_days: int, report_days: int
) -> tuple[int, int]:
    """Delete change events and report receipts older than their retention."""
    events = conn.execute("DELETE FROM events WHERE at < ?", (now - event_days * 86400,)).rowcount
    # The log of received reports. Rows past the mark hold receipts not yet copied to their
    # hosts, and the row at the mark keeps log ids growing (collector/store/receipts.py).
    reports = conn.execute(
        "DELETE FROM reports WHERE received_at < ? AND id < (SELECT log_id FROM receipt_mark)",
        (now - report_days * 86400,),
    ).rowcount
    return events, reports


class Maintenance:
    """A daemon thread that prunes and checkpoints every ``interval`` seconds."""

    def __init__(self, store: Store, interval: float, event_days: int, report_days: int) -> None:
        self.store = store
        self.interval = interval
        self.event_days = event_days
        self.report_days = report_days
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="canh-maintenance", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_once(self) -> tuple[int, int]:
        """Prune, then checkpoint the WAL."""
        pruned = self.store.writer.call(
            lambda conn: prune(conn, time.time(), self.event_days, self.report_days)
        )
        self.store.writer.checkpoint()
        return pruned

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                events, reports = self.run_once()
                if events or reports:
                    log.info("pruned %d events and %d report receipts", events, reports)
            except Exception:
                log.exception("maintenance failed; will retry")
