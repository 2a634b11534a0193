"""The evaluation plan of a pack at a level: which checks run on a host of each role, which
requirements each role's host statuses cover, and which ``scan.*`` checks the unit needs.

Computed once per pack and level and cached on the pack, so scoring 10,000 hosts does not
re-walk the pack per host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from checks.model import CheckSpec
from checks.network import NETWORK_CHECKS
from checks.pack import Pack, Requirement
from checks.registry import CHECKS, load_builtin

ROLES = ("server", "workstation")


@dataclass(frozen=True, slots=True)
class ReqPlan:
    """A requirement split into its agent and scan checks."""

    req: Requirement
    agent: tuple[str, ...]
    scan: tuple[str, ...]
    supporting: frozenset[str]
    declared: bool  # D is in its evidence


@dataclass(frozen=True, slots=True)
class RolePlan:
    """What to run on a host of one role, computed once per pack and level."""

    checks: tuple[tuple[str, CheckSpec | None, tuple[str, ...]], ...]  # (id, spec, sections read)
    reqs: tuple[ReqPlan, ...]  # requirements with an agent part for this role


@dataclass(frozen=True, slots=True)
class LevelPlan:
    """A pack at one level, ready to evaluate."""

    reqs: tuple[ReqPlan, ...]
    roles: Mapping[str | None, RolePlan]
    scan_checks: tuple[str, ...]


def _spec(pack: Pack, check_id: str) -> CheckSpec | None:
    return pack.custom_checks.get(check_id) or CHECKS.get(check_id)


def plan(pack: Pack, level: int) -> LevelPlan:
    """The evaluation plan of ``pack`` at ``level`` (cached on the pack)."""
    cached: LevelPlan | None = pack.plans.get(level)
    if cached is not None:
        return cached
    load_builtin()
    reqs: list[ReqPlan] = []
    for req in pack.for_level(level):
        scan = tuple(c for c in req.checks if c in NETWORK_CHECKS or c.startswith("scan."))
        agent = tuple(c for c in req.checks if c not in scan)
        supporting = frozenset(
            c
            for c in req.checks
            if (spec := _spec(pack, c) or NETWORK_CHECKS.get(c)) is not None and spec.supporting
        )
        reqs.append(ReqPlan(req, agent, scan, supporting, "D" in req.evidence))
    roles: dict[str | None, RolePlan] = {}
    for role in (*ROLES, None):
        mine = tuple(
            r
            for r in reqs
            if r.agent and (r.req.applies_to_role(role) or r.req.scope in ("unit", "network"))
        )
        ids = dict.fromkeys(c for r in mine for c in r.agent)
        specs = ((c, _spec(pack, c)) for c in ids)
        roles[role] = RolePlan(tuple((c, s, s.reads if s else ()) for c, s in specs), mine)
    scan_ids = tuple(dict.fromkeys(c for r in reqs for c in r.scan))
    result = LevelPlan(tuple(reqs), roles, scan_ids)
    pack.plans[level] = result
    return result


def role_key(role: str | None) -> str | None:
    """The plan key of a host role (anything but server/workstation is "unknown role")."""
    return role if role in ROLES else None
