"""Versioned schema migrations. Each entry moves the database one version up; they run on start.

Never edit a released migration: add the next one. ``tests/collector/test_migrations.py`` builds
the database at every earlier version and migrates it to the newest.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first schema
    (
        """CREATE TABLE units (
            id TEXT PRIMARY KEY,
            parent_id TEXT REFERENCES units(id),
            name TEXT NOT NULL,
            pack TEXT NOT NULL DEFAULT 'vn-2026',
            level INTEGER NOT NULL DEFAULT 2 CHECK (level BETWEEN 1 AND 5),
            subnets TEXT NOT NULL DEFAULT '[]',
            contacts TEXT NOT NULL DEFAULT '[]',
            report_deadline TEXT NOT NULL DEFAULT '12-20',
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE enroll_tokens (
            id TEXT PRIMARY KEY,
            unit_id TEXT NOT NULL REFERENCES units(id),
            token_hash TEXT NOT NULL UNIQUE,
            expires_at REAL NOT NULL,
            uses_left INTEGER NOT NULL CHECK (uses_left >= 0),
            revoked INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE hosts (
            id TEXT PRIMARY KEY,
            unit_id TEXT NOT NULL REFERENCES units(id),
            hostname TEXT NOT NULL,
            os_family TEXT NOT NULL,
            role TEXT,
            source TEXT NOT NULL DEFAULT 'agent',
            public_key BLOB NOT NULL,
            hardware_id TEXT,
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'revoked', 'decommissioned')),
            enrolled_at REAL NOT NULL,
            last_seen REAL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            failing_checks INTEGER NOT NULL DEFAULT 0,
            requirements TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX hosts_unit ON hosts(unit_id)",
        """CREATE TABLE reports (
            host_id TEXT NOT NULL REFERENCES hosts(id),
            seq INTEGER NOT NULL,
            body_sha256 TEXT NOT NULL,
            signed_at INTEGER NOT NULL,
            received_at REAL NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (host_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE facts (
            host_id TEXT NOT NULL REFERENCES hosts(id),
            section TEXT NOT NULL,
            status TEXT NOT NULL,
            hash TEXT,
            data BLOB,
            error TEXT,
            collected_at TEXT NOT NULL,
            PRIMARY KEY (host_id, section)
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            host_id TEXT NOT NULL REFERENCES hosts(id),
            at REAL NOT NULL,
            section TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX events_host_at ON events(host_id, at)",
        """CREATE TABLE findings (
            host_id TEXT NOT NULL REFERENCES hosts(id),
            check_id TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            evidence TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (host_id, check_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE unit_scores (
            unit_id TEXT NOT NULL REFERENCES units(id),
            day TEXT NOT NULL,
            score REAL NOT NULL,
            level_met INTEGER NOT NULL,
            by_evidence TEXT NOT NULL,
            requirements TEXT NOT NULL,
            hosts INTEGER NOT NULL,
            computed_at REAL NOT NULL,
            PRIMARY KEY (unit_id, day)
        ) WITHOUT ROWID""",
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'unit_it', 'auditor')),
            unit_id TEXT REFERENCES units(id),
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until REAL NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            expires_at REAL NOT NULL,
            created_at REAL NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        )""",
    ),
    # 2: re-enrollment of reinstalled machines (allowed per host by an administrator, for a
    # limited time) and an index for event retention
    (
        "ALTER TABLE hosts ADD COLUMN reenroll_until REAL NOT NULL DEFAULT 0",
        "CREATE INDEX hosts_hardware ON hosts(unit_id, hardware_id)",
        "CREATE INDEX events_at ON events(at)",
        "CREATE INDEX reports_received ON reports(received_at)",
    ),
)

LATEST = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Apply every migration above the current version, each in its own transaction."""
    version = current_version(conn)
    if version > LATEST:
        raise RuntimeError(
            f"database schema {version} is newer than this collector ({LATEST}); upgrade canh"
        )
    while version < target:
        statements = MIGRATIONS[version]
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        version += 1
    return version
