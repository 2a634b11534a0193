"""Findings, check metadata and the facts a check reads: the vocabulary of the knowledge layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from canh.contract._types import Name, Text
from checks.thresholds import ThresholdError
from checks.unit import NO_UNIT_DATA, Decommission, UnitContext

Status = Literal["pass", "fail", "unknown", "not_applicable"]
Severity = Literal["low", "medium", "high", "critical"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "unknown", "not_applicable")


class Evidence(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What a check looked at: the fact (section.field), the value seen, and its source."""

    fact: Name
    value: Any
    source: Name = "agent"


class Finding(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The result of one check on one host."""

    check_id: Name
    status: Status
    reason: Text = ""  # why: the failing value, or why there is no evidence
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class HostFacts:
    """The latest facts of one host, as checks see them.

    ``sections`` maps a section name to its facts struct; ``errors`` maps a section that the host
    could not gather to the reason. A section in neither was never reported. ``as_of`` is the
    moment ages are measured from (a report's time, or "the score on 14 December"); ``unit`` is
    what the host's unit declared (checks/unit.py); ``decommission`` the agent's decommission
    event, if any.
    """

    os_family: str
    role: str | None
    sections: Mapping[str, msgspec.Struct] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    source: str = "agent"
    as_of: datetime | None = None
    unit: UnitContext = NO_UNIT_DATA
    host: str | None = None  # host name, for per-host unit data
    decommission: Decommission | None = None
    # Section name -> content hash (the report's ``hash`` of the section, stored by the
    # collector). Equal hashes mean equal facts, so checks can share findings between hosts.
    hashes: Mapping[str, str] = field(default_factory=dict)

    def section(self, name: str) -> Any:
        """The facts struct of a section, or None."""
        return self.sections.get(name)

    def now(self) -> datetime:
        """The reference time: ``as_of`` when given (reproducible), else the clock."""
        return self.as_of if self.as_of is not None else datetime.now(UTC)

    def missing_reason(self, name: str) -> str:
        """Why a section is absent, in words IT staff can act on."""
        if name in self.errors:
            return f"section '{name}' failed on the host: {self.errors[name]}"
        return f"no '{name}' facts reported (agent too old, or section not gathered)"


Thresholds = Mapping[str, Any]
CheckFn = Callable[[HostFacts, Thresholds], Finding]


@dataclass(frozen=True, slots=True)
class Text2:
    """A text in Vietnamese and English."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``vi`` or ``en``)."""
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check: a pure function over facts with the metadata people read."""

    id: str
    severity: Severity
    title: Text2
    rationale: Text2
    remediation: Text2
    sections: tuple[str, ...]
    os_families: tuple[str, ...]
    thresholds: tuple[str, ...]
    fn: CheckFn = field(repr=False)
    # Supporting evidence confirms but never refutes (e.g. an MFA module found on the host, a WAF
    # fingerprint): scoring ignores its "unknown" instead of counting it as no evidence.
    supporting: bool = False
    evidence_class: Literal["A", "N"] = "A"
    # Sections read when present but not required (e.g. ``endpoint.desktop`` to decide N/A).
    optional_sections: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[str, ...]:
        """Every section the check may read: a finding depends on these facts only."""
        return self.sections + self.optional_sections

    def run(self, facts: HostFacts, thresholds: Thresholds) -> Finding:
        """Evaluate; a host whose OS the check does not cover is not applicable."""
        if facts.os_family not in self.os_families:
            return Finding(
                check_id=self.id,
                status="not_applicable",
                reason=f"check does not apply to {facts.os_family}",
            )
        sections = facts.sections
        for name in self.sections:
            if sections.get(name) is None:
                return Finding(
                    check_id=self.id, status="unknown", reason=facts.missing_reason(name)
                )
        try:
            return self.fn(facts, thresholds)
        except ThresholdError as err:
            return Finding(check_id=self.id, status="unknown", reason=f"{err}: fix the pack")


def passed(check_id: str, reason: str, *evidence: Evidence) -> Finding:
    """A passing finding with the values seen."""
    return Finding(check_id=check_id, status="pass", reason=reason, evidence=evidence)


def failed(check_id: str, reason: str, *evidence: Evidence) -> Finding:
    """A failing finding: ``reason`` names the failing value and the limit."""
    return Finding(check_id=check_id, status="fail", reason=reason, evidence=evidence)


def unknown(check_id: str, reason: str, *evidence: Evidence) -> Finding:
    """No usable evidence: ``reason`` says which fact is missing and what to fix in the agent."""
    return Finding(check_id=check_id, status="unknown", reason=reason, evidence=evidence)


def not_applicable(check_id: str, reason: str, *evidence: Evidence) -> Finding:
    """The thing checked does not exist on this host (never a fail)."""
    return Finding(check_id=check_id, status="not_applicable", reason=reason, evidence=evidence)
