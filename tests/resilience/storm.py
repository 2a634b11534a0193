"""The reconnect storm: many enrolled identities send their full signed report at the same moment
against a collector with a small write queue, honour Retry-After, and a separate process times
/healthz and /metrics throughout. Used by tests/resilience/test_storm.py and bench/resilience.py."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.resilience.support import (
    INGEST,
    Client,
    Probe,
    Reports,
    SimAgent,
    enroll_agents,
    init_collector,
    launch_collector,
    metric,
    stored_reports,
)


@dataclass
class StormResult:
    """What the storm's clients, the probe and the store saw."""

    agents: int
    seconds: float = 0.0
    delivered: int = 0
    duplicates: int = 0
    shed: int = 0  # 429 answers
    shed_counted: float = 0.0  # canh_ingest_rejected_total{reason="overloaded"}
    retry_after: set[int] = field(default_factory=set)
    other: list[str] = field(default_factory=list)
    stored: list[tuple[str, int]] = field(default_factory=list)
    agent_ids: set[str] = field(default_factory=set)
    probes: list[tuple[str, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def slowest_probe(self) -> float:
        return max((s for _p, _status, s in self.probes), default=float("inf"))


def _come_back(
    client: Client, reports: Reports, agent: SimAgent, result: StormResult, end: float
) -> None:
    """One agent: send its full report; on 429/503 wait as told (plus jitter) and resend."""
    body = reports.body(agent.agent_id, 1)
    while time.monotonic() < end:
        try:
            answer = client.request("POST", INGEST, body, agent.sign(1, body))
        except OSError:
            time.sleep(random.uniform(0.5, 1.5))
            continue
        if answer.status == 200:
            with result.lock:
                result.delivered += 1
                result.duplicates += b'"duplicate":true' in answer.body
            return
        if answer.status in (429, 503):
            wait = int(answer.headers["retry-after"])
            with result.lock:
                result.shed += answer.status == 429
                result.retry_after.add(wait)
            time.sleep(wait * random.uniform(1.0, 1.5))
            continue
        with result.lock:
            result.other.append(f"{answer.status} {answer.body[:200]!r}")
        return


def run_storm(
    workdir: Path, agents: int, connections: int, deadline: float, max_queue_depth: int = 10
) -> StormResult:
    """``agents`` identities through ``connections`` concurrent clients, until all are stored or
    ``deadline`` seconds pass."""
    data = workdir / "collector"
    init_collector(data, max_queue_depth=max_queue_depth)
    sims = enroll_agents(data / "canh.db", agents)
    result = StormResult(agents, agent_ids={a.agent_id for a in sims})
    collector = launch_collector(data)
    reports = Reports()
    client = Client(collector.url, collector.ca_pem, timeout=30)
    probe = Probe(collector.url, data / "tls" / "ca.pem", ["/healthz", "/metrics"])
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(connections) as pool:
            end = started + deadline
            list(pool.map(lambda a: _come_back(client, reports, a, result, end), sims))
        result.seconds = time.monotonic() - started
        result.probes = probe.stop()
        text = client.get("/metrics").body.decode()
        result.shed_counted = metric(text, "canh_ingest_rejected_total", reason="overloaded")
    finally:
        probe.stop()
        collector.stop()
    result.stored = stored_reports(data / "canh.db")
    return result
