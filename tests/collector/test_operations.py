"""Operations: migrations from every earlier version, backup and restore, retention, WAL."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from collector.backup import BackupError, backup, restore, verify
from collector.maintenance import Maintenance
from collector.store import Store
from collector.store.checkpoint import INTERVAL_SECONDS, WRITER_AUTOCHECKPOINT_PAGES
from collector.store.database import connect
from collector.store.schema import LATEST, MIGRATIONS, current_version, migrate
from tests.collector.conftest import World


@pytest.mark.parametrize("start", range(1, LATEST + 1))
def test_migrate_from_every_version(tmp_path: Path, start: int) -> None:
    """A database built at any earlier version migrates to the newest with its data intact."""
    conn = connect(tmp_path / "db.sqlite")
    migrate(conn, target=start)
    conn.execute("INSERT INTO units (id, name, created_at) VALUES ('u1', 'Sở Y tế', 0)")
    conn.execute(
        "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, enrolled_at) "
        "VALUES ('h1', 'u1', 'pc', 'linux', x'00', 0)"
    )
    assert migrate(conn) == LATEST == len(MIGRATIONS)
    assert conn.execute("SELECT name FROM units").fetchone()[0] == "Sở Y tế"
    assert conn.execute("SELECT reenroll_until FROM hosts").fetchone()[0] == 0
    conn.close()


def test_fact_hashes_backfilled(tmp_path: Path) -> None:
    """Migration 5 fills each host's section hashes from the facts it already holds."""
    conn = connect(tmp_path / "db.sqlite")
    migrate(conn, target=4)
    conn.execute("INSERT INTO units (id, name, created_at) VALUES ('u1', 'Trạm Y tế', 0)")
    for host in ("h1", "h2"):
        conn.execute(
            "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, enrolled_at) "
            "VALUES (?, 'u1', 'pc', 'linux', x'00', 0)",
            (host,),
        )
    conn.executemany(
        "INSERT INTO facts (host_id, section, status, hash, data, collected_at) "
        "VALUES ('h1', ?, ?, ?, NULL, '2026-01-01T00:00:00Z')",
        [("ports", "ok", "abc"), ("patches", "error", None)],
    )
    migrate(conn)
    hashes = dict(conn.execute("SELECT id, fact_hashes FROM hosts").fetchall())
    assert json.loads(hashes["h1"]) == {"ports": ["ok", "abc"], "patches": ["error", None]}
    assert hashes["h2"] == "{}"
    conn.close()


def test_report_log_keeps_receipts_in_arrival_order(tmp_path: Path) -> None:
    """Migration 6 copies each receipt to the append-only log, in arrival order, and puts each
    host's newest receipt on its row (a resend of it is still recognised)."""
    conn = connect(tmp_path / "db.sqlite")
    migrate(conn, target=5)
    conn.execute("INSERT INTO units (id, name, created_at) VALUES ('u1', 'Trạm Y tế', 0)")
    for host, last_seq in (("h1", 2), ("h2", 0)):
        conn.execute(
            "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, enrolled_at, "
            "last_seq) VALUES (?, 'u1', 'pc', 'linux', x'00', 0, ?)",
            (host, last_seq),
        )
    conn.executemany(
        "INSERT INTO reports (host_id, seq, body_sha256, signed_at, received_at, kind) "
        "VALUES ('h1', ?, ?, ?, ?, 'delta')",
        [(2, "b2", 20, 200.0), (1, "b1", 10, 100.0)],
    )
    migrate(conn)
    rows = conn.execute("SELECT id, seq, body_sha256 FROM reports ORDER BY id").fetchall()
    assert [(seq, sha) for _id, seq, sha in rows] == [(1, "b1"), (2, "b2")]
    receipts = conn.execute("SELECT id, last_sha256, last_signed_at FROM hosts ORDER BY id")
    assert receipts.fetchall() == [("h1", "b2", 20), ("h2", None, 0)]
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A database from a newer canh is not touched."""
    conn = connect(tmp_path / "db.sqlite")
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(RuntimeError, match="upgrade canh"):
        migrate(conn)


def test_backup_while_writing_and_restore(world: World, tmp_path: Path) -> None:
    """An online backup is consistent; restore brings it back and refuses bad files."""
    store = world.svc.store
    dest = tmp_path / "b.db"
    assert backup(store.path, dest) > 0
    assert verify(dest) == LATEST
    with pytest.raises(BackupError, match="exists"):
        backup(store.path, dest)
    store.create_unit("Sau sao lưu", None, "vn-2026", 2, "test", unit_id="after")
    restored = tmp_path / "restored.db"
    restored.write_bytes(b"")
    restore(dest, restored)
    conn = sqlite3.connect(restored)
    units = {row[0] for row in conn.execute("SELECT id FROM units")}
    conn.close()
    assert "bvdk" in units and "after" not in units
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore(garbage, restored)


def test_retention_and_checkpoint(tmp_path: Path) -> None:
    """Old events and report log entries go, except the entry at the receipt mark and those past
    it (receipts not yet copied to their hosts); the WAL is truncated."""
    store = Store(tmp_path / "db.sqlite")
    store.start()
    try:
        old = time.time() - 500 * 86400

        def seed(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO units (id, name, created_at) VALUES ('u', 'u', 0)")
            conn.execute(
                "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, "
                "enrolled_at, last_seq) VALUES ('h', 'u', 'pc', 'linux', x'00', 0, 2)"
            )
            conn.executemany(
                "INSERT INTO events (host_id, at, section, kind) VALUES (?,?,?,?)",
                [("h", old, "ports", "changed"), ("h", time.time(), "ports", "x")],
            )
            conn.executemany(
                "INSERT INTO reports (host_id, seq, body_sha256, signed_at, "
                "received_at, kind) VALUES ('h', ?, 'x', 0, ?, 'full')",
                [(1, old), (2, old), (3, old), (4, old)],
            )
            conn.execute("UPDATE receipt_mark SET log_id = 3")

        store.writer.call(seed)
        maintenance = Maintenance(store, 3600, event_days=400, report_days=30)
        assert maintenance.run_once() == (1, 2)
        assert store.query("SELECT seq FROM reports ORDER BY id") == [{"seq": 3}, {"seq": 4}]
        wal = Path(f"{tmp_path / 'db.sqlite'}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        store.close()


def test_checkpointer_copies_the_wal_while_writes_go_on(tmp_path: Path) -> None:
    """The checkpointer thread copies committed frames while the writer keeps writing, and the
    WAL file stays bounded by the writer's own (rarer) checkpoint."""
    store = Store(tmp_path / "db.sqlite")
    store.start()
    wal = Path(f"{tmp_path / 'db.sqlite'}-wal")
    blob = "x" * 64 * 1024
    sizes = []
    try:
        store.writer.call(
            lambda conn: conn.execute(
                "INSERT INTO units (id, name, created_at) VALUES ('u', 'u', 0)"
            )
        )
        store.writer.call(
            lambda conn: conn.execute(
                "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, enrolled_at) "
                "VALUES ('h', 'u', 'pc', 'linux', x'00', 0)"
            )
        )
        for _ in range(600):  # 37.5 MiB of events over a few seconds
            store.writer.call(
                lambda conn: conn.execute(
                    "INSERT INTO events (host_id, at, section, kind, detail) "
                    "VALUES ('h', 0, 'ports', 'changed', ?)",
                    (blob,),
                )
            )
            sizes.append(wal.stat().st_size)
            time.sleep(0.005)
        runs = store.checkpointer.runs
        time.sleep(3 * INTERVAL_SECONDS)
        conn = sqlite3.connect(tmp_path / "db.sqlite")
        _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        conn.close()
    finally:
        store.close()
    assert runs > 0
    assert frames == copied  # idle: the thread has copied everything
    bound = (WRITER_AUTOCHECKPOINT_PAGES + 100) * 4096
    assert max(sizes) < bound < 37 * 1024 * 1024


def test_schema_version_recorded(tmp_path: Path) -> None:
    """A new store is at the newest schema."""
    store = Store(tmp_path / "db.sqlite")
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    assert current_version(conn) == LATEST
    conn.close()
    store.close()
