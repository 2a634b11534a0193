"""Reading a pack's thresholds inside a check: typed, with the key named when one is missing.

A check never hard-codes a number it compares against (docs/CHECKS-PLAN.md): it asks this module
for the pack's value. A missing or ill-typed value raises :class:`ThresholdError`, which
:meth:`checks.model.CheckSpec.run` turns into an *unknown* finding that names the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Literal

Proto = Literal["tcp", "udp"]
PortSpec = tuple[Proto, int]

_PORT_ITEM = re.compile(r"(tcp|udp)/([0-9]{1,5})")


class ThresholdError(LookupError):
    """A threshold the check needs is missing from the pack or has the wrong type."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"threshold '{key}' {problem}")
        self.key = key


def _get(thresholds: Mapping[str, Any], key: str) -> Any:
    try:
        return thresholds[key]
    except KeyError:
        raise ThresholdError(key, "is not set in the pack") from None


def number(thresholds: Mapping[str, Any], key: str) -> float:
    """A numeric threshold (int or float; a bool is not a number here)."""
    value = _get(thresholds, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThresholdError(key, f"must be a number, not {value!r}")
    return float(value)


def flag(thresholds: Mapping[str, Any], key: str) -> bool:
    """A boolean threshold."""
    value = _get(thresholds, key)
    if not isinstance(value, bool):
        raise ThresholdError(key, f"must be true or false, not {value!r}")
    return value


def text(thresholds: Mapping[str, Any], key: str) -> str:
    """A text threshold."""
    value = _get(thresholds, key)
    if not isinstance(value, str):
        raise ThresholdError(key, f"must be text, not {value!r}")
    return value


def words(thresholds: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A comma-separated text threshold as its items (e.g. SNMP communities)."""
    return tuple(item.strip() for item in text(thresholds, key).split(",") if item.strip())


@lru_cache(maxsize=256)
def parse_ports(value: str) -> frozenset[PortSpec]:
    """Parse a port list such as ``"tcp/22,udp/161"``; ValueError names the bad item."""
    out: set[PortSpec] = set()
    for raw in value.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        match = _PORT_ITEM.fullmatch(item)
        if match is None or not 0 < int(match.group(2)) <= 65535:
            raise ValueError(f"{raw.strip()!r} is not proto/port (e.g. tcp/22)")
        proto: Proto = "tcp" if match.group(1) == "tcp" else "udp"
        out.add((proto, int(match.group(2))))
    return frozenset(out)


def ports(thresholds: Mapping[str, Any], key: str) -> frozenset[PortSpec]:
    """A port-list threshold (comma-separated ``proto/port``)."""
    try:
        return parse_ports(text(thresholds, key))
    except ValueError as err:
        raise ThresholdError(key, f"is not a port list: {err}") from None


def format_ports(items: frozenset[PortSpec]) -> str:
    """A port set back in the pack's notation, sorted."""
    return ",".join(f"{proto}/{port}" for proto, port in sorted(items, key=lambda p: (p[1], p[0])))


def for_role(
    thresholds: Mapping[str, Any],
    role: str | None,
    *,
    server: str,
    workstation: str,
    read: Callable[[Mapping[str, Any], str], float] = number,
    strictest: Callable[[float, float], float] = min,
) -> tuple[str, float]:
    """The (key, value) for a host's role. A host of unknown role gets the strictest of both,
    as requirements hold it to both roles (checks/pack.py ``applies_to_role``)."""
    if role == "server":
        return server, read(thresholds, server)
    if role == "workstation":
        return workstation, read(thresholds, workstation)
    s, w = read(thresholds, server), read(thresholds, workstation)
    return (server, s) if strictest(s, w) == s else (workstation, w)
