"""Dashboard pages: login and the overview of the units a user may see."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from collector.api.auth import LoginCreate, login
from collector.api.deps import SESSION_COOKIE, ServicesDep, User, current_user, visible_units
from collector.errors import ApiError
from collector.web.i18n import texts

router = APIRouter(include_in_schema=False)
CSRF_COOKIE = "canh_csrf"
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("canh_lang") or "vi"
    return "en" if lang == "en" else "vi"


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = _env.get_template(name).render(lang=lang, t=texts(lang), csrf=csrf, **context)
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, secure=True, samesite="strict")
    response.set_cookie("canh_lang", lang, secure=True, samesite="strict")
    return response


def _check_csrf(request: Request, token: str) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, token):
        raise ApiError(403, "csrf", "form expired; reload the page and try again")


def _user(request: Request, svc: ServicesDep) -> User | None:
    try:
        return current_user(request, svc)
    except ApiError:
        return None


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, svc: ServicesDep) -> Response:
    """The units the user may see, with score, level and requirement status."""
    user = _user(request, svc)
    if user is None:
        return _render(request, "login.html")
    lang = _lang(request)
    units = []
    allowed = set(visible_units(svc, user))
    for unit in svc.store.units():
        if unit["id"] not in allowed:
            continue
        pack = svc.knowledge.pack(unit["pack"])
        titles = {r.id: r.title.get(lang) for r in pack.requirements}
        row = svc.store.unit_score(unit["id"])
        hosts = svc.store.hosts([unit["id"]], limit=200)
        for h in hosts:
            h["last_seen_text"] = (
                time.strftime("%d/%m/%Y %H:%M", time.localtime(h["last_seen"]))
                if h["last_seen"]
                else "—"
            )
        requirements = []
        if row is not None:
            order = {"not_met": 0, "no_evidence": 1, "partly_met": 2, "met": 3}
            requirements = sorted(
                json.loads(row["requirements"]), key=lambda r: (order.get(r["status"], 4), r["id"])
            )
            for r in requirements:
                r["title"] = titles.get(r["id"], "")
        units.append(
            {
                "name": unit["name"],
                "score": row["score"] if row else None,
                "level_met": bool(row["level_met"]) if row else False,
                "hosts": row["hosts"] if row else 0,
                "requirements": requirements,
                "host_rows": hosts,
            }
        )
    return _render(request, "overview.html", user=user, units=units)


@router.post("/login")
def login_form(
    request: Request,
    svc: ServicesDep,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=128)],
) -> Response:
    """Form login; sets the session cookie and goes to the overview."""
    _check_csrf(request, csrf)
    try:
        session = login(svc, LoginCreate(username=username, password=password))
    except ApiError:
        return _render(request, "login.html", status=401, error=True)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        secure=True,
        samesite="strict",
        max_age=svc.settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout_form(
    request: Request, svc: ServicesDep, csrf: Annotated[str, Form(max_length=128)]
) -> Response:
    """End the session."""
    _check_csrf(request, csrf)
    user = _user(request, svc)
    if user is not None:
        svc.store.writer.call(
            lambda c: c.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
