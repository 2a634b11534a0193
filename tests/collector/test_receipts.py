"""Report receipts that wait in memory (collector/store/receipts.py): a report that changes
nothing writes only its log row, the hosts row follows in bulk, and neither a crash, a failed
batch nor a re-enrolment makes ingest forget or misjudge a sequence number."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canh.contract import Report, Section, Sections, encode, fact_hash, signing
from canh.contract.facts import SystemFacts
from collector.store.database import connect, open_database
from collector.store.receipts import Receipt, Receipts
from collector.store.schema import migrate
from tests.collector.conftest import World

NOW = datetime.now(UTC)
PATH = "/api/v1/reports"


def _body(host_id: str, seq: int, hostname: str = "pc") -> bytes:
    data = SystemFacts(hostname=hostname, os_family="linux", role="workstation")
    section = Section(status="ok", collected_at=NOW, data=data, hash=fact_hash(data))
    report = Report(
        schema_version=1,
        agent_id=host_id,
        agent_version="t",
        kind="full",
        seq=seq,
        collected_at=NOW,
        sections=Sections(system=section),
    )
    return encode(report)


def _send(
    world: World, host_id: str, seq: int, body: bytes | None = None, at: float | None = None
) -> tuple[int, dict[str, Any]]:
    body = _body(host_id, seq) if body is None else body
    headers = signing.sign(world.keys[host_id], host_id, "POST", PATH, seq, body, now=at)
    answer = world.client.post(PATH, content=body, headers=headers)
    return answer.status_code, answer.json()


def _row(world: World, host_id: str) -> tuple[int, str | None, int]:
    row = world.svc.store.one(
        "SELECT last_seq, last_sha256, receipt_id FROM hosts WHERE id = ?", (host_id,)
    )
    assert row is not None
    return row["last_seq"], row["last_sha256"], row["receipt_id"]


def test_unchanged_reports_wait_in_memory_then_reach_the_row(world: World) -> None:
    """A changing report updates the row at once; an unchanged one only logs, is visible through
    the API at once and reaches the row with the next flush."""
    store = world.svc.store
    store.flusher.stop()  # flushes by hand, so the test sees the state between two flushes
    host = world.hosts["bvdk"]
    assert _send(world, host, 1)[0] == 200
    assert _row(world, host)[0] == 1  # facts changed: written at once
    body = _body(host, 2)
    assert _send(world, host, 2, body)[0] == 200
    assert _row(world, host)[0] == 1  # nothing changed: the row waits
    assert store.receipts.pending() == 1
    headers = world.login("admin")
    assert world.client.get(f"/api/v1/hosts/{host}", headers=headers).json()["last_seq"] == 2
    listed = world.client.get("/api/v1/hosts", headers=headers).json()
    assert {h["id"]: h["last_seq"] for h in listed}[host] == 2
    assert store.writer.call(store.receipts.flush) == 1
    last_seq, sha, receipt_id = _row(world, host)
    assert (last_seq, sha) == (2, signing.body_digest(body)) and receipt_id > 0
    assert store.receipts.pending() == 0
    mark = store.one("SELECT log_id FROM receipt_mark")
    assert mark == {"log_id": receipt_id}


def test_a_crash_before_the_flush_loses_nothing(world: World) -> None:
    """Receipts still in memory are in the log: opening the database copies them to the rows,
    so after a crash a resend is still a duplicate and an older number is still refused."""
    store = world.svc.store
    store.flusher.stop()
    host = world.hosts["tram1"]
    assert _send(world, host, 1)[0] == 200
    body = _body(host, 2)
    signed_at = time.time()
    assert _send(world, host, 2, body, at=signed_at)[0] == 200
    assert _row(world, host)[0] == 1
    open_database(store.path)  # what the next start does after kill -9
    assert _row(world, host)[:2] == (2, signing.body_digest(body))
    store.receipts._waiting.clear()  # the memory a crash takes away
    status, answer = _send(world, host, 2, body, at=signed_at + 1)
    assert (status, answer["duplicate"]) == (200, True)
    assert _send(world, host, 2, body, at=signed_at)[0] == 409  # the first request again: replay
    assert _send(world, host, 1)[1]["detail"]["reason"] == "old_seq"


def test_reenrolment_is_not_undone_by_the_old_keys_receipts(world: World) -> None:
    """A reinstalled machine starts again at sequence 1 even while the old key's newest receipts
    wait in memory and in the log."""
    store = world.svc.store
    store.flusher.stop()
    host = world.hosts["bv2"]
    for seq in (1, 2, 3):
        assert _send(world, host, seq)[0] == 200
    assert store.receipts.pending() == 1  # seq 3, from the old key
    store.allow_reenroll(host, 1, "test")
    _tid, token, _ = store.create_token("bv2", 1, 3600, "test")
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    again, _unit, _name = store.writer.call(
        store.enroll_job(token, raw, "pc-bv2", "linux", "hw-bv2", "agent")
    )
    assert again == host
    world.keys[host] = key
    assert _send(world, host, 1)[0] == 200  # not "old_seq"
    store.writer.call(store.receipts.flush)
    assert _row(world, host)[0] == 1
    open_database(store.path)  # the old key's log rows are not copied back
    assert _row(world, host)[0] == 1
    assert _send(world, host, 2)[0] == 200


def _migrated(tmp_path: Path) -> sqlite3.Connection:
    conn = connect(tmp_path / "db.sqlite")
    migrate(conn)
    conn.execute("INSERT INTO units (id, name, created_at) VALUES ('u', 'Trạm Y tế', 0)")
    conn.execute(
        "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, enrolled_at) "
        "VALUES ('h', 'u', 'pc', 'linux', x'00', 0)"
    )
    return conn


def _log(conn: sqlite3.Connection, seq: int) -> Receipt:
    cursor = conn.execute(
        "INSERT INTO reports (host_id, seq, body_sha256, signed_at, received_at, kind) "
        "VALUES ('h', ?, ?, ?, ?, 'delta')",
        (seq, f"sha{seq}", seq, float(seq)),
    )
    assert cursor.lastrowid is not None
    return Receipt(cursor.lastrowid, seq, f"sha{seq}", seq, float(seq))


def test_a_receipt_counts_only_once_its_transaction_commits(tmp_path: Path) -> None:
    """Staged receipts are seen by later jobs of the same batch, by nobody else, and vanish when
    the batch rolls back."""
    conn = _migrated(tmp_path)
    receipts = Receipts()
    conn.execute("BEGIN")
    first = _log(conn, 1)
    receipts.stage("h", first)
    assert receipts.current("h") is first and receipts.latest("h") is None
    conn.execute("ROLLBACK")
    receipts.ended(committed=False)
    assert receipts.current("h") is None and receipts.pending() == 0
    conn.execute("BEGIN")
    second = _log(conn, 1)
    receipts.stage("h", second)
    conn.execute("COMMIT")
    receipts.ended(committed=True)
    assert receipts.latest("h") is second and receipts.pending() == 1


def test_a_flush_that_rolls_back_keeps_the_receipts_waiting(tmp_path: Path) -> None:
    """Only a committed flush clears what it copied; a receipt staged after the flush in the same
    transaction still waits."""
    conn = _migrated(tmp_path)
    receipts = Receipts()
    conn.execute("BEGIN")
    receipts.stage("h", _log(conn, 1))
    conn.execute("COMMIT")
    receipts.ended(committed=True)
    conn.execute("BEGIN")
    assert receipts.flush(conn) == 1
    conn.execute("ROLLBACK")
    receipts.ended(committed=False)
    assert receipts.pending() == 1
    assert conn.execute("SELECT last_seq FROM hosts").fetchone() == (0,)
    conn.execute("BEGIN")
    receipts.flush(conn)
    newer = _log(conn, 2)
    receipts.stage("h", newer)
    conn.execute("COMMIT")
    receipts.ended(committed=True)
    assert conn.execute("SELECT last_seq, receipt_id FROM hosts").fetchone() == (1, 1)
    assert receipts.latest("h") is newer
    conn.execute("BEGIN")
    receipts.flush(conn)
    conn.execute("COMMIT")
    receipts.ended(committed=True)
    assert conn.execute("SELECT last_seq, last_sha256 FROM hosts").fetchone() == (2, "sha2")
    assert receipts.pending() == 0
    assert conn.execute("SELECT log_id FROM receipt_mark").fetchone() == (2,)
