"""Linux parsers against captured output and fixture trees (Debian, Ubuntu, RHEL)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.linux import network, ports, system

FIXTURES = Path(__file__).parent.parent / "fixtures" / "linux"


@pytest.mark.parametrize(
    ("distro", "os_id", "version", "pretty"),
    [
        ("debian12", "debian", "12", "Debian GNU/Linux 12 (bookworm)"),
        ("ubuntu2204", "ubuntu", "22.04", "Ubuntu 22.04.4 LTS"),
        ("rhel9", "rhel", "9.3", "Red Hat Enterprise Linux 9.3 (Plow)"),
    ],
)
def test_os_release(distro: str, os_id: str, version: str, pretty: str) -> None:
    """ID, VERSION_ID and PRETTY_NAME are read with their quotes removed."""
    parsed = system.parse_os_release((FIXTURES / distro / "os-release").read_text())
    assert (parsed["ID"], parsed["VERSION_ID"], parsed["PRETTY_NAME"]) == (os_id, version, pretty)


def test_cpuinfo_counts_cores_and_threads() -> None:
    """Two physical cores with hyper-threading: 2 cores, 4 threads."""
    model, cores, threads = system.parse_cpuinfo((FIXTURES / "cpuinfo-2core.txt").read_text())
    assert model == "Intel(R) Core(TM) i3-2120 CPU @ 3.30GHz"
    assert (cores, threads) == (2, 4)


def test_meminfo_and_placeholders() -> None:
    """MemTotal in bytes; DMI placeholders are unknown, real serials kept."""
    assert system.parse_meminfo("MemTotal:        8029480 kB\nMemFree: 1 kB\n") == 8029480 * 1024
    assert system.parse_meminfo("nothing") is None
    assert system.clean_dmi("To be filled by O.E.M.\n") is None
    assert system.clean_dmi("Default string") is None
    assert system.clean_dmi(" PF2ABCDE \n") == "PF2ABCDE"


def test_df_keeps_real_filesystems() -> None:
    """Virtual file systems are dropped; mount points with spaces survive."""
    disks = system.parse_df((FIXTURES / "df.txt").read_text())
    assert [d.mountpoint for d in disks] == ["/", "/boot/efi", "/srv/backup disk"]
    assert disks[0].size_bytes == 250375106560
    # rounded down to 1% of the size, so the section hash is stable between reports
    assert disks[0].free_bytes == 175262574550  # 177436368896 down to a multiple of 2503751065


def test_ss_listeners() -> None:
    """TCP LISTEN and UDP UNCONN sockets with scope and process; established ones ignored."""
    found = {
        (x.proto, x.address, x.port): x
        for x in ports.parse_ss((FIXTURES / "ss-server.txt").read_text())
    }
    assert found["tcp", "0.0.0.0", 23].scope == "all"
    assert found["tcp", "0.0.0.0", 23].process == "inetd"
    assert found["tcp", "127.0.0.1", 3306].scope == "loopback"
    assert found["tcp", "192.0.2.10", 80].scope == "specific"
    assert found["tcp", "192.0.2.10", 80].pid == 830
    assert found["tcp", "*", 445].scope == "all"
    assert found["tcp", "::", 22].scope == "all"
    assert found["tcp", "fe80::1", 8080].process is None
    assert found["udp", "0.0.0.0", 161].process == "snmpd"
    assert not any(x.port == 50000 for x in found.values())
    assert len(found) == 10


def test_ip_addr_interfaces() -> None:
    """Interfaces with MAC (not for loopback), addresses, prefix and wireless flag."""
    interfaces = network.parse_ip_addr(
        (FIXTURES / "ip-addr.json").read_text(), wireless=frozenset({"wlp2s0"})
    )
    by_name = {i.name: i for i in interfaces}
    assert by_name["lo"].loopback and by_name["lo"].mac is None
    eth = by_name["enp3s0"]
    assert eth.mac == "3c:97:0e:12:34:56" and eth.up
    assert [(a.address, a.prefix, a.family) for a in eth.addresses] == [
        ("192.0.2.10", 24, "ipv4"),
        ("fe80::3e97:eff:fe12:3456", 64, "ipv6"),
    ]
    assert by_name["wlp2s0"].wireless and not by_name["wlp2s0"].up


def test_resolv_conf_and_routes() -> None:
    """Name servers and default gateways."""
    assert network.parse_resolv_conf(
        "# x\nnameserver 192.0.2.53\nsearch lan\nnameserver ::1\n"
    ) == ["192.0.2.53", "::1"]
    assert network.parse_ip_route('[{"dst":"default","gateway":"192.0.2.1","dev":"eth0"}]') == [
        "192.0.2.1"
    ]


@given(st.text(max_size=2000))
def test_parsers_never_crash_on_garbage(text: str) -> None:
    """Odd output yields fewer facts, never an exception other than the named one."""
    system.parse_os_release(text)
    system.parse_cpuinfo(text)
    system.parse_meminfo(text)
    system.parse_df(text)
    ports.parse_ss(text)
    network.parse_resolv_conf(text)
    with contextlib.suppress(network.FactError):
        network.parse_ip_addr(text)
