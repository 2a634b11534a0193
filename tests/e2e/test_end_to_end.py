"""The whole loop with real processes: collector over HTTPS on a real SQLite file, agent enrolling
and reporting, then refusals of tampered, replayed and foreign-signed reports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.gather import gather
from agent.host import LocalHost
from agent.state import StateStore
from canh.contract import encode, signing
from tests.support import ADMIN_PASSWORD, RunningCollector, start_collector

pytestmark = pytest.mark.slow


def canh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "canh", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    running = start_collector(tmp_path_factory.mktemp("collector"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def enrolled(
    collector: RunningCollector, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, str]:
    """A unit and a real agent process enrolled into it; returns (unit, agent dir, host id)."""
    unit = collector.api("POST", "/api/v1/units", {"name": "Bệnh viện Đa khoa tỉnh"})
    bundle = collector.api("POST", f"/api/v1/units/{unit['id']}/tokens", {"uses": 1})["bundle"]
    agent_dir = tmp_path_factory.mktemp("agent")
    result = canh("agent", "enroll", bundle, "--data-dir", str(agent_dir))
    assert result.returncode == 0, result.stderr
    result = canh("agent", "once", "--data-dir", str(agent_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    host_id = StateStore(agent_dir).load().agent_id
    return unit["id"], agent_dir, host_id


def test_agent_report_reaches_store_and_is_scored(
    collector: RunningCollector, enrolled: tuple[str, Path, str]
) -> None:
    """Host, facts, findings and unit score are visible through the API after one round."""
    unit_id, _agent_dir, host_id = enrolled
    host = collector.api("GET", f"/api/v1/hosts/{host_id}")
    assert host["unit_id"] == unit_id and host["last_seq"] == 1
    facts = collector.api("GET", f"/api/v1/hosts/{host_id}/facts")
    hostname = Path("/proc/sys/kernel/hostname").read_text().strip()
    assert facts["system"]["data"]["hostname"] == hostname
    assert facts["ports"]["status"] == "ok"
    findings = {f["check_id"]: f for f in collector.api("GET", f"/api/v1/hosts/{host_id}/findings")}
    assert findings["hardware.inventory_complete"]["status"] == "pass"
    score = collector.api("GET", f"/api/v1/units/{unit_id}/score")
    assert 0 <= score["score"] <= 100 and score["hosts"] == 1
    statuses = {r["id"]: r["status"] for r in score["requirements"]}
    assert statuses and set(statuses.values()) <= {
        "met",
        "partly_met",
        "not_met",
        "no_evidence",
        "not_applicable",
        "waived",
    }
    # Unknown is not pass: nothing in the report evidences anti-malware, so it cannot be met.
    assert statuses.get("L2-EPT-AV-1", "no_evidence") != "met"


def _signed_report(
    agent_dir: Path, seq: int, key: Ed25519PrivateKey | None = None, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    store = StateStore(agent_dir)
    state = store.load()
    body = encode(gather(LocalHost("linux"), state.agent_id, seq))
    headers = signing.sign(
        key or store.key(), state.agent_id, "POST", "/api/v1/reports", seq, body, now=now
    )
    return body, headers


def _stored(collector: RunningCollector, host_id: str) -> tuple[int, int]:
    host = collector.api("GET", f"/api/v1/hosts/{host_id}")
    events = collector.api("GET", f"/api/v1/hosts/{host_id}/events")
    return host["last_seq"], len(events)


def test_refusals_leave_store_unchanged(
    collector: RunningCollector, enrolled: tuple[str, Path, str]
) -> None:
    """Tampered, foreign-signed, unknown, skewed, oversized, malformed: 4xx and no write."""
    _unit, agent_dir, host_id = enrolled
    before = _stored(collector, host_id)
    body, headers = _signed_report(agent_dir, 50)
    tampered = body.replace(b'"kind":"full"', b'"kind":"delta"')
    assert tampered != body
    assert collector.status_of("POST", "/api/v1/reports", tampered, headers) == 401
    _b, foreign = _signed_report(agent_dir, 50, key=Ed25519PrivateKey.generate())
    assert collector.status_of("POST", "/api/v1/reports", body, foreign) == 401
    unknown = {**headers, signing.HEADER_AGENT: "h_0000000000000000"}
    assert collector.status_of("POST", "/api/v1/reports", body, unknown) == 401
    _b, skewed = _signed_report(agent_dir, 50, now=time.time() - 3600)
    assert collector.status_of("POST", "/api/v1/reports", _b, skewed) == 401
    assert collector.status_of("POST", "/api/v1/reports", body, {}) == 401
    huge = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    store = StateStore(agent_dir)
    huge_headers = signing.sign(
        store.key(), store.load().agent_id, "POST", "/api/v1/reports", 50, huge
    )
    assert collector.status_of("POST", "/api/v1/reports", huge, huge_headers) == 413
    bad = b'{"schema_version": 1, "unexpected": true}'
    bad_headers = signing.sign(
        store.key(), store.load().agent_id, "POST", "/api/v1/reports", 50, bad
    )
    assert collector.status_of("POST", "/api/v1/reports", bad, bad_headers) == 422
    assert _stored(collector, host_id) == before


def test_replay_refused_and_resend_acknowledged_once(
    collector: RunningCollector, enrolled: tuple[str, Path, str]
) -> None:
    """The same signed request twice is a replay (409); a fresh signature over the same report
    is an idempotent resend (200, duplicate) — stored exactly once either way."""
    _unit, agent_dir, host_id = enrolled
    store = StateStore(agent_dir)
    state = store.load()
    seq = state.next_seq + 100
    body, headers = _signed_report(agent_dir, seq)
    first = collector.client().request("POST", "/api/v1/reports", body, headers)
    assert json.loads(first.body) == {"seq": seq, "duplicate": False, "full_requested": False}
    after_first = _stored(collector, host_id)
    assert collector.status_of("POST", "/api/v1/reports", body, headers) == 409
    resend = signing.sign(
        store.key(), state.agent_id, "POST", "/api/v1/reports", seq, body, now=time.time() + 1
    )
    again = collector.client().request("POST", "/api/v1/reports", body, resend)
    assert json.loads(again.body)["duplicate"] is True
    older_body, older = _signed_report(agent_dir, seq - 1)
    assert collector.status_of("POST", "/api/v1/reports", older_body, older) == 409
    assert _stored(collector, host_id) == after_first


def test_metrics_expose_unit_score(
    collector: RunningCollector, enrolled: tuple[str, Path, str]
) -> None:
    """/metrics carries the unit's score from the store."""
    unit_id = enrolled[0]
    text = collector.client().request("GET", "/metrics").body.decode()
    assert f'canh_unit_score_ratio{{unit="{unit_id}"}}' in text
    assert "canh_ingest_rejected_total" in text


def test_logs_are_json_and_hold_no_secrets(
    collector: RunningCollector, enrolled: tuple[str, Path, str]
) -> None:
    """The collector's log is JSON lines and never contains a password or token."""
    collector.status_of(
        "POST",
        "/api/v1/auth/login",
        json.dumps({"username": "admin", "password": "wrong-guess-123"}).encode(),
    )
    lines = [line for line in collector.log.read_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)
    text = collector.log.read_text()
    assert ADMIN_PASSWORD not in text and "wrong-guess-123" not in text
    assert collector.token not in text
