"""Reconnect storm: thousands of enrolled identities come back at once with full signed reports.
The collector sheds load with 429 + Retry-After, /healthz and /metrics keep answering within 1 s,
and agents that honour Retry-After get every report stored exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resilience.storm import run_storm

pytestmark = [pytest.mark.real, pytest.mark.slow]
AGENTS = 2000
CONNECTIONS = 128  # agents reconnecting at the same moment
DEADLINE_SECONDS = 240


@pytest.mark.timeout(DEADLINE_SECONDS + 120)
def test_reconnect_storm_sheds_load_and_stays_responsive(tmp_path: Path) -> None:
    """2000 agents at once against max_queue_depth=10: 429s with Retry-After, health and metrics
    under 1 s throughout, and afterwards each report stored exactly once."""
    result = run_storm(tmp_path, AGENTS, CONNECTIONS, DEADLINE_SECONDS)
    assert not result.other, result.other[:5]
    assert result.delivered == AGENTS and result.duplicates == 0
    assert result.shed > 0 and result.retry_after and min(result.retry_after) >= 1
    assert result.shed_counted == result.shed
    assert len(result.stored) == len(set(result.stored)) == AGENTS
    assert {h for h, _s in result.stored} == result.agent_ids
    assert result.probes and all(status == 200 for _p, status, _s in result.probes)
    assert result.slowest_probe < 1.0, sorted(result.probes, key=lambda p: -p[2])[:5]
    print(
        f"\nstorm: {AGENTS} agents, {result.shed} answered 429 (Retry-After "
        f"{sorted(result.retry_after)}), all stored once in {result.seconds:.1f} s; "
        f"{len(result.probes)} probes, slowest {result.slowest_probe * 1000:.0f} ms"
    )
