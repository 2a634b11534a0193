"""The agent against FusionInventory (Debian's fusioninventory-agent) on this machine.

One-shot inventory: ``canh agent once --dry-run`` (gather every section, print the report) against
``fusioninventory-agent --local DIR`` (gather, write the inventory file), both under GNU time for
wall time and peak RSS, median of several runs. Report sizes: a full report gzip-compressed and a
delta where nothing changed. Steady state: ``canh agent run`` at a 60 s interval against a real
collector for CANH_BENCH_AGENT_MINUTES (default 10), RSS and CPU sampled from /proc.
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.gather import gather
from agent.host import LocalHost
from bench.results import Result
from canh.contract.report import encode

RUNS = int(os.environ.get("CANH_BENCH_RUNS", "5"))
MINUTES = float(os.environ.get("CANH_BENCH_AGENT_MINUTES", "10"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _timed(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run under GNU time."""
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(
            ["/usr/bin/time", "-o", out.name, "-f", "%e %M", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=600,
        )
        wall, rss = out.read().split()[-2:]
    return float(wall), int(rss)


def _median_runs(argv: list[str]) -> tuple[float, float]:
    runs = [_timed(argv) for _ in range(RUNS)]
    return statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs) / 1024


def one_shot() -> list[Result]:
    """Wall time and peak RSS of a full one-shot inventory, canh vs FusionInventory."""
    if not shutil.which("fusioninventory-agent"):
        raise RuntimeError("apt-get install fusioninventory-agent time")
    with tempfile.TemporaryDirectory() as tmp:
        fi_wall, fi_rss = _median_runs(["fusioninventory-agent", "--local", tmp])
        canh_wall, canh_rss = _median_runs(
            [
                sys.executable,
                "-m",
                "canh",
                "agent",
                "once",
                "--dry-run",
                "--data-dir",
                str(Path(tmp) / "agent"),
            ]
        )
    return [
        Result(
            "agent one-shot inventory wall time",
            round(canh_wall, 2),
            "s",
            "fusioninventory-agent --local",
            round(fi_wall, 2),
            "≤ 0.5× peer",
            canh_wall <= 0.5 * fi_wall,
        ),
        Result(
            "agent one-shot inventory peak RSS",
            round(canh_rss, 1),
            "MiB",
            "fusioninventory-agent --local",
            round(fi_rss, 1),
            "≤ 0.5× peer",
            canh_rss <= 0.5 * fi_rss,
        ),
    ]


def sizes() -> list[Result]:
    """Full report compressed, and a delta when nothing changed."""
    host = LocalHost("linux")
    full = gather(host, "h_bench", 1)
    baseline = {n: s.hash for n, s in full.present().items() if s.status == "ok" and s.hash}
    delta = gather(host, "h_bench", 2, previous=baseline)
    full_kb = len(gzip.compress(encode(full))) / 1024
    delta_kb = len(encode(delta)) / 1024
    return [
        Result(
            "full report, gzip", round(full_kb, 1), "KiB", None, None, "≤ 64 KiB", full_kb <= 64
        ),
        Result(
            "delta report (nothing changed)",
            round(delta_kb, 2),
            "KiB",
            None,
            None,
            "≤ 4 KiB",
            delta_kb <= 4,
        ),
    ]


def _proc(pid: int) -> tuple[int, float]:
    """RSS in KiB and CPU seconds of a process and its reaped children."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return rss, (utime + stime + cutime + cstime) / CLK_TCK


def steady() -> list[Result]:
    """`canh agent run` at a 60 s interval against a real collector."""
    from tests.support import start_collector

    with tempfile.TemporaryDirectory() as tmp:
        running = start_collector(Path(tmp) / "collector")
        try:
            unit = running.api("POST", "/api/v1/units", {"name": "bench"})
            bundle = running.api("POST", f"/api/v1/units/{unit['id']}/tokens", {})["bundle"]
            agent_dir = Path(tmp) / "agent"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "canh",
                    "agent",
                    "enroll",
                    bundle,
                    "--data-dir",
                    str(agent_dir),
                ],
                check=True,
                capture_output=True,
            )
            config = Path(tmp) / "agent.toml"
            config.write_text(f'data_dir = "{agent_dir}"\ninterval_seconds = 60\n')
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "canh",
                    "agent",
                    "run",
                    "--config",
                    str(config),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                started = time.monotonic()
                time.sleep(15)  # first full round and imports settle
                _rss, cpu0 = _proc(proc.pid)
                t0 = time.monotonic()
                samples = []
                while time.monotonic() - started < MINUTES * 60:
                    time.sleep(5)
                    samples.append(_proc(proc.pid)[0])
                _rss, cpu1 = _proc(proc.pid)
                cpu_pct = 100 * (cpu1 - cpu0) / (time.monotonic() - t0)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        finally:
            running.stop()
    peak = max(samples) / 1024
    return [
        Result(
            f"agent steady RSS ({MINUTES:g} min, 60 s interval)",
            round(peak, 1),
            "MiB",
            None,
            None,
            "≤ 30 MiB",
            peak <= 30,
        ),
        Result(
            "agent mean CPU at 60 s interval",
            round(cpu_pct, 3),
            "% of a core",
            None,
            None,
            "≤ 0.5%",
            cpu_pct <= 0.5,
        ),
    ]


def run() -> list[Result]:
    """All agent measurements."""
    return [*one_shot(), *sizes(), *steady()]
