"""``canh demo``: the whole loop on one machine, with real parts.

A collector process on 127.0.0.1 over HTTPS with its own CA and an SQLite file, a demo unit, this
machine's agent enrolled with a one-time token, one report gathered, signed and sent, the unit
scored, and a summary printed. Without ``--once`` it keeps serving (and reporting every minute)
until Ctrl-C.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent import service as agent_service
from agent.config import AgentSettings
from agent.state import NotEnrolled, StateStore
from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from canh.atomicfile import write_atomic

DEMO_UNIT_NAME = "Sở Y tế (demo)"
READY_TIMEOUT = 60.0


class DemoError(Exception):
    """The demo could not run; the message says what to do."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Api:
    """A small client of the collector's API, pinned to its CA, as an administrator."""

    def __init__(self, url: str, ca_pem: str) -> None:
        self.collector = Collector(url, ca_pem, timeout=30)
        self.token = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        data = json.dumps(body).encode() if body is not None else b""
        return json.loads(self.collector.request(method, path, data, headers).body or b"null")

    def wait_ready(self, proc: subprocess.Popen[bytes], log_path: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DemoError(
                    f"the collector stopped at start; see {log_path}:\n"
                    + log_path.read_text(errors="replace")[-2000:]
                )
            try:
                self.collector.request("GET", "/readyz")
                return
            except (CollectorUnavailable, CollectorRefused):
                time.sleep(0.2)
        raise DemoError(
            f"the collector did not become ready in {READY_TIMEOUT:g} s; see {log_path}"
        )


def _start_collector(data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    try:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "canh", "collector", "serve", "--data-dir", str(data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    finally:
        log.close()


def _prepare(data_dir: Path, port: int) -> tuple[Any, str]:
    from collector.serve import init
    from collector.settings import CONFIG_NAME

    password_file = data_dir / "demo-admin-password.txt"
    if (data_dir / CONFIG_NAME).exists() and password_file.exists():
        settings, _ = init(data_dir)
        return settings, password_file.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    settings, _ = init(data_dir, "127.0.0.1", port or _free_port(), admin_password=password)
    write_atomic(password_file, password.encode(), 0o600)
    return settings, password


def _summary(
    api: _Api, unit_id: str, host_id: str, settings: Any, password: str, data_dir: Path
) -> dict[str, Any]:
    score = api.call("GET", f"/api/v1/units/{unit_id}/score")
    findings = {f["check_id"]: f for f in api.call("GET", f"/api/v1/hosts/{host_id}/findings")}
    from checks import builtin_pack

    pack = builtin_pack("vn-2026")
    by_id = {r.id: r for r in pack.requirements}
    failing = []
    for req in score["requirements"]:
        if req["status"] in ("met", "not_applicable"):
            continue
        requirement = by_id[req["id"]]
        facts = [
            f"{c}: {findings[c]['reason']}"
            for c in requirement.checks
            if c in findings and findings[c]["status"] in ("fail", "unknown")
        ]
        failing.append(
            {
                "id": req["id"],
                "title": requirement.title.vi,
                "status": req["status"],
                "weight": requirement.weight,
                "mandatory": requirement.mandatory,
                "why": facts[0] if facts else req["reason"],
            }
        )
    failing.sort(key=lambda r: (not r["mandatory"], -r["weight"], r["status"] != "not_met"))
    out = {
        "unit": DEMO_UNIT_NAME,
        "score": score["score"],
        "level_met": score["level_met"],
        "by_evidence": score["by_evidence"],
        "top_failing": failing[:5],
        "dashboard": f"{settings.url}/  (admin / {password})",
        "metrics": f"{settings.url}/metrics",
        "data_dir": str(data_dir),
    }
    reports = data_dir / "reports"
    reports.mkdir(exist_ok=True)
    summary_file = reports / "demo-summary.json"
    write_atomic(
        summary_file,
        json.dumps(
            {**out, "requirements": score["requirements"]}, ensure_ascii=False, indent=2
        ).encode(),
        0o644,
    )
    return out


def _print_summary(s: dict[str, Any]) -> None:
    met = "ĐẠT" if s["level_met"] else "CHƯA ĐẠT"
    print(f"\n== canh demo: {s['unit']} ==")
    print(f"Điểm đơn vị / unit score: {s['score']:.1f}/100   Cấp độ 2 / level 2: {met}")
    ev = s["by_evidence"]
    print(
        f"  theo nguồn bằng chứng / by evidence: agent {ev.get('A', 0):.0f} · "
        f"mạng/network {ev.get('N', 0):.0f} · khai báo/declared {ev.get('D', 0):.0f}"
    )
    print("Yêu cầu chưa đạt hàng đầu / top failing requirements:")
    for r in s["top_failing"]:
        print(f"  - {r['id']} {r['title']} [{r['status']}]\n      {r['why']}")
    print(f"Dashboard: {s['dashboard']}")
    print(f"Metrics:   {s['metrics']}")
    print(f"Báo cáo / reports: {s['report_files']}")
    print(f"Dữ liệu / data:    {s['data_dir']}")


def run_demo(data_dir: Path, once: bool = False, port: int = 0) -> int:
    """Run the demo; return the exit code."""
    data_dir = data_dir.resolve()
    collector_dir = data_dir / "collector"
    settings, password = _prepare(collector_dir, port)
    log_path = data_dir / "collector.log"
    proc = _start_collector(collector_dir, log_path)
    try:
        ca_pem = (collector_dir / "tls" / "ca.pem").read_text()
        api = _Api(settings.url, ca_pem)
        api.wait_ready(proc, log_path)
        api.token = api.call(
            "POST", "/api/v1/auth/login", {"username": "admin", "password": password}
        )["token"]
        unit_id = next(
            (u["id"] for u in api.call("GET", "/api/v1/units") if u["name"] == DEMO_UNIT_NAME), None
        ) or _create_demo_unit(api)
        agent_settings = AgentSettings(data_dir=str(data_dir / "agent"), interval_seconds=60)
        store = StateStore(Path(agent_settings.data_dir))
        try:
            state = store.load()
        except NotEnrolled:
            bundle = api.call(
                "POST", f"/api/v1/units/{unit_id}/tokens", {"uses": 1, "ttl_hours": 1}
            )["bundle"]
            state = agent_service.enroll(agent_settings, bundle)
        result = _round(agent_settings)
        if result is not None:
            raise DemoError(f"the agent could not deliver its report: {result}")
        summary = _summary(api, unit_id, state.agent_id, settings, password, data_dir)
        summary["report_files"] = ", ".join(str(p) for p in _annual_reports(data_dir, unit_id))
        _print_summary(summary)
        if once:
            return 0
        print("\nĐang chạy; nhấn Ctrl-C để dừng. / Serving; press Ctrl-C to stop.")
        while True:
            time.sleep(agent_settings.interval_seconds)
            _round(agent_settings)
    except KeyboardInterrupt:
        return 0
    except (CollectorRefused, CollectorUnavailable) as err:
        raise DemoError(f"talking to the collector failed: {err}; see {log_path}") from err
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _annual_reports(data_dir: Path, unit_id: str) -> list[Path]:
    """The demo unit's annual report, DOCX and XLSX, next to the summary."""
    from collector.reports.demo import write_demo_reports

    return [*write_demo_reports(data_dir, unit_id), data_dir / "reports" / "demo-summary.json"]


def _create_demo_unit(api: _Api) -> str:
    unit = api.call("POST", "/api/v1/units", {"name": DEMO_UNIT_NAME, "level": 2})
    return str(unit["id"])


def _round(agent_settings: AgentSettings) -> str | None:
    return agent_service.once(agent_settings).error
