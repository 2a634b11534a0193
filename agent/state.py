"""The agent's durable identity and progress: key pair, agent id, sequence counter, hashes.

Writes are atomic (temporary file, fsync, rename), so a crash or ``kill -9`` leaves either the old
state or the new, never a torn file. The private key file is readable by its owner only.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path
from typing import Annotated

import msgspec

from canh.atomicfile import write_atomic

# RFC 8410 section 7: an Ed25519 private key in PKCS #8 is this DER prefix and the 32-byte seed.
# The agent writes only this form and reads it back itself; any other PEM goes to cryptography.
_PKCS8_ED25519 = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BEGIN, _PEM_END = b"-----BEGIN PRIVATE KEY-----", b"-----END PRIVATE KEY-----"


def key_pem(seed: bytes) -> bytes:
    """An Ed25519 seed as an unencrypted PKCS #8 PEM, byte for byte what cryptography writes."""
    body = base64.b64encode(_PKCS8_ED25519 + seed)
    return _PEM_BEGIN + b"\n" + body + b"\n" + _PEM_END + b"\n"


def key_seed(pem: bytes) -> bytes | None:
    """The seed of a PEM written by :func:`key_pem`; None for any other content."""
    lines = pem.strip().splitlines()
    if len(lines) != 3 or lines[0] != _PEM_BEGIN or lines[2] != _PEM_END:
        return None
    try:
        der = base64.b64decode(lines[1], validate=True)
    except binascii.Error:
        return None
    if len(der) != len(_PKCS8_ED25519) + 32 or not der.startswith(_PKCS8_ED25519):
        return None
    return der[len(_PKCS8_ED25519) :]


class NotEnrolled(Exception):
    """The agent has no identity yet: run ``canh agent enroll`` first."""


class AgentKey:
    """The agent's Ed25519 key pair, signing with libsodium (PyNaCl's bindings).

    Not cryptography: its Rust extension keeps ~6 MiB resident for the agent's whole life, where
    libsodium costs ~1 MiB. Ed25519 signatures are deterministic (RFC 8032), so both give the
    same bytes for the same key and message."""

    def __init__(self, seed: bytes) -> None:
        from nacl.bindings import crypto_sign_seed_keypair

        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self.seed = seed
        self._public, self._secret = crypto_sign_seed_keypair(seed)

    @classmethod
    def generate(cls) -> AgentKey:
        """A new random key pair."""
        return cls(secrets.token_bytes(32))

    def public_bytes(self) -> bytes:
        """The 32-byte public key, as enrollment sends it."""
        return bytes(self._public)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte signature of ``data`` (crypto_sign returns it followed by ``data``)."""
        from nacl.bindings import crypto_sign

        return bytes(crypto_sign(data, self._secret)[:64])


class AgentState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the agent remembers between runs."""

    agent_id: str
    unit_id: str
    collector_url: str
    ca_pem: str
    next_seq: Annotated[int, msgspec.Meta(ge=1)] = 1
    acked_hashes: dict[str, str] = {}
    last_full_at: float = 0.0
    last_send_at: float = 0.0
    last_error: str | None = None
    dropped_reports: int = 0
    full_requested: bool = False
    # Why the last round could not keep every report on disk (a full disk), if it could not.
    storage_error: str | None = None
    # The collector asked for no retry before this time (Retry-After on 429/503).
    retry_not_before: float = 0.0


class StateStore:
    """The files under the agent's data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.key_path = data_dir / "agent.key"
        self.state_path = data_dir / "state.json"
        self.spool_dir = data_dir / "spool"

    def ensure_dirs(self) -> None:
        """Create the data directory, private to the agent's account."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.spool_dir.mkdir(mode=0o700, exist_ok=True)

    def key(self) -> AgentKey:
        """The agent's private key, created on first use."""
        self.ensure_dirs()
        if self.key_path.exists():
            pem = self.key_path.read_bytes()
            seed = key_seed(pem)
            return AgentKey(seed if seed is not None else self._foreign_seed(pem))
        key = AgentKey.generate()
        write_atomic(self.key_path, key_pem(key.seed), 0o600)
        return key

    def _foreign_seed(self, pem: bytes) -> bytes:
        """The seed of a PEM in another layout (written by hand or another tool)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            loaded = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as err:
            raise NotEnrolled(f"{self.key_path} is not a readable private key: {err}") from err
        if not isinstance(loaded, Ed25519PrivateKey):
            raise NotEnrolled(f"{self.key_path} is not an Ed25519 key")
        return loaded.private_bytes_raw()

    def load(self) -> AgentState:
        """The saved state; :class:`NotEnrolled` when there is none."""
        try:
            return msgspec.json.decode(self.state_path.read_bytes(), type=AgentState)
        except FileNotFoundError as err:
            raise NotEnrolled(
                f"no agent identity in {self.dir}: run 'canh agent enroll BUNDLE' first"
            ) from err
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise NotEnrolled(f"{self.state_path} is damaged ({err}); enroll again") from err

    def save(self, state: AgentState) -> None:
        """Persist the state atomically."""
        self.ensure_dirs()
        write_atomic(self.state_path, msgspec.json.encode(state))
