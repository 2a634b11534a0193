"""The metric names a seeded in-process collector really exports, read from its /metrics text."""

from __future__ import annotations

import re

from tests.alerts.conftest import World
from tests.alerts.reports import PATH, signed

TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)$", re.MULTILINE)
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count", ""), "counter": ("",)}


def seeded_metrics(world: World) -> str:
    """/metrics after a server reported anti-malware off, a risky port and pending updates, and
    the stored score carries KPIs."""
    host_id = world.hosts["bvdk"]
    body, headers = signed(
        world.keys[host_id], host_id, 1, av_enabled=False, ports=(23,), pending_security=3
    )
    assert world.client.post(PATH, content=body, headers=headers).status_code == 200
    kpis = (
        '{"av_protected": {"count": 0, "of": 1}, "patch_compliant": {"count": 0, "of": 1}, '
        '"unsupported_os": {"count": 0, "of": 1}, "risky_ports": {"count": 1, "of": 1}, '
        '"unmanaged_devices": 2}'
    )
    world.svc.store.writer.call(
        lambda conn: conn.execute("UPDATE unit_scores SET kpis = ?", (kpis,))
    )
    return str(world.client.get("/metrics").text)


def exported(text: str) -> dict[str, str]:
    """Family name (as PromQL sees it) → type."""
    return {name: kind for name, kind in TYPE_LINE.findall(text)}


def series_names(text: str) -> set[str]:
    """Every name a query may use: families plus histogram _bucket/_sum/_count."""
    out: set[str] = set()
    for name, kind in exported(text).items():
        out.update(name + suffix for suffix in SUFFIXES.get(kind, ("",)))
    return out
