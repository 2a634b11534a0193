"""Guessing a device's kind from its open ports and MAC vendor: one small pure function."""

from __future__ import annotations

from collections.abc import Collection

from inventory.model import DeviceType, Proto

PRINTER_PORTS = frozenset({9100, 515, 631})
WINDOWS_PORTS = frozenset({135, 3389, 5985, 5986})
CAMERA_PORTS = frozenset({554})
MANAGEMENT_PORTS = frozenset({22, 23, 80, 443})
# Vendors whose devices on a LAN are switches, routers, firewalls or access points. Matched as
# case-insensitive prefixes of the OUI table's vendor name.
NETWORK_VENDORS = (
    "cisco",
    "juniper",
    "aruba",
    "hewlett packard enterprise",
    "mikrotik",
    "routerboard",
    "tp-link",
    "ubiquiti",
    "fortinet",
    "palo alto",
    "huawei",
    "zte",
    "ruijie",
    "d-link",
    "netgear",
    "zyxel",
    "draytek",
    "h3c",
    "allied telesis",
    "extreme networks",
    "sophos",
)


def _is_network_vendor(vendor: str | None) -> bool:
    name = (vendor or "").casefold()
    return any(name.startswith(prefix) for prefix in NETWORK_VENDORS)


def guess_type(ports: Collection[tuple[Proto, int]], vendor: str | None) -> DeviceType:
    """Printer, network device, camera, Windows PC, Linux server or unknown; first match wins."""
    tcp = {port for proto, port in ports if proto == "tcp"}
    snmp = ("udp", 161) in ports
    rules: tuple[tuple[DeviceType, bool], ...] = (
        ("printer", bool(tcp & PRINTER_PORTS)),
        (
            "network_device",
            (_is_network_vendor(vendor) and (snmp or bool(tcp & MANAGEMENT_PORTS)))
            or (snmp and 23 in tcp),
        ),
        ("camera", bool(tcp & CAMERA_PORTS)),
        ("windows_pc", bool(tcp & WINDOWS_PORTS) or {139, 445} <= tcp),
        ("linux_server", 22 in tcp),
    )
    return next((kind for kind, matched in rules if matched), "unknown")
