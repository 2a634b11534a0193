"""Unit KPIs over host findings and facts: counts with their denominators, by hand."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from canh.contract.facts import Listener
from checks.kpis import HostSnapshot, unit_kpis
from checks.network import NetworkObservation, ObservedDevice
from checks.registry import builtin_pack
from checks.scoring import evaluate_host
from tests.checks.hosts import NOW, ago, change, good

PACK = builtin_pack("vn-2026")
VALUES = PACK.threshold_values()


def snapshot(name: str, facts: object, last_seen: object = None) -> HostSnapshot:
    findings = evaluate_host(facts, PACK, 2, VALUES)  # type: ignore[arg-type]
    return HostSnapshot(name, findings, facts, last_seen)  # type: ignore[arg-type]


def test_kpis_by_hand() -> None:
    """Five hosts with one problem each; each KPI counts exactly the host with its problem."""
    assert (
        unit_kpis(
            [snapshot("rdp", good("windows"), NOW)], VALUES, now=NOW, silent_after=timedelta(days=1)
        ).risky_ports.count
        == 1
    )
    healthy = change(good("windows"), "ports", listening=[])  # RDP on every interface is risky
    hosts = [
        snapshot("ok", healthy, NOW),
        snapshot("no-av", change(healthy, "antivirus", products=[]), NOW),
        snapshot(
            "old-sigs",
            change(
                good("linux"),
                "antivirus",
                products=[
                    msgspec.structs.replace(
                        good("linux").section("antivirus").products[0], signature_age_days=9.0
                    )
                ],
            ),
            ago(0.01),
        ),
        snapshot("eol", change(good("linux", "server"), "patches", os_supported=False), ago(3)),
        snapshot(
            "telnet",
            change(
                change(
                    healthy,
                    "ports",
                    listening=[Listener(proto="tcp", address="0.0.0.0", port=23, scope="all")],
                ),
                "hardware",
                memory_bytes=2 * 1024**3,
            ),
            None,
        ),
    ]
    obs = NetworkObservation(
        observed_at=NOW, devices=[ObservedDevice(ip="10.1.0.99", mac="aa:bb:cc:dd:ee:ff")]
    )
    k = unit_kpis(hosts, VALUES, now=NOW, silent_after=timedelta(days=1), network=obs)
    assert k.hosts == 5
    # installed: every host but "no-av" -> 4/5; signatures fresh: not "no-av", not "old-sigs" -> 3/5
    assert (k.av_installed.count, k.av_installed.of) == (4, 5)
    assert k.av_signatures_fresh.hosts == ("ok", "eol", "telnet")
    assert k.av_protected.count == 3
    # licensed: known for the 4 hosts with a product; Defender rows say licensed, ClamAV not.
    assert (k.av_licensed.count, k.av_licensed.of) == (2, 4)
    assert k.unsupported_os.hosts == ("eol",)
    assert k.patch_compliant.count == 4
    assert k.risky_ports.hosts == ("telnet",)
    # silent: "eol" last seen 3 days ago, "telnet" never -> 2/5
    assert k.silent_agents.hosts == ("eol", "telnet")
    assert k.below_hardware_floor.hosts == ("telnet",)
    assert k.unmanaged_devices == 1
    assert k.av_installed.ratio == 0.8


def test_kpis_run_checks_the_pack_does_not() -> None:
    """hardware.floor is not in the pack: the KPI runs it on the facts with the unit's floor."""
    facts = change(good("linux"), "hardware", memory_bytes=6 * 1024**3)
    snap = HostSnapshot("pc", {}, facts, NOW)
    assert (
        unit_kpis(
            [snap], VALUES, now=NOW, silent_after=timedelta(hours=1)
        ).below_hardware_floor.count
        == 0
    )
    strict = {**VALUES, "hardware_min_memory_gib": 8}
    assert (
        unit_kpis(
            [snap], strict, now=NOW, silent_after=timedelta(hours=1)
        ).below_hardware_floor.count
        == 1
    )
    empty = unit_kpis([], VALUES, now=NOW, silent_after=timedelta(hours=1))
    assert empty.av_installed.ratio is None and empty.unmanaged_devices is None


def test_kpis_as_dict_is_json_ready() -> None:
    """as_dict gives {count, of, ratio} per KPI, the shape the collector stores."""
    import json

    snap = HostSnapshot("pc", evaluate_host(good("linux"), PACK, 2, VALUES), good("linux"), NOW)
    data = unit_kpis([snap], VALUES, now=NOW, silent_after=timedelta(hours=1)).as_dict()
    assert data["av_protected"] == {"count": 1, "of": 1, "ratio": 1.0, "hosts": ["pc"]}
    assert data["unmanaged_devices"] is None
    json.dumps(data)


def test_installed_but_stopped_antivirus() -> None:
    """A product whose engine is stopped counts as installed, not enabled, not protected."""
    product = good("windows").section("antivirus").products[0]
    facts = change(
        good("windows"), "antivirus", products=[msgspec.structs.replace(product, enabled=False)]
    )
    k = unit_kpis([snapshot("pc", facts, NOW)], VALUES, now=NOW, silent_after=timedelta(hours=1))
    assert (k.av_installed.count, k.av_enabled.count, k.av_protected.count) == (1, 0, 0)
