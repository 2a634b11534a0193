"""Rule packs: requirements and thresholds as data (docs/PACKS.md), loaded and validated strictly.

A pack with an error is refused with the file, the line and the reason; it never silently scores.
YAML is parsed with the safe loader into nodes so every value keeps its line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from checks.model import CheckSpec, Text2

BUILTIN_PACKS = ("vn-2026", "vn-legacy")
DEFAULT_PACK = "vn-2026"
MAX_PACK_BYTES = 1024 * 1024
SCOPES = ("server", "workstation", "host", "network", "unit")
EVIDENCE = ("A", "N", "D")
AREAS = ("DES", "NET", "SRV", "EPT", "APP", "DAT", "MGT", "LEG")
THRESHOLD_STATUS = ("V-TT12", "V-331", "V-14423", "U", "H")
UNITS = (
    "days",
    "hours",
    "seconds",
    "minutes",
    "count",
    "characters",
    "percent",
    "bool",
    "text",
    "gib",
    "ports",
)


class PackError(ValueError):
    """A rule pack that cannot be used: ``file:line: reason``."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}")
        self.file, self.line, self.reason = file, line, reason


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number a check compares against, with its verification tag (LEVEL2.md §1.0)."""

    key: str
    value: Any
    unit: str
    status: str
    title: Text2


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement of a pack."""

    id: str
    title: Text2
    summary: Text2
    area: str
    scope: str
    evidence: tuple[str, ...]
    min_level: int
    weight: int
    mandatory: bool
    checks: tuple[str, ...]
    thresholds: tuple[str, ...]
    clauses: Mapping[str, str]
    declaration: Text2 | None = None

    def applies_to_role(self, role: str | None) -> bool:
        """Whether a host of this role is scored on this requirement."""
        if self.scope == "host":
            return True
        if self.scope in ("server", "workstation"):
            # A host of unknown role is held to both: better a false alarm than a blind spot.
            return role is None or role == self.scope
        return False

    @property
    def host_scoped(self) -> bool:
        """Scored from the hosts' findings."""
        return self.scope in ("server", "workstation", "host") and bool(self.checks)


@dataclass(frozen=True, slots=True)
class Pack:
    """A validated rule pack."""

    id: str
    version: int
    title: Text2
    basis: tuple[str, ...]
    levels: tuple[int, ...]
    thresholds: Mapping[str, Threshold]
    requirements: tuple[Requirement, ...]
    source: str = field(default="")
    # Checks compiled from the pack's own ``rules:`` (checks/custom.py), by check id.
    custom_checks: Mapping[str, CheckSpec] = field(default_factory=dict)
    # Per-level evaluation plans, computed once by checks/scoring.py (not part of the value).
    plans: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)

    def for_level(self, level: int) -> tuple[Requirement, ...]:
        """The requirements that apply at ``level``."""
        return tuple(r for r in self.requirements if r.min_level <= level)

    def threshold_values(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Threshold values with a unit's overrides applied (keys must exist in the pack)."""
        values = {key: t.value for key, t in self.thresholds.items()}
        for key, value in (overrides or {}).items():
            if key not in values:
                raise KeyError(f"threshold {key!r} is not in pack {self.id}")
            values[key] = value
        return values

    def check_ids(self) -> set[str]:
        """Every check id the pack references."""
        return {c for r in self.requirements for c in r.checks}


class _Reader:
    """Walks YAML nodes, raising PackError with the node's line."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, node: yaml.Node, reason: str) -> PackError:
        return PackError(self.file, node.start_mark.line + 1, reason)

    def mapping(
        self, node: yaml.Node, what: str, allowed: Iterable[str], required: Iterable[str]
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, yaml.Node] = {}
        allowed_set = set(allowed)
        for key_node, value_node in node.value:
            key = key_node.value
            if key not in allowed_set:
                raise self.fail(
                    key_node,
                    f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed_set))})",
                )
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r} in {what}")
            out[key] = value_node
        for key in required:
            if key not in out:
                raise self.fail(node, f"{what} lacks required key {key!r}")
        return out

    def string(
        self,
        node: yaml.Node,
        what: str,
        pattern: str | None = None,
        choices: Iterable[str] | None = None,
    ) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.fail(node, f"{what} must be a string")
        value = str(node.value)
        if pattern and not re.fullmatch(pattern, value):
            raise self.fail(node, f"{what} {value!r} does not match {pattern}")
        if choices is not None and value not in set(choices):
            raise self.fail(node, f"{what} {value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
            raise self.fail(node, f"{what} must be an integer")
        value = int(node.value)
        if not low <= value <= high:
            raise self.fail(node, f"{what} {value} is outside {low}..{high}")
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            raise self.fail(node, f"{what} must be true or false")
        return node.value.lower() in ("true", "yes", "on")

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def text2(self, node: yaml.Node, what: str) -> Text2:
        fields = self.mapping(node, what, ("vi", "en"), ("vi", "en"))
        vi = self.string(fields["vi"], f"{what}.vi")
        en = self.string(fields["en"], f"{what}.en")
        if not vi.strip() or not en.strip():
            raise self.fail(node, f"{what} needs non-empty vi and en texts")
        return Text2(vi, en)

    def value(self, node: yaml.Node, what: str) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, what) for item in node.value]
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a number, boolean, string or list of them")
        tag = node.tag.rsplit(":", 1)[-1]
        converters: dict[str, Callable[[str], Any]] = {
            "int": int,
            "float": float,
            "str": str,
            "bool": lambda v: v.lower() in ("true", "yes", "on"),
        }
        if tag not in converters:
            raise self.fail(node, f"{what} has unsupported type {tag}")
        return converters[tag](node.value)


_REQ_KEYS = (
    "id",
    "clauses",
    "title",
    "summary",
    "area",
    "scope",
    "evidence",
    "min_level",
    "weight",
    "mandatory",
    "checks",
    "thresholds",
    "declaration",
    "rules",
)
_REQ_REQUIRED = (
    "id",
    "title",
    "area",
    "scope",
    "evidence",
    "min_level",
    "weight",
    "mandatory",
    "checks",
)


def _compose(text: str, file: str) -> yaml.Node:
    if len(text.encode()) > MAX_PACK_BYTES:
        raise PackError(file, 1, f"pack is larger than {MAX_PACK_BYTES} bytes")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 1
        raise PackError(file, line, f"not valid YAML: {err.problem}") from err
    except yaml.YAMLError as err:
        raise PackError(file, 1, f"not valid YAML: {err}") from err
    if root is None:
        raise PackError(file, 1, "empty pack")
    return root


def _thresholds(r: _Reader, node: yaml.Node) -> dict[str, Threshold]:
    if not isinstance(node, yaml.MappingNode):
        raise r.fail(node, "thresholds must be a mapping")
    out: dict[str, Threshold] = {}
    keys = ("value", "unit", "status", "title")
    for key_node, value_node in node.value:
        key = r.string(key_node, "threshold key", r"[a-z][a-z0-9_]{0,63}")
        if key in out:
            raise r.fail(key_node, f"duplicate threshold {key!r}")
        f = r.mapping(value_node, f"threshold {key}", keys, keys)
        out[key] = Threshold(
            key=key,
            value=r.value(f["value"], f"threshold {key}.value"),
            unit=r.string(f["unit"], f"threshold {key}.unit", choices=UNITS),
            status=r.string(f["status"], f"threshold {key}.status", choices=THRESHOLD_STATUS),
            title=r.text2(f["title"], f"threshold {key}.title"),
        )
    return out


def _requirement(
    r: _Reader,
    node: yaml.Node,
    thresholds: Mapping[str, Threshold],
    known: set[str] | None,
    custom: dict[str, CheckSpec],
) -> Requirement:
    f = r.mapping(node, "requirement", _REQ_KEYS, _REQ_REQUIRED)
    rid = r.string(f["id"], "requirement id", r"L[0-9]-[A-Z]+-[A-Z0-9]+-[0-9]+|[A-Z0-9-]{3,40}")
    evidence = tuple(
        r.string(n, f"{rid}.evidence[]", choices=EVIDENCE)
        for n in r.sequence(f["evidence"], f"{rid}.evidence")
    )
    if not evidence:
        raise r.fail(f["evidence"], f"{rid}: evidence needs at least one of A, N, D")
    check_ids: list[str] = []
    for n in r.sequence(f["checks"], f"{rid}.checks"):
        cid = r.string(n, f"{rid}.checks[]", r"[a-z0-9_]+\.[a-z0-9_]+")
        if known is not None and cid not in known and cid not in custom:
            raise r.fail(n, f"{rid}: unknown check {cid!r} (see 'canh checks list')")
        check_ids.append(cid)
    if "rules" in f:
        from checks.custom import compile_rule  # the rule vocabulary needs the facts contract

        if "A" not in evidence:
            raise r.fail(f["rules"], f"{rid}: rules are agent (A) evidence: add A to evidence")
        for n in r.sequence(f["rules"], f"{rid}.rules"):
            spec = compile_rule(r, n, rid)
            if spec.id in custom or (known is not None and spec.id in known):
                raise r.fail(n, f"{rid}: rule {spec.id!r} defined twice")
            custom[spec.id] = spec
            check_ids.append(spec.id)
    req_thresholds: list[str] = []
    for n in r.sequence(f["thresholds"], f"{rid}.thresholds") if "thresholds" in f else []:
        key = r.string(n, f"{rid}.thresholds[]")
        if key not in thresholds:
            raise r.fail(n, f"{rid}: threshold {key!r} is not defined in this pack")
        req_thresholds.append(key)
    if ("A" in evidence or "N" in evidence) and not check_ids and "D" not in evidence:
        raise r.fail(f["checks"], f"{rid}: A/N evidence needs at least one check")
    declaration = r.text2(f["declaration"], f"{rid}.declaration") if "declaration" in f else None
    if "D" in evidence and not check_ids and declaration is None:
        raise r.fail(node, f"{rid}: a declared requirement needs a 'declaration' text")
    clause_nodes = (
        r.mapping(f["clauses"], f"{rid}.clauses", ("tcvn11930", "tcvn14423", "other"), ())
        if "clauses" in f
        else {}
    )
    return Requirement(
        id=rid,
        title=r.text2(f["title"], f"{rid}.title"),
        summary=r.text2(f["summary"], f"{rid}.summary") if "summary" in f else Text2("", ""),
        area=r.string(f["area"], f"{rid}.area", choices=AREAS),
        scope=r.string(f["scope"], f"{rid}.scope", choices=SCOPES),
        evidence=evidence,
        min_level=r.integer(f["min_level"], f"{rid}.min_level", 1, 5),
        weight=r.integer(f["weight"], f"{rid}.weight", 1, 5),
        mandatory=r.boolean(f["mandatory"], f"{rid}.mandatory"),
        checks=tuple(check_ids),
        thresholds=tuple(req_thresholds),
        clauses={k: r.string(v, f"{rid}.clauses.{k}") for k, v in clause_nodes.items()},
        declaration=declaration,
    )


def parse_pack(text: str, file: str, known_checks: Iterable[str] | None) -> Pack:
    """Validate a pack's YAML text. ``known_checks`` None skips the check-id cross reference."""
    r = _Reader(file)
    top = r.mapping(
        _compose(text, file),
        "pack",
        ("pack", "version", "title", "basis", "levels", "thresholds", "requirements"),
        ("pack", "version", "title", "levels", "thresholds", "requirements"),
    )
    thresholds = _thresholds(r, top["thresholds"])
    known = set(known_checks) if known_checks is not None else None
    requirements: list[Requirement] = []
    custom: dict[str, CheckSpec] = {}
    for node in r.sequence(top["requirements"], "requirements"):
        req = _requirement(r, node, thresholds, known, custom)
        if any(x.id == req.id for x in requirements):
            raise r.fail(node, f"duplicate requirement id {req.id}")
        requirements.append(req)
    used = {key for req in requirements for key in req.thresholds}
    for key, key_node in ((k.value, k) for k, _ in top["thresholds"].value):
        if key not in used:
            raise r.fail(key_node, f"threshold {key!r} is used by no requirement")
    basis = (
        [r.string(n, "basis[]") for n in r.sequence(top["basis"], "basis")]
        if "basis" in top
        else []
    )
    return Pack(
        id=r.string(top["pack"], "pack", r"[a-z0-9][a-z0-9-]{0,62}"),
        version=r.integer(top["version"], "version", 1, 10**6),
        title=r.text2(top["title"], "title"),
        basis=tuple(basis),
        levels=tuple(r.integer(n, "levels[]", 1, 5) for n in r.sequence(top["levels"], "levels")),
        thresholds=thresholds,
        requirements=tuple(requirements),
        source=file,
        custom_checks=custom,
    )


def load_pack_file(path: Path, known_checks: Iterable[str] | None) -> Pack:
    """A custom pack from a file."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PackError(str(path), 1, f"cannot read: {err.strerror}") from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PackError(str(path), 1, "not UTF-8 text") from err
    return parse_pack(text, str(path), known_checks)


def load_builtin_pack(pack_id: str, known_checks: Iterable[str] | None = None) -> Pack:
    """One of the packs shipped in ``checks/packs``."""
    if pack_id not in BUILTIN_PACKS:
        raise KeyError(f"no built-in pack {pack_id!r} (have: {', '.join(BUILTIN_PACKS)})")
    text = resources.files("checks").joinpath(f"packs/{pack_id}.yaml").read_text("utf-8")
    return parse_pack(text, f"checks/packs/{pack_id}.yaml", known_checks)


def _override_problem(threshold: Threshold, value: Any) -> str | None:  # noqa: PLR0911 - one per type
    """Why ``value`` cannot replace ``threshold``'s value, or None."""
    base = threshold.value
    if isinstance(base, bool) or isinstance(value, bool):
        return (
            None if isinstance(base, bool) and isinstance(value, bool) else "must be true or false"
        )
    if isinstance(base, int | float):
        if not isinstance(value, int | float) or (
            isinstance(base, int) and isinstance(value, float)
        ):
            return f"must be {'an integer' if isinstance(base, int) else 'a number'}"
        if value < 0 or (threshold.unit == "percent" and value > 100):
            return "is out of range" + (" 0..100" if threshold.unit == "percent" else " (negative)")
        return None
    if isinstance(base, str):
        if not isinstance(value, str):
            return "must be text"
        if "/" in base and base.split(",")[0].strip().startswith(("tcp/", "udp/")):
            from checks.thresholds import parse_ports

            try:
                parse_ports(value)
            except ValueError as err:
                return f"is not a port list: {err}"
        return None
    if isinstance(base, list) and not isinstance(value, list):
        return "must be a list"
    return None


def parse_overrides(text: str, file: str, pack: Pack) -> dict[str, Any]:
    """A unit's threshold overrides for ``pack`` (docs/PACKS.md): every key must exist in the
    pack and keep its type; anything else is refused with the file, line and reason."""
    r = _Reader(file)
    top = r.mapping(
        _compose(text, file), "overrides", ("pack", "unit", "thresholds"), ("pack", "thresholds")
    )
    pack_id = r.string(top["pack"], "pack")
    if pack_id != pack.id:
        raise r.fail(top["pack"], f"overrides are for pack {pack_id!r}, not {pack.id!r}")
    if "unit" in top:
        r.string(top["unit"], "unit")
    node = top["thresholds"]
    if not isinstance(node, yaml.MappingNode):
        raise r.fail(node, "thresholds must be a mapping")
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = r.string(key_node, "threshold key")
        if key in out:
            raise r.fail(key_node, f"duplicate threshold {key!r}")
        threshold = pack.thresholds.get(key)
        if threshold is None:
            raise r.fail(key_node, f"threshold {key!r} is not in pack {pack.id}")
        value = r.value(value_node, f"threshold {key}")
        problem = _override_problem(threshold, value)
        if problem:
            raise r.fail(
                value_node, f"threshold {key!r} {problem} (pack value {threshold.value!r})"
            )
        out[key] = value
    return out


def load_overrides_file(path: Path, pack: Pack) -> dict[str, Any]:
    """A unit's threshold overrides from a file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise PackError(str(path), 1, f"cannot read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise PackError(str(path), 1, "not UTF-8 text") from err
    return parse_overrides(text, str(path), pack)
