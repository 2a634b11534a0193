"""Update status on Windows: Windows Update Agent, hot fixes, reboot flags, activation, EOL.

The Windows Update search runs in a background job with a time limit because an online search
can take minutes. It searches offline (``Online = $false``): the catalogue the last automatic
scan downloaded, so no network traffic and an answer in seconds; ``LastSearchSuccessDate`` says
how fresh that catalogue is. WUA reports its dates in UTC, so the job formats them with 'o'.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from agent import eol
from agent.host import Host
from agent.windows.powershell import (
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_str,
    errors,
    ps_datetime,
    run_script,
)
from canh.contract.facts import PatchFacts

SEARCH_SECONDS = 90
PATCHES_SCRIPT = r"""
Get-Fact 'OS' { Get-CimInstance Win32_OperatingSystem | Select-Object BuildNumber, ProductType }
Get-Fact 'CV' { Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' |
    Select-Object EditionID, CurrentBuild }
Get-Facts 'HotFix' { Get-HotFix | Select-Object HotFixID, InstalledOn }
Get-Fact 'LastSearch' {
    $d = (New-Object -ComObject Microsoft.Update.AutoUpdate).Results.LastSearchSuccessDate
    if ($d) { $d.ToString('o') } }
Get-Fact 'Reboot' { $cv = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion'
    [pscustomobject]@{
        WindowsUpdate = Test-Path "$cv\WindowsUpdate\Auto Update\RebootRequired"
        ComponentServicing = Test-Path "$cv\Component Based Servicing\RebootPending"
        SystemInfo = (New-Object -ComObject Microsoft.Update.SystemInfo).RebootRequired } }
Get-Facts 'Activation' {
    # The Windows application ID: rows with a product key are the installed OS licences.
    $filter = "ApplicationID='55c92734-d682-4d71-983e-d6ec3f16059f'" +
        " AND PartialProductKey IS NOT NULL"
    Get-CimInstance SoftwareLicensingProduct -Filter $filter | Select-Object Name, LicenseStatus }
Get-Fact 'WindowsUpdate' {
    $job = Start-Job -ScriptBlock {
        $searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()
        $searcher.Online = $false
        $found = $searcher.Search("IsInstalled=0 and IsHidden=0 and Type='Software'")
        $pending = foreach ($u in $found.Updates) { [pscustomobject]@{
            Title = $u.Title; MsrcSeverity = $u.MsrcSeverity
            Released = $u.LastDeploymentChangeTime.ToString('o')
            Categories = @($u.Categories | ForEach-Object { $_.CategoryID }) } }
        $count = $searcher.GetTotalHistoryCount()
        $history = if ($count -gt 0) {
            $searcher.QueryHistory(0, [Math]::Min($count, 100)) |
            Where-Object { $_.Operation -eq 1 -and $_.ResultCode -eq 2 } |
            ForEach-Object { [pscustomobject]@{ Date = $_.Date.ToString('o'); Title = $_.Title
                Categories = @($_.Categories | ForEach-Object { $_.CategoryID }) } } }
        [pscustomobject]@{ Pending = @($pending); History = @($history) }
    }
    if (Wait-Job -Job $job -Timeout SEARCH_SECONDS) {
        Receive-Job -Job $job | Select-Object Pending, History
    } else {
        Stop-Job -Job $job
        $canhErrors.Add('WindowsUpdate: the search did not finish within SEARCH_SECONDS s')
    }
    Remove-Job -Job $job -Force
}
""".replace("SEARCH_SECONDS", str(SEARCH_SECONDS))

SECURITY_UPDATES = "0fa1201d-4330-4fa8-8ae9-b877473b6441"
# Definition updates install several times a day; counting them would make every machine look
# freshly patched and always "pending".
DEFINITION_UPDATES = "e0789628-ce08-4437-be74-2495b842f43b"


def _categories(item: dict[str, Any]) -> set[str]:
    return {c.lower() for c in map(as_str, as_list(item.get("Categories"))) if c}


def parse_patches(doc: dict[str, Any], today: date) -> PatchFacts:
    """PatchFacts from the patches script's output."""
    notes = errors(doc)
    wu = as_dict(doc.get("WindowsUpdate"))
    installs = [ps_datetime(h.get("InstalledOn")) for h in map(as_dict, as_list(doc.get("HotFix")))]
    installs += [
        ps_datetime(h.get("Date"))
        for h in map(as_dict, as_list(wu.get("History")))
        if DEFINITION_UPDATES not in _categories(h)
    ]
    pending_total = pending_security = None
    oldest_security = None
    last_search = ps_datetime(doc.get("LastSearch"))
    if wu and last_search is not None:
        pending = [
            u
            for u in map(as_dict, as_list(wu.get("Pending")))
            if DEFINITION_UPDATES not in _categories(u)
        ]
        security = [
            u
            for u in pending
            if SECURITY_UPDATES in _categories(u) or as_str(u.get("MsrcSeverity"))
        ]
        pending_total, pending_security = len(pending), len(security)
        released = [d for d in (ps_datetime(u.get("Released")) for u in security) if d]
        oldest_security = min(released, default=None)
    elif wu:
        notes.append("Windows Update has never completed a search: pending updates unknown")
    reboot = as_dict(doc.get("Reboot"))
    flags = [as_bool(reboot.get(k)) for k in ("WindowsUpdate", "ComponentServicing", "SystemInfo")]
    reboot_required = True if any(flags) else (False if flags and None not in flags else None)
    activation = [
        as_int(a.get("LicenseStatus")) for a in map(as_dict, as_list(doc.get("Activation")))
    ]
    os_, cv = as_dict(doc.get("OS")), as_dict(doc.get("CV"))
    build = as_int(cv.get("CurrentBuild")) or as_int(os_.get("BuildNumber"))
    server = as_int(os_.get("ProductType")) in (2, 3)
    end = None
    if build is not None:
        end = eol.windows_eol(eol.default_table(), build, server, as_str(cv.get("EditionID")))
    eol_date, supported = eol.support_status(end, today)
    if build is not None and end is None:
        notes.append(f"build {build} is not in the EOL table")
    return PatchFacts(
        last_install_at=max((d for d in installs if d is not None), default=None),
        last_search_at=last_search,
        pending_total=pending_total,
        pending_security=pending_security,
        oldest_pending_security_at=oldest_security,
        reboot_required=reboot_required,
        os_eol_date=eol_date,
        os_supported=supported,
        # LicenseStatus 1 = Licensed; grace and notification states are not activated.
        os_licensed=(1 in activation) if activation else None,
        source="windows-update",
        notes=notes[:32],
    )


def gather_patches(host: Host) -> PatchFacts:
    """Last install, pending (security) updates, reboot flag, activation and EOL."""
    return parse_patches(run_script(host, PATCHES_SCRIPT, timeout=180), date.today())
