"""Headline KPIs per unit (DESIGN.md §3.3), as a pure function over its hosts' findings and facts.

Each KPI is a count over the unit's managed hosts with its denominator, so a dashboard can show
"41 / 45" and the ratio. A KPI reads the host's stored finding for the check that defines it;
when the pack in use does not run that check (e.g. ``hardware.floor``), it runs the check on the
host's facts with the unit's thresholds. Silent agents are judged against ``now`` and
``silent_after``, both explicit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from checks.model import Finding, HostFacts
from checks.network import NetworkObservation, unmanaged
from checks.registry import CHECKS, load_builtin
from checks.thresholds import ThresholdError, ports

AV_CHECKS = ("av.installed", "av.realtime", "av.signatures_current")
PATCH_CHECKS = (
    "patch.last_install_age",
    "patch.pending_security",
    "patch.reboot_pending",
    "patch.os_supported",
)


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """One managed host as the KPIs see it."""

    host: str
    findings: Mapping[str, Finding]
    facts: HostFacts | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class Kpi:
    """``count`` of ``of`` hosts; ``hosts`` names them (for drill-down)."""

    count: int
    of: int
    hosts: tuple[str, ...] = ()

    @property
    def ratio(self) -> float | None:
        """count / of, or None when there is nothing to count."""
        return self.count / self.of if self.of else None


@dataclass(frozen=True, slots=True)
class UnitKpis:
    """A unit's headline numbers."""

    hosts: int
    av_installed: Kpi  # a product is present (antivirus facts; else av.installed passes)
    av_enabled: Kpi  # its engine runs with real-time protection (av.installed and av.realtime)
    av_signatures_fresh: Kpi  # av.signatures_current passes
    av_protected: Kpi  # all three
    av_licensed: Kpi  # of the hosts whose product tells
    patch_compliant: Kpi
    unsupported_os: Kpi
    risky_ports: Kpi
    silent_agents: Kpi
    below_hardware_floor: Kpi
    unmanaged_devices: int | None = None  # None: no sweep
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: each KPI as ``{"count", "of", "ratio", "hosts"}``, plus ``hosts``,
        ``unmanaged_devices`` (a count or None) and ``notes``."""
        out: dict[str, Any] = {"hosts": self.hosts}
        for name in _KPI_NAMES:
            k: Kpi = getattr(self, name)
            out[name] = {"count": k.count, "of": k.of, "ratio": k.ratio, "hosts": list(k.hosts)}
        out["unmanaged_devices"] = self.unmanaged_devices
        out["notes"] = list(self.notes)
        return out


def _status(snap: HostSnapshot, check_id: str, thresholds: Mapping[str, Any]) -> str | None:
    finding = snap.findings.get(check_id)
    if finding is not None:
        return finding.status
    spec = CHECKS.get(check_id)
    if snap.facts is None or spec is None:
        return None
    return spec.run(snap.facts, thresholds).status


def _risky(
    snap: HostSnapshot, risky: frozenset[tuple[str, int]], thresholds: Mapping[str, Any]
) -> bool:
    if _status(snap, "ports.cleartext_services", thresholds) == "fail":
        return True
    listeners = snap.facts.section("ports") if snap.facts is not None else None
    if listeners is None:
        return False
    return any((x.proto, x.port) in risky and x.scope != "loopback" for x in listeners.listening)


def _licensed(snap: HostSnapshot) -> bool | None:
    av = snap.facts.section("antivirus") if snap.facts is not None else None
    if av is None or not av.products:
        return None
    flags = [p.licensed for p in av.products if p.enabled]
    if any(f is True for f in flags):
        return True
    if flags and all(f is False for f in flags):
        return False
    return None


def unit_kpis(
    hosts: Iterable[HostSnapshot],
    thresholds: Mapping[str, Any],
    *,
    now: datetime,
    silent_after: timedelta,
    network: NetworkObservation | None = None,
) -> UnitKpis:
    """The unit's KPIs over its managed hosts (risky ports: listeners beyond loopback on a port
    in ``external_forbidden_ports``, or a cleartext service)."""
    load_builtin()
    notes: list[str] = []
    try:
        risky = ports(thresholds, "external_forbidden_ports")
    except ThresholdError as err:
        risky = frozenset()
        notes.append(f"risky ports not counted: {err}")
    tallies: dict[str, list[str]] = {k: [] for k in _KPI_NAMES}
    licensed_known: list[str] = []
    snaps = list(hosts)
    for snap in snaps:
        running, realtime, fresh = (_status(snap, c, thresholds) == "pass" for c in AV_CHECKS)
        av_facts = snap.facts.section("antivirus") if snap.facts is not None else None
        installed = bool(av_facts.products) if av_facts is not None else running
        enabled = running and realtime
        for name, ok in (
            ("av_installed", installed),
            ("av_enabled", enabled),
            ("av_signatures_fresh", fresh),
            ("av_protected", installed and enabled and fresh),
        ):
            if ok:
                tallies[name].append(snap.host)
        licensed = _licensed(snap)
        if licensed is not None:
            licensed_known.append(snap.host)
            if licensed:
                tallies["av_licensed"].append(snap.host)
        patch = [_status(snap, c, thresholds) for c in PATCH_CHECKS]
        ran = [s for s in patch if s is not None and s != "not_applicable"]
        if ran and all(s == "pass" for s in ran):
            tallies["patch_compliant"].append(snap.host)
        if _status(snap, "patch.os_supported", thresholds) == "fail":
            tallies["unsupported_os"].append(snap.host)
        if _risky(snap, risky, thresholds):
            tallies["risky_ports"].append(snap.host)
        if snap.last_seen is None or now - snap.last_seen > silent_after:
            tallies["silent_agents"].append(snap.host)
        if _status(snap, "hardware.floor", thresholds) == "fail":
            tallies["below_hardware_floor"].append(snap.host)
    n = len(snaps)

    def kpi(name: str, of: int = n) -> Kpi:
        return Kpi(len(tallies[name]), of, tuple(tallies[name]))

    return UnitKpis(
        hosts=n,
        av_installed=kpi("av_installed"),
        av_enabled=kpi("av_enabled"),
        av_signatures_fresh=kpi("av_signatures_fresh"),
        av_protected=kpi("av_protected"),
        av_licensed=kpi("av_licensed", len(licensed_known)),
        patch_compliant=kpi("patch_compliant"),
        unsupported_os=kpi("unsupported_os"),
        risky_ports=kpi("risky_ports"),
        silent_agents=kpi("silent_agents"),
        below_hardware_floor=kpi("below_hardware_floor"),
        unmanaged_devices=len(unmanaged(network))
        if network and network.devices is not None
        else None,
        notes=tuple(notes),
    )


_KPI_NAMES = (
    "av_installed",
    "av_enabled",
    "av_signatures_fresh",
    "av_protected",
    "av_licensed",
    "patch_compliant",
    "unsupported_os",
    "risky_ports",
    "silent_agents",
    "below_hardware_floor",
)
