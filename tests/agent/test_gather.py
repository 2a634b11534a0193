"""Gathering on this real machine, and a failing section staying inside its envelope."""

from __future__ import annotations

from pathlib import Path

from agent.gather import gather, gather_section
from agent.host import CommandResult, FactError, LocalHost
from agent.sections import SOURCES, Gatherer, SectionSource
from canh.contract import decode, encode


def test_gather_this_machine_roundtrips_the_contract() -> None:
    """A full report of this machine validates against the contract the collector uses."""
    report = gather(LocalHost("linux"), "h_test", 1)
    decoded = decode(encode(report))
    assert decoded.kind == "full"
    system = decoded.sections.system
    assert system is not None and system.status == "ok" and system.data is not None
    assert system.data.hostname == Path("/proc/sys/kernel/hostname").read_text().strip()
    assert decoded.sections.ports is not None and decoded.sections.ports.status == "ok"


def test_delta_sends_unchanged_hashes() -> None:
    """Sections equal to the acknowledged baseline are sent as hashes only."""
    host = LocalHost("linux")
    full = gather(host, "h_test", 1)
    hardware = full.sections.hardware
    assert hardware is not None and hardware.hash is not None
    delta = gather(host, "h_test", 2, previous={"hardware": hardware.hash})
    assert delta.kind == "delta"
    assert delta.sections.hardware is not None
    assert delta.sections.hardware.status == "unchanged"
    assert delta.sections.hardware.data is None
    assert len(encode(delta.sections.hardware)) < 200


class BrokenHost(LocalHost):
    """A host whose commands all fail to start."""

    def run(self, argv: list[str], timeout: float = 20.0) -> CommandResult:
        raise FactError(f"{argv[0]} is not installed")


def test_failing_section_reports_error_and_others_continue() -> None:
    """A section that cannot run reports its error; the report is still produced."""
    report = gather(BrokenHost("linux"), "h_test", 1)
    ports = report.sections.ports
    assert ports is not None and ports.status == "error"
    assert ports.error == "ss is not installed"
    system = report.sections.system
    assert system is not None and system.status == "ok"
    decode(encode(report))


def test_section_time_limit() -> None:
    """A section slower than its limit is reported as timed out."""
    import time

    def slow(host: object) -> object:
        time.sleep(2)
        raise AssertionError("unreachable")

    class Slow(SectionSource):
        def gatherer(self, os_family: str) -> Gatherer | None:
            return slow  # type: ignore[return-value]

    section = gather_section(Slow("ports", timeout=0.2), LocalHost("linux"))
    assert section.status == "error" and "timed out" in (section.error or "")


def test_not_applicable_on_other_os() -> None:
    """A section with no gatherer for the OS says so explicitly."""
    section = gather_section(SectionSource("ports"), LocalHost("macos"))
    assert section.status == "not_applicable"


def test_every_section_has_a_gatherer_on_each_os() -> None:
    """The per-OS tables name exactly the registered sections (a typo would go unnoticed)."""
    from agent.linux.gatherers import GATHERERS as LINUX
    from agent.windows.gatherers import GATHERERS as WINDOWS

    names = [s.name for s in SOURCES]
    assert list(LINUX) == names and list(WINDOWS) == names
    assert all(s.gatherer("linux") is LINUX[s.name] for s in SOURCES)
