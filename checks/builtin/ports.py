"""Checks over listening sockets (section ``ports``). LEVEL2.md L2-SRV-HARD-1, L2-NET-EXT-1."""

from __future__ import annotations

from canh.contract.facts import Listener, PortsFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds, failed, passed, unknown
from checks.registry import check
from checks.unit import for_host

# Cleartext remote-login and file-transfer services (LEVEL2.md L2-NET-EXT-1, L2-SRV-HARD-1): a
# protocol constant, not a threshold.
CLEARTEXT = {21: "FTP", 23: "Telnet", 69: "TFTP", 512: "rexec", 513: "rlogin", 514: "rsh"}
MAX_LISTED = 30


def _describe(item: Listener, label: str = "") -> str:
    name = f" {label}" if label else ""
    return f"{item.proto}/{item.port}{name} on {item.address} ({item.process or 'unknown process'})"


@check(
    "ports.cleartext_services",
    severity="high",
    title=(
        "Không chạy dịch vụ truyền rõ (Telnet, FTP)",
        "No cleartext services (Telnet, FTP) listening",
    ),
    rationale=(
        "Telnet, FTP và rsh gửi mật khẩu dạng rõ; kẻ tấn công trong mạng đọc được.",
        "Telnet, FTP and rsh send passwords in clear text that anyone on the LAN can read.",
    ),
    remediation=(
        "Gỡ hoặc tắt dịch vụ; dùng SSH/SFTP thay thế. Windows: Disable-WindowsOptionalFeature "
        "-Online -FeatureName TelnetServer, TFTP; gỡ FTP của IIS nếu không dùng. Linux: apt "
        "purge telnetd vsftpd tftpd-hpa rsh-server (hoặc systemctl disable --now).",
        "Remove or disable the service; use SSH/SFTP instead. Windows: "
        "Disable-WindowsOptionalFeature -Online -FeatureName TelnetServer, TFTP; remove IIS FTP "
        "if unused. Linux: apt purge telnetd vsftpd tftpd-hpa rsh-server (or systemctl disable "
        "--now).",
    ),
    sections=("ports",),
)
def cleartext_services(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a cleartext login or transfer service listens beyond loopback."""
    cid = "ports.cleartext_services"
    pf: PortsFacts = facts.section("ports")
    seen = [
        Evidence("ports.listening", _describe(x, CLEARTEXT[x.port]))
        for x in pf.listening
        if x.port in CLEARTEXT and x.scope != "loopback"
    ]
    if seen:
        return failed(cid, f"{len(seen)} cleartext service(s) listening", *seen)
    return passed(
        cid,
        "no Telnet/FTP/TFTP/r-service listener beyond loopback",
        Evidence("ports.listening", len(pf.listening)),
    )


@check(
    "ports.unexpected_listeners",
    severity="medium",
    title=(
        "Chỉ mở các cổng đã khai báo",
        "Only declared ports are listening",
    ),
    rationale=(
        "Tắt dịch vụ không dùng là biện pháp cứng hóa cơ bản (TCVN 14423 4.5.2.1); mỗi cổng mở "
        "ngoài danh sách là bề mặt tấn công không ai theo dõi.",
        "Disabling unused services is basic hardening (TCVN 14423 4.5.2.1); every port open "
        "beyond the list is attack surface nobody watches.",
    ),
    remediation=(
        "Tắt dịch vụ không cần (Windows: Stop-Service/Set-Service -StartupType Disabled; Linux: "
        "systemctl disable --now <dịch vụ>) hoặc gắn vào 127.0.0.1; nếu cổng hợp lệ, bổ sung "
        "vào danh sách cổng được phép theo vai trò hoặc theo máy của đơn vị.",
        "Turn off services that are not needed (Windows: Stop-Service/Set-Service -StartupType "
        "Disabled; Linux: systemctl disable --now <unit>) or bind them to 127.0.0.1; if the port "
        "is legitimate, add it to the unit's allowed ports for the role or the host.",
    ),
    sections=("ports",),
)
def unexpected_listeners(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a port listens beyond loopback that the unit has not allowed for this host."""
    cid = "ports.unexpected_listeners"
    allowed = for_host(facts.unit.allowed_ports, facts.host, facts.role)
    if allowed is None:
        return unknown(cid, "the unit has not declared the allowed ports for this host or role")
    pf: PortsFacts = facts.section("ports")
    extra = [x for x in pf.listening if x.scope != "loopback" and (x.proto, x.port) not in allowed]
    if extra:
        shown = sorted({_describe(x) for x in extra})
        return failed(
            cid,
            f"{len(extra)} undeclared listener(s)",
            *(Evidence("ports.listening", s) for s in shown[:MAX_LISTED]),
        )
    return passed(
        cid,
        f"{len(pf.listening)} listener(s), all declared or loopback",
        Evidence("ports.listening", sorted({f"{x.proto}/{x.port}" for x in pf.listening})),
    )
