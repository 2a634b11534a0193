"""Online backup with SQLite's backup API, and restore into a stopped collector.

The backup copies a consistent snapshot while the collector keeps writing (sqlite3 backup(),
https://www.sqlite.org/backup.html). A restore refuses files that fail ``integrity_check`` or carry
a schema newer than this collector, and replaces the database atomically.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from collector.store.database import connect
from collector.store.schema import LATEST, current_version


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def backup(db_path: Path, dest: Path) -> int:
    """Copy the live database to ``dest`` (a new file); return its size in bytes."""
    if dest.exists():
        raise BackupError(f"{dest} exists; choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    source = connect(db_path)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target, pages=4096)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    except sqlite3.Error as err:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {err}") from err
    finally:
        source.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)
    return dest.stat().st_size


def verify(path: Path) -> int:
    """Check a backup file; return its schema version."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise BackupError(f"{path}: cannot open: {err}") from err
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = current_version(conn)
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path} is not a canh database: {err}") from err
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(f"{path} failed the integrity check: {result}")
    if version == 0 or version > LATEST:
        raise BackupError(f"{path} has schema {version}; this collector reads 1..{LATEST}")
    return version


def restore(src: Path, db_path: Path) -> None:
    """Replace the database with a verified backup (the collector must be stopped)."""
    verify(src)
    tmp = db_path.with_name(f".{db_path.name}.restore")
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    os.chmod(tmp, 0o600)
    os.replace(tmp, db_path)
