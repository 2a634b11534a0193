"""Enrollment, the route a new agent calls once. Bodies are msgspec-validated.

Report ingest, the hot path, is a plain ASGI endpoint: ``collector/api/reports.py``.
"""

from __future__ import annotations

import base64
import binascii

import msgspec
from fastapi import APIRouter, Request, Response

from canh.contract import EnrollRequest, EnrollResponse, encode
from collector.api.deps import ServicesDep
from collector.errors import ApiError
from collector.http_body import read_capped

router = APIRouter(prefix="/api/v1", tags=["agents"])
MAX_ENROLL_BYTES = 8192
JSON = "application/json"


async def read_body(request: Request, cap: int) -> bytes:
    """The request body, refusing (413) before reading more than ``cap`` bytes."""
    return await read_capped(request.stream(), request.headers.get("content-length"), cap)


@router.post(
    "/enroll",
    summary="Enroll an agent with a one-time token",
    responses={401: {"description": "token unknown, expired or used"}},
)
async def enroll(request: Request, svc: ServicesDep) -> Response:
    """Spend a token use, register the agent's Ed25519 public key, return its identity."""
    body = await read_body(request, MAX_ENROLL_BYTES)
    try:
        req = msgspec.json.decode(body, type=EnrollRequest)
        public_key = base64.b64decode(req.public_key, validate=True)
    except (msgspec.DecodeError, msgspec.ValidationError, binascii.Error) as err:
        raise ApiError(422, "invalid_request", str(err)) from err
    if len(public_key) != 32:
        raise ApiError(422, "invalid_request", "public_key must be 32 bytes (Ed25519)")
    job = svc.store.enroll_job(
        req.token, public_key, req.hostname, req.os_family, req.hardware_id, req.source
    )
    host_id, unit_id, unit_name = await svc.store.writer.run(job)
    answer = EnrollResponse(agent_id=host_id, unit_id=unit_id, unit_name=unit_name)
    return Response(encode(answer), status_code=201, media_type=JSON)
