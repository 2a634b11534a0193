"""Findings, check metadata and the facts a check reads: the vocabulary of the knowledge layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from canh.contract._types import Name, Text

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
    could not gather to the reason. A section in neither was never reported.
    """

    os_family: str
    role: str | None
    sections: Mapping[str, msgspec.Struct] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    source: str = "agent"

    def section(self, name: str) -> Any:
        """The facts struct of a section, or None."""
        return self.sections.get(name)

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

    def run(self, facts: HostFacts, thresholds: Thresholds) -> Finding:
        """Evaluate; a host whose OS the check does not cover is not applicable."""
        if facts.os_family not in self.os_families:
            return Finding(
                check_id=self.id,
                status="not_applicable",
                reason=f"check does not apply to {facts.os_family}",
            )
        for name in self.sections:
            if facts.section(name) is None:
                return Finding(
                    check_id=self.id, status="unknown", reason=facts.missing_reason(name)
                )
        return self.fn(facts, thresholds)
