"""Discovery for real: a scan run inside the lab's scanner namespace finds exactly what is there.

The lab (tests/inventory/lab.py) has five hosts on 198.18.0.0/24 with chosen MACs and services,
a routed branch on 198.18.1.0/24, and every other address unassigned.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.inventory.lab import (
    BRANCH,
    PRINTER,
    ROUTER,
    SERVER,
    SNMP_SYSDESCR,
    SWITCH,
    WINPC,
    Lab,
    LabHost,
)
from tests.inventory.sshd import Sshd

pytestmark = [pytest.mark.real, pytest.mark.slow]
ROOT = Path(__file__).parents[2]

CLI = (
    "import argparse, sys\n"
    "from inventory.cli import add_scan_parser\n"
    "parser = argparse.ArgumentParser(prog='canh')\n"
    "add_scan_parser(parser.add_subparsers())\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.handler(args))\n"
)
API = (
    "import sys, msgspec\n"
    "from inventory.discovery import scan\n"
    "from inventory.settings import ScanSettings\n"
    "from inventory.targets import parse_ports, parse_targets\n"
    "settings = msgspec.json.decode(sys.argv[3], type=ScanSettings)\n"
    "result = scan(parse_targets(sys.argv[1].split()), settings, parse_ports(sys.argv[2]))\n"
    "sys.stdout.buffer.write(msgspec.json.encode(result))\n"
)


def in_scanner(lab: Lab, code: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in the scanner namespace (its routes, its hosts file, its resolver)."""
    return subprocess.run(
        lab.exec_argv("scanner", [sys.executable, "-c", code, *argv]),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )


def expected_ports(host: LabHost) -> set[tuple[str, int]]:
    return {("tcp", p) for p in host.tcp} | {("udp", p) for p in host.udp}


@pytest.fixture(scope="module")
def devices(lab: Lab, lab_sshd: Sshd) -> dict[str, dict[str, Any]]:
    """One full scan of both lab subnets through the CLI, with banners, as JSON."""
    started = time.monotonic()
    result = in_scanner(
        lab,
        CLI,
        "scan",
        "198.18.0.0/24",
        "198.18.1.0/24",
        "--declared",
        "198.18.0.0/23",
        "--json",
        "--banner",
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60, f"scan took {elapsed:.1f} s"
    print(f"full scan of 508 addresses: {elapsed:.2f} s\n{result.stderr}")
    return {d["ip"]: d for d in json.loads(result.stdout)}


def test_exactly_the_live_hosts_answer(devices: dict[str, dict[str, Any]]) -> None:
    """Every lab host (and the router's far side) is found; no unassigned address, not us."""
    assert set(devices) == {
        PRINTER.ip,
        SERVER.ip,
        WINPC.ip,
        SWITCH.ip,
        ROUTER.ip,
        "198.18.1.1",
        BRANCH.ip,
    }


@pytest.mark.parametrize("host", [PRINTER, SERVER, WINPC, SWITCH, ROUTER], ids=lambda h: h.role)
def test_segment_hosts_by_arp_with_their_macs(
    devices: dict[str, dict[str, Any]], host: LabHost
) -> None:
    """Hosts of the local segment are found by ARP with the MAC set on their veth."""
    device = devices[host.ip]
    assert device["found_by"] == "arp" and device["mac"] == host.mac
    assert device["hostname"] == host.hostname


@pytest.mark.parametrize(
    ("host", "vendor"),
    [
        (PRINTER, "Hewlett Packard"),
        (SERVER, "Intel Corporate"),
        (WINPC, "Dell Inc."),
        (SWITCH, "Cisco Systems, Inc"),
        (ROUTER, None),
    ],
    ids=lambda v: v.role if isinstance(v, LabHost) else str(v),
)
def test_vendors_from_the_oui_table(
    devices: dict[str, dict[str, Any]], host: LabHost, vendor: str | None
) -> None:
    """Vendors come from the OUI table; the router's locally administered MAC has none."""
    assert devices[host.ip]["vendor"] == vendor


@pytest.mark.parametrize(
    "host", [PRINTER, SERVER, WINPC, SWITCH, ROUTER, BRANCH], ids=lambda h: h.role
)
def test_exact_open_ports(devices: dict[str, dict[str, Any]], host: LabHost) -> None:
    """The open ports are exactly the services the lab started (TCP, and SNMP on UDP)."""
    found = {(p["proto"], p["port"]) for p in devices[host.ip]["open_ports"]}
    assert found == expected_ports(host)


def test_routed_hosts_by_ping(devices: dict[str, dict[str, Any]]) -> None:
    """Beyond the router, hosts are found by ICMP/TCP ping and carry no MAC."""
    branch = devices[BRANCH.ip]
    assert branch["found_by"] in ("icmp", "tcp") and branch["mac"] is None
    assert branch["hostname"] == BRANCH.hostname and branch["type_guess"] == "linux_server"
    assert devices["198.18.1.1"]["open_ports"] == []


def test_snmp_default_community_is_flagged(devices: dict[str, dict[str, Any]]) -> None:
    """The printer's snmpd answers community "public": a finding-worthy fact."""
    printer = devices[PRINTER.ip]
    assert printer["snmp_public"] is True and printer["snmp_sysdescr"] == SNMP_SYSDESCR
    assert not any(d["snmp_public"] for ip, d in devices.items() if ip != PRINTER.ip)


def test_type_guesses(devices: dict[str, dict[str, Any]]) -> None:
    """Printer, Linux server, Windows PC and network device are told apart."""
    assert {ip: d["type_guess"] for ip, d in devices.items() if ip.startswith("198.18.0.")} == {
        PRINTER.ip: "printer",
        SERVER.ip: "linux_server",
        WINPC.ip: "windows_pc",
        SWITCH.ip: "network_device",
        ROUTER.ip: "unknown",
    }


def test_banners(devices: dict[str, dict[str, Any]]) -> None:
    """Banners of real sshd, http.server and a telnet-like greeting are read."""

    def banner(ip: str, port: int) -> str | None:
        return next(p["banner"] for p in devices[ip]["open_ports"] if p["port"] == port)

    assert (banner(SERVER.ip, 22) or "").startswith("SSH-2.0-OpenSSH_")
    assert banner(SWITCH.ip, 23) == "User Access Verification"
    assert (banner(PRINTER.ip, 80) or "").startswith("HTTP/1.0 200 OK; Server: SimpleHTTP/")
    assert banner(BRANCH.ip, 22) == BRANCH.banners[22]
    assert banner(SWITCH.ip, 443) is None  # TLS ports are not read in clear


def test_no_half_open_connections_left(lab: Lab, devices: dict[str, dict[str, Any]]) -> None:
    """After the SYN scan no listener holds a half-open connection from the scanner."""
    for host in (SERVER, WINPC, PRINTER):
        out = subprocess.run(
            lab.exec_argv(host.role, ["ss", "-Htn", "state", "syn-recv"]),
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
        assert out.strip() == ""


def test_out_of_scope_is_refused(lab: Lab) -> None:
    """A target outside the declared subnets is refused before any packet, with the reason."""
    result = in_scanner(lab, CLI, "scan", "198.18.1.0/24", "--declared", "198.18.0.0/24")
    assert result.returncode == 1 and result.stdout == ""
    assert "out of scope" in result.stderr and "198.18.0.0/24" in result.stderr


def test_invalid_entries_are_all_listed(lab: Lab) -> None:
    """Every invalid entry is named; nothing is scanned."""
    result = in_scanner(lab, CLI, "scan", "198.18.0.0/24", "printer-lab", "198.18.0.1/24")
    assert result.returncode == 1
    assert "'printer-lab': names are not resolved" in result.stderr
    assert "'198.18.0.1/24': host bits set" in result.stderr


def test_rate_cap_holds(lab: Lab) -> None:
    """At 400 packets per second a sweep of the segment cannot be faster than the cap allows."""
    settings = json.dumps({"rate_pps": 400, "retries": 0, "reverse_dns": False})
    started = time.monotonic()
    result = in_scanner(lab, API, "198.18.0.0/24", "22,80", settings)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    scan = json.loads(result.stdout)
    # 253 who-has, 5 hosts x 2 SYNs, and an RST for each of the 2 SYN-ACKs (22 on the server,
    # 80 on the printer); no SNMP since 161/udp is not in the list.
    assert scan["packets"] == 253 + 5 * 2 + 2
    assert elapsed >= (scan["packets"] - 8) / 400
    assert {d["ip"] for d in scan["devices"]} == {
        PRINTER.ip,
        SERVER.ip,
        WINPC.ip,
        SWITCH.ip,
        ROUTER.ip,
    }


def test_routes_are_the_kernels(lab: Lab) -> None:
    """Route lookups in the scanner namespace: on-link, via the router, its own, none."""
    code = (
        "import json, sys\n"
        "from inventory.routes import lookup\n"
        "print(json.dumps({ip: [r.kind, r.iface, r.src, r.gateway]"
        " for ip, r in lookup(sys.argv[1:]).items()}))\n"
    )
    result = in_scanner(lab, code, PRINTER.ip, BRANCH.ip, "198.18.0.1", "127.0.0.9", "192.0.2.1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        PRINTER.ip: ["link", "eth0", "198.18.0.1", None],
        BRANCH.ip: ["routed", "eth0", "198.18.0.1", ROUTER.ip],
        "198.18.0.1": ["self", None, None, None],
        "127.0.0.9": ["self", None, None, None],
        "192.0.2.1": ["none", None, None, None],  # the lab has no default route
    }
