"""What a scan may touch: targets parsed strictly, checked against the declared scope, capped.

A scan has no default target (DESIGN.md §5). Targets are IPv4 addresses, CIDR networks or ranges
(``198.18.0.10-198.18.0.20`` or ``198.18.0.10-20``); names are refused rather than resolved, so
the scope stays exactly what the operator wrote. When the caller declares the unit's subnets,
every target must lie inside them; without a declaration the targets passed explicitly are the
scope. Every invalid or out-of-scope entry is reported, none is silently dropped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from inventory.errors import TargetError

# A /16: a unit's largest LAN. Beyond it a scan is a mistake more often than a plan.
DEFAULT_MAX_ADDRESSES = 65536
MAX_MAX_ADDRESSES = 1 << 20
_RANGE = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3})\s*-\s*(\d{1,3}(?:\.\d{1,3}){3}|\d{1,3})$")
_LOOKS_LIKE_NAME = re.compile(r"^[A-Za-z0-9.-]+$")

Interval = tuple[int, int]  # first and last address, inclusive
Proto = Literal["tcp", "udp"]


@dataclass(frozen=True, slots=True)
class TargetSet:
    """The addresses a scan may probe, sorted and unique, with the entries they came from."""

    addresses: tuple[ipaddress.IPv4Address, ...]
    entries: tuple[str, ...]
    declared: tuple[ipaddress.IPv4Network, ...] | None

    def __len__(self) -> int:
        return len(self.addresses)

    def __iter__(self) -> Iterator[ipaddress.IPv4Address]:
        return iter(self.addresses)


def parse_entry(entry: str) -> tuple[Interval, bool]:
    """One target as an interval, and whether it was a network (so its edge addresses go).

    Raises ValueError with a reason a person can act on.
    """
    text = entry.strip()
    if not text:
        raise ValueError("empty target")
    if ":" in text:
        raise ValueError("IPv6 targets are not supported by the scanner")
    if "/" in text:
        try:
            net = ipaddress.IPv4Network(text, strict=True)
        except ipaddress.NetmaskValueError as err:
            raise ValueError(f"bad prefix length ({err})") from None
        except ValueError as err:
            if "host bits set" in str(err):
                fixed = ipaddress.IPv4Network(text, strict=False)
                raise ValueError(f"host bits set; did you mean {fixed}?") from None
            raise ValueError(f"not an IPv4 network ({err})") from None
        _check_usable(net.network_address, net.broadcast_address)
        return (int(net.network_address), int(net.broadcast_address)), net.prefixlen < 31
    match = _RANGE.match(text)
    if match:
        first = _address(match.group(1))
        last_text = match.group(2)
        if "." not in last_text:
            last_text = ".".join([*str(first).split(".")[:3], last_text])
        last = _address(last_text)
        if int(last) < int(first):
            raise ValueError("range ends before it starts")
        _check_usable(first, last)
        return (int(first), int(last)), False
    try:
        single = _address(text)
    except ValueError:
        if _LOOKS_LIKE_NAME.match(text) and not text.replace(".", "").isdigit():
            raise ValueError(
                "names are not resolved (the scope must stay exact): give an IPv4 address, "
                "CIDR network or range"
            ) from None
        raise
    _check_usable(single, single)
    return (int(single), int(single)), False


def _address(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError as err:
        raise ValueError(f"not an IPv4 address ({err})") from None


def _check_usable(first: ipaddress.IPv4Address, last: ipaddress.IPv4Address) -> None:
    """Refuse addresses no device answers on: unspecified, multicast, reserved, broadcast."""
    for address in {first, last}:
        if address.is_unspecified or int(address) < 1 << 24:
            raise ValueError("0.0.0.0/8 is not a target")
        if address.is_multicast:
            raise ValueError("multicast addresses are not targets")
        if address.is_reserved:
            raise ValueError("reserved (240.0.0.0/4) and broadcast addresses are not targets")


def merge(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same addresses."""
    merged: list[Interval] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def covered(interval: Interval, scope: Sequence[Interval]) -> bool:
    """Whether every address of ``interval`` lies in the merged ``scope``."""
    return any(first <= interval[0] and interval[1] <= last for first, last in scope)


def parse_declared(declared: Sequence[str]) -> tuple[ipaddress.IPv4Network, ...]:
    """The unit's declared subnets; raises TargetError listing each bad one."""
    networks: list[ipaddress.IPv4Network] = []
    problems: list[tuple[str, str]] = []
    for entry in declared:
        try:
            networks.append(ipaddress.IPv4Network(entry.strip(), strict=True))
        except ValueError as err:
            problems.append((entry, f"declared subnet is not an IPv4 network: {err}"))
    if problems:
        raise TargetError(problems)
    return tuple(networks)


def parse_targets(
    entries: Sequence[str],
    declared: Sequence[str] | None = None,
    max_addresses: int = DEFAULT_MAX_ADDRESSES,
) -> TargetSet:
    """Targets checked and expanded; TargetError lists every invalid or out-of-scope entry.

    ``declared`` None means the entries were passed explicitly and are their own scope; a
    sequence (even empty) means only addresses inside those subnets may be scanned.
    """
    if not 1 <= max_addresses <= MAX_MAX_ADDRESSES:
        raise TargetError([(str(max_addresses), f"the cap must be 1…{MAX_MAX_ADDRESSES}")])
    if not entries:
        raise TargetError([("", "no targets given: canh never scans a default target")])
    networks = parse_declared(declared) if declared is not None else None
    scope = merge([(int(n.network_address), int(n.broadcast_address)) for n in networks or ()])
    problems: list[tuple[str, str]] = []
    keep: list[tuple[Interval, bool]] = []
    for entry in entries:
        try:
            interval, is_network = parse_entry(entry)
        except ValueError as err:
            problems.append((entry, str(err)))
            continue
        if networks is not None and not covered(interval, scope):
            where = ", ".join(str(n) for n in networks) or "nothing"
            problems.append((entry, f"out of scope: the declared subnets are {where}"))
            continue
        keep.append((interval, is_network))
    if problems:
        raise TargetError(problems)
    total = sum(last - first + 1 for first, last in merge([i for i, _ in keep]))
    if total > max_addresses:
        raise TargetError(
            [(" ".join(entries), f"{total} addresses, over the cap of {max_addresses}")]
        )
    addresses: set[int] = set()
    for (first, last), is_network in keep:
        edge = 1 if is_network else 0  # a subnet's network and broadcast addresses are not hosts
        addresses.update(range(first + edge, last - edge + 1))
    return TargetSet(
        addresses=tuple(ipaddress.IPv4Address(a) for a in sorted(addresses)),
        entries=tuple(entries),
        declared=networks,
    )


UDP_PROBES = frozenset({161})


@dataclass(frozen=True, slots=True, order=True)
class PortSpec:
    """A port to probe."""

    proto: Proto
    port: int

    def __str__(self) -> str:
        return str(self.port) if self.proto == "tcp" else f"{self.port}/udp"


def parse_ports(text: str) -> tuple[PortSpec, ...]:
    """``22,80,8000-8010,161/udp`` as sorted unique port specs; raises TargetError."""
    specs: set[PortSpec] = set()
    problems: list[tuple[str, str]] = []
    for raw in text.split(","):
        item = raw.strip()
        body, _, proto = item.partition("/")
        proto = proto or "tcp"
        low, _, high = body.partition("-")
        if proto not in ("tcp", "udp") or not low.isdigit() or (high and not high.isdigit()):
            problems.append((item, "expected PORT, LOW-HIGH, or PORT/udp"))
            continue
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 65535:
            problems.append((item, "ports are 1…65535"))
            continue
        if proto == "udp" and not set(range(first, last + 1)) <= UDP_PROBES:
            problems.append((item, f"UDP probes exist only for {sorted(UDP_PROBES)} (SNMP)"))
            continue
        specs.update(PortSpec(proto, p) for p in range(first, last + 1))  # type: ignore[arg-type]
    if problems:
        raise TargetError(problems)
    if not specs:
        raise TargetError([(text, "no ports")])
    return tuple(sorted(specs))


# Risky and management ports (issue 7, LEVEL2.md L2-NET-EXT-1 and L2-NET-DEV-1), printers
# (515, 631, 9100) and cameras (554). UDP is probed only where a protocol probe exists (SNMP):
# a silent UDP port proves nothing.
CURATED = (
    "21,22,23,25,80,110,135,139,143,443,445,515,554,631,1433,1521,3306,3389,5432,5900,"
    "5985,5986,8080,8443,9100,161/udp"
)
CURATED_PORTS: tuple[PortSpec, ...] = parse_ports(CURATED)
