"""Seed a collector store with a department: units, users, hosts with facts and findings, a year
of daily scores, incidents and unmanaged devices. Writes go through the store's writer."""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from checks import Pack, builtin_pack
from collector.evaluate import Knowledge, score_unit_row
from collector.store import Store

PASSWORD = "a-long-test-password-1"
UNITS = (
    ("syt", None, "Sở Y tế tỉnh Lâm Đồng"),
    ("bvdk", "syt", "Bệnh viện Đa khoa tỉnh"),
    ("tram1", "bvdk", "Trạm Y tế xã Đạ Nhim"),
    ("bv2", "syt", "Bệnh viện Y học cổ truyền"),
)
LEAVES = ("bvdk", "tram1", "bv2")
USERS = (("it-bvdk", "unit_it", "bvdk"), ("it-bv2", "unit_it", "bv2"), ("auditor", "auditor", None))


@dataclass
class Seeded:
    """What was seeded: host ids per unit, and the first host of each unit."""

    hosts: dict[str, list[str]] = field(default_factory=dict)

    def first(self, unit: str) -> str:
        return self.hosts[unit][0]


@functools.cache
def _pack(pack_id: str) -> Pack:
    return builtin_pack(pack_id)


def _statuses(pack_id: str, index: int, role: str) -> dict[str, str]:
    """Per-requirement host status: most pass, every third host fails antivirus, every fourth
    patches, and the rest of the host-scoped ones alternate."""
    pack = _pack(pack_id)
    out: dict[str, str] = {}
    for req in pack.for_level(2):
        if not req.host_scoped or not req.applies_to_role(role):
            continue
        status = "pass"
        if "AV" in req.id or "MAL" in req.id:
            status = "fail" if index % 3 == 0 else "pass"
        elif "PATCH" in req.id:
            status = "fail" if index % 4 == 1 else "pass"
        elif index % 5 == 2:
            status = "unknown"
        out[req.id] = status
    return out


def seed_units_and_users(store: Store) -> None:
    """The unit tree and one user of each role (the admin exists from ``init``)."""
    for uid, parent, name in UNITS:
        store.create_unit(name, parent, "vn-2026", 2, "seed", unit_id=uid)
    for username, role, unit in USERS:
        store.create_user(username, PASSWORD, role, unit, "seed")


def seed_hosts(store: Store, per_unit: int, now: float | None = None) -> Seeded:
    """Hosts in each leaf unit with requirement statuses, findings, facts and change events."""
    now = now or time.time()
    seeded = Seeded()

    def job(conn: sqlite3.Connection) -> None:
        facts: list[tuple[str, str, str, str | None, bytes | None, str | None, str]] = []
        host_rows, findings, events = [], [], []
        for unit in LEAVES:
            ids = []
            for i in range(per_unit):
                hid = f"h_{unit}_{i:05d}"
                ids.append(hid)
                role = "server" if i % 10 == 0 else "workstation"
                os_family = "linux" if i % 10 == 0 else "windows"
                statuses = _statuses("vn-2026", i, role)
                failing = sum(1 for s in statuses.values() if s == "fail")
                last_seen = now - (60 if i % 7 else 5 * 86400)  # every seventh host is silent
                host_rows.append(
                    (
                        hid,
                        unit,
                        f"{unit}-pc-{i:05d}",
                        os_family,
                        role,
                        b"\0" * 32,
                        now - 400 * 86400,
                        last_seen,
                        failing,
                        json.dumps(statuses),
                    )
                )
                av = "fail" if i % 3 == 0 else "pass"
                findings.append(
                    (
                        hid,
                        "av.installed",
                        av,
                        "no anti-malware product found" if av == "fail" else "Kaspersky running",
                        json.dumps(
                            [
                                {
                                    "fact": "antivirus.products",
                                    "value": []
                                    if av == "fail"
                                    else ["Kaspersky Endpoint Security"],
                                    "source": "agent",
                                }
                            ]
                        ),
                        now,
                    )
                )
                findings.append(
                    (
                        hid,
                        "ports.risky_exposed",
                        "fail" if i % 4 == 1 else "pass",
                        "telnet (23/tcp) listening on 0.0.0.0" if i % 4 == 1 else "no risky port",
                        json.dumps(
                            [{"fact": "ports.listening", "value": "23/tcp", "source": "agent"}]
                        ),
                        now,
                    )
                )
                if i < 3:
                    facts.append(
                        (
                            hid,
                            "system",
                            "ok",
                            "h1",
                            json.dumps(
                                {
                                    "hostname": f"{unit}-pc-{i:05d}",
                                    "os_name": "Windows 10 Pro",
                                    "os_version": "10.0.19045",
                                    "role": role,
                                    "domain": "syt.local",
                                }
                            ).encode(),
                            None,
                            "2026-11-01T08:00:00+00:00",
                        )
                    )
                    facts.append(
                        (
                            hid,
                            "software",
                            "ok",
                            "h2",
                            json.dumps(
                                {
                                    "packages": [
                                        {
                                            "name": "Mozilla Firefox",
                                            "version": "128.0",
                                            "source": "registry",
                                        },
                                        {
                                            "name": "Phần mềm Kế toán HCSN",
                                            "version": "2.1",
                                            "source": "registry",
                                        },
                                    ]
                                }
                            ).encode(),
                            None,
                            "2026-11-01T08:00:00+00:00",
                        )
                    )
                    facts.append(
                        (
                            hid,
                            "logging",
                            "error",
                            None,
                            None,
                            "access denied",
                            "2026-11-01T08:00:00+00:00",
                        )
                    )
                    events.append(
                        (
                            hid,
                            now - 86400,
                            "software",
                            "changed",
                            json.dumps(
                                {
                                    "added": ["Phần mềm Kế toán HCSN (msi, x64)"],
                                    "removed": ["Adobe Flash Player (msi, x86)"],
                                }
                            ),
                        )
                    )
                    events.append(
                        (
                            hid,
                            now - 3600,
                            "antivirus",
                            "changed",
                            json.dumps({"changed": {"Kaspersky": {"signatures_age_days": [9, 0]}}}),
                        )
                    )
            seeded.hosts[unit] = ids
        conn.executemany(
            "INSERT INTO hosts (id, unit_id, hostname, os_family, role, public_key, enrolled_at, "
            "last_seen, failing_checks, requirements) VALUES (?,?,?,?,?,?,?,?,?,?)",
            host_rows,
        )
        conn.executemany(
            "INSERT INTO findings (host_id, check_id, status, reason, evidence, updated_at) "
            "VALUES (?,?,?,?,?,?)",
            findings,
        )
        conn.executemany(
            "INSERT INTO facts (host_id, section, status, hash, data, error, collected_at) "
            "VALUES (?,?,?,?,?,?,?)",
            facts,
        )
        conn.executemany(
            "INSERT INTO events (host_id, at, section, kind, detail) VALUES (?,?,?,?,?)", events
        )

    store.writer.call(job, timeout=600)
    return seeded


def seed_history(
    store: Store, knowledge: Knowledge, today: date | None = None, days: int = 400
) -> None:
    """A score row per unit per day (a year of slow improvement), then today's real score."""
    today = today or datetime.now(UTC).date()

    def job(conn: sqlite3.Connection) -> None:
        rows = []
        for n, (uid, _parent, _name) in enumerate(UNITS):
            for back in range(days, 0, -1):
                day = today - timedelta(days=back)
                progress = (days - back) / days
                score = round(20 + 30 * progress + 3 * n, 2)
                kpis = {
                    "av_coverage": round(0.5 + 0.3 * progress, 3),
                    "patch_compliance": round(0.4 + 0.35 * progress, 3),
                    "unmanaged_devices": 6 - int(4 * progress),
                }
                rows.append(
                    (
                        uid,
                        day.isoformat(),
                        score,
                        0,
                        json.dumps({"A": score + 10, "N": score - 10, "D": score / 2}),
                        json.dumps(
                            [
                                {
                                    "id": "L2-EPT-AV-1",
                                    "status": "partly_met",
                                    "value": 0.6,
                                    "passing": 6,
                                    "failing": 4,
                                    "unknown": 0,
                                    "reason": "6/10 hosts pass",
                                }
                            ]
                        ),
                        10,
                        time.time(),
                        json.dumps(kpis),
                    )
                )
        conn.executemany(
            "INSERT OR REPLACE INTO unit_scores (unit_id, day, score, level_met, by_evidence, "
            "requirements, hosts, computed_at, kpis) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        for uid in ("tram1", "bvdk", "bv2", "syt"):
            score_unit_row(conn, knowledge, uid, today.isoformat())

    store.writer.call(job, timeout=600)


def seed_incidents_and_devices(store: Store, seeded: Seeded, now: float | None = None) -> None:
    """A serious open incident with its legal clocks, a resolved one, two unmanaged devices."""
    now = now or time.time()

    def job(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO incidents (fingerprint, unit_id, host_id, kind, severity, status, "
            "requirement_id, serious, opened_at, notice_due_at, report_due_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                "fp-av-off",
                "bvdk",
                seeded.first("bvdk"),
                "antivirus_off",
                "critical",
                "open",
                "L2-EPT-AV-1",
                1,
                now - 3600 * 20,
                now - 3600 * 20 + 86400,
                now - 3600 * 20 + 3 * 86400,
            ),
        )
        conn.execute(
            "INSERT INTO incidents (fingerprint, unit_id, host_id, kind, severity, status, "
            "serious, opened_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                "fp-port",
                "bv2",
                seeded.first("bv2"),
                "risky_port",
                "warning",
                "resolved",
                0,
                now - 40 * 86400,
                now - 39 * 86400,
            ),
        )
        conn.executemany(
            "INSERT INTO devices (unit_id, ip, mac, vendor, hostname, type_guess, open_ports, "
            "first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    "bvdk",
                    "10.1.2.50",
                    "00:11:22:33:44:55",
                    "HP",
                    "NPI-PRINTER",
                    "printer",
                    json.dumps([80, 443, 9100]),
                    now - 30 * 86400,
                    now - 600,
                ),
                (
                    "tram1",
                    "10.1.3.77",
                    None,
                    None,
                    None,
                    "unknown",
                    "[]",
                    now - 2 * 86400,
                    now - 1200,
                ),
            ],
        )

    store.writer.call(job)


def seed_all(store: Store, knowledge: Knowledge, per_unit: int = 12) -> Seeded:
    """Everything above, in order."""
    seed_units_and_users(store)
    seeded = seed_hosts(store, per_unit)
    seed_incidents_and_devices(store, seeded)
    seed_history(store, knowledge)
    return seeded
