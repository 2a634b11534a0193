"""Logging checks (section ``logging``): audit policy, auth events, retention, forwarding and
application logs. LEVEL2.md L2-SRV-LOG-1, L2-SRV-LOG-2, L2-APP-LOG-1; retention is the age of
the oldest retained event (docs/CHECKS-PLAN.md pitfall 5)."""

from __future__ import annotations

from datetime import datetime

from canh.contract.facts import AuditSetting, LoggingFacts, SystemFacts
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

DAY = 86400.0
# Advanced audit subcategories a level-2 host must audit, by GUID (auditpol /list /subcategory:*
# /v), with the outcomes required: (name, guid, success, failure).
REQUIRED_AUDIT = (
    ("Logon", "0cce9215-69ae-11d9-bed3-505054503030", True, True),
    ("Logoff", "0cce9216-69ae-11d9-bed3-505054503030", True, False),
    ("Account Lockout", "0cce9217-69ae-11d9-bed3-505054503030", False, True),
    ("Special Logon", "0cce921b-69ae-11d9-bed3-505054503030", True, False),
    ("Credential Validation", "0cce923f-69ae-11d9-bed3-505054503030", True, True),
    ("User Account Management", "0cce9235-69ae-11d9-bed3-505054503030", True, True),
    ("Security Group Management", "0cce9237-69ae-11d9-bed3-505054503030", True, False),
    ("Audit Policy Change", "0cce922f-69ae-11d9-bed3-505054503030", True, False),
    ("Authentication Policy Change", "0cce9230-69ae-11d9-bed3-505054503030", True, False),
)
# Identity files Linux auditd must watch.
WATCHED = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/sudoers")


def _find(policy: list[AuditSetting], name: str, guid: str) -> AuditSetting | None:
    for setting in policy:
        if setting.guid and setting.guid.strip("{}").lower() == guid:
            return setting
    return next((s for s in policy if s.subcategory.strip().lower() == name.lower()), None)


@check(
    "logging.audit_policy",
    severity="high",
    title=(
        "Ghi nhật ký đăng nhập, tài khoản và thay đổi chính sách",
        "Logon, account and policy changes are audited",
    ),
    rationale=(
        "Không ghi nhật ký đăng nhập và thay đổi tài khoản thì không điều tra được sự cố (TCVN "
        "14423 4.8.2.1).",
        "Without logon and account-change records no incident can be investigated (TCVN 14423 "
        "4.8.2.1).",
    ),
    remediation=(
        "Windows: GPO Advanced Audit Policy Configuration: Logon/Logoff, Account Logon, "
        "Account Management, Policy Change với Success và Failure (kiểm tra auditpol /get "
        "/category:*); bật 'Force audit policy subcategory settings'. Linux: apt install auditd "
        "(dnf install audit), systemctl enable --now auditd, thêm quy tắc -w /etc/passwd -p wa "
        "(và shadow, group, sudoers) vào /etc/audit/rules.d/.",
        "Windows: GPO Advanced Audit Policy Configuration: Logon/Logoff, Account Logon, Account "
        "Management, Policy Change with Success and Failure (check auditpol /get /category:*); "
        "enable 'Force audit policy subcategory settings'. Linux: apt install auditd (dnf "
        "install audit), systemctl enable --now auditd, add -w /etc/passwd -p wa (and shadow, "
        "group, sudoers) rules in /etc/audit/rules.d/.",
    ),
    sections=("logging",),
)
def audit_policy(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Windows: required subcategories audited; Linux: auditd on and identity files watched."""
    cid = "logging.audit_policy"
    lg: LoggingFacts = facts.section("logging")
    if facts.os_family == "linux":
        enabled = Evidence("logging.audit_enabled", lg.audit_enabled)
        if lg.audit_enabled is None:
            return unknown(cid, "auditd state not reported by the agent", enabled)
        if not lg.audit_enabled:
            return failed(cid, "auditd is not enabled", enabled)
        watched = {p.rstrip("/") for p in lg.audit_watched_paths}
        missing = [p for p in WATCHED if p not in watched]
        paths = Evidence("logging.audit_watched_paths", list(lg.audit_watched_paths))
        if missing:
            return failed(cid, f"audit rules miss {', '.join(missing)}", enabled, paths)
        return passed(cid, "auditd on, identity files watched", enabled, paths)
    if not lg.audit_policy:
        if lg.audit_enabled is False:
            return failed(cid, "auditing is off", Evidence("logging.audit_enabled", False))
        return unknown(cid, "effective audit policy not reported by the agent (auditpol)")
    short: list[str] = []
    for name, guid, success, failure in REQUIRED_AUDIT:
        setting = _find(lg.audit_policy, name, guid)
        if setting is None:
            short.append(f"{name} (not reported)")
            continue
        lacking = [
            w
            for w, need, got in (
                ("success", success, setting.success),
                ("failure", failure, setting.failure),
            )
            if need and not got
        ]
        if lacking:
            short.append(f"{name} ({'/'.join(lacking)})")
    evidence = Evidence(
        "logging.audit_policy", {s.subcategory: [s.success, s.failure] for s in lg.audit_policy}
    )
    if short:
        return failed(cid, f"not audited: {', '.join(short)}", evidence)
    return passed(cid, f"{len(REQUIRED_AUDIT)} required subcategories audited", evidence)


@check(
    "logging.auth_events",
    severity="medium",
    title=("Sự kiện đăng nhập thực sự được ghi", "Authentication events are actually written"),
    rationale=(
        "Cấu hình đúng chưa đủ: nhật ký phải thực sự có sự kiện đăng nhập với nguồn, tài khoản, "
        "thời gian và hành động (TCVN 14423 4.8.2.1).",
        "Configuration is not enough: the log must actually hold logon events with source, "
        "account, time and action (TCVN 14423 4.8.2.1).",
    ),
    remediation=(
        "Windows: kiểm tra nhật ký Security có sự kiện 4624/4672 (Get-WinEvent -FilterHashtable "
        "@{LogName='Security';Id=4624} -MaxEvents 1), bật chính sách kiểm toán Logon. Linux: bảo "
        "đảm rsyslog ghi /var/log/auth.log (Debian/Ubuntu) hoặc /var/log/secure (RHEL), hoặc "
        "journald lưu bền; đặt LogLevel INFO trong sshd_config.",
        "Windows: check the Security log holds 4624/4672 events (Get-WinEvent -FilterHashtable "
        "@{LogName='Security';Id=4624} -MaxEvents 1) and audit Logon. Linux: make rsyslog write "
        "/var/log/auth.log (Debian/Ubuntu) or /var/log/secure (RHEL), or keep the journal "
        "persistent; set LogLevel INFO in sshd_config.",
    ),
    sections=("logging",),
)
def auth_events(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the retained log holds authentication events."""
    cid = "logging.auth_events"
    lg: LoggingFacts = facts.section("logging")
    evidence = Evidence("logging.auth_events", lg.auth_events)
    if lg.auth_events is None:
        return unknown(cid, "authentication events not counted by the agent", evidence)
    if lg.auth_events == 0:
        return failed(cid, "no authentication event in the retained log", evidence)
    return passed(cid, f"{lg.auth_events} authentication event(s) retained", evidence)


def _required_days(thresholds: Thresholds, keys: list[str]) -> tuple[str, float]:
    """The strictest (longest) of the applicable retention keys."""
    best = "log_retention_min_days", number(thresholds, "log_retention_min_days")
    for key in keys:
        value = number(thresholds, key)
        if value > best[1]:
            best = key, value
    return best


def _age_days(facts: HostFacts, when: datetime) -> float:
    return (facts.now() - when).total_seconds() / DAY


@check(
    "logging.retention",
    severity="high",
    title=("Nhật ký lưu đủ thời gian", "Logs are kept long enough"),
    rationale=(
        "TCVN 14423 yêu cầu dung lượng lưu nhật ký tối thiểu 1 tháng (đơn vị y tế: máy chủ 6 "
        "tháng). Thời gian lưu thực là tuổi của sự kiện cũ nhất, không phải kích thước cấu hình.",
        "TCVN 14423 requires at least 1 month of log capacity (health units: 6 months on "
        "servers). Real retention is the age of the oldest event, not the configured size.",
    ),
    remediation=(
        "Windows: tăng kích thước nhật ký Security (wevtutil sl Security /ms:<byte>, ví dụ 1 GB) "
        "hoặc bật AutoBackupLogFiles, hoặc chuyển tiếp về máy chủ thu thập (WEF). Linux: "
        "Storage=persistent và MaxRetentionSec trong /etc/systemd/journald.conf; tăng 'rotate' "
        "cho auth.log/secure trong /etc/logrotate.d/; hoặc chuyển tiếp rsyslog về máy chủ tập "
        "trung.",
        "Windows: enlarge the Security log (wevtutil sl Security /ms:<bytes>, e.g. 1 GB) or "
        "enable AutoBackupLogFiles, or forward to a collector (WEF). Linux: Storage=persistent "
        "and MaxRetentionSec in /etc/systemd/journald.conf; raise 'rotate' for auth.log/secure "
        "in /etc/logrotate.d/; or forward with rsyslog to a central server.",
    ),
    sections=("logging",),
    thresholds=(
        "log_retention_min_days",
        "log_retention_min_days_online_service",
        "log_retention_min_days_moh_server",
    ),
    optional=("system",),
)
def retention(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the oldest event is old enough, the host is newer, or logs are forwarded."""
    cid = "logging.retention"
    extra = []
    if facts.unit.online_service_enterprise:
        extra.append("log_retention_min_days_online_service")
    if facts.unit.health_sector and facts.role != "workstation":
        extra.append("log_retention_min_days_moh_server")
    key, days = _required_days(thresholds, extra)
    lg: LoggingFacts = facts.section("logging")
    system: SystemFacts | None = facts.section("system")
    oldest = Evidence("logging.oldest_event_at", lg.oldest_event_at)
    if lg.oldest_event_at is None:
        if lg.forwarding:
            return passed(cid, "local retention unknown; logs are forwarded centrally", oldest)
        return unknown(cid, "oldest retained event not reported by the agent", oldest)
    age = _age_days(facts, lg.oldest_event_at)
    if age >= days:
        return passed(cid, f"oldest event {age:.0f} days old ({key} {days:g})", oldest)
    installed = system.installed_at if system is not None else None
    if installed is not None and (lg.oldest_event_at - installed).total_seconds() <= DAY:
        return passed(
            cid,
            f"host installed {_age_days(facts, installed):.0f} days ago; logs reach back to it",
            oldest,
        )
    if lg.forwarding:
        return passed(cid, f"local logs reach {age:.0f} days; logs are forwarded centrally", oldest)
    return failed(cid, f"oldest event {age:.0f} days old, {key} is {days:g}", oldest)


@check(
    "logging.forwarding",
    severity="medium",
    title=("Nhật ký được chuyển về máy chủ tập trung", "Logs are forwarded to a central server"),
    rationale=(
        "Nhật ký chỉ lưu trên máy bị kẻ tấn công xóa được; lưu tập trung giữ bằng chứng và đủ "
        "thời gian (LEVEL2.md L2-SRV-LOG-2).",
        "Logs kept only on the host can be wiped by an intruder; central storage keeps the "
        "evidence and the retention (LEVEL2.md L2-SRV-LOG-2).",
    ),
    remediation=(
        "Windows: cấu hình Windows Event Forwarding (GPO Event Forwarding > 'Configure target "
        "Subscription Manager') hoặc agent chuyển nhật ký. Linux: thêm '*.* @@<máy chủ>:514' "
        "(hoặc action omfwd) vào /etc/rsyslog.d/, hoặc bật systemd-journal-upload.",
        "Windows: configure Windows Event Forwarding (GPO Event Forwarding > 'Configure target "
        "Subscription Manager') or a log-shipping agent. Linux: add '*.* @@<server>:514' (or an "
        "omfwd action) in /etc/rsyslog.d/, or enable systemd-journal-upload.",
    ),
    sections=("logging",),
)
def forwarding(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when security logs are forwarded to a collector."""
    cid = "logging.forwarding"
    lg: LoggingFacts = facts.section("logging")
    evidence = Evidence("logging.forwarding_targets", list(lg.forwarding_targets))
    if lg.forwarding is True:
        return passed(
            cid, f"forwarded to {', '.join(lg.forwarding_targets) or 'a collector'}", evidence
        )
    if lg.forwarding is False:
        return failed(cid, "logs are not forwarded", evidence)
    return unknown(cid, "log forwarding not reported by the agent", evidence)


@check(
    "logging.app_log_age",
    severity="medium",
    title=("Nhật ký ứng dụng lưu đủ thời gian", "Application logs are kept long enough"),
    rationale=(
        "Nhật ký ứng dụng ghi đăng nhập, thao tác người dùng và quản trị; phải lưu tối thiểu 1 "
        "tháng (đơn vị y tế 3 tháng) (LEVEL2.md L2-APP-LOG-1).",
        "Application logs record logons, user and admin actions; they must be kept at least 1 "
        "month (health units 3 months) (LEVEL2.md L2-APP-LOG-1).",
    ),
    remediation=(
        "Tăng số bản xoay vòng cho nhật ký ứng dụng (logrotate 'rotate', IIS/ứng dụng: chính "
        "sách xóa nhật ký cũ) hoặc chuyển về máy chủ tập trung; khai báo đúng đường dẫn nhật ký "
        "của ứng dụng trong canh.",
        "Keep more rotations of the application logs (logrotate 'rotate'; IIS/app log cleanup "
        "policy) or ship them centrally; declare the application's log paths correctly in canh.",
    ),
    sections=("logging",),
    thresholds=("log_retention_min_days", "log_retention_min_days_moh_app"),
)
def app_log_age(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when each declared application log path reaches back the required days."""
    cid = "logging.app_log_age"
    extra = ["log_retention_min_days_moh_app"] if facts.unit.health_sector else []
    key, days = _required_days(thresholds, extra)
    lg: LoggingFacts = facts.section("logging")
    if lg.app_logs is None:
        return unknown(cid, "application log paths not reported by the agent")
    if not lg.app_logs:
        return not_applicable(cid, "no application log path declared for this host")
    bad: list[str] = []
    blind: list[str] = []
    seen = Evidence(
        "logging.app_logs",
        {a.path: a.oldest_at.isoformat() if a.oldest_at else None for a in lg.app_logs},
    )
    for app in lg.app_logs:
        if app.oldest_at is None:
            (bad if app.files == 0 else blind).append(
                app.path + (" (no files)" if app.files == 0 else "")
            )
        elif _age_days(facts, app.oldest_at) < days:
            bad.append(f"{app.path} ({_age_days(facts, app.oldest_at):.0f} days)")
    if bad:
        return failed(cid, f"shorter than {key} {days:g} days: {', '.join(bad)}", seen)
    if blind:
        return unknown(cid, f"age not reported for: {', '.join(blind)}", seen)
    return passed(cid, f"{len(lg.app_logs)} application log path(s) reach {days:g} days", seen)
