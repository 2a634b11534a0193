"""What a unit declares about itself, and the collector's reference data, as checks see them.

These are *not* thresholds (those live in the pack) and *not* facts (those come from hosts): the
zone map, approved lists and profile flags that docs/CHECKS-PLAN.md calls "unit data", plus the
reference tables shipped with the collector. The collector builds one :class:`UnitContext` per
unit and puts it on each host's :class:`checks.model.HostFacts`. Every field defaults to
"not declared" (``None``); a check that needs an undeclared list says *unknown* and names it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, TypeVar

from checks.thresholds import PortSpec

ZoneKind = Literal["user", "server", "dmz", "perimeter", "wireless", "management", "other"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# The zones each host role may sit in (LEVEL2.md L2-DES-ZONE-1: servers in the internal server
# zone or the DMZ, user computers in the user LAN).
ROLE_ZONES: Mapping[str, frozenset[str]] = {
    "server": frozenset({"server", "dmz", "management"}),
    "workstation": frozenset({"user", "wireless"}),
}


@dataclass(frozen=True, slots=True)
class Zone:
    """A declared network zone and its subnets."""

    name: str
    kind: ZoneKind
    networks: tuple[IPNetwork, ...]

    def contains(self, address: str) -> bool:
        """Whether an address falls in one of the zone's subnets."""
        ip = parse_ip(address)
        return ip is not None and any(
            ip.version == net.version and ip in net for net in self.networks
        )


@lru_cache(maxsize=65536)
def parse_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address without its scope id, or None when it is not an IP address."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None


def zone(name: str, kind: ZoneKind, *cidrs: str) -> Zone:
    """A zone from CIDR strings (convenience for the collector and tests)."""
    return Zone(name, kind, tuple(ipaddress.ip_network(c, strict=False) for c in cidrs))


@dataclass(frozen=True, slots=True)
class BrowserRelease:
    """Reference data: the newest release of a browser or mail-client channel."""

    product: str  # normalised: chrome, edge, firefox, firefox-esr, thunderbird, outlook, chromium
    latest_version: str
    released: date
    supported_major_min: int | None = None  # oldest major version the vendor still supports


@dataclass(frozen=True, slots=True)
class Decommission:
    """An agent's decommission event and the attested wipe record (L2-SRV-DISP-1)."""

    at: datetime
    reason: str = ""
    wipe_record: str | None = None  # document number of the attested wipe; None: not attested


@dataclass(frozen=True, slots=True)
class UnitContext:
    """Unit data and reference data the checks consume (docs/CHECKS-PLAN.md, "Unit data")."""

    health_sector: bool = False  # selects the [H] thresholds (QĐ 326/QĐ-BYT)
    online_service_enterprise: bool = False  # selects log_retention_min_days_online_service
    mfa_attested: bool = False  # valid L2-SRV-AUTH-5 declaration: selects ..._with_mfa
    zones: tuple[Zone, ...] | None = None
    no_wifi: bool = False  # the unit declares it runs no Wi-Fi
    # Allowed listening ports, keyed by host name (wins) or role ("server", "workstation").
    allowed_ports: Mapping[str, frozenset[PortSpec]] | None = None
    # Approved members of privileged groups (account names, case-insensitive).
    approved_admins: frozenset[str] | None = None
    # Accounts allowed to be local administrators while used for daily work.
    admin_exceptions: frozenset[str] = frozenset()
    # Approved software and exceptions: regular expressions matched against the package name.
    approved_software: tuple[str, ...] | None = None
    # Approved browsers and mail clients (normalised product names, see BrowserRelease).
    approved_browsers: frozenset[str] | None = None
    dns_resolvers: frozenset[str] | None = None
    # Running services expected per role ("server", "workstation") or host name.
    service_baseline: Mapping[str, frozenset[str]] | None = None
    # Reference data shipped with the collector.
    browser_releases: Mapping[str, BrowserRelease] = field(default_factory=dict)


NO_UNIT_DATA = UnitContext()

T = TypeVar("T")


def for_host(mapping: Mapping[str, T] | None, host: str | None, role: str | None) -> T | None:
    """A per-host entry, else the role's entry, else None (not declared)."""
    if mapping is None:
        return None
    if host is not None and host in mapping:
        return mapping[host]
    if role is not None and role in mapping:
        return mapping[role]
    return None
