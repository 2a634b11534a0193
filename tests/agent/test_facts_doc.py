"""docs/FACTS.md documents every section and field of the fact contract."""

from __future__ import annotations

from pathlib import Path

import msgspec

from canh.contract import facts
from canh.contract.report import SECTION_TYPES

DOC = (Path(__file__).parents[2] / "docs" / "FACTS.md").read_text()
NESTED = (
    facts.Disk,
    facts.Interface,
    facts.Listener,
    facts.Package,
    facts.AntivirusProduct,
    facts.Account,
    facts.FirewallProfile,
    facts.FirewallProduct,
    facts.InboundRule,
    facts.AuditSetting,
    facts.Volume,
)


def test_every_section_and_field_is_documented() -> None:
    """A field added to the contract without a line in FACTS.md fails here."""
    missing = [
        f"{name}.{field.name}"
        for name, struct in SECTION_TYPES.items()
        for field in msgspec.structs.fields(struct)
        if f"`{field.name}" not in DOC and f" {field.name}" not in DOC
    ]
    missing += [name for name in SECTION_TYPES if f"## {name} " not in DOC]
    missing += [
        f"{struct.__name__}.{field.name}"
        for struct in NESTED
        for field in msgspec.structs.fields(struct)
        if field.name not in DOC
    ]
    assert missing == []
