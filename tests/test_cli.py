"""The `canh` command: every subcommand has help that ends in examples."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from canh.cli import build_parser, main


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(prefix, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


ALL = _commands(build_parser())


def test_every_named_command_exists() -> None:
    """The commands the README and issue name are all there."""
    names = {" ".join(path) for path, _ in ALL}
    for expected in (
        "demo",
        "collector init",
        "collector serve",
        "collector unit",
        "collector token",
        "collector user",
        "collector backup",
        "agent enroll",
        "agent run",
        "agent once",
        "agent status",
        "scan",
        "ssh-collect",
        "checks list",
        "checks explain",
        "report",
    ):
        assert expected in names


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[" ".join(p) or "canh" for p, _ in ALL])
def test_help_ends_with_examples(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    """`--help` of every command ends with an examples block naming the command."""
    text = parser.format_help()
    assert "examples:" in text
    examples = text.split("examples:")[1]
    assert "canh" in examples and (not path or path[0] in examples)


def test_unknown_enrollment_bundle_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    """A damaged bundle gives one line saying what is wrong, exit 1, no traceback."""
    assert main(["agent", "enroll", "not-a-bundle", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("canh: not a canh enrollment bundle")


def test_not_enrolled_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    """`agent once` before enrolling says to enroll first."""
    assert main(["agent", "once", "--data-dir", str(tmp_path)]) == 1
    assert "canh agent enroll" in capsys.readouterr().err


@pytest.mark.parametrize("group", ["demo", "collector", "agent", "checks"])
def test_one_group_parser_is_the_full_one(group: str) -> None:
    """Building only the invoked group gives that group exactly as the full parser has it."""
    full = {" ".join(p) for p, _ in ALL if p and p[0] == group}
    assert {" ".join(p) for p, _ in _commands(build_parser(only=group)) if p} == full


def test_agent_commands_do_not_load_other_groups() -> None:
    """`canh agent …` never imports the inventory or report command modules."""
    code = (
        "import sys; from canh.cli import main; main(['agent', 'status', '--data-dir', '/nx']); "
        "print(sorted(m for m in sys.modules if m.startswith(('inventory', 'collector'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip().splitlines()[-1] == "[]"
