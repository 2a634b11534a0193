"""Cheap questions about a Linux host asked through the :class:`Host` seam.

Directory listings, file times, unit and process states come from commands (``stat``, ``ls``,
``systemctl show``, ``ps``) rather than ``os`` calls, so they answer the same over SSH.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agent.host import FactError, Host

# Epoch seconds beyond this (year 2100) are garbage, not times; fromtimestamp would raise.
MAX_EPOCH = 4102444800


def epoch(seconds: float) -> datetime | None:
    """Epoch seconds as an aware UTC time, None when out of any sensible range."""
    return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < MAX_EPOCH else None


def parse_stat_times(text: str) -> dict[str, datetime]:
    """``stat -c '%Y %n'`` output: path → modification time (UTC)."""
    out: dict[str, datetime] = {}
    for line in text.splitlines():
        stamp, _, path = line.partition(" ")
        if stamp.isascii() and stamp.isdigit() and path and (when := epoch(int(stamp))):
            out[path[:4096]] = when
    return out


def mtimes(host: Host, paths: list[str]) -> dict[str, datetime]:
    """Modification times of the paths that exist (missing ones are simply absent)."""
    if not paths:
        return {}
    try:
        result = host.run(["stat", "-c", "%Y %n", "--", *paths], timeout=10)
    except FactError:
        return {}
    # stat exits 1 when some path is missing but still prints the others.
    return parse_stat_times(result.stdout)


def list_dir(host: Host, path: str) -> list[str] | None:
    """Entry names of a directory, or None when it cannot be listed."""
    try:
        result = host.run(["ls", "-1A", "--", path], timeout=10)
    except FactError:
        return None
    if result.returncode != 0:
        return None
    return [name for name in result.stdout.splitlines() if name and "/" not in name]


def read_dir_files(host: Host, path: str, suffix: str = "") -> dict[str, str]:
    """Texts of the readable files in a directory whose names end in ``suffix``, by path."""
    texts: dict[str, str] = {}
    for name in sorted(list_dir(host, path) or []):
        if name.endswith(suffix) and not name.startswith("."):
            text = host.read_text(f"{path}/{name}")
            if text is not None:
                texts[f"{path}/{name}"] = text
    return texts


def parse_systemctl_show(text: str) -> dict[str, str]:
    """Unit name (without ``.service``) → ActiveState, for units systemd has loaded."""
    states: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", text.strip()):
        props = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        unit = props.get("Id", "")
        if unit and props.get("LoadState") == "loaded":
            states[unit.removesuffix(".service")] = props.get("ActiveState", "unknown")
    return states


def unit_states(host: Host, units: list[str]) -> dict[str, str] | None:
    """ActiveState of each loaded unit among ``units``; None when systemd does not answer."""
    try:
        result = host.run(
            ["systemctl", "show", "--property=Id,LoadState,ActiveState", "--", *units],
            timeout=10,
        )
    except FactError:
        return None
    if result.returncode != 0 or not result.stdout.strip():
        return None  # no systemd as PID 1 (containers, SysV hosts)
    return parse_systemctl_show(result.stdout)


def processes(host: Host) -> set[str] | None:
    """Names (``comm``) of the running processes, or None when ``ps`` cannot run."""
    try:
        result = host.run(["ps", "-e", "-o", "comm="], timeout=10)
    except FactError:
        return None
    if result.returncode != 0:
        return None
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}


def running(
    states: dict[str, str] | None,
    procs: set[str] | None,
    units: tuple[str, ...],
    names: tuple[str, ...],
) -> bool | None:
    """Whether a service runs, by unit state or process name; None when neither source answered."""
    if states is not None and any(states.get(u) in ("active", "reloading") for u in units):
        return True
    if procs is not None and any(name in procs for name in names):
        return True
    if states is None and procs is None:
        return None
    return False


def has_desktop(host: Host) -> bool:
    """A graphical session is installed (any common desktop shell or X server binary)."""
    candidates = [
        "/usr/bin/gnome-shell",
        "/usr/bin/plasmashell",
        "/usr/bin/xfce4-session",
        "/usr/bin/cinnamon-session",
        "/usr/bin/mate-session",
        "/usr/bin/Xorg",
        "/usr/lib/xorg/Xorg",
    ]
    return bool(mtimes(host, candidates))
