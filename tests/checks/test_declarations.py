"""Declarations (class D): validity on the scoring date, cadence, and Quy chế before the dossier."""

from __future__ import annotations

from datetime import date

import pytest

from checks.declarations import DOSSIER, QUYCHE, Declaration, judge
from checks.registry import builtin_pack
from checks.scoring import score_unit

SHA = "0f" * 32
PACK = builtin_pack("vn-2026")
DAY = date(2026, 12, 14)


def decl(
    rid: str, issued: date, valid_until: date | None = None, sha: str | None = SHA
) -> Declaration:
    return Declaration(rid, f"{rid}/QĐ-SYT", issued, "Giám đốc Sở Y tế", sha, valid_until)


def status(declarations: dict[str, Declaration], rid: str, today: date = DAY) -> tuple[str, str]:
    result = score_unit(PACK, 2, [], declarations, today=today)
    r = next(x for x in result.requirements if x.id == rid)
    return r.status, r.reason


@pytest.mark.parametrize(
    ("declaration", "expected", "why"),
    [
        (decl("L2-MGT-ORG-1", date(2026, 1, 5)), "met", "declared"),
        (decl("L2-MGT-ORG-1", date(2026, 1, 5), valid_until=date(2026, 12, 14)), "met", "declared"),
        (
            decl("L2-MGT-ORG-1", date(2026, 1, 5), valid_until=date(2026, 12, 13)),
            "not_met",
            "expired",
        ),
        (decl("L2-MGT-ORG-1", date(2026, 1, 5), sha=None), "not_met", "no evidence file hash"),
        (
            decl("L2-MGT-ORG-1", date(2026, 1, 5), sha="not-a-hash"),
            "not_met",
            "no evidence file hash",
        ),
        (decl("L2-MGT-ORG-1", date(2026, 12, 20)), "no_evidence", "after 2026-12-14"),
    ],
)
def test_declaration_validity(declaration: Declaration, expected: str, why: str) -> None:
    """A declaration counts only with a file hash, dated by and valid on the scoring day."""
    got, reason = status({declaration.requirement_id: declaration}, "L2-MGT-ORG-1")
    assert got == expected and why in reason


def test_expiry_reproduces_past_days() -> None:
    """The same declaration is met on 14 December 2026 and not met once it expired."""
    d = {"L2-MGT-ORG-1": decl("L2-MGT-ORG-1", date(2026, 1, 5), valid_until=date(2027, 1, 31))}
    assert status(d, "L2-MGT-ORG-1", date(2026, 12, 14))[0] == "met"
    assert status(d, "L2-MGT-ORG-1", date(2027, 2, 1))[0] == "not_met"


def test_review_cadence_from_the_pack() -> None:
    """A yearly review declared 400 days ago is too old (policy_review_max_age_days = 365)."""
    d = {"L2-MGT-POL-3": decl("L2-MGT-POL-3", date(2025, 11, 9))}
    got, reason = status(d, "L2-MGT-POL-3")
    assert got == "not_met" and "policy_review_max_age_days" in reason
    recent = {"L2-MGT-POL-3": decl("L2-MGT-POL-3", date(2026, 6, 1))}
    assert status(recent, "L2-MGT-POL-3")[0] == "met"
    assert judge(d["L2-MGT-POL-3"], DAY, 500.0, "override").status == "met"


def test_quyche_before_dossier() -> None:
    """The Quy chế issued before the dossier approval is met; after it, not met with the rule."""
    good = {QUYCHE: decl(QUYCHE, date(2026, 2, 1)), DOSSIER: decl(DOSSIER, date(2026, 3, 1))}
    assert status(good, QUYCHE)[0] == "met"
    assert status(good, DOSSIER)[0] == "met"
    late = {QUYCHE: decl(QUYCHE, date(2026, 4, 1)), DOSSIER: decl(DOSSIER, date(2026, 3, 1))}
    got, reason = status(late, QUYCHE)
    assert got == "not_met"
    assert "after the dossier approval 2026-03-01" in reason and "Decree 331 Art. 30.7" in reason
    same_day = {QUYCHE: decl(QUYCHE, date(2026, 3, 1)), DOSSIER: decl(DOSSIER, date(2026, 3, 1))}
    assert status(same_day, QUYCHE)[0] == "met"


def test_quyche_without_dossier_is_partly_met() -> None:
    """Without a valid dossier declaration the order cannot be verified: partly met."""
    only = {QUYCHE: decl(QUYCHE, date(2026, 2, 1))}
    got, reason = status(only, QUYCHE)
    assert got == "partly_met" and "order not verifiable" in reason
    expired_dossier = {
        **only,
        DOSSIER: decl(DOSSIER, date(2026, 3, 1), valid_until=date(2026, 6, 1)),
    }
    assert status(expired_dossier, QUYCHE)[0] == "partly_met"


def test_declarations_alone_do_not_make_the_unit_green() -> None:
    """Every D requirement declared, no host: D sub-score high, A and N zero, level not met."""
    declarations = {
        r.id: decl(r.id, date(2026, 9, 1)) for r in PACK.for_level(2) if "D" in r.evidence
    }
    result = score_unit(PACK, 2, [], declarations, today=DAY)
    assert result.by_evidence["D"] == 100.0
    assert result.by_evidence["A"] == 0.0 and result.by_evidence["N"] == 0.0
    assert not result.level_met
