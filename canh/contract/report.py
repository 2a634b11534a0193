"""The report: the versioned wire format between agents (or the SSH path) and the collector.

A report carries one envelope per section. An envelope is ``ok`` with its data, ``unchanged``
with the hash of the data last acknowledged in full, ``error`` with the reason, or
``not_applicable``. A failing section never drops the report.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

import msgspec

from canh.contract._types import Hash, Name, Text, When, is_hash
from canh.contract.facts import (
    AccountFacts,
    AntivirusFacts,
    EndpointFacts,
    FirewallFacts,
    HardwareFacts,
    LoggingFacts,
    NetworkFacts,
    PatchFacts,
    PortsFacts,
    RemoteAccessFacts,
    SoftwareFacts,
    SystemFacts,
)

SCHEMA_VERSION = 1
MAX_REPORT_BYTES = 2 * 1024 * 1024

F = TypeVar("F", bound=msgspec.Struct)
SectionStatus = Literal["ok", "unchanged", "error", "not_applicable"]


class Section(msgspec.Struct, Generic[F], forbid_unknown_fields=True, kw_only=True):
    """One section of facts, with its own collection time and outcome."""

    status: SectionStatus
    collected_at: When
    duration_ms: Annotated[int, msgspec.Meta(ge=0, le=3_600_000)] = 0
    hash: Hash | None = None
    data: F | None = None
    error: Text | None = None

    def __post_init__(self) -> None:
        # Most sections of a delta report are "unchanged": that case is tested first.
        status = self.status
        if status == "unchanged":
            if self.data is not None or self.hash is None:
                raise ValueError("an 'unchanged' section carries the hash only")
        elif status == "ok":
            if self.data is None or self.hash is None:
                raise ValueError("an 'ok' section needs data and hash")
        elif self.data is not None:
            raise ValueError(f"a '{status}' section carries no data")
        elif status == "error" and not self.error:
            raise ValueError("an 'error' section needs the error text")
        if self.hash is not None and not is_hash(self.hash):
            raise ValueError("hash must be 64 lower-case hex digits")


class Sections(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """All sections a report may carry; a delta report carries only those it gathered."""

    system: Section[SystemFacts] | None = None
    hardware: Section[HardwareFacts] | None = None
    network: Section[NetworkFacts] | None = None
    ports: Section[PortsFacts] | None = None
    software: Section[SoftwareFacts] | None = None
    antivirus: Section[AntivirusFacts] | None = None
    patches: Section[PatchFacts] | None = None
    accounts: Section[AccountFacts] | None = None
    firewall: Section[FirewallFacts] | None = None
    remote_access: Section[RemoteAccessFacts] | None = None
    logging: Section[LoggingFacts] | None = None
    endpoint: Section[EndpointFacts] | None = None


def _fact_type(annotation: Any) -> type[msgspec.Struct]:
    section_type = next(a for a in get_args(annotation) if a is not type(None))
    fact_type: type[msgspec.Struct] = get_args(section_type)[0]
    return fact_type


# name → facts struct, in report order; derived from ``Sections`` so it is declared once.
SECTION_TYPES: dict[str, type[msgspec.Struct]] = {
    f.name: _fact_type(f.type) for f in msgspec.structs.fields(Sections)
}


class Report(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A signed report from one host."""

    schema_version: Literal[1]
    agent_id: Name
    agent_version: Name
    source: Literal["agent", "ssh"] = "agent"
    kind: Literal["full", "delta"]
    seq: Annotated[int, msgspec.Meta(ge=1, le=2**62)]
    collected_at: When
    sections: Sections

    def present(self) -> dict[str, Section[Any]]:
        """The sections this report carries, by name."""
        return {
            name: section
            for name in SECTION_TYPES
            if (section := getattr(self.sections, name)) is not None
        }


_encoder = msgspec.json.Encoder(order="deterministic")
_decoder = msgspec.json.Decoder(Report)


def encode(value: Any) -> bytes:
    """Canonical JSON: deterministic key order, so equal facts hash equal."""
    return _encoder.encode(value)


def fact_hash(data: msgspec.Struct) -> str:
    """The SHA-256 of a section's canonical data, used for ``unchanged`` envelopes."""
    return hashlib.sha256(encode(data)).hexdigest()


class ReportInvalid(ValueError):
    """A report that does not match the contract; the message says where and why."""


def decode(body: bytes) -> Report:
    """Decode and validate a report strictly (size is the caller's job, before reading)."""
    if len(body) > MAX_REPORT_BYTES:
        raise ReportInvalid(f"report is {len(body)} bytes, over the {MAX_REPORT_BYTES} cap")
    try:
        report = _decoder.decode(body)
    except msgspec.ValidationError as err:
        raise ReportInvalid(str(err)) from err
    except msgspec.DecodeError as err:
        raise ReportInvalid(f"not valid JSON: {err}") from err
    for name, section in report.present().items():
        if section.data is not None and section.hash != fact_hash(section.data):
            raise ReportInvalid(f"section {name!r}: hash does not match its data")
    return report


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, published as docs/report.schema.json."""
    schema: dict[str, Any] = msgspec.json.schema(Report)
    schema["$id"] = f"https://canh.invalid/schema/report/v{SCHEMA_VERSION}.json"
    schema["title"] = "canh report"
    return schema
