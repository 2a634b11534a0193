"""The report's wording in Vietnamese (administrative style, Decree 30/2020 layout) and English."""

from __future__ import annotations

import unicodedata
from datetime import date

from collector.web.i18n import texts as ui_texts

VI: dict[str, str] = {
    "nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "motto": "Độc lập - Tự do - Hạnh phúc",
    "number": "Số: {number}/BC-{abbr}",
    "date_line": "{place}, ngày {d} tháng {m} năm {y}",
    "doc_type": "BÁO CÁO",
    "subject": "Công tác bảo đảm an toàn hệ thống thông tin năm {year}",
    "basis": (
        "Thực hiện Luật An ninh mạng số 116/2025/QH15 và Nghị định số 331/2026/NĐ-CP (Điều 35, "
        "36 và Mẫu số 08), {unit} báo cáo kết quả bảo đảm an toàn hệ thống thông tin theo cấp độ "
        "trong kỳ báo cáo từ ngày {start} đến ngày {end} (số liệu tính đến ngày {as_of}) như sau:"
    ),
    "s1": "I. THÔNG TIN CHUNG",
    "s2": "II. DANH SÁCH HỆ THỐNG THÔNG TIN (MẪU SỐ 08)",
    "s3": "III. KẾT QUẢ ĐÁNH GIÁ THEO YÊU CẦU CẤP ĐỘ 2",
    "s4": "IV. CÁC CHỈ SỐ CHÍNH VÀ XU HƯỚNG TRONG KỲ",
    "s5": "V. SỰ CỐ AN TOÀN THÔNG TIN TRONG KỲ",
    "s6": "VI. CÁC KIỂM TRA KHÔNG ĐẠT NHIỀU NHẤT",
    "s7": "VII. THIẾT BỊ CHƯA ĐƯỢC QUẢN LÝ",
    "s8": "VIII. KẾT QUẢ CÁC ĐƠN VỊ TRỰC THUỘC",
    "s9": "IX. KẾ HOẠCH KHẮC PHỤC CÁC TỒN TẠI",
    "owner": "Chủ quản hệ thống",
    "operator": "Đơn vị vận hành",
    "window": "Kỳ báo cáo",
    "as_of": "Số liệu tính đến",
    "score": "Điểm tuân thủ (0–100)",
    "level_met": "Đáp ứng yêu cầu cấp độ 2",
    "hosts": "Số máy được giám sát",
    "by_evidence": "Điểm theo nguồn bằng chứng (agent / quét mạng / khai báo)",
    "counts": "Số yêu cầu đạt / đạt một phần / không đạt / chưa có bằng chứng",
    "totals": (
        "Tổng số hệ thống: {systems}; đã xác định cấp độ: {classified}; đã xây dựng hồ sơ: "
        "{dossier}; đã thẩm định: {appraised}; đã phê duyệt: {approved}; đã kiểm tra định kỳ: "
        "{checked}."
    ),
    "c1": "STT",
    "c2": "Tên hệ thống",
    "c3": "Chủ quản",
    "c4": "Đơn vị vận hành",
    "c5": "Cấp độ đề xuất",
    "c6": "Tình trạng phê duyệt",
    "c7": "Quyết định phê duyệt (số, ngày, người ký)",
    "c8": "Quy chế (số, ngày, người ký)",
    "c9": "Dự kiến phê duyệt",
    "c10": "Triển khai phương án",
    "c11": "Dự kiến triển khai đầy đủ",
    "c12": "Kiểm tra, đánh giá",
    "draft": "Dự thảo",
    "approved": "Đã phê duyệt",
    "full": "Đầy đủ",
    "some": "Một số nội dung",
    "none": "Chưa triển khai",
    "periodic": "Định kỳ",
    "not_checked": "Chưa kiểm tra",
    "req_id": "Mã yêu cầu",
    "req_title": "Nội dung",
    "req_status": "Kết quả",
    "req_evidence": "Bằng chứng",
    "req_plan": "Biện pháp khắc phục",
    "req_target": "Thời hạn",
    "kpi": "Chỉ số",
    "kpi_start": "Đầu kỳ",
    "kpi_end": "Cuối kỳ",
    "month": "Tháng",
    "inc_opened": "Thời điểm",
    "inc_unit": "Đơn vị",
    "inc_kind": "Loại sự cố",
    "inc_severity": "Mức độ",
    "inc_status": "Tình trạng",
    "no_incidents": "Không ghi nhận sự cố trong kỳ.",
    "failing_hosts": "Số máy",
    "failing_by_req": "(Theo yêu cầu, số liệu ngày báo cáo.)",
    "no_failing": "Không có kiểm tra không đạt.",
    "no_devices": "Không phát hiện thiết bị chưa quản lý.",
    "dev_ip": "Địa chỉ IP",
    "dev_mac": "Địa chỉ MAC",
    "dev_kind": "Loại (dự đoán)",
    "dev_seen": "Thấy lần cuối",
    "child": "Đơn vị",
    "no_plan": "Không có tồn tại cần khắc phục.",
    "plan_intro": (
        "Các yêu cầu chưa đạt được khắc phục theo lộ trình dưới đây (thời hạn mặc định: {days} "
        "ngày sau hạn báo cáo {deadline})."
    ),
    "recipients": "Nơi nhận:",
    "recipient_1": "- {owner} (để báo cáo);",
    "recipient_2": "- Lưu: VT.",
    "signer": "THỦ TRƯỞNG ĐƠN VỊ",
    "sign_hint": "(Ký, ghi rõ họ tên và đóng dấu)",
    "chart_score": "Điểm tuân thủ theo ngày",
    "generated": "Báo cáo do canh lập ngày {date}.",
    "sheet_info": "Thông tin chung",
    "sheet_form08": "Mẫu 08",
    "sheet_reqs": "Yêu cầu cấp độ 2",
    "sheet_kpis": "Chỉ số",
    "sheet_incidents": "Sự cố",
    "sheet_failing": "Kiểm tra không đạt",
    "sheet_devices": "Thiết bị chưa quản lý",
    "sheet_children": "Đơn vị trực thuộc",
}

EN: dict[str, str] = {
    "nation": "SOCIALIST REPUBLIC OF VIETNAM",
    "motto": "Independence - Freedom - Happiness",
    "number": "No.: {number}/BC-{abbr}",
    "date_line": "{place}, {y}-{m}-{d}",
    "doc_type": "REPORT",
    "subject": "Information-system security in {year}",
    "basis": (
        "Under the Cybersecurity Law 116/2025/QH15 and Decree 331/2026/ND-CP (Art. 35–36, Form "
        "08), {unit} reports on the security of its information systems by level for the period "
        "{start} to {end} (data as of {as_of}):"
    ),
    "s1": "I. GENERAL INFORMATION",
    "s2": "II. INFORMATION SYSTEMS (FORM 08)",
    "s3": "III. LEVEL-2 REQUIREMENTS",
    "s4": "IV. KEY INDICATORS AND TRENDS",
    "s5": "V. SECURITY INCIDENTS IN THE PERIOD",
    "s6": "VI. CHECKS FAILING MOST OFTEN",
    "s7": "VII. UNMANAGED DEVICES",
    "s8": "VIII. CHILD UNITS",
    "s9": "IX. REMEDIATION PLAN",
    "owner": "System owner",
    "operator": "Operator",
    "window": "Reporting period",
    "as_of": "Data as of",
    "score": "Compliance score (0–100)",
    "level_met": "Level 2 met",
    "hosts": "Hosts monitored",
    "by_evidence": "Score by evidence (agent / network / declared)",
    "counts": "Requirements met / partly met / not met / no evidence",
    "totals": (
        "Systems: {systems}; classified: {classified}; dossier built: {dossier}; appraised: "
        "{appraised}; approved: {approved}; periodically checked: {checked}."
    ),
    "c1": "No.",
    "c2": "System",
    "c3": "Owner",
    "c4": "Operator",
    "c5": "Proposed level",
    "c6": "Approval status",
    "c7": "Approval decision (number, date, issuer)",
    "c8": "Quy chế (number, date, issuer)",
    "c9": "Expected approval",
    "c10": "Plan deployment",
    "c11": "Expected full deployment",
    "c12": "Security check",
    "draft": "Draft",
    "approved": "Approved",
    "full": "Full",
    "some": "Some items",
    "none": "None",
    "periodic": "Periodic",
    "not_checked": "Not checked",
    "req_id": "Requirement",
    "req_title": "Title",
    "req_status": "Status",
    "req_evidence": "Evidence",
    "req_plan": "Remediation",
    "req_target": "Target date",
    "kpi": "Indicator",
    "kpi_start": "Start",
    "kpi_end": "End",
    "month": "Month",
    "inc_opened": "Opened",
    "inc_unit": "Unit",
    "inc_kind": "Kind",
    "inc_severity": "Severity",
    "inc_status": "Status",
    "no_incidents": "No incident in the period.",
    "failing_hosts": "Hosts",
    "failing_by_req": "(By requirement, as of the report date.)",
    "no_failing": "No failing check.",
    "no_devices": "No unmanaged device found.",
    "dev_ip": "IP address",
    "dev_mac": "MAC address",
    "dev_kind": "Type (guess)",
    "dev_seen": "Last seen",
    "child": "Unit",
    "no_plan": "Nothing to remediate.",
    "plan_intro": (
        "Gaps are remediated on the schedule below (default target: {days} days after the "
        "report deadline {deadline})."
    ),
    "recipients": "To:",
    "recipient_1": "- {owner} (for reporting);",
    "recipient_2": "- Archive.",
    "signer": "HEAD OF UNIT",
    "sign_hint": "(Signature, full name and seal)",
    "chart_score": "Daily compliance score",
    "generated": "Report produced by canh on {date}.",
    "sheet_info": "General",
    "sheet_form08": "Form 08",
    "sheet_reqs": "Level-2 requirements",
    "sheet_kpis": "Indicators",
    "sheet_incidents": "Incidents",
    "sheet_failing": "Failing checks",
    "sheet_devices": "Unmanaged devices",
    "sheet_children": "Child units",
}


def report_texts(lang: str) -> dict[str, str]:
    """The report's texts with the dashboard's status and severity words added."""
    base = EN if lang == "en" else VI
    ui = ui_texts(lang)
    return {
        **{
            k: ui[k]
            for k in (
                "met",
                "partly_met",
                "not_met",
                "no_evidence",
                "not_applicable",
                "yes",
                "no",
                "open",
                "acknowledged",
                "resolved",
                "info",
                "warning",
                "critical",
            )
        },
        **base,
    }


def day_text(value: date | None) -> str:
    """dd/mm/yyyy or empty."""
    return value.strftime("%d/%m/%Y") if value else ""


def abbreviation(name: str) -> str:
    """The issuing body's abbreviation for the document number: initials without diacritics."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    letters = [w[0] for w in plain.split() if w and w[0].isalpha()]
    return "".join(ch for ch in "".join(letters) if not unicodedata.combining(ch)).upper()[:8]
