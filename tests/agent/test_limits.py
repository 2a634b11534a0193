"""Self-limits: priority and the memory watchdog's degraded round."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agent import limits
from agent.gather import gather
from agent.host import LocalHost
from agent.sections import SOURCES


def test_over_ceiling_skips_expensive_sections() -> None:
    """Above the ceiling, expensive sections are reported as skipped, the rest gathered."""
    assert limits.over_ceiling(1) is True
    assert limits.over_ceiling(2**40) is False
    report = gather(LocalHost("linux"), "h_t", 1, skip_expensive=True)
    expensive = {s.name for s in SOURCES if s.expensive}
    for name, section in report.present().items():
        if name in expensive:
            assert section.status == "error" and "memory ceiling" in (section.error or "")
        else:
            assert section.status != "error" or "memory" not in (section.error or "")


def test_lower_priority_in_child() -> None:
    """The process ends at nice 19 and the idle I/O class (checked in a child, so the test
    runner keeps its priority)."""
    pid = os.fork()
    if pid == 0:
        limits.lower_priority()
        io_class = subprocess.run(
            ["ionice", "-p", str(os.getpid())], capture_output=True, text=True, check=False
        ).stdout.strip()
        os._exit(0 if os.nice(0) == 19 and io_class == "idle" else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_rss_and_release() -> None:
    """The resident size read from /proc matches VmRSS; releasing freed memory never grows it."""
    vm_rss = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) * 1024
    assert abs(limits.rss_bytes() - vm_rss) < 4 * 2**20
    garbage = [bytes(1000) for _ in range(20000)]
    before = limits.rss_bytes()
    del garbage
    limits.release_freed_memory()
    assert limits.rss_bytes() <= before
