"""A unit's own rules and threshold overrides: compiled at load time, refused with file:line."""

from __future__ import annotations

import textwrap

import pytest

from canh.contract.facts import AntivirusProduct, Listener, Package
from checks import PackError, parse_pack
from checks.pack import parse_overrides
from checks.registry import builtin_pack, known_checks
from checks.scoring import evaluate_host, host_requirements
from tests.checks.hosts import change, good

HEAD = textwrap.dedent("""\
    pack: unit-pack
    version: 1
    title: {vi: "Quy tắc riêng của bệnh viện", en: "Hospital rules"}
    levels: [2]
    thresholds: {}
    requirements:
      - id: BV-RULES-1
        title: {vi: "Quy tắc máy trạm", en: "Workstation rules"}
        area: EPT
        scope: host
        evidence: [A]
        min_level: 2
        weight: 3
        mandatory: true
        checks: [av.installed]
        rules:
    """)
RULES = """\
      - id: pw_len_12
        title: {vi: "Mật khẩu ≥ 12 ký tự", en: "Passwords ≥ 12 characters"}
        fact: {path: accounts.password_min_length, op: ">=", value: 12}
      - id: no_teamviewer
        title: {vi: "Không cài TeamViewer", en: "No TeamViewer"}
        severity: high
        package: {name: "teamviewer.*", present: false}
      - id: firefox_esr
        title: {vi: "Firefox ESR ≥ 115", en: "Firefox ESR ≥ 115"}
        os: [linux]
        package: {name: "firefox-esr", min_version: "115"}
      - id: no_vnc
        title: {vi: "Không mở VNC", en: "No VNC listener"}
        port: {port: 5900}
      - id: sshd_running
        title: {vi: "Có dịch vụ SSH", en: "SSH service runs"}
        os: [linux]
        service: {name: "sshd|ssh", present: true}
      - id: bkav_required
        title: {vi: "Dùng BKAV Pro", en: "BKAV Pro required"}
        antivirus: {product: "bkav", vendor: "bkav"}
      - id: chassis_ok
        title: {vi: "Loại máy được phép", en: "Allowed chassis"}
        fact: {path: hardware.chassis, op: in, value: [desktop, laptop]}
"""


def pack(rules: str = RULES) -> object:
    return parse_pack(HEAD + rules, "unit.yaml", known_checks())


def test_rules_compile_and_run() -> None:
    """Each rule kind becomes a custom.<id> check that runs on host facts."""
    p = parse_pack(HEAD + RULES, "unit.yaml", known_checks())
    req = p.requirements[0]
    assert req.checks[0] == "av.installed" and "custom.pw_len_12" in req.checks
    assert set(p.custom_checks) == {c for c in req.checks if c.startswith("custom.")}
    findings = evaluate_host(good("linux"), p, 2, {})
    got = {cid: f.status for cid, f in findings.items()}
    assert got == {
        "av.installed": "pass",
        "custom.pw_len_12": "pass",
        "custom.no_teamviewer": "pass",
        "custom.firefox_esr": "pass",
        "custom.no_vnc": "pass",
        "custom.sshd_running": "pass",
        "custom.bkav_required": "fail",
        "custom.chassis_ok": "pass",
    }
    windows = evaluate_host(good("windows"), p, 2, {})
    assert windows["custom.firefox_esr"].status == "not_applicable"
    assert p.custom_checks["custom.no_teamviewer"].severity == "high"


def test_rules_fail_and_unknown() -> None:
    """Rules fail on the facts they forbid and say unknown when the fact is missing."""
    p = parse_pack(HEAD + RULES, "unit.yaml", known_checks())
    facts = change(good("linux"), "accounts", password_min_length=None)
    facts = change(
        facts,
        "software",
        packages=[
            Package(name="TeamViewer", source="dpkg"),
            Package(name="firefox-esr", version="102.15", source="dpkg"),
        ],
    )
    facts = change(
        facts, "ports", listening=[Listener(proto="tcp", address="0.0.0.0", port=5900, scope="all")]
    )
    facts = change(facts, "system", services_running=["cron"])
    facts = change(
        facts,
        "antivirus",
        products=[
            AntivirusProduct(
                product="Bkav Pro", vendor="BKAV", enabled=True, source="securitycenter2"
            )
        ],
    )
    got = {cid: f.status for cid, f in evaluate_host(facts, p, 2, {}).items()}
    assert got["custom.pw_len_12"] == "unknown"
    assert got["custom.no_teamviewer"] == "fail"
    assert got["custom.firefox_esr"] == "fail"
    assert got["custom.no_vnc"] == "fail"
    assert got["custom.sshd_running"] == "fail"
    assert got["custom.bkav_required"] == "pass"
    statuses = host_requirements("workstation", evaluate_host(facts, p, 2, {}), p, 2)
    assert statuses == {"BV-RULES-1": "fail"}


def rule(*lines: str, rule_id: str = "x", title: str = '{vi: "a", en: "b"}') -> str:
    """A rule item: its id and title lines, then ``lines`` (each one YAML line)."""
    body = "".join(f"        {line}\n" for line in lines)
    return f"      - id: {rule_id}\n        title: {title}\n{body}"


# Line numbers: HEAD has 16 lines, so a rule's id is on line 17, its title on 18, its kind on 19.
@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (rule('fact: {path: nope.field, op: "==", value: 1}'), 19, "no facts section 'nope'"),
        (rule('fact: {path: accounts.nope, op: "==", value: 1}'), 19, "has no field 'nope'"),
        (rule('fact: {path: accounts.users, op: "==", value: 1}'), 19, "not a single value"),
        (rule('fact: {path: system.os_name, op: "<", value: "a"}'), 19, "needs a numeric fact"),
        (
            rule('fact: {path: accounts.lockout_threshold, op: "==", value: "five"}'),
            19,
            "does not fit",
        ),
        (rule('fact: {path: hardware.chassis, op: "==", value: "tower"}'), 19, "one of desktop"),
        (rule("fact: {path: accounts.guest_enabled, op: in, value: true}"), 19, "needs a list"),
        (rule('fact: {path: accounts.guest_enabled, op: "~=", value: true}'), 19, "not one of"),
        (rule('package: {name: "(unclosed"}'), 19, "not a valid regular expression"),
        (
            rule('package: {name: "x", present: false, min_version: "2"}'),
            19,
            "min_version needs present",
        ),
        (rule("port: {port: 70000}"), 19, "outside 1..65535"),
        (rule(), 17, "exactly one of"),
        (rule("port: {port: 1}", 'service: {name: "a"}'), 17, "exactly one of"),
        (rule("port: {port: 1}", rule_id="X-Bad"), 17, "does not match"),
        (rule("port: {port: 1}", title='{vi: "a"}'), 18, "lacks required key 'en'"),
        (rule("port: {port: 1}", "eval: \"__import__('os')\""), 20, "unknown key 'eval'"),
        (rule("port: {port: 1}") + rule("port: {port: 2}"), 20, "defined twice"),
    ],
)
def test_rule_errors_name_file_and_line(text: str, line: int, reason: str) -> None:
    """A bad rule is refused with the file, the line and the reason."""
    with pytest.raises(PackError) as err:
        parse_pack(HEAD + text, "unit.yaml", known_checks())
    assert (err.value.file, err.value.line) == ("unit.yaml", line), err.value
    assert reason in err.value.reason


def test_rules_need_agent_evidence() -> None:
    """Rules are host (A) evidence: a D-only requirement cannot carry them."""
    text = HEAD.replace("evidence: [A]", "evidence: [D]") + RULES
    with pytest.raises(PackError, match="rules are agent"):
        parse_pack(text, "unit.yaml", known_checks())


OVERRIDES = textwrap.dedent("""\
    pack: vn-2026
    unit: bv-da-khoa
    thresholds:
      patch_max_age_days: 30
      password_min_length: 12
      lockout_admin_unlock_accepted: false
      external_admin_ports: "tcp/22,tcp/3389"
      av_coverage_min_percent: 95
    """)


def test_overrides_apply() -> None:
    """Valid overrides change the unit's threshold values."""
    p = builtin_pack("vn-2026")
    values = p.threshold_values(parse_overrides(OVERRIDES, "bv.yaml", p))
    assert values["patch_max_age_days"] == 30 and values["lockout_admin_unlock_accepted"] is False


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("patch_max_age_days: 30", "patch_max_age_dayz: 30", 4, "not in pack vn-2026"),
        ("patch_max_age_days: 30", "patch_max_age_days: 30.5", 4, "must be an integer"),
        ("patch_max_age_days: 30", 'patch_max_age_days: "30"', 4, "must be an integer"),
        ("patch_max_age_days: 30", "patch_max_age_days: -1", 4, "out of range"),
        (
            "lockout_admin_unlock_accepted: false",
            "lockout_admin_unlock_accepted: 0",
            6,
            "true or false",
        ),
        (
            'external_admin_ports: "tcp/22,tcp/3389"',
            'external_admin_ports: "ssh,rdp"',
            7,
            "not a port list",
        ),
        ("av_coverage_min_percent: 95", "av_coverage_min_percent: 150", 8, "0..100"),
        ("pack: vn-2026", "pack: vn-legacy", 1, "not 'vn-2026'"),
        ("unit: bv-da-khoa", "unit: bv-da-khoa\ncolour: red", 3, "unknown key 'colour'"),
    ],
)
def test_override_errors(old: str, new: str, line: int, reason: str) -> None:
    """A bad override file is refused with the file, the line and the reason."""
    p = builtin_pack("vn-2026")
    with pytest.raises(PackError) as err:
        parse_overrides(OVERRIDES.replace(old, new), "bv.yaml", p)
    assert err.value.line == line and reason in err.value.reason, err.value
