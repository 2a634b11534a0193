"""Alerts end to end with real processes: a collector over HTTPS, a real agent identity, a real
Prometheus scraping it, a real Alertmanager receiving its alerts, and — without Alertmanager — the
built-in notifier delivering to a local SMTP server and an HTTPS webhook that start late."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from tests.alerts.reports import PATH, signed
from tests.alerts.stack import (
    ALERTMANAGER,
    PROMETHEUS,
    Server,
    Webhook,
    collector_with,
    enroll_agent,
    get_json,
    need,
    start_alertmanager,
    start_prometheus,
    wait_for,
)
from tests.alerts.test_dashboards import DASHBOARDS, expressions, rule_expressions
from tests.support import RunningCollector

pytestmark = [pytest.mark.real, pytest.mark.slow]


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("alert-stack")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _report(collector: RunningCollector, agent_dir: Path, seq: int, **facts: Any) -> dict[str, Any]:
    from agent.state import StateStore

    store = StateStore(agent_dir)
    host_id = store.load().agent_id
    body, headers = signed(store.key(), host_id, seq, **facts)
    answer: dict[str, Any] = json.loads(
        collector.client().request("POST", PATH, body, headers).body
    )
    return answer


def _am_alerts(am: Server, alertname: str) -> list[dict[str, Any]]:
    alerts = get_json(f"{am.url}/api/v2/alerts") or []
    return [a for a in alerts if a["labels"].get("alertname") == alertname]


def test_alertmanager_and_prometheus_see_the_collector(scratch: Path) -> None:
    """Anti-malware off on a server: Alertmanager holds the alert with canh's labels within
    seconds; Prometheus stores the unit's score; anti-malware on: the alert is resolved."""
    need(PROMETHEUS)
    need(ALERTMANAGER)
    am = start_alertmanager(scratch / "am")
    collector = prom = None
    try:
        collector = collector_with(
            scratch / "collector",
            alertmanager_url=am.url,
            alertmanager_resend_seconds=5,
            outbox_poll_seconds=0.2,
            outbox_retry_seconds=0.5,
        )
        prom = start_prometheus(scratch / "prom", collector)
        unit = collector.api("POST", "/api/v1/units", {"name": "Bệnh viện Đa khoa tỉnh"})
        state = enroll_agent(collector, unit["id"], scratch / "agent")
        host_id = state.load().agent_id

        sent = time.monotonic()
        assert _report(collector, scratch / "agent", 1, av_enabled=False, realtime=False)
        [alert] = wait_for(
            "the alert in Alertmanager", lambda: _am_alerts(am, "CanhAntivirusDisabled"), 10
        )
        assert time.monotonic() - sent < 5
        labels = alert["labels"]
        assert labels["unit"] == unit["id"] and labels["host"] == host_id
        assert labels["severity"] == "critical" and labels["requirement"] == "L2-SRV-MAL-1"
        [incident] = [
            i
            for i in collector.api("GET", "/api/v1/incidents?status=live")
            if i["kind"] == "av_disabled"
        ]
        assert labels["fingerprint"] == incident["fingerprint"]
        assert alert["status"]["state"] == "active"
        assert "Nghị định 331/2026/NĐ-CP" in alert["annotations"]["description"]
        assert "What to do" in alert["annotations"]["description_en"]

        def scored() -> list[dict[str, Any]]:
            query = urllib.parse.quote("canh_unit_score_ratio")
            answer = get_json(f"{prom.url}/api/v1/query?query={query}") or {}
            results = answer.get("data", {}).get("result", [])
            return [r for r in results if r["metric"].get("unit") == unit["id"]]

        [series] = wait_for("the unit's score in Prometheus", scored, 20)
        assert 0.0 <= float(series["value"][1]) <= 1.0
        # Every dashboard and rule expression is valid PromQL for this Prometheus.
        for expr in _all_expressions(unit["id"], host_id):
            query = urllib.parse.urlencode({"query": expr})
            answer = get_json(f"{prom.url}/api/v1/query?{query}")
            assert answer and answer["status"] == "success", expr

        assert _report(collector, scratch / "agent", 2)

        def resolved() -> bool:
            alerts = _am_alerts(am, "CanhAntivirusDisabled")
            now = time.time()
            return not alerts or all(
                a["status"]["state"] != "active" or _ts(a["endsAt"]) <= now for a in alerts
            )

        wait_for("the alert to resolve in Alertmanager", resolved, 10)
        assert collector.api("GET", f"/api/v1/incidents?status=live&unit={unit['id']}") is not None
        live = collector.api("GET", "/api/v1/incidents?status=live")
        assert "av_disabled" not in {i["kind"] for i in live}
    finally:
        for part in (prom, collector, am):
            if part is not None:
                part.stop()


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _all_expressions(unit_id: str, host_id: str) -> list[str]:
    out = list(rule_expressions())
    for path in DASHBOARDS:
        out += expressions(json.loads(path.read_text()))
    # Grafana's label_values(selector, label) wraps PromQL: the selector is what to check.
    out = [re.sub(r"^label_values\((.*), *\w+\)$", r"\1", e) for e in out]
    return [
        e.replace("$__rate_interval", "1m").replace("$unit", unit_id).replace("$host", host_id)
        for e in out
    ]


class _Mailbox:
    """aiosmtpd handler keeping each message (recipients and raw content)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append((list(envelope.rcpt_tos), content))
        return "250 OK"


def test_notifier_retries_until_receivers_return_and_delivers_once(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E-mail and webhook receivers down at first: deliveries fail, back off, and arrive exactly
    once each when the receivers start; the resolution follows, once."""
    webhook = Webhook.prepare(scratch / "hook-tls")
    # The collector's HTTP client (requests, inside apprise) trusts the webhook's test CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(webhook.ca))
    smtp_port = webhook.port
    while smtp_port == webhook.port:
        from tests.support import free_port

        smtp_port = free_port()
    collector = collector_with(
        scratch / "collector",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="canh@syt.local",
        smtp_starttls=False,
        outbox_poll_seconds=0.2,
        outbox_retry_seconds=0.3,
        outbox_retry_max_seconds=1.0,
        alert_score_below=0.0,
    )
    mailbox = _Mailbox()
    smtp: Controller | None = None
    try:
        unit = collector.api("POST", "/api/v1/units", {"name": "Trạm Y tế xã Tân Phú"})
        collector.api(
            "PATCH",
            f"/api/v1/units/{unit['id']}",
            {"contacts": ["it@tramyte.local", webhook.url]},
        )
        enroll_agent(collector, unit["id"], scratch / "agent")
        assert _report(collector, scratch / "agent", 1, role="workstation", realtime=False)

        def failures() -> bool:
            text = collector.client().request("GET", "/metrics").body.decode()
            return all(
                f'canh_alert_deliveries_total{{channel="{c}",outcome="failed"}}' in text
                for c in ("email", "webhook")
            )

        wait_for("failed attempts while the receivers are down", failures, 15)
        smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        webhook.start()
        wait_for("one e-mail and one webhook", lambda: mailbox.messages and webhook.received, 15)

        assert _report(collector, scratch / "agent", 2, role="workstation")
        wait_for(
            "the resolution", lambda: len(mailbox.messages) >= 2 and len(webhook.received) >= 2
        )
        time.sleep(2.5)  # several retry periods: any duplicate would have arrived by now
        assert len(mailbox.messages) == 2 and len(webhook.received) == 2
        keys = [key for key, _body in webhook.received]
        assert len(set(keys)) == 2 and [k.split("|")[2] for k in keys] == ["opened", "resolved"]
        first = webhook.received[0][1]
        assert "Bảo vệ thời gian thực" in first["title"] and "What to do" in first["message"]
        rcpt, raw = mailbox.messages[0]
        assert rcpt == ["it@tramyte.local"] and b"Subject:" in raw
        text = collector.client().request("GET", "/metrics").body.decode()
        assert 'canh_alert_deliveries_total{channel="email",outcome="delivered"} 2.0' in text
        assert 'canh_alert_deliveries_total{channel="webhook",outcome="delivered"} 2.0' in text
        assert "canh_outbox_oldest_pending_seconds 0.0" in text
    finally:
        collector.stop()
        if smtp is not None:
            smtp.stop()
        webhook.stop()
