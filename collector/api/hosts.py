"""Hosts, their facts and findings, scoped to the caller's units."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from collector.api.deps import ServicesDep, User, UserDep, require_unit, visible_units
from collector.errors import ApiError
from collector.services import Services

router = APIRouter(prefix="/api/v1/hosts", tags=["hosts"])


def _host_for(svc: Services, user: User, host_id: str) -> dict[str, Any]:
    """The host, or 404 when it does not exist *or* belongs to a unit the user cannot see."""
    row = svc.store.host(host_id)
    if row is None or row["unit_id"] not in visible_units(svc, user):
        raise ApiError(404, "not_found", f"no host {host_id}")
    return row


@router.get("", summary="Hosts of the caller's units (paginated)")
async def list_hosts(
    svc: ServicesDep,
    user: UserDep,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Hosts, optionally of one unit (and its children); on the event loop, because the indexed
    page read is cheaper than a thread-pool hop that would contend with ingest for the GIL."""
    if unit is not None:
        require_unit(svc, user, unit)
        units: list[str] | None = svc.store.subtree(unit)
    elif user.role in ("admin", "auditor"):
        units = None  # every unit
    else:
        units = visible_units(svc, user)
    return svc.store.hosts(units, limit, offset) if units != [] else []


@router.get("/{host_id}", summary="One host")
def get_host(svc: ServicesDep, user: UserDep, host_id: str) -> dict[str, Any]:
    """A host with its per-requirement status."""
    row = _host_for(svc, user, host_id)
    row["requirements"] = json.loads(row["requirements"])
    return row


@router.get("/{host_id}/facts", summary="The latest facts of a host, by section")
def host_facts(svc: ServicesDep, user: UserDep, host_id: str) -> dict[str, Any]:
    """Each section's status, data and error."""
    _host_for(svc, user, host_id)
    return {
        r["section"]: {
            "status": r["status"],
            "collected_at": r["collected_at"],
            "error": r["error"],
            "data": json.loads(r["data"]) if r["data"] else None,
        }
        for r in svc.store.facts(host_id)
    }


@router.get("/{host_id}/findings", summary="The findings of a host")
def host_findings(svc: ServicesDep, user: UserDep, host_id: str) -> list[dict[str, Any]]:
    """Each check's status, reason and evidence."""
    _host_for(svc, user, host_id)
    return [{**r, "evidence": json.loads(r["evidence"])} for r in svc.store.findings(host_id)]


@router.get("/{host_id}/events", summary="Recent changes of a host")
def host_events(svc: ServicesDep, user: UserDep, host_id: str) -> list[dict[str, Any]]:
    """Section changes, newest first."""
    _host_for(svc, user, host_id)
    return [{**r, "detail": json.loads(r["detail"])} for r in svc.store.events(host_id)]


class ReenrollAllow(BaseModel):
    """How long a reinstalled machine may take this host back."""

    model_config = {"extra": "forbid"}

    hours: Annotated[int, Field(ge=1, le=24 * 14)] = 24


@router.post("/{host_id}/revoke", summary="Revoke a host's key (kept in history)", status_code=204)
def revoke_host(svc: ServicesDep, user: UserDep, host_id: str) -> None:
    """Its reports are refused from now on."""
    row = _host_for(svc, user, host_id)
    require_unit(svc, user, row["unit_id"], write=True)
    svc.store.set_host_status(host_id, "revoked", user.username)


@router.post(
    "/{host_id}/decommission",
    summary="Decommission a host (kept in history, not scored)",
    status_code=204,
)
def decommission_host(svc: ServicesDep, user: UserDep, host_id: str) -> None:
    """The host leaves the scores; its history stays."""
    row = _host_for(svc, user, host_id)
    require_unit(svc, user, row["unit_id"], write=True)
    svc.store.set_host_status(host_id, "decommissioned", user.username)


@router.post(
    "/{host_id}/allow-reenroll",
    summary="Allow a reinstalled machine to keep this host's history",
    status_code=204,
)
def allow_reenroll(svc: ServicesDep, user: UserDep, host_id: str, body: ReenrollAllow) -> None:
    """The next enrollment with the same hardware identity in the unit reuses this host."""
    row = _host_for(svc, user, host_id)
    require_unit(svc, user, row["unit_id"], write=True)
    svc.store.allow_reenroll(host_id, body.hours, user.username)
