"""Screen lock and BitLocker on Windows.

The machine-wide InactivityTimeoutSecs policy locks every session. Otherwise each user's screen
saver decides (policy value over the user's own), and only hives of logged-on users are loaded:
with nobody logged on, the per-user part is unknown.
"""

from __future__ import annotations

from typing import Any

from agent.host import Host
from agent.windows.powershell import as_count, as_dict, as_int, as_list, as_str, errors, run_script
from canh.contract.facts import EndpointFacts, Volume

ENDPOINT_SCRIPT = r"""
Get-Fact 'Inactivity' {
    $p = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'
    (Get-ItemProperty $p).InactivityTimeoutSecs }
Get-Facts 'ScreenSavers' {
    Get-ChildItem Registry::HKEY_USERS |
    Where-Object { $_.PSChildName -match '^S-1-5-21-[\d-]+$' } |
    ForEach-Object { $hive = "Registry::HKEY_USERS\$($_.PSChildName)"
        $policy = Get-ItemProperty -ErrorAction SilentlyContinue `
            "$hive\Software\Policies\Microsoft\Windows\Control Panel\Desktop"
        $own = Get-ItemProperty "$hive\Control Panel\Desktop" -ErrorAction SilentlyContinue
        $sid = $_.PSChildName
        [pscustomobject]@{ SID = $sid
            PolicyActive = $policy.ScreenSaveActive; PolicyTimeout = $policy.ScreenSaveTimeOut
            PolicySecure = $policy.ScreenSaverIsSecure; Active = $own.ScreenSaveActive
            Timeout = $own.ScreenSaveTimeOut; Secure = $own.ScreenSaverIsSecure } } }
Get-Facts 'BitLocker' { Get-BitLockerVolume |
    Select-Object MountPoint, @{n='VolumeType';e={[string]$_.VolumeType}},
        @{n='ProtectionStatus';e={[string]$_.ProtectionStatus}},
        @{n='EncryptionMethod';e={[string]$_.EncryptionMethod}}, EncryptionPercentage }
Get-Facts 'EncryptableVolumes' { if ($null -eq $canh['BitLocker']) {
    Get-CimInstance -Namespace root/CIMV2/Security/MicrosoftVolumeEncryption `
        -ClassName Win32_EncryptableVolume |
    Select-Object DriveLetter, ProtectionStatus, EncryptionMethod } }
Get-Facts 'Volumes' {
    Get-CimInstance Win32_LogicalDisk -Filter 'DriveType=3' | Select-Object DeviceID }
Get-Fact 'SystemDrive' { $env:SystemDrive }
Get-Fact 'InstallationType' {
    (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').InstallationType }
"""
# Win32_EncryptableVolume.EncryptionMethod numbers, named as Get-BitLockerVolume names them.
_METHODS = {"1": "Aes128Diffuser", "2": "Aes256Diffuser", "3": "Aes128", "4": "Aes256",
            "5": "Hardware", "6": "XtsAes128", "7": "XtsAes256"}  # fmt: skip


def _user_lock(item: dict[str, Any]) -> int:
    """Seconds until a user's session locks; 0 when their screen saver never locks it."""

    def pick(key: str) -> int | None:
        value = as_int(item.get(f"Policy{key}"))
        return value if value is not None else as_int(item.get(key))

    active, timeout, secure = pick("Active"), pick("Timeout"), pick("Secure")
    if active == 1 and secure == 1 and timeout and 0 < timeout <= 2**31:
        return timeout
    return 0


def screen_lock(machine: int | None, users: list[int]) -> tuple[int | None, bool | None]:
    """The longest time any session stays unlocked, and whether every session locks."""
    limit = machine if machine and machine > 0 else None
    if not users:
        return (limit, True) if limit else (None, None)
    effective = []
    for user in users:  # 0: this user's session never locks by itself
        candidates = [x for x in (user, limit) if x]
        effective.append(min(candidates) if candidates else 0)
    enabled = all(effective)
    return (max(effective) if enabled else 0), enabled


def _volumes(doc: dict[str, Any]) -> list[Volume]:
    system = (as_str(doc.get("SystemDrive")) or "C:").upper()
    found: dict[str, Volume] = {}
    for item in map(as_dict, as_list(doc.get("BitLocker"))):
        mount = (as_str(item.get("MountPoint")) or "").upper()
        text = as_str(item.get("ProtectionStatus"))
        method = as_str(item.get("EncryptionMethod"))
        if mount:
            found[mount] = Volume(
                name=mount,
                mountpoint=mount,
                # Suspended protection leaves the key in the clear: that is not encrypted.
                encrypted=None if text in (None, "Unknown", "2") else text in ("On", "1"),
                method=_METHODS.get(method or "", method) if method not in ("None", "0") else None,
                system=mount == system,
            )
    for item in map(as_dict, as_list(doc.get("EncryptableVolumes"))):
        mount = (as_str(item.get("DriveLetter")) or "").upper()
        status = as_int(item.get("ProtectionStatus"))
        method = as_str(item.get("EncryptionMethod"))
        if mount and mount not in found:
            found[mount] = Volume(
                name=mount,
                mountpoint=mount,
                encrypted=None if status not in (0, 1) else status == 1,
                method=_METHODS.get(method or ""),
                system=mount == system,
            )
    for item in map(as_dict, as_list(doc.get("Volumes"))):
        mount = (as_str(item.get("DeviceID")) or "").upper()
        if mount and mount not in found:
            found[mount] = Volume(name=mount, mountpoint=mount, system=mount == system)
    return sorted(found.values(), key=lambda v: v.name)[:256]


def parse_endpoint(doc: dict[str, Any]) -> EndpointFacts:
    """EndpointFacts from the endpoint script's output."""
    notes = errors(doc)
    users = [_user_lock(as_dict(u)) for u in as_list(doc.get("ScreenSavers"))]
    timeout, enabled = screen_lock(as_count(doc.get("Inactivity")), users)
    if timeout is None:
        notes.append("no lock policy and no user logged on: screen lock unknown")
    return EndpointFacts(
        desktop=as_str(doc.get("InstallationType")) != "Server Core",
        screen_lock_timeout_seconds=timeout,
        screen_lock_enabled=enabled,
        volumes=_volumes(doc),
        notes=notes[:32],
    )


def gather_endpoint(host: Host) -> EndpointFacts:
    """Screen lock and disk encryption."""
    return parse_endpoint(run_script(host, ENDPOINT_SCRIPT, timeout=60))
