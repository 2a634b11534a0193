"""Request signing (DESIGN.md §3.1): Ed25519 over method, path, timestamp, sequence and body hash.

The agent signs; the collector verifies *before* it parses the body. Replay protection is the
collector's job (it remembers each agent's last sequence number); clock skew is bounded here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from typing import Protocol

HEADER_AGENT = "x-canh-agent"
HEADER_TIMESTAMP = "x-canh-timestamp"
HEADER_SEQ = "x-canh-seq"
HEADER_SIGNATURE = "x-canh-signature"
SIGNED_HEADERS = (HEADER_AGENT, HEADER_TIMESTAMP, HEADER_SEQ, HEADER_SIGNATURE)
DEFAULT_MAX_SKEW_SECONDS = 300


class SignatureRejected(Exception):
    """A request whose signature headers are missing, malformed, stale or wrong.

    ``reason`` is a short stable code used in HTTP answers and metrics labels.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The parsed signature headers of one request."""

    agent_id: str
    timestamp: int
    seq: int
    signature: bytes


def body_digest(body: bytes) -> str:
    """The body's SHA-256 as signed (hex); the collector also keys resends on it."""
    return hashlib.sha256(body).hexdigest()


def payload(method: str, path: str, timestamp: int, seq: int, digest: str) -> bytes:
    """The exact bytes that are signed; ``digest`` is :func:`body_digest` of the body."""
    return f"canh-v1\n{method.upper()}\n{path}\n{timestamp}\n{seq}\n{digest}".encode()


class Signer(Protocol):
    """An Ed25519 private key that returns the 64-byte signature of ``data``: the agent's key
    (libsodium), or cryptography's ``Ed25519PrivateKey`` in tests. No crypto library is
    imported here, so the running agent holds only the one it signs with."""

    def sign(self, data: bytes) -> bytes:
        """The signature of ``data``."""
        ...


def sign(
    key: Signer,
    agent_id: str,
    method: str,
    path: str,
    seq: int,
    body: bytes,
    now: float | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request."""
    timestamp = int(time.time() if now is None else now)
    signature = key.sign(payload(method, path, timestamp, seq, body_digest(body)))
    return {
        HEADER_AGENT: agent_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SEQ: str(seq),
        HEADER_SIGNATURE: base64.b64encode(signature).decode(),
    }


def parse_headers(get: dict[str, str]) -> SignedHeaders:
    """Read the signature headers (a mapping with lower-case names)."""
    try:
        agent_id = get[HEADER_AGENT]
        timestamp = int(get[HEADER_TIMESTAMP])
        seq = int(get[HEADER_SEQ])
        # strict: only the base64 alphabet and correct padding (b64decode's validate=True
        # checks the same with a regular expression, on every request).
        signature = binascii.a2b_base64(get[HEADER_SIGNATURE], strict_mode=True)
    except KeyError as err:
        raise SignatureRejected("unsigned", f"missing header {err.args[0]}") from err
    except ValueError as err:
        raise SignatureRejected("malformed", f"malformed signature header: {err}") from err
    if not (0 < len(agent_id) <= 64) or seq < 1 or len(signature) != 64:
        raise SignatureRejected("malformed", "malformed signature header")
    return SignedHeaders(agent_id, timestamp, seq, signature)


def verify(
    public_key: bytes,
    headers: SignedHeaders,
    method: str,
    path: str,
    digest: str,
    now: float | None = None,
    max_skew: int = DEFAULT_MAX_SKEW_SECONDS,
) -> None:
    """Check freshness and signature over the body's ``digest`` (:func:`body_digest`); raise
    :class:`SignatureRejected` otherwise.

    Only the collector verifies, with libsodium (PyNaCl): its Ed25519 check costs half of
    OpenSSL's on the ingest hot path and refuses small-order keys and non-canonical signatures.
    The agent signs with libsodium too (``agent.state.AgentKey``).
    """
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError
    from nacl.exceptions import ValueError as NaclValueError

    current = time.time() if now is None else now
    if abs(current - headers.timestamp) > max_skew:
        raise SignatureRejected(
            "clock_skew",
            f"request time is {int(headers.timestamp - current)} s from the collector's clock "
            f"(allowed ±{max_skew} s); fix the agent's time synchronisation",
        )
    try:
        crypto_sign_open(
            headers.signature + payload(method, path, headers.timestamp, headers.seq, digest),
            public_key,
        )
    except (BadSignatureError, NaclValueError) as err:
        raise SignatureRejected("bad_signature", "signature does not match") from err
