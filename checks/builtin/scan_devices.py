"""N-class checks on network and security devices: syslog receipt, Telnet, plain-HTTP admin pages,
default SNMP communities, SSH protocol (LEVEL2.md L2-NET-LOG-1, L2-NET-DEV-1)."""

from __future__ import annotations

from collections.abc import Iterable

from checks.model import Evidence, Finding, Thresholds, failed, not_applicable, passed, unknown
from checks.network import (
    NetworkObservation,
    ObservedDevice,
    collector_evidence,
    network_check,
    open_ports,
)
from checks.thresholds import number, words


@network_check(
    "scan.syslog_receipt",
    severity="medium",
    title=(
        "Nhận được nhật ký từ tường lửa, IPS và thiết bị chuyển mạch",
        "Logs are received from firewalls, IPS and switches",
    ),
    rationale=(
        "Thiết bị mạng phải ghi và gửi nhật ký truy cập, cảnh báo an ninh để điều tra sự cố "
        "(L2-NET-LOG-1).",
        "Network devices must record and ship access logs and security alerts so incidents can "
        "be investigated (L2-NET-LOG-1).",
    ),
    remediation=(
        "Cấu hình syslog trên từng thiết bị gửi về bộ thu của canh (hoặc máy chủ chuyển tiếp "
        "syslog), mức informational trở lên, đồng bộ NTP; kiểm tra tường lửa cho phép udp/514 "
        "hoặc tcp/6514.",
        "Configure syslog on each device to send to canh's collector (or the syslog relay), "
        "severity informational or higher, with NTP; check the firewall allows udp/514 or "
        "tcp/6514.",
    ),
    reads=("syslog_devices", "syslog"),
    thresholds=("syslog_receipt_max_age_seconds",),
)
def syslog_receipt(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when a declared device sent nothing within the window."""
    cid = "scan.syslog_receipt"
    limit = number(thresholds, "syslog_receipt_max_age_seconds")
    if obs.syslog_devices is None:
        return unknown(cid, "the unit has not declared its firewalls, IPS and switches")
    if not obs.syslog_devices:
        return not_applicable(cid, "the unit declares no network or security device")
    last = {s.device: s.last_received_at for s in obs.syslog}
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for device in obs.syslog_devices:
        at = last.get(device)
        age = (obs.observed_at - at).total_seconds() if at is not None else None
        item = collector_evidence(
            "syslog.last_received_at", f"{device}: {at.isoformat() if at else 'never'}"
        )
        (bad if age is None or age > limit else good).append(item)
    if bad:
        return failed(cid, f"{len(bad)} device(s) silent for more than {limit:g} s", *bad)
    return passed(cid, f"{len(good)} device(s) sent logs within {limit:g} s", *good)


def _devices(obs: NetworkObservation, check_id: str) -> Finding | list[ObservedDevice]:
    if obs.devices is None:
        return unknown(check_id, "no internal scan of servers and devices yet: run discovery")
    return obs.devices


@network_check(
    "scan.telnet_exposed",
    severity="high",
    title=("Không có dịch vụ Telnet trên thiết bị và máy chủ", "No Telnet on devices and servers"),
    rationale=(
        "Telnet gửi mật khẩu quản trị dạng rõ; thiết bị phải quản trị qua SSH (L2-NET-DEV-1).",
        "Telnet sends admin passwords in clear text; devices must be managed over SSH "
        "(L2-NET-DEV-1).",
    ),
    remediation=(
        "Tắt Telnet trên thiết bị (ví dụ Cisco: 'transport input ssh'), bật SSH. Windows: gỡ "
        "tính năng TelnetServer; Linux: gỡ gói telnetd/inetutils-telnetd.",
        "Disable Telnet on the device (e.g. Cisco 'transport input ssh') and enable SSH. "
        "Windows: remove the TelnetServer feature; Linux: remove telnetd/inetutils-telnetd.",
    ),
    reads=("devices",),
)
def telnet_exposed(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when tcp/23 answers anywhere in the internal scan."""
    cid = "scan.telnet_exposed"
    devices = _devices(obs, cid)
    if isinstance(devices, Finding):
        return devices
    bad = [
        collector_evidence(
            "devices.open_ports", f"{d.ip} tcp/23" + (" (telnet)" if d.telnet_negotiated else "")
        )
        for d in devices
        if ("tcp", 23) in open_ports(d)
    ]
    if bad:
        return failed(cid, f"Telnet answers on {len(bad)} address(es)", *bad)
    return passed(
        cid,
        f"tcp/23 closed on {len(devices)} scanned address(es)",
        collector_evidence("devices", len(devices)),
    )


def _management(obs: NetworkObservation, check_id: str) -> Finding | list[ObservedDevice]:
    if obs.management_ips is None:
        return unknown(check_id, "the unit has not declared its device management addresses")
    if not obs.management_ips:
        return not_applicable(check_id, "the unit declares no device management address")
    devices = _devices(obs, check_id)
    if isinstance(devices, Finding):
        return devices
    wanted = set(obs.management_ips)
    return [d for d in devices if d.ip in wanted]


@network_check(
    "scan.http_admin_plaintext",
    severity="high",
    title=(
        "Giao diện quản trị web của thiết bị chỉ qua HTTPS",
        "Device web management only over HTTPS",
    ),
    rationale=(
        "Đăng nhập quản trị qua HTTP để lộ mật khẩu trên mạng (L2-NET-DEV-1).",
        "An admin login over plain HTTP exposes the password on the network (L2-NET-DEV-1).",
    ),
    remediation=(
        "Bật HTTPS cho giao diện quản trị và chuyển hướng HTTP sang HTTPS, hoặc tắt HTTP trên "
        "thiết bị; chỉ cho phép truy cập quản trị từ mạng quản trị.",
        "Enable HTTPS for the management interface and redirect HTTP to HTTPS, or turn HTTP off "
        "on the device; allow management only from the admin network.",
    ),
    reads=("management_ips", "devices"),
)
def http_admin_plaintext(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when a management address serves HTTP without redirecting to HTTPS."""
    cid = "scan.http_admin_plaintext"
    devices = _management(obs, cid)
    if isinstance(devices, Finding):
        return devices
    bad: list[Evidence] = []
    for d in devices:
        for probe in d.http:
            redirect = probe.status is not None and 300 <= probe.status < 400
            to_https = (probe.location or "").lower().startswith("https://")
            if probe.status is not None and not (redirect and to_https):
                bad.append(
                    collector_evidence("devices.http", f"{d.ip}:{probe.port} HTTP {probe.status}")
                )
    if bad:
        return failed(cid, f"{len(bad)} management page(s) served over plain HTTP", *bad)
    return passed(
        cid,
        f"{len(devices)} management address(es): no plain-HTTP admin page",
        collector_evidence("management_ips", list(obs.management_ips or [])),
    )


@network_check(
    "scan.snmp_default_community",
    severity="high",
    title=(
        "SNMP không chấp nhận community mặc định",
        "SNMP does not accept default communities",
    ),
    rationale=(
        "Community 'public'/'private' cho phép đọc (hoặc ghi) cấu hình thiết bị mà không cần "
        "mật khẩu (L2-NET-DEV-1).",
        "The 'public'/'private' communities let anyone read (or write) device configuration "
        "without a password (L2-NET-DEV-1).",
    ),
    remediation=(
        "Đổi hoặc xóa community mặc định; dùng SNMPv3 với xác thực và mã hóa; giới hạn địa chỉ "
        "được phép truy vấn SNMP. Windows: gỡ dịch vụ SNMP nếu không dùng; Linux: sửa "
        "/etc/snmp/snmpd.conf (bỏ rocommunity public).",
        "Change or remove the default communities; use SNMPv3 with authentication and privacy; "
        "restrict which addresses may query. Windows: remove the SNMP service if unused; Linux: "
        "edit /etc/snmp/snmpd.conf (drop 'rocommunity public').",
    ),
    reads=("devices",),
    thresholds=("snmp_default_communities",),
)
def snmp_default_community(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when any device answers a default community."""
    cid = "scan.snmp_default_community"
    defaults = set(words(thresholds, "snmp_default_communities"))
    devices = _devices(obs, cid)
    if isinstance(devices, Finding):
        return devices
    probed = [d for d in devices if d.snmp_communities is not None]
    bad = [
        collector_evidence("devices.snmp_communities", f"{d.ip}: {', '.join(sorted(answered))}")
        for d in probed
        if (answered := defaults & set(d.snmp_communities or []))
    ]
    if bad:
        return failed(cid, f"{len(bad)} device(s) answer a default community", *bad)
    if not probed:
        return unknown(cid, "no device was probed over SNMP: enable the SNMP probe in discovery")
    return passed(
        cid,
        f"{len(probed)} device(s) probed: no default community answers",
        collector_evidence("devices.snmp_probed", [d.ip for d in probed]),
    )


def _ssh_banners(devices: Iterable[ObservedDevice]) -> list[tuple[str, str]]:
    return [
        (d.ip, p.banner)
        for d in devices
        for p in d.open_ports
        if p.banner is not None and p.banner.startswith("SSH-")
    ]


@network_check(
    "scan.ssh_version",
    severity="medium",
    title=("Dịch vụ SSH không dùng giao thức phiên bản 1", "SSH services do not speak protocol 1"),
    rationale=(
        "SSH phiên bản 1 có lỗ hổng thiết kế đã biết; phiên bản phần mềm được ghi lại để theo dõi "
        "bản vá (L2-NET-DEV-1).",
        "SSH protocol 1 has known design flaws; the software version is recorded to follow "
        "patches (L2-NET-DEV-1).",
    ),
    remediation=(
        "Nâng cấp firmware hoặc OpenSSH; chỉ bật SSH phiên bản 2 (Cisco: 'ip ssh version 2'; "
        "OpenSSH hiện đại chỉ hỗ trợ giao thức 2).",
        "Upgrade the firmware or OpenSSH; enable SSH version 2 only (Cisco: 'ip ssh version 2'; "
        "modern OpenSSH speaks protocol 2 only).",
    ),
    reads=("devices",),
)
def ssh_version(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail on an SSH-1.x banner other than SSH-1.99 (which also speaks 2)."""
    cid = "scan.ssh_version"
    devices = _devices(obs, cid)
    if isinstance(devices, Finding):
        return devices
    banners = _ssh_banners(devices)
    if not banners:
        return not_applicable(cid, "no SSH service seen on the scanned addresses")
    evidence = [collector_evidence("devices.ssh_banner", f"{ip}: {b}") for ip, b in banners]
    bad = [
        e
        for e, (_ip, b) in zip(evidence, banners, strict=True)
        if b.startswith("SSH-1.") and not b.startswith("SSH-1.99")
    ]
    if bad:
        return failed(cid, f"{len(bad)} SSH service(s) speak protocol 1 only", *bad)
    return passed(cid, f"{len(banners)} SSH service(s), all protocol 2", *evidence)
