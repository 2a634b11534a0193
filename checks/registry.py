"""The check registry: a dict filled by the ``@check`` decorator, from an explicit module list."""

from __future__ import annotations

from collections.abc import Callable

from checks.model import CheckFn, CheckSpec, Severity, Text2
from checks.pack import Pack, load_builtin_pack

CHECKS: dict[str, CheckSpec] = {}


def check(
    id: str,  # noqa: A002 - the natural name in a declarative decorator
    *,
    severity: Severity,
    title: tuple[str, str],
    rationale: tuple[str, str],
    remediation: tuple[str, str],
    sections: tuple[str, ...],
    os: tuple[str, ...] = ("windows", "linux"),
    thresholds: tuple[str, ...] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Register a check; texts are (Vietnamese, English) pairs."""

    def register(fn: CheckFn) -> CheckFn:
        if id in CHECKS:
            raise ValueError(f"check {id!r} registered twice")
        CHECKS[id] = CheckSpec(
            id=id,
            severity=severity,
            title=Text2(*title),
            rationale=Text2(*rationale),
            remediation=Text2(*remediation),
            sections=sections,
            os_families=os,
            thresholds=thresholds,
            fn=fn,
        )
        return fn

    return register


def load_builtin() -> dict[str, CheckSpec]:
    """Import the built-in check modules (an explicit list), filling :data:`CHECKS`."""
    from checks.builtin import MODULES  # noqa: F401 - importing registers the checks

    return CHECKS


def builtin_pack(pack_id: str) -> Pack:
    """A shipped pack, validated against the built-in checks (the one way callers load them)."""
    checks = load_builtin()
    return load_builtin_pack(pack_id, checks if STRICT_PACKS else None)


# While the catalogue's checks are being written, shipped packs may name checks that do not exist
# yet; scoring reports those as "unknown: check not available", never as a pass.
STRICT_PACKS = False
