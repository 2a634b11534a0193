"""The agent's HTTP/1.1 reader and request head, over captured answers (bytes streams)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent import wire


def read(raw: bytes, limit: int = 1024) -> wire.Answer:
    return wire.read_answer(io.BufferedReader(io.BytesIO(raw)), limit)


def test_content_length_body() -> None:
    """Status, lower-cased headers, exactly Content-Length bytes (what uvicorn sends)."""
    answer = read(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 10\r\n"
        b'Retry-After: 5\r\n\r\n{"seq": 7}EXTRA'
    )
    assert (answer.status, answer.body) == (200, b'{"seq": 7}')
    assert answer.headers == {
        "content-type": "application/json",
        "content-length": "10",
        "retry-after": "5",
    }


def test_chunked_body_with_extension_and_trailer() -> None:
    """Chunk sizes in hex, extensions ignored, trailers read and dropped."""
    answer = read(
        b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;x=y\r\nhello\r\nA\r\n, world!!!\r\n0\r\nx-trailer: 1\r\n\r\n"
    )
    assert (answer.status, answer.body) == (503, b"hello, world!!!")


def test_body_to_the_end_of_the_connection_and_interim_answers() -> None:
    """No length: the body ends with the connection; a 100 Continue before is skipped."""
    answer = read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\n<html>proxy</html>")
    assert (answer.status, answer.body) == (200, b"<html>proxy</html>")
    assert read(b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n").body == b""


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "closed in the middle"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", "middle of the body"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 2048\r\n\r\n", "too large"),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 1025, "too large"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n401\r\n", "too large"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nab\r\n", "does not end"),
        (b"HTTP/1.1 200 OK\r\nx: " + b"a" * 9000 + b"\r\n\r\n", "too long"),
        (b"HTTP/1.1 200 OK\r\n" + b"x-a: 1\r\n" * 9000 + b"\r\n", "headers are too large"),
    ],
)
def test_unreadable_answers(raw: bytes, says: str) -> None:
    """Cut, not HTTP, malformed or over a limit: one named error saying which."""
    with pytest.raises(wire.MalformedAnswer, match=says):
        read(raw)


@given(st.binary(max_size=400))
@settings(max_examples=300)
def test_garbage_never_escapes_as_another_error(raw: bytes) -> None:
    """Any bytes: an answer within the limit, or MalformedAnswer."""
    try:
        answer = read(raw)
    except wire.MalformedAnswer:
        return
    assert 100 <= answer.status <= 599 and len(answer.body) <= 1024


def test_request_head() -> None:
    """Host with the port (IPv6 in brackets), one request per connection, headers as given."""
    head = wire.request_head(
        "POST", "2001:db8::5", 8443, "/api/v1/reports", {"content-length": "2"}
    )
    assert head == (
        b"POST /api/v1/reports HTTP/1.1\r\nhost: [2001:db8::5]:8443\r\nconnection: close\r\n"
        b"content-length: 2\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/x\r\nInjected: 1", {}),
        ("POST", "x", {}),
        ("PO ST", "/x", {}),
        ("POST", "/x", {"x-canh-agent": "h_1\r\nInjected: 1"}),
        ("POST", "/x", {"bad name": "1"}),
        ("POST", "/x", {"x": "thành"}),
    ],
)
def test_request_head_refuses_what_could_split_the_message(
    method: str, path: str, headers: dict[str, str]
) -> None:
    """CR, LF, NUL, non-ASCII or a bad token: ValueError, nothing sent."""
    with pytest.raises(ValueError, match="bad"):
        wire.request_head(method, "192.0.2.10", 443, path, headers)
