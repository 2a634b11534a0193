"""Declarations (attestations with an evidence file) and waivers of a unit.

Admins and the unit's IT staff write; auditors read (403 on writes); other units are 404. Every
write is audited and rescores the unit and its ancestors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from collector import declarations as decl
from collector.api.deps import ServicesDep, User, UserDep, require_unit
from collector.errors import ApiError
from collector.services import Services

router = APIRouter(prefix="/api/v1/units", tags=["declarations"])


class DeclarationPublic(BaseModel):
    """A declaration and its evidence file's metadata."""

    id: str
    unit_id: str
    requirement_id: str
    doc_number: str
    doc_date: str
    approver: str
    valid_until: str | None
    file_name: str | None
    file_sha256: str | None
    file_size: int | None
    note: str
    revoked: bool
    created_by: str
    created_at: float


class WaiverBody(BaseModel):
    """A new waiver: a requirement or a check, optionally one host, until a date."""

    model_config = {"extra": "forbid"}

    requirement_id: Annotated[str | None, Field(max_length=64)] = None
    check_id: Annotated[str | None, Field(max_length=128)] = None
    host_id: Annotated[str | None, Field(max_length=64)] = None
    reason: Annotated[str, Field(min_length=3, max_length=2000)]
    approver: Annotated[str, Field(min_length=1, max_length=200)]
    expires_at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class WaiverPublic(BaseModel):
    """A waiver."""

    id: str
    unit_id: str
    requirement_id: str | None
    check_id: str | None
    host_id: str | None
    hostname: str | None
    reason: str
    approver: str
    expires_at: str
    revoked: bool
    created_by: str
    created_at: float


def declaration_public(row: dict[str, Any]) -> DeclarationPublic:
    """The API view of a declaration row."""
    return DeclarationPublic(**{**row, "revoked": bool(row["revoked"])})


def waiver_public(row: dict[str, Any]) -> WaiverPublic:
    """The API view of a waiver row."""
    return WaiverPublic(**{**row, "revoked": bool(row["revoked"])})


def pack_of(svc: Services, unit_id: str) -> tuple[Any, int]:
    """The unit's pack and level."""
    unit = svc.store.unit(unit_id)
    if unit is None:
        raise ApiError(404, "not_found", f"no unit {unit_id}")
    return svc.knowledge.pack(unit["pack"]), int(unit["level"])


def declarable(svc: Services, unit_id: str) -> set[str]:
    """Requirements of the unit's pack and level that take D (declared) evidence."""
    pack, level = pack_of(svc, unit_id)
    return {r.id for r in pack.for_level(level) if "D" in r.evidence}


def create_declaration(
    svc: Services, user: User, unit_id: str, fields: dict[str, str], upload: UploadFile | None
) -> DeclarationPublic:
    """Validate, store the file, record, rescore (blocking: run it in a worker thread)."""
    form = decl.validate_declaration(fields, declarable(svc, unit_id), decl.today_utc())
    if upload is None:
        raise ApiError(422, "file_required", f"attach the evidence file ({decl.ACCEPTED})")
    stored = decl.store_evidence(svc.settings.path, upload.file, upload.filename)
    decl_id = decl.add_declaration(svc.store, unit_id, form, stored, user.username)
    decl.rescore(svc.store, svc.knowledge, unit_id)
    return declaration_public(decl.declaration(svc.store, unit_id, decl_id))


def create_waiver(
    svc: Services, user: User, unit_id: str, fields: dict[str, str | None]
) -> WaiverPublic:
    """Validate, record, rescore."""
    pack, level = pack_of(svc, unit_id)
    reqs = pack.for_level(level)
    hosts = None
    if fields.get("host_id"):
        row = svc.store.host(str(fields["host_id"]))
        hosts = {row["id"]} if row is not None and row["unit_id"] == unit_id else set()
    form = decl.validate_waiver(
        fields,
        {r.id for r in reqs},
        {c for r in reqs for c in r.checks},
        hosts,
        decl.today_utc(),
    )
    waiver_id = decl.add_waiver(svc.store, unit_id, form, user.username)
    decl.rescore(svc.store, svc.knowledge, unit_id)
    row = next(w for w in decl.waivers(svc.store, unit_id, True) if w["id"] == waiver_id)
    return waiver_public(row)


@router.post(
    "/{unit_id}/declarations",
    summary="Record a declaration with its evidence file (multipart form)",
    status_code=201,
)
async def post_declaration(
    request: Request, svc: ServicesDep, user: UserDep, unit_id: str
) -> DeclarationPublic:
    """Fields requirement_id, doc_number, doc_date, approver, valid_until?, note?, and the file
    (PDF, PNG, JPEG or DOCX, at most 10 MB)."""
    await run_in_threadpool(require_unit, svc, user, unit_id, True)
    fields, upload = await decl.read_upload(request)
    try:
        return await run_in_threadpool(create_declaration, svc, user, unit_id, fields, upload)
    finally:
        if upload is not None:
            await upload.close()


@router.get("/{unit_id}/declarations", summary="Declarations of a unit")
def list_declarations(
    svc: ServicesDep,
    user: UserDep,
    unit_id: str,
    include_revoked: Annotated[bool, Query()] = False,
) -> list[DeclarationPublic]:
    """Newest first; revoked ones on request."""
    require_unit(svc, user, unit_id)
    return [declaration_public(r) for r in decl.declarations(svc.store, unit_id, include_revoked)]


@router.get(
    "/{unit_id}/declarations/{decl_id}/file",
    summary="Download a declaration's evidence file",
    response_class=FileResponse,
)
def declaration_file(svc: ServicesDep, user: UserDep, unit_id: str, decl_id: str) -> FileResponse:
    """The stored file, as an attachment with its real type."""
    require_unit(svc, user, unit_id)
    row = decl.declaration(svc.store, unit_id, decl_id)
    if not row["file_sha256"]:
        raise ApiError(404, "not_found", "this declaration has no evidence file")
    path = decl.evidence_path(svc.settings.path, row["file_sha256"])
    if not path.is_file():
        raise ApiError(404, "not_found", "the evidence file is missing from the store")
    kind = decl.file_type(path)
    if kind is None:
        raise ApiError(500, "corrupt", "the stored evidence file is not of an accepted type")
    return FileResponse(
        path,
        media_type=kind.media_type,
        filename=decl.download_name(row["file_name"], kind),
        content_disposition_type="attachment",
    )


@router.delete("/{unit_id}/declarations/{decl_id}", summary="Revoke a declaration", status_code=204)
def delete_declaration(svc: ServicesDep, user: UserDep, unit_id: str, decl_id: str) -> None:
    """Kept in history, no longer counted; the unit is rescored."""
    require_unit(svc, user, unit_id, write=True)
    decl.revoke(svc.store, "declarations", unit_id, decl_id, user.username)
    decl.rescore(svc.store, svc.knowledge, unit_id)


@router.post("/{unit_id}/waivers", summary="Grant a waiver (accepted risk)", status_code=201)
def post_waiver(svc: ServicesDep, user: UserDep, unit_id: str, body: WaiverBody) -> WaiverPublic:
    """For a requirement or a check of the unit's pack, optionally one host of the unit; the
    expiry is in the future and at most a year away."""
    require_unit(svc, user, unit_id, write=True)
    return create_waiver(svc, user, unit_id, body.model_dump())


@router.get("/{unit_id}/waivers", summary="Waivers of a unit")
def list_waivers(
    svc: ServicesDep,
    user: UserDep,
    unit_id: str,
    include_revoked: Annotated[bool, Query()] = False,
) -> list[WaiverPublic]:
    """Soonest expiry first."""
    require_unit(svc, user, unit_id)
    return [waiver_public(r) for r in decl.waivers(svc.store, unit_id, include_revoked)]


@router.delete("/{unit_id}/waivers/{waiver_id}", summary="Revoke a waiver", status_code=204)
def delete_waiver(svc: ServicesDep, user: UserDep, unit_id: str, waiver_id: str) -> None:
    """Kept in history, no longer in force; the unit is rescored."""
    require_unit(svc, user, unit_id, write=True)
    decl.revoke(svc.store, "waivers", unit_id, waiver_id, user.username)
    decl.rescore(svc.store, svc.knowledge, unit_id)
