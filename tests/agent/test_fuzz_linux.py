"""Hypothesis over every Linux parser: garbage in, fewer facts or FactError out, never a crash.

Each result is also strictly decoded against the contract, so no parser can emit a value the
collector would reject (an over-long name, an out-of-range count).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent import eol
from agent.host import FactError
from agent.linux import (
    accounts,
    antivirus,
    aptlists,
    desktop,
    endpoint,
    firewall,
    logs,
    pam,
    patches,
    probes,
    remote,
    software,
    system,
)
from canh.contract import facts as contract
from tests.agent.fuzzing import TEXT, valid

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@given(TEXT)
@settings(max_examples=150)
def test_linux_package_parsers(text: str) -> None:
    """dpkg, rpm, snap and flatpak output."""
    packages = software.parse_dpkg(text) + software.parse_rpm(text)
    packages += software.parse_snap("Name  Version\n" + text) + software.parse_flatpak(text)
    valid(contract.SoftwareFacts(packages=packages))


@given(TEXT, st.dictionaries(st.text(max_size=40), st.integers(0, 2**40), max_size=5))
@settings(max_examples=150)
def test_linux_antivirus_parsers(text: str, stamps: dict[str, int]) -> None:
    """clamscan --version, config values, mdatp JSON, database mtimes."""
    times = probes.parse_stat_times(text) | {
        k: datetime.fromtimestamp(v, UTC) for k, v in stamps.items() if v < 2**34
    }
    include = antivirus.parse_conf_values(text, "OnAccessIncludePath")
    product = antivirus.clamav_product(text, times, True, True, include, NOW)
    products = [product]
    with contextlib.suppress(FactError):
        products.append(antivirus.parse_mdatp_health(text))
    valid(contract.AntivirusFacts(products=products))


@given(TEXT)
@settings(max_examples=150)
def test_linux_patch_parsers(text: str) -> None:
    """apt, dpkg and dnf output, the apt package-list script's output, date offsets."""
    zone = patches.parse_utc_offset(text) or UTC
    stamps = [patches.parse_dpkg_log(text, zone), patches.parse_apt_history(text, zone)]
    stamps.append(patches.parse_install_times(text))
    total, security = patches.parse_apt_simulation(text)
    for lists in (aptlists.parse_output(text), aptlists.parse_output(f"@arch amd64\n{text}")):
        aptlists.active_pins(lists)
        listed, listed_security, _bad = aptlists.pending(lists)
        assert listed_security <= listed <= len(lists.installed)
    valid(
        contract.PatchFacts(
            last_install_at=max((s for s in stamps if s), default=None),
            pending_total=total + patches.parse_dnf_check_update(text),
            pending_security=security + patches.parse_dnf_security(text),
        )
    )


@given(TEXT, TEXT)
@settings(max_examples=150)
def test_linux_account_parsers(text: str, other: str) -> None:
    """passwd/shadow/group/login.defs/sudoers/lastlog and the PAM stacks."""
    shadow = accounts.parse_shadow(text, date(2026, 11, 22))
    groups = accounts.parse_group(text)
    all_rights, nopasswd, _ = accounts.parse_sudoers(text)
    admins = {m for members in groups.values() for m in members} | set(all_rights)
    users = accounts.build_users(other, shadow, admins, accounts.parse_lastlog(text), 1000)
    accounts.parse_login_defs(text)
    stack = pam.parse_pam(text) + pam.parse_pam(other)
    policy = pam.evaluate(stack, stack, pam.parse_keyvalue(text), pam.parse_keyvalue(other), {})
    facts = contract.AccountFacts(
        users=users[:4096],
        sudo_nopasswd=[n[:256] for n in nopasswd][:256],
        password_min_length=policy.min_length,
        password_min_classes=policy.min_classes,
        password_history=policy.history,
        lockout_threshold=policy.lockout_threshold,
        lockout_duration_minutes=policy.lockout_minutes,
        lockout_window_minutes=policy.lockout_window_minutes,
    )
    valid(facts)


@given(TEXT)
@settings(max_examples=150)
def test_linux_firewall_and_remote_parsers(text: str) -> None:
    """ufw, firewalld, nft, iptables, sshd -T and sshd_config, Samba."""
    profiles = [firewall.parse_nft(text), firewall.parse_iptables(text)]
    if (ufw := firewall.parse_ufw(text)) is not None:
        profiles.append(ufw)
    firewall.parse_firewalld_zone(text)
    valid(contract.FirewallFacts(profiles=profiles))
    rules = firewall.ufw_admin_rules(text) or firewall.firewalld_admin_rules(text)
    fields = remote.ssh_facts(remote.parse_sshd_t(text))
    remote.ssh_facts(remote.parse_sshd_config(text, {"x": text}))
    valid(
        contract.RemoteAccessFacts(
            inbound_admin_rules=rules,
            smb1_enabled=remote.smb1_enabled(text, text),
            **fields,  # type: ignore[arg-type]
        )
    )


@given(TEXT)
@settings(max_examples=150)
def test_linux_logging_and_endpoint_parsers(text: str) -> None:
    """journal headers, syslog forwarding, time sync, audit rules, lsblk, TMOUT, GNOME values."""
    synced, source, when = logs.parse_chrony_tracking(text)
    enabled, _ = logs.parse_timedatectl(text)
    logs.journald_storage([text])
    valid(
        contract.LoggingFacts(
            oldest_event_at=logs.parse_journal_heads(text),
            forwarding_targets=[
                t[:256] for t in logs.rsyslog_targets(text) + logs.syslog_ng_targets(text)
            ][:256],
            audit_watched_paths=[p[:256] for p in logs.audit_watches(text)][:256],
            time_synchronized=synced,
            time_sync_enabled=enabled,
            time_source=source[:256] if source else None,
            last_time_sync_at=when,
            auth_events=logs.count_auth_events(text),
        )
    )
    try:
        volumes = endpoint.parse_lsblk(text)
    except FactError:
        volumes = []
    tmout, _ = endpoint.parse_tmout({"p": text})
    timeout, lock = endpoint.screen_lock(
        desktop.gvariant_uint(text), desktop.gvariant_bool(text), desktop.gvariant_uint(text)
    )
    desktop.autologon({"/etc/gdm3/custom.conf": text, "/etc/lightdm/lightdm.conf": text})
    valid(
        contract.EndpointFacts(
            volumes=volumes,
            screen_lock_timeout_seconds=timeout if timeout is None or timeout <= 2**53 else None,
            screen_lock_enabled=lock,
            shell_timeout_seconds=tmout if tmout is None or tmout <= 2**53 else None,
        )
    )


@given(TEXT)
@settings(max_examples=100)
def test_linux_probe_and_system_parsers(text: str) -> None:
    """stat, systemctl show, running units, os-release, chassis numbers."""
    probes.parse_stat_times(text)
    probes.parse_systemctl_show(text)
    valid(
        contract.SystemFacts(
            hostname="h", os_family="linux", services_running=system.parse_running_units(text)
        )
    )
    system.parse_os_release(text)
    system.chassis_kind(len(text))


@given(TEXT, st.integers(0, 10**6), st.text(max_size=20), st.text(max_size=10))
def test_eol_lookups(text: str, build: int, os_id: str, version: str) -> None:
    """EOL table parsing and lookups never raise on odd input."""
    table = eol.default_table()
    eol.windows_eol(table, build, server=bool(build % 2), edition_id=text)
    eol.linux_eol(table, os_id, version)
    eol.edition_class(text)
