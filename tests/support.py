"""Helpers for tests that run real canh processes: a collector on a free loopback port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from collector.serve import init

ADMIN_PASSWORD = "correct-horse-battery-staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningCollector:
    """A collector process started by a test, with an admin API client."""

    data_dir: Path
    url: str
    ca_pem: str
    proc: subprocess.Popen[bytes]
    token: str = ""
    log: Path = field(default_factory=Path)

    def client(self) -> Collector:
        return Collector(self.url, self.ca_pem, timeout=30)

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"authorization": f"Bearer {token if token is not None else self.token}"}
        data = json.dumps(body).encode() if body is not None else b""
        response = self.client().request(method, path, data, headers)
        return json.loads(response.body) if response.body else None

    def status_of(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> int:
        try:
            return self.client().request(method, path, body, headers).status
        except CollectorRefused as err:
            return err.status

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_collector(data_dir: Path, timeout: float = 60.0) -> RunningCollector:
    """``canh collector init`` then ``canh collector serve`` as a real process over HTTPS."""
    settings, _ = init(data_dir, "127.0.0.1", free_port(), admin_password=ADMIN_PASSWORD)
    log = data_dir / "serve.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "canh", "collector", "serve", "--data-dir", str(data_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = RunningCollector(
        data_dir, settings.url, (data_dir / "tls" / "ca.pem").read_text(), proc, log=log
    )
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("collector exited:\n" + log.read_text()[-3000:])
        try:
            running.client().request("GET", "/readyz")
            break
        except (CollectorUnavailable, CollectorRefused):
            if time.monotonic() > deadline:
                running.stop()
                raise RuntimeError("collector not ready:\n" + log.read_text()[-3000:]) from None
            time.sleep(0.2)
    running.token = running.api(
        "POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}, token=""
    )["token"]
    return running
