"""Attacks against the real collector process over HTTPS: slowloris (slow headers, slow bodies,
idle sockets), oversized and deeply nested JSON on every body-taking route, login brute force
(one by one and in parallel), and path traversal in ids. docs/SECURITY.md records the outcomes."""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from collector.api.auth import MAX_FAILURES
from tests.resilience.support import (
    INGEST,
    Client,
    CollectorProcess,
    SimAgent,
    enroll_agents,
    init_collector,
    launch_collector,
)
from tests.support import ADMIN_PASSWORD

pytestmark = [pytest.mark.real, pytest.mark.slow]
HEADER_TIMEOUT = 3
MAX_REQUEST = 4 * 1024 * 1024
USER_PASSWORD = "a-long-password-for-tests-1"


@dataclass
class Target:
    """The collector under attack, an admin token and an enrolled identity."""

    collector: CollectorProcess
    client: Client
    token: str
    agent: SimAgent
    unit_id: str

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data = tmp_path_factory.mktemp("attacked")
    init_collector(
        data,
        header_timeout_seconds=HEADER_TIMEOUT,
        body_min_rate_bytes=1000,
        max_request_bytes=MAX_REQUEST,
    )
    agent = enroll_agents(data / "canh.db", 1)[0]
    collector = launch_collector(data)
    try:
        client = Client(collector.url, collector.ca_pem, timeout=20)
        token = client.login("admin", ADMIN_PASSWORD)
        units = json.loads(client.get("/api/v1/units", token).body)
        yield Target(collector, client, token, agent, units[0]["id"])
    finally:
        collector.stop()


# --- slowloris --------------------------------------------------------------------------------

SLOW_HEADERS = 120
SLOW_BODIES = 80
IDLE = 60


def _tls_socket(target: Target) -> ssl.SSLSocket:
    raw = socket.create_connection((target.collector.host, target.collector.port), timeout=10)
    return target.client.context.wrap_socket(raw, server_hostname=target.collector.host)


def _closed_by_server(sock: ssl.SSLSocket) -> bool:
    """True once the server has closed (or answered and closed) the connection."""
    sock.setblocking(False)
    try:
        return sock.recv(4096) is not None  # data (a 408) or b"" (EOF): either way it is over
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def _trickle(sock: ssl.SSLSocket, data: bytes) -> bool:
    """Send a little; False when the server has closed the connection."""
    try:
        sock.settimeout(1)
        sock.sendall(data)
    except OSError:
        return False
    return True


def test_slowloris_is_cut_off_while_normal_requests_are_served(target: Target) -> None:
    """Hundreds of TLS sockets trickling headers or bodies, or idle, are closed by the server
    after the header timeout / under the minimum body rate; meanwhile /healthz and an API call
    answer within 1 s."""
    login = json.dumps({"username": "admin", "password": "x" * 64}).encode()
    opened: dict[int, float] = {}  # socket → when it connected (the server's clock starts then)

    def connect() -> ssl.SSLSocket:
        sock = _tls_socket(target)
        opened[id(sock)] = time.monotonic()
        return sock

    slow_head = [connect() for _ in range(SLOW_HEADERS)]
    slow_body = [connect() for _ in range(SLOW_BODIES)]
    idle = [connect() for _ in range(IDLE)]
    started = time.monotonic()
    for sock in slow_head:
        _trickle(sock, b"GET /healthz HTTP/1.1\r\nHost: canh\r\nX-Padding: ")
    for sock in slow_body:
        _trickle(
            sock,
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: canh\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(login)}\r\n\r\n".encode()
            + login[:1],
        )
    open_socks = {id(s): s for s in slow_head + slow_body + idle}
    closed_at: dict[int, float] = {}
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            latencies.append(target.client.get("/healthz").seconds)
            latencies.append(target.client.get("/api/v1/units", target.token).seconds)
            time.sleep(0.2)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        deadline = started + HEADER_TIMEOUT + 8
        sent = 1
        while open_socks and time.monotonic() < deadline:
            for key, sock in list(open_socks.items()):
                alive = sock in idle or _trickle(
                    sock, b"a" if sock in slow_head else login[sent : sent + 1]
                )
                if not alive or _closed_by_server(sock):
                    closed_at[key] = time.monotonic() - opened[key]
                    del open_socks[key]
            sent += 1
            time.sleep(0.5)
    finally:
        stop.set()
        prober.join()
        for sock in slow_head + slow_body + idle:
            with contextlib.suppress(OSError):
                sock.close()
    assert not open_socks, f"{len(open_socks)} slow connections were never closed"
    # Lifetimes: never cut before the timeout; slow bodies get it again after their headers.
    assert min(closed_at.values()) >= HEADER_TIMEOUT - 0.2
    assert max(closed_at.values()) <= 2 * HEADER_TIMEOUT + 4
    assert latencies and max(latencies) < 1.0, max(latencies)
    print(
        f"\nslowloris: {len(closed_at)} slow sockets closed by the server, lifetimes "
        f"{min(closed_at.values()):.1f}-{max(closed_at.values()):.1f} s; "
        f"{len(latencies)} normal requests, slowest {max(latencies) * 1000:.0f} ms"
    )


def test_oversized_headers_get_431(target: Target) -> None:
    """Headers beyond 64 KiB are refused with 431 and the connection closed, at full speed too."""
    with _tls_socket(target) as sock:
        sock.settimeout(10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: canh\r\n")
        answer = b""
        try:
            for _ in range(64):  # up to 1 MiB of one header, 16 KiB at a time
                sock.sendall(b"X-Big: " + b"b" * 16384 + b"\r\n")
        except OSError:
            pass  # closed by the server while we were still sending
        with contextlib.suppress(OSError):
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert target.client.get("/healthz").status == 200


# --- oversized and nested bodies --------------------------------------------------------------


def _operations(target: Target) -> list[tuple[str, str, dict[str, Any]]]:
    spec = json.loads(target.client.get("/api/v1/openapi.json").body)
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _fill(path: str, value: str, unit_id: str | None = None) -> str:
    """Path parameters: ``unit_id`` where given (so the route's own checks run), else value."""
    out = path.replace("{unit_id}", unit_id) if unit_id else path
    while "{" in out:
        start = out.index("{")
        out = out[:start] + value + out[out.index("}", start) + 1 :]
    return out


def _row_counts(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _declared_only(target: Target, method: str, path: str, length: int) -> bytes:
    """Send headers declaring a huge body, none of the body; return the status line."""
    with _tls_socket(target) as sock:
        sock.settimeout(10)
        sock.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: canh\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {target.token}\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        return sock.recv(4096).split(b"\r\n", 1)[0]


DEPTH = 100_000
BODIES = {
    "nested arrays": b"[" * DEPTH + b"]" * DEPTH,
    "nested objects": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
    "3 MB string": json.dumps({"report": "x" * 3 * 1024 * 1024}).encode(),
    "not JSON": b"\xff\xfe" + b"\x00" * 1000,
}


def test_oversized_and_deeply_nested_json_on_every_body_route(target: Target) -> None:
    """Every route that takes a body answers a clear 4xx (never 500, never a hang) to deep
    nesting, a big string, bytes that are not JSON, and a declared body over the server cap —
    and none of it changes the store."""
    db = target.collector.data_dir / "canh.db"
    before = _row_counts(db)
    routes = [
        (m, p)
        for m, p, _op in _operations(target)
        if m in ("POST", "PUT", "PATCH") and p != "/api/v1/auth/logout"  # logout reads no body
    ]
    assert ("POST", INGEST) in routes and len(routes) >= 8, routes
    outcomes: dict[str, set[int]] = {}
    for method, path in routes:
        url = _fill(path, "nope", target.unit_id)
        for name, body in BODIES.items():
            headers = target.auth()
            if path == INGEST:  # signed for real, so the body reaches the parser
                headers = target.agent.sign(10**6, body)
            answer = target.client.request(method, url, body, headers)
            assert 400 <= answer.status < 500, (method, path, name, answer.status, answer.body)
            outcomes.setdefault(name, set()).add(answer.status)
        status = _declared_only(target, method, url, 64 * 1024 * 1024)
        assert b" 413 " in status, (method, path, status)
        outcomes.setdefault("declared 64 MB", set()).add(413)
    assert target.client.get("/healthz").status == 200
    assert _row_counts(db) == before
    print(
        f"\nbad bodies on {len(routes)} routes: "
        + ", ".join(f"{k} → {sorted(v)}" for k, v in outcomes.items())
    )


# --- login brute force ------------------------------------------------------------------------


def _new_user(target: Target, name: str) -> None:
    body = json.dumps({"username": name, "password": USER_PASSWORD, "role": "auditor"}).encode()
    answer = target.client.request("POST", "/api/v1/users", body, target.auth())
    assert answer.status == 201, answer.body


def _login(target: Target, name: str, password: str) -> int:
    body = json.dumps({"username": name, "password": password}).encode()
    return target.client.request("POST", "/api/v1/auth/login", body).status


def test_login_brute_force_locks_the_account(target: Target) -> None:
    """After MAX_FAILURES wrong passwords the account is locked (429) even for the right password;
    other accounts are unaffected."""
    _new_user(target, "victim-serial")
    assert [_login(target, "victim-serial", f"guess-{i}") for i in range(MAX_FAILURES)] == [
        401
    ] * MAX_FAILURES
    assert _login(target, "victim-serial", "guess-next") == 429
    assert _login(target, "victim-serial", USER_PASSWORD) == 429
    assert _login(target, "admin", ADMIN_PASSWORD) == 200


def test_parallel_login_guesses_cannot_exceed_the_lockout(target: Target) -> None:
    """Forty guesses sent at once: at most MAX_FAILURES passwords are ever checked."""
    _new_user(target, "victim-parallel")
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda i: _login(target, "victim-parallel", f"g-{i}"), range(40)))
    checked = codes.count(401)
    assert set(codes) <= {401, 429}, codes
    assert checked <= MAX_FAILURES, f"{checked} guesses were checked"
    assert _login(target, "victim-parallel", USER_PASSWORD) == 429
    print(f"\nparallel brute force: 40 guesses, {checked} checked, {codes.count(429)} locked out")


# --- path traversal ---------------------------------------------------------------------------


def _numeric_id(op: dict[str, Any]) -> bool:
    """Whether a path parameter of the operation is typed as an integer."""
    return any(
        p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
        for p in op.get("parameters", [])
    )


TRAVERSALS = [
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%5C..%5C..%5Cwindows%5Cwin.ini",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "canh.db",
    "..%2Fcanh.db",
]


def test_path_traversal_in_ids_is_404_and_reads_no_file(target: Target) -> None:
    """Every GET route with an id, and the static files, answer 404 to ../ in any encoding (422
    where the id is typed as a number) and never return a file's content."""
    gets = [(p, op) for m, p, op in _operations(target) if m == "GET" and "{" in p]
    assert len(gets) >= 5, gets
    paths = [(_fill(p, t), _numeric_id(op)) for p, op in gets for t in TRAVERSALS]
    paths += [(f"/static/{t}", False) for t in TRAVERSALS]
    paths += [(p, False) for p in ("/static/../../../etc/passwd", "/api/v1/hosts/../../etc/pwd")]
    paths += [("/api/v1/hosts/..;/..;/etc/passwd", False)]
    secrets_ = [b"root:x:0:0", b"SQLite format", b"PRIVATE KEY"]
    for path, numeric in paths:
        answer = target.client.get(path, target.token)
        # A numeric id that is not a number is 422; one whose %2F became "/" matches no route.
        expected = {404, 422} if numeric else {404}
        assert answer.status in expected, (path, answer.status, answer.body[:200])
        assert not any(s in answer.body for s in secrets_), path
    print(f"\npath traversal: {len(paths)} paths, all 404 (or 422 for numeric ids)")
