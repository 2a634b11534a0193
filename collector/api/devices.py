"""Discovery results: scans uploaded for a unit, its devices (managed or not), a unit's profile,
and the network view of a host against what its agent reports."""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request, Response

from collector.api.agents import read_body
from collector.api.deps import ServicesDep, UserDep, require_unit, visible_units
from collector.devices import port_mismatches
from collector.errors import ApiError
from collector.evaluate import ancestors, reevaluate_unit_hosts, score_unit_row
from collector.profile import ProfileInvalid, parse_profile
from collector.scanning import record_job
from inventory.model import ScanResult

router = APIRouter(prefix="/api/v1", tags=["devices"])
MAX_SCAN_BYTES = 16 * 1024 * 1024
MAX_PROFILE_BYTES = 256 * 1024


@router.post(
    "/units/{unit_id}/scans",
    summary="Record a discovery scan of the unit (JSON of `canh scan --json`)",
    status_code=201,
)
async def upload_scan(
    request: Request, svc: ServicesDep, user: UserDep, unit_id: str
) -> dict[str, Any]:
    """Devices are matched to the unit's hosts; new unmanaged ones raise an alert."""
    require_unit(svc, user, unit_id, write=True)
    body = await read_body(request, MAX_SCAN_BYTES)
    try:
        scan = msgspec.json.decode(body, type=ScanResult)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise ApiError(422, "invalid_scan", str(err)) from err
    recorded = await svc.store.writer.run(record_job(svc.knowledge, unit_id, scan))
    await svc.store.writer.run(
        svc.store.audit_job(user.username, "scan.upload", unit_id, {"devices": recorded.devices})
    )
    return {"devices": recorded.devices, "new_unmanaged": recorded.new_unmanaged}


@router.get("/units/{unit_id}/devices", summary="Devices seen on the unit's networks")
def list_devices(
    svc: ServicesDep,
    user: UserDep,
    unit_id: str,
    unmanaged: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Newest first; ``unmanaged=true`` keeps those matched to no enrolled host."""
    require_unit(svc, user, unit_id)
    units = svc.store.subtree(unit_id)
    marks = ",".join("?" * len(units))
    where = " AND host_id IS NULL" if unmanaged else ""
    rows = svc.store.query(
        f"SELECT id, unit_id, ip, mac, vendor, hostname, type_guess, host_id, open_ports, "  # noqa: S608 - placeholders and a fixed clause
        f"first_seen, last_seen FROM devices WHERE unit_id IN ({marks}){where} "
        "ORDER BY last_seen DESC LIMIT ? OFFSET ?",
        [*units, limit, offset],
    )
    return [{**r, "open_ports": json.loads(r["open_ports"])} for r in rows]


@router.get(
    "/hosts/{host_id}/network-view", summary="Ports seen from the network vs reported by the host"
)
def network_view(svc: ServicesDep, user: UserDep, host_id: str) -> dict[str, list[str]]:
    """``network_only``: open from the network, not reported by the agent (a finding);
    ``host_only``: reported as listening on every interface but filtered on the network."""
    row = svc.store.host(host_id)
    if row is None or row["unit_id"] not in visible_units(svc, user):
        raise ApiError(404, "not_found", f"no host {host_id}")
    return svc.store.writer.call(lambda conn: port_mismatches(conn, host_id))


@router.get("/units/{unit_id}/profile", summary="What the unit declares for the checks")
def get_profile(svc: ServicesDep, user: UserDep, unit_id: str) -> Response:
    """Zones, allowed ports, approved administrators, software, browsers, DNS resolvers."""
    require_unit(svc, user, unit_id)
    row = svc.store.unit(unit_id)
    assert row is not None
    return Response(row["profile"], media_type="application/json")


@router.put("/units/{unit_id}/profile", summary="Replace the unit's profile")
async def put_profile(request: Request, svc: ServicesDep, user: UserDep, unit_id: str) -> Response:
    """Validated strictly; the unit's hosts are re-evaluated and the unit rescored."""
    require_unit(svc, user, unit_id, write=True)
    body = await read_body(request, MAX_PROFILE_BYTES)
    try:
        profile = parse_profile(body)
    except ProfileInvalid as err:
        raise ApiError(422, "invalid_profile", str(err)) from err
    text = msgspec.json.encode(profile).decode()
    audit = svc.store.audit_job(user.username, "unit.profile", unit_id)

    def job(conn: Any) -> None:
        conn.execute("UPDATE units SET profile = ? WHERE id = ?", (text, unit_id))
        reevaluate_unit_hosts(conn, svc.knowledge, unit_id)
        for uid in ancestors(conn, unit_id):
            score_unit_row(conn, svc.knowledge, uid)
        audit(conn)

    await svc.store.writer.run(job)
    return Response(text, media_type="application/json")
