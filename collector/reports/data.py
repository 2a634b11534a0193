"""The annual report's content, assembled from the store as it was on a date (LEVEL2.md §3.1).

Reproducible: every figure is read "as of" the report date — the unit score is the latest daily
row on or before it, incidents, devices and declarations are those recorded by then (revocations
dated by the audit log), and the KPI trend stops there. Only the "top failing checks" list needs
today's findings, so for a past date it is given per requirement from that day's score instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from checks.declarations import DOSSIER, QUYCHE, Declaration, judge
from collector.declarations import unit_declarations
from collector.reports.history import Series, monthly, score_rows, series
from collector.store import Store
from collector.web.i18n import kpi_label

if TYPE_CHECKING:
    from collector.evaluate import Knowledge

ASSESS = "L2-LEG-ASSESS-1"
NATIONAL_CUTOFF = (12, 14)  # data window ends 14/12 (Decree 331 Art. 35; Circular 12 Art. 13)
GAPS = ("not_met", "partly_met", "no_evidence")


class ReportError(Exception):
    """The report cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What to report: the year, language, the "as of" date and the plan's target offset."""

    year: int
    lang: str = "vi"
    as_of: date | None = None  # default: the window's end, or today if that is later
    remediation_days: int = 90  # gaps get a target date this long after the report deadline
    place: str = ""  # the place in the date line ("Đà Lạt, ngày …"); blank leaves dots
    number: str = ""  # the document number; blank leaves dots to fill in


@dataclass(frozen=True, slots=True)
class SystemRow:
    """Form 08 per-system columns 2–12."""

    name: str
    owner: str
    operator: str
    level: int
    approval_status: str  # draft | approved
    approval_decision: str
    quyche: str
    expected_approval: date | None
    deployment: str  # none | some | full
    expected_full: date | None
    checked: str  # periodic | none


@dataclass(frozen=True, slots=True)
class RequirementRow:
    """A requirement with its status, evidence and the plan for a gap."""

    id: str
    title: str
    status: str
    mandatory: bool
    evidence_classes: str
    evidence: str
    remediation: str
    target: date | None
    clauses: str


@dataclass(frozen=True, slots=True)
class KpiRow:
    """A KPI at the window's start and end, with its monthly values."""

    key: str
    label: str
    start: float | None
    end: float | None
    monthly: Series


@dataclass(frozen=True, slots=True)
class ChildRow:
    """A unit of the subtree, for the roll-up."""

    id: str
    name: str
    depth: int
    score: float | None
    level_met: bool
    hosts: int
    deployment: str


@dataclass
class AnnualReport:
    """Everything the writers put on paper."""

    options: ReportOptions
    unit: dict[str, Any]
    owner: str
    window_start: date
    window_end: date
    as_of: date
    deadline: date
    score: float | None
    level_met: bool
    day: str | None
    by_evidence: dict[str, float]
    hosts: int
    systems: list[SystemRow]
    totals: dict[str, int]
    requirements: list[RequirementRow]
    counts: dict[str, int]
    kpis: list[KpiRow]
    series: dict[str, Series]
    incidents: list[dict[str, Any]]
    top_failing: list[dict[str, Any]]
    top_failing_by: str  # checks | requirements
    devices: list[dict[str, Any]]
    children: list[ChildRow] = field(default_factory=list)
    generated_at: float = field(default_factory=time.time)


def _deadline(year: int, report_deadline: str) -> date:
    month, day = (int(x) for x in report_deadline.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, 12, 20)


def window(year: int, report_deadline: str = "12-20") -> tuple[date, date]:
    """The reporting window: 15/12 of the previous year to 14/12, or to the unit's own deadline
    when that falls in the month before 14/12 (a province closing on 05/12 reports the data it
    has on 05/12)."""

    def end_of(y: int) -> date:
        cutoff = date(y, *NATIONAL_CUTOFF)
        own = _deadline(y, report_deadline)
        return own if cutoff - timedelta(days=31) <= own < cutoff else cutoff

    return end_of(year - 1) + timedelta(days=1), end_of(year)


def _end_ts(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + 86400


def _fmt_doc(d: Declaration | None) -> str:
    if d is None:
        return ""
    return f"{d.doc_number}, {d.issued.strftime('%d/%m/%Y')}, {d.approver}"


def deployment_of(score: float | None, level_met: bool) -> str:
    """Form 08 column 10 from the score: full when the level is met, some items when the score
    is above zero, none otherwise."""
    if level_met:
        return "full"
    return "some" if score else "none"


def _system(
    store: Store, unit: Mapping[str, Any], owner: str, as_of: date, target: date
) -> SystemRow:
    conn = store.readers.db().conn
    declared = unit_declarations(conn, unit["id"], as_of)
    dossier, quyche, assess = declared.get(DOSSIER), declared.get(QUYCHE), declared.get(ASSESS)
    approved = dossier is not None and judge(dossier, as_of).status == "met"
    row = store.unit_score(unit["id"], as_of.isoformat())
    deployment = deployment_of(row["score"] if row else None, bool(row and row["level_met"]))
    checked = assess is not None and judge(assess, as_of).status == "met"
    return SystemRow(
        name=str(unit["name"]),
        owner=owner,
        operator=str(unit["name"]),
        level=int(unit["level"]),
        approval_status="approved" if approved else "draft",
        approval_decision=_fmt_doc(dossier) if approved else "",
        quyche=_fmt_doc(quyche),
        expected_approval=None if approved else target,
        deployment=deployment,
        expected_full=None if deployment == "full" else target,
        checked="periodic" if checked else "none",
    )


def _requirements(
    knowledge: Knowledge,
    unit: Mapping[str, Any],
    score_row: Mapping[str, Any] | None,
    declared: Mapping[str, Declaration],
    lang: str,
    target: date,
) -> list[RequirementRow]:
    pack = knowledge.pack(unit["pack"])
    results = {r["id"]: r for r in json.loads(score_row["requirements"])} if score_row else {}
    out = []
    for req in pack.for_level(int(unit["level"])):
        result = results.get(req.id, {"status": "no_evidence", "reason": "no score yet"})
        status = str(result["status"])
        evidence = str(result.get("reason") or "")
        if req.id in declared:
            d = declared[req.id]
            evidence = f"{evidence}; {_fmt_doc(d)}" if evidence else _fmt_doc(d)
        fixes = [
            knowledge.checks[c].remediation.get(lang) for c in req.checks if c in knowledge.checks
        ]
        if req.declaration is not None and ("D" in req.evidence):
            fixes.append(req.declaration.get(lang))
        remediation = " ".join(dict.fromkeys(f for f in fixes if f)) or req.summary.get(lang)
        out.append(
            RequirementRow(
                id=req.id,
                title=req.title.get(lang),
                status=status,
                mandatory=req.mandatory,
                evidence_classes="+".join(req.evidence),
                evidence=evidence,
                remediation=remediation if status in GAPS else "",
                target=target if status in GAPS else None,
                clauses="; ".join(f"{k} {v}" for k, v in req.clauses.items()),
            )
        )
    return out


def _incidents(store: Store, units: list[str], start: date, as_of: date) -> list[dict[str, Any]]:
    end = _end_ts(as_of)
    marks = ",".join("?" * len(units))
    rows = store.query(
        f"SELECT i.*, u.name AS unit_name, h.hostname FROM incidents i "  # noqa: S608
        f"JOIN units u ON u.id = i.unit_id LEFT JOIN hosts h ON h.id = i.host_id "
        f"WHERE i.unit_id IN ({marks}) AND i.opened_at >= ? AND i.opened_at < ? "
        f"ORDER BY i.opened_at",
        [*units, _end_ts(start) - 86400, end],
    )
    for row in rows:  # the status it had on the report date
        if row["resolved_at"] and row["resolved_at"] < end:
            row["status_then"] = "resolved"
        elif row["acknowledged_at"] and row["acknowledged_at"] < end:
            row["status_then"] = "acknowledged"
        else:
            row["status_then"] = "open"
    return rows


def _top_failing(
    store: Store,
    knowledge: Knowledge,
    units: list[str],
    score_row: Mapping[str, Any] | None,
    live: bool,
    lang: str,
) -> tuple[list[dict[str, Any]], str]:
    if live:
        marks = ",".join("?" * len(units))
        rows = store.query(
            f"SELECT f.check_id AS id, count(*) AS hosts FROM findings f "  # noqa: S608
            f"JOIN hosts h ON h.id = f.host_id WHERE f.status = 'fail' AND h.status = 'active' "
            f"AND h.unit_id IN ({marks}) GROUP BY f.check_id ORDER BY hosts DESC, f.check_id "
            f"LIMIT 10",
            units,
        )
        for row in rows:
            spec = knowledge.checks.get(row["id"])
            row["title"] = spec.title.get(lang) if spec else row["id"]
            row["remediation"] = spec.remediation.get(lang) if spec else ""
        return rows, "checks"
    results = json.loads(score_row["requirements"]) if score_row else []
    failing = sorted(
        (r for r in results if r.get("failing")), key=lambda r: (-int(r["failing"]), r["id"])
    )[:10]
    return [
        {"id": r["id"], "title": "", "hosts": r["failing"], "remediation": ""} for r in failing
    ], "requirements"


def _devices(store: Store, units: list[str], as_of: date) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(units))
    return store.query(
        f"SELECT d.*, u.name AS unit_name FROM devices d JOIN units u ON u.id = d.unit_id "  # noqa: S608
        f"WHERE d.host_id IS NULL AND d.unit_id IN ({marks}) AND d.first_seen < ? "
        f"ORDER BY u.name, d.ip LIMIT 500",
        [*units, _end_ts(as_of)],
    )


def _children(store: Store, unit_id: str, units: list[str], as_of: date) -> list[ChildRow]:
    rows = {u["id"]: u for u in store.units() if u["id"] in set(units)}
    out: list[ChildRow] = []

    def walk(parent: str, depth: int) -> None:
        for uid, u in sorted(rows.items(), key=lambda kv: kv[1]["name"]):
            if u["parent_id"] != parent:
                continue
            s = store.unit_score(uid, as_of.isoformat())
            score = float(s["score"]) if s else None
            met = bool(s and s["level_met"])
            out.append(
                ChildRow(
                    uid,
                    u["name"],
                    depth,
                    score,
                    met,
                    int(s["hosts"]) if s else 0,
                    deployment_of(score, met),
                )
            )
            walk(uid, depth + 1)

    walk(unit_id, 1)
    return out


def build_annual(
    store: Store, knowledge: Knowledge, unit_id: str, options: ReportOptions
) -> AnnualReport:
    """The report of a unit (and its subtree) for a year, as of a date."""
    unit = store.unit(unit_id)
    if unit is None:
        raise ReportError(f"no unit {unit_id!r}")
    start, end = window(options.year, unit["report_deadline"])
    today = datetime.now(UTC).date()
    as_of = options.as_of or min(end, today)
    if as_of < start:
        raise ReportError(
            f"as-of date {as_of.isoformat()} is before the window start {start.isoformat()}"
        )
    deadline = _deadline(options.year, unit["report_deadline"])
    target = max(deadline, as_of) + timedelta(days=options.remediation_days)
    units = store.subtree(unit_id)
    top = unit
    while top["parent_id"]:
        parent = store.unit(top["parent_id"])
        if parent is None:
            break
        top = parent
    score_row = store.unit_score(unit_id, as_of.isoformat())
    conn = store.readers.db().conn
    declared = unit_declarations(conn, unit_id, as_of)
    requirements = _requirements(knowledge, unit, score_row, declared, options.lang, target)
    counts = {s: sum(1 for r in requirements if r.status == s) for s in ("met", *GAPS)}
    systems = [
        _system(store, u, str(top["name"]), as_of, target)
        for u in [unit] + [store.unit(c) or unit for c in units if c != unit_id]
    ]
    totals = {
        "systems": len(systems),
        "classified": len(systems),
        "dossier": sum(1 for s in systems if s.approval_decision or s.approval_status != "draft"),
        "appraised": sum(1 for s in systems if s.approval_status == "approved"),
        "approved": sum(1 for s in systems if s.approval_status == "approved"),
        "checked": sum(1 for s in systems if s.checked == "periodic"),
    }
    trend_end = min(end, as_of)
    trend = series(score_rows(store, unit_id, start, trend_end), start, trend_end)
    kpis = [
        KpiRow(
            key,
            kpi_label(key, options.lang),
            next((v for _, v in points if v is not None), None),
            next((v for _, v in reversed(points) if v is not None), None),
            monthly(points),
        )
        for key, points in trend.items()
    ]
    top_failing, failing_by = _top_failing(
        store, knowledge, units, score_row, as_of >= today, options.lang
    )
    if failing_by == "requirements":
        titles = {r.id: r.title for r in requirements}
        for row in top_failing:
            row["title"] = titles.get(row["id"], "")
    return AnnualReport(
        options=options,
        unit=unit,
        owner=str(top["name"]),
        window_start=start,
        window_end=end,
        as_of=as_of,
        deadline=deadline,
        score=float(score_row["score"]) if score_row else None,
        level_met=bool(score_row and score_row["level_met"]),
        day=score_row["day"] if score_row else None,
        by_evidence=json.loads(score_row["by_evidence"]) if score_row else {},
        hosts=int(score_row["hosts"]) if score_row else 0,
        systems=systems,
        totals=totals,
        requirements=requirements,
        counts=counts,
        kpis=kpis,
        series=trend,
        incidents=_incidents(store, units, start, as_of),
        top_failing=top_failing,
        top_failing_by=failing_by,
        devices=_devices(store, units, as_of),
        children=_children(store, unit_id, units, as_of),
    )
