"""TLS: the agent pins the collector's CA; rotating the server certificate breaks nothing, and a
certificate from another CA is refused by the agent (and by `cert import`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.transport import Collector, CollectorUnavailable
from collector.tls import CertificateError, TlsFiles, create_ca, import_cert, issue_server_cert
from tests.support import start_collector

pytestmark = pytest.mark.slow


def canh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "canh", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_rotation_keeps_agents_and_foreign_ca_is_refused(tmp_path: Path) -> None:
    """Enroll, rotate the server certificate, restart: the agent still reports."""
    data = tmp_path / "c"
    running = start_collector(data)
    try:
        unit = running.api("POST", "/api/v1/units", {"name": "Trạm y tế"})
        bundle = running.api("POST", f"/api/v1/units/{unit['id']}/tokens", {})["bundle"]
        agent_dir = tmp_path / "agent"
        assert canh("agent", "enroll", bundle, "--data-dir", str(agent_dir)).returncode == 0
        old_cert = (data / "tls" / "server.pem").read_bytes()
    finally:
        running.stop()
    result = canh("collector", "cert", "rotate", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert (data / "tls" / "server.pem").read_bytes() != old_cert
    running = start_collector(data)
    try:
        result = canh("agent", "once", "--data-dir", str(agent_dir))
        assert result.returncode == 0, result.stdout + result.stderr
        # A server certificate from another CA: the pinned agent refuses to talk.
        other = TlsFiles(tmp_path / "other")
        create_ca(other)
        issue_server_cert(other, ["127.0.0.1"])
        with pytest.raises(CertificateError, match="not issued by the collector's CA"):
            import_cert(
                TlsFiles(data / "tls"),
                other.server_cert.read_bytes(),
                other.server_key.read_bytes(),
            )
        with pytest.raises(CollectorUnavailable, match="pinned CA"):
            Collector(running.url, other.ca_cert.read_text()).request("GET", "/healthz")
    finally:
        running.stop()
