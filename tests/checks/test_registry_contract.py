"""Contract tests over the check registry and both shipped packs."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from checks import PackError, parse_pack
from checks.network import NETWORK_CHECKS
from checks.pack import BUILTIN_PACKS, load_builtin_pack
from checks.registry import CHECKS, builtin_pack, known_checks, load_builtin
from checks.unit import UnitContext
from tests.checks.hosts import UNIT, good

load_builtin()
ROOT = Path(__file__).resolve().parents[2]
PACKS = {p: builtin_pack(p) for p in BUILTIN_PACKS}
ALL_SPECS: list[Any] = [*CHECKS.values(), *NETWORK_CHECKS.values()]
VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I
)
# Rows with A evidence whose agent checks exist on one OS only (none today) would be listed here
# with the reason; an empty dict means every A row has a Windows and a Linux check.
ONE_OS_ROWS: dict[str, str] = {}


@pytest.mark.parametrize("spec", ALL_SPECS, ids=[s.id for s in ALL_SPECS])
def test_metadata_in_both_languages(spec: Any) -> None:
    """Every check has title, rationale and remediation in Vietnamese (diacritics) and English."""
    for text in (spec.title, spec.rationale, spec.remediation):
        assert text.vi.strip() and text.en.strip()
        assert VIETNAMESE.search(text.vi), text.vi
    assert spec.severity in ("low", "medium", "high", "critical")
    assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", spec.id)


def test_ids_are_unique_across_registries() -> None:
    """A host check and a network check never share an id."""
    assert not set(CHECKS) & set(NETWORK_CHECKS)


def test_plan_and_registry_agree() -> None:
    """Every check of docs/CHECKS-PLAN.md exists, and every pack check is in the plan."""
    plan = set(
        re.findall(
            r"^\| `([a-z_]+\.[a-z0-9_]+)` \|", (ROOT / "docs/CHECKS-PLAN.md").read_text(), re.M
        )
    )
    assert len(plan) == 70
    assert plan <= known_checks()
    for pack in PACKS.values():
        assert pack.check_ids() <= plan


@pytest.mark.parametrize("pack_id", BUILTIN_PACKS)
def test_packs_reference_only_existing_checks(pack_id: str) -> None:
    """Both packs load strictly, and a pack naming an unknown check is refused with its line."""
    assert PACKS[pack_id].check_ids() <= known_checks()
    text = (ROOT / f"checks/packs/{pack_id}.yaml").read_text()
    broken = text.replace("checks: [av.installed,", "checks: [av.installd,", 1)
    with pytest.raises(PackError, match=r"unknown check 'av\.installd'"):
        parse_pack(broken, f"{pack_id}.yaml", known_checks())


@pytest.mark.parametrize("pack_id", BUILTIN_PACKS)
def test_every_a_requirement_runs_on_both_oses(pack_id: str) -> None:
    """Every A-class requirement has an agent check for Windows and one for Linux."""
    for req in PACKS[pack_id].requirements:
        if "A" not in req.evidence or req.id in ONE_OS_ROWS:
            continue
        oses = {os for c in req.checks if c in CHECKS for os in CHECKS[c].os_families}
        assert {"windows", "linux"} <= oses, req.id


@pytest.mark.parametrize("spec", ALL_SPECS, ids=[s.id for s in ALL_SPECS])
def test_declared_thresholds_exist_in_both_packs(spec: Any) -> None:
    """Every threshold a check declares is defined in both packs."""
    for pack in PACKS.values():
        assert set(spec.thresholds) <= set(pack.thresholds), (spec.id, pack.id)


class Recording(Mapping[str, Any]):
    """A thresholds mapping that refuses keys the check did not declare."""

    def __init__(self, values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        self.values, self.allowed = values, set(allowed)

    def __getitem__(self, key: str) -> Any:
        assert key in self.allowed, f"read undeclared threshold {key!r}"
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(k for k in self.values if k in self.allowed)

    def __len__(self) -> int:
        return len(self.allowed)


PROFILES = [
    UNIT,
    UnitContext(),
    dataclasses.replace(UNIT, health_sector=True),
    dataclasses.replace(UNIT, online_service_enterprise=True),
    dataclasses.replace(UNIT, mfa_attested=True, health_sector=True),
]


@pytest.mark.parametrize("spec", list(CHECKS.values()), ids=list(CHECKS))
def test_checks_read_only_declared_thresholds(spec: Any) -> None:
    """Run on every OS, role and unit profile, a check reads no threshold it did not declare."""
    for pack in PACKS.values():
        values = Recording(pack.threshold_values(), spec.thresholds)
        for os in ("windows", "linux"):
            for role in ("workstation", "server", None):
                for unit in PROFILES:
                    facts = dataclasses.replace(
                        good(os, role or "workstation"), unit=unit, role=role
                    )
                    assert spec.run(facts, values).reason


def test_budget_row_is_not_mandatory() -> None:
    """L2-LEG-BUDGET-1 is a budget directive: reported, never blocking "level met"."""
    for pack in PACKS.values():
        budget = next(r for r in pack.requirements if r.id == "L2-LEG-BUDGET-1")
        assert not budget.mandatory
        others = [r for r in pack.requirements if r.id != "L2-LEG-BUDGET-1"]
        assert all(r.mandatory for r in others)


def test_builtin_pack_loader_is_strict() -> None:
    """The shipped packs validate against the registry (no lenient mode)."""
    for pack_id in BUILTIN_PACKS:
        assert load_builtin_pack(pack_id, known_checks()).id == pack_id


def test_checks_doc_is_current() -> None:
    """docs/CHECKS.md is the rendering of the registry and packs (regenerate when it differs)."""
    from checks.catalogue import render_markdown

    assert (ROOT / "docs/CHECKS.md").read_text() == render_markdown(), (
        'regenerate: python -c "from checks.catalogue import render_markdown; '
        "open('docs/CHECKS.md','w').write(render_markdown())\""
    )


class SectionRecorder(dict[str, Any]):
    """Host sections that remember which ones a check asked for."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


@pytest.mark.parametrize("spec", list(CHECKS.values()), ids=list(CHECKS))
def test_checks_read_only_declared_sections(spec: Any) -> None:
    """A check reads only its sections and optional sections: findings can be shared on them."""
    for os in ("windows", "linux"):
        for role in ("workstation", "server"):
            facts = good(os, role)
            recorder = SectionRecorder(facts.sections)
            spec.run(
                dataclasses.replace(facts, sections=recorder), PACKS["vn-2026"].threshold_values()
            )
            assert recorder.asked <= set(spec.reads), (spec.id, recorder.asked - set(spec.reads))
