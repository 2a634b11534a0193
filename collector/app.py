"""The collector's composition root: ``create_app(settings)`` builds one process's app."""

from __future__ import annotations

import hmac
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from canh import __version__
from collector.alerts import start_alerting
from collector.api import (
    admin,
    agents,
    auth,
    declarations,
    devices,
    hosts,
    incidents,
    reports,
    units,
)
from collector.errors import ApiError, StoreUnavailable
from collector.http_headers import SecurityHeaders
from collector.maintenance import Maintenance
from collector.metrics import exposition, make_registry
from collector.services import Services, build_services
from collector.settings import CollectorSettings
from collector.web import routes as web


def _error(
    status: int, reason: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"detail": {"reason": reason, "message": message}}, status_code=status, headers=headers
    )


SWITCH_INTERVAL = 0.0005  # seconds; see _start_background


class CollectorApp(FastAPI):
    """FastAPI with two plain ASGI layers outside its own middleware: report ingest (the hot
    path, ``collector/api/reports.py``), routed before FastAPI's own per-request work, and the
    security headers on every other answer."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self._reports = reports.ReportEndpoint(services)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == reports.PATH:
            await self._reports(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def _start_background(svc: Services, settings: CollectorSettings) -> list[Callable[[], None]]:
    """Start the store's writer, maintenance and alerting; returns their stops, in start order."""
    # The event loop and the single writer thread hand work to each other on every report;
    # with the default 5 ms GIL switch interval each hand-off can wait that long, which caps
    # ingest far below what the CPU allows (measured: bench/ingest.py).
    sys.setswitchinterval(SWITCH_INTERVAL)
    svc.store.start()
    maintenance = Maintenance(
        svc.store,
        settings.maintenance_interval_seconds,
        settings.event_retention_days,
        settings.report_retention_days,
    )
    maintenance.start()
    alerting = start_alerting(svc)  # silent-agent timer and outbox worker
    return [svc.store.close, maintenance.stop, alerting.stop]


def create_app(settings: CollectorSettings, services: Services | None = None) -> FastAPI:
    """The FastAPI app with its store, knowledge, routes, metrics and error mapping."""
    svc = services or build_services(settings)

    background: list[Callable[[], None]] = []  # stoppers, while any lifespan is running
    lifespans = 0

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Counted: a second server or test client entering the lifespan of a running app must
        # neither start a second writer nor close the store under the first one's threads.
        nonlocal lifespans
        if lifespans == 0:
            background.extend(_start_background(svc, settings))
        lifespans += 1
        try:
            yield
        finally:
            lifespans -= 1
            if lifespans == 0:
                while background:
                    background.pop()()

    app = CollectorApp(
        svc,
        title="canh collector",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.services = svc
    registry = make_registry(svc)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError) -> JSONResponse:
        headers = {"Retry-After": str(err.retry_after)} if err.retry_after else None
        return _error(err.status, err.reason, err.message, headers)

    @app.exception_handler(StoreUnavailable)
    async def store_error(request: Request, err: StoreUnavailable) -> JSONResponse:
        return _error(503, "store_unavailable", str(err), {"Retry-After": "30"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in err.errors()[:5]]
        return _error(422, "invalid_request", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return _error(err.status_code, "http", str(err.detail))

    fastapi_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = reports.document(fastapi_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        try:
            svc.store.one("SELECT 1 AS ok")
        except Exception as err:  # noqa: BLE001 - readiness reports any failure
            return _error(503, "not_ready", str(err))
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        token = settings.metrics_token
        if token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return PlainTextResponse("metrics need the bearer token\n", status_code=401)
        return Response(exposition(registry), media_type=CONTENT_TYPE_LATEST)

    for router in (
        agents.router,
        auth.router,
        units.router,
        hosts.router,
        incidents.router,
        admin.router,
        declarations.router,
        devices.router,
        web.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(web.__file__).parent / "static"), name="static")
    return app
