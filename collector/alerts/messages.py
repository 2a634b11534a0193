"""Alert text in Vietnamese and English, and the messages each channel sends. Pure.

Every text names the host, the unit, what changed, why it matters (the requirement id and title)
and what to do; a serious incident also carries its legal deadlines. Times are shown in Vietnam's
time zone (UTC+7, no daylight saving).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from collector.alerts.kinds import KINDS, Pair
from collector.alerts.rules import Alert

VN_TIME = timezone(timedelta(hours=7), "ICT")


def when(ts: float | None) -> str:
    """A UNIX time as Vietnam local time, e.g. ``14:05 22/11/2026``."""
    if ts is None:
        return "?"
    return datetime.fromtimestamp(ts, VN_TIME).strftime("%H:%M %d/%m/%Y")


def iso(ts: float) -> str:
    """RFC 3339 in UTC, as the Alertmanager API wants it."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _products(facts: Mapping[str, Any]) -> str:
    return ", ".join(facts.get("products") or []) or "?"


_Render = Callable[[Mapping[str, Any]], Pair]

# What was seen, per kind: the "what changed" line.
_WHAT: dict[str, _Render] = {
    "av_disabled": lambda f: (
        ("Động cơ phòng chống mã độc không chạy: " + _products(f))
        if f.get("products")
        else "Không tìm thấy phần mềm phòng chống mã độc nào",
        ("Anti-malware engine not running: " + _products(f))
        if f.get("products")
        else "No anti-malware product found",
    ),
    "av_realtime_off": lambda f: (
        "Bảo vệ thời gian thực đang tắt: " + _products(f),
        "Real-time protection is off: " + _products(f),
    ),
    "av_signatures_old": lambda f: (
        (
            f"Mẫu nhận diện đã cũ {f['age_days']:.0f} ngày (giới hạn "
            f"{_num(f.get('limit_days'))} ngày): {_products(f)}"
        )
        if f.get("age_days") is not None
        else "Sản phẩm báo mẫu nhận diện chưa được cập nhật: " + _products(f),
        (
            f"Signatures {f['age_days']:.0f} days old (limit {_num(f.get('limit_days'))} "
            f"days): {_products(f)}"
        )
        if f.get("age_days") is not None
        else "The product reports its signatures out of date: " + _products(f),
    ),
    "risky_port": lambda f: (
        f"Cổng {f.get('port')} đang mở trên {f.get('where')}",
        f"Port {f.get('port')} is listening on {f.get('where')}",
    ),
    "patches_overdue": lambda f: (
        f"{f.get('pending')} bản cập nhật bảo mật chờ cài đã "
        f"{(f.get('age_days') or 0):.0f} ngày (giới hạn {_num(f.get('limit_days'))} ngày)",
        f"{f.get('pending')} security update(s) pending for "
        f"{(f.get('age_days') or 0):.0f} days (limit {_num(f.get('limit_days'))} days)",
    ),
    "unsupported_os": lambda f: (
        f"Hệ điều hành hết hỗ trợ (ngày hết hỗ trợ: {f.get('eol') or 'không rõ'})",
        f"Operating system out of support (end of support: {f.get('eol') or 'unknown'})",
    ),
    "unmanaged_device": lambda f: (
        f"Thiết bị {f.get('ip')} (MAC {f.get('mac') or 'không rõ'}, "
        f"{f.get('vendor') or 'hãng không rõ'}, tên {f.get('hostname') or 'không rõ'}) xuất "
        "hiện trong mạng nhưng không có agent",
        f"Device {f.get('ip')} (MAC {f.get('mac') or 'unknown'}, "
        f"{f.get('vendor') or 'unknown vendor'}, name {f.get('hostname') or 'unknown'}) is on "
        "the network without an agent",
    ),
    "agent_silent": lambda f: (
        f"Không có báo cáo từ {when(f.get('last_seen'))} ({_num(f.get('hours'))} giờ)"
        if f.get("last_seen")
        else f"Chưa từng gửi báo cáo kể từ khi đăng ký ({_num(f.get('hours'))} giờ)",
        f"No report since {when(f.get('last_seen'))} ({_num(f.get('hours'))} hours)"
        if f.get("last_seen")
        else f"No report at all since enrollment ({_num(f.get('hours'))} hours)",
    ),
    "score_below": lambda f: (
        f"Điểm hôm nay {f['score']:.1f}/100, dưới ngưỡng {_num(f.get('below'))}",
        f"Today's score is {f['score']:.1f}/100, below {_num(f.get('below'))}",
    ),
    "score_drop": lambda f: (
        f"Điểm giảm từ {f['previous']:.1f} ({f.get('previous_day')}) xuống {f['score']:.1f} "
        f"({f.get('day')})",
        f"Score fell from {f['previous']:.1f} ({f.get('previous_day')}) to {f['score']:.1f} "
        f"({f.get('day')})",
    ),
    "attack_attempts": lambda f: (
        f"{f.get('count')} yêu cầu có chữ ký sai hoặc bị phát lại trong {f.get('minutes')} phút",
        f"{f.get('count')} requests with a bad signature or replayed within "
        f"{f.get('minutes')} minutes",
    ),
}


@dataclass(frozen=True, slots=True)
class Context:
    """Names and numbers the text needs beyond the alert itself."""

    unit_name: str
    hostname: str | None = None
    requirement_title: Pair | None = None
    notice_due_at: float | None = None
    report_due_at: float | None = None


def render(alert: Alert, ctx: Context) -> dict[str, dict[str, str]]:
    """``{"summary": {"vi", "en"}, "description": {"vi", "en"}}`` for the incident."""
    kind = KINDS[alert.kind]
    what = _WHAT[alert.kind](alert.facts)
    where_vi = f"{ctx.hostname} — {ctx.unit_name}" if ctx.hostname else ctx.unit_name
    req = alert.requirement
    title_vi = f"{req}: {ctx.requirement_title[0]}" if ctx.requirement_title else req
    title_en = f"{req}: {ctx.requirement_title[1]}" if ctx.requirement_title else req
    host_line = (
        (f"Máy: {ctx.hostname} ({alert.host_id})", f"Host: {ctx.hostname} ({alert.host_id})")
        if alert.host_id
        else None
    )
    vi = [
        *([host_line[0]] if host_line else []),
        f"Đơn vị: {ctx.unit_name} ({alert.unit_id})",
        f"Thay đổi: {what[0]}",
        f"Vì sao quan trọng: {kind.why[0]} (yêu cầu {title_vi})",
        f"Cần làm: {kind.todo[0]}",
    ]
    en = [
        *([host_line[1]] if host_line else []),
        f"Unit: {ctx.unit_name} ({alert.unit_id})",
        f"What changed: {what[1]}",
        f"Why it matters: {kind.why[1]} (requirement {title_en})",
        f"What to do: {kind.todo[1]}",
    ]
    if ctx.notice_due_at is not None and ctx.report_due_at is not None:
        vi.append(
            "Sự cố nghiêm trọng: thông báo ban đầu trước "
            f"{when(ctx.notice_due_at)} (24 giờ), báo cáo đầy đủ trước "
            f"{when(ctx.report_due_at)} (72 giờ) theo Nghị định 331/2026/NĐ-CP Điều 31.2.d."
        )
        en.append(
            f"Serious incident: initial notice due by {when(ctx.notice_due_at)} (24 h), full "
            f"report by {when(ctx.report_due_at)} (72 h), Decree 331/2026/NĐ-CP Art. 31.2.d."
        )
    return {
        "summary": {"vi": f"{kind.title[0]}: {where_vi}", "en": f"{kind.title[1]}: {where_vi}"},
        "description": {"vi": "\n".join(vi), "en": "\n".join(en)},
    }


def payload(row: Mapping[str, Any], detail: Mapping[str, Any], transition: str) -> dict[str, Any]:
    """The channel-neutral message of one incident transition (stored in the outbox)."""
    text = detail.get("text", {})
    return {
        "transition": transition,
        "incident_id": row["id"],
        "fingerprint": row["fingerprint"],
        "kind": row["kind"],
        "alertname": KINDS[row["kind"]].alertname if row["kind"] in KINDS else row["kind"],
        "severity": row["severity"],
        "unit_id": row["unit_id"],
        "unit_name": detail.get("unit_name", row["unit_id"]),
        "host_id": row["host_id"],
        "hostname": detail.get("hostname"),
        "requirement": row["requirement_id"],
        "serious": bool(row["serious"]),
        "opened_at": row["opened_at"],
        "resolved_at": row["resolved_at"],
        "notice_due_at": row["notice_due_at"],
        "report_due_at": row["report_due_at"],
        "summary": text.get("summary", {}),
        "description": text.get("description", {}),
    }


def alertmanager_alert(msg: Mapping[str, Any], now: float, ends_in: float) -> dict[str, Any]:
    """One alert of Alertmanager's ``POST /api/v2/alerts`` body (vi in the annotations, en in
    ``*_en``). A live alert ends ``ends_in`` seconds from now unless posted again, as Prometheus
    does, so a collector that stops posting does not leave alerts firing for ever."""
    labels = {
        "alertname": msg["alertname"],
        "severity": msg["severity"],
        "unit": msg["unit_id"],
        "host": msg["host_id"] or "",
        "requirement": msg["requirement"] or "",
        "fingerprint": msg["fingerprint"],
        "source": "canh",
    }
    if msg.get("hostname"):
        labels["hostname"] = msg["hostname"]
    annotations = {
        "summary": msg["summary"].get("vi", ""),
        "description": msg["description"].get("vi", ""),
        "summary_en": msg["summary"].get("en", ""),
        "description_en": msg["description"].get("en", ""),
        "unit_name": msg.get("unit_name") or "",
    }
    if msg.get("notice_due_at"):
        annotations["notice_due"] = iso(msg["notice_due_at"])
        annotations["report_due"] = iso(msg["report_due_at"])
    resolved = msg.get("resolved_at")
    return {
        "labels": {k: v for k, v in labels.items() if v != ""},
        "annotations": annotations,
        "startsAt": iso(msg["opened_at"]),
        "endsAt": iso(resolved if resolved else now + ends_in),
    }


def notification(msg: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) for e-mail and chat: Vietnamese first, English below."""
    resolved = msg["transition"] == "resolved"
    mark = "[ĐÃ XỬ LÝ / RESOLVED]" if resolved else f"[{msg['severity'].upper()}]"
    title = f"{mark} {msg['summary'].get('vi', '')}"
    parts = [msg["description"].get("vi", "")]
    if resolved:
        parts.append(f"Điều kiện cảnh báo đã hết lúc {when(msg.get('resolved_at'))}.")
    parts += ["", "— English —", msg["summary"].get("en", ""), msg["description"].get("en", "")]
    if resolved:
        parts.append(f"The condition cleared at {when(msg.get('resolved_at'))}.")
    parts.append(f"\ncanh incident #{msg['incident_id']} · {msg['fingerprint']}")
    return title, "\n".join(parts)
