"""From findings to requirement status and unit score (DESIGN.md §3.3). Pure: no I/O.

One path for every fact: facts → findings (``evaluate_host``) → requirement status per host
(``host_requirements``) → unit status and score (``score_unit``) → parents (``roll_up``).
Nothing computes a score twice. Every date-dependent function takes ``today`` (or ``now``).

The rules (docs/CHECKS.md, "Scoring"):

- **Unknown is not pass.** A host requirement with an unknown check is *unknown*; a requirement
  without evidence counts as not met and says "no evidence". *Supporting* checks
  (``remote.mfa_enforced``, ``scan.waf_fingerprint``) confirm but never refute: their unknown
  is ignored, so the requirement's declaration decides.
- **Components.** A requirement has up to three evidence components, each from what it lists:
  **A** (its agent checks, over the unit's hosts of the requirement's role — every host for
  unit- and network-scoped rows), **N** (its ``scan.*`` checks, from the collector's
  observation) and **D** (a valid declaration, when D is in its evidence). Each component is
  *met*, *partly met*, *not met*, *no evidence* or *not applicable*, with a value 0..1 (A: the
  share of counted hosts that pass).
- **Mixed evidence** (e.g. ``[A, D]``): *met* only when every component is met, i.e. the agent
  part passes on every host **and** a valid declaration exists; *not met* when every component
  is worth 0 (*no evidence* when none has any evidence); *partly met* otherwise. The value is the
  mean of the components' values.
- **Not applicable.** A component is N/A when every host (or the scan) says not applicable, or,
  for a role-scoped row, when no host of that role reports while others do. A requirement is
  N/A when all its components are; a D component never is (a unit without Wi-Fi or mail attests
  exactly that). N/A requirements leave the score and "level met".
- **Waivers** (checks/declarations.py) remove what they cover from the arithmetic, never from
  view: a waived check on a host makes that host's requirement *waived*; waived hosts are
  counted apart and excluded from the share; a requirement waived unit-wide has status *waived*
  with its underlying status in the reason, is excluded from the score and does not block
  "level met".
- **Score** 0..100: weight-averaged requirement values over requirements that are neither N/A
  nor waived. **A/N/D sub-scores** average each component's value over the requirements that
  have it, so a unit cannot go green on declarations alone. **Level met**: every mandatory,
  applicable, unwaived requirement is *met*.
- **Speed.** The pack's per-role plan is computed once (checks/plan.py); a ``FindingMemo``
  shares findings between hosts whose read sections hash equal; a ``StatusTally`` re-scores a
  unit after one host's report in O(requirements).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from canh.contract.report import SECTION_TYPES
from checks.declarations import (
    DOSSIER,
    QUYCHE,
    Declaration,
    DeclarationResult,
    Waiver,
    active_waivers,
    cadence,
    find_waiver,
    judge,
    quyche_order,
)
from checks.model import Finding, HostFacts, Status
from checks.network import NETWORK_CHECKS, NetworkObservation
from checks.pack import Pack, Requirement
from checks.plan import ROLES, LevelPlan, ReqPlan, RolePlan, plan, role_key
from checks.results import (
    CLASSES,
    HostStatus,
    ReqStatus,
    RequirementResult,
    UnitScore,
    summarise,
)
from checks.rollup import roll_up

__all__ = [
    "CLASSES",
    "REQ_VALUE",
    "ROLES",
    "Declaration",
    "FindingMemo",
    "HostStatus",
    "LevelPlan",
    "ReqPlan",
    "ReqStatus",
    "RequirementResult",
    "RolePlan",
    "StatusTally",
    "UnitScore",
    "Waiver",
    "combine",
    "evaluate_host",
    "evaluate_network",
    "host_requirements",
    "network_requirements",
    "plan",
    "requirement_from_hosts",
    "roll_up",
    "score_unit",
]

_SECTIONS = tuple(SECTION_TYPES)
_MISSING = Finding(check_id="-", status="unknown")
REQ_VALUE: Mapping[str, float] = {"met": 1.0, "not_met": 0.0, "no_evidence": 0.0}
NETWORK_VERDICT: Mapping[str, ReqStatus] = {
    "pass": "met",
    "fail": "not_met",
    "unknown": "no_evidence",
    "not_applicable": "not_applicable",
    "waived": "waived",
}


# ----------------------------------------------------------------------------- one host


class FindingMemo:
    """Findings shared between the hosts of one unit evaluated in one batch.

    A finding depends only on the sections its check reads (``CheckSpec.reads``), the host's OS,
    role and host-specific unit data, the reference time, the unit's data and the thresholds.
    Hosts whose read sections have equal content hashes (``HostFacts.hashes``: the same image,
    the same domain policy) therefore get the same finding. Create one memo per unit, thresholds
    and batch, pass it to ``evaluate_host`` and ``host_requirements``, then drop it; never share
    it across units or threshold sets. Without hashes nothing is shared.
    """

    __slots__ = ("findings", "statuses")

    def __init__(self) -> None:
        self.findings: dict[tuple[Any, ...], Finding] = {}
        self.statuses: dict[tuple[Any, ...], dict[str, HostStatus]] = {}


def _unavailable(check_id: str) -> Finding:
    return Finding(
        check_id=check_id, status="unknown", reason="check not available in this collector"
    )


def _host_specific(facts: HostFacts) -> str | None:
    """The host name when the unit declared data for this very host (it changes findings)."""
    unit, host = facts.unit, facts.host
    if host is None:
        return None
    if host in (unit.allowed_ports or {}) or host in (unit.service_baseline or {}):
        return host
    return None


def evaluate_host(
    facts: HostFacts,
    pack: Pack,
    level: int,
    thresholds: Mapping[str, Any],
    *,
    now: datetime | None = None,
    memo: FindingMemo | None = None,
) -> dict[str, Finding]:
    """Run every agent check the pack uses at ``level`` on this host's role.

    ``now`` sets the time ages are measured from (else ``facts.as_of``, else the clock);
    ``memo`` shares findings with earlier hosts of the same batch whose facts were equal.
    """
    if now is not None and facts.as_of != now:
        facts = replace(facts, as_of=now)
    checks = plan(pack, level).roles[role_key(facts.role)].checks
    if memo is None or not facts.hashes:
        return {
            check_id: spec.run(facts, thresholds) if spec is not None else _unavailable(check_id)
            for check_id, spec, _reads in checks
        }
    hashes, errors = facts.hashes, facts.errors
    signature = {s: hashes.get(s) or errors.get(s, "") for s in _SECTIONS}
    base = (facts.os_family, facts.role, facts.as_of, facts.decommission, _host_specific(facts))
    cache = memo.findings
    findings: dict[str, Finding] = {}
    for check_id, spec, reads in checks:
        if spec is None:
            findings[check_id] = _unavailable(check_id)
            continue
        key = (check_id, base, *map(signature.__getitem__, reads))
        found = cache.get(key)
        if found is None:
            found = cache[key] = spec.run(facts, thresholds)
        findings[check_id] = found
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


def _host_status(
    r: ReqPlan,
    findings: Mapping[str, Finding],
    waivers: Sequence[Waiver],
    host: str | None,
) -> HostStatus:
    result: HostStatus = "not_applicable"
    waived = False
    for check_id in r.agent:
        finding = findings.get(check_id)
        status = finding.status if finding is not None else "unknown"
        if status in ("fail", "unknown") and waivers and find_waiver(waivers, check_id, host):
            waived = True
            continue
        if status == "fail":
            return "fail"
        if status == "unknown":
            if check_id not in r.supporting:
                result = "unknown"
        elif status == "pass" and result == "not_applicable":
            result = "pass"
    if waived and result != "unknown":
        return "waived"
    return result


def host_requirements(
    role: str | None,
    findings: Mapping[str, Finding],
    pack: Pack,
    level: int,
    *,
    host: str | None = None,
    waivers: Iterable[Waiver] = (),
    today: date | None = None,
    memo: FindingMemo | None = None,
) -> dict[str, HostStatus]:
    """Status of the agent part of each requirement on one host.

    Waivers for a check (unit-wide or for ``host``) and requirement waivers for ``host`` are
    applied here; they need ``today``. Unit-wide requirement waivers apply in ``score_unit``.
    """
    active = _active(waivers, today)
    role_plan = plan(pack, level).roles[role_key(role)]
    key: tuple[Any, ...] = ()
    if memo is not None and not active:
        # Statuses depend only on the findings' statuses: share them between equal hosts.
        missing = _MISSING
        key = (role_key(role), *[findings.get(c, missing).status for c, _s, _r in role_plan.checks])
        cached = memo.statuses.get(key)
        if cached is not None:
            return dict(cached)
    out: dict[str, HostStatus] = {}
    for r in role_plan.reqs:
        waiver = find_waiver(active, r.req.id, host) if active else None
        if waiver is not None and waiver.host is not None:
            out[r.req.id] = "waived"
        else:
            out[r.req.id] = _host_status(r, findings, active, host)
    if key:
        assert memo is not None  # key is set only with a memo
        memo.statuses[key] = dict(out)
    return out


def _active(waivers: Iterable[Waiver], today: date | None) -> tuple[Waiver, ...]:
    waivers = tuple(waivers)
    if not waivers:
        return ()
    if today is None:
        raise ValueError("waivers need the scoring date 'today'")
    return active_waivers(waivers, today)


# ------------------------------------------------------------------------------ the network


def evaluate_network(
    obs: NetworkObservation, pack: Pack, level: int, thresholds: Mapping[str, Any]
) -> dict[str, Finding]:
    """Run every ``scan.*`` check the pack uses at ``level`` on the unit's observation."""
    findings: dict[str, Finding] = {}
    for check_id in plan(pack, level).scan_checks:
        spec = NETWORK_CHECKS.get(check_id)
        findings[check_id] = (
            spec.run(obs, thresholds)
            if spec is not None
            else Finding(check_id=check_id, status="unknown", reason="check not available")
        )
    return findings


def network_requirements(
    findings: Mapping[str, Finding],
    pack: Pack,
    level: int,
    *,
    waivers: Iterable[Waiver] = (),
    today: date | None = None,
) -> dict[str, HostStatus]:
    """The N verdict of each requirement that lists ``scan.*`` checks (check waivers apply)."""
    active = _active(waivers, today)
    out: dict[str, HostStatus] = {}
    for r in plan(pack, level).reqs:
        if r.scan:
            scan_only = ReqPlan(r.req, r.scan, (), r.supporting, r.declared)
            out[r.req.id] = _host_status(scan_only, findings, active, None)
    return out


# ---------------------------------------------------------------------------------- a unit


@dataclass(frozen=True, slots=True)
class StatusTally:
    """Counts of (requirement, host status) over a unit's hosts: re-scoring after one host's
    report replaces that host's statuses in O(requirements), not O(hosts)."""

    counts: Mapping[tuple[str, str], int]
    hosts: int

    @classmethod
    def of(cls, host_statuses: Iterable[Mapping[str, str]]) -> StatusTally:
        """Tally every host's requirement statuses."""
        counts: Counter[tuple[str, str]] = Counter()
        hosts = 0
        for statuses in host_statuses:
            hosts += 1
            counts.update(statuses.items())
        return cls(counts, hosts)

    def replace(self, old: Mapping[str, str] | None, new: Mapping[str, str] | None) -> StatusTally:
        """The tally with one host's ``old`` statuses swapped for ``new`` (None: absent)."""
        counts = Counter(self.counts)
        hosts = self.hosts
        if old is not None:
            counts.subtract(old.items())
            hosts -= 1
        if new is not None:
            counts.update(new.items())
            hosts += 1
        return StatusTally(+counts, hosts)

    def get(self, rid: str, status: str) -> int:
        """How many hosts have ``status`` on requirement ``rid``."""
        return self.counts.get((rid, status), 0)


@dataclass(frozen=True, slots=True)
class _Component:
    status: ReqStatus
    value: float
    reason: str


def requirement_from_hosts(req: Requirement, statuses: list[Status]) -> RequirementResult:
    """The agent part of a requirement from its hosts' statuses (one host, one status)."""
    tally = StatusTally.of({req.id: s} for s in statuses)
    comp, counts = _agent_component(req, tally, tally.hosts)
    return RequirementResult(req.id, comp.status, comp.value, *counts[:3], comp.reason, *counts[3:])


def _agent_component(
    req: Requirement, tally: StatusTally, unit_hosts: int
) -> tuple[_Component, tuple[int, int, int, int, int]]:
    rid = req.id
    passing, failing = tally.get(rid, "pass"), tally.get(rid, "fail")
    unknown, waived = tally.get(rid, "unknown"), tally.get(rid, "waived")
    na = tally.get(rid, "not_applicable")
    counts = (passing, failing, unknown, waived, na)
    counted = passing + failing + unknown
    if counted == 0:
        if waived:
            return _Component("waived", 0.0, f"{waived} host(s) waived"), counts
        if na:
            return _Component("not_applicable", 0.0, f"not applicable on {na} host(s)"), counts
        if unit_hosts and req.scope in ROLES:
            return (
                _Component(
                    "not_applicable", 0.0, f"no {req.scope} among the {unit_hosts} reporting hosts"
                ),
                counts,
            )
        return _Component("no_evidence", 0.0, "no host reports this"), counts
    status: ReqStatus
    if passing == counted:
        status = "met"
    elif passing == 0:
        status = "no_evidence" if failing == 0 else "not_met"
    else:
        status = "partly_met"
    reason = f"{passing}/{counted} hosts pass"
    if unknown:
        reason += f", {unknown} without evidence"
    if waived:
        reason += f", {waived} waived"
    return _Component(status, passing / counted, reason), counts


def _declaration_results(
    reqs: Sequence[ReqPlan],
    declarations: Mapping[str, Declaration],
    today: date | None,
    thresholds: Mapping[str, Any],
) -> dict[str, DeclarationResult]:
    if today is None:
        if declarations:
            raise ValueError("declarations need the scoring date 'today'")
        return {
            r.req.id: DeclarationResult("no_evidence", 0.0, "no declaration")
            for r in reqs
            if r.declared
        }
    out: dict[str, DeclarationResult] = {}
    for r in reqs:
        if r.declared:
            days, key = cadence(thresholds, r.req.thresholds)
            out[r.req.id] = judge(declarations.get(r.req.id), today, days, key)
    if QUYCHE in out:
        dossier = out.get(DOSSIER) or judge(declarations.get(DOSSIER), today)
        out[QUYCHE] = quyche_order(
            declarations.get(QUYCHE), declarations.get(DOSSIER), out[QUYCHE], dossier
        )
    return out


def _combine_components(components: Mapping[str, _Component]) -> tuple[ReqStatus, float, str]:
    live = {k: c for k, c in components.items() if c.status not in ("not_applicable", "waived")}
    reasons = "; ".join(f"{k}: {c.reason}" for k, c in components.items())
    if not live:
        if any(c.status == "waived" for c in components.values()):
            return "waived", 0.0, reasons
        return "not_applicable", 0.0, reasons
    value = sum(c.value for c in live.values()) / len(live)
    statuses = {c.status for c in live.values()}
    if statuses == {"met"}:
        return "met", value, reasons
    if value == 0.0:
        return ("no_evidence" if statuses == {"no_evidence"} else "not_met"), value, reasons
    return "partly_met", value, reasons


def score_unit(
    pack: Pack,
    level: int,
    host_statuses: Iterable[Mapping[str, str]] | StatusTally,
    declarations: Mapping[str, Declaration] | None = None,
    network: Mapping[str, str] | None = None,
    *,
    waivers: Iterable[Waiver] = (),
    today: date | None = None,
    thresholds: Mapping[str, Any] | None = None,
) -> UnitScore:
    """Score a unit from its hosts' requirement statuses, its declarations and network verdicts.

    ``host_statuses``: each host's ``host_requirements`` (or a :class:`StatusTally` of them);
    ``declarations``: requirement id → :class:`Declaration`; ``network``: requirement id → N
    verdict from ``network_requirements``; ``waivers``: active on ``today`` are applied;
    ``thresholds``: the unit's values (default: the pack's), for declaration cadences.
    """
    tally = (
        host_statuses if isinstance(host_statuses, StatusTally) else StatusTally.of(host_statuses)
    )
    lp = plan(pack, level)
    active = _active(waivers, today)
    values = thresholds if thresholds is not None else pack.threshold_values()
    declared = _declaration_results(lp.reqs, declarations or {}, today, values)
    network = network or {}
    results: list[RequirementResult] = []
    for r in lp.reqs:
        components: dict[str, _Component] = {}
        counts = (0, 0, 0, 0, 0)
        if r.agent:
            components["A"], counts = _agent_component(r.req, tally, tally.hosts)
        if r.scan:
            verdict = network.get(r.req.id)
            status = NETWORK_VERDICT.get(verdict or "unknown", "no_evidence")
            why = f"network scan: {verdict}" if verdict else "no network scan result"
            components["N"] = _Component(status, REQ_VALUE.get(status, 0.0), why)
        if r.declared:
            d = declared[r.req.id]
            components["D"] = _Component(d.status, d.value, d.reason)
        status, value, reason = _combine_components(components)
        waiver = find_waiver(active, r.req.id, None) if active else None
        if waiver is not None:
            reason = f"{waiver.describe()}; underlying {status}: {reason}"
            status = "waived"
        results.append(
            RequirementResult(
                r.req.id,
                status,
                value,
                counts[0],
                counts[1],
                counts[2],
                reason,
                counts[3],
                counts[4],
                {k: c.status for k, c in components.items()},
                {k: c.value for k, c in components.items()},
                r.req.weight,
                r.req.mandatory,
            )
        )
    return summarise(results, tally.hosts, today)


# ------------------------------------------------------------------------------- the tree
