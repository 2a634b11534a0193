"""The few probe packets discovery sends, and the answers it reads, as bytes (no scapy).

Every probe is a fixed header: an ARP who-has (RFC 826) in an Ethernet frame, an ICMP echo
request (RFC 792), a TCP SYN or RST without options (RFC 9293). Answers arrive on raw sockets:
ARP frames from a packet socket, IPv4 datagrams (header included) from raw ICMP and TCP sockets.
Building and reading them with ``struct`` costs microseconds; scapy's import alone costs more
than a whole scan of a few hosts. Parsers take bytes from the wire and return None for anything
short, malformed or not of the expected kind, never raise.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

BROADCAST_MAC = b"\xff" * 6
ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
ARP_REQUEST, ARP_REPLY = 1, 2
ICMP_ECHO_REPLY, ICMP_UNREACHABLE, ICMP_ECHO = 0, 3, 8
SYN, RST, ACK = 0x02, 0x04, 0x10
WINDOW = 1024  # what nmap's SYN probes offer; any value works for a probe

_ETH = struct.Struct("!6s6sH")
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_TCP = struct.Struct("!HHIIBBHHH")
_ICMP_ECHO = struct.Struct("!BBHHH")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def arp_request(src_mac: bytes, src_ip: str, dst_ip: str) -> bytes:
    """A broadcast who-has ``dst_ip`` from ``src_ip`` at ``src_mac``."""
    return _ETH.pack(BROADCAST_MAC, src_mac, ETH_P_ARP) + _ARP.pack(
        1,  # Ethernet
        ETH_P_IP,
        6,
        4,
        ARP_REQUEST,
        src_mac,
        socket.inet_aton(src_ip),
        b"\0" * 6,
        socket.inet_aton(dst_ip),
    )


def arp_reply(frame: bytes) -> tuple[str, str] | None:
    """(sender IP, sender MAC) of an ARP reply frame, else None."""
    if len(frame) < _ETH.size + _ARP.size:
        return None
    _dst, _src, ethertype = _ETH.unpack_from(frame)
    if ethertype != ETH_P_ARP:
        return None
    htype, ptype, hlen, plen, op, sha, spa, _tha, _tpa = _ARP.unpack_from(frame, _ETH.size)
    if (htype, ptype, hlen, plen, op) != (1, ETH_P_IP, 6, 4, ARP_REPLY):
        return None
    return socket.inet_ntoa(spa), mac_text(sha)


def tcp_segment(
    src: str, dst: str, sport: int, dport: int, seq: int, flags: int, ack: int = 0
) -> bytes:
    """A TCP header without options or data, its checksum over the IPv4 pseudo-header."""
    header = _TCP.pack(sport, dport, seq, ack, 5 << 4, flags, WINDOW, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(header))
    return header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]


def icmp_echo(ident: int, seq: int) -> bytes:
    """An ICMP echo request without payload."""
    header = _ICMP_ECHO.pack(ICMP_ECHO, 0, 0, ident, seq)
    return header[:2] + struct.pack("!H", checksum(header)) + header[4:]


@dataclass(frozen=True, slots=True)
class Datagram:
    """An IPv4 datagram as a raw socket delivers it: who sent it, protocol, what follows."""

    src: str
    proto: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class TcpAnswer:
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int


@dataclass(frozen=True, slots=True)
class IcmpAnswer:
    """An echo reply (``ident``) or an error quoting the datagram that caused it."""

    type: int
    code: int
    ident: int | None = None  # echo reply
    quoted_dst: str | None = None  # error: the original datagram's destination …
    quoted_proto: int | None = None
    quoted_sport: int | None = None  # … and its TCP/UDP ports
    quoted_dport: int | None = None


def ip_datagram(packet: bytes) -> Datagram | None:
    """The source, protocol and payload of an IPv4 datagram (first fragment only)."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack_from("!H", packet, 2)[0]
    fragment_offset = struct.unpack_from("!H", packet, 6)[0] & 0x1FFF
    if ihl < 20 or len(packet) < ihl or fragment_offset:
        return None
    end = min(len(packet), total) if total >= ihl else len(packet)
    return Datagram(socket.inet_ntoa(packet[12:16]), packet[9], packet[ihl:end])


def tcp_answer(payload: bytes) -> TcpAnswer | None:
    if len(payload) < _TCP.size:
        return None
    sport, dport, seq, ack, _offset, flags, _window, _sum, _urgent = _TCP.unpack_from(payload)
    return TcpAnswer(sport, dport, seq, ack, flags)


def icmp_answer(payload: bytes) -> IcmpAnswer | None:
    """An echo reply, or a destination-unreachable error with the ports it quotes."""
    if len(payload) < 8:
        return None
    kind, code = payload[0], payload[1]
    if kind == ICMP_ECHO_REPLY:
        return IcmpAnswer(kind, code, ident=struct.unpack_from("!H", payload, 4)[0])
    if kind != ICMP_UNREACHABLE:
        return None
    quoted = ip_datagram(payload[8:])
    if quoted is None or len(quoted.payload) < 4:
        return None
    ports = struct.unpack_from("!HH", quoted.payload)
    return IcmpAnswer(
        kind,
        code,
        quoted_dst=socket.inet_ntoa(payload[8 + 16 : 8 + 20]),
        quoted_proto=quoted.proto,
        quoted_sport=ports[0],
        quoted_dport=ports[1],
    )
