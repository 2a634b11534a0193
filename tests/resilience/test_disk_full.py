"""Disk full on the agent (its data directory on a small tmpfs) and on the collector (its data
directory on a small tmpfs): the agent drops the oldest reports, counts them and never crashes;
the collector answers 503 with Retry-After, writes nothing half, and recovers by itself."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent.config import AgentSettings
from agent.service import status
from agent.state import StateStore
from tests.resilience.support import (
    INGEST,
    Client,
    Reports,
    SimAgent,
    agent_config,
    agent_once,
    canh,
    enroll_agents,
    enrollment_bundle,
    fill,
    init_collector,
    integrity,
    is_root,
    launch_collector,
    stored_reports,
    tmpfs,
)

pytestmark = [
    pytest.mark.real,
    pytest.mark.slow,
    pytest.mark.skipif(not is_root(), reason="mounting a tmpfs needs root"),
]
OFFLINE_ROUNDS = 10


@pytest.mark.timeout(300)
def test_agent_disk_full_drops_oldest_and_counts(tmp_path: Path) -> None:
    """With its data directory on a tmpfs that fills up (room for about three reports) while the
    collector is away, every round ends cleanly; the spool keeps the newest reports, drops the
    oldest, counts each drop and says why in the status; when the collector returns, the kept
    reports arrive in order."""
    data = tmp_path / "collector"
    init_collector(data)
    bundle = enrollment_bundle(data)
    config = agent_config(tmp_path / "agent.toml", spool_max_reports=1000)
    collector = launch_collector(data)
    try:
        with tmpfs("16m") as agent_dir:
            enrolled = canh("agent", "enroll", bundle, "--data-dir", str(agent_dir))
            assert enrolled.returncode == 0, enrolled.stderr
            host = StateStore(agent_dir).load().agent_id
            built = []
            run = agent_once(agent_dir, config)
            assert run.returncode == 0 and run.seq == 1, run.stdout + run.stderr
            built.append(run.seq)
            collector.stop()
            for _ in range(2):  # offline rounds that still fit: their size sets the squeeze
                run = agent_once(agent_dir, config)
                assert run.returncode == 1 and run.seq is not None, run.stdout + run.stderr
                built.append(run.seq)
            largest = max(p.stat().st_size for p in (agent_dir / "spool").glob("*.json"))
            fill(agent_dir, leave=3 * largest + 16 * 1024)
            for _ in range(OFFLINE_ROUNDS):
                run = agent_once(agent_dir, config)
                assert "Traceback" not in run.stderr, run.stderr
                assert run.returncode == 1 and run.seq is not None, run.stdout + run.stderr
                built.append(run.seq)
            full = status(AgentSettings(data_dir=str(agent_dir)))
            assert full["dropped_reports"] != 0, full
            assert "no space" in str(full["storage_error"]), full
            waiting = full["spool_depth"]
            assert isinstance(waiting, int) and 0 < waiting < OFFLINE_ROUNDS
            collector = launch_collector(data)
            # The first round back still starts on a full disk; the next one has room again.
            for _ in range(2):
                run = agent_once(agent_dir, config)
                assert run.seq is not None and "Traceback" not in run.stderr, run.stderr
                built.append(run.seq)
            assert run.returncode == 0, run.stdout + run.stderr
            after = status(AgentSettings(data_dir=str(agent_dir)))
    finally:
        collector.stop()
    stored = [seq for h, seq in stored_reports(data / "canh.db") if h == host]
    assert built == sorted(built) and stored[0] == 1
    kept = stored[1:]
    # The newest reports were kept, the oldest dropped: what arrived is a suffix of what was built.
    assert kept == built[-len(kept) :], (built, stored)
    assert after["dropped_reports"] == len(built) - len(stored), after
    assert after["spool_depth"] == 0 and after["storage_error"] is None, after
    print(
        f"\nagent disk full: {len(built)} built, {after['dropped_reports']} dropped, "
        f"{len(stored)} stored"
    )


@pytest.mark.timeout(300)
def test_collector_disk_full_503_then_recovers(tmp_path: Path) -> None:
    """With the collector's data directory full, ingest answers 503 + Retry-After (never 500),
    nothing refused is stored, the database stays intact, and ingest resumes once space is freed."""
    with tmpfs("24m") as data:
        init_collector(data)
        agents = enroll_agents(data / "canh.db", 60)
        collector = launch_collector(data, log=tmp_path / "serve.log")
        reports = Reports()
        client = Client(collector.url, collector.ca_pem)
        answers: dict[tuple[str, int], int] = {}
        pending = {a.agent_id: 1 for a in agents}  # like an agent's spool: resend until stored
        lock = threading.Lock()

        def send(agent: SimAgent) -> int:
            seq = pending[agent.agent_id]
            body = reports.body(agent.agent_id, seq)
            answer = client.request("POST", INGEST, body, agent.sign(seq, body))
            assert answer.status in (200, 503), answer.body
            if answer.status == 503:
                assert int(answer.headers["retry-after"]) > 0
                assert json.loads(answer.body)["detail"]["reason"] == "store_unavailable"
            else:
                pending[agent.agent_id] = seq + 1
            with lock:
                answers[(agent.agent_id, seq)] = answer.status
            return answer.status

        try:
            filler = fill(data, leave=640 * 1024)
            # Concurrent senders, so the disk fills up in the middle of multi-report batches.
            with ThreadPoolExecutor(8) as pool:
                for _round in range(40):
                    codes = list(pool.map(send, agents))
                    if codes.count(503) == len(codes):
                        break
            assert codes.count(503) == len(agents), "the disk never filled up"
            assert client.get("/healthz").status == 200
            acked = {k for k, v in answers.items() if v == 200}
            refused = len(answers) - len(acked)
            assert set(stored_reports(data / "canh.db")) == acked
            assert integrity(data / "canh.db") == "ok"
            filler.unlink()
            # Space is back: every refused report goes through on its resend, no manual repair.
            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(send, agents)) == {200}
        finally:
            collector.stop()
        stored = stored_reports(data / "canh.db")
        assert len(stored) == len(set(stored)) and set(stored) == set(answers)
        assert integrity(data / "canh.db") == "ok"
        failed = (tmp_path / "serve.log").read_text().count("not committed")
        print(
            f"\ncollector disk full: {len(acked)} stored before 503, {refused} refused then "
            f"stored, {failed} batches not committed"
        )
