"""Runs the knowledge on stored facts: host findings after a report, unit scores after a batch.

The pure work is in ``checks``; this module only reads rows, calls it, and writes results.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from canh.contract import SECTION_TYPES
from checks import (
    BUILTIN_PACKS,
    HostFacts,
    Pack,
    builtin_pack,
    evaluate_host,
    host_requirements,
    load_builtin,
    score_unit,
)
from checks.declarations import Declaration
from checks.kpis import HostSnapshot, unit_kpis
from checks.results import RequirementResult, UnitScore
from checks.scoring import evaluate_network, network_requirements
from collector import devices
from collector.declarations import unit_declarations, unit_waivers
from collector.profile import ProfileInvalid, context


class Knowledge:
    """The checks and packs this collector scores with, loaded once at start."""

    def __init__(self) -> None:
        self.checks = load_builtin()
        self._packs: dict[str, Pack] = {}

    def pack(self, pack_id: str) -> Pack:
        """A built-in pack (validated against the registered checks)."""
        if pack_id not in self._packs:
            self._packs[pack_id] = builtin_pack(pack_id)
        return self._packs[pack_id]

    def validate(self) -> None:
        """Load every built-in pack now, so a broken pack stops the start, not a report."""
        for pack_id in BUILTIN_PACKS:
            self.pack(pack_id)


log = logging.getLogger("canh.collector.evaluate")
# Hosts silent this long count in the "silent agents" KPI (the alerting threshold is a setting).
SILENT_AFTER = timedelta(hours=3)


def host_facts(
    rows: Iterable[tuple[str, str, str | None, bytes | None, str | None]],
    os_family: str,
    role: str | None,
    source: str = "agent",
    **extra: Any,
) -> HostFacts:
    """Checks' view of a host from its stored (section, status, hash, data, error) rows."""
    sections: dict[str, msgspec.Struct] = {}
    errors: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for section, status, digest, data, error in rows:
        fact_type = SECTION_TYPES.get(section)
        if fact_type is None:
            continue
        if status == "ok" and data is not None:
            try:
                sections[section] = msgspec.json.decode(data, type=fact_type)
            except msgspec.ValidationError as err:
                # Stored under an older contract: say so instead of failing the whole host.
                errors[section] = (
                    f"stored facts no longer match the contract ({err}); "
                    "the next report replaces them"
                )
                continue
            if digest:
                hashes[section] = digest
        elif status == "error":
            errors[section] = error or "error"
        elif status == "not_applicable":
            errors[section] = "not applicable on this host"
    return HostFacts(
        os_family=os_family,
        role=role,
        sections=sections,
        errors=errors,
        source=source,
        hashes=hashes,
        **extra,
    )


def _today() -> date:
    return datetime.now(UTC).date()


def _unit_context(
    conn: sqlite3.Connection, unit_id: str, profile: str, declared: dict[str, Declaration]
) -> Any:
    try:
        return context(profile, declared)
    except ProfileInvalid as err:  # validated on write; an old row must not stop scoring
        log.error("unit %s has an unreadable profile: %s", unit_id, err)
        return context("{}", declared)


def evaluate_host_row(conn: sqlite3.Connection, knowledge: Knowledge, host_id: str) -> str:
    """Recompute a host's findings, requirement statuses and KPI counts; return its unit id."""
    unit_id, os_family, role, source, hostname, last_seen, pack_id, level, profile = conn.execute(
        "SELECT h.unit_id, h.os_family, h.role, h.source, h.hostname, h.last_seen, u.pack, "
        "u.level, u.profile FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.id = ?",
        (host_id,),
    ).fetchone()
    today = _today()
    declared = unit_declarations(conn, unit_id, today)
    rows = conn.execute(
        "SELECT section, status, hash, data, error FROM facts WHERE host_id = ?", (host_id,)
    ).fetchall()
    facts = host_facts(
        rows,
        os_family,
        role,
        source,
        host=hostname,
        unit=_unit_context(conn, unit_id, profile, declared),
    )
    pack = knowledge.pack(pack_id)
    thresholds = pack.threshold_values()
    findings = evaluate_host(facts, pack, level, thresholds)
    now = time.time()
    conn.execute("DELETE FROM findings WHERE host_id = ?", (host_id,))
    conn.executemany(
        "INSERT INTO findings (host_id, check_id, status, reason, evidence, updated_at) "
        "VALUES (?,?,?,?,?,?)",
        [
            (host_id, f.check_id, f.status, f.reason, msgspec.json.encode(f.evidence).decode(), now)
            for f in findings.values()
        ],
    )
    statuses = host_requirements(
        role,
        findings,
        pack,
        level,
        host=host_id,
        waivers=unit_waivers(conn, unit_id, today),
        today=today,
    )
    failing = sum(1 for f in findings.values() if f.status == "fail")
    seen = datetime.fromtimestamp(last_seen or now, UTC)
    kpis = unit_kpis(
        [HostSnapshot(host_id, findings, facts, seen)],
        thresholds,
        now=datetime.fromtimestamp(now, UTC),
        silent_after=SILENT_AFTER,
    ).as_dict()
    conn.execute(
        "UPDATE hosts SET requirements = ?, failing_checks = ?, kpis = ? WHERE id = ?",
        (json.dumps(statuses), failing, json.dumps(_counts(kpis)), host_id),
    )
    return str(unit_id)


def _counts(kpis: dict[str, Any]) -> dict[str, list[int]]:
    """A host's KPIs as [count, of] pairs, which add up across hosts."""
    return {
        name: [value["count"], value["of"]]
        for name, value in kpis.items()
        if isinstance(value, dict) and name != "silent_agents"
    }


def ancestors(conn: sqlite3.Connection, unit_id: str) -> list[str]:
    """The unit and its parents up to the root."""
    rows = conn.execute(
        "WITH RECURSIVE a(id, parent) AS (SELECT id, parent_id FROM units WHERE id = ? "
        "UNION SELECT u.id, u.parent_id FROM units u JOIN a ON u.id = a.parent) SELECT id FROM a",
        (unit_id,),
    ).fetchall()
    return [r[0] for r in rows]


def reevaluate_unit_hosts(conn: sqlite3.Connection, knowledge: Knowledge, unit_id: str) -> None:
    """Recompute every active host of a unit's subtree (after a waiver or profile change)."""
    units = devices.subtree(conn, unit_id)
    marks = ",".join("?" * len(units))
    for (host_id,) in conn.execute(
        f"SELECT h.id FROM hosts h WHERE h.unit_id IN ({marks}) AND h.status = 'active' "  # noqa: S608 - placeholders only
        "AND EXISTS (SELECT 1 FROM facts f WHERE f.host_id = h.id)",
        units,
    ).fetchall():
        evaluate_host_row(conn, knowledge, host_id)


def score_unit_row(
    conn: sqlite3.Connection, knowledge: Knowledge, unit_id: str, day: str | None = None
) -> UnitScore:
    """Score a unit over its subtree's active hosts, its declarations, waivers and network scans;
    store it, with its KPIs, as the day's score.

    A parent is scored over the pooled hosts of its whole subtree (every host weighs the same)
    with its own declarations: the department's measures are its own, its hospitals' machines
    are all its machines.
    """
    pack_id, level = conn.execute(
        "SELECT pack, level FROM units WHERE id = ?", (unit_id,)
    ).fetchone()
    pack = knowledge.pack(pack_id)
    thresholds = pack.threshold_values()
    today = date.fromisoformat(day) if day else _today()
    now = time.time()
    units = devices.subtree(conn, unit_id)
    marks = ",".join("?" * len(units))
    rows = conn.execute(
        f"SELECT requirements, kpis, last_seen FROM hosts WHERE unit_id IN ({marks}) "  # noqa: S608 - placeholders only
        "AND status = 'active' AND last_seen IS NOT NULL",
        units,
    ).fetchall()
    waivers = unit_waivers(conn, unit_id, today)
    observation = devices.observation(conn, unit_id, now)
    network = network_requirements(
        evaluate_network(observation, pack, level, thresholds),
        pack,
        level,
        waivers=waivers,
        today=today,
    )
    result = score_unit(
        pack,
        level,
        (json.loads(r[0]) for r in rows),
        unit_declarations(conn, unit_id, today),
        network,
        waivers=waivers,
        today=today,
        thresholds=thresholds,
    )
    kpis = _unit_kpis(
        rows, now, devices.unmanaged_count(conn, units, now) if observation.sweep_at else None
    )
    conn.execute(
        "INSERT OR REPLACE INTO unit_scores (unit_id, day, score, level_met, by_evidence, "
        "requirements, hosts, computed_at, kpis) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            unit_id,
            today.isoformat(),
            result.score,
            int(result.level_met),
            json.dumps(result.by_evidence),
            json.dumps([_req_json(r) for r in result.requirements]),
            result.hosts,
            now,
            json.dumps(kpis),
        ),
    )
    return result


def _unit_kpis(
    rows: list[tuple[str, str, float]], now: float, unmanaged: int | None
) -> dict[str, Any]:
    """Sum the hosts' KPI counts; silent agents from their last report."""
    totals: dict[str, list[int]] = {}
    for _req, host_kpis, _seen in rows:
        for name, (count, of) in json.loads(host_kpis or "{}").items():
            total = totals.setdefault(name, [0, 0])
            total[0] += count
            total[1] += of
    out: dict[str, Any] = {"hosts": len(rows)}
    for name, (count, of) in sorted(totals.items()):
        out[name] = {"count": count, "of": of, "ratio": round(count / of, 4) if of else None}
    silent = sum(1 for *_x, seen in rows if now - seen > SILENT_AFTER.total_seconds())
    out["silent_agents"] = {
        "count": silent,
        "of": len(rows),
        "ratio": round(silent / len(rows), 4) if rows else None,
    }
    out["unmanaged_devices"] = unmanaged
    return out


def _req_json(result: RequirementResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "status": result.status,
        "value": round(result.value, 4),
        "passing": result.passing,
        "failing": result.failing,
        "unknown": result.unknown,
        "waived": result.waived,
        "not_applicable": result.not_applicable,
        "components": dict(result.components),
        "reason": result.reason,
    }
