"""The alert kinds: severity, the requirement that makes each matter, and what to do (vi/en).

Data, not code paths: ``rules.py`` decides *when* a kind fires, ``messages.py`` renders it.
Severity ``critical`` marks a likely security incident and so starts the legal reporting clocks
(Decree 331/2026 Art. 31.2.d, LEVEL2.md §3.4: initial notice within 24 h, full report within 72 h).
The collector cannot know that an incident really happened; it starts the clocks for the signs that
most often mean one — forged or replayed reports in an agent's name, and anti-malware switched off
on a server (ransomware disables it before encrypting) — and an operator who finds none
acknowledges the incident with a note saying so (docs/ALERTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["info", "warning", "critical"]
Pair = tuple[str, str]  # (Vietnamese, English)


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of alert."""

    name: str
    alertname: str  # the Alertmanager ``alertname`` label
    severity: Severity
    requirement: str  # why it matters: the requirement id (workstations / unit-wide)
    title: Pair
    why: Pair
    todo: Pair
    server_requirement: str | None = None  # the server-side requirement, when it differs
    server_severity: Severity | None = None  # a stricter severity on servers

    def requirement_for(self, role: str | None) -> str:
        """Servers answer to the SRV requirements of the pack, other hosts to the EPT ones."""
        return (
            self.server_requirement
            if role == "server" and self.server_requirement
            else (self.requirement)
        )

    def severity_for(self, role: str | None) -> Severity:
        """The severity on a host of ``role``."""
        return (
            self.server_severity if role == "server" and self.server_severity else (self.severity)
        )


_KINDS = (
    Kind(
        "av_disabled",
        "CanhAntivirusDisabled",
        "warning",
        "L2-EPT-AV-1",
        ("Phần mềm phòng chống mã độc bị tắt hoặc không có", "Anti-malware disabled or missing"),
        (
            "Máy không được bảo vệ trước mã độc; mã độc tống tiền thường tắt phần mềm diệt virus "
            "trước khi mã hóa dữ liệu.",
            "The host is unprotected against malware; ransomware usually switches anti-malware "
            "off before it encrypts data.",
        ),
        (
            "Kiểm tra máy ngay: bật lại hoặc cài đặt phần mềm phòng chống mã độc và quét toàn bộ "
            "máy; nếu không rõ ai đã tắt, xử lý như một sự cố an toàn thông tin.",
            "Check the host now: turn anti-malware back on or install it and run a full scan; if "
            "nobody knows who switched it off, handle it as a security incident.",
        ),
        server_requirement="L2-SRV-MAL-1",
        server_severity="critical",
    ),
    Kind(
        "av_realtime_off",
        "CanhAntivirusRealtimeOff",
        "warning",
        "L2-EPT-AV-1",
        (
            "Bảo vệ thời gian thực của phần mềm phòng chống mã độc bị tắt",
            "Real-time anti-malware protection is off",
        ),
        (
            "Khi tắt bảo vệ thời gian thực, mã độc chạy được mà không bị chặn; TCVN 14423:2026 "
            "yêu cầu bảo vệ thời gian thực trên mọi máy.",
            "With real-time protection off, malware runs unchallenged; TCVN 14423:2026 requires "
            "real-time protection on every host.",
        ),
        (
            "Bật lại bảo vệ thời gian thực và khóa cấu hình để người dùng không tắt được.",
            "Turn real-time protection back on and lock the setting so users cannot switch it off.",
        ),
        server_requirement="L2-SRV-MAL-1",
    ),
    Kind(
        "av_signatures_old",
        "CanhAntivirusSignaturesOld",
        "warning",
        "L2-EPT-AV-1",
        ("Cơ sở dữ liệu mẫu nhận diện mã độc đã cũ", "Anti-malware signatures out of date"),
        (
            "Mẫu nhận diện cũ không phát hiện được mã độc mới.",
            "Old signatures miss new malware.",
        ),
        (
            "Kiểm tra đường cập nhật (máy chủ cập nhật, proxy, bản quyền) rồi cập nhật ngay.",
            "Check the update path (update server, proxy, licence) and update now.",
        ),
        server_requirement="L2-SRV-MAL-1",
    ),
    Kind(
        "risky_port",
        "CanhRiskyPortOpen",
        "warning",
        "L2-SRV-HARD-1",
        ("Cổng rủi ro mới mở trên máy chủ", "New risky port listening on a server"),
        (
            "Telnet, FTP, SMB, RDP và cổng cơ sở dữ liệu mở ra mạng là đường xâm nhập và lây lan "
            "của mã độc tống tiền.",
            "Telnet, FTP, SMB, RDP and database ports open to the network are how attackers get "
            "in and how ransomware spreads.",
        ),
        (
            "Xác minh dịch vụ có được phép không; nếu không, tắt dịch vụ; nếu có, chỉ cho phép "
            "truy cập từ mạng quản trị bằng tường lửa.",
            "Confirm the service is approved; if not, stop it; if it is, allow it only from the "
            "admin network with the firewall.",
        ),
    ),
    Kind(
        "patches_overdue",
        "CanhPatchesOverdue",
        "warning",
        "L2-EPT-PATCH-1",
        ("Bản vá bảo mật quá hạn", "Security updates overdue"),
        (
            "Lỗ hổng đã có bản vá là con đường tấn công phổ biến nhất; TCVN 14423:2026 yêu cầu "
            "vá máy người dùng ít nhất hằng tháng.",
            "Known, already-fixed vulnerabilities are the most common way in; TCVN 14423:2026 "
            "requires user computers to be patched at least monthly.",
        ),
        (
            "Cài các bản cập nhật bảo mật đang chờ, khởi động lại nếu cần, và kiểm tra dịch vụ "
            "cập nhật tự động.",
            "Install the pending security updates, reboot if needed, and check that automatic "
            "updates work.",
        ),
        server_requirement="L2-SRV-PATCH-1",
    ),
    Kind(
        "unsupported_os",
        "CanhUnsupportedOs",
        "warning",
        "L2-EPT-PATCH-1",
        ("Hệ điều hành đã hết hỗ trợ", "Operating system out of support"),
        (
            "Hệ điều hành hết hỗ trợ không còn nhận bản vá bảo mật.",
            "An unsupported operating system gets no more security fixes.",
        ),
        (
            "Lập kế hoạch nâng cấp hoặc thay máy; trong lúc chờ, cách ly máy khỏi Internet và các "
            "vùng mạng quan trọng.",
            "Plan an upgrade or a replacement; meanwhile isolate the host from the Internet and "
            "from critical zones.",
        ),
        server_requirement="L2-SRV-PATCH-1",
    ),
    Kind(
        "unmanaged_device",
        "CanhUnmanagedDevice",
        "warning",
        "L2-EPT-ROGUE-1",
        ("Thiết bị lạ trong mạng", "Unknown device on the network"),
        (
            "Thiết bị không được quản lý có thể là máy của kẻ tấn công hoặc một máy không được "
            "bảo vệ.",
            "An unmanaged device may be an intruder's machine or an unprotected one.",
        ),
        (
            "Xác định chủ thiết bị; nếu hợp lệ, cài agent hoặc ghi vào danh mục tài sản; nếu "
            "không, ngắt thiết bị khỏi mạng.",
            "Identify the owner; if it is legitimate, install the agent or record it in the asset "
            "register; if not, disconnect it.",
        ),
    ),
    Kind(
        "agent_silent",
        "CanhAgentSilent",
        "warning",
        "L2-MGT-ASSET-1",
        ("Agent không gửi báo cáo", "Agent silent"),
        (
            "Không có báo cáo thì không có bằng chứng: máy có thể đã tắt, bị gỡ agent hoặc bị "
            "chiếm quyền.",
            "No report means no evidence: the host may be off, may have lost its agent, or may "
            "be compromised.",
        ),
        (
            "Kiểm tra máy còn hoạt động, dịch vụ canh-agent đang chạy và kết nối được tới "
            "collector; nếu máy đã thanh lý, đánh dấu ngừng sử dụng.",
            "Check that the host is on and that the canh-agent service runs and reaches the "
            "collector; if the host was retired, decommission it.",
        ),
    ),
    Kind(
        "score_below",
        "CanhUnitScoreLow",
        "warning",
        "L2-LEG-PLAN-1",
        ("Điểm tuân thủ của đơn vị dưới ngưỡng", "Unit compliance score below threshold"),
        (
            "Đơn vị chưa thực hiện đầy đủ phương án bảo đảm an toàn hệ thống thông tin cấp độ 2.",
            "The unit is not carrying out its level-2 protection plan in full.",
        ),
        (
            "Mở các yêu cầu chưa đạt trên bảng điều khiển và xử lý các yêu cầu có trọng số cao "
            "trước.",
            "Open the unmet requirements on the dashboard and fix the highest-weighted first.",
        ),
    ),
    Kind(
        "score_drop",
        "CanhUnitScoreDropped",
        "warning",
        "L2-LEG-PLAN-1",
        ("Điểm tuân thủ của đơn vị giảm mạnh", "Unit compliance score dropped"),
        (
            "Điểm giảm đột ngột thường do nhiều máy cùng mất một biện pháp bảo vệ (ví dụ phần "
            "mềm diệt virus hết bản quyền).",
            "A sudden drop usually means many hosts lost the same protection at once (for "
            "example an anti-malware licence expired).",
        ),
        (
            "So sánh trạng thái các yêu cầu với ngày hôm trước để tìm nguyên nhân chung.",
            "Compare the requirements with the previous day to find the common cause.",
        ),
    ),
    Kind(
        "attack_attempts",
        "CanhForgedReports",
        "critical",
        "L2-LEG-INCIDENT-1",
        (
            "Báo cáo giả mạo hoặc phát lại nhân danh agent",
            "Forged or replayed reports in an agent's name",
        ),
        (
            "Có người đang dùng hoặc giả danh định danh của agent: dấu hiệu máy bị chiếm quyền "
            "hoặc hệ thống giám sát bị tấn công.",
            "Someone is using or impersonating the agent's identity: a sign of a compromised "
            "host or of an attack on the monitoring system.",
        ),
        (
            "Kiểm tra máy và nhật ký; thu hồi khóa agent và đăng ký lại nếu nghi máy bị chiếm "
            "quyền; báo cáo sự cố theo quy định.",
            "Inspect the host and its logs; revoke the agent's key and enroll it again if you "
            "suspect a compromise; report the incident as the law requires.",
        ),
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in _KINDS}
