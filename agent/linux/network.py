"""Network interfaces, gateways and DNS on Linux, from ``ip -json`` (iproute2) and resolv.conf."""

from __future__ import annotations

import json
import re
from typing import Any

from agent.host import FactError, Host
from canh.contract.facts import Address, Interface, NetworkFacts


def _json_list(text: str, what: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError as err:
        raise FactError(f"{what} printed malformed JSON") from err
    if not isinstance(value, list):
        raise FactError(f"{what} printed {type(value).__name__}, expected a list")
    return [item for item in value if isinstance(item, dict)]


def parse_ip_addr(text: str, wireless: frozenset[str] = frozenset()) -> list[Interface]:
    """Interfaces from ``ip -json addr show``."""
    interfaces = []
    for item in _json_list(text, "ip addr"):
        name = str(item.get("ifname", ""))[:256]
        if not name:
            continue
        addresses = [
            Address(
                address=str(a["local"]),
                prefix=int(a.get("prefixlen", 0)),
                family="ipv6" if a.get("family") == "inet6" else "ipv4",
            )
            for a in item.get("addr_info", [])
            if isinstance(a, dict) and a.get("local") and a.get("family") in ("inet", "inet6")
        ]
        link = item.get("link_type")
        interfaces.append(
            Interface(
                name=name,
                mac=item.get("address") if link == "ether" else None,
                up="UP" in item.get("flags", []),
                wireless=name in wireless,
                loopback=link == "loopback",
                addresses=addresses,
            )
        )
    return interfaces


def parse_ip_route(text: str) -> list[str]:
    """Default gateways from ``ip -json route show default`` (IPv4 or IPv6)."""
    return sorted({str(r["gateway"]) for r in _json_list(text, "ip route") if r.get("gateway")})


def parse_resolv_conf(text: str) -> list[str]:
    """Name servers from resolv.conf(5)."""
    return re.findall(r"^\s*nameserver\s+(\S+)", text, re.MULTILINE)


def gather_network(host: Host) -> NetworkFacts:
    """Interfaces with addresses, default gateways, DNS servers."""
    wireless_text = host.read_text("/proc/net/wireless") or ""
    wireless = frozenset(
        line.split(":")[0].strip() for line in wireless_text.splitlines()[2:] if ":" in line
    )
    addr = host.run(["ip", "-json", "addr", "show"], timeout=10)
    if addr.returncode != 0:
        raise FactError(f"ip addr failed: {addr.stderr.strip()[:200]}")
    gateways: list[str] = []
    for family in ("-4", "-6"):
        route = host.run(["ip", "-json", family, "route", "show", "default"], timeout=10)
        if route.returncode == 0:
            gateways += parse_ip_route(route.stdout)
    return NetworkFacts(
        interfaces=parse_ip_addr(addr.stdout, wireless),
        gateways=gateways,
        dns_servers=parse_resolv_conf(host.read_text("/etc/resolv.conf") or ""),
    )
