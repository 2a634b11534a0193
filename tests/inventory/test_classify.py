"""The device-type guess, as a table."""

from __future__ import annotations

import pytest

from inventory.classify import guess_type
from inventory.model import DeviceType, Proto


def tcp(*ports: int) -> set[tuple[Proto, int]]:
    return {("tcp", p) for p in ports}


SNMP: set[tuple[Proto, int]] = {("udp", 161)}


@pytest.mark.parametrize(
    ("ports", "vendor", "expected"),
    [
        (tcp(9100), None, "printer"),
        (tcp(80, 443, 631), "Hewlett Packard", "printer"),
        (tcp(515) | SNMP, "Kyocera Corporation", "printer"),
        (tcp(22, 23) | SNMP, "Cisco Systems, Inc", "network_device"),
        (tcp(443), "Ubiquiti Inc", "network_device"),
        (SNMP, "MikroTik", "network_device"),
        (tcp(23) | SNMP, None, "network_device"),
        (tcp(22), "Cisco Systems, Inc", "network_device"),
        (tcp(554, 80), "Hangzhou Hikvision Digital Technology Co.,Ltd.", "camera"),
        (tcp(135, 139, 445, 3389), "Dell Inc.", "windows_pc"),
        (tcp(139, 445), None, "windows_pc"),
        (tcp(5985), None, "windows_pc"),
        (tcp(22), "Intel Corporate", "linux_server"),
        (tcp(22, 80, 443, 3306), None, "linux_server"),
        (tcp(22, 445), None, "linux_server"),
        (tcp(80, 443), None, "unknown"),
        (set(), None, "unknown"),
        (SNMP, "Intel Corporate", "unknown"),
    ],
)
def test_guess(ports: set[tuple[Proto, int]], vendor: str | None, expected: DeviceType) -> None:
    """Ports and vendor give the expected kind; the first matching rule wins."""
    assert guess_type(ports, vendor) == expected
