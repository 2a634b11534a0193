"""Checks over the hardware inventory (sections ``system``, ``hardware``, ``network``) and the
agent's decommission event. LEVEL2.md L2-EPT-INV-1, L2-MGT-ASSET-1, L2-SRV-DISP-1."""

from __future__ import annotations

from canh.contract.facts import HardwareFacts, NetworkFacts, SystemFacts
from checks.model import (
    Evidence,
    Finding,
    HostFacts,
    Thresholds,
    failed,
    not_applicable,
    passed,
    unknown,
)
from checks.registry import check
from checks.thresholds import number

GIB = 1024**3
# Firmware and integrated graphics reserve part of the installed RAM, so an 8 GiB machine
# reports about 7.8 GiB: accept 5 % under the floor.
RESERVED_SHARE = 0.95


@check(
    "hardware.inventory_complete",
    severity="medium",
    title=("Có danh mục phần cứng của máy", "Hardware inventory recorded"),
    rationale=(
        "Không quản lý được tài sản không biết mình có; danh mục tối thiểu gồm tên, địa chỉ, MAC "
        "hoặc số sê-ri, cấu hình (TCVN 14423 4.2).",
        "Assets that are not inventoried cannot be managed; the minimum record is name, "
        "address, MAC or serial and configuration (TCVN 14423 4.2).",
    ),
    remediation=(
        "Cài agent canh hoặc thu thập qua SSH để có danh mục. Windows: chạy agent với quyền đọc "
        "WMI (Win32_BIOS, Win32_ComputerSystem); Linux: cho agent đọc /sys/class/dmi/id (hoặc "
        "dmidecode) để có số sê-ri.",
        "Install the canh agent or collect over SSH to get the inventory. Windows: run the "
        "agent with WMI read access (Win32_BIOS, Win32_ComputerSystem); Linux: let the agent "
        "read /sys/class/dmi/id (or dmidecode) for the serial number.",
    ),
    sections=("system", "hardware"),
    optional=("network",),
)
def inventory(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when name, OS, CPU, memory, disks and a serial number or MAC are known."""
    cid = "hardware.inventory_complete"
    system: SystemFacts = facts.section("system")
    hw: HardwareFacts = facts.section("hardware")
    net: NetworkFacts | None = facts.section("network")
    macs = [i.mac for i in net.interfaces if i.mac and not i.loopback] if net is not None else []
    fields = (
        ("system.hostname", system.hostname or None),
        ("system.os_name", system.os_name),
        ("hardware.cpu_model", hw.cpu_model),
        ("hardware.memory_bytes", hw.memory_bytes),
        ("hardware.disks", len(hw.disks) or None),
        ("hardware.serial|network.mac", hw.serial or (macs[0] if macs else None)),
    )
    missing = [name for name, value in fields if value is None]
    if missing:
        return failed(
            cid,
            "inventory incomplete: " + ", ".join(missing) + " unknown",
            *(Evidence(name, None) for name in missing),
        )
    return passed(
        cid,
        "inventory complete",
        Evidence("hardware.cpu_model", hw.cpu_model),
        Evidence("hardware.memory_bytes", hw.memory_bytes),
        Evidence("hardware.serial", hw.serial),
    )


@check(
    "hardware.floor",
    severity="low",
    title=("Máy đạt cấu hình tối thiểu", "Machine meets the hardware floor"),
    rationale=(
        "Máy quá yếu không chạy được hệ điều hành và phần mềm diệt virus còn hỗ trợ.",
        "Machines below the floor cannot run a supported OS and anti-malware.",
    ),
    remediation=(
        "Nâng cấp RAM/ổ đĩa hoặc đưa vào kế hoạch thay thế.",
        "Upgrade memory/disk or plan a replacement.",
    ),
    sections=("hardware",),
    thresholds=("hardware_min_memory_gib",),
)
def floor(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when memory is below the pack's floor."""
    cid = "hardware.floor"
    minimum = number(thresholds, "hardware_min_memory_gib")
    hw: HardwareFacts = facts.section("hardware")
    evidence = Evidence("hardware.memory_bytes", hw.memory_bytes)
    if hw.memory_bytes is None:
        return unknown(cid, "memory size not reported by the agent", evidence)
    if hw.memory_bytes < minimum * GIB * RESERVED_SHARE:
        return failed(
            cid, f"{hw.memory_bytes / GIB:.1f} GiB RAM, floor is {minimum:g} GiB", evidence
        )
    return passed(cid, f"{hw.memory_bytes / GIB:.1f} GiB RAM", evidence)


@check(
    "hardware.decommission_recorded",
    severity="medium",
    title=(
        "Máy chủ thanh lý có biên bản xóa dữ liệu",
        "A decommissioned server has a wipe record",
    ),
    rationale=(
        "Máy chủ chuyển giao, bán hoặc đổi mục đích phải được xóa dữ liệu an toàn và có biên bản "
        "(TCVN 11930 6.2.2.6; TCVN 14423 4.2.2.3).",
        "A server handed over, sold or repurposed must be wiped securely with a record (TCVN "
        "11930 6.2.2.6; TCVN 14423 4.2.2.3).",
    ),
    remediation=(
        "Trước khi chuyển giao: xóa an toàn ổ đĩa (Windows: cipher /w hoặc công cụ của hãng, "
        "BitLocker thì hủy khóa; Linux: blkdiscard hoặc shred, LUKS thì cryptsetup erase), lập "
        "biên bản và khai báo số biên bản trong canh cho sự kiện thanh lý của máy.",
        "Before hand-over: wipe the disks securely (Windows: cipher /w or the vendor's tool, "
        "destroy the BitLocker keys; Linux: blkdiscard or shred, cryptsetup erase for LUKS), "
        "write the record and attach its number in canh to the host's decommission event.",
    ),
    sections=(),
)
def decommission_recorded(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """N/A for a live host; pass when its decommission event carries an attested wipe record."""
    cid = "hardware.decommission_recorded"
    event = facts.decommission
    if event is None:
        return not_applicable(cid, "host not decommissioned")
    evidence = Evidence(
        "event.decommission", f"{event.at.isoformat()} {event.reason}".strip(), "collector"
    )
    if event.wipe_record:
        return passed(cid, f"wipe record {event.wipe_record}", evidence)
    return failed(cid, "decommissioned without an attested wipe record", evidence)
