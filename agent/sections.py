"""The explicit registry of fact sections: which gatherer serves which section on which OS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from agent.host import Host
from agent.linux import network as linux_network
from agent.linux import ports as linux_ports
from agent.linux import system as linux_system

Gatherer = Callable[[Host], msgspec.Struct]


@dataclass(frozen=True, slots=True)
class SectionSource:
    """How one section is gathered; ``expensive`` sections are skipped under memory pressure."""

    name: str
    linux: Gatherer | None
    windows: Gatherer | None = None
    timeout: float = 30.0
    expensive: bool = False

    def gatherer(self, os_family: str) -> Gatherer | None:
        """The gatherer for this OS, or None when the section does not apply there."""
        return {"linux": self.linux, "windows": self.windows}.get(os_family)


SOURCES: tuple[SectionSource, ...] = (
    SectionSource("system", linux=linux_system.gather_system),
    SectionSource("hardware", linux=linux_system.gather_hardware),
    SectionSource("network", linux=linux_network.gather_network),
    SectionSource("ports", linux=linux_ports.gather_ports),
)
