"""Captured Windows machines (PowerShell 5.1 and 7 JSON) shared by the Windows parser tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec

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
from agent.windows.powershell import parse_output

FIXTURES = Path(__file__).parent.parent / "fixtures" / "windows"
CASES = ("win10-workstation", "win11-thirdparty-av", "server2019", "server2022-defender-off")
TODAY = date(2026, 11, 22)
PARSERS: dict[str, Callable[[dict[str, Any]], msgspec.Struct]] = {
    "system": system.parse_system,
    "hardware": system.parse_hardware,
    "network": network.parse_network,
    "ports": ports.parse_ports,
    "software": software.parse_software,
    "antivirus": antivirus.parse_antivirus,
    "patches": lambda doc: patches.parse_patches(doc, TODAY),
    "accounts": accounts.parse_accounts,
    "firewall": firewall.parse_firewall,
    "remote_access": remote.parse_remote_access,
    "logging": eventlog.parse_logging,
    "endpoint": endpoint.parse_endpoint,
}


def load(case: str, section: str) -> dict[str, Any]:
    """A captured section, read the way the runner reads PowerShell's output."""
    return parse_output((FIXTURES / case / f"{section}.json").read_text(encoding="utf-8"))


def parse(case: str, section: str) -> Any:
    return PARSERS[section](load(case, section))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
