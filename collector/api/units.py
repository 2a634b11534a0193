"""Units, their scores and enrollment tokens."""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator

from canh.contract import Bundle, dump_bundle
from canh.contract.enrollment import ca_fingerprint
from checks import BUILTIN_PACKS
from collector.api.deps import ServicesDep, UserDep, require_admin, require_unit, visible_units
from collector.errors import ApiError
from collector.export import export_csv, export_json

router = APIRouter(prefix="/api/v1/units", tags=["units"])


class UnitCreate(BaseModel):
    """A new unit."""

    model_config = {"extra": "forbid"}

    name: Annotated[str, Field(min_length=1, max_length=200)]
    parent_id: Annotated[str | None, Field(max_length=64)] = None
    pack: Annotated[str, Field(max_length=64)] = "vn-2026"
    level: Annotated[int, Field(ge=1, le=3)] = 2


class UnitPublic(BaseModel):
    """A unit."""

    id: str
    parent_id: str | None
    name: str
    pack: str
    level: int
    subnets: list[str]
    contacts: list[str]
    report_deadline: str


Contact = Annotated[
    str,
    Field(
        min_length=3,
        max_length=320,
        pattern=r"^(mailto:[^@\s]+@[^@\s]+|https://\S+|[^@\s]+@[^@\s]+)$",
    ),
]


class UnitUpdate(BaseModel):
    """Changes to a unit; omitted fields stay as they are."""

    model_config = {"extra": "forbid"}

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    parent_id: Annotated[str, Field(max_length=64)] | None = None
    pack: Annotated[str, Field(max_length=64)] | None = None
    level: Annotated[int, Field(ge=1, le=3)] | None = None
    subnets: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=256)] | None = (
        None
    )
    contacts: Annotated[list[Contact], Field(max_length=64)] | None = None
    report_deadline: (
        Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")] | None
    ) = None

    @field_validator("subnets")
    @classmethod
    def _cidrs(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        try:
            return [str(ipaddress.ip_network(item, strict=True)) for item in value]
        except ValueError as err:
            raise ValueError(f"not a subnet in CIDR form: {err}") from err


class TokenCreate(BaseModel):
    """A new enrollment token."""

    model_config = {"extra": "forbid"}

    uses: Annotated[int, Field(ge=1, le=10000)] = 1
    ttl_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 72


class TokenInfo(BaseModel):
    """A token without its secret."""

    id: str
    unit_id: str
    expires_at: float
    uses_left: int
    revoked: bool
    created_by: str


class TokenPublic(BaseModel):
    """A token, shown once, with the bundle agents enroll with."""

    id: str
    expires_at: float
    bundle: str


def _public(row: dict[str, Any]) -> UnitPublic:
    return UnitPublic(
        id=row["id"],
        parent_id=row["parent_id"],
        name=row["name"],
        pack=row["pack"],
        level=row["level"],
        subnets=json.loads(row["subnets"]),
        contacts=json.loads(row["contacts"]),
        report_deadline=row["report_deadline"],
    )


@router.get("", summary="Units the caller may see")
def list_units(svc: ServicesDep, user: UserDep) -> list[UnitPublic]:
    """Units visible to the caller."""
    visible = set(visible_units(svc, user))
    return [_public(u) for u in svc.store.units() if u["id"] in visible]


@router.post("", summary="Create a unit (administrators)", status_code=201)
def create_unit(svc: ServicesDep, user: UserDep, body: UnitCreate) -> UnitPublic:
    """Create a unit under a parent."""
    require_admin(user)
    if body.pack not in BUILTIN_PACKS:
        raise ApiError(422, "unknown_pack", f"pack must be one of {', '.join(BUILTIN_PACKS)}")
    uid = svc.store.create_unit(body.name, body.parent_id, body.pack, body.level, user.username)
    row = svc.store.unit(uid)
    assert row is not None
    return _public(row)


@router.get("/{unit_id}/score", summary="A unit's level-2 score (latest, or as of a day)")
def unit_score(
    svc: ServicesDep,
    user: UserDep,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    *,
    unit_id: str,
) -> dict[str, Any]:
    """Score 0–100, level met, A/N/D sub-scores and each requirement's status."""
    require_unit(svc, user, unit_id)
    row = svc.store.unit_score(unit_id, day)
    if row is None:
        raise ApiError(404, "no_score", "no score yet: no host of this unit has reported")
    return {
        "unit_id": unit_id,
        "day": row["day"],
        "score": row["score"],
        "level_met": bool(row["level_met"]),
        "by_evidence": json.loads(row["by_evidence"]),
        "hosts": row["hosts"],
        "requirements": json.loads(row["requirements"]),
    }


@router.post("/{unit_id}/tokens", summary="Create an enrollment token for a unit", status_code=201)
def create_token(svc: ServicesDep, user: UserDep, unit_id: str, body: TokenCreate) -> TokenPublic:
    """A token bundle carrying the collector URL and its pinned CA."""
    require_unit(svc, user, unit_id, write=True)
    token_id, token, expires = svc.store.create_token(
        unit_id, body.uses, body.ttl_hours * 3600, user.username
    )
    return TokenPublic(
        id=token_id, expires_at=expires, bundle=make_bundle(svc.settings.url, token, svc.ca_pem)
    )


@router.patch("/{unit_id}", summary="Change a unit (pack, level, parent: administrators)")
def update_unit(svc: ServicesDep, user: UserDep, unit_id: str, body: UnitUpdate) -> UnitPublic:
    """Unit IT staff may change subnets, contacts and deadline of their units."""
    require_unit(svc, user, unit_id, write=True)
    changes = body.model_dump(exclude_unset=True)
    if {"pack", "level", "parent_id", "name"} & set(changes):
        require_admin(user)
    if "pack" in changes and changes["pack"] not in BUILTIN_PACKS:
        raise ApiError(422, "unknown_pack", f"pack must be one of {', '.join(BUILTIN_PACKS)}")
    svc.store.update_unit(unit_id, changes, user.username)
    row = svc.store.unit(unit_id)
    assert row is not None
    return _public(row)


@router.get("/{unit_id}/tokens", summary="Enrollment tokens of a unit (secrets never shown)")
def list_tokens(svc: ServicesDep, user: UserDep, unit_id: str) -> list[TokenInfo]:
    """Tokens with uses left and expiry."""
    require_unit(svc, user, unit_id)
    return [
        TokenInfo(
            id=t["id"],
            unit_id=t["unit_id"],
            expires_at=t["expires_at"],
            uses_left=t["uses_left"],
            revoked=bool(t["revoked"]),
            created_by=t["created_by"],
        )
        for t in svc.store.tokens([unit_id])
    ]


@router.delete("/{unit_id}/tokens/{token_id}", summary="Revoke a token", status_code=204)
def revoke_token(svc: ServicesDep, user: UserDep, unit_id: str, token_id: str) -> None:
    """The token can no longer enroll anything."""
    require_unit(svc, user, unit_id, write=True)
    if token_id not in {t["id"] for t in svc.store.tokens([unit_id])}:
        raise ApiError(404, "not_found", f"no token {token_id}")
    svc.store.revoke_token(token_id, user.username)


@router.get(
    "/{unit_id}/export",
    summary="Export the unit's whole inventory (JSON or CSV)",
    response_class=StreamingResponse,
)
def export(
    svc: ServicesDep,
    user: UserDep,
    unit_id: str,
    fmt: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json",
) -> StreamingResponse:
    """The unit and its children: hosts, facts, findings."""
    require_unit(svc, user, unit_id)
    units = svc.store.subtree(unit_id)
    svc.store.writer.call(
        svc.store.audit_job(user.username, "unit.export", unit_id, {"format": fmt})
    )
    if fmt == "csv":
        return StreamingResponse(
            export_csv(svc.store, units),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="canh-{unit_id}.csv"'},
        )
    return StreamingResponse(
        export_json(svc.store, units),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="canh-{unit_id}.json"'},
    )


def make_bundle(url: str, token: str, ca_pem: str) -> str:
    """The enrollment bundle text."""
    return dump_bundle(
        Bundle(url=url, token=token, ca_sha256=ca_fingerprint(ca_pem), ca_pem=ca_pem)
    )
