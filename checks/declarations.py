"""D-class evidence and accepted risk: declarations (attestations) and waivers, judged on a date.

Pure: every function takes the scoring date ``today`` explicitly, so "the score on 14 December"
is reproducible. The collector stores the rows (and the evidence file, hashed); this module only
decides what they are worth on a given day.

Rules (LEVEL2.md §5, §1.7, §1.8):

- A declaration counts only with an evidence-file hash, dated on or before ``today`` and valid
  on ``today`` (``valid_until`` inclusive). Expired, it falls back to *not met*.
- Where the requirement names a review-cadence threshold (``*_review_max_age_days`` and the other
  keys in :data:`CADENCE_KEYS`), the declaration must also be no older than that many days.
- The Quy chế (L2-LEG-QUYCHE-1) must be issued before the level dossier (L2-LEG-DOSSIER-1) is
  approved (Circular 12 Art. 9.7; Decree 331 Art. 30.7). Dates have no time of day, so issuing
  both on the same day is accepted. Violated: the Quy chế requirement is *not met* with the
  reason; without a valid dossier declaration the order cannot be verified: *partly met*.
- A waiver (accepted risk) names a requirement or a check, optionally one host, an approver and
  an expiry (inclusive). It never hides anything: waived results are counted and shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

QUYCHE = "L2-LEG-QUYCHE-1"
DOSSIER = "L2-LEG-DOSSIER-1"
# Thresholds that bound the age of an attested record (yearly reviews, trainings, stock-takes,
# restore tests): the declaration's date is the date of that record.
CADENCE_KEYS = frozenset(
    {
        "policy_review_max_age_days",
        "awareness_training_max_age_days",
        "authority_contact_verify_max_age_days",
        "network_diagram_max_age_days",
        "incident_plan_review_max_age_days",
        "supplier_list_review_max_age_days",
        "risk_review_max_age_days",
        "data_permission_review_max_age_days",
        "account_review_max_age_days",
        "log_review_max_age_days",
        "asset_inventory_max_age_days",
        "software_inventory_max_age_days",
        "backup_restore_test_max_age_days",
    }
)
_SHA256 = re.compile(r"[0-9a-f]{64}")

DeclStatus = Literal["met", "partly_met", "not_met", "no_evidence"]


@dataclass(frozen=True, slots=True)
class Declaration:
    """An attestation for one requirement: the document and its evidence file's hash."""

    requirement_id: str
    doc_number: str
    issued: date  # issue / approval date of the document (or of the attested record)
    approver: str
    file_sha256: str | None
    valid_until: date | None = None  # None: valid until replaced (cadence rules still apply)


@dataclass(frozen=True, slots=True)
class DeclarationResult:
    """What a declaration is worth on a day."""

    status: DeclStatus
    value: float
    reason: str


@dataclass(frozen=True, slots=True)
class Waiver:
    """Accepted risk until ``expires`` (inclusive), on one host or unit-wide (``host`` None).

    ``target`` is a requirement id (the whole requirement is waived) or a check id (that check's
    failing or unknown findings are waived wherever it is evidence). The collector's ``waivers``
    rows map onto it (``COALESCE(requirement_id, check_id)``).
    """

    target: str
    expires: date
    approver: str
    reason: str = ""
    host: str | None = None
    id: str = ""

    def active(self, today: date) -> bool:
        """In force on ``today`` (the expiry day included)."""
        return today <= self.expires

    def covers(self, target: str, host: str | None) -> bool:
        """Whether it waives ``target`` (a requirement or check id) on ``host``."""
        return self.target == target and (self.host is None or self.host == host)

    def describe(self) -> str:
        """One line for reasons and reports."""
        what = self.target
        where = f" on {self.host}" if self.host else ""
        why = f": {self.reason}" if self.reason else ""
        return f"{what} waived{where} until {self.expires.isoformat()} by {self.approver}{why}"


def active_waivers(waivers: Iterable[Waiver], today: date) -> tuple[Waiver, ...]:
    """The waivers in force on ``today``."""
    return tuple(w for w in waivers if w.active(today))


def find_waiver(waivers: Iterable[Waiver], target: str, host: str | None) -> Waiver | None:
    """The first waiver covering ``target`` on ``host`` (callers pass active ones)."""
    return next((w for w in waivers if w.covers(target, host)), None)


def judge(
    declaration: Declaration | None,
    today: date,
    cadence_days: float | None = None,
    cadence_key: str = "",
) -> DeclarationResult:
    """A declaration's worth on ``today`` (without the cross-declaration date rules)."""
    if declaration is None:
        return DeclarationResult("no_evidence", 0.0, "no declaration")
    d = declaration
    where = f"{d.doc_number} of {d.issued.isoformat()} ({d.approver})"
    if not d.file_sha256 or not _SHA256.fullmatch(d.file_sha256):
        return DeclarationResult("not_met", 0.0, f"{where}: no evidence file hash")
    if d.issued > today:
        return DeclarationResult("no_evidence", 0.0, f"{where}: dated after {today.isoformat()}")
    if d.valid_until is not None and d.valid_until < today:
        return DeclarationResult("not_met", 0.0, f"{where}: expired {d.valid_until.isoformat()}")
    if cadence_days is not None and (today - d.issued).days > cadence_days:
        return DeclarationResult(
            "not_met",
            0.0,
            f"{where}: {(today - d.issued).days} days old, {cadence_key} is {cadence_days:g}",
        )
    return DeclarationResult("met", 1.0, f"declared: {where}")


def cadence(thresholds: Mapping[str, Any], keys: Iterable[str]) -> tuple[float | None, str]:
    """The strictest review cadence among a requirement's thresholds, with its key."""
    best: tuple[float | None, str] = (None, "")
    for key in keys:
        value = thresholds.get(key)
        if key not in CADENCE_KEYS or isinstance(value, bool):
            continue
        if isinstance(value, int | float) and (best[0] is None or value < best[0]):
            best = (float(value), key)
    return best


def quyche_order(
    quyche: Declaration | None,
    dossier: Declaration | None,
    quyche_result: DeclarationResult,
    dossier_result: DeclarationResult,
) -> DeclarationResult:
    """Apply "Quy chế before dossier approval" to the Quy chế's own result."""
    if quyche is None or quyche_result.status != "met":
        return quyche_result
    if dossier is None or dossier_result.status != "met":
        return DeclarationResult(
            "partly_met",
            0.5,
            f"{quyche_result.reason}; order not verifiable: no valid {DOSSIER} declaration",
        )
    if quyche.issued > dossier.issued:
        return DeclarationResult(
            "not_met",
            0.0,
            f"Quy chế issued {quyche.issued.isoformat()}, after the dossier approval "
            f"{dossier.issued.isoformat()} (Circular 12 Art. 9.7; Decree 331 Art. 30.7)",
        )
    return DeclarationResult(
        "met",
        1.0,
        f"{quyche_result.reason}; issued before the dossier approval {dossier.issued.isoformat()}",
    )
