"""The knowledge: rule packs (data) and checks (pure functions over facts). No I/O here."""

from checks.model import CheckSpec, Evidence, Finding, HostFacts, Status
from checks.pack import (
    BUILTIN_PACKS,
    DEFAULT_PACK,
    Pack,
    PackError,
    Requirement,
    load_builtin_pack,
    load_pack_file,
    parse_pack,
)
from checks.registry import CHECKS, builtin_pack, load_builtin
from checks.scoring import (
    RequirementResult,
    UnitScore,
    evaluate_host,
    host_requirements,
    score_unit,
)

__all__ = [
    "BUILTIN_PACKS",
    "CHECKS",
    "DEFAULT_PACK",
    "CheckSpec",
    "Evidence",
    "Finding",
    "HostFacts",
    "Pack",
    "PackError",
    "Requirement",
    "RequirementResult",
    "Status",
    "UnitScore",
    "builtin_pack",
    "evaluate_host",
    "host_requirements",
    "load_builtin",
    "load_builtin_pack",
    "load_pack_file",
    "parse_pack",
    "score_unit",
]
