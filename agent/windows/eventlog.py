"""Security logging and time synchronisation on Windows: audit policy, Security log, W32Time.

``auditpol /backup`` is read rather than ``/get /r``: its "Setting Value" column is a number and
its subcategory GUIDs identify rows in every language. ``w32tm /query /status`` has no such
form, so it is read by line position (anchored on the ``0x`` ReferenceId value) and its date in
the culture the script reports, which is the one w32tm formats with.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agent.host import Host
from agent.windows.powershell import (
    as_count,
    as_dict,
    as_int,
    as_list,
    as_str,
    errors,
    ps_datetime,
    run_script,
)
from canh.contract.facts import AuditSetting, LoggingFacts

LOGGING_SCRIPT = r"""
Get-Fact 'AuditCsv' {
    $file = Join-Path $env:TEMP ('canh-' + [guid]::NewGuid().ToString() + '.csv')
    try { auditpol.exe /backup /file:$file | Out-Null; Get-Content -Path $file -Raw }
    finally { Remove-Item -Path $file -Force -ErrorAction SilentlyContinue } }
Get-Fact 'SecurityLog' { Get-WinEvent -ListLog Security |
    Select-Object MaximumSizeInBytes, @{n='LogMode';e={[string]$_.LogMode}}, RecordCount }
Get-Fact 'OldestEvent' { (Get-WinEvent -LogName Security -Oldest -MaxEvents 1).TimeCreated }
Get-Fact 'AuthEvents' {
    try { @(Get-WinEvent -FilterHashtable @{ LogName = 'Security'; Id = 4624, 4672 } `
            -MaxEvents AUTH_EVENTS_CAP).Count }
    catch { if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { 0 } else { throw } } }
Get-Fact 'W32tm' { (w32tm.exe /query /status) -join "`n" }
Get-Fact 'Culture' { $f = (Get-Culture).DateTimeFormat
    [pscustomobject]@{ Name = (Get-Culture).Name; ShortDate = $f.ShortDatePattern
        LongTime = $f.LongTimePattern; AM = $f.AMDesignator; PM = $f.PMDesignator
        OffsetMinutes = [int][TimeZoneInfo]::Local.GetUtcOffset((Get-Date)).TotalMinutes } }
Get-Fact 'TimeService' { [pscustomobject]@{ Status = [string](Get-Service W32Time).Status
    Type = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Services\W32Time\Parameters').Type } }
Get-Facts 'Forwarding' {
    $p = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\EventLog\EventForwarding\SubscriptionManager'
    if (Test-Path $p) {
        (Get-Item $p).Property | ForEach-Object { [string](Get-ItemPropertyValue $p $_) } } }
Get-Facts 'Shippers' {
    Get-Service -Name winlogbeat, nxlog, WazuhSvc, OssecSvc, SplunkForwarder, fluent-bit `
        -ErrorAction SilentlyContinue | Select-Object Name, @{n='Status';e={[string]$_.Status}} }
""".replace("AUTH_EVENTS_CAP", "100")
# The English words of the /get /r report, for output without a "Setting Value" column;
# translated words are not guessed (such rows are skipped, not misread).
_SETTING_TEXT = {"success and failure": 3, "success": 1, "failure": 2, "no auditing": 0}
# Sources that mean "not synchronised with anything". In other languages the ReferenceId says
# the same: 0x00000000 (unspecified) or LOCL (0x4C4F434C, the local clock).
_LOCAL_SOURCES = ("local cmos clock", "free-running system clock")


def parse_auditpol_csv(text: str) -> list[AuditSetting]:
    """Subcategories of ``auditpol /backup`` (or ``/get /r``) CSV, by position not header."""
    settings: list[AuditSetting] = []
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error:  # a stray carriage return or NUL: not a file auditpol wrote
        return settings
    for row in rows:
        if len(row) < 5 or not re.fullmatch(r"\{[0-9A-Fa-f-]{36}\}", row[3].strip()):
            continue
        value = as_int(row[6]) if len(row) > 6 else None
        if value is None:
            value = _SETTING_TEXT.get(row[4].strip().lower())
        if value is None or not 0 <= value <= 3:
            continue
        settings.append(
            AuditSetting(
                subcategory=row[2].strip()[:256] or row[3].strip(),
                guid=row[3].strip().strip("{}").upper(),
                success=bool(value & 1),
                failure=bool(value & 2),
            )
        )
    return settings[:128]


def _strptime_pattern(pattern: str) -> str | None:
    """A .NET date/time pattern (dd/MM/yyyy, h:mm:ss tt) as a strptime format."""
    tokens = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "M": "%m", "dd": "%d", "d": "%d",
              "HH": "%H", "H": "%H", "hh": "%I", "h": "%I", "mm": "%M", "m": "%M",
              "ss": "%S", "s": "%S", "tt": "%p"}  # fmt: skip
    out = []
    for token in re.findall(
        r"(yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|tt|[^A-Za-z]+|[A-Za-z]+)", pattern
    ):
        if token in tokens:
            out.append(tokens[token])
        elif token.isalpha():
            return None  # month names, eras: not worth guessing
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def parse_local_time(text: str, culture: dict[str, Any]) -> datetime | None:
    """A date/time printed in the host's culture, converted to UTC with its offset."""
    fmt = _strptime_pattern(f"{culture.get('ShortDate', '')} {culture.get('LongTime', '')}")
    offset = as_int(culture.get("OffsetMinutes"))
    if fmt is None or offset is None or not -1440 < offset < 1440:
        return None
    value = text.strip()
    for designator, word in ((culture.get("AM"), "AM"), (culture.get("PM"), "PM")):
        if isinstance(designator, str) and designator and designator in value:
            value = value.replace(designator, word)
    try:
        local = datetime.strptime(value, fmt)
    except (ValueError, re.error):  # re.error: a pattern naming a field twice ("H H")
        return None
    return local.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)


def parse_w32tm(
    text: str, culture: dict[str, Any]
) -> tuple[bool | None, str | None, datetime | None]:
    """Synchronised, source and last successful sync from ``w32tm /query /status``."""
    rows = [line.partition(":")[2].strip() for line in text.splitlines() if ":" in line]
    ref = next((i for i, value in enumerate(rows) if value.lower().startswith("0x")), None)
    if ref is None or ref + 2 >= len(rows):
        return None, None, None
    leap = re.match(r"\d+", rows[0])
    reference = rows[ref].split()[0].lower()
    source = rows[ref + 2].strip()[:256] or None
    local = source is None or source.lower() in _LOCAL_SOURCES
    unsynced = (leap is not None and leap.group() == "3") or reference in (
        "0x00000000",
        "0x4c4f434c",
    )
    return (
        not (local or unsynced),
        None if local else source,
        parse_local_time(rows[ref + 1], culture),
    )


def parse_logging(doc: dict[str, Any]) -> LoggingFacts:
    """LoggingFacts from the logging script's output."""
    notes = errors(doc)
    audit = parse_auditpol_csv(as_str(doc.get("AuditCsv"), limit=1 << 20) or "")
    if doc.get("AuditCsv") is None:
        notes.append("auditpol unavailable: audit policy unknown")
    security = as_dict(doc.get("SecurityLog"))
    synced, source, last_sync = parse_w32tm(
        as_str(doc.get("W32tm"), limit=65536) or "", as_dict(doc.get("Culture"))
    )
    service = as_dict(doc.get("TimeService"))
    status, kind = as_str(service.get("Status")), as_str(service.get("Type"))
    running = None if status is None else status in ("Running", "4")
    targets = []
    for entry in map(as_str, as_list(doc.get("Forwarding"))):
        match = re.search(r"Server=(?:https?://)?([^:/,]+)", entry or "")
        if match:
            targets.append(match.group(1)[:256])
    shippers = [
        name
        for item in map(as_dict, as_list(doc.get("Shippers")))
        if (name := as_str(item.get("Name"))) and as_str(item.get("Status")) in ("Running", "4")
    ]
    return LoggingFacts(
        audit_enabled=any(a.success or a.failure for a in audit) if audit else None,
        audit_policy=audit,
        security_log_max_bytes=as_count(security.get("MaximumSizeInBytes")),
        oldest_event_at=ps_datetime(doc.get("OldestEvent")),
        auth_events=as_count(doc.get("AuthEvents")),
        persistent=True,  # the event log is always written to disk
        forwarding=bool(targets or shippers),
        forwarding_targets=(targets + [f"agent:{s}" for s in shippers])[:256],
        time_sync_enabled=None if running is None else running and kind != "NoSync",
        time_synchronized=False if running is False else synced,
        time_source=source,
        last_time_sync_at=last_sync,
        notes=notes[:32],
    )


def gather_logging(host: Host) -> LoggingFacts:
    """Audit policy, Security log size and oldest event, forwarding, time sync."""
    return parse_logging(run_script(host, LOGGING_SCRIPT, timeout=90))
