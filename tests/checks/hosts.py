"""Facts of well-configured hosts, built with the contract structs, for the check tables.

``good(os, role)`` is a host on which every built-in check passes (or is not applicable where
the thing checked does not exist); tests derive failing, unknown and not-applicable hosts from
it with ``change``. ``NOW`` is the fixed reference time every age is measured from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from canh.contract.facts import (
    Account,
    AccountFacts,
    Address,
    AntivirusFacts,
    AntivirusProduct,
    AuditSetting,
    Disk,
    EndpointFacts,
    FirewallFacts,
    FirewallProfile,
    HardwareFacts,
    InboundRule,
    Interface,
    Listener,
    LoggingFacts,
    NetworkFacts,
    Package,
    PatchFacts,
    PortsFacts,
    RemoteAccessFacts,
    SoftwareFacts,
    SystemFacts,
    Volume,
)
from checks.builtin.logging import REQUIRED_AUDIT
from checks.model import HostFacts
from checks.unit import BrowserRelease, UnitContext, zone

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
GIB = 1024**3


def ago(days: float = 0, seconds: float = 0) -> datetime:
    """A moment ``days`` (and ``seconds``) before NOW."""
    return NOW - timedelta(days=days, seconds=seconds)


UNIT = UnitContext(
    zones=(
        zone("lan", "user", "10.1.0.0/16"),
        zone("servers", "server", "10.2.0.0/24"),
        zone("dmz", "dmz", "10.3.0.0/24"),
        zone("edge", "perimeter", "10.4.0.0/24"),
        zone("wifi", "wireless", "10.5.0.0/24"),
    ),
    allowed_ports={
        "server": frozenset({("tcp", 22), ("tcp", 443), ("tcp", 3389), ("tcp", 445)}),
        "workstation": frozenset({("tcp", 22), ("tcp", 445), ("tcp", 3389)}),
    },
    approved_admins=frozenset({"it-admin", "root", "LocalAdmin"}),
    approved_software=(r".*",),
    approved_browsers=frozenset({"firefox", "firefox-esr", "chrome", "edge", "thunderbird"}),
    dns_resolvers=frozenset({"10.2.0.53"}),
    service_baseline={
        "server": frozenset({"sshd", "nginx", "WinDefend", "W32Time", "EventLog"}),
        "workstation": frozenset({"WinDefend", "W32Time", "EventLog", "sshd"}),
    },
    browser_releases={
        "firefox": BrowserRelease("firefox", "133.0", date(2026, 12, 1), 128),
        "firefox-esr": BrowserRelease("firefox-esr", "128.5", date(2026, 12, 1), 115),
        "chrome": BrowserRelease("chrome", "131.0.6778.140", date(2026, 12, 10), 130),
        "edge": BrowserRelease("edge", "131.0.2903.99", date(2026, 12, 10), 130),
        "thunderbird": BrowserRelease("thunderbird", "128.5", date(2026, 12, 1), 115),
    },
)


def _users(os: str) -> list[Account]:
    if os == "windows":
        return [
            Account(
                name="LocalAdmin",
                uid="S-1-5-21-1-2-3-500",
                enabled=False,
                admin=True,
                password_required=True,
                password_never_expires=False,
                password_last_set=ago(30),
            ),
            Account(
                name="Guest",
                uid="S-1-5-21-1-2-3-501",
                enabled=False,
                password_required=False,
            ),
            Account(
                name="it-admin",
                uid="S-1-5-21-1-2-3-1001",
                enabled=True,
                admin=True,
                last_logon=ago(20),
                password_last_set=ago(20),
                password_never_expires=False,
                password_required=True,
                empty_password=False,
            ),
            Account(
                name="nhanvien",
                uid="S-1-5-21-1-2-3-1002",
                enabled=True,
                admin=False,
                last_logon=ago(1),
                password_last_set=ago(40),
                password_never_expires=False,
                password_required=True,
                empty_password=False,
            ),
        ]
    return [
        Account(
            name="root",
            uid="0",
            enabled=True,
            admin=True,
            last_logon=ago(3),
            password_last_set=ago(30),
            password_max_age_days=60,
            password_scheme="yescrypt",
            empty_password=False,
            password_locked=False,
        ),
        Account(
            name="it-admin",
            uid="1000",
            enabled=True,
            admin=True,
            last_logon=ago(2),
            password_last_set=ago(10),
            password_max_age_days=60,
            password_scheme="yescrypt",
            empty_password=False,
            password_locked=False,
        ),
        Account(
            name="nhanvien",
            uid="1001",
            enabled=True,
            admin=False,
            last_logon=ago(1),
            password_last_set=ago(10),
            password_max_age_days=90,
            password_scheme="sha512",
            empty_password=False,
            password_locked=False,
        ),
    ]


def sections(os: str, role: str) -> dict[str, msgspec.Struct]:
    """Every section of a well-configured host."""
    windows = os == "windows"
    address = "10.2.0.10" if role == "server" else "10.1.3.20"
    services = ["WinDefend", "W32Time", "EventLog"] if windows else ["sshd"]
    return {
        "system": SystemFacts(
            hostname=f"{os}-{role}",
            os_family="windows" if windows else "linux",
            os_name="Windows 11 Pro" if windows else "Debian GNU/Linux 12 (bookworm)",
            os_version="10.0.22631" if windows else "12",
            role="server" if role == "server" else "workstation",
            installed_at=ago(400),
            services_running=services,
        ),
        "hardware": HardwareFacts(
            manufacturer="Dell Inc.",
            model="OptiPlex 7010",
            serial="ABC1234",
            cpu_model="Intel Core i5",
            cpu_cores=4,
            memory_bytes=8 * GIB,
            disks=[Disk(device="disk0", mountpoint="C:" if windows else "/", size_bytes=256 * GIB)],
            chassis="desktop",
        ),
        "network": NetworkFacts(
            interfaces=[
                Interface(
                    name="lo",
                    loopback=True,
                    up=True,
                    addresses=[Address(address="127.0.0.1", prefix=8, family="ipv4")],
                ),
                Interface(
                    name="eth0",
                    mac="00:11:22:33:44:55",
                    up=True,
                    wireless=False,
                    addresses=[Address(address=address, prefix=24, family="ipv4")],
                ),
            ],
            gateways=["10.1.0.1"],
            dns_servers=["10.2.0.53"],
        ),
        "ports": PortsFacts(
            listening=[
                Listener(
                    proto="tcp",
                    address="0.0.0.0",
                    port=3389 if windows else 22,
                    scope="all",
                    process="svchost.exe" if windows else "sshd",
                ),
                Listener(proto="tcp", address="127.0.0.1", port=5432, scope="loopback"),
            ]
        ),
        "software": SoftwareFacts(
            packages=[
                Package(
                    name="Mozilla Firefox (x64 vi)" if windows else "firefox-esr",
                    version="133.0" if windows else "128.5.0esr-1~deb12u1",
                    source="registry" if windows else "dpkg",
                ),
                Package(
                    name="7-Zip 23.01" if windows else "bash",
                    version="23.01",
                    source="registry" if windows else "dpkg",
                ),
            ]
        ),
        "antivirus": AntivirusFacts(
            products=[
                AntivirusProduct(
                    product="Microsoft Defender Antivirus" if windows else "ClamAV",
                    vendor="Microsoft" if windows else "Cisco",
                    enabled=True,
                    realtime=True,
                    signatures_up_to_date=True,
                    signature_age_days=0.5,
                    removable_scan=True,
                    licensed=windows,
                    source="defender" if windows else "clamav",
                )
            ]
        ),
        "patches": PatchFacts(
            last_install_at=ago(10),
            last_search_at=ago(1),
            pending_total=0,
            pending_security=0,
            reboot_required=False,
            os_eol_date="2027-10-12" if windows else "2028-06-30",
            os_supported=True,
        ),
        "accounts": AccountFacts(
            users=_users(os),
            admin_members=["it-admin", "LocalAdmin"] if windows else ["root", "it-admin"],
            console_user="CORP\\nhanvien" if windows else None,
            password_min_length=14,
            password_min_classes=4,  # Windows: a registered password filter enforces 4
            password_complexity=True,
            password_max_age_days=60,
            password_hash_method=None if windows else "YESCRYPT",
            password_reversible_encryption=False if windows else None,
            lm_hash_disabled=True if windows else None,
            lockout_threshold=5,
            lockout_duration_minutes=720,
            guest_enabled=False,
            builtin_admin_enabled=False if windows else None,
            sudo_nopasswd=[],
            password_filters=[] if windows else None,
        ),
        "firewall": FirewallFacts(
            tool="windows-firewall" if windows else "nftables",
            profiles=[
                FirewallProfile(name=n, enabled=True, default_inbound="block")
                for n in (("Domain", "Private", "Public") if windows else ("host",))
            ],
        ),
        "remote_access": RemoteAccessFacts(
            rdp_enabled=windows,
            rdp_nla=True if windows else None,
            rdp_idle_timeout_seconds=300 if windows else None,
            ssh_running=not windows,
            ssh_permit_root_login=None if windows else "no",
            ssh_channel_timeout_seconds=None if windows else 300,
            ssh_client_alive_seconds=None if windows else 900,
            ssh_authentication_methods=None if windows else "publickey,keyboard-interactive",
            ssh_ciphers=[]
            if windows
            else ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"],
            ssh_macs=[] if windows else ["hmac-sha2-256-etm@openssh.com"],
            ssh_kex=[] if windows else ["curve25519-sha256", "sntrup761x25519-sha512@openssh.com"],
            smb1_enabled=False if windows else None,
            smb_server_present=windows,
            autorun_disabled=True,
            autologon_enabled=False,
            inbound_admin_rules=[
                InboundRule(proto="tcp", port=3389 if windows else 22, sources=["10.9.0.0/24"])
            ],
            mfa_providers=["Duo Authentication for Windows Logon"] if windows else None,
            tls_min_protocol="1.2",
        ),
        "logging": LoggingFacts(
            audit_enabled=True,
            audit_policy=[
                AuditSetting(
                    subcategory=name, guid="{" + guid.upper() + "}", success=True, failure=True
                )
                for name, guid, _s, _f in REQUIRED_AUDIT
            ]
            if windows
            else [],
            audit_watched_paths=[]
            if windows
            else ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/sudoers"],
            oldest_event_at=ago(200),
            persistent=True,
            forwarding=True,
            forwarding_targets=["10.2.0.9:514"],
            time_sync_enabled=True,
            time_synchronized=True,
            time_source="ntp.local",
            last_time_sync_at=ago(seconds=600),
            auth_events=1200,
            app_logs=[],
        ),
        "endpoint": EndpointFacts(
            desktop=windows,
            screen_lock_timeout_seconds=300 if windows else None,
            screen_lock_enabled=True if windows else None,
            shell_timeout_seconds=None if windows else 300,
            volumes=[
                Volume(
                    name="C:" if windows else "root",
                    mountpoint="C:" if windows else "/",
                    encrypted=True,
                    system=True,
                )
            ],
            backup_jobs=1 if role == "server" else 0,
            backup_last_success_at=ago(0.5) if role == "server" else None,
        ),
    }


def good(os: str = "windows", role: str = "workstation", unit: UnitContext = UNIT) -> HostFacts:
    """A well-configured host: every built-in check passes or is not applicable."""
    return HostFacts(
        os_family=os,
        role=role,
        sections=sections(os, role),
        as_of=NOW,
        unit=unit,
        host=f"{os}-{role}",
    )


def change(facts: HostFacts, section: str, **fields: Any) -> HostFacts:
    """``facts`` with some fields of one section replaced."""
    sections_ = dict(facts.sections)
    sections_[section] = msgspec.structs.replace(sections_[section], **fields)
    return HostFacts(
        os_family=facts.os_family,
        role=facts.role,
        sections=sections_,
        errors=facts.errors,
        as_of=facts.as_of,
        unit=facts.unit,
        host=facts.host,
        decommission=facts.decommission,
    )


def without(facts: HostFacts, section: str, error: str | None = None) -> HostFacts:
    """``facts`` without one section (optionally reported as failed with ``error``)."""
    sections_ = {k: v for k, v in facts.sections.items() if k != section}
    errors = dict(facts.errors)
    if error:
        errors[section] = error
    return HostFacts(
        os_family=facts.os_family,
        role=facts.role,
        sections=sections_,
        errors=errors,
        as_of=facts.as_of,
        unit=facts.unit,
        host=facts.host,
        decommission=facts.decommission,
    )


Mutation = Callable[[HostFacts], HostFacts]


def with_unit(facts: HostFacts, **fields: Any) -> HostFacts:
    """``facts`` with some unit data replaced."""
    return dataclasses.replace(facts, unit=dataclasses.replace(facts.unit, **fields))


def first(items: list[Any], **fields: Any) -> list[Any]:
    """A copy of a struct list with the first item's fields replaced."""
    return [msgspec.structs.replace(items[0], **fields), *items[1:]]
