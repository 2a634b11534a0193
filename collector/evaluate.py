"""Runs the knowledge on stored facts: host findings after a report, unit scores after a batch.

The pure work is in ``checks``; this module only reads rows, calls it, and writes results.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
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
from checks.scoring import UnitScore


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


def host_facts(
    rows: Iterable[tuple[str, str, bytes | None, str | None]],
    os_family: str,
    role: str | None,
    source: str = "agent",
) -> HostFacts:
    """Checks' view of a host from its stored (section, status, data, error) rows."""
    sections: dict[str, msgspec.Struct] = {}
    errors: dict[str, str] = {}
    for section, status, data, error in rows:
        fact_type = SECTION_TYPES.get(section)
        if fact_type is None:
            continue
        if status == "ok" and data is not None:
            sections[section] = msgspec.json.decode(data, type=fact_type)
        elif status == "error":
            errors[section] = error or "error"
        elif status == "not_applicable":
            errors[section] = "not applicable on this host"
    return HostFacts(
        os_family=os_family, role=role, sections=sections, errors=errors, source=source
    )


def evaluate_host_row(conn: sqlite3.Connection, knowledge: Knowledge, host_id: str) -> str:
    """Recompute a host's findings and requirement statuses; return its unit id."""
    host = conn.execute(
        "SELECT h.unit_id, h.os_family, h.role, h.source, u.pack, u.level "
        "FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.id = ?",
        (host_id,),
    ).fetchone()
    unit_id, os_family, role, source, pack_id, level = host
    rows = conn.execute(
        "SELECT section, status, data, error FROM facts WHERE host_id = ?", (host_id,)
    ).fetchall()
    facts = host_facts(rows, os_family, role, source)
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
    statuses = host_requirements(role, findings, pack, level)
    failing = sum(1 for f in findings.values() if f.status == "fail")
    conn.execute(
        "UPDATE hosts SET requirements = ?, failing_checks = ? WHERE id = ?",
        (json.dumps(statuses), failing, host_id),
    )
    return str(unit_id)


def ancestors(conn: sqlite3.Connection, unit_id: str) -> list[str]:
    """The unit and its parents up to the root."""
    rows = conn.execute(
        "WITH RECURSIVE a(id, parent) AS (SELECT id, parent_id FROM units WHERE id = ? "
        "UNION SELECT u.id, u.parent_id FROM units u JOIN a ON u.id = a.parent) SELECT id FROM a",
        (unit_id,),
    ).fetchall()
    return [r[0] for r in rows]


def score_unit_row(
    conn: sqlite3.Connection, knowledge: Knowledge, unit_id: str, day: str | None = None
) -> UnitScore:
    """Score a unit over its whole subtree's active hosts and store it as the day's score."""
    unit = conn.execute("SELECT pack, level FROM units WHERE id = ?", (unit_id,)).fetchone()
    pack = knowledge.pack(unit[0])
    rows = conn.execute(
        "WITH RECURSIVE t(id) AS (SELECT ? UNION SELECT u.id FROM units u JOIN t "
        "ON u.parent_id = t.id) SELECT h.requirements FROM hosts h JOIN t ON h.unit_id = t.id "
        "WHERE h.status = 'active' AND h.last_seen IS NOT NULL",
        (unit_id,),
    ).fetchall()
    result = score_unit(pack, unit[1], (json.loads(r[0]) for r in rows))
    day = day or datetime.now(UTC).date().isoformat()
    conn.execute(
        "INSERT OR REPLACE INTO unit_scores (unit_id, day, score, level_met, by_evidence, "
        "requirements, hosts, computed_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            unit_id,
            day,
            result.score,
            int(result.level_met),
            json.dumps(result.by_evidence),
            json.dumps([_req_json(r) for r in result.requirements]),
            result.hosts,
            time.time(),
        ),
    )
    return result


def _req_json(result: Any) -> dict[str, Any]:
    return {
        "id": result.id,
        "status": result.status,
        "value": round(result.value, 4),
        "passing": result.passing,
        "failing": result.failing,
        "unknown": result.unknown,
        "reason": result.reason,
    }
