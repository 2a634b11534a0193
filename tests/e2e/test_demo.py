"""``canh demo --once`` from a clean data directory, as a new user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_once_from_clean_dir(tmp_path: Path) -> None:
    """The demo prints the summary, writes its files and exits 0; a second run reuses them."""
    data = tmp_path / "demo"
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "canh", "demo", "--once", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Điểm đơn vị / unit score:" in result.stdout
        assert "Dashboard: https://127.0.0.1:" in result.stdout
        assert "/metrics" in result.stdout
    assert "Báo cáo / reports:" in result.stdout
    docx = list((data / "reports").glob("*.docx"))
    xlsx = list((data / "reports").glob("*.xlsx"))
    assert len(docx) == 1 and len(xlsx) == 1 and str(docx[0]) in result.stdout
    summary = json.loads((data / "reports" / "demo-summary.json").read_text())
    assert 0 <= summary["score"] <= 100
    assert summary["requirements"]
    assert (data / "collector" / "canh.db").exists()
