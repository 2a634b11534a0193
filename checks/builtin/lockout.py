"""Account lockout checks (section ``accounts``). LEVEL2.md L2-SRV-AUTH-3, L2-EPT-LOCK-2:
lock after 1..N failures (N by role), for 12 h to 30 days or until an administrator unlocks."""

from __future__ import annotations

from canh.contract.facts import AccountFacts
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
from checks.thresholds import flag, for_role, number


@check(
    "lockout.threshold",
    severity="high",
    title=("Khóa tài khoản sau số lần đăng nhập sai", "Accounts lock after failed logons"),
    rationale=(
        "Không khóa tài khoản thì kẻ tấn công dò mật khẩu vô hạn; TCVN 14423 gợi ý ≤ 10 lần "
        "trên máy người dùng, ≤ 5 trên máy chủ và phần mềm quan trọng.",
        "Without lockout an attacker can guess passwords forever; TCVN 14423 suggests ≤ 10 "
        "attempts on user computers and ≤ 5 on servers and critical software.",
    ),
    remediation=(
        "Windows: GPO Account Policies > Account Lockout Policy > 'Account lockout threshold' "
        "(miền: Default Domain Policy). Linux: /etc/security/faillock.conf đặt deny=<N> và thêm "
        "pam_faillock vào ngăn xếp auth (authselect enable-feature with-faillock trên RHEL; "
        "pam-auth-update trên Debian/Ubuntu).",
        "Windows: GPO Account Policies > Account Lockout Policy > 'Account lockout threshold' "
        "(domain: Default Domain Policy). Linux: set deny=<N> in /etc/security/faillock.conf and "
        "add pam_faillock to the auth stack (authselect enable-feature with-faillock on RHEL; "
        "pam-auth-update on Debian/Ubuntu).",
    ),
    sections=("accounts",),
    thresholds=("lockout_threshold_server", "lockout_threshold_endpoint"),
)
def threshold(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the lockout threshold is between 1 and the role's limit (0 never locks)."""
    cid = "lockout.threshold"
    key, limit = for_role(
        thresholds,
        facts.role,
        server="lockout_threshold_server",
        workstation="lockout_threshold_endpoint",
    )
    acc: AccountFacts = facts.section("accounts")
    value = acc.lockout_threshold
    evidence = Evidence("accounts.lockout_threshold", value)
    if value is None:
        return unknown(cid, "lockout threshold not reported by the agent", evidence)
    if value == 0:
        return failed(cid, "accounts never lock (threshold 0)", evidence)
    if value <= limit:
        return passed(cid, f"locks after {value} failures ({key} {limit:g})", evidence)
    return failed(cid, f"locks after {value} failures, {key} is {limit:g}", evidence)


@check(
    "lockout.duration",
    severity="medium",
    title=("Thời gian khóa tài khoản đủ dài", "Lockout lasts long enough"),
    rationale=(
        "Khóa vài phút chỉ làm chậm việc dò mật khẩu; TCVN 14423 gợi ý khóa từ 12 giờ đến 30 "
        "ngày hoặc đến khi quản trị viên mở.",
        "A lock of a few minutes only slows guessing; TCVN 14423 suggests 12 hours to 30 days, "
        "or until an administrator unlocks.",
    ),
    remediation=(
        "Windows: 'Account lockout duration' trong Account Lockout Policy (0 = đến khi quản "
        "trị viên mở khóa), ví dụ 720 phút. Linux: unlock_time trong /etc/security/faillock.conf "
        "(giây; 0 = quản trị viên mở bằng faillock --reset), ví dụ 43200.",
        "Windows: 'Account lockout duration' in the Account Lockout Policy (0 = until an "
        "administrator unlocks), e.g. 720 minutes. Linux: unlock_time in "
        "/etc/security/faillock.conf (seconds; 0 = admin unlocks with faillock --reset), e.g. "
        "43200.",
    ),
    sections=("accounts",),
    thresholds=(
        "lockout_duration_min_seconds",
        "lockout_duration_max_days",
        "lockout_admin_unlock_accepted",
    ),
)
def duration(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Pass when the lock lasts between the pack's bounds, or until an admin unlocks if accepted."""
    cid = "lockout.duration"
    low = number(thresholds, "lockout_duration_min_seconds")
    high_days = number(thresholds, "lockout_duration_max_days")
    admin_ok = flag(thresholds, "lockout_admin_unlock_accepted")
    acc: AccountFacts = facts.section("accounts")
    if acc.lockout_threshold == 0:
        return not_applicable(cid, "accounts never lock (see lockout.threshold)")
    minutes = acc.lockout_duration_minutes
    evidence = Evidence("accounts.lockout_duration_minutes", minutes)
    if minutes is None:
        return unknown(cid, "lockout duration not reported by the agent", evidence)
    if minutes < 0:
        if admin_ok:
            return passed(cid, "locked until an administrator unlocks", evidence)
        return failed(
            cid, "locked until an administrator unlocks, which the pack refuses", evidence
        )
    seconds = minutes * 60
    if seconds < low:
        return failed(cid, f"lock lasts {minutes:g} min, minimum {low / 60:g} min", evidence)
    if seconds > high_days * 86400:
        return failed(cid, f"lock lasts {minutes:g} min, maximum {high_days:g} days", evidence)
    return passed(cid, f"lock lasts {minutes:g} min", evidence)
