"""Agentless collection inside the lab: the scanner namespace reaches the server's real sshd."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from canh.contract import decode
from tests.inventory.conftest import write_credentials
from tests.inventory.lab import SERVER, Lab
from tests.inventory.sshd import Sshd

pytestmark = [pytest.mark.real, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
CLI = (
    "import argparse, sys\n"
    "from inventory.cli import add_ssh_parser\n"
    "parser = argparse.ArgumentParser(prog='canh')\n"
    "add_ssh_parser(parser.add_subparsers())\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.handler(args))\n"
)


def ssh_collect(
    lab: Lab, tmp_path: Path, sshd: Sshd, *flags: str
) -> subprocess.CompletedProcess[str]:
    """``ssh-collect --dry-run`` of the lab server, run from the scanner namespace."""
    creds = write_credentials(
        tmp_path / "credentials.toml",
        f'[defaults]\nusername = "root"\nkey_file = "{sshd.client_key}"\n',
    )
    argv = [
        "ssh-collect",
        SERVER.ip,
        "--dry-run",
        "--credentials",
        str(creds),
        "--known-hosts",
        str(tmp_path / "known_hosts"),
        *flags,
    ]
    return subprocess.run(
        lab.exec_argv("scanner", [sys.executable, "-c", CLI, *argv]),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )


def test_unknown_key_then_pinned_collection(lab: Lab, lab_sshd: Sshd, tmp_path: Path) -> None:
    """Strict mode refuses the server; accept-new pins it and the report is the server's."""
    refused = ssh_collect(lab, tmp_path, lab_sshd)
    assert refused.returncode == 1 and lab_sshd.host_fingerprint in refused.stderr
    started = time.monotonic()
    result = ssh_collect(lab, tmp_path, lab_sshd, "--accept-new")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    report = decode(json.dumps(json.loads(result.stdout)).encode())
    assert report.source == "ssh"
    system = report.sections.system
    assert system is not None and system.data is not None
    assert system.data.hostname == SERVER.hostname
    network = report.sections.network
    assert network is not None and network.data is not None
    eth0 = next(i for i in network.data.interfaces if i.name == "eth0")
    assert eth0.mac == SERVER.mac and [a.address for a in eth0.addresses if a.family == "ipv4"] == [
        SERVER.ip
    ]
    ports = report.sections.ports
    assert ports is not None and ports.data is not None
    assert [(p.port, p.address, p.process) for p in ports.data.listening] == [
        (22, SERVER.ip, "sshd")
    ]
    print(f"ssh-collect in the lab (process start included): {elapsed:.2f} s")
    pinned = (tmp_path / "known_hosts").read_text()
    assert pinned.startswith(f"{SERVER.ip} ssh-ed25519 ")  # port 22: the bare address


def test_changed_host_key_is_refused(lab: Lab, lab_sshd: Sshd, tmp_path: Path) -> None:
    """A regenerated host key is refused even with accept-new, showing both fingerprints."""
    first = ssh_collect(lab, tmp_path, lab_sshd, "--accept-new")
    assert first.returncode == 0, first.stderr
    pinned = (tmp_path / "known_hosts").read_bytes()
    old = lab_sshd.host_fingerprint
    lab_sshd.new_host_key()
    assert lab_sshd.host_fingerprint != old
    again = ssh_collect(lab, tmp_path, lab_sshd, "--accept-new")
    assert again.returncode == 1 and again.stdout == ""
    assert "HOST KEY CHANGED" in again.stderr
    assert lab_sshd.host_fingerprint in again.stderr and old in again.stderr
    assert (tmp_path / "known_hosts").read_bytes() == pinned
