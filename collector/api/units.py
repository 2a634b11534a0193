"""Units, their scores and enrollment tokens."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from canh.contract import Bundle, dump_bundle
from canh.contract.enrollment import ca_fingerprint
from checks import BUILTIN_PACKS
from collector.api.deps import ServicesDep, UserDep, require_admin, require_unit, visible_units
from collector.errors import ApiError

router = APIRouter(prefix="/api/v1/units", tags=["units"])


class UnitCreate(BaseModel):
    """A new unit."""

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


class TokenCreate(BaseModel):
    """A new enrollment token."""

    uses: Annotated[int, Field(ge=1, le=10000)] = 1
    ttl_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 72


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


def make_bundle(url: str, token: str, ca_pem: str) -> str:
    """The enrollment bundle text."""
    return dump_bundle(
        Bundle(url=url, token=token, ca_sha256=ca_fingerprint(ca_pem), ca_pem=ca_pem)
    )
