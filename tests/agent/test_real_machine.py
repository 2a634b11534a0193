"""Every Linux section on this real machine, and the ClamAV that `make deps-test` installs."""

from __future__ import annotations

import shutil

import msgspec
import pytest

from agent.gather import gather_section
from agent.host import FactError, LocalHost
from agent.linux import antivirus
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
