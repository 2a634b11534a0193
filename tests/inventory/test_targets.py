"""Targets are parsed strictly, kept inside the declared scope, and capped in size."""

from __future__ import annotations

import ipaddress

import pytest

from inventory.errors import TargetError
from inventory.targets import CURATED_PORTS, PortSpec, parse_ports, parse_targets


def addresses(*entries: str, declared: list[str] | None = None, cap: int = 65536) -> list[str]:
    return [str(a) for a in parse_targets(list(entries), declared, cap)]


def problems(*entries: str, declared: list[str] | None = None, cap: int = 65536) -> list[str]:
    with pytest.raises(TargetError) as caught:
        parse_targets(list(entries), declared, cap)
    return [reason for _entry, reason in caught.value.problems]


def test_single_address_cidr_and_ranges() -> None:
    """Addresses, subnets (without network/broadcast) and both range forms expand exactly."""
    assert addresses("198.18.0.7") == ["198.18.0.7"]
    assert addresses("198.18.0.0/30") == ["198.18.0.1", "198.18.0.2"]
    assert addresses("198.18.0.8/31") == ["198.18.0.8", "198.18.0.9"]
    assert addresses("198.18.0.10-198.18.0.12") == ["198.18.0.10", "198.18.0.11", "198.18.0.12"]
    assert addresses("198.18.0.254-255", "198.18.1.0-198.18.1.1") == [
        "198.18.0.254",
        "198.18.0.255",
        "198.18.1.0",
        "198.18.1.1",
    ]


def test_duplicates_collapse_and_sort() -> None:
    """Overlapping entries give each address once, in numeric order."""
    assert addresses("198.18.0.3", "198.18.0.0/30", "198.18.0.2") == [
        "198.18.0.1",
        "198.18.0.2",
        "198.18.0.3",
    ]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("198.18.0.1/24", "host bits set; did you mean 198.18.0.0/24?"),
        ("198.18.0.0/33", "bad prefix length"),
        ("198.18.0.300", "not an IPv4 address"),
        ("198.18.0.20-10", "range ends before it starts"),
        ("printer.bvt.example", "names are not resolved"),
        ("2001:db8::1", "IPv6 targets are not supported"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("0.0.0.0/8", "0.0.0.0/8 is not a target"),
        ("", "empty target"),
    ],
)
def test_invalid_entries_are_refused_with_a_reason(entry: str, reason: str) -> None:
    """Each kind of bad entry says what is wrong with it."""
    assert reason in problems(entry)[0]


def test_every_bad_entry_is_reported_not_just_the_first() -> None:
    """Invalid entries are listed together; none is silently dropped, nothing is scanned."""
    found = problems(
        "198.18.0.1",
        "nonsense!",
        "198.18.0.1/24",
        "198.19.0.5",
        declared=[
            "198.18.0.0/24",
        ],
    )
    assert len(found) == 3
    assert any("out of scope" in p for p in found)


def test_out_of_scope_entries_are_refused() -> None:
    """With declared subnets, a target outside them (even partly) is refused."""
    declared = ["198.18.0.0/24", "198.18.2.0/24"]
    assert addresses("198.18.2.0/25", declared=declared)[0] == "198.18.2.1"
    assert "out of scope" in problems("198.18.1.5", declared=declared)[0]
    assert "out of scope" in problems("198.18.0.0/23", declared=declared)[0]
    assert "out of scope" in problems("198.18.0.250-198.18.1.3", declared=declared)[0]


def test_adjacent_declared_subnets_cover_a_range_across_them() -> None:
    """Scope is the union of the declared subnets."""
    got = addresses("198.18.0.255-198.18.1.0", declared=["198.18.0.0/24", "198.18.1.0/24"])
    assert got == ["198.18.0.255", "198.18.1.0"]


def test_empty_declaration_allows_nothing() -> None:
    """A unit that declared no subnet cannot scan anything."""
    assert "declared subnets are nothing" in problems("198.18.0.1", declared=[])[0]


def test_invalid_declared_subnet_is_refused() -> None:
    """A declared subnet must itself be a valid network."""
    assert "declared subnet" in problems("198.18.0.1", declared=["198.18.0.1/24"])[0]


def test_no_default_target() -> None:
    """No targets is an error, never "the local subnet"."""
    assert "never scans a default target" in problems()[0]


def test_cap_on_addresses() -> None:
    """A /16 passes the default cap, a /15 does not; the cap itself is configurable."""
    assert len(parse_targets(["198.18.0.0/16"])) == 65534
    assert "over the cap of 65536" in problems("198.18.0.0/15")[0]
    assert "over the cap of 100" in problems("198.18.0.0/24", cap=100)[0]
    assert len(parse_targets(["198.18.0.0/25"], None, 128)) == 126


def test_cap_is_counted_before_expanding() -> None:
    """A huge target is refused without building its address list."""
    assert "over the cap" in problems("1.0.0.0/8", "198.18.0.1")[0]


def test_declared_networks_are_kept() -> None:
    """The target set remembers the scope it was checked against."""
    targets = parse_targets(["198.18.0.1"], ["198.18.0.0/24"])
    assert targets.declared == (ipaddress.IPv4Network("198.18.0.0/24"),)
    assert parse_targets(["198.18.0.1"]).declared is None


def test_ports() -> None:
    """Port lists accept single ports, ranges and SNMP over UDP."""
    assert parse_ports("443,22,20-21,161/udp") == (
        PortSpec("tcp", 20),
        PortSpec("tcp", 21),
        PortSpec("tcp", 22),
        PortSpec("tcp", 443),
        PortSpec("udp", 161),
    )
    assert PortSpec("udp", 161) in CURATED_PORTS and PortSpec("tcp", 9100) in CURATED_PORTS


@pytest.mark.parametrize("text", ["0", "70000", "22-21", "ssh", "53/udp", "22/sctp", ""])
def test_bad_ports(text: str) -> None:
    """Out-of-range, reversed, named, unprobeable UDP and unknown protocols are refused."""
    with pytest.raises(TargetError):
        parse_ports(text)
