"""The credentials file is refused unless private, validated strictly, and never shows secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inventory.credentials import HostSpec, load_credentials, parse_host_spec
from inventory.errors import CredentialsError

PASSWORD = "Đ-very-secret-1"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write(tmp_path / "id_ed25519", "not parsed here\n")


def test_defaults_and_host_entries(tmp_path: Path, key_file: Path) -> None:
    """A host entry overrides the defaults field by field; the spec's user and port win."""
    path = write(
        tmp_path / "creds.toml",
        f'[defaults]\nusername = "audit"\nkey_file = "{key_file.name}"\n\n'
        f'[hosts."SRV-HIS"]\npassword = "{PASSWORD}"\nport = 2222\n',
    )
    creds = load_credentials(path)
    other = creds.for_host(HostSpec("srv2"))
    assert (other.username, other.port, other.key_file, other.password) == (
        "audit",
        22,
        key_file,
        None,
    )
    his = creds.for_host(HostSpec("srv-his"))
    assert (his.username, his.port, his.password) == ("audit", 2222, PASSWORD)
    spec = creds.for_host(HostSpec("srv-his", port=22, username="root"))
    assert (spec.username, spec.port) == ("root", 22)


def test_secrets_never_in_repr(tmp_path: Path) -> None:
    """Password and passphrase stay out of repr (and so out of logs and tracebacks)."""
    path = write(tmp_path / "c.toml", f'[defaults]\nusername = "a"\npassword = "{PASSWORD}"\n')
    creds = load_credentials(path)
    assert PASSWORD not in repr(creds) and PASSWORD not in repr(creds.for_host(HostSpec("x")))


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_open_file_is_refused(tmp_path: Path, mode: int) -> None:
    """A credentials file readable or writable by group or others is refused before reading."""
    path = write(
        tmp_path / "c.toml", f'[defaults]\nusername = "a"\npassword = "{PASSWORD}"\n', mode
    )
    with pytest.raises(CredentialsError, match="chmod 600"):
        load_credentials(path)


def test_open_key_file_is_refused(tmp_path: Path) -> None:
    """A private key readable by others is refused, like ssh(1) does."""
    key = write(tmp_path / "id", "x", 0o644)
    path = write(tmp_path / "c.toml", f'[defaults]\nusername = "a"\nkey_file = "{key}"\n')
    with pytest.raises(CredentialsError, match="key_file"):
        load_credentials(path)


def test_symlink_is_refused(tmp_path: Path) -> None:
    """The file must be a regular file, not a link to one."""
    target = write(tmp_path / "real.toml", '[defaults]\nusername = "a"\npassword = "x-y-z-1"\n')
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    with pytest.raises(CredentialsError, match="not a regular file"):
        load_credentials(link)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a clear error."""
    with pytest.raises(CredentialsError, match="cannot read"):
        load_credentials(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[defaults]\nusername = "a"\npasword = "x"\n', "pasword"),
        ('[defaults]\nusername = "a"\npassword = "changeme"\n', "placeholder"),
        ('[hosts.srv]\npassword = "x-y-z-1"\n', "username is missing"),
        ('[hosts.srv]\nusername = "a"\n', "give key_file or password"),
        ("[defaults\n", "not valid TOML"),
        ('[defaults]\nusername = "a"\nport = 70000\n', "port"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    """Unknown keys, placeholders, missing fields, bad TOML and bad ports are refused."""
    with pytest.raises(CredentialsError, match=message):
        load_credentials(write(tmp_path / "c.toml", text))


def test_error_messages_do_not_echo_secrets(tmp_path: Path) -> None:
    """A type error next to a password names the field, not the value."""
    text = f'[defaults]\nusername = "a"\npassword = "{PASSWORD}"\nport = "{PASSWORD}"\n'
    with pytest.raises(CredentialsError) as caught:
        load_credentials(write(tmp_path / "c.toml", text))
    assert PASSWORD not in str(caught.value)


def test_host_without_entry_or_defaults(tmp_path: Path) -> None:
    """A host with no entry and no usable defaults is a clear error."""
    creds = load_credentials(
        write(tmp_path / "c.toml", '[hosts.a]\nusername = "u"\npassword = "x-y-z-1"\n')
    )
    with pytest.raises(CredentialsError, match="no entry for b"):
        creds.for_host(HostSpec("b"))


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("srv1", HostSpec("srv1")),
        ("root@srv1:2222", HostSpec("srv1", 2222, "root")),
        ("198.18.0.20", HostSpec("198.18.0.20")),
        ("audit@[2001:db8::5]:22", HostSpec("2001:db8::5", 22, "audit")),
    ],
)
def test_host_specs(text: str, spec: HostSpec) -> None:
    """[user@]host[:port], with IPv6 in brackets."""
    assert parse_host_spec(text) == spec
    assert parse_host_spec(str(spec)) == spec


@pytest.mark.parametrize("text", ["", "a@", "srv:0", "srv:99999", "a b", "srv:ssh"])
def test_bad_host_specs(text: str) -> None:
    """Malformed targets are refused."""
    with pytest.raises(CredentialsError):
        parse_host_spec(text)


def test_not_owned_by_us_is_refused(tmp_path: Path) -> None:
    """A file owned by another account is refused (needs root to chown)."""
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    path = write(tmp_path / "c.toml", '[defaults]\nusername = "a"\npassword = "x-y-z-1"\n')
    os.chown(path, 65534, 65534)
    with pytest.raises(CredentialsError, match="owned by uid 65534"):
        load_credentials(path)
