"""Local accounts on Linux: passwd, shadow (when readable), group, sudoers, login.defs and PAM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from agent.host import FactError, Host
from agent.linux import desktop, pam, probes
from canh.contract.facts import Account, AccountFacts

NOLOGIN_SHELLS = ("nologin", "false", "sync", "shutdown", "halt")
ADMIN_GROUPS = ("sudo", "wheel", "admin")
NEVER_EXPIRES_DAYS = 10000  # shadow max 99999 (or anything this large) means "never"
_SCHEMES = {
    "1": "md5",
    "2a": "bcrypt",
    "2b": "bcrypt",
    "2y": "bcrypt",
    "5": "sha256",
    "6": "sha512",
    "7": "scrypt",
    "y": "yescrypt",
    "gy": "gost-yescrypt",
    "sha1": "sha1crypt",
}


@dataclass(frozen=True, slots=True)
class Shadow:
    """The fields of one /etc/shadow line the checks need (never the hash itself)."""

    empty: bool
    locked: bool
    scheme: str | None
    last_change: date | None
    max_days: int | None
    expired: bool


def password_scheme(field: str) -> str | None:
    """Hash scheme of a shadow password field ("!" lock prefixes removed)."""
    value = field.lstrip("!")
    match = re.match(r"^\$([0-9a-z]+)\$", value)
    if match:
        return _SCHEMES.get(match.group(1), match.group(1)[:16])
    if len(value) == 13 and re.fullmatch(r"[./0-9A-Za-z]{13}", value):
        return "des"
    return None


def parse_shadow(text: str, today: date) -> dict[str, Shadow]:
    """Per-user facts from shadow(5)."""
    out: dict[str, Shadow] = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) < 8 or not parts[0]:
            continue
        field = parts[1]
        last = int(parts[2]) if parts[2].isdigit() else None
        expire = int(parts[7]) if parts[7].isdigit() else None
        epoch = date(1970, 1, 1)
        out[parts[0]] = Shadow(
            empty=field == "",
            locked=field.startswith(("!", "*")),
            scheme=password_scheme(field),
            # 0 means "change at next login": the date of the last change is not known.
            last_change=epoch + timedelta(days=last) if last else None,
            max_days=int(parts[4]) if parts[4].isdigit() else None,
            expired=expire is not None and epoch + timedelta(days=expire) <= today,
        )
    return out


def parse_group(text: str) -> dict[str, list[str]]:
    """Group name → member names from group(5)."""
    groups: dict[str, list[str]] = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0]:
            groups[parts[0]] = [m for m in parts[3].split(",") if m]
    return groups


def parse_login_defs(text: str) -> dict[str, str]:
    """KEY value pairs of login.defs(5)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        parts = raw.split("#", 1)[0].split()
        if len(parts) >= 2:
            values[parts[0]] = parts[1]
    return values


def parse_sudoers(text: str) -> tuple[list[str], list[str], bool]:
    """Principals granted ALL, principals with NOPASSWD rules, and whether includedir is used."""
    all_rights: list[str] = []
    nopasswd: list[str] = []
    includes = False
    for raw in re.sub(r"\\\n", " ", text).splitlines():
        line = raw.strip()
        if re.match(r"^[#@]includedir\s", line):
            includes = True
            continue
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith(("Defaults", "Cmnd_Alias", "Host_Alias", "Runas_Alias")):
            continue
        if line.startswith("User_Alias"):
            continue
        match = re.match(r"^(\S+)\s+\S+\s*=\s*(.*)$", line)
        if not match:
            continue
        principal, spec = match.groups()
        commands = re.sub(r"\([^)]*\)", "", spec)
        if re.search(r"(?:^|[\s,:])ALL\s*$", commands) or commands.strip() == "ALL":
            all_rights.append(principal)
        if "NOPASSWD:" in spec:
            nopasswd.append(principal)
    return all_rights, nopasswd, includes


def parse_lastlog(text: str) -> dict[str, datetime]:
    """Last logon per user from ``lastlog`` (C locale); "Never logged in" users are absent."""
    out: dict[str, datetime] = {}
    for line in text.splitlines()[1:]:
        match = re.search(r"(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d [+-]\d{4} \d{4})\s*$", line)
        if match:
            try:
                stamp = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %z %Y")
            except ValueError:
                continue
            out[line.split()[0]] = stamp.astimezone(UTC)
    return out


def build_users(
    passwd: str,
    shadow: dict[str, Shadow] | None,
    admins: set[str],
    last_logons: dict[str, datetime],
    uid_min: int,
) -> list[Account]:
    """Accounts a person could use: UID 0, UID ≥ UID_MIN (not nobody), or a usable password."""
    users = []
    for line in passwd.splitlines():
        parts = line.split(":")
        if len(parts) < 7 or not parts[0] or not parts[2].isdigit():
            continue
        name, uid, shell = parts[0], int(parts[2]), parts[6].strip()
        entry = shadow.get(name) if shadow is not None else None
        usable = entry is not None and not entry.locked
        if not (uid == 0 or (uid >= uid_min and uid != 65534) or usable):
            continue
        login_shell = not shell.rsplit("/", 1)[-1].startswith(NOLOGIN_SHELLS)
        if not login_shell:
            enabled: bool | None = False
        elif shadow is None:
            enabled = None
        else:
            enabled = not (entry is not None and entry.expired)
        max_days = entry.max_days if entry else None
        never = entry is not None and (max_days is None or max_days >= NEVER_EXPIRES_DAYS)
        users.append(
            Account(
                name=name[:256],
                uid=str(uid),
                enabled=enabled,
                admin=uid == 0 or name in admins,
                last_logon=last_logons.get(name),
                password_last_set=(
                    datetime(*entry.last_change.timetuple()[:3], tzinfo=UTC)
                    if entry and entry.last_change
                    else None
                ),
                password_max_age_days=_days(0 if never else max_days),
                password_never_expires=None if entry is None else never,
                password_locked=entry.locked if entry else None,
                password_scheme=entry.scheme if entry else None,
                empty_password=entry.empty if entry else None,
            )
        )
    return users


def _stack(host: Host, *paths: str) -> list[pam.PamLine]:
    for path in paths:
        text = host.read_text(path)
        if text is not None:
            return pam.parse_pam(text)
    return []


def gather_accounts(host: Host) -> AccountFacts:
    """Users, privileged members, sudo NOPASSWD rules and the PAM password/lockout policy."""
    passwd = host.read_text("/etc/passwd")
    if passwd is None:
        raise FactError("/etc/passwd is unreadable")
    notes: list[str] = []
    shadow_text = host.read_text("/etc/shadow")
    shadow = parse_shadow(shadow_text, date.today()) if shadow_text is not None else None
    if shadow is None:
        notes.append("/etc/shadow is unreadable (agent not root): password facts unknown")
    groups = parse_group(host.read_text("/etc/group") or "")
    sudoers = host.read_text("/etc/sudoers")
    all_rights, nopasswd, includes = parse_sudoers(sudoers or "")
    if sudoers is None:
        notes.append("/etc/sudoers is unreadable: sudo rules unknown")
    if includes:
        for text in probes.read_dir_files(host, "/etc/sudoers.d").values():
            extra_all, extra_nopasswd, _ = parse_sudoers(text)
            all_rights += extra_all
            nopasswd += extra_nopasswd
    admins = {m for g in ADMIN_GROUPS for m in groups.get(g, [])}
    admins |= {p for p in all_rights if not p.startswith("%")}
    for principal in all_rights:
        if principal.startswith("%"):
            admins |= set(groups.get(principal[1:], []))
    defs = parse_login_defs(host.read_text("/etc/login.defs") or "")
    uid_min = int(defs["UID_MIN"]) if defs.get("UID_MIN", "").isdigit() else 1000
    try:
        lastlog = host.run(["lastlog"], timeout=20)
        logons = parse_lastlog(lastlog.stdout) if lastlog.returncode == 0 else {}
    except FactError:
        logons = {}
        notes.append("lastlog is not installed: last logon unknown")
    users = build_users(passwd, shadow, admins, logons, uid_min)
    admin_members = sorted({u.name for u in users if u.admin} | admins | set(all_rights))
    policy = pam.evaluate(
        _stack(host, "/etc/pam.d/common-password", "/etc/pam.d/system-auth"),
        _stack(host, "/etc/pam.d/common-auth", "/etc/pam.d/system-auth"),
        pam.parse_keyvalue(host.read_text("/etc/security/pwquality.conf") or ""),
        pam.parse_keyvalue(host.read_text("/etc/security/faillock.conf") or ""),
        pam.parse_keyvalue(host.read_text("/etc/security/pwhistory.conf") or ""),
    )
    if policy.min_length is None:
        notes.append("no pam_pwquality/pam_cracklib or pam_unix minlen: minimum length unknown")
    max_days = _int(defs.get("PASS_MAX_DAYS"))
    return AccountFacts(
        users=users,
        admin_members=admin_members[:256],
        password_min_length=policy.min_length,
        password_min_classes=policy.min_classes,
        password_complexity=policy.complexity,
        password_max_age_days=_days(
            0 if max_days is not None and max_days >= NEVER_EXPIRES_DAYS else max_days
        ),
        password_history=policy.history,
        password_hash_method=defs.get("ENCRYPT_METHOD"),
        lockout_threshold=policy.lockout_threshold,
        lockout_duration_minutes=policy.lockout_minutes,
        lockout_window_minutes=policy.lockout_window_minutes,
        guest_enabled=desktop.autologon(desktop.display_manager_configs(host))[1],
        sudo_nopasswd=sorted(set(nopasswd))[:256],
        policy_source=f"pam ({policy.quality_module or 'no quality module'})",
        notes=notes,
    )


def _days(value: int | None) -> float | None:
    """Days as the contract's float (an int would hash differently after a round trip)."""
    return float(value) if value is not None and 0 <= value < NEVER_EXPIRES_DAYS else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
