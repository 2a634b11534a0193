"""Host-key policy: unknown keys rejected, accept-new pins, a changed key is always refused."""

from __future__ import annotations

import stat
from pathlib import Path

import paramiko
import pytest

from inventory.errors import HostKeyChanged, HostKeyRejected
from inventory.hostkeys import KnownHosts, PinOrRefuse, check_host_key, host_key_name


@pytest.fixture(scope="module")
def keys() -> tuple[paramiko.PKey, paramiko.PKey, paramiko.PKey]:
    """Two ECDSA keys and an RSA key (distinct types) standing in for host keys."""
    return (
        paramiko.ECDSAKey.generate(),
        paramiko.ECDSAKey.generate(),
        paramiko.RSAKey.generate(1024),
    )


def test_known_hosts_names() -> None:
    """Port 22 is filed under the bare name, other ports as [host]:port (sshd(8))."""
    assert host_key_name("srv1", 22) == "srv1"
    assert host_key_name("198.18.0.20", 2222) == "[198.18.0.20]:2222"


def test_unknown_key_is_rejected_naming_its_fingerprint(tmp_path: Path, keys: tuple) -> None:
    """Strict mode refuses an unknown key; the error names type and SHA256 fingerprint."""
    known = KnownHosts(tmp_path / "known_hosts")
    with pytest.raises(HostKeyRejected) as caught:
        known.verify("srv1", keys[0])
    assert not isinstance(caught.value, HostKeyChanged)
    assert caught.value.fingerprint == keys[0].fingerprint
    assert keys[0].fingerprint in str(caught.value) and "--accept-new" in str(caught.value)
    assert not (tmp_path / "known_hosts").exists()


def test_accept_new_pins_then_accepts(tmp_path: Path, keys: tuple) -> None:
    """accept-new writes one known_hosts line (mode 0600) and the same key passes again."""
    path = tmp_path / "state" / "known_hosts"
    known = KnownHosts(path, accept_new=True)
    known.verify("[198.18.0.20]:2222", keys[0])
    known.verify("[198.18.0.20]:2222", keys[0])
    lines = path.read_text().splitlines()
    assert lines == [f"[198.18.0.20]:2222 {keys[0].get_name()} {keys[0].get_base64()}"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    KnownHosts(path, accept_new=False).verify("[198.18.0.20]:2222", keys[0])


def test_changed_key_is_refused_even_in_accept_new(tmp_path: Path, keys: tuple) -> None:
    """A pinned host offering another key is refused; the file is not touched."""
    path = tmp_path / "known_hosts"
    KnownHosts(path, accept_new=True).verify("srv1", keys[0])
    before = path.read_bytes()
    for accept_new in (False, True):
        with pytest.raises(HostKeyChanged) as caught:
            KnownHosts(path, accept_new=accept_new).verify("srv1", keys[1])
        assert caught.value.fingerprint == keys[1].fingerprint
        assert keys[0].fingerprint in caught.value.expected
        assert "HOST KEY CHANGED" in str(caught.value)
    assert path.read_bytes() == before


def test_key_of_another_type_counts_as_changed(tmp_path: Path, keys: tuple) -> None:
    """A host pinned with one key type that now offers another type is refused, not re-pinned."""
    known = paramiko.HostKeys()
    known.add("srv1", keys[0].get_name(), keys[0])
    with pytest.raises(HostKeyChanged):
        check_host_key(known, "srv1", keys[2], accept_new=True, source="test")


def test_hashed_entries_are_honoured(tmp_path: Path, keys: tuple) -> None:
    """Hashed known_hosts lines (ssh-keygen -H) match like plain ones."""
    path = tmp_path / "known_hosts"
    hashed = paramiko.HostKeys.hash_host("srv1")
    path.write_text(f"{hashed} {keys[0].get_name()} {keys[0].get_base64()}\n")
    KnownHosts(path).verify("srv1", keys[0])
    with pytest.raises(HostKeyChanged):
        KnownHosts(path, accept_new=True).verify("srv1", keys[1])


def test_other_hosts_pins_do_not_leak(tmp_path: Path, keys: tuple) -> None:
    """A key pinned for one host does not vouch for another."""
    path = tmp_path / "known_hosts"
    KnownHosts(path, accept_new=True).verify("srv1", keys[0])
    with pytest.raises(HostKeyRejected):
        KnownHosts(path).verify("srv2", keys[0])


def test_policy_is_neither_autoadd_nor_warning(tmp_path: Path, keys: tuple) -> None:
    """The paramiko policy is ours and raises for an unknown key in strict mode."""
    policy = KnownHosts(tmp_path / "known_hosts").policy()
    assert isinstance(policy, PinOrRefuse)
    assert not isinstance(policy, (paramiko.AutoAddPolicy, paramiko.WarningPolicy))
    with pytest.raises(HostKeyRejected):
        policy.missing_host_key(paramiko.SSHClient(), "srv1", keys[0])
