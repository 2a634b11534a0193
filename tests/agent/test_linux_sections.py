"""Linux section gatherers against captured Debian 12, Ubuntu 22.04 and RHEL 9 machines."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from agent.linux import (
    accounts,
    antivirus,
    aptlists,
    endpoint,
    firewall,
    logs,
    patches,
    remote,
    software,
    system,
)
from tests.agent.fixture_host import FixtureHost

FIXTURES = Path(__file__).parent.parent / "fixtures" / "linux"
DISTROS = ("debian12", "ubuntu2204", "rhel9")
GATHERERS = (
    software.gather_software,
    antivirus.gather_antivirus,
    patches.gather_patches,
    accounts.gather_accounts,
    firewall.gather_firewall,
    remote.gather_remote_access,
    logs.gather_logging,
    endpoint.gather_endpoint,
    system.gather_system,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def host(distro: str) -> FixtureHost:
    return FixtureHost(FIXTURES / distro)


@pytest.mark.parametrize("distro", DISTROS)
@pytest.mark.parametrize("gather", GATHERERS, ids=lambda g: g.__module__.rsplit(".", 1)[-1])
def test_every_section_round_trips_the_contract(distro: str, gather: object) -> None:
    """Each gatherer's facts survive strict decoding (bounds, types) unchanged."""
    facts = gather(host(distro))  # type: ignore[operator]
    encoded = msgspec.json.encode(facts)
    assert msgspec.json.encode(msgspec.json.decode(encoded, type=type(facts))) == encoded


def test_software_per_distro() -> None:
    """dpkg keeps installed and held packages only; snap and rpm skip keys and flags."""
    debian = {p.name: p for p in software.gather_software(host("debian12")).packages}
    assert "telnet" not in debian and debian["tzdata"].version == "2025b-0+deb12u1"
    assert debian["clamav"].publisher == "ClamAV Team" and debian["clamav"].arch == "amd64"
    ubuntu = software.gather_software(host("ubuntu2204")).packages
    snaps = {p.name: p for p in ubuntu if p.source == "snap"}
    assert snaps["firefox"].publisher == "mozilla" and snaps["zoom-client"].version == "5.17.5.2543"
    rhel = {p.name: p for p in software.gather_software(host("rhel9")).packages}
    assert "gpg-pubkey" not in rhel and rhel["tzdata"].version == "2:2024a-1.el9"


def test_clamav_running_without_on_access() -> None:
    """Debian: clamd active, no clamonacc, daily.cld from freshclam is the update time."""
    products = antivirus.gather_antivirus(host("debian12")).products
    (clam,) = products
    assert (clam.product, clam.version, clam.enabled, clam.realtime) == (
        "ClamAV",
        "1.0.7",
        True,
        False,
    )
    assert clam.signatures_updated_at == utc("2026-11-21T03:12:00")
    assert clam.signatures_up_to_date is None and clam.signature_age_days is not None
    assert clam.licensed is False


def test_mdatp_and_kaspersky_on_rhel() -> None:
    """RHEL: Defender for Endpoint from its JSON health, Kaspersky from its unit."""
    found = {p.vendor: p for p in antivirus.gather_antivirus(host("rhel9")).products}
    mde = found["Microsoft"]
    assert (mde.enabled, mde.realtime, mde.signatures_up_to_date, mde.licensed) == (
        True,
        True,
        True,
        True,
    )
    assert mde.signature_age_days == 3.0 and mde.version == "101.24082.0004"
    assert mde.signatures_updated_at == utc("2026-11-19T04:00:00")
    kesl = found["Kaspersky"]
    assert kesl.enabled is True and kesl.realtime is None and kesl.source == "service"


def test_no_antivirus_on_the_workstation() -> None:
    """Ubuntu desktop without any product: an empty list, not an error."""
    assert antivirus.gather_antivirus(host("ubuntu2204")).products == []


def test_apt_patches() -> None:
    """Debian: history.log beats dpkg.log by seconds; 2 of 3 pending are security; reboot flag.

    The counts come from the fixture's package lists (no apt-get run); they agree with the
    machine's captured ``apt-get -s dist-upgrade``."""
    machine = host("debian12")
    facts = patches.gather_patches(machine)
    assert patches.APT_SIMULATE not in machine.calls and facts.notes == []
    assert facts.last_install_at == utc("2026-11-17T23:25:10")  # 06:25:10 +07
    assert (facts.pending_total, facts.pending_security) == (3, 2)
    assert facts.reboot_required is True
    assert facts.reboot_required_since == utc("2026-11-18T06:25:12")
    assert facts.last_search_at == utc("2026-11-22T01:30:05")
    assert (facts.os_eol_date, facts.source) == ("2028-06-30", "apt")


def test_apt_patches_from_rotated_log() -> None:
    """Ubuntu: the current dpkg.log is empty, the .1 file still tells; jammy-security counts.

    Its lists add backports (newer vlc, NotAutomatic) and i386, and a pin left from a removed
    PPA: none changes the count, and the lists still answer."""
    machine = host("ubuntu2204")
    facts = patches.gather_patches(machine)
    assert patches.APT_SIMULATE not in machine.calls and facts.notes == []
    assert facts.last_install_at == utc("2026-10-30T09:45:00")
    assert (facts.pending_total, facts.pending_security, facts.reboot_required) == (2, 1, False)
    assert facts.os_eol_date == "2027-04-01"


def test_dnf_patches() -> None:
    """RHEL: check-update exit 100, security advisories per package, needs-restarting exit 1."""
    facts = patches.gather_patches(host("rhel9"))
    assert (facts.pending_total, facts.pending_security, facts.reboot_required) == (3, 3, True)
    assert facts.last_install_at == utc("2026-11-05T01:02:03")
    assert facts.last_search_at == utc("2026-11-21T18:00:00")
    assert (facts.os_eol_date, facts.source) == ("2032-05-31", "dnf")


def test_debian_accounts_and_pam_policy() -> None:
    """UID-0 alias, MD5 and empty passwords, expired account, sudo NOPASSWD, pwquality, faillock."""
    facts = accounts.gather_accounts(host("debian12"))
    users = {u.name: u for u in facts.users}
    assert set(users) == {"root", "toor", "quantri", "ketoan", "kiosk", "nghiviec"}
    assert users["toor"].uid == "0" and users["toor"].password_scheme == "md5"
    assert users["kiosk"].empty_password is True
    assert users["nghiviec"].enabled is False and users["nghiviec"].password_locked is True
    assert users["quantri"].password_max_age_days == 60.0
    assert users["quantri"].last_logon == utc("2026-11-22T01:01:02")
    assert users["ketoan"].admin is True  # through "%admins ALL=(ALL) NOPASSWD: ALL"
    assert facts.sudo_nopasswd == ["%admins", "backup"]
    assert (facts.password_min_length, facts.password_min_classes, facts.password_complexity) == (
        12,
        3,
        True,
    )
    assert (facts.lockout_threshold, facts.lockout_duration_minutes) == (5, 15.0)
    assert facts.password_history == 5 and facts.password_max_age_days == 0.0


def test_unprivileged_view_is_unknown_not_guessed() -> None:
    """Ubuntu over SSH without root: no shadow, so password facts stay None with a note."""
    facts = accounts.gather_accounts(host("ubuntu2204"))
    assert all(u.empty_password is None and u.enabled is None for u in facts.users)
    assert any("shadow" in n for n in facts.notes)
    assert facts.password_complexity is False and facts.lockout_threshold == 0
    assert facts.password_min_length is None


def test_rhel_authselect_policy() -> None:
    """RHEL: pwquality 14/4, pwhistory 24, faillock defaults, #includedir is a directive."""
    facts = accounts.gather_accounts(host("rhel9"))
    assert (facts.password_min_length, facts.password_min_classes) == (14, 4)
    assert facts.password_history == 24
    assert (
        facts.lockout_threshold,
        facts.lockout_duration_minutes,
        facts.lockout_window_minutes,
    ) == (3, 10.0, 15.0)
    assert facts.sudo_nopasswd == ["ansible"] and facts.password_max_age_days == 90.0


@pytest.mark.parametrize(
    ("distro", "tool", "inbound"),
    [
        ("debian12", "nftables", "block"),
        ("ubuntu2204", "ufw", "block"),
        ("rhel9", "firewalld", "block"),
    ],
)
def test_firewall_in_charge(distro: str, tool: str, inbound: str) -> None:
    """The front end in charge and its inbound default."""
    facts = firewall.gather_firewall(host(distro))
    assert facts.tool == tool
    assert next(p for p in facts.profiles if p.name == tool).default_inbound == inbound


def test_sshd_settings() -> None:
    """sshd -T: root login, password auth, idle limits, MFA, weak algorithms kept for checks."""
    debian = remote.gather_remote_access(host("debian12"))
    assert (debian.ssh_running, debian.ssh_permit_root_login, debian.ssh_password_auth) == (
        True,
        "no",
        False,
    )
    assert (debian.ssh_client_alive_seconds, debian.ssh_channel_timeout_seconds) == (900, 900)
    assert debian.ssh_mfa_modules == ["pam_google_authenticator"]
    assert debian.smb1_enabled is True and debian.smb_server_present is True
    rhel = remote.gather_remote_access(host("rhel9"))
    assert (rhel.ssh_permit_root_login, rhel.ssh_max_auth_tries) == ("yes", 6)
    assert "aes256-cbc" in rhel.ssh_ciphers and "diffie-hellman-group14-sha1" in rhel.ssh_kex
    rules = {(r.proto, r.port): r.sources for r in rhel.inbound_admin_rules or []}
    assert rules == {("tcp", 22): ["any"], ("tcp", 5985): ["10.10.0.0/16"]}


def test_workstation_remote_and_desktop() -> None:
    """Ubuntu: no sshd, GDM autologin on, autorun off, ufw rules for admin ports."""
    facts = remote.gather_remote_access(host("ubuntu2204"))
    assert facts.ssh_running is False and facts.ssh_permit_root_login is None
    assert (facts.autologon_enabled, facts.autorun_disabled) == (True, True)
    rules = {(r.proto, r.port): r.sources for r in facts.inbound_admin_rules or []}
    assert rules == {("tcp", 22): ["198.51.100.0/24"], ("tcp", 3389): ["any"]}


def test_logging_retention_forwarding_and_time() -> None:
    """Oldest journal head or rotated file, rsyslog targets, audit watches, chrony source."""
    debian = logs.gather_logging(host("debian12"))
    assert debian.oldest_event_at == utc("2026-08-30T00:00:05")
    assert debian.forwarding_targets == ["10.20.0.5", "log.soyte.vn"]
    assert debian.audit_watched_paths == ["/etc/passwd", "/etc/shadow", "/usr/bin/sudo"]
    assert (debian.time_synchronized, debian.time_source) == (True, "203.0.113.10")
    assert debian.auth_events == 5 and debian.persistent is True
    rhel = logs.gather_logging(host("rhel9"))
    assert rhel.oldest_event_at == utc(
        "2026-11-08T03:14:00"
    )  # rotated messages outlive the volatile journal
    assert (rhel.persistent, rhel.forwarding, rhel.time_synchronized) == (True, False, False)
    assert rhel.last_time_sync_at is None
    ubuntu = logs.gather_logging(host("ubuntu2204"))
    assert (ubuntu.time_sync_enabled, ubuntu.time_synchronized) == (True, False)
    assert ubuntu.last_time_sync_at == utc("2026-11-22T05:55:00") and ubuntu.auth_events == 3


def test_endpoint_lock_and_encryption() -> None:
    """Ubuntu: idle 600 + lock delay 30, LUKS under LVM; Debian: TMOUT and a LUKS data disk."""
    ubuntu = endpoint.gather_endpoint(host("ubuntu2204"))
    assert (ubuntu.desktop, ubuntu.screen_lock_enabled, ubuntu.screen_lock_timeout_seconds) == (
        True,
        True,
        630,
    )
    root = next(v for v in ubuntu.volumes if v.system)
    assert (root.encrypted, root.method) == (True, "LUKS")
    assert not any(v.mountpoint and v.mountpoint.startswith("/snap") for v in ubuntu.volumes)
    debian = endpoint.gather_endpoint(host("debian12"))
    assert debian.desktop is False and debian.screen_lock_enabled is None
    assert debian.shell_timeout_seconds == 900
    assert {v.mountpoint: v.encrypted for v in debian.volumes} == {
        "/boot": False,
        "/": False,
        "/srv/backup": True,
    }
    rhel = endpoint.gather_endpoint(host("rhel9"))
    assert rhel.shell_timeout_seconds == 0 and any("readonly" in n for n in rhel.notes)


def test_system_arch_and_install_date() -> None:
    """Architecture from /proc or uname -m; install date from the root's birth time."""
    debian = system.gather_system(host("debian12"))
    assert (debian.hostname, debian.arch, debian.os_id) == ("srv-his", "x86_64", "debian")
    assert debian.installed_at == utc("2024-05-06T02:10:00")
    rhel = system.gather_system(host("rhel9"))
    assert rhel.arch == "x86_64" and rhel.installed_at is None
    assert rhel.services_running is not None and "sshd" in rhel.services_running


def test_apt_counts_reused_while_lists_unchanged() -> None:
    """The lists are read again only after the package lists or dpkg status change."""
    machine = host("debian12")
    machine.spec["mtimes"]["/var/lib/dpkg/status"] = 1795300000
    first = patches.gather_patches(machine)
    second = patches.gather_patches(machine)
    assert machine.calls.count(aptlists.command()) == 1
    assert (second.pending_total, second.pending_security) == (first.pending_total, 2)
    machine.spec["mtimes"]["/var/lib/dpkg/status"] = 1795400000
    patches.gather_patches(machine)
    assert machine.calls.count(aptlists.command()) == 2


def copy_of(distro: str, tmp_path: Path) -> FixtureHost:
    shutil.copytree(FIXTURES / distro, tmp_path / distro)
    return FixtureHost(tmp_path / distro)


def test_apt_pin_falls_back_to_apt_get(tmp_path: Path) -> None:
    """A pin that can change a candidate: apt-get -s answers, and the notes say why."""
    machine = copy_of("debian12", tmp_path)
    preferences = machine.directory / "tree/etc/apt/preferences.d/openssl.pref"
    preferences.parent.mkdir(parents=True)
    preferences.write_text("Package: openssl\nPin: release n=bookworm\nPin-Priority: 1001\n")
    facts = patches.gather_patches(machine)
    assert machine.calls.count(patches.APT_SIMULATE) == 1
    assert (facts.pending_total, facts.pending_security) == (3, 2)
    assert len(facts.notes) == 1 and "pin in " in facts.notes[0]
    assert "openssl.pref: release n=bookworm" in facts.notes[0]
    assert "counted with apt-get -s dist-upgrade instead" in facts.notes[0]


@pytest.mark.parametrize(
    ("tool", "suffix"), [("gzip", "gz"), ("xz", "xz"), ("lz4", "lz4"), ("zstd", "zst")]
)
def test_compressed_lists(tmp_path: Path, tool: str, suffix: str) -> None:
    """apt-helper reads the lists however apt stored them (Docker images keep lz4)."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    machine = copy_of("ubuntu2204", tmp_path)
    for plain in (machine.directory / "tree/var/lib/apt/lists").glob("*_Packages"):
        with plain.with_name(f"{plain.name}.{suffix}").open("wb") as packed:
            subprocess.run([tool, "-c", str(plain)], stdout=packed, check=True)
        plain.unlink()
    facts = patches.gather_patches(machine)
    assert (facts.pending_total, facts.pending_security, facts.notes) == (2, 1, [])
