"""Pack validation: a pack with an error is refused with file, line and reason."""

from __future__ import annotations

import textwrap

import pytest

from checks import PackError, parse_pack

GOOD = textwrap.dedent("""\
    pack: test-pack
    version: 1
    title: {vi: "Gói thử", en: "Test pack"}
    levels: [1, 2, 3]
    thresholds:
      risky_ports:
        value: [23, 3389]
        unit: ports
        status: U
        title: {vi: "Cổng rủi ro", en: "Risky ports"}
    requirements:
      - id: L2-SRV-HARD-1
        title: {vi: "Cấu hình an toàn", en: "Secure configuration"}
        area: SRV
        scope: server
        evidence: [A]
        min_level: 2
        weight: 4
        mandatory: true
        checks: [ports.risky_exposed]
        thresholds: [risky_ports]
      - id: L2-MGT-POL-1
        title: {vi: "Chính sách", en: "Policy"}
        area: MGT
        scope: unit
        evidence: [D]
        min_level: 1
        weight: 2
        mandatory: true
        checks: []
        declaration: {vi: "Quyết định ban hành", en: "Issuing decision"}
    """)
KNOWN = {"ports.risky_exposed"}


def test_good_pack() -> None:
    """A valid pack loads with its thresholds and level filter."""
    pack = parse_pack(GOOD, "good.yaml", KNOWN)
    assert [r.id for r in pack.for_level(1)] == ["L2-MGT-POL-1"]
    assert pack.threshold_values({"risky_ports": [23]}) == {"risky_ports": [23]}
    with pytest.raises(KeyError):
        pack.threshold_values({"nope": 1})


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("weight: 4", "weight: 9", 18, "outside 1..5"),
        ("weight: 4", "wieght: 4", 18, "unknown key 'wieght'"),
        ("checks: [ports.risky_exposed]", "checks: [ports.nope]", 20, "unknown check 'ports.nope'"),
        ("scope: server", "scope: everywhere", 15, "not one of"),
        ("thresholds: [risky_ports]", "thresholds: [missing]", 21, "not defined in this pack"),
        ("evidence: [D]", "evidence: [X]", 26, "not one of"),
        (
            "mandatory: true\n    checks: []",
            "mandatory: yes please\n    checks: []",
            29,
            "true or false",
        ),
        ("- id: L2-MGT-POL-1", "- id: L2-SRV-HARD-1", 22, "duplicate requirement"),
        (
            '    declaration: {vi: "Quyết định ban hành", en: "Issuing decision"}\n',
            "",
            22,
            "needs a 'declaration'",
        ),
        # The YAML parser notices the unclosed bracket where the next key starts.
        ('title: {vi: "Gói thử", en: "Test pack"}', "title: [", 5, "not valid YAML"),
    ],
)
def test_errors_name_line_and_reason(old: str, new: str, line: int, reason: str) -> None:
    """Each mistake is reported at its line."""
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(PackError) as err:
        parse_pack(text, "bad.yaml", KNOWN)
    assert err.value.file == "bad.yaml"
    assert reason in err.value.reason
    assert err.value.line == line, str(err.value)


def test_no_code_in_packs() -> None:
    """YAML tags that would build objects are refused by the safe loader."""
    with pytest.raises(PackError):
        parse_pack("!!python/object/apply:os.system ['true']", "evil.yaml", KNOWN)
