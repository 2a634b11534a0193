"""System and hardware facts on Windows from CIM (Win32_*) and the CurrentVersion registry key."""

from __future__ import annotations

from typing import Any

from agent.host import FactError, Host
from agent.linux.system import VIRTUAL_VENDORS, chassis_kind, clean_dmi, coarse_free
from agent.windows.powershell import (
    as_count,
    as_dict,
    as_int,
    as_list,
    as_str,
    ps_datetime,
    run_script,
)
from canh.contract.facts import Disk, HardwareFacts, SystemFacts

SYSTEM_SCRIPT = r"""
Get-Fact 'OS' { Get-CimInstance Win32_OperatingSystem |
    Select-Object Caption, Version, BuildNumber, ProductType, LastBootUpTime, InstallDate }
Get-Fact 'CS' { Get-CimInstance Win32_ComputerSystem |
    Select-Object Name, DNSHostName, Domain, PartOfDomain, Workgroup }
Get-Fact 'CV' { Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' |
    Select-Object ProductName, EditionID, DisplayVersion, ReleaseId, CurrentBuild, UBR,
        InstallationType }
Get-Fact 'Arch' { if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 }
    else { $env:PROCESSOR_ARCHITECTURE } }
Get-Fact 'TimeZone' { (Get-TimeZone).Id }
Get-Facts 'Services' { Get-Service | Where-Object Status -eq 'Running' | ForEach-Object Name }
"""

HARDWARE_SCRIPT = r"""
Get-Fact 'CS' { Get-CimInstance Win32_ComputerSystem |
    Select-Object Manufacturer, Model, TotalPhysicalMemory }
Get-Fact 'BIOS' { Get-CimInstance Win32_BIOS | Select-Object SerialNumber, SMBIOSBIOSVersion }
Get-Facts 'CPU' { Get-CimInstance Win32_Processor |
    Select-Object Name, NumberOfCores, NumberOfLogicalProcessors }
Get-Facts 'Enclosure' { Get-CimInstance Win32_SystemEnclosure | Select-Object ChassisTypes }
Get-Facts 'LogicalDisks' { Get-CimInstance Win32_LogicalDisk -Filter 'DriveType=3' |
    Select-Object DeviceID, FileSystem, Size, FreeSpace }
Get-Facts 'Partitions' { Get-Partition | Where-Object DriveLetter |
    Select-Object @{n='DriveLetter';e={[string]$_.DriveLetter}}, DiskNumber }
Get-Facts 'PhysicalDisks' { Get-PhysicalDisk |
    Select-Object DeviceId, FriendlyName, @{n='MediaType';e={[string]$_.MediaType}}, Size }
"""

# PROCESSOR_ARCHITECTURE values, named as on Linux so one vocabulary serves both.
_ARCH = {"AMD64": "x86_64", "ARM64": "aarch64", "X86": "x86", "IA64": "ia64"}
# MSFT_PhysicalDisk.MediaType: 3 HDD, 4 SSD, 5 SCM (storage-class memory, solid state).
_MEDIA = {"3": "hdd", "4": "ssd", "5": "ssd", "HDD": "hdd", "SSD": "ssd", "SCM": "ssd"}


def parse_system(doc: dict[str, Any]) -> SystemFacts:
    """SystemFacts from the system script's output."""
    os_, cs, cv = as_dict(doc.get("OS")), as_dict(doc.get("CS")), as_dict(doc.get("CV"))
    hostname = as_str(cs.get("Name")) or as_str(cs.get("DNSHostName"))
    if hostname is None:
        raise FactError("Win32_ComputerSystem gave no computer name")
    joined = cs.get("PartOfDomain") if isinstance(cs.get("PartOfDomain"), bool) else None
    domain = as_str(cs.get("Domain")) if joined else as_str(cs.get("Workgroup"))
    dns = as_str(cs.get("DNSHostName"))
    product_type = as_int(os_.get("ProductType"))
    role = {1: "workstation", 2: "server", 3: "server"}.get(product_type or 0)
    build = as_str(cv.get("CurrentBuild")) or as_str(os_.get("BuildNumber"))
    ubr = as_int(cv.get("UBR"))
    return SystemFacts(
        hostname=hostname,
        fqdn=f"{dns}.{domain}"[:256] if joined and dns and domain else None,
        domain=domain,
        domain_joined=joined,
        os_family="windows",
        # Caption, not ProductName: the registry still says "Windows 10" on Windows 11.
        os_name=as_str(os_.get("Caption")),
        os_version=as_str(cv.get("DisplayVersion")) or as_str(cv.get("ReleaseId")),
        os_build=f"{build}.{ubr}" if build and ubr is not None else build,
        os_id="windows",
        os_edition=as_str(cv.get("EditionID")),
        kernel=as_str(os_.get("Version")),
        arch=_ARCH.get((as_str(doc.get("Arch")) or "").upper(), as_str(doc.get("Arch"))),
        boot_time=ps_datetime(os_.get("LastBootUpTime")),
        installed_at=ps_datetime(os_.get("InstallDate")),
        role=role,  # type: ignore[arg-type]
        role_source="os" if role else None,
        timezone=as_str(doc.get("TimeZone")),
        services_running=(
            None
            if doc.get("Services") is None
            else sorted({s for s in map(as_str, as_list(doc.get("Services"))) if s})[:2048]
        ),
    )


def parse_hardware(doc: dict[str, Any]) -> HardwareFacts:
    """HardwareFacts from the hardware script's output."""
    cs, bios = as_dict(doc.get("CS")), as_dict(doc.get("BIOS"))
    cpus = [as_dict(c) for c in as_list(doc.get("CPU"))]
    cores = [as_count(c.get("NumberOfCores")) or 0 for c in cpus]
    threads = [as_count(c.get("NumberOfLogicalProcessors")) or 0 for c in cpus]
    media = {
        as_str(d.get("DeviceId")): _MEDIA.get(as_str(d.get("MediaType")) or "", "unknown")
        for d in map(as_dict, as_list(doc.get("PhysicalDisks")))
    }
    disk_of = {
        (as_str(p.get("DriveLetter")) or "").upper(): as_str(p.get("DiskNumber"))
        for p in map(as_dict, as_list(doc.get("Partitions")))
    }
    disks = []
    for item in map(as_dict, as_list(doc.get("LogicalDisks"))):
        device = as_str(item.get("DeviceID"))
        if device is None:
            continue
        size, free = as_count(item.get("Size")), as_count(item.get("FreeSpace"))
        disks.append(
            Disk(
                device=device,
                mountpoint=device,
                fstype=as_str(item.get("FileSystem")),
                size_bytes=size,
                free_bytes=coarse_free(size, free) if size and free is not None else free,
                kind=media.get(disk_of.get(device.rstrip(":").upper()), "unknown"),  # type: ignore[arg-type]
            )
        )
    chassis = [
        as_int(t)
        for e in map(as_dict, as_list(doc.get("Enclosure")))
        for t in as_list(e.get("ChassisTypes"))
    ]
    memory = as_count(cs.get("TotalPhysicalMemory"))
    model = clean_dmi(as_str(cs.get("Model")))
    return HardwareFacts(
        manufacturer=clean_dmi(as_str(cs.get("Manufacturer"))),
        model=model,
        serial=clean_dmi(as_str(bios.get("SerialNumber"))),
        bios_version=clean_dmi(as_str(bios.get("SMBIOSBIOSVersion"))),
        cpu_model=as_str(cpus[0].get("Name")) if cpus else None,
        cpu_cores=min(sum(cores), 2**53) or None,
        cpu_threads=min(sum(threads), 2**53) or None,
        memory_bytes=memory or None,
        disks=disks[:256],
        chassis=_chassis(cs, next(iter(chassis), None)),  # type: ignore[arg-type]
    )


def _chassis(cs: dict[str, Any], chassis_type: int | None) -> str | None:
    if (
        as_str(cs.get("Model")) == "Virtual Machine"
        or as_str(cs.get("Manufacturer")) in VIRTUAL_VENDORS
    ):
        return "virtual"  # Hyper-V and the hypervisors whose DMI vendor says so
    return chassis_kind(chassis_type)


def gather_system(host: Host) -> SystemFacts:
    """Identity, OS and role (ProductType: 1 workstation, 2 domain controller, 3 server)."""
    return parse_system(run_script(host, SYSTEM_SCRIPT, timeout=60))


def gather_hardware(host: Host) -> HardwareFacts:
    """CPU, memory, disks (SSD/HDD), BIOS serial and chassis."""
    return parse_hardware(run_script(host, HARDWARE_SCRIPT, timeout=60))
