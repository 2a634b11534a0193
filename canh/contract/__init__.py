"""The contracts shared by agent, SSH path, checks and collector; each is defined once here."""

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
