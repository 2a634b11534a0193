"""The collector's HTTP protocol (collector/http_limits.py) driven byte by byte over a recording
transport: a response's head leaves with its first body bytes in one write, streamed bodies still
stream, and neither a body-less response nor ``100 Continue`` is held back; a closed connection is
freed without the cyclic garbage collector."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from collector.http_limits import Limits, guarded_protocol


class Recorder(asyncio.Transport):
    """A transport that keeps what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("192.0.2.10", 40000), "sockname": ("192.0.2.1", 8443)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo, streamed in two chunks on /stream, no body on HEAD and on /empty (204)."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"second"})
        return
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _protocol() -> asyncio.Protocol:
    limits = Limits(header_timeout=5, body_min_rate=100, max_body_bytes=1 << 20)
    protocol_class = guarded_protocol(limits)
    config = uvicorn.Config(app, http=protocol_class, log_level="warning", lifespan="off")
    config.load()
    return protocol_class(config=config, server_state=ServerState(), app_state={})  # type: ignore[call-arg]


def _exchange(*chunks: bytes) -> list[list[bytes]]:
    """Feed a request to the protocol chunk by chunk; what it wrote after each chunk."""

    async def main() -> list[list[bytes]]:
        protocol = _protocol()
        transport = Recorder()
        protocol.connection_made(transport)
        seen: list[list[bytes]] = []
        for chunk in chunks:
            protocol.data_received(chunk)
            for _ in range(20):  # let the application run
                await asyncio.sleep(0)
            seen.append(transport.writes[:])
            transport.writes.clear()
        protocol.connection_lost(None)
        return seen

    return asyncio.run(main())


def test_head_and_body_leave_in_one_write() -> None:
    (writes,) = _exchange(b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\n\r\nhello")
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\nhello")


def test_a_streamed_body_still_streams() -> None:
    (writes,) = _exchange(b"GET /stream HTTP/1.1\r\nHost: c\r\n\r\n")
    assert len(writes) == 2  # the head with the first chunk; the second chunk with the end
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"first\r\n")
    assert writes[1] == b"6\r\nsecond\r\n0\r\n\r\n"


def test_responses_without_a_body_are_sent() -> None:
    ((empty,),) = _exchange(b"GET /empty HTTP/1.1\r\nHost: c\r\n\r\n")
    assert empty.startswith(b"HTTP/1.1 204 No Content\r\n")
    ((head,),) = _exchange(b"HEAD /echo HTTP/1.1\r\nHost: c\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")


def test_continue_is_not_held_back() -> None:
    """A client that waits for ``100 Continue`` gets it before it sends the body."""
    before_body, after_body = _exchange(
        b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
        b"ok",
    )
    assert before_body == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    (response,) = after_body
    assert response.startswith(b"HTTP/1.1 200 OK\r\n") and response.endswith(b"\r\n\r\nok")


@pytest.mark.parametrize(
    "sent",
    [
        b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\n\r\nhello",  # answered
        b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\n\r\nhe",  # body cut off
        b"POST /echo HTTP/1.1\r\nHost: c\r\n",  # headers cut off
        b"",  # nothing sent
    ],
)
def test_a_closed_connection_is_freed_without_the_cyclic_collector(sent: bytes) -> None:
    """Each connection holds its TLS buffers (tens of KB): left in a reference cycle, they wait
    for a collection, which the collector runs rarely (serve.GC_YOUNG_THRESHOLD), and the heap
    grows to the largest pile of dead connections seen (the soak test's memory slope)."""

    async def main() -> weakref.ref[asyncio.Protocol]:
        protocol = _protocol()
        protocol.connection_made(Recorder())
        protocol.data_received(sent)
        for _ in range(20):  # let the application run
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        for _ in range(5):
            await asyncio.sleep(0)
        ref = weakref.ref(protocol)
        del protocol
        return ref

    gc.disable()
    try:
        ref = asyncio.run(main())
        assert ref() is None, gc.get_referrers(ref())
    finally:
        gc.enable()
