"""The explicit registry of fact sections: which gatherer serves which section on which OS.

Windows gatherers import nothing Windows-only: they run PowerShell through the :class:`Host`,
so their parsers are tested here on Linux against captured output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from agent.host import Host
from agent.linux import accounts as linux_accounts
from agent.linux import antivirus as linux_antivirus
from agent.linux import endpoint as linux_endpoint
from agent.linux import firewall as linux_firewall
from agent.linux import logs as linux_logs
from agent.linux import network as linux_network
from agent.linux import patches as linux_patches
from agent.linux import ports as linux_ports
from agent.linux import remote as linux_remote
from agent.linux import software as linux_software
from agent.linux import system as linux_system
from agent.windows import accounts as windows_accounts
from agent.windows import antivirus as windows_antivirus
from agent.windows import endpoint as windows_endpoint
from agent.windows import eventlog as windows_eventlog
from agent.windows import firewall as windows_firewall
from agent.windows import network as windows_network
from agent.windows import patches as windows_patches
from agent.windows import ports as windows_ports
from agent.windows import remote as windows_remote
from agent.windows import software as windows_software
from agent.windows import system as windows_system

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


# Each limit sits above its PowerShell script's own (60 s for most) so the script's clearer
# error wins; they include PowerShell's start-up (one to three seconds on an old office PC).
# patches waits for the Windows Update search job (90 s) and the activation query.
SOURCES: tuple[SectionSource, ...] = (
    SectionSource(
        "system",
        linux=linux_system.gather_system,
        windows=windows_system.gather_system,
        timeout=75,
    ),
    SectionSource(
        "hardware",
        linux=linux_system.gather_hardware,
        windows=windows_system.gather_hardware,
        timeout=75,
    ),
    SectionSource(
        "network",
        linux=linux_network.gather_network,
        windows=windows_network.gather_network,
        timeout=75,
    ),
    SectionSource(
        "ports", linux=linux_ports.gather_ports, windows=windows_ports.gather_ports, timeout=75
    ),
    SectionSource(
        "software",
        linux=linux_software.gather_software,
        windows=windows_software.gather_software,
        timeout=150,
        expensive=True,
    ),
    SectionSource(
        "antivirus",
        linux=linux_antivirus.gather_antivirus,
        windows=windows_antivirus.gather_antivirus,
        timeout=100,
    ),
    SectionSource(
        "patches",
        linux=linux_patches.gather_patches,
        windows=windows_patches.gather_patches,
        timeout=200,
    ),
    SectionSource(
        "accounts",
        linux=linux_accounts.gather_accounts,
        windows=windows_accounts.gather_accounts,
        timeout=75,
    ),
    SectionSource(
        "firewall",
        linux=linux_firewall.gather_firewall,
        windows=windows_firewall.gather_firewall,
        timeout=75,
    ),
    SectionSource(
        "remote_access",
        linux=linux_remote.gather_remote_access,
        windows=windows_remote.gather_remote_access,
        timeout=75,
    ),
    SectionSource(
        "logging",
        linux=linux_logs.gather_logging,
        windows=windows_eventlog.gather_logging,
        timeout=100,
    ),
    SectionSource(
        "endpoint",
        linux=linux_endpoint.gather_endpoint,
        windows=windows_endpoint.gather_endpoint,
        timeout=75,
    ),
)
