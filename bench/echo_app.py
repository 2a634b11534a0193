"""The reference: a bare FastAPI endpoint that reads the body and echoes it back."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response


def create_app() -> FastAPI:
    """One route, no validation, no storage."""
    app = FastAPI()

    @app.post("/api/v1/reports")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/json")

    return app
