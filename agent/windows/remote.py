"""Remote access and exposure on Windows: RDP and NLA, SMB1, autorun, automatic logon, sshd."""

from __future__ import annotations

import re
from typing import Any

from agent.host import Host
from agent.windows.powershell import (
    as_bool,
    as_count,
    as_dict,
    as_int,
    as_list,
    as_str,
    errors,
    run_script,
)
from canh.contract.facts import InboundRule, RemoteAccessFacts

# Group Policy values (under SOFTWARE\Policies) override the local ones, so both are read.
# Winlogon's DefaultPassword is reported only as present/absent: the password never leaves.
REMOTE_SCRIPT = r"""
Get-Fact 'TerminalServer' {
    Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' |
    Select-Object fDenyTSConnections }
Get-Fact 'RdpTcp' {
    Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp' |
    Select-Object UserAuthentication, PortNumber, MaxIdleTime }
Get-Fact 'RdpPolicy' { $p = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'
    if (Test-Path $p) { Get-ItemProperty $p |
        Select-Object fDenyTSConnections, UserAuthentication, MaxIdleTime } }
Get-Fact 'Smb' { Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol }
Get-Fact 'Explorer' { $p = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer'
    if (Test-Path $p) { Get-ItemProperty $p | Select-Object NoDriveTypeAutoRun, NoAutorun } }
Get-Fact 'Winlogon' {
    $w = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    [pscustomobject]@{ AutoAdminLogon = $w.AutoAdminLogon
        DefaultPasswordSet = -not [string]::IsNullOrEmpty($w.DefaultPassword) } }
Get-Fact 'Sshd' { $s = Get-Service -Name sshd -ErrorAction SilentlyContinue
    if ($s) { [string]$s.Status } else { 'Absent' } }
Get-Fact 'SmbServer' { $s = Get-Service -Name LanmanServer -ErrorAction SilentlyContinue
    if ($s) { [string]$s.Status } else { 'Absent' } }
Get-Facts 'AdminRules' {
    # Joined in bulk by InstanceID: one filter query per rule takes minutes on a busy server.
    $ports = @('22', '3389', '5985', '5986')
    $allowed = @{}
    Get-NetFirewallRule -Direction Inbound -Enabled True -Action Allow -PolicyStore ActiveStore |
        ForEach-Object { $allowed[$_.InstanceID] = $true }
    $sources = @{}
    Get-NetFirewallAddressFilter -PolicyStore ActiveStore |
        ForEach-Object { $sources[$_.InstanceID] = @($_.RemoteAddress) }
    Get-NetFirewallPortFilter -PolicyStore ActiveStore |
        Where-Object { $allowed.ContainsKey($_.InstanceID) } | ForEach-Object { $f = $_
            @($f.LocalPort) | Where-Object { $ports -contains $_ } | ForEach-Object {
                [pscustomobject]@{ Protocol = [string]$f.Protocol; LocalPort = $_
                    RemoteAddress = $sources[$f.InstanceID] } } } }
Get-Facts 'CredentialProviders' {
    $p = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\Credential Providers'
    Get-ChildItem $p | ForEach-Object { (Get-ItemProperty $_.PSPath).'(default)' } }
"""
# Credential providers of second-factor products (Duo, RSA, ESET Secure Authentication, ...).
_MFA_PROVIDER = re.compile(
    r"duo|rsa|eset|okta|yubi|securenvoy|authlite|silverfort|privacyidea|multiotp|cyberark|"
    r"hideez|wikid|\botp\b|\bmfa\b",
    re.IGNORECASE,
)
_ADMIN_PORTS = frozenset((22, 3389, 5985, 5986))
ALL_DRIVES = 0xFF  # NoDriveTypeAutoRun bit mask covering every drive type


def _policy_first(policy: dict[str, Any], local: dict[str, Any], key: str) -> int | None:
    value = as_int(policy.get(key))
    return value if value is not None else as_int(local.get(key))


def parse_remote_access(doc: dict[str, Any]) -> RemoteAccessFacts:
    """RemoteAccessFacts from the remote-access script's output."""
    notes = errors(doc)
    policy, rdp = as_dict(doc.get("RdpPolicy")), as_dict(doc.get("RdpTcp"))
    deny = _policy_first(policy, as_dict(doc.get("TerminalServer")), "fDenyTSConnections")
    nla = _policy_first(policy, rdp, "UserAuthentication")
    idle_ms = as_count(policy.get("MaxIdleTime"))  # only the policy sets a server-wide limit
    explorer = as_dict(doc.get("Explorer"))
    drives, no_autorun = (
        as_int(explorer.get("NoDriveTypeAutoRun")),
        as_int(explorer.get("NoAutorun")),
    )
    winlogon = as_dict(doc.get("Winlogon"))
    auto = as_str(winlogon.get("AutoAdminLogon"))
    if as_bool(winlogon.get("DefaultPasswordSet")):
        notes.append("Winlogon DefaultPassword is stored in the registry in clear text")
    sshd, smb = as_str(doc.get("Sshd")), as_str(doc.get("SmbServer"))
    providers = doc.get("CredentialProviders")
    return RemoteAccessFacts(
        rdp_enabled=None if deny is None else deny == 0,
        rdp_nla=None if nla is None else nla == 1,
        rdp_idle_timeout_seconds=(
            idle_ms // 1000 if idle_ms is not None else _unless_failed(notes, "RdpPolicy", 0)
        ),
        ssh_running=None if sshd is None else sshd in ("Running", "4"),
        smb1_enabled=as_bool(as_dict(doc.get("Smb")).get("EnableSMB1Protocol")),
        autorun_disabled=(drives is not None and drives & ALL_DRIVES == ALL_DRIVES)
        or no_autorun == 1,
        autologon_enabled=None if winlogon == {} else auto == "1",
        inbound_admin_rules=parse_admin_rules(doc.get("AdminRules")),
        mfa_providers=None
        if providers is None
        else sorted({p for p in map(as_str, as_list(providers)) if p and _MFA_PROVIDER.search(p)}),
        smb_server_present=None if smb is None else smb in ("Running", "4"),
        notes=notes[:32],
    )


def parse_admin_rules(value: Any) -> list[InboundRule] | None:
    """Allow rules for remote-admin ports; None when the firewall query failed."""
    if value is None:
        return None
    rules: dict[tuple[str, int], set[str]] = {}
    for item in map(as_dict, as_list(value)):
        proto = (as_str(item.get("Protocol")) or "").lower()
        port = as_int(item.get("LocalPort"))
        if proto not in ("tcp", "udp") or port not in _ADMIN_PORTS:
            continue
        sources = {
            s.lower() if s.lower() == "any" else s
            for s in map(as_str, as_list(item.get("RemoteAddress")))
            if s
        }
        rules.setdefault((proto, port), set()).update(sources or {"any"})
    return [
        InboundRule(proto=proto, port=port, sources=sorted(sources)[:256])  # type: ignore[arg-type]
        for (proto, port), sources in sorted(rules.items())
    ][:512]


def _unless_failed(notes: list[str], fact: str, value: int) -> int | None:
    """``value`` (what an absent setting means) unless reading the setting failed."""
    return None if any(n.startswith(f"{fact}:") for n in notes) else value


def gather_remote_access(host: Host) -> RemoteAccessFacts:
    """RDP, SMB1, autorun, automatic logon and the OpenSSH server state."""
    return parse_remote_access(run_script(host, REMOTE_SCRIPT, timeout=60))
