"""Operating-system end of support, looked up in the data table ``agent/data/os_eol.toml``.

The table is data so IT staff and maintainers update dates without touching code. Lookups are
pure: the table is parsed from text, and "today" is an argument.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

# EditionID values (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion) that follow the
# Enterprise/Education servicing timeline; LTSC editions end in "S" (EnterpriseS, IoTEnterpriseS).
_ENTERPRISE_PREFIXES = ("enterprise", "education", "iotenterprise", "serverrdsh")


@dataclass(frozen=True, slots=True)
class EolTable:
    """Parsed end-of-support dates."""

    windows_client: dict[int, dict[str, date]]
    windows_server: dict[int, date]
    linux: dict[tuple[str, str], date]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def parse_table(text: str) -> EolTable:
    """The table from TOML text; rows with a bad date are skipped, not guessed."""
    data = tomllib.loads(text)
    client: dict[int, dict[str, date]] = {}
    for row in data.get("windows_client", []):
        dates = {
            key: d
            for key in ("consumer", "enterprise", "ltsc", "iot_ltsc")
            if (d := _date(row.get(key))) is not None
        }
        client[int(row["build"])] = dates
    server = {
        int(row["build"]): d
        for row in data.get("windows_server", [])
        if (d := _date(row.get("eol"))) is not None
    }
    linux = {
        (str(row["id"]), str(row["version"])): d
        for row in data.get("linux", [])
        if (d := _date(row.get("eol"))) is not None
    }
    return EolTable(windows_client=client, windows_server=server, linux=linux)


@functools.lru_cache(maxsize=1)
def default_table() -> EolTable:
    """The table shipped with the agent (read on first use, never at import)."""
    # Next to this module rather than through importlib.resources, which would keep zipfile,
    # tempfile and their kin (~1 MiB) in the long-running agent for one read.
    text = (Path(__file__).parent / "data" / "os_eol.toml").read_text(encoding="utf-8")
    return parse_table(text)


def edition_class(edition_id: str | None) -> str:
    """consumer, enterprise, ltsc or iot_ltsc for a Windows EditionID."""
    edition = (edition_id or "").casefold()
    if edition.startswith("iotenterprise") and edition.endswith(("s", "sk")):
        return "iot_ltsc"
    if edition.startswith("enterprise") and edition.endswith(("s", "sn")):
        return "ltsc"
    if edition.startswith(_ENTERPRISE_PREFIXES):
        return "enterprise"
    return "consumer"


def windows_eol(table: EolTable, build: int, server: bool, edition_id: str | None) -> date | None:
    """End of support of a Windows build; None when the build is not in the table."""
    if server:
        return table.windows_server.get(build)
    dates = table.windows_client.get(build)
    if not dates:
        return None
    kind = edition_class(edition_id)
    # An LTSC edition on a build without an LTSC row is really the GA channel release.
    return dates.get(kind) or dates.get("enterprise" if kind != "consumer" else "consumer")


def linux_eol(table: EolTable, os_id: str | None, version_id: str | None) -> date | None:
    """End of support of a Linux release by os-release ID and VERSION_ID (then major version)."""
    if not os_id or not version_id:
        return None
    exact = table.linux.get((os_id, version_id))
    if exact is not None:
        return exact
    return table.linux.get((os_id, version_id.split(".", 1)[0]))


def support_status(eol: date | None, today: date) -> tuple[str | None, bool | None]:
    """The ISO end date and whether the OS is still supported today; unknown stays unknown."""
    if eol is None:
        return None, None
    return eol.isoformat(), today <= eol
