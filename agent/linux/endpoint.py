"""Screen lock, shell idle timeout and disk encryption (LUKS/dm-crypt) on Linux."""

from __future__ import annotations

import json
import re
from typing import Any

from agent.host import FactError, Host
from agent.linux import desktop, probes
from canh.contract.facts import EndpointFacts, Volume

LSBLK = ["lsblk", "-J", "-o", "NAME,TYPE,FSTYPE,MOUNTPOINT"]
PROFILE_FILES = ("/etc/profile", "/etc/bash.bashrc", "/etc/bashrc")
_SKIP_TYPES = ("loop", "rom")


def parse_lsblk(text: str) -> list[Volume]:
    """Mounted file systems from ``lsblk -J``, encrypted when a crypt layer sits beneath them."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise FactError("lsblk printed malformed JSON") from err
    devices = doc.get("blockdevices") if isinstance(doc, dict) else None
    volumes: list[Volume] = []

    def walk(node: Any, method: str | None) -> None:
        if not isinstance(node, dict) or len(volumes) >= 256:
            return
        kind, fstype = node.get("type"), node.get("fstype")
        if fstype == "crypto_LUKS":
            method = "LUKS"
        elif kind == "crypt":
            method = method or "dm-crypt"
        mounts = node.get("mountpoints") or [node.get("mountpoint")]
        for mount in mounts:
            if isinstance(mount, str) and mount.startswith("/") and kind not in _SKIP_TYPES:
                volumes.append(
                    Volume(
                        name=str(node.get("name", "?"))[:256],
                        mountpoint=mount[:256],
                        encrypted=method is not None,
                        method=method,
                        system=mount == "/",
                    )
                )
        for child in node.get("children") or []:
            walk(child, method)

    for device in devices if isinstance(devices, list) else []:
        walk(device, None)
    return volumes


def parse_tmout(texts: dict[str, str]) -> tuple[int | None, bool]:
    """The shell idle timeout (TMOUT) set in profile files, and whether it is read-only."""
    value = None
    readonly = False
    for text in texts.values():
        for line in text.splitlines():
            code = line.split("#", 1)[0]
            match = re.search(r"\bTMOUT=(\d+)", code)
            if match:
                value = int(match.group(1))
            if re.search(r"\b(readonly|declare\s+-[a-z]*r[a-z]*|typeset\s+-r)\s+TMOUT\b", code):
                readonly = True
    return value, readonly


def screen_lock(
    idle: int | None, lock: bool | None, delay: int | None
) -> tuple[int | None, bool | None]:
    """GNOME: the screen locks ``idle-delay + lock-delay`` seconds after input stops."""
    if idle is None or lock is None:
        return None, None
    enabled = lock and idle > 0
    return (idle + (delay or 0) if enabled else 0), enabled


def gather_endpoint(host: Host) -> EndpointFacts:
    """Screen lock where a desktop exists, shell TMOUT, and encryption of mounted volumes."""
    notes: list[str] = []
    has_desktop = probes.has_desktop(host)
    timeout = enabled = None
    if has_desktop:
        policy = desktop.dconf_policy(host)
        idle = desktop.gvariant_uint(
            desktop.setting(host, "org.gnome.desktop.session", "idle-delay", policy)
        )
        lock = desktop.gvariant_bool(
            desktop.setting(host, "org.gnome.desktop.screensaver", "lock-enabled", policy)
        )
        delay = desktop.gvariant_uint(
            desktop.setting(host, "org.gnome.desktop.screensaver", "lock-delay", policy)
        )
        timeout, enabled = screen_lock(idle, lock, delay)
    profiles = {p: t for p in PROFILE_FILES if (t := host.read_text(p)) is not None}
    profiles.update(probes.read_dir_files(host, "/etc/profile.d", ".sh"))
    tmout, readonly = parse_tmout(profiles)
    if tmout and not readonly:
        notes.append(f"TMOUT={tmout} is set but not readonly: a user can unset it")
    volumes: list[Volume] = []
    try:
        result = host.run(LSBLK, timeout=15)
        if result.returncode == 0:
            volumes = parse_lsblk(result.stdout)
        else:
            notes.append(f"lsblk failed: {result.stderr.strip()[:200]}")
    except FactError as err:
        notes.append(str(err))
    return EndpointFacts(
        desktop=has_desktop,
        screen_lock_timeout_seconds=timeout,
        screen_lock_enabled=enabled,
        shell_timeout_seconds=(tmout if readonly else 0) if tmout is not None else 0,
        volumes=volumes,
        notes=notes,
    )
