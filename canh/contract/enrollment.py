"""Enrollment: the token bundle an administrator hands out and the request an agent makes.

The bundle carries the collector URL, the one-time token, and the collector's CA certificate with
its SHA-256 fingerprint, so the agent pins the collector from its very first connection (the idea of
``kubeadm join --discovery-token-ca-cert-hash``, without the insecure first fetch).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Literal

import msgspec

from canh.contract._types import Name

BUNDLE_PREFIX = "canh1."
MAX_BUNDLE_BYTES = 16 * 1024

Token = Annotated[str, msgspec.Meta(min_length=20, max_length=128, pattern="^[A-Za-z0-9_-]+$")]


class BundleInvalid(ValueError):
    """An enrollment bundle that cannot be used; the message says why."""


class Bundle(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What ``canh collector token create`` prints and ``canh agent enroll`` reads."""

    v: Literal[1] = 1
    url: Annotated[str, msgspec.Meta(max_length=512, pattern="^https://")]
    token: Token
    ca_sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
    ca_pem: Annotated[str, msgspec.Meta(max_length=8192)]


def ca_fingerprint(ca_pem: str) -> str:
    """SHA-256 over the DER encoding of the CA certificate, hex."""
    # Imported here: x509 costs ~5 MiB of resident memory, and a running agent that only sends
    # reports (IngestResponse is defined here) never needs it.
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_pem_x509_certificate(ca_pem.encode())
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def dump_bundle(bundle: Bundle) -> str:
    """The bundle as one copy-pasteable line."""
    return BUNDLE_PREFIX + base64.urlsafe_b64encode(msgspec.json.encode(bundle)).decode()


def load_bundle(text: str) -> Bundle:
    """Parse and check a bundle: format, and that the CA matches its pinned fingerprint."""
    text = text.strip()
    if len(text) > MAX_BUNDLE_BYTES or not text.startswith(BUNDLE_PREFIX):
        raise BundleInvalid("not a canh enrollment bundle (it starts with 'canh1.')")
    try:
        raw = base64.urlsafe_b64decode(text[len(BUNDLE_PREFIX) :].encode())
        bundle = msgspec.json.decode(raw, type=Bundle)
    except (ValueError, msgspec.DecodeError) as err:
        raise BundleInvalid(f"enrollment bundle is damaged: {err}") from err
    try:
        actual = ca_fingerprint(bundle.ca_pem)
    except ValueError as err:
        raise BundleInvalid("the bundle's CA certificate is not valid PEM") from err
    if actual != bundle.ca_sha256:
        raise BundleInvalid("the bundle's CA certificate does not match its fingerprint")
    return bundle


class EnrollRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """POST /api/v1/enroll: an agent presents its token and public key."""

    token: Token
    public_key: Annotated[str, msgspec.Meta(min_length=44, max_length=44)]  # base64 of 32 bytes
    hostname: Name
    hardware_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    os_family: Literal["windows", "linux", "macos"]
    source: Literal["agent", "ssh"] = "agent"


class EnrollResponse(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The identity the collector gives the agent."""

    agent_id: Name
    unit_id: Name
    unit_name: Name


class IngestResponse(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The collector's acknowledgement: the report with this sequence number is committed."""

    seq: int
    duplicate: bool = False
    # Set when an ``unchanged`` section's hash was not the one the collector holds: the agent's
    # next report must carry every section in full.
    full_requested: bool = False
