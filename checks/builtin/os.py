"""Operating-system hardening checks: automatic logon, service baseline, legacy TLS, backups.
LEVEL2.md L2-EPT-AUTOLOGON-1, L2-SRV-HARD-1, L2-DAT-BAK-1."""

from __future__ import annotations

from canh.contract.facts import EndpointFacts, RemoteAccessFacts, SystemFacts
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
from checks.thresholds import number, text
from checks.unit import for_host

TLS_ORDER = ("ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3")
MAX_LISTED = 30


@check(
    "os.autologon_disabled",
    severity="high",
    title=("Máy không tự động đăng nhập", "The machine does not log on automatically"),
    rationale=(
        "Tự động đăng nhập cho bất kỳ ai bật máy một phiên làm việc, và trên Windows thường để "
        "mật khẩu dạng rõ trong registry (TCVN 14423 4.5.2.1 b).",
        "Automatic logon gives whoever powers the machine a session, and on Windows often "
        "leaves the password in clear in the registry (TCVN 14423 4.5.2.1 b).",
    ),
    remediation=(
        "Windows: đặt AutoAdminLogon=0 và xóa DefaultPassword dưới HKLM\\SOFTWARE\\Microsoft\\"
        "Windows NT\\CurrentVersion\\Winlogon. Linux: AutomaticLoginEnable=false và "
        "TimedLoginEnable=false trong /etc/gdm3/custom.conf (hoặc /etc/gdm/custom.conf); bỏ "
        "autologin-user trong cấu hình LightDM; bỏ [Autologin] User của SDDM.",
        "Windows: set AutoAdminLogon=0 and delete DefaultPassword under HKLM\\SOFTWARE\\"
        "Microsoft\\Windows NT\\CurrentVersion\\Winlogon. Linux: AutomaticLoginEnable=false and "
        "TimedLoginEnable=false in /etc/gdm3/custom.conf (or /etc/gdm/custom.conf); remove "
        "autologin-user from the LightDM config; remove SDDM's [Autologin] User.",
    ),
    sections=("remote_access",),
)
def autologon_disabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when automatic logon is off."""
    cid = "os.autologon_disabled"
    ra: RemoteAccessFacts = facts.section("remote_access")
    evidence = Evidence("remote_access.autologon_enabled", ra.autologon_enabled)
    if ra.autologon_enabled is False:
        return passed(cid, "automatic logon off", evidence)
    if ra.autologon_enabled is True:
        return failed(cid, "automatic logon enabled", evidence)
    return unknown(cid, "automatic logon setting not reported by the agent", evidence)


@check(
    "os.services_baseline",
    severity="medium",
    title=("Dịch vụ chạy đúng danh mục chuẩn", "Running services match the baseline"),
    rationale=(
        "Cấu hình chuẩn có tài liệu và tắt dịch vụ không dùng là yêu cầu cứng hóa của TCVN "
        "14423 4.5.2.1.",
        "A documented baseline with unused services disabled is the hardening requirement of "
        "TCVN 14423 4.5.2.1.",
    ),
    remediation=(
        "Tắt dịch vụ ngoài danh mục chuẩn (Windows: Set-Service <tên> -StartupType Disabled; "
        "Stop-Service <tên>. Linux: systemctl disable --now <unit>), hoặc bổ sung vào danh mục "
        "dịch vụ chuẩn theo vai trò của đơn vị nếu cần thiết.",
        "Disable services outside the baseline (Windows: Set-Service <name> -StartupType "
        "Disabled; Stop-Service <name>. Linux: systemctl disable --now <unit>), or add them to "
        "the unit's role baseline if they are needed.",
    ),
    sections=("system",),
)
def services_baseline(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a running service is not in the unit's baseline for the host or role."""
    cid = "os.services_baseline"
    baseline = for_host(facts.unit.service_baseline, facts.host, facts.role)
    if baseline is None:
        return unknown(cid, "the unit has not declared a service baseline for this host or role")
    system: SystemFacts = facts.section("system")
    if system.services_running is None:
        return unknown(cid, "running services not reported by the agent")
    allowed = {b.lower() for b in baseline}
    extra = sorted(s for s in system.services_running if s.lower() not in allowed)
    count = Evidence("system.services_running", len(system.services_running))
    if extra:
        return failed(
            cid,
            f"{len(extra)} service(s) outside the baseline: {', '.join(extra[:MAX_LISTED])}",
            count,
            Evidence("system.services_unexpected", extra[:MAX_LISTED]),
        )
    return passed(
        cid, f"{len(system.services_running)} running service(s), all in the baseline", count
    )


def _rank(version: str) -> int:
    v = version.strip().lower().removeprefix("tlsv").removeprefix("tls").removeprefix("v").strip()
    return TLS_ORDER.index(v) if v in TLS_ORDER else -1


@check(
    "os.legacy_tls_disabled",
    severity="medium",
    title=("Hệ điều hành tắt SSL/TLS cũ", "The OS refuses legacy SSL/TLS"),
    rationale=(
        "SSL 3.0, TLS 1.0 và 1.1 có lỗ hổng đã biết; tắt ở tầng hệ điều hành bảo vệ mọi dịch vụ "
        "dùng thư viện hệ thống (LEVEL2.md L2-SRV-HARD-1).",
        "SSL 3.0, TLS 1.0 and 1.1 have known flaws; disabling them in the OS protects every "
        "service using the system library (LEVEL2.md L2-SRV-HARD-1).",
    ),
    remediation=(
        "Windows: đặt Enabled=0, DisabledByDefault=1 dưới HKLM\\SYSTEM\\CurrentControlSet\\"
        "Control\\SecurityProviders\\SCHANNEL\\Protocols\\{SSL 3.0,TLS 1.0,TLS 1.1}\\Server rồi "
        "khởi động lại. Debian/Ubuntu: MinProtocol = TLSv1.2 trong [system_default_sect] của "
        "/etc/ssl/openssl.cnf; RHEL: update-crypto-policies --set DEFAULT (không LEGACY).",
        "Windows: set Enabled=0, DisabledByDefault=1 under HKLM\\SYSTEM\\CurrentControlSet\\"
        "Control\\SecurityProviders\\SCHANNEL\\Protocols\\{SSL 3.0,TLS 1.0,TLS 1.1}\\Server and "
        "reboot. Debian/Ubuntu: MinProtocol = TLSv1.2 in [system_default_sect] of "
        "/etc/ssl/openssl.cnf; RHEL: update-crypto-policies --set DEFAULT (not LEGACY).",
    ),
    sections=("remote_access",),
    thresholds=("tls_min_version",),
)
def legacy_tls_disabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when the OS TLS stack still enables a protocol below tls_min_version."""
    cid = "os.legacy_tls_disabled"
    minimum = text(thresholds, "tls_min_version")
    floor = _rank(minimum)
    if floor < 0:
        return unknown(cid, f"tls_min_version {minimum!r} is not one of {', '.join(TLS_ORDER)}")
    ra: RemoteAccessFacts = facts.section("remote_access")
    evidence = Evidence("remote_access.tls_min_protocol", ra.tls_min_protocol)
    if ra.tls_min_protocol is None:
        return unknown(cid, "OS TLS protocol settings not reported by the agent", evidence)
    lowest = _rank(ra.tls_min_protocol)
    if lowest < 0:
        return unknown(cid, f"unrecognised protocol {ra.tls_min_protocol!r}", evidence)
    if lowest < floor:
        return failed(
            cid, f"OS still enables {ra.tls_min_protocol}, minimum is {minimum}", evidence
        )
    return passed(cid, f"lowest enabled protocol {ra.tls_min_protocol}", evidence)


@check(
    "os.backup_recent",
    severity="high",
    title=("Có bản sao lưu gần đây", "A recent backup exists"),
    rationale=(
        "Sao lưu là cách duy nhất phục hồi sau mã độc tống tiền; bản sao lưu phải mới và tách "
        "khỏi hệ thống sản xuất (TCVN 14423 4.11).",
        "Backups are the only way back from ransomware; they must be recent and kept apart "
        "from production (TCVN 14423 4.11).",
    ),
    remediation=(
        "Windows Server: cấu hình Windows Server Backup (wbadmin enable backup) hoặc agent sao "
        "lưu, lịch hằng ngày. Linux: lịch restic/borg qua systemd timer hoặc cron tới kho tách "
        "biệt; khai báo các công việc sao lưu của máy trong canh.",
        "Windows Server: configure Windows Server Backup (wbadmin enable backup) or a backup "
        "agent on a daily schedule. Linux: schedule restic/borg with a systemd timer or cron to "
        "a separate repository; declare the host's backup jobs in canh.",
    ),
    sections=("endpoint",),
    thresholds=("backup_max_age_days",),
)
def backup_recent(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the last successful backup is within backup_max_age_days; N/A without jobs."""
    cid = "os.backup_recent"
    limit = number(thresholds, "backup_max_age_days")
    ep: EndpointFacts = facts.section("endpoint")
    jobs = Evidence("endpoint.backup_jobs", ep.backup_jobs)
    if ep.backup_jobs == 0:
        return not_applicable(cid, "no backup job found or declared for this host")
    if ep.backup_last_success_at is None:
        if ep.backup_jobs is None:
            return unknown(cid, "backup status not reported by the agent", jobs)
        return failed(cid, "backup job(s) exist but none has succeeded", jobs)
    age = (facts.now() - ep.backup_last_success_at).total_seconds() / 86400.0
    last = Evidence("endpoint.backup_last_success_at", ep.backup_last_success_at)
    if age <= limit:
        return passed(cid, f"last successful backup {age:.1f} days ago", jobs, last)
    return failed(cid, f"last successful backup {age:.1f} days ago, limit {limit:g}", jobs, last)
