"""Rendering pages: the Jinja2 environment (autoescaped), language, CSRF and the signed-in user.

CSRF is a double-submit token: a random value in an HttpOnly, SameSite=Strict cookie that every
form repeats in a hidden field; a POST whose field does not match the cookie is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from collector.api.deps import User, current_user
from collector.errors import ApiError
from collector.services import Services
from collector.web.i18n import texts

CSRF_COOKIE = "canh_csrf"
LANG_COOKIE = "canh_lang"


def _date(value: float | None, with_time: bool = True) -> str:
    """dd/mm/yyyy[ HH:MM] in local time, as Vietnamese offices write dates."""
    if not value:
        return "—"
    fmt = "%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y"
    return time.strftime(fmt, time.localtime(float(value)))


def _iso_day(value: str | None) -> str:
    """An ISO day as dd/mm/yyyy."""
    if not value:
        return "—"
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").strftime("%d/%m/%Y")
    except ValueError:
        return value


def _num(value: float | None, digits: int = 1) -> str:
    """A number with a fixed count of decimals, or a dash."""
    if value is None:
        return "—"
    return f"{float(value):.{digits}f}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime"] = _date
    env.filters["day"] = _iso_day
    env.filters["num"] = _num
    return env


_ENV: list[Environment] = []


def environment() -> Environment:
    """The page templates (built on first use, not at import)."""
    if not _ENV:
        _ENV.append(_environment())
    return _ENV[0]


def lang_of(request: Request) -> str:
    """``vi`` unless English is asked for (query, then cookie)."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "vi"
    return "en" if lang == "en" else "vi"


def url_with(request: Request, path: str | None = None, **changes: Any) -> str:
    """The current URL's query with some parameters changed (None removes one)."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return (path or request.url.path) + (f"?{query}" if query else "")


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the request's language, with a CSRF token for its forms."""
    lang = lang_of(request)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = (
        environment()
        .get_template(name)
        .render(
            lang=lang,
            t=texts(lang),
            csrf=csrf,
            path=request.url.path,
            now=datetime.now(UTC),
            url_with=lambda **kw: url_with(request, **kw),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, secure=True, samesite="strict")
    response.set_cookie(LANG_COOKIE, lang, secure=True, samesite="strict")
    return response


def check_csrf(request: Request, fields: Mapping[str, Any]) -> None:
    """Refuse a form whose token does not repeat the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    token = str(fields.get("csrf") or "")
    if not cookie or not hmac.compare_digest(cookie.encode(), token.encode()):
        raise ApiError(403, "csrf", "form expired; reload the page and try again")


def page_user(request: Request, svc: Services) -> User | None:
    """The signed-in user, or None (pages then show the login form)."""
    try:
        return current_user(request, svc)
    except ApiError:
        return None


def not_found(request: Request, user: User) -> HTMLResponse:
    """The page for a unit or host that does not exist or is not visible (same answer)."""
    return render(request, "error.html", status=404, user=user, code=404)
