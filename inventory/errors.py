"""The few named exceptions of inventory; OSError, scapy and paramiko errors become these.

::

    InventoryError
    ├── TargetError          invalid, out-of-scope or too many targets (lists every problem)
    ├── ScanError            the scan could not run (no raw-socket privilege, no interface, …)
    ├── CredentialsError     the SSH credentials file is missing, too open or malformed
    └── SshError             one SSH host could not be collected
        ├── HostKeyRejected  unknown host key (strict mode), names the offered fingerprint
        │   └── HostKeyChanged   a pinned host's key changed: refused in every mode
        ├── AuthFailed       the host refused the credentials
        └── ConnectFailed    TCP connect, SSH handshake or transport failure, or a timeout
"""

from __future__ import annotations


class InventoryError(Exception):
    """Base of inventory's errors; the message is meant for the person running the command."""


class TargetError(InventoryError):
    """Targets that cannot be scanned; ``problems`` holds one ``(entry, reason)`` per entry."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"{entry!r}: {reason}" for entry, reason in problems)
        super().__init__(f"refusing to scan: {lines}")


class ScanError(InventoryError):
    """The scan could not run at all."""


class CredentialsError(InventoryError):
    """The credentials file cannot be used; the message names the file, never a secret."""


class SshError(InventoryError):
    """One host could not be reached, trusted, or logged into."""

    def __init__(self, host: str, message: str) -> None:
        self.host = host
        super().__init__(f"{host}: {message}")


class HostKeyRejected(SshError):
    """The host offered a key that is not pinned in known_hosts."""

    def __init__(self, host: str, key_type: str, fingerprint: str, message: str) -> None:
        self.key_type = key_type
        self.fingerprint = fingerprint
        super().__init__(host, message)


class HostKeyChanged(HostKeyRejected):
    """The host offered a different key from the one pinned: possible man in the middle."""

    def __init__(self, host: str, key_type: str, fingerprint: str, expected: str) -> None:
        self.expected = expected
        super().__init__(
            host,
            key_type,
            fingerprint,
            f"HOST KEY CHANGED: known_hosts pins {expected}, the host offered {key_type} "
            f"{fingerprint}; refusing (if the host was reinstalled, remove its old line from "
            "known_hosts after checking the new fingerprint out of band)",
        )


class AuthFailed(SshError):
    """The host refused every credential offered."""


class ConnectFailed(SshError):
    """The connection could not be made or was lost."""
