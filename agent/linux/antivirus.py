"""Anti-malware on Linux: ClamAV, Microsoft Defender for Endpoint and known vendor daemons."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from agent import av_catalog
from agent.host import FactError, Host
from agent.linux import probes
from canh.contract.facts import AntivirusFacts, AntivirusProduct

CLAMD_UNITS = ("clamav-daemon", "clamd@scan", "clamd")
ONACC_UNITS = ("clamav-clamonacc", "clamonacc")
FRESHCLAM_UNITS = ("clamav-freshclam", "clamav-freshclam.timer")
MDATP_UNITS = ("mdatp",)
DEFAULT_DB_DIR = "/var/lib/clamav"
DB_FILES = tuple(
    f"{base}.{ext}" for base in ("daily", "main", "bytecode") for ext in ("cvd", "cld")
)


def parse_clam_version(text: str) -> tuple[str | None, str | None]:
    """Engine and database version from ``clamscan --version`` ("ClamAV 1.4.6/27100/date")."""
    match = re.match(r"ClamAV (\S+?)(?:/(\d+)/.*)?$", text.strip())
    if not match:
        return None, None
    return match.group(1), match.group(2)


def parse_conf_values(text: str, key: str) -> list[str]:
    """Values of one directive in clamd.conf / freshclam.conf ("Key value" lines)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s+(.+?)\s*$", re.IGNORECASE)
    return [m.group(1).strip("\"'") for line in text.splitlines() if (m := pattern.match(line))]


def signature_facts(
    db_times: dict[str, datetime], now: datetime
) -> tuple[bool | None, float | None, datetime | None]:
    """Up-to-date verdict, age in days and update time from database file mtimes.

    freshclam rewrites a database file only when it downloads a newer one, so the newest mtime
    is the last successful update. ClamAV states no verdict, so a present database gives None
    and the age decides; no database at all is definitely not up to date.
    """
    if not db_times:
        return False, None, None
    newest = max(db_times.values())
    # Whole days: a fractional age would change the section's hash on every report.
    age = float(max(0, (now - newest).days))
    return None, age, newest


def clamav_product(
    version_text: str | None,
    db_times: dict[str, datetime],
    clamd_running: bool | None,
    onacc_running: bool | None,
    include_paths: list[str] | None,
    now: datetime,
) -> AntivirusProduct:
    """The ClamAV record from what the host answered."""
    version, _db_version = parse_clam_version(version_text or "")
    up_to_date, age, updated = signature_facts(db_times, now)
    realtime = onacc_running
    if onacc_running and include_paths is not None and not include_paths:
        realtime = False  # clamonacc without OnAccessIncludePath watches nothing
    removable = None
    if include_paths is not None and realtime is not None:
        removable = bool(realtime) and any(
            p.startswith(("/media", "/run/media")) for p in include_paths
        )
    note = None if db_times else "no signature database (daily/main .cvd/.cld) found"
    return AntivirusProduct(
        product="ClamAV",
        vendor=av_catalog.vendor_of("ClamAV"),
        version=version,
        enabled=clamd_running,
        realtime=realtime,
        signatures_up_to_date=up_to_date,
        signature_age_days=age,
        signatures_updated_at=updated,
        removable_scan=removable,
        licensed=False,  # free software: there is no paid edition
        source="clamav",
        note=note,
    )


def parse_mdatp_health(text: str) -> AntivirusProduct:
    """``mdatp health --output json`` into a record; malformed output raises FactError."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise FactError("mdatp health printed malformed JSON") from err
    if not isinstance(doc, dict):
        raise FactError("mdatp health printed no object")
    rtp = doc.get("realTimeProtectionEnabled")
    realtime = rtp.get("value") if isinstance(rtp, dict) else rtp
    status = doc.get("definitionsStatus")
    status_type = status.get("$type") if isinstance(status, dict) else status
    minutes = doc.get("definitionsUpdatedMinutesAgo")
    age = None
    if isinstance(minutes, int | float) and 0 <= minutes < 36500 * 1440:
        age = float(int(minutes) // 1440)
    licensed = doc.get("licensed")
    healthy = doc.get("healthy")
    updated_ms = str(doc.get("definitionsUpdated", ""))  # epoch milliseconds, as a string
    updated = None
    if updated_ms.isascii() and updated_ms.isdigit() and len(updated_ms) <= 15:
        updated = probes.epoch(int(updated_ms) / 1000)
    return AntivirusProduct(
        product="Microsoft Defender for Endpoint",
        vendor="Microsoft",
        version=str(doc["appVersion"])[:256] if doc.get("appVersion") else None,
        enabled=healthy if isinstance(healthy, bool) else None,
        realtime=realtime if isinstance(realtime, bool) else None,
        signatures_up_to_date=(status_type == "upToDate") if isinstance(status_type, str) else None,
        signature_age_days=age,
        signatures_updated_at=updated,
        licensed=licensed if isinstance(licensed, bool) else None,
        source="mdatp",
    )


def vendor_products(
    states: dict[str, str] | None, procs: set[str] | None
) -> list[AntivirusProduct]:
    """Known vendor daemons that are installed (unit loaded) or running."""
    found = []
    for entry in av_catalog.LINUX_PRODUCTS:
        installed = (states is not None and any(u in states for u in entry.units)) or (
            procs is not None and any(p in procs for p in entry.processes)
        )
        if installed:
            found.append(
                AntivirusProduct(
                    product=entry.product,
                    vendor=entry.vendor,
                    enabled=probes.running(states, procs, entry.units, entry.processes),
                    source="service",
                    note="detected by its service; real-time and signature state not read",
                )
            )
    return found


def _clamav(
    host: Host, states: dict[str, str] | None, procs: set[str] | None, now: datetime
) -> AntivirusProduct | None:
    version_text = None
    for argv in (["clamscan", "--version"], ["clamd", "--version"]):
        try:
            result = host.run(argv, timeout=15)
        except FactError:
            continue
        if result.returncode == 0:
            version_text = result.stdout
            break
    known_units = states is not None and any(u in states for u in CLAMD_UNITS + ONACC_UNITS)
    if version_text is None and not known_units:
        return None
    freshclam_conf = host.read_text("/etc/clamav/freshclam.conf") or host.read_text(
        "/etc/freshclam.conf"
    )
    db_dirs = parse_conf_values(freshclam_conf or "", "DatabaseDirectory") or [DEFAULT_DB_DIR]
    db_times = probes.mtimes(host, [f"{db_dirs[0]}/{name}" for name in DB_FILES])
    clamd_conf = host.read_text("/etc/clamav/clamd.conf") or host.read_text(
        "/etc/clamd.d/scan.conf"
    )
    include = parse_conf_values(clamd_conf, "OnAccessIncludePath") if clamd_conf else None
    return clamav_product(
        version_text,
        db_times,
        probes.running(states, procs, CLAMD_UNITS, ("clamd",)),
        probes.running(states, procs, ONACC_UNITS, ("clamonacc",)),
        include,
        now,
    )


def gather_antivirus(host: Host) -> AntivirusFacts:
    """Every recognised product; an empty list means none was found."""
    now = datetime.now(UTC)
    units = list(CLAMD_UNITS + ONACC_UNITS + FRESHCLAM_UNITS + MDATP_UNITS)
    units += [u for entry in av_catalog.LINUX_PRODUCTS for u in entry.units]
    states = probes.unit_states(host, units)
    procs = probes.processes(host)
    notes = []
    if states is None:
        notes.append("systemd did not answer; service state taken from the process list")
    if states is None and procs is None:
        notes.append("neither systemctl nor ps answered: running state unknown")
    products: list[AntivirusProduct] = []
    clamav = _clamav(host, states, procs, now)
    if clamav is not None:
        products.append(clamav)
    try:
        health = host.run(["mdatp", "health", "--output", "json"], timeout=30)
    except FactError:
        health = None
    if health is not None and health.returncode == 0:
        try:
            products.append(parse_mdatp_health(health.stdout))
        except FactError as err:
            notes.append(str(err))
    products += vendor_products(states, procs)
    return AntivirusFacts(products=products, notes=notes)
