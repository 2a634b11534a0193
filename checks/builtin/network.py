"""Network placement checks (section ``network``) against the unit's declared zone map and DNS
filtering resolvers. LEVEL2.md L2-DES-ZONE-1, L2-NET-WIFI-1, L2-EPT-DNS-1."""

from __future__ import annotations

from functools import lru_cache

from canh.contract.facts import Interface, NetworkFacts
from checks.model import (
    Evidence,
    Finding,
    HostFacts,
    Thresholds,
    failed,
    not_applicable,
    passed,
    unknown,
)
from checks.registry import check
from checks.thresholds import number
from checks.unit import ROLE_ZONES, Zone


def _ipv4(interfaces: list[Interface], wireless: bool | None = None) -> list[tuple[str, str]]:
    """(interface, address) of up, non-loopback IPv4 addresses (optionally only Wi-Fi ones)."""
    return [
        (i.name, a.address)
        for i in interfaces
        if not i.loopback
        and i.up is not False
        and (wireless is None or bool(i.wireless) == wireless)
        for a in i.addresses
        if a.family == "ipv4" and not a.address.startswith("169.254.")
    ]


@lru_cache(maxsize=65536)
def _zone_of(zones: tuple[Zone, ...], address: str) -> Zone | None:
    return next((z for z in zones if z.contains(address)), None)


@check(
    "network.zone_separation",
    severity="medium",
    title=("Máy nằm đúng vùng mạng theo vai trò", "The host sits in the right network zone"),
    rationale=(
        "Cấp độ 2 yêu cầu tối thiểu 5 vùng mạng; máy chủ và máy người dùng chung một dải mạng "
        "khiến máy bị nhiễm tiếp cận thẳng máy chủ (TCVN 14423 4.12.2.2 b).",
        "Level 2 needs at least 5 zones; servers and user PCs in one subnet let an infected PC "
        "reach the servers directly (TCVN 14423 4.12.2.2 b).",
    ),
    remediation=(
        "Khai báo bảng vùng mạng – dải IP của đơn vị trong canh; chuyển máy chủ vào vùng máy chủ "
        "hoặc DMZ và máy người dùng vào mạng người dùng (VLAN riêng trên switch, DHCP scope "
        "riêng); Windows: Get-NetIPConfiguration, Linux: ip -o -4 addr để kiểm tra.",
        "Declare the unit's zone-to-subnet map in canh; move servers to the server zone or DMZ "
        "and user PCs to the user LAN (separate VLANs on the switch, separate DHCP scopes); "
        "check with Get-NetIPConfiguration on Windows, ip -o -4 addr on Linux.",
    ),
    sections=("network",),
    thresholds=("network_zones_min",),
)
def zone_separation(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when the zone map is too small or an address sits outside its role's zones."""
    cid = "network.zone_separation"
    needed = number(thresholds, "network_zones_min")
    zones = facts.unit.zones
    if zones is None:
        return unknown(cid, "the unit has not declared its zone-to-subnet map")
    if facts.unit.no_wifi:
        needed -= 1  # the separate wireless zone is required only where Wi-Fi exists
    count = Evidence("unit.zones", [f"{z.name} ({z.kind})" for z in zones])
    if len(zones) < needed:
        return failed(
            cid, f"{len(zones)} zone(s) declared, network_zones_min needs {needed:g}", count
        )
    allowed = ROLE_ZONES.get(facts.role or "")
    if allowed is None:
        return unknown(cid, "host role unknown: declare it (server or workstation)", count)
    net: NetworkFacts = facts.section("network")
    addresses = _ipv4(net.interfaces)
    if not addresses:
        return unknown(cid, "no IPv4 address reported by the agent", count)
    bad: list[str] = []
    seen: list[str] = []
    for iface, address in addresses:
        zone = _zone_of(zones, address)
        seen.append(f"{iface} {address} -> {zone.name if zone else 'no zone'}")
        if zone is None:
            bad.append(f"{address} is in no declared zone")
        elif zone.kind not in allowed:
            bad.append(f"{address} in {zone.kind} zone {zone.name!r}")
    evidence = Evidence("network.interfaces", seen)
    if bad:
        return failed(cid, f"{facts.role}: {'; '.join(bad)}", evidence, count)
    return passed(cid, f"{facts.role} in its zone(s)", evidence, count)


@check(
    "network.wifi_zone",
    severity="medium",
    title=("Wi-Fi nằm trong vùng mạng không dây riêng", "Wi-Fi sits in its own zone"),
    rationale=(
        "Mạng không dây phải tách khỏi mạng người dùng và vùng máy chủ (Thông tư 12 PL II "
        "§II.1.a; TCVN 14423 4.12.2.2 b).",
        "Wi-Fi must be separate from the user LAN and the server zone (Circular 12 Annex II "
        "§II.1.a; TCVN 14423 4.12.2.2 b).",
    ),
    remediation=(
        "Đưa SSID vào VLAN/dải IP của vùng không dây đã khai báo, chặn định tuyến từ vùng không "
        "dây vào vùng máy chủ trên tường lửa; khai báo dải đó trong bảng vùng mạng.",
        "Put the SSID on the VLAN/subnet of the declared wireless zone and block routing from "
        "it to the server zone on the firewall; declare that subnet in the zone map.",
    ),
    sections=("network",),
)
def wifi_zone(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a connected wireless adapter has an address outside a wireless zone."""
    cid = "network.wifi_zone"
    net: NetworkFacts = facts.section("network")
    wifi = _ipv4(net.interfaces, wireless=True)
    if not wifi:
        return not_applicable(cid, "no connected wireless adapter")
    zones = facts.unit.zones
    if zones is None:
        return unknown(cid, "the unit has not declared its zone-to-subnet map")
    seen = Evidence("network.wifi", [f"{i} {a} ssid={net.wifi_ssid}" for i, a in wifi])
    bad = [a for _i, a in wifi if (z := _zone_of(zones, a)) is None or z.kind != "wireless"]
    if bad:
        return failed(cid, f"Wi-Fi address(es) outside a wireless zone: {', '.join(bad)}", seen)
    return passed(cid, "Wi-Fi addresses in the wireless zone", seen)


@check(
    "network.dns_resolvers",
    severity="medium",
    title=("Dùng máy chủ DNS có lọc tên miền độc hại", "DNS goes through the filtering resolvers"),
    rationale=(
        "Lọc DNS chặn tên miền giả mạo và độc hại trước khi kết nối (TCVN 14423 4.9.2.2).",
        "DNS filtering blocks fake and malicious domains before any connection (TCVN 14423 "
        "4.9.2.2).",
    ),
    remediation=(
        "Đặt DNS của máy về các máy chủ lọc đã khai báo (DHCP option 6, hoặc Windows: "
        "Set-DnsClientServerAddress; Linux: DNS= trong /etc/systemd/resolved.conf hoặc cấu hình "
        "NetworkManager) và chặn DNS ra ngoài trên tường lửa.",
        "Point the host's DNS at the declared filtering resolvers (DHCP option 6, or Windows "
        "Set-DnsClientServerAddress; Linux DNS= in /etc/systemd/resolved.conf or the "
        "NetworkManager profile) and block outbound DNS elsewhere on the firewall.",
    ),
    sections=("network",),
)
def dns_resolvers(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a configured resolver is not one of the declared filtering resolvers."""
    cid = "network.dns_resolvers"
    declared = facts.unit.dns_resolvers
    if declared is None:
        return unknown(cid, "the unit has not declared its DNS filtering resolvers")
    net: NetworkFacts = facts.section("network")
    servers = [s for s in net.dns_servers if s not in ("127.0.0.53", "127.0.0.54")]
    seen = Evidence("network.dns_servers", list(net.dns_servers))
    if not servers:
        return unknown(cid, "DNS servers not reported by the agent (or only the local stub)", seen)
    other = [s for s in servers if s not in declared]
    if other:
        return failed(cid, f"resolver(s) not declared as filtering: {', '.join(other)}", seen)
    return passed(cid, "every resolver is a declared filtering resolver", seen)
