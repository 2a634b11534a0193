"""Remote access on Linux: sshd's effective settings, Samba SMB1, autologon and autorun."""

from __future__ import annotations

import re

from agent.host import FactError, Host
from agent.linux import desktop, firewall, pam, probes
from canh.contract.facts import InboundRule, RemoteAccessFacts

SSH_UNITS = ("ssh", "sshd")
# sshd_config(5) defaults of OpenSSH 7.0 and later, for the config-file fallback.
SSHD_DEFAULTS = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "maxauthtries": "6",
    "clientaliveinterval": "0",
    "clientalivecountmax": "3",
    "authenticationmethods": "any",
    "channeltimeout": "none",
}
_SMB1 = ("NT1", "LANMAN1", "LANMAN2", "CORE", "COREPLUS")


def parse_sshd_t(text: str) -> dict[str, list[str]]:
    """``sshd -T`` lines: keyword (lower case) → values, in order (listenaddress repeats)."""
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            values.setdefault(key.lower(), []).append(value.strip())
    return values


def parse_sshd_config(text: str, included: dict[str, str]) -> dict[str, list[str]]:
    """sshd_config(5) without sshd: first value wins, Match blocks skipped, Includes inlined."""
    values: dict[str, list[str]] = {}
    in_match = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        key = key.lower()
        if key == "match":
            in_match = True
        elif in_match:
            continue
        elif key == "include":
            for path in sorted(included):
                for k, v in parse_sshd_config(included[path], {}).items():
                    values.setdefault(k, v)
        elif key == "listenaddress":
            values.setdefault(key, []).append(value.strip())
        elif key not in values:
            values[key] = [value.strip()]
    for key, default in SSHD_DEFAULTS.items():
        values.setdefault(key, [default])
    return values


def duration_seconds(text: str) -> int | None:
    """sshd time format ("300", "5m", "1h30m") in seconds."""
    if text.isdigit():
        return int(text)
    parts = re.findall(r"(\d+)([smhdwSMHDW])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return sum(int(n) * unit[u.lower()] for n, u in parts)


def channel_timeout(values: list[str]) -> int | None:
    """Session idle timeout from ``channeltimeout`` (OpenSSH 9.2+); 0 when none is set."""
    if not values:
        return None
    for item in " ".join(values).split():
        name, _, interval = item.partition("=")
        if name in ("session", "session:*", "*"):
            return duration_seconds(interval)
    return 0


def ssh_facts(values: dict[str, list[str]]) -> dict[str, object]:
    """RemoteAccessFacts fields from sshd settings."""

    def first(key: str) -> str | None:
        return values.get(key, [None])[0]

    def listing(key: str) -> list[str]:
        return [x[:256] for x in (first(key) or "").split(",") if x][:256]

    root = first("permitrootlogin")
    interval = first("clientaliveinterval") or ""
    count = first("clientalivecountmax") or ""
    tries = first("maxauthtries") or ""
    return {
        "ssh_permit_root_login": "prohibit-password" if root == "without-password" else root,
        "ssh_password_auth": {"yes": True, "no": False}.get(first("passwordauthentication") or ""),
        "ssh_max_auth_tries": int(tries) if tries.isdigit() else None,
        "ssh_client_alive_seconds": (
            int(interval) * int(count) if interval.isdigit() and count.isdigit() else None
        ),
        "ssh_channel_timeout_seconds": channel_timeout(values.get("channeltimeout", [])),
        "ssh_authentication_methods": first("authenticationmethods"),
        "ssh_listen": [x[:256] for x in values.get("listenaddress", [])][:256],
        "ssh_ciphers": listing("ciphers"),
        "ssh_macs": listing("macs"),
        "ssh_kex": listing("kexalgorithms"),
    }


def smb1_enabled(smb_conf: str | None, version_text: str | None) -> bool | None:
    """Whether Samba still accepts SMB1; None without Samba."""
    if smb_conf is None:
        return None
    values = desktop.parse_ini(smb_conf)
    setting = values.get(("global", "server min protocol")) or values.get(
        ("global", "min protocol")
    )
    if setting:
        return setting.upper() in _SMB1
    version = re.search(r"(\d+)\.(\d+)", version_text or "")
    if version is None:
        return None
    # Samba 4.11 raised the default minimum to SMB2_02; older releases accept NT1.
    return (int(version.group(1)), int(version.group(2))) < (4, 11)


def _sshd_settings(host: Host, notes: list[str]) -> dict[str, list[str]] | None:
    try:
        result = host.run(["sshd", "-T"], timeout=15)
        if result.returncode == 0:
            return parse_sshd_t(result.stdout)
        notes.append(f"sshd -T failed ({result.stderr.strip()[:120]}); read sshd_config instead")
    except FactError as err:
        if "not installed" not in str(err):
            notes.append(str(err))
    config = host.read_text("/etc/ssh/sshd_config")
    if config is None:
        return None
    included = probes.read_dir_files(host, "/etc/ssh/sshd_config.d", ".conf")
    return parse_sshd_config(config, included)


def _admin_rules(host: Host) -> list[InboundRule] | None:
    """Allow rules for admin ports from the active front end (ufw or firewalld).

    None when neither is active: raw nftables/iptables rule sets are not interpreted.
    """
    for argv, parse in (
        (["ufw", "status", "verbose"], firewall.ufw_admin_rules),
        (["firewall-cmd", "--list-all"], firewall.firewalld_admin_rules),
    ):
        try:
            result = host.run(argv, timeout=15)
        except FactError:
            continue
        if result.returncode == 0 and (rules := parse(result.stdout)) is not None:
            return rules
    return None


def gather_remote_access(host: Host) -> RemoteAccessFacts:
    """SSH server settings and state, SMB1, automatic logon and autorun."""
    notes: list[str] = []
    states = probes.unit_states(host, list(SSH_UNITS))
    procs = probes.processes(host)
    ssh_running = probes.running(states, procs, SSH_UNITS, ("sshd",))
    settings = _sshd_settings(host, notes)
    fields: dict[str, object] = ssh_facts(settings) if settings is not None else {}
    mfa = pam.mfa_modules(pam.parse_pam(host.read_text("/etc/pam.d/sshd") or ""))
    smb_version = None
    smb_conf = host.read_text("/etc/samba/smb.conf")
    if smb_conf is not None:
        try:
            smb_version = host.run(["smbd", "-V"], timeout=10).stdout
        except FactError:
            smb_version = None
    autologon, _guest = desktop.autologon(desktop.display_manager_configs(host))
    rules = _admin_rules(host)
    autorun_disabled = None
    if probes.has_desktop(host):
        never = desktop.setting(
            host, "org.gnome.desktop.media-handling", "autorun-never", desktop.dconf_policy(host)
        )
        autorun_disabled = desktop.gvariant_bool(never)
    return RemoteAccessFacts(
        ssh_running=ssh_running,
        ssh_mfa_modules=mfa,
        smb1_enabled=smb1_enabled(smb_conf, smb_version),
        smb_server_present=smb_conf is not None,
        inbound_admin_rules=rules,
        autologon_enabled=autologon,
        autorun_disabled=autorun_disabled,
        notes=notes,
        **fields,  # type: ignore[arg-type]
    )
