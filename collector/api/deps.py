"""Request dependencies in one place: the services, the current user, unit scoping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from collector.errors import ApiError
from collector.services import Services

SESSION_COOKIE = "canh_session"


# The dependencies are ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, and
# a thread hop per dependency per request costs more than these cheap lookups on the loop.
async def services(request: Request) -> Services:
    """The process's services."""
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated person and what they may see."""

    id: str
    username: str
    role: str  # admin | unit_it | auditor
    unit_id: str | None

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "unit_it")


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def current_user(request: Request, svc: ServicesDep) -> User:
    """The user of the bearer token or session cookie; 401 otherwise."""
    token = _token(request)
    row = svc.store.session_user(token) if token else None
    if row is None:
        raise ApiError(401, "login_required", "log in first (POST /api/v1/auth/login)")
    return User(row["id"], row["username"], row["role"], row["unit_id"])


async def _current_user(request: Request, svc: ServicesDep) -> User:
    """:func:`current_user` on the event loop (one indexed read)."""
    return current_user(request, svc)


UserDep = Annotated[User, Depends(_current_user)]


def visible_units(svc: Services, user: User) -> list[str]:
    """Units a user may read: all for admin and auditor, the own subtree for unit IT staff."""
    if user.role in ("admin", "auditor"):
        return [u["id"] for u in svc.store.units()]
    return svc.store.subtree(user.unit_id) if user.unit_id else []


def require_unit(svc: Services, user: User, unit_id: str, write: bool = False) -> None:
    """404 for a unit the user may not see (no existence leak), 403 for a write not allowed."""
    if unit_id not in visible_units(svc, user):
        raise ApiError(404, "not_found", f"no unit {unit_id}")
    if write and not user.can_write:
        raise ApiError(403, "read_only", "your role may not change anything")


def require_admin(user: User) -> None:
    """403 unless the user is a department administrator."""
    if user.role != "admin":
        raise ApiError(403, "admin_only", "only a department administrator may do this")
