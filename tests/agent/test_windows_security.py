"""Windows security parsers (antivirus, patches, accounts, hardening, logging, endpoint)."""

from __future__ import annotations

import pytest

from agent.windows import antivirus, firewall, patches
from tests.agent.windows_cases import TODAY, load, parse, utc

# (productState, scanner, up to date, owned by Windows), each derived from the bit layout in
# decode_product_state: bits 12-15 scanner, 8-11 owner, 4-7 signatures.
PRODUCT_STATES = [
    (266240, "on", True, False),  # 0x041000: third-party AV, on, up to date
    (262144, "off", True, False),  # 0x040000: off
    (262160, "off", False, False),  # 0x040010: off, out of date
    (266256, "on", False, False),  # 0x041010: on, out of date
    (393216, "off", True, False),  # 0x060000
    (393472, "off", True, True),  # 0x060100: Windows Defender off (another AV is active)
    (397312, "on", True, False),  # 0x061000
    (397568, "on", True, True),  # 0x061100: Windows Defender on, up to date
    (397584, "on", False, True),  # 0x061110: Windows Defender on, out of date
    (401664, "snoozed", True, True),  # 0x062100
    (270336, "snoozed", True, False),  # 0x042000
    (331776, "on", True, False),  # 0x051000
    (274432, "expired", True, False),  # 0x043000
]


@pytest.mark.parametrize(("state", "scanner", "up_to_date", "microsoft"), PRODUCT_STATES)
def test_product_state_decoding(
    state: int, scanner: str, up_to_date: bool, microsoft: bool
) -> None:
    """productState bits: scanner state, signature status and owner."""
    decoded = antivirus.decode_product_state(state)
    assert (decoded.scanner, decoded.up_to_date, decoded.microsoft) == (
        scanner,
        up_to_date,
        microsoft,
    )
    assert decoded.enabled is (scanner == "on")


def test_product_state_unknown_nibbles() -> None:
    """Values outside the documented states are unknown, not guessed."""
    decoded = antivirus.decode_product_state(0x47020)
    assert decoded.scanner is None and decoded.enabled is None and decoded.up_to_date is None


def test_defender_on_workstation() -> None:
    """Security Center's Defender entry folds into the richer Get-MpComputerStatus record."""
    (defender,) = parse("win10-workstation", "antivirus").products
    assert (defender.enabled, defender.realtime, defender.signatures_up_to_date) == (
        True,
        True,
        True,
    )
    assert defender.signature_age_days == 0.0 and defender.source == "defender"
    assert defender.signatures_updated_at == utc("2026-11-22T01:03:12")
    assert defender.last_scan == utc("2026-11-21T05:40:55") and defender.removable_scan is True
    assert defender.licensed is None


def test_bkav_pro_with_passive_defender() -> None:
    """BKAV Pro on and licensed, with its version; Defender in passive mode is not enabled."""
    found = {p.vendor: p for p in parse("win11-thirdparty-av", "antivirus").products}
    bkav = found["Bkav"]
    assert (bkav.enabled, bkav.realtime, bkav.signatures_up_to_date) == (True, True, True)
    assert (bkav.edition, bkav.licensed, bkav.version, bkav.source) == (
        "Pro",
        True,
        "6.0.0.1",
        "securitycenter2",
    )
    defender = found["Microsoft"]
    assert defender.enabled is False and defender.realtime is False
    assert defender.note == "running mode: Passive Mode"
    assert len(found) == 2


def test_server_defender_without_security_center() -> None:
    """Windows Server: no SecurityCenter2, Defender from its cmdlet, the gap noted."""
    facts = parse("server2019", "antivirus")
    (defender,) = facts.products
    assert (defender.enabled, defender.realtime, defender.removable_scan) == (True, True, False)
    assert any("Security Center" in n for n in facts.notes)


def test_server_defender_off_and_stale() -> None:
    """Real-time off, signatures 12 days old and flagged out of date (PowerShell 7 dates)."""
    (defender,) = parse("server2022-defender-off", "antivirus").products
    assert (defender.enabled, defender.realtime, defender.signatures_up_to_date) == (
        True,
        False,
        False,
    )
    assert defender.signature_age_days == 12.0
    assert defender.signatures_updated_at == utc("2026-11-10T02:02:11.123456")


def test_bkav_home_is_free() -> None:
    """BKAV Home found by its service alone (e.g. on a server): free edition, not licensed."""
    service = {"Name": "BkavService", "DisplayName": "Bkav Home Service", "Status": "Running"}
    doc = {
        "SecurityCenter": None,
        "Defender": None,
        "Services": [service],
        "Installed": [{"DisplayName": "Bkav Home", "DisplayVersion": "2024.1"}],
    }
    (bkav,) = antivirus.parse_antivirus(doc).products
    assert (bkav.product, bkav.edition, bkav.licensed, bkav.enabled) == (
        "Bkav Home",
        "Home",
        False,
        True,
    )
    assert bkav.version == "2024.1" and bkav.realtime is None


def test_patches_unsupported_win10() -> None:
    """Windows 10 22H2 passed its end of support; definition updates do not count as installs."""
    facts = parse("win10-workstation", "patches")
    assert facts.last_install_at == utc("2025-10-15T03:20:11")
    assert (facts.pending_total, facts.pending_security, facts.reboot_required) == (0, 0, False)
    assert (facts.os_eol_date, facts.os_supported, facts.os_licensed) == ("2025-10-14", False, True)
    assert facts.last_search_at == utc("2026-11-22T00:40:12")


def test_patches_pending_on_win11() -> None:
    """Two security updates pending of three; reboot flagged; 25H2 still supported."""
    facts = parse("win11-thirdparty-av", "patches")
    assert (facts.pending_total, facts.pending_security) == (3, 2)
    assert facts.oldest_pending_security_at == utc("2026-11-11T00:00:00")
    assert facts.reboot_required is True and facts.last_install_at == utc("2026-10-16T02:10:44")
    assert (facts.os_eol_date, facts.os_supported) == ("2027-10-12", True)


def test_patches_server() -> None:
    """Server 2019 patched, nothing pending; Server 2022 behind, pending security, not activated."""
    s19 = parse("server2019", "patches")
    assert (s19.pending_total, s19.pending_security, s19.os_eol_date) == (0, 0, "2029-01-09")
    assert s19.last_install_at == utc("2026-11-12T19:30:02")
    s22 = parse("server2022-defender-off", "patches")
    assert (s22.pending_total, s22.pending_security) == (4, 3)
    assert s22.oldest_pending_security_at == utc("2026-10-14T00:00:00")
    assert (s22.os_licensed, s22.os_supported, s22.os_eol_date) == (False, True, "2031-10-14")
    assert s22.last_install_at == utc("2026-09-10T05:12:40")


def test_windows_update_never_searched() -> None:
    """No successful search yet: pending counts are unknown, not zero."""
    doc = load("win11-thirdparty-av", "patches") | {"LastSearch": None}
    facts = patches.parse_patches(doc, TODAY)
    assert facts.pending_total is None and any("never" in n for n in facts.notes)


def test_accounts_policy_and_builtins() -> None:
    """secedit policy; built-in accounts by RID; domain groups among Administrators."""
    w10 = parse("win10-workstation", "accounts")
    assert (w10.password_min_length, w10.password_complexity, w10.password_min_classes) == (
        8,
        True,
        3,
    )
    assert (w10.password_max_age_days, w10.password_history, w10.lockout_threshold) == (42.0, 24, 0)
    assert w10.lockout_duration_minutes is None and w10.guest_enabled is False
    assert "SOYTE\\Domain Admins" in w10.admin_members and w10.password_filters == []
    ketoan = next(u for u in w10.users if u.name == "ketoan")
    assert (
        ketoan.admin
        and ketoan.password_never_expires
        and ketoan.last_logon == utc("2026-11-22T00:32:10")
    )
    w11 = parse("win11-thirdparty-av", "accounts")
    assert (w11.lockout_threshold, w11.lockout_duration_minutes, w11.lockout_window_minutes) == (
        10,
        10.0,
        10.0,
    )
    assert w11.password_complexity is False and w11.password_min_classes == 0
    s19 = parse("server2019", "accounts")
    assert (
        s19.builtin_admin_enabled is True and s19.lockout_duration_minutes == -1.0
    )  # admin unlock
    assert s19.password_max_age_days == 60.0
    s22 = parse("server2022-defender-off", "accounts")
    assert (
        s22.password_max_age_days,
        s22.password_reversible_encryption,
        s22.lm_hash_disabled,
    ) == (0.0, True, False)
    assert s22.password_filters == ["PassFiltEx"]
    vendor = next(u for u in s22.users if u.name == "vendor")
    assert vendor.password_required is False and vendor.password_never_expires is False


def test_vietnamese_accounts_by_sid() -> None:
    """Renamed, translated built-ins are still found by RID; unknown admin membership stays None."""
    vi = parse("win10-vi", "accounts")
    assert (vi.builtin_admin_enabled, vi.guest_enabled) == (True, True)
    assert all(u.admin is None for u in vi.users) and vi.admin_members == []
    assert any("1789" in n for n in vi.notes)
    assert vi.console_user == "PC-DUOC-03\\Dược sĩ Lan"


def test_firewall_profiles() -> None:
    """Per-profile state; NotConfigured inbound resolves to block; third-party products."""
    w10 = {p.name: p for p in parse("win10-workstation", "firewall").profiles}
    assert w10["Public"].enabled is False and w10["Public"].default_inbound == "block"
    s22 = {p.name: p for p in parse("server2022-defender-off", "firewall").profiles}
    assert s22["Public"].default_inbound == "allow"
    w11 = parse("win11-thirdparty-av", "firewall")
    assert [(p.name, p.enabled) for p in w11.products] == [("Bkav Pro Firewall", True)]


def test_numeric_enums_from_uncast_output() -> None:
    """Enum numbers (GpoBoolean, NetSecurity.Action) read like their names."""
    doc = {"Profiles": [{"Name": "Domain", "Enabled": 1, "DefaultInboundAction": 4},
                        {"Name": "Public", "Enabled": 0, "DefaultInboundAction": 2}]}  # fmt: skip
    profiles = firewall.parse_firewall(doc).profiles
    assert [(p.enabled, p.default_inbound) for p in profiles] == [(True, "block"), (False, "allow")]


def test_remote_access() -> None:
    """RDP/NLA with policy precedence, SMB1, autorun, autologon, admin rules, MFA provider."""
    w10 = parse("win10-workstation", "remote_access")
    assert (w10.rdp_enabled, w10.rdp_nla, w10.autorun_disabled, w10.autologon_enabled) == (
        True,
        True,
        False,
        False,
    )
    assert w10.inbound_admin_rules is not None
    assert {(r.proto, r.port, tuple(r.sources)) for r in w10.inbound_admin_rules} == {
        ("tcp", 3389, ("any",)), ("udp", 3389, ("any",))}  # fmt: skip
    assert w10.mfa_providers == [] and w10.smb_server_present is True
    w11 = parse("win11-thirdparty-av", "remote_access")
    assert (w11.rdp_enabled, w11.autorun_disabled, w11.autologon_enabled) == (False, True, True)
    assert any("DefaultPassword" in n for n in w11.notes)
    s19 = parse("server2019", "remote_access")
    assert (s19.rdp_nla, s19.rdp_idle_timeout_seconds) == (True, 900)  # policy overrides RDP-Tcp
    assert s19.mfa_providers == ["Duo Authentication for Windows Logon"]
    s22 = parse("server2022-defender-off", "remote_access")
    assert (s22.rdp_nla, s22.smb1_enabled, s22.ssh_running, s22.rdp_idle_timeout_seconds) == (
        False,
        True,
        True,
        0,
    )


def test_logging_audit_and_time() -> None:
    """Audit policy by GUID, Security log size and oldest event, WEF, w32tm source and sync."""
    s19 = parse("server2019", "logging")
    logon = next(a for a in s19.audit_policy if a.guid == "0CCE9215-69AE-11D9-BED3-505054503030")
    assert (logon.subcategory, logon.success, logon.failure) == ("Logon", True, True)
    assert s19.security_log_max_bytes == 134217728 and s19.oldest_event_at == utc(
        "2026-09-03T04:20:00"
    )
    assert s19.forwarding and s19.forwarding_targets == ["wec01.soyte.local", "agent:winlogbeat"]
    assert (s19.time_synchronized, s19.time_source) == (True, "DC01.soyte.local")
    assert s19.last_time_sync_at == utc("2026-11-22T03:47:09")
    w11 = parse("win11-thirdparty-av", "logging")
    assert w11.last_time_sync_at == utc("2026-11-22T14:03:11")  # 9:03:11 PM +07
    assert w11.time_source == "time.windows.com,0x9"
    s22 = parse("server2022-defender-off", "logging")
    assert (s22.time_synchronized, s22.time_source, s22.last_time_sync_at) == (False, None, None)
    assert s22.time_sync_enabled is True and s22.auth_events == 100


def test_vietnamese_w32tm_and_auditpol() -> None:
    """vi-VN: translated labels, dd/MM/yyyy dates, translated subcategories found by GUID."""
    vi = parse("win10-vi", "logging")
    assert (vi.time_synchronized, vi.time_source) == (True, "dc.ttyt-huyena.local")
    assert vi.last_time_sync_at == utc("2026-11-22T07:05:09")
    by_guid = {a.guid: a for a in vi.audit_policy}
    assert (
        by_guid["0CCE9235-69AE-11D9-BED3-505054503030"].subcategory
        == "Quản lý Tài khoản Người dùng, cục bộ"
    )
    assert by_guid["0CCE923F-69AE-11D9-BED3-505054503030"].success is False
    assert len(vi.audit_policy) == 5 and vi.audit_enabled is True


def test_endpoint_lock_and_bitlocker() -> None:
    """Policy screen saver wins over the user's; BitLocker on/off; servers without BitLocker."""
    w10 = parse("win10-workstation", "endpoint")
    assert (w10.screen_lock_enabled, w10.screen_lock_timeout_seconds) == (True, 600)
    assert {v.name: v.encrypted for v in w10.volumes} == {"C:": False, "D:": False}
    w11 = parse("win11-thirdparty-av", "endpoint")
    assert (w11.screen_lock_enabled, w11.screen_lock_timeout_seconds) == (False, 0)
    assert [(v.name, v.encrypted, v.method, v.system) for v in w11.volumes] == [
        ("C:", True, "XtsAes128", True)
    ]
    s19 = parse("server2019", "endpoint")
    assert (s19.screen_lock_enabled, s19.screen_lock_timeout_seconds, s19.desktop) == (
        True,
        900,
        True,
    )
    assert [v.encrypted for v in s19.volumes] == [None, None]
