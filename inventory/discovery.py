"""Discovery: ARP on the local segment, ICMP and TCP ping beyond it, SYN scan, SNMP, names.

scapy is imported inside :func:`scan` (it reads routes and opens sockets on import). Every probe
goes out in batches, one ``sndrcv`` call per batch of up to ``batch_size`` addresses, paced by
one token bucket; nothing is ever sent one ``sr1`` per address. Layer-3 probes go through a raw
IP socket, so the kernel routes them and resolves next hops (scapy's own L3 socket would ARP
for each destination in turn). Only addresses of the :class:`~inventory.targets.TargetSet` are
probed; the machine's own addresses are skipped (its agent reports it).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from inventory import probes
from inventory.classify import guess_type
from inventory.errors import ScanError
from inventory.model import Device, FoundBy, OpenPort, Proto, ScanResult
from inventory.rate import RateLimiter
from inventory.settings import ScanSettings
from inventory.targets import CURATED_PORTS, PortSpec, TargetSet

Progress = Callable[[str, int, int], None]
PING_PORTS = (80, 443, 22)
BROADCAST = "ff:ff:ff:ff:ff:ff"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Seen:
    """What the scan learned about one address so far."""

    ip: str
    found_by: FoundBy
    first: datetime
    last: datetime
    mac: str | None = None
    ports: dict[tuple[Proto, int], str | None] = field(default_factory=dict)
    snmp_sysdescr: str | None = None
    snmp: bool = False
    hostname: str | None = None

    def touch(self) -> None:
        self.last = _now()


def _load_scapy() -> Any:
    """scapy's pieces, imported on first use; ScanError when scapy is missing.

    scapy is untyped, so everything past this point is ``Any``.
    """
    try:
        from scapy.arch import get_if_hwaddr
        from scapy.asn1.asn1 import ASN1_OID
        from scapy.config import conf
        from scapy.interfaces import resolve_iface
        from scapy.layers.inet import ICMP, IP, TCP, UDP
        from scapy.layers.l2 import ARP, Ether
        from scapy.layers.snmp import SNMP, SNMPget, SNMPvarbind
        from scapy.sendrecv import sndrcv
        from scapy.supersocket import L3RawSocket
    except ImportError as err:
        raise ScanError("scapy is not installed: pip install 'canh[inventory]'") from err
    conf.verb = 0
    return SimpleNamespace(
        conf=conf,
        get_if_hwaddr=get_if_hwaddr,
        resolve_iface=resolve_iface,
        sndrcv=sndrcv,
        L3RawSocket=L3RawSocket,
        Ether=Ether,
        ARP=ARP,
        IP=IP,
        ICMP=ICMP,
        TCP=TCP,
        UDP=UDP,
        SNMP=SNMP,
        SNMPget=SNMPget,
        SNMPvarbind=SNMPvarbind,
        ASN1_OID=ASN1_OID,
    )


class _SendGuard:
    """The sending half handed to scapy: a failed send is counted instead of ending the batch.

    scapy sends from a thread of its own and only logs what that thread raises; this keeps the
    error so the scan can report it.
    """

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.failed = 0
        self.error: OSError | None = None

    def send(self, packet: Any) -> int:
        try:
            sent: int = self.sock.send(packet)
        except OSError as err:
            self.failed += 1
            self.error = self.error or err
            return 0
        return sent


class Scanner:
    """One scan: settings, the rate cap and the progress callback shared by every phase."""

    def __init__(self, settings: ScanSettings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_pps)
        self.progress = progress or (lambda _phase, _done, _total: None)
        self.net: Any = None
        self.seen: dict[str, _Seen] = {}
        self.notes: list[str] = []
        self.sport = random.randint(40000, 59999)  # noqa: S311 - a source port, not a secret

    # --- plumbing ---------------------------------------------------------------------------

    def _socket(self, factory: Callable[[], Any]) -> Any:
        try:
            return factory()
        except PermissionError as err:
            raise ScanError("raw sockets need root or CAP_NET_RAW (run the scan as root)") from err
        except OSError as err:
            raise ScanError(f"cannot open a raw socket: {err.strerror or err}") from err

    def exchange(
        self, phase: str, layer: int, packets: Sequence[Any], iface: str | None = None
    ) -> list[tuple[Any, Any]]:
        """Send ``packets`` in one paced batch and return (sent, answer) pairs."""
        net = self.net
        if layer == 2:
            sock = self._socket(lambda: net.resolve_iface(iface).l2socket()(iface=iface))
        else:
            sock = self._socket(net.L3RawSocket)
        guard = _SendGuard(sock)
        done = 0
        total = len(packets)

        def tick() -> None:
            nonlocal done
            done += 1
            if done % 64 == 0 or done == total:
                self.progress(phase, done, total)

        try:
            self.progress(phase, 0, total)
            answered, _unanswered = net.sndrcv(
                guard,
                self.limiter.paced(packets, tick),
                rcv_pks=sock,
                timeout=self.settings.timeout_seconds,
                verbose=0,
                threaded=True,
            )
        except OSError as err:
            raise ScanError(f"{phase}: {err.strerror or err}") from err
        finally:
            sock.close()
        if guard.error is not None:
            reason = guard.error.strerror or str(guard.error)
            if guard.failed == total:
                raise ScanError(f"{phase}: every send failed: {reason}")
            self.notes.append(f"{phase}: {guard.failed} of {total} packets not sent ({reason})")
        return [(pair[0], pair[1]) for pair in answered]

    def rounds(
        self,
        phase: str,
        layer: int,
        keys: Sequence[Any],
        build: Callable[[Any], Iterable[Any]],
        handle: Callable[[Any, Any, Any], bool],
        iface: str | None = None,
    ) -> None:
        """Probe every key (in batches), then retry the unanswered ones ``retries`` times.

        ``build(key)`` makes the key's packets; ``handle(key, sent, answer)`` returns True when
        the answer settles the key.
        """
        for start in range(0, len(keys), self.settings.batch_size):
            pending = list(keys[start : start + self.settings.batch_size])
            for _round in range(1 + self.settings.retries):
                packets: list[Any] = []
                owner: list[Any] = []
                for key in pending:
                    for packet in build(key):
                        packets.append(packet)
                        owner.append(key)
                by_id = {id(p): k for p, k in zip(packets, owner, strict=True)}
                settled: set[Any] = set()
                for sent, answer in self.exchange(phase, layer, packets, iface):
                    key = by_id.get(id(sent))
                    if key is not None and handle(key, sent, answer):
                        settled.add(key)
                pending = [k for k in pending if k not in settled]
                if not pending:
                    break

    def found(self, ip: str, how: FoundBy, mac: str | None = None) -> _Seen:
        seen = self.seen.get(ip)
        if seen is None:
            now = _now()
            seen = self.seen[ip] = _Seen(ip=ip, found_by=how, first=now, last=now, mac=mac)
        else:
            seen.touch()
            seen.mac = seen.mac or mac
        return seen

    # --- phases -----------------------------------------------------------------------------

    def plan(self, targets: TargetSet) -> tuple[dict[str, tuple[str, list[str]]], list[str]]:
        """Split targets into the local segment of each interface and routed addresses."""
        route = self.net.conf.route
        own = {entry[4] for entry in route.routes}
        local: dict[str, tuple[str, list[str]]] = {}
        routed: list[str] = []
        mine: list[str] = []
        unroutable: list[str] = []
        for address in targets:
            ip = str(address)
            if ip in own:
                mine.append(ip)
                continue
            iface, src, gateway = route.route(ip, verbose=0)
            if src == "0.0.0.0":  # noqa: S104 - scapy's "no route"
                unroutable.append(ip)
                continue
            iface = self.settings.iface or iface
            if gateway == "0.0.0.0" and iface != self.net.conf.loopback_name:  # noqa: S104
                local.setdefault(iface, (src, []))[1].append(ip)
            else:
                routed.append(ip)
        if mine:
            self.notes.append(
                f"not probed, addresses of this machine (its agent reports it): {_few(mine)}"
            )
        if unroutable:
            self.notes.append(f"not probed, no route to {len(unroutable)}: {_few(unroutable)}")
        return local, routed

    def arp_sweep(self, iface: str, src: str, ips: list[str]) -> None:
        """Who-has for every address of the segment, in one batch per ``batch_size``."""
        net = self.net
        try:
            mac = net.get_if_hwaddr(iface)
        except (OSError, ValueError) as err:
            raise ScanError(f"interface {iface!r} is not usable: {err}") from err

        def build(ip: str) -> Iterator[Any]:
            yield net.Ether(dst=BROADCAST, src=mac) / net.ARP(op=1, hwsrc=mac, psrc=src, pdst=ip)

        def handle(ip: str, _sent: Any, answer: Any) -> bool:
            arp = answer.getlayer(net.ARP)
            if arp is None or arp.op != 2 or arp.psrc != ip:
                return False
            self.found(ip, "arp", str(arp.hwsrc).lower())
            return True

        self.rounds("arp", 2, ips, build, handle, iface)

    def ping_sweep(self, ips: list[str]) -> None:
        """ICMP echo and TCP SYN to 80, 443 and 22; any answer from the address itself counts."""
        net = self.net
        ident = random.randint(1, 65535)  # noqa: S311

        def build(ip: str) -> Iterator[Any]:
            yield net.IP(dst=ip) / net.ICMP(id=ident)
            for port in PING_PORTS:
                yield net.IP(dst=ip) / net.TCP(sport=self.sport, dport=port, flags="S")

        def handle(ip: str, _sent: Any, answer: Any) -> bool:
            # An ICMP error from a router (host unreachable) matches too: it is not the host.
            if answer[net.IP].src != ip:
                return False
            icmp = answer.getlayer(net.ICMP)
            if icmp is not None and icmp.type != 0:
                return False
            self.found(ip, "icmp" if icmp is not None else "tcp")
            return True

        self.rounds("ping", 3, ips, build, handle)

    def syn_scan(self, ports: Sequence[int]) -> None:
        """SYN to every port of every device found; SYN-ACK is open, RST closed, else filtered."""
        net = self.net
        keys = [(ip, port) for ip in sorted(self.seen, key=_ip_key) for port in ports]
        half_open: list[Any] = []

        def build(key: tuple[str, int]) -> Iterator[Any]:
            yield net.IP(dst=key[0]) / net.TCP(
                sport=self.sport, dport=key[1], flags="S", seq=random.getrandbits(32)
            )

        def handle(key: tuple[str, int], _sent: Any, answer: Any) -> bool:
            tcp = answer.getlayer(net.TCP)
            if answer[net.IP].src != key[0]:
                return False
            if tcp is None:
                return True  # ICMP unreachable from the host: filtered, settled
            if int(tcp.flags) & 0x12 == 0x12:
                self.seen[key[0]].ports[("tcp", key[1])] = None
                half_open.append(
                    net.IP(dst=key[0])
                    / net.TCP(sport=self.sport, dport=key[1], flags="R", seq=int(tcp.ack))
                )
            return True

        self.rounds("syn", 3, keys, build, handle)
        self.reset(half_open)

    def reset(self, packets: list[Any]) -> None:
        """RST each half-open connection (the kernel usually does too; firewalls may eat it)."""
        if not packets:
            return
        sock = self._socket(self.net.L3RawSocket)
        guard = _SendGuard(sock)
        try:
            for packet in self.limiter.paced(packets):
                guard.send(packet)
        finally:
            sock.close()

    def snmp_probe(self) -> None:
        """SNMP v2c and v1 GetRequest for sysDescr with community "public" to each device."""
        net = self.net

        def build(ip: str) -> Iterator[Any]:
            for offset, version in enumerate((1, 0)):  # v2c, then v1 for old printers
                yield (
                    net.IP(dst=ip)
                    / net.UDP(sport=self.sport + offset, dport=161)
                    / net.SNMP(
                        version=version,
                        community=probes.SNMP_COMMUNITY,
                        PDU=net.SNMPget(
                            id=random.randint(1, 2**31 - 1),  # noqa: S311
                            varbindlist=[net.SNMPvarbind(oid=net.ASN1_OID(probes.SYSDESCR_OID))],
                        ),
                    )
                )

        def handle(ip: str, _sent: Any, answer: Any) -> bool:
            udp = answer.getlayer(net.UDP)
            if answer[net.IP].src != ip or udp is None:
                return bool(answer[net.IP].src == ip)  # port unreachable: settled, no SNMP
            descr = probes.parse_snmp_response(bytes(udp.payload))
            if descr is None:
                return False
            seen = self.seen[ip]
            seen.snmp, seen.snmp_sysdescr = True, descr
            seen.ports[("udp", 161)] = descr
            return True

        self.rounds("snmp", 3, sorted(self.seen, key=_ip_key), build, handle)

    def grab_banners(self) -> None:
        """Connect to each open TCP port and keep what it says first (bounded)."""
        jobs = [
            (ip, port)
            for ip, seen in self.seen.items()
            for (proto, port) in seen.ports
            if proto == "tcp" and port not in probes.TLS_PORTS
        ]

        def one(job: tuple[str, int]) -> None:
            self.limiter.take()
            banner = probes.grab_banner(
                job[0], job[1], self.settings.banner_timeout_seconds, self.settings.banner_bytes
            )
            self.seen[job[0]].ports[("tcp", job[1])] = banner

        _bounded_threads("banner", jobs, one, self.progress, self.settings.banner_timeout_seconds)

    def reverse_names(self) -> None:
        """PTR names (or hosts-file names) of each device, each lookup bounded in time."""

        def one(ip: str) -> None:
            self.limiter.take()
            self.seen[ip].hostname = probes.reverse_name(ip)

        _bounded_threads(
            "dns", list(self.seen), one, self.progress, self.settings.dns_timeout_seconds
        )

    # --- the whole scan ---------------------------------------------------------------------

    def run(self, targets: TargetSet, ports: Sequence[PortSpec] = CURATED_PORTS) -> ScanResult:
        started = _now()
        self.net = _load_scapy()
        local, routed = self.plan(targets)
        for iface, (src, ips) in sorted(local.items()):
            self.arp_sweep(iface, src, ips)
        if routed:
            self.ping_sweep(routed)
        tcp_ports = sorted(p.port for p in ports if p.proto == "tcp")
        if self.seen and tcp_ports:
            self.syn_scan(tcp_ports)
        if self.seen and PortSpec("udp", 161) in ports:
            self.snmp_probe()
        if self.seen and self.settings.banner:
            self.grab_banners()
        if self.seen and self.settings.reverse_dns:
            self.reverse_names()
        vendors = probes.VendorTable(self.net.conf)
        devices = [self.device(seen, vendors) for seen in self.seen.values()]
        devices.sort(key=lambda d: _ip_key(d.ip))
        return ScanResult(
            started_at=started,
            finished_at=_now(),
            targets=list(targets.entries),
            declared=[str(n) for n in targets.declared] if targets.declared is not None else None,
            addresses=len(targets),
            packets=self.limiter.granted,
            devices=devices,
            notes=self.notes,
        )

    @staticmethod
    def device(seen: _Seen, vendors: probes.VendorTable) -> Device:
        vendor = vendors.lookup(seen.mac) if seen.mac else None
        ports = [
            OpenPort(proto=proto, port=port, banner=banner)
            for (proto, port), banner in sorted(seen.ports.items(), key=lambda kv: kv[0][1])
        ]
        return Device(
            ip=seen.ip,
            mac=seen.mac,
            vendor=vendor,
            hostname=seen.hostname,
            found_by=seen.found_by,
            open_ports=ports,
            snmp_public=seen.snmp,
            snmp_sysdescr=seen.snmp_sysdescr,
            type_guess=guess_type(list(seen.ports), vendor),
            first_seen=seen.first,
            last_seen=seen.last,
        )


def _few(ips: Sequence[str], shown: int = 5) -> str:
    more = f" and {len(ips) - shown} more" if len(ips) > shown else ""
    return ", ".join(ips[:shown]) + more


def _ip_key(ip: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ip.split("."))


def _bounded_threads(
    phase: str,
    jobs: Sequence[Any],
    work: Callable[[Any], None],
    progress: Progress,
    timeout: float,
    width: int = 16,
) -> None:
    """Run ``work`` over ``jobs`` on at most ``width`` daemon threads, each given ``timeout``.

    Daemon threads: a lookup stuck in the C resolver cannot be cancelled, and must not keep the
    process alive or the scan waiting past its bound.
    """
    progress(phase, 0, len(jobs))
    for start in range(0, len(jobs), width):
        chunk = jobs[start : start + width]
        threads = [threading.Thread(target=work, args=(job,), daemon=True) for job in chunk]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 1.0)
        progress(phase, min(start + width, len(jobs)), len(jobs))


def scan(
    targets: TargetSet,
    settings: ScanSettings,
    ports: Sequence[PortSpec] = CURATED_PORTS,
    progress: Progress | None = None,
) -> ScanResult:
    """Discovery's composition root: probe ``targets`` and describe every device that answered."""
    return Scanner(settings, progress).run(targets, ports)
