"""Security logging and time synchronisation on Linux: journald, syslog, auditd, NTP clients."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agent.host import FactError, Host
from agent.linux import probes
from canh.contract.facts import LoggingFacts

# The oldest retained event decides retention. Reading the journal from its start
# (``journalctl | head -1``) decompresses entries; ``--header`` only reads each file's header,
# whose "Head realtime timestamp" is the first entry of that file.
JOURNAL_HEADER = ["journalctl", "--header", "--no-pager"]
LOG_UNITS = ("rsyslog", "syslog-ng", "auditd", "systemd-journal-upload")
TIME_UNITS = ("chrony", "chronyd", "systemd-timesyncd", "ntp", "ntpd", "ntpsec")
TIME_PROCS = ("chronyd", "systemd-timesyn", "ntpd")  # comm is cut at 15 characters
# Counted only up to this: enough to show logons are recorded, and a count that stops growing
# keeps the section's hash (and the delta report) stable.
AUTH_EVENTS_CAP = 100
JOURNAL_AUTH = [
    "journalctl",
    "-q",
    "--no-pager",
    "-o",
    "cat",
    "-n",
    "100",
    "SYSLOG_FACILITY=4",
    "SYSLOG_FACILITY=10",
]
ROTATED = re.compile(r"^(auth\.log|secure|syslog|messages)([.-].*)?$")


def parse_journal_heads(text: str) -> datetime | None:
    """Oldest "Head realtime timestamp" of ``journalctl --header`` (hex microseconds)."""
    heads = [
        int(m.group(1), 16)
        for m in re.finditer(r"^Head realtime timestamp:.*\(([0-9a-f]+)\)\s*$", text, re.M)
    ]
    heads = [h for h in heads if h > 0]
    return probes.epoch(min(heads) / 1e6) if heads else None


def journald_storage(texts: list[str]) -> str:
    """Effective ``Storage=`` of journald.conf and its drop-ins (later files win)."""
    storage = "auto"
    for text in texts:
        for match in re.finditer(r"^\s*Storage\s*=\s*(\w+)", text, re.MULTILINE):
            storage = match.group(1).lower()
    return storage


def rsyslog_targets(text: str) -> list[str]:
    """Remote hosts of rsyslog forwarding rules: ``@host``, ``@@host`` and ``omfwd`` actions."""
    targets = []
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for match in re.finditer(
        r"(?:^|\s)@@?(?:\([^)]*\))?\[?([\w.:-]+?)\]?(?::\d+)?\s*$", body, re.M
    ):
        targets.append(match.group(1))
    for action in re.finditer(r"action\s*\((.*?)\)", body, re.DOTALL):
        params = action.group(1)
        if re.search(r'type\s*=\s*"om(fwd|relp)"', params):
            target = re.search(r'target\s*=\s*"([^"]+)"', params)
            if target:
                targets.append(target.group(1))
    return targets


def syslog_ng_targets(text: str) -> list[str]:
    """Remote hosts of syslog-ng network destinations."""
    return re.findall(r'\b(?:network|tcp6?|udp6?|syslog)\s*\(\s*"([^"]+)"', text)


def parse_timedatectl(text: str) -> tuple[bool | None, bool | None]:
    """``timedatectl show``: NTP (sync service enabled) and NTPSynchronized."""
    values = dict(line.partition("=")[::2] for line in text.splitlines())
    flag = {"yes": True, "no": False}
    return flag.get(values.get("NTP", "")), flag.get(values.get("NTPSynchronized", ""))


def parse_chrony_tracking(text: str) -> tuple[bool | None, str | None, datetime | None]:
    """``chronyc tracking``: synchronised, reference source, time of the last clock update."""
    values = {
        k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())
    }
    if "Leap status" not in values:
        return None, None, None
    synced = values["Leap status"] != "Not synchronised"
    ref = re.search(r"\(([^)]+)\)", values.get("Reference ID", ""))
    source = ref.group(1) if ref and synced else None
    try:
        when = datetime.strptime(values.get("Ref time (UTC)", ""), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return synced, source, None
    return synced, source, when.replace(tzinfo=UTC) if when.year > 1970 else None


def count_auth_events(text: str, cap: int = AUTH_EVENTS_CAP) -> int:
    """Logon and privilege events in an auth/secure log, counted up to ``cap``."""
    pattern = re.compile(r"sshd\[|login\[|sudo(\[|:)|su(\[|:)|systemd-logind|gdm-password")
    return min(cap, sum(1 for line in text.splitlines() if pattern.search(line)))


def audit_watches(text: str) -> list[str]:
    """Paths watched by audit rules (``auditctl -l``: ``-w path`` or ``-F path=``)."""
    return sorted(set(re.findall(r"(?:-w\s+|-F\s+path=)(\S+)", text)))


def _time(host: Host, facts: dict[str, object], running: dict[str, bool | None]) -> None:
    try:
        shown = host.run(["timedatectl", "show"], timeout=10)
        if shown.returncode == 0:
            facts["time_sync_enabled"], facts["time_synchronized"] = parse_timedatectl(shown.stdout)
    except FactError:
        pass
    try:
        tracking = host.run(["chronyc", "-n", "tracking"], timeout=10)
        synced, source, when = parse_chrony_tracking(tracking.stdout)
        if synced is not None:
            facts.setdefault("time_synchronized", synced)
            facts["time_source"], facts["last_time_sync_at"] = source, when
    except FactError:
        pass
    if facts.get("time_sync_enabled") is None:
        facts["time_sync_enabled"] = running["time"]
    if "last_time_sync_at" not in facts:
        clock = probes.mtimes(host, ["/var/lib/systemd/timesync/clock"])
        facts["last_time_sync_at"] = next(iter(clock.values()), None)


def _auth_events(host: Host) -> int | None:
    """Authentication events retained: auth.log / secure, else the journal's auth facilities."""
    for path in ("/var/log/auth.log", "/var/log/secure"):
        text = host.read_text(path)
        if text is not None:
            return count_auth_events(text)
    try:
        result = host.run(JOURNAL_AUTH, timeout=20)
    except FactError:
        return None
    if result.returncode != 0:
        return None
    return min(AUTH_EVENTS_CAP, len([line for line in result.stdout.splitlines() if line.strip()]))


def gather_logging(host: Host) -> LoggingFacts:
    """Persistence, forwarding, audit, oldest retained event and time sync."""
    notes: list[str] = []
    states = probes.unit_states(host, list(LOG_UNITS + TIME_UNITS))
    procs = probes.processes(host)
    running = {
        "syslog": probes.running(
            states, procs, ("rsyslog", "syslog-ng"), ("rsyslogd", "syslog-ng")
        ),
        "audit": probes.running(states, procs, ("auditd",), ("auditd",)),
        "upload": probes.running(states, procs, ("systemd-journal-upload",), ()),
        "time": probes.running(states, procs, TIME_UNITS, TIME_PROCS),
    }
    journald = [host.read_text("/etc/systemd/journald.conf") or ""]
    journald += probes.read_dir_files(host, "/etc/systemd/journald.conf.d", ".conf").values()
    storage = journald_storage(journald)
    journal_dir = bool(probes.mtimes(host, ["/var/log/journal"]))
    journal_persistent = storage == "persistent" or (storage == "auto" and journal_dir)
    persistent = journal_persistent or running["syslog"] is True
    targets = rsyslog_targets(host.read_text("/etc/rsyslog.conf") or "")
    for text in probes.read_dir_files(host, "/etc/rsyslog.d", ".conf").values():
        targets += rsyslog_targets(text)
    targets += syslog_ng_targets(host.read_text("/etc/syslog-ng/syslog-ng.conf") or "")
    oldest = []
    try:
        header = host.run(JOURNAL_HEADER, timeout=30)
        if (head := parse_journal_heads(header.stdout)) is not None:
            oldest.append(head)
    except FactError:
        notes.append("journalctl is not installed")
    # A rotated file's mtime is its newest line, so the oldest such mtime under-states retention
    # by at most one rotation period: a conservative figure.
    rotated = [n for n in probes.list_dir(host, "/var/log") or [] if ROTATED.match(n)]
    oldest += probes.mtimes(host, [f"/var/log/{n}" for n in rotated]).values()
    watched: list[str] = []
    if running["audit"]:
        try:
            rules = host.run(["auditctl", "-l"], timeout=10)
            watched = audit_watches(rules.stdout) if rules.returncode == 0 else []
        except FactError:
            notes.append("auditctl is not installed: audit rules unknown")
    facts: dict[str, object] = {"auth_events": _auth_events(host)}
    _time(host, facts, running)
    return LoggingFacts(
        audit_enabled=running["audit"],
        audit_watched_paths=watched[:256],
        oldest_event_at=min(oldest) if oldest else None,
        persistent=persistent,
        forwarding=bool(targets) or running["upload"] is True,
        forwarding_targets=sorted(set(t[:256] for t in targets))[:256],
        notes=notes,
        **facts,  # type: ignore[arg-type]
    )
