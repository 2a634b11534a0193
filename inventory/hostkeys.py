"""SSH host keys: strict by default, pin-on-first-use only when asked, a changed key always refused.

The rules of OpenSSH's ``StrictHostKeyChecking=yes`` and ``=accept-new``: an unknown key is
refused (the error names its fingerprint so an administrator can check it out of band) unless
accept-new is set, in which case it is pinned into the known_hosts file; a key that differs from
the pinned one is refused in every mode. paramiko's AutoAddPolicy and WarningPolicy are never
used.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import paramiko

from inventory.errors import HostKeyChanged, HostKeyRejected


def host_key_name(host: str, port: int) -> str:
    """The name a host's keys are filed under in known_hosts (sshd(8) "SSH_KNOWN_HOSTS")."""
    return host if port == 22 else f"[{host}]:{port}"


def describe(key: paramiko.PKey) -> str:
    """``ssh-ed25519 SHA256:…`` — what ``ssh-keygen -lf`` prints for the key."""
    return f"{key.get_name()} {key.fingerprint}"


def check_host_key(
    known: paramiko.HostKeys, name: str, offered: paramiko.PKey, accept_new: bool, source: str
) -> bool:
    """Whether ``offered`` must be pinned now; raise when it must be refused.

    A host with any pinned key must offer exactly a pinned key, whatever the mode.
    """
    entries = known.lookup(name)
    if entries:
        pinned = entries.get(offered.get_name())
        if pinned is not None and pinned.asbytes() == offered.asbytes():
            return False
        expected = ", ".join(describe(key) for key in entries.values())
        raise HostKeyChanged(name, offered.get_name(), offered.fingerprint, expected)
    if accept_new:
        return True
    raise HostKeyRejected(
        name,
        offered.get_name(),
        offered.fingerprint,
        f"unknown host key {describe(offered)} (not in {source}); check this fingerprint with "
        "the host's administrator, then run again with --accept-new to pin it",
    )


class KnownHosts:
    """One known_hosts file shared by every connection of a run; pins are serialised."""

    def __init__(self, path: Path, accept_new: bool = False) -> None:
        self.path = path
        self.accept_new = accept_new
        self._lock = threading.Lock()

    def load(self) -> paramiko.HostKeys:
        """The pinned keys; none when the file does not exist yet."""
        keys = paramiko.HostKeys()
        if self.path.exists():
            try:
                keys.load(str(self.path))
            except (OSError, paramiko.SSHException) as err:
                raise HostKeyRejected(
                    str(self.path), "", "", f"cannot read known_hosts {self.path}: {err}"
                ) from err
        return keys

    def verify(self, name: str, key: paramiko.PKey) -> None:
        """Accept, pin, or raise; the file is re-read under the lock so parallel pins agree."""
        with self._lock:
            if check_host_key(self.load(), name, key, self.accept_new, str(self.path)):
                self._append(name, key)

    def _append(self, name: str, key: paramiko.PKey) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = f"{name} {key.get_name()} {key.get_base64()}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def policy(self) -> paramiko.MissingHostKeyPolicy:
        """The policy paramiko consults for a host it has no key for."""
        return PinOrRefuse(self)


class PinOrRefuse(paramiko.MissingHostKeyPolicy):
    """Refuse an unknown key, or pin it when the run was started with accept-new."""

    def __init__(self, known: KnownHosts) -> None:
        self.known = known

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        self.known.verify(hostname, key)
