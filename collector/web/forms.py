"""Declarations and waivers pages: the lists, and the forms for the roles that may write.

Forms post back here with the CSRF token; the work is the API's own (``collector.api
.declarations``), so the browser and the API validate, store, audit and rescore the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collector import declarations as decl
from collector.api import declarations as api
from collector.api.deps import ServicesDep, User, require_unit
from collector.errors import ApiError
from collector.services import Services
from collector.web.i18n import error_text
from collector.web.render import check_csrf, lang_of, not_found, page_user, render

router = APIRouter(include_in_schema=False)


def _declarations_page(
    request: Request,
    svc: Services,
    user: User,
    unit_id: str,
    status: int = 200,
    error: ApiError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    unit = svc.store.unit(unit_id)
    if unit is None:
        return not_found(request, user)
    lang = lang_of(request)
    pack = svc.knowledge.pack(unit["pack"])
    declarable = [
        {
            "id": r.id,
            "title": r.title.get(lang),
            "text": r.declaration.get(lang) if r.declaration else "",
        }
        for r in pack.for_level(int(unit["level"]))
        if "D" in r.evidence
    ]
    titles = {r["id"]: r["title"] for r in declarable}
    rows = decl.declarations(svc.store, unit_id, include_revoked=True)
    for row in rows:
        row["title"] = titles.get(row["requirement_id"], "")
    return render(
        request,
        "declarations.html",
        status=status,
        user=user,
        unit=unit,
        rows=rows,
        declarable=declarable,
        can_write=user.can_write,
        error=error_text(error.reason, error.message, lang) if error else "",
        form=form or {},
        saved=request.query_params.get("saved") == "1",
        today=decl.today_utc().isoformat(),
        max_mb=decl.MAX_EVIDENCE_BYTES // (1024 * 1024),
    )


def _waivers_page(
    request: Request,
    svc: Services,
    user: User,
    unit_id: str,
    status: int = 200,
    error: ApiError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    unit = svc.store.unit(unit_id)
    if unit is None:
        return not_found(request, user)
    lang = lang_of(request)
    reqs = svc.knowledge.pack(unit["pack"]).for_level(int(unit["level"]))
    check_ids = sorted({c for r in reqs for c in r.checks})
    specs = svc.knowledge.checks
    return render(
        request,
        "waivers.html",
        status=status,
        user=user,
        unit=unit,
        rows=decl.waivers(svc.store, unit_id, include_revoked=True),
        requirements=[{"id": r.id, "title": r.title.get(lang)} for r in reqs],
        checks=[
            {"id": c, "title": specs[c].title.get(lang) if c in specs else c} for c in check_ids
        ],
        can_write=user.can_write,
        error=error_text(error.reason, error.message, lang) if error else "",
        form=form or {},
        saved=request.query_params.get("saved") == "1",
        today=decl.today_utc().isoformat(),
    )


def _gate(request: Request, svc: Services, unit_id: str, write: bool) -> User | Response:
    """The user, or the page to answer instead (login, 404 for an invisible unit, 403)."""
    user = page_user(request, svc)
    if user is None:
        return render(request, "login.html", status=401)
    try:
        require_unit(svc, user, unit_id, write=write)
    except ApiError as err:
        if err.status == 404:
            return not_found(request, user)
        return render(request, "error.html", status=err.status, user=user, code=err.status)
    return user


@router.get("/units/{unit_id}/declarations", response_class=HTMLResponse)
def declarations_page(request: Request, svc: ServicesDep, unit_id: str) -> Response:
    """The unit's declarations and, for admins and its IT staff, the form to add one."""
    gate = _gate(request, svc, unit_id, write=False)
    if isinstance(gate, Response):
        return gate
    return _declarations_page(request, svc, gate, unit_id)


@router.post("/units/{unit_id}/declarations", response_class=HTMLResponse)
async def declarations_submit(request: Request, svc: ServicesDep, unit_id: str) -> Response:
    """Record an attestation with its evidence file."""
    gate = await run_in_threadpool(_gate, request, svc, unit_id, True)
    if isinstance(gate, Response):
        return gate
    fields: dict[str, str] = {}
    try:
        fields, upload = await decl.read_upload(request)
        try:
            check_csrf(request, fields)
            await run_in_threadpool(api.create_declaration, svc, gate, unit_id, fields, upload)
        finally:
            if upload is not None:
                await upload.close()
    except ApiError as err:
        return await run_in_threadpool(
            _declarations_page, request, svc, gate, unit_id, err.status, err, fields
        )
    return RedirectResponse(f"/units/{unit_id}/declarations?saved=1", status_code=303)


async def _small_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=20, max_part_size=8192)
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/units/{unit_id}/declarations/{decl_id}/revoke", response_class=HTMLResponse)
async def declarations_revoke(
    request: Request, svc: ServicesDep, unit_id: str, decl_id: str
) -> Response:
    """Revoke a declaration (kept in history)."""
    gate = await run_in_threadpool(_gate, request, svc, unit_id, True)
    if isinstance(gate, Response):
        return gate
    fields = await _small_form(request)
    try:
        check_csrf(request, fields)
        await run_in_threadpool(_revoke, svc, gate, "declarations", unit_id, decl_id)
    except ApiError as err:
        return await run_in_threadpool(
            _declarations_page, request, svc, gate, unit_id, err.status, err
        )
    return RedirectResponse(f"/units/{unit_id}/declarations?saved=1", status_code=303)


def _revoke(svc: Services, user: User, table: str, unit_id: str, item_id: str) -> None:
    decl.revoke(svc.store, table, unit_id, item_id, user.username)
    decl.rescore(svc.store, svc.knowledge, unit_id)


@router.get("/units/{unit_id}/waivers", response_class=HTMLResponse)
def waivers_page(request: Request, svc: ServicesDep, unit_id: str) -> Response:
    """The unit's waivers and, for permitted roles, the form to grant one."""
    gate = _gate(request, svc, unit_id, write=False)
    if isinstance(gate, Response):
        return gate
    return _waivers_page(request, svc, gate, unit_id)


def _resolve_host(svc: Services, unit_id: str, given: str) -> str | None:
    """A host of the unit by id or host name ("" means the whole unit)."""
    if not given.strip():
        return None
    row = svc.store.one(
        "SELECT id FROM hosts WHERE unit_id = ? AND (id = ? OR hostname = ?) LIMIT 1",
        (unit_id, given.strip(), given.strip()),
    )
    return row["id"] if row else given.strip()


def _grant(svc: Services, user: User, unit_id: str, fields: dict[str, str]) -> Any:
    target = fields.get("target", "")
    values: dict[str, str | None] = {
        "requirement_id": target[4:] if target.startswith("req:") else None,
        "check_id": target[6:] if target.startswith("check:") else None,
        "host_id": _resolve_host(svc, unit_id, fields.get("host", "")),
        "reason": fields.get("reason", ""),
        "approver": fields.get("approver", ""),
        "expires_at": fields.get("expires_at", ""),
    }
    return api.create_waiver(svc, user, unit_id, values)


@router.post("/units/{unit_id}/waivers", response_class=HTMLResponse)
async def waivers_submit(request: Request, svc: ServicesDep, unit_id: str) -> Response:
    """Grant a waiver with an approver and an expiry."""
    gate = await run_in_threadpool(_gate, request, svc, unit_id, True)
    if isinstance(gate, Response):
        return gate
    fields = await _small_form(request)
    try:
        check_csrf(request, fields)
        await run_in_threadpool(_grant, svc, gate, unit_id, fields)
    except ApiError as err:
        return await run_in_threadpool(
            _waivers_page, request, svc, gate, unit_id, err.status, err, fields
        )
    return RedirectResponse(f"/units/{unit_id}/waivers?saved=1", status_code=303)


@router.post("/units/{unit_id}/waivers/{waiver_id}/revoke", response_class=HTMLResponse)
async def waivers_revoke(
    request: Request, svc: ServicesDep, unit_id: str, waiver_id: str
) -> Response:
    """Revoke a waiver."""
    gate = await run_in_threadpool(_gate, request, svc, unit_id, True)
    if isinstance(gate, Response):
        return gate
    fields = await _small_form(request)
    try:
        check_csrf(request, fields)
        await run_in_threadpool(_revoke, svc, gate, "waivers", unit_id, waiver_id)
    except ApiError as err:
        return await run_in_threadpool(_waivers_page, request, svc, gate, unit_id, err.status, err)
    return RedirectResponse(f"/units/{unit_id}/waivers?saved=1", status_code=303)
