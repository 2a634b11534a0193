"""N-class checks at the perimeter and over the whole unit: external exposure, admin ports seen
from the user LAN, unknown devices, vulnerability scans (docs/CHECKS-PLAN.md, scan.*)."""

from __future__ import annotations

from datetime import timedelta

from checks.model import Evidence, Finding, Thresholds, failed, not_applicable, passed, unknown
from checks.network import (
    NetworkObservation,
    ObservedDevice,
    collector_evidence,
    network_check,
    open_ports,
    unmanaged,
)
from checks.thresholds import format_ports, number, parse_ports, ports


def _public(obs: NetworkObservation, check_id: str) -> Finding | list[ObservedDevice]:
    """External scan results of the declared public IPs, or the finding saying why none."""
    if obs.public_ips is None:
        return unknown(
            check_id,
            "the unit has not declared its public IP addresses: declare them so the collector "
            "can scan them from outside",
        )
    if not obs.public_ips:
        return not_applicable(check_id, "the unit declares no public IP address")
    if obs.external is None:
        return unknown(
            check_id, "no external scan of the declared public IPs yet: run the external scan"
        )
    declared = set(obs.public_ips)
    return [d for d in obs.external if d.ip in declared]


@network_check(
    "scan.remote_admin_exposed",
    severity="critical",
    title=(
        "Không mở cổng quản trị từ xa ra Internet",
        "No remote-administration port reachable from the Internet",
    ),
    rationale=(
        "RDP, SSH, SMB và WinRM mở thẳng ra Internet là con đường phổ biến nhất của mã độc tống "
        "tiền; quản trị từ xa phải đi qua VPN (L2-DES-VPN-1).",
        "RDP, SSH, SMB and WinRM open to the Internet are the commonest ransomware entry; remote "
        "administration must go through a VPN (L2-DES-VPN-1).",
    ),
    remediation=(
        "Trên tường lửa biên, chặn các cổng trong external_admin_ports từ Internet tới địa chỉ "
        "IP công khai; chỉ cho phép quản trị qua VPN. Windows: tắt chuyển tiếp cổng 3389/5985; "
        "Linux: không NAT cổng 22 ra ngoài, đặt ListenAddress của sshd vào mạng nội bộ.",
        "On the perimeter firewall, block the external_admin_ports from the Internet to the "
        "public IPs and allow administration only through the VPN. Windows: remove port "
        "forwards to 3389/5985; Linux: do not NAT port 22, bind sshd ListenAddress internally.",
    ),
    reads=("public_ips", "external"),
    thresholds=("external_admin_ports",),
)
def remote_admin_exposed(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when an admin port answers on a declared public IP."""
    cid = "scan.remote_admin_exposed"
    admin = ports(thresholds, "external_admin_ports")
    seen = _public(obs, cid)
    if isinstance(seen, Finding):
        return seen
    bad = [
        collector_evidence("external.open_ports", f"{d.ip} {proto}/{port}")
        for d in seen
        for proto, port in sorted(open_ports(d) & admin)
    ]
    if bad:
        return failed(cid, f"{len(bad)} admin port(s) answer from the Internet", *bad)
    return passed(
        cid,
        f"none of {format_ports(admin)} answers on {len(obs.public_ips or [])} public IP(s)",
        collector_evidence("public_ips", obs.public_ips),
    )


@network_check(
    "scan.external_ports",
    severity="high",
    title=(
        "Cổng mở trên IP công khai đúng danh sách dịch vụ đã khai báo",
        "Open ports on public IPs match the declared services",
    ),
    rationale=(
        "Chỉ cho phép truy cập từ bên ngoài theo từng dịch vụ cung cấp, chặn mọi truy cập khác "
        "(L2-NET-EXT-1).",
        "Inbound access from outside is allowed only per offered service; everything else is "
        "blocked (L2-NET-EXT-1).",
    ),
    remediation=(
        "Đóng trên tường lửa biên mọi cổng không có trong danh sách dịch vụ đã khai báo; không "
        "bao giờ mở FTP, Telnet, SMB, RDP, SNMP hay cổng cơ sở dữ liệu ra Internet. Nếu dịch vụ "
        "là hợp lệ, bổ sung vào danh sách dịch vụ khai báo của đơn vị.",
        "Close on the perimeter firewall every port not in the declared service list; never "
        "expose FTP, Telnet, SMB, RDP, SNMP or database ports. If a service is legitimate, add "
        "it to the unit's declared service list.",
    ),
    reads=("public_ips", "declared_services", "external"),
    thresholds=("external_forbidden_ports",),
)
def external_ports(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail on a forbidden or undeclared open port on a public IP."""
    cid = "scan.external_ports"
    forbidden = ports(thresholds, "external_forbidden_ports")
    seen = _public(obs, cid)
    if isinstance(seen, Finding):
        return seen
    bad: list[Evidence] = []
    for device in seen:
        try:
            declared = parse_ports(",".join(obs.declared_services.get(device.ip, [])))
        except ValueError as err:
            return unknown(cid, f"declared services of {device.ip} are not proto/port: {err}")
        for proto, port in sorted(open_ports(device)):
            if (proto, port) in forbidden:
                bad.append(
                    collector_evidence(
                        "external.open_ports", f"{device.ip} {proto}/{port} (forbidden)"
                    )
                )
            elif (proto, port) not in declared:
                bad.append(
                    collector_evidence(
                        "external.open_ports", f"{device.ip} {proto}/{port} (undeclared)"
                    )
                )
    if bad:
        return failed(cid, f"{len(bad)} port(s) open beyond the declared services", *bad)
    return passed(
        cid,
        "open ports on public IPs equal the declared services",
        collector_evidence("declared_services", obs.declared_services),
    )


@network_check(
    "scan.internal_admin_ports",
    severity="high",
    title=(
        "Mạng người dùng không truy cập được cổng quản trị máy chủ",
        "Server administration ports are not reachable from the user LAN",
    ),
    rationale=(
        "Máy người dùng bị nhiễm mã độc không được với tới cổng quản trị của vùng máy chủ; chỉ "
        "nguồn quản trị được chỉ định mới được phép (L2-NET-INT-1, L2-DES-FW-1).",
        "An infected user PC must not reach the server zone's admin ports; only designated "
        "admin sources may (L2-NET-INT-1, L2-DES-FW-1).",
    ),
    remediation=(
        "Trên tường lửa giữa vùng người dùng và vùng máy chủ, chặn các cổng trong "
        "internal_probe_ports trừ các cặp nguồn/đích đã khai báo. Windows: giới hạn RemoteAddress "
        "của quy tắc RDP/WinRM/SMB; Linux: giới hạn nguồn cho tcp/22 bằng nftables/firewalld.",
        "On the firewall between the user zone and the server zone, block internal_probe_ports "
        "except declared source/destination pairs. Windows: restrict RemoteAddress of the "
        "RDP/WinRM/SMB rules; Linux: restrict sources for tcp/22 with nftables/firewalld.",
    ),
    reads=("internal_probes",),
    thresholds=("internal_probe_ports",),
)
def internal_admin_ports(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when a probed admin port is open from the user LAN and the pair is not allowed."""
    cid = "scan.internal_admin_ports"
    probe_ports = ports(thresholds, "internal_probe_ports")
    if not obs.internal_probes:
        return unknown(
            cid,
            "no probe from a user-LAN vantage point yet: run the collector probe or an agent "
            "in probe mode on a user PC",
        )
    relevant = [p for p in obs.internal_probes if (p.proto, p.port) in probe_ports]
    bad = [
        collector_evidence("internal_probes", f"{p.vantage} -> {p.target} {p.proto}/{p.port} open")
        for p in relevant
        if p.state == "open" and not p.allowed
    ]
    if bad:
        return failed(cid, f"{len(bad)} admin port(s) reachable from the user LAN", *bad)
    return passed(
        cid,
        f"{len(relevant)} probe(s): no undeclared admin port reachable",
        collector_evidence("internal_probes", len(relevant)),
    )


@network_check(
    "scan.unmanaged_devices",
    severity="medium",
    title=("Không có thiết bị lạ trong mạng", "No unknown devices on the network"),
    rationale=(
        "Thiết bị không được quản lý không có phần mềm phòng chống mã độc hay bản vá; phải phát "
        "hiện và loại bỏ hoặc cô lập (L2-EPT-ROGUE-1).",
        "Unmanaged devices have no anti-malware or patching; they must be found and removed or "
        "isolated (L2-EPT-ROGUE-1).",
    ),
    remediation=(
        "Rà quét các dải mạng khai báo ít nhất theo unauthorized_device_scan_max_age_days; với "
        "mỗi thiết bị lạ: cài agent canh, khai báo trong danh mục (máy in, camera…), hoặc ngắt "
        "khỏi mạng.",
        "Sweep the declared subnets at least every unauthorized_device_scan_max_age_days; for "
        "each unknown device: install the canh agent, declare it in the register (printer, "
        "camera…), or disconnect it.",
    ),
    reads=("sweep_at", "devices", "managed_macs", "declared_macs"),
    thresholds=("unauthorized_device_scan_max_age_days",),
)
def unmanaged_devices(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when the sweep is stale or a device is neither managed nor declared."""
    cid = "scan.unmanaged_devices"
    max_days = number(thresholds, "unauthorized_device_scan_max_age_days")
    if obs.sweep_at is None or obs.devices is None:
        return failed(
            cid, "no sweep for unknown devices has been run", collector_evidence("sweep_at", None)
        )
    age = obs.observed_at - obs.sweep_at
    sweep = collector_evidence("sweep_at", obs.sweep_at.isoformat())
    if age > timedelta(days=max_days):
        return failed(cid, f"last sweep {age.days} days ago, limit {max_days:g}", sweep)
    rogue = [
        collector_evidence("devices", f"{d.ip} {d.mac or '?'} {d.vendor or ''}".strip())
        for d in unmanaged(obs)
    ]
    if rogue:
        return failed(cid, f"{len(rogue)} unknown device(s)", sweep, *rogue)
    return passed(cid, f"{len(obs.devices)} device(s) all managed or declared", sweep)


@network_check(
    "scan.vulnerability",
    severity="high",
    title=("Quét lỗ hổng định kỳ", "Periodic vulnerability scan"),
    rationale=(
        "TCVN 14423 yêu cầu quét lỗ hổng ít nhất hằng năm và xử lý theo mức độ nghiêm trọng "
        "(L2-MGT-VULN-1).",
        "TCVN 14423 requires a vulnerability scan at least yearly, fixed by severity "
        "(L2-MGT-VULN-1).",
    ),
    remediation=(
        "Chạy quét lỗ hổng phạm vi đã khai báo (ví dụ OpenVAS/Greenbone) hoặc nhập kết quả quét "
        "vào canh, trong vòng vuln_scan_max_age_days; khắc phục theo thứ tự mức độ.",
        "Run a vulnerability scan of the declared scope (e.g. OpenVAS/Greenbone) or import its "
        "results into canh within vuln_scan_max_age_days; fix by severity.",
    ),
    reads=("vuln_scan",),
    thresholds=("vuln_scan_max_age_days",),
)
def vulnerability(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when no scan completed within the window; findings by severity are recorded."""
    cid = "scan.vulnerability"
    max_days = number(thresholds, "vuln_scan_max_age_days")
    scan = obs.vuln_scan
    if scan is None:
        return failed(cid, "no vulnerability scan recorded", collector_evidence("vuln_scan", None))
    age = obs.observed_at - scan.completed_at
    evidence = (
        collector_evidence("vuln_scan.completed_at", scan.completed_at.isoformat()),
        collector_evidence("vuln_scan.findings_by_severity", dict(scan.findings_by_severity)),
    )
    if age > timedelta(days=max_days):
        return failed(cid, f"last scan {age.days} days ago, limit {max_days:g}", *evidence)
    return passed(cid, f"scan {age.days} day(s) old", *evidence)
