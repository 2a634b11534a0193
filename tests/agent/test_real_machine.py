"""Every Linux section on this real machine, the ClamAV that `make deps-test` installs, and
pending updates read from the package lists against apt itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest

from agent.gather import gather_section
from agent.host import FactError, LocalHost
from agent.linux import antivirus, aptlists
from agent.sections import SOURCES, SectionSource


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_section_on_this_machine(source: SectionSource) -> None:
    """The gatherer returns valid facts or a FactError; the envelope says ok or a clear error."""
    host = LocalHost("linux")
    gatherer = source.gatherer("linux")
    assert gatherer is not None
    try:
        facts = gatherer(host)
    except FactError as err:
        assert str(err)
    else:
        encoded = msgspec.json.encode(facts)
        assert msgspec.json.encode(msgspec.json.decode(encoded, type=type(facts))) == encoded
    section = gather_section(source, host)
    assert section.status in ("ok", "error")
    assert section.status == "ok" or (section.error and "Traceback" not in section.error)


@pytest.mark.real
def test_installed_clamav_without_signatures() -> None:
    """Debian's ClamAV, freshclam unable to download here: installed, signatures missing or old."""
    if shutil.which("clamscan") is None:
        pytest.skip("clamav is not installed (make deps-test installs it)")
    facts = antivirus.gather_antivirus(LocalHost("linux"))
    clam = next(p for p in facts.products if p.product == "ClamAV")
    assert clam.version and clam.source == "clamav" and clam.licensed is False
    assert clam.signatures_up_to_date is False or (clam.signature_age_days or 0) > 7
    if clam.signatures_up_to_date is False:
        assert clam.signature_age_days is None and "no signature database" in (clam.note or "")
    # clamd refuses to start without a database, so it cannot be the running engine here.
    assert clam.enabled is not True


@pytest.mark.real
def test_pending_updates_agree_with_apt_list_upgradable() -> None:
    """On this Debian machine the lists give exactly what ``apt list --upgradable`` lists."""
    if shutil.which("apt") is None or not Path("/var/lib/dpkg/status").exists():
        pytest.skip("not a Debian or Ubuntu machine")
    lists = aptlists.parse_output(LocalHost("linux").run(aptlists.command(), timeout=120).stdout)
    assert lists.problems == [] and lists.default_release == []
    assert aptlists.active_pins(lists) == []
    found, bad = aptlists.upgrades(lists)
    listed = subprocess.run(
        ["apt", "list", "--upgradable"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    ).stdout
    apt = []  # "name/suite[,suite] candidate arch [upgradable from: installed]"
    for line in listed.splitlines():
        if "[upgradable from:" in line:
            name_suites, version = line.split()[:2]
            name, _, suites = name_suites.partition("/")
            apt.append((name, version, any(s.endswith("-security") for s in suites.split(","))))
    assert bad == 0
    assert sorted((u.name, u.candidate, u.security) for u in found) == sorted(apt)
