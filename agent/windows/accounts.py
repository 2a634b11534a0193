"""Local accounts and the effective password/lockout policy on Windows.

Policy comes from ``secedit /export /mergedpolicy``, an INI file whose keys are the same in every
language, rather than ``net accounts`` whose labels are translated. Built-in accounts are found by
SID (RID 500 Administrator, RID 501 Guest) because their names are localised and often renamed.
On a domain member this is the policy for *local* accounts; domain accounts follow the domain's.
"""

from __future__ import annotations

import re
from typing import Any

from agent.host import Host
from agent.windows.powershell import (
    as_bool,
    as_dict,
    as_list,
    as_str,
    errors,
    ps_datetime,
    run_script,
)
from canh.contract.facts import Account, AccountFacts

ADMINISTRATORS_SID = "S-1-5-32-544"
# LSA notification packages Windows ships; anything else is a password filter whose rules the
# agent cannot see.
BUILTIN_FILTERS = frozenset(("scecli", "rassfm"))
ACCOUNTS_SCRIPT = r"""
Get-Facts 'Users' { Get-LocalUser |
    Select-Object Name, @{n='SID';e={$_.SID.Value}}, Enabled, LastLogon, PasswordLastSet,
        PasswordExpires, PasswordRequired }
Get-Facts 'LegacyUsers' { if ($null -eq $canh['Users']) {
    Get-CimInstance Win32_UserAccount -Filter 'LocalAccount=True' |
    Select-Object Name, SID, Disabled, PasswordExpires, PasswordRequired } }
Get-Facts 'Administrators' {
    try { Get-LocalGroupMember -SID 'S-1-5-32-544' |
        Select-Object Name, @{n='SID';e={$_.SID.Value}},
            @{n='ObjectClass';e={[string]$_.ObjectClass}} }
    catch {
        # Get-LocalGroupMember fails on groups holding orphaned or Azure AD SIDs (error 1789).
        $sid = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')
        $name = $sid.Translate([System.Security.Principal.NTAccount]).Value.Split('\')[-1]
        @(([ADSI]"WinNT://./$name,group").Invoke('Members')) | ForEach-Object {
            $t = $_.GetType()
            [pscustomobject]@{ SID = $null
                Name = $t.InvokeMember('Name', 'GetProperty', $null, $_, $null)
                ObjectClass = $t.InvokeMember('Class', 'GetProperty', $null, $_, $null) } }
    } }
Get-Fact 'SecurityPolicy' {
    $file = Join-Path $env:TEMP ('canh-' + [guid]::NewGuid().ToString() + '.inf')
    try { secedit.exe /export /mergedpolicy /areas SECURITYPOLICY /cfg $file /quiet | Out-Null
          Get-Content -Path $file -Raw }
    finally { Remove-Item -Path $file -Force -ErrorAction SilentlyContinue } }
Get-Fact 'Lsa' { Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa' |
    Select-Object NoLMHash, 'Notification Packages' }
Get-Fact 'ConsoleUser' { (Get-CimInstance Win32_ComputerSystem).UserName }
"""


def parse_secedit(text: str) -> dict[str, str]:
    """``[System Access]`` keys of a secedit export (INI, values unquoted)."""
    values: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff")
        header = re.fullmatch(r"\[(.+)\]", line)
        if header:
            section = header.group(1)
        elif section == "System Access" and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"')
    return values


def _number(values: dict[str, str], key: str) -> int | None:
    value = values.get(key, "")
    return int(value) if re.fullmatch(r"-?\d+", value) else None


def _rid(sid: str | None) -> str | None:
    return sid.rsplit("-", 1)[-1] if sid and sid.startswith("S-1-5-21-") else None


def parse_accounts(doc: dict[str, Any]) -> AccountFacts:
    """AccountFacts from the accounts script's output."""
    notes = errors(doc)
    members = [as_dict(m) for m in as_list(doc.get("Administrators"))]
    known_members = doc.get("Administrators") is not None
    admin_sids = {as_str(m.get("SID")) for m in members} - {None}
    # The ADSI fallback gives names only; match those by name, the rest by SID.
    admin_names = {
        (as_str(m.get("Name")) or "").split("\\")[-1].casefold()
        for m in members
        if as_str(m.get("SID")) is None
    }
    users: list[Account] = []
    legacy = doc.get("Users") is None
    for item in map(as_dict, as_list(doc.get("LegacyUsers" if legacy else "Users"))):
        name, sid = as_str(item.get("Name")), as_str(item.get("SID"))
        if name is None:
            continue
        enabled = as_bool(item.get("Enabled"))
        if legacy:
            disabled = as_bool(item.get("Disabled"))
            enabled = None if disabled is None else not disabled
        expires = item.get("PasswordExpires")
        never = (
            (expires is None)
            if not legacy
            else (None if as_bool(expires) is None else not as_bool(expires))
        )
        users.append(
            Account(
                name=name,
                uid=sid,
                enabled=enabled,
                admin=None
                if not known_members
                else sid in admin_sids or name.casefold() in admin_names,
                last_logon=ps_datetime(item.get("LastLogon")),
                password_last_set=ps_datetime(item.get("PasswordLastSet")),
                password_never_expires=never,
                password_required=as_bool(item.get("PasswordRequired")),
            )
        )
    by_rid = {_rid(u.uid): u for u in users}
    policy = parse_secedit(as_str(doc.get("SecurityPolicy"), limit=1 << 20) or "")
    if not policy:
        notes.append("secedit export unavailable: password and lockout policy unknown")
    complexity = _number(policy, "PasswordComplexity")
    max_age = _number(policy, "MaximumPasswordAge")
    threshold = _number(policy, "LockoutBadCount")
    duration = _number(policy, "LockoutDuration")
    window = _number(policy, "ResetLockoutCount")
    cleartext = _number(policy, "ClearTextPassword")
    guest, admin = by_rid.get("501"), by_rid.get("500")
    lsa = as_dict(doc.get("Lsa"))
    nolm = lsa.get("NoLMHash")
    packages = lsa.get("Notification Packages")
    return AccountFacts(
        users=users[:4096],
        admin_members=sorted({n for m in members if (n := as_str(m.get("Name")))})[:256],
        console_user=as_str(doc.get("ConsoleUser")),
        password_min_length=_nonneg(_number(policy, "MinimumPasswordLength")),
        # Windows complexity demands 3 of the 5 character categories.
        password_min_classes=None if complexity is None else (3 if complexity == 1 else 0),
        password_complexity=None if complexity is None else complexity == 1,
        # -1 (and 0) in the export mean passwords never expire.
        password_max_age_days=_bounded(None if max_age is None else max(max_age, 0), 36500),
        password_history=_nonneg(_number(policy, "PasswordHistorySize")),
        password_reversible_encryption=None if cleartext is None else cleartext == 1,
        lm_hash_disabled=None if nolm is None else as_bool(nolm) is True,
        lockout_threshold=_nonneg(threshold),
        # LockoutDuration 0 or -1: locked until an administrator unlocks it (-1 in the facts).
        lockout_duration_minutes=(
            None
            if duration is None or not threshold
            else _bounded(-1 if duration <= 0 else duration, 10**6)
        ),
        lockout_window_minutes=None if window is None or not threshold else _bounded(window, 10**6),
        guest_enabled=guest.enabled if guest else _flag(policy, "EnableGuestAccount"),
        builtin_admin_enabled=admin.enabled if admin else _flag(policy, "EnableAdminAccount"),
        policy_source="secedit /mergedpolicy (local accounts)",
        password_filters=None
        if not lsa
        else sorted(
            {p for p in map(as_str, as_list(packages)) if p and p.lower() not in BUILTIN_FILTERS}
        ),
        notes=notes[:32],
    )


def _bounded(value: int | None, high: int) -> float | None:
    return float(value) if value is not None and -1 <= value <= high else None


def _nonneg(value: int | None) -> int | None:
    return value if value is not None and 0 <= value <= 2**53 else None


def _flag(values: dict[str, str], key: str) -> bool | None:
    number = _number(values, key)
    return None if number is None else number == 1


def gather_accounts(host: Host) -> AccountFacts:
    """Users, Administrators members and the password/lockout policy."""
    return parse_accounts(run_script(host, ACCOUNTS_SCRIPT, timeout=60))
