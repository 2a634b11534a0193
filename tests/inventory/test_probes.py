"""What probe answers mean: SNMP responses, banners, MAC vendors (no network needed)."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.probes import SYSDESCR_OID, clean_banner, parse_snmp_response, vendor_of


def snmp_response(oid: str = SYSDESCR_OID, value: Any = None, error: int = 0) -> bytes:
    """An SNMP GetResponse built with scapy, as an agent would send it."""
    from scapy.asn1.asn1 import ASN1_OID, ASN1_STRING
    from scapy.layers.snmp import SNMP, SNMPresponse, SNMPvarbind

    varbind = SNMPvarbind(
        oid=ASN1_OID(oid), value=value if value is not None else ASN1_STRING(b"HP LaserJet M404")
    )
    pdu = SNMPresponse(id=7, error=error, varbindlist=[varbind])
    return bytes(SNMP(version=1, community="public", PDU=pdu))


def test_snmp_sysdescr_answer() -> None:
    """A GetResponse with sysDescr proves the community answered."""
    assert parse_snmp_response(snmp_response()) == "HP LaserJet M404"


def test_snmp_control_characters_are_cleaned() -> None:
    """A sysDescr with newlines and control bytes becomes one printable line."""
    from scapy.asn1.asn1 import ASN1_STRING

    payload = snmp_response(value=ASN1_STRING(b"Cisco IOS\r\n\x00Version 15\x1b[31m"))
    assert parse_snmp_response(payload) == "Cisco IOS Version 15 [31m"


def test_snmp_error_status_is_no_answer() -> None:
    """An error status (e.g. authorizationError) does not count."""
    assert parse_snmp_response(snmp_response(error=16)) is None


def test_snmp_other_oid_is_no_answer() -> None:
    """An answer about another object is not the answer to our request."""
    assert parse_snmp_response(snmp_response(oid="1.3.6.1.2.1.1.5.0")) is None


def test_snmp_no_such_object_is_no_answer() -> None:
    """noSuchObject (no string value) does not count."""
    from scapy.asn1.asn1 import ASN1_NULL

    assert parse_snmp_response(snmp_response(value=ASN1_NULL(0))) is None


def test_snmp_request_is_not_a_response() -> None:
    """Our own GetRequest echoed back is not an answer."""
    from scapy.asn1.asn1 import ASN1_OID
    from scapy.layers.snmp import SNMP, SNMPget, SNMPvarbind

    request = SNMP(
        community="public", PDU=SNMPget(varbindlist=[SNMPvarbind(oid=ASN1_OID(SYSDESCR_OID))])
    )
    assert parse_snmp_response(bytes(request)) is None


@pytest.mark.parametrize(
    "payload", [b"", b"\x00\x01garbage", b"0\x82\xff\xff", snmp_response()[:20], b"0" * 70000]
)
def test_snmp_garbage(payload: bytes) -> None:
    """Truncated, hostile or oversized payloads are no answer, never an exception."""
    assert parse_snmp_response(payload) is None


@pytest.mark.parametrize(
    ("data", "port", "expected"),
    [
        (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 22, "SSH-2.0-OpenSSH_9.2p1 Debian-2"),
        (b"220 (vsFTPd 3.0.3)\r\n", 21, "220 (vsFTPd 3.0.3)"),
        (
            b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\nDate: x\r\n\r\n",
            80,
            "HTTP/1.0 200 OK; Server: SimpleHTTP/0.6",
        ),
        (b"HTTP/1.1 401 Unauthorized\r\n\r\n", 8080, "HTTP/1.1 401 Unauthorized"),
        (b"\xff\xfb\x01\xff\xfb\x03User Access Verification\r\n", 23, "User Access Verification"),
        (b"", 23, None),
        (b"\r\n\r\n", 23, None),
        (b"A" * 500, 25, "A" * 200),
    ],
)
def test_clean_banner(data: bytes, port: int, expected: str | None) -> None:
    """Banners become one short printable line; HTTP keeps status and Server."""
    assert clean_banner(data, port) == expected


def test_vendor_from_scapy_oui_table() -> None:
    """The OUI table shipped with scapy names registered vendors."""
    from scapy.config import conf

    assert vendor_of("00:00:0C:12:34:56", conf.manufdb) == "Cisco Systems, Inc"
    assert vendor_of("00-1b-78-00-00-10", conf.manufdb) == "Hewlett Packard"


def test_locally_administered_and_malformed_macs_have_no_vendor() -> None:
    """Random (locally administered) MACs and junk give None, as does a missing table."""
    from scapy.config import conf

    assert vendor_of("02:00:5e:10:00:01", conf.manufdb) is None
    assert vendor_of("da:a1:19:00:00:01", conf.manufdb) is None
    assert vendor_of("not-a-mac", conf.manufdb) is None
    assert vendor_of("00:00:0c:12:34:56", None) is None
