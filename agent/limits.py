"""Self-limits: the agent yields the machine to its user and degrades instead of dying.

Low CPU and I/O priority for the whole process (children inherit it), and a memory ceiling:
above it the next round skips the expensive sections (software lists) and says so in the report.
"""

from __future__ import annotations

import logging
import os
import sys

import psutil

log = logging.getLogger("canh.agent")


def lower_priority() -> None:
    """Lowest CPU priority and idle I/O class, where the OS allows it."""
    proc = psutil.Process()
    try:
        if sys.platform.startswith("win"):
            proc.nice(psutil.IDLE_PRIORITY_CLASS)  # type: ignore[attr-defined]
        else:
            os.nice(19 - os.nice(0))
            if hasattr(psutil, "IOPRIO_CLASS_IDLE"):
                proc.ionice(psutil.IOPRIO_CLASS_IDLE)
    except (OSError, psutil.Error) as err:
        log.warning("could not lower priority: %s", err)


def rss_bytes() -> int:
    """This process's resident memory."""
    return int(psutil.Process().memory_info().rss)


def over_ceiling(ceiling: int) -> bool:
    """True when the agent uses more memory than its ceiling."""
    used = rss_bytes()
    if used > ceiling:
        log.warning(
            "agent uses %d MiB, over its %d MiB ceiling: skipping expensive sections",
            used // 2**20,
            ceiling // 2**20,
        )
        return True
    return False
