"""Crafted reports built from the contract's own structs, signed like an agent signs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canh.contract import Report, Section, Sections, encode, fact_hash, signing
from canh.contract.facts import (
    AntivirusFacts,
    AntivirusProduct,
    Listener,
    PatchFacts,
    PortsFacts,
    SystemFacts,
)

PATH = "/api/v1/reports"


def _ok(data: msgspec.Struct, now: datetime) -> Section[Any]:
    return Section(status="ok", collected_at=now, hash=fact_hash(data), data=data)


def report(
    host_id: str,
    seq: int,
    *,
    hostname: str = "srv-his",
    role: Literal["server", "workstation"] = "server",
    av_enabled: bool = True,
    realtime: bool = True,
    signature_age_days: float = 0.5,
    ports: tuple[int, ...] = (22,),
    pending_security: int = 0,
    pending_days: float = 0,
    os_supported: bool = True,
) -> Report:
    """A full report with the sections the alert rules read."""
    now = datetime.now(UTC)
    system = SystemFacts(hostname=hostname, os_family="linux", role=role)
    antivirus = AntivirusFacts(
        products=[
            AntivirusProduct(
                product="BKAV Endpoint",
                enabled=av_enabled,
                realtime=realtime,
                signature_age_days=signature_age_days,
                source="service",
            )
        ]
    )
    patches = PatchFacts(
        pending_security=pending_security,
        oldest_pending_security_at=now - timedelta(days=pending_days) if pending_security else None,
        last_install_at=now - timedelta(days=1),
        os_supported=os_supported,
        os_eol_date=None if os_supported else "2024-06-30",
    )
    listening = PortsFacts(
        listening=[
            Listener(proto="tcp", address="0.0.0.0", port=p, scope="all", process="svc")
            for p in ports
        ]
    )
    return Report(
        schema_version=1,
        agent_id=host_id,
        agent_version="test",
        kind="full",
        seq=seq,
        collected_at=now,
        sections=Sections(
            system=_ok(system, now),
            antivirus=_ok(antivirus, now),
            patches=_ok(patches, now),
            ports=_ok(listening, now),
        ),
    )


def signed(
    key: Ed25519PrivateKey, host_id: str, seq: int, **facts: Any
) -> tuple[bytes, dict[str, str]]:
    """The body and the signature headers of a crafted report."""
    body = encode(report(host_id, seq, **facts))
    return body, signing.sign(key, host_id, "POST", PATH, seq, body)
