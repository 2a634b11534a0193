"""Dashboard pages: the department overview, a unit, a host, and the annual report download."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from collector import declarations as decl
from collector.api.deps import ServicesDep, User, visible_units
from collector.errors import ApiError
from collector.reports.history import score_rows, series
from collector.services import Services
from collector.web import charts, views
from collector.web.facts_view import event_summary, evidence_text, fact_block
from collector.web.i18n import kpi_label, texts
from collector.web.render import lang_of, not_found, page_user, render

router = APIRouter(include_in_schema=False)
TREND_DAYS = 365
STATUS_COLOURS = (
    ("met", charts.GREEN),
    ("partly_met", charts.ORANGE),
    ("not_met", charts.RED),
    ("no_evidence", charts.GREY),
)


def trend_charts(svc: Services, unit_id: str, lang: str) -> list[dict[str, Any]]:
    """Score, A/N/D, hosts and every KPI of the unit over the last year, as SVG charts."""
    end = datetime.now(UTC).date()
    start = end - timedelta(days=TREND_DAYS - 1)
    out = []
    for key, points in series(score_rows(svc.store, unit_id, start, end), start, end).items():
        percent = key in ("score", "A", "N", "D")
        label = kpi_label(key, lang)
        svg = charts.line_chart(
            points,
            label,
            y_max=100.0 if percent else None,
            colour=charts.BLUE if key == "score" else charts.GREY if key == "hosts" else "#6a1b9a",
        )
        latest = next((v for _, v in reversed(points) if v is not None), None)
        out.append({"key": key, "label": label, "svg": Markup(svg), "latest": latest})  # noqa: S704 - escaped in charts
    return out


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, svc: ServicesDep) -> Response:
    """Unit tree with scores, units ranked worst first, trends, incidents and legal deadlines."""
    user = page_user(request, svc)
    if user is None:
        return render(request, "login.html")
    lang = lang_of(request)
    allowed = visible_units(svc, user)
    tree = views.unit_tree(svc, allowed)
    for node in tree:
        node_label = f"{texts(lang)['score']} {node.score or 0:.1f}"
        node.bar = Markup(charts.score_bar(node.score, node.level_met, node_label))  # noqa: S704
    ranked = sorted(
        (n for n in tree if n.score is not None or n.hosts), key=lambda n: (n.score or 0.0, n.name)
    )
    roots = [n for n in tree if n.depth == 0]
    focus = roots[0] if roots else None
    incidents = views.open_incidents(svc, allowed)
    return render(
        request,
        "overview.html",
        user=user,
        tree=tree,
        ranked=ranked[:10],
        focus=focus,
        charts=trend_charts(svc, focus.id, lang) if focus else [],
        incidents=incidents,
        deadlines=views.deadlines(incidents, time.time()),
        totals={
            "hosts": sum(n.hosts for n in tree),
            "online": sum(n.online for n in tree),
            "incidents": sum(n.incidents for n in tree),
            "devices": sum(n.devices for n in tree),
        },
    )


def _visible(svc: Services, user: User, unit_id: str) -> bool:
    return unit_id in visible_units(svc, user)


def requirement_rows(
    svc: Services, unit: dict[str, Any], score: dict[str, Any] | None, lang: str
) -> list[dict[str, Any]]:
    """Each requirement of the unit's level: status and reason from the score, what it asks,
    how to fix it (the checks' remediation), the declaration it takes, declarations, waivers."""
    pack = svc.knowledge.pack(unit["pack"])
    statuses = {r["id"]: r for r in json.loads(score["requirements"])} if score else {}
    declared: dict[str, dict[str, Any]] = {}
    for row in decl.declarations(svc.store, unit["id"]):
        declared.setdefault(row["requirement_id"], row)
    waived: dict[str, list[dict[str, Any]]] = {}
    for row in decl.waivers(svc.store, unit["id"]):
        waived.setdefault(row["requirement_id"] or row["check_id"], []).append(row)
    checks = svc.knowledge.checks
    out = []
    for req in pack.for_level(int(unit["level"])):
        result = statuses.get(req.id, {"status": "no_evidence", "reason": ""})
        fixes = []
        for cid in req.checks:
            spec = checks.get(cid)
            fixes.append(
                {
                    "id": cid,
                    "title": spec.title.get(lang) if spec else cid,
                    "remediation": spec.remediation.get(lang) if spec else "",
                    "waivers": waived.get(cid, []),
                }
            )
        out.append(
            {
                "id": req.id,
                "title": req.title.get(lang),
                "summary": req.summary.get(lang),
                "status": result["status"],
                "reason": result.get("reason", ""),
                "evidence": "+".join(req.evidence),
                "mandatory": req.mandatory,
                "clauses": req.clauses,
                "checks": fixes,
                "declaration_text": req.declaration.get(lang) if req.declaration else "",
                "declared": declared.get(req.id),
                "waivers": waived.get(req.id, []),
            }
        )
    out.sort(key=lambda r: (views.STATUS_ORDER.get(r["status"], 5), r["id"]))
    return out


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, svc: ServicesDep, unit_id: str) -> Response:
    """Requirements with evidence and remediation, hosts (filter, sort, pages), devices,
    incidents."""
    user = page_user(request, svc)
    if user is None:
        return render(request, "login.html")
    unit = svc.store.unit(unit_id)
    if unit is None or not _visible(svc, user, unit_id):
        return not_found(request, user)
    lang = lang_of(request)
    t = texts(lang)
    subtree = svc.store.subtree(unit_id)
    score = svc.store.unit_score(unit_id)
    reqs = requirement_rows(svc, unit, score, lang)
    counts = {s: sum(1 for r in reqs if r["status"] == s) for s, _ in STATUS_COLOURS}
    stack = charts.status_bars(
        [(t[s], counts[s], colour) for s, colour in STATUS_COLOURS], t["requirements"]
    )
    hq = views.HostQuery.from_params(request.query_params)
    hosts, total = views.host_list(svc, subtree, hq)
    parent = svc.store.unit(unit["parent_id"]) if unit["parent_id"] else None
    checks = svc.knowledge.checks
    failing = views.top_failing_checks(svc, subtree)
    for row in failing:
        spec = checks.get(row["check_id"])
        row["title"] = spec.title.get(lang) if spec else row["check_id"]
        row["remediation"] = spec.remediation.get(lang) if spec else ""
    children = [n for n in views.unit_tree(svc, subtree) if n.id != unit_id]
    return render(
        request,
        "unit.html",
        user=user,
        unit=unit,
        parent=parent if parent and _visible(svc, user, parent["id"]) else None,
        children=children,
        score=score,
        by_evidence=json.loads(score["by_evidence"]) if score else {},
        bar=Markup(  # noqa: S704 - escaped in charts
            charts.score_bar(
                score["score"] if score else 0, bool(score and score["level_met"]), t["score"]
            )
        ),
        stack=Markup(stack),  # noqa: S704 - escaped in charts
        counts=counts,
        requirements=reqs,
        charts=trend_charts(svc, unit_id, lang)[:1],
        hosts=hosts,
        total=total,
        hq=hq,
        pages=max(1, -(-total // views.PAGE_SIZE)),
        failing=failing,
        devices=views.unmanaged_devices(svc, subtree),
        incidents=views.recent_incidents(svc, subtree),
        can_write=user.can_write,
        year=datetime.now(UTC).year,
    )


@router.get("/hosts/{host_id}", response_class=HTMLResponse)
def host_page(request: Request, svc: ServicesDep, host_id: str) -> Response:
    """Facts by section, findings with the value seen and what to do, history of changes."""
    user = page_user(request, svc)
    if user is None:
        return render(request, "login.html")
    host = svc.store.host(host_id)
    if host is None or not _visible(svc, user, host["unit_id"]):
        return not_found(request, user)
    lang = lang_of(request)
    unit = svc.store.unit(host["unit_id"])
    checks = svc.knowledge.checks
    order = {"fail": 0, "unknown": 1, "pass": 2, "not_applicable": 3}
    findings = []
    for row in svc.store.findings(host_id):
        spec = checks.get(row["check_id"])
        findings.append(
            {
                **row,
                "title": spec.title.get(lang) if spec else row["check_id"],
                "severity": spec.severity if spec else "",
                "remediation": spec.remediation.get(lang) if spec else "",
                "rationale": spec.rationale.get(lang) if spec else "",
                "seen": evidence_text(row["evidence"]),
            }
        )
    findings.sort(key=lambda f: (order.get(f["status"], 4), f["check_id"]))
    facts = [{**row, "block": fact_block(row["data"])} for row in svc.store.facts(host_id)]
    events = [{**e, "lines": event_summary(e["detail"])} for e in svc.store.events(host_id, 200)]
    return render(
        request,
        "host.html",
        user=user,
        host=host,
        unit=unit,
        findings=findings,
        facts=facts,
        events=events,
        online=bool(
            host["last_seen"]
            and host["last_seen"] > time.time() - svc.settings.silent_after_seconds
        ),
    )


REPORT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


@router.get("/units/{unit_id}/report")
def report_download(
    request: Request,
    svc: ServicesDep,
    unit_id: str,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    fmt: Annotated[str, Query(alias="format", pattern="^(docx|xlsx|html|pdf)$")] = "docx",
    as_of: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
) -> Response:
    """The unit's annual report as a file (scoped like the unit page; audited)."""
    from collector.reports import ReportError, ReportOptions, build_annual, report_bytes

    user = page_user(request, svc)
    if user is None:
        return render(request, "login.html", status=401)
    if not _visible(svc, user, unit_id):
        return not_found(request, user)
    lang = lang_of(request)
    options = ReportOptions(
        year=year or datetime.now(UTC).year,
        lang=lang,
        as_of=datetime.strptime(as_of, "%Y-%m-%d").date() if as_of else None,
    )
    try:
        report = build_annual(svc.store, svc.knowledge, unit_id, options)
        body = report_bytes(report, fmt)
    except ReportError as err:
        raise ApiError(503 if fmt == "pdf" else 422, "report", str(err)) from err
    svc.store.writer.call(
        svc.store.audit_job(
            user.username, "report.annual", unit_id, {"year": options.year, "format": fmt}
        )
    )
    name = f"bao-cao-attt-{options.year}-{re.sub(r'[^A-Za-z0-9_.-]', '_', unit_id)}.{fmt}"
    return Response(
        body,
        media_type=REPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
