"""Reading a request body under a size cap: refuse (413) before reading more than the cap."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import Receive

from collector.errors import ApiError


class Disconnected(Exception):
    """The client went away before sending the whole body: nothing to answer."""


def check_declared(declared: str | None, cap: int) -> None:
    """Refuse a Content-Length that is not a number or is over the cap."""
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "bad_length", "Content-Length is not a number")
        if int(declared) > cap:
            raise _too_large(cap)


def _too_large(cap: int) -> ApiError:
    return ApiError(413, "too_large", f"body over the {cap}-byte limit")


async def read_capped(chunks: AsyncIterator[bytes], declared: str | None, cap: int) -> bytes:
    """The body from its chunks (a Starlette request's ``stream()``)."""
    check_declared(declared, cap)
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise _too_large(cap)
        parts.append(chunk)
    return b"".join(parts)


async def receive_capped(receive: Receive, declared: str | None, cap: int) -> bytes:
    """The body from ASGI ``receive`` messages (most bodies arrive in one)."""
    check_declared(declared, cap)
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise _too_large(cap)
        if not message.get("more_body", False):
            return b"".join((*parts, chunk)) if parts else chunk
        parts.append(chunk)
