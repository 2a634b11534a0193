"""What a probe's answer means: SNMP responses, service banners, names, MAC vendors.

The parsing here is pure (bytes in, value out) so it is tested without a network; the two
socket helpers are bounded in time and bytes.
"""

from __future__ import annotations

import re
import socket
import struct
from typing import Any

SNMP_COMMUNITY = "public"
SYSDESCR_OID = "1.3.6.1.2.1.1.1.0"  # SNMPv2-MIB::sysDescr.0 (RFC 3418)
TLS_PORTS = frozenset({443, 465, 636, 993, 995, 5986, 8443})
HTTP_PORTS = frozenset({80, 8080})
MAX_BANNER_CHARS = 200
_HEAD = b"HEAD / HTTP/1.0\r\n\r\n"
_UNPRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\ufffc]+")  # U+FFFD (undecodable) goes too
# Telnet option negotiation (RFC 854/855): IAC SB … IAC SE, IAC WILL/WONT/DO/DONT opt, IAC cmd.
_TELNET_IAC = re.compile(rb"\xff\xfa.*?\xff\xf0|\xff[\xfb-\xfe].|\xff[\xf0-\xfa]", re.DOTALL)


def parse_snmp_response(payload: bytes) -> str | None:
    """sysDescr from an SNMP GetResponse to our request, or None for anything else.

    None for garbage, an error status, another OID, or noSuchObject: only a real answer proves
    the community was accepted.
    """
    from scapy.asn1.asn1 import ASN1_OID, ASN1_STRING
    from scapy.error import Scapy_Exception
    from scapy.layers.snmp import SNMP, SNMPresponse

    if not payload or len(payload) > 65535:
        return None
    try:
        pdu: Any = SNMP(payload).PDU
        varbind: Any = pdu.varbindlist[0] if isinstance(pdu, SNMPresponse) else None
        answered = (
            varbind is not None
            and int(pdu.error.val) == 0
            and isinstance(varbind.oid, ASN1_OID)
            and varbind.oid.val.lstrip(".") == SYSDESCR_OID
            and isinstance(varbind.value, ASN1_STRING)
        )
        raw = varbind.value.val if answered else None
    except (Scapy_Exception, ValueError, IndexError, TypeError, AttributeError, struct.error):
        return None
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    return _printable(text)[:MAX_BANNER_CHARS]


def snmp_get_request(version: int, community: str, request_id: int) -> bytes:
    """An SNMP GetRequest for sysDescr.0, BER-encoded (RFC 1157 v1 = 0, RFC 3416 v2c = 1)."""
    varbind = _ber(0x30, _ber(0x06, _oid(SYSDESCR_OID)) + _ber(0x05, b""))
    pdu = _ber(
        0xA0,  # GetRequest-PDU
        _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _ber(0x30, varbind),
    )
    return _ber(0x30, _ber_int(version) + _ber(0x04, community.encode()) + pdu)


def _ber(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes((tag, size)) + value
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + value


def _ber_int(value: int) -> bytes:
    return _ber(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        rest, chunk = arc >> 7, [arc & 0x7F]  # base 128, high bit set on all but the last
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(" ", text).strip()


def clean_banner(data: bytes, port: int) -> str | None:
    """What a service said, as one short printable line; for HTTP its status and Server header."""
    if not data:
        return None
    text = _TELNET_IAC.sub(b"", data).decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        return None
    if port in HTTP_PORTS or lines[0].startswith("HTTP/"):
        server = next(
            (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("server:")),
            None,
        )
        summary = lines[0] + (f"; Server: {server}" if server else "")
    else:
        summary = lines[0]
    return _printable(summary)[:MAX_BANNER_CHARS] or None


def grab_banner(ip: str, port: int, timeout: float, max_bytes: int) -> str | None:
    """Connect, read at most ``max_bytes`` within ``timeout``; for HTTP ask ``HEAD /`` first."""
    data = b""
    try:
        with socket.create_connection((ip, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            if port in HTTP_PORTS:
                conn.sendall(_HEAD)
            while len(data) < max_bytes:
                chunk = conn.recv(max_bytes - len(data))
                if not chunk:
                    break
                data += chunk
                if port not in HTTP_PORTS and b"\n" in data:
                    break
    except TimeoutError:
        pass  # keep what arrived before the deadline
    except OSError:
        return None
    return clean_banner(data, port)


def reverse_name(ip: str) -> str | None:
    """The name the resolver gives an address (hosts file, then PTR), or None."""
    try:
        name = socket.gethostbyaddr(ip)[0]
    except (OSError, UnicodeError):
        return None
    return name[:253] if name and name != ip else None


class VendorTable:
    """MAC → vendor from scapy's bundled copy of the Wireshark OUI table (``scapy.data``)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    @classmethod
    def load(cls) -> VendorTable:
        """The table, or an empty one when scapy is missing (every vendor then unknown).

        Only ``scapy.data`` is imported: the table comes from its cache, no layer is loaded.
        """
        try:
            from scapy.data import MANUFDB
        except ImportError:
            return cls(None)
        return cls(MANUFDB)

    def lookup(self, mac: str) -> str | None:
        """The registered vendor, or None: unknown, or locally administered (random MACs)."""
        return vendor_of(mac, self.db)


def vendor_of(mac: str, db: Any) -> str | None:
    """The vendor for ``mac`` from a manuf database, None when unknown or locally administered."""
    parts = mac.lower().replace("-", ":").split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        return None
    try:
        first = int(parts[0], 16)
    except ValueError:
        return None
    if first & 0x02 or db is None:  # locally administered: no OUI behind it (IEEE 802 §8.2)
        return None
    _short, long_name = db.lookup(":".join(parts))
    if not long_name or long_name.lower() == ":".join(parts):
        return None
    return str(long_name)[:MAX_BANNER_CHARS]
