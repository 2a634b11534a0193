"""SSH credentials from a protected TOML file, and the ``[user@]host[:port]`` target syntax.

The file must be a regular file owned by the user running canh and readable by nobody else
(mode 0600 or stricter), like ssh(1) demands of a private key; otherwise it is refused before
it is read. Secrets are kept out of ``repr`` so they never reach a log line or traceback::

    [defaults]
    username = "canh-audit"
    key_file = "/etc/canh/inventory/id_ed25519"

    [hosts."srv-his.bvt.example"]
    username = "audit"
    password = "…"
    port = 2222
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated

import msgspec

from inventory.errors import CredentialsError

MAX_CREDENTIALS_BYTES = 1024 * 1024
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "password", "secret", "xxx", "…", "..."})
_SPEC = re.compile(
    r"^(?:(?P<user>[^@\s]+)@)?(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:@\s\[\]]+))"
    r"(?::(?P<port>\d{1,5}))?$"
)


@dataclass(frozen=True, slots=True)
class HostSpec:
    """One SSH target as given on the command line."""

    host: str
    port: int | None = None
    username: str | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.username}@" if self.username else ""
        return f"{user}{host}" + (f":{self.port}" if self.port else "")


def parse_host_spec(text: str) -> HostSpec:
    """``[user@]host[:port]`` (``[v6addr]:port`` for IPv6); raises CredentialsError."""
    match = _SPEC.match(text.strip())
    if not match:
        raise CredentialsError(f"{text!r} is not [user@]host[:port]")
    port = int(match.group("port")) if match.group("port") else None
    if port is not None and not 1 <= port <= 65535:
        raise CredentialsError(f"{text!r}: port must be 1…65535")
    return HostSpec(
        host=match.group("v6") or match.group("host"), port=port, username=match.group("user")
    )


@dataclass(frozen=True, slots=True)
class HostCredentials:
    """How to log in to one host. ``password`` and ``key_passphrase`` never appear in repr."""

    username: str
    port: int = 22
    key_file: Path | None = None
    key_passphrase: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


class _Entry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] | None = None
    key_file: Annotated[str, msgspec.Meta(max_length=4096)] | None = None
    key_passphrase: Annotated[str, msgspec.Meta(max_length=1024)] | None = None
    password: Annotated[str, msgspec.Meta(max_length=1024)] | None = None


class _File(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    defaults: _Entry = msgspec.field(default_factory=_Entry)
    hosts: dict[str, _Entry] = {}


@dataclass(frozen=True, slots=True)
class Credentials:
    """Defaults plus per-host entries; a host entry overrides the defaults field by field."""

    path: Path | None
    defaults: HostCredentials | None
    hosts: dict[str, HostCredentials]

    def for_host(self, spec: HostSpec) -> HostCredentials:
        """The credentials for ``spec``; the user and port written in the spec win."""
        found = self.hosts.get(spec.host.casefold(), self.defaults)
        if found is None:
            where = self.path or "the credentials file"
            raise CredentialsError(
                f"{where} has no entry for {spec.host} and no complete [defaults] "
                "(username plus key_file or password)"
            )
        if spec.username:
            found = replace(found, username=spec.username)
        if spec.port:
            found = replace(found, port=spec.port)
        return found


def check_private_file(path: Path, what: str) -> None:
    """Refuse a secret file that others could read or write, or that someone else owns."""
    try:
        info = path.lstat()
    except OSError as err:
        raise CredentialsError(f"{what} {path}: cannot read ({err.strerror})") from err
    if not stat.S_ISREG(info.st_mode):
        raise CredentialsError(f"{what} {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise CredentialsError(
            f"{what} {path} is accessible by others (mode {mode:04o}); run: chmod 600 {path}"
        )
    if info.st_uid != os.geteuid():
        raise CredentialsError(f"{what} {path} is owned by uid {info.st_uid}, not by this user")


def _merge(base: _Entry, over: _Entry) -> _Entry:
    return _Entry(
        **{
            name: getattr(over, name) if getattr(over, name) is not None else getattr(base, name)
            for name in _Entry.__struct_fields__
        }
    )


def _complete(entry: _Entry, where: str, base_dir: Path) -> HostCredentials:
    if not entry.username:
        raise CredentialsError(f"{where}: username is missing")
    if entry.password is None and entry.key_file is None:
        raise CredentialsError(f"{where}: give key_file or password")
    for name in ("password", "key_passphrase"):
        value = getattr(entry, name)
        if value is not None and value.strip().casefold() in PLACEHOLDERS:
            raise CredentialsError(f"{where}: {name} is a placeholder; set the real one")
    key_file = None
    if entry.key_file is not None:
        key_file = Path(entry.key_file)
        if not key_file.is_absolute():
            key_file = base_dir / key_file
        check_private_file(key_file, f"{where}: key_file")
    return HostCredentials(
        username=entry.username,
        port=entry.port or 22,
        key_file=key_file,
        key_passphrase=entry.key_passphrase,
        password=entry.password,
    )


def load_credentials(path: Path) -> Credentials:
    """Read and validate the credentials file; CredentialsError names the file and the fault."""
    check_private_file(path, "credentials file")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CREDENTIALS_BYTES + 1)
    except OSError as err:
        raise CredentialsError(f"credentials file {path}: {err.strerror}") from err
    if len(data) > MAX_CREDENTIALS_BYTES:
        raise CredentialsError(f"credentials file {path} is larger than 1 MiB")
    try:
        raw = msgspec.convert(tomllib.loads(data.decode("utf-8")), _File)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        # The decoder's message quotes no value, but keep it short in case a line is echoed.
        raise CredentialsError(f"credentials file {path} is not valid TOML: {err}"[:300]) from None
    except msgspec.ValidationError as err:
        raise CredentialsError(f"credentials file {path}: {err}") from None
    # Defaults that name a user and a way to log in serve hosts without an entry of their own;
    # partial defaults only fill in the host entries.
    usable = raw.defaults.username and (raw.defaults.key_file or raw.defaults.password)
    defaults = _complete(raw.defaults, f"{path} [defaults]", path.parent) if usable else None
    hosts = {
        name.casefold(): _complete(
            _merge(raw.defaults, entry), f'{path} [hosts."{name}"]', path.parent
        )
        for name, entry in raw.hosts.items()
    }
    return Credentials(path=path, defaults=defaults, hosts=hosts)
