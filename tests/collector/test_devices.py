"""Discovery results in the collector: reconciliation with hosts, unmanaged devices in KPIs,
alerts and the L2-EPT-ROGUE-1 verdict; the network view of a host; the unit profile."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec

from canh.contract import Report, Section, Sections, encode, fact_hash, signing
from canh.contract.facts import Address, Interface, Listener, NetworkFacts, PortsFacts, SystemFacts
from inventory.model import Device, OpenPort, ScanResult
from tests.collector.conftest import World

NOW = datetime.now(UTC)
HOST_MAC = "3c:97:0e:12:34:56"


def _ok(data: msgspec.Struct) -> Section:  # type: ignore[type-arg]
    return Section(status="ok", collected_at=NOW, data=data, hash=fact_hash(data))


def report_host(world: World, unit: str, seq: int = 1) -> str:
    """Send a signed report for the unit's host: one NIC with a known MAC, ssh and smb open."""
    host_id = world.hosts[unit]
    sections = Sections(
        system=_ok(SystemFacts(hostname=f"pc-{unit}", os_family="linux", role="server")),
        network=_ok(
            NetworkFacts(
                interfaces=[
                    Interface(
                        name="eth0",
                        mac=HOST_MAC,
                        up=True,
                        addresses=[Address(address="198.51.100.20", prefix=24, family="ipv4")],
                    )
                ]
            )
        ),
        ports=_ok(
            PortsFacts(
                listening=[
                    Listener(proto="tcp", address="0.0.0.0", port=22, scope="all"),
                    Listener(proto="tcp", address="0.0.0.0", port=445, scope="all"),
                ]
            )
        ),
    )
    body = encode(
        Report(
            schema_version=1,
            agent_id=host_id,
            agent_version="t",
            kind="full",
            seq=seq,
            collected_at=NOW,
            sections=sections,
        )
    )
    headers = signing.sign(world.keys[host_id], host_id, "POST", "/api/v1/reports", seq, body)
    assert world.client.post("/api/v1/reports", content=body, headers=headers).status_code == 200
    return host_id


def scan(*devices: Device) -> bytes:
    return msgspec.json.encode(
        ScanResult(
            started_at=NOW,
            finished_at=NOW,
            targets=["198.51.100.0/24"],
            addresses=256,
            packets=600,
            devices=list(devices),
        )
    )


def device(ip: str, mac: str | None, *ports: int) -> Device:
    return Device(
        ip=ip,
        mac=mac,
        found_by="arp",
        first_seen=NOW,
        last_seen=NOW,
        open_ports=[OpenPort(proto="tcp", port=p) for p in ports],
        type_guess="printer" if 9100 in ports else "unknown",
    )


def test_scan_reconciles_and_alerts_on_unmanaged(world: World) -> None:
    """The host's NIC matches its device; the printer is unmanaged: KPI, incident, ROGUE verdict."""
    host_id = report_host(world, "bvdk")
    headers = world.login("it-bvdk")
    body = scan(
        device("198.51.100.20", HOST_MAC.upper().replace(":", "-"), 22, 3389),
        device("198.51.100.99", "00:1b:78:00:00:10", 9100),
    )
    answer = world.client.post("/api/v1/units/bvdk/scans", content=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["new_unmanaged"] == [
        {
            "ip": "198.51.100.99",
            "mac": "00:1b:78:00:00:10",
            "vendor": None,
            "hostname": None,
            "type": "printer",
        }
    ]
    listed = world.client.get("/api/v1/units/bvdk/devices", headers=headers).json()
    assert {(d["ip"], d["host_id"]) for d in listed} == {
        ("198.51.100.20", host_id),
        ("198.51.100.99", None),
    }
    assert [
        d["ip"]
        for d in world.client.get(
            "/api/v1/units/bvdk/devices?unmanaged=true", headers=headers
        ).json()
    ] == ["198.51.100.99"]
    score = world.svc.store.unit_score("bvdk")
    assert score is not None and json.loads(score["kpis"])["unmanaged_devices"] == 1
    rogue = {r["id"]: r for r in json.loads(score["requirements"])}["L2-EPT-ROGUE-1"]
    assert rogue["status"] != "no_evidence"  # the sweep is evidence now
    unmanaged = "SELECT status FROM incidents WHERE unit_id='bvdk' AND kind='unmanaged_device'"
    incidents = world.svc.store.query(unmanaged)
    assert len(incidents) == 1 and incidents[0]["status"] == "open"
    # The same scan again: the device is known, nothing new, no duplicate incident.
    again = world.client.post("/api/v1/units/bvdk/scans", content=body, headers=headers)
    assert again.json()["new_unmanaged"] == []
    assert len(world.svc.store.query(unmanaged)) == 1
    # Network view vs host view: RDP answers on the network, the agent does not report it;
    # SMB listens on every interface but the scan did not see it.
    view = world.client.get(f"/api/v1/hosts/{host_id}/network-view", headers=headers).json()
    assert view == {"network_only": ["tcp/3389"], "host_only": ["tcp/445"]}


def test_scan_upload_is_scoped_and_validated(world: World) -> None:
    """Other units' staff get 404, auditors 403, malformed scans 422; nothing is stored."""
    body = scan(device("198.51.100.7", None, 80))
    for user, status in (("it-bv2", 404), ("auditor", 403)):
        assert (
            world.client.post(
                "/api/v1/units/bvdk/scans", content=body, headers=world.login(user)
            ).status_code
            == status
        )
    admin = world.login("admin")
    bad = world.client.post("/api/v1/units/bvdk/scans", content=b'{"devices": "x"}', headers=admin)
    assert bad.status_code == 422
    assert world.svc.store.query("SELECT count(*) AS n FROM devices")[0]["n"] == 0


def test_profile_is_validated_and_feeds_checks(world: World) -> None:
    """A bad profile is refused with the reason; a good one re-evaluates the unit's hosts."""
    host_id = report_host(world, "bvdk")
    admin = world.login("admin")
    bad = world.client.put(
        "/api/v1/units/bvdk/profile", headers=admin, content=b'{"dns_resolvers": ["not-an-ip"]}'
    )
    assert bad.status_code == 422 and "not-an-ip" in bad.text
    before = {
        f["check_id"]: f["status"]
        for f in world.client.get(f"/api/v1/hosts/{host_id}/findings", headers=admin).json()
    }
    profile = {"allowed_ports": {"server": "tcp/22"}}
    assert (
        world.client.put(
            "/api/v1/units/bvdk/profile", headers=admin, content=json.dumps(profile).encode()
        ).status_code
        == 200
    )
    after = {
        f["check_id"]: f["status"]
        for f in world.client.get(f"/api/v1/hosts/{host_id}/findings", headers=admin).json()
    }
    assert before.get("ports.unexpected_listeners") == "unknown"
    assert after["ports.unexpected_listeners"] == "fail"  # tcp/445 is not allowed
    assert world.client.get("/api/v1/units/bvdk/profile", headers=admin).json() == profile
