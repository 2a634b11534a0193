"""Windows Defender Firewall profiles (effective, ActiveStore) and third-party firewalls."""

from __future__ import annotations

from typing import Any

from agent.host import Host
from agent.windows.antivirus import decode_product_state
from agent.windows.powershell import as_bool, as_dict, as_int, as_list, as_str, errors, run_script
from canh.contract.facts import FirewallFacts, FirewallProduct, FirewallProfile

# ActiveStore is the policy in force: local settings merged with Group Policy. Enums are cast to
# their names, which PowerShell never translates.
FIREWALL_SCRIPT = r"""
Get-Facts 'Profiles' { Get-NetFirewallProfile -PolicyStore ActiveStore |
    Select-Object Name, @{n='Enabled';e={[string]$_.Enabled}},
        @{n='DefaultInboundAction';e={[string]$_.DefaultInboundAction}} }
Get-Facts 'Products' {
    Get-CimInstance -Namespace root/SecurityCenter2 -ClassName FirewallProduct |
    Select-Object displayName, productState }
"""
# MSFT_NetFirewallProfile.DefaultInboundAction: 0 NotConfigured, 2 Allow, 4 Block.
# NotConfigured falls back to the built-in default, which blocks.
_INBOUND = {"Block": "block", "4": "block", "NotConfigured": "block", "0": "block"}
_INBOUND |= {"Allow": "allow", "2": "allow"}
# GpoBoolean: 0 False, 1 True, 2 NotConfigured (the built-in default, on).
_ENABLED = {"True": True, "1": True, "False": False, "0": False, "NotConfigured": True, "2": True}


def parse_firewall(doc: dict[str, Any]) -> FirewallFacts:
    """FirewallFacts from the firewall script's output."""
    profiles = []
    for item in map(as_dict, as_list(doc.get("Profiles"))):
        name = as_str(item.get("Name"))
        if name is None:
            continue
        enabled = _ENABLED.get(as_str(item.get("Enabled")) or "", as_bool(item.get("Enabled")))
        profiles.append(
            FirewallProfile(
                name=name,
                enabled=enabled,
                default_inbound=_INBOUND.get(as_str(item.get("DefaultInboundAction")) or ""),  # type: ignore[arg-type]
            )
        )
    products = []
    for item in map(as_dict, as_list(doc.get("Products"))):
        name, state = as_str(item.get("displayName")), as_int(item.get("productState"))
        if name is not None:
            enabled = decode_product_state(state).enabled if state is not None else None
            products.append(FirewallProduct(name=name, enabled=enabled))
    return FirewallFacts(
        tool="windows-firewall" if profiles else None,
        profiles=profiles[:16],
        products=products[:16],
        notes=errors(doc),
    )


def gather_firewall(host: Host) -> FirewallFacts:
    """Each firewall profile's state and inbound default."""
    return parse_firewall(run_script(host, FIREWALL_SCRIPT, timeout=60))
