"""/metrics at 10,000 hosts, and the time from a report to its delivered alert.

1. A store seeded directly with realistic rows (10,000 active hosts in 50 units, each with its
   antivirus, patches and ports facts as the contract encodes them, a stored unit score with every
   requirement and KPIs, some live incidents); the in-process app answers ``GET /metrics``.
   Reported: the median of 5 scrapes and the series per host.
2. A real collector process with default settings and the built-in notifier; 50 hosts each send a
   report that turns anti-malware off; an HTTPS webhook on loopback records when each alert
   arrives. Reported: p99 of report-sent → webhook-received.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import secrets
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families

from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from bench.ingest import free_port
from bench.results import Result
from canh.contract import Report, Section, Sections, encode, fact_hash, signing
from canh.contract.facts import (
    AntivirusFacts,
    AntivirusProduct,
    Listener,
    PatchFacts,
    PortsFacts,
    SystemFacts,
)
from checks import builtin_pack
from collector.serve import init
from collector.store import Store
from collector.tls import TlsFiles, create_ca, issue_server_cert

HOSTS = int(os.environ.get("CANH_BENCH_METRICS_HOSTS", "10000"))
UNITS = 50
REPORTS = int(os.environ.get("CANH_BENCH_ALERT_REPORTS", "50"))
PATH = "/api/v1/reports"


def _facts(now: datetime, rng: random.Random) -> list[tuple[str, bytes]]:
    av = AntivirusFacts(
        products=[
            AntivirusProduct(
                product=rng.choice(["Windows Defender", "BKAV Pro", "Kaspersky Endpoint"]),
                enabled=rng.random() > 0.1,
                realtime=rng.random() > 0.1,
                signature_age_days=rng.choice([0.2, 1.0, 2.0, 9.0]),
                source="securitycenter2",
            )
        ]
    )
    patches = PatchFacts(pending_security=rng.choice([0, 0, 1, 4]), os_supported=True)
    listening = [
        Listener(proto="tcp", address="0.0.0.0", port=p, scope="all", process="svc")
        for p in rng.sample([22, 80, 135, 139, 443, 445, 3389, 5985, 8080, 49664], 7)
    ] + [Listener(proto="udp", address="0.0.0.0", port=p, scope="all") for p in (123, 137, 5353)]
    ports = PortsFacts(listening=listening)
    return [("antivirus", encode(av)), ("patches", encode(patches)), ("ports", encode(ports))]


def _seed(db: Path) -> None:
    """Units, hosts, facts, scores and incidents straight into SQLite (one transaction)."""
    rng = random.Random(6)
    now = time.time()
    stamp = datetime.now(UTC)
    pack = builtin_pack("vn-2026")
    reqs = [
        {"id": r.id, "status": "partly_met", "value": 0.5, "passing": 1, "failing": 1}
        for r in pack.for_level(2)
    ]
    kpis = {
        "av_protected": {"count": 150, "of": 200},
        "patch_compliant": {"count": 120, "of": 200},
        "unsupported_os": {"count": 3, "of": 200},
        "risky_ports": {"count": 40, "of": 200},
        "unmanaged_devices": 7,
    }
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO units (id, name, created_at) VALUES (?, ?, ?)",
            [(f"u{i:02d}", f"Bệnh viện {i}", now) for i in range(UNITS)],
        )
        hosts = [
            (
                f"h_{i:016x}",
                f"u{i % UNITS:02d}",
                f"pc-{i:05d}",
                rng.choice(["windows", "linux"]),
                rng.choice(["workstation", "workstation", "server"]),
                secrets.token_bytes(32),
                now - 86400,
                now - rng.random() * 20000,
                rng.randint(0, 30),
            )
            for i in range(HOSTS)
        ]
        conn.executemany(
            "INSERT INTO hosts (id, unit_id, hostname, os_family, role, public_key, enrolled_at, "
            "last_seen, failing_checks) VALUES (?,?,?,?,?,?,?,?,?)",
            hosts,
        )
        conn.executemany(
            "INSERT INTO facts (host_id, section, status, hash, data, collected_at) "
            "VALUES (?, ?, 'ok', ?, ?, ?)",
            [
                (h[0], section, "0" * 64, data, stamp.isoformat())
                for h in hosts
                for section, data in _facts(stamp, rng)
            ],
        )
        today = stamp.date().isoformat()
        conn.executemany(
            "INSERT INTO unit_scores (unit_id, day, score, level_met, by_evidence, requirements, "
            "hosts, computed_at, kpis) VALUES (?, ?, ?, 0, '{}', ?, 200, ?, ?)",
            [
                (f"u{i:02d}", today, 40 + i, json.dumps(reqs), now, json.dumps(kpis))
                for i in range(UNITS)
            ],
        )
        conn.executemany(
            "INSERT INTO incidents (fingerprint, unit_id, host_id, kind, severity, serious, "
            "opened_at, notice_due_at, report_due_at) VALUES (?, ?, ?, 'av_disabled', ?, ?, ?, "
            "?, ?)",
            [
                (
                    f"fp{i}",
                    h[1],
                    h[0],
                    "critical" if i % 5 == 0 else "warning",
                    int(i % 5 == 0),
                    now,
                    now + 86400,
                    now + 3 * 86400,
                )
                for i, h in enumerate(hosts[:500])
            ],
        )
    conn.close()


def bench_metrics() -> list[Result]:
    """Median scrape time at 10,000 hosts and the most series any host has."""
    from fastapi.testclient import TestClient

    from collector.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings, _ = init(Path(tmp) / "c", admin_password="bench-password-123")
        _seed(settings.db_path)
        with TestClient(create_app(settings)) as client:
            started = time.perf_counter()
            client.get("/metrics")
            cold = time.perf_counter() - started
            times = []
            text = ""
            for _ in range(5):
                started = time.perf_counter()
                response = client.get("/metrics")
                times.append(time.perf_counter() - started)
                text = response.text
        per_host: dict[str, int] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                host = sample.labels.get("host")
                if host:
                    per_host[host] = per_host.get(host, 0) + 1
    seconds = statistics.median(times)
    series = max(per_host.values()) if per_host else 0
    return [
        Result(
            f"metrics: /metrics for {len(per_host):,} hosts",
            round(seconds, 3),
            "s",
            target="≤ 1 s",
            met=seconds <= 1.0 and len(per_host) >= HOSTS,
        ),
        Result("metrics: series per host (max)", series, "series", target="≤ 20", met=series <= 20),
        Result("metrics: first scrape after start (decodes every host)", round(cold, 3), "s"),
    ]


class _Hook(http.server.BaseHTTPRequestHandler):
    """Records when each alert for a host arrives (the host id is in the message)."""

    arrived: dict[str, float]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
        for word in str(body.get("message", "")).replace("(", " ").replace(")", " ").split():
            if word.startswith("h_") and word not in self.arrived:
                self.arrived[word] = time.monotonic()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _report(host_id: str, seq: int) -> bytes:
    now = datetime.now(UTC)

    def ok(data: object) -> Section:  # type: ignore[type-arg]
        return Section(status="ok", collected_at=now, hash=fact_hash(data), data=data)  # type: ignore[arg-type]

    av = AntivirusFacts(
        products=[AntivirusProduct(product="BKAV", enabled=False, realtime=False, source="service")]
    )
    return encode(
        Report(
            schema_version=1,
            agent_id=host_id,
            agent_version="bench",
            kind="full",
            seq=seq,
            collected_at=now,
            sections=Sections(
                system=ok(SystemFacts(hostname=host_id, os_family="linux", role="workstation")),
                antivirus=ok(av),
            ),
        )
    )


def bench_alert_latency() -> list[Result]:
    """p99 of report sent → alert delivered to a webhook, through a real collector process."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hook_tls = TlsFiles(root / "hook")
        create_ca(hook_tls)
        issue_server_cert(hook_tls, ["127.0.0.1"])
        hook_port = free_port()
        settings, _ = init(root / "c", "127.0.0.1", free_port(), admin_password="bench-pass-123")
        config = root / "c" / "collector.toml"
        # Score alerts would only add noise here; everything else keeps its default.
        config.write_text(
            config.read_text().replace("alert_score_below = 70.0", "alert_score_below = 0.0")
        )
        store = Store(settings.db_path)
        store.start()
        agents: list[tuple[str, Ed25519PrivateKey]] = []
        try:
            unit = store.create_unit("bench", None, "vn-2026", 2, "bench")
            store.update_unit(unit, {"contacts": [f"https://127.0.0.1:{hook_port}/hook"]}, "b")
            _tid, token, _ = store.create_token(unit, REPORTS, 3600, "bench")
            for i in range(REPORTS):
                key = Ed25519PrivateKey.generate()
                raw = key.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
                host_id, _u, _n = store.writer.call(
                    store.enroll_job(token, raw, f"pc-{i}", "linux", None, "agent")
                )
                agents.append((host_id, key))
        finally:
            store.close()
        _Hook.arrived = {}
        server = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), _Hook)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(hook_tls.server_cert, hook_tls.server_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(hook_tls.ca_cert)}
        log = (root / "serve.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "canh", "collector", "serve", "--data-dir", str(root / "c")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            client = Collector(settings.url, (root / "c" / "tls" / "ca.pem").read_text())
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.request("GET", "/readyz")
                    break
                except (CollectorUnavailable, CollectorRefused):
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("collector did not start") from None
                    time.sleep(0.2)
            sent: dict[str, float] = {}
            for host_id, key in agents:
                body = _report(host_id, 1)
                headers = signing.sign(key, host_id, "POST", PATH, 1, body)
                sent[host_id] = time.monotonic()
                client.request("POST", PATH, body, headers)
                time.sleep(0.1)
            wait_until = time.monotonic() + 30
            while len(_Hook.arrived) < len(sent) and time.monotonic() < wait_until:
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
            server.shutdown()
            server.server_close()
    delays = sorted(_Hook.arrived[h] - t for h, t in sent.items() if h in _Hook.arrived)
    missing = len(sent) - len(delays)
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))] if delays else float("inf")
    return [
        Result(
            f"alerts: report → delivered alert, p99 of {len(sent)}",
            round(p99, 3),
            "s",
            target="≤ 5 s, none lost",
            met=p99 <= 5.0 and missing == 0,
        )
    ]


def run() -> list[Result]:
    """Both measurements."""
    return bench_metrics() + bench_alert_latency()
