"""A lab network in namespaces this test run makes itself, and tears down whatever happens.

Topology (all in the RFC 2544 benchmark range 198.18.0.0/15, never routed off the box: the
namespaces are joined only to each other, none to the machine's own namespace)::

    scanner 198.18.0.1 ─┐
    printer 198.18.0.10 ─┤
    server  198.18.0.20 ─┼─ br0 (bridge namespace)
    winpc   198.18.0.30 ─┤
    switch  198.18.0.40 ─┤
    router  198.18.0.254 ┘── 198.18.1.1 ── branch 198.18.1.10

Every other address of both /24s is unassigned and must not answer.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SEGMENT = "198.18.0.0/24"
ROUTED = "198.18.1.0/24"
SCANNER_IP = "198.18.0.1"
SCANNER_MAC = "02:00:5e:10:00:01"
LISTENER = Path(__file__).with_name("listener.py")
MAX_PROCESSES = 32


@dataclass(frozen=True)
class LabHost:
    """One machine of the lab and what it is expected to show a scanner."""

    role: str
    ip: str
    mac: str
    hostname: str
    tcp: tuple[int, ...] = ()
    udp: tuple[int, ...] = ()
    banners: dict[int, str] = field(default_factory=dict)


PRINTER = LabHost("printer", "198.18.0.10", "00:1b:78:00:00:10", "printer-lab", (80, 9100), (161,))
SERVER = LabHost("server", "198.18.0.20", "00:1b:21:00:00:20", "server-lab", (22,))
WINPC = LabHost("winpc", "198.18.0.30", "00:14:22:00:00:30", "winpc-lab", (135, 139, 445, 3389))
SWITCH = LabHost(
    "switch",
    "198.18.0.40",
    "00:00:0c:00:00:40",
    "switch-lab",
    (23, 443),
    banners={23: "User Access Verification"},
)
ROUTER = LabHost("router", "198.18.0.254", "02:00:5e:10:00:fe", "router-lab")
BRANCH = LabHost(
    "branch",
    "198.18.1.10",
    "02:00:5e:10:01:0a",
    "branch-lab",
    (22, 443),
    banners={22: "SSH-2.0-OpenSSH_9.2p1 lab"},
)
SEGMENT_HOSTS = (PRINTER, SERVER, WINPC, SWITCH, ROUTER)
SNMP_SYSDESCR = "HP LaserJet M404 lab printer"


class LabError(RuntimeError):
    """The lab could not be built; the message carries the failing command's output."""


@dataclass
class Process:
    """A process started in a namespace, with its output collected by a reader thread."""

    proc: subprocess.Popen[bytes]
    lines: queue.Queue[str]
    log: list[str]
    reader: threading.Thread

    def wait_for(self, text: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LabError(f"no {text!r} within {timeout} s:\n" + "".join(self.log[-40:]))
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise LabError(f"exited before {text!r}:\n" + "".join(self.log[-40:])) from None
                continue
            if text in line:
                return

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_process(argv: list[str]) -> Process:
    """Start ``argv`` with its output collected line by line (call ``wait_for`` next)."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            text = raw.decode("utf-8", errors="replace")
            log.append(text)
            lines.put(text)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    return Process(proc, lines, log, reader)


class Lab:
    """Namespaces, links, addresses and processes of one lab; :meth:`close` undoes them all."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.prefix = f"canh-t-{secrets.token_hex(3)}"
        self.namespaces: list[str] = []
        self.processes: list[Process] = []
        self.etc_dirs: list[Path] = []

    # --- plumbing ---------------------------------------------------------------------------

    def ns(self, role: str) -> str:
        """The namespace name of a role."""
        return f"{self.prefix}-{role}"

    def ip(self, *args: str, timeout: float = 20) -> str:
        """Run ``ip`` and return its output; raise LabError with its message on failure."""
        return self.cmd(["ip", *args], timeout=timeout)

    def cmd(self, argv: list[str], timeout: float = 20) -> str:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise LabError(f"{' '.join(argv)}: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def exec_argv(self, role: str, argv: list[str]) -> list[str]:
        """``argv`` run inside the role's namespace."""
        return ["ip", "netns", "exec", self.ns(role), *argv]

    def spawn(self, role: str, argv: list[str], ready: str, timeout: float = 15.0) -> Process:
        """Start a long-running process in a namespace and wait until it prints ``ready``."""
        if len(self.processes) >= MAX_PROCESSES:
            raise LabError("too many lab processes")
        process = start_process(self.exec_argv(role, argv))
        self.processes.append(process)
        process.wait_for(ready, timeout)
        return process

    def add_namespace(self, role: str) -> str:
        name = self.ns(role)
        self.ip("netns", "add", name)
        self.namespaces.append(name)
        self.ip("-n", name, "link", "set", "lo", "up")
        return name

    def link(self, role: str, bridge_role: str, port: str, mac: str, cidr: str, dev: str) -> None:
        """A veth from ``role`` (named ``dev``, with ``mac`` and ``cidr``) to the bridge."""
        ns, br = self.ns(role), self.ns(bridge_role)
        self.ip("-n", br, "link", "add", port, "type", "veth", "peer", "name", dev, "netns", ns)
        self.ip("-n", ns, "link", "set", dev, "address", mac)
        self.ip("-n", ns, "addr", "add", cidr, "dev", dev)
        self.ip("-n", ns, "link", "set", dev, "up")
        self.ip("-n", br, "link", "set", port, "master", "br0", "up")

    def etc_file(self, role: str, name: str, text: str) -> None:
        """A file ``ip netns exec`` bind-mounts over /etc/NAME inside the role's namespace."""
        directory = Path("/etc/netns") / self.ns(role)
        directory.mkdir(parents=True, exist_ok=True)
        if directory not in self.etc_dirs:
            self.etc_dirs.append(directory)
        (directory / name).write_text(text)

    # --- build and tear down ----------------------------------------------------------------

    def build(self) -> None:
        """Namespaces, bridge, veths, addresses, routes; no services yet."""
        self.add_namespace("br")
        self.ip("-n", self.ns("br"), "link", "add", "br0", "type", "bridge", "forward_delay", "0")
        self.ip("-n", self.ns("br"), "link", "set", "br0", "up")
        self.add_namespace("scanner")
        self.link("scanner", "br", "p-scan", SCANNER_MAC, f"{SCANNER_IP}/24", "eth0")
        for index, host in enumerate(SEGMENT_HOSTS):
            self.add_namespace(host.role)
            self.link(host.role, "br", f"p-{index}", host.mac, f"{host.ip}/24", "eth0")
        # The branch office hangs off the router on its own link: a routed subnet.
        self.add_namespace(BRANCH.role)
        rt, branch = self.ns(ROUTER.role), self.ns(BRANCH.role)
        self.ip(
            "-n", rt, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", branch
        )
        self.ip("-n", rt, "addr", "add", "198.18.1.1/24", "dev", "eth1")
        self.ip("-n", rt, "link", "set", "eth1", "up")
        self.ip("-n", branch, "link", "set", "eth0", "address", BRANCH.mac)
        self.ip("-n", branch, "addr", "add", f"{BRANCH.ip}/24", "dev", "eth0")
        self.ip("-n", branch, "link", "set", "eth0", "up")
        self.ip("-n", branch, "route", "add", "default", "via", "198.18.1.1")
        self.cmd(
            self.exec_argv(ROUTER.role, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
        )
        self.ip("-n", self.ns("scanner"), "route", "add", ROUTED, "via", ROUTER.ip)
        # Names for reverse DNS come from the scanner's own hosts file; its resolver is its own
        # loopback, so no DNS query can leave the lab.
        names = "".join(f"{h.ip}\t{h.hostname}\n" for h in (*SEGMENT_HOSTS, BRANCH))
        self.etc_file("scanner", "hosts", f"127.0.0.1\tlocalhost\n{names}")
        self.etc_file("scanner", "resolv.conf", "nameserver 127.0.0.1\noptions timeout:1\n")

    def start_services(self) -> None:
        """Listeners, a web server and an SNMP agent with the default community."""
        for host in (PRINTER, WINPC, SWITCH, BRANCH):
            plain = [p for p in host.tcp if p not in (80,)]
            specs = [f"{p}={host.banners[p]}" if p in host.banners else str(p) for p in plain]
            self.spawn(host.role, [sys.executable, str(LISTENER), host.ip, *specs], "ready")
        self.spawn(
            PRINTER.role,
            [
                sys.executable,
                "-u",
                "-m",
                "http.server",
                "80",
                "--bind",
                PRINTER.ip,
                "--directory",
                str(self.workdir),
            ],
            "Serving HTTP",
        )
        self.start_snmpd()

    def start_snmpd(self) -> None:
        conf = self.workdir / "snmpd.conf"
        conf.write_text(
            f"agentAddress udp:{PRINTER.ip}:161\n"
            "rocommunity public default\n"
            f"sysDescr {SNMP_SYSDESCR}\n"
            f"sysName {PRINTER.hostname}\n"
        )
        persistent = self.workdir / "snmp"
        persistent.mkdir(exist_ok=True)
        self.spawn(
            PRINTER.role,
            [
                "env",
                f"SNMP_PERSISTENT_DIR={persistent}",
                "MIBS=",
                "/usr/sbin/snmpd",
                "-f",
                "-Lo",
                "-C",
                "-c",
                str(conf),
                "-p",
                str(self.workdir / "snmpd.pid"),
            ],
            "NET-SNMP version",
        )

    def close(self) -> None:
        """Stop every process and delete every namespace and file the lab made."""
        for process in reversed(self.processes):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                process.stop()
        self.processes.clear()
        for name in reversed(self.namespaces):
            # Processes still inside a namespace would keep it alive: kill them first.
            pids = subprocess.run(
                ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in pids:
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid), 9)
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        self.namespaces.clear()
        for directory in self.etc_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self.etc_dirs.clear()


def can_build_lab() -> str | None:
    """None when this process may build a lab, otherwise why not."""
    if os.geteuid() != 0:
        return "needs root (network namespaces and raw sockets)"
    for tool in ("ip", "unshare"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    for path in ("/usr/sbin/sshd", "/usr/sbin/snmpd"):
        if not Path(path).exists():
            return f"needs {path} (make deps-test)"
    return None
