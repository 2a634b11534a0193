"""Deployment files are valid: systemd units parse, the install script is sound shell."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).parents[1] / "deploy"


@pytest.mark.parametrize(
    "unit", sorted((DEPLOY / "systemd").glob("*.service")), ids=lambda p: p.name
)
def test_systemd_units_verify(unit: Path) -> None:
    """`systemd-analyze verify` finds nothing wrong but the not-yet-installed binary."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    out = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    problems = [
        line
        for line in (out.stdout + out.stderr).splitlines()
        if line.strip() and "is not executable: No such file" not in line
    ]
    assert problems == []


@pytest.mark.parametrize("script", sorted(DEPLOY.glob("*/*.sh")), ids=lambda p: p.name)
def test_shell_scripts_parse(script: Path) -> None:
    """`sh -n` accepts the install scripts."""
    subprocess.run(["sh", "-n", str(script)], check=True)
