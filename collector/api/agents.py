"""Routes agents call: enrollment and signed report ingest. Bodies are msgspec-validated."""

from __future__ import annotations

import base64
import binascii
import time

import msgspec
from fastapi import APIRouter, Request, Response

from canh.contract import EnrollRequest, EnrollResponse, encode, signing
from canh.contract.signing import SignatureRejected
from collector.api.deps import ServicesDep
from collector.errors import ApiError
from collector.ingest import authenticate, decode_report, ingest_job, rejection

router = APIRouter(prefix="/api/v1", tags=["agents"])
MAX_ENROLL_BYTES = 8192
JSON = "application/json"


async def read_body(request: Request, cap: int) -> bytes:
    """The request body, refusing (413) before reading more than ``cap`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "bad_length", "Content-Length is not a number")
        if int(declared) > cap:
            raise ApiError(413, "too_large", f"body over the {cap}-byte limit")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise ApiError(413, "too_large", f"body over the {cap}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


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


@router.post(
    "/reports",
    summary="Ingest a signed report",
    responses={
        401: {"description": "unsigned, bad signature, unknown agent, clock skew"},
        409: {"description": "replayed or old sequence number"},
        413: {"description": "body over the size cap"},
        422: {"description": "report does not match the contract"},
    },
)
async def ingest(request: Request, svc: ServicesDep) -> Response:
    """Verify, validate and commit one report; answer only after it is committed."""
    started = time.perf_counter()
    if svc.store.writer.depth() > svc.settings.max_queue_depth:
        svc.stats.reject("overloaded")
        raise ApiError(429, "overloaded", "collector is busy; retry later", retry_after=5)
    try:
        body = await read_body(request, svc.settings.max_report_bytes)
        try:
            signed, _unit = authenticate(
                svc.store,
                dict(request.headers),
                "POST",
                request.scope["path"],
                body,
                svc.settings.max_clock_skew_seconds,
            )
        except SignatureRejected as err:
            raise rejection(err) from err
        report, digest = decode_report(body, signed)
        ack = await svc.store.writer.run(
            ingest_job(svc.knowledge, svc.pending, signed, digest, report)
        )
    except ApiError as err:
        # The claimed agent id feeds the forged/replayed-report alert (collector/alerts/rules.py).
        svc.stats.reject(err.reason, request.headers.get(signing.HEADER_AGENT))
        raise
    if ack.duplicate:
        svc.stats.duplicates += 1
    else:
        svc.stats.accepted += 1
    svc.stats.observe(time.perf_counter() - started)
    return Response(encode(ack), media_type=JSON)
