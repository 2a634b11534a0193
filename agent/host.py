"""The seam between fact parsers and the machine: read a file, run a command.

One parser serves the local agent (:class:`LocalHost`) and the agentless SSH path (a host object
in ``inventory.ssh`` with the same two methods). Filesystem root and command runner are
injectable so tests point parsers at fixture trees and captured output instead of mocks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_OUTPUT_BYTES = 16 * 1024 * 1024


class FactError(Exception):
    """A fact could not be gathered; the message is what the section reports as its error."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str


class Host(Protocol):
    """What a fact gatherer may ask of a machine."""

    os_family: str

    def read_text(self, path: str) -> str | None:
        """The file's text, or None when it does not exist or cannot be read."""

    def run(self, argv: list[str], timeout: float = 20.0) -> CommandResult:
        """Run a command; raise FactError when it cannot start or times out."""


def os_family() -> str:
    """This machine's OS family as the report names it."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


class LocalHost:
    """This machine, optionally seen through a different filesystem root (fixture trees)."""

    def __init__(self, os_family: str, root: str | os.PathLike[str] = "/") -> None:
        self.os_family = os_family
        self.root = Path(root)

    def read_text(self, path: str) -> str | None:
        target = self.root / path.lstrip("/")
        chunks: list[bytes] = []
        size = 0
        try:
            with target.open("rb") as fh:
                # Small reads: procfs/sysfs files refuse one huge read(2) with ENOMEM.
                while size <= MAX_FILE_BYTES and (chunk := fh.read(65536)):
                    chunks.append(chunk)
                    size += len(chunk)
        except OSError:
            return None
        data = b"".join(chunks)
        if len(data) > MAX_FILE_BYTES:
            raise FactError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        return data.decode("utf-8", errors="replace")

    def run(self, argv: list[str], timeout: float = 20.0) -> CommandResult:
        try:
            proc = subprocess.run(  # noqa: S603 - argv is a fixed list from the fact modules
                argv,
                capture_output=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            )
        except FileNotFoundError as err:
            raise FactError(f"{argv[0]} is not installed") from err
        except subprocess.TimeoutExpired as err:
            raise FactError(f"{argv[0]} did not finish within {timeout:g} s") from err
        except OSError as err:
            raise FactError(f"{argv[0]} could not run: {err.strerror}") from err
        out = proc.stdout[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace")
        err_text = proc.stderr[:65536].decode("utf-8", errors="replace")
        return CommandResult(proc.returncode, out, err_text)
