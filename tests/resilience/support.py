"""Helpers for the resilience scenarios: real collector and agent processes, simulated agents that
sign for real, the store's view of what was committed, RSS sampling, tmpfs and namespaces.

Every helper that starts something returns a handle whose cleanup the caller puts in ``finally``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.gather import gather
from agent.host import LocalHost
from canh.contract import Report, encode, signing
from canh.contract.report import fact_hash
from collector.api.units import make_bundle
from collector.serve import init
from collector.settings import CONFIG_NAME
from collector.store import Store
from tests.support import ADMIN_PASSWORD, free_port

INGEST = "/api/v1/reports"
PYTHON = sys.executable


# --- processes --------------------------------------------------------------------------------


def netns_prefix(netns: str | None) -> list[str]:
    """The command prefix that runs a program inside a network namespace."""
    return ["ip", "netns", "exec", netns] if netns else []


def canh(
    *args: str,
    env: dict[str, str] | None = None,
    netns: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m canh ARGS`` (optionally in a namespace) and capture its output."""
    return subprocess.run(
        [*netns_prefix(netns), PYTHON, "-m", "canh", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


@dataclass(frozen=True, slots=True)
class AgentRun:
    """One ``canh agent once``: exit code, the sequence number it built, its output."""

    returncode: int
    seq: int | None
    stdout: str
    stderr: str


def agent_once(
    data_dir: Path,
    config: Path | None = None,
    env: dict[str, str] | None = None,
    netns: str | None = None,
    timeout: float = 120,
) -> AgentRun:
    """Run one real agent round as its own process."""
    args = ["agent", "once", "--data-dir", str(data_dir)]
    if config is not None:
        args += ["--config", str(config)]
    done = canh(*args, env=env, netns=netns, timeout=timeout)
    match = re.search(r"^report (\d+):", done.stdout, re.MULTILINE)
    return AgentRun(
        done.returncode, int(match.group(1)) if match else None, done.stdout, done.stderr
    )


def agent_config(path: Path, **values: object) -> Path:
    """Write an agent.toml with the given settings."""
    lines = [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def set_collector_options(data_dir: Path, **values: object) -> None:
    """Add or replace settings in an initialised collector's collector.toml."""
    path = data_dir / CONFIG_NAME
    kept = [
        line
        for line in path.read_text().splitlines()
        if line.split("=", 1)[0].strip() not in values
    ]
    kept += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(kept) + "\n")


def init_collector(data_dir: Path, host: str = "127.0.0.1", **options: object) -> None:
    """``canh collector init`` on a free port, plus extra settings."""
    init(data_dir, host, free_port(), admin_password=ADMIN_PASSWORD)
    if options:
        set_collector_options(data_dir, **options)


def enrollment_bundle(data_dir: Path, uses: int = 1) -> str:
    """A unit and a token bundle made offline (the collector must be stopped)."""
    text = (data_dir / CONFIG_NAME).read_text()
    host = re.search(r'^listen_host = "([^"]+)"', text, re.MULTILINE)
    port = re.search(r"^listen_port = (\d+)", text, re.MULTILINE)
    assert host and port
    store = Store(data_dir / "canh.db")
    store.start()
    try:
        unit = store.create_unit("Bệnh viện thử nghiệm", None, "vn-2026", 2, "test")
        _tid, token, _exp = store.create_token(unit, uses, 3600, "test")
    finally:
        store.close()
    url = f"https://{host.group(1)}:{port.group(1)}"
    return make_bundle(url, token, (data_dir / "tls" / "ca.pem").read_text())


@dataclass
class CollectorProcess:
    """A ``canh collector serve`` process; its log lives outside the data directory if asked."""

    data_dir: Path
    url: str
    ca_pem: str
    proc: subprocess.Popen[bytes]
    log: Path
    netns: str | None = None

    @property
    def host(self) -> str:
        return self.url.split("//", 1)[1].rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def kill9(self) -> None:
        """SIGKILL, no chance to finish anything."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit."""
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return ""


def launch_collector(
    data_dir: Path, log: Path | None = None, netns: str | None = None, timeout: float = 60
) -> CollectorProcess:
    """Serve an initialised data directory and wait until it answers /readyz."""
    text = (data_dir / CONFIG_NAME).read_text()
    host = re.search(r'^listen_host = "([^"]+)"', text, re.MULTILINE)
    port = re.search(r"^listen_port = (\d+)", text, re.MULTILINE)
    assert host and port
    url = f"https://{host.group(1)}:{port.group(1)}"
    log = log or data_dir / "serve.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                *netns_prefix(netns),
                PYTHON,
                "-m",
                "canh",
                "collector",
                "serve",
                "--data-dir",
                str(data_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = CollectorProcess(
        data_dir, url, (data_dir / "tls" / "ca.pem").read_text(), proc, log, netns
    )
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("collector exited:\n" + running.tail())
        if _ready(running):
            return running
        if time.monotonic() > deadline:
            running.stop()
            raise RuntimeError("collector not ready:\n" + running.tail())
        time.sleep(0.2)


def _ready(running: CollectorProcess) -> bool:
    if running.netns is None:
        try:
            return Client(running.url, running.ca_pem, timeout=2).get("/readyz").status == 200
        except OSError:
            return False
    probe = subprocess.run(
        [
            *netns_prefix(running.netns),
            "bash",
            "-c",
            f"echo > /dev/tcp/{running.host}/{running.port}",
        ],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


# --- HTTP -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """Status, headers (lower-case names) and body of one response."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> object:
        return json.loads(self.body)


class Client:
    """A small HTTPS client pinned to the collector's CA that exposes headers (Retry-After)."""

    def __init__(self, url: str, ca_pem: str, timeout: float = 30) -> None:
        parts = url.split("//", 1)[1]
        self.host, port = parts.rsplit(":", 1)
        self.port = int(port)
        self.timeout = timeout
        self.context = ssl.create_default_context(cadata=ca_pem)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        """One request on a fresh connection (an agent's way); OSError when unreachable."""
        started = time.perf_counter()
        conn = http.client.HTTPSConnection(
            self.host, self.port, timeout=self.timeout, context=self.context
        )
        try:
            conn.request(
                method,
                path,
                body=body,
                headers={"content-type": "application/json", **(headers or {})},
            )
            resp = conn.getresponse()
            data = resp.read()
        except http.client.HTTPException as err:
            raise ConnectionError(str(err)) from err
        finally:
            conn.close()
        return Answer(
            resp.status,
            {k.lower(): v for k, v in resp.getheaders()},
            data,
            time.perf_counter() - started,
        )

    def get(self, path: str, token: str | None = None) -> Answer:
        headers = {"authorization": f"Bearer {token}"} if token else None
        return self.request("GET", path, headers=headers)

    def login(self, username: str, password: str) -> str:
        answer = self.request(
            "POST",
            "/api/v1/auth/login",
            json.dumps({"username": username, "password": password}).encode(),
        )
        assert answer.status == 200, answer.body
        token = json.loads(answer.body)["token"]
        assert isinstance(token, str)
        return token


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    series = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# --- simulated agents -------------------------------------------------------------------------


@dataclass
class SimAgent:
    """An enrolled identity that signs like the real agent (Ed25519 over the canonical request)."""

    agent_id: str
    key: Ed25519PrivateKey
    last_ts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sign(self, seq: int, body: bytes) -> dict[str, str]:
        """Headers for one send; the timestamp grows on every resend so a resend is never a
        replay (the collector acknowledges a resend with a newer signature as a duplicate)."""
        with self.lock:
            self.last_ts = max(int(time.time()), self.last_ts + 1)
            ts = self.last_ts
        return signing.sign(self.key, self.agent_id, "POST", INGEST, seq, body, now=ts)


def enroll_agents(db: Path, count: int, unit_name: str = "resilience") -> list[SimAgent]:
    """Enroll ``count`` identities straight through the store (the collector must be stopped)."""
    store = Store(db)
    store.start()
    try:
        unit = store.create_unit(unit_name, None, "vn-2026", 2, "test")
        _tid, token, _exp = store.create_token(unit, count, 3600, "test")
        keys = [Ed25519PrivateKey.generate() for _ in range(count)]
        futures = []
        for i, key in enumerate(keys):
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            job = store.enroll_job(token, raw, f"sim-{i:05d}", "linux", f"hw-sim-{i}", "agent")
            futures.append(store.writer.submit(job))
        return [
            SimAgent(f.result(timeout=120)[0], key) for f, key in zip(futures, keys, strict=True)
        ]
    finally:
        store.close()


class Reports:
    """Full reports for simulated agents from one real gathered template."""

    def __init__(self) -> None:
        self.template = gather(LocalHost("linux"), "template", 1)

    def body(self, agent_id: str, seq: int, variant: int = 0) -> bytes:
        """A full report; a non-zero ``variant`` changes the system section (new hash), so the
        collector records a change and re-evaluates the host."""
        report: Report = msgspec.structs.replace(self.template, agent_id=agent_id, seq=seq)
        system = report.sections.system
        if variant and system is not None and system.data is not None:
            data = msgspec.structs.replace(system.data, hostname=f"variant-{variant}")
            changed = msgspec.structs.replace(system, data=data, hash=fact_hash(data))
            sections = msgspec.structs.replace(report.sections, system=changed)
            report = msgspec.structs.replace(report, sections=sections)
        return encode(report)


def stored_reports(db: Path) -> list[tuple[str, int]]:
    """(host, seq) of every committed report, in commit order."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return [
            (h, s)
            for h, s in conn.execute("SELECT host_id, seq FROM reports ORDER BY received_at, seq")
        ]


def integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` of the database file."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


class Probe:
    """A :mod:`tests.resilience.probe` process timing GETs of some paths until stopped."""

    def __init__(self, url: str, ca_file: Path, paths: list[str], seconds: float = 900) -> None:
        # Nice -5 (root only): the probe stands for Prometheus or a browser on another machine,
        # so it should not also queue for this machine's CPU behind the load generator.
        prefix = ["nice", "-n", "-5"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen(
            [
                *prefix,
                PYTHON,
                "-m",
                "tests.resilience.probe",
                url,
                str(ca_file),
                str(seconds),
                *paths,
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )

    def stop(self) -> list[tuple[str, int, float]]:
        """Stop it; every (path, status, seconds) it measured."""
        if self.proc.poll() is None:
            self.proc.terminate()
        out, _err = self.proc.communicate(timeout=30)
        rows = []
        for line in out.splitlines():
            path, status, seconds = line.split()
            rows.append((path, int(status), float(seconds)))
        return rows


# --- memory -----------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of a process from /proc/PID/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    num = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    den = sum((t - mean_t) ** 2 for t, _ in samples)
    return 60 * num / den if den else 0.0


# --- root-only fixtures -----------------------------------------------------------------------


def is_root() -> bool:
    return os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(size: str, prefix: str = "canh-tmpfs-") -> Iterator[Path]:
    """A small tmpfs mounted for the test, unmounted (lazily if busy) afterwards."""
    mount_point = Path(tempfile.mkdtemp(prefix=prefix))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    try:
        yield mount_point
    finally:
        if subprocess.run(
            ["umount", str(mount_point)], capture_output=True, check=False
        ).returncode:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)
        mount_point.rmdir()


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path: Path, leave: int) -> Path:
    """Fill the file system of ``path`` until about ``leave`` bytes stay free."""
    filler = path / "filler.bin"
    chunk = b"\0" * 65536
    with filler.open("ab") as out:
        while free_bytes(path) > leave + len(chunk):
            out.write(chunk)
            out.flush()
        while free_bytes(path) > leave + 4096:
            out.write(chunk[:4096])
            out.flush()
    return filler
