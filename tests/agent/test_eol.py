"""The OS end-of-support table and its lookups."""

from __future__ import annotations

from datetime import date

import pytest

from agent import eol


@pytest.mark.parametrize(
    ("build", "server", "edition", "expected"),
    [
        (19045, False, "Professional", date(2025, 10, 14)),  # Windows 10 22H2
        (19044, False, "Enterprise", date(2024, 6, 11)),  # 21H2, Enterprise timeline
        (19044, False, "EnterpriseS", date(2027, 1, 12)),  # LTSC 2021
        (19044, False, "IoTEnterpriseS", date(2032, 1, 13)),  # IoT LTSC 2021
        (22631, False, "Core", date(2025, 11, 11)),  # Windows 11 23H2 Home
        (22631, False, "Education", date(2026, 11, 10)),
        (26100, False, "ProfessionalEducation", date(2026, 10, 13)),  # Pro Education: consumer
        (26200, False, "Professional", date(2027, 10, 12)),  # 25H2
        (17763, False, "EnterpriseS", date(2029, 1, 9)),  # LTSC 2019
        (17763, True, "ServerStandard", date(2029, 1, 9)),  # Server 2019
        (14393, True, "ServerDatacenter", date(2027, 1, 12)),  # Server 2016
        (9600, True, "ServerStandard", date(2023, 10, 10)),  # Server 2012 R2
        (20348, True, "ServerDatacenter", date(2031, 10, 14)),  # Server 2022
        (26100, True, "ServerStandard", date(2034, 10, 10)),  # Server 2025
        (22621, False, "EnterpriseS", date(2025, 10, 14)),  # no LTSC on 22H2: GA timeline
        (99999, False, "Professional", None),
    ],
)
def test_windows(build: int, server: bool, edition: str, expected: date | None) -> None:
    """Build, server flag and EditionID pick the right servicing timeline."""
    assert eol.windows_eol(eol.default_table(), build, server, edition) == expected


@pytest.mark.parametrize(
    ("os_id", "version", "expected"),
    [
        ("ubuntu", "22.04", date(2027, 4, 1)),
        ("ubuntu", "20.04", date(2025, 5, 31)),
        ("ubuntu", "24.10", date(2025, 7, 10)),
        ("debian", "12", date(2028, 6, 30)),
        ("debian", "11", date(2026, 8, 31)),
        ("rhel", "9.4", date(2032, 5, 31)),  # by major version
        ("rocky", "8.10", date(2029, 5, 31)),
        ("almalinux", "9.5", date(2032, 5, 31)),
        ("centos", "7", date(2024, 6, 30)),
        ("fedora", "41", None),
        (None, "12", None),
    ],
)
def test_linux(os_id: str | None, version: str, expected: date | None) -> None:
    """os-release ID and VERSION_ID, falling back to the major version."""
    assert eol.linux_eol(eol.default_table(), os_id, version) == expected


def test_support_status_is_inclusive_and_unknown_stays_unknown() -> None:
    """Supported through the end date itself; no date means unknown, not unsupported."""
    end = date(2025, 10, 14)
    assert eol.support_status(end, date(2025, 10, 14)) == ("2025-10-14", True)
    assert eol.support_status(end, date(2025, 10, 15)) == ("2025-10-14", False)
    assert eol.support_status(None, date(2025, 10, 15)) == (None, None)


def test_bad_rows_are_skipped() -> None:
    """A malformed date in the data file drops that row instead of inventing one."""
    table = eol.parse_table(
        '[[linux]]\nid = "debian"\nversion = "12"\neol = "2028-13-40"\n'
        '[[linux]]\nid = "debian"\nversion = "11"\neol = 2026-08-31\n'
    )
    assert table.linux == {("debian", "11"): date(2026, 8, 31)}


def test_table_rows_are_well_formed() -> None:
    """Every Windows client row has a consumer date; the table covers the common releases."""
    table = eol.default_table()
    assert all("consumer" in dates for dates in table.windows_client.values())
    assert len(table.linux) >= 25 and len(table.windows_server) >= 7
