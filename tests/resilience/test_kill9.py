"""``kill -9`` of the collector during batched ingest and of the agent at random points: no
acknowledged report lost, nothing stored twice, nothing corrupt."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent.config import AgentSettings
from agent.service import status
from agent.spool import Spool
from agent.state import StateStore
from canh.contract import decode
from tests.resilience.support import (
    INGEST,
    PYTHON,
    Client,
    CollectorProcess,
    Reports,
    SimAgent,
    agent_once,
    canh,
    enroll_agents,
    enrollment_bundle,
    init_collector,
    integrity,
    launch_collector,
    metric,
    stored_reports,
)

pytestmark = [pytest.mark.real, pytest.mark.slow]
AGENTS = 120
REPORTS_EACH = 5
THREADS = 24
KILL_AFTER_ACKS = 200


class Ledger:
    """What the clients were told: acknowledged (agent, seq), and which before the kill."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: list[tuple[str, int]] = []
        self.duplicates = 0
        self.failures: list[str] = []
        self.killed = threading.Event()
        self.acked_before_kill: set[tuple[str, int]] = set()


def _deliver(
    client: Client, reports: Reports, agent: SimAgent, ledger: Ledger, deadline: float
) -> None:
    """One agent's reports in order; each resent (freshly signed) until acknowledged."""
    for seq in range(1, REPORTS_EACH + 1):
        body = reports.body(agent.agent_id, seq)
        while True:
            if time.monotonic() > deadline:
                with ledger.lock:
                    ledger.failures.append(f"{agent.agent_id}/{seq}: gave up")
                return
            try:
                answer = client.request("POST", INGEST, body, agent.sign(seq, body))
            except OSError:
                time.sleep(0.2)  # collector away: retry
                continue
            if answer.status == 200:
                with ledger.lock:
                    ledger.acked.append((agent.agent_id, seq))
                    ledger.duplicates += bool(json.loads(answer.body)["duplicate"])
                break
            if answer.status in (429, 503):
                time.sleep(0.2)
                continue
            with ledger.lock:
                ledger.failures.append(f"{agent.agent_id}/{seq}: {answer.status} {answer.body!r}")
            return


@pytest.fixture
def collector_dir(tmp_path: Path) -> Iterator[tuple[Path, list[SimAgent]]]:
    data = tmp_path / "collector"
    init_collector(data, batch_max=64)
    yield data, enroll_agents(data / "canh.db", AGENTS)


@pytest.mark.timeout(300)
def test_collector_kill9_during_batched_ingest(collector_dir: tuple[Path, list[SimAgent]]) -> None:
    """SIGKILL mid-ingest, restart, clients resend the unacknowledged: every acknowledged report
    is stored, none twice, and the database passes integrity_check."""
    data, agents = collector_dir
    db = data / "canh.db"
    collector: CollectorProcess = launch_collector(data)
    reports = Reports()
    ledger = Ledger()
    deadline = time.monotonic() + 180
    client = Client(collector.url, collector.ca_pem, timeout=20)
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(_deliver, client, reports, a, ledger, deadline) for a in agents]
            while len(ledger.acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
                time.sleep(0.01)
            collector.kill9()
            with ledger.lock:
                ledger.acked_before_kill = set(ledger.acked)
            committed_at_kill = set(stored_reports(db))
            assert integrity(db) == "ok"
            time.sleep(1)
            collector = launch_collector(data)
            for f in futures:
                f.result()
        text = client.get("/metrics").body.decode()
    finally:
        collector.stop()
    assert not ledger.failures, ledger.failures[:5]
    # The kill really came mid-ingest: reports were committed but never acknowledged.
    assert len(ledger.acked_before_kill) >= KILL_AFTER_ACKS
    assert ledger.acked_before_kill <= committed_at_kill
    expected = {(a.agent_id, seq) for a in agents for seq in range(1, REPORTS_EACH + 1)}
    stored = stored_reports(db)
    assert len(stored) == len(set(stored)) and set(stored) == expected
    assert sorted(ledger.acked) == sorted(expected)  # every report acknowledged exactly once
    for agent in agents:  # per agent, committed in sequence order
        seqs = [s for h, s in stored if h == agent.agent_id]
        assert seqs == sorted(seqs)
    assert integrity(db) == "ok"
    # After the restart, resends of what the dead process had committed were duplicates.
    resent_dups = metric(text, "canh_ingest_reports_total", outcome="duplicate")
    assert resent_dups == ledger.duplicates
    print(
        f"\nkill -9 collector: {len(ledger.acked_before_kill)} acknowledged before the kill, "
        f"{len(committed_at_kill)} committed, {ledger.duplicates} resends answered as duplicates"
    )


AGENT_KILLS = 20


def _check_agent_files(agent_dir: Path) -> set[int]:
    """State and every spooled report parse; returns the spooled sequence numbers."""
    store = StateStore(agent_dir)
    store.load()
    spooled = set()
    for seq, body in Spool(store.spool_dir, 2000, 1 << 30).pending():
        report = decode(body)
        assert report.seq == seq
        spooled.add(seq)
    return spooled


MODES = ("gather", "spool write", "send", "any time")


def _kill_at(
    proc: subprocess.Popen[bytes], agent_dir: Path, mode: str, seq: int, rng: random.Random
) -> bool:
    """SIGKILL the agent when its round reaches ``mode`` (watched on disk); True if killed."""
    state = agent_dir / "state.json"
    report = agent_dir / "spool" / f"{seq:020d}.json"
    partial = report.with_name(f".{report.name}.tmp")
    saved = state.stat().st_mtime_ns
    at = time.monotonic() + rng.uniform(0.2, 3.0)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if mode == "gather":  # the counter is saved: the report is being gathered
            hit = state.stat().st_mtime_ns != saved
        elif mode == "spool write":  # the report is being written (or just was)
            hit = partial.exists() or report.exists()
        elif mode == "send":  # spooled; the drain is connecting or sending
            hit = report.exists()
        else:
            hit = time.monotonic() >= at
        if hit:
            if mode in ("gather", "send"):
                time.sleep(rng.uniform(0, 0.05))
            proc.send_signal(signal.SIGKILL)
            return True
        time.sleep(0.0005)
    return False


@pytest.mark.timeout(600)
def test_agent_kill9_at_random_points(tmp_path: Path) -> None:
    """A real agent killed while gathering, while writing its spool, while sending, and at any
    time leaves parseable state and spool; afterwards every spooled report is stored once, in
    order, and nothing counts as dropped."""
    data = tmp_path / "collector"
    agent_dir = tmp_path / "agent"
    init_collector(data)
    bundle = enrollment_bundle(data)
    collector = launch_collector(data)
    rng = random.Random(9)
    spooled: set[int] = set()
    kills = dict.fromkeys(MODES, 0)
    try:
        enrolled = canh("agent", "enroll", bundle, "--data-dir", str(agent_dir))
        assert enrolled.returncode == 0, enrolled.stderr
        host = StateStore(agent_dir).load().agent_id
        first = agent_once(agent_dir)
        assert first.returncode == 0 and first.seq == 1, first.stdout + first.stderr
        for i in range(AGENT_KILLS):
            # A stretch of rounds with the collector away, so spooled reports pile up too.
            if i == AGENT_KILLS // 2:
                collector.stop()
            if i == AGENT_KILLS * 3 // 4:
                collector = launch_collector(data)
            mode = MODES[i % len(MODES)]
            seq = StateStore(agent_dir).load().next_seq
            proc = subprocess.Popen(
                [PYTHON, "-m", "canh", "agent", "once", "--data-dir", str(agent_dir)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            kills[mode] += _kill_at(proc, agent_dir, mode, seq, rng)
            proc.communicate(timeout=120)
            spooled |= _check_agent_files(agent_dir)
        assert all(kills[m] >= 2 for m in ("gather", "spool write", "send")), kills
        for _ in range(3):  # let it drain
            run = agent_once(agent_dir)
            assert run.returncode == 0, run.stdout + run.stderr
            spooled |= _check_agent_files(agent_dir)
    finally:
        collector.stop()
    store = StateStore(agent_dir)
    stored = [seq for h, seq in stored_reports(data / "canh.db") if h == host]
    assert stored == sorted(set(stored)), "out of order or twice"
    assert spooled <= set(stored), f"spooled but never stored: {sorted(spooled - set(stored))}"
    assert stored[0] == 1 and max(stored) < store.load().next_seq
    final = status(AgentSettings(data_dir=str(agent_dir)))
    assert final["spool_depth"] == 0 and final["dropped_reports"] == 0, final
    assert integrity(data / "canh.db") == "ok"
    print(f"\nkill -9 agent: kills by phase {kills}, {len(stored)} reports stored once, in order")
