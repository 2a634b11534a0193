"""From findings to requirement status and unit score (DESIGN.md §3.3). Pure: no I/O.

One path for every fact: facts → findings (``evaluate_host``) → requirement status per host
(``host_requirements``) → unit status and score (``score_unit``). Nothing computes a score twice.
Unknown is not pass: a requirement without evidence counts as not met and says "no evidence".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from checks.model import Finding, HostFacts, Status
from checks.pack import Pack, Requirement
from checks.registry import CHECKS

ReqStatus = Literal["met", "partly_met", "not_met", "no_evidence", "not_applicable"]
REQ_VALUE: Mapping[str, float] = {"met": 1.0, "not_met": 0.0, "no_evidence": 0.0}
NETWORK_VERDICT: Mapping[str, ReqStatus] = {"pass": "met", "fail": "not_met"}


def evaluate_host(
    facts: HostFacts, pack: Pack, level: int, thresholds: Mapping[str, Any]
) -> dict[str, Finding]:
    """Run every check the pack uses at ``level`` that applies to this host's role."""
    findings: dict[str, Finding] = {}
    for req in pack.for_level(level):
        if not req.host_scoped or not req.applies_to_role(facts.role):
            continue
        for check_id in req.checks:
            if check_id in findings:
                continue
            spec = CHECKS.get(check_id)
            if spec is None:
                findings[check_id] = Finding(
                    check_id=check_id,
                    status="unknown",
                    reason="check not available in this collector",
                )
                continue
            findings[check_id] = spec.run(facts, thresholds)
    return findings


def combine(statuses: Iterable[Status]) -> Status:
    """A requirement's status on one host from its checks: any fail fails, unknown beats pass."""
    result: Status = "not_applicable"
    for status in statuses:
        if status == "fail":
            return "fail"
        if status == "unknown" or (status == "pass" and result == "not_applicable"):
            result = status
    return result


def host_requirements(
    role: str | None, findings: Mapping[str, Finding], pack: Pack, level: int
) -> dict[str, Status]:
    """Status of each host-scoped requirement on one host."""
    out: dict[str, Status] = {}
    for req in pack.for_level(level):
        if req.host_scoped and req.applies_to_role(role):
            out[req.id] = combine(
                findings[c].status if c in findings else "unknown" for c in req.checks
            )
    return out


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """A requirement's status for a unit, with the counts behind it."""

    id: str
    status: ReqStatus
    value: float  # 0..1, the share that counts towards the score
    passing: int = 0
    failing: int = 0
    unknown: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class UnitScore:
    """A unit's level-2 result."""

    score: float  # 0..100
    level_met: bool
    requirements: tuple[RequirementResult, ...]
    by_evidence: Mapping[str, float] = field(default_factory=dict)  # A / N / D sub-scores, 0..100
    hosts: int = 0


def requirement_from_hosts(req: Requirement, statuses: list[Status]) -> RequirementResult:
    """Met when every applicable host passes; partly met when some do; no evidence when none
    reported anything usable."""
    passing = statuses.count("pass")
    failing = statuses.count("fail")
    unknown = statuses.count("unknown")
    counted = passing + failing + unknown
    if counted == 0:
        return RequirementResult(req.id, "no_evidence", 0.0, reason="no host reports this")
    value = passing / counted
    if passing == counted:
        status: ReqStatus = "met"
    elif passing == 0:
        status = "no_evidence" if failing == 0 else "not_met"
    else:
        status = "partly_met"
    reason = f"{passing}/{counted} hosts pass"
    if unknown:
        reason += f", {unknown} without evidence"
    return RequirementResult(req.id, status, value, passing, failing, unknown, reason)


def score_unit(
    pack: Pack,
    level: int,
    host_statuses: Iterable[Mapping[str, Status]],
    declared: Mapping[str, bool] | None = None,
    network: Mapping[str, Status] | None = None,
) -> UnitScore:
    """Score a unit from its hosts' requirement statuses, its declarations and network scans.

    ``declared`` maps a requirement id to True when a valid (unexpired) attestation exists;
    ``network`` maps a network-scoped requirement id to the scans' verdict.
    """
    per_req: dict[str, list[Status]] = {}
    host_count = 0
    for statuses in host_statuses:
        host_count += 1
        for rid, status in statuses.items():
            per_req.setdefault(rid, []).append(status)
    declared = declared or {}
    network = network or {}
    results: list[RequirementResult] = []
    for req in pack.for_level(level):
        if req.host_scoped:
            result = requirement_from_hosts(req, per_req.get(req.id, []))
        elif req.id in network:
            verdict: ReqStatus = NETWORK_VERDICT.get(network[req.id], "no_evidence")
            result = RequirementResult(req.id, verdict, REQ_VALUE[verdict], reason="network scan")
        elif declared.get(req.id):
            result = RequirementResult(req.id, "met", 1.0, reason="declared with evidence")
        else:
            what = "declaration" if "D" in req.evidence else "evidence"
            result = RequirementResult(req.id, "no_evidence", 0.0, reason=f"no {what}")
        results.append(result)
    reqs = {r.id: r for r in pack.for_level(level)}
    score = _weighted(results, reqs, None)
    by_evidence = {cls: _weighted(results, reqs, cls) for cls in ("A", "N", "D")}
    level_met = all(r.status == "met" for r in results if reqs[r.id].mandatory)
    return UnitScore(
        round(score, 2),
        level_met,
        tuple(results),
        {k: round(v, 2) for k, v in by_evidence.items()},
        host_count,
    )


def _weighted(
    results: list[RequirementResult], reqs: Mapping[str, Requirement], evidence: str | None
) -> float:
    """Weighted mean of requirement values (×100), optionally over one evidence class (its
    first-listed, i.e. primary, class)."""
    total = earned = 0.0
    for result in results:
        req = reqs[result.id]
        if evidence is not None and req.evidence[0] != evidence:
            continue
        total += req.weight
        earned += req.weight * result.value
    return 100.0 * earned / total if total else 0.0
