"""The report contract: strict decoding, envelope rules, and the published JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from canh.contract import Report, ReportInvalid, Section, Sections, decode, encode, fact_hash
from canh.contract.facts import PortsFacts, SystemFacts
from canh.contract.report import json_schema

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SCHEMA = Path(__file__).parents[2] / "docs" / "report.schema.json"


def make_report(**sections: Section) -> Report:  # type: ignore[type-arg]
    return Report(
        schema_version=1,
        agent_id="h_1",
        agent_version="0.1.0",
        kind="full",
        seq=1,
        collected_at=NOW,
        sections=Sections(**sections),
    )


def ok(data: object) -> Section:  # type: ignore[type-arg]
    return Section(status="ok", collected_at=NOW, data=data, hash=fact_hash(data))  # type: ignore[arg-type]


def test_roundtrip() -> None:
    """What the agent encodes, the collector decodes to the same value."""
    report = make_report(
        system=ok(SystemFacts(hostname="pc-01", os_family="linux")), ports=ok(PortsFacts())
    )
    assert decode(encode(report)) == report


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(extra=1), "unknown field"),
        (lambda r: r.update(seq="1"), "Expected `int`"),
        (lambda r: r.update(seq=0), ">= 1"),
        (lambda r: r.update(schema_version=2), "schema_version"),
        (lambda r: r["sections"].update(bogus={}), "unknown field"),
        (lambda r: r["sections"]["system"]["data"].update(hostname="x" * 300), "length <= 256"),
        (lambda r: r["sections"]["system"].update(hash="0" * 64), "hash does not match"),
        (lambda r: r["sections"]["system"].update(hash="A" * 64), "lower-case hex"),
        (lambda r: r["sections"]["system"].update(hash="g" + "0" * 63), "lower-case hex"),
        (lambda r: r["sections"]["system"].update(hash="0" * 63), "length >= 64"),
        (lambda r: r["sections"]["system"].update(hash="0" * 65), "length <= 64"),
        (lambda r: r["sections"]["system"].update(status="unchanged"), "hash only"),
        (lambda r: r["sections"]["system"].update(data=None, status="error"), "needs the error"),
        (lambda r: r.update(collected_at="2026-11-22T08:00:00"), "timezone"),
    ],
)
def test_strict_rejections(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    """Unknown fields, wrong types, bad envelopes and naive times are refused with the reason."""
    raw = json.loads(encode(make_report(system=ok(SystemFacts(hostname="pc", os_family="linux")))))
    mutate(raw)
    with pytest.raises(ReportInvalid, match=message):
        decode(json.dumps(raw).encode())


def test_deep_nesting_and_garbage() -> None:
    """Deeply nested or non-JSON bodies are refused, not crashed on."""
    with pytest.raises(ReportInvalid):
        decode(b"[" * 100000 + b"]" * 100000)
    with pytest.raises(ReportInvalid):
        decode(b"\xff\xfe not json")


def test_oversize_refused_before_parsing() -> None:
    """A body over the cap is refused by size."""
    with pytest.raises(ReportInvalid, match="cap"):
        decode(b" " * (2 * 1024 * 1024 + 1))


def test_published_schema_is_current() -> None:
    """docs/report.schema.json is generated from the contract (regenerate: make schema)."""
    assert json.loads(SCHEMA.read_text()) == json_schema()
