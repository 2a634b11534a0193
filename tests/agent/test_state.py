"""The agent's key: PKCS #8 PEM file, libsodium signatures that cryptography verifies."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.state import AgentKey, NotEnrolled, StateStore, key_pem, key_seed


def pkcs8(key: Ed25519PrivateKey | object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_key_pem_is_what_cryptography_writes() -> None:
    """Byte for byte, so keys written before and after this change read the same way."""
    for _ in range(20):
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes_raw()
        assert key_pem(seed) == pkcs8(key)
        assert key_seed(pkcs8(key)) == seed


def test_new_key_round_trips_and_is_private(tmp_path: Path) -> None:
    """First use creates a 0600 key; later uses load the same key; cryptography reads the file
    as the same key (same signatures)."""
    store = StateStore(tmp_path / "agent")
    first = store.key()
    assert stat.S_IMODE(store.key_path.stat().st_mode) == 0o600
    second = store.key()
    assert first.sign(b"canh") == second.sign(b"canh")
    loaded = serialization.load_pem_private_key(store.key_path.read_bytes(), password=None)
    assert isinstance(loaded, Ed25519PrivateKey)
    assert loaded.sign(b"canh") == first.sign(b"canh")
    assert loaded.public_key().public_bytes_raw() == first.public_bytes()


@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300))
@settings(max_examples=50)
def test_libsodium_signs_as_cryptography_does(seed: bytes, message: bytes) -> None:
    """RFC 8032 signatures are deterministic: the same 64 bytes, which verify."""
    agent_key, reference = AgentKey(seed), Ed25519PrivateKey.from_private_bytes(seed)
    signature = agent_key.sign(message)
    assert signature == reference.sign(message) and len(signature) == 64
    Ed25519PublicKey.from_public_bytes(agent_key.public_bytes()).verify(signature, message)
    assert AgentKey.generate().seed != AgentKey.generate().seed


def test_other_pem_goes_to_cryptography(tmp_path: Path) -> None:
    """A key file in another layout still loads; a non-Ed25519 key is refused."""
    key = Ed25519PrivateKey.generate()
    store = StateStore(tmp_path / "agent")
    store.ensure_dirs()
    store.key_path.write_bytes(b"# written by hand\n" + pkcs8(key))
    assert key_seed(store.key_path.read_bytes()) is None
    assert store.key().sign(b"x") == key.sign(b"x")
    store.key_path.write_bytes(pkcs8(generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(NotEnrolled, match="not an Ed25519 key"):
        store.key()
    store.key_path.write_bytes(b"garbage")
    with pytest.raises(NotEnrolled, match="not a readable private key"):
        store.key()


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    ],
)
def test_key_seed_rejects_anything_else(text: bytes) -> None:
    """Empty, not base64, or too short: not read as a seed."""
    assert key_seed(text) is None
