"""Resilience over a longer run than CI affords: a soak (default 20 minutes) of a real collector and
agent with their memory slopes, and a bigger reconnect storm (default 5,000 agents) with its load
shedding and the slowest /healthz or /metrics answer. The short versions run in CI
(tests/resilience/test_soak.py, test_storm.py); the drivers are shared.

Needs root (it is the same machinery as the tests). ``CANH_BENCH_SOAK_SECONDS`` and
``CANH_BENCH_STORM_AGENTS`` shorten or lengthen it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.results import Result
from tests.resilience.soak import run_soak
from tests.resilience.storm import run_storm

SOAK_SECONDS = float(os.environ.get("CANH_BENCH_SOAK_SECONDS", "1200"))
STORM_AGENTS = int(os.environ.get("CANH_BENCH_STORM_AGENTS", "5000"))
STORM_CONNECTIONS = 192
MAX_SLOPE = 1.0  # MB/min, as in tests/resilience/test_soak.py


def run() -> list[Result]:
    """The long soak and the big storm."""
    results: list[Result] = []
    minutes = f"{SOAK_SECONDS / 60:.0f}-min soak"
    with tempfile.TemporaryDirectory(prefix="canh-soak-") as tmp:
        soak = run_soak(Path(tmp), SOAK_SECONDS, min(300.0, SOAK_SECONDS / 5))
    for name, slope, rss in (
        ("collector", soak.collector_slope, soak.collector_rss),
        ("agent", soak.agent_slope, soak.agent_rss),
    ):
        results.append(
            Result(
                f"{name} RSS slope after warm-up ({minutes}, {rss[1]:.0f} MB at end)",
                round(slope, 3),
                "MB/min",
                target=f"< {MAX_SLOPE:g} MB/min",
                met=slope < MAX_SLOPE and not soak.errors,
            )
        )
    results.append(
        Result(
            f"soak reports stored / accepted ({minutes}, {soak.agent_rounds} agent rounds)",
            soak.stored / max(1, soak.sent),
            "ratio",
            target="1 (none lost, none twice)",
            met=soak.stored == soak.sent and not soak.errors,
        )
    )
    with tempfile.TemporaryDirectory(prefix="canh-storm-") as tmp:
        storm = run_storm(Path(tmp), STORM_AGENTS, STORM_CONNECTIONS, deadline=900)
    exact = len(storm.stored) == len(set(storm.stored)) == STORM_AGENTS and not storm.other
    results += [
        Result(
            f"storm: {STORM_AGENTS} agents at once, 429 answers",
            storm.shed,
            "responses",
            target="> 0 (load shed, Retry-After honoured)",
            met=storm.shed > 0,
        ),
        Result(
            "storm: slowest /healthz or /metrics",
            round(storm.slowest_probe * 1000),
            "ms",
            target="< 1000 ms",
            met=storm.slowest_probe < 1.0,
        ),
        Result(
            "storm: reports stored exactly once",
            len(set(storm.stored)) / STORM_AGENTS,
            "ratio",
            target=f"1 in {storm.seconds:.0f} s",
            met=exact,
        ),
    ]
    return results
