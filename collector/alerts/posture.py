"""A host's security posture as alerts and per-host metrics see it. Pure: no I/O.

One definition of "antivirus ok", "patches overdue" and "risky port" serves both the alert rules
(``rules.py``) and the per-host series of ``/metrics``, so a dashboard and an alert never disagree.
Stored facts are decoded into small views that hold only the fields needed here: msgspec skips the
rest, which keeps a scrape over 10,000 hosts inside its time budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec


class _Product(msgspec.Struct):
    product: str
    enabled: bool | None = None
    realtime: bool | None = None
    signatures_up_to_date: bool | None = None
    signature_age_days: float | None = None


class AntivirusView(msgspec.Struct):
    """The ``antivirus`` section, reduced."""

    products: list[_Product] = []


class PatchView(msgspec.Struct):
    """The ``patches`` section, reduced."""

    last_install_at: datetime | None = None
    pending_security: int | None = None
    oldest_pending_security_at: datetime | None = None
    os_supported: bool | None = None
    os_eol_date: str | None = None


class _Listener(msgspec.Struct):
    proto: str
    address: str
    port: int
    scope: str
    process: str | None = None


class PortsView(msgspec.Struct):
    """The ``ports`` section, reduced."""

    listening: list[_Listener] = []


class SystemView(msgspec.Struct):
    """The ``system`` section, reduced."""

    hostname: str = ""
    os_name: str | None = None
    os_version: str | None = None


_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "antivirus": msgspec.json.Decoder(AntivirusView),
    "patches": msgspec.json.Decoder(PatchView),
    "ports": msgspec.json.Decoder(PortsView),
    "system": msgspec.json.Decoder(SystemView),
}
SECTIONS = tuple(_DECODERS)


def decode_view(section: str, data: bytes | None) -> Any:
    """The reduced view of a stored section, or None when absent or unreadable."""
    if data is None or section not in _DECODERS:
        return None
    try:
        return _DECODERS[section].decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


@dataclass(frozen=True, slots=True)
class AvProblem:
    """What is wrong with anti-malware: ``disabled``, ``realtime_off`` or ``signatures_old``."""

    kind: str
    products: tuple[str, ...]
    age_days: float | None = None  # signatures_old: the freshest stale product's age


def antivirus_problems(av: AntivirusView, max_age_days: float) -> list[AvProblem]:
    """Problems seen in the facts; none *and* no enabled product means unknown, not fine."""
    if not av.products:
        return [AvProblem("disabled", ())]
    enabled = [p for p in av.products if p.enabled is True]
    if not enabled:
        off = tuple(p.product for p in av.products if p.enabled is False)
        return [AvProblem("disabled", off)] if off else []
    problems: list[AvProblem] = []
    if not any(p.realtime is True for p in enabled):
        off = tuple(p.product for p in enabled if p.realtime is False)
        if off:
            problems.append(AvProblem("realtime_off", off))
    verdicts = [(p, _fresh(p, max_age_days)) for p in enabled]
    stale = [p for p, fresh in verdicts if fresh is False]
    if stale and not any(fresh for _p, fresh in verdicts):
        ages = [p.signature_age_days for p in stale if p.signature_age_days is not None]
        problems.append(
            AvProblem(
                "signatures_old", tuple(p.product for p in stale), min(ages) if ages else None
            )
        )
    return problems


def _fresh(product: _Product, max_age_days: float) -> bool | None:
    if product.signature_age_days is not None:
        return product.signature_age_days <= max_age_days
    return product.signatures_up_to_date


def antivirus_ok(av: AntivirusView | None, max_age_days: float) -> bool | None:
    """True: an engine runs with no problem seen; False: a problem; None: unknown."""
    if av is None:
        return None
    if antivirus_problems(av, max_age_days):
        return False
    return True if any(p.enabled is True for p in av.products) else None


@dataclass(frozen=True, slots=True)
class PatchLag:
    """Pending security updates and for how long (None: unknown)."""

    overdue: bool | None
    pending: int | None = None
    age_days: float | None = None


def patch_lag(patches: PatchView, limit_days: float, now: datetime) -> PatchLag:
    """Security updates pending longer than ``limit_days``, counted from the oldest pending
    release, or from the last install when the release date is unknown."""
    pending = patches.pending_security
    if pending is None:
        return PatchLag(None)
    if pending == 0:
        return PatchLag(False, 0)
    since = patches.oldest_pending_security_at or patches.last_install_at
    if since is None:
        return PatchLag(None, pending)
    age = (now - since) / timedelta(days=1)
    return PatchLag(age > limit_days, pending, age)


def parse_ports(spec: str) -> frozenset[tuple[str, int]]:
    """A pack's comma-separated ``proto/port`` list (unknown items are skipped, not guessed)."""
    out: set[tuple[str, int]] = set()
    for item in spec.split(","):
        proto, _, port = item.strip().partition("/")
        if proto in ("tcp", "udp") and port.isdigit():
            out.add((proto, int(port)))
    return frozenset(out)


def risky_listeners(ports: PortsView, risky: frozenset[tuple[str, int]]) -> dict[str, str]:
    """Risky ports listening beyond loopback: ``"tcp/3389"`` → what listens there."""
    found: dict[str, str] = {}
    for item in ports.listening:
        if item.scope != "loopback" and (item.proto, item.port) in risky:
            key = f"{item.proto}/{item.port}"
            found.setdefault(key, f"{item.address} ({item.process or 'unknown process'})")
    return found


@dataclass(frozen=True, slots=True)
class Limits:
    """The unit pack's numbers the posture is judged against."""

    av_signature_max_age_days: float = 3
    patch_max_age_days: float = 35
    patch_server_max_age_days: float = 30
    risky_ports: frozenset[tuple[str, int]] = frozenset()
    notice_seconds: float = 24 * 3600
    report_seconds: float = 72 * 3600

    @classmethod
    def from_thresholds(cls, values: Mapping[str, Any]) -> Limits:
        """Read the pack's thresholds; a missing key keeps the default named here (LEVEL2.md)."""

        def num(key: str, default: float) -> float:
            value = values.get(key, default)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return float(value) if ok else default

        ports = values.get("external_forbidden_ports")
        return cls(
            av_signature_max_age_days=num("av_signature_max_age_days", 3),
            patch_max_age_days=num("patch_max_age_days", 35),
            patch_server_max_age_days=num("patch_critical_max_age_days_server", 30),
            risky_ports=parse_ports(ports) if isinstance(ports, str) else frozenset(),
            notice_seconds=num("incident_initial_notice_max_seconds", 24 * 3600),
            report_seconds=num("incident_full_report_max_seconds", 72 * 3600),
        )

    def patch_limit(self, role: str | None) -> float:
        """Servers get the stricter critical-patch limit."""
        return self.patch_server_max_age_days if role == "server" else self.patch_max_age_days
