"""The knowledge: rule packs (data) and checks (pure functions over facts). No I/O here."""

from checks.declarations import Declaration, Waiver
from checks.kpis import HostSnapshot, Kpi, UnitKpis, unit_kpis
from checks.model import CheckSpec, Evidence, Finding, HostFacts, Status
from checks.network import NETWORK_CHECKS, NetworkCheckSpec, NetworkObservation
from checks.pack import (
    BUILTIN_PACKS,
    DEFAULT_PACK,
    Pack,
    PackError,
    Requirement,
    load_builtin_pack,
    load_overrides_file,
    load_pack_file,
    parse_overrides,
    parse_pack,
)
from checks.registry import CHECKS, all_checks, builtin_pack, known_checks, load_builtin
from checks.scoring import (
    RequirementResult,
    StatusTally,
    UnitScore,
    evaluate_host,
    evaluate_network,
    host_requirements,
    network_requirements,
    roll_up,
    score_unit,
)
from checks.unit import UnitContext, Zone

__all__ = [
    "BUILTIN_PACKS",
    "CHECKS",
    "DEFAULT_PACK",
    "NETWORK_CHECKS",
    "CheckSpec",
    "Declaration",
    "Evidence",
    "Finding",
    "HostFacts",
    "HostSnapshot",
    "Kpi",
    "NetworkCheckSpec",
    "NetworkObservation",
    "Pack",
    "PackError",
    "Requirement",
    "RequirementResult",
    "Status",
    "StatusTally",
    "UnitContext",
    "UnitKpis",
    "UnitScore",
    "Waiver",
    "Zone",
    "all_checks",
    "builtin_pack",
    "evaluate_host",
    "evaluate_network",
    "host_requirements",
    "known_checks",
    "load_builtin",
    "load_builtin_pack",
    "load_overrides_file",
    "load_pack_file",
    "network_requirements",
    "parse_overrides",
    "parse_pack",
    "roll_up",
    "score_unit",
    "unit_kpis",
]
