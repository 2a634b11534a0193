"""Anti-malware products the agent recognises: vendor names, service and daemon names, editions.

Data, kept in one place for both operating systems. Products common in Vietnamese offices come
first (BKAV, CMC, Kaspersky, ESET, Trend Micro, Symantec, Sophos, Microsoft Defender). BKAV and CMC
publish no Linux product with a documented service name, so they appear on Windows only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Display-name patterns → vendor, for names from Security Center, services and Uninstall keys.
_VENDORS: tuple[tuple[str, str], ...] = (
    (r"\bbkav", "Bkav"),
    (r"\bcmc\b", "CMC Cyber Security"),
    (r"kaspersky", "Kaspersky"),
    (r"\beset\b|nod32", "ESET"),
    (r"trend ?micro|apex one|officescan|deep security", "Trend Micro"),
    (r"symantec|norton", "Broadcom (Symantec)"),
    (r"sophos", "Sophos"),
    (r"defender|windows defender", "Microsoft"),
    (r"bitdefender", "Bitdefender"),
    (r"mcafee|trellix", "Trellix (McAfee)"),
    (r"avast", "Avast"),
    (r"\bavg\b", "AVG"),
    (r"clamav", "Cisco Talos (ClamAV)"),
    (r"crowdstrike|falcon", "CrowdStrike"),
    (r"sentinelone|sentinel agent", "SentinelOne"),
)

# (vendor, display-name pattern) → (edition, licensed). Only editions whose name says whether
# they are paid; anything else leaves ``licensed`` unknown.
_EDITIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("Bkav", r"\bpro\b", "Pro", True),
    ("Bkav", r"endpoint|enterprise|business", "Endpoint", True),
    ("Bkav", r"home|free", "Home", False),
    ("Kaspersky", r"\bfree\b", "Free", False),
    ("Avast", r"\bfree\b", "Free", False),
    ("AVG", r"\bfree\b", "Free", False),
)


def vendor_of(name: str) -> str | None:
    """The vendor of a product display name, or None when the name is not recognised."""
    # "Bitdefender" contains "defender": test it before Microsoft's pattern.
    if re.search(r"bitdefender", name, re.IGNORECASE):
        return "Bitdefender"
    for pattern, vendor in _VENDORS:
        if re.search(pattern, name, re.IGNORECASE):
            return vendor
    return None


def edition_of(vendor: str | None, name: str) -> tuple[str | None, bool | None]:
    """Edition and whether it is a paid one, when the display name tells."""
    for edition_vendor, pattern, edition, licensed in _EDITIONS:
        if vendor == edition_vendor and re.search(pattern, name, re.IGNORECASE):
            return edition, licensed
    return None, None


@dataclass(frozen=True, slots=True)
class WindowsService:
    """A vendor engine service; ``name`` may end in ``*`` (Kaspersky versions its service)."""

    name: str
    product: str
    vendor: str


WINDOWS_SERVICES: tuple[WindowsService, ...] = (
    WindowsService("BkavService", "Bkav", "Bkav"),
    WindowsService("CMCAgent", "CMC Antivirus", "CMC Cyber Security"),
    WindowsService("AVP*", "Kaspersky Endpoint Security", "Kaspersky"),
    WindowsService("kavfs", "Kaspersky Security for Windows Server", "Kaspersky"),
    WindowsService("ekrn", "ESET Security", "ESET"),
    WindowsService("ntrtscan", "Trend Micro Apex One", "Trend Micro"),
    WindowsService("ds_agent", "Trend Micro Deep Security Agent", "Trend Micro"),
    WindowsService("SepMasterService", "Symantec Endpoint Protection", "Broadcom (Symantec)"),
    WindowsService("Sophos Endpoint Defense Service", "Sophos Endpoint", "Sophos"),
    WindowsService("SAVService", "Sophos Anti-Virus", "Sophos"),
)


def windows_service(name: str) -> WindowsService | None:
    """The catalogue entry of a service name (case-insensitive, ``*`` as prefix match)."""
    folded = name.casefold()
    for entry in WINDOWS_SERVICES:
        pattern = entry.name.casefold()
        if folded == pattern or (pattern.endswith("*") and folded.startswith(pattern[:-1])):
            return entry
    return None


@dataclass(frozen=True, slots=True)
class LinuxProduct:
    """A Linux anti-malware product: its systemd units and process names (``comm``, 15 chars)."""

    product: str
    vendor: str
    units: tuple[str, ...]
    processes: tuple[str, ...]


LINUX_PRODUCTS: tuple[LinuxProduct, ...] = (
    LinuxProduct("Kaspersky Endpoint Security for Linux", "Kaspersky", ("kesl",), ("kesl",)),
    LinuxProduct("ESET Endpoint Antivirus for Linux", "ESET", ("eea",), ()),
    LinuxProduct("ESET Server Security for Linux", "ESET", ("efs",), ()),
    LinuxProduct("ESET File Security for Linux", "ESET", ("esets",), ("esets_daemon",)),
    LinuxProduct("Sophos Protection for Linux", "Sophos", ("sophos-spl",), ("sophos_watchdog",)),
    LinuxProduct("Sophos Anti-Virus for Linux", "Sophos", ("sav-protect",), ("savd",)),
    LinuxProduct("Trend Micro Deep Security Agent", "Trend Micro", ("ds_agent",), ("ds_agent",)),
    LinuxProduct(
        "Symantec Endpoint Protection for Linux",
        "Broadcom (Symantec)",
        ("sisamdagent",),
        ("sisamdagent",),
    ),
    LinuxProduct("CrowdStrike Falcon", "CrowdStrike", ("falcon-sensor",), ("falcon-sensor",)),
    LinuxProduct("SentinelOne", "SentinelOne", ("sentinelone",), ("s1-agent",)),
)
