"""Opening the SQLite file: WAL mode, sane pragmas, migrations, per-thread read connections."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlite_utils

from collector.store.receipts import recover
from collector.store.schema import migrate


def connect(
    path: Path, readonly: bool = False, autocheckpoint_pages: int = 1000
) -> sqlite3.Connection:
    """A connection with the pragmas every canh connection uses; the writer's checkpoints less
    often than SQLite's default (``collector/store/checkpoint.py`` does most of it)."""
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash or power
        # loss may lose the last transactions, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA journal_size_limit = 67108864")
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint_pages)}")
    return conn


def open_database(path: Path) -> None:
    """Create or migrate the database file, then bring every host's receipt up to the log."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn = connect(path)
    try:
        migrate(conn)
        recover(conn)
    finally:
        conn.close()


class Readers:
    """One read connection per thread (SQLite connections are not shared across threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils view of the database."""
        db = getattr(self._local, "db", None)
        if db is None:
            conn = connect(self.path)
            conn.row_factory = sqlite3.Row
            with self._lock:
                self._all.append(conn)
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close every reader."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
