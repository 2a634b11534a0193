"""Interface texts in Vietnamese and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "canh — Giám sát an toàn thông tin",
        "login": "Đăng nhập",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "logout": "Đăng xuất",
        "overview": "Tổng quan",
        "unit": "Đơn vị",
        "score": "Điểm",
        "level_met": "Đạt cấp độ 2",
        "yes": "Đạt",
        "no": "Chưa đạt",
        "hosts": "Máy",
        "requirement": "Yêu cầu",
        "status": "Trạng thái",
        "reason": "Căn cứ",
        "met": "Đạt",
        "partly_met": "Đạt một phần",
        "not_met": "Không đạt",
        "no_evidence": "Chưa có bằng chứng",
        "bad_login": "Sai tên đăng nhập hoặc mật khẩu.",
        "no_score": "Chưa có điểm: chưa máy nào gửi báo cáo.",
        "hostname": "Tên máy",
        "last_seen": "Báo cáo gần nhất",
        "failing": "Kiểm tra không đạt",
        "language": "English",
    },
    "en": {
        "title": "canh — Information security monitoring",
        "login": "Log in",
        "username": "User name",
        "password": "Password",
        "logout": "Log out",
        "overview": "Overview",
        "unit": "Unit",
        "score": "Score",
        "level_met": "Level 2 met",
        "yes": "Met",
        "no": "Not met",
        "hosts": "Hosts",
        "requirement": "Requirement",
        "status": "Status",
        "reason": "Evidence",
        "met": "Met",
        "partly_met": "Partly met",
        "not_met": "Not met",
        "no_evidence": "No evidence",
        "bad_login": "Wrong user name or password.",
        "no_score": "No score yet: no host has reported.",
        "hostname": "Host name",
        "last_seen": "Last report",
        "failing": "Failing checks",
        "language": "Tiếng Việt",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The text table of a language (Vietnamese unless English is asked for)."""
    return TEXTS["en" if lang == "en" else "vi"]
