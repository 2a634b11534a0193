"""Collector down while a real agent keeps gathering: all arrives afterwards, in order, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import AgentSettings
from agent.service import status
from agent.state import StateStore
from tests.resilience.support import (
    agent_once,
    canh,
    enrollment_bundle,
    init_collector,
    launch_collector,
    stored_reports,
)

pytestmark = [pytest.mark.real, pytest.mark.slow, pytest.mark.timeout(300)]
OFFLINE_ROUNDS = 6


def test_reports_gathered_offline_arrive_in_order_exactly_once(tmp_path: Path) -> None:
    """Rounds run while the collector is stopped are all stored after it returns, in seq order,
    none twice, and the agent's spool ends empty with nothing dropped."""
    data = tmp_path / "collector"
    agent_dir = tmp_path / "agent"
    init_collector(data)
    bundle = enrollment_bundle(data)
    collector = launch_collector(data)
    try:
        enrolled = canh("agent", "enroll", bundle, "--data-dir", str(agent_dir))
        assert enrolled.returncode == 0, enrolled.stderr
        host = StateStore(agent_dir).load().agent_id
        sent: list[int] = []
        for _ in range(2):
            run = agent_once(agent_dir)
            assert run.returncode == 0 and run.seq is not None, run.stdout + run.stderr
            sent.append(run.seq)
        collector.stop()
        for waiting in range(1, OFFLINE_ROUNDS + 1):
            run = agent_once(agent_dir)
            assert run.returncode == 1 and run.seq is not None, run.stdout + run.stderr
            assert "Traceback" not in run.stderr
            assert f"waiting {waiting}" in run.stdout
            sent.append(run.seq)
        offline = status(AgentSettings(data_dir=str(agent_dir)))
        assert offline["spool_depth"] == OFFLINE_ROUNDS and offline["last_error"]
        collector = launch_collector(data)
        run = agent_once(agent_dir)
        assert run.returncode == 0 and run.seq is not None, run.stdout + run.stderr
        sent.append(run.seq)
        assert f"sent {OFFLINE_ROUNDS + 1}, waiting 0" in run.stdout
    finally:
        collector.stop()
    assert sent == sorted(set(sent))
    assert stored_reports(data / "canh.db") == [(host, seq) for seq in sent]
    after = status(AgentSettings(data_dir=str(agent_dir)))
    assert after["spool_depth"] == 0 and after["dropped_reports"] == 0
    assert after["last_error"] is None
