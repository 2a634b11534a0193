"""Users and the audit log (department administrators; the audit log also for auditors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from collector.api.deps import ServicesDep, UserDep, require_admin
from collector.errors import ApiError
from collector.passwords import check_password_strength

router = APIRouter(prefix="/api/v1", tags=["administration"])


class UserCreate(BaseModel):
    """A new user."""

    model_config = {"extra": "forbid"}

    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    role: Annotated[str, Field(pattern="^(admin|unit_it|auditor)$")]
    unit_id: Annotated[str, Field(max_length=64)] | None = None


class UserPublic(BaseModel):
    """A user without secrets."""

    id: str
    username: str
    role: str
    unit_id: str | None


@router.get("/users", summary="Users (administrators)")
def list_users(svc: ServicesDep, user: UserDep) -> list[UserPublic]:
    """Every user."""
    require_admin(user)
    return [
        UserPublic(id=u["id"], username=u["username"], role=u["role"], unit_id=u["unit_id"])
        for u in svc.store.users()
    ]


@router.post("/users", summary="Create a user (administrators)", status_code=201)
def create_user(svc: ServicesDep, user: UserDep, body: UserCreate) -> UserPublic:
    """Passwords need at least 12 characters."""
    require_admin(user)
    try:
        check_password_strength(body.password)
    except ValueError as err:
        raise ApiError(422, "weak_password", str(err)) from err
    if body.unit_id is not None and svc.store.unit(body.unit_id) is None:
        raise ApiError(422, "unknown_unit", f"no unit {body.unit_id}")
    user_id = svc.store.create_user(
        body.username, body.password, body.role, body.unit_id, user.username
    )
    return UserPublic(id=user_id, username=body.username, role=body.role, unit_id=body.unit_id)


@router.get("/audit", summary="Audit log of administrative actions (administrators, auditors)")
def audit_log(
    svc: ServicesDep,
    user: UserDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Newest first."""
    if user.role not in ("admin", "auditor"):
        raise ApiError(403, "forbidden", "only administrators and auditors read the audit log")
    return svc.store.audit_log(limit, offset)
