"""The host firewall on Linux: ufw, firewalld, nftables or iptables, and its inbound default.

Front ends come first because they own the rules: an active ufw or firewalld is the firewall even
though its rules also show up in nftables/iptables.
"""

from __future__ import annotations

import re

from agent.host import FactError, Host
from canh.contract.facts import FirewallFacts, FirewallProfile, InboundRule

_DROP = re.compile(r"^\s*(drop|reject)(\s+with\s+.*)?;?\s*$")


def parse_ufw(text: str) -> FirewallProfile | None:
    """``ufw status verbose``: active state and the "Default: deny (incoming)" policy."""
    status = re.search(r"^Status:\s*(\w+)", text, re.MULTILINE)
    if not status:
        return None
    enabled = status.group(1) == "active"
    default = re.search(r"^Default:\s*(\w+)\s*\(incoming\)", text, re.MULTILINE)
    inbound = None
    if enabled and default:
        inbound = "allow" if default.group(1) == "allow" else "block"  # deny and reject block
    return FirewallProfile(name="ufw", enabled=enabled, default_inbound=inbound)  # type: ignore[arg-type]


def parse_firewalld_zone(text: str) -> str | None:
    """Inbound default of the active zone from ``firewall-cmd --list-all`` ("target: ...")."""
    target = re.search(r"^\s*target:\s*(\S+)", text, re.MULTILINE)
    if not target:
        return None
    # "default" rejects what no rule allows (firewalld.zone(5)); only ACCEPT lets all in.
    return "allow" if target.group(1).upper() == "ACCEPT" else "block"


def parse_nft(text: str) -> FirewallProfile:
    """``nft list ruleset``: filter chains hooked on input, their policy and final rule."""
    chains = re.findall(r"chain\s+\S+\s*\{(.*?)\n\s*\}", text, re.DOTALL)
    inbound: str | None = None
    enabled = False
    for body in chains:
        hook = re.search(r"type\s+filter\s+hook\s+input\b.*?policy\s+(\w+)", body)
        if not hook:
            continue
        enabled = True
        rules = [line.strip() for line in body.splitlines()[1:] if line.strip()]
        blocks = hook.group(1) == "drop" or bool(rules and _DROP.match(rules[-1]))
        inbound = "block" if blocks or inbound == "block" else "allow"
    return FirewallProfile(name="nftables", enabled=enabled, default_inbound=inbound)  # type: ignore[arg-type]


def parse_iptables(text: str) -> FirewallProfile:
    """``iptables -S INPUT``: the chain policy or a final unconditional DROP/REJECT."""
    policy = re.search(r"^-P INPUT (\w+)", text, re.MULTILINE)
    rules = [line for line in text.splitlines() if line.startswith("-A INPUT")]
    if not policy:
        return FirewallProfile(name="iptables", enabled=None)
    final_drop = bool(rules) and re.fullmatch(r"-A INPUT -j (DROP|REJECT)( .*)?", rules[-1])
    blocks = policy.group(1) == "DROP" or bool(final_drop)
    return FirewallProfile(
        name="iptables",
        enabled=blocks or bool(rules),
        default_inbound="block" if blocks else "allow",
    )


ADMIN_PORTS = frozenset((22, 3389, 5985, 5986))
_APP_PORTS = {"openssh": ("tcp", 22), "ssh": ("tcp", 22)}  # ufw app profiles, firewalld services


def _rules(found: dict[tuple[str, int], set[str]]) -> list[InboundRule]:
    return [
        InboundRule(proto=proto, port=port, sources=sorted(s)[:256])  # type: ignore[arg-type]
        for (proto, port), s in sorted(found.items())
    ]


def ufw_admin_rules(text: str) -> list[InboundRule] | None:
    """ALLOW rules of an active ufw for admin ports; None when ufw is not active."""
    if not re.search(r"^Status:\s*active", text, re.MULTILINE):
        return None
    found: dict[tuple[str, int], set[str]] = {}
    for line in text.splitlines():
        match = re.match(r"^(\S+)(?: \(v6\))?\s+(?:ALLOW|LIMIT)(?: IN)?\s+(.+?)\s*$", line)
        if not match:
            continue
        target, source = match.groups()
        port_proto = re.fullmatch(r"(\d+)(?:/(tcp|udp))?", target)
        if port_proto:
            spec = (port_proto.group(2) or "tcp", int(port_proto.group(1)))
        elif target.lower() in _APP_PORTS:
            spec = _APP_PORTS[target.lower()]
        else:
            continue
        if spec[1] in ADMIN_PORTS:
            source = re.sub(r"\s*\(v6\)$", "", source)
            found.setdefault(spec, set()).add("any" if source == "Anywhere" else source[:256])
    return _rules(found)


def firewalld_admin_rules(text: str) -> list[InboundRule] | None:
    """Admin-port openings of the active firewalld zone (services, ports, rich rules)."""
    values = {
        k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())
    }
    if "target" not in values:
        return None
    zone_sources = values.get("sources", "").split() or ["any"]
    found: dict[tuple[str, int], set[str]] = {}
    for service in values.get("services", "").split():
        if service in _APP_PORTS:
            found.setdefault(_APP_PORTS[service], set()).update(zone_sources)
    for item in values.get("ports", "").split():
        match = re.fullmatch(r"(\d+)/(tcp|udp)", item)
        if match and int(match.group(1)) in ADMIN_PORTS:
            spec = (match.group(2), int(match.group(1)))
            found.setdefault(spec, set()).update(zone_sources)
    for rich in re.findall(r"rule .*", text):
        address = re.search(r'source address="([^"]+)"', rich)
        named = re.search(r'service name="([^"]+)"', rich)
        numbered = re.search(r'port port="(\d+)" protocol="(tcp|udp)"', rich)
        rich_spec = _APP_PORTS.get(named.group(1)) if named else None
        if numbered and int(numbered.group(1)) in ADMIN_PORTS:
            rich_spec = (numbered.group(2), int(numbered.group(1)))
        if rich_spec and "accept" in rich:
            found.setdefault(rich_spec, set()).add(address.group(1) if address else "any")
    return _rules(found)


def _run(host: Host, argv: list[str], notes: list[str]) -> str | None:
    """Output of a firewall tool, None when absent; permission problems become notes."""
    try:
        result = host.run(argv, timeout=15)
    except FactError as err:
        if "not installed" not in str(err):
            notes.append(str(err))
        return None
    if result.returncode != 0 and not result.stdout.strip():
        notes.append(f"{' '.join(argv)}: {result.stderr.strip()[:200] or 'failed'}")
        return None
    return result.stdout


def gather_firewall(host: Host) -> FirewallFacts:
    """Each firewall tool present, and which one is in charge."""
    notes: list[str] = []
    profiles: list[FirewallProfile] = []
    ufw = _run(host, ["ufw", "status", "verbose"], notes)
    if ufw is not None and (profile := parse_ufw(ufw)) is not None:
        profiles.append(profile)
    state = _run(host, ["firewall-cmd", "--state"], notes)
    if state is not None:
        running = state.strip() == "running"
        zone = _run(host, ["firewall-cmd", "--list-all"], notes) if running else None
        profiles.append(
            FirewallProfile(
                name="firewalld",
                enabled=running,
                default_inbound=parse_firewalld_zone(zone or "") if running else None,  # type: ignore[arg-type]
            )
        )
    nft = _run(host, ["nft", "list", "ruleset"], notes)
    if nft is not None:
        profiles.append(parse_nft(nft))
    iptables = _run(host, ["iptables", "-S", "INPUT"], notes)
    if iptables is not None:
        profiles.append(parse_iptables(iptables))
    active = next((p.name for p in profiles if p.enabled), None)
    if not profiles and not notes:
        notes.append("no firewall tool found (ufw, firewall-cmd, nft, iptables)")
    return FirewallFacts(tool=active, profiles=profiles, notes=notes)
