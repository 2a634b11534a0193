"""Hypothesis over every Windows parser: arbitrary JSON and text in, facts or FactError out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.host import FactError
from agent.windows import accounts as w_accounts
from agent.windows import antivirus as w_antivirus
from agent.windows import endpoint as w_endpoint
from agent.windows import eventlog as w_eventlog
from agent.windows import firewall as w_firewall
from agent.windows import network as w_network
from agent.windows import patches as w_patches
from agent.windows import ports as w_ports
from agent.windows import remote as w_remote
from agent.windows import software as w_software
from agent.windows import system as w_system
from agent.windows.powershell import parse_output, ps_datetime
from canh.contract import facts as contract
from tests.agent.fuzzing import JSON, TEXT, valid

WINDOWS: dict[Callable[[dict[str, Any]], msgspec.Struct], list[str]] = {
    w_system.parse_system: ["OS", "CS", "CV", "Arch", "TimeZone", "Services"],
    w_system.parse_hardware: [
        "CS",
        "BIOS",
        "CPU",
        "Enclosure",
        "LogicalDisks",
        "Partitions",
        "PhysicalDisks",
    ],
    w_network.parse_network: ["Config", "Adapters", "Dns", "Wlan"],
    w_ports.parse_ports: ["Tcp", "Udp", "Processes"],
    w_software.parse_software: ["Registry", "Appx", "Errors"],
    w_antivirus.parse_antivirus: [
        "SecurityCenter",
        "Defender",
        "DefenderPreference",
        "Services",
        "Installed",
    ],
    (lambda doc: w_patches.parse_patches(doc, date(2026, 11, 22))): [
        "OS",
        "CV",
        "HotFix",
        "LastSearch",
        "Reboot",
        "Activation",
        "WindowsUpdate",
    ],
    w_accounts.parse_accounts: [
        "Users",
        "LegacyUsers",
        "Administrators",
        "SecurityPolicy",
        "Lsa",
        "ConsoleUser",
    ],
    w_firewall.parse_firewall: ["Profiles", "Products", "Errors"],
    w_remote.parse_remote_access: [
        "TerminalServer",
        "RdpTcp",
        "RdpPolicy",
        "Smb",
        "Explorer",
        "Winlogon",
        "Sshd",
        "SmbServer",
        "AdminRules",
        "CredentialProviders",
    ],
    w_eventlog.parse_logging: [
        "AuditCsv",
        "SecurityLog",
        "OldestEvent",
        "AuthEvents",
        "W32tm",
        "Culture",
        "TimeService",
        "Forwarding",
        "Shippers",
    ],
    w_endpoint.parse_endpoint: [
        "Inactivity",
        "ScreenSavers",
        "BitLocker",
        "EncryptableVolumes",
        "Volumes",
        "SystemDrive",
        "InstallationType",
    ],
}


def _documents(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Documents with the section's keys holding arbitrary JSON, including item-shaped lists."""
    item = st.dictionaries(st.sampled_from(_FIELDS), JSON, max_size=6)
    value = JSON | st.lists(item, max_size=3) | item
    return st.dictionaries(st.sampled_from(keys), value, max_size=len(keys))


# Field names the parsers look up inside items, so fuzzing reaches past the first lookup.
_FIELDS = sorted(
    {
        "Name",
        "SID",
        "Enabled",
        "LastLogon",
        "PasswordLastSet",
        "PasswordExpires",
        "Disabled",
        "Status",
        "DisplayName",
        "DisplayVersion",
        "Publisher",
        "Scope",
        "Version",
        "Architecture",
        "displayName",
        "productState",
        "LocalAddress",
        "LocalPort",
        "OwningProcess",
        "ProcessId",
        "ExecutablePath",
        "InterfaceIndex",
        "IPAddress",
        "IPSubnet",
        "MACAddress",
        "ifIndex",
        "NdisPhysicalMedium",
        "ServerAddresses",
        "DeviceID",
        "DeviceId",
        "MediaType",
        "Size",
        "FreeSpace",
        "DriveLetter",
        "DiskNumber",
        "ChassisTypes",
        "NumberOfCores",
        "NumberOfLogicalProcessors",
        "Caption",
        "ProductType",
        "BuildNumber",
        "CurrentBuild",
        "UBR",
        "EditionID",
        "PartOfDomain",
        "Domain",
        "LicenseStatus",
        "InstalledOn",
        "Date",
        "Categories",
        "MsrcSeverity",
        "Released",
        "Pending",
        "History",
        "Protocol",
        "RemoteAddress",
        "MountPoint",
        "ProtectionStatus",
        "EncryptionMethod",
        "PolicyActive",
        "PolicyTimeout",
        "PolicySecure",
        "Active",
        "Timeout",
        "Secure",
        "AntivirusSignatureAge",
        "AMServiceEnabled",
        "AntivirusEnabled",
        "AMRunningMode",
        "fDenyTSConnections",
        "UserAuthentication",
        "MaxIdleTime",
        "NoDriveTypeAutoRun",
        "AutoAdminLogon",
        "ShortDate",
        "LongTime",
        "OffsetMinutes",
        "MaximumSizeInBytes",
        "NoLMHash",
        "Notification Packages",
        "EnableSMB1Protocol",
        "Type",
    }
)


@pytest.mark.parametrize("parse", list(WINDOWS), ids=lambda p: p.__module__.rsplit(".", 1)[-1])
@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_windows_parsers(
    parse: Callable[[dict[str, Any]], msgspec.Struct], data: st.DataObject
) -> None:
    """Every Windows parser over arbitrary JSON documents."""
    doc = data.draw(_documents(WINDOWS[parse]))
    with contextlib.suppress(FactError):  # e.g. no computer name: the section reports it
        valid(parse(doc))


def test_a_culture_naming_a_field_twice_gives_no_time() -> None:
    """strptime raises re.error (not ValueError) for a format naming a field twice; found by
    the fuzzer with a short-date pattern of "H"."""
    culture = {"ShortDate": "H", "LongTime": "HH:mm", "OffsetMinutes": 420}
    assert w_eventlog.parse_local_time("1 10:30", culture) is None


@given(TEXT, JSON)
@settings(max_examples=200)
def test_windows_text_parsers(text: str, culture: Any) -> None:
    """netsh, w32tm, auditpol CSV, secedit INF, dates, and the runner's JSON check."""
    w_network.parse_ssid(text)
    w_eventlog.parse_w32tm(text, culture if isinstance(culture, dict) else {})
    w_eventlog.parse_local_time(
        text, {"ShortDate": text, "LongTime": "HH:mm", "OffsetMinutes": 420}
    )
    valid(contract.LoggingFacts(audit_policy=w_eventlog.parse_auditpol_csv(text)))
    w_accounts.parse_secedit(text)
    ps_datetime(text)
    ps_datetime(culture)
    with contextlib.suppress(FactError):
        parse_output(text)


@given(st.integers(0, 2**24 - 1))
def test_product_state_any_value(state: int) -> None:
    """Every 24-bit productState decodes to states, or unknown."""
    decoded = w_antivirus.decode_product_state(state)
    assert decoded.enabled in (True, False, None)
