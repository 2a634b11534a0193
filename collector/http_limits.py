"""The HTTP protocol the collector serves: uvicorn's httptools protocol plus the limits it lacks.

uvicorn only times out *idle* keep-alive connections. A client that opens a connection and then
trickles its request headers or body a byte at a time (slowloris) holds that connection — and one
slot of ``limit_concurrency`` — for ever, and nothing caps the size of headers or of a body that
FastAPI reads whole. So, per request (docs/SECURITY.md):

- the headers must be complete within ``header_timeout`` seconds of the connection (or of the
  request's first byte on a kept-alive connection), else 408 and the connection is closed;
- the headers may not exceed ``MAX_HEADER_BYTES``, else 431;
- a declared body over ``max_body_bytes`` is refused with 413 before the application runs; a
  chunked body that grows past it closes the connection;
- after ``header_timeout`` seconds of grace, the body must keep arriving at ``body_min_rate``
  bytes per second on average (Apache's mod_reqtimeout ``MinRate``), else the connection closes.

It also sends each response's head with its first body bytes in one write (:class:`HeadWithBody`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-request limits against slow and oversized clients."""

    header_timeout: float
    body_min_rate: float
    max_body_bytes: int


def guarded_protocol(limits: Limits) -> type[asyncio.Protocol]:
    """An httptools protocol class enforcing ``limits`` (pass it to uvicorn as ``http=``)."""

    class Guarded(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # One timer per connection, moved forward rather than replaced: the limits are
            # re-armed twice per request, and each new timer and its cancel cost ~1.7 µs.
            self._timer: asyncio.TimerHandle | None = None
            self._timer_at = 0.0
            self._deadline: float | None = None
            self._on_late: Any = None
            self._in_headers = True
            self._header_bytes = 0
            self._body_bytes = 0
            self._body_started = 0.0
            self._refused = False

        # --- connection and bytes ---------------------------------------------------------

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm(limits.header_timeout, self._headers_late)

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self._in_headers and not self._refused and not self.transport.is_closing():
                # Only chunks that leave the headers incomplete count: a chunk that completes
                # them may also carry the body.
                self._header_bytes += len(data)
                if self._header_bytes > MAX_HEADER_BYTES:
                    self._refuse(431, "request headers too large")

        # --- parser callbacks -------------------------------------------------------------

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if not self._in_headers:  # the next request on a kept-alive connection
                self._in_headers = True
                self._header_bytes = 0
                self._arm(limits.header_timeout, self._headers_late)

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._disarm()
            declared = _content_length(self.headers)
            if declared is not None and declared > limits.max_body_bytes:
                self._refuse(413, f"request body over the {limits.max_body_bytes}-byte limit")
                return
            super().on_headers_complete()
            if self.cycle is not None:
                self.cycle.transport = HeadWithBody(self.transport)  # type: ignore[assignment]
            self._body_bytes = 0
            self._body_started = self.loop.time()
            self._arm(limits.header_timeout, self._body_slow)

        def on_body(self, body: bytes) -> None:
            if self._refused:
                return
            self._body_bytes += len(body)
            if self._body_bytes > limits.max_body_bytes:
                self._refused = True
                self.transport.close()  # the application sees a disconnect
                return
            super().on_body(body)

        def on_response_complete(self) -> None:
            if self.cycle is not None and isinstance(self.cycle.transport, HeadWithBody):
                self.cycle.transport.flush()  # a response without a body (HEAD, 204, 304)
            super().on_response_complete()

        def on_message_complete(self) -> None:
            if self._refused:
                return
            self._disarm()
            super().on_message_complete()

        # --- timers -----------------------------------------------------------------------

        def _arm(self, delay: float, callback: Any) -> None:
            """Call ``callback`` in ``delay`` seconds unless disarmed or re-armed before."""
            deadline = self.loop.time() + delay
            self._deadline, self._on_late = deadline, callback
            if self._timer is not None and self._timer_at <= deadline:
                return  # the pending timer fires first and moves itself to the deadline
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = deadline
            self._timer = self.loop.call_at(deadline, self._fire)

        def _disarm(self) -> None:
            # The pending timer finds nothing to do and ends. The callback, a bound method of
            # this protocol, is dropped too: kept, it would make the protocol, its transport and
            # TLS buffers a reference cycle that waits for the cyclic collector to free it.
            self._deadline = self._on_late = None

        def _fire(self) -> None:
            self._timer = None
            if self._deadline is None:
                return
            if self.loop.time() < self._deadline:
                self._timer_at = self._deadline
                self._timer = self.loop.call_at(self._deadline, self._fire)
                return
            callback, self._deadline, self._on_late = self._on_late, None, None
            callback()

        def _cancel_timer(self) -> None:
            self._deadline = self._on_late = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_late(self) -> None:
            if self._in_headers and not self.transport.is_closing():
                self._refuse(408, "request headers not received in time")

        def _body_slow(self) -> None:
            if self.transport.is_closing():
                return
            allowed = limits.header_timeout + self._body_bytes / limits.body_min_rate
            elapsed = self.loop.time() - self._body_started
            if elapsed < allowed:
                self._arm(allowed - elapsed, self._body_slow)
                return
            self._refused = True
            self.transport.close()  # the application sees a disconnect

        def _refuse(self, status: int, message: str) -> None:
            """Answer with ``status`` unless a response is under way, then close."""
            self._refused = True
            self._cancel_timer()
            if self.cycle is None or self.cycle.response_complete:
                body = message.encode()
                self.transport.write(
                    STATUS_LINE[status]
                    + b"content-type: text/plain; charset=utf-8\r\n"
                    + b"content-length: "
                    + str(len(body)).encode()
                    + b"\r\nconnection: close\r\n\r\n"
                    + body
                )
            self.transport.close()

    return Guarded


class HeadWithBody:
    """The transport as uvicorn's response cycle sees it: the status line and headers wait for
    the first body bytes, and both leave in one write. uvicorn writes them separately, which
    costs a second TLS record and a second send() per response (~5 µs of the ingest path,
    bench/ingest.py). Later body chunks pass straight through, so streamed responses stream;
    a ``100 Continue`` is never held back."""

    __slots__ = ("head", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.head: bytes | None = None  # None: nothing written yet; b"": the head is out

    def write(self, data: bytes) -> None:
        if self.head is None and not data.startswith(b"HTTP/1.1 1"):
            self.head = data
            return
        if self.head:
            data, self.head = self.head + data, b""
        self.transport.write(data)

    def flush(self) -> None:
        """Send a head still waiting (the response had no body)."""
        if self.head:
            self.transport.write(self.head)
            self.head = b""

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length" and value.strip().isdigit():
            return int(value)
    return None
