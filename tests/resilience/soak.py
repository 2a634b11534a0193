"""The soak: a real collector and a real ``canh agent run`` side by side for a while, under a steady
stream of signed reports from simulated agents, API reads and /metrics scrapes, with the RSS of
both processes sampled from /proc. Used by tests/resilience/test_soak.py (10 minutes in CI) and
bench/resilience.py (longer)."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.resilience.support import (
    INGEST,
    PYTHON,
    Client,
    Reports,
    SimAgent,
    agent_config,
    canh,
    enroll_agents,
    enrollment_bundle,
    init_collector,
    launch_collector,
    rss_mb,
    slope_per_minute,
    stored_reports,
)

SIM_AGENTS = 50
RATE = 20.0  # simulated reports per second
SAMPLE_EVERY = 5.0


@dataclass(frozen=True, slots=True)
class SoakResult:
    """What a soak measured."""

    seconds: float
    warmup: float
    collector_slope: float  # MB per minute after warm-up
    agent_slope: float
    collector_rss: tuple[float, float]  # (after warm-up, at the end), MB
    agent_rss: tuple[float, float]
    sent: int
    stored: int
    agent_rounds: int
    errors: list[str]


def _load(
    client: Client,
    agents: list[SimAgent],
    reports: Reports,
    token: str,
    end: float,
    out: dict[str, int],
) -> None:
    """Signed reports at RATE per second (one in ten with changed ports, so checks and events
    run), an API read and a /metrics scrape every few seconds."""
    seqs = dict.fromkeys((a.agent_id for a in agents), 0)
    rng = random.Random(8)
    tick = 0
    next_at = time.monotonic()
    while time.monotonic() < end:
        agent = agents[tick % len(agents)]
        seqs[agent.agent_id] += 1
        seq = seqs[agent.agent_id]
        # One report in ten changes a section: new hash, change event, re-evaluation.
        body = reports.body(agent.agent_id, seq, seq if rng.random() < 0.1 else 0)
        try:
            answer = client.request("POST", INGEST, body, agent.sign(seq, body))
            out["sent"] += answer.status == 200
            out["refused"] += answer.status != 200
        except OSError:
            out["refused"] += 1
        if tick % int(RATE * SAMPLE_EVERY) == 0:
            try:
                reads = [client.get("/metrics"), client.get("/api/v1/hosts?limit=50", token)]
                out["refused"] += sum(answer.status != 200 for answer in reads)
            except OSError:
                out["refused"] += 1
        tick += 1
        next_at += 1 / RATE
        time.sleep(max(0.0, next_at - time.monotonic()))


def run_soak(workdir: Path, seconds: float, warmup: float) -> SoakResult:
    """Run the soak for ``seconds`` and fit RSS slopes over the samples after ``warmup``."""
    data = workdir / "collector"
    agent_dir = workdir / "agent"
    init_collector(data)
    bundle = enrollment_bundle(data)
    sims = enroll_agents(data / "canh.db", SIM_AGENTS, "soak")
    collector = launch_collector(data)
    agent: subprocess.Popen[bytes] | None = None
    errors: list[str] = []
    counts = {"sent": 0, "refused": 0}
    samples: dict[str, list[tuple[float, float]]] = {"collector": [], "agent": []}
    try:
        enrolled = canh("agent", "enroll", bundle, "--data-dir", str(agent_dir))
        assert enrolled.returncode == 0, enrolled.stderr
        config = agent_config(workdir / "agent.toml", interval_seconds=30)
        with (workdir / "agent.log").open("ab") as log:
            agent = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "canh",
                    "agent",
                    "run",
                    "--data-dir",
                    str(agent_dir),
                    "--config",
                    str(config),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        client = Client(collector.url, collector.ca_pem)
        token = client.login("admin", "correct-horse-battery-staple")
        started = time.monotonic()
        end = started + seconds
        load = threading.Thread(
            target=_load, args=(client, sims, Reports(), token, end, counts), daemon=True
        )
        load.start()
        while time.monotonic() < end:
            now = time.monotonic() - started
            for name, proc in (("collector", collector.proc), ("agent", agent)):
                if proc.poll() is not None:
                    errors.append(f"{name} exited with {proc.returncode}")
                    end = 0
                else:
                    samples[name].append((now, rss_mb(proc.pid)))
            time.sleep(SAMPLE_EVERY)
        load.join(timeout=60)
    finally:
        if agent is not None and agent.poll() is None:
            agent.terminate()
            try:
                agent.wait(timeout=20)
            except subprocess.TimeoutExpired:
                agent.kill()
        collector.stop()
    host = json.loads((agent_dir / "state.json").read_text())["agent_id"]
    rounds = sum(1 for h, _s in stored_reports(data / "canh.db") if h == host)
    stored = len(stored_reports(data / "canh.db")) - rounds
    if counts["refused"]:
        errors.append(f"{counts['refused']} simulated requests failed or were refused")
    after = {k: [(t, v) for t, v in s if t >= warmup] for k, s in samples.items()}
    return SoakResult(
        seconds=seconds,
        warmup=warmup,
        collector_slope=slope_per_minute(after["collector"]),
        agent_slope=slope_per_minute(after["agent"]),
        collector_rss=(after["collector"][0][1], after["collector"][-1][1]),
        agent_rss=(after["agent"][0][1], after["agent"][-1][1]),
        sent=counts["sent"],
        stored=stored,
        agent_rounds=rounds,
        errors=errors,
    )
