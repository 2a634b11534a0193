"""What discovery finds: devices seen on the network, as msgspec structs (JSON with ``--json``).

A *device* is something seen on the network; a *host* is something that reports facts. The
collector reconciles the two by MAC and IP (DESIGN.md §2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Proto = Literal["tcp", "udp"]
DeviceType = Literal["printer", "network_device", "camera", "windows_pc", "linux_server", "unknown"]
FoundBy = Literal["arp", "icmp", "tcp"]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Short = Annotated[str, msgspec.Meta(max_length=256)]
When = Annotated[datetime, msgspec.Meta(tz=True)]


class OpenPort(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A port that answered: SYN-ACK for TCP, a protocol answer for UDP."""

    proto: Proto
    port: Port
    banner: Short | None = None


class Device(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One device that answered a scan."""

    ip: Short
    mac: Short | None = None
    vendor: Short | None = None
    hostname: Short | None = None
    found_by: FoundBy
    open_ports: list[OpenPort] = []
    # SNMP v1/v2c answered a GetRequest with the default community "public" (L2-NET-DEV-1).
    snmp_public: bool = False
    snmp_sysdescr: Short | None = None
    type_guess: DeviceType = "unknown"
    first_seen: When
    last_seen: When


class ScanResult(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A whole scan: what was asked, what answered, and what it cost."""

    started_at: When
    finished_at: When
    targets: list[Short]
    declared: list[Short] | None = None
    addresses: int
    packets: int
    devices: list[Device]
    # What was not probed and why (the machine's own addresses, addresses without a route).
    notes: list[Annotated[str, msgspec.Meta(max_length=4096)]] = []
