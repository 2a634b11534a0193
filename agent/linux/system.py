"""System and hardware facts on Linux, from /etc/os-release, /proc and /sys (see os-release(5))."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime

from agent.host import FactError, Host
from canh.contract.facts import Disk, HardwareFacts, SystemFacts

# Vendors ship DMI strings that mean "nobody filled this in"; they are not serial numbers.
PLACEHOLDERS = frozenset(
    s.casefold()
    for s in (
        "",
        "Default string",
        "To be filled by O.E.M.",
        "To Be Filled By O.E.M.",
        "System Serial Number",
        "Not Specified",
        "None",
        "0",
        "0123456789",
        "123456789",
        "OEM",
        "System Product Name",
        "System manufacturer",
        "Chassis Serial Number",
    )
)
# Hypervisor DMI vendors; Hyper-V says "Microsoft Corporation" like a Surface, so it is told
# apart by its product name instead.
VIRTUAL_VENDORS = frozenset(("QEMU", "VMware, Inc.", "Xen", "innotek GmbH", "Red Hat"))
SERVER_HINTS = ("nginx", "apache2", "httpd", "mysqld", "mariadb", "postgres", "slapd", "named")
_VIRTUAL_FS = frozenset(
    [
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "tmpfs",
        "securityfs",
        "cgroup",
        "cgroup2",
        "pstore",
        "bpf",
        "debugfs",
        "tracefs",
        "mqueue",
        "hugetlbfs",
        "fusectl",
        "configfs",
        "autofs",
        "binfmt_misc",
        "overlay",
        "squashfs",
        "nsfs",
        "ramfs",
        "efivarfs",
        "rpc_pipefs",
        "fuse.gvfsd-fuse",
        "fuse.portal",
    ]
)


def clean_dmi(value: str | None) -> str | None:
    """A DMI string, or None when it is empty or a known placeholder."""
    if value is None:
        return None
    value = value.strip()
    return None if value.casefold() in PLACEHOLDERS else value


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value pairs of os-release(5), with shell quoting removed."""
    out: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            continue
        out[key.strip()] = parts[0] if parts else ""
    return out


def parse_boot_time(stat_text: str) -> datetime | None:
    """The boot time from the ``btime`` line of /proc/stat."""
    match = re.search(r"^btime\s+(\d+)$", stat_text, re.MULTILINE)
    return datetime.fromtimestamp(int(match.group(1)), UTC) if match else None


def parse_cpuinfo(text: str) -> tuple[str | None, int | None, int | None]:
    """CPU model, physical cores and logical threads from /proc/cpuinfo."""
    model = None
    threads = 0
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "processor":
            threads += 1
        elif key == "model name" and model is None:
            model = value
        elif key == "physical id":
            physical = value
        elif key == "core id":
            core = value
            cores.add((physical, core))
    return model, (len(cores) or threads or None), (threads or None)


def parse_meminfo(text: str) -> int | None:
    """Total memory in bytes from /proc/meminfo."""
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def coarse_free(size: int, free: int) -> int:
    """Free space rounded down to 1% of the disk: exact bytes change with every log line, which
    would make the hardware section differ on every report (no delta, an event each time)."""
    step = max(size // 100, 1)
    return free // step * step


def parse_df(text: str) -> list[Disk]:
    """Real file systems from ``df -PTB1`` (POSIX output, sizes in bytes)."""
    disks = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 7 or parts[1] in _VIRTUAL_FS:
            continue
        device, fstype, size, _used, free = parts[:5]
        mount = " ".join(parts[6:])
        if not (size.isdigit() and free.isdigit()):
            continue
        disks.append(
            Disk(
                device=device,
                mountpoint=mount,
                fstype=fstype,
                size_bytes=int(size),
                free_bytes=coarse_free(int(size), int(free)),
            )
        )
    return disks


# SMBIOS chassis types (DMTF DSP0134, 7.4.1) grouped the way IT staff plan hardware.
_CHASSIS = {
    **dict.fromkeys((8, 9, 10, 14, 30, 31, 32), "laptop"),
    **dict.fromkeys((3, 4, 5, 6, 7, 13, 15, 16, 24, 34, 35, 36), "desktop"),
    **dict.fromkeys((17, 23, 25, 28, 29), "server"),
}


def chassis_kind(chassis_type: int | None) -> str | None:
    """An SMBIOS chassis type number as laptop / desktop / server / other."""
    if chassis_type is None or chassis_type in (1, 2):  # "Other", "Unknown"
        return None
    return _CHASSIS.get(chassis_type, "other")


def _arch(host: Host) -> str | None:
    """Machine architecture: /proc/sys/kernel/arch (Linux 6.1+), else ``uname -m``."""
    arch = (host.read_text("/proc/sys/kernel/arch") or "").strip()
    if arch:
        return arch
    try:
        result = host.run(["uname", "-m"], timeout=5)
    except FactError:
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _installed_at(host: Host) -> datetime | None:
    """Birth time of the root directory, i.e. when the OS was installed (0 when not recorded)."""
    try:
        result = host.run(["stat", "-c", "%W", "/"], timeout=5)
    except FactError:
        return None
    stamp = result.stdout.strip()
    if not (stamp.isascii() and stamp.isdigit()) or not 0 < int(stamp) < 4102444800:
        return None
    return datetime.fromtimestamp(int(stamp), UTC)


def parse_running_units(text: str) -> list[str]:
    """Unit names (without ``.service``) from ``systemctl list-units --plain --no-legend``."""
    names = {
        line.split()[0].removesuffix(".service")[:256] for line in text.splitlines() if line.split()
    }
    return sorted(names)[:2048]


def _running_services(host: Host) -> list[str] | None:
    """Running systemd services; None where systemd does not answer (containers, SysV)."""
    try:
        result = host.run(
            [
                "systemctl",
                "list-units",
                "--type=service",
                "--state=running",
                "--no-legend",
                "--plain",
            ],
            timeout=10,
        )
    except FactError:
        return None
    return parse_running_units(result.stdout) if result.returncode == 0 else None


def guess_role(host: Host, declared: str | None) -> tuple[str | None, str | None]:
    """Server or workstation: declared wins; otherwise no desktop session and a server daemon."""
    if declared in ("server", "workstation"):
        return declared, "declared"
    has_desktop = any(
        host.read_text(path) is not None
        for path in ("/usr/bin/Xorg", "/usr/bin/gnome-shell", "/usr/bin/plasmashell")
    )
    if has_desktop:
        return "workstation", "heuristic"
    units = host.run(
        ["systemctl", "list-units", "--type=service", "--state=running", "--no-legend", "--plain"],
        timeout=10,
    ).stdout
    if any(hint in units for hint in SERVER_HINTS):
        return "server", "heuristic"
    return None, None


def gather_system(host: Host, declared_role: str | None = None) -> SystemFacts:
    """Identity, OS and role."""
    release = parse_os_release(host.read_text("/etc/os-release") or "")
    hostname = (host.read_text("/proc/sys/kernel/hostname") or "").strip()
    if not hostname:
        raise FactError("hostname unreadable from /proc/sys/kernel/hostname")
    domain = (host.read_text("/proc/sys/kernel/domainname") or "").strip()
    try:
        role, role_source = guess_role(host, declared_role)
    except FactError:
        role, role_source = None, None
    return SystemFacts(
        hostname=hostname,
        domain=None if domain in ("", "(none)") else domain,
        os_family="linux",
        os_name=release.get("PRETTY_NAME") or release.get("NAME"),
        os_version=release.get("VERSION_ID"),
        os_id=release.get("ID"),
        kernel=(host.read_text("/proc/sys/kernel/osrelease") or "").strip() or None,
        arch=_arch(host),
        boot_time=parse_boot_time(host.read_text("/proc/stat") or ""),
        role=role,  # type: ignore[arg-type]
        role_source=role_source,  # type: ignore[arg-type]
        os_edition=release.get("VARIANT_ID"),
        installed_at=_installed_at(host),
        services_running=_running_services(host),
    )


def gather_hardware(host: Host) -> HardwareFacts:
    """CPU, memory, disks and the DMI identity."""
    model, cores, threads = parse_cpuinfo(host.read_text("/proc/cpuinfo") or "")
    dmi = "/sys/class/dmi/id/"
    df = host.run(["df", "-PTB1"], timeout=10)
    return HardwareFacts(
        manufacturer=clean_dmi(host.read_text(dmi + "sys_vendor")),
        model=clean_dmi(host.read_text(dmi + "product_name")),
        serial=clean_dmi(host.read_text(dmi + "product_serial")),
        bios_version=clean_dmi(host.read_text(dmi + "bios_version")),
        cpu_model=model,
        cpu_cores=cores,
        cpu_threads=threads,
        memory_bytes=parse_meminfo(host.read_text("/proc/meminfo") or ""),
        disks=parse_df(df.stdout) if df.returncode == 0 else [],
        chassis=_chassis(host),  # type: ignore[arg-type]
    )


def _chassis(host: Host) -> str | None:
    vendor = (host.read_text("/sys/class/dmi/id/sys_vendor") or "").strip()
    product = (host.read_text("/sys/class/dmi/id/product_name") or "").strip()
    if vendor in VIRTUAL_VENDORS or product == "Virtual Machine":
        return "virtual"
    text = (host.read_text("/sys/class/dmi/id/chassis_type") or "").strip()
    return chassis_kind(int(text)) if text.isdigit() else None
