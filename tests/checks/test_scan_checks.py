"""Table tests for the N-class ``scan.*`` checks over a unit's network observation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from checks.network import (
    NETWORK_CHECKS,
    HttpProbe,
    InternalProbe,
    MailDomain,
    NetworkObservation,
    ObservedDevice,
    ProbedPort,
    SyslogSource,
    TlsProbe,
    VulnScan,
    WebApp,
    run_network_checks,
)
from checks.registry import builtin_pack, load_builtin
from tests.checks.hosts import NOW, ago

load_builtin()
THRESHOLDS = builtin_pack("vn-2026").threshold_values()
STATUSES = ("pass", "fail", "unknown", "not_applicable")


def tls(endpoint: str, **fields: Any) -> TlsProbe:
    base: dict[str, Any] = {
        "accepted": ["1.2", "1.3"],
        "cert_not_before": ago(30),
        "cert_not_after": NOW + timedelta(days=200),
        "chain_valid": True,
        "name_match": True,
    }
    return TlsProbe(endpoint=endpoint, **{**base, **fields})


def good() -> NetworkObservation:
    """A unit whose network evidence passes every scan check (or is not applicable)."""
    return NetworkObservation(
        observed_at=NOW,
        public_ips=["203.0.113.10"],
        declared_services={"203.0.113.10": ["tcp/443"]},
        external=[
            ObservedDevice(ip="203.0.113.10", open_ports=[ProbedPort(proto="tcp", port=443)])
        ],
        management_ips=["10.4.0.1"],
        devices=[
            ObservedDevice(
                ip="10.4.0.1",
                mac="00:1A:2B:3C:4D:5E",
                vendor="Cisco",
                open_ports=[
                    ProbedPort(proto="tcp", port=22, banner="SSH-2.0-Cisco-1.25"),
                    ProbedPort(proto="tcp", port=443),
                ],
                snmp_communities=[],
                http=[HttpProbe(port=80, status=301, location="https://10.4.0.1/")],
                tls=[tls("10.4.0.1:443")],
            ),
            ObservedDevice(
                ip="10.2.0.10",
                mac="00:11:22:33:44:55",
                open_ports=[ProbedPort(proto="tcp", port=22, banner="SSH-2.0-OpenSSH_9.2p1")],
            ),
        ],
        sweep_at=ago(10),
        managed_macs=["00-11-22-33-44-55"],
        declared_macs=["00:1a:2b:3c:4d:5e"],
        internal_probes=[
            InternalProbe(vantage="10.1.3.20", target="10.2.0.10", port=3389, state="filtered"),
            InternalProbe(
                vantage="10.1.3.20", target="10.2.0.10", port=22, state="open", allowed=True
            ),
        ],
        syslog_devices=["10.4.0.1"],
        syslog=[SyslogSource(device="10.4.0.1", last_received_at=ago(seconds=120), messages=900)],
        web_apps=[
            WebApp(
                url="https://his.example.vn/",
                http_status=301,
                http_location="https://his.example.vn/",
                login_url_scheme="https",
                password_form_on_http=False,
                headers={"Server": "nginx"},
                tls=tls("his.example.vn:443"),
                waf_detected=True,
            )
        ],
        mail_domains=[
            MailDomain(
                domain="syt.example.vn",
                mx=["mx.syt.example.vn"],
                spf="v=spf1 mx -all",
                dkim={"s1": True},
                dmarc="v=DMARC1; p=quarantine",
            )
        ],
        vuln_scan=VulnScan(completed_at=ago(100), findings_by_severity={"high": 2}),
    )


def edit(**fields: Any) -> Callable[[NetworkObservation], NetworkObservation]:
    return lambda o: msgspec.structs.replace(o, **fields)


def web(**fields: Any) -> Callable[[NetworkObservation], NetworkObservation]:
    return lambda o: msgspec.structs.replace(
        o, web_apps=[msgspec.structs.replace((o.web_apps or [])[0], **fields)]
    )


def device(index: int, **fields: Any) -> Callable[[NetworkObservation], NetworkObservation]:
    def mutate(o: NetworkObservation) -> NetworkObservation:
        devices = list(o.devices or [])
        devices[index] = msgspec.structs.replace(devices[index], **fields)
        return msgspec.structs.replace(o, devices=devices)

    return mutate


@dataclasses.dataclass(frozen=True)
class Case:
    check: str
    expect: str
    mutate: Callable[[NetworkObservation], NetworkObservation] = lambda o: o
    thresholds: dict[str, Any] = dataclasses.field(default_factory=dict)
    why: str = ""


OPEN_RDP = [ObservedDevice(ip="203.0.113.10", open_ports=[ProbedPort(proto="tcp", port=3389)])]
TABLE = [
    Case("scan.remote_admin_exposed", "pass"),
    Case("scan.remote_admin_exposed", "fail", edit(external=OPEN_RDP)),
    Case("scan.remote_admin_exposed", "unknown", edit(external=None), why="no-scan"),
    Case("scan.remote_admin_exposed", "unknown", edit(public_ips=None), why="undeclared"),
    Case(
        "scan.remote_admin_exposed",
        "unknown",
        thresholds={"external_admin_ports": "tcp/x"},
        why="bad-pack",
    ),
    Case("scan.remote_admin_exposed", "not_applicable", edit(public_ips=[])),
    Case("scan.external_ports", "pass"),
    Case("scan.external_ports", "fail", edit(external=OPEN_RDP), why="forbidden"),
    Case(
        "scan.external_ports",
        "fail",
        edit(
            external=[
                ObservedDevice(ip="203.0.113.10", open_ports=[ProbedPort(proto="tcp", port=8443)])
            ]
        ),
        why="undeclared",
    ),
    Case("scan.external_ports", "unknown", edit(external=None)),
    Case(
        "scan.external_ports",
        "unknown",
        edit(declared_services={"203.0.113.10": ["https"]}),
        why="bad-declaration",
    ),
    Case("scan.external_ports", "not_applicable", edit(public_ips=[])),
    Case("scan.internal_admin_ports", "pass"),
    Case(
        "scan.internal_admin_ports",
        "fail",
        edit(
            internal_probes=[
                InternalProbe(vantage="10.1.3.20", target="10.2.0.10", port=3389, state="open")
            ]
        ),
    ),
    Case(
        "scan.internal_admin_ports",
        "pass",
        edit(
            internal_probes=[
                InternalProbe(vantage="10.1.3.20", target="10.2.0.10", port=8080, state="open")
            ]
        ),
        why="not-an-admin-port",
    ),
    Case("scan.internal_admin_ports", "unknown", edit(internal_probes=None)),
    Case("scan.syslog_receipt", "pass"),
    Case(
        "scan.syslog_receipt",
        "fail",
        edit(syslog=[SyslogSource(device="10.4.0.1", last_received_at=ago(3))]),
    ),
    Case("scan.syslog_receipt", "fail", edit(syslog=[]), why="never"),
    Case("scan.syslog_receipt", "unknown", edit(syslog_devices=None)),
    Case("scan.syslog_receipt", "not_applicable", edit(syslog_devices=[])),
    Case("scan.telnet_exposed", "pass"),
    Case(
        "scan.telnet_exposed",
        "fail",
        device(1, open_ports=[ProbedPort(proto="tcp", port=23)], telnet_negotiated=True),
    ),
    Case("scan.telnet_exposed", "unknown", edit(devices=None)),
    Case("scan.http_admin_plaintext", "pass"),
    Case(
        "scan.http_admin_plaintext",
        "fail",
        device(0, http=[HttpProbe(port=80, status=200, login_form=True)]),
    ),
    Case(
        "scan.http_admin_plaintext",
        "fail",
        device(0, http=[HttpProbe(port=8080, status=302, location="http://x/")]),
        why="redirect-to-http",
    ),
    Case("scan.http_admin_plaintext", "unknown", edit(management_ips=None)),
    Case("scan.http_admin_plaintext", "not_applicable", edit(management_ips=[])),
    Case("scan.snmp_default_community", "pass"),
    Case("scan.snmp_default_community", "fail", device(0, snmp_communities=["public"])),
    Case(
        "scan.snmp_default_community",
        "pass",
        device(0, snmp_communities=["s3cret"]),
        why="custom-community",
    ),
    Case("scan.snmp_default_community", "unknown", device(0, snmp_communities=None)),
    Case("scan.ssh_version", "pass"),
    Case(
        "scan.ssh_version",
        "fail",
        device(1, open_ports=[ProbedPort(proto="tcp", port=22, banner="SSH-1.5-OldOS")]),
    ),
    Case(
        "scan.ssh_version",
        "pass",
        device(1, open_ports=[ProbedPort(proto="tcp", port=22, banner="SSH-1.99-Cisco")]),
        why="1.99",
    ),
    Case("scan.ssh_version", "unknown", edit(devices=None)),
    Case("scan.ssh_version", "not_applicable", edit(devices=[ObservedDevice(ip="10.4.0.9")])),
    Case("scan.tls_version", "pass"),
    Case("scan.tls_version", "fail", web(tls=tls("his:443", accepted=["1.0", "1.2"]))),
    Case(
        "scan.tls_version",
        "pass",
        web(tls=tls("his:443", accepted=["1.0", "1.2"])),
        thresholds={"tls_min_version": "1.0"},
        why="pack-1.0",
    ),
    Case("scan.tls_version", "unknown", edit(web_apps=None, devices=None)),
    Case("scan.tls_version", "unknown", thresholds={"tls_min_version": "9.9"}, why="bad-pack"),
    Case("scan.tls_version", "not_applicable", edit(web_apps=[], devices=[])),
    Case("scan.tls_certificate", "pass"),
    Case(
        "scan.tls_certificate",
        "fail",
        web(tls=tls("his:443", cert_not_after=NOW + timedelta(days=10))),
    ),
    Case(
        "scan.tls_certificate", "fail", web(tls=tls("his:443", chain_valid=False)), why="untrusted"
    ),
    Case("scan.tls_certificate", "unknown", edit(web_apps=None, devices=None)),
    Case(
        "scan.tls_certificate",
        "unknown",
        edit(web_apps=[], devices=[ObservedDevice(ip="x", tls=[TlsProbe(endpoint="x:443")])]),
        why="no-cert",
    ),
    Case("scan.tls_certificate", "not_applicable", edit(web_apps=[], devices=[])),
    Case("scan.https_redirect", "pass"),
    Case(
        "scan.https_redirect", "pass", web(http_status=None, http_closed=True), why="port-80-closed"
    ),
    Case("scan.https_redirect", "fail", web(http_status=200, http_location=None)),
    Case("scan.https_redirect", "fail", web(login_url_scheme="http"), why="login"),
    Case("scan.https_redirect", "unknown", web(http_status=None, http_closed=None)),
    Case("scan.https_redirect", "unknown", edit(web_apps=None), why="undeclared"),
    Case("scan.https_redirect", "not_applicable", edit(web_apps=[])),
    Case("scan.server_banner", "pass"),
    Case(
        "scan.server_banner",
        "fail",
        web(headers={"Server": "Apache/2.4.29 (Ubuntu)", "X-Powered-By": "PHP/7.2.24"}),
    ),
    Case("scan.server_banner", "unknown", edit(web_apps=None)),
    Case("scan.server_banner", "not_applicable", edit(web_apps=[])),
    Case("scan.waf_fingerprint", "pass"),
    Case("scan.waf_fingerprint", "unknown", web(waf_detected=False)),
    Case("scan.waf_fingerprint", "not_applicable", edit(web_apps=[])),
    Case("scan.mail_dns", "pass"),
    Case(
        "scan.mail_dns",
        "fail",
        edit(mail_domains=[MailDomain(domain="d.vn", mx=["mx.d.vn"], spf="v=spf1 +all", dkim={})]),
    ),
    Case(
        "scan.mail_dns",
        "fail",
        edit(mail_domains=[MailDomain(domain="d.vn", mx=[], spf="", dkim={"s1": False})]),
        why="missing",
    ),
    Case(
        "scan.mail_dns",
        "unknown",
        edit(mail_domains=[MailDomain(domain="d.vn")]),
        why="not-looked-up",
    ),
    Case("scan.mail_dns", "unknown", edit(mail_domains=None)),
    Case("scan.mail_dns", "not_applicable", edit(mail_domains=[])),
    Case("scan.unmanaged_devices", "pass"),
    Case("scan.unmanaged_devices", "fail", edit(sweep_at=ago(400)), why="stale"),
    Case("scan.unmanaged_devices", "fail", edit(sweep_at=None, devices=None), why="never"),
    Case(
        "scan.unmanaged_devices",
        "fail",
        lambda o: msgspec.structs.replace(
            o, devices=[*(o.devices or []), ObservedDevice(ip="10.1.9.9", mac="de:ad:be:ef:00:01")]
        ),
    ),
    Case(
        "scan.unmanaged_devices",
        "pass",
        edit(managed_macs=[], managed_ips=["10.2.0.10"]),
        why="by-ip",
    ),
    Case(
        "scan.unmanaged_devices",
        "unknown",
        thresholds={"unauthorized_device_scan_max_age_days": None},
        why="pack",
    ),
    Case("scan.vulnerability", "pass"),
    Case("scan.vulnerability", "fail", edit(vuln_scan=VulnScan(completed_at=ago(400)))),
    Case("scan.vulnerability", "fail", edit(vuln_scan=None), why="never"),
    Case("scan.vulnerability", "unknown", thresholds={"vuln_scan_max_age_days": None}, why="pack"),
]
# Combinations no observation can produce, with the reason.
IMPOSSIBLE = {
    "scan.waf_fingerprint": {"fail": "heuristic: pass or unknown, never fail"},
    "scan.telnet_exposed": {"not_applicable": "every unit has devices or servers to scan"},
    "scan.snmp_default_community": {"not_applicable": "every unit has devices to probe"},
    "scan.internal_admin_ports": {"not_applicable": "every unit has a user LAN and servers"},
    "scan.unmanaged_devices": {"not_applicable": "every unit has a network to sweep"},
    "scan.vulnerability": {"not_applicable": "every unit has a scope to scan yearly"},
}


def _thresholds(case: Case) -> dict[str, Any]:
    values = dict(THRESHOLDS)
    for key, value in case.thresholds.items():
        if value is None:
            values.pop(key)
        else:
            values[key] = value
    return values


@pytest.mark.parametrize("case", TABLE, ids=[f"{c.check}-{c.expect}-{c.why}" for c in TABLE])
def test_scan_check(case: Case) -> None:
    """The scan check returns the expected status, with a reason."""
    finding = NETWORK_CHECKS[case.check].run(case.mutate(good()), _thresholds(case))
    assert finding.status == case.expect, finding.reason
    assert finding.reason and finding.check_id == case.check


def test_table_covers_every_scan_check() -> None:
    """Every scan check has rows for each status, unless impossible (with the reason)."""
    seen = {(c.check, c.expect) for c in TABLE}
    missing = [
        (check, status)
        for check in NETWORK_CHECKS
        for status in STATUSES
        if (check, status) not in seen and status not in IMPOSSIBLE.get(check, {})
    ]
    assert not missing


def test_failing_evidence_names_the_address() -> None:
    """A failing scan finding carries the address and port as collector evidence."""
    obs = msgspec.structs.replace(good(), external=OPEN_RDP)
    finding = NETWORK_CHECKS["scan.remote_admin_exposed"].run(obs, THRESHOLDS)
    assert [(e.fact, e.value, e.source) for e in finding.evidence] == [
        ("network.external.open_ports", "203.0.113.10 tcp/3389", "collector")
    ]


def test_run_network_checks_runs_named_checks() -> None:
    """run_network_checks runs the named checks and marks an unknown id unknown."""
    found = run_network_checks(good(), {"scan.vulnerability", "scan.nope"}, THRESHOLDS)
    assert found["scan.vulnerability"].status == "pass"
    assert found["scan.nope"].status == "unknown"


def test_observation_round_trips_as_json() -> None:
    """The collector can store an observation as JSON and read it back unchanged."""
    obs = good()
    again = msgspec.json.decode(msgspec.json.encode(obs), type=NetworkObservation)
    assert again == obs


def test_scan_verdicts_carry_evidence() -> None:
    """Every scan pass and fail shows at least one value the collector saw."""
    bare = [
        c.check
        for c in TABLE
        if (f := NETWORK_CHECKS[c.check].run(c.mutate(good()), _thresholds(c))).status
        in ("pass", "fail")
        and not f.evidence
    ]
    assert not bare
