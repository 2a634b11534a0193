"""Ingest throughput and latency, side by side with a bare FastAPI echo endpoint.

Both servers run as one uvicorn process each over TLS, pinned to core 0 and up side by side — the
collector as operators start it (``canh collector serve``), the echo app under uvicorn with the
same server options; their runs alternate and the medians are compared;
wrk (Debian package) runs on core 1 and replays pre-signed requests from many agent identities
(real Ed25519 signatures, one unique sequence number per request, ordered so an agent's next
report is far behind its previous one); a paced run holds its rate on a fixed schedule.
Steady-state delta reports: most sections ``unchanged``, the ports section in full.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.gather import gather
from agent.host import LocalHost
from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from bench.results import Result
from canh.contract import Report, Section, Sections, encode, signing
from collector.serve import init
from collector.store import Store

AGENTS = int(os.environ.get("CANH_BENCH_AGENTS", "1000"))
SECONDS = int(os.environ.get("CANH_BENCH_SECONDS", "15"))
ROUNDS = int(os.environ.get("CANH_BENCH_ROUNDS", "3"))  # alternating echo and ingest runs
CONNECTIONS = 64
LUA = Path(__file__).with_name("wrk_replay.lua")
PATH = "/api/v1/reports"
BENCH_PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _enroll(db: Path, count: int) -> list[tuple[str, Ed25519PrivateKey]]:
    store = Store(db)
    store.start()
    try:
        unit = store.create_unit("bench", None, "vn-2026", 2, "bench")
        _tid, token, _exp = store.create_token(unit, count, 3600, "bench")
        agents = []
        for i in range(count):
            key = Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            host_id, _u, _n = store.writer.call(
                store.enroll_job(token, raw, f"pc-{i:05d}", "linux", None, "agent")
            )
            agents.append((host_id, key))
        return agents
    finally:
        store.close()


@functools.cache
def _template() -> Report:
    """This machine's report, gathered once: the full reports and every delta carry the same
    facts, so a delta changes nothing (other processes opening ports between two gathers would
    otherwise turn the first round of deltas into changes and re-scoring)."""
    return gather(LocalHost("linux"), "x", 1)


def _requests(
    agents: list[tuple[str, Ed25519PrivateKey]], rounds: int, first_seq: int, out: Path
) -> None:
    """Signed delta reports, round by round, to the wrk replay file."""
    template = _template()
    sections = template.present()
    with out.open("w") as fh:
        for r in range(rounds):
            seq = first_seq + r
            for agent_id, key in agents:
                delta: dict[str, Section[Any]] = {
                    name: Section(status="unchanged", collected_at=s.collected_at, hash=s.hash)
                    for name, s in sections.items()
                    if s.status == "ok" and name != "ports"
                }
                if "ports" in sections:
                    delta["ports"] = sections["ports"]
                report = template.__class__(
                    schema_version=1,
                    agent_id=agent_id,
                    agent_version="bench",
                    kind="delta",
                    seq=seq,
                    collected_at=template.collected_at,
                    sections=Sections(**delta),
                )
                body = encode(report)
                h = signing.sign(key, agent_id, "POST", PATH, seq, body)
                fh.write(
                    f"{agent_id}\t{h[signing.HEADER_TIMESTAMP]}\t{seq}\t"
                    f"{h[signing.HEADER_SIGNATURE]}\n"
                )
                fh.write(body.decode() + "\n")


def _full_reports(client: Collector, agents: list[tuple[str, Ed25519PrivateKey]]) -> None:
    """Each agent's first (full) report, sent before timing: the steady state starts after."""
    template = _template()
    for agent_id, key in agents:
        report = template.__class__(
            schema_version=1,
            agent_id=agent_id,
            agent_version="bench",
            kind="full",
            seq=1,
            collected_at=template.collected_at,
            sections=template.sections,
        )
        body = encode(report)
        client.request("POST", PATH, body, signing.sign(key, agent_id, "POST", PATH, 1, body))


def _start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            ["taskset", "-c", "0", *cmd],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _wrk(url: str, replay: Path, rate: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(LUA),
            url,
            "--",
            str(replay),
            PATH,
            str(rate),
            str(CONNECTIONS),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    return _parse_wrk(out.stdout)


def _parse_wrk(text: str) -> dict[str, float]:
    total = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    duration = float(re.search(r"requests in ([\d.]+)s", text).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = int(bad.group(1)) if bad else 0
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rate": (total - errors) / duration,
        "errors": errors,
        "total": total,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
    }


def _serve_collector(data: Path) -> list[str]:
    """The collector as operators run it: ``canh collector serve`` (its HTTP limits included)."""
    return [sys.executable, "-m", "canh", "collector", "serve", "--data-dir", str(data)]


def _serve(app: str, settings_dir: Path, port: int) -> list[str]:
    """The echo app under uvicorn with the collector's server options (bench/echo_app.py)."""
    tls = settings_dir / "tls"
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ssl-certfile",
        str(tls / "server.pem"),
        "--ssl-keyfile",
        str(tls / "server.key"),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",
        "--limit-concurrency",
        "2048",
        "--timeout-keep-alive",
        "5",
    ]


def _wait(url: str, ca: str, proc: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            Collector(url, ca).request("GET", path)
            return
        except CollectorRefused:
            return
        except CollectorUnavailable:
            time.sleep(0.2)
    raise RuntimeError("server not ready")


LISTING_HOSTS = 10_000
LISTING_INGEST_RATE = 1000


def _seed_hosts(db: Path, count: int) -> None:
    """More enrolled hosts in the bench unit, written directly (their keys are never used)."""
    conn = sqlite3.connect(db)
    unit = conn.execute("SELECT id FROM units WHERE name = 'bench'").fetchone()[0]
    now = time.time()
    with conn:
        conn.executemany(
            "INSERT INTO hosts (id, unit_id, hostname, os_family, public_key, enrolled_at, "
            "last_seen, last_seq) VALUES (?,?,?,?,?,?,?,1)",
            [
                (f"h_seed{i:011d}", unit, f"seed-{i:05d}", "linux", os.urandom(32), now, now)
                for i in range(count)
            ],
        )
    conn.close()


def _listing_under_ingest(url: str, ca: str, replay: Path) -> dict[str, float]:
    """Host listing latency while wrk drives paced ingest in the background."""
    token = json.loads(
        Collector(url, ca)
        .request(
            "POST",
            "/api/v1/auth/login",
            json.dumps({"username": "admin", "password": BENCH_PASSWORD}).encode(),
        )
        .body
    )["token"]
    ingest = subprocess.Popen(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS + 4}s",
            "-s",
            str(LUA),
            url,
            "--",
            str(replay),
            PATH,
            str(LISTING_INGEST_RATE),
            str(CONNECTIONS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        out = subprocess.run(
            [
                "taskset",
                "-c",
                "1",
                "wrk",
                "-t1",
                "-c4",
                f"-d{SECONDS}s",
                "--latency",
                "-H",
                f"Authorization: Bearer {token}",
                f"{url}/api/v1/hosts?limit=100&offset=5000",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=SECONDS + 60,
        )
    finally:
        ingest.wait(timeout=SECONDS + 60)
    return _parse_wrk(out.stdout)


def run() -> list[Result]:
    """Measure echo rate, ingest rate, and ingest p99 at 70% of the ingest rate.

    The machine's speed drifts by ±10 % over minutes, so both servers stay up and the echo and
    ingest runs alternate, ``ROUNDS`` of each over the same signed requests; the rates reported
    are the medians."""
    if not shutil.which("wrk") or not shutil.which("taskset"):
        raise RuntimeError("the ingest benchmark needs wrk and taskset (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "collector"
        port = free_port()
        settings, _ = init(data, "127.0.0.1", port, admin_password=BENCH_PASSWORD)
        agents = _enroll(settings.db_path, AGENTS)
        ca = (data / "tls" / "ca.pem").read_text()
        results: dict[str, dict[str, float]] = {}
        rounds = max(2, 8000 * SECONDS // AGENTS)  # more than a run can send: no replays
        replay = Path(tmp) / "replay.txt"
        echo_port = free_port()
        echo_url = f"https://127.0.0.1:{echo_port}"
        echo = _start(_serve("bench.echo_app:create_app", data, echo_port), Path(tmp) / "echo.log")
        col = _start(_serve_collector(data), Path(tmp) / "col.log")
        try:
            _wait(echo_url, ca, echo, "/nothing")
            _wait(settings.url, ca, col, "/readyz")
            _full_reports(Collector(settings.url, ca), agents)
            seq = 2
            runs: dict[str, list[dict[str, float]]] = {"echo": [], "ingest": []}
            for _ in range(ROUNDS):
                _requests(agents, rounds, seq, replay)
                seq += rounds
                runs["echo"].append(_wrk(echo_url, replay, 0, SECONDS))
                runs["ingest"].append(_wrk(settings.url, replay, 0, SECONDS))
            for name, measured in runs.items():
                print(f"{name} rates: {[round(r['rate']) for r in measured]}", file=sys.stderr)
                results[name] = sorted(measured, key=lambda r: r["rate"])[len(measured) // 2]
            target = int(results["ingest"]["rate"] * 0.7)
            _requests(agents, rounds, seq, replay)
            seq += rounds
            results["paced"] = _wrk(settings.url, replay, target, SECONDS)
            _seed_hosts(settings.db_path, LISTING_HOSTS - AGENTS)
            _requests(agents, rounds, seq, replay)
            results["listing"] = _listing_under_ingest(settings.url, ca, replay)
        finally:
            for server in (echo, col):
                server.terminate()
                server.wait()
    ingest, echo_r, paced = results["ingest"], results["echo"], results["paced"]
    listing = results["listing"]
    print(f"ingest {ingest}, echo {echo_r}, paced {paced}", file=sys.stderr)
    return [
        Result(
            f"signed delta reports/s, one worker (median of {ROUNDS} runs)",
            round(ingest["rate"]),
            "reports/s",
            "bare FastAPI echo",
            round(echo_r["rate"]),
            "≥ 3000/s and ≥ 0.6× echo",
            ingest["rate"] >= 3000 and ingest["rate"] >= 0.6 * echo_r["rate"],
        ),
        Result(
            "ingest p99 at 70% load",
            round(paced["p99_ms"], 1),
            "ms",
            None,
            None,
            "≤ 50 ms",
            paced["p99_ms"] <= 50,
        ),
        Result(
            f"API host listing p99, {LISTING_HOSTS} hosts, ingest at {LISTING_INGEST_RATE}/s",
            round(listing["p99_ms"], 1),
            "ms",
            None,
            None,
            "≤ 50 ms",
            listing["p99_ms"] <= 50,
        ),
    ]
