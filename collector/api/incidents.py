"""Incidents: list (scoped to the caller's units), what is legally due, acknowledge, filings."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from collector.alerts import incidents
from collector.api.deps import ServicesDep, User, UserDep, require_unit, visible_units
from collector.errors import ApiError
from collector.services import Services

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
# SQLite integers are 64-bit: a larger id is a 422, never an overflow (500).
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1)]

_FIELDS = (
    "i.id, i.fingerprint, i.unit_id, i.host_id, i.kind, i.severity, i.status, i.requirement_id, "
    "i.detail, i.serious, i.opened_at, i.acknowledged_at, i.acknowledged_by, i.resolved_at, "
    "i.notice_due_at, i.report_due_at, "
    "(SELECT max(at) FROM incident_events e WHERE e.incident_id = i.id "
    "AND e.action = 'notice_filed') AS notice_filed_at, "
    "(SELECT max(at) FROM incident_events e WHERE e.incident_id = i.id "
    "AND e.action = 'report_filed') AS report_filed_at"
)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    detail = json.loads(row.pop("detail"))
    text = detail.get("text", {})
    row["serious"] = bool(row["serious"])
    row["hostname"] = detail.get("hostname")
    row["unit_name"] = detail.get("unit_name")
    row["subject"] = detail.get("subject", "")
    row["facts"] = detail.get("facts", {})
    row["summary"] = text.get("summary", {})
    row["description"] = text.get("description", {})
    return row


def _units(svc: Services, user: User, unit: str | None) -> list[str]:
    if unit is None:
        return visible_units(svc, user)
    require_unit(svc, user, unit)
    return svc.store.subtree(unit)


@router.get("", summary="Incidents of the caller's units, newest first (paginated)")
def list_incidents(
    svc: ServicesDep,
    user: UserDep,
    status: Annotated[Literal["open", "acknowledged", "resolved", "live"] | None, Query()] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    severity: Annotated[Literal["info", "warning", "critical"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> list[dict[str, Any]]:
    """Filter by status (``live`` = open or acknowledged), unit (with its children), severity."""
    units = _units(svc, user, unit)
    if not units:
        return []
    where = [f"i.unit_id IN ({','.join('?' * len(units))})"]
    params: list[Any] = list(units)
    if status == "live":
        where.append("i.status != 'resolved'")
    elif status is not None:
        where.append("i.status = ?")
        params.append(status)
    if severity is not None:
        where.append("i.severity = ?")
        params.append(severity)
    rows = svc.store.query(
        f"SELECT {_FIELDS} FROM incidents i WHERE {' AND '.join(where)} "  # noqa: S608 - fixed clauses, placeholders only
        "ORDER BY i.opened_at DESC, i.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_public(r) for r in rows]


@router.get("/due", summary="Serious incidents whose legal notice or report is still to file")
def due(
    svc: ServicesDep,
    user: UserDep,
    unit: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Initial notice within 24 h, full report within 72 h (Decree 331/2026 Art. 31.2.d);
    soonest deadline first, with ``notice_overdue`` / ``report_overdue``."""
    units = _units(svc, user, unit)
    if not units:
        return []
    rows = svc.store.query(
        f"SELECT * FROM (SELECT {_FIELDS} FROM incidents i WHERE i.serious = 1 "  # noqa: S608 - fixed clauses, placeholders only
        f"AND i.unit_id IN ({','.join('?' * len(units))})) "
        "WHERE notice_filed_at IS NULL OR report_filed_at IS NULL",
        units,
    )
    now = time.time()
    out = []
    for row in rows:
        item = _public(row)
        notice_open = item["notice_filed_at"] is None
        item["notice_overdue"] = notice_open and now > (item["notice_due_at"] or now)
        item["report_overdue"] = now > (item["report_due_at"] or now)
        item["next_deadline"] = item["notice_due_at"] if notice_open else item["report_due_at"]
        out.append(item)
    return sorted(out, key=lambda x: x["next_deadline"] or 0)


def _incident(svc: Services, user: User, incident_id: int) -> dict[str, Any]:
    row = svc.store.one(f"SELECT {_FIELDS} FROM incidents i WHERE i.id = ?", (incident_id,))  # noqa: S608 - constant columns
    if row is None or row["unit_id"] not in visible_units(svc, user):
        raise ApiError(404, "not_found", f"no incident {incident_id}")
    return row


@router.get("/{incident_id}", summary="One incident with its history")
def get_incident(svc: ServicesDep, user: UserDep, incident_id: IncidentId) -> dict[str, Any]:
    """The incident and every event of it (opened, acknowledged, filed, resolved)."""
    item = _public(_incident(svc, user, incident_id))
    item["history"] = [
        {**e, "detail": json.loads(e["detail"])}
        for e in svc.store.query(
            "SELECT at, action, actor, detail FROM incident_events WHERE incident_id = ? "
            "ORDER BY id",
            (incident_id,),
        )
    ]
    return item


class Acknowledge(BaseModel):
    """Who saw it is the caller; the note says what is being done (or why it is no incident)."""

    model_config = {"extra": "forbid"}

    note: Annotated[str, Field(max_length=2000)] = ""


@router.post("/{incident_id}/acknowledge", summary="Acknowledge an open incident", status_code=204)
def acknowledge(
    svc: ServicesDep, user: UserDep, incident_id: IncidentId, body: Acknowledge
) -> None:
    """Unit IT staff and administrators; recorded in the incident's history and the audit log."""
    row = _incident(svc, user, incident_id)
    require_unit(svc, user, row["unit_id"], write=True)
    audit = svc.store.audit_job(
        user.username, "incident.acknowledge", str(incident_id), {"note": body.note}
    )

    def job(conn: Any) -> None:
        incidents.acknowledge(conn, incident_id, user.username, body.note, time.time())
        audit(conn)

    svc.store.writer.call(job)


class Filing(BaseModel):
    """A notice or report sent to the authority (MPS cybersecurity unit)."""

    model_config = {"extra": "forbid"}

    what: Literal["notice", "report"]
    reference: Annotated[str, Field(min_length=1, max_length=200)]  # document number or ticket


@router.post(
    "/{incident_id}/filings",
    summary="Record that the initial notice or the full report was filed",
    status_code=204,
)
def file_report(svc: ServicesDep, user: UserDep, incident_id: IncidentId, body: Filing) -> None:
    """Stops the deadline from showing as due; audited."""
    row = _incident(svc, user, incident_id)
    require_unit(svc, user, row["unit_id"], write=True)
    audit = svc.store.audit_job(
        user.username, f"incident.{body.what}_filed", str(incident_id), {"ref": body.reference}
    )

    def job(conn: Any) -> None:
        incidents.record_filing(
            conn, incident_id, body.what, body.reference, user.username, time.time()
        )
        audit(conn)

    svc.store.writer.call(job)
