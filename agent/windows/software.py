"""Installed programs on Windows: Uninstall keys (64- and 32-bit views, loaded user hives), AppX."""

from __future__ import annotations

import re
from typing import Any

from agent.host import Host
from agent.windows.powershell import as_dict, as_list, as_str, errors, run_script
from canh.contract.facts import Package, SoftwareFacts

# Only hives already loaded (users logged on): loading another user's NTUSER.DAT would lock
# their profile while they try to log in.
SOFTWARE_SCRIPT = r"""
Get-Facts 'Registry' {
    $key = 'Microsoft\Windows\CurrentVersion\Uninstall\*'
    $views = @(@{ Path = "HKLM:\SOFTWARE\$key"; Scope = 'machine' },
        @{ Path = "HKLM:\SOFTWARE\WOW6432Node\$key"; Scope = 'machine-x86' })
    $views += Get-ChildItem Registry::HKEY_USERS |
        Where-Object { $_.PSChildName -match '^S-1-5-21-[\d-]+$' } |
        ForEach-Object { @{ Scope = 'user'
            Path = "Registry::HKEY_USERS\$($_.PSChildName)\Software\$key" } }
    foreach ($v in $views) {
        Get-ItemProperty -Path $v.Path -ErrorAction SilentlyContinue |
            Where-Object { $_.DisplayName -and $_.SystemComponent -ne 1 } |
            Where-Object { -not $_.ParentKeyName } |
            Select-Object DisplayName, DisplayVersion, Publisher, @{n='Scope';e={$v.Scope}}
    }
}
Get-Facts 'Appx' { Get-AppxPackage -AllUsers |
    Where-Object { -not $_.IsFramework -and [string]$_.SignatureKind -ne 'System' } |
    Select-Object Name, Version, Publisher, @{n='Architecture';e={[string]$_.Architecture}} }
"""
MAX_PACKAGES = 50000
_APPX_ARCH = {"0": "x86", "5": "arm", "9": "x64", "11": "neutral", "12": "arm64"}


def appx_publisher(subject: str | None) -> str | None:
    """The O= (else CN=) of an AppX publisher certificate subject."""
    if subject is None:
        return None
    for key in ("O", "CN"):
        match = re.search(rf"(?:^|,\s*){key}=(\"[^\"]*\"|[^,]*)", subject)
        if match:
            return match.group(1).strip('" ')[:256] or None
    return subject[:256]


def parse_software(doc: dict[str, Any]) -> SoftwareFacts:
    """SoftwareFacts from the software script's output, duplicates across views merged."""
    seen: dict[tuple[str, str | None, str], Package] = {}
    for item in map(as_dict, as_list(doc.get("Registry"))):
        name = as_str(item.get("DisplayName"))
        if name is None:
            continue
        version = as_str(item.get("DisplayVersion"))
        seen.setdefault(
            (name.casefold(), version, "registry"),
            Package(
                name=name,
                version=version,
                publisher=as_str(item.get("Publisher")),
                source="registry",
                arch="x86" if item.get("Scope") == "machine-x86" else None,
            ),
        )
    for item in map(as_dict, as_list(doc.get("Appx"))):
        name = as_str(item.get("Name"))
        if name is None:
            continue
        version = as_str(item.get("Version"))
        arch = as_str(item.get("Architecture"))
        seen.setdefault(
            (name.casefold(), version, "appx"),
            Package(
                name=name,
                version=version,
                publisher=appx_publisher(as_str(item.get("Publisher"), limit=4096)),
                source="appx",
                arch=_APPX_ARCH.get(arch or "", arch.lower() if arch else None),
            ),
        )
    packages = sorted(seen.values(), key=lambda p: (p.source, p.name.casefold(), p.version or ""))
    notes = errors(doc)
    if len(packages) > MAX_PACKAGES:
        notes.append(f"{len(packages)} packages, only the first {MAX_PACKAGES} are reported")
    return SoftwareFacts(packages=packages[:MAX_PACKAGES], notes=notes[:32])


def gather_software(host: Host) -> SoftwareFacts:
    """Installed programs with version and publisher."""
    return parse_software(run_script(host, SOFTWARE_SCRIPT, timeout=120))
