"""A bounded on-disk queue of reports waiting for the collector, drained in sequence order.

Each report is one file named by its sequence number, written atomically. When the spool is over
its count or byte cap, the oldest reports are dropped and counted: the newest state of a host
matters more than its history. A full disk (ENOSPC) is one more cap: the oldest reports are dropped
until the new one fits.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

from canh.atomicfile import write_atomic


def is_no_space(err: OSError) -> bool:
    """The disk (or the account's quota) is full."""
    return err.errno in (errno.ENOSPC, errno.EDQUOT)


class SpoolFull(Exception):
    """Not even one report fits on the disk with the spool emptied; ``dropped`` counts the old
    reports removed trying, plus the new one that is lost."""

    def __init__(self, message: str, dropped: int) -> None:
        super().__init__(message)
        self.dropped = dropped


class Spool:
    """Reports by sequence number, oldest first."""

    def __init__(self, directory: Path, max_reports: int, max_bytes: int) -> None:
        self.dir = directory
        self.max_reports = max_reports
        self.max_bytes = max_bytes
        self.no_space_drops = 0  # reports the last put dropped because the disk was full

    def _files(self) -> list[Path]:
        return sorted(p for p in self.dir.glob("*.json") if p.stem.isdigit())

    def put(self, seq: int, body: bytes) -> int:
        """Store a report; return how many old reports were dropped to stay within the caps."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        dropped = 0
        files = self._files()
        sizes = {p: p.stat().st_size for p in files}
        total = sum(sizes.values())
        while files and (len(files) + 1 > self.max_reports or total + len(body) > self.max_bytes):
            oldest = files.pop(0)
            total -= sizes[oldest]
            oldest.unlink(missing_ok=True)
            dropped += 1
        self.no_space_drops = 0
        while True:
            try:
                write_atomic(self.dir / f"{seq:020d}.json", body)
                return dropped
            except OSError as err:
                if not is_no_space(err):
                    raise
                if not self.drop_oldest():
                    raise SpoolFull(
                        f"no space left on the disk of {self.dir} for report {seq}, "
                        "even with the spool empty",
                        dropped + 1,
                    ) from err
                dropped += 1
                self.no_space_drops += 1

    def drop_oldest(self) -> bool:
        """Delete the oldest waiting report to free disk space; False when there is none."""
        files = self._files()
        if not files:
            return False
        files[0].unlink(missing_ok=True)
        return True

    def pending(self) -> Iterator[tuple[int, bytes]]:
        """Waiting reports in sequence order."""
        for path in self._files():
            try:
                yield int(path.stem), path.read_bytes()
            except FileNotFoundError:
                continue

    def remove(self, seq: int) -> None:
        """Forget a report the collector acknowledged (or refused for good)."""
        (self.dir / f"{seq:020d}.json").unlink(missing_ok=True)

    def depth(self) -> int:
        """How many reports are waiting."""
        return len(self._files())

    def clean_temporary(self) -> None:
        """Remove half-written files a crash left behind (they were never acknowledged)."""
        for path in self.dir.glob(".*.tmp"):
            os.unlink(path)
