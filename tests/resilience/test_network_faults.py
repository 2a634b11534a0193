"""Loss, delay, jitter and reordering between a real agent and a real collector, each in its own
network namespace: every report is still delivered, exactly once, in order.

Topology (all addresses in 198.18.0.0/15, the benchmarking range, inside namespaces the test
makes and deletes): agent ns ``va`` 198.18.0.1 ⟷ relay ns (``vra`` ⟷ ``vrc``) ⟷ collector ns ``vc``
198.18.0.2. The relay forwards frames; the faults come from tc netem on its ports where the kernel
has sch_netem, else from the relay itself (tests/resilience/netem_relay.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.config import AgentSettings
from agent.service import status
from agent.state import StateStore
from tests.resilience.support import (
    PYTHON,
    agent_config,
    agent_once,
    canh,
    enrollment_bundle,
    init_collector,
    is_root,
    launch_collector,
    stored_reports,
)

pytestmark = [
    pytest.mark.real,
    pytest.mark.slow,
    pytest.mark.skipif(
        not is_root() or shutil.which("ip") is None or shutil.which("ethtool") is None,
        reason="needs root, iproute2 and ethtool for network namespaces",
    ),
]
AGENT_IP, COLLECTOR_IP = "198.18.0.1", "198.18.0.2"
LOSS, DELAY, JITTER, REORDER = 0.10, 0.050, 0.020, 0.25
ROUNDS = 8


def _ip(
    *args: str, netns: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=check)


def _in(netns: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", netns, *cmd],
        capture_output=True,
        text=True,
        timeout=30,
        check=check,
    )


def netem_available(netns: str, dev: str) -> bool:
    """Whether this kernel has sch_netem (tried on a device of the test's own namespace)."""
    probe = _in(
        netns, "tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", "1ms", check=False
    )
    if probe.returncode == 0:
        _in(netns, "tc", "qdisc", "del", "dev", dev, "root", check=False)
    return probe.returncode == 0


@dataclass
class Lab:
    """The three namespaces and the relay between them."""

    agent_ns: str
    relay_ns: str
    collector_ns: str
    relay: subprocess.Popen[str]
    kernel_netem: bool


@pytest.fixture
def lab() -> Iterator[Lab]:
    tag = f"{os.getpid() % 100000}"
    a, r, c = f"canh-a{tag}", f"canh-r{tag}", f"canh-c{tag}"
    relay: subprocess.Popen[str] | None = None
    try:
        for ns in (a, r, c):
            _ip("netns", "add", ns)
            _ip("link", "set", "lo", "up", netns=ns)
        _ip("link", "add", "va", "netns", a, "type", "veth", "peer", "name", "vra", "netns", r)
        _ip("link", "add", "vc", "netns", c, "type", "veth", "peer", "name", "vrc", "netns", r)
        _in(r, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        for ns, dev in ((a, "va"), (r, "vra"), (r, "vrc"), (c, "vc")):
            # Real checksums (the relay re-sends frames, so none may be left for "hardware") and
            # frames of one MTU, so loss and delay act per packet as on a real wire.
            _in(ns, "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off", "gro", "off")
            _ip("link", "set", dev, "up", netns=ns)
        _ip("addr", "add", f"{AGENT_IP}/24", "dev", "va", netns=a)
        _ip("addr", "add", f"{COLLECTOR_IP}/24", "dev", "vc", netns=c)
        kernel_netem = netem_available(r, "vra")
        faults = ["--seed", "4"]
        if kernel_netem:
            for dev in ("vra", "vrc"):
                _in(
                    r,
                    "tc",
                    "qdisc",
                    "add",
                    "dev",
                    dev,
                    "root",
                    "netem",
                    "loss",
                    f"{LOSS:.0%}",
                    "delay",
                    f"{DELAY * 1000:.0f}ms",
                    f"{JITTER * 1000:.0f}ms",
                    "reorder",
                    f"{REORDER:.0%}",
                )
        else:
            faults += ["--loss", str(LOSS), "--delay", str(DELAY), "--jitter", str(JITTER)]
            faults += ["--reorder", str(REORDER)]
        relay = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                r,
                PYTHON,
                "-m",
                "tests.resilience.netem_relay",
                "vra",
                "vrc",
                *faults,
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert relay.stdout is not None and relay.stdout.readline().strip() == "ready"
        yield Lab(a, r, c, relay, kernel_netem)
    finally:
        if relay is not None and relay.poll() is None:
            relay.terminate()
            try:
                relay.wait(timeout=10)
            except subprocess.TimeoutExpired:
                relay.kill()
        for ns in (a, r, c):
            _ip("netns", "del", ns, check=False)


@pytest.mark.timeout(420)
def test_lossy_reordering_link_still_delivers_everything_once(lab: Lab, tmp_path: Path) -> None:
    """10 % loss, 50 ± 20 ms delay and 25 % reordering both ways: the agent's reports all arrive,
    each stored once and in sequence order, nothing dropped from the spool."""
    data = tmp_path / "collector"
    agent_dir = tmp_path / "agent"
    init_collector(data, host=COLLECTOR_IP)
    bundle = enrollment_bundle(data, uses=5)
    config = agent_config(tmp_path / "agent.toml", request_timeout_seconds=15)
    collector = launch_collector(data, netns=lab.collector_ns)
    built: list[int] = []
    started = time.monotonic()
    try:
        for _attempt in range(5):  # an enrollment whose answer is lost is retried with a new use
            enrolled = canh(
                "agent",
                "enroll",
                bundle,
                "--data-dir",
                str(agent_dir),
                "--config",
                str(config),
                netns=lab.agent_ns,
            )
            if enrolled.returncode == 0:
                break
        assert enrolled.returncode == 0, enrolled.stderr
        host = StateStore(agent_dir).load().agent_id
        for _ in range(ROUNDS):
            run = agent_once(agent_dir, config, netns=lab.agent_ns, timeout=180)
            assert run.seq is not None and "Traceback" not in run.stderr, run.stdout + run.stderr
            built.append(run.seq)
        for _ in range(10):  # drain what a lost answer left behind
            if status(AgentSettings(data_dir=str(agent_dir)))["spool_depth"] == 0:
                break
            run = agent_once(agent_dir, config, netns=lab.agent_ns, timeout=180)
            assert run.seq is not None, run.stdout + run.stderr
            built.append(run.seq)
        elapsed = time.monotonic() - started
    finally:
        collector.stop()
        lab.relay.terminate()
        out, _ = lab.relay.communicate(timeout=10)
    counts = json.loads(out.strip().splitlines()[-1])
    final = status(AgentSettings(data_dir=str(agent_dir)))
    assert final["spool_depth"] == 0 and final["dropped_reports"] == 0, final
    assert stored_reports(data / "canh.db") == [(host, seq) for seq in built]
    if not lab.kernel_netem:
        assert counts["dropped"] > 0 and counts["reordered"] > 0, counts
    how = "tc netem" if lab.kernel_netem else "userspace relay, no sch_netem"
    print(
        f"\nnetwork faults ({how}): "
        f"{len(built)} reports built, {len(built)} stored once in order, {elapsed:.1f} s; "
        f"relay {counts}"
    )
