"""Table tests: every host check on pass, fail, unknown and not-applicable facts, Windows and Linux.

Each row starts from a well-configured host (tests/checks/hosts.py) and changes what the row is
about. ``test_table_covers_every_check`` fails when a check, an OS or a status has no row and is
not listed in IMPOSSIBLE with the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from canh.contract.facts import (
    Account,
    Address,
    AppLog,
    FirewallProduct,
    InboundRule,
    Interface,
    Listener,
    Package,
)
from checks.model import HostFacts
from checks.registry import CHECKS, builtin_pack, load_builtin
from checks.unit import Decommission
from tests.checks.hosts import NOW, ago, change, first, good, with_unit, without

load_builtin()
THRESHOLDS = builtin_pack("vn-2026").threshold_values()
OSES = ("windows", "linux")
STATUSES = ("pass", "fail", "unknown", "not_applicable")


@dataclasses.dataclass(frozen=True)
class Case:
    check: str
    os: str
    expect: str
    mutate: Callable[[HostFacts], HostFacts] = lambda f: f
    role: str = "workstation"
    thresholds: dict[str, Any] = dataclasses.field(default_factory=dict)
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.check}-{self.os}-{self.role}-{self.expect}-{self.why}"


def acc(f: HostFacts) -> Any:
    return f.section("accounts")


def users(f: HostFacts, **fields: Any) -> HostFacts:
    """Every account with ``fields`` replaced."""
    import msgspec

    return change(f, "accounts", users=[msgspec.structs.replace(u, **fields) for u in acc(f).users])


def add_user(f: HostFacts, **fields: Any) -> HostFacts:
    return change(f, "accounts", users=[*acc(f).users, Account(**fields)])


def av(f: HostFacts, **fields: Any) -> HostFacts:
    return change(f, "antivirus", products=first(f.section("antivirus").products, **fields))


def wifi(address: str) -> Callable[[HostFacts], HostFacts]:
    def mutate(f: HostFacts) -> HostFacts:
        iface = Interface(
            name="wlan0",
            up=True,
            wireless=True,
            addresses=[Address(address=address, prefix=24, family="ipv4")],
        )
        return change(f, "network", interfaces=[*f.section("network").interfaces, iface])

    return mutate


W, L = "windows", "linux"
TABLE: list[Case] = [
    # ------------------------------------------------------------------ antivirus
    *(
        Case("av.installed", os, "fail", lambda f: change(f, "antivirus", products=[]), why="none")
        for os in OSES
    ),
    *(
        Case("av.installed", os, "fail", lambda f: av(f, enabled=False), why="stopped")
        for os in OSES
    ),
    *(
        Case(
            "av.installed",
            os,
            "unknown",
            lambda f: change(f, "antivirus", products=[], notes=["no vendor entry"]),
            why="notes",
        )
        for os in OSES
    ),
    *(
        Case("av.installed", os, "unknown", lambda f: av(f, enabled=None), why="state")
        for os in OSES
    ),
    *(Case("av.realtime", os, "fail", lambda f: av(f, realtime=False)) for os in OSES),
    *(
        Case("av.realtime", os, "fail", lambda f: av(f, enabled=False), why="disabled")
        for os in OSES
    ),
    *(Case("av.realtime", os, "unknown", lambda f: av(f, realtime=None)) for os in OSES),
    *(
        Case("av.signatures_current", os, "fail", lambda f: av(f, signature_age_days=10.0))
        for os in OSES
    ),
    *(
        Case(
            "av.signatures_current",
            os,
            "fail",
            lambda f: av(f, signature_age_days=None, signatures_updated_at=ago(9)),
            why="dated",
        )
        for os in OSES
    ),
    *(
        Case(
            "av.signatures_current",
            os,
            "pass",
            lambda f: av(f, signature_age_days=None, signatures_up_to_date=True),
            why="bit",
        )
        for os in OSES
    ),
    *(
        Case(
            "av.signatures_current",
            os,
            "unknown",
            lambda f: av(f, signature_age_days=None, signatures_up_to_date=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "av.signatures_current",
            os,
            "unknown",
            thresholds={"av_signature_max_age_days": None},
            why="pack",
        )
        for os in OSES
    ),
    Case("av.removable_scan", W, "fail", lambda f: av(f, removable_scan=False)),
    Case("av.removable_scan", W, "unknown", lambda f: av(f, removable_scan=None)),
    Case("av.removable_scan", L, "not_applicable", why="headless"),
    Case(
        "av.removable_scan", L, "pass", lambda f: change(f, "endpoint", desktop=True), why="desktop"
    ),
    Case(
        "av.removable_scan",
        L,
        "fail",
        lambda f: av(change(f, "endpoint", desktop=True), removable_scan=False),
    ),
    Case(
        "av.removable_scan",
        L,
        "unknown",
        lambda f: av(change(f, "endpoint", desktop=True), removable_scan=None),
    ),
    # ------------------------------------------------------------------ autorun
    Case(
        "autorun.disabled", W, "fail", lambda f: change(f, "remote_access", autorun_disabled=False)
    ),
    Case(
        "autorun.disabled",
        W,
        "unknown",
        lambda f: change(f, "remote_access", autorun_disabled=None),
    ),
    Case("autorun.disabled", L, "not_applicable", why="headless"),
    Case("autorun.disabled", L, "pass", lambda f: change(f, "endpoint", desktop=True)),
    Case(
        "autorun.disabled",
        L,
        "fail",
        lambda f: change(
            change(f, "endpoint", desktop=True), "remote_access", autorun_disabled=False
        ),
    ),
    Case(
        "autorun.disabled",
        L,
        "unknown",
        lambda f: change(
            change(f, "endpoint", desktop=True), "remote_access", autorun_disabled=None
        ),
    ),
    # ------------------------------------------------------------------ patches
    *(
        Case(
            "patch.last_install_age",
            os,
            "fail",
            lambda f: change(f, "patches", last_install_at=ago(60)),
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.last_install_age",
            os,
            "unknown",
            lambda f: change(f, "patches", last_install_at=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.pending_security",
            os,
            "fail",
            lambda f: change(f, "patches", pending_security=2, oldest_pending_security_at=ago(40)),
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.pending_security",
            os,
            "pass",
            lambda f: change(f, "patches", pending_security=2, oldest_pending_security_at=ago(40)),
            role="server",
            thresholds={"patch_critical_max_age_days_server": 45},
            why="server-window",
        )
        for os in OSES
    ),
    Case(
        "patch.pending_security",
        L,
        "fail",
        lambda f: change(f, "patches", pending_security=3, last_install_at=ago(50)),
        why="debian-no-dates",
    ),
    Case(
        "patch.pending_security",
        L,
        "pass",
        lambda f: change(f, "patches", pending_security=3, last_install_at=ago(5)),
        why="debian-recent",
    ),
    *(
        Case(
            "patch.pending_security",
            os,
            "unknown",
            lambda f: change(f, "patches", pending_security=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.pending_security",
            os,
            "unknown",
            lambda f: change(f, "patches", last_search_at=ago(50)),
            why="stale-lists",
        )
        for os in OSES
    ),
    *(
        Case("patch.os_supported", os, "fail", lambda f: change(f, "patches", os_supported=False))
        for os in OSES
    ),
    *(
        Case(
            "patch.os_supported",
            os,
            "fail",
            lambda f: change(f, "patches", os_supported=None, os_eol_date="2025-10-14"),
            why="eol-date",
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.os_supported",
            os,
            "unknown",
            lambda f: change(f, "patches", os_supported=None, os_eol_date=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.reboot_pending",
            os,
            "fail",
            lambda f: change(f, "patches", reboot_required=True, reboot_required_since=ago(60)),
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.reboot_pending",
            os,
            "pass",
            lambda f: change(f, "patches", reboot_required=True, reboot_required_since=ago(2)),
            why="recent",
        )
        for os in OSES
    ),
    *(
        Case(
            "patch.reboot_pending",
            os,
            "unknown",
            lambda f: change(f, "patches", reboot_required=None),
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ os
    *(
        Case(
            "os.autologon_disabled",
            os,
            "fail",
            lambda f: change(f, "remote_access", autologon_enabled=True),
        )
        for os in OSES
    ),
    *(
        Case(
            "os.autologon_disabled",
            os,
            "unknown",
            lambda f: change(f, "remote_access", autologon_enabled=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "os.services_baseline",
            os,
            "fail",
            lambda f: change(f, "system", services_running=["sshd", "telnetd", "WinDefend"]),
        )
        for os in OSES
    ),
    *(
        Case(
            "os.services_baseline",
            os,
            "unknown",
            lambda f: change(f, "system", services_running=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "os.services_baseline",
            os,
            "unknown",
            lambda f: with_unit(f, service_baseline=None),
            why="undeclared",
        )
        for os in OSES
    ),
    *(
        Case(
            "os.legacy_tls_disabled",
            os,
            "fail",
            lambda f: change(f, "remote_access", tls_min_protocol="1.0"),
        )
        for os in OSES
    ),
    *(
        Case(
            "os.legacy_tls_disabled",
            os,
            "unknown",
            lambda f: change(f, "remote_access", tls_min_protocol=None),
        )
        for os in OSES
    ),
    *(Case("os.backup_recent", os, "pass", role="server") for os in OSES),
    *(
        Case(
            "os.backup_recent",
            os,
            "fail",
            lambda f: change(f, "endpoint", backup_last_success_at=ago(3)),
            role="server",
        )
        for os in OSES
    ),
    *(
        Case(
            "os.backup_recent",
            os,
            "fail",
            lambda f: change(f, "endpoint", backup_last_success_at=None),
            role="server",
            why="never",
        )
        for os in OSES
    ),
    *(
        Case(
            "os.backup_recent",
            os,
            "unknown",
            lambda f: change(f, "endpoint", backup_jobs=None, backup_last_success_at=None),
            role="server",
        )
        for os in OSES
    ),
    *(Case("os.backup_recent", os, "not_applicable") for os in OSES),
    # ------------------------------------------------------------------ smb
    Case("smb.v1_disabled", W, "fail", lambda f: change(f, "remote_access", smb1_enabled=True)),
    Case("smb.v1_disabled", W, "unknown", lambda f: change(f, "remote_access", smb1_enabled=None)),
    Case("smb.v1_disabled", L, "not_applicable", why="no-samba"),
    Case(
        "smb.v1_disabled",
        L,
        "pass",
        lambda f: change(f, "remote_access", smb_server_present=True, smb1_enabled=False),
    ),
    Case(
        "smb.v1_disabled",
        L,
        "fail",
        lambda f: change(f, "remote_access", smb_server_present=True, smb1_enabled=True),
    ),
    Case(
        "smb.v1_disabled",
        L,
        "unknown",
        lambda f: change(f, "remote_access", smb_server_present=None, smb1_enabled=None),
    ),
    # ------------------------------------------------------------------ ports
    *(
        Case(
            "ports.unexpected_listeners",
            os,
            "fail",
            lambda f: change(
                f,
                "ports",
                listening=[
                    *f.section("ports").listening,
                    Listener(proto="tcp", address="0.0.0.0", port=8080, scope="all"),
                ],
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "ports.unexpected_listeners", os, "unknown", lambda f: with_unit(f, allowed_ports=None)
        )
        for os in OSES
    ),
    *(
        Case(
            "ports.unexpected_listeners",
            os,
            "pass",
            lambda f: with_unit(
                f, allowed_ports={f.host or "": frozenset({("tcp", 3389), ("tcp", 22)})}
            ),
            why="per-host",
        )
        for os in OSES
    ),
    *(
        Case(
            "ports.cleartext_services",
            os,
            "fail",
            lambda f: change(
                f,
                "ports",
                listening=[
                    Listener(
                        proto="tcp", address="0.0.0.0", port=23, scope="all", process="telnetd"
                    )
                ],
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "ports.cleartext_services",
            os,
            "pass",
            lambda f: change(
                f,
                "ports",
                listening=[Listener(proto="tcp", address="127.0.0.1", port=21, scope="loopback")],
            ),
            why="loopback",
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ accounts
    Case(
        "account.default_admin",
        W,
        "pass",
        lambda f: change(
            f, "accounts", builtin_admin_enabled=True, users=first(acc(f).users, enabled=True)
        ),
        why="renamed",
    ),
    Case(
        "account.default_admin",
        W,
        "fail",
        lambda f: change(
            f,
            "accounts",
            builtin_admin_enabled=True,
            users=first(acc(f).users, enabled=True, name="Administrator"),
        ),
    ),
    Case(
        "account.default_admin",
        W,
        "unknown",
        lambda f: change(f, "accounts", builtin_admin_enabled=None, users=acc(f).users[1:]),
    ),
    Case(
        "account.default_admin",
        L,
        "fail",
        lambda f: add_user(f, name="toor", uid="0", enabled=True),
    ),
    Case("account.default_admin", L, "unknown", lambda f: change(f, "accounts", users=[])),
    Case("account.guest_disabled", W, "fail", lambda f: change(f, "accounts", guest_enabled=True)),
    Case(
        "account.guest_disabled",
        W,
        "fail",
        lambda f: change(
            f,
            "accounts",
            guest_enabled=None,
            users=[acc(f).users[0], _guest_on(f), *acc(f).users[2:]],
        ),
        why="sid-501",
    ),
    Case(
        "account.guest_disabled",
        W,
        "unknown",
        lambda f: change(
            f, "accounts", guest_enabled=None, users=[acc(f).users[0], *acc(f).users[2:]]
        ),
    ),
    Case("account.guest_disabled", L, "fail", lambda f: change(f, "accounts", guest_enabled=True)),
    Case(
        "account.guest_disabled",
        L,
        "not_applicable",
        lambda f: change(f, "accounts", guest_enabled=None),
    ),
    *(
        Case(
            "account.empty_password",
            os,
            "fail",
            lambda f: add_user(f, name="tmp", uid="1500", enabled=True, empty_password=True),
        )
        for os in OSES
    ),
    Case(
        "account.empty_password",
        W,
        "fail",
        lambda f: add_user(f, name="svc", enabled=True, password_required=False),
        why="not-required",
    ),
    *(
        Case(
            "account.empty_password",
            os,
            "unknown",
            lambda f: users(f, empty_password=None, password_required=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "account.empty_password",
            os,
            "unknown",
            lambda f: change(f, "accounts", users=[]),
            why="no-users",
        )
        for os in OSES
    ),
    *(
        Case(
            "account.privileged_members",
            os,
            "fail",
            lambda f: change(f, "accounts", admin_members=[*acc(f).admin_members, "intern"]),
        )
        for os in OSES
    ),
    *(
        Case(
            "account.privileged_members",
            os,
            "unknown",
            lambda f: with_unit(f, approved_admins=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "account.privileged_members",
            os,
            "unknown",
            lambda f: users(change(f, "accounts", admin_members=[]), admin=False),
            why="none-reported",
        )
        for os in OSES
    ),
    Case(
        "account.privileged_members",
        W,
        "pass",
        lambda f: change(f, "accounts", admin_members=["CORP\\it-admin", "LocalAdmin"]),
        why="domain",
    ),
    Case(
        "account.sudo_nopasswd",
        L,
        "fail",
        lambda f: change(f, "accounts", sudo_nopasswd=["%deploy"]),
    ),
    Case("account.sudo_nopasswd", W, "not_applicable"),
    *(Case("account.user_not_admin", os, "fail", lambda f: users(f, admin=True)) for os in OSES),
    Case(
        "account.user_not_admin",
        W,
        "fail",
        lambda f: change(f, "accounts", admin_members=["nhanvien"]),
        why="group",
    ),
    *(
        Case(
            "account.user_not_admin",
            os,
            "pass",
            lambda f: with_unit(users(f, admin=True), admin_exceptions=frozenset({"nhanvien"})),
            why="exception",
        )
        for os in OSES
    ),
    *(
        Case(
            "account.user_not_admin",
            os,
            "unknown",
            lambda f: users(change(f, "accounts", console_user=None), last_logon=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "account.inactive_disabled",
            os,
            "fail",
            lambda f: add_user(f, name="old", uid="1600", enabled=True, last_logon=ago(90)),
        )
        for os in OSES
    ),
    *(
        Case(
            "account.inactive_disabled",
            os,
            "fail",
            lambda f: add_user(f, name="new", uid="1601", enabled=True, password_last_set=ago(60)),
            why="never-used",
        )
        for os in OSES
    ),
    *(
        Case(
            "account.inactive_disabled",
            os,
            "pass",
            lambda f: add_user(f, name="old", uid="1600", enabled=False, last_logon=ago(90)),
            why="disabled",
        )
        for os in OSES
    ),
    Case(
        "account.inactive_disabled",
        L,
        "pass",
        lambda f: add_user(
            f, name="old", uid="1600", enabled=True, password_locked=True, last_logon=ago(90)
        ),
        why="locked",
    ),
    *(
        Case(
            "account.inactive_disabled",
            os,
            "unknown",
            lambda f: add_user(f, name="blind", uid="1700", enabled=True),
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ passwords
    *(
        Case(
            "password.min_length",
            os,
            "fail",
            lambda f: change(f, "accounts", password_min_length=8),
        )
        for os in OSES
    ),
    *(
        Case(
            "password.min_length",
            os,
            "pass",
            lambda f: with_unit(change(f, "accounts", password_min_length=8), mfa_attested=True),
            why="mfa",
        )
        for os in OSES
    ),
    *(
        Case(
            "password.min_length",
            os,
            "fail",
            lambda f: with_unit(
                change(f, "accounts", password_min_length=8), mfa_attested=True, health_sector=True
            ),
            thresholds={"password_min_length_moh": 10},
            why="moh-strictest",
        )
        for os in OSES
    ),
    *(
        Case(
            "password.min_length",
            os,
            "unknown",
            lambda f: change(f, "accounts", password_min_length=None),
        )
        for os in OSES
    ),
    Case(
        "password.complexity",
        W,
        "fail",
        lambda f: change(f, "accounts", password_min_classes=None, password_complexity=True),
        why="3-of-5",
    ),
    Case(
        "password.complexity",
        W,
        "unknown",
        lambda f: change(f, "accounts", password_min_classes=3, password_filters=["PassFiltEx"]),
        why="filter",
    ),
    Case("password.complexity", L, "fail", lambda f: change(f, "accounts", password_min_classes=2)),
    *(
        Case(
            "password.complexity",
            os,
            "unknown",
            lambda f: change(f, "accounts", password_min_classes=None, password_complexity=None),
        )
        for os in OSES
    ),
    *(
        Case("password.complexity", os, "not_applicable", lambda f: with_unit(f, mfa_attested=True))
        for os in OSES
    ),
    *(
        Case(
            "password.complexity",
            os,
            "pass",
            lambda f: with_unit(
                change(f, "accounts", password_min_classes=3), mfa_attested=True, health_sector=True
            ),
            why="moh-mfa",
        )
        for os in OSES
    ),
    *(
        Case(
            "password.complexity",
            os,
            "fail",
            lambda f: with_unit(
                change(f, "accounts", password_min_classes=1, password_complexity=False),
                mfa_attested=True,
                health_sector=True,
            ),
            why="moh-off",
        )
        for os in OSES
    ),
    Case("password.max_age", W, "fail", lambda f: change(f, "accounts", password_max_age_days=0)),
    Case(
        "password.max_age",
        W,
        "fail",
        lambda f: users(f, password_never_expires=True),
        why="never-expires",
    ),
    Case(
        "password.max_age",
        W,
        "unknown",
        lambda f: change(f, "accounts", password_max_age_days=None),
    ),
    Case("password.max_age", L, "fail", lambda f: users(f, password_max_age_days=99999)),
    Case("password.max_age", L, "unknown", lambda f: users(f, password_max_age_days=None)),
    Case(
        "password.max_age", L, "pass", lambda f: users(f, password_locked=True), why="no-passwords"
    ),
    *(
        Case("password.admin_max_age", os, "fail", lambda f: users(f, password_never_expires=True))
        for os in OSES
    ),
    *(
        Case(
            "password.admin_max_age",
            os,
            "fail",
            lambda f: users(f, password_last_set=ago(90)),
            why="old",
        )
        for os in OSES
    ),
    Case(
        "password.admin_max_age",
        L,
        "fail",
        lambda f: users(f, password_max_age_days=90),
        why="max-age",
    ),
    *(
        Case(
            "password.admin_max_age",
            os,
            "unknown",
            lambda f: change(
                users(f, password_last_set=None, password_max_age_days=None),
                "accounts",
                password_max_age_days=None,
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "password.admin_max_age",
            os,
            "not_applicable",
            lambda f: users(change(f, "accounts", admin_members=[]), admin=False, uid="2000"),
        )
        for os in OSES
    ),
    Case(
        "password.hash_storage",
        W,
        "fail",
        lambda f: change(f, "accounts", password_reversible_encryption=True),
    ),
    Case(
        "password.hash_storage",
        W,
        "fail",
        lambda f: change(f, "accounts", lm_hash_disabled=False),
        why="lm",
    ),
    Case(
        "password.hash_storage",
        W,
        "unknown",
        lambda f: change(f, "accounts", lm_hash_disabled=None),
    ),
    Case("password.hash_storage", L, "fail", lambda f: users(f, password_scheme="md5")),
    Case("password.hash_storage", L, "unknown", lambda f: users(f, password_scheme=None)),
    Case(
        "password.hash_storage",
        L,
        "unknown",
        lambda f: users(f, password_scheme="whirlpool"),
        why="odd",
    ),
    Case(
        "password.hash_storage",
        L,
        "not_applicable",
        lambda f: users(f, password_scheme=None, password_locked=True),
    ),
    # ------------------------------------------------------------------ lockout
    *(
        Case("lockout.threshold", os, "fail", lambda f: change(f, "accounts", lockout_threshold=0))
        for os in OSES
    ),
    *(
        Case(
            "lockout.threshold",
            os,
            "pass",
            lambda f: change(f, "accounts", lockout_threshold=10),
            why="endpoint-10",
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.threshold",
            os,
            "fail",
            lambda f: change(f, "accounts", lockout_threshold=10),
            role="server",
            why="server-10",
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.threshold",
            os,
            "unknown",
            lambda f: change(f, "accounts", lockout_threshold=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.duration",
            os,
            "fail",
            lambda f: change(f, "accounts", lockout_duration_minutes=15),
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.duration",
            os,
            "fail",
            lambda f: change(f, "accounts", lockout_duration_minutes=60 * 24 * 40),
            why="too-long",
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.duration",
            os,
            "pass",
            lambda f: change(f, "accounts", lockout_duration_minutes=-1),
            why="admin-unlock",
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.duration",
            os,
            "fail",
            lambda f: change(f, "accounts", lockout_duration_minutes=-1),
            thresholds={"lockout_admin_unlock_accepted": False},
            why="admin-unlock-refused",
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.duration",
            os,
            "unknown",
            lambda f: change(f, "accounts", lockout_duration_minutes=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "lockout.duration",
            os,
            "not_applicable",
            lambda f: change(f, "accounts", lockout_threshold=0),
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ screen lock
    Case(
        "screenlock.idle_timeout",
        W,
        "fail",
        lambda f: change(f, "endpoint", screen_lock_timeout_seconds=1800),
    ),
    Case(
        "screenlock.idle_timeout",
        W,
        "fail",
        lambda f: change(f, "endpoint", screen_lock_enabled=False),
        why="off",
    ),
    Case(
        "screenlock.idle_timeout",
        W,
        "fail",
        lambda f: change(f, "endpoint", screen_lock_timeout_seconds=600),
        role="server",
        why="admin-limit",
    ),
    Case(
        "screenlock.idle_timeout",
        W,
        "unknown",
        lambda f: change(f, "endpoint", screen_lock_timeout_seconds=None),
    ),
    Case(
        "screenlock.idle_timeout",
        L,
        "fail",
        lambda f: change(f, "endpoint", shell_timeout_seconds=0),
    ),
    Case(
        "screenlock.idle_timeout",
        L,
        "unknown",
        lambda f: change(f, "endpoint", shell_timeout_seconds=None),
    ),
    Case(
        "screenlock.idle_timeout",
        L,
        "pass",
        lambda f: change(
            f, "endpoint", desktop=True, screen_lock_timeout_seconds=600, screen_lock_enabled=True
        ),
        why="gnome",
    ),
    Case(
        "screenlock.idle_timeout",
        L,
        "fail",
        lambda f: change(
            f, "endpoint", desktop=True, screen_lock_timeout_seconds=0, screen_lock_enabled=True
        ),
        why="gnome-never",
    ),
    Case(
        "screenlock.idle_timeout",
        L,
        "unknown",
        lambda f: change(
            f, "endpoint", desktop=True, screen_lock_timeout_seconds=600, screen_lock_enabled=None
        ),
        why="gnome-lock",
    ),
    # ------------------------------------------------------------------ remote access
    Case(
        "remote.session_idle_timeout",
        W,
        "fail",
        lambda f: change(f, "remote_access", rdp_idle_timeout_seconds=0),
    ),
    Case(
        "remote.session_idle_timeout",
        W,
        "unknown",
        lambda f: change(f, "remote_access", rdp_idle_timeout_seconds=None),
    ),
    Case(
        "remote.session_idle_timeout",
        W,
        "not_applicable",
        lambda f: change(f, "remote_access", rdp_enabled=False, ssh_running=False),
    ),
    Case(
        "remote.session_idle_timeout",
        L,
        "fail",
        lambda f: change(
            change(f, "remote_access", ssh_channel_timeout_seconds=0),
            "endpoint",
            shell_timeout_seconds=0,
        ),
    ),
    Case(
        "remote.session_idle_timeout",
        L,
        "pass",
        lambda f: change(
            change(f, "remote_access", ssh_channel_timeout_seconds=None),
            "endpoint",
            shell_timeout_seconds=120,
        ),
        why="tmout",
    ),
    Case(
        "remote.session_idle_timeout",
        L,
        "fail",
        lambda f: change(
            without(f, "endpoint"),
            "remote_access",
            ssh_channel_timeout_seconds=0,
            ssh_client_alive_seconds=300,
        ),
        why="keepalive-only",
    ),
    Case(
        "remote.session_idle_timeout",
        L,
        "unknown",
        lambda f: change(without(f, "endpoint"), "remote_access", ssh_channel_timeout_seconds=None),
    ),
    Case(
        "remote.session_idle_timeout",
        L,
        "not_applicable",
        lambda f: change(f, "remote_access", rdp_enabled=False, ssh_running=False),
    ),
    *(
        Case(
            "remote.admin_source_restricted",
            os,
            "fail",
            lambda f: change(
                f,
                "remote_access",
                inbound_admin_rules=[
                    InboundRule(
                        proto="tcp", port=3389 if f.os_family == "windows" else 22, sources=["any"]
                    )
                ],
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "remote.admin_source_restricted",
            os,
            "fail",
            lambda f: change(
                change(f, "remote_access", inbound_admin_rules=[]),
                "firewall",
                profiles=first(f.section("firewall").profiles, enabled=False),
            ),
            why="firewall-off",
        )
        for os in OSES
    ),
    *(
        Case(
            "remote.admin_source_restricted",
            os,
            "unknown",
            lambda f: change(f, "remote_access", inbound_admin_rules=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "remote.admin_source_restricted",
            os,
            "unknown",
            lambda f: change(
                without(f, "ports"), "remote_access", rdp_enabled=None, ssh_running=None
            ),
            why="no-listeners",
        )
        for os in OSES
    ),
    *(
        Case(
            "remote.admin_source_restricted",
            os,
            "not_applicable",
            lambda f: change(
                f,
                "ports",
                listening=[Listener(proto="tcp", address="127.0.0.1", port=22, scope="loopback")],
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "remote.admin_source_restricted",
            os,
            "pass",
            lambda f: without(f, "ports"),
            why="inferred",
        )
        for os in OSES
    ),
    Case(
        "remote.root_login",
        L,
        "fail",
        lambda f: change(f, "remote_access", ssh_permit_root_login="yes"),
    ),
    Case(
        "remote.root_login",
        L,
        "unknown",
        lambda f: change(f, "remote_access", ssh_permit_root_login=None),
    ),
    Case(
        "remote.root_login",
        L,
        "not_applicable",
        lambda f: change(f, "remote_access", ssh_running=False),
    ),
    Case("remote.root_login", W, "not_applicable", why="os"),
    Case("remote.rdp_nla", W, "fail", lambda f: change(f, "remote_access", rdp_nla=False)),
    Case("remote.rdp_nla", W, "unknown", lambda f: change(f, "remote_access", rdp_nla=None)),
    Case(
        "remote.rdp_nla",
        W,
        "unknown",
        lambda f: change(f, "remote_access", rdp_enabled=None),
        why="state",
    ),
    Case(
        "remote.rdp_nla",
        W,
        "not_applicable",
        lambda f: change(f, "remote_access", rdp_enabled=False),
    ),
    Case("remote.rdp_nla", L, "not_applicable", why="os"),
    Case("remote.ssh_crypto", W, "not_applicable", why="no-openssh"),
    Case(
        "remote.ssh_crypto",
        W,
        "pass",
        lambda f: change(
            f,
            "remote_access",
            ssh_running=True,
            ssh_ciphers=["aes256-gcm@openssh.com"],
            ssh_macs=["hmac-sha2-512"],
            ssh_kex=["curve25519-sha256"],
        ),
    ),
    Case(
        "remote.ssh_crypto",
        W,
        "fail",
        lambda f: change(
            f,
            "remote_access",
            ssh_running=True,
            ssh_ciphers=["aes128-cbc"],
            ssh_macs=["hmac-sha2-512"],
            ssh_kex=["curve25519-sha256"],
        ),
    ),
    Case("remote.ssh_crypto", W, "unknown", lambda f: change(f, "remote_access", ssh_running=None)),
    Case(
        "remote.ssh_crypto", L, "fail", lambda f: change(f, "remote_access", ssh_macs=["hmac-md5"])
    ),
    Case(
        "remote.ssh_crypto",
        L,
        "fail",
        lambda f: change(f, "remote_access", ssh_kex=["diffie-hellman-group1-sha1"]),
        why="kex",
    ),
    Case("remote.ssh_crypto", L, "unknown", lambda f: change(f, "remote_access", ssh_ciphers=[])),
    Case(
        "remote.ssh_crypto",
        L,
        "not_applicable",
        lambda f: change(f, "remote_access", ssh_running=False),
    ),
    Case(
        "remote.mfa_enforced",
        W,
        "unknown",
        lambda f: change(f, "remote_access", mfa_providers=None),
    ),
    Case(
        "remote.mfa_enforced",
        W,
        "not_applicable",
        lambda f: change(f, "remote_access", rdp_enabled=False, ssh_running=False),
    ),
    Case(
        "remote.mfa_enforced",
        L,
        "unknown",
        lambda f: change(f, "remote_access", ssh_authentication_methods="publickey"),
    ),
    Case(
        "remote.mfa_enforced",
        L,
        "pass",
        lambda f: change(
            f,
            "remote_access",
            ssh_authentication_methods=None,
            ssh_mfa_modules=["pam_google_authenticator"],
        ),
        why="pam",
    ),
    Case(
        "remote.mfa_enforced",
        L,
        "not_applicable",
        lambda f: change(f, "remote_access", rdp_enabled=False, ssh_running=False),
    ),
    # ------------------------------------------------------------------ firewall
    *(
        Case(
            "firewall.enabled",
            os,
            "fail",
            lambda f: change(
                f, "firewall", profiles=first(f.section("firewall").profiles, enabled=False)
            ),
        )
        for os in OSES
    ),
    *(
        Case("firewall.enabled", os, "unknown", lambda f: change(f, "firewall", profiles=[]))
        for os in OSES
    ),
    *(
        Case(
            "firewall.enabled",
            os,
            "unknown",
            lambda f: change(
                f, "firewall", profiles=first(f.section("firewall").profiles, enabled=None)
            ),
            why="partial",
        )
        for os in OSES
    ),
    Case(
        "firewall.enabled",
        W,
        "pass",
        lambda f: change(
            f,
            "firewall",
            profiles=first(f.section("firewall").profiles, enabled=False),
            products=[FirewallProduct(name="ESET Firewall", enabled=True)],
        ),
        why="third-party",
    ),
    *(
        Case(
            "firewall.default_inbound_block",
            os,
            "fail",
            lambda f: change(
                f,
                "firewall",
                profiles=first(f.section("firewall").profiles, default_inbound="allow"),
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "firewall.default_inbound_block",
            os,
            "unknown",
            lambda f: change(
                f, "firewall", profiles=first(f.section("firewall").profiles, default_inbound=None)
            ),
        )
        for os in OSES
    ),
    Case(
        "firewall.default_inbound_block",
        W,
        "unknown",
        lambda f: change(
            f,
            "firewall",
            profiles=[],
            products=[FirewallProduct(name="ESET Firewall", enabled=True)],
        ),
        why="empty",
    ),
    # ------------------------------------------------------------------ encryption, time
    *(
        Case(
            "encryption.disk",
            os,
            "fail",
            lambda f: change(
                f, "endpoint", volumes=first(f.section("endpoint").volumes, encrypted=False)
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "encryption.disk",
            os,
            "unknown",
            lambda f: change(
                f, "endpoint", volumes=first(f.section("endpoint").volumes, encrypted=None)
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "encryption.disk",
            os,
            "unknown",
            lambda f: change(f, "endpoint", volumes=[]),
            why="none",
        )
        for os in OSES
    ),
    *(
        Case(
            "timesync.synced", os, "fail", lambda f: change(f, "logging", last_time_sync_at=ago(3))
        )
        for os in OSES
    ),
    *(
        Case(
            "timesync.synced",
            os,
            "fail",
            lambda f: change(f, "logging", time_sync_enabled=False),
            why="off",
        )
        for os in OSES
    ),
    Case(
        "timesync.synced",
        W,
        "fail",
        lambda f: change(f, "logging", time_source="Local CMOS Clock"),
        why="cmos",
    ),
    *(
        Case(
            "timesync.synced",
            os,
            "pass",
            lambda f: change(f, "logging", last_time_sync_at=None),
            why="flag",
        )
        for os in OSES
    ),
    *(
        Case(
            "timesync.synced",
            os,
            "unknown",
            lambda f: change(f, "logging", last_time_sync_at=None, time_synchronized=None),
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ logging
    Case(
        "logging.audit_policy",
        W,
        "fail",
        lambda f: change(
            f, "logging", audit_policy=first(f.section("logging").audit_policy, failure=False)
        ),
    ),
    Case(
        "logging.audit_policy",
        W,
        "fail",
        lambda f: change(f, "logging", audit_policy=f.section("logging").audit_policy[1:]),
        why="missing",
    ),
    Case(
        "logging.audit_policy",
        W,
        "fail",
        lambda f: change(f, "logging", audit_policy=[], audit_enabled=False),
        why="off",
    ),
    Case(
        "logging.audit_policy",
        W,
        "unknown",
        lambda f: change(f, "logging", audit_policy=[], audit_enabled=None),
    ),
    Case("logging.audit_policy", L, "fail", lambda f: change(f, "logging", audit_enabled=False)),
    Case(
        "logging.audit_policy",
        L,
        "fail",
        lambda f: change(f, "logging", audit_watched_paths=["/etc/passwd"]),
        why="watches",
    ),
    Case("logging.audit_policy", L, "unknown", lambda f: change(f, "logging", audit_enabled=None)),
    *(
        Case("logging.auth_events", os, "fail", lambda f: change(f, "logging", auth_events=0))
        for os in OSES
    ),
    *(
        Case("logging.auth_events", os, "unknown", lambda f: change(f, "logging", auth_events=None))
        for os in OSES
    ),
    *(
        Case(
            "logging.retention",
            os,
            "fail",
            lambda f: change(f, "logging", oldest_event_at=ago(10), forwarding=False),
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.retention",
            os,
            "pass",
            lambda f: change(f, "logging", oldest_event_at=ago(10), forwarding=True),
            why="forwarded",
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.retention",
            os,
            "pass",
            lambda f: change(
                change(f, "logging", oldest_event_at=ago(10), forwarding=False),
                "system",
                installed_at=ago(10.2),
            ),
            why="new-host",
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.retention",
            os,
            "fail",
            lambda f: with_unit(
                change(f, "logging", oldest_event_at=ago(100), forwarding=False), health_sector=True
            ),
            role="server",
            why="moh-server",
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.retention",
            os,
            "pass",
            lambda f: with_unit(
                change(f, "logging", oldest_event_at=ago(100), forwarding=False), health_sector=True
            ),
            why="moh-workstation",
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.retention",
            os,
            "unknown",
            lambda f: change(f, "logging", oldest_event_at=None, forwarding=None),
        )
        for os in OSES
    ),
    *(
        Case("logging.forwarding", os, "fail", lambda f: change(f, "logging", forwarding=False))
        for os in OSES
    ),
    *(
        Case("logging.forwarding", os, "unknown", lambda f: change(f, "logging", forwarding=None))
        for os in OSES
    ),
    *(Case("logging.app_log_age", os, "not_applicable") for os in OSES),
    *(
        Case(
            "logging.app_log_age",
            os,
            "pass",
            lambda f: change(
                f,
                "logging",
                app_logs=[AppLog(path="/var/log/his/*.log", files=40, oldest_at=ago(45))],
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.app_log_age",
            os,
            "fail",
            lambda f: change(
                f, "logging", app_logs=[AppLog(path="D:\\HIS\\logs", files=3, oldest_at=ago(5))]
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "logging.app_log_age",
            os,
            "fail",
            lambda f: with_unit(
                change(
                    f, "logging", app_logs=[AppLog(path="/var/log/his", files=9, oldest_at=ago(45))]
                ),
                health_sector=True,
            ),
            why="moh",
        )
        for os in OSES
    ),
    *(
        Case("logging.app_log_age", os, "unknown", lambda f: change(f, "logging", app_logs=None))
        for os in OSES
    ),
    *(
        Case(
            "logging.app_log_age",
            os,
            "unknown",
            lambda f: change(f, "logging", app_logs=[AppLog(path="/x", files=2)]),
            why="no-age",
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ hardware
    *(
        Case(
            "hardware.inventory_complete",
            os,
            "fail",
            lambda f: change(f, "hardware", cpu_model=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "hardware.inventory_complete",
            os,
            "fail",
            lambda f: without(change(f, "hardware", serial=None), "network"),
            why="no-serial-or-mac",
        )
        for os in OSES
    ),
    *(
        Case(
            "hardware.inventory_complete",
            os,
            "pass",
            lambda f: change(f, "hardware", serial=None),
            why="mac",
        )
        for os in OSES
    ),
    *(
        Case(
            "hardware.floor", os, "fail", lambda f: change(f, "hardware", memory_bytes=2 * 1024**3)
        )
        for os in OSES
    ),
    *(
        Case("hardware.floor", os, "unknown", lambda f: change(f, "hardware", memory_bytes=None))
        for os in OSES
    ),
    *(
        Case(
            "hardware.floor",
            os,
            "unknown",
            thresholds={"hardware_min_memory_gib": None},
            why="pack",
        )
        for os in OSES
    ),
    *(Case("hardware.decommission_recorded", os, "not_applicable") for os in OSES),
    *(
        Case(
            "hardware.decommission_recorded",
            os,
            "pass",
            lambda f: dataclasses.replace(
                f, decommission=Decommission(at=ago(3), reason="sold", wipe_record="BB-12/2026")
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "hardware.decommission_recorded",
            os,
            "fail",
            lambda f: dataclasses.replace(
                f, decommission=Decommission(at=ago(3), reason="repurposed")
            ),
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ software
    *(
        Case("software.inventory", os, "fail", lambda f: change(f, "software", packages=[]))
        for os in OSES
    ),
    *(
        Case(
            "software.inventory",
            os,
            "unknown",
            lambda f: change(f, "software", packages=[], notes=["dpkg not readable"]),
        )
        for os in OSES
    ),
    *(
        Case(
            "software.unapproved",
            os,
            "fail",
            lambda f: with_unit(f, approved_software=(r"(?i).*firefox.*",)),
        )
        for os in OSES
    ),
    *(
        Case("software.unapproved", os, "unknown", lambda f: with_unit(f, approved_software=None))
        for os in OSES
    ),
    *(
        Case(
            "software.unapproved",
            os,
            "unknown",
            lambda f: change(f, "software", packages=[]),
            why="empty",
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported",
            os,
            "fail",
            lambda f: change(
                f,
                "software",
                packages=[
                    Package(
                        name="Google Chrome"
                        if f.os_family == "windows"
                        else "google-chrome-stable",
                        version="120.0.6099.109",
                        source="registry",
                    )
                ],
            ),
            why="unsupported-major",
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported",
            os,
            "fail",
            lambda f: change(
                f, "software", packages=[Package(name="firefox", version="132.0", source="dpkg")]
            ),
            thresholds={"patch_max_age_days": 7},
            why="stale",
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported",
            os,
            "pass",
            lambda f: change(
                f, "software", packages=[Package(name="firefox", version="132.0", source="dpkg")]
            ),
            why="within-window",
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported",
            os,
            "fail",
            lambda f: with_unit(f, approved_browsers=frozenset({"chrome"})),
            why="unapproved",
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported", os, "unknown", lambda f: with_unit(f, browser_releases={})
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported",
            os,
            "unknown",
            lambda f: with_unit(f, approved_browsers=None),
            why="undeclared",
        )
        for os in OSES
    ),
    *(
        Case(
            "software.browser_supported",
            os,
            "not_applicable",
            lambda f: change(
                f, "software", packages=[Package(name="vim", version="9", source="dpkg")]
            ),
        )
        for os in OSES
    ),
    # ------------------------------------------------------------------ network
    *(
        Case(
            "network.zone_separation",
            os,
            "fail",
            role="server",
            mutate=lambda f: change(
                f,
                "network",
                interfaces=[
                    Interface(
                        name="eth0",
                        up=True,
                        addresses=[Address(address="10.1.9.9", prefix=16, family="ipv4")],
                    )
                ],
            ),
        )
        for os in OSES
    ),
    *(
        Case(
            "network.zone_separation",
            os,
            "fail",
            lambda f: with_unit(f, zones=f.unit.zones[:3] if f.unit.zones else None),
            why="few-zones",
        )
        for os in OSES
    ),
    *(
        Case(
            "network.zone_separation",
            os,
            "pass",
            lambda f: with_unit(f, zones=f.unit.zones[:4] if f.unit.zones else None, no_wifi=True),
            why="no-wifi",
        )
        for os in OSES
    ),
    *(
        Case(
            "network.zone_separation",
            os,
            "fail",
            lambda f: change(
                f,
                "network",
                interfaces=[
                    Interface(
                        name="eth0",
                        up=True,
                        addresses=[Address(address="198.51.100.5", prefix=24, family="ipv4")],
                    )
                ],
            ),
            why="no-zone",
        )
        for os in OSES
    ),
    *(
        Case("network.zone_separation", os, "unknown", lambda f: with_unit(f, zones=None))
        for os in OSES
    ),
    *(
        Case(
            "network.zone_separation",
            os,
            "unknown",
            lambda f: dataclasses.replace(f, role=None),
            why="role",
        )
        for os in OSES
    ),
    *(Case("network.wifi_zone", os, "not_applicable") for os in OSES),
    *(Case("network.wifi_zone", os, "pass", wifi("10.5.0.20")) for os in OSES),
    *(Case("network.wifi_zone", os, "fail", wifi("10.1.7.20")) for os in OSES),
    *(
        Case(
            "network.wifi_zone",
            os,
            "unknown",
            lambda f: with_unit(wifi("10.5.0.20")(f), zones=None),
        )
        for os in OSES
    ),
    *(
        Case(
            "network.dns_resolvers",
            os,
            "fail",
            lambda f: change(f, "network", dns_servers=["203.0.113.53"]),
        )
        for os in OSES
    ),
    *(
        Case("network.dns_resolvers", os, "unknown", lambda f: with_unit(f, dns_resolvers=None))
        for os in OSES
    ),
    *(
        Case(
            "network.dns_resolvers",
            os,
            "unknown",
            lambda f: change(f, "network", dns_servers=["127.0.0.53"]),
            why="stub",
        )
        for os in OSES
    ),
]


def _guest_on(f: HostFacts) -> Account:
    import msgspec

    return msgspec.structs.replace(acc(f).users[1], enabled=True)


# Combinations no facts can produce, with the reason (the contract test below reads this).
IMPOSSIBLE: dict[tuple[str, str], dict[str, str]] = {}


def _never(status: str, reason: str, *checks: str, oses: tuple[str, ...] = OSES) -> None:
    for check in checks:
        for os in oses:
            IMPOSSIBLE.setdefault((check, os), {})[status] = reason


_never(
    "not_applicable",
    "the thing checked exists on every managed host of this OS",
    "av.installed",
    "av.realtime",
    "av.signatures_current",
    "patch.last_install_age",
    "patch.pending_security",
    "patch.os_supported",
    "patch.reboot_pending",
    "os.autologon_disabled",
    "os.services_baseline",
    "os.legacy_tls_disabled",
    "ports.unexpected_listeners",
    "ports.cleartext_services",
    "account.default_admin",
    "account.empty_password",
    "account.privileged_members",
    "account.user_not_admin",
    "account.inactive_disabled",
    "password.min_length",
    "password.max_age",
    "lockout.threshold",
    "screenlock.idle_timeout",
    "firewall.enabled",
    "firewall.default_inbound_block",
    "encryption.disk",
    "timesync.synced",
    "logging.audit_policy",
    "logging.auth_events",
    "logging.retention",
    "logging.forwarding",
    "hardware.inventory_complete",
    "hardware.floor",
    "software.inventory",
    "software.unapproved",
    "network.zone_separation",
    "network.dns_resolvers",
)
_never(
    "not_applicable",
    "Windows always has removable media and autorun",
    "av.removable_scan",
    "autorun.disabled",
    oses=("windows",),
)
_never(
    "not_applicable", "SMB server is part of every Windows", "smb.v1_disabled", oses=("windows",)
)
_never("not_applicable", "Windows has a Guest account", "account.guest_disabled", oses=("windows",))
_never(
    "not_applicable",
    "Windows stores LM/reversible settings on every host",
    "password.hash_storage",
    oses=("windows",),
)
_never(
    "not_applicable", "sudo exists on every Linux host", "account.sudo_nopasswd", oses=("linux",)
)
_never("unknown", "needs no facts: an event either exists or not", "hardware.decommission_recorded")
_never("fail", "supporting evidence: confirms or says unknown, never fails", "remote.mfa_enforced")
for _status in ("pass", "fail", "unknown"):
    _never(_status, "Windows-only check", "remote.rdp_nla", oses=("linux",))
    _never(
        _status, "Linux-only check", "account.sudo_nopasswd", "remote.root_login", oses=("windows",)
    )


def _thresholds(case: Case) -> dict[str, Any]:
    values = dict(THRESHOLDS)
    for key, value in case.thresholds.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def _generated() -> list[Case]:
    """Rows every check gets: the good host, a missing section, and another OS."""
    rows: list[Case] = []
    for check_id, spec in sorted(CHECKS.items()):
        for os in OSES:
            if os not in spec.os_families:
                rows.append(Case(check_id, os, "not_applicable", why="os"))
                continue
            base = spec.run(good(os), THRESHOLDS).status
            rows.append(Case(check_id, os, base, why="good-host"))
            if spec.sections:
                section = spec.sections[0]
                rows.append(
                    Case(
                        check_id,
                        os,
                        "unknown",
                        lambda f, s=section: without(f, s, "timeout"),
                        why="section",
                    )
                )
    return rows


ALL = _generated() + TABLE


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_check(case: Case) -> None:
    """The check returns the expected status, with a reason."""
    facts = case.mutate(good(case.os, case.role))
    finding = CHECKS[case.check].run(facts, _thresholds(case))
    assert finding.status == case.expect, finding.reason
    assert finding.check_id == case.check
    assert finding.reason


def test_good_hosts_pass() -> None:
    """On well-configured hosts every check passes or is not applicable, never fails."""
    for os in OSES:
        for role in ("workstation", "server"):
            for spec in CHECKS.values():
                status = spec.run(good(os, role), THRESHOLDS).status
                assert status in ("pass", "not_applicable"), (spec.id, os, role, status)


def test_table_covers_every_check() -> None:
    """Every check has a row for each status on each OS, unless it cannot happen (with why)."""
    seen = {(c.check, c.os, c.expect) for c in ALL}
    missing = [
        (check, os, status)
        for check in CHECKS
        for os in OSES
        for status in STATUSES
        if (check, os, status) not in seen and status not in IMPOSSIBLE.get((check, os), {})
    ]
    assert not missing
    contradicted = [
        (check, os, status)
        for (check, os), statuses in IMPOSSIBLE.items()
        for status in statuses
        if (check, os, status) in seen
    ]
    assert not contradicted


def test_unknown_names_the_missing_section() -> None:
    """A section the host failed to gather makes the check unknown with the host's error."""
    facts = without(good("linux"), "antivirus", "clamd not readable")
    finding = CHECKS["av.installed"].run(facts, THRESHOLDS)
    assert finding.status == "unknown" and "clamd not readable" in finding.reason


def test_evidence_carries_the_value_seen() -> None:
    """A failing finding shows the fact path and the value that failed."""
    facts = change(good("windows"), "accounts", lockout_threshold=0)
    finding = CHECKS["lockout.threshold"].run(facts, THRESHOLDS)
    assert [(e.fact, e.value) for e in finding.evidence] == [("accounts.lockout_threshold", 0)]


def test_ages_are_measured_from_as_of() -> None:
    """The same facts judged a month later fail: ages come from HostFacts.as_of, not the clock."""
    facts = good("linux")
    later = dataclasses.replace(facts, as_of=NOW + (NOW - ago(40)))
    spec = CHECKS["patch.last_install_age"]
    assert spec.run(facts, THRESHOLDS).status == "pass"
    assert spec.run(later, THRESHOLDS).status == "fail"


def test_verdicts_carry_evidence() -> None:
    """Every pass and fail in the table shows at least one value seen."""
    bare = []
    for case in ALL:
        finding = CHECKS[case.check].run(case.mutate(good(case.os, case.role)), _thresholds(case))
        if finding.status in ("pass", "fail") and not finding.evidence:
            bare.append(case.id)
    assert not bare
