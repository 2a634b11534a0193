"""A real OpenSSH server for tests: generated host and client keys, a generated config, ``-D``.

It listens only where the test says: a loopback port, or an address inside a lab namespace.
Root logs in with the test's client key (and, when a password is given, with that password).
sshd runs in a private mount namespace where copies of /etc/passwd (root's home is a fresh test
directory) and /etc/shadow (the test's password) are bind-mounted, so the machine's own
accounts and files are never touched.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.inventory.lab import Process, start_process

SSHD = "/usr/sbin/sshd"


def keygen(path: Path, kind: str = "ed25519") -> Path:
    """A new key pair without passphrase at ``path`` (and ``path.pub``)."""
    for old in (path, path.with_name(path.name + ".pub")):
        old.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "canh-test", "-f", str(path)],
        check=True,
        timeout=30,
    )
    return path


def fingerprint(public_key: Path) -> str:
    """``SHA256:…`` as ``ssh-keygen -lf`` prints it."""
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(public_key)], capture_output=True, text=True, check=True
    ).stdout
    return out.split()[1]


def passwd_with_root_home(path: Path, home: Path) -> Path:
    """A copy of /etc/passwd in which root's home is ``home``: no rc files of this machine.

    sshd runs every command through the login shell, and Debian's bash sources ~/.bashrc for
    commands run by sshd; a developer's .bashrc would otherwise be timed as part of the test.
    """
    home.mkdir(mode=0o700, exist_ok=True)
    lines = []
    for line in Path("/etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == "root":
            fields[5] = str(home)
        lines.append(":".join(fields))
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o644)
    return path


def shadow_with_root_password(path: Path, password: str) -> Path:
    """A copy of /etc/shadow in which root's password is ``password`` (SHA-512 crypt)."""
    hashed = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", "canhtestsalt", password],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lines = []
    for line in Path("/etc/shadow").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == "root":
            fields[1] = hashed
            fields[2] = "19000"
        lines.append(":".join(fields))
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


@dataclass
class Sshd:
    """One sshd: its files, where it listens, and how to (re)start it."""

    workdir: Path
    address: str
    port: int
    hostname: str | None = None
    password: str | None = None
    wrap: list[str] = field(default_factory=list)  # e.g. ["ip", "netns", "exec", NS]
    process: Process | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host_key = keygen(self.workdir / "ssh_host_ed25519_key")
        self.client_key = keygen(self.workdir / "client_ed25519")
        (self.workdir / "authorized_keys").write_text(
            (self.workdir / "client_ed25519.pub").read_text()
        )
        self.config = self.workdir / "sshd_config"
        self.config.write_text(
            f"ListenAddress {self.address}:{self.port}\n"
            f"HostKey {self.host_key}\n"
            f"AuthorizedKeysFile {self.workdir / 'authorized_keys'}\n"
            "PidFile none\n"
            # The test's files live under /tmp, which sshd's StrictModes would reject.
            "StrictModes no\n"
            "UsePAM no\n"
            f"PasswordAuthentication {'yes' if self.password else 'no'}\n"
            "KbdInteractiveAuthentication no\n"
            f"PermitRootLogin {'yes' if self.password else 'prohibit-password'}\n"
            "Subsystem sftp internal-sftp\n"
            "LogLevel VERBOSE\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir

    @property
    def host_fingerprint(self) -> str:
        return fingerprint(self.host_key.with_name(self.host_key.name + ".pub"))

    def start(self) -> None:
        """Start sshd and wait until it listens."""
        passwd = passwd_with_root_home(self.workdir / "passwd", self.workdir / "home")
        steps = [f"mount --bind {passwd} /etc/passwd"]
        if self.password:
            shadow = shadow_with_root_password(self.workdir / "shadow", self.password)
            steps.append(f"mount --bind {shadow} /etc/shadow")
        if self.hostname:
            steps.append(f"hostname {self.hostname}")
        flags = ["--mount", *(["--uts"] if self.hostname else [])]
        sshd = f"exec {SSHD} -D -e -f {self.config}"
        argv = [*self.wrap, "unshare", *flags, "sh", "-c", " && ".join([*steps, sshd])]
        self.process = start_process(argv)
        self.process.wait_for("Server listening on", 15)

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self.process.stop()
            self.process = None

    def new_host_key(self) -> None:
        """Replace the host key (as a reinstall would) and restart."""
        self.stop()
        keygen(self.host_key)
        self.start()

    def log(self) -> str:
        return "".join(self.process.log) if self.process else ""
