"""Request signatures: what is covered, skew bound, malformed headers."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canh.contract import signing
from canh.contract.signing import SignatureRejected

KEY = Ed25519PrivateKey.generate()
PUB = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _verify(
    headers: dict[str, str],
    method: str = "POST",
    path: str = "/api/v1/reports",
    body: bytes = b"{}",
    now: float = 1_800_000_000.0,
) -> None:
    signing.verify(
        PUB, signing.parse_headers(headers), method, path, signing.body_digest(body), now=now
    )


def test_valid_signature() -> None:
    """A request signed now verifies."""
    _verify(signing.sign(KEY, "h_1", "POST", "/api/v1/reports", 7, b"{}", now=1_800_000_000))


@pytest.mark.parametrize(
    ("method", "path", "body", "seq"),
    [
        ("PUT", "/api/v1/reports", b"{}", 7),
        ("POST", "/api/v1/enroll", b"{}", 7),
        ("POST", "/api/v1/reports", b"{ }", 7),
        ("POST", "/api/v1/reports", b"{}", 8),
    ],
)
def test_every_covered_part_matters(method: str, path: str, body: bytes, seq: int) -> None:
    """Changing method, path, body or sequence breaks the signature."""
    headers = signing.sign(KEY, "h_1", "POST", "/api/v1/reports", 7, b"{}", now=1_800_000_000)
    headers[signing.HEADER_SEQ] = str(seq)
    with pytest.raises(SignatureRejected) as err:
        _verify(headers, method, path, body)
    assert err.value.reason == "bad_signature"


def test_clock_skew() -> None:
    """Outside ±5 minutes the request is refused as skewed, with advice."""
    headers = signing.sign(KEY, "h_1", "POST", "/api/v1/reports", 1, b"{}", now=1_800_000_000)
    with pytest.raises(SignatureRejected, match="time synchronisation") as err:
        _verify(headers, now=1_800_000_000 + 301)
    assert err.value.reason == "clock_skew"


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {
            signing.HEADER_AGENT: "h",
            signing.HEADER_TIMESTAMP: "x",
            signing.HEADER_SEQ: "1",
            signing.HEADER_SIGNATURE: "AA==",
        },
        {
            signing.HEADER_AGENT: "h",
            signing.HEADER_TIMESTAMP: "1",
            signing.HEADER_SEQ: "0",
            signing.HEADER_SIGNATURE: "A" * 88,
        },
        {
            signing.HEADER_AGENT: "h",
            signing.HEADER_TIMESTAMP: "1",
            signing.HEADER_SEQ: "1",
            signing.HEADER_SIGNATURE: "not base64!",
        },
    ],
)
def test_malformed_headers(broken: dict[str, str]) -> None:
    """Missing or malformed headers are refused before any crypto."""
    with pytest.raises(SignatureRejected):
        signing.parse_headers(broken)
