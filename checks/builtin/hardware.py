"""Checks over the hardware inventory (sections ``system`` and ``hardware``)."""

from __future__ import annotations

from canh.contract.facts import HardwareFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds
from checks.registry import check

GIB = 1024**3


@check(
    "hardware.inventory_complete",
    severity="medium",
    title=("Có danh mục phần cứng của máy", "Hardware inventory recorded"),
    rationale=(
        "Không quản lý được tài sản không biết mình có.",
        "Assets that are not inventoried cannot be managed.",
    ),
    remediation=(
        "Cài agent canh hoặc thu thập qua SSH để có danh mục.",
        "Install the canh agent or collect over SSH to get the inventory.",
    ),
    sections=("system", "hardware"),
)
def inventory(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when CPU, memory and at least one disk are known."""
    hw: HardwareFacts = facts.section("hardware")
    missing = [
        name
        for name, value in (("cpu_model", hw.cpu_model), ("memory_bytes", hw.memory_bytes))
        if value is None
    ]
    if not hw.disks:
        missing.append("disks")
    if missing:
        return Finding(
            check_id="hardware.inventory_complete",
            status="fail",
            reason="inventory incomplete: " + ", ".join(missing) + " unknown",
            evidence=tuple(Evidence(fact=f"hardware.{m}", value=None) for m in missing),
        )
    return Finding(
        check_id="hardware.inventory_complete",
        status="pass",
        reason="inventory complete",
        evidence=(
            Evidence(fact="hardware.cpu_model", value=hw.cpu_model),
            Evidence(fact="hardware.memory_bytes", value=hw.memory_bytes),
        ),
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
    hw: HardwareFacts = facts.section("hardware")
    minimum = float(thresholds.get("hardware_min_memory_gib", 4))
    if hw.memory_bytes is None:
        return Finding(check_id="hardware.floor", status="unknown", reason="memory size unknown")
    evidence = (Evidence(fact="hardware.memory_bytes", value=hw.memory_bytes),)
    if hw.memory_bytes < minimum * GIB * 0.95:  # firmware reserves a little of the installed RAM
        return Finding(
            check_id="hardware.floor",
            status="fail",
            evidence=evidence,
            reason=f"{hw.memory_bytes / GIB:.1f} GiB RAM, floor is {minimum:g} GiB",
        )
    return Finding(
        check_id="hardware.floor",
        status="pass",
        evidence=evidence,
        reason=f"{hw.memory_bytes / GIB:.1f} GiB RAM",
    )
