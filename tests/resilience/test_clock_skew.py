"""An agent whose clock is an hour off (libfaketime): a clear refusal that the collector counts and
the agent explains, reports kept in the spool, and delivery once the clock is right again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.config import AgentSettings
from agent.service import status
from agent.state import StateStore
from tests.resilience.support import (
    Client,
    agent_once,
    canh,
    enrollment_bundle,
    init_collector,
    launch_collector,
    metric,
    stored_reports,
)

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
pytestmark = [
    pytest.mark.real,
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not LIBFAKETIME.exists() or shutil.which("faketime") is None,
        reason="needs Debian's faketime package",
    ),
]


def skewed(offset: str) -> dict[str, str]:
    """Environment that runs a process with its wall clock shifted (monotonic clocks untouched)."""
    return {
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": offset,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def test_skewed_agent_is_refused_clearly_and_delivers_after_fix(tmp_path: Path) -> None:
    """+1 h: 401 clock_skew counted in /metrics, status says to fix time sync, reports stay
    spooled; -1 h: the same advice (the certificate looks not yet valid); fixed: all delivered."""
    data = tmp_path / "collector"
    agent_dir = tmp_path / "agent"
    init_collector(data)
    bundle = enrollment_bundle(data)
    collector = launch_collector(data)
    settings = AgentSettings(data_dir=str(agent_dir))
    try:
        assert canh("agent", "enroll", bundle, "--data-dir", str(agent_dir)).returncode == 0
        host = StateStore(agent_dir).load().agent_id
        first = agent_once(agent_dir)
        assert first.returncode == 0 and first.seq == 1, first.stdout + first.stderr
        built = [1]
        for waiting in (1, 2):
            run = agent_once(agent_dir, env=skewed("+1h"))
            assert run.returncode == 1 and run.seq is not None, run.stdout + run.stderr
            built.append(run.seq)
            info = status(settings)
            assert info["spool_depth"] == waiting, info
            message = str(info["last_error"])
            assert "clock" in message and "time synchronisation" in message, message
            assert "clock_skew" in message and f"{waiting} report(s) are kept" in message
        text = Client(collector.url, collector.ca_pem).get("/metrics").body.decode()
        assert metric(text, "canh_ingest_rejected_total", reason="clock_skew") == 2
        run = agent_once(agent_dir, env=skewed("-1h"))
        assert run.returncode == 1 and run.seq is not None, run.stdout + run.stderr
        built.append(run.seq)
        info = status(settings)
        assert info["spool_depth"] == 3, info
        assert "time synchronisation" in str(info["last_error"]), info
        assert info["dropped_reports"] == 0
        fixed = agent_once(agent_dir)
        assert fixed.returncode == 0 and fixed.seq is not None, fixed.stdout + fixed.stderr
        built.append(fixed.seq)
        assert "sent 4, waiting 0" in fixed.stdout
    finally:
        collector.stop()
    assert stored_reports(data / "canh.db") == [(host, seq) for seq in built]
    assert status(settings)["last_error"] is None
