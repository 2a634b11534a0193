"""Anti-malware checks (section ``antivirus``): installed, real-time, signatures, removable media.

LEVEL2.md L2-DES-AV-1, L2-SRV-MAL-1/2, L2-EPT-AV-1, L2-EPT-USB-1. Windows Server has no Security
Center, so a third-party product there is seen only through the agent's vendor table: when the
agent says it could not tell (section notes) and found nothing, the result is unknown, not fail.
"""

from __future__ import annotations

from canh.contract.facts import AntivirusFacts, AntivirusProduct, EndpointFacts
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


def _name(p: AntivirusProduct) -> str:
    return f"{p.product} ({p.source})"


def _none_found(check_id: str, av: AntivirusFacts) -> Finding:
    if av.notes:
        return unknown(
            check_id,
            "no anti-malware product recognised, and the agent could not tell: "
            + "; ".join(av.notes),
        )
    return failed(check_id, "no anti-malware product found", Evidence("antivirus.products", []))


def _active(av: AntivirusFacts) -> list[AntivirusProduct]:
    """Products not known to be switched off (Defender in passive mode reports enabled=False)."""
    return [p for p in av.products if p.enabled is not False]


@check(
    "av.installed",
    severity="critical",
    title=(
        "Có phần mềm phòng chống mã độc đang chạy",
        "An anti-malware product is installed and running",
    ),
    rationale=(
        "Máy chủ và máy trạm đều phải có phần mềm phòng chống mã độc (Thông tư 12/2022 Phụ lục "
        "II; TCVN 14423 4.10.2.1).",
        "Servers and workstations must all run anti-malware (Circular 12/2022 Annex II; TCVN "
        "14423 4.10.2.1).",
    ),
    remediation=(
        "Windows: bật Microsoft Defender (Set-MpPreference -DisableRealtimeMonitoring $false; "
        "dịch vụ WinDefend chạy) hoặc cài phần mềm có bản quyền (BKAV, CMC, Kaspersky, ESET…). "
        "Linux: cài ClamAV (apt install clamav-daemon clamav-freshclam; systemctl enable --now "
        "clamav-daemon) hoặc agent EDR của nhà cung cấp.",
        "Windows: turn Microsoft Defender on (Set-MpPreference -DisableRealtimeMonitoring "
        "$false; WinDefend service running) or install a licensed product (BKAV, CMC, "
        "Kaspersky, ESET…). Linux: install ClamAV (apt install clamav-daemon clamav-freshclam; "
        "systemctl enable --now clamav-daemon) or the vendor's EDR agent.",
    ),
    sections=("antivirus",),
)
def installed(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when a product's engine is running."""
    cid = "av.installed"
    av: AntivirusFacts = facts.section("antivirus")
    if not av.products:
        return _none_found(cid, av)
    seen = tuple(
        Evidence("antivirus.products", f"{_name(p)} enabled={p.enabled}") for p in av.products
    )
    if any(p.enabled for p in av.products):
        running = ", ".join(_name(p) for p in av.products if p.enabled)
        return passed(cid, f"running: {running}", *seen)
    if all(p.enabled is False for p in av.products):
        return failed(cid, "anti-malware installed but its engine is not running", *seen)
    return unknown(cid, "product found but the agent could not read whether it runs", *seen)


@check(
    "av.realtime",
    severity="high",
    title=("Bảo vệ thời gian thực đang bật", "Real-time protection is on"),
    rationale=(
        "Chỉ quét theo lịch không chặn được mã độc khi nó được mở; TCVN 14423 yêu cầu bảo vệ "
        "thời gian thực.",
        "Scheduled scans alone do not stop malware when it is opened; TCVN 14423 requires "
        "real-time protection.",
    ),
    remediation=(
        "Windows: Set-MpPreference -DisableRealtimeMonitoring $false (hoặc bật 'Real-time "
        "protection' trong bảng điều khiển của sản phẩm; kiểm tra GPO không tắt nó). Linux "
        "ClamAV: bật clamonacc (systemctl enable --now clamav-clamonacc) với OnAccessIncludePath "
        "trong clamd.conf; clamd một mình không phải bảo vệ thời gian thực.",
        "Windows: Set-MpPreference -DisableRealtimeMonitoring $false (or turn on real-time "
        "protection in the product's console; check no GPO turns it off). Linux ClamAV: enable "
        "clamonacc (systemctl enable --now clamav-clamonacc) with OnAccessIncludePath in "
        "clamd.conf; clamd alone is not real-time protection.",
    ),
    sections=("antivirus",),
)
def realtime(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when any active product has real-time protection on."""
    cid = "av.realtime"
    av: AntivirusFacts = facts.section("antivirus")
    if not av.products:
        return _none_found(cid, av)
    active = _active(av)
    seen = tuple(
        Evidence("antivirus.products", f"{_name(p)} realtime={p.realtime}") for p in av.products
    )
    if any(p.realtime for p in active):
        return passed(cid, "real-time protection on", *seen)
    if (active and all(p.realtime is False for p in active)) or not active:
        return failed(cid, "no product has real-time protection on", *seen)
    return unknown(cid, "the agent could not read the real-time state (vendor table)", *seen)


def _age_days(p: AntivirusProduct, facts: HostFacts) -> float | None:
    if p.signature_age_days is not None:
        return p.signature_age_days
    if p.signatures_updated_at is not None:
        return (facts.now() - p.signatures_updated_at).total_seconds() / DAY
    return None


@check(
    "av.signatures_current",
    severity="high",
    title=("Mẫu nhận diện mã độc được cập nhật", "Anti-malware signatures are current"),
    rationale=(
        "Mẫu nhận diện cũ không nhận ra mã độc mới; cập nhật tự động là yêu cầu của TCVN 14423 "
        "4.10.2.1.",
        "Old signatures miss new malware; automatic updates are required by TCVN 14423 4.10.2.1.",
    ),
    remediation=(
        "Windows: Update-MpSignature, kiểm tra dịch vụ Windows Update/máy chủ WSUS hoặc máy chủ "
        "quản trị của phần mềm diệt virus cho phép tải mẫu. Linux: systemctl enable --now "
        "clamav-freshclam, kiểm tra /var/log/clamav/freshclam.log và kết nối tới máy chủ mirror.",
        "Windows: Update-MpSignature; check Windows Update/WSUS or the AV management server "
        "lets clients download signatures. Linux: systemctl enable --now clamav-freshclam; check "
        "/var/log/clamav/freshclam.log and access to the mirror.",
    ),
    sections=("antivirus",),
    thresholds=("av_signature_max_age_days",),
)
def signatures_current(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the freshest active product's signatures are within the pack's age."""
    cid = "av.signatures_current"
    limit = number(thresholds, "av_signature_max_age_days")
    av: AntivirusFacts = facts.section("antivirus")
    if not av.products:
        return _none_found(cid, av)
    active = _active(av) or av.products
    ages = [(a, p) for p in active if (a := _age_days(p, facts)) is not None]
    if ages:
        age, product = min(ages, key=lambda item: item[0])
        evidence = Evidence("antivirus.signature_age_days", round(age, 2))
        if age <= limit:
            return passed(cid, f"{_name(product)}: signatures {age:.1f} days old", evidence)
        return failed(cid, f"signatures {age:.1f} days old, limit {limit:g}", evidence)
    verdicts = [p.signatures_up_to_date for p in active]
    evidence = Evidence("antivirus.signatures_up_to_date", verdicts)
    if any(v is True for v in verdicts):
        return passed(cid, "product reports signatures up to date (age unknown)", evidence)
    if verdicts and all(v is False for v in verdicts):
        return failed(cid, "product reports signatures out of date", evidence)
    return unknown(cid, "signature age not reported by the agent for this product", evidence)


@check(
    "av.removable_scan",
    severity="medium",
    title=("Quét thiết bị lưu trữ di động", "Removable media are scanned"),
    rationale=(
        "USB là đường lây nhiễm phổ biến trong văn phòng; phải quét thiết bị ngoài (TCVN 14423 "
        "4.10.2.2).",
        "USB sticks are a common infection path in offices; removable media must be scanned "
        "(TCVN 14423 4.10.2.2).",
    ),
    remediation=(
        "Windows: Set-MpPreference -DisableRemovableDriveScanning $false (hoặc bật quét USB "
        "trong chính sách của sản phẩm). Linux có giao diện đồ họa: thêm OnAccessIncludePath "
        "/media và /run/media vào /etc/clamav/clamd.conf và khởi động lại clamav-clamonacc.",
        "Windows: Set-MpPreference -DisableRemovableDriveScanning $false (or enable USB "
        "scanning in the product's policy). Linux desktops: add OnAccessIncludePath /media and "
        "/run/media to /etc/clamav/clamd.conf and restart clamav-clamonacc.",
    ),
    sections=("antivirus",),
    optional=("endpoint",),
)
def removable_scan(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when an active product scans removable drives; N/A on headless Linux."""
    cid = "av.removable_scan"
    endpoint: EndpointFacts | None = facts.section("endpoint")
    if facts.os_family == "linux" and endpoint is not None and endpoint.desktop is False:
        return not_applicable(cid, "no graphical desktop: removable media are not auto-mounted")
    av: AntivirusFacts = facts.section("antivirus")
    if not av.products:
        return _none_found(cid, av)
    active = _active(av)
    seen = tuple(
        Evidence("antivirus.removable_scan", f"{_name(p)}: {p.removable_scan}") for p in av.products
    )
    if any(p.removable_scan for p in active):
        return passed(cid, "removable drives are scanned", *seen)
    if active and all(p.removable_scan is False for p in active):
        return failed(cid, "removable drive scanning is off", *seen)
    return unknown(cid, "the agent could not read removable-drive scanning for this product", *seen)
