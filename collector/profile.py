"""A unit's profile: what it declares about itself for the checks (docs/CHECKS-PLAN.md "unit
data"): network zones, allowed ports, approved administrators, software and browsers, DNS
resolvers, service baselines. Stored as JSON on the unit, validated strictly, turned into the
pure :class:`checks.unit.UnitContext` the checks read."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from checks.declarations import Declaration
from checks.thresholds import parse_ports
from checks.unit import UnitContext, Zone

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Many = Annotated[list[Short], msgspec.Meta(max_length=2000)]


class ZoneDecl(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A network zone and its subnets."""

    name: Short
    kind: Literal["user", "server", "dmz", "perimeter", "wireless", "management", "other"]
    cidrs: Annotated[list[Short], msgspec.Meta(min_length=1, max_length=256)]


class UnitProfile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Everything optional: an undeclared list makes the checks that need it say *unknown*."""

    health_sector: bool = False
    online_service_enterprise: bool = False
    no_wifi: bool = False
    zones: Annotated[list[ZoneDecl], msgspec.Meta(max_length=64)] | None = None
    # "tcp/22,tcp/443" per role ("server", "workstation") or host name.
    allowed_ports: dict[Short, Short] | None = None
    approved_admins: Many | None = None
    admin_exceptions: Many = []
    approved_software: Many | None = None  # regular expressions over package names
    approved_browsers: Many | None = None
    dns_resolvers: Many | None = None
    service_baseline: dict[Short, Many] | None = None

    def __post_init__(self) -> None:
        import re

        for zone in self.zones or []:
            for cidr in zone.cidrs:
                ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad subnet
        for spec in (self.allowed_ports or {}).values():
            parse_ports(spec)
        for pattern in self.approved_software or []:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"approved_software: {pattern!r} is not a pattern: {err}") from err
        for resolver in self.dns_resolvers or []:
            ipaddress.ip_address(resolver)


class ProfileInvalid(ValueError):
    """A profile that does not validate; the message says where."""


def parse_profile(raw: bytes | str) -> UnitProfile:
    """Validate a profile document."""
    try:
        return msgspec.json.decode(raw, type=UnitProfile)
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as err:
        raise ProfileInvalid(str(err)) from err


def context(raw: str, declarations: Mapping[str, Declaration]) -> UnitContext:
    """The checks' view of a unit's profile (stored JSON) and its valid declarations."""
    p = parse_profile(raw or "{}")
    return UnitContext(
        health_sector=p.health_sector,
        online_service_enterprise=p.online_service_enterprise,
        mfa_attested="L2-SRV-AUTH-5" in declarations,
        zones=tuple(
            Zone(z.name, z.kind, tuple(ipaddress.ip_network(c, strict=False) for c in z.cidrs))
            for z in p.zones
        )
        if p.zones is not None
        else None,
        no_wifi=p.no_wifi,
        allowed_ports={k: parse_ports(v) for k, v in p.allowed_ports.items()}
        if p.allowed_ports is not None
        else None,
        approved_admins=frozenset(a.lower() for a in p.approved_admins)
        if p.approved_admins is not None
        else None,
        admin_exceptions=frozenset(a.lower() for a in p.admin_exceptions),
        approved_software=tuple(p.approved_software) if p.approved_software is not None else None,
        approved_browsers=frozenset(p.approved_browsers)
        if p.approved_browsers is not None
        else None,
        dns_resolvers=frozenset(p.dns_resolvers) if p.dns_resolvers is not None else None,
        service_baseline={k: frozenset(v) for k, v in p.service_baseline.items()}
        if p.service_baseline is not None
        else None,
    )
