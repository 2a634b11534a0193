"""N-class evidence: what the collector saw over the network, and the registry of ``scan.*`` checks.

Host checks read one host's facts; ``scan.*`` checks read one :class:`NetworkObservation` per unit,
which the collector assembles from discovery (inventory/), its external and internal probes,
syslog receipt, DNS look-ups and imported vulnerability scans, plus what the unit declared (public
IPs and their services, device management addresses, web applications, mail domains). Each list
is ``None`` when it was never gathered or declared, so a check can say *unknown* and why.
The structs are plain msgspec structs so the collector can store an observation as JSON.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from checks.model import Evidence, Finding, Severity, Text2, Thresholds
from checks.thresholds import ThresholdError

Short = Annotated[str, msgspec.Meta(max_length=256)]
When = Annotated[datetime, msgspec.Meta(tz=True)]
Proto = Literal["tcp", "udp"]


class ProbedPort(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A port that answered, with the banner if one was read."""

    proto: Proto
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)]
    banner: Short | None = None


class HttpProbe(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A plain-HTTP request to a device's management port."""

    port: Annotated[int, msgspec.Meta(ge=1, le=65535)]
    status: int | None = None
    location: Short | None = None
    login_form: bool | None = None


class TlsProbe(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One TLS endpoint: which protocol versions the handshake accepted, and its certificate."""

    endpoint: Short  # host:port or URL
    accepted: list[Short] | None = None  # of "ssl3", "1.0", "1.1", "1.2", "1.3"
    cert_not_before: When | None = None
    cert_not_after: When | None = None
    chain_valid: bool | None = None
    name_match: bool | None = None


class ObservedDevice(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A device or server seen by a scan (inventory's Device maps onto it field by field)."""

    ip: Short
    mac: Short | None = None
    vendor: Short | None = None
    hostname: Short | None = None
    open_ports: list[ProbedPort] = []
    telnet_negotiated: bool | None = None  # IAC bytes seen on tcp/23
    snmp_communities: list[Short] | None = None  # communities that answered; None: not probed
    http: list[HttpProbe] = []
    tls: list[TlsProbe] = []


class InternalProbe(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A connection attempt from a user-LAN vantage point to a server or management address."""

    vantage: Short
    target: Short
    proto: Proto = "tcp"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)]
    state: Literal["open", "closed", "filtered"]
    allowed: bool = False  # the unit declared this source/destination pair as allowed


class SyslogSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Syslog receipt from one declared network or security device."""

    device: Short
    last_received_at: When | None = None
    messages: int = 0


class WebApp(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A declared web application and what the collector saw of it."""

    url: Short
    http_status: int | None = None  # answer to http://; None: port 80 closed or not probed
    http_location: Short | None = None
    http_closed: bool | None = None
    login_url_scheme: Literal["http", "https"] | None = None  # final scheme of the login URL
    password_form_on_http: bool | None = None
    headers: dict[Short, Short] = {}
    tls: TlsProbe | None = None
    waf_detected: bool | None = None


class MailDomain(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """DNS answers for a declared mail domain (None: the look-up was not done)."""

    domain: Short
    mx: list[Short] | None = None
    spf: Short | None = None  # the v=spf1 TXT record, "" when none exists
    dkim: dict[Short, bool] | None = None  # declared selector -> record found
    dmarc: Short | None = None


class VulnScan(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The newest completed vulnerability scan of the declared scope."""

    completed_at: When
    scope: list[Short] = []
    findings_by_severity: dict[Short, int] = {}


class NetworkObservation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Everything the ``scan.*`` checks read for one unit, as of ``observed_at``."""

    observed_at: When
    # External scan of the unit's declared public addresses.
    public_ips: list[Short] | None = None
    declared_services: dict[Short, list[Short]] = {}  # public IP -> ["tcp/443", ...]
    external: list[ObservedDevice] | None = None
    # Internal scans: servers and network/security devices.
    management_ips: list[Short] | None = None  # declared device management addresses
    devices: list[ObservedDevice] | None = None
    # Unknown-device sweep (ARP/ping or imported DHCP leases).
    sweep_at: When | None = None
    managed_macs: list[Short] = []  # hosts enrolled with an agent or SSH
    managed_ips: list[Short] = []
    declared_macs: list[Short] = []  # printers, cameras, devices the unit declared
    declared_ips: list[Short] = []
    internal_probes: list[InternalProbe] | None = None
    syslog_devices: list[Short] | None = None  # declared firewalls, IPS, switches
    syslog: list[SyslogSource] = []
    web_apps: list[WebApp] | None = None
    mail_domains: list[MailDomain] | None = None
    vuln_scan: VulnScan | None = None


def _norm_mac(mac: str) -> str:
    return mac.strip().lower().replace("-", ":")


def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def unmanaged(obs: NetworkObservation) -> list[ObservedDevice]:
    """Devices of the sweep that are neither an enrolled host nor a declared device (by MAC,
    else by IP)."""
    macs = {_norm_mac(m) for m in (*obs.managed_macs, *obs.declared_macs)}
    ips = (*obs.managed_ips, *obs.declared_ips)
    return [
        d
        for d in obs.devices or []
        if not (d.mac and _norm_mac(d.mac) in macs) and not any(_same_ip(d.ip, i) for i in ips)
    ]


def collector_evidence(fact: str, value: object) -> Evidence:
    """Evidence the collector saw (``network.<fact>``), as opposed to what an agent reported."""
    return Evidence(fact=f"network.{fact}", value=value, source="collector")


def open_ports(device: ObservedDevice) -> set[tuple[str, int]]:
    """The (proto, port) pairs that answered on a device."""
    return {(p.proto, p.port) for p in device.open_ports}


NetworkCheckFn = Callable[[NetworkObservation, Thresholds], Finding]


@dataclass(frozen=True, slots=True)
class NetworkCheckSpec:
    """A ``scan.*`` check: same metadata as :class:`checks.model.CheckSpec`, over an observation."""

    id: str
    severity: Severity
    title: Text2
    rationale: Text2
    remediation: Text2
    sections: tuple[str, ...]  # the observation fields it reads
    os_families: tuple[str, ...]
    thresholds: tuple[str, ...]
    fn: NetworkCheckFn = field(repr=False)
    supporting: bool = False
    evidence_class: Literal["A", "N"] = "N"

    def run(self, obs: NetworkObservation, thresholds: Thresholds) -> Finding:
        """Evaluate; a missing threshold is *unknown* naming the key."""
        try:
            return self.fn(obs, thresholds)
        except ThresholdError as err:
            return Finding(check_id=self.id, status="unknown", reason=f"{err}: fix the pack")


NETWORK_CHECKS: dict[str, NetworkCheckSpec] = {}


def network_check(
    id: str,  # noqa: A002 - the natural name in a declarative decorator
    *,
    severity: Severity,
    title: tuple[str, str],
    rationale: tuple[str, str],
    remediation: tuple[str, str],
    reads: tuple[str, ...],
    thresholds: tuple[str, ...] = (),
    supporting: bool = False,
) -> Callable[[NetworkCheckFn], NetworkCheckFn]:
    """Register a ``scan.*`` check; texts are (Vietnamese, English) pairs."""

    def register(fn: NetworkCheckFn) -> NetworkCheckFn:
        if id in NETWORK_CHECKS:
            raise ValueError(f"network check {id!r} registered twice")
        NETWORK_CHECKS[id] = NetworkCheckSpec(
            id=id,
            severity=severity,
            title=Text2(*title),
            rationale=Text2(*rationale),
            remediation=Text2(*remediation),
            sections=reads,
            os_families=("network",),
            thresholds=thresholds,
            fn=fn,
            supporting=supporting,
        )
        return fn

    return register


def run_network_checks(
    obs: NetworkObservation, check_ids: Iterable[str], thresholds: Thresholds
) -> dict[str, Finding]:
    """Run the named ``scan.*`` checks over one observation (unknown ids: *unknown*)."""
    out: dict[str, Finding] = {}
    for check_id in check_ids:
        spec = NETWORK_CHECKS.get(check_id)
        out[check_id] = (
            spec.run(obs, thresholds)
            if spec is not None
            else Finding(check_id=check_id, status="unknown", reason="check not available")
        )
    return out
