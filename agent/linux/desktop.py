"""Desktop session settings on Linux: GNOME settings and display-manager automatic logon.

The agent runs as a system service, so ``gsettings`` shows the defaults plus the system-wide
dconf policy (``/etc/dconf/db/*.d``), which is what an administrator sets for every user; it
cannot see a change a user made in their own session.
"""

from __future__ import annotations

import re

from agent.host import FactError, Host
from agent.linux import probes

# GNOME's schema defaults, used when neither gsettings nor a dconf keyfile answers.
GNOME_DEFAULTS = {
    ("org.gnome.desktop.session", "idle-delay"): "uint32 300",
    ("org.gnome.desktop.screensaver", "lock-enabled"): "true",
    ("org.gnome.desktop.screensaver", "lock-delay"): "uint32 0",
    ("org.gnome.desktop.media-handling", "autorun-never"): "false",
}
DM_CONFIGS = (
    "/etc/gdm3/custom.conf",
    "/etc/gdm/custom.conf",
    "/etc/lightdm/lightdm.conf",
    "/etc/sddm.conf",
)


def parse_ini(text: str) -> dict[tuple[str, str], str]:
    """(section, key) → value of an INI/keyfile text; later values win, as in GLib keyfiles."""
    values: dict[tuple[str, str], str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = re.fullmatch(r"\[(.+)\]", line)
        if header:
            section = header.group(1).strip()
        elif "=" in line:
            key, _, value = line.partition("=")
            values[(section, key.strip())] = value.strip()
    return values


def gvariant_uint(text: str | None) -> int | None:
    """``uint32 300`` or ``300`` → 300."""
    match = re.fullmatch(r"\s*(?:uint32\s+)?(\d+)\s*", text or "")
    return int(match.group(1)) if match else None


def gvariant_bool(text: str | None) -> bool | None:
    """``true``/``false`` → bool."""
    value = (text or "").strip()
    return {"true": True, "false": False}.get(value)


def dconf_policy(host: Host) -> dict[tuple[str, str], str]:
    """Keys set in the system dconf databases, as (schema id, key)."""
    values: dict[tuple[str, str], str] = {}
    for db in sorted(probes.list_dir(host, "/etc/dconf/db") or []):
        if not db.endswith(".d"):
            continue
        for text in probes.read_dir_files(host, f"/etc/dconf/db/{db}").values():
            for (section, key), value in parse_ini(text).items():
                values[(section.replace("/", "."), key)] = value
    return values


def setting(host: Host, schema: str, key: str, policy: dict[tuple[str, str], str]) -> str | None:
    """A GNOME setting: gsettings, else the dconf policy, else the schema default."""
    try:
        result = host.run(["gsettings", "get", schema, key], timeout=10)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except FactError:
        pass
    return policy.get((schema, key), GNOME_DEFAULTS.get((schema, key)))


def autologon(texts: dict[str, str]) -> tuple[bool | None, bool | None]:
    """Automatic logon and LightDM guest session from display-manager configs by path.

    None when no display-manager config exists: there is no graphical logon to automate.
    """
    if not texts:
        return None, None
    auto = False
    guest: bool | None = None
    for path, text in texts.items():
        values = parse_ini(text)
        if "gdm" in path:
            auto |= any(
                values.get(("daemon", k), "").lower() in ("true", "1")
                for k in ("AutomaticLoginEnable", "TimedLoginEnable")
            )
        elif "lightdm" in path:
            auto |= any(bool(v) for (_, k), v in values.items() if k == "autologin-user")
            flags = [v.lower() == "true" for (_, k), v in values.items() if k == "allow-guest"]
            # Unset means the build's default (upstream: allowed if a guest-account script
            # exists), which the config does not tell.
            guest = flags[-1] if flags else None
        elif "sddm" in path:
            auto |= bool(values.get(("Autologin", "User")))
    return auto, guest


def display_manager_configs(host: Host) -> dict[str, str]:
    """Texts of the display-manager configs present."""
    return {p: t for p in DM_CONFIGS if (t := host.read_text(p)) is not None}
