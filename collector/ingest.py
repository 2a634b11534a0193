"""Signed report ingest: authenticate before parsing, validate strictly, commit, then acknowledge.

Order of work for one request (DESIGN.md §3.1–3.2, issue 4):
1. signature headers present and well-formed (401), body size within the cap (413) — before
   reading more than the cap;
2. agent known and active (401), timestamp within the skew bound (401), signature valid (401);
3. sequence number: a resend of a committed report (same seq, same body, newer signature time)
   is acknowledged again without a write; a replay or an old number is refused (409);
4. strict decode of the report (422), agent id and seq must match the signed headers (422);
5. one write job: the report's row in the log; when facts change, also facts per section, change
   events, the host's row and findings (otherwise the host's newest receipt waits in memory,
   ``collector/store/receipts.py``). Acknowledged only after the batch holding it is committed.
"""

from __future__ import annotations

import sqlite3
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from canh.contract import (
    IngestResponse,
    Report,
    ReportInvalid,
    Section,
    decode,
    encode,
    signing,
)
from canh.contract.signing import SignatureRejected
from collector.changes import diff
from collector.errors import ApiError
from collector.evaluate import Knowledge, evaluate_host_row
from collector.store import Store
from collector.store.receipts import COPY_RECEIPT, Receipt, Receipts
from collector.store.writer import RunOnThread

# Upper bounds of the ingest latency histogram (seconds); DESIGN.md §6 targets p99 ≤ 50 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Refusals that mean someone forged or replayed an enrolled agent's request (alert rules).
SUSPICIOUS = frozenset({"bad_signature", "replay"})
MAX_SUSPECTS = 10_000  # agents tracked at once; only enrolled ids reach these reasons


@dataclass(slots=True)
class IngestStats:
    """Counters for /metrics."""

    accepted: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    latency_sum: float = 0.0
    latency_count: int = 0
    # Per bucket of LATENCY_BUCKETS (not cumulative), plus the overflow above the last bound.
    latency_buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    # Agent id → times of its recent forged or replayed requests.
    suspicious: dict[str, deque[float]] = field(default_factory=dict)

    def reject(self, reason: str, agent_id: str | None = None) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        if agent_id and reason in SUSPICIOUS:
            times = self.suspicious.get(agent_id)
            if times is None and len(self.suspicious) < MAX_SUSPECTS:
                times = self.suspicious[agent_id] = deque(maxlen=64)
            if times is not None:
                times.append(time.time())

    def observe(self, seconds: float) -> None:
        """Record one accepted request's latency."""
        self.latency_sum += seconds
        self.latency_count += 1
        self.latency_buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1


@dataclass(frozen=True, slots=True)
class Change:
    """One section of one host changed (kind: first, changed, error)."""

    host_id: str
    section: str
    kind: str
    detail: dict[str, Any]


@dataclass(slots=True)
class BatchChanges:
    """What the current batch changed; the after-batch hooks (scores, alerts) consume it."""

    units: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)

    def clear(self) -> None:
        self.units.clear()
        self.hosts.clear()
        self.changes.clear()


def authenticate(
    store: Store, headers: dict[str, str], method: str, path: str, digest: str, max_skew: int
) -> tuple[signing.SignedHeaders, str]:
    """Verify an agent's signed request (``digest``: :func:`signing.body_digest` of its body);
    return the headers and the host's unit."""
    signed = signing.parse_headers(headers)
    auth = store.host_auth(signed.agent_id)
    if auth is None:
        raise SignatureRejected("unknown_agent", "agent is not enrolled here; enroll it again")
    if auth.status != "active":
        raise SignatureRejected("revoked_agent", f"agent is {auth.status}")
    signing.verify(auth.public_key, signed, method, path, digest, max_skew=max_skew)
    return signed, auth.unit_id


def ingest_job(
    knowledge: Knowledge,
    pending: BatchChanges,
    receipts: Receipts,
    signed: signing.SignedHeaders,
    body_sha256: str,
    report: Report,
    on_loop: bool = False,
) -> Callable[[sqlite3.Connection], IngestResponse]:
    """The write job for one verified, decoded report. ``on_loop``: the job runs in a loop-side
    batch (``Writer.run_inline``), where a report that changes facts hands itself to the writer
    thread (findings, scores and alerts follow a change; they are not loop work).

    A report that changes nothing writes only its log row; its receipt waits in ``receipts``
    (``collector/store/receipts.py``). One that changes facts updates its hosts row at once."""
    host_id = signed.agent_id

    def job(conn: sqlite3.Connection) -> IngestResponse:
        last_seq, last_sha256, last_signed_at, stored_json, receipt_id = conn.execute(
            "SELECT last_seq, last_sha256, last_signed_at, fact_hashes, receipt_id FROM hosts "
            "WHERE id = ?",
            (host_id,),
        ).fetchone()
        waiting = receipts.current(host_id)
        if waiting is not None and waiting.log_id > receipt_id:
            last_seq, last_sha256, last_signed_at = waiting.seq, waiting.sha256, waiting.signed_at
        if report.seq < last_seq:
            raise ApiError(
                409, "old_seq", f"sequence {report.seq} is not above the last one ({last_seq})"
            )
        if report.seq == last_seq:
            # An agent resends only its oldest unacknowledged report, so a resend of a committed
            # report is always the newest one: acknowledged again, nothing written. The same
            # request again (same signature time) is a replay.
            if last_sha256 == body_sha256 and signed.timestamp > last_signed_at:
                return IngestResponse(seq=report.seq, duplicate=True)
            raise ApiError(409, "replay", f"report {report.seq} was already received")
        stored = _hashes.decode(stored_json)
        sections = report.present()
        changed, full_requested = _compare(sections, stored)
        if changed and on_loop:
            raise RunOnThread(ingest_job(knowledge, pending, receipts, signed, body_sha256, report))
        now = time.time()
        log_id = conn.execute(
            "INSERT INTO reports (host_id, seq, body_sha256, signed_at, received_at, "
            "kind) VALUES (?,?,?,?,?,?)",
            (host_id, report.seq, body_sha256, signed.timestamp, now, report.kind),
        ).lastrowid
        assert log_id is not None  # an INSERT always sets it
        receipt = Receipt(log_id, report.seq, body_sha256, signed.timestamp, now)
        if not changed:
            receipts.stage(host_id, receipt)
            return IngestResponse(seq=report.seq, full_requested=full_requested)
        changes = _store_sections(conn, host_id, sections, stored, now)
        role = None
        system = report.sections.system
        if system is not None and system.data is not None:
            role = system.data.role
        conn.execute(
            "UPDATE hosts SET role = COALESCE(?, role), fact_hashes = ? WHERE id = ?",
            (role, encode(stored).decode(), host_id),
        )
        conn.execute(COPY_RECEIPT, receipt.row(host_id))
        pending.units.add(evaluate_host_row(conn, knowledge, host_id))
        pending.hosts.add(host_id)
        pending.changes.extend(changes)
        return IngestResponse(seq=report.seq, full_requested=full_requested)

    return job


# hosts.fact_hashes: section → [status, hash] of the stored facts, kept in the same transaction
# as the facts rows, so a report that changes nothing never reads the (large) facts table.
_hashes = msgspec.json.Decoder(dict[str, tuple[str, str | None]])


def _compare(
    sections: dict[str, Section[Any]], stored: dict[str, tuple[str, str | None]]
) -> tuple[bool, bool]:
    """(whether storing the sections changes any stored one, whether the agent must send a full
    report: an ``unchanged`` section whose hash is not the one we hold)."""
    changed = full_requested = False
    for name, section in sections.items():
        if section.status == "unchanged":
            previous = stored.get(name)
            if previous is None or previous[1] != section.hash:
                full_requested = True
        elif stored.get(name) != (section.status, section.hash):
            changed = True
    return changed, full_requested


def _store_sections(
    conn: sqlite3.Connection,
    host_id: str,
    sections: dict[str, Section[Any]],
    stored: dict[str, tuple[str, str | None]],
    now: float,
) -> list[Change]:
    """Upsert each changed section's latest envelope and record what changed as events;
    ``stored`` is updated in place to the new (status, hash) of each section."""
    changes: list[Change] = []
    for name, section in sections.items():
        previous = stored.get(name)
        if section.status == "unchanged" or previous == (section.status, section.hash):
            continue
        stored[name] = (section.status, section.hash)
        old_data = _stored_data(conn, host_id, name) if previous is not None else None
        data = encode(section.data) if section.data is not None else None
        conn.execute(
            "INSERT OR REPLACE INTO facts (host_id, section, status, hash, data, error, "
            "collected_at) VALUES (?,?,?,?,?,?,?)",
            (
                host_id,
                name,
                section.status,
                section.hash,
                data,
                section.error,
                section.collected_at.isoformat(),
            ),
        )
        if section.status == "error":
            kind, detail = "error", {"error": section.error}
        elif previous is None:
            kind, detail = "first", {}
        else:
            kind, detail = "changed", diff(name, old_data, data)
        conn.execute(
            "INSERT INTO events (host_id, at, section, kind, detail) VALUES (?,?,?,?,?)",
            (host_id, now, name, kind, encode(detail).decode()),
        )
        changes.append(Change(host_id, name, kind, detail))
    return changes


def _stored_data(conn: sqlite3.Connection, host_id: str, section: str) -> bytes | None:
    row = conn.execute(
        "SELECT data FROM facts WHERE host_id = ? AND section = ?", (host_id, section)
    ).fetchone()
    return row[0] if row else None


def decode_report(body: bytes, signed: signing.SignedHeaders) -> Report:
    """Strictly decode and tie the report to its signature."""
    try:
        report = decode(body)
    except ReportInvalid as err:
        raise ApiError(422, "invalid_report", str(err)) from err
    if report.agent_id != signed.agent_id or report.seq != signed.seq:
        raise ApiError(422, "mismatch", "agent_id and seq in the body must match the signature")
    return report


def rejection(err: SignatureRejected) -> ApiError:
    """Signature problems are 401 with their reason."""
    return ApiError(401, err.reason, str(err))


Detail = dict[str, Any]
