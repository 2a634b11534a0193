"""Discovery for a unit, run by the collector: scan the unit's declared subnets, record the
devices, rescore the unit, and alert on new unmanaged devices.

``canh collector scan --unit U`` runs it (from cron or a systemd timer, as root or with
CAP_NET_RAW); the same recording path serves scans uploaded through the API, so agents in a
"scanner" role on another LAN report exactly like the collector's own scans.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from collector.alerts.incidents import raise_device_alert
from collector.devices import Recorded, record_scan
from collector.errors import ApiError
from collector.evaluate import Knowledge, ancestors, score_unit_row
from collector.store import Store
from inventory.model import ScanResult
from inventory.settings import ScanSettings


def record_job(
    knowledge: Knowledge, unit_id: str, scan: ScanResult
) -> Callable[[sqlite3.Connection], Recorded]:
    """One write job: devices, alerts for new unmanaged ones, the unit and its parents rescored."""

    def job(conn: sqlite3.Connection) -> Recorded:
        if conn.execute("SELECT 1 FROM units WHERE id = ?", (unit_id,)).fetchone() is None:
            raise ApiError(404, "not_found", f"no unit {unit_id}")
        recorded = record_scan(conn, unit_id, scan)
        for device in recorded.new_unmanaged:
            raise_device_alert(conn, unit_id, device)
        for uid in ancestors(conn, unit_id):
            score_unit_row(conn, knowledge, uid)
        return recorded

    return job


def scan_unit(
    store: Store, knowledge: Knowledge, unit_id: str, settings: ScanSettings
) -> tuple[ScanResult, Recorded]:
    """Scan the unit's declared subnets (never anything else) and record the result."""
    from inventory.discovery import scan
    from inventory.targets import parse_targets

    unit = store.unit(unit_id)
    if unit is None:
        raise ApiError(404, "not_found", f"no unit {unit_id}")
    subnets: list[str] = json.loads(unit["subnets"])
    if not subnets:
        raise ApiError(
            422,
            "no_subnets",
            f"unit {unit_id} has no declared subnets; declare them "
            'first (PATCH /api/v1/units/{id} with "subnets")',
        )
    result = scan(
        parse_targets(subnets, declared=subnets, max_addresses=settings.max_addresses), settings
    )
    return result, store.writer.call(record_job(knowledge, unit_id, result))
