"""Incidents: open, acknowledge, resolve, with history in ``incident_events``.

Every function takes the writer's connection, so an incident's transition, its history row and
its delivery intent in ``outbox`` commit together or not at all. The delivery intent is a
``route`` row keyed ``fingerprint|incident|transition``: the outbox worker later expands it into
one row per channel and recipient (``delivery.py``), so a retry can never send twice and a change
of contacts or of the Alertmanager setting applies to what is still undelivered.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from collector.alerts.kinds import Pair
from collector.alerts.messages import Context, payload, render
from collector.alerts.posture import Limits
from collector.alerts.rules import Alert, device_alert
from collector.errors import ApiError

SYSTEM_ACTOR = "canh"
# (pack id, requirement id) → its title, and pack id → its limits; None when the caller has no
# knowledge loaded (discovery's device hook): the text then names the requirement id only.
Titles = Callable[[str, str], Pair | None]
LimitsOf = Callable[[str], Limits]

_COLUMNS = (
    "id, fingerprint, unit_id, host_id, kind, severity, status, requirement_id, detail, serious, "
    "opened_at, acknowledged_at, acknowledged_by, resolved_at, notice_due_at, report_due_at"
)


def _row(conn: sqlite3.Connection, incident_id: int) -> dict[str, Any]:
    cur = conn.execute(f"SELECT {_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))  # noqa: S608 - constant columns
    values = cur.fetchone()
    if values is None:
        raise ApiError(404, "not_found", f"no incident {incident_id}")
    return dict(zip([d[0] for d in cur.description], values, strict=True))


def _event(
    conn: sqlite3.Connection,
    incident_id: int,
    now: float,
    action: str,
    actor: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO incident_events (incident_id, at, action, actor, detail) VALUES (?,?,?,?,?)",
        (incident_id, now, action, actor, json.dumps(detail or {}, ensure_ascii=False)),
    )


def enqueue(conn: sqlite3.Connection, incident_id: int, transition: str, now: float) -> None:
    """Record the intent to deliver one transition (idempotent per incident and transition)."""
    row = _row(conn, incident_id)
    message = payload(row, json.loads(row["detail"]), transition)
    conn.execute(
        "INSERT OR IGNORE INTO outbox (incident_id, channel, target, payload, dedup_key, "
        "next_attempt_at) VALUES (?, 'route', '', ?, ?, ?)",
        (
            incident_id,
            json.dumps(message, ensure_ascii=False),
            f"{row['fingerprint']}|{incident_id}|{transition}",
            now,
        ),
    )


def live(
    conn: sqlite3.Connection,
    kinds: Iterable[str],
    unit_id: str | None = None,
    host_id: str | None = None,
) -> dict[str, int]:
    """Live (open or acknowledged) incidents of these kinds: fingerprint → id."""
    kinds = sorted(kinds)
    if not kinds:
        return {}
    sql = (
        f"SELECT fingerprint, id FROM incidents WHERE status != 'resolved' "  # noqa: S608 - placeholders only
        f"AND kind IN ({','.join('?' * len(kinds))})"
    )
    params: list[Any] = list(kinds)
    if unit_id is not None:
        sql += " AND unit_id = ?"
        params.append(unit_id)
    if host_id is not None:
        sql += " AND host_id = ?"
        params.append(host_id)
    return {fp: iid for fp, iid in conn.execute(sql, params)}


def open_incident(
    conn: sqlite3.Connection,
    alert: Alert,
    now: float,
    titles: Titles | None = None,
    limits_of: LimitsOf | None = None,
) -> int | None:
    """Open an incident for the alert unless one is live for its fingerprint; returns its id."""
    fingerprint = alert.fingerprint
    if conn.execute(
        "SELECT 1 FROM incidents WHERE fingerprint = ? AND status != 'resolved'", (fingerprint,)
    ).fetchone():
        return None
    unit = conn.execute("SELECT name, pack FROM units WHERE id = ?", (alert.unit_id,)).fetchone()
    if unit is None:
        return None
    hostname = None
    if alert.host_id is not None:
        host = conn.execute("SELECT hostname FROM hosts WHERE id = ?", (alert.host_id,)).fetchone()
        hostname = host[0] if host else alert.host_id
    limits = limits_of(unit[1]) if limits_of else Limits()
    serious = alert.severity == "critical"
    notice = now + limits.notice_seconds if serious else None
    report = now + limits.report_seconds if serious else None
    ctx = Context(
        unit_name=unit[0],
        hostname=hostname,
        requirement_title=titles(unit[1], alert.requirement) if titles else None,
        notice_due_at=notice,
        report_due_at=report,
    )
    detail = {
        "subject": alert.subject,
        "facts": dict(alert.facts),
        "unit_name": unit[0],
        "hostname": hostname,
        "text": render(alert, ctx),
    }
    cur = conn.execute(
        "INSERT INTO incidents (fingerprint, unit_id, host_id, kind, severity, requirement_id, "
        "detail, serious, opened_at, notice_due_at, report_due_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            fingerprint,
            alert.unit_id,
            alert.host_id,
            alert.kind,
            alert.severity,
            alert.requirement,
            json.dumps(detail, ensure_ascii=False, default=str),
            int(serious),
            now,
            notice,
            report,
        ),
    )
    incident_id = int(cur.lastrowid or 0)
    _event(conn, incident_id, now, "opened", SYSTEM_ACTOR, {"facts": dict(alert.facts)})
    enqueue(conn, incident_id, "opened", now)
    return incident_id


def resolve_incident(
    conn: sqlite3.Connection, incident_id: int, now: float, reason: str = "condition cleared"
) -> bool:
    """Resolve a live incident (the condition cleared); False when it was not live."""
    changed = conn.execute(
        "UPDATE incidents SET status = 'resolved', resolved_at = ? "
        "WHERE id = ? AND status != 'resolved'",
        (now, incident_id),
    ).rowcount
    if not changed:
        return False
    _event(conn, incident_id, now, "resolved", SYSTEM_ACTOR, {"reason": reason})
    enqueue(conn, incident_id, "resolved", now)
    return True


def sync(
    conn: sqlite3.Connection,
    kinds: Iterable[str],
    active: Iterable[Alert],
    now: float,
    *,
    unit_id: str | None = None,
    host_id: str | None = None,
    titles: Titles | None = None,
    limits_of: LimitsOf | None = None,
) -> tuple[int, int]:
    """Open incidents for new alerts and resolve live ones of ``kinds`` in the scope (unit or
    host) whose condition is no longer active. Returns (opened, resolved)."""
    kinds = frozenset(kinds)
    current = {a.fingerprint: a for a in active if a.kind in kinds}
    existing = live(conn, kinds, unit_id, host_id)
    opened = sum(
        1
        for fp, alert in current.items()
        if fp not in existing and open_incident(conn, alert, now, titles, limits_of) is not None
    )
    resolved = sum(
        1 for fp, iid in existing.items() if fp not in current and resolve_incident(conn, iid, now)
    )
    return opened, resolved


def acknowledge(
    conn: sqlite3.Connection, incident_id: int, actor: str, note: str, now: float
) -> None:
    """An operator has seen an open incident (409 when it is not open)."""
    row = _row(conn, incident_id)
    if row["status"] != "open":
        raise ApiError(409, "not_open", f"incident {incident_id} is {row['status']}")
    conn.execute(
        "UPDATE incidents SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? "
        "WHERE id = ?",
        (now, actor, incident_id),
    )
    _event(conn, incident_id, now, "acknowledged", actor, {"note": note})


def record_filing(
    conn: sqlite3.Connection, incident_id: int, what: str, reference: str, actor: str, now: float
) -> None:
    """The initial notice or the full report of a serious incident was sent to the authority."""
    row = _row(conn, incident_id)
    if not row["serious"]:
        raise ApiError(409, "not_serious", f"incident {incident_id} has no legal deadlines")
    _event(conn, incident_id, now, f"{what}_filed", actor, {"reference": reference})


def raise_device_alert(
    conn: sqlite3.Connection,
    unit_id: str,
    device: Mapping[str, Any],
    now: float | None = None,
    titles: Titles | None = None,
) -> int | None:
    """Open an "unmanaged device" incident (the discovery engine calls this inside its write
    job); returns the incident id, or None when one is already live for the device."""
    return open_incident(
        conn, device_alert(unit_id, device), time.time() if now is None else now, titles
    )


def resolve_device_alert(
    conn: sqlite3.Connection, unit_id: str, device: Mapping[str, Any], now: float | None = None
) -> bool:
    """Resolve the device's incident (enrolled, or recorded as known); False when none was live."""
    fingerprint = device_alert(unit_id, device).fingerprint
    row = conn.execute(
        "SELECT id FROM incidents WHERE fingerprint = ? AND status != 'resolved'", (fingerprint,)
    ).fetchone()
    return bool(row) and resolve_incident(
        conn, int(row[0]), time.time() if now is None else now, "device is managed now"
    )
