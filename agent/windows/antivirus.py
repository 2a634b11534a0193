"""Anti-malware on Windows: Security Center (desktops), Defender status, known vendor services.

Windows Server has no ``root/SecurityCenter2``: there Defender comes from Get-MpComputerStatus
and third-party products from their engine service. Get-MpComputerStatus speaks for Defender
only, so each source adds what the others cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from agent import av_catalog
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
from canh.contract.facts import AntivirusFacts, AntivirusProduct

_SERVICE_NAMES = ",".join(f"'{entry.name}'" for entry in av_catalog.WINDOWS_SERVICES)
ANTIVIRUS_SCRIPT = r"""
Get-Facts 'SecurityCenter' {
    Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct |
    Select-Object displayName, productState, pathToSignedProductExe }
Get-Fact 'Defender' { Get-MpComputerStatus |
    Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled,
        AntivirusSignatureAge, AntivirusSignatureLastUpdated, AntivirusSignatureVersion,
        DefenderSignaturesOutOfDate, QuickScanEndTime, FullScanEndTime, AMRunningMode,
        AMProductVersion }
Get-Fact 'DefenderPreference' { Get-MpPreference | Select-Object DisableRemovableDriveScanning }
Get-Facts 'Services' { Get-Service -Name SERVICE_NAMES -ErrorAction SilentlyContinue |
    Select-Object Name, DisplayName, @{n='Status';e={[string]$_.Status}} }
Get-Facts 'Installed' {
    Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*' `
        -ErrorAction SilentlyContinue |
    Where-Object { $_.DisplayName -match 'Bkav|CMC|Kaspersky|ESET|Trend Micro|Symantec|Sophos' } |
    Select-Object DisplayName, DisplayVersion }
""".replace("SERVICE_NAMES", _SERVICE_NAMES)

ScannerState = Literal["off", "on", "snoozed", "expired"]


@dataclass(frozen=True, slots=True)
class ProductState:
    """A decoded Security Center ``productState``."""

    scanner: ScannerState | None
    up_to_date: bool | None
    microsoft: bool

    @property
    def enabled(self) -> bool | None:
        """Real-time scanning is on (snoozed and expired count as off)."""
        return None if self.scanner is None else self.scanner == "on"


def decode_product_state(state: int) -> ProductState:
    """Decode WSC ``productState`` (a 24-bit value reported by AntiVirusProduct).

    Layout, as used by the WSC_SECURITY_PRODUCT_STATE / SIGNATURE_STATUS constants:

    * bits 16-23: security-provider flags (0x04 antivirus, 0x02 auto-update settings, ...)
    * bits 12-15: scanner state: 0x0 off, 0x1 on, 0x2 snoozed, 0x3 expired
    * bits  8-11: owner: 0x1 = Windows itself (Defender), 0x0 = third party
    * bits  4-7 : signatures: 0x0 up to date, 0x1 out of date
    * bits  0-3 : unused

    e.g. 397568 = 0x061100: on, owned by Windows, up to date.
    """
    scanner: dict[int, ScannerState] = {0: "off", 1: "on", 2: "snoozed", 3: "expired"}
    signatures = {0: True, 1: False}.get((state >> 4) & 0xF)
    return ProductState(
        scanner=scanner.get((state >> 12) & 0xF),
        up_to_date=signatures,
        microsoft=((state >> 8) & 0xF) == 1,
    )


def _defender(mp: dict[str, Any], prefs: dict[str, Any]) -> AntivirusProduct:
    mode = as_str(mp.get("AMRunningMode"))
    passive = mode is not None and "passive" in mode.lower()
    service = as_bool(mp.get("AMServiceEnabled"))
    engine = as_bool(mp.get("AntivirusEnabled"))
    age = as_int(mp.get("AntivirusSignatureAge"))
    out_of_date = as_bool(mp.get("DefenderSignaturesOutOfDate"))
    never = age is not None and age >= 65535  # the cmdlet's "never updated"
    scans = [ps_datetime(mp.get(k)) for k in ("QuickScanEndTime", "FullScanEndTime")]
    removable = as_bool(prefs.get("DisableRemovableDriveScanning"))
    enabled = None if service is None or engine is None else service and engine and not passive
    return AntivirusProduct(
        product="Microsoft Defender Antivirus",
        vendor="Microsoft",
        version=as_str(mp.get("AMProductVersion")),
        enabled=enabled,
        realtime=as_bool(mp.get("RealTimeProtectionEnabled")),
        signatures_up_to_date=False
        if never
        else (None if out_of_date is None else not out_of_date),
        signature_age_days=float(age) if age is not None and 0 <= age < 65535 else None,
        signatures_updated_at=ps_datetime(mp.get("AntivirusSignatureLastUpdated")),
        last_scan=max((s for s in scans if s is not None), default=None),
        removable_scan=None if removable is None else not removable,
        source="defender",
        note=f"running mode: {mode}" if mode and mode != "Normal" else None,
    )


def parse_antivirus(doc: dict[str, Any]) -> AntivirusFacts:
    """AntivirusFacts from the antivirus script's output."""
    installed = {
        av_catalog.vendor_of(name): (name, as_str(item.get("DisplayVersion")))
        for item in map(as_dict, as_list(doc.get("Installed")))
        if (name := as_str(item.get("DisplayName")))
    }
    products: list[AntivirusProduct] = []
    mp = as_dict(doc.get("Defender"))
    if mp:
        products.append(_defender(mp, as_dict(doc.get("DefenderPreference"))))
    vendors = {p.vendor for p in products}
    for item in map(as_dict, as_list(doc.get("SecurityCenter"))):
        name, state = as_str(item.get("displayName")), as_int(item.get("productState"))
        if name is None or state is None:
            continue
        decoded = decode_product_state(state)
        vendor = "Microsoft" if decoded.microsoft else av_catalog.vendor_of(name)
        if vendor == "Microsoft" and "Microsoft" in vendors:
            continue  # Get-MpComputerStatus already describes Defender, in more detail
        edition, licensed = av_catalog.edition_of(vendor, installed.get(vendor, (name,))[0])
        if edition is None:
            edition, licensed = av_catalog.edition_of(vendor, name)
        vendors.add(vendor)
        products.append(
            AntivirusProduct(
                product=name,
                vendor=vendor,
                version=installed.get(vendor, (None, None))[1],
                edition=edition,
                enabled=decoded.enabled,
                realtime=decoded.enabled,  # Security Center's "on" is real-time protection on
                signatures_up_to_date=decoded.up_to_date,
                licensed=licensed,
                source="securitycenter2",
            )
        )
    for item in map(as_dict, as_list(doc.get("Services"))):
        entry = av_catalog.windows_service(as_str(item.get("Name")) or "")
        if entry is None or entry.vendor in vendors:
            continue
        vendors.add(entry.vendor)
        name, version = installed.get(entry.vendor, (as_str(item.get("DisplayName")), None))
        edition, licensed = av_catalog.edition_of(entry.vendor, name or entry.product)
        status = as_str(item.get("Status"))
        products.append(
            AntivirusProduct(
                product=name or entry.product,
                vendor=entry.vendor,
                version=version,
                edition=edition,
                enabled=status in ("Running", "4") if status else None,  # 4: Running
                licensed=licensed,
                source="service",
                note="detected by its service; real-time and signature state not read",
            )
        )
    notes = errors(doc)
    if doc.get("SecurityCenter") is None:
        notes.append("no Security Center (Windows Server): third-party products by service only")
    return AntivirusFacts(products=products[:64], notes=notes[:32])


def gather_antivirus(host: Host) -> AntivirusFacts:
    """Every recognised product; an empty list means none was found."""
    return parse_antivirus(run_script(host, ANTIVIRUS_SCRIPT, timeout=90))
