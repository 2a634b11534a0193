"""Roll-up through the unit tree: a parent's result from its children's (and its own) results.

Pure: it reads only the children's :class:`~checks.results.UnitScore`, so a parent is re-derived
from stored child results without touching hosts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from checks.results import CLASSES, UNSCORED, ReqStatus, RequirementResult, UnitScore, summarise

COUNTS = ("passing", "failing", "unknown", "waived", "not_applicable")


def _status(values: Sequence[float], statuses: set[str]) -> ReqStatus:
    """Met when every member meets it, not met when all are worth 0, else partly met."""
    if statuses == {"met"}:
        return "met"
    if sum(values) == 0.0:
        return "no_evidence" if statuses == {"no_evidence"} else "not_met"
    return "partly_met"


def _merge(rid: str, items: list[RequirementResult]) -> RequirementResult:
    first = items[0]
    sums = {name: sum(getattr(r, name) for r in items) for name in COUNTS}
    live = [r for r in items if r.status not in UNSCORED]
    if not live:
        status: ReqStatus = (
            "waived" if any(r.status == "waived" for r in items) else "not_applicable"
        )
        return RequirementResult(
            rid,
            status,
            0.0,
            reason=f"0/{len(items)} units score it",
            **sums,
            weight=first.weight,
            mandatory=first.mandatory,
        )
    value = sum(r.value for r in live) / len(live)
    components: dict[str, ReqStatus] = {}
    component_values: dict[str, float] = {}
    for cls in CLASSES:
        having = [r for r in live if r.components.get(cls) not in (None, *UNSCORED)]
        if having:
            values = [r.component_values[cls] for r in having]
            component_values[cls] = sum(values) / len(values)
            components[cls] = _status(values, {r.components[cls] for r in having})
    met = sum(1 for r in live if r.status == "met")
    return RequirementResult(
        rid,
        _status([r.value for r in live], {r.status for r in live}),
        value,
        reason=f"{met}/{len(live)} units meet it",
        **sums,
        components=components,
        component_values=component_values,
        weight=first.weight,
        mandatory=first.mandatory,
    )


def roll_up(children: Sequence[UnitScore], own: UnitScore | None = None) -> UnitScore:
    """A parent's result from its own result (if it scores anything itself) and its children's.

    Each member unit weighs the same (a commune station counts as much as a hospital: each is
    accountable for its own system). Per requirement: the value is the mean over the members
    where it is applicable and not waived; *met* when all those members meet it, *not met* when
    all are worth 0, else *partly met*; *waived* when every applicable member waived it. Host
    counts add up. Level met: the merged statuses say so, and every member met it.
    """
    members = ([own] if own is not None else []) + list(children)
    by_id: dict[str, list[RequirementResult]] = {}
    for member in members:
        for r in member.requirements:
            by_id.setdefault(r.id, []).append(r)
    merged = [_merge(rid, items) for rid, items in by_id.items()]
    today = next((m.today for m in members if m.today is not None), None)
    result = summarise(
        merged,
        sum(m.hosts for m in members),
        today,
        units=sum(m.units for m in members),
        units_level_met=sum(m.units_level_met for m in members),
    )
    if result.level_met and not all(m.level_met for m in members):
        return replace(result, level_met=False)
    return result
