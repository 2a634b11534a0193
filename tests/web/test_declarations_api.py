"""Declarations and waivers through the API: validation, files, scoping, audit, rescoring."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from collector.declarations import (
    MAX_EVIDENCE_BYTES,
    safe_filename,
    unit_declarations,
    unit_waivers,
)
from tests.web import files
from tests.web.conftest import Site

FORM = {
    "requirement_id": "L2-MGT-POL-1",
    "doc_number": "123/QĐ-BVĐK",
    "doc_date": "2026-01-15",
    "approver": "Giám đốc Nguyễn Văn A",
}


def _post(
    site: Site,
    user: str,
    data: dict[str, str],
    content: bytes,
    name: str = "qd.pdf",
    unit: str = "bvdk",
) -> tuple[int, dict[str, object]]:
    response = site.client.post(
        f"/api/v1/units/{unit}/declarations",
        data=data,
        files={"file": (name, content, "application/octet-stream")},
        headers=site.token(user),
    )
    return response.status_code, response.json()


def test_declaration_with_pdf_is_stored_by_hash_and_listed(site: Site) -> None:
    """A PDF declaration is stored content-addressed, listed, audited, and downloadable."""
    status, body = _post(site, "it-bvdk", FORM, files.pdf())
    assert status == 201, body
    sha = str(body["file_sha256"])
    stored = site.svc.settings.path / "evidence" / sha
    assert stored.read_bytes() == files.pdf()
    assert body["file_name"] == "qd.pdf" and body["file_size"] == len(files.pdf())
    listed = site.client.get("/api/v1/units/bvdk/declarations", headers=site.token("auditor"))
    assert [d["id"] for d in listed.json()] == [body["id"]]
    download = site.client.get(
        f"/api/v1/units/bvdk/declarations/{body['id']}/file", headers=site.token("auditor")
    )
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.content == files.pdf()
    actions = [r["action"] for r in site.svc.store.audit_log(20, 0)]
    assert "declaration.create" in actions


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("a.png", files.png(), "image/png"), ("b.docx", files.docx(), "wordprocessingml")],
)
def test_png_and_docx_are_accepted_by_content(
    site: Site, name: str, content: bytes, kind: str
) -> None:
    """PNG and DOCX evidence is accepted and served back with its real type."""
    status, body = _post(site, "admin", FORM, content, name)
    assert status == 201, body
    download = site.client.get(
        f"/api/v1/units/bvdk/declarations/{body['id']}/file", headers=site.token("admin")
    )
    assert kind in download.headers["content-type"]


def test_oversize_file_is_refused_with_413_and_nothing_stored(site: Site) -> None:
    """A file over 10 MB is refused before it reaches the evidence store."""
    status, body = _post(site, "it-bvdk", FORM, b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES)
    assert status == 413, body
    evidence = site.svc.settings.path / "evidence"
    assert not evidence.exists() or not any(evidence.iterdir())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.pdf", b"MZ\x90\x00 not a pdf"),
        ("x.docx", files.plain_zip()),
        ("page.html", b"<html><script>alert(1)</script>"),
    ],
)
def test_wrong_type_is_refused_with_415_whatever_the_name(
    site: Site, name: str, content: bytes
) -> None:
    """The type is decided by magic bytes: a renamed executable or a bare ZIP is refused."""
    status, body = _post(site, "it-bvdk", FORM, content, name)
    assert status == 415, body


def test_path_traversal_file_name_is_only_metadata(site: Site) -> None:
    """A hostile file name never becomes a path: stored under its hash, name sanitized."""
    status, body = _post(site, "it-bvdk", FORM, files.pdf(), "../../../etc/passwd.pdf")
    assert status == 201, body
    assert body["file_name"] == "passwd.pdf"
    root = site.svc.settings.path
    assert not (root.parent / "etc").exists()
    assert sorted(p.name for p in (root / "evidence").iterdir()) == [body["file_sha256"]]
    download = site.client.get(
        f"/api/v1/units/bvdk/declarations/{body['id']}/file", headers=site.token("it-bvdk")
    )
    assert 'filename="passwd.pdf"' in download.headers["content-disposition"]


def test_safe_filename_strips_directories_and_control_characters() -> None:
    """Only the last path part is kept, without control or reserved characters."""
    assert safe_filename("..\\..\\Windows\\evil<1>.pdf") == "evil1.pdf"
    assert safe_filename("a\x00b\r\n.pdf") == "ab.pdf"
    assert safe_filename("..") == "evidence"
    assert safe_filename("Quyết định 123.pdf") == "Quyết định 123.pdf"


def test_declaration_fields_are_validated(site: Site) -> None:
    """Unknown or non-declarable requirements, bad or future dates, missing file: 422."""
    bad = [
        {**FORM, "requirement_id": "L2-EPT-AV-1"},  # agent-only requirement
        {**FORM, "requirement_id": "NOPE"},
        {**FORM, "doc_date": "15/01/2026"},
        {**FORM, "doc_date": (date.today() + timedelta(days=3)).isoformat()},
        {**FORM, "valid_until": "2025-01-01"},
        {**FORM, "approver": ""},
    ]
    for data in bad:
        status, body = _post(site, "it-bvdk", data, files.pdf())
        assert status == 422, (data, body)
    no_file = site.client.post(
        "/api/v1/units/bvdk/declarations",
        data=FORM,
        files={"note": (None, "no file")},
        headers=site.token("it-bvdk"),
    )
    assert no_file.status_code == 422
    assert no_file.json()["detail"]["reason"] == "file_required"
    not_multipart = site.client.post(
        "/api/v1/units/bvdk/declarations", data=FORM, headers=site.token("it-bvdk")
    )
    assert not_multipart.status_code == 415


def test_roles_and_scoping_on_declarations(site: Site) -> None:
    """Auditors may not write (403), other units' staff see nothing (404), admins may."""
    assert _post(site, "auditor", FORM, files.pdf())[0] == 403
    assert _post(site, "it-bv2", FORM, files.pdf())[0] == 404
    assert _post(site, "it-bvdk", FORM, files.pdf(), unit="tram1")[0] == 201  # own subtree
    assert _post(site, "admin", FORM, files.pdf(), unit="bv2")[0] == 201
    listed = site.client.get("/api/v1/units/bvdk/declarations", headers=site.token("it-bv2"))
    assert listed.status_code == 404


def test_revoke_declaration_is_audited_and_kept(site: Site) -> None:
    """DELETE marks the declaration revoked, keeps it listed on request, and audits it."""
    _, body = _post(site, "it-bvdk", FORM, files.pdf())
    path = f"/api/v1/units/bvdk/declarations/{body['id']}"
    assert site.client.delete(path, headers=site.token("auditor")).status_code == 403
    assert site.client.delete(path, headers=site.token("it-bvdk")).status_code == 204
    headers = site.token("it-bvdk")
    assert site.client.get("/api/v1/units/bvdk/declarations", headers=headers).json() == []
    everything = site.client.get(
        "/api/v1/units/bvdk/declarations?include_revoked=true", headers=headers
    ).json()
    assert everything[0]["revoked"] is True
    assert "declaration.revoke" in [r["action"] for r in site.svc.store.audit_log(20, 0)]


def test_declarations_load_as_of_a_day(site: Site) -> None:
    """unit_declarations gives the newest valid-by-then declaration; revocation is dated."""
    _, body = _post(site, "it-bvdk", FORM, files.pdf())
    conn = site.svc.store.readers.db().conn
    today = datetime.now(UTC).date()
    loaded = unit_declarations(conn, "bvdk", today)
    assert loaded["L2-MGT-POL-1"].doc_number == "123/QĐ-BVĐK"
    assert loaded["L2-MGT-POL-1"].file_sha256 == body["file_sha256"]
    assert unit_declarations(conn, "bvdk", today - timedelta(days=1)) == {}
    site.client.delete(f"/api/v1/units/bvdk/declarations/{body['id']}", headers=site.token("admin"))
    assert unit_declarations(conn, "bvdk", today) == {}


def _waiver(site: Site, user: str, body: dict[str, object], unit: str = "bvdk") -> object:
    return site.client.post(f"/api/v1/units/{unit}/waivers", json=body, headers=site.token(user))


def test_waivers_validate_target_host_and_expiry(site: Site) -> None:
    """A waiver needs one target of the pack, a host of the unit, an expiry within a year."""
    soon = (date.today() + timedelta(days=30)).isoformat()
    good = {
        "requirement_id": "L2-EPT-AV-1",
        "reason": "Máy chạy phần mềm cũ của Bộ",
        "approver": "Giám đốc",
        "expires_at": soon,
    }
    created = _waiver(site, "it-bvdk", good)
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    host = site.seeded.first("bvdk")
    on_host = _waiver(
        site, "admin", {**good, "host_id": host, "requirement_id": None, "check_id": "av.installed"}
    )
    assert on_host.status_code == 201, on_host.text  # type: ignore[attr-defined]
    assert on_host.json()["hostname"] == "bvdk-pc-00000"  # type: ignore[attr-defined]
    for bad in (
        {**good, "expires_at": date.today().isoformat()},
        {**good, "expires_at": (date.today() + timedelta(days=400)).isoformat()},
        {**good, "requirement_id": "L2-NOPE-1"},
        {**good, "check_id": "av.installed"},  # both targets
        {**good, "host_id": site.seeded.first("bv2")},  # another unit's host
        {**good, "requirement_id": None, "check_id": "no.such_check"},
    ):
        response = _waiver(site, "admin", bad)
        assert response.status_code == 422, (bad, response.text)  # type: ignore[attr-defined]
    assert _waiver(site, "auditor", good).status_code == 403  # type: ignore[attr-defined]
    assert _waiver(site, "it-bv2", good).status_code == 404  # type: ignore[attr-defined]
    conn = site.svc.store.readers.db().conn
    active = unit_waivers(conn, "bvdk", date.today())
    assert {w.target for w in active} == {"L2-EPT-AV-1", "av.installed"}
    assert {w.host for w in active} == {None, host}
    waiver_id = created.json()["id"]  # type: ignore[attr-defined]
    delete = site.client.delete(
        f"/api/v1/units/bvdk/waivers/{waiver_id}", headers=site.token("it-bvdk")
    )
    assert delete.status_code == 204
    assert len(unit_waivers(conn, "bvdk", date.today())) == 1
    audit = [
        (r["action"], json.loads(r["detail"]).get("unit")) for r in site.svc.store.audit_log(50, 0)
    ]
    assert ("waiver.create", "bvdk") in audit and ("waiver.revoke", "bvdk") in audit


def test_a_write_rescores_the_unit_and_its_ancestors(site: Site) -> None:
    """After a declaration, today's score rows of the unit and its parents are recomputed."""
    store = site.svc.store
    units = ("tram1", "bvdk", "syt", "bv2")
    before = {u: store.unit_score(u)["computed_at"] for u in units}
    assert _post(site, "it-bvdk", FORM, files.pdf(), unit="tram1")[0] == 201
    after = {u: store.unit_score(u)["computed_at"] for u in units}
    assert all(after[u] > before[u] for u in ("tram1", "bvdk", "syt"))
    assert after["bv2"] == before["bv2"]  # not an ancestor
