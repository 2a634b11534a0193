"""Fixtures for real inventory tests: a namespace lab, real sshd and snmpd, all torn down.

They need root (namespaces, raw sockets, sshd). On a developer laptop without root they skip
with the reason; under CI=true a skipped ``real`` test fails (tests/conftest.py).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inventory.lab import SERVER, Lab, can_build_lab
from tests.inventory.sshd import Sshd

LOOPBACK_PASSWORD = "Lab-only-Passw0rd-7f3a"


def require_root() -> None:
    reason = can_build_lab()
    if reason:
        pytest.skip(reason)


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_credentials(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def loopback_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A real sshd on 127.0.0.1 (a free port), its own hostname, key and password login."""
    require_root()
    sshd = Sshd(
        tmp_path_factory.mktemp("sshd"),
        "127.0.0.1",
        free_loopback_port(),
        hostname="canh-lo-test",
        password=LOOPBACK_PASSWORD,
    )
    sshd.start()
    try:
        yield sshd
    finally:
        sshd.stop()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The namespace lab with its services running; deleted whatever the tests do."""
    require_root()
    workdir = tmp_path_factory.mktemp("lab")
    os.chmod(workdir, 0o755)
    built = Lab(workdir)
    try:
        built.build()
        built.start_services()
        yield built
    finally:
        built.close()


@pytest.fixture(scope="session")
def lab_sshd(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A real sshd on the lab's server (198.18.0.20:22), hostname server-lab."""
    sshd = Sshd(
        tmp_path_factory.mktemp("lab-sshd"),
        SERVER.ip,
        22,
        hostname=SERVER.hostname,
        wrap=lab.exec_argv(SERVER.role, []),
    )
    sshd.start()
    try:
        yield sshd
    finally:
        sshd.stop()
