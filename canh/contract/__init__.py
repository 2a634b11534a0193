"""The contracts shared by agent, SSH path, checks and collector; each is defined once here.

Names are loaded on first use (PEP 562) so that gathering facts does not import the
cryptography and TLS stacks: ``canh agent once --dry-run`` stays small on old PCs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from canh.contract.enrollment import (
        Bundle,
        BundleInvalid,
        EnrollRequest,
        EnrollResponse,
        IngestResponse,
        dump_bundle,
        load_bundle,
    )
    from canh.contract.report import (
        MAX_REPORT_BYTES,
        SCHEMA_VERSION,
        SECTION_TYPES,
        Report,
        ReportInvalid,
        Section,
        Sections,
        decode,
        encode,
        fact_hash,
    )
    from canh.contract.signing import SignatureRejected

_WHERE = {
    **dict.fromkeys(
        (
            "Bundle",
            "BundleInvalid",
            "EnrollRequest",
            "EnrollResponse",
            "IngestResponse",
            "dump_bundle",
            "load_bundle",
        ),
        "enrollment",
    ),
    **dict.fromkeys(
        (
            "MAX_REPORT_BYTES",
            "SCHEMA_VERSION",
            "SECTION_TYPES",
            "Report",
            "ReportInvalid",
            "Section",
            "Sections",
            "decode",
            "encode",
            "fact_hash",
        ),
        "report",
    ),
    "SignatureRejected": "signing",
    "signing": "signing",
}

__all__ = [
    "MAX_REPORT_BYTES",
    "SCHEMA_VERSION",
    "SECTION_TYPES",
    "Bundle",
    "BundleInvalid",
    "EnrollRequest",
    "EnrollResponse",
    "IngestResponse",
    "Report",
    "ReportInvalid",
    "Section",
    "Sections",
    "SignatureRejected",
    "decode",
    "dump_bundle",
    "encode",
    "fact_hash",
    "load_bundle",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'canh.contract' has no attribute {name!r}")
    loaded = importlib.import_module(f"canh.contract.{module}")
    return loaded if name == module else getattr(loaded, name)
