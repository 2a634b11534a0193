"""Network facts on Windows: adapters, addresses, gateways, DNS and the Wi-Fi SSID in use."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from agent.host import Host
from agent.windows.powershell import as_dict, as_int, as_list, as_str, run_script
from canh.contract.facts import Address, Interface, NetworkFacts

NETWORK_SCRIPT = r"""
Get-Facts 'Config' { Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True' |
    Select-Object InterfaceIndex, Description, MACAddress, IPAddress, IPSubnet,
        DefaultIPGateway, DNSServerSearchOrder }
Get-Facts 'Adapters' { Get-NetAdapter |
    Select-Object ifIndex, Name, InterfaceDescription, MacAddress,
        @{n='Status';e={[string]$_.Status}}, NdisPhysicalMedium }
Get-Facts 'Dns' { Get-DnsClientServerAddress | Select-Object InterfaceIndex, ServerAddresses }
Get-Fact 'Wlan' { (netsh.exe wlan show interfaces) -join "`n" }
"""

# NDIS_PHYSICAL_MEDIUM: 1 WirelessLan, 8 WirelessWan, 9 Native802_11.
_WIRELESS_MEDIA = (1, 8, 9)


def parse_ssid(text: str) -> str | None:
    """The SSID of the connected interface in ``netsh wlan show interfaces``.

    Every label but "SSID" is translated (Vietnamese: "Tên", "Trạng thái"), so only that line is
    read; "BSSID" does not match because the label must be exactly SSID.
    """
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and label.strip() == "SSID" and value.strip():
            return value.strip()[:256]
    return None


def _prefix(address: str, subnet: str | None) -> int:
    """Prefix length from WMI's IPSubnet: a dotted mask for IPv4, a number for IPv6."""
    if subnet is None:
        return 128 if ":" in address else 32
    if subnet.isdigit():
        return min(int(subnet), 128)
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{subnet}").prefixlen
    except ValueError:
        return 32


def _mac(value: Any) -> str | None:
    mac = as_str(value)
    return (
        mac.replace("-", ":").lower() if mac and re.fullmatch(r"[0-9A-Fa-f:-]{17}", mac) else None
    )


def parse_network(doc: dict[str, Any]) -> NetworkFacts:
    """NetworkFacts from the network script's output."""
    adapters = {as_int(a.get("ifIndex")): a for a in map(as_dict, as_list(doc.get("Adapters")))}
    interfaces: list[Interface] = []
    gateways: list[str] = []
    dns: list[str] = []
    for config in map(as_dict, as_list(doc.get("Config"))):
        index = as_int(config.get("InterfaceIndex"))
        adapter = adapters.get(index, {})
        ips = [as_str(x) for x in as_list(config.get("IPAddress"))]
        subnets = [as_str(x) for x in as_list(config.get("IPSubnet"))]
        addresses = [
            Address(
                address=ip,
                prefix=_prefix(ip, subnets[i] if i < len(subnets) else None),
                family="ipv6" if ":" in ip else "ipv4",
            )
            for i, ip in enumerate(ips)
            if ip
        ]
        medium = as_int(adapter.get("NdisPhysicalMedium"))
        status = as_str(adapter.get("Status"))
        interfaces.append(
            Interface(
                name=as_str(adapter.get("Name")) or as_str(config.get("Description")) or "?",
                mac=_mac(config.get("MACAddress") or adapter.get("MacAddress")),
                up=status == "Up" if status else None,
                wireless=medium in _WIRELESS_MEDIA if medium is not None else None,
                addresses=addresses[:256],
            )
        )
        gateways += [g for g in map(as_str, as_list(config.get("DefaultIPGateway"))) if g]
        dns += [d for d in map(as_str, as_list(config.get("DNSServerSearchOrder"))) if d]
    for entry in map(as_dict, as_list(doc.get("Dns"))):  # adds the IPv6 resolvers WMI omits
        dns += [d for d in map(as_str, as_list(entry.get("ServerAddresses"))) if d]
    return NetworkFacts(
        interfaces=interfaces[:256],
        gateways=list(dict.fromkeys(gateways))[:64],
        dns_servers=list(dict.fromkeys(dns))[:64],
        wifi_ssid=parse_ssid(as_str(doc.get("Wlan"), limit=65536) or ""),
    )


def gather_network(host: Host) -> NetworkFacts:
    """Interfaces with addresses, default gateways, DNS servers and Wi-Fi SSID."""
    return parse_network(run_script(host, NETWORK_SCRIPT, timeout=60))
