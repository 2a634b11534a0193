"""docs/CHECKS.md, rendered from the registry and the shipped packs so it never drifts.

``python -c "from checks.catalogue import render_markdown; open('docs/CHECKS.md','w')
.write(render_markdown())"`` regenerates it; tests/checks/test_registry_contract.py fails when the
file differs from this rendering.
"""

from __future__ import annotations

from typing import Any

from checks.network import NETWORK_CHECKS
from checks.pack import BUILTIN_PACKS, Pack
from checks.registry import CHECKS, builtin_pack, load_builtin

FAMILY_TITLES = {
    "account": "Accounts",
    "autorun": "Autorun",
    "av": "Anti-malware",
    "encryption": "Disk encryption",
    "firewall": "Host firewall",
    "hardware": "Hardware and assets",
    "lockout": "Account lockout",
    "logging": "Logging",
    "network": "Network placement",
    "os": "Operating system hardening",
    "password": "Password policy",
    "patch": "Patching",
    "ports": "Listening ports",
    "remote": "Remote administration",
    "scan": "Network scans (N-class, collector)",
    "screenlock": "Screen lock",
    "smb": "SMB",
    "software": "Software",
    "timesync": "Time synchronisation",
}

HEADER = """\
# Checks: what each one tests, the facts it reads, the thresholds it uses

Generated from the check registry (`checks/builtin/`) and the shipped packs by
`checks/catalogue.py`; do not edit by hand. The design of each check (Windows and Linux signals,
pitfalls) is in docs/CHECKS-PLAN.md; the scoring rules are in `checks/scoring.py` and summarised
below.

Every check returns **pass**, **fail**, **unknown** (facts missing or inconclusive: the reason
says which fact and what to fix in the agent) or **not applicable** (the thing checked does not
exist on the host), with the values it saw as evidence (`section.field` and the value). Agent
checks read one host's facts (`canh/contract/facts.py`); `scan.*` checks read the collector's
network observation of the unit (`checks/network.py`). Numbers come only from the pack's
thresholds; unit data (zone map, approved lists, allowed ports, service baseline, DNS resolvers,
profile flags) comes from `checks/unit.py`; a check that needs undeclared unit data says unknown.

## Scoring in one page

- Host: each requirement's agent checks combine into pass / fail / unknown / not applicable /
  waived (any fail fails; unknown beats pass; a *supporting* check's unknown is ignored).
- Unit: a requirement has up to three components from what it lists: **A** (share of the unit's
  hosts of its role that pass), **N** (its `scan.*` checks), **D** (a valid declaration).
  *Met* needs every component met; *not met* when every component is worth 0 (*no evidence*
  when none has any); *partly met* otherwise; value = mean of the components.
- Not applicable: a component whose checks are N/A on every host (or with no host of the role
  while others report); a requirement whose components are all N/A. A D component is never N/A.
  N/A requirements leave the score and "level met".
- Declarations: valid with an evidence-file hash, dated by and valid on the scoring day, no
  older than the requirement's review cadence; the Quy chế must predate the dossier approval.
- Waivers: counted and shown, excluded from the arithmetic, never blocking "level met".
- Score: weighted mean of requirement values; A/N/D sub-scores per component; level met: every
  mandatory applicable unwaived requirement met. Roll-up: each child unit weighs the same.

## A unit's own rules and threshold overrides

A requirement of a unit pack may carry `rules:` besides `checks:` (A evidence only). Each rule
has an `id` (the check becomes `custom.<id>`), a `title: {vi, en}`, optional `severity`, `os`,
`rationale` and `remediation`, and exactly one kind:

```yaml
rules:
  - id: pw_len_12
    title: {vi: "Mật khẩu ≥ 12 ký tự", en: "Passwords ≥ 12 characters"}
    fact: {path: accounts.password_min_length, op: ">=", value: 12}   # == != < <= > >= in not_in
  - id: no_teamviewer
    title: {vi: "Không cài TeamViewer", en: "No TeamViewer"}
    package: {name: "teamviewer.*", present: false}                  # min_version with present
  - id: sshd_running
    title: {vi: "Có dịch vụ SSH", en: "SSH service runs"}
    service: {name: "sshd|ssh", present: true}
  - id: no_vnc
    title: {vi: "Không mở VNC", en: "No VNC listener"}
    port: {port: 5900, proto: tcp, present: false}
  - id: bkav_required
    title: {vi: "Dùng BKAV Pro", en: "BKAV Pro required"}
    antivirus: {product: "bkav", vendor: "bkav"}
```

Paths are checked against the facts contract (a single-valued field; ordering operators on
numbers only; values of the field's type; literal fields only their values), regular
expressions are compiled (case-insensitive, full match for names), all at load time. Nothing
is evaluated as code. A unit's threshold override file names the pack and changes values only:

```yaml
pack: vn-2026
unit: bv-da-khoa          # optional, for people
thresholds:
  patch_max_age_days: 30  # the key must exist in the pack and keep its type
```

Both are refused with the file, the line and the reason (`checks/pack.py`: `parse_pack`,
`parse_overrides`).
"""


def _threshold(pack: Pack, key: str) -> str:
    t = pack.thresholds.get(key)
    if t is None:
        return "–"
    return f"{t.value!r} {t.unit} [{t.status}]"


def _uses(check_id: str, packs: dict[str, Pack]) -> str:
    parts = []
    for pack_id, pack in packs.items():
        ids = [r.id for r in pack.requirements if check_id in r.checks]
        parts.append(f"{pack_id}: {', '.join(ids) if ids else '–'}")
    return "; ".join(parts)


def _section(spec: Any, packs: dict[str, Pack]) -> list[str]:
    lines = [
        f"### `{spec.id}` — {spec.title.en}",
        "",
        f"*{spec.title.vi}*",
        "",
        f"- severity **{spec.severity}**; evidence class {spec.evidence_class}; "
        f"OS: {', '.join(spec.os_families)}"
        + ("; supporting evidence (confirms, never fails)" if spec.supporting else ""),
        f"- reads: {', '.join(f'`{s}`' for s in spec.sections) or '(an agent event)'}",
    ]
    if spec.thresholds:
        lines.append("- thresholds:")
        for key in spec.thresholds:
            values = "; ".join(f"{p} {_threshold(pack, key)}" for p, pack in packs.items())
            lines.append(f"  - `{key}`: {values}")
    else:
        lines.append("- thresholds: none (protocol constants only)")
    lines += [
        f"- requirements: {_uses(spec.id, packs)}",
        f"- why: {spec.rationale.en}",
        f"- fix: {spec.remediation.en}",
        "",
    ]
    return lines


def render_markdown() -> str:
    """The whole of docs/CHECKS.md."""
    load_builtin()
    packs = {p: builtin_pack(p) for p in BUILTIN_PACKS}
    specs: list[Any] = sorted([*CHECKS.values(), *NETWORK_CHECKS.values()], key=lambda s: s.id)
    families: dict[str, list[Any]] = {}
    for spec in specs:
        families.setdefault(spec.id.split(".", 1)[0], []).append(spec)
    out = [HEADER, "## Index", ""]
    for family, items in families.items():
        out.append(
            f"- {FAMILY_TITLES.get(family, family)}: " + ", ".join(f"`{s.id}`" for s in items)
        )
    out.append("")
    for family, items in families.items():
        out += [f"## {FAMILY_TITLES.get(family, family)}", ""]
        for spec in items:
            out += _section(spec, packs)
    return "\n".join(out).rstrip() + "\n"
