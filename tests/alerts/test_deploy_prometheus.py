"""deploy/prometheus passes the tools' own checks: promtool and amtool (Debian packages)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).parents[2] / "deploy" / "prometheus"
pytestmark = pytest.mark.real


def _run(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed (Debian package prometheus / prometheus-alertmanager)")
    out = subprocess.run(
        [tool, *args], cwd=DEPLOY, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def test_promtool_check_rules() -> None:
    """The rule file is valid PromQL and YAML."""
    assert "SUCCESS" in _run("promtool", "check", "rules", "rules/canh.rules.yml")


def test_promtool_test_rules() -> None:
    """Each threshold alert fires (and stays quiet) as its unit tests expect."""
    assert "SUCCESS" in _run("promtool", "test", "rules", "tests/canh.rules.test.yml")


def test_promtool_check_config() -> None:
    """The scrape configuration is valid and finds its rule file."""
    assert "is valid prometheus config" in _run("promtool", "check", "config", "prometheus.yml")


def test_amtool_check_config() -> None:
    """Alertmanager's routing by unit label and its receivers are valid."""
    assert "SUCCESS" in _run("amtool", "check-config", "alertmanager.yml")
