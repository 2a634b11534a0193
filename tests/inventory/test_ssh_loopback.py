"""Agentless collection against a real sshd on loopback: keys, auth, hostile commands, the pool."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from agent.host import FactError
from canh.contract import decode, encode
from inventory.credentials import HostSpec, load_credentials
from inventory.errors import AuthFailed, ConnectFailed, HostKeyChanged, HostKeyRejected
from inventory.hostkeys import KnownHosts
from inventory.settings import SshSettings
from inventory.ssh import SshContext, SshHost, run_pool
from tests.inventory.conftest import LOOPBACK_PASSWORD, free_loopback_port, write_credentials
from tests.inventory.sshd import Sshd

pytestmark = [pytest.mark.real, pytest.mark.slow]


def context(
    tmp_path: Path,
    sshd: Sshd,
    accept_new: bool = True,
    password: str | None = None,
    settings: SshSettings | None = None,
    known: Path | None = None,
) -> SshContext:
    secret = f'password = "{password}"' if password else f'key_file = "{sshd.client_key}"'
    creds = write_credentials(
        tmp_path / "credentials.toml", f'[defaults]\nusername = "root"\n{secret}\n'
    )
    return SshContext(
        credentials=load_credentials(creds),
        known_hosts=KnownHosts(known or tmp_path / "known_hosts", accept_new),
        settings=settings or SshSettings(accept_new=accept_new),
    )


def spec(sshd: Sshd) -> HostSpec:
    return HostSpec(sshd.address, sshd.port)


@pytest.fixture
def host(tmp_path: Path, loopback_sshd: Sshd) -> Iterator[SshHost]:
    with context(tmp_path, loopback_sshd).connect(spec(loopback_sshd)) as connected:
        yield connected


def test_unknown_host_key_is_rejected(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """Strict mode refuses the unknown key and names the fingerprint ssh-keygen -lf shows."""
    with pytest.raises(HostKeyRejected) as caught:
        context(tmp_path, loopback_sshd, accept_new=False).connect(spec(loopback_sshd))
    assert caught.value.fingerprint == loopback_sshd.host_fingerprint
    assert loopback_sshd.host_fingerprint in str(caught.value)
    assert not (tmp_path / "known_hosts").exists()


def test_accept_new_pins_then_key_auth_collects(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """accept-new pins the key; the report decodes, is agentless and names the sshd's host."""
    started = time.monotonic()
    report = context(tmp_path, loopback_sshd).collect(spec(loopback_sshd), "ssh-test", 3)
    elapsed = time.monotonic() - started
    decoded = decode(encode(report))
    assert decoded.source == "ssh" and decoded.seq == 3 and decoded.agent_id == "ssh-test"
    sections = decoded.present()
    assert {"system", "hardware", "network", "ports"} <= set(sections)
    assert all(s.status == "ok" for s in sections.values()), {
        n: s.error for n, s in sections.items()
    }
    assert decoded.sections.system and decoded.sections.system.data
    assert decoded.sections.system.data.hostname == "canh-lo-test"
    ports = decoded.sections.ports.data.listening  # type: ignore[union-attr]
    assert any(p.port == loopback_sshd.port and p.process == "sshd" for p in ports)
    pinned = (tmp_path / "known_hosts").read_text()
    assert pinned.startswith(f"[127.0.0.1]:{loopback_sshd.port} ssh-ed25519 ")
    # Pinned now: strict mode accepts it.
    context(tmp_path, loopback_sshd, accept_new=False).connect(spec(loopback_sshd)).close()
    # Bounded, not benchmarked: the agent's own sections (apt for patches) dominate the time.
    assert elapsed < 60, f"collection took {elapsed:.2f} s"


def test_changed_key_is_refused(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """A host whose key differs from the pinned one is refused, also with accept-new."""
    other = paramiko.ECDSAKey.generate()
    known = tmp_path / "pinned"
    known.write_text(f"[127.0.0.1]:{loopback_sshd.port} {other.get_name()} {other.get_base64()}\n")
    with pytest.raises(HostKeyChanged) as caught:
        context(tmp_path, loopback_sshd, known=known).connect(spec(loopback_sshd))
    assert caught.value.fingerprint == loopback_sshd.host_fingerprint
    assert other.fingerprint in str(caught.value)


def test_password_auth(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """A password from the credentials file logs in."""
    ctx = context(tmp_path, loopback_sshd, password=LOOPBACK_PASSWORD)
    with ctx.connect(spec(loopback_sshd)) as connected:
        assert connected.run(["id", "-u"]).stdout.strip() == "0"


def test_wrong_password_is_auth_failed_without_echo(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """A refused password is AuthFailed, and the message does not contain it."""
    wrong = "Wrong-Passw0rd-not-this-1"
    with pytest.raises(AuthFailed) as caught:
        context(tmp_path, loopback_sshd, password=wrong).connect(spec(loopback_sshd))
    assert wrong not in str(caught.value) and "root was refused (password)" in str(caught.value)


def established(port: int) -> set[str]:
    """Client ends of the TCP connections to ``port`` on loopback."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[2] for line in out.splitlines()}


def test_one_connection_for_every_command(host: SshHost, loopback_sshd: Sshd) -> None:
    """Commands and file reads share the one transport (no reconnect per fact)."""
    transport = host.client.get_transport()
    assert transport is not None
    before = established(loopback_sshd.port)
    for _ in range(5):
        assert host.run(["true"]).returncode == 0
        assert host.read_text("/proc/sys/kernel/hostname") == "canh-lo-test\n"
    assert host.client.get_transport() is transport
    local = "{}:{}".format(*transport.sock.getsockname())
    assert local in before and established(loopback_sshd.port) <= before


def test_hanging_command_is_cut(host: SshHost) -> None:
    """A command that never ends is cut at its timeout; the connection stays usable."""
    started = time.monotonic()
    with pytest.raises(FactError, match="did not finish within 1 s"):
        host.run(["sleep", "30"], timeout=1)
    assert time.monotonic() - started < 3
    assert host.run(["echo", "still here"]).stdout == "still here\n"


def test_huge_output_is_capped(host: SshHost) -> None:
    """More than 16 MiB on stdout is an error, not a memory blow-up."""
    with pytest.raises(FactError, match="printed more than 16777216 bytes"):
        host.run(["head", "-c", "20000000", "/dev/zero"])
    assert host.run(["true"]).returncode == 0


def test_huge_file_is_capped(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """A file over the read cap is an error, through SFTP and through cat alike."""
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 70_000)
    settings = SshSettings(max_file_bytes=65536)
    with context(tmp_path, loopback_sshd, settings=settings).connect(spec(loopback_sshd)) as h:
        with pytest.raises(FactError, match="larger than 65536"):
            h.read_text(str(big))
        h._sftp_failed, h._sftp = True, None
        with pytest.raises(FactError, match="larger than 65536"):
            h.read_text(str(big))


def test_binary_output_is_decoded_with_replacement(host: SshHost) -> None:
    """Bytes that are not UTF-8 become U+FFFD; nothing raises."""
    result = host.run(["printf", r"\377\376ok\000"])
    assert result.stdout == "\ufffd\ufffdok\x00"


def test_stderr_and_exit_status(host: SshHost) -> None:
    """Exit status and stderr come back separately."""
    result = host.run(["ls", "/no-such-dir-canh"])
    assert result.returncode == 2 and "No such file" in result.stderr and result.stdout == ""


def test_missing_command(host: SshHost) -> None:
    """A command the host lacks is a FactError, like on the local agent."""
    with pytest.raises(FactError, match="no-such-tool-canh is not installed"):
        host.run(["no-such-tool-canh", "--version"])


def test_arguments_are_not_interpreted_by_the_remote_shell(host: SshHost) -> None:
    """Arguments reach the command verbatim: no globbing, no substitution."""
    assert host.run(["echo", "$(id)", "*", "a;b"]).stdout == "$(id) * a;b\n"


def test_read_text_absent_or_directory(host: SshHost) -> None:
    """A missing file or a directory reads as None."""
    assert host.read_text("/no/such/file") is None
    assert host.read_text("/etc") is None
    assert "ID=" in (host.read_text("/etc/os-release") or "")


def test_cat_fallback_without_sftp(host: SshHost) -> None:
    """Hosts without an SFTP subsystem are read with ``cat --``, same answers."""
    host._sftp_failed = True
    assert host.read_text("/proc/sys/kernel/hostname") == "canh-lo-test\n"
    assert host.read_text("/no/such/file") is None
    assert host.read_text("-n") is None  # an option-looking path is a path


def test_dropped_connection(host: SshHost) -> None:
    """A connection that drops mid-command fails that command and the next ones, fast."""
    transport = host.client.get_transport()
    assert transport is not None
    drop = threading.Timer(0.5, lambda: transport.sock.shutdown(socket.SHUT_RDWR))
    drop.start()
    started = time.monotonic()
    with pytest.raises(FactError, match=r"dropped|lost|failed"):
        host.run(["sleep", "10"], timeout=15)
    assert time.monotonic() - started < 3
    for attempt in (lambda: host.run(["true"]), lambda: host.read_text("/etc/hostname")):
        with pytest.raises(FactError, match="lost"):
            attempt()
    drop.join()


def test_pool_isolates_failures(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """A refused port and a silent one fail on their own; the good host is collected."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts, never says a word: the SSH banner never comes
    closed_port = free_loopback_port()
    settings = SshSettings(accept_new=True, connect_timeout_seconds=2, parallel=3)
    ctx = context(tmp_path, loopback_sshd, settings=settings)
    specs = [
        HostSpec("127.0.0.1", silent.getsockname()[1]),
        HostSpec("127.0.0.1", closed_port),
        spec(loopback_sshd),
    ]
    started = time.monotonic()
    try:
        outcomes = run_pool(specs, ctx.collect, settings.parallel)
    finally:
        silent.close()
    assert time.monotonic() - started < 60
    # Each failure is bounded by its own timeout (2 s here), whatever the good host takes.
    assert outcomes[0].seconds < 5 and outcomes[1].seconds < 2
    assert isinstance(outcomes[0].error, ConnectFailed)
    assert isinstance(outcomes[1].error, ConnectFailed) and "refused" in str(outcomes[1].error)
    assert outcomes[2].error is None and outcomes[2].value.source == "ssh"


def test_parallel_hosts_share_one_known_hosts(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """Eight parallel first connections to one host pin its key exactly once."""
    ctx = context(tmp_path, loopback_sshd)
    errors: list[BaseException] = []

    def connect() -> None:
        try:
            ctx.connect(spec(loopback_sshd)).close()
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=connect) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len((tmp_path / "known_hosts").read_text().splitlines()) == 1


CLI = (
    "import argparse, sys\n"
    "from inventory.cli import add_ssh_parser\n"
    "parser = argparse.ArgumentParser(prog='canh')\n"
    "add_ssh_parser(parser.add_subparsers())\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.handler(args))\n"
)


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, "ssh-collect", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_dry_run(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """`ssh-collect --dry-run` refuses the unknown key, then with --accept-new prints a report."""
    creds = write_credentials(
        tmp_path / "c.toml",
        f'[defaults]\nusername = "root"\nkey_file = "{loopback_sshd.client_key}"\n',
    )
    target = f"127.0.0.1:{loopback_sshd.port}"
    common = ["--credentials", str(creds), "--data-dir", str(tmp_path / "data"), "--dry-run"]
    refused = run_cli(target, *common)
    assert refused.returncode == 1 and refused.stdout == ""
    assert loopback_sshd.host_fingerprint in refused.stderr and "--accept-new" in refused.stderr
    done = run_cli(target, *common, "--accept-new")
    assert done.returncode == 0, done.stderr
    report = decode(json.dumps(json.loads(done.stdout)).encode())
    assert report.source == "ssh" and report.agent_id == "not-enrolled"
    assert (tmp_path / "data" / "known_hosts").exists()


def test_cli_open_credentials_file_is_refused(tmp_path: Path, loopback_sshd: Sshd) -> None:
    """A credentials file readable by others stops the command before any connection."""
    creds = tmp_path / "c.toml"
    creds.write_text(f'[defaults]\nusername = "root"\npassword = "{LOOPBACK_PASSWORD}"\n')
    creds.chmod(0o644)
    result = run_cli(f"127.0.0.1:{loopback_sshd.port}", "--credentials", str(creds), "--dry-run")
    assert result.returncode == 1 and "chmod 600" in result.stderr
    assert LOOPBACK_PASSWORD not in result.stderr


def test_many_threads_share_one_connection(host: SshHost) -> None:
    """Twenty threads at once stay within sshd's session limit: every command succeeds."""
    results: list[str] = []
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            results.append(host.run(["sh", "-c", f"sleep 0.2; echo {n}"]).stdout.strip())
        except FactError as err:
            errors.append(err)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(results, key=int) == [str(n) for n in range(20)]


def test_command_reading_stdin_ends(host: SshHost) -> None:
    """stdin is at end of file: a command that reads it ends at once with nothing read."""
    started = time.monotonic()
    assert host.run(["cat"], timeout=10).stdout == ""
    assert time.monotonic() - started < 5


def test_commands_that_end_at_once_keep_the_connection(host: SshHost) -> None:
    """Hundreds of commands that end before the client says anything more on their channel.

    Sending EOF on a channel the server has closed makes OpenSSH drop the whole connection
    ("ieof packet referred to nonexistent channel"); under load that lost every section of a
    collection.
    """
    errors: list[BaseException] = []

    def some() -> None:
        for _ in range(150):
            try:
                host.run(["true"])
            except FactError as err:
                errors.append(err)
                return

    threads = [threading.Thread(target=some) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    transport = host.client.get_transport()
    assert errors == [] and transport is not None and transport.is_active()


def test_output_is_whole_when_the_status_comes_first(host: SshHost) -> None:
    """Every byte is read though sshd may send the exit status before the last output.

    Commands that print a lot and exit at once, on six threads: a channel finished at the exit
    status lost its tail, and closing it while output still arrived raced paramiko's transport
    thread, which then died on a closed descriptor ("Socket exception: Bad file descriptor").
    """
    sizes: list[int] = []
    errors: list[BaseException] = []

    def some() -> None:
        for _ in range(25):
            try:
                sizes.append(len(host.run(["head", "-c", "300000", "/dev/zero"]).stdout))
            except FactError as err:
                errors.append(err)
                return

    threads = [threading.Thread(target=some) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    transport = host.client.get_transport()
    assert errors == [] and transport is not None and transport.is_active()
    assert sizes == [300000] * 150
