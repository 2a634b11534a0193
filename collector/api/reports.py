"""``POST /api/v1/reports``: signed report ingest, the collector's hot path, as plain ASGI.

FastAPI's routing, dependency solving and request/response objects cost ~75 µs a request on
this machine — more than verifying the signature (bench/ingest.py: a bare ASGI echo answers
20,700 requests/s where the FastAPI echo answers 8,000). Every agent report passes here, so this
one route is a plain ASGI endpoint that ``CollectorApp.__call__`` (``collector/app.py``) routes to
before FastAPI sees the request; everything else goes through FastAPI.
The answers keep the API's shape: JSON ``{"detail": {"reason", "message"}}`` with a 4xx, and
the route is described in the OpenAPI document (:func:`document`).

Order of work: queue depth (429), size cap before reading (413), signature before parsing
(401), strict decode (422), one write job acknowledged only after its batch commits (409 on
replays); see ``collector/ingest.py``.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from starlette.types import Receive, Scope, Send

from canh.contract import IngestResponse, encode, signing
from canh.contract.signing import SignatureRejected
from collector.errors import ApiError, StoreUnavailable
from collector.http_body import Disconnected, receive_capped
from collector.http_headers import HEADERS as SECURITY_HEADERS
from collector.ingest import authenticate, decode_report, ingest_job, rejection
from collector.services import Services

PATH = "/api/v1/reports"
JSON = [(b"content-type", b"application/json"), *SECURITY_HEADERS]
# The request headers the endpoint reads, by their raw names (ASGI gives them lower-cased).
_READ = {name.encode(): name for name in ("content-length", *signing.SIGNED_HEADERS)}


class ReportEndpoint:
    """ASGI endpoint answering ``POST /api/v1/reports`` (``CollectorApp`` routes that path here
    before FastAPI sees the request). It sets the security headers itself."""

    def __init__(self, services: Services) -> None:
        self.svc = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {_READ[k]: value.decode("latin-1") for k, value in scope["headers"] if k in _READ}
        extra: list[tuple[bytes, bytes]] = []
        try:
            if scope["method"] != "POST":
                extra.append((b"allow", b"POST"))
                raise ApiError(405, "method_not_allowed", "use POST to send a report")
            status, body = 200, await self._ingest(headers, receive)
        except ApiError as err:
            # The claimed agent id feeds the forged/replayed-report alert (alerts/rules.py).
            self.svc.stats.reject(err.reason, headers.get(signing.HEADER_AGENT))
            status, body = err.status, _detail(err.reason, err.message)
            if err.retry_after:
                extra.append((b"retry-after", str(err.retry_after).encode()))
        except StoreUnavailable as err:
            status, body = 503, _detail("store_unavailable", str(err))
            extra.append((b"retry-after", b"30"))
        except Disconnected:
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*JSON, (b"content-length", str(len(body)).encode()), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _ingest(self, headers: dict[str, str], receive: Receive) -> bytes:
        """Verify, validate and commit one report; answer only after it is committed."""
        svc = self.svc
        started = time.perf_counter()
        if svc.store.writer.depth() > svc.settings.max_queue_depth:
            raise ApiError(429, "overloaded", "collector is busy; retry later", retry_after=5)
        body = await receive_capped(
            receive, headers.get("content-length"), svc.settings.max_report_bytes
        )
        digest = signing.body_digest(body)
        try:
            signed, _unit = authenticate(
                svc.store, headers, "POST", PATH, digest, svc.settings.max_clock_skew_seconds
            )
        except SignatureRejected as err:
            raise rejection(err) from err
        report = decode_report(body, signed)
        ack = await svc.store.writer.run_inline(
            ingest_job(
                svc.knowledge,
                svc.pending,
                svc.store.receipts,
                signed,
                digest,
                report,
                on_loop=True,
            )
        )
        if ack.duplicate:
            svc.stats.duplicates += 1
        else:
            svc.stats.accepted += 1
        svc.stats.observe(time.perf_counter() - started)
        return encode(ack)


def _detail(reason: str, message: str) -> bytes:
    return encode({"detail": {"reason": reason, "message": message}})


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


OPERATION: dict[str, Any] = {
    "tags": ["agents"],
    "summary": "Ingest a signed report",
    "description": (
        "The body is a report (docs/report.schema.json), signed by the agent's enrolled "
        "Ed25519 key in the X-Canh-* headers. Answered only after the report is committed."
    ),
    "operationId": "ingest_api_v1_reports_post",
    "parameters": [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in (
            signing.HEADER_AGENT,
            signing.HEADER_TIMESTAMP,
            signing.HEADER_SEQ,
            signing.HEADER_SIGNATURE,
        )
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "responses": {
        "200": {
            "description": "committed (or a resend of a committed report)",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/IngestResponse"}}
            },
        },
        "401": _error_response("unsigned, bad signature, unknown agent, clock skew"),
        "409": _error_response("replayed or old sequence number"),
        "413": _error_response("body over the size cap"),
        "422": _error_response("report does not match the contract"),
        "429": _error_response("the collector is busy; retry after Retry-After seconds"),
        "503": _error_response("the store cannot commit; retry after Retry-After seconds"),
    },
}
PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["reason", "message"],
            "properties": {"reason": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add this route to FastAPI's OpenAPI document (it is not a FastAPI route)."""
    schema.setdefault("paths", {})[PATH] = {"post": OPERATION}
    _refs, components = msgspec.json.schema_components(
        [IngestResponse], ref_template="#/components/schemas/{name}"
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(components, Problem=PROBLEM)
    return schema
