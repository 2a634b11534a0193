"""The check registry: a dict filled by the ``@check`` decorator, from an explicit module list."""

from __future__ import annotations

from collections.abc import Callable

from checks.model import CheckFn, CheckSpec, Severity, Text2
from checks.network import NETWORK_CHECKS, NetworkCheckSpec
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
    supporting: bool = False,
    optional: tuple[str, ...] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Register a check; texts are (Vietnamese, English) pairs; ``thresholds`` are every pack
    key the check may read; ``supporting`` marks evidence that confirms but never refutes;
    ``optional`` names sections read when present (a finding depends only on ``sections`` and
    ``optional``, which lets scoring share findings between hosts with equal facts)."""

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
            supporting=supporting,
            optional_sections=optional,
        )
        return fn

    return register


def load_builtin() -> dict[str, CheckSpec]:
    """Import the built-in check modules (an explicit list), filling :data:`CHECKS`."""
    from checks.builtin import MODULES  # noqa: F401 - importing registers the checks

    return CHECKS


def all_checks() -> dict[str, CheckSpec | NetworkCheckSpec]:
    """Every built-in check, host and network, by id (for listings such as ``canh checks``)."""
    load_builtin()
    return {**CHECKS, **NETWORK_CHECKS}


def known_checks() -> set[str]:
    """Every built-in check id, host and network (a pack may reference only these)."""
    load_builtin()
    return set(CHECKS) | set(NETWORK_CHECKS)


def builtin_pack(pack_id: str) -> Pack:
    """A shipped pack, validated against the built-in checks (the one way callers load them).

    A pack that names a check that does not exist is refused with the file and line.
    """
    return load_builtin_pack(pack_id, known_checks())
