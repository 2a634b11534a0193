"""Installed packages on Linux: dpkg, rpm, snap and flatpak, each from its own query tool."""

from __future__ import annotations

import re

from agent.host import FactError, Host
from canh.contract.facts import Package, SoftwareFacts

# Fixed formats: tab-separated, one package a line, so names with spaces cannot shift fields.
# The backslash escapes are expanded by dpkg-query(1) and rpm(8) themselves.
DPKG_FORMAT = r"${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${Maintainer}\n"
RPM_FORMAT = r"%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{VENDOR}\n"
DPKG_ARGV = ["dpkg-query", "-W", "-f", DPKG_FORMAT]
RPM_ARGV = ["rpm", "-qa", "--queryformat", RPM_FORMAT]
SNAP_ARGV = ["snap", "list", "--unicode=never"]
FLATPAK_ARGV = ["flatpak", "list", "--app", "--columns=application,version,arch,origin"]
MAX_PACKAGES = 50000


def _field(value: str) -> str | None:
    value = value.strip()
    return value[:256] if value and value != "(none)" else None


def _publisher(maintainer: str) -> str | None:
    """ "Debian GNOME Maintainers <pkg-gnome@...>" → "Debian GNOME Maintainers"."""
    return _field(re.sub(r"\s*<[^>]*>\s*$", "", maintainer))


def parse_dpkg(text: str) -> list[Package]:
    """Installed packages from ``dpkg-query -W`` with :data:`DPKG_FORMAT` (status "?i")."""
    packages = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 5 or len(parts[0]) < 2 or parts[0][1] != "i" or not parts[1].strip():
            continue  # "rc" = removed, config files left: not installed
        packages.append(
            Package(
                name=parts[1].strip()[:256],
                version=_field(parts[2]),
                arch=_field(parts[3]),
                publisher=_publisher(parts[4]),
                source="dpkg",
            )
        )
    return packages


def parse_rpm(text: str) -> list[Package]:
    """Installed packages from ``rpm -qa`` with :data:`RPM_FORMAT`."""
    packages = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[0].strip() or parts[0].startswith("gpg-pubkey"):
            continue  # imported signing keys are rpm "packages" too
        packages.append(
            Package(
                name=parts[0].strip()[:256],
                version=_field(parts[1]),
                arch=_field(parts[2]),
                publisher=_field(parts[3]),
                source="rpm",
            )
        )
    return packages


def parse_snap(text: str) -> list[Package]:
    """Snaps from ``snap list``: Name Version Rev Tracking Publisher Notes."""
    packages: list[Package] = []
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Name"):
        return packages
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        packages.append(
            Package(
                name=parts[0][:256],
                version=_field(parts[1]),
                publisher=_field(parts[4].rstrip("*✓")),  # "*" marks a verified publisher
                source="snap",
            )
        )
    return packages


def parse_flatpak(text: str) -> list[Package]:
    """Apps from ``flatpak list --app --columns=application,version,arch,origin``."""
    packages = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[0].strip() or parts[0] == "Application ID":
            continue
        packages.append(
            Package(
                name=parts[0].strip()[:256],
                version=_field(parts[1]),
                arch=_field(parts[2]),
                publisher=_field(parts[3]),  # the remote it came from, e.g. flathub
                source="flatpak",
            )
        )
    return packages


_SOURCES = (
    ("dpkg", DPKG_ARGV, parse_dpkg),
    ("rpm", RPM_ARGV, parse_rpm),
    ("snap", SNAP_ARGV, parse_snap),
    ("flatpak", FLATPAK_ARGV, parse_flatpak),
)


def gather_software(host: Host) -> SoftwareFacts:
    """Every package manager present answers; absent ones are skipped."""
    packages: list[Package] = []
    notes: list[str] = []
    answered = False
    for name, argv, parse in _SOURCES:
        try:
            result = host.run(argv, timeout=60)
        except FactError as err:
            if "not installed" not in str(err):
                notes.append(f"{name}: {err}")
            continue
        if result.returncode != 0:
            # snap without snapd running, rpm on a dpkg system with an empty db: not an answer.
            notes.append(f"{name}: exit {result.returncode}: {result.stderr.strip()[:200]}")
            continue
        answered = True
        packages += parse(result.stdout)
    if not answered:
        raise FactError("no package manager answered (dpkg-query, rpm, snap, flatpak)")
    if len(packages) > MAX_PACKAGES:
        notes.append(f"{len(packages)} packages, only the first {MAX_PACKAGES} are reported")
    packages.sort(key=lambda p: (p.source, p.name.casefold(), p.version or ""))
    return SoftwareFacts(packages=packages[:MAX_PACKAGES], notes=notes[:32])
