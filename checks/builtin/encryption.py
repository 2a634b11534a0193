"""Disk encryption (section ``endpoint``, volumes). LEVEL2.md L2-EPT-ENC-1, L2-DAT-CONF-1."""

from __future__ import annotations

from canh.contract.facts import EndpointFacts, HardwareFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds, failed, passed, unknown
from checks.registry import check


@check(
    "encryption.disk",
    severity="medium",
    title=("Ổ đĩa được mã hóa", "Disks are encrypted"),
    rationale=(
        "Dữ liệu không công khai phải được mã hóa khi lưu (TCVN 14423 4.4.2.4); máy xách tay bị "
        "mất là rò rỉ dữ liệu nếu ổ đĩa không mã hóa.",
        "Non-public data must be encrypted at rest (TCVN 14423 4.4.2.4); a lost laptop with an "
        "unencrypted disk is a data breach.",
    ),
    remediation=(
        "Windows: bật BitLocker cho ổ hệ điều hành và ổ dữ liệu cố định (Enable-BitLocker -"
        "MountPoint C: -TpmProtector; sao lưu khóa khôi phục vào AD/Entra); ưu tiên máy xách "
        "tay. Linux: cài đặt với LUKS (cryptsetup luksFormat) cho phân vùng gốc và dữ liệu.",
        "Windows: turn BitLocker on for the OS and fixed data volumes (Enable-BitLocker "
        "-MountPoint C: -TpmProtector; back the recovery key up to AD/Entra), laptops first. "
        "Linux: install with LUKS (cryptsetup luksFormat) for the root and data partitions.",
    ),
    sections=("endpoint",),
    optional=("hardware",),
)
def disk(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the OS volume and fixed data volumes are encrypted."""
    cid = "encryption.disk"
    ep: EndpointFacts = facts.section("endpoint")
    hw: HardwareFacts | None = facts.section("hardware")
    chassis = Evidence("hardware.chassis", hw.chassis if hw is not None else None)
    if not ep.volumes:
        return unknown(cid, "volumes and their encryption not reported by the agent", chassis)
    seen = Evidence("endpoint.volumes", {v.mountpoint or v.name: v.encrypted for v in ep.volumes})
    plain = [v.mountpoint or v.name for v in ep.volumes if v.encrypted is False]
    if plain:
        return failed(cid, f"not encrypted: {', '.join(plain)}", seen, chassis)
    if any(v.encrypted is None for v in ep.volumes):
        return unknown(cid, "encryption state of some volumes not reported", seen, chassis)
    return passed(cid, f"{len(ep.volumes)} volume(s) encrypted", seen, chassis)
