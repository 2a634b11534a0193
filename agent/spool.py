"""A bounded on-disk queue of reports waiting for the collector, drained in sequence order.

Each report is one file named by its sequence number, written atomically. When the spool is over
its count or byte cap, the oldest reports are dropped and counted: the newest state of a host
matters more than its history.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from canh.atomicfile import write_atomic


class Spool:
    """Reports by sequence number, oldest first."""

    def __init__(self, directory: Path, max_reports: int, max_bytes: int) -> None:
        self.dir = directory
        self.max_reports = max_reports
        self.max_bytes = max_bytes

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
        write_atomic(self.dir / f"{seq:020d}.json", body)
        return dropped

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
