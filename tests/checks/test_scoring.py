"""Scoring on a hand-computed unit tree, waivers, N/A, the incremental tally, and monotonicity."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks import parse_pack
from checks.declarations import Declaration, Waiver
from checks.registry import builtin_pack, known_checks
from checks.scoring import (
    StatusTally,
    evaluate_host,
    host_requirements,
    network_requirements,
    roll_up,
    score_unit,
)
from tests.checks.hosts import NOW, TODAY, change, good

PACK = parse_pack(
    textwrap.dedent("""\
        pack: scoring-test
        version: 1
        title: {vi: "Gói thử chấm điểm", en: "Scoring test pack"}
        levels: [2]
        thresholds: {}
        requirements:
          - {id: T-AV-1, title: {vi: "Mã độc", en: "AV"}, area: SRV, scope: host, evidence: [A],
             min_level: 2, weight: 5, mandatory: true, checks: [av.installed]}
          - {id: T-PATCH-1, title: {vi: "Vá", en: "Patch"}, area: SRV, scope: server,
             evidence: [A], min_level: 2, weight: 4, mandatory: true, checks: [patch.os_supported]}
          - {id: T-DNS-1, title: {vi: "DNS", en: "DNS"}, area: EPT, scope: workstation,
             evidence: [A, D], min_level: 2, weight: 3, mandatory: true,
             checks: [network.dns_resolvers], declaration: {vi: "Danh sách", en: "List"}}
          - {id: T-EXT-1, title: {vi: "Biên", en: "Edge"}, area: NET, scope: network,
             evidence: [N], min_level: 2, weight: 4, mandatory: true, checks: [scan.external_ports]}
          - {id: T-POL-1, title: {vi: "Chính sách", en: "Policy"}, area: MGT, scope: unit,
             evidence: [D], min_level: 2, weight: 2, mandatory: true, checks: [],
             declaration: {vi: "Quyết định", en: "Decision"}}
          - {id: T-BUD-1, title: {vi: "Kinh phí", en: "Budget"}, area: LEG, scope: unit,
             evidence: [D], min_level: 2, weight: 1, mandatory: false, checks: [],
             declaration: {vi: "Kế hoạch", en: "Plan"}}
        """),
    "scoring-test.yaml",
    known_checks(),
)
SHA = "ab" * 32


def declared(
    rid: str, issued: date = date(2026, 3, 1), valid_until: date | None = None
) -> Declaration:
    return Declaration(rid, f"{rid}/QĐ", issued, "Giám đốc", SHA, valid_until)


# Unit A: two workstations (h1, h2) and two servers (h3, h4).
UNIT_A = {
    "h1": {"T-AV-1": "pass", "T-DNS-1": "pass"},
    "h2": {"T-AV-1": "fail", "T-DNS-1": "pass"},
    "h3": {"T-AV-1": "pass", "T-PATCH-1": "pass"},
    "h4": {"T-AV-1": "unknown", "T-PATCH-1": "fail"},
}
DECL_A = {"T-DNS-1": declared("T-DNS-1"), "T-BUD-1": declared("T-BUD-1")}
NET_A = {"T-EXT-1": "pass"}
# Unit B: one workstation, no server, no declarations, the edge scan fails.
UNIT_B = {"h5": {"T-AV-1": "pass", "T-DNS-1": "fail"}}
NET_B = {"T-EXT-1": "fail"}


def unit_a(**kwargs: object) -> object:
    return score_unit(PACK, 2, UNIT_A.values(), DECL_A, NET_A, today=TODAY, **kwargs)  # type: ignore[arg-type]


def test_unit_score_by_hand() -> None:
    """Unit A's requirement statuses, score, sub-scores and blockers, computed by hand."""
    result = score_unit(PACK, 2, UNIT_A.values(), DECL_A, NET_A, today=TODAY)
    by_id = {r.id: r for r in result.requirements}
    # T-AV-1: 2 pass, 1 fail, 1 unknown over 4 counted hosts -> 2/4 = 0.5, partly met.
    assert (by_id["T-AV-1"].status, by_id["T-AV-1"].value) == ("partly_met", 0.5)
    assert (by_id["T-AV-1"].passing, by_id["T-AV-1"].failing, by_id["T-AV-1"].unknown) == (2, 1, 1)
    # T-PATCH-1: servers only, 1 pass 1 fail -> 0.5.
    assert (by_id["T-PATCH-1"].status, by_id["T-PATCH-1"].value) == ("partly_met", 0.5)
    # T-DNS-1 [A, D]: A 2/2 met and a valid declaration -> met, (1 + 1) / 2 = 1.
    assert (by_id["T-DNS-1"].status, by_id["T-DNS-1"].value) == ("met", 1.0)
    assert dict(by_id["T-DNS-1"].components) == {"A": "met", "D": "met"}
    assert by_id["T-EXT-1"].status == "met"
    assert by_id["T-POL-1"].status == "no_evidence"
    assert by_id["T-BUD-1"].status == "met"
    # score = (5*.5 + 4*.5 + 3*1 + 4*1 + 2*0 + 1*1) / (5+4+3+4+2+1) = 12.5 / 19 = 65.789...
    assert result.score == 65.79
    # A: (5*.5 + 4*.5 + 3*1) / 12 = 62.5; N: 4*1 / 4 = 100; D: (3*1 + 2*0 + 1*1) / 6 = 66.67
    assert dict(result.by_evidence) == {"A": 62.5, "N": 100.0, "D": 66.67}
    assert not result.level_met
    assert result.blockers == ("T-AV-1", "T-PATCH-1", "T-POL-1")
    assert result.hosts == 4


def test_child_without_servers_and_roll_up() -> None:
    """A unit with no server has the server row N/A; the parent averages its children."""
    a = score_unit(PACK, 2, UNIT_A.values(), DECL_A, NET_A, today=TODAY)
    b = score_unit(PACK, 2, UNIT_B.values(), {}, NET_B, today=TODAY)
    b_by_id = {r.id: r for r in b.requirements}
    assert b_by_id["T-PATCH-1"].status == "not_applicable"
    # T-DNS-1: A 0/1 (0) and no declaration (0) -> not met.
    assert (b_by_id["T-DNS-1"].status, b_by_id["T-DNS-1"].value) == ("not_met", 0.0)
    # B = (5*1 + 3*0 + 4*0 + 2*0 + 1*0) / (5+3+4+2+1) = 5/15 = 33.33 (T-PATCH-1 left out)
    assert b.score == 33.33 and b.not_applicable == 1
    parent = roll_up([a, b])
    by_id = {r.id: r for r in parent.requirements}
    # Per requirement the mean over the units where it applies:
    # AV (.5+1)/2=.75, PATCH .5 (B n/a), DNS (1+0)/2=.5, EXT (1+0)/2=.5, POL 0, BUD (1+0)/2=.5
    assert [
        round(by_id[r].value, 3)
        for r in ("T-AV-1", "T-PATCH-1", "T-DNS-1", "T-EXT-1", "T-POL-1", "T-BUD-1")
    ] == [
        0.75,
        0.5,
        0.5,
        0.5,
        0.0,
        0.5,
    ]
    assert by_id["T-POL-1"].status == "no_evidence"
    assert by_id["T-AV-1"].passing == 3
    # (5*.75 + 4*.5 + 3*.5 + 4*.5 + 2*0 + 1*.5) / 19 = 9.75 / 19 = 51.315...
    assert parent.score == 51.32
    assert (parent.hosts, parent.units, parent.units_level_met, parent.level_met) == (
        5,
        2,
        0,
        False,
    )
    grand = roll_up([parent], own=score_unit(PACK, 2, [], {}, {}, today=TODAY))
    assert grand.units == 3 and grand.hosts == 5


def test_unit_wide_waiver_is_counted_not_hidden() -> None:
    """A waived requirement leaves the score and "level met" but stays listed with its reason."""
    waiver = Waiver("T-POL-1", TODAY + timedelta(days=30), "Giám đốc", "policy being rewritten")
    result = score_unit(PACK, 2, UNIT_A.values(), DECL_A, NET_A, waivers=[waiver], today=TODAY)
    pol = next(r for r in result.requirements if r.id == "T-POL-1")
    assert pol.status == "waived" and "policy being rewritten" in pol.reason
    assert "underlying no_evidence" in pol.reason
    # 12.5 / (19 - 2) = 73.529...
    assert result.score == 73.53 and result.waived == 1
    assert result.blockers == ("T-AV-1", "T-PATCH-1")


def test_expired_waiver_is_ignored() -> None:
    """A waiver past its expiry day has no effect; on the expiry day it still holds."""
    waiver = Waiver("T-POL-1", date(2026, 12, 1), "Giám đốc")
    late = score_unit(PACK, 2, UNIT_A.values(), DECL_A, NET_A, waivers=[waiver], today=TODAY)
    assert late.score == 65.79 and late.waived == 0
    on_day = score_unit(
        PACK, 2, UNIT_A.values(), DECL_A, NET_A, waivers=[waiver], today=date(2026, 12, 1)
    )
    assert on_day.waived == 1


def test_waivers_need_today() -> None:
    """Waivers or declarations without the scoring date are refused, not judged on the clock."""
    waiver = Waiver("T-POL-1", TODAY, "x")
    with pytest.raises(ValueError, match="today"):
        score_unit(PACK, 2, UNIT_A.values(), waivers=[waiver])
    with pytest.raises(ValueError, match="today"):
        score_unit(PACK, 2, UNIT_A.values(), DECL_A)


def test_host_check_waiver() -> None:
    """A waived failing check makes that host's requirement "waived", counted apart."""
    facts = change(good("linux", "server"), "patches", os_supported=False)
    findings = evaluate_host(facts, PACK, 2, {})
    assert findings["patch.os_supported"].status == "fail"
    waiver = Waiver("patch.os_supported", TODAY, "Giám đốc", "replacement ordered", host="srv-1")
    on_host = host_requirements(
        "server", findings, PACK, 2, host="srv-1", waivers=[waiver], today=TODAY
    )
    other = host_requirements(
        "server", findings, PACK, 2, host="srv-2", waivers=[waiver], today=TODAY
    )
    assert on_host["T-PATCH-1"] == "waived" and other["T-PATCH-1"] == "fail"
    result = score_unit(PACK, 2, [on_host, other], today=TODAY)
    patch = next(r for r in result.requirements if r.id == "T-PATCH-1")
    # The waived host leaves the share: 0 pass of 1 counted, 1 waived.
    assert (patch.status, patch.waived, patch.failing) == ("not_met", 1, 1)
    all_waived = score_unit(PACK, 2, [on_host], today=TODAY)
    assert next(r for r in all_waived.requirements if r.id == "T-PATCH-1").status == "waived"


def test_all_not_applicable_leaves_the_score() -> None:
    """A requirement whose checks are N/A on every host is N/A and does not block level met."""
    statuses = [{"T-AV-1": "pass", "T-PATCH-1": "not_applicable"}] * 2
    decl = {
        "T-DNS-1": declared("T-DNS-1"),
        "T-POL-1": declared("T-POL-1"),
        "T-BUD-1": declared("T-BUD-1"),
    }
    result = score_unit(PACK, 2, statuses, decl, {"T-EXT-1": "pass"}, today=TODAY)
    by_id = {r.id: r for r in result.requirements}
    assert by_id["T-PATCH-1"].status == "not_applicable"
    # T-DNS-1: its A part has no workstation among the 2 hosts -> N/A, the declaration decides.
    assert by_id["T-DNS-1"].status == "met"
    assert result.level_met and result.score == 100.0


def test_network_requirements_from_findings() -> None:
    """N verdicts come from the scan findings; a waived scan check is waived."""
    from checks.model import Finding

    findings = {"scan.external_ports": Finding(check_id="scan.external_ports", status="fail")}
    assert network_requirements(findings, PACK, 2) == {"T-EXT-1": "fail"}
    waiver = Waiver("scan.external_ports", TODAY, "x")
    assert network_requirements(findings, PACK, 2, waivers=[waiver], today=TODAY) == {
        "T-EXT-1": "waived"
    }


def test_tally_replace_equals_full_recount() -> None:
    """Replacing one host's statuses in the tally gives the same score as recounting all."""
    tally = StatusTally.of(UNIT_A.values())
    new_h2 = {"T-AV-1": "pass", "T-DNS-1": "pass"}
    updated = tally.replace(UNIT_A["h2"], new_h2)
    full = [UNIT_A["h1"], new_h2, UNIT_A["h3"], UNIT_A["h4"]]
    assert score_unit(PACK, 2, updated, DECL_A, NET_A, today=TODAY) == score_unit(
        PACK, 2, full, DECL_A, NET_A, today=TODAY
    )
    assert tally.replace(UNIT_A["h2"], None).hosts == 3


def test_real_pack_end_to_end() -> None:
    """Good hosts through the real vn-2026 pack: every A-only host requirement is met."""
    pack = builtin_pack("vn-2026")
    values = pack.threshold_values()
    statuses = []
    for os in ("windows", "linux"):
        for role in ("workstation", "server"):
            findings = evaluate_host(good(os, role), pack, 2, values, now=NOW)
            statuses.append(host_requirements(role, findings, pack, 2))
    result = score_unit(pack, 2, statuses, today=TODAY)
    for r in result.requirements:
        req = next(q for q in pack.requirements if q.id == r.id)
        if req.evidence == ("A",):
            assert r.status == "met", (r.id, r.reason)
    assert result.by_evidence["A"] == 100.0 and not result.level_met


STATUS = st.sampled_from(["pass", "fail", "unknown", "not_applicable", "waived"])
HOST = st.fixed_dictionaries(
    {"T-AV-1": STATUS},
    optional={"T-PATCH-1": STATUS, "T-DNS-1": STATUS},
)


@settings(max_examples=300, deadline=None)
@given(hosts=st.lists(HOST, min_size=1, max_size=8), data=st.data())
def test_worse_host_never_raises_the_score(
    hosts: list[dict[str, str]], data: st.DataObject
) -> None:
    """Turning one host's pass into a fail never raises the unit score (nor its sub-scores)."""
    passes = [(i, rid) for i, h in enumerate(hosts) for rid, s in h.items() if s == "pass"]
    if not passes:
        return
    i, rid = data.draw(st.sampled_from(passes))
    worse = [dict(h) for h in hosts]
    worse[i][rid] = "fail"
    before = score_unit(PACK, 2, hosts, DECL_A, NET_A, today=TODAY)
    after = score_unit(PACK, 2, worse, DECL_A, NET_A, today=TODAY)
    assert after.score <= before.score
    for cls, value in after.by_evidence.items():
        assert value <= before.by_evidence.get(cls, 100.0)
    assert not (after.level_met and not before.level_met)


def test_shared_findings_equal_plain_evaluation() -> None:
    """With a memo, hosts get exactly the findings and statuses a plain evaluation gives."""
    import dataclasses

    from canh.contract import fact_hash
    from checks.scoring import FindingMemo
    from tests.checks.hosts import without

    pack = builtin_pack("vn-2026")
    values = pack.threshold_values()
    variants = [
        good("windows"),
        good("linux", "server"),
        change(good("windows"), "accounts", lockout_threshold=0),
        without(good("linux"), "antivirus", "clamd timeout"),
        without(good("linux"), "antivirus", "other error"),
        dataclasses.replace(good("windows"), host="special"),
        dataclasses.replace(good("linux"), as_of=NOW + timedelta(days=60)),
    ]
    special = dataclasses.replace(
        variants[0].unit,
        allowed_ports={**(variants[0].unit.allowed_ports or {}), "special": frozenset()},
    )
    variants[5] = dataclasses.replace(variants[5], unit=special)
    memo = FindingMemo()
    for facts in variants * 2:
        hashed = dataclasses.replace(
            facts, hashes={k: fact_hash(v) for k, v in facts.sections.items()}
        )
        shared = evaluate_host(hashed, pack, 2, values, memo=memo)
        plain = evaluate_host(facts, pack, 2, values)
        assert shared == plain
        role = facts.role
        assert host_requirements(role, shared, pack, 2, memo=memo) == host_requirements(
            role, plain, pack, 2
        )
    assert memo.findings
