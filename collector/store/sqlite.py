"""The store on SQLite: the narrow interface the API, ingest, metrics and reports use.

Reads go through per-thread sqlite-utils connections; every write is a job for the single
:class:`~collector.store.writer.Writer`. A PostgreSQL backend would implement the same methods.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.errors import ApiError
from collector.passwords import hash_password, new_token, token_hash
from collector.store.checkpoint import WRITER_AUTOCHECKPOINT_PAGES, Checkpointer
from collector.store.database import Readers, connect, open_database
from collector.store.receipts import Flusher, Receipts
from collector.store.writer import Writer

Row = dict[str, Any]
log = logging.getLogger("canh.collector.store")


@dataclass(frozen=True, slots=True)
class HostAuth:
    """What ingest needs to authenticate an agent, cached in memory."""

    host_id: str
    unit_id: str
    public_key: bytes  # raw Ed25519
    status: str


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class Store:
    """canh's data, in one SQLite file."""

    def __init__(
        self,
        path: Path,
        batch_max: int = 256,
        after_batch: Callable[[sqlite3.Connection], None] | None = None,
        hooks_due: Callable[[], bool] | None = None,
    ) -> None:
        self.path = path
        open_database(path)
        self.readers = Readers(path)
        self.receipts = Receipts()
        self.writer = Writer(
            lambda: connect(path, autocheckpoint_pages=WRITER_AUTOCHECKPOINT_PAGES),
            batch_max,
            after_batch,
            hooks_due,
            on_end=self.receipts.ended,
        )
        self.checkpointer = Checkpointer(path)
        self.flusher = Flusher(self.receipts, self.writer.call)
        self._auth_cache: dict[str, HostAuth] = {}

    def start(self) -> None:
        """Start the writer, the receipt flusher and the WAL checkpointer."""
        self.writer.start()
        self.flusher.start()
        self.checkpointer.start()

    def close(self) -> None:
        """Copy the waiting receipts, drain the writer and close connections."""
        self.flusher.stop()
        if self.receipts.pending():
            try:
                self.writer.call(self.receipts.flush)
            except Exception:  # the log holds them; the next open copies them
                log.exception("copying report receipts on close failed")
        self.writer.stop()
        self.checkpointer.stop()
        self.readers.close()

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        """Rows of a read-only query, as dicts."""
        return list(self.readers.db().query(sql, params))

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # --- audit -------------------------------------------------------------------------------

    @staticmethod
    def audit_job(
        actor: str, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> Callable[[sqlite3.Connection], None]:
        """A write job that records one administrative action."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
                (time.time(), actor, action, target, json.dumps(detail or {})),
            )

        return job

    # --- units -------------------------------------------------------------------------------

    def create_unit(
        self,
        name: str,
        parent_id: str | None,
        pack: str,
        level: int,
        actor: str,
        unit_id: str | None = None,
    ) -> str:
        """A new unit; the parent must exist."""
        uid = unit_id or _new_id("u")
        audit = self.audit_job(actor, "unit.create", uid, {"name": name, "parent": parent_id})

        def job(conn: sqlite3.Connection) -> str:
            if (
                parent_id
                and not conn.execute("SELECT 1 FROM units WHERE id=?", (parent_id,)).fetchone()
            ):
                raise ApiError(404, "unknown_parent", f"parent unit {parent_id} does not exist")
            try:
                conn.execute(
                    "INSERT INTO units (id, parent_id, name, pack, level, created_at) "
                    "VALUES (?,?,?,?,?,?)",
                    (uid, parent_id, name, pack, level, time.time()),
                )
            except sqlite3.IntegrityError as err:
                raise ApiError(409, "unit_exists", f"unit {uid} already exists") from err
            audit(conn)
            return uid

        return self.writer.call(job)

    def update_unit(self, unit_id: str, changes: dict[str, Any], actor: str) -> None:
        """Change a unit's settings (keys already validated by the API)."""
        allowed = {"name", "pack", "level", "subnets", "contacts", "report_deadline", "parent_id"}
        if not changes or not set(changes) <= allowed:
            raise ApiError(422, "invalid_request", f"changeable: {', '.join(sorted(allowed))}")
        values = {k: json.dumps(v) if isinstance(v, list) else v for k, v in changes.items()}
        audit = self.audit_job(actor, "unit.update", unit_id, changes)

        def job(conn: sqlite3.Connection) -> None:
            if "parent_id" in values and values["parent_id"] is not None:
                ancestors = [
                    r[0]
                    for r in conn.execute(
                        "WITH RECURSIVE a(id, parent) AS (SELECT id, parent_id FROM units "
                        "WHERE id = ? UNION SELECT u.id, u.parent_id FROM units u JOIN a "
                        "ON u.id = a.parent) SELECT id FROM a",
                        (values["parent_id"],),
                    )
                ]
                if not ancestors:
                    raise ApiError(404, "unknown_parent", "parent unit does not exist")
                if unit_id in ancestors:
                    raise ApiError(422, "cycle", "a unit cannot move under its own subtree")
            assignments = ", ".join(f"{key} = ?" for key in values)
            cursor = conn.execute(
                f"UPDATE units SET {assignments} WHERE id = ?",  # noqa: S608 - keys are from the allowed set
                [*values.values(), unit_id],
            )
            if cursor.rowcount == 0:
                raise ApiError(404, "not_found", f"no unit {unit_id}")
            audit(conn)

        self.writer.call(job)

    def units(self) -> list[Row]:
        """Every unit."""
        return self.query("SELECT * FROM units ORDER BY name")

    def unit(self, unit_id: str) -> Row | None:
        """One unit."""
        return self.one("SELECT * FROM units WHERE id = ?", (unit_id,))

    def subtree(self, unit_id: str) -> list[str]:
        """The unit and all its descendants."""
        rows = self.query(
            "WITH RECURSIVE t(id) AS (SELECT ? UNION SELECT u.id FROM units u JOIN t "
            "ON u.parent_id = t.id) SELECT id FROM t",
            (unit_id,),
        )
        return [r["id"] for r in rows]

    # --- enrollment --------------------------------------------------------------------------

    def create_token(
        self, unit_id: str, uses: int, ttl_seconds: int, actor: str
    ) -> tuple[str, str, float]:
        """A one-time (or n-time) enrollment token; returned once, stored hashed."""
        token = new_token()
        token_id = _new_id("t")
        expires = time.time() + ttl_seconds
        audit = self.audit_job(actor, "token.create", token_id, {"unit": unit_id, "uses": uses})

        def job(conn: sqlite3.Connection) -> None:
            if not conn.execute("SELECT 1 FROM units WHERE id=?", (unit_id,)).fetchone():
                raise ApiError(404, "unknown_unit", f"unit {unit_id} does not exist")
            conn.execute(
                "INSERT INTO enroll_tokens (id, unit_id, token_hash, expires_at, uses_left, "
                "created_by, created_at) VALUES (?,?,?,?,?,?,?)",
                (token_id, unit_id, token_hash(token), expires, uses, actor, time.time()),
            )
            audit(conn)

        self.writer.call(job)
        return token_id, token, expires

    def tokens(self, unit_ids: list[str]) -> list[Row]:
        """Enrollment tokens of the units (never the token itself)."""
        marks = ",".join("?" * len(unit_ids))
        return self.query(
            f"SELECT id, unit_id, expires_at, uses_left, revoked, created_by, created_at "  # noqa: S608 - placeholders only
            f"FROM enroll_tokens WHERE unit_id IN ({marks}) ORDER BY created_at DESC",
            unit_ids,
        )

    def revoke_token(self, token_id: str, actor: str) -> None:
        """Make a token unusable."""
        audit = self.audit_job(actor, "token.revoke", token_id)

        def job(conn: sqlite3.Connection) -> None:
            if (
                conn.execute(
                    "UPDATE enroll_tokens SET revoked = 1 WHERE id = ?", (token_id,)
                ).rowcount
                == 0
            ):
                raise ApiError(404, "not_found", f"no token {token_id}")
            audit(conn)

        self.writer.call(job)

    def enroll_job(
        self,
        token: str,
        public_key: bytes,
        hostname: str,
        os_family: str,
        hardware_id: str | None,
        source: str,
    ) -> Callable[[sqlite3.Connection], tuple[str, str, str]]:
        """A write job: spend a token use and create the host. Returns (host, unit, unit name)."""
        hashed = token_hash(token)

        def job(conn: sqlite3.Connection) -> tuple[str, str, str]:
            row = conn.execute(
                "SELECT t.id, t.unit_id, t.expires_at, t.uses_left, t.revoked, u.name "
                "FROM enroll_tokens t JOIN units u ON u.id = t.unit_id WHERE t.token_hash = ?",
                (hashed,),
            ).fetchone()
            if row is None or row[4]:
                raise ApiError(
                    401,
                    "bad_token",
                    "enrollment token is unknown or revoked; ask the administrator for a new one",
                )
            if row[2] < time.time():
                raise ApiError(
                    401,
                    "token_expired",
                    "enrollment token has expired; ask the administrator for a new one",
                )
            if row[3] <= 0:
                raise ApiError(401, "token_used", "enrollment token has no uses left")
            conn.execute(
                "UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE id = ?", (row[0],)
            )
            now = time.time()
            previous = (
                conn.execute(
                    "SELECT id FROM hosts WHERE unit_id = ? AND hardware_id = ? AND "
                    "reenroll_until > ? ORDER BY enrolled_at DESC LIMIT 1",
                    (row[1], hardware_id, now),
                ).fetchone()
                if hardware_id
                else None
            )
            if previous is not None:
                # A reinstalled machine an administrator allowed back: same host, new key.
                host_id = previous[0]
                # Its sequence starts again; the report log keeps what the old key sent.
                conn.execute(
                    "UPDATE hosts SET public_key = ?, hostname = ?, status = 'active', "
                    "last_seq = 0, last_sha256 = NULL, last_signed_at = 0, reenroll_until = 0, "
                    "receipt_id = (SELECT coalesce(max(id), 0) FROM reports) WHERE id = ?",
                    (public_key, hostname, host_id),
                )
                action = "host.reenroll"
            else:
                host_id = _new_id("h")
                conn.execute(
                    "INSERT INTO hosts (id, unit_id, hostname, os_family, source, public_key, "
                    "hardware_id, enrolled_at) VALUES (?,?,?,?,?,?,?,?)",
                    (host_id, row[1], hostname, os_family, source, public_key, hardware_id, now),
                )
                action = "host.enroll"
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
                (
                    now,
                    f"token:{row[0]}",
                    action,
                    host_id,
                    json.dumps({"hostname": hostname, "unit": row[1]}),
                ),
            )
            self._auth_cache.pop(host_id, None)
            return host_id, row[1], row[5]

        return job

    def host_auth(self, host_id: str) -> HostAuth | None:
        """The host's key and status (cached; the cache is dropped on revoke)."""
        cached = self._auth_cache.get(host_id)
        if cached is not None:
            return cached
        row = self.one("SELECT id, unit_id, public_key, status FROM hosts WHERE id = ?", (host_id,))
        if row is None:
            return None
        auth = HostAuth(row["id"], row["unit_id"], bytes(row["public_key"]), row["status"])
        self._auth_cache[host_id] = auth
        return auth

    def allow_reenroll(self, host_id: str, hours: int, actor: str) -> None:
        """Let a reinstalled machine with the same hardware identity take this host back."""
        audit = self.audit_job(actor, "host.allow_reenroll", host_id, {"hours": hours})

        def job(conn: sqlite3.Connection) -> None:
            if (
                conn.execute(
                    "UPDATE hosts SET reenroll_until = ? WHERE id = ?",
                    (time.time() + hours * 3600, host_id),
                ).rowcount
                == 0
            ):
                raise ApiError(404, "not_found", f"no host {host_id}")
            audit(conn)

        self.writer.call(job)

    def set_host_status(self, host_id: str, status: str, actor: str) -> None:
        """Revoke or decommission a host (kept in history)."""
        audit = self.audit_job(actor, f"host.{status}", host_id)

        def job(conn: sqlite3.Connection) -> None:
            if (
                conn.execute("UPDATE hosts SET status=? WHERE id=?", (status, host_id)).rowcount
                == 0
            ):
                raise ApiError(404, "unknown_host", f"host {host_id} does not exist")
            audit(conn)

        self.writer.call(job)
        self._auth_cache.pop(host_id, None)

    # --- hosts, facts, findings, scores -------------------------------------------------------

    def hosts(self, unit_ids: list[str] | None, limit: int = 100, offset: int = 0) -> list[Row]:
        """Hosts of the given units (None: every unit), by hostname."""
        columns = (
            "id, unit_id, hostname, os_family, role, source, status, enrolled_at, last_seen, "
            "last_seq, failing_checks, receipt_id"
        )
        if unit_ids is None:  # walks the (hostname, unit_id) index: no sort
            rows = self.query(
                f"SELECT {columns} FROM hosts ORDER BY hostname LIMIT ? OFFSET ?",  # noqa: S608 - constant
                [limit, offset],
            )
        else:
            marks = ",".join("?" * len(unit_ids))
            rows = self.query(
                f"SELECT {columns} FROM hosts WHERE unit_id IN ({marks}) "  # noqa: S608 - placeholders only
                f"ORDER BY hostname LIMIT ? OFFSET ?",
                [*unit_ids, limit, offset],
            )
        return [self._newest_receipt(row) for row in rows]

    def host(self, host_id: str) -> Row | None:
        """One host, without its key."""
        row = self.one(
            "SELECT id, unit_id, hostname, os_family, role, source, status, enrolled_at, "
            "last_seen, last_seq, failing_checks, requirements, receipt_id FROM hosts WHERE id = ?",
            (host_id,),
        )
        return None if row is None else self._newest_receipt(row)

    def _newest_receipt(self, row: Row) -> Row:
        """The row with its newest report receipt, which may still wait in memory."""
        receipt = self.receipts.latest(row["id"])
        if receipt is not None and receipt.log_id > row.pop("receipt_id"):
            row["last_seen"] = max(row["last_seen"] or 0.0, receipt.received_at)
            row["last_seq"] = receipt.seq
        row.pop("receipt_id", None)
        return row

    def facts(self, host_id: str) -> list[Row]:
        """The latest envelope of every section of a host."""
        return self.query(
            "SELECT section, status, hash, data, error, collected_at FROM facts "
            "WHERE host_id = ? ORDER BY section",
            (host_id,),
        )

    def findings(self, host_id: str) -> list[Row]:
        """The current findings of a host."""
        return self.query(
            "SELECT check_id, status, reason, evidence, updated_at FROM findings "
            "WHERE host_id = ? ORDER BY check_id",
            (host_id,),
        )

    def events(self, host_id: str, limit: int = 200) -> list[Row]:
        """Recent changes of a host."""
        return self.query(
            "SELECT at, section, kind, detail FROM events WHERE host_id = ? "
            "ORDER BY id DESC LIMIT ?",
            (host_id, limit),
        )

    def unit_score(self, unit_id: str, day: str | None = None) -> Row | None:
        """The unit's score of ``day`` (ISO date), or the latest."""
        if day is None:
            return self.one(
                "SELECT * FROM unit_scores WHERE unit_id = ? ORDER BY day DESC LIMIT 1", (unit_id,)
            )
        return self.one(
            "SELECT * FROM unit_scores WHERE unit_id = ? AND day <= ? ORDER BY day DESC LIMIT 1",
            (unit_id, day),
        )

    # --- users and sessions -------------------------------------------------------------------

    def create_user(
        self, username: str, password: str, role: str, unit_id: str | None, actor: str
    ) -> str:
        """A user with a role (admin, unit_it, auditor); unit_it needs a unit."""
        if role == "unit_it" and not unit_id:
            raise ApiError(422, "unit_required", "a unit_it user needs --unit")
        user_id = _new_id("usr")
        encoded = hash_password(password)
        audit = self.audit_job(
            actor, "user.create", user_id, {"username": username, "role": role, "unit": unit_id}
        )

        def job(conn: sqlite3.Connection) -> str:
            try:
                conn.execute(
                    "INSERT INTO users (id, username, password_hash, role, unit_id, created_at) "
                    "VALUES (?,?,?,?,?,?)",
                    (user_id, username, encoded, role, unit_id, time.time()),
                )
            except sqlite3.IntegrityError as err:
                raise ApiError(
                    409, "user_exists", f"user {username!r} exists or unit unknown"
                ) from err
            audit(conn)
            return user_id

        return self.writer.call(job)

    def users(self) -> list[Row]:
        """Every user (without password hashes)."""
        return self.query(
            "SELECT id, username, role, unit_id, locked_until, created_at "
            "FROM users ORDER BY username"
        )

    def audit_log(self, limit: int, offset: int) -> list[Row]:
        """Administrative actions, newest first."""
        return self.query(
            "SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )

    def user_by_name(self, username: str) -> Row | None:
        """A user row by login name."""
        return self.one("SELECT * FROM users WHERE username = ?", (username,))

    def session_user(self, token: str) -> Row | None:
        """The user of a live session token."""
        return self.one(
            "SELECT u.id, u.username, u.role, u.unit_id FROM sessions s JOIN users u "
            "ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
            (token_hash(token), time.time()),
        )
