"""Real processes for the alert tests: collector, Prometheus, Alertmanager, SMTP and a webhook.

Everything listens on 127.0.0.1 ports chosen here; every process is stopped and every temporary
directory removed by the fixtures that start them.
"""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from agent.state import StateStore
from collector.serve import init
from collector.tls import TlsFiles, create_ca, issue_server_cert
from tests.support import ADMIN_PASSWORD, RunningCollector, free_port, start_collector

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
T = TypeVar("T")


def need(binary: str) -> None:
    """Skip (a failure under CI=true for `real` tests) when a Debian binary is missing."""
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} not installed (Debian packages prometheus, prometheus-alertmanager)")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


def get_json(url: str, timeout: float = 5) -> Any:
    """GET a loopback URL and decode its JSON (None when it does not answer yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except OSError:
        return None


def collector_with(data_dir: Path, **extra: object) -> RunningCollector:
    """A real collector process whose collector.toml carries ``extra`` settings."""
    init(data_dir, "127.0.0.1", free_port(), admin_password=ADMIN_PASSWORD)
    config = data_dir / "collector.toml"
    lines = [line for line in config.read_text().splitlines() if line.split(" = ")[0] not in extra]
    for key, value in extra.items():
        lines.append(
            f"{key} = {str(value).lower() if isinstance(value, bool) else json.dumps(value)}"
        )
    config.write_text("\n".join(lines) + "\n")
    return start_collector(data_dir)


def enroll_agent(collector: RunningCollector, unit_id: str, agent_dir: Path) -> StateStore:
    """A real ``canh agent enroll`` into the unit; returns the agent's state (id and key)."""
    bundle = collector.api("POST", f"/api/v1/units/{unit_id}/tokens", {"uses": 1})["bundle"]
    result = subprocess.run(
        [sys.executable, "-m", "canh", "agent", "enroll", bundle, "--data-dir", str(agent_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return StateStore(agent_dir)


@dataclass
class Server:
    """A started binary with its port and scratch directory."""

    proc: subprocess.Popen[bytes]
    port: int
    scratch: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _start(argv: list[str], port: int, scratch: Path, ready: str) -> Server:
    log = scratch / "out.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = Server(proc, port, scratch, log)

    def up() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"{argv[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + ready, timeout=2):
                return True
        except OSError:
            return False

    try:
        wait_for(f"{argv[0]} to be ready", up, timeout=60)
    except BaseException:
        server.stop()
        raise
    return server


def start_alertmanager(scratch: Path) -> Server:
    """Alertmanager with a do-nothing receiver, clustering off, on a loopback port."""
    scratch.mkdir(parents=True, exist_ok=True)
    config = scratch / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n"
    )
    port = free_port()
    return _start(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={scratch / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        port,
        scratch,
        "/-/ready",
    )


def start_prometheus(scratch: Path, collector: RunningCollector) -> Server:
    """Prometheus scraping the collector over HTTPS, trusting the collector's CA file."""
    scratch.mkdir(parents=True, exist_ok=True)
    target = urllib.parse.urlsplit(collector.url).netloc
    config = scratch / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: canh\n    scheme: https\n"
        f"    tls_config:\n      ca_file: {collector.data_dir / 'tls' / 'ca.pem'}\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    port = free_port()
    return _start(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={scratch / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        port,
        scratch,
        "/-/ready",
    )


@dataclass
class Webhook:
    """An HTTPS receiver on loopback that records each POST (its dedup header and JSON body)."""

    port: int
    ca: Path
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _server: http.server.ThreadingHTTPServer | None = None

    @classmethod
    def prepare(cls, directory: Path) -> Webhook:
        """Certificates signed by a CA made for the test; the port is chosen, not yet bound."""
        files = TlsFiles(directory)
        create_ca(files)
        issue_server_cert(files, ["127.0.0.1"])
        return cls(free_port(), files.ca_cert)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hooks/canh"

    def start(self) -> None:
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                received.append((self.headers.get("x-canh-dedup-key", ""), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        files = TlsFiles(self.ca.parent)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(files.server_cert, files.server_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
