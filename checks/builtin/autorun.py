"""Autorun/autoplay of removable media (section ``remote_access``, field ``autorun_disabled``)."""

from __future__ import annotations

from canh.contract.facts import EndpointFacts, RemoteAccessFacts
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
    "autorun.disabled",
    severity="medium",
    title=("Tắt tự động chạy (autorun/autoplay)", "Autorun and autoplay are disabled"),
    rationale=(
        "Tự động chạy nội dung USB cho phép mã độc chạy ngay khi cắm thiết bị (TCVN 14423 "
        "4.10.2.2).",
        "Autorun lets malware on a USB stick run as soon as it is plugged in (TCVN 14423 "
        "4.10.2.2).",
    ),
    remediation=(
        "Windows: GPO Computer Configuration > Administrative Templates > Windows Components > "
        "AutoPlay Policies: 'Turn off AutoPlay' = All drives, 'Set the default behavior for "
        "AutoRun' = Do not execute (đặt HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
        "Policies\\Explorer NoDriveTypeAutoRun=0xFF, NoAutorun=1). Linux GNOME: trong "
        "/etc/dconf/db/local.d/ đặt [org/gnome/desktop/media-handling] automount-open=false, "
        "autorun-never=true, khóa trong locks/ rồi chạy dconf update.",
        "Windows: GPO Computer Configuration > Administrative Templates > Windows Components > "
        "AutoPlay Policies: 'Turn off AutoPlay' = All drives, 'Set the default behavior for "
        "AutoRun' = Do not execute (sets HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
        "Policies\\Explorer NoDriveTypeAutoRun=0xFF, NoAutorun=1). Linux GNOME: in "
        "/etc/dconf/db/local.d/ set [org/gnome/desktop/media-handling] automount-open=false, "
        "autorun-never=true, lock them under locks/ and run dconf update.",
    ),
    sections=("remote_access",),
    optional=("endpoint",),
)
def disabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when autorun is off for all drives; N/A on Linux without a desktop."""
    cid = "autorun.disabled"
    endpoint: EndpointFacts | None = facts.section("endpoint")
    if facts.os_family == "linux" and endpoint is not None and endpoint.desktop is False:
        return not_applicable(cid, "no graphical desktop installed")
    ra: RemoteAccessFacts = facts.section("remote_access")
    evidence = Evidence("remote_access.autorun_disabled", ra.autorun_disabled)
    if ra.autorun_disabled is True:
        return passed(cid, "autorun disabled for all drives", evidence)
    if ra.autorun_disabled is False:
        return failed(cid, "autorun/autoplay is enabled for some drive types", evidence)
    return unknown(cid, "autorun state not reported by the agent (remote_access section)", evidence)
