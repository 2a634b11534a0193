"""Documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec
import pytest

from agent.config import AgentSettings
from canh.cli import build_parser
from collector.settings import CollectorSettings

DOCS = Path(__file__).parents[1] / "docs"


@pytest.mark.parametrize("settings", [CollectorSettings, AgentSettings])
def test_every_setting_documented(settings: type[msgspec.Struct]) -> None:
    """docs/CONFIG.md has a row for each setting."""
    text = (DOCS / "CONFIG.md").read_text()
    missing = [
        f.name
        for f in msgspec.structs.fields(settings)
        if f.name != "data_dir" or settings is AgentSettings
        if f"| `{f.name}` |" not in text
    ]
    assert missing == []


def _paths(parser: argparse.ArgumentParser, prefix: str = "canh") -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append(f"{prefix} {name}")
                out += _paths(sub, f"{prefix} {name}")
    return out


def test_every_command_documented() -> None:
    """docs/CLI.md names each command and is current (regenerate: make docs)."""
    text = (DOCS / "CLI.md").read_text()
    assert [p for p in _paths(build_parser()) if f"`{p}" not in text] == []
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_cli", DOCS / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == text
