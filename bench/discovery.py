"""Discovery and agentless SSH against the usual tools, side by side on one namespace lab.

Method. The test lab (tests/inventory/lab.py: five hosts on 198.18.0.0/24, a routed branch host
on 198.18.1.0/24, every other address unassigned) is built once, with its services and a real
sshd on the lab server; every probe runs inside the lab's scanner namespace (``ip netns exec``),
so no packet leaves the namespaces this benchmark made. Each measurement is the wall time of a
whole process, start-up included, the peer's and canh's runs interleaved, median of ``RUNS``:

1. ARP sweep of the /24: ``arp-scan -I eth0 198.18.0.0/24`` against ``inventory.discovery.scan``
   with no ports (ARP sweep only: no SYN, no SNMP, no names). Both must report the same IPs and
   MACs in every run; target ≤ 1.5× arp-scan.
2. SYN scan of the curated TCP ports on the six lab hosts: ``nmap -sS -T4 -n -Pn`` against
   ``scan`` with the same ports and no names. The open ports of every host must agree in every
   run (100%); target ≤ 3× nmap. Then the same on the whole /24 segment, where nmap (without
   ``-Pn``) has to find the hosts first too (its ARP ping), as canh always does.
3. SSH collection from the scanner namespace to the lab server's sshd: connect, authenticate,
   gather, close; wall seconds per host, timed inside a fresh child process per run (not
   counting its start): every section, then every section again, then all but ``patches``,
   then ``POOL_HOSTS`` collections at once through the SSH pool (wall time ÷ hosts); target
   ≤ 0.5 s per host. ``patches`` keeps its pending-update counts in-process while the package
   lists and dpkg status are unchanged, so only the first collection of a process pays for
   counting: the first number is a first (or changed-host) collection, the second the steady
   state of a long-running collector. A collection that fails (lost connection, a section in
   error) is not timed: it is counted in a row of its own, and a row whose runs failed is not
   met whatever its median.

Caveats. On the listed hosts the two scanners do not do the same work: nmap ``-Pn`` skips host
discovery, while canh always finds hosts first (ARP on the segment, ICMP/TCP ping beyond the
router) and then scans only those that answered; and canh's process start (Python and its
imports, about 60 ms) is paid in full, where nmap's is a few milliseconds. On six hosts canh's
floor is its rate cap: 160 packets at 1000/s. arp-scan and canh both look up
vendors; no scanner here resolves names. Each uses its own default pacing (canh: 1000 packets/s,
0.5 s wait, one retry; arp-scan: 256 kbit/s, two tries). On a 2-core machine shared with other work
the Python side suffers most from load: compare numbers from one run only. The SSH host shares this
machine's filesystem and CPU with the client, so the times are a floor for a real LAN as to
latency, but the commands run on the same two cores as the client. Counting pending updates
(``patches``) costs the host's CPU, not the SSH path's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bench.results import Result

if TYPE_CHECKING:
    from inventory.credentials import HostSpec
    from inventory.ssh import SshContext
    from tests.inventory.lab import Lab
    from tests.inventory.sshd import Sshd

RUNS = int(os.environ.get("CANH_BENCH_RUNS", "3"))
ROOT = Path(__file__).resolve().parent.parent
SEGMENT = "198.18.0.0/24"
TIMEOUT = 120.0  # seconds any one scan or collection may take before the benchmark gives up
# One thin process per canh scan, as close to ``canh scan`` as an ARP-only scan allows (the CLI
# refuses an empty port list); names are off, as neither peer resolves them.
SCAN = (
    "import sys, msgspec\n"
    "from inventory.discovery import scan\n"
    "from inventory.settings import ScanSettings\n"
    "from inventory.targets import parse_ports, parse_targets\n"
    "ports = parse_ports(sys.argv[2]) if sys.argv[2] else ()\n"
    "result = scan(parse_targets(sys.argv[1].split()), ScanSettings(reverse_dns=False), ports)\n"
    "sys.stdout.buffer.write(msgspec.json.encode(result.devices))\n"
)
_ARP_LINE = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3})\s+([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\b")
_NMAP_HOST = re.compile(r"^Host: (\S+) .*\tPorts: (.*)$")
_NMAP_OPEN = re.compile(r"(\d+)/open/tcp/")

# Open TCP ports as (address, port) pairs: a host that answers with every port closed (nmap
# lists the scanner's own address; canh never probes it) adds nothing to compare.
Ports = frozenset[tuple[str, int]]
T = TypeVar("T")


def _check_tools() -> None:
    from tests.inventory.lab import can_build_lab

    if os.geteuid() != 0:
        raise RuntimeError("the discovery benchmark needs root (network namespaces, raw sockets)")
    missing = [tool for tool in ("arp-scan", "nmap") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: apt-get install arp-scan nmap")
    reason = can_build_lab()
    if reason:
        raise RuntimeError(f"cannot build the lab: {reason}")


def _timed(argv: list[str]) -> tuple[float, str]:
    """Wall seconds and stdout of one process; RuntimeError if it fails."""
    started = time.monotonic()
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=ROOT
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[4:6])}… exited {done.returncode}: {done.stderr[-800:]}")
    return elapsed, done.stdout


def _canh_scan(lab: Lab, targets: Sequence[str], ports: str) -> list[str]:
    return lab.exec_argv("scanner", [sys.executable, "-c", SCAN, " ".join(targets), ports])


def _side_by_side(
    label: str,
    peer_argv: list[str],
    peer_parse: Callable[[str], T],
    canh_argv: list[str],
    canh_parse: Callable[[str], T],
) -> tuple[float, float, bool, T, T]:
    """Median seconds of peer and canh, whether they found the same in every run, and what
    they found (the first run where they disagreed, if any)."""
    peer_times: list[float] = []
    canh_times: list[float] = []
    shown: tuple[T, T] | None = None
    same = True
    for _ in range(RUNS):
        seconds, out = _timed(peer_argv)
        peer_times.append(seconds)
        peer_found = peer_parse(out)
        seconds, out = _timed(canh_argv)
        canh_times.append(seconds)
        canh_found = canh_parse(out)
        if shown is None or (same and peer_found != canh_found):
            shown = (peer_found, canh_found)
        same = same and peer_found == canh_found
    if shown is None:
        raise RuntimeError("CANH_BENCH_RUNS must be at least 1")
    runs = f"peer {[round(t, 2) for t in peer_times]}, canh {[round(t, 2) for t in canh_times]}"
    print(f"{label}: seconds per run: {runs}", file=sys.stderr)
    return statistics.median(peer_times), statistics.median(canh_times), same, *shown


def _arp_scan_hosts(out: str) -> frozenset[tuple[str, str]]:
    return frozenset(
        (m.group(1), m.group(2).lower())
        for line in out.splitlines()
        if (m := _ARP_LINE.match(line))
    )


def _canh_hosts(out: str) -> frozenset[tuple[str, str]]:
    return frozenset((d["ip"], (d["mac"] or "").lower()) for d in json.loads(out))


def _nmap_ports(out: str) -> Ports:
    return frozenset(
        (match.group(1), int(port))
        for line in out.splitlines()
        if (match := _NMAP_HOST.match(line))
        for port in _NMAP_OPEN.findall(match.group(2))
    )


def _canh_ports(out: str) -> Ports:
    return frozenset(
        (d["ip"], p["port"])
        for d in json.loads(out)
        for p in d["open_ports"]
        if p["proto"] == "tcp"
    )


def _by_host(ports: Ports) -> dict[str, list[int]]:
    hosts: dict[str, list[int]] = {}
    for ip, port in sorted(ports):
        hosts.setdefault(ip, []).append(port)
    return hosts


def arp_sweep(lab: Lab) -> list[Result]:
    """arp-scan against canh's ARP-only scan of the lab's /24."""
    peer, canh, same, peer_hosts, canh_hosts = _side_by_side(
        "arp",
        lab.exec_argv("scanner", ["arp-scan", "-I", "eth0", SEGMENT]),
        _arp_scan_hosts,
        _canh_scan(lab, [SEGMENT], ""),
        _canh_hosts,
    )
    print(
        f"arp: arp-scan {sorted(peer_hosts)}\narp: canh     {sorted(canh_hosts)}", file=sys.stderr
    )
    return [
        Result(
            "ARP sweep of a /24 lab (5 hosts), process start included",
            round(canh, 2),
            "s",
            "arp-scan -I eth0",
            round(peer, 2),
            "≤ 1.5× arp-scan, same hosts and MACs",
            same and canh <= 1.5 * peer,
        ),
        Result(
            "ARP sweep: hosts found (IP and MAC)",
            len(canh_hosts),
            "hosts",
            "arp-scan -I eth0",
            len(peer_hosts),
            "same IPs and MACs in every run",
            same,
        ),
    ]


def _syn_compare(
    lab: Lab, what: str, targets: list[str], ports: str, nmap_flags: list[str], expected: Ports
) -> list[Result]:
    """One nmap -sS against canh comparison: wall time and open-port agreement."""
    peer_name = " ".join(["nmap -sS -T4 -n", *nmap_flags])
    nmap = ["nmap", "-sS", "-T4", "-n", *nmap_flags, "-p", ports, "-oG", "-", *targets]
    peer, canh, same, peer_ports, canh_ports = _side_by_side(
        f"syn {what}",
        lab.exec_argv("scanner", nmap),
        _nmap_ports,
        _canh_scan(lab, targets, ports),
        _canh_ports,
    )
    for name, found in (("nmap", peer_ports), ("canh", canh_ports)):
        print(f"syn {what}: {name} {_by_host(found)} (= lab: {found == expected})", file=sys.stderr)
    return [
        Result(
            f"SYN scan of {ports.count(',') + 1} TCP ports on {what}, process start included",
            round(canh, 2),
            "s",
            peer_name,
            round(peer, 2),
            "≤ 3× nmap, same open ports",
            same and canh <= 3 * peer,
        ),
        Result(
            f"SYN scan of {what}: open ports found",
            len(canh_ports),
            "ports",
            peer_name,
            len(peer_ports),
            "100% agreement in every run",
            same,
        ),
    ]


def syn_scan(lab: Lab) -> list[Result]:
    """nmap -sS against canh's SYN scan of the curated TCP ports: the lab hosts, then the /24."""
    from inventory.targets import CURATED_PORTS
    from tests.inventory.lab import BRANCH, SEGMENT_HOSTS

    ports = ",".join(str(p.port) for p in CURATED_PORTS if p.proto == "tcp")
    hosts = (*SEGMENT_HOSTS, BRANCH)
    listed = _syn_compare(
        lab,
        f"the {len(hosts)} lab hosts",
        [h.ip for h in hosts],
        ports,
        ["-Pn"],
        frozenset((h.ip, port) for h in hosts for port in h.tcp),
    )
    # The whole segment: here nmap too must find the hosts first (its ARP ping), as canh does.
    segment = _syn_compare(
        lab,
        "the /24 lab segment",
        [SEGMENT],
        ports,
        [],
        frozenset((h.ip, port) for h in SEGMENT_HOSTS for port in h.tcp),
    )
    return listed + segment


POOL_HOSTS = 4  # collections at once in the SSH pool row (sshd's MaxStartups allows 10)
_SSH_MODES = (
    ("all", "SSH collection per host, every Linux section (first of a process)"),
    ("all_again", "SSH collection per host, every section again (steady state)"),
    ("no_patches", "SSH collection per host, every section but patches"),
    ("pool", f"SSH collection, {POOL_HOSTS} hosts at once in the pool, wall per host"),
)


def _collect(context: SshContext, spec: HostSpec, only: frozenset[str]) -> str | None:
    """One collection (connect, gather, close); what went wrong, or None."""
    from agent.gather import gather
    from agent.host import FactError
    from inventory.errors import InventoryError

    try:
        with context.connect(spec) as connected:
            report = gather(connected, "bench", 1, only=only)
    except (InventoryError, FactError, OSError) as err:
        return f"{type(err).__name__}: {err}"
    failed = [
        f"{name}: {section.status}: {section.error}"
        for name, section in report.present().items()
        if section.status not in ("ok", "not_applicable")
    ]
    return "; ".join(failed) or None


def ssh_child(host: str, port: int, key_file: str, workdir: str) -> None:
    """Timed collections in a fresh process, printed as JSON (runs in the scanner namespace).

    Every section (the first collection of a process: patches counts pending updates), every
    section again (patches reuses its counts while the package lists and dpkg status are
    unchanged), every section but patches, then ``POOL_HOSTS`` collections at once through the
    SSH pool (``run_pool``, as ``canh ssh-collect`` runs them), timed as the pool's wall time
    divided by the hosts. A failed collection (lost connection, a section in error) is kept
    apart with its reason: its time is not a collection's time.
    """
    from agent.sections import SOURCES
    from inventory.credentials import HostSpec, load_credentials
    from inventory.hostkeys import KnownHosts
    from inventory.settings import SshSettings
    from inventory.ssh import SshContext, run_pool

    creds = Path(workdir) / "credentials.toml"
    creds.write_text(f'[defaults]\nusername = "root"\nkey_file = "{key_file}"\n')
    creds.chmod(0o600)
    context = SshContext(
        credentials=load_credentials(creds),
        known_hosts=KnownHosts(Path(workdir) / "known_hosts", True),
        settings=SshSettings(accept_new=True, parallel=POOL_HOSTS),
    )
    spec = HostSpec(host, port)
    every = frozenset(s.name for s in SOURCES)
    seconds: dict[str, float] = {}
    failed: dict[str, list[str]] = {}  # mode: the reason of each failed collection
    for mode, only in (("all", every), ("all_again", every), ("no_patches", every - {"patches"})):
        started = time.monotonic()
        error = _collect(context, spec, only)
        seconds[mode] = time.monotonic() - started
        if error:
            failed[mode] = [error]
    started = time.monotonic()
    outcomes = run_pool([spec] * POOL_HOSTS, lambda one: _collect(context, one, every), POOL_HOSTS)
    seconds["pool"] = (time.monotonic() - started) / POOL_HOSTS
    errors = [str(o.error) if o.error else o.value for o in outcomes if o.error or o.value]
    if errors:
        failed["pool"] = errors
    print(json.dumps({"seconds": seconds, "failed": failed}))


def ssh_collection(lab: Lab, sshd: Sshd, workdir: Path) -> list[Result]:
    """Per-host wall time of collections from the scanner to the lab server's sshd.

    A row's median is over its successful runs and its target is met only when none of its runs
    failed; failed runs are counted in a row of their own, never folded into another row.
    """
    code = "import sys; from bench.discovery import main; main(sys.argv[1:])"
    argv = [str(sshd.address), str(sshd.port), str(sshd.client_key), str(workdir)]
    runs: dict[str, list[float]] = {mode: [] for mode, _name in _SSH_MODES}
    failed: dict[str, list[str]] = {mode: [] for mode, _name in _SSH_MODES}
    for _ in range(RUNS):
        _elapsed, out = _timed(lab.exec_argv("scanner", [sys.executable, "-c", code, *argv]))
        data = json.loads(out)
        for mode, seconds in data["seconds"].items():
            if mode in data["failed"]:
                failed[mode].extend(data["failed"][mode])
            else:
                runs[mode].append(seconds)
    shown = {mode: [round(t, 2) for t in times] for mode, times in runs.items()}
    errors = {mode: reasons for mode, reasons in failed.items() if reasons}
    print(f"ssh: seconds per run: {shown}; failed: {errors or 'none'}", file=sys.stderr)
    results = []
    for mode, name in _SSH_MODES:
        if not runs[mode]:
            continue  # every run failed: only the failure row below speaks for it
        value = statistics.median(runs[mode])
        met = not failed[mode] and value <= 0.5
        results.append(Result(name, round(value, 2), "s", target="≤ 0.5 s per host", met=met))
    total = RUNS * (len(_SSH_MODES) - 1 + POOL_HOSTS)
    lost = sum(len(reasons) for reasons in failed.values())
    results.append(
        Result(
            f"SSH collections that failed (of {total}: lost connection or a section in error)",
            lost,
            "runs",
            target="0",
            met=lost == 0,
        )
    )
    return results


def run() -> list[Result]:
    """Build the lab, run the three comparisons, and tear the lab down whatever happens."""
    _check_tools()
    from tests.inventory.lab import SERVER, Lab
    from tests.inventory.sshd import Sshd

    with tempfile.TemporaryDirectory(prefix="canh-bench-disc-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)  # services in the lab run from here
        lab = Lab(workdir / "lab")
        (workdir / "lab").mkdir()
        sshd: Sshd | None = None
        try:
            lab.build()
            lab.start_services()
            # The server's port 22 is a real sshd: the scans see it and the SSH run uses it.
            sshd = Sshd(
                workdir / "sshd",
                SERVER.ip,
                22,
                hostname=SERVER.hostname,
                wrap=lab.exec_argv(SERVER.role, []),
            )
            sshd.start()
            ssh_dir = workdir / "ssh-client"
            ssh_dir.mkdir(mode=0o700)
            return arp_sweep(lab) + syn_scan(lab) + ssh_collection(lab, sshd, ssh_dir)
        finally:
            if sshd is not None:
                sshd.stop()
            lab.close()


def main(argv: list[str]) -> None:
    """The SSH child's entry point: HOST PORT KEY_FILE WORKDIR."""
    host, port, key_file, workdir = argv
    ssh_child(host, int(port), key_file, workdir)
