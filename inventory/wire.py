"""Probes out, answers in: raw sockets opened once per scan and one paced send-and-listen loop.

One packet socket per interface of a local segment (ARP frames only, filtered by the kernel),
and one raw IPv4 socket each for TCP and ICMP, which both send the probes (the kernel routes them
and resolves every next hop once, in its neighbour cache) and receive the answers. SNMP goes out
on one ordinary UDP socket. Sending and listening share one thread: after each paced packet the
sockets are drained without blocking, so no receiver thread races the sender, and a round ends
as soon as every probe is settled, or ``timeout`` after its last packet.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from inventory.errors import ScanError
from inventory.packets import ETH_P_ARP
from inventory.rate import RateLimiter

K = TypeVar("K")
Progress = Callable[[str, int, int], None]
# (socket, bytes, address for sendto or None for a bound packet socket)
Outgoing = tuple[socket.socket, bytes, Any]
# Reads one received packet; returns the key it settles, if any.
Reader = Callable[[bytes, Any], Any]
_RECV_BYTES = 65535
_RCVBUF = 4 * 1024 * 1024  # a /16 sweep's answers stay queued while the sender sleeps


class Wire:
    """The sockets of one scan; use as a context manager (every socket closed on exit)."""

    def __init__(self, limiter: RateLimiter, timeout: float, progress: Progress) -> None:
        self.limiter = limiter
        self.timeout = timeout
        self.progress = progress
        self.notes: list[str] = []
        self._sockets: dict[str, socket.socket] = {}

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *_exc: object) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    # --- sockets ----------------------------------------------------------------------------

    def _open(self, name: str, factory: Callable[[], socket.socket]) -> socket.socket:
        sock = self._sockets.get(name)
        if sock is not None:
            return sock
        try:
            sock = factory()
        except PermissionError as err:
            raise ScanError("raw sockets need root or CAP_NET_RAW (run the scan as root)") from err
        except OSError as err:
            raise ScanError(f"cannot open a raw socket ({name}): {err.strerror or err}") from err
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        sock.setblocking(False)
        self._sockets[name] = sock
        return sock

    def arp(self, iface: str) -> tuple[socket.socket, bytes]:
        """The packet socket of ``iface`` (ARP frames only) and the interface's MAC address."""

        def factory() -> socket.socket:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
            try:
                sock.bind((iface, ETH_P_ARP))
            except OSError:
                sock.close()
                raise
            return sock

        try:
            sock = self._open(f"arp:{iface}", factory)
        except ScanError as err:
            raise ScanError(f"interface {iface!r} is not usable: {err}") from err
        mac: bytes = sock.getsockname()[4]
        if len(mac) != 6:
            raise ScanError(f"interface {iface!r} is not usable: it has no Ethernet address")
        return sock, mac

    def tcp(self) -> socket.socket:
        return self._open(
            "tcp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        )

    def icmp(self) -> socket.socket:
        return self._open(
            "icmp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        )

    def udp(self) -> socket.socket:
        def factory() -> socket.socket:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("0.0.0.0", 0))  # noqa: S104 - answers may come from any interface
            return sock

        return self._open("udp", factory)

    # --- sending and listening --------------------------------------------------------------

    def send(self, packets: Iterable[Outgoing]) -> None:
        """Send paced without listening (the RSTs after the SYN scan); failures are noted."""
        failed, error, total = 0, None, 0
        for sock, data, address in packets:
            total += 1
            self.limiter.take()
            err = _send_one(sock, data, address)
            if err is not None:
                failed, error = failed + 1, error or err
        if failed:
            self.notes.append(f"reset: {failed} of {total} packets not sent ({error})")

    def rounds(
        self,
        phase: str,
        keys: Sequence[K],
        build: Callable[[K], Iterable[Outgoing]],
        readers: dict[socket.socket, Reader],
        retries: int,
        batch_size: int,
    ) -> None:
        """Probe every key (in batches), then the unsettled ones again, ``retries`` times.

        ``build(key)`` makes the key's packets; a reader turns a received packet (and the
        address it came from) into the key it settles, or None.
        """
        for start in range(0, len(keys), batch_size):
            order = list(keys[start : start + batch_size])
            pending = set(order)
            for _round in range(1 + retries):
                outgoing = [(k, packet) for k in order if k in pending for packet in build(k)]
                self._round(phase, outgoing, pending, readers)
                if not pending:
                    break

    def _round(
        self,
        phase: str,
        outgoing: list[tuple[Any, Outgoing]],
        pending: set[Any],
        readers: dict[socket.socket, Reader],
    ) -> None:
        total = len(outgoing)
        sent = failed = 0
        error: str | None = None
        self.progress(phase, 0, total)
        for done, (key, (sock, data, address)) in enumerate(outgoing, 1):
            if key in pending:  # a key settled by an earlier packet needs no more
                sent += 1
                self.limiter.take()
                err = _send_one(sock, data, address)
                if err is not None:
                    failed, error = failed + 1, error or err
            self._drain(readers, pending, 0.0)
            if done % 64 == 0 or done == total:
                self.progress(phase, done, total)
        if failed:
            if failed == sent:
                raise ScanError(f"{phase}: every send failed: {error}")
            self.notes.append(f"{phase}: {failed} of {total} packets not sent ({error})")
        deadline = time.monotonic() + self.timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._drain(readers, pending, remaining)

    @staticmethod
    def _drain(readers: dict[socket.socket, Reader], pending: set[Any], wait: float) -> None:
        """Read what has arrived (waiting up to ``wait`` for the first packet)."""
        ready, _w, _x = select.select(list(readers), [], [], wait)
        for sock in ready:
            read = readers[sock]
            while True:
                try:
                    data, source = sock.recvfrom(_RECV_BYTES)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # an error queued on the socket (ICMP on UDP): the next read goes on
                key = read(data, source)
                if key is not None:
                    pending.discard(key)


def _send_one(sock: socket.socket, data: bytes, address: Any) -> str | None:
    """Send one packet; the reason when it could not be sent."""
    for _attempt in range(2):
        try:
            if address is None:
                sock.send(data)
            else:
                sock.sendto(data, address)
        except BlockingIOError:
            # The socket's send queue is full: wait until it drains rather than lose the probe.
            select.select([], [sock], [], 1.0)
        except OSError as err:
            return err.strerror or str(err)
        else:
            return None
    return "the send queue stayed full"
