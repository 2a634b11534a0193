"""Login and logout: sessions for the web (cookie) and the API (bearer token)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from collector.api.deps import SESSION_COOKIE, ServicesDep, UserDep
from collector.errors import ApiError
from collector.passwords import new_token, token_hash, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
MAX_FAILURES = 5
LOCKOUT_SECONDS = 900


class LoginCreate(BaseModel):
    """Credentials."""

    model_config = {"extra": "forbid"}

    username: Annotated[str, Field(min_length=1, max_length=128)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SessionPublic(BaseModel):
    """A session token and when it expires."""

    token: str
    expires_at: float
    role: str


def _reserve_attempt(user_id: str, now: float) -> Callable[[sqlite3.Connection], bool]:
    """Count one password attempt *before* checking it, atomically in the single writer; False
    while the account is locked. Checking first and counting after would let guesses sent in
    parallel all pass the lockout test together (tests/resilience/test_attacks.py)."""

    def job(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "UPDATE users SET "
            "failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END, "
            "locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END "
            "WHERE id = ? AND locked_until <= ?",
            (MAX_FAILURES, MAX_FAILURES, now + LOCKOUT_SECONDS, user_id, now),
        )
        return cursor.rowcount == 1

    return job


def login(svc: ServicesDep, body: LoginCreate) -> SessionPublic:
    """Check a password with lockout after repeated failures; return a new session."""
    row = svc.store.user_by_name(body.username)
    now = time.time()
    if row is not None and not svc.store.writer.call(_reserve_attempt(row["id"], now)):
        raise ApiError(429, "locked", "too many failed logins; try again later")
    if row is None or not verify_password(body.password, row["password_hash"]):
        if row is not None:
            svc.store.writer.call(svc.store.audit_job(body.username, "login.failed", row["id"]))
        raise ApiError(401, "bad_credentials", "wrong user name or password")
    token = new_token()
    expires = now + svc.settings.session_hours * 3600

    def job(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?", (row["id"],)
        )
        conn.execute(
            "INSERT INTO sessions (token_hash, user_id, expires_at, created_at) VALUES (?,?,?,?)",
            (token_hash(token), row["id"], expires, now),
        )

    svc.store.writer.call(job)
    return SessionPublic(token=token, expires_at=expires, role=row["role"])


@router.post("/login", summary="Log in; returns a bearer token and sets the session cookie")
def login_route(svc: ServicesDep, body: LoginCreate, response: Response) -> SessionPublic:
    """Log in."""
    session = login(svc, body)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        secure=True,
        samesite="strict",
        max_age=svc.settings.session_hours * 3600,
    )
    return session


@router.post("/logout", summary="End the current session", status_code=204)
def logout(svc: ServicesDep, user: UserDep, response: Response) -> None:
    """Log out everywhere this user's sessions live."""
    svc.store.writer.call(lambda c: c.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,)))
    response.delete_cookie(SESSION_COOKIE)
