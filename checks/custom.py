"""A unit's own rules: a small declarative vocabulary compiled into checks at load time.

A requirement of a unit pack may carry ``rules:`` besides ``checks:`` (docs/CHECKS.md). Each rule
has an ``id`` (the check becomes ``custom.<id>``), a ``title`` in Vietnamese and English, and
exactly one of these kinds:

- ``fact: {path: section.field, op: ">=", value: 12}`` — compare one fact of the contract to a
  value; ops ``== != < <= > >= in not_in`` (ordering only on numbers, ``in`` takes a list);
- ``package: {name: REGEX, present: true, min_version: "115"}`` — require or forbid a package;
- ``service: {name: REGEX, present: false}`` — require or forbid a running service;
- ``port: {port: 5900, proto: tcp, present: false}`` — require or forbid a listening port;
- ``antivirus: {product: REGEX, vendor: REGEX}`` — require a running anti-malware product.

Nothing is evaluated as code: paths are checked against canh/contract/facts.py, values against
the field's type, regular expressions compiled, all at load time, and any error is refused with
the file, the line and the reason (checks/pack.py).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import msgspec
import yaml

from canh.contract.report import SECTION_TYPES
from checks.model import (
    CheckSpec,
    Evidence,
    Finding,
    HostFacts,
    Severity,
    Text2,
    Thresholds,
    failed,
    passed,
    unknown,
)
from checks.pack import _Reader

KINDS = ("fact", "package", "service", "port", "antivirus")
SEVERITIES: dict[str, Severity] = {s: s for s in ("low", "medium", "high", "critical")}
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
ORDERING = ("<", "<=", ">", ">=")
RULE_ID = r"[a-z0-9_]{1,48}"
MAX_REGEX = 200


def _version(text: str | None) -> tuple[int, ...]:
    core = (text or "").split(":", 1)[-1].split("-", 1)[0]
    return tuple(int(x) for x in re.findall(r"\d+", core)[:4])


def _scalar_kind(field_type: msgspec.inspect.Type) -> tuple[str, tuple[Any, ...]] | None:
    """('bool' | 'number' | 'text', literal choices) of a scalar field type; None otherwise."""
    if isinstance(field_type, msgspec.inspect.UnionType):
        inner = [t for t in field_type.types if not isinstance(t, msgspec.inspect.NoneType)]
        return _scalar_kind(inner[0]) if len(inner) == 1 else None
    if isinstance(field_type, msgspec.inspect.BoolType):
        return "bool", ()
    if isinstance(field_type, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        return "number", ()
    if isinstance(field_type, msgspec.inspect.StrType):
        return "text", ()
    if isinstance(field_type, msgspec.inspect.LiteralType):
        return "text", tuple(field_type.values)
    return None


def _fields(section: str) -> dict[str, msgspec.inspect.Type]:
    info = msgspec.inspect.type_info(SECTION_TYPES[section])
    assert isinstance(info, msgspec.inspect.StructType)  # every section is a struct
    return {f.name: f.type for f in info.fields}


def _value_ok(kind: str, choices: tuple[Any, ...], value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str) and (not choices or value in choices)


def _regex(r: _Reader, node: yaml.Node, what: str) -> re.Pattern[str]:
    text = r.string(node, what)
    if len(text) > MAX_REGEX:
        raise r.fail(node, f"{what} is longer than {MAX_REGEX} characters")
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as err:
        raise r.fail(node, f"{what} is not a valid regular expression: {err}") from err


def _fact_rule(
    r: _Reader, node: yaml.Node, cid: str
) -> tuple[tuple[str, ...], Callable[..., Finding]]:
    f = r.mapping(node, f"{cid}.fact", ("path", "op", "value"), ("path", "op", "value"))
    path = r.string(f["path"], f"{cid}.fact.path", r"[a-z_]+\.[a-z_]+")
    section, name = path.split(".", 1)
    if section not in SECTION_TYPES:
        raise r.fail(
            f["path"], f"{cid}: no facts section {section!r} (see docs/report.schema.json)"
        )
    fields = _fields(section)
    if name not in fields:
        raise r.fail(f["path"], f"{cid}: section {section!r} has no field {name!r}")
    scalar = _scalar_kind(fields[name])
    if scalar is None:
        raise r.fail(f["path"], f"{cid}: {path} is not a single value (lists cannot be compared)")
    kind, choices = scalar
    op = r.string(f["op"], f"{cid}.fact.op", choices=tuple(OPS))
    if op in ORDERING and kind != "number":
        raise r.fail(f["op"], f"{cid}: {op} needs a numeric fact, {path} is {kind}")
    value = r.value(f["value"], f"{cid}.fact.value")
    items = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and not isinstance(value, list):
        raise r.fail(f["value"], f"{cid}: {op} needs a list of values")
    if op not in ("in", "not_in") and isinstance(value, list):
        raise r.fail(f["value"], f"{cid}: {op} needs a single value, not a list")
    for item in items:
        if not _value_ok(kind, choices, item):
            allowed = f" (one of {', '.join(map(str, choices))})" if choices else ""
            raise r.fail(f["value"], f"{cid}: {item!r} does not fit {path}, a {kind}{allowed}")
    compare = OPS[op]

    def run(facts: HostFacts, thresholds: Thresholds) -> Finding:
        seen = getattr(facts.section(section), name)
        evidence = Evidence(path, seen)
        if seen is None:
            return unknown(cid, f"{path} not reported by the agent", evidence)
        if compare(seen, value):
            return passed(cid, f"{path} = {seen!r} {op} {value!r}", evidence)
        return failed(cid, f"{path} = {seen!r}, rule needs {op} {value!r}", evidence)

    return (section,), run


def _package_rule(
    r: _Reader, node: yaml.Node, cid: str
) -> tuple[tuple[str, ...], Callable[..., Finding]]:
    f = r.mapping(node, f"{cid}.package", ("name", "present", "min_version"), ("name",))
    pattern = _regex(r, f["name"], f"{cid}.package.name")
    present = r.boolean(f["present"], f"{cid}.package.present") if "present" in f else True
    minimum = (
        r.string(f["min_version"], f"{cid}.package.min_version") if "min_version" in f else None
    )
    if minimum is not None and (not present or not _version(minimum)):
        raise r.fail(
            f["min_version"], f"{cid}: min_version needs present: true and a numeric version"
        )

    def run(facts: HostFacts, thresholds: Thresholds) -> Finding:
        found = [p for p in facts.section("software").packages if pattern.fullmatch(p.name)]
        evidence = Evidence(
            "software.packages", [f"{p.name} {p.version or ''}".strip() for p in found]
        )
        if not present:
            if found:
                return failed(cid, f"forbidden package installed: {found[0].name}", evidence)
            return passed(cid, "forbidden package absent", evidence)
        if not found:
            return failed(cid, f"required package {pattern.pattern!r} not installed", evidence)
        if minimum is not None and not any(_version(p.version) >= _version(minimum) for p in found):
            return failed(cid, f"installed below version {minimum}", evidence)
        return passed(cid, "required package installed", evidence)

    return ("software",), run


def _service_rule(
    r: _Reader, node: yaml.Node, cid: str
) -> tuple[tuple[str, ...], Callable[..., Finding]]:
    f = r.mapping(node, f"{cid}.service", ("name", "present"), ("name",))
    pattern = _regex(r, f["name"], f"{cid}.service.name")
    present = r.boolean(f["present"], f"{cid}.service.present") if "present" in f else True

    def run(facts: HostFacts, thresholds: Thresholds) -> Finding:
        running = facts.section("system").services_running
        if running is None:
            return unknown(cid, "running services not reported by the agent")
        found = [s for s in running if pattern.fullmatch(s)]
        evidence = Evidence("system.services_running", found)
        if bool(found) == present:
            return passed(cid, f"service {'running' if present else 'not running'}", evidence)
        return failed(
            cid, f"service {'not running' if present else 'running'}: {pattern.pattern}", evidence
        )

    return ("system",), run


def _port_rule(
    r: _Reader, node: yaml.Node, cid: str
) -> tuple[tuple[str, ...], Callable[..., Finding]]:
    f = r.mapping(node, f"{cid}.port", ("port", "proto", "present"), ("port",))
    port = r.integer(f["port"], f"{cid}.port.port", 1, 65535)
    proto = (
        r.string(f["proto"], f"{cid}.port.proto", choices=("tcp", "udp")) if "proto" in f else "tcp"
    )
    present = r.boolean(f["present"], f"{cid}.port.present") if "present" in f else False

    def run(facts: HostFacts, thresholds: Thresholds) -> Finding:
        found = [
            x
            for x in facts.section("ports").listening
            if x.port == port and x.proto == proto and x.scope != "loopback"
        ]
        evidence = Evidence(
            "ports.listening", [f"{x.proto}/{x.port} on {x.address}" for x in found]
        )
        if bool(found) == present:
            return passed(cid, f"{proto}/{port} {'listening' if present else 'closed'}", evidence)
        return failed(
            cid, f"{proto}/{port} {'not listening' if present else 'listening'}", evidence
        )

    return ("ports",), run


def _antivirus_rule(
    r: _Reader, node: yaml.Node, cid: str
) -> tuple[tuple[str, ...], Callable[..., Finding]]:
    f = r.mapping(node, f"{cid}.antivirus", ("product", "vendor"), ("product",))
    product = _regex(r, f["product"], f"{cid}.antivirus.product")
    vendor = _regex(r, f["vendor"], f"{cid}.antivirus.vendor") if "vendor" in f else None

    def run(facts: HostFacts, thresholds: Thresholds) -> Finding:
        found = [
            p
            for p in facts.section("antivirus").products
            if product.search(p.product) and (vendor is None or vendor.search(p.vendor or ""))
        ]
        evidence = Evidence(
            "antivirus.products", [f"{p.product} enabled={p.enabled}" for p in found]
        )
        if any(p.enabled for p in found):
            return passed(cid, f"{found[0].product} running", evidence)
        if found and all(p.enabled is None for p in found):
            return unknown(cid, "required product found, running state not reported", evidence)
        if found:
            return failed(cid, "required anti-malware installed but not running", evidence)
        return failed(cid, f"required anti-malware {product.pattern!r} not found", evidence)

    return ("antivirus",), run


BUILDERS = {
    "fact": _fact_rule,
    "package": _package_rule,
    "service": _service_rule,
    "port": _port_rule,
    "antivirus": _antivirus_rule,
}


def compile_rule(r: _Reader, node: yaml.Node, requirement_id: str) -> CheckSpec:
    """One rule of a requirement, validated and compiled into a check ``custom.<id>``."""
    keys = ("id", "title", "severity", "os", "rationale", "remediation", *KINDS)
    f = r.mapping(node, f"{requirement_id}.rules[]", keys, ("id", "title"))
    rule_id = r.string(f["id"], f"{requirement_id}.rules[].id", RULE_ID)
    cid = f"custom.{rule_id}"
    kinds = [k for k in KINDS if k in f]
    if len(kinds) != 1:
        raise r.fail(node, f"{cid}: a rule needs exactly one of {', '.join(KINDS)}")
    title = r.text2(f["title"], f"{cid}.title")
    severity = (
        SEVERITIES[r.string(f["severity"], f"{cid}.severity", choices=SEVERITIES)]
        if "severity" in f
        else "medium"
    )
    oses: tuple[str, ...] = ("windows", "linux")
    if "os" in f:
        oses = tuple(
            r.string(n, f"{cid}.os[]", choices=("windows", "linux", "macos"))
            for n in r.sequence(f["os"], f"{cid}.os")
        )
        if not oses:
            raise r.fail(f["os"], f"{cid}: os needs at least one OS")
    sections, fn = BUILDERS[kinds[0]](r, f[kinds[0]], cid)
    default_why = Text2(
        f"Quy tắc riêng của đơn vị cho {requirement_id}.",
        f"The unit's own rule for {requirement_id}.",
    )
    default_fix = Text2(f"Làm theo quy tắc: {title.vi}", f"Follow the rule: {title.en}")
    return CheckSpec(
        id=cid,
        severity=severity,
        title=title,
        rationale=r.text2(f["rationale"], f"{cid}.rationale") if "rationale" in f else default_why,
        remediation=(
            r.text2(f["remediation"], f"{cid}.remediation") if "remediation" in f else default_fix
        ),
        sections=sections,
        os_families=oses,
        thresholds=(),
        fn=fn,
    )
