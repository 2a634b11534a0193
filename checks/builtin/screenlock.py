"""Idle screen lock (section ``endpoint``). LEVEL2.md L2-EPT-LOCK-1, L2-SRV-ACL-1: user PCs lock
within idle_lock_max_seconds_pc, servers (every console session is administrative) within
idle_lock_max_seconds_admin; a headless Linux host relies on a readonly shell TMOUT."""

from __future__ import annotations

from canh.contract.facts import EndpointFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds, failed, passed, unknown
from checks.registry import check
from checks.thresholds import for_role

SERVER, WORKSTATION = "idle_lock_max_seconds_admin", "idle_lock_max_seconds_pc"


@check(
    "screenlock.idle_timeout",
    severity="medium",
    title=("Máy tự khóa khi không sử dụng", "The session locks when idle"),
    rationale=(
        "Máy bỏ đi không khóa cho phép người khác dùng phiên đang mở; TCVN 14423 gợi ý ≤ 15 phút "
        "cho máy người dùng, ≤ 5 phút cho phiên quản trị.",
        "An unlocked unattended machine lets anyone use the open session; TCVN 14423 suggests "
        "≤ 15 minutes on user PCs and ≤ 5 minutes for admin sessions.",
    ),
    remediation=(
        "Windows: GPO Security Options > 'Interactive logon: Machine inactivity limit' "
        "(InactivityTimeoutSecs), hoặc chính sách người dùng ScreenSaveTimeOut kèm "
        "ScreenSaverIsSecure=1. Linux GNOME: /etc/dconf/db/local.d/ đặt "
        "[org/gnome/desktop/session] idle-delay=uint32 900 và [org/gnome/desktop/screensaver] "
        "lock-enabled=true, khóa trong locks/, dconf update. Máy không giao diện: 'readonly "
        "TMOUT=<giây>' trong /etc/profile.d/.",
        "Windows: GPO Security Options > 'Interactive logon: Machine inactivity limit' "
        "(InactivityTimeoutSecs), or the user policy ScreenSaveTimeOut with "
        "ScreenSaverIsSecure=1. Linux GNOME: in /etc/dconf/db/local.d/ set "
        "[org/gnome/desktop/session] idle-delay=uint32 900 and [org/gnome/desktop/screensaver] "
        "lock-enabled=true, lock them under locks/, dconf update. Headless: 'readonly "
        "TMOUT=<seconds>' in /etc/profile.d/.",
    ),
    sections=("endpoint",),
    thresholds=(SERVER, WORKSTATION),
)
def idle_timeout(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Pass when the session locks (or the shell exits) within the role's idle limit."""
    cid = "screenlock.idle_timeout"
    key, limit = for_role(thresholds, facts.role, server=SERVER, workstation=WORKSTATION)
    ep: EndpointFacts = facts.section("endpoint")
    if facts.os_family == "linux" and ep.desktop is False:
        tmout = Evidence("endpoint.shell_timeout_seconds", ep.shell_timeout_seconds)
        if ep.shell_timeout_seconds is None:
            return unknown(cid, "shell TMOUT not reported by the agent", tmout)
        if 0 < ep.shell_timeout_seconds <= limit:
            return passed(cid, f"shell sessions end after {ep.shell_timeout_seconds} s idle", tmout)
        return failed(cid, f"no readonly TMOUT ≤ {limit:g} s ({key}) for shell sessions", tmout)
    timeout = Evidence("endpoint.screen_lock_timeout_seconds", ep.screen_lock_timeout_seconds)
    enabled = Evidence("endpoint.screen_lock_enabled", ep.screen_lock_enabled)
    if ep.screen_lock_enabled is False:
        return failed(cid, "screen lock is off", timeout, enabled)
    if ep.screen_lock_timeout_seconds is None:
        return unknown(cid, "idle lock timeout not reported by the agent", timeout, enabled)
    seconds = ep.screen_lock_timeout_seconds
    if seconds == 0 or seconds > limit:
        shown = "never" if seconds == 0 else f"after {seconds} s"
        return failed(cid, f"locks {shown}, {key} is {limit:g} s", timeout, enabled)
    if facts.os_family == "linux" and ep.screen_lock_enabled is None:
        return unknown(cid, "idle delay set but lock-enabled not reported", timeout, enabled)
    return passed(cid, f"locks after {seconds} s idle", timeout, enabled)
