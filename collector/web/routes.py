"""Dashboard entry: login and logout; the pages and forms live in ``pages`` and ``forms``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from collector.api.auth import LoginCreate, login
from collector.api.deps import SESSION_COOKIE, ServicesDep
from collector.errors import ApiError
from collector.web.forms import router as forms_router
from collector.web.pages import router as pages_router
from collector.web.render import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)


@router.post("/login")
def login_form(
    request: Request,
    svc: ServicesDep,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=128)],
) -> Response:
    """Form login; sets the session cookie and goes to the overview."""
    check_csrf(request, {"csrf": csrf})
    try:
        session = login(svc, LoginCreate(username=username, password=password))
    except ApiError as err:
        return render(request, "login.html", status=401, error=err.reason)
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
    check_csrf(request, {"csrf": csrf})
    user = page_user(request, svc)
    if user is not None:
        svc.store.writer.call(
            lambda c: c.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


router.include_router(pages_router)
router.include_router(forms_router)
