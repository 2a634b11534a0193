"""Nothing happens at import: scapy only inside a scan, paramiko only for SSH, never collector."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from inventory.cli import ProgressBar


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


def test_discovery_import_loads_no_scapy() -> None:
    """Importing discovery and the CLI loads neither scapy nor paramiko nor the collector."""
    loaded = loaded_after("import inventory, inventory.discovery, inventory.cli")
    assert loaded & {"scapy", "paramiko", "collector", "fastapi"} == set()


def test_ssh_path_loads_no_scapy_or_collector() -> None:
    """The SSH path needs paramiko and the agent, not scapy or the collector."""
    loaded = loaded_after("import inventory.ssh, inventory.agentless")
    assert "paramiko" in loaded and loaded & {"scapy", "collector", "fastapi"} == set()


def test_progress_bar_without_terminal() -> None:
    """Off a terminal the bar prints one line per finished phase, nothing in between."""
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for done in (0, 64, 128, 253):
        bar("arp", done, 253)
    bar("syn", 0, 10)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arp: 253 done at ")
