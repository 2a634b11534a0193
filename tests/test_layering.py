"""Dependencies run one way (DESIGN.md §2): checked in a clean interpreter, as installed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SERVER_ONLY = {
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "scapy",
    "paramiko",
    "sqlite_utils",
    "prometheus_client",
    "jinja2",
    "yaml",
    "collector",
    "inventory",
}


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code + "\nimport sys, json\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", ["agent.service", "agent.gather", "canh.contract"])
def test_agent_imports_no_server_library(module: str) -> None:
    """The agent installs and runs on an office PC without server libraries."""
    assert loaded_after(f"import {module}") & SERVER_ONLY == set()


def test_agent_cli_path_stays_light() -> None:
    """`canh agent once --dry-run` loads no server library (the command's parser names the
    inventory and report commands, whose libraries load only when they run)."""
    code = (
        "import contextlib, io\nfrom canh.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['agent', 'once', '--dry-run', '--data-dir', '/nonexistent-canh'])"
    )
    heavy = SERVER_ONLY - {"inventory", "collector"}  # the parser names their light CLI modules
    assert loaded_after(code) & heavy == set()


def test_checks_are_pure() -> None:
    """Checks import neither collector nor inventory (nor any I/O framework)."""
    loaded = loaded_after("import checks; checks.load_builtin()")
    assert loaded & {"collector", "inventory", "fastapi", "scapy", "paramiko"} == set()
