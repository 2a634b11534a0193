"""A Host that answers from a fixture directory: a file tree plus captured command output.

Layout of ``tests/fixtures/linux/<distro>/``:

* ``tree/`` — the files the gatherers read (``/etc/passwd`` is ``tree/etc/passwd``);
* ``host.toml`` — ``[[command]]`` entries (``argv``, ``stdout`` inline or ``file``,
  ``returncode``, ``stderr``) for captured output, and the state of the machine that the probe
  commands report: ``[mtimes]`` (path → epoch seconds, for ``stat``), ``[units]`` (systemd unit
  → ActiveState; absent table = systemd not running), ``processes`` (``ps`` names).

A command that is neither captured nor a probe behaves as "not installed", like on a real host.
The apt package-list script (:mod:`agent.linux.aptlists`) really runs, on the fixture tree's
``var/lib/apt/lists`` and ``var/lib/dpkg/status`` (with this machine's sh, awk and apt-helper).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from agent.host import CommandResult, FactError, LocalHost
from agent.linux import aptlists


class FixtureHost:
    """A captured Linux machine."""

    def __init__(self, directory: Path, os_family: str = "linux") -> None:
        self.os_family = os_family
        self.directory = directory
        self.tree = LocalHost(os_family, directory / "tree")
        self.spec: dict[str, Any] = tomllib.loads((directory / "host.toml").read_text())
        self.calls: list[list[str]] = []

    def read_text(self, path: str) -> str | None:
        return self.tree.read_text(path)

    def run(self, argv: list[str], timeout: float = 20.0) -> CommandResult:
        self.calls.append(argv)
        for entry in self.spec.get("command", []):
            if entry["argv"] == argv:
                stdout = entry.get("stdout")
                if stdout is None and "file" in entry:
                    stdout = (self.directory / entry["file"]).read_text()
                return CommandResult(
                    entry.get("returncode", 0), stdout or "", entry.get("stderr", "")
                )
        probe = self._probe(argv)
        if probe is not None:
            return probe
        raise FactError(f"{argv[0]} is not installed")

    def _probe(self, argv: list[str]) -> CommandResult | None:
        mtimes: dict[str, int] = self.spec.get("mtimes", {})
        if argv == aptlists.command():
            return self.tree.run(aptlists.command(str(self.tree.root)), timeout=60)
        if argv[:4] == ["stat", "-c", "%Y %n", "--"]:
            lines = [f"{mtimes[p]} {p}" for p in argv[4:] if p in mtimes]
            missing = len(lines) < len(argv[4:])
            return CommandResult(1 if missing else 0, "".join(f"{x}\n" for x in lines), "")
        if argv == ["stat", "-c", "%W", "/"]:
            return CommandResult(0, f"{self.spec.get('birth', 0)}\n", "")
        if argv[:3] == ["ls", "-1A", "--"]:
            target = self.directory / "tree" / argv[3].lstrip("/")
            if not target.is_dir():
                return CommandResult(2, "", f"ls: cannot access '{argv[3]}'")
            return CommandResult(0, "".join(f"{p.name}\n" for p in sorted(target.iterdir())), "")
        if argv[:2] == ["systemctl", "show"]:
            return self._systemctl_show(argv[4:])
        if argv[:2] == ["systemctl", "list-units"]:
            units = self.spec.get("units")
            if units is None:
                return CommandResult(1, "", "System has not been booted with systemd")
            running = [
                f"{u}.service loaded active running {u}\n"
                for u, s in units.items()
                if s == "active"
            ]
            return CommandResult(0, "".join(running), "")
        if argv == ["ps", "-e", "-o", "comm="]:
            return CommandResult(0, "".join(f"{p}\n" for p in self.spec.get("processes", [])), "")
        return None

    def _systemctl_show(self, names: list[str]) -> CommandResult:
        units = self.spec.get("units")
        if units is None:
            return CommandResult(1, "", "System has not been booted with systemd as init system")
        blocks = []
        for name in names:
            unit = name if "." in name else f"{name}.service"
            state = units.get(name)
            load = "loaded" if state is not None else "not-found"
            blocks.append(f"Id={unit}\nLoadState={load}\nActiveState={state or 'inactive'}\n")
        return CommandResult(0, "\n".join(blocks), "")
