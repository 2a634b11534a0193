"""An agentless host end to end: enrolled with a token, reports signed and stored like an agent's.

Real processes: a collector over HTTPS on a real SQLite file, a real sshd on loopback.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from canh.contract import load_bundle
from inventory.agentless import collect_and_send, host_dir
from inventory.credentials import HostSpec, load_credentials
from inventory.errors import InventoryError
from inventory.hostkeys import KnownHosts
from inventory.settings import SshSettings
from inventory.ssh import SshContext
from tests.inventory.conftest import write_credentials
from tests.inventory.sshd import Sshd
from tests.support import RunningCollector, start_collector

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


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    running = start_collector(tmp_path_factory.mktemp("collector"))
    try:
        yield running
    finally:
        running.stop()


def test_ssh_host_enrolls_and_reports(
    collector: RunningCollector, loopback_sshd: Sshd, tmp_path: Path
) -> None:
    """`ssh-collect --enroll` makes a host with source "ssh"; the next round is a signed delta."""
    unit = collector.api("POST", "/api/v1/units", {"name": "Trạm Y tế xã"})
    bundle = collector.api("POST", f"/api/v1/units/{unit['id']}/tokens", {"uses": 1})["bundle"]
    (tmp_path / "bundle.txt").write_text(bundle)
    creds = write_credentials(
        tmp_path / "credentials.toml",
        f'[defaults]\nusername = "root"\nkey_file = "{loopback_sshd.client_key}"\n',
    )
    data = tmp_path / "inventory"
    target = f"127.0.0.1:{loopback_sshd.port}"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CLI,
            "ssh-collect",
            target,
            "--credentials",
            str(creds),
            "--data-dir",
            str(data),
            "--accept-new",
            "--enroll",
            f"@{tmp_path / 'bundle.txt'}",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "report 1 as " in result.stdout and "sent 1, waiting 0" in result.stdout

    identity = host_dir(data, "127.0.0.1", loopback_sshd.port)
    key_mode = stat.S_IMODE((identity / "agent.key").stat().st_mode)
    assert key_mode == 0o600 and stat.S_IMODE(data.stat().st_mode) & 0o077 == 0
    host_id = result.stdout.split(" as ")[1].split(",")[0]
    host = collector.api("GET", f"/api/v1/hosts/{host_id}")
    assert host["source"] == "ssh" and host["hostname"] == "canh-lo-test"
    assert host["unit_id"] == unit["id"] and host["last_seq"] == 1
    facts = collector.api("GET", f"/api/v1/hosts/{host_id}/facts")
    assert facts["system"]["data"]["hostname"] == "canh-lo-test"
    assert collector.api("GET", f"/api/v1/hosts/{host_id}/findings")

    # Second round through the library, no bundle needed any more: seq 2, acknowledged.
    context = SshContext(
        credentials=load_credentials(creds),
        known_hosts=KnownHosts(data / "known_hosts"),
        settings=SshSettings(),
    )
    sent = collect_and_send(context, HostSpec("127.0.0.1", loopback_sshd.port), data, None)
    assert (sent.agent_id, sent.seq, sent.sent, sent.error) == (host_id, 2, 1, None)
    assert collector.api("GET", f"/api/v1/hosts/{host_id}")["last_seq"] == 2

    # A host not enrolled yet and no bundle: a clear error, nothing sent.
    pinning = SshContext(
        credentials=context.credentials,
        known_hosts=KnownHosts(data / "known_hosts", accept_new=True),
        settings=SshSettings(accept_new=True),
    )
    with pytest.raises(InventoryError, match="not enrolled yet"):
        collect_and_send(pinning, HostSpec("localhost", loopback_sshd.port), data, None)
    assert load_bundle(bundle).token not in result.stdout + result.stderr
