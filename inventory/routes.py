"""Where the kernel would send a packet to each target: the ``ip route get`` question over netlink.

One RTM_GETROUTE request per address (rtnetlink(7)), sent in batches on one netlink socket, so
the answer is the kernel's own decision: policy rules, the local table (the machine's own
addresses, all of 127/8), unreachable routes, the outgoing interface, the source address it
would pick and the next hop. Discovery needs only that to split targets into the local segment
of each interface (ARP) and routed addresses (ping), and the source address to checksum TCP.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from inventory.errors import ScanError

RouteKind = Literal["self", "link", "routed", "none"]

_NLMSG = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_RTMSG = struct.Struct("=BBBBBBBBI")  # rtmsg: family, dst_len, src_len, tos, table, proto, …
_RTATTR = struct.Struct("=HH")
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
NLM_F_REQUEST = 1
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PREFSRC = 1, 4, 5, 7
RTN_UNICAST, RTN_LOCAL = 1, 2
BATCH = 128  # requests in flight: their answers must fit the socket's receive buffer


@dataclass(frozen=True, slots=True)
class Route:
    """The kernel's route to one address.

    ``self``: an address of this machine; ``link``: on the segment of ``iface`` (no next hop);
    ``routed``: through ``gateway``; ``none``: no unicast route (unreachable, prohibited,
    broadcast, multicast).
    """

    kind: RouteKind
    iface: str | None = None
    src: str | None = None
    gateway: str | None = None


NO_ROUTE = Route("none")


def request(seq: int, address: str) -> bytes:
    """An RTM_GETROUTE request for one IPv4 address."""
    attr = _RTATTR.pack(_RTATTR.size + 4, RTA_DST) + socket.inet_aton(address)
    body = _RTMSG.pack(socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, 0) + attr
    return _NLMSG.pack(_NLMSG.size + len(body), RTM_GETROUTE, NLM_F_REQUEST, seq, 0) + body


def parse(data: bytes, iface_name: dict[int, str] | None = None) -> dict[int, Route]:
    """The routes in a buffer of netlink answers, by request sequence number."""
    names = iface_name if iface_name is not None else {}
    routes: dict[int, Route] = {}
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, kind, _flags, seq, _port = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size or offset + length > len(data):
            break
        body = data[offset + _NLMSG.size : offset + length]
        if kind == NLMSG_ERROR:
            routes[seq] = NO_ROUTE  # ENETUNREACH and friends: no route
        elif kind == RTM_NEWROUTE and len(body) >= _RTMSG.size:
            routes[seq] = _route(body, names)
        offset += (length + 3) & ~3  # NLMSG_ALIGN
    return routes


def _route(body: bytes, names: dict[int, str]) -> Route:
    route_type = _RTMSG.unpack_from(body)[7]
    attrs: dict[int, bytes] = {}
    offset = _RTMSG.size
    while offset + _RTATTR.size <= len(body):
        length, kind = _RTATTR.unpack_from(body, offset)
        if length < _RTATTR.size:
            break
        attrs[kind] = body[offset + _RTATTR.size : offset + length]
        offset += (length + 3) & ~3  # RTA_ALIGN
    if route_type == RTN_LOCAL:
        return Route("self")
    if route_type != RTN_UNICAST or len(attrs.get(RTA_OIF, b"")) != 4:
        return NO_ROUTE
    index = struct.unpack("=I", attrs[RTA_OIF])[0]
    iface = names.get(index) or _iface_name(index)
    names[index] = iface
    src = _address(attrs.get(RTA_PREFSRC))
    gateway = _address(attrs.get(RTA_GATEWAY))
    if gateway is None:
        return Route("link", iface, src)
    return Route("routed", iface, src, gateway)


def _address(value: bytes | None) -> str | None:
    return socket.inet_ntoa(value) if value is not None and len(value) == 4 else None


def _iface_name(index: int) -> str:
    try:
        return socket.if_indextoname(index)
    except OSError:
        return f"if{index}"


def lookup(addresses: Iterable[str]) -> dict[str, Route]:
    """The kernel's route to each address; ScanError when netlink cannot be used."""
    wanted = list(addresses)
    routes: dict[str, Route] = {}
    names: dict[int, str] = {}
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    except OSError as err:
        raise ScanError(f"cannot read the routing table: {err.strerror or err}") from err
    with sock:
        sock.settimeout(5.0)
        sock.bind((0, 0))
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            # Several messages in one buffer: the kernel answers each in turn (netlink(7)).
            try:
                sock.sendto(b"".join(request(i, ip) for i, ip in enumerate(chunk)), (0, 0))
                got: dict[int, Route] = {}
                while len(got) < len(chunk):
                    got.update(parse(sock.recv(65536), names))
            except OSError as err:
                reason = os.strerror(err.errno) if err.errno else str(err)
                if err.errno == errno.EAGAIN or isinstance(err, TimeoutError):
                    reason = "the kernel did not answer route lookups"
                raise ScanError(f"cannot read the routing table: {reason}") from err
            for i, ip in enumerate(chunk):
                routes[ip] = got.get(i, NO_ROUTE)
    return routes
