"""Agentless collection: the agent's own fact gathering, run over one SSH connection per host.

:class:`SshHost` implements the two methods of ``agent.host.Host`` and nothing else, so every
Linux section the agent has (and each one added later) works over SSH unchanged, and checks
and scores treat the report exactly like an agent's.

One connection per host, reused: each command is a new channel (``exec_command``) on the same
transport, each file read a request on an SFTP channel opened on first use (two at most, so two
sections read at once). SFTP rather than ``cat`` because a read is then a few requests instead
of a remote shell and process per file, and a file that cannot be read is told apart from one
that does not exist by status code, not by parsing ``cat``'s stderr; hosts whose sshd has no
SFTP subsystem fall back to ``cat --``.
"""

from __future__ import annotations

import errno
import shlex
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import msgspec
import paramiko

from agent.gather import gather
from agent.host import CommandResult, FactError
from canh.contract import Report
from inventory.credentials import Credentials, HostCredentials, HostSpec
from inventory.errors import (
    AuthFailed,
    ConnectFailed,
    CredentialsError,
    HostKeyChanged,
    InventoryError,
    SshError,
)
from inventory.hostkeys import KnownHosts, describe, host_key_name
from inventory.settings import SshSettings

DRY_RUN_ID = "not-enrolled"
MAX_STDERR_BYTES = 64 * 1024
_CHUNK = 65536
# sshd allows 10 sessions per connection by default (sshd_config MaxSessions); the agent gathers
# sections on several threads, so exec channels are bounded below that, SFTP taking two more.
MAX_CHANNELS = 6
# SFTP requests on one channel wait for each other (paramiko's client is synchronous); a second
# channel lets two sections read files at once.
SFTP_CHANNELS = 2
_SSH_ERRORS = (paramiko.SSHException, OSError, EOFError)
# env(1) exits 127 when the command does not exist and 126 when it cannot run.
_NOT_FOUND, _CANNOT_RUN = 127, 126


class SshHost:
    """A Linux host reached over SSH; use as a context manager, or call :meth:`close`."""

    os_family = "linux"

    def __init__(self, client: paramiko.SSHClient, label: str, settings: SshSettings) -> None:
        self.client = client
        self.label = label
        self.settings = settings
        self._sftp_open: list[paramiko.SFTPClient] = []
        self._sftp_idle: list[paramiko.SFTPClient] = []
        self._sftp_limit = SFTP_CHANNELS
        self._sftp_failed = False
        self._sftp_ready = threading.Condition()
        self._channels = threading.BoundedSemaphore(MAX_CHANNELS)

    def __enter__(self) -> SshHost:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the SFTP channels and the connection."""
        for sftp in self._sftp_open:
            sftp.close()
        self.client.close()

    def _transport_alive(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    def _transport(self) -> paramiko.Transport:
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise FactError(f"the SSH connection to {self.label} was lost")
        return transport

    # --- commands ---------------------------------------------------------------------------

    def run(self, argv: list[str], timeout: float = 20.0) -> CommandResult:
        """Run ``argv`` in the C locale on a new channel; FactError on timeout or oversize."""
        command = shlex.join(["env", "LC_ALL=C", "LANG=C", *argv])
        timeout = min(timeout, self.settings.command_timeout_seconds)
        code, out, err = self.execute(command, timeout, self.settings.max_output_bytes, argv[0])
        if code == _NOT_FOUND:
            raise FactError(f"{argv[0]} is not installed on {self.label}")
        if code == _CANNOT_RUN:
            raise FactError(f"{argv[0]} could not run on {self.label}")
        return CommandResult(
            code,
            out.decode("utf-8", errors="replace"),
            err.decode("utf-8", errors="replace"),
        )

    def execute(
        self, command: str, timeout: float, limit: int, name: str
    ) -> tuple[int, bytes, bytes]:
        """Exit status, stdout and stderr of a shell command; the channel is always closed.

        A command still running at ``timeout`` is cut: its channel is closed, which closes its
        pipes on the host (sshd sends no signal to a session without a terminal, so a command
        that neither reads nor writes may run on there until it ends by itself).
        """
        deadline = time.monotonic() + timeout
        if not self._channels.acquire(timeout=timeout):
            raise FactError(f"{name} waited {timeout:g} s for a free channel on {self.label}")
        try:
            return self._execute(command, deadline, timeout, limit, name)
        finally:
            self._channels.release()

    def _execute(
        self, command: str, deadline: float, timeout: float, limit: int, name: str
    ) -> tuple[int, bytes, bytes]:
        channel = self._open_channel(deadline, timeout)
        out = bytearray()
        err_out = bytearray()
        # Woken by paramiko's transport thread when output arrives or the channel ends. Not
        # channel.fileno(): its OS pipe is written by that thread without the lock that
        # close() holds, so a close racing late output writes to a closed descriptor, or to
        # one reused meanwhile (the SSH socket, say), and the transport dies with EBADF.
        arrived = threading.Event()
        channel.in_buffer.set_event(arrived)
        channel.in_stderr_buffer.set_event(arrived)
        try:
            # stdin from /dev/null on the host, so a command waiting for input ends. Not
            # shutdown_write(): paramiko sends that EOF even when the server has already closed
            # the channel (a command that ended first, likely under load), and OpenSSH then
            # drops the whole connection ("ieof packet referred to nonexistent channel").
            channel.exec_command(f"{command} </dev/null")
            # Done when all output is read (end of file or a closed channel) and the exit
            # status is in, which sshd may send before the last of the output. The status
            # is also "ready" when the channel closes without one.
            while not (
                self._drain(channel, out, err_out, limit, name)
                and (channel.eof_received or channel.closed)
                and channel.exit_status_ready()
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FactError(f"{name} did not finish within {timeout:g} s on {self.label}")
                if channel.eof_received or channel.closed:
                    # Output is complete; only the exit status is still on its way.
                    channel.status_event.wait(min(remaining, 0.25))
                else:
                    arrived.wait(min(remaining, 0.25))
            code = channel.recv_exit_status()
            if code == -1 and not self._transport_alive():
                # No exit status because the connection dropped (a signal-killed command
                # also reports -1, like a killed local process, but on a live connection).
                raise FactError(f"the SSH connection to {self.label} dropped during {name}")
        except _SSH_ERRORS as err:
            raise FactError(f"{name} failed on {self.label}: {err}") from err
        finally:
            channel.close()
        return code, bytes(out), bytes(err_out)

    def _open_channel(self, deadline: float, timeout: float) -> paramiko.Channel:
        """A new session channel; a refusal is asked again until ``deadline``.

        sshd frees a session only after both sides have closed its channel, so right after
        channels we closed it may still count them against MaxSessions and refuse a new one.
        """
        delay = 0.01
        while True:
            try:
                return self._transport().open_session(timeout=min(timeout, 15.0))
            except paramiko.ChannelException as err:
                if time.monotonic() + delay >= deadline:
                    raise FactError(f"{self.label} refused a new channel: {err}") from err
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
            except _SSH_ERRORS as err:
                raise FactError(f"cannot open a channel to {self.label}: {err}") from err

    def _drain(
        self, channel: paramiko.Channel, out: bytearray, err: bytearray, limit: int, name: str
    ) -> bool:
        """Move what arrived into ``out`` and ``err``; True when nothing is left waiting."""
        while channel.recv_ready():
            out += channel.recv(_CHUNK)
            if len(out) > limit:
                raise FactError(f"{name} printed more than {limit} bytes on {self.label}; cut")
        while channel.recv_stderr_ready():
            chunk = channel.recv_stderr(_CHUNK)
            err += chunk[: max(0, MAX_STDERR_BYTES - len(err))]  # read all, keep the first 64 KiB
        return not (channel.recv_ready() or channel.recv_stderr_ready())

    # --- files ------------------------------------------------------------------------------

    def read_text(self, path: str) -> str | None:
        """The file's text (UTF-8, invalid bytes replaced), or None when absent or unreadable."""
        sftp = self._sftp_client(path)
        try:
            data = self._read_sftp(sftp, path) if sftp is not None else self._read_cat(path)
        finally:
            if sftp is not None:
                with self._sftp_ready:
                    self._sftp_idle.append(sftp)
                    self._sftp_ready.notify()
        return None if data is None else data.decode("utf-8", errors="replace")

    def _sftp_client(self, path: str) -> paramiko.SFTPClient | None:
        """An idle SFTP channel, a new one while under the limit, or None: no SFTP subsystem."""
        timeout = self.settings.command_timeout_seconds
        deadline = time.monotonic() + timeout
        with self._sftp_ready:
            while True:
                if self._sftp_idle:
                    return self._sftp_idle.pop()
                if self._sftp_failed:
                    return None
                if len(self._sftp_open) < self._sftp_limit:
                    try:
                        sftp = self.client.open_sftp()
                    except _SSH_ERRORS:
                        if not self._sftp_open:
                            self._sftp_failed = True  # no SFTP subsystem: read with cat instead
                            return None
                        # The host refuses another session (MaxSessions): share the open ones.
                        self._sftp_limit = len(self._sftp_open)
                        continue
                    channel = sftp.get_channel()
                    if channel is not None:
                        channel.settimeout(timeout)
                    self._sftp_open.append(sftp)
                    return sftp
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._sftp_ready.wait(remaining):
                    raise FactError(f"reading {path} waited {timeout:g} s for SFTP on {self.label}")

    def _read_sftp(self, sftp: paramiko.SFTPClient, path: str) -> bytes | None:
        limit = self.settings.max_file_bytes
        try:
            with sftp.open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except TimeoutError as err:
            raise FactError(f"reading {path} on {self.label} timed out") from err
        except OSError as err:
            # SFTP status codes arrive as OSError: no such file, permission denied, or a bare
            # failure (a directory, a special file); a dead connection is an error, not absence.
            self._transport()
            if err.errno in (errno.ENOENT, errno.EACCES, errno.EPERM, None):
                return None
            raise FactError(f"reading {path} on {self.label}: {err}") from err
        except (paramiko.SSHException, EOFError) as err:
            raise FactError(f"reading {path} on {self.label}: {err}") from err
        if len(data) > limit:
            raise FactError(f"{path} on {self.label} is larger than {limit} bytes")
        return data

    def _read_cat(self, path: str) -> bytes | None:
        limit = self.settings.max_file_bytes
        command = shlex.join(["cat", "--", path])
        try:
            code, out, _err = self.execute(
                command, self.settings.command_timeout_seconds, limit, "cat"
            )
        except FactError as err:
            if "printed more than" in str(err):
                raise FactError(f"{path} on {self.label} is larger than {limit} bytes") from err
            raise
        return out if code == 0 else None


@dataclass(frozen=True, slots=True)
class SshContext:
    """What every connection of one run shares: credentials, known_hosts, settings."""

    credentials: Credentials
    known_hosts: KnownHosts
    settings: SshSettings

    def connect(self, spec: HostSpec) -> SshHost:
        """An authenticated connection with a verified host key; SshError otherwise."""
        creds = self.credentials.for_host(spec)
        label = f"{spec.host}:{creds.port}"
        client = paramiko.SSHClient()
        try:
            if self.known_hosts.path.exists():
                client.load_host_keys(str(self.known_hosts.path))
            client.set_missing_host_key_policy(self.known_hosts.policy())
            sock = socket.create_connection(
                (spec.host, creds.port), timeout=self.settings.connect_timeout_seconds
            )
            # Each command is a few small packets; without this, Nagle's algorithm meets the
            # server's delayed ACK and every channel open waits ~40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.connect(
                hostname=spec.host,
                port=creds.port,
                sock=sock,
                username=creds.username,
                password=creds.password,
                pkey=_private_key(creds),
                timeout=self.settings.connect_timeout_seconds,
                banner_timeout=self.settings.connect_timeout_seconds,
                auth_timeout=self.settings.auth_timeout_seconds,
                channel_timeout=self.settings.connect_timeout_seconds,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.BadHostKeyException as err:
            client.close()
            name = host_key_name(spec.host, creds.port)
            raise HostKeyChanged(
                name, err.key.get_name(), err.key.fingerprint, describe(err.expected_key)
            ) from None
        except paramiko.AuthenticationException as err:
            client.close()
            how = " and ".join(
                what
                for what, given in (("key", creds.key_file), ("password", creds.password))
                if given
            )
            raise AuthFailed(label, f"{creds.username} was refused ({how}): {err}") from None
        except (InventoryError, CredentialsError):
            client.close()
            raise
        except _SSH_ERRORS as err:
            client.close()
            raise ConnectFailed(label, _reason(err)) from err
        except BaseException:
            client.close()
            raise
        return SshHost(client, label, self.settings)

    def collect(
        self,
        spec: HostSpec,
        agent_id: str = DRY_RUN_ID,
        seq: int = 1,
        previous: dict[str, str] | None = None,
    ) -> Report:
        """The agent's report for one host, gathered over SSH and marked ``source="ssh"``."""
        with self.connect(spec) as host:
            return gather_report(host, agent_id, seq, previous)


def gather_report(
    host: SshHost, agent_id: str, seq: int, previous: dict[str, str] | None = None
) -> Report:
    """``agent.gather.gather`` over an SSH host, marked as agentless."""
    report = gather(host, agent_id, seq, previous)
    return msgspec.structs.replace(report, source="ssh")


def _private_key(creds: HostCredentials) -> paramiko.PKey | None:
    if creds.key_file is None:
        return None
    try:
        return paramiko.PKey.from_path(creds.key_file, creds.key_passphrase)
    except paramiko.PasswordRequiredException as err:
        raise CredentialsError(f"{creds.key_file} is encrypted: set key_passphrase") from err
    except (paramiko.SSHException, OSError, ValueError) as err:
        raise CredentialsError(f"cannot load the private key {creds.key_file}: {err}") from err


def _reason(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, socket.gaierror):
        return f"cannot resolve the name ({err.strerror})"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


@dataclass(frozen=True, slots=True)
class Outcome:
    """One host's result in a parallel run: a value, or the error that stopped that host."""

    spec: HostSpec
    value: Any = None
    error: InventoryError | None = None
    seconds: float = 0.0


def run_pool(
    specs: Sequence[HostSpec], work: Callable[[HostSpec], Any], parallel: int
) -> list[Outcome]:
    """``work`` for every host on at most ``parallel`` threads; results in input order.

    A host's error is kept in its outcome and the others go on; every step of ``work`` is
    bounded by connect, auth and command timeouts, so no host holds the pool forever.
    """

    def one(spec: HostSpec) -> Outcome:
        started = time.monotonic()
        try:
            value = work(spec)
        except InventoryError as err:
            return Outcome(spec, error=err, seconds=time.monotonic() - started)
        except (paramiko.SSHException, OSError, EOFError, FactError) as err:
            wrapped = SshError(str(spec), _reason(err))
            return Outcome(spec, error=wrapped, seconds=time.monotonic() - started)
        return Outcome(spec, value=value, seconds=time.monotonic() - started)

    if not specs:
        return []
    with ThreadPoolExecutor(
        max_workers=min(parallel, len(specs)), thread_name_prefix="ssh"
    ) as pool:
        return list(pool.map(one, specs))
