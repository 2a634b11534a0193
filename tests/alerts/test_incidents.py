"""Incidents from real ingest on an in-process collector: open, acknowledge, file, resolve."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families

from canh.contract import signing
from collector.alerts import AlertWatch, raise_device_alert
from collector.alerts.delivery import Notifier, classify, recipients
from collector.settings import CollectorSettings, ConfigError
from tests.alerts.conftest import World
from tests.alerts.reports import PATH, signed


def _post(world: World, unit: str, seq: int, **facts: Any) -> int:
    host_id = world.hosts[unit]
    body, headers = signed(world.keys[host_id], host_id, seq, **facts)
    return world.client.post(PATH, content=body, headers=headers).status_code


def _incidents(
    world: World, user: str = "admin", scores: bool = False, **params: str
) -> list[dict[str, Any]]:
    """Incidents through the API; score alerts left out unless asked for (every test unit
    scores low: the test packs' declarations are missing)."""
    headers = world.login(user) if user != "admin" else _admin(world)
    response = world.client.get("/api/v1/incidents", params=params, headers=headers)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return [i for i in result if scores or not i["kind"].startswith("score_")]


def _admin(world: World) -> dict[str, str]:
    from tests.collector.conftest import PASSWORD

    response = world.client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
    )
    return {"authorization": f"Bearer {response.json()['token']}"}


def _watch(world: World) -> AlertWatch:
    assert world.svc.alerts is not None
    return AlertWatch(world.svc.alerts, world.svc.store, world.svc.stats, 3600)


def test_antivirus_off_opens_serious_incident_and_on_resolves(world: World) -> None:
    """A server with anti-malware off: critical, legal clocks, vi/en text; back on: resolved."""
    assert _post(world, "bvdk", 1, av_enabled=False, realtime=False) == 200
    [incident] = _incidents(world, status="live")
    assert incident["kind"] == "av_disabled" and incident["severity"] == "critical"
    assert incident["requirement_id"] == "L2-SRV-MAL-1" and incident["serious"]
    assert incident["notice_due_at"] == pytest.approx(incident["opened_at"] + 86400)
    assert incident["report_due_at"] == pytest.approx(incident["opened_at"] + 3 * 86400)
    vi, en = incident["description"]["vi"], incident["description"]["en"]
    assert "Máy: pc-bvdk" in vi and "Bệnh viện Đa khoa" in vi and "L2-SRV-MAL-1" in vi
    assert "Nghị định 331/2026/NĐ-CP" in vi and "Cần làm:" in vi
    assert "What to do:" in en and "initial notice due by" in en
    # The same condition again opens nothing new: one live incident per fingerprint.
    assert _post(world, "bvdk", 2, av_enabled=False, realtime=False) == 200
    assert len(_incidents(world, status="live")) == 1
    assert _post(world, "bvdk", 3) == 200
    assert _incidents(world, status="live") == []
    [resolved] = _incidents(world, status="resolved")
    history = world.client.get(f"/api/v1/incidents/{resolved['id']}", headers=_admin(world))
    assert [e["action"] for e in history.json()["history"]] == ["opened", "resolved"]
    routes = world.svc.store.query(
        "SELECT dedup_key FROM outbox WHERE channel = 'route' AND incident_id = ?",
        (resolved["id"],),
    )
    assert sorted(r["dedup_key"].split("|")[2] for r in routes) == ["opened", "resolved"]


def test_scoping_acknowledge_and_filings(world: World) -> None:
    """Unit IT sees and acknowledges its own; auditors read only; filings clear what is due."""
    assert _post(world, "bvdk", 1, av_enabled=False) == 200
    assert _incidents(world, "it-bv2") == []
    [incident] = _incidents(world, "it-bvdk")
    iid = incident["id"]
    auditor = world.login("auditor")
    ack = f"/api/v1/incidents/{iid}/acknowledge"
    assert world.client.post(ack, json={}, headers=auditor).status_code == 403
    assert world.client.post(ack, json={}, headers=world.login("it-bv2")).status_code == 404
    it = world.login("it-bvdk")
    assert world.client.post(ack, json={"note": "đang xử lý"}, headers=it).status_code == 204
    assert world.client.post(ack, json={}, headers=it).status_code == 409
    [acked] = _incidents(world, "it-bvdk", status="acknowledged")
    assert acked["acknowledged_by"] == "it-bvdk"
    audit = world.svc.store.query("SELECT action, actor FROM audit WHERE target = ?", (str(iid),))
    assert {"action": "incident.acknowledge", "actor": "it-bvdk"} in audit

    due = world.client.get("/api/v1/incidents/due", headers=it).json()
    assert [d["id"] for d in due] == [iid] and not due[0]["notice_overdue"]
    filings = f"/api/v1/incidents/{iid}/filings"
    notice = {"what": "notice", "reference": "CV 12/BVĐK"}
    assert world.client.post(filings, json=notice, headers=it).status_code == 204
    due = world.client.get("/api/v1/incidents/due", headers=it).json()
    assert due[0]["notice_filed_at"] is not None and due[0]["next_deadline"] == pytest.approx(
        incident["report_due_at"]
    )
    report = {"what": "report", "reference": "BC 13/BVĐK"}
    assert world.client.post(filings, json=report, headers=it).status_code == 204
    assert world.client.get("/api/v1/incidents/due", headers=it).json() == []
    # Acknowledged incidents still resolve by themselves when the condition clears.
    assert _post(world, "bvdk", 2) == 200
    assert _incidents(world, "it-bvdk", status="live") == []


def test_filters_and_pagination(world: World) -> None:
    """status, unit (subtree), severity, limit/offset."""
    assert _post(world, "bvdk", 1, av_enabled=False, ports=(23, 3389)) == 200
    assert _post(world, "tram1", 1, role="workstation", realtime=False) == 200
    everything = _incidents(world)
    assert {i["kind"] for i in everything} == {"av_disabled", "risky_port", "av_realtime_off"}
    assert {i["kind"] for i in _incidents(world, unit="tram1")} == {"av_realtime_off"}
    assert len(_incidents(world, unit="bvdk")) == 4  # the subtree includes tram1
    assert {i["kind"] for i in _incidents(world, severity="critical")} == {"av_disabled"}
    every = _incidents(world, scores=True)
    page = _incidents(world, scores=True, limit="2", offset="1")
    assert [i["id"] for i in page] == [i["id"] for i in every[1:3]]
    assert {i["subject"] for i in _incidents(world, unit="bvdk") if i["kind"] == "risky_port"} == {
        "tcp/23",
        "tcp/3389",
    }
    response = world.client.get("/api/v1/incidents", params={"status": "x"}, headers=_admin(world))
    assert response.status_code == 422


def test_forged_and_replayed_reports_raise_attack_alert(world: World) -> None:
    """Bad signatures and a replay in one agent's name: critical incident; quiet later: resolved."""
    host_id = world.hosts["bv2"]
    body, headers = signed(world.keys[host_id], host_id, 1)
    assert world.client.post(PATH, content=body, headers=headers).status_code == 200
    assert world.client.post(PATH, content=body, headers=headers).status_code == 409
    forged = signing.sign(Ed25519PrivateKey.generate(), host_id, "POST", PATH, 5, body)
    for _ in range(2):
        assert world.client.post(PATH, content=body, headers=forged).status_code == 401
    watch = _watch(world)
    assert watch.run_once() >= 1
    [attack] = _incidents(world, unit="bv2", status="live")
    assert attack["kind"] == "attack_attempts" and attack["serious"]
    assert attack["requirement_id"] == "L2-LEG-INCIDENT-1"
    watch.run_once(now=time.time() + world.svc.settings.attack_window_seconds + 1)
    assert _incidents(world, unit="bv2", status="live") == []


def test_revoked_host_incidents_resolve(world: World) -> None:
    """A host that is revoked reports no more; the timer resolves its posture incidents."""
    assert _post(world, "bvdk", 1, av_enabled=False) == 200
    assert _incidents(world, status="live")
    world.svc.store.set_host_status(world.hosts["bvdk"], "revoked", "test")
    _watch(world).run_once()
    assert _incidents(world, status="live") == []


def test_silent_agents_and_their_return(world: World) -> None:
    """Past silent_after + grace every host is silent; at the real time none is."""
    settings = world.svc.settings
    later = time.time() + settings.silent_after_seconds + settings.silent_grace_seconds + 5
    watch = _watch(world)
    watch.run_once(now=later)
    silent = _incidents(world, status="live")
    assert {i["host_id"] for i in silent} == set(world.hosts.values())
    assert {i["kind"] for i in silent} == {"agent_silent"}
    watch.run_once()
    assert _incidents(world, status="live") == []


def test_unmanaged_device_hook_and_resolution(world: World) -> None:
    """Discovery's hook opens one incident per device; it resolves once a host accounts for it."""
    store = world.svc.store
    device = {"ip": "10.1.2.3", "mac": "00:11:22:33:44:55", "vendor": "TP-Link", "hostname": None}
    first = store.writer.call(lambda conn: raise_device_alert(conn, "tram1", device))
    again = store.writer.call(lambda conn: raise_device_alert(conn, "tram1", device))
    assert first is not None and again is None
    [incident] = _incidents(world, unit="tram1")
    assert incident["kind"] == "unmanaged_device" and "TP-Link" in incident["description"]["vi"]

    def managed(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO devices (unit_id, ip, mac, host_id, first_seen, last_seen) "
            "VALUES ('tram1', ?, ?, ?, 0, 0)",
            (device["ip"], device["mac"], world.hosts["tram1"]),
        )

    store.writer.call(managed)
    _watch(world).run_once()
    assert _incidents(world, unit="tram1", status="live") == []


def test_score_below_and_dropping(world: World) -> None:
    """Today's stored score under the threshold and 30 points under yesterday's."""

    def scores(conn: sqlite3.Connection) -> None:
        for day, score in (("2026-01-01", 90.0), ("2026-01-02", 60.0)):
            conn.execute(
                "INSERT INTO unit_scores (unit_id, day, score, level_met, by_evidence, "
                "requirements, hosts, computed_at) VALUES ('bv2', ?, ?, 0, '{}', '[]', 4, 0)",
                (day, score),
            )

    world.svc.store.writer.call(scores)
    _watch(world).run_once()
    kinds = {i["kind"]: i for i in _incidents(world, scores=True, unit="bv2")}
    assert set(kinds) == {"score_below", "score_drop"}
    assert "90.0" in kinds["score_drop"]["description"]["vi"]


def test_routes_expand_to_contacts_or_count_no_recipient(world: World) -> None:
    """Without contacts a transition is counted undeliverable; contacts come from the nearest
    unit up the tree that has some."""
    assert _post(world, "tram1", 1, role="workstation", realtime=False) == 200
    deadline = time.time() + 10
    while world.svc.store.one(
        "SELECT 1 AS x FROM outbox WHERE channel = 'route' AND delivered_at IS NULL"
    ):
        assert time.time() < deadline
        time.sleep(0.05)
    routes = world.svc.store.query("SELECT last_error FROM outbox WHERE channel = 'route'")
    assert routes and all("no recipient" in r["last_error"] for r in routes)
    assert world.svc.store.one("SELECT 1 AS x FROM outbox WHERE channel != 'route'") is None
    assert world.svc.alerts is not None
    assert world.svc.alerts.deliveries.snapshot()[("route", "no_recipient")] == len(routes)

    def contacts(conn: sqlite3.Connection) -> list[tuple[str, str]]:
        conn.execute(
            "UPDATE units SET contacts = ? WHERE id = 'syt'",
            (json.dumps(["it@syt.gov.vn", "https://chat.syt.local/hooks/abc"]),),
        )
        return recipients(conn, "tram1")

    assert world.svc.store.writer.call(contacts) == [
        ("email", "it@syt.gov.vn"),
        ("webhook", "https://chat.syt.local/hooks/abc"),
    ]
    assert classify("mailto:a@b.vn") == ("email", "a@b.vn") and classify("ftp://x") is None


def test_smtp_secret_refused_when_placeholder(tmp_path: Any) -> None:
    """A placeholder or missing SMTP password file stops the notifier from starting."""
    secret = tmp_path / "smtp.pw"
    secret.write_text("changeme\n")
    settings = CollectorSettings(
        data_dir=str(tmp_path),
        smtp_host="127.0.0.1",
        smtp_from="canh@syt.local",
        smtp_user="canh",
        smtp_password_file=str(secret),
    )
    with pytest.raises(ConfigError, match="placeholder"):
        Notifier(settings)
    with pytest.raises(ValueError, match="smtp_password_file"):
        CollectorSettings(data_dir=".", smtp_host="h", smtp_from="a@b", smtp_user="u")
    with pytest.raises(ValueError, match="alertmanager_url"):
        CollectorSettings(data_dir=".", alertmanager_url="ftp://am")


def test_metrics_show_incidents_hosts_and_health(world: World) -> None:
    """Per-host posture, live incidents, latency histogram and delivery counters."""
    host = world.hosts["bvdk"]
    assert _post(world, "bvdk", 1, av_enabled=False, ports=(23,), pending_security=4) == 200
    text = world.client.get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    key = (("host", host), ("unit", "bvdk"))
    assert samples[("canh_host_antivirus_ok", key)] == 0
    assert samples[("canh_host_risky_ports", key)] == 1
    assert samples[("canh_host_pending_security_updates", key)] == 4
    assert samples[("canh_unit_incidents", (("severity", "critical"), ("unit", "bvdk")))] == 1
    assert samples[("canh_ingest_latency_seconds_count", ())] == 1
    deadlines = (("deadline", "notice"), ("state", "due"), ("unit", "bvdk"))
    assert samples[("canh_unit_incident_deadlines", deadlines)] == 1
    assert ("canh_build_info", (("version", "0.1.0"),)) in samples
