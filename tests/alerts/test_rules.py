"""The pure alert rules: which alerts are active, and which kinds each input can judge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from collector.alerts.posture import (
    AntivirusView,
    Limits,
    PatchView,
    PortsView,
    antivirus_ok,
    parse_ports,
)
from collector.alerts.rules import (
    Alert,
    DayScore,
    HostState,
    attack_alerts,
    device_alert,
    host_alerts,
    score_alerts,
    silent_alerts,
)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LIMITS = Limits(risky_ports=parse_ports("tcp/23,tcp/3389, udp/161,bogus"))


def _av(*products: dict[str, object]) -> AntivirusView:
    return msgspec.convert({"products": list(products)}, AntivirusView)


def _host(role: str | None = "server", **views: object) -> HostState:
    return HostState("h1", "u1", role, **views)  # type: ignore[arg-type]


def _kinds(alerts: list[Alert]) -> set[str]:
    return {a.kind for a in alerts}


def test_antivirus_off_realtime_off_and_old_signatures() -> None:
    """Disabled, real-time off and stale signatures are three kinds; an ok product none."""
    off = _av({"product": "BKAV", "enabled": False})
    alerts, judged = host_alerts(_host(antivirus=off), LIMITS, NOW)
    assert _kinds(alerts) == {"av_disabled"} and "av_realtime_off" in judged
    assert alerts[0].severity == "critical" and alerts[0].requirement == "L2-SRV-MAL-1"
    rt = _av({"product": "BKAV", "enabled": True, "realtime": False, "signature_age_days": 9})
    alerts, _ = host_alerts(_host("workstation", antivirus=rt), LIMITS, NOW)
    assert _kinds(alerts) == {"av_realtime_off", "av_signatures_old"}
    assert {a.severity for a in alerts} == {"warning"}
    assert {a.requirement for a in alerts} == {"L2-EPT-AV-1"}
    good = _av({"product": "BKAV", "enabled": True, "realtime": True, "signature_age_days": 1})
    assert host_alerts(_host(antivirus=good), LIMITS, NOW)[0] == []
    assert antivirus_ok(good, 3) is True and antivirus_ok(rt, 3) is False


def test_unknown_antivirus_judges_nothing() -> None:
    """Unknown is not a verdict: no alert, and no av kind judged (so none is resolved)."""
    unknown = _av({"product": "BKAV"})
    alerts, judged = host_alerts(_host(antivirus=unknown), LIMITS, NOW)
    assert alerts == [] and not judged & {"av_disabled", "av_realtime_off"}
    assert antivirus_ok(unknown, 3) is None and antivirus_ok(None, 3) is None
    assert host_alerts(_host(), LIMITS, NOW) == ([], frozenset())


def test_no_product_at_all_is_disabled() -> None:
    """An empty product list means nothing protects the host."""
    alerts, _ = host_alerts(_host(antivirus=_av()), LIMITS, NOW)
    assert _kinds(alerts) == {"av_disabled"} and alerts[0].facts["products"] == []


def test_risky_port_only_on_servers_and_beyond_loopback() -> None:
    """Telnet on all interfaces of a server alerts per port; loopback and workstations do not."""
    ports = msgspec.convert(
        {
            "listening": [
                {"proto": "tcp", "address": "0.0.0.0", "port": 23, "scope": "all"},
                {"proto": "tcp", "address": "127.0.0.1", "port": 3389, "scope": "loopback"},
                {"proto": "tcp", "address": "0.0.0.0", "port": 22, "scope": "all"},
            ]
        },
        PortsView,
    )
    alerts, judged = host_alerts(_host(ports=ports), LIMITS, NOW)
    assert [(a.kind, a.subject) for a in alerts] == [("risky_port", "tcp/23")]
    assert host_alerts(_host("workstation", ports=ports), LIMITS, NOW) == ([], judged)


def test_patches_overdue_and_unsupported_os() -> None:
    """Pending security updates older than the role's limit; an OS out of support."""
    old = PatchView(
        pending_security=2, oldest_pending_security_at=NOW - timedelta(days=31), os_supported=False
    )
    alerts, _ = host_alerts(_host(patches=old), LIMITS, NOW)
    assert _kinds(alerts) == {"patches_overdue", "unsupported_os"}
    # 31 days is within the workstation limit (35) but over the server one (30).
    alerts, judged = host_alerts(_host("workstation", patches=old), LIMITS, NOW)
    assert _kinds(alerts) == {"unsupported_os"} and "patches_overdue" in judged
    unknown = PatchView(pending_security=None)
    assert host_alerts(_host(patches=unknown), LIMITS, NOW) == ([], frozenset())


def test_silent_agents_counted_from_last_report_or_enrollment() -> None:
    """A host silent past the limit alerts; one that never reported counts from enrollment."""
    now = 100_000.0
    hosts = [("a", "u", now - 50, 0.0), ("b", "u", now - 5000, 0.0), ("c", "u", None, now - 10)]
    assert [a.host_id for a in silent_alerts(hosts, now, 3600)] == ["b"]
    assert [a.host_id for a in silent_alerts(hosts, now, 5)] == ["a", "b", "c"]


def test_score_below_and_drop() -> None:
    """Below the threshold, and a fall of N points from the previous stored day."""
    today, before = DayScore("2026-11-20", 55.0, 3), DayScore("2026-11-19", 80.0, 3)
    assert _kinds(score_alerts("u", today, before, 70, 10)) == {"score_below", "score_drop"}
    assert score_alerts("u", DayScore("d", 75.0, 3), before, 70, 10) == []
    assert score_alerts("u", DayScore("d", 10.0, 0), None, 70, 10) == []


def test_attack_attempts_within_window() -> None:
    """Enough forged or replayed requests within the window alert; old ones do not count."""
    now = 10_000.0
    attempts = {"h1": [now - 10, now - 20, now - 30], "h2": [now - 5000] * 5, "ghost": [now] * 9}
    alerts = attack_alerts(attempts, {"h1": "u1", "h2": "u1"}, now, 900, 3)
    assert [(a.host_id, a.severity) for a in alerts] == [("h1", "critical")]


def test_fingerprint_is_stable_and_distinct() -> None:
    """Same kind, unit, host and subject: same fingerprint; any difference: another one."""
    one = device_alert("u1", {"ip": "10.0.0.9", "mac": "aa:bb"})
    assert one.fingerprint == device_alert("u1", {"ip": "10.0.0.10", "mac": "aa:bb"}).fingerprint
    assert one.fingerprint != device_alert("u2", {"ip": "10.0.0.9", "mac": "aa:bb"}).fingerprint
    assert one.fingerprint != Alert("risky_port", "u1", None, "aa:bb").fingerprint
