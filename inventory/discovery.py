"""Discovery: ARP on the local segment, ICMP and TCP ping beyond it, SYN scan, SNMP, names.

The kernel's routing decides, per address, what is on a local segment and what is routed
(:mod:`inventory.routes`). Probes are built as bytes (:mod:`inventory.packets`) and go out on
raw sockets opened once per scan (:mod:`inventory.wire`), paced by one token bucket; layer-3
probes are routed by the kernel, which resolves each next hop once. A round ends when every
probe is answered, or ``timeout_seconds`` after its last packet. scapy is not on this path
(its import alone costs more than scanning a few hosts): only the OUI table (``scapy.data``,
loaded on a thread while the probes go out) and the parsing of SNMP answers use it. Only
addresses of the :class:`~inventory.targets.TargetSet` are probed; the machine's own addresses
are skipped (its agent reports it).
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from inventory import packets, probes, routes
from inventory.classify import guess_type
from inventory.model import Device, FoundBy, OpenPort, Proto, ScanResult
from inventory.rate import RateLimiter
from inventory.settings import ScanSettings
from inventory.targets import CURATED_PORTS, PortSpec, TargetSet
from inventory.wire import Outgoing, Wire

Progress = Callable[[str, int, int], None]
PING_PORTS = (80, 443, 22)
_SEQ_MASK = 0xFFFFFFFF


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


class _Vendors(threading.Thread):
    """The OUI table, loaded on a thread while the probes go out (its import is CPU work the
    paced sender, mostly asleep, leaves room for)."""

    def __init__(self) -> None:
        super().__init__(name="oui-table", daemon=True)
        self.table = probes.VendorTable(None)

    def run(self) -> None:
        self.table = probes.VendorTable.load()

    def result(self) -> probes.VendorTable:
        self.join()
        return self.table


class Scanner:
    """One scan: settings, the rate cap and the progress callback shared by every phase."""

    def __init__(self, settings: ScanSettings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_pps)
        self.progress = progress or (lambda _phase, _done, _total: None)
        self.seen: dict[str, _Seen] = {}
        self.notes: list[str] = []
        self.src: dict[str, str] = {}  # the source address the kernel uses towards each target
        self.sport = random.randint(40000, 59999)  # noqa: S311 - a source port, not a secret
        # One initial sequence number per scan: every answer must acknowledge it (RFC 9293).
        self.isn = random.getrandbits(32)
        self.wire: Wire = Wire(self.limiter, settings.timeout_seconds, self.progress)

    def rounds(
        self,
        phase: str,
        keys: Sequence[Any],
        build: Callable[[Any], Iterator[Outgoing]],
        readers: dict[socket.socket, Callable[[bytes, Any], Any]],
    ) -> None:
        self.wire.rounds(
            phase, keys, build, readers, self.settings.retries, self.settings.batch_size
        )

    def found(self, ip: str, how: FoundBy, mac: str | None = None) -> _Seen:
        seen = self.seen.get(ip)
        if seen is None:
            now = _now()
            seen = self.seen[ip] = _Seen(ip=ip, found_by=how, first=now, last=now, mac=mac)
        else:
            seen.touch()
            seen.mac = seen.mac or mac
        return seen

    def _acknowledges(self, tcp: packets.TcpAnswer) -> bool:
        return tcp.dport == self.sport and tcp.ack == (self.isn + 1) & _SEQ_MASK

    def _syn(self, ip: str, port: int) -> Outgoing:
        segment = packets.tcp_segment(self.src[ip], ip, self.sport, port, self.isn, packets.SYN)
        return self.wire.tcp(), segment, (ip, 0)

    # --- phases -----------------------------------------------------------------------------

    def plan(self, targets: TargetSet) -> tuple[dict[str, tuple[str, list[str]]], list[str]]:
        """Split targets into the local segment of each interface and routed addresses."""
        local: dict[str, tuple[str, list[str]]] = {}
        routed: list[str] = []
        mine: list[str] = []
        unroutable: list[str] = []
        for ip, route in routes.lookup(str(address) for address in targets).items():
            if route.kind == "self":
                mine.append(ip)
                continue
            if route.kind == "none" or route.iface is None:
                unroutable.append(ip)
                continue
            src = route.src or _source_address(ip)
            if src is None:
                unroutable.append(ip)
                continue
            self.src[ip] = src
            if route.kind == "link":
                local.setdefault(self.settings.iface or route.iface, (src, []))[1].append(ip)
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
        sock, mac = self.wire.arp(iface)
        wanted = set(ips)

        def build(ip: str) -> Iterator[Outgoing]:
            yield sock, packets.arp_request(mac, src, ip), None

        def read(frame: bytes, _source: Any) -> str | None:
            reply = packets.arp_reply(frame)
            if reply is None or reply[0] not in wanted:
                return None
            self.found(reply[0], "arp", reply[1])
            return reply[0]

        self.rounds("arp", ips, build, {sock: read})

    def ping_sweep(self, ips: list[str]) -> None:
        """ICMP echo and TCP SYN to 80, 443 and 22; any answer from the address itself counts."""
        ident = random.randint(1, 65535)  # noqa: S311
        icmp = self.wire.icmp()
        wanted = set(ips)

        def build(ip: str) -> Iterator[Outgoing]:
            yield icmp, packets.icmp_echo(ident, 1), (ip, 0)
            for port in PING_PORTS:
                yield self._syn(ip, port)

        def read_icmp(data: bytes, _source: Any) -> str | None:
            # An ICMP error from a router (host unreachable) is not the host: only echo replies.
            datagram = packets.ip_datagram(data)
            if datagram is None or datagram.src not in wanted:
                return None
            answer = packets.icmp_answer(datagram.payload)
            if answer is None or answer.type != packets.ICMP_ECHO_REPLY or answer.ident != ident:
                return None
            self.found(datagram.src, "icmp")
            return datagram.src

        def read_tcp(data: bytes, _source: Any) -> str | None:
            datagram = packets.ip_datagram(data)
            if datagram is None or datagram.src not in wanted:
                return None
            tcp = packets.tcp_answer(datagram.payload)
            if tcp is None or tcp.sport not in PING_PORTS or not self._acknowledges(tcp):
                return None
            self.found(datagram.src, "tcp")
            return datagram.src

        self.rounds("ping", ips, build, {icmp: read_icmp, self.wire.tcp(): read_tcp})

    def syn_scan(self, ports: Sequence[int]) -> None:
        """SYN to every port of every device found; SYN-ACK is open, RST closed, else filtered."""
        keys = [(ip, port) for ip in sorted(self.seen, key=_ip_key) for port in ports]
        wanted = set(keys)
        half_open: dict[tuple[str, int], Outgoing] = {}
        tcp_sock = self.wire.tcp()

        def build(key: tuple[str, int]) -> Iterator[Outgoing]:
            yield self._syn(*key)

        def read_tcp(data: bytes, _source: Any) -> tuple[str, int] | None:
            datagram = packets.ip_datagram(data)
            tcp = packets.tcp_answer(datagram.payload) if datagram is not None else None
            if datagram is None or tcp is None or not self._acknowledges(tcp):
                return None
            key = (datagram.src, tcp.sport)
            if key not in wanted:
                return None
            if tcp.flags & (packets.SYN | packets.ACK) == packets.SYN | packets.ACK:
                self.seen[key[0]].ports[("tcp", key[1])] = None
                rst = packets.tcp_segment(
                    self.src[key[0]], key[0], self.sport, key[1], tcp.ack, packets.RST
                )
                half_open[key] = (tcp_sock, rst, (key[0], 0))
            elif not tcp.flags & packets.RST:
                return None
            return key

        def read_icmp(data: bytes, _source: Any) -> tuple[str, int] | None:
            # Unreachable from the host itself: filtered, settled (a router's says nothing).
            datagram = packets.ip_datagram(data)
            answer = packets.icmp_answer(datagram.payload) if datagram is not None else None
            if datagram is None or answer is None or answer.quoted_proto != socket.IPPROTO_TCP:
                return None
            key = (answer.quoted_dst or "", answer.quoted_dport or 0)
            if answer.quoted_sport != self.sport or key not in wanted or datagram.src != key[0]:
                return None
            return key

        self.rounds("syn", keys, build, {tcp_sock: read_tcp, self.wire.icmp(): read_icmp})
        self.reset(list(half_open.values()))

    def reset(self, outgoing: list[Outgoing]) -> None:
        """RST each half-open connection (the kernel usually does too; firewalls may eat it)."""
        if outgoing:
            self.wire.send(outgoing)

    def snmp_probe(self) -> None:
        """SNMP v2c and v1 GetRequest for sysDescr with community "public" to each device."""
        udp = self.wire.udp()
        udp_port = udp.getsockname()[1]
        wanted = set(self.seen)

        def build(ip: str) -> Iterator[Outgoing]:
            for version in (1, 0):  # v2c, then v1 for old printers
                request_id = random.randint(1, 2**31 - 1)  # noqa: S311
                request = probes.snmp_get_request(version, probes.SNMP_COMMUNITY, request_id)
                yield udp, request, (ip, 161)

        def read_udp(data: bytes, source: tuple[str, int]) -> str | None:
            ip, port = source
            if port != 161 or ip not in wanted:
                return None
            descr = probes.parse_snmp_response(data)
            if descr is None:
                return None
            seen = self.seen[ip]
            seen.snmp, seen.snmp_sysdescr = True, descr
            seen.ports[("udp", 161)] = descr
            return ip

        def read_icmp(data: bytes, _source: Any) -> str | None:
            # Port unreachable from the host itself: settled, no SNMP.
            datagram = packets.ip_datagram(data)
            answer = packets.icmp_answer(datagram.payload) if datagram is not None else None
            if datagram is None or answer is None or answer.quoted_proto != socket.IPPROTO_UDP:
                return None
            if answer.quoted_sport != udp_port or answer.quoted_dport != 161:
                return None
            ip = datagram.src
            return ip if ip == answer.quoted_dst and ip in wanted else None

        self.rounds(
            "snmp",
            sorted(self.seen, key=_ip_key),
            build,
            {udp: read_udp, self.wire.icmp(): read_icmp},
        )

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
        local, routed = self.plan(targets)
        vendors = _Vendors()
        if local:
            vendors.start()
        with self.wire:
            for iface, (src, ips) in sorted(local.items()):
                self.arp_sweep(iface, src, ips)
            if routed:
                self.ping_sweep(routed)
            tcp_ports = sorted(p.port for p in ports if p.proto == "tcp")
            if self.seen and tcp_ports:
                self.syn_scan(tcp_ports)
            if self.seen and PortSpec("udp", 161) in ports:
                self.snmp_probe()
        self.notes.extend(self.wire.notes)
        if self.seen and self.settings.banner:
            self.grab_banners()
        if self.seen and self.settings.reverse_dns:
            self.reverse_names()
        table = vendors.result() if local else vendors.table
        if any(seen.mac for seen in self.seen.values()) and table.db is None:
            self.notes.append("vendors unknown: the OUI table needs scapy (canh[inventory])")
        devices = [self.device(seen, table) for seen in self.seen.values()]
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


def _source_address(ip: str) -> str | None:
    """The address the kernel would send from (a connected UDP socket sends nothing)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((ip, 9))
            address: str = probe.getsockname()[0]
    except OSError:
        return None
    return address


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
