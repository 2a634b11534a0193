"""SMB 1.0 (section ``remote_access``, ``smb1_enabled``). LEVEL2.md L2-SRV-HARD-1."""

from __future__ import annotations

from canh.contract.facts import RemoteAccessFacts
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


@check(
    "smb.v1_disabled",
    severity="high",
    title=("Tắt giao thức SMB 1.0", "SMB 1.0 is disabled"),
    rationale=(
        "SMBv1 là đường lây lan của WannaCry và NotPetya; Microsoft đã ngừng khuyến nghị từ 2014.",
        "SMBv1 is how WannaCry and NotPetya spread; Microsoft deprecated it in 2014.",
    ),
    remediation=(
        "Windows: Set-SmbServerConfiguration -EnableSMB1Protocol $false và "
        "Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol. Linux Samba: đặt "
        "'server min protocol = SMB2_10' trong [global] của /etc/samba/smb.conf, kiểm tra bằng "
        "testparm -sv, rồi systemctl restart smbd.",
        "Windows: Set-SmbServerConfiguration -EnableSMB1Protocol $false and "
        "Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol. Linux Samba: set "
        "'server min protocol = SMB2_10' in [global] of /etc/samba/smb.conf, check with "
        "testparm -sv, then systemctl restart smbd.",
    ),
    sections=("remote_access",),
)
def v1_disabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the SMB server refuses SMB 1.0; N/A on Linux without Samba."""
    cid = "smb.v1_disabled"
    ra: RemoteAccessFacts = facts.section("remote_access")
    if facts.os_family == "linux" and ra.smb_server_present is False:
        return not_applicable(cid, "Samba is not installed")
    evidence = Evidence("remote_access.smb1_enabled", ra.smb1_enabled)
    if ra.smb1_enabled is False:
        return passed(cid, "SMB 1.0 disabled", evidence)
    if ra.smb1_enabled is True:
        return failed(cid, "SMB 1.0 enabled", evidence)
    return unknown(cid, "SMB 1.0 state not reported by the agent", evidence)
