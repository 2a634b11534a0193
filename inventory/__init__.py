"""Inventory: what has no agent. Discovery of devices on declared subnets (raw-socket probes;
scapy for the OUI table and SNMP answers) and agentless collection of the agent's Linux facts
over SSH (paramiko).

It imports nothing from ``collector``: agentless hosts enroll and report through the collector's
API like agents. Nothing happens at import: scapy is imported inside the scan (on a thread),
paramiko by the SSH modules only. The exceptions are drawn in :mod:`inventory.errors`.
"""

from inventory.errors import (
    AuthFailed,
    ConnectFailed,
    CredentialsError,
    HostKeyChanged,
    HostKeyRejected,
    InventoryError,
    ScanError,
    SshError,
    TargetError,
)
from inventory.model import Device, OpenPort, ScanResult
from inventory.settings import ScanSettings, SshSettings
from inventory.targets import CURATED_PORTS, PortSpec, TargetSet, parse_ports, parse_targets

__all__ = [
    "CURATED_PORTS",
    "AuthFailed",
    "ConnectFailed",
    "CredentialsError",
    "Device",
    "HostKeyChanged",
    "HostKeyRejected",
    "InventoryError",
    "OpenPort",
    "PortSpec",
    "ScanError",
    "ScanResult",
    "ScanSettings",
    "SshError",
    "SshSettings",
    "TargetError",
    "TargetSet",
    "parse_ports",
    "parse_targets",
]
