"""When an alert is active. Pure: facts, scores and counters in, :class:`Alert` values out.

Each rule returns the alerts active *now* and the kinds it could judge. The incident store
(``incidents.sync``) opens what is new and resolves what is no longer active — but only among the
judged kinds, so a section that failed to report (unknown) never resolves an alert by accident.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collector.alerts.kinds import KINDS, Severity
from collector.alerts.posture import (
    AntivirusView,
    Limits,
    PatchView,
    PortsView,
    antivirus_problems,
    patch_lag,
    risky_listeners,
)

HOST_KINDS = frozenset(
    {
        "av_disabled",
        "av_realtime_off",
        "av_signatures_old",
        "risky_port",
        "patches_overdue",
        "unsupported_os",
    }
)
SCORE_KINDS = frozenset({"score_below", "score_drop"})


@dataclass(frozen=True, slots=True)
class Alert:
    """An active alert condition; ``facts`` is what was seen (rendered by ``messages.py``)."""

    kind: str
    unit_id: str
    host_id: str | None = None
    subject: str = ""  # what inside the host: a port, a device address
    role: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable identity of kind + unit + host + subject: at most one live incident each."""
        key = "\x1f".join((self.kind, self.unit_id, self.host_id or "", self.subject))
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    @property
    def severity(self) -> Severity:
        return KINDS[self.kind].severity_for(self.role)

    @property
    def requirement(self) -> str:
        return KINDS[self.kind].requirement_for(self.role)


@dataclass(frozen=True, slots=True)
class HostState:
    """One host's latest readable facts (None: section missing or unreadable)."""

    host_id: str
    unit_id: str
    role: str | None
    antivirus: AntivirusView | None = None
    patches: PatchView | None = None
    ports: PortsView | None = None


def host_alerts(
    host: HostState, limits: Limits, now: datetime
) -> tuple[list[Alert], frozenset[str]]:
    """Anti-malware, risky ports on servers, overdue patches, unsupported OS."""
    alerts: list[Alert] = []
    judged: set[str] = set()

    def add(kind: str, subject: str = "", **facts: Any) -> None:
        alerts.append(Alert(kind, host.unit_id, host.host_id, subject, host.role, facts))

    if host.antivirus is not None:
        problems = antivirus_problems(host.antivirus, limits.av_signature_max_age_days)
        if problems or any(p.enabled is True for p in host.antivirus.products):
            judged |= {"av_disabled", "av_realtime_off", "av_signatures_old"}
        for problem in problems:
            add(
                f"av_{problem.kind}",
                products=list(problem.products),
                age_days=problem.age_days,
                limit_days=limits.av_signature_max_age_days,
            )
    if host.ports is not None:
        judged.add("risky_port")
        # Workstations legitimately listen on SMB and friends; the alert is for servers, where a
        # new listener is a change someone should have approved (LEVEL2.md L2-SRV-HARD-1).
        if host.role == "server":
            for port, where in sorted(risky_listeners(host.ports, limits.risky_ports).items()):
                add("risky_port", port, port=port, where=where)
    if host.patches is not None:
        limit = limits.patch_limit(host.role)
        lag = patch_lag(host.patches, limit, now)
        if lag.overdue is not None:
            judged.add("patches_overdue")
        if lag.overdue:
            add("patches_overdue", pending=lag.pending, age_days=lag.age_days, limit_days=limit)
        if host.patches.os_supported is not None:
            judged.add("unsupported_os")
        if host.patches.os_supported is False:
            add("unsupported_os", eol=host.patches.os_eol_date)
    return alerts, frozenset(judged)


def silent_alerts(
    hosts: Iterable[tuple[str, str, float | None, float]], now: float, after_seconds: float
) -> list[Alert]:
    """Active hosts (id, unit, last seen, enrolled at) without a report for ``after_seconds``;
    a host that never reported counts from its enrollment."""
    out = []
    for host_id, unit_id, last_seen, enrolled_at in hosts:
        since = last_seen if last_seen is not None else enrolled_at
        if now - since > after_seconds:
            out.append(
                Alert(
                    "agent_silent",
                    unit_id,
                    host_id,
                    facts={"last_seen": last_seen, "hours": round((now - since) / 3600, 1)},
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class DayScore:
    """A unit's stored score of one day."""

    day: str
    score: float
    hosts: int


def score_alerts(
    unit_id: str,
    today: DayScore | None,
    previous: DayScore | None,
    below: float,
    drop_points: float,
) -> list[Alert]:
    """Score under ``below``, or ``drop_points`` lower than the previous day's stored score.

    A unit without reporting hosts is not judged: its score says nothing yet."""
    if today is None or today.hosts == 0:
        return []
    out = []
    if today.score < below:
        out.append(Alert("score_below", unit_id, facts={"score": today.score, "below": below}))
    if previous is not None and previous.score - today.score >= drop_points:
        out.append(
            Alert(
                "score_drop",
                unit_id,
                facts={
                    "score": today.score,
                    "day": today.day,
                    "previous": previous.score,
                    "previous_day": previous.day,
                },
            )
        )
    return out


def attack_alerts(
    attempts: Mapping[str, Sequence[float]],
    units: Mapping[str, str],
    now: float,
    window_seconds: float,
    threshold: int,
) -> list[Alert]:
    """Hosts with at least ``threshold`` forged or replayed requests within the window."""
    out = []
    for host_id, times in attempts.items():
        recent = [t for t in times if now - t <= window_seconds]
        if len(recent) >= threshold and host_id in units:
            out.append(
                Alert(
                    "attack_attempts",
                    units[host_id],
                    host_id,
                    facts={"count": len(recent), "minutes": round(window_seconds / 60)},
                )
            )
    return out


def device_alert(unit_id: str, device: Mapping[str, Any]) -> Alert:
    """A device discovery saw that no enrolled host accounts for (keyed by MAC, else IP)."""
    subject = str(device.get("mac") or device.get("ip") or "")
    facts = {k: device.get(k) for k in ("ip", "mac", "vendor", "hostname", "type_guess")}
    return Alert("unmanaged_device", unit_id, None, subject, None, facts)


def utc(ts: float) -> datetime:
    """A UNIX time as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)
