"""The bounded spool: in-order drain, caps enforced by dropping the oldest."""

from __future__ import annotations

from pathlib import Path

from agent.spool import Spool


def test_order_and_removal(tmp_path: Path) -> None:
    """Reports come back in sequence order; removed ones are gone."""
    spool = Spool(tmp_path, max_reports=10, max_bytes=1 << 20)
    for seq in (3, 1, 2):
        assert spool.put(seq, f"r{seq}".encode()) == 0
    assert [s for s, _ in spool.pending()] == [1, 2, 3]
    spool.remove(1)
    assert [body for _, body in spool.pending()] == [b"r2", b"r3"]


def test_caps_drop_oldest(tmp_path: Path) -> None:
    """Over the count cap or the byte cap, the oldest reports are dropped and counted."""
    spool = Spool(tmp_path, max_reports=3, max_bytes=1 << 20)
    dropped = sum(spool.put(seq, b"x" * 10) for seq in range(1, 6))
    assert dropped == 2 and [s for s, _ in spool.pending()] == [3, 4, 5]
    small = Spool(tmp_path / "b", max_reports=100, max_bytes=250)
    dropped = sum(small.put(seq, b"y" * 100) for seq in range(1, 5))
    assert dropped == 2 and small.depth() == 2


def test_crash_leftovers_are_cleaned(tmp_path: Path) -> None:
    """A half-written temporary file is never sent and is removed on start."""
    spool = Spool(tmp_path, max_reports=10, max_bytes=1 << 20)
    spool.put(1, b"ok")
    (tmp_path / ".00000000000000000002.json.tmp").write_bytes(b"half")
    assert [s for s, _ in spool.pending()] == [1]
    spool.clean_temporary()
    assert not list(tmp_path.glob(".*.tmp"))
