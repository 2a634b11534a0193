"""A unit's scored result: requirement results and the unit score built from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

HostStatus = Literal["pass", "fail", "unknown", "not_applicable", "waived"]
ReqStatus = Literal["met", "partly_met", "not_met", "no_evidence", "not_applicable", "waived"]
CLASSES = ("A", "N", "D")
UNSCORED = ("not_applicable", "waived")


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """A requirement's status for a unit, with the counts and components behind it."""

    id: str
    status: ReqStatus
    value: float  # 0..1, the share that counts towards the score
    passing: int = 0
    failing: int = 0
    unknown: int = 0
    reason: str = ""
    waived: int = 0
    not_applicable: int = 0
    components: Mapping[str, ReqStatus] = field(default_factory=dict)  # A / N / D
    component_values: Mapping[str, float] = field(default_factory=dict)
    weight: int = 1
    mandatory: bool = True


@dataclass(frozen=True, slots=True)
class UnitScore:
    """A unit's result (or a subtree's, after ``roll_up``)."""

    score: float  # 0..100
    level_met: bool
    requirements: tuple[RequirementResult, ...]
    by_evidence: Mapping[str, float] = field(default_factory=dict)  # A / N / D sub-scores, 0..100
    hosts: int = 0
    waived: int = 0  # requirements waived unit-wide
    not_applicable: int = 0
    blockers: tuple[str, ...] = ()  # mandatory requirements keeping "level met" false
    units: int = 1
    units_level_met: int = 0
    today: date | None = None


def summarise(
    results: Sequence[RequirementResult],
    hosts: int,
    today: date | None,
    units: int = 1,
    units_level_met: int | None = None,
) -> UnitScore:
    """The unit score, sub-scores, "level met" and blockers from requirement results."""
    scored = [r for r in results if r.status not in ("not_applicable", "waived")]
    total = sum(r.weight for r in scored)
    score = 100.0 * sum(r.weight * r.value for r in scored) / total if total else 0.0
    by_evidence: dict[str, float] = {}
    for cls in CLASSES:
        having = [
            r for r in scored if r.components.get(cls) not in (None, "not_applicable", "waived")
        ]
        weight = sum(r.weight for r in having)
        if weight:
            earned = sum(r.weight * r.component_values[cls] for r in having)
            by_evidence[cls] = round(100.0 * earned / weight, 2)
    blockers = tuple(r.id for r in scored if r.mandatory and r.status != "met")
    level_met = not blockers
    return UnitScore(
        score=round(score, 2),
        level_met=level_met,
        requirements=tuple(results),
        by_evidence=by_evidence,
        hosts=hosts,
        waived=sum(1 for r in results if r.status == "waived"),
        not_applicable=sum(1 for r in results if r.status == "not_applicable"),
        blockers=blockers,
        units=units,
        units_level_met=units_level_met if units_level_met is not None else int(level_met),
        today=today,
    )
