"""Windows inventory parsers over captured PowerShell JSON: four machines and a Vietnamese one."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest

from agent.host import FactError
from agent.windows import endpoint, system
from agent.windows.powershell import command_line, parse_output
from tests.agent.windows_cases import CASES, FIXTURES, PARSERS, parse, utc


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("section", sorted(PARSERS))
def test_every_parser_over_every_case(case: str, section: str) -> None:
    """Each section parses and survives strict decoding with its hash-relevant encoding intact."""
    facts = parse(case, section)
    encoded = msgspec.json.encode(facts)
    assert msgspec.json.encode(msgspec.json.decode(encoded, type=type(facts))) == encoded


def test_system_identity_and_role() -> None:
    """ProductType gives the role; Caption (not ProductName) names Windows 11; build with UBR."""
    w10 = parse("win10-workstation", "system")
    assert (w10.hostname, w10.domain, w10.domain_joined, w10.role) == (
        "PC-KT-01",
        "soyte.local",
        True,
        "workstation",
    )
    assert (w10.os_version, w10.os_build, w10.arch, w10.os_edition) == (
        "22H2",
        "19045.6456",
        "x86_64",
        "Professional",
    )
    assert w10.fqdn == "PC-KT-01.soyte.local" and w10.boot_time == utc("2026-11-22T00:31:04")
    w11 = parse("win11-thirdparty-av", "system")
    assert (
        w11.os_name == "Microsoft Windows 11 Pro"
        and w11.domain == "WORKGROUP"
        and w11.domain_joined is False
    )
    s19 = parse("server2019", "system")
    assert (s19.role, s19.role_source, s19.os_version) == ("server", "os", "1809")
    s22 = parse("server2022-defender-off", "system")
    assert s22.boot_time == utc("2026-10-31T23:12:33.5") and s22.installed_at == utc(
        "2023-02-20T07:05:10"
    )
    assert s22.services_running is not None and "sshd" in s22.services_running


def test_hardware_disks_and_placeholders() -> None:
    """SSD/HDD per drive through its disk number; placeholder serials are unknown."""
    w10 = parse("win10-workstation", "hardware")
    assert {d.device: d.kind for d in w10.disks} == {"C:": "ssd", "D:": "hdd"}
    assert (w10.serial, w10.cpu_cores, w10.chassis) == ("7XK2QB3", 4, "desktop")
    assert w10.disks[0].free_bytes == 38 * 2547211264  # rounded down to 1% of the size
    s19 = parse("server2019", "hardware")
    assert (s19.cpu_cores, s19.cpu_threads, s19.chassis) == (4, 4, "virtual")
    assert {d.kind for d in s19.disks} == {"unknown"}
    s22 = parse("server2022-defender-off", "hardware")
    assert s22.serial is None and s22.chassis == "server" and s22.disks[0].kind == "ssd"
    assert parse("win11-thirdparty-av", "hardware").chassis == "laptop"


def test_network_wifi_and_dns() -> None:
    """Wireless by NDIS medium, SSID from netsh, IPv6 DNS added from Get-DnsClientServerAddress."""
    w11 = parse("win11-thirdparty-av", "network")
    wifi = next(i for i in w11.interfaces if i.name == "Wi-Fi")
    assert wifi.wireless and wifi.up and wifi.mac == "a4:c3:f0:11:22:33"
    assert [(a.address, a.prefix) for a in wifi.addresses] == [
        ("10.1.20.57", 23),
        ("fe80::8d4c:2a1b:9e3f:4d21", 64),
    ]
    assert w11.wifi_ssid == "SYT-VanPhong" and w11.dns_servers == ["10.1.0.10", "2001:db8:10::53"]
    w10 = parse("win10-workstation", "network")
    assert w10.wifi_ssid is None and w10.gateways == ["203.0.113.1"]


def test_vietnamese_netsh() -> None:
    """Translated labels around it, the SSID line still reads the same."""
    vi = parse("win10-vi", "network")
    assert vi.wifi_ssid == "TTYT-HuyenA_KhoaDuoc"


def test_ports_with_processes() -> None:
    """Listeners with owning process name and path, PID 4 as System, scope classified."""
    found = {
        (x.proto, x.address, x.port): x for x in parse("server2022-defender-off", "ports").listening
    }
    assert found["tcp", "0.0.0.0", 1433].process == "sqlservr.exe"
    assert found["tcp", "0.0.0.0", 445].process == "System"
    assert found["tcp", "0.0.0.0", 22].exe == "C:\\Windows\\System32\\OpenSSH\\sshd.exe"
    w10 = {(x.proto, x.port): x for x in parse("win10-workstation", "ports").listening}
    assert w10["tcp", 5939].scope == "loopback" and w10["tcp", 139].scope == "specific"


def test_software_views_merged() -> None:
    """HKLM 64/32 and per-user entries merge by name and version; AppX publisher from O=."""
    packages = parse("win10-workstation", "software").packages
    chrome = [p for p in packages if p.name == "Google Chrome"]
    assert len(chrome) == 1
    misa = next(p for p in packages if p.name.startswith("Phần mềm kế toán"))
    assert misa.arch == "x86" and misa.publisher == "MISA JSC"
    calc = next(
        p for p in packages if p.source == "appx" and p.name == "Microsoft.WindowsCalculator"
    )
    assert (calc.publisher, calc.arch) == ("Microsoft Corporation", "x64")
    s22 = parse("server2022-defender-off", "software")
    assert any("Appx" in n for n in s22.notes) and len(s22.packages) == 2


def test_machine_lock_limits_users() -> None:
    """InactivityTimeoutSecs caps a longer or missing user screen saver."""
    assert endpoint.screen_lock(600, [900, 0]) == (600, True)
    assert endpoint.screen_lock(None, [300, 0]) == (0, False)
    assert endpoint.screen_lock(None, []) == (None, None)


def test_runner_encodes_a_fixed_script() -> None:
    """The command line carries the script base64-encoded (UTF-16LE), never as raw text."""
    argv = command_line(system.SYSTEM_SCRIPT)
    assert (
        argv[:3] == ["powershell.exe", "-NoProfile", "-NonInteractive"]
        and argv[-2] == "-EncodedCommand"
    )
    script = base64.b64decode(argv[-1]).decode("utf-16-le")
    assert "Win32_OperatingSystem" in script and "ConvertTo-Json -Depth 5 -Compress" in script


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "printed nothing"), ("[1, 2]", "expected an object"), ("{oops", "malformed JSON")],
)
def test_runner_output_errors(text: str, reason: str) -> None:
    """Odd runner output becomes a FactError with a short reason."""
    with pytest.raises(FactError, match=reason):
        parse_output(text)


def test_fixtures_are_what_powershell_51_prints() -> None:
    """The 5.1 captures keep PowerShell's escaped date form; the 7 captures use ISO strings."""
    raw51 = (FIXTURES / "win10-workstation" / "system.json").read_text()
    raw7 = (FIXTURES / "server2022-defender-off" / "system.json").read_text()
    assert '"\\/Date(' in raw51 and "/Date(" not in raw7
    assert json.loads(raw51)["OS"]["LastBootUpTime"].startswith("/Date(")
