"""Run a fixed PowerShell script through the :class:`Host` seam and read its JSON output.

Every section script is a constant in its module; nothing from outside is ever spliced into one.
Each script fills an ordered table through ``Get-Fact`` (one value) or ``Get-Facts`` (a list,
kept a list even with one element) so one failing query (a missing cmdlet, an
absent WMI namespace) becomes an entry in ``Errors`` instead of failing the section.

The helpers below read values the way Windows PowerShell 5.1 *and* PowerShell 7 serialise them:
DateTime is ``"\\/Date(ms)\\/"`` under 5.1 and an ISO string under 7; enums arrive as numbers
unless the script casts them to ``[string]``; a one-element array may arrive unwrapped.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agent.host import FactError, Host

POWERSHELL = "powershell.exe"
MAX_OUTPUT_CHARS = 8 * 1024 * 1024

PRELUDE = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [Text.Encoding]::UTF8
$canh = [ordered]@{}
$canhErrors = New-Object System.Collections.Generic.List[string]
function Get-Fact([string]$Name, [scriptblock]$Block) {
    try { $canh[$Name] = & $Block }
    catch { $canhErrors.Add("${Name}: $($_.Exception.Message)"); $canh[$Name] = $null }
}
function Get-Facts([string]$Name, [scriptblock]$Block) {
    try { $canh[$Name] = @(& $Block) }
    catch { $canhErrors.Add("${Name}: $($_.Exception.Message)"); $canh[$Name] = $null }
}
"""
# Depth 5, one more than the nesting the scripts build (result → fact → list → item → list),
# because ConvertTo-Json silently turns anything deeper into a type name.
EPILOGUE = r"""
$canh['Errors'] = @($canhErrors)
[pscustomobject]$canh | ConvertTo-Json -Depth 5 -Compress
"""


def command_line(script: str) -> list[str]:
    """The powershell.exe argv for a script.

    ``-EncodedCommand`` (base64 of UTF-16LE) instead of ``-Command``: the script's quotes and
    ``$`` would otherwise be re-parsed by the Windows command-line splitter.
    """
    encoded = base64.b64encode((PRELUDE + script + EPILOGUE).encode("utf-16-le")).decode()
    return [POWERSHELL, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
            "-EncodedCommand", encoded]  # fmt: skip


def parse_output(text: str) -> dict[str, Any]:
    """The script's JSON object; anything else is a FactError with a short reason."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise FactError("PowerShell printed nothing")
    if len(text) > MAX_OUTPUT_CHARS:
        raise FactError(f"PowerShell printed more than {MAX_OUTPUT_CHARS} characters")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise FactError(f"PowerShell printed malformed JSON: {err.msg}") from err
    if not isinstance(value, dict):
        raise FactError(f"PowerShell printed {type(value).__name__}, expected an object")
    return value


def run_script(host: Host, script: str, timeout: float) -> dict[str, Any]:
    """Run a section script and return its decoded object."""
    result = host.run(command_line(script), timeout=timeout)
    if result.returncode != 0 and not result.stdout.strip():
        raise FactError(f"PowerShell exited {result.returncode}: {result.stderr.strip()[:300]}")
    return parse_output(result.stdout)


def errors(doc: dict[str, Any]) -> list[str]:
    """The script's per-query errors, bounded for the report."""
    return [str(e)[:400] for e in as_list(doc.get("Errors"))][:32]


def as_list(value: Any) -> list[Any]:
    """A JSON value as a list: None → [], a lone object → [object]."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else."""
    return value if isinstance(value, dict) else {}


def as_str(value: Any, limit: int = 256) -> str | None:
    """A non-empty stripped string, bounded; numbers become their text."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def as_int(value: Any) -> int | None:
    """An integer from a number or a numeric string (registry REG_SZ values are strings)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def as_count(value: Any) -> int | None:
    """A non-negative integer within the contract's ``Count`` bound, else None."""
    number = as_int(value)
    return number if number is not None and 0 <= number <= 2**53 else None


def as_bool(value: Any) -> bool | None:
    """True/False from JSON booleans, 0/1 and the enum names PowerShell prints."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {0: False, 1: True}.get(value)
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    return None


_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_DMTF = re.compile(r"^(\d{14})\.(\d{6})([+-]\d{3})$")
_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # FILETIME 0 and DateTime.MinValue mean "never"


def ps_datetime(value: Any) -> datetime | None:
    """A PowerShell DateTime in any of its serialisations, as an aware UTC datetime.

    A time without an offset (a PowerShell 7 DateTime of kind Unspecified, or what a script
    formatted from a UTC source) is read as UTC: at worst off by the zone offset, immaterial
    against thresholds counted in days.
    """
    if isinstance(value, dict):  # 5.1 wraps Get-Date output: {"value": ..., "DateTime": ...}
        return ps_datetime(value.get("value"))
    if not isinstance(value, str):
        return None
    try:
        parsed = _parse_datetime(value.strip())
    except (ValueError, OverflowError, OSError):  # out-of-range stamps are garbage, not dates
        return None
    if parsed is None:
        return None
    return parsed if parsed >= _EARLIEST else None


def _parse_datetime(text: str) -> datetime | None:
    if match := _MS_DATE.match(text):
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    if match := _DMTF.match(text):  # WMI's CIM_DATETIME: offset in minutes
        offset = timezone(timedelta(minutes=int(match.group(3))))
        base = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=offset)
        return base.astimezone(UTC)
    iso = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(iso)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
