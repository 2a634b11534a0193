"""The agent's HTTP/1.1: one request per TLS connection, answers read with hard limits.

Not ``http.client``: with the ``email`` package it parses headers with, it keeps ~2 MiB
resident in an agent that sleeps between two small requests a minute (docs/ARCHITECTURE.md).
The agent talks only to its collector, over TLS pinned to the collector's CA, and needs only
this: send a request with a body, read the status, the headers and a body delimited by
``Content-Length``, chunked encoding or the end of the connection (RFC 9112).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE_BYTES = 8 * 1024
MAX_HEADER_BYTES = 64 * 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_STATUS = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?\r?\n")


class MalformedAnswer(Exception):
    """The peer's answer is not HTTP/1.1 the agent can read, or is over a limit."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A response: status, headers (names in lower case; a repeated one keeps its last value)
    and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def request_head(method: str, host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    """Request line and headers; ValueError for a name or value that could split the message."""
    if not _TOKEN.fullmatch(method) or not path.startswith("/") or _unsafe(path):
        raise ValueError(f"bad request line: {method} {path!r}")
    authority = f"[{host}]" if ":" in host else host
    lines = [f"{method} {path} HTTP/1.1", f"host: {authority}:{port}", "connection: close"]
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or _unsafe(value):
            raise ValueError(f"bad header {name!r}")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _unsafe(text: str) -> bool:
    return any(c in text for c in "\r\n\0") or not text.isascii()


def _line(stream: BinaryIO) -> bytes:
    line = stream.readline(MAX_LINE_BYTES + 1)
    if len(line) > MAX_LINE_BYTES:
        raise MalformedAnswer("a line of the answer is too long")
    if not line:
        raise MalformedAnswer("the connection closed in the middle of the answer")
    return line


def _headers(stream: BinaryIO) -> dict[str, str]:
    headers: dict[str, str] = {}
    size = 0
    while (line := _line(stream)) not in (b"\r\n", b"\n"):
        size += len(line)
        if size > MAX_HEADER_BYTES:
            raise MalformedAnswer("the answer's headers are too large")
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise MalformedAnswer(f"malformed header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    return headers


def _exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise MalformedAnswer("the connection closed in the middle of the body")
    return data


def _chunked(stream: BinaryIO, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_text = _line(stream).split(b";")[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise MalformedAnswer("malformed chunk size")
        size = int(size_text, 16)
        if size == 0:
            _headers(stream)  # trailers
            return b"".join(parts)
        total += size
        if total > limit:
            raise MalformedAnswer("the answer is too large")
        parts.append(_exactly(stream, size))
        if _line(stream) not in (b"\r\n", b"\n"):
            raise MalformedAnswer("a chunk does not end where its size says")


def read_answer(stream: BinaryIO, limit: int) -> Answer:
    """Read one response from a buffered stream; MalformedAnswer when it cannot be read or its
    body is over ``limit`` bytes. Interim 1xx responses are skipped."""
    while True:
        match = _STATUS.fullmatch(_line(stream))
        if match is None:
            raise MalformedAnswer("the answer does not start with an HTTP/1.1 status line")
        status = int(match.group(1))
        headers = _headers(stream)
        if status >= 200:
            break
    if status in (204, 304):
        return Answer(status, headers, b"")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Answer(status, headers, _chunked(stream, limit))
    length = headers.get("content-length")
    if length is not None:
        if not length.isascii() or not length.isdigit():
            raise MalformedAnswer(f"bad Content-Length {length[:40]!r}")
        if int(length) > limit:
            raise MalformedAnswer("the answer is too large")
        return Answer(status, headers, _exactly(stream, int(length)))
    body = stream.read(limit + 1)  # delimited by the end of the connection
    if len(body) > limit:
        raise MalformedAnswer("the answer is too large")
    return Answer(status, headers, body)
