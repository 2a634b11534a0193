"""What the pages show, read from the store with indexed, bounded queries (10,000 hosts).

Host lists are filtered, sorted and paginated in SQL; unit-wide figures are one GROUP BY each.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collector.services import Services

Row = dict[str, Any]
PAGE_SIZE = 50
# Requirements whose per-host status stands for "antivirus" and "patches" in the host lists
# (the catalogue's ids, shared by both packs); the first one a host is scored on wins.
AV_REQUIREMENTS = ("L2-DES-AV-1", "L2-EPT-AV-1", "L2-SRV-MAL-1")
PATCH_REQUIREMENTS = ("L2-EPT-PATCH-1", "L2-SRV-PATCH-1")
STATUS_ORDER = {"not_met": 0, "no_evidence": 1, "partly_met": 2, "met": 3, "not_applicable": 4}


def _coalesce(ids: Sequence[str]) -> str:
    return "COALESCE(" + ", ".join(f"json_extract(h.requirements, '$.\"{r}\"')" for r in ids) + ")"


AV_SQL = _coalesce(AV_REQUIREMENTS)
PATCH_SQL = _coalesce(PATCH_REQUIREMENTS)


def marks(values: Sequence[Any]) -> str:
    """``?,?,…`` for an IN list."""
    return ",".join("?" * len(values))


@dataclass
class UnitNode:
    """A unit in the tree, with its latest score and live counts."""

    id: str
    name: str
    parent_id: str | None
    level: int
    depth: int = 0
    score: float | None = None
    level_met: bool = False
    day: str | None = None
    hosts: int = 0
    online: int = 0
    failing_hosts: int = 0
    incidents: int = 0
    devices: int = 0
    requirements: list[Row] = field(default_factory=list)
    bar: str = ""  # the score bar's SVG, set by the page


def latest_scores(svc: Services, unit_ids: Sequence[str]) -> dict[str, Row]:
    """Each unit's newest score row (one indexed lookup per unit)."""
    out: dict[str, Row] = {}
    for uid in unit_ids:
        row = svc.store.unit_score(uid)
        if row is not None:
            out[uid] = row
    return out


def host_counts(svc: Services, unit_ids: Sequence[str]) -> dict[str, Row]:
    """Active hosts, online and failing, per unit."""
    if not unit_ids:
        return {}
    online_after = time.time() - svc.settings.silent_after_seconds
    rows = svc.store.query(
        f"SELECT unit_id, count(*) AS hosts, sum(last_seen > ?) AS online, "  # noqa: S608 - placeholders only
        f"sum(failing_checks > 0) AS failing FROM hosts WHERE status = 'active' "
        f"AND unit_id IN ({marks(unit_ids)}) GROUP BY unit_id",
        [online_after, *unit_ids],
    )
    return {r["unit_id"]: r for r in rows}


def open_incident_counts(svc: Services, unit_ids: Sequence[str]) -> dict[str, int]:
    """Incidents not resolved, per unit."""
    if not unit_ids:
        return {}
    rows = svc.store.query(
        f"SELECT unit_id, count(*) AS n FROM incidents WHERE status != 'resolved' "  # noqa: S608
        f"AND unit_id IN ({marks(unit_ids)}) GROUP BY unit_id",
        list(unit_ids),
    )
    return {r["unit_id"]: int(r["n"]) for r in rows}


def unmanaged_counts(svc: Services, unit_ids: Sequence[str]) -> dict[str, int]:
    """Devices seen on the network without an agent or SSH host, per unit."""
    if not unit_ids:
        return {}
    rows = svc.store.query(
        f"SELECT unit_id, count(*) AS n FROM devices WHERE host_id IS NULL "  # noqa: S608
        f"AND unit_id IN ({marks(unit_ids)}) GROUP BY unit_id",
        list(unit_ids),
    )
    return {r["unit_id"]: int(r["n"]) for r in rows}


def unit_tree(svc: Services, allowed: Sequence[str]) -> list[UnitNode]:
    """The visible units in tree order (parents before children), with their figures."""
    allowed_set = set(allowed)
    units = [u for u in svc.store.units() if u["id"] in allowed_set]
    by_parent: dict[str | None, list[Row]] = {}
    for u in units:
        parent = u["parent_id"] if u["parent_id"] in allowed_set else None
        by_parent.setdefault(parent, []).append(u)
    ids = [u["id"] for u in units]
    scores = latest_scores(svc, ids)
    counts = host_counts(svc, ids)
    incidents = open_incident_counts(svc, ids)
    devices = unmanaged_counts(svc, ids)
    out: list[UnitNode] = []

    def walk(parent: str | None, depth: int) -> None:
        for u in by_parent.get(parent, []):
            s = scores.get(u["id"])
            c = counts.get(u["id"], {})
            out.append(
                UnitNode(
                    id=u["id"],
                    name=u["name"],
                    parent_id=u["parent_id"],
                    level=u["level"],
                    depth=depth,
                    score=s["score"] if s else None,
                    level_met=bool(s["level_met"]) if s else False,
                    day=s["day"] if s else None,
                    hosts=int(c.get("hosts") or 0),
                    online=int(c.get("online") or 0),
                    failing_hosts=int(c.get("failing") or 0),
                    incidents=incidents.get(u["id"], 0),
                    devices=devices.get(u["id"], 0),
                    requirements=json.loads(s["requirements"]) if s else [],
                )
            )
            walk(u["id"], depth + 1)

    walk(None, 0)
    return out


def open_incidents(svc: Services, unit_ids: Sequence[str], limit: int = 50) -> list[Row]:
    """Open and acknowledged incidents, serious and newest first, with unit and host names."""
    if not unit_ids:
        return []
    return svc.store.query(
        f"SELECT i.*, u.name AS unit_name, h.hostname FROM incidents i "  # noqa: S608
        f"JOIN units u ON u.id = i.unit_id LEFT JOIN hosts h ON h.id = i.host_id "
        f"WHERE i.status != 'resolved' AND i.unit_id IN ({marks(unit_ids)}) "
        f"ORDER BY i.serious DESC, i.opened_at DESC LIMIT ?",
        [*unit_ids, limit],
    )


def recent_incidents(svc: Services, unit_ids: Sequence[str], limit: int = 50) -> list[Row]:
    """Incidents of the units, newest first, whatever their status."""
    if not unit_ids:
        return []
    return svc.store.query(
        f"SELECT i.*, u.name AS unit_name, h.hostname FROM incidents i "  # noqa: S608
        f"JOIN units u ON u.id = i.unit_id LEFT JOIN hosts h ON h.id = i.host_id "
        f"WHERE i.unit_id IN ({marks(unit_ids)}) ORDER BY i.opened_at DESC LIMIT ?",
        [*unit_ids, limit],
    )


def deadlines(incidents: Sequence[Row], now: float) -> list[Row]:
    """The legal clocks of serious incidents still open (Decree 331 Art. 31.2.d: notice 24 h,
    report 72 h), soonest first, with whether each is overdue."""
    out: list[Row] = []
    for inc in incidents:
        if not inc.get("serious"):
            continue
        for kind in ("notice", "report"):
            due = inc.get(f"{kind}_due_at")
            if due:
                out.append(
                    {
                        "incident": inc,
                        "kind": kind,
                        "due_at": due,
                        "overdue": due < now,
                        "hours": round((due - now) / 3600, 1),
                    }
                )
    return sorted(out, key=lambda d: d["due_at"])


def unmanaged_devices(svc: Services, unit_ids: Sequence[str], limit: int = 100) -> list[Row]:
    """Devices without an agent, newest sighting first."""
    if not unit_ids:
        return []
    rows = svc.store.query(
        f"SELECT d.*, u.name AS unit_name FROM devices d JOIN units u ON u.id = d.unit_id "  # noqa: S608
        f"WHERE d.host_id IS NULL AND d.unit_id IN ({marks(unit_ids)}) "
        f"ORDER BY d.last_seen DESC LIMIT ?",
        [*unit_ids, limit],
    )
    for row in rows:
        try:
            ports = json.loads(row["open_ports"] or "[]")
        except ValueError:
            ports = []
        row["ports_text"] = ", ".join(str(p) for p in ports[:12]) if isinstance(ports, list) else ""
    return rows


# --- host lists ----------------------------------------------------------------------------------

SORTS = {
    "hostname": "h.hostname",
    "last_seen": "h.last_seen",
    "failing": "h.failing_checks",
    "os": "h.os_family",
    "av": "av",
    "patch": "patch",
    "unit": "u.name",
}


@dataclass(frozen=True, slots=True)
class HostQuery:
    """Filters, order and page of a host list (from the query string, validated)."""

    online: str = ""  # "", "yes", "no"
    av: str = ""  # "", "pass", "fail", "unknown"
    patch: str = ""
    failing: str = ""  # "", "yes", "no"
    q: str = ""  # host name contains
    sort: str = "hostname"
    desc: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> HostQuery:
        """Unknown values fall back to "no filter" rather than an error."""

        def pick(key: str, allowed: tuple[str, ...]) -> str:
            value = params.get(key, "")
            return value if value in allowed else ""

        try:
            page = max(1, min(10_000, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        sort = params.get("sort", "hostname")
        return cls(
            online=pick("online", ("yes", "no")),
            av=pick("av", ("pass", "fail", "unknown")),
            patch=pick("patch", ("pass", "fail", "unknown")),
            failing=pick("failing", ("yes", "no")),
            q=params.get("q", "")[:64],
            sort=sort if sort in SORTS else "hostname",
            desc=params.get("dir") == "desc",
            page=page,
        )


def _status_clause(expr: str, wanted: str) -> str:
    if wanted == "unknown":
        return f"({expr} IS NULL OR {expr} NOT IN ('pass', 'fail'))"
    return f"{expr} = '{wanted}'"  # wanted is one of the validated literals


def host_list(svc: Services, unit_ids: Sequence[str], hq: HostQuery) -> tuple[list[Row], int]:
    """One page of active hosts of the units, and how many match the filters."""
    if not unit_ids:
        return [], 0
    where = [f"h.unit_id IN ({marks(unit_ids)})", "h.status = 'active'"]
    params: list[Any] = list(unit_ids)
    online_after = time.time() - svc.settings.silent_after_seconds
    if hq.online == "yes":
        where.append("h.last_seen > ?")
        params.append(online_after)
    elif hq.online == "no":
        where.append("(h.last_seen IS NULL OR h.last_seen <= ?)")
        params.append(online_after)
    if hq.av:
        where.append(_status_clause(AV_SQL, hq.av))
    if hq.patch:
        where.append(_status_clause(PATCH_SQL, hq.patch))
    if hq.failing == "yes":
        where.append("h.failing_checks > 0")
    elif hq.failing == "no":
        where.append("h.failing_checks = 0")
    if hq.q:
        where.append("h.hostname LIKE ? ESCAPE '\\'")
        params.append(
            "%" + hq.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    clause = " AND ".join(where)
    total_row = svc.store.one(
        f"SELECT count(*) AS n FROM hosts h WHERE {clause}",  # noqa: S608 - built from fixed parts
        params,
    )
    total = int(total_row["n"]) if total_row else 0
    order = SORTS[hq.sort]
    direction = "DESC" if hq.desc else "ASC"
    rows = svc.store.query(
        f"SELECT h.id, h.hostname, h.os_family, h.role, h.source, h.last_seen, "  # noqa: S608
        f"h.failing_checks, u.name AS unit_name, h.unit_id, {AV_SQL} AS av, {PATCH_SQL} AS patch, "
        f"(h.last_seen > ?) AS online FROM hosts h JOIN units u ON u.id = h.unit_id "
        f"WHERE {clause} ORDER BY {order} {direction} NULLS LAST, h.hostname LIMIT ? OFFSET ?",
        [online_after, *params, PAGE_SIZE, (hq.page - 1) * PAGE_SIZE],
    )
    return rows, total


def top_failing_checks(svc: Services, unit_ids: Sequence[str], limit: int = 10) -> list[Row]:
    """The checks failing on the most hosts of the units."""
    if not unit_ids:
        return []
    return svc.store.query(
        f"SELECT f.check_id, count(*) AS hosts FROM findings f "  # noqa: S608
        f"JOIN hosts h ON h.id = f.host_id WHERE f.status = 'fail' AND h.status = 'active' "
        f"AND h.unit_id IN ({marks(unit_ids)}) GROUP BY f.check_id "
        f"ORDER BY hosts DESC, f.check_id LIMIT ?",
        [*unit_ids, limit],
    )
