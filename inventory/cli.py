"""``canh scan`` and ``canh ssh-collect``: thin wrappers, wired into the ``canh`` command.

canh/cli.py adds them with ``add_scan_parser(sub)`` and ``add_ssh_parser(sub)`` (each sets its
own ``handler``), in place of the two "not yet available" placeholders. The arguments::

    canh scan TARGET... [--declared CIDR...] [--ports LIST] [--rate PPS] [--json] [--banner]
              [--max-addresses N] [--timeout SECONDS] [--iface IFACE] [--no-dns]
        TARGET          IPv4 address, CIDR (198.18.0.0/24) or range (198.18.0.10-20); no default
        --declared      the unit's subnets; every TARGET must lie inside them
        --ports         e.g. "22,80,443,161/udp" (default: the curated list)
        --rate          packets per second, all phases together (default 1000, at most 10000)
        --json          print the devices as JSON on stdout; the progress bar is on stderr

    canh ssh-collect HOST... [--known-hosts FILE] [--accept-new] [--credentials FILE]
                     [--dry-run] [--data-dir DIR] [--enroll BUNDLE] [--parallel N]
        HOST            [user@]host[:port]
        --known-hosts   pinned host keys (default DATA_DIR/known_hosts); unknown keys refused
        --accept-new    pin the key of a host seen for the first time; a changed key is still
                        refused
        --credentials   TOML file, mode 0600 (default /etc/canh/inventory/credentials.toml)
        --dry-run       print each host's report as JSON; enroll nothing, send nothing
        --enroll        token bundle (text or @file) used to enroll hosts not enrolled yet

Only this module turns inventory's errors into messages and exit codes: 0 when everything
worked, 1 when something failed (each failure on its own stderr line), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import msgspec

from inventory.errors import InventoryError
from inventory.rate import MAX_RATE
from inventory.settings import ScanSettings, SshSettings
from inventory.targets import CURATED, DEFAULT_MAX_ADDRESSES

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
DEFAULT_CREDENTIALS = Path("/etc/canh/inventory/credentials.toml")
if TYPE_CHECKING:
    from canh.contract import Bundle
    from inventory.ssh import Outcome, SshContext

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _fail(message: str) -> int:
    print(f"canh: {message}", file=sys.stderr)
    return EXIT_ERROR


# --- scan ---------------------------------------------------------------------------------------


class ProgressBar:
    """One line on stderr redrawn in place on a terminal; a line per finished phase otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        if self.tty:
            now = time.monotonic()
            if done != total and now - self.last < 0.1:
                return
            self.last = now
            filled = self.width * done // total if total else self.width
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{phase:<7}[{bar}] {done}/{total} {elapsed:5.1f}s\033[K")
            if done == total:
                self.stream.write("\n")
        elif done == total:
            self.stream.write(f"{phase}: {total} done at {elapsed:.1f}s\n")
        self.stream.flush()


def scan_command(args: argparse.Namespace) -> int:
    """Run ``canh scan``."""
    from inventory.discovery import scan
    from inventory.targets import parse_ports, parse_targets

    try:
        settings = ScanSettings(
            rate_pps=args.rate,
            max_addresses=args.max_addresses,
            timeout_seconds=args.timeout,
            banner=args.banner,
            reverse_dns=not args.no_dns,
            iface=args.iface,
        )
        ports = parse_ports(args.ports)
        targets = parse_targets(args.targets, args.declared, settings.max_addresses)
        result = scan(targets, settings, ports, ProgressBar())
    except InventoryError as err:
        return _fail(str(err))
    except msgspec.ValidationError as err:
        return _fail(f"invalid option: {err}")
    for note in result.notes:
        print(f"canh: {note}", file=sys.stderr)
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(result.devices)).decode() + "\n")
        return EXIT_OK
    seconds = (result.finished_at - result.started_at).total_seconds()
    print(
        f"{len(result.devices)} devices answered among {result.addresses} addresses "
        f"({result.packets} packets, {seconds:.1f} s)"
    )
    for d in result.devices:
        ports_text = ",".join(
            f"{p.port}" if p.proto == "tcp" else f"{p.port}/{p.proto}" for p in d.open_ports
        )
        print(
            f"{d.ip:<15} {d.mac or '-':<17} {d.type_guess:<14} {(d.vendor or '-')[:24]:<24} "
            f"{d.hostname or '-'}  {ports_text or '-'}"
            + ("  SNMP public!" if d.snmp_public else "")
        )
    return EXIT_OK


def _positive_rate(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"rate must be in (0, {MAX_RATE:g}]")
    return value


def _parser(
    sub: Subparsers, name: str, help_: str, examples: Sequence[str]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_,
        description=help_,
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def add_scan_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add ``canh scan`` to the ``canh`` command."""
    p = _parser(
        sub,
        "scan",
        "discover devices on declared subnets (ARP, ping, SYN scan, SNMP); needs root",
        [
            "canh scan 192.0.2.0/24 --declared 192.0.2.0/24 198.51.100.0/24",
            "canh scan 198.51.100.10-60 --ports 22,80,443,161/udp --rate 200",
            "canh scan 192.0.2.0/24 --json --banner > devices.json",
        ],
    )
    p.add_argument("targets", nargs="+", metavar="TARGET", help="address, CIDR or range")
    p.add_argument(
        "--declared",
        nargs="+",
        action="extend",
        metavar="CIDR",
        help="the unit's declared subnets; targets outside them are refused",
    )
    p.add_argument("--ports", default=CURATED, help="ports to probe (default: the curated list)")
    p.add_argument(
        "--rate", type=_positive_rate, default=1000.0, help="packets per second (default 1000)"
    )
    p.add_argument(
        "--max-addresses",
        type=int,
        default=DEFAULT_MAX_ADDRESSES,
        help=f"refuse scans larger than this (default {DEFAULT_MAX_ADDRESSES}, a /16)",
    )
    p.add_argument("--timeout", type=float, default=0.5, help="seconds to wait for answers")
    p.add_argument("--iface", help="interface of the local segment (default: by route)")
    p.add_argument("--banner", action="store_true", help="read the banner of open TCP ports")
    p.add_argument("--no-dns", action="store_true", help="skip reverse DNS")
    p.add_argument("--json", action="store_true", help="print the devices as JSON")
    p.set_defaults(handler=scan_command)
    return p


# --- ssh-collect --------------------------------------------------------------------------------


def _ssh_setup(args: argparse.Namespace, data_dir: Path) -> tuple[SshContext, Bundle | None]:
    """Credentials, known hosts and the enrollment bundle; raises InventoryError or ValueError."""
    from canh.contract import load_bundle
    from inventory.credentials import load_credentials
    from inventory.hostkeys import KnownHosts
    from inventory.ssh import SshContext

    settings = SshSettings(accept_new=args.accept_new, parallel=args.parallel)
    context = SshContext(
        credentials=load_credentials(args.credentials),
        known_hosts=KnownHosts(args.known_hosts or data_dir / "known_hosts", args.accept_new),
        settings=settings,
    )
    bundle = None
    if args.enroll and not args.dry_run:
        text = args.enroll
        if text.startswith("@"):
            try:
                text = Path(text[1:]).read_text(encoding="utf-8")
            except OSError as err:
                raise ValueError(f"cannot read {text[1:]}: {err.strerror}") from err
        bundle = load_bundle(text)
    return context, bundle


def ssh_collect_command(args: argparse.Namespace) -> int:
    """Run ``canh ssh-collect``."""
    from canh.contract import encode
    from inventory.agentless import DEFAULT_DATA_DIR, collect_and_send
    from inventory.credentials import parse_host_spec
    from inventory.ssh import run_pool

    data_dir: Path = args.data_dir or DEFAULT_DATA_DIR
    try:
        specs = [parse_host_spec(text) for text in args.hosts]
        context, bundle = _ssh_setup(args, data_dir)
    except (InventoryError, ValueError) as err:  # BundleInvalid and msgspec's are ValueErrors
        return _fail(str(err))
    parallel = context.settings.parallel
    if args.dry_run:
        outcomes = run_pool(specs, context.collect, parallel)
        for outcome in outcomes:
            if outcome.value is not None:
                report = json.loads(encode(outcome.value))
                sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        outcomes = run_pool(
            specs, lambda spec: collect_and_send(context, spec, data_dir, bundle), parallel
        )
        for outcome in outcomes:
            if outcome.value is not None:
                sent = outcome.value
                print(
                    f"{outcome.spec}: report {sent.seq} as {sent.agent_id}, sent {sent.sent}, "
                    f"waiting {sent.pending} ({outcome.seconds:.2f} s)"
                    + (f", collector: {sent.error}" if sent.error else "")
                )
    return EXIT_ERROR if _failures(outcomes) else EXIT_OK


def _failures(outcomes: list[Outcome]) -> int:
    """Print each host's error on stderr; count hosts that failed or could not send."""
    failed = 0
    for outcome in outcomes:
        if outcome.error is not None:
            print(f"canh: {outcome.error}", file=sys.stderr)
            failed += 1
        elif getattr(outcome.value, "error", None):
            failed += 1
    return failed


def add_ssh_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add ``canh ssh-collect`` to the ``canh`` command."""
    p = _parser(
        sub,
        "ssh-collect",
        "collect the agent's Linux facts from hosts over SSH, no agent installed",
        [
            "canh ssh-collect srv-his.bvt.example --dry-run --accept-new",
            "canh ssh-collect audit@192.0.2.5 192.0.2.6:2222 --enroll @bundle.txt",
            "canh ssh-collect srv1 srv2 --credentials /etc/canh/inventory/credentials.toml",
        ],
    )
    p.add_argument("hosts", nargs="+", metavar="HOST", help="[user@]host[:port]")
    p.add_argument(
        "--known-hosts", type=Path, help="known_hosts file (default DATA_DIR/known_hosts)"
    )
    p.add_argument(
        "--accept-new",
        action="store_true",
        help="pin the host key of hosts seen for the first time (changed keys are still refused)",
    )
    p.add_argument(
        "--credentials",
        type=Path,
        default=DEFAULT_CREDENTIALS,
        help=f"credentials file, mode 0600 (default {DEFAULT_CREDENTIALS})",
    )
    p.add_argument("--dry-run", action="store_true", help="print the reports as JSON; send nothing")
    p.add_argument(
        "--data-dir",
        type=Path,
        help="identities, spools and known_hosts of agentless hosts "
        "(default /var/lib/canh-inventory)",
    )
    p.add_argument("--enroll", metavar="BUNDLE", help="token bundle (text or @file) for new hosts")
    p.add_argument("--parallel", type=int, default=8, help="hosts collected at once (default 8)")
    p.set_defaults(handler=ssh_collect_command)
    return p
