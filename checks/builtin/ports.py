"""Checks over listening sockets (section ``ports``)."""

from __future__ import annotations

from canh.contract.facts import PortsFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds
from checks.registry import check

# Cleartext remote-login and file-transfer services (LEVEL2.md L2-NET-EXT-1, L2-SRV-HARD-1).
CLEARTEXT = {21: "FTP", 23: "Telnet", 69: "TFTP", 512: "rexec", 513: "rlogin", 514: "rsh"}


def _exposed(facts: PortsFacts, ports: dict[int, str]) -> list[Evidence]:
    return [
        Evidence(
            fact="ports.listening",
            value=f"{item.proto}/{item.port} {ports[item.port]} "
            f"on {item.address} ({item.process or 'unknown process'})",
        )
        for item in facts.listening
        if item.port in ports and item.scope != "loopback"
    ]


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
        "Gỡ hoặc tắt dịch vụ; dùng SSH/SFTP thay thế.",
        "Remove or disable the service; use SSH/SFTP instead.",
    ),
    sections=("ports",),
)
def cleartext_services(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a cleartext login or transfer service listens beyond loopback."""
    seen = _exposed(facts.section("ports"), CLEARTEXT)
    if seen:
        return Finding(
            check_id="ports.cleartext_services",
            status="fail",
            reason=f"{len(seen)} cleartext service(s) listening",
            evidence=tuple(seen),
        )
    return Finding(
        check_id="ports.cleartext_services",
        status="pass",
        reason="no Telnet/FTP/rsh listener beyond loopback",
    )


@check(
    "ports.risky_exposed",
    severity="high",
    title=(
        "Không mở cổng rủi ro ra mọi giao diện mạng",
        "No risky ports listening on every interface",
    ),
    rationale=(
        "SMB, RDP, cơ sở dữ liệu, VNC mở rộng là đường lây lan của mã độc tống tiền.",
        "Exposed SMB, RDP, database and VNC ports are how ransomware spreads.",
    ),
    remediation=(
        "Chỉ cho phép cổng quản trị từ mạng quản trị (tường lửa) hoặc gắn vào địa chỉ cụ thể.",
        "Allow management ports only from the admin network (firewall) or bind them to a "
        "specific address.",
    ),
    sections=("ports",),
    thresholds=("risky_ports",),
)
def risky_exposed(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a port in the pack's risky list listens on all interfaces."""
    risky = {int(p): "risky" for p in thresholds.get("risky_ports", DEFAULT_RISKY)}
    ports_facts: PortsFacts = facts.section("ports")
    seen = [
        Evidence(
            fact="ports.listening",
            value=f"{x.proto}/{x.port} on {x.address} ({x.process or 'unknown process'})",
        )
        for x in ports_facts.listening
        if x.port in risky and x.scope == "all"
    ]
    if seen:
        return Finding(
            check_id="ports.risky_exposed",
            status="fail",
            reason=f"{len(seen)} risky port(s) open on every interface",
            evidence=tuple(seen),
        )
    return Finding(
        check_id="ports.risky_exposed",
        status="pass",
        reason="no risky port listens on every interface",
    )


DEFAULT_RISKY = (21, 23, 135, 139, 445, 1433, 3306, 3389, 5432, 5900, 5985, 5986)
