"""Update status on Linux: apt (Debian, Ubuntu) or dnf/rpm (RHEL family), plus OS end of support.

The agent never refreshes package lists (``apt-get update``, ``dnf makecache``): that would
change the host and reach the network. Pending counts come from the lists the host already has,
and ``last_search_at`` says how fresh those are.

On apt hosts the pending counts are computed from the lists themselves (:mod:`agent.linux.aptlists`:
installed packages with a newer candidate, as ``apt list --upgradable`` counts them); only when
pins could change candidates, or the lists cannot be read that way, does the agent ask
``apt-get -s dist-upgrade`` (seconds of CPU, ~80 MiB) and say so in ``notes``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from agent import eol
from agent.host import FactError, Host
from agent.linux import aptlists, probes
from agent.linux.system import parse_os_release
from canh.contract.facts import PatchFacts

# The fallback. dist-upgrade rather than upgrade: plain upgrade keeps back updates that pull a
# new package, which is how Debian and Ubuntu ship kernel security fixes.
APT_SIMULATE = ["apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade"]
# -C answers from the metadata cache only: no network, no waiting on a mirror.
DNF_CHECK = ["dnf", "-q", "-C", "check-update"]
DNF_SECURITY = ["dnf", "-q", "-C", "updateinfo", "list", "--security"]
# rpm's install times are epoch seconds: no time-zone guessing, unlike dnf history's table.
RPM_INSTALLTIME = ["rpm", "-qa", "--queryformat", r"%{INSTALLTIME}\n"]
# Reading the lists (~0.15 s of CPU for Debian main) or a dependency simulation (seconds): the
# answer changes only when the package lists or the installed set change, so it is reused while
# their mtimes stay the same and an agent reporting every minute does not redo it each time.
_PENDING_CACHE: dict[tuple[str, ...], tuple[int | None, int | None]] = {}
_CACHE_SIZE = 64
DPKG_LOGS = ("/var/log/dpkg.log", "/var/log/dpkg.log.1")
APT_HISTORY = ("/var/log/apt/history.log", "/var/log/apt/history.log.1")


def parse_utc_offset(text: str) -> timezone | None:
    """``date +%z`` output ("+0700") as a time zone."""
    match = re.fullmatch(r"\s*([+-])(\d\d)(\d\d)\s*", text)
    if not match:
        return None
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return timezone(-delta if match.group(1) == "-" else delta)


def parse_dpkg_log(text: str, tz: timezone) -> datetime | None:
    """Time of the newest ``install``/``upgrade`` action in dpkg.log (local time → UTC)."""
    newest = None
    for match in re.finditer(
        r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:install|upgrade) ", text, re.MULTILINE
    ):
        newest = max(newest or match.group(1), match.group(1))
    return _local(newest, tz)


def parse_apt_history(text: str, tz: timezone) -> datetime | None:
    """End-Date of the newest apt run that installed or upgraded something."""
    newest = None
    for block in re.split(r"\n\s*\n", text):
        if not re.search(r"^(Install|Upgrade): ", block, re.MULTILINE):
            continue
        end = re.search(r"^End-Date: (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d)", block, re.MULTILINE)
        if end:
            stamp = f"{end.group(1)} {end.group(2)}"
            newest = max(newest or stamp, stamp)
    return _local(newest, tz)


def _local(stamp: str | None, tz: timezone) -> datetime | None:
    if stamp is None:
        return None
    try:
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def parse_apt_simulation(text: str) -> tuple[int, int]:
    """Pending and security updates from ``apt-get -s`` "Inst" lines."""
    total = security = 0
    for line in text.splitlines():
        if not line.startswith("Inst "):
            continue
        total += 1
        origin = line.partition("(")[2]
        if "-security" in origin or "Debian-Security" in origin:
            security += 1
    return total, security


def parse_dnf_check_update(text: str) -> int:
    """Packages listed by ``dnf check-update`` (before any "Obsoleting Packages" section)."""
    count = 0
    for line in text.splitlines():
        if line.startswith("Obsoleting"):
            break
        parts = line.split()
        if len(parts) == 3 and "." in parts[0] and not line.startswith(" "):
            count += 1
    return count


def parse_dnf_security(text: str) -> int:
    """Distinct packages with a pending security advisory (``dnf updateinfo list --security``)."""
    packages = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and re.match(r"^[A-Z]+SA-\d{4}:", parts[0]):
            packages.add(parts[-1])
    return len(packages)


def parse_install_times(text: str) -> datetime | None:
    """Newest of the epoch seconds printed one per line."""
    stamps = [int(line) for line in text.split() if line.isascii() and line.isdigit()]
    stamps = [s for s in stamps if probes.epoch(s) is not None]
    return probes.epoch(max(stamps)) if stamps else None


def _cache_key(host: Host, tool: str, paths: list[str]) -> tuple[str, ...] | None:
    """The state the pending counts depend on; None (no caching) when it cannot be read."""
    stamps = probes.mtimes(host, paths)
    if len(stamps) < len(paths):
        return None
    hostname = (host.read_text("/proc/sys/kernel/hostname") or "").strip()
    return (hostname, tool, *(stamps[p].isoformat() for p in paths))


def _remember(
    key: tuple[str, ...] | None, counts: tuple[int | None, int | None]
) -> tuple[int | None, int | None]:
    if key is not None:
        if len(_PENDING_CACHE) >= _CACHE_SIZE:
            _PENDING_CACHE.clear()
        _PENDING_CACHE[key] = counts
    return counts


def _apt(host: Host, facts: dict[str, object], notes: list[str]) -> None:
    zone = parse_utc_offset(host.run(["date", "+%z"], timeout=5).stdout) or UTC
    installs = [parse_dpkg_log(host.read_text(p) or "", zone) for p in DPKG_LOGS] + [
        parse_apt_history(host.read_text(p) or "", zone) for p in APT_HISTORY
    ]
    found = [t for t in installs if t is not None]
    facts["last_install_at"] = max(found) if found else None
    if not found:
        notes.append("no install or upgrade in dpkg.log or apt history.log (current and .1)")
    stamps = probes.mtimes(
        host, ["/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists"]
    )
    facts["last_search_at"] = max(stamps.values()) if stamps else None
    key = _cache_key(host, "apt", ["/var/lib/apt/lists", "/var/lib/dpkg/status"])
    if key in _PENDING_CACHE:
        facts["pending_total"], facts["pending_security"] = _PENDING_CACHE[key]
    else:
        counts = _apt_pending(host, notes)
        if counts is not None:
            facts["pending_total"], facts["pending_security"] = _remember(key, counts)
    flag = probes.mtimes(host, ["/var/run/reboot-required"])
    facts["reboot_required"] = bool(flag)
    facts["reboot_required_since"] = next(iter(flag.values()), None)


def _apt_from_lists(host: Host, notes: list[str]) -> tuple[int, int] | None:
    """Counts read from the package lists; None (with the reason in notes) when apt must tell."""
    try:
        result = host.run(aptlists.command(), timeout=120)
    except FactError as err:
        notes.append(f"package lists not readable ({err})")
        return None
    lists = aptlists.parse_output(result.stdout)
    reasons = lists.problems + [f"APT::Default-Release set in {p}" for p in lists.default_release]
    reasons += [f"pin in {pin}" for pin in aptlists.active_pins(lists)]
    if reasons:
        notes.append(f"{'; '.join(reasons)[:300]}: counted with apt-get -s dist-upgrade instead")
        return None
    total, security, bad = aptlists.pending(lists)
    if not lists.list_files:
        notes.append("no package lists in /var/lib/apt/lists: apt-get update never ran")
    if bad:
        notes.append(f"{bad} package versions that dpkg would reject were left out")
    return total, security


def _apt_pending(host: Host, notes: list[str]) -> tuple[int, int] | None:
    counts = _apt_from_lists(host, notes)
    if counts is not None:
        return counts
    result = host.run(APT_SIMULATE, timeout=120)
    if result.returncode == 0:
        return parse_apt_simulation(result.stdout)
    notes.append(f"apt-get -s failed: {result.stderr.strip()[:200]}")
    return None


def _dnf(host: Host, facts: dict[str, object], notes: list[str]) -> None:
    installed = host.run(RPM_INSTALLTIME, timeout=60)
    facts["last_install_at"] = parse_install_times(installed.stdout)
    stamps = probes.mtimes(host, ["/var/cache/dnf/last_makecache"])
    facts["last_search_at"] = next(iter(stamps.values()), None)
    key = _cache_key(host, "dnf", ["/var/cache/dnf/last_makecache", "/var/lib/rpm"])
    if key in _PENDING_CACHE:
        facts["pending_total"], facts["pending_security"] = _PENDING_CACHE[key]
        return _reboot_rhel(host, facts)
    check = host.run(DNF_CHECK, timeout=120)
    if check.returncode in (0, 100):  # 100: updates are available
        total, security_count = parse_dnf_check_update(check.stdout), None
        security = host.run(DNF_SECURITY, timeout=120)
        if security.returncode == 0:
            security_count = parse_dnf_security(security.stdout)
        facts["pending_total"], facts["pending_security"] = _remember(key, (total, security_count))
    else:
        notes.append(f"dnf check-update (cache only) failed: {check.stderr.strip()[:200]}")
    _reboot_rhel(host, facts)


def _reboot_rhel(host: Host, facts: dict[str, object]) -> None:
    for argv in (["needs-restarting", "-r"], ["dnf", "needs-restarting", "-r"]):
        try:
            restart = host.run(argv, timeout=60)
        except FactError:
            continue
        if restart.returncode in (0, 1):  # needs-restarting(1): 1 means reboot required
            facts["reboot_required"] = restart.returncode == 1
            break


def gather_patches(host: Host) -> PatchFacts:
    """Last install, pending (security) updates, reboot flag and OS end of support."""
    release = parse_os_release(host.read_text("/etc/os-release") or "")
    facts: dict[str, object] = {}
    notes: list[str] = []
    source = None
    for name, step in (("apt", _apt), ("dnf", _dnf)):
        try:
            step(host, facts, notes)
        except FactError as err:
            if "not installed" in str(err):
                facts.clear()
                notes.clear()  # what the step said about a tool this host does not have
                continue
            raise
        source = name
        break
    if source is None:
        notes.append("neither apt-get nor dnf/rpm is installed")
    eol_date, supported = eol.support_status(
        eol.linux_eol(eol.default_table(), release.get("ID"), release.get("VERSION_ID")),
        date.today(),
    )
    if eol_date is None:
        notes.append(f"{release.get('ID')} {release.get('VERSION_ID')} is not in the EOL table")
    return PatchFacts(
        **facts,  # type: ignore[arg-type]
        os_eol_date=eol_date,
        os_supported=supported,
        source=source,
        notes=notes,
    )
