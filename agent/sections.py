"""The explicit registry of fact sections: their time limits and flags, and which gatherer
serves each on which OS (through the per-OS tables, loaded only on their OS).

Windows gatherers import nothing Windows-only: they run PowerShell through the :class:`Host`,
so their parsers are tested here on Linux against captured output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from agent.host import Host

Gatherer = Callable[[Host], msgspec.Struct]


def _gatherers(os_family: str) -> dict[str, Gatherer]:
    """The OS's gatherers by section, its modules imported on first use: a Linux agent never
    loads the Windows parsers (nor the other way round), which it would keep in memory."""
    if os_family == "linux":
        from agent.linux.gatherers import GATHERERS

        return GATHERERS
    if os_family == "windows":
        from agent.windows.gatherers import GATHERERS as WINDOWS

        return WINDOWS
    return {}


@dataclass(frozen=True, slots=True)
class SectionSource:
    """How one section is gathered; ``expensive`` sections are skipped under memory pressure,
    ``slow`` ones start first so that a round does not end waiting on them alone. The
    gatherers themselves are listed per OS in ``agent/linux/gatherers.py`` and
    ``agent/windows/gatherers.py``."""

    name: str
    timeout: float = 30.0
    expensive: bool = False
    slow: bool = False

    def gatherer(self, os_family: str) -> Gatherer | None:
        """The gatherer for this OS, or None when the section does not apply there."""
        return _gatherers(os_family).get(self.name)


# Each limit sits above its PowerShell script's own (60 s for most) so the script's clearer
# error wins; they include PowerShell's start-up (one to three seconds on an old office PC).
# patches waits for the Windows Update search job (90 s) and the activation query.
SOURCES: tuple[SectionSource, ...] = (
    SectionSource("system", timeout=75),
    SectionSource("hardware", timeout=75),
    SectionSource("network", timeout=75),
    SectionSource("ports", timeout=75),
    SectionSource("software", timeout=150, expensive=True),
    SectionSource("antivirus", timeout=100),
    # Reads every package list (Linux), searches Windows Update.
    SectionSource("patches", timeout=200, slow=True),
    SectionSource("accounts", timeout=75),
    SectionSource("firewall", timeout=75),
    SectionSource("remote_access", timeout=75),
    SectionSource("logging", timeout=100),
    SectionSource("endpoint", timeout=75),
)
