"""Which Windows gatherer serves which section; ``agent.sections`` loads this on Windows only."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from agent.host import Host
from agent.windows import (
    accounts,
    antivirus,
    endpoint,
    eventlog,
    firewall,
    network,
    patches,
    ports,
    remote,
    software,
    system,
)

GATHERERS: dict[str, Callable[[Host], msgspec.Struct]] = {
    "system": system.gather_system,
    "hardware": system.gather_hardware,
    "network": network.gather_network,
    "ports": ports.gather_ports,
    "software": software.gather_software,
    "antivirus": antivirus.gather_antivirus,
    "patches": patches.gather_patches,
    "accounts": accounts.gather_accounts,
    "firewall": firewall.gather_firewall,
    "remote_access": remote.gather_remote_access,
    "logging": eventlog.gather_logging,
    "endpoint": endpoint.gather_endpoint,
}
