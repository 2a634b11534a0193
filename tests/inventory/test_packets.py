"""Probe packets built with struct match scapy's byte for byte; answers parse, junk does not."""

from __future__ import annotations

import socket
import struct

import pytest

from inventory import packets, routes
from inventory.probes import SYSDESCR_OID, snmp_get_request

SRC, DST = "198.18.0.1", "198.18.0.20"
MAC = bytes.fromhex("02005e100001")


def test_checksum_rfc1071_example() -> None:
    """The worked example of RFC 1071 §3: sum 0xddf2, checksum its complement."""
    assert packets.checksum(bytes.fromhex("0001f203f4f5f6f7")) == ~0xDDF2 & 0xFFFF
    assert packets.checksum(b"\x01") == ~0x0100 & 0xFFFF  # odd length: padded with a zero


def test_arp_request_is_scapys() -> None:
    """The who-has frame equals scapy's Ether()/ARP() with the same fields."""
    from scapy.layers.l2 import ARP, Ether

    mac = packets.mac_text(MAC)
    expected = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=SRC, pdst=DST)
    assert packets.arp_request(MAC, SRC, DST) == bytes(expected)


def test_arp_reply_parsed() -> None:
    """An is-at frame gives the sender's address and MAC; a who-has or junk gives None."""
    from scapy.layers.l2 import ARP, Ether

    reply = Ether(dst="02:00:5e:10:00:01", src="00:1b:21:00:00:20") / ARP(
        op=2, hwsrc="00:1b:21:00:00:20", psrc=DST, hwdst="02:00:5e:10:00:01", pdst=SRC
    )
    assert packets.arp_reply(bytes(reply)) == (DST, "00:1b:21:00:00:20")
    assert packets.arp_reply(packets.arp_request(MAC, SRC, DST)) is None
    assert packets.arp_reply(bytes(reply)[:30]) is None
    assert packets.arp_reply(b"") is None


@pytest.mark.parametrize("flags", [packets.SYN, packets.RST])
def test_tcp_segment_is_scapys(flags: int) -> None:
    """SYN and RST headers, checksum over the pseudo-header included, equal scapy's."""
    from scapy.layers.inet import IP, TCP

    ours = packets.tcp_segment(SRC, DST, 40000, 22, 0x12345678, flags)
    theirs = IP(src=SRC, dst=DST) / TCP(
        sport=40000, dport=22, seq=0x12345678, flags=flags, window=packets.WINDOW
    )
    assert ours == bytes(theirs[TCP])


def test_icmp_echo_is_scapys() -> None:
    from scapy.layers.inet import ICMP

    assert packets.icmp_echo(4242, 1) == bytes(ICMP(id=4242, seq=1))


def test_tcp_answer_from_a_datagram() -> None:
    """A SYN-ACK as a raw socket delivers it: source, ports, acknowledgement, flags."""
    from scapy.layers.inet import IP, TCP

    answer = IP(src=DST, dst=SRC) / TCP(sport=22, dport=40000, seq=7, ack=0x12345679, flags="SA")
    datagram = packets.ip_datagram(bytes(answer))
    assert datagram is not None and datagram.src == DST and datagram.proto == socket.IPPROTO_TCP
    assert packets.tcp_answer(datagram.payload) == packets.TcpAnswer(22, 40000, 7, 0x12345679, 0x12)


def test_icmp_unreachable_quotes_the_probe() -> None:
    """Port unreachable names the destination and ports of the datagram it answers."""
    from scapy.layers.inet import ICMP, IP, UDP

    probe = IP(src=SRC, dst=DST) / UDP(sport=50000, dport=161) / (b"x" * 20)
    error = IP(src=DST, dst=SRC) / ICMP(type=3, code=3) / bytes(probe)[:28]
    datagram = packets.ip_datagram(bytes(error))
    assert datagram is not None
    answer = packets.icmp_answer(datagram.payload)
    assert answer == packets.IcmpAnswer(
        3, 3, quoted_dst=DST, quoted_proto=17, quoted_sport=50000, quoted_dport=161
    )


def test_icmp_echo_reply() -> None:
    from scapy.layers.inet import ICMP, IP

    datagram = packets.ip_datagram(bytes(IP(src=DST, dst=SRC) / ICMP(type=0, id=4242, seq=1)))
    assert datagram is not None
    assert packets.icmp_answer(datagram.payload) == packets.IcmpAnswer(0, 0, ident=4242)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x45" + b"\0" * 10,  # short
        b"\x65" + b"\0" * 30,  # IPv6 version nibble
        b"\x41" + b"\0" * 30,  # header length below 20
        bytes.fromhex("45000028000100050640") + b"\0" * 30,  # a later fragment
    ],
)
def test_junk_datagrams_are_ignored(data: bytes) -> None:
    assert packets.ip_datagram(data) is None


def test_short_answers_are_ignored() -> None:
    """Truncated TCP or ICMP payloads and ICMP types other than echo reply and unreachable."""
    assert packets.tcp_answer(b"\0" * 19) is None
    assert packets.icmp_answer(b"\0" * 7) is None
    assert packets.icmp_answer(bytes([11, 0]) + b"\0" * 40) is None  # time exceeded
    assert packets.icmp_answer(bytes([3, 1]) + b"\0" * 6 + b"\x45" + b"\0" * 5) is None


@pytest.mark.parametrize(("version", "request_id"), [(0, 1), (1, 127), (1, 128), (0, 2**31 - 1)])
def test_snmp_request_is_scapys(version: int, request_id: int) -> None:
    """The hand-encoded GetRequest equals scapy's SNMP layer for the same fields."""
    from scapy.asn1.asn1 import ASN1_OID
    from scapy.layers.snmp import SNMP, SNMPget, SNMPvarbind

    expected = SNMP(
        version=version,
        community="public",
        PDU=SNMPget(id=request_id, varbindlist=[SNMPvarbind(oid=ASN1_OID(SYSDESCR_OID))]),
    )
    assert snmp_get_request(version, "public", request_id) == bytes(expected)


def _route_answer(seq: int, route_type: int, attrs: list[tuple[int, bytes]]) -> bytes:
    body = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, 254, 0, 0, route_type, 0)
    for kind, value in attrs:
        attr = struct.pack("=HH", 4 + len(value), kind) + value
        body += attr + b"\0" * (-len(attr) % 4)
    return struct.pack("=IHHII", 16 + len(body), routes.RTM_NEWROUTE, 0, seq, 0) + body


def test_route_answers_parsed() -> None:
    """On-link, via a gateway, local, unreachable (error), and a truncated tail."""
    oif = struct.pack("=I", 7)
    error = struct.pack("=IHHII", 36, routes.NLMSG_ERROR, 0, 3, 0) + struct.pack("=i", -101)
    data = (
        _route_answer(0, 1, [(routes.RTA_OIF, oif), (routes.RTA_PREFSRC, socket.inet_aton(SRC))])
        + _route_answer(
            1,
            1,
            [
                (routes.RTA_OIF, oif),
                (routes.RTA_PREFSRC, socket.inet_aton(SRC)),
                (routes.RTA_GATEWAY, socket.inet_aton("198.18.0.254")),
            ],
        )
        + _route_answer(2, routes.RTN_LOCAL, [(routes.RTA_OIF, struct.pack("=I", 1))])
        + error
        + b"\0" * 16
        + _route_answer(4, 1, [])[:20]
    )
    assert routes.parse(data, {7: "eth0"}) == {
        0: routes.Route("link", "eth0", SRC),
        1: routes.Route("routed", "eth0", SRC, "198.18.0.254"),
        2: routes.Route("self"),
        3: routes.NO_ROUTE,
    }


def test_route_request_layout() -> None:
    """An RTM_GETROUTE request: header, rtmsg for a /32, one RTA_DST attribute."""
    data = routes.request(5, DST)
    length, kind, flags, seq, _port = struct.unpack_from("=IHHII", data)
    assert (length, kind, flags, seq) == (len(data), routes.RTM_GETROUTE, 1, 5)
    assert data[16] == socket.AF_INET and data[17] == 32
    assert data[-4:] == socket.inet_aton(DST)
