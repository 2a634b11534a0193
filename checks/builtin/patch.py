"""Patching checks (section ``patches``): last install, pending security updates, OS support,
pending reboot. LEVEL2.md L2-SRV-PATCH-1, L2-EPT-PATCH-1; pitfalls 8 in docs/CHECKS-PLAN.md."""

from __future__ import annotations

from datetime import date, datetime

from canh.contract.facts import PatchFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds, failed, passed, unknown
from checks.registry import check
from checks.thresholds import for_role, number

DAY = 86400.0
SERVER, WORKSTATION = "patch_critical_max_age_days_server", "patch_max_age_days"


def _days(facts: HostFacts, when: datetime) -> float:
    return (facts.now() - when).total_seconds() / DAY


def _window(facts: HostFacts, thresholds: Thresholds) -> tuple[str, float]:
    return for_role(thresholds, facts.role, server=SERVER, workstation=WORKSTATION)


@check(
    "patch.last_install_age",
    severity="high",
    title=("Máy được vá định kỳ hằng tháng", "The machine is patched monthly"),
    rationale=(
        "TCVN 14423 4.7.2.2 yêu cầu kiểm tra và cài bản vá cho máy người dùng ít nhất hằng tháng.",
        "TCVN 14423 4.7.2.2 requires user computers to be checked and patched at least monthly.",
    ),
    remediation=(
        "Windows: bật Windows Update (hoặc WSUS/Intune) tự động cài và kiểm tra lịch sử cập "
        "nhật (Settings > Windows Update > Update history). Linux: bật unattended-upgrades "
        "(Debian/Ubuntu) hoặc dnf-automatic (RHEL) và kiểm tra /var/log/apt/history.log.",
        "Windows: make Windows Update (or WSUS/Intune) install automatically and check the "
        "update history. Linux: enable unattended-upgrades (Debian/Ubuntu) or dnf-automatic "
        "(RHEL) and check /var/log/apt/history.log.",
    ),
    sections=("patches",),
    thresholds=("patch_max_age_days",),
)
def last_install_age(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the last successful install is within patch_max_age_days."""
    cid = "patch.last_install_age"
    limit = number(thresholds, "patch_max_age_days")
    p: PatchFacts = facts.section("patches")
    if p.last_install_at is None:
        return unknown(cid, "last successful update install not reported by the agent")
    age = _days(facts, p.last_install_at)
    evidence = Evidence("patches.last_install_at", p.last_install_at)
    if age <= limit:
        return passed(cid, f"last update installed {age:.0f} days ago", evidence)
    return failed(cid, f"last update installed {age:.0f} days ago, limit {limit:g}", evidence)


@check(
    "patch.pending_security",
    severity="critical",
    title=(
        "Không còn bản vá bảo mật tồn đọng quá hạn",
        "No security update left pending past the window",
    ),
    rationale=(
        "Lỗ hổng đã có bản vá là con đường tấn công dễ nhất; bản vá bảo mật phải được cài trong "
        "chu kỳ vá (TCVN 14423 4.7.2).",
        "Vulnerabilities with a released fix are the easiest way in; security updates must be "
        "installed within the patch window (TCVN 14423 4.7.2).",
    ),
    remediation=(
        "Windows: cài các bản cập nhật Security/Critical đang chờ (Windows Update, WSUS), khởi "
        "động lại nếu cần. Debian/Ubuntu: apt update && apt upgrade (hoặc unattended-upgrades "
        "cho kho -security). RHEL: dnf upgrade --security.",
        "Windows: install the pending Security/Critical updates (Windows Update, WSUS) and "
        "reboot if needed. Debian/Ubuntu: apt update && apt upgrade (or unattended-upgrades for "
        "the -security pocket). RHEL: dnf upgrade --security.",
    ),
    sections=("patches",),
    thresholds=(SERVER, WORKSTATION),
)
def pending_security(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Fail when a released security update stayed pending longer than the role's window."""
    cid = "patch.pending_security"
    key, limit = _window(facts, thresholds)
    p: PatchFacts = facts.section("patches")
    if p.pending_security is None:
        return unknown(cid, "pending security updates not reported by the agent")
    count = Evidence("patches.pending_security", p.pending_security)
    if p.last_search_at is not None and _days(facts, p.last_search_at) > limit:
        return unknown(
            cid,
            f"update search is {_days(facts, p.last_search_at):.0f} days old, older than "
            f"{key} ({limit:g}): refresh the package lists (apt update / Windows Update scan)",
            count,
        )
    if p.pending_security == 0:
        return passed(cid, "no security update pending", count)
    if p.oldest_pending_security_at is not None:
        age = _days(facts, p.oldest_pending_security_at)
        oldest = Evidence("patches.oldest_pending_security_at", p.oldest_pending_security_at)
        if age > limit:
            return failed(
                cid,
                f"{p.pending_security} security update(s) pending, oldest released {age:.0f} "
                f"days ago ({key} {limit:g})",
                count,
                oldest,
            )
        return passed(cid, f"{p.pending_security} pending, oldest {age:.0f} days", count, oldest)
    # No release dates (Debian/Ubuntu): judge by the last successful install instead.
    if p.last_install_at is None:
        return unknown(cid, "security updates pending and no release or install date", count)
    since = _days(facts, p.last_install_at)
    last = Evidence("patches.last_install_at", p.last_install_at)
    if since > limit:
        return failed(
            cid,
            f"{p.pending_security} security update(s) pending and nothing installed for "
            f"{since:.0f} days ({key} {limit:g})",
            count,
            last,
        )
    return passed(
        cid, f"{p.pending_security} pending, last install {since:.0f} days ago", count, last
    )


@check(
    "patch.os_supported",
    severity="high",
    title=("Hệ điều hành còn được hỗ trợ", "The operating system is still supported"),
    rationale=(
        "Hệ điều hành hết hỗ trợ không còn nhận bản vá bảo mật (LEVEL2.md L2-SRV-PATCH-1).",
        "An OS past its end of support gets no security fixes (LEVEL2.md L2-SRV-PATCH-1).",
    ),
    remediation=(
        "Nâng cấp lên phiên bản còn hỗ trợ: Windows 10/11 bản 22H2 trở lên hoặc Windows Server "
        "2016+ (kiểm tra ngày hết hỗ trợ trên Microsoft Lifecycle); Linux: nâng cấp bản phát "
        "hành (do-release-upgrade, apt full-upgrade sau khi đổi codename, dnf system-upgrade).",
        "Upgrade to a supported release: Windows 10/11 22H2 or later or Windows Server 2016+ "
        "(see the Microsoft Lifecycle dates); Linux: upgrade the release (do-release-upgrade, "
        "apt full-upgrade after changing the codename, dnf system-upgrade).",
    ),
    sections=("patches",),
)
def os_supported(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when the OS is past its end-of-life date (reference table)."""
    cid = "patch.os_supported"
    p: PatchFacts = facts.section("patches")
    eol = Evidence("patches.os_eol_date", p.os_eol_date)
    if p.os_supported is None and p.os_eol_date is not None:
        try:
            ends = date.fromisoformat(p.os_eol_date)
        except ValueError:
            return unknown(cid, f"end-of-life date {p.os_eol_date!r} is not an ISO date", eol)
        supported = facts.now().date() <= ends
    else:
        supported = p.os_supported  # type: ignore[assignment]
    if supported is True:
        return passed(cid, f"supported until {p.os_eol_date or 'unknown date'}", eol)
    if supported is False:
        return failed(cid, f"end of support {p.os_eol_date or '(date unknown)'}", eol)
    return unknown(cid, "OS release not in the end-of-life table: update the agent's table", eol)


@check(
    "patch.reboot_pending",
    severity="medium",
    title=(
        "Bản vá đã có hiệu lực (không chờ khởi động lại quá lâu)",
        "Updates are active (no long-pending reboot)",
    ),
    rationale=(
        "Bản vá chỉ có tác dụng sau khi khởi động lại; máy chờ khởi động lại lâu vẫn chạy mã có "
        "lỗ hổng.",
        "Updates take effect only after a restart; a machine that waits long still runs "
        "vulnerable code.",
    ),
    remediation=(
        "Khởi động lại máy trong khung giờ bảo trì. Windows: đặt giờ hoạt động và chính sách "
        "'Configure Automatic Updates' tự khởi động lại; Linux: kiểm tra /var/run/reboot-required "
        "(Debian/Ubuntu) hoặc needs-restarting -r (RHEL), cân nhắc Unattended-Upgrade::"
        "Automatic-Reboot.",
        "Restart the machine in a maintenance window. Windows: set active hours and the "
        "'Configure Automatic Updates' policy to restart; Linux: check /var/run/reboot-required "
        "(Debian/Ubuntu) or needs-restarting -r (RHEL), consider Unattended-Upgrade::"
        "Automatic-Reboot.",
    ),
    sections=("patches",),
    thresholds=(SERVER, WORKSTATION),
)
def reboot_pending(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a reboot has been pending for longer than the role's patch window."""
    cid = "patch.reboot_pending"
    key, limit = _window(facts, thresholds)
    p: PatchFacts = facts.section("patches")
    flag = Evidence("patches.reboot_required", p.reboot_required)
    if p.reboot_required is False:
        return passed(cid, "no reboot pending", flag)
    if p.reboot_required is None:
        return unknown(cid, "pending-reboot state not reported by the agent", flag)
    since = p.reboot_required_since or p.last_install_at
    if since is None:
        return unknown(cid, "reboot pending since an unknown time", flag)
    age = _days(facts, since)
    when = Evidence("patches.reboot_required_since", since)
    if age > limit:
        return failed(cid, f"reboot pending for {age:.0f} days ({key} {limit:g})", flag, when)
    return passed(cid, f"reboot pending for {age:.0f} days, within {key}", flag, when)
