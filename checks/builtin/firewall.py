"""Host firewall checks (section ``firewall``).

LEVEL2.md L2-EPT-FW-1, L2-NET-EXT-1, L2-SRV-HARD-1.
"""

from __future__ import annotations

from canh.contract.facts import FirewallFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds, failed, passed, unknown
from checks.registry import check


def _profiles(fw: FirewallFacts) -> Evidence:
    return Evidence(
        "firewall.profiles",
        {p.name: {"enabled": p.enabled, "default_inbound": p.default_inbound} for p in fw.profiles},
    )


def _third_party(fw: FirewallFacts) -> list[str]:
    return [p.name for p in fw.products if p.enabled]


@check(
    "firewall.enabled",
    severity="high",
    title=("Tường lửa trên máy đang bật", "The host firewall is on"),
    rationale=(
        "Tường lửa trên máy chặn lây lan ngang trong mạng nội bộ (TCVN 14423 4.5.2.1).",
        "A host firewall stops lateral movement inside the LAN (TCVN 14423 4.5.2.1).",
    ),
    remediation=(
        "Windows: Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True (hoặc GPO "
        "Windows Defender Firewall with Advanced Security). Linux: ufw enable, hoặc systemctl "
        "enable --now firewalld, hoặc nạp bộ luật nftables (systemctl enable --now nftables).",
        "Windows: Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True (or the "
        "Windows Defender Firewall with Advanced Security GPO). Linux: ufw enable, or systemctl "
        "enable --now firewalld, or load an nftables ruleset (systemctl enable --now nftables).",
    ),
    sections=("firewall",),
)
def enabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when every profile is on (or, on Windows, a third-party firewall is on)."""
    cid = "firewall.enabled"
    fw: FirewallFacts = facts.section("firewall")
    others = _third_party(fw)
    if others:
        return passed(
            cid,
            f"third-party firewall on: {', '.join(others)}",
            Evidence("firewall.products", others),
        )
    if not fw.profiles:
        return unknown(cid, "host firewall state not reported by the agent")
    off = [p.name for p in fw.profiles if p.enabled is False]
    if off:
        return failed(cid, f"firewall off: {', '.join(off)}", _profiles(fw))
    if any(p.enabled is None for p in fw.profiles):
        return unknown(cid, "state of some firewall profiles not reported", _profiles(fw))
    return passed(cid, f"firewall on ({fw.tool or 'host firewall'})", _profiles(fw))


@check(
    "firewall.default_inbound_block",
    severity="high",
    title=("Mặc định chặn kết nối vào", "Inbound traffic is blocked by default"),
    rationale=(
        "Chỉ mở những gì cần: mặc định chặn kết nối vào để dịch vụ mới không tự phơi ra mạng "
        "(LEVEL2.md L2-NET-EXT-1).",
        "Open only what is needed: a default-deny inbound policy keeps new services from being "
        "exposed by accident (LEVEL2.md L2-NET-EXT-1).",
    ),
    remediation=(
        "Windows: Set-NetFirewallProfile -All -DefaultInboundAction Block. Linux: ufw default "
        "deny incoming; firewalld: vùng mặc định có target default/DROP; nftables: chain input "
        "{ type filter hook input priority 0; policy drop; }.",
        "Windows: Set-NetFirewallProfile -All -DefaultInboundAction Block. Linux: ufw default "
        "deny incoming; firewalld: a default zone with target default/DROP; nftables: chain "
        "input { type filter hook input priority 0; policy drop; }.",
    ),
    sections=("firewall",),
)
def default_inbound_block(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when every enabled profile blocks unsolicited inbound traffic."""
    cid = "firewall.default_inbound_block"
    fw: FirewallFacts = facts.section("firewall")
    if not fw.profiles:
        return unknown(cid, "host firewall policy not reported by the agent")
    if all(p.enabled is False for p in fw.profiles) and _third_party(fw):
        return unknown(cid, "a third-party firewall is in charge; its policy is not visible")
    bad = [p.name for p in fw.profiles if p.enabled is False or p.default_inbound == "allow"]
    if bad:
        return failed(cid, f"inbound allowed by default: {', '.join(bad)}", _profiles(fw))
    if any(p.default_inbound is None for p in fw.profiles):
        return unknown(cid, "default inbound action of some profiles not reported", _profiles(fw))
    return passed(cid, "inbound blocked by default", _profiles(fw))
