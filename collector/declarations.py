"""Declarations (class D evidence) and waivers: validation, the evidence files, store jobs.

An evidence file is stored content-addressed as ``DATA_DIR/evidence/<sha256>``: the client's file
name is never used as a path, only kept (sanitized) as metadata. Its type is decided by its magic
bytes (PDF, PNG, JPEG, DOCX), never by its name; its size is counted while the request streams in
(:func:`read_upload`), so an oversize upload is refused before anything is stored.

Every write is one job for the store's single writer with its audit row; after a change the unit
and its ancestors are rescored (:func:`rescore`). :func:`unit_declarations` and
:func:`unit_waivers` load what scoring needs on a given day, as ``checks.declarations`` values.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import time
import unicodedata
import zipfile
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from checks.declarations import Declaration, Waiver
from collector.errors import ApiError
from collector.store import Store

if TYPE_CHECKING:
    from collector.evaluate import Knowledge

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024  # the text fields and multipart boundaries around the file
MAX_WAIVER_DAYS = 366  # a waiver is granted for at most a year (a leap year's included)
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FileType:
    """An accepted evidence type."""

    media_type: str
    extension: str


PDF = FileType("application/pdf", ".pdf")
PNG = FileType("image/png", ".png")
JPEG = FileType("image/jpeg", ".jpg")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
ACCEPTED = "PDF, PNG, JPEG, DOCX"


def today_utc() -> date:
    """The scoring day (UTC, as ``collector.evaluate`` dates the unit scores)."""
    return datetime.now(UTC).date()


# --- evidence files ------------------------------------------------------------------------------


def sniff(head: bytes) -> FileType | None:
    """The type announced by a file's first bytes (a ZIP still needs :func:`is_docx`)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return DOCX
    return None


def is_docx(path: Path) -> bool:
    """A ZIP with the parts every Word document has (reads only the central directory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def file_type(path: Path) -> FileType | None:
    """The accepted type of a stored file, by content."""
    with path.open("rb") as fh:
        kind = sniff(fh.read(16))
    if kind is DOCX and not is_docx(path):
        return None
    return kind


def safe_filename(name: str | None) -> str:
    """A file name fit to show and to offer on download: no directories, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*;')
    base = re.sub(r"\s+", " ", base).strip(" .")
    return base[:120].strip(" .") or "evidence"


def download_name(name: str | None, kind: FileType) -> str:
    """The stored name with the extension its content really has."""
    base = safe_filename(name)
    return base if base.lower().endswith(kind.extension) else base + kind.extension


def evidence_dir(data_dir: Path) -> Path:
    """Where evidence files live."""
    path = data_dir / "evidence"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def evidence_path(data_dir: Path, sha256: str) -> Path:
    """The stored file of a hash (the hash is checked: never a path from the wire)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ApiError(404, "not_found", "no such evidence file")
    return data_dir / "evidence" / sha256


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An evidence file in the store."""

    sha256: str
    size: int
    kind: FileType
    name: str


def store_evidence(data_dir: Path, source: IO[bytes], name: str | None) -> StoredFile:
    """Copy an uploaded file into the evidence store, hashing, counting and typing it."""
    folder = evidence_dir(data_dir)
    temp = folder / f".incoming-{secrets.token_hex(8)}"
    digest = hashlib.sha256()
    size = 0
    try:
        with temp.open("xb") as out:
            os.chmod(temp, 0o600)
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > MAX_EVIDENCE_BYTES:
                    raise ApiError(413, "too_large", "the evidence file is larger than 10 MB")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ApiError(422, "empty_file", "the evidence file is empty")
        kind = file_type(temp)
        if kind is None:
            raise ApiError(415, "unsupported_type", f"evidence must be one of {ACCEPTED}")
        sha = digest.hexdigest()
        os.replace(temp, folder / sha)  # same content, same name: replacing is harmless
    finally:
        temp.unlink(missing_ok=True)
    return StoredFile(sha, size, kind, safe_filename(name))


async def read_upload(
    request: Request, limit: int = MAX_EVIDENCE_BYTES
) -> tuple[dict[str, str], UploadFile | None]:
    """Parse a multipart form with at most one file, refusing (413) as soon as the body grows
    past ``limit`` plus the form fields, before anything is kept."""
    cap = limit + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ApiError(413, "too_large", "the evidence file is larger than 10 MB")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "multipart_required", "send the form as multipart/form-data")

    overflow = False

    async def body() -> AsyncGenerator[bytes, None]:
        nonlocal overflow
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > cap:
                # Raised as the parser's own error so it closes the temporary files it made.
                overflow = True
                raise MultiPartException("request body too large")
            yield chunk

    parser = MultiPartParser(
        request.headers, body(), max_files=1, max_fields=16, max_part_size=16 * 1024
    )
    try:
        form = await parser.parse()
    except MultiPartException as err:
        if overflow:
            raise ApiError(413, "too_large", "the evidence file is larger than 10 MB") from err
        raise ApiError(400, "bad_form", err.message) from err
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            upload = value if value.filename or value.size else upload
        else:
            fields[key] = value
    return fields, upload


# --- validation ----------------------------------------------------------------------------------


def parse_day(value: str | None, what: str, required: bool = True) -> date | None:
    """An ISO date (YYYY-MM-DD) from a form or JSON field."""
    text = (value or "").strip()
    if not text:
        if required:
            raise ApiError(422, "invalid_request", f"{what} is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise ApiError(422, "invalid_request", f"{what} must be a date YYYY-MM-DD") from err


def _text(fields: Mapping[str, str], key: str, what: str, high: int, low: int = 1) -> str:
    value = (fields.get(key) or "").strip()
    if not low <= len(value) <= high:
        raise ApiError(422, "invalid_request", f"{what} needs {low}–{high} characters")
    return value


@dataclass(frozen=True, slots=True)
class DeclarationCreate:
    """A validated declaration form (the file comes separately)."""

    requirement_id: str
    doc_number: str
    doc_date: date
    approver: str
    valid_until: date | None
    note: str


def validate_declaration(
    fields: Mapping[str, str], declarable: set[str], today: date
) -> DeclarationCreate:
    """Check a declaration's fields; ``declarable`` are the unit pack's D-evidence requirements."""
    rid = (fields.get("requirement_id") or "").strip()
    if rid not in declarable:
        raise ApiError(
            422, "unknown_requirement", "requirement_id is not a declarable requirement of the pack"
        )
    doc_date = parse_day(fields.get("doc_date"), "doc_date")
    assert doc_date is not None
    if doc_date > today:
        raise ApiError(422, "invalid_request", "doc_date is in the future")
    valid_until = parse_day(fields.get("valid_until"), "valid_until", required=False)
    if valid_until is not None and valid_until < doc_date:
        raise ApiError(422, "invalid_request", "valid_until is before doc_date")
    return DeclarationCreate(
        requirement_id=rid,
        doc_number=_text(fields, "doc_number", "doc_number", 100),
        doc_date=doc_date,
        approver=_text(fields, "approver", "approver", 200),
        valid_until=valid_until,
        note=_text(fields, "note", "note", 2000, low=0),
    )


@dataclass(frozen=True, slots=True)
class WaiverCreate:
    """A validated waiver."""

    requirement_id: str | None
    check_id: str | None
    host_id: str | None
    reason: str
    approver: str
    expires_at: date


def validate_waiver(
    fields: Mapping[str, str | None],
    requirements: set[str],
    checks: set[str],
    unit_hosts: set[str] | None,
    today: date,
) -> WaiverCreate:
    """Check a waiver: one target of the pack, a host of the unit, an expiry within a year."""
    rid = (fields.get("requirement_id") or "").strip() or None
    cid = (fields.get("check_id") or "").strip() or None
    if (rid is None) == (cid is None):
        raise ApiError(422, "invalid_request", "give either requirement_id or check_id")
    if rid is not None and rid not in requirements:
        raise ApiError(422, "unknown_requirement", "requirement_id is not in the unit's pack")
    if cid is not None and cid not in checks:
        raise ApiError(422, "unknown_check", "check_id is not used by the unit's pack")
    host = (fields.get("host_id") or "").strip() or None
    if host is not None and (unit_hosts is None or host not in unit_hosts):
        raise ApiError(422, "unknown_host", "host_id is not a host of this unit")
    expires = parse_day(fields.get("expires_at"), "expires_at")
    assert expires is not None
    if expires <= today:
        raise ApiError(422, "invalid_request", "expires_at must be in the future")
    if expires > today + timedelta(days=MAX_WAIVER_DAYS):
        raise ApiError(422, "invalid_request", "a waiver lasts at most one year")
    clean = {k: v or "" for k, v in fields.items()}
    return WaiverCreate(
        requirement_id=rid,
        check_id=cid,
        host_id=host,
        reason=_text(clean, "reason", "reason", 2000, low=3),
        approver=_text(clean, "approver", "approver", 200),
        expires_at=expires,
    )


# --- store jobs and reads ------------------------------------------------------------------------


def add_declaration(
    store: Store, unit_id: str, form: DeclarationCreate, file: StoredFile, actor: str
) -> str:
    """Record a declaration with its evidence file (audited)."""
    decl_id = f"d_{secrets.token_hex(8)}"
    audit = store.audit_job(
        actor,
        "declaration.create",
        decl_id,
        {
            "unit": unit_id,
            "requirement": form.requirement_id,
            "doc_number": form.doc_number,
            "file_sha256": file.sha256,
        },
    )

    def job(conn: sqlite3.Connection) -> str:
        conn.execute(
            "INSERT INTO declarations (id, unit_id, requirement_id, doc_number, doc_date, "
            "approver, valid_until, file_name, file_sha256, file_size, note, created_by, "
            "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                decl_id,
                unit_id,
                form.requirement_id,
                form.doc_number,
                form.doc_date.isoformat(),
                form.approver,
                form.valid_until.isoformat() if form.valid_until else None,
                file.name,
                file.sha256,
                file.size,
                form.note,
                actor,
                time.time(),
            ),
        )
        audit(conn)
        return decl_id

    return store.writer.call(job)


def add_waiver(store: Store, unit_id: str, form: WaiverCreate, actor: str) -> str:
    """Record a waiver (audited)."""
    waiver_id = f"w_{secrets.token_hex(8)}"
    audit = store.audit_job(
        actor,
        "waiver.create",
        waiver_id,
        {
            "unit": unit_id,
            "requirement": form.requirement_id,
            "check": form.check_id,
            "host": form.host_id,
            "expires_at": form.expires_at.isoformat(),
        },
    )

    def job(conn: sqlite3.Connection) -> str:
        conn.execute(
            "INSERT INTO waivers (id, unit_id, requirement_id, check_id, host_id, reason, "
            "approver, expires_at, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                waiver_id,
                unit_id,
                form.requirement_id,
                form.check_id,
                form.host_id,
                form.reason,
                form.approver,
                form.expires_at.isoformat(),
                actor,
                time.time(),
            ),
        )
        audit(conn)
        return waiver_id

    return store.writer.call(job)


def revoke(store: Store, table: str, unit_id: str, item_id: str, actor: str) -> None:
    """Revoke a declaration or waiver of a unit (kept, marked revoked, audited)."""
    if table not in ("declarations", "waivers"):
        raise ValueError(table)
    action = "declaration.revoke" if table == "declarations" else "waiver.revoke"
    audit = store.audit_job(actor, action, item_id, {"unit": unit_id})

    def job(conn: sqlite3.Connection) -> None:
        cursor = conn.execute(
            f"UPDATE {table} SET revoked = 1 WHERE id = ? AND unit_id = ?",  # noqa: S608 - fixed names
            (item_id, unit_id),
        )
        if cursor.rowcount == 0:
            raise ApiError(404, "not_found", f"no {table[:-1]} {item_id} in this unit")
        audit(conn)

    store.writer.call(job)


def rescore(store: Store, knowledge: Knowledge, unit_id: str) -> None:
    """Rescore the unit and its ancestors now (one write job), so pages show the change."""
    # Imported here: collector.evaluate may load declarations from this module.
    from collector.evaluate import ancestors, reevaluate_unit_hosts, score_unit_row

    def job(conn: sqlite3.Connection) -> None:
        # Check waivers and the MFA declaration change host findings too.
        reevaluate_unit_hosts(conn, knowledge, unit_id)
        for uid in ancestors(conn, unit_id):
            score_unit_row(conn, knowledge, uid)

    store.writer.call(job)


def declarations(store: Store, unit_id: str, include_revoked: bool = False) -> list[dict[str, Any]]:
    """A unit's declarations, newest first."""
    return store.query(
        "SELECT * FROM declarations WHERE unit_id = ? AND (revoked = 0 OR ?) "
        "ORDER BY doc_date DESC, created_at DESC",
        (unit_id, int(include_revoked)),
    )


def declaration(store: Store, unit_id: str, decl_id: str) -> dict[str, Any]:
    """One declaration of the unit, or 404."""
    row = store.one("SELECT * FROM declarations WHERE id = ? AND unit_id = ?", (decl_id, unit_id))
    if row is None:
        raise ApiError(404, "not_found", f"no declaration {decl_id} in this unit")
    return row


def waivers(store: Store, unit_id: str, include_revoked: bool = False) -> list[dict[str, Any]]:
    """A unit's waivers, soonest expiry first."""
    return store.query(
        "SELECT w.*, h.hostname FROM waivers w LEFT JOIN hosts h ON h.id = w.host_id "
        "WHERE w.unit_id = ? AND (w.revoked = 0 OR ?) ORDER BY w.expires_at, w.created_at",
        (unit_id, int(include_revoked)),
    )


def _end_of(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + 86400


def unit_declarations(
    conn: sqlite3.Connection, unit_id: str, today: date
) -> dict[str, Declaration]:
    """Per requirement, the newest declaration recorded and issued by ``today`` and not revoked
    then (revocations are dated by the audit log, so a past day is reproducible)."""
    rows = conn.execute(
        "SELECT d.requirement_id, d.doc_number, d.doc_date, d.approver, d.file_sha256, "
        "d.valid_until FROM declarations d WHERE d.unit_id = ? AND d.created_at < ? "
        "AND d.doc_date <= ? AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.target = d.id "
        "AND a.action = 'declaration.revoke' AND a.at < ?) "
        "ORDER BY d.doc_date, d.created_at",
        (unit_id, _end_of(today), today.isoformat(), _end_of(today)),
    ).fetchall()
    out: dict[str, Declaration] = {}
    for rid, number, issued, approver, sha, valid_until in rows:
        out[rid] = Declaration(  # later rows replace earlier ones: the newest wins
            requirement_id=rid,
            doc_number=number,
            issued=date.fromisoformat(issued),
            approver=approver,
            file_sha256=sha,
            valid_until=date.fromisoformat(valid_until) if valid_until else None,
        )
    return out


def unit_waivers(conn: sqlite3.Connection, unit_id: str, today: date) -> tuple[Waiver, ...]:
    """The waivers of a unit in force on ``today`` (recorded by then, not revoked by then).

    ``Waiver.host`` carries the host id."""
    rows = conn.execute(
        "SELECT w.id, COALESCE(w.requirement_id, w.check_id), w.host_id, w.reason, w.approver, "
        "w.expires_at FROM waivers w WHERE w.unit_id = ? AND w.created_at < ? "
        "AND w.expires_at >= ? AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.target = w.id "
        "AND a.action = 'waiver.revoke' AND a.at < ?) ORDER BY w.created_at",
        (unit_id, _end_of(today), today.isoformat(), _end_of(today)),
    ).fetchall()
    return tuple(
        Waiver(
            target=target,
            expires=date.fromisoformat(expires),
            approver=approver,
            reason=reason,
            host=host,
            id=wid,
        )
        for wid, target, host, reason, approver, expires in rows
    )
