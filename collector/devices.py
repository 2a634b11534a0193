"""Devices found by discovery: stored per unit, reconciled with enrolled hosts, and turned into
the network observation the ``scan.*`` checks read.

Reconciliation matches a device to a host of the unit's subtree by MAC address (from the hosts'
network facts), else by IP address. A device matched to no host is *unmanaged*: it counts in the
unit's KPIs and in L2-EPT-ROGUE-1, and the first sighting raises an alert.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from checks.network import NetworkObservation, ObservedDevice, ProbedPort
from inventory.model import Device, ScanResult
from inventory.targets import CURATED_PORTS

MAX_DEVICES = 65536
UNMANAGED_WINDOW_DAYS = 30  # a device not seen for this long no longer counts


@dataclass(frozen=True, slots=True)
class Recorded:
    """What storing a scan did."""

    devices: int
    new_unmanaged: list[dict[str, Any]]


def _norm_mac(mac: str | None) -> str | None:
    return mac.strip().lower().replace("-", ":") if mac else None


def host_addresses(conn: sqlite3.Connection, unit_ids: list[str]) -> dict[str, str]:
    """MAC and IP addresses of the units' active hosts, from their network facts → host id."""
    marks = ",".join("?" * len(unit_ids))
    out: dict[str, str] = {}
    rows = conn.execute(
        "SELECT h.id, f.data FROM hosts h JOIN facts f ON f.host_id = h.id AND "  # noqa: S608 - placeholders only
        f"f.section = 'network' AND f.status = 'ok' WHERE h.unit_id IN ({marks}) "
        "AND h.status = 'active'",
        unit_ids,
    )
    for host_id, data in rows:
        for iface in (msgspec.json.decode(data) or {}).get("interfaces", []):
            if iface.get("loopback"):
                continue
            mac = _norm_mac(iface.get("mac"))
            if mac:
                out[mac] = host_id
            for addr in iface.get("addresses", []):
                out.setdefault(str(addr.get("address")), host_id)
    return out


def subtree(conn: sqlite3.Connection, unit_id: str) -> list[str]:
    """The unit and its descendants."""
    return [
        r[0]
        for r in conn.execute(
            "WITH RECURSIVE t(id) AS (SELECT ? UNION SELECT u.id FROM units u JOIN t "
            "ON u.parent_id = t.id) SELECT id FROM t",
            (unit_id,),
        )
    ]


def record_scan(
    conn: sqlite3.Connection, unit_id: str, scan: ScanResult, now: float | None = None
) -> Recorded:
    """Upsert the scan's devices for the unit, matched to its hosts; report new unmanaged ones."""
    now = now or time.time()
    if len(scan.devices) > MAX_DEVICES:
        raise ValueError(f"a scan holds at most {MAX_DEVICES} devices")
    known = host_addresses(conn, subtree(conn, unit_id))
    new_unmanaged = []
    for device in scan.devices:
        mac = _norm_mac(device.mac)
        host_id = (known.get(mac) if mac else None) or known.get(device.ip)
        ports = msgspec.json.encode(device.open_ports).decode()
        observation = msgspec.json.encode(device).decode()
        row = conn.execute(
            "SELECT id, host_id FROM devices WHERE unit_id = ? AND "
            "(mac = ? OR (mac IS NULL AND ? IS NULL AND ip = ?)) ORDER BY last_seen DESC LIMIT 1",
            (unit_id, mac, mac, device.ip),
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO devices (unit_id, ip, mac, vendor, hostname, type_guess, host_id, "
                "open_ports, observation, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    unit_id,
                    device.ip,
                    mac,
                    device.vendor,
                    device.hostname,
                    device.type_guess,
                    host_id,
                    ports,
                    observation,
                    now,
                    now,
                ),
            )
            if host_id is None:
                new_unmanaged.append(
                    {
                        "ip": device.ip,
                        "mac": mac,
                        "vendor": device.vendor,
                        "hostname": device.hostname,
                        "type": device.type_guess,
                    }
                )
        else:
            conn.execute(
                "UPDATE devices SET ip = ?, vendor = ?, hostname = ?, type_guess = ?, "
                "host_id = ?, open_ports = ?, observation = ?, last_seen = ? WHERE id = ?",
                (
                    device.ip,
                    device.vendor,
                    device.hostname,
                    device.type_guess,
                    host_id,
                    ports,
                    observation,
                    now,
                    row[0],
                ),
            )
    conn.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
        (
            now,
            "discovery",
            "scan.recorded",
            unit_id,
            json.dumps(
                {
                    "devices": len(scan.devices),
                    "targets": scan.targets,
                    "finished_at": scan.finished_at.isoformat(),
                }
            ),
        ),
    )
    return Recorded(len(scan.devices), new_unmanaged)


def last_sweep(conn: sqlite3.Connection, unit_id: str) -> datetime | None:
    """When a scan of the unit was last recorded."""
    row = conn.execute(
        "SELECT max(at) FROM audit WHERE action = 'scan.recorded' AND target = ?", (unit_id,)
    ).fetchone()
    return datetime.fromtimestamp(row[0], UTC) if row and row[0] else None


def _observed(observation: str) -> ObservedDevice:
    device = msgspec.json.decode(observation, type=Device)
    return ObservedDevice(
        ip=device.ip,
        mac=device.mac,
        vendor=device.vendor,
        hostname=device.hostname,
        open_ports=[
            ProbedPort(proto=p.proto, port=p.port, banner=p.banner)
            for p in device.open_ports
            if p.port >= 1
        ],
        snmp_communities=["public"] if device.snmp_public else None,
        telnet_negotiated=None,
    )


def observation(
    conn: sqlite3.Connection, unit_id: str, now: float | None = None
) -> NetworkObservation:
    """What the scan checks see for a unit: recent devices, and what is managed."""
    now = now or time.time()
    units = subtree(conn, unit_id)
    marks = ",".join("?" * len(units))
    rows = conn.execute(
        f"SELECT observation FROM devices WHERE unit_id IN ({marks}) AND last_seen >= ?",  # noqa: S608 - placeholders only
        [*units, now - UNMANAGED_WINDOW_DAYS * 86400],
    ).fetchall()
    swept = last_sweep(conn, unit_id)
    addresses = host_addresses(conn, units)
    return NetworkObservation(
        observed_at=datetime.fromtimestamp(now, UTC),
        devices=[_observed(r[0]) for r in rows] if swept else None,
        sweep_at=swept,
        managed_macs=[a for a in addresses if ":" in a and a.count(":") == 5],
        managed_ips=[a for a in addresses if a.count(":") != 5],
    )


def unmanaged_count(conn: sqlite3.Connection, unit_ids: Iterable[str], now: float) -> int:
    """Recently seen devices of the units that match no host."""
    ids = list(unit_ids)
    marks = ",".join("?" * len(ids))
    row = conn.execute(
        f"SELECT count(*) FROM devices WHERE unit_id IN ({marks}) AND host_id IS NULL "  # noqa: S608 - placeholders only
        "AND last_seen >= ?",
        [*ids, now - UNMANAGED_WINDOW_DAYS * 86400],
    ).fetchone()
    return int(row[0])


def port_mismatches(conn: sqlite3.Connection, host_id: str) -> dict[str, list[str]]:
    """Network view against host view for one host: ports open from the network that its agent
    does not report, and ports the agent reports on all interfaces that the scan did not see."""
    device = conn.execute(
        "SELECT open_ports FROM devices WHERE host_id = ? ORDER BY last_seen DESC LIMIT 1",
        (host_id,),
    ).fetchone()
    facts = conn.execute(
        "SELECT data FROM facts WHERE host_id = ? AND section = 'ports' AND status = 'ok'",
        (host_id,),
    ).fetchone()
    if device is None or facts is None:
        return {}
    seen = {f"{p['proto']}/{p['port']}" for p in json.loads(device[0])}
    reported = {
        f"{x['proto']}/{x['port']}"
        for x in msgspec.json.decode(facts[0])["listening"]
        if x.get("scope") == "all"
    }
    # Only ports the scan probes can be missing from it for a reason worth telling.
    probed = {f"{spec.proto}/{spec.port}" for spec in CURATED_PORTS}
    return {
        "network_only": sorted(seen - reported),
        "host_only": sorted((reported & probed) - seen),
    }
