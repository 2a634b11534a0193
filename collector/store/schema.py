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
    # 3: declarations (class D evidence) and waivers; incidents, their history and the delivery
    # outbox; devices found by discovery; KPIs with each day's unit score
    (
        """CREATE TABLE declarations (
            id TEXT PRIMARY KEY,
            unit_id TEXT NOT NULL REFERENCES units(id),
            requirement_id TEXT NOT NULL,
            doc_number TEXT NOT NULL,
            doc_date TEXT NOT NULL,
            approver TEXT NOT NULL,
            valid_until TEXT,
            file_name TEXT,
            file_sha256 TEXT,
            file_size INTEGER,
            note TEXT NOT NULL DEFAULT '',
            revoked INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX declarations_unit ON declarations(unit_id, requirement_id)",
        """CREATE TABLE waivers (
            id TEXT PRIMARY KEY,
            unit_id TEXT NOT NULL REFERENCES units(id),
            requirement_id TEXT,
            check_id TEXT,
            host_id TEXT REFERENCES hosts(id),
            reason TEXT NOT NULL,
            approver TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL,
            CHECK (requirement_id IS NOT NULL OR check_id IS NOT NULL)
        )""",
        "CREATE INDEX waivers_unit ON waivers(unit_id)",
        """CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            unit_id TEXT NOT NULL REFERENCES units(id),
            host_id TEXT REFERENCES hosts(id),
            kind TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'acknowledged', 'resolved')),
            requirement_id TEXT,
            detail TEXT NOT NULL DEFAULT '{}',
            serious INTEGER NOT NULL DEFAULT 0,
            opened_at REAL NOT NULL,
            acknowledged_at REAL,
            acknowledged_by TEXT,
            resolved_at REAL,
            notice_due_at REAL,
            report_due_at REAL
        )""",
        # No duplicate while open: one live incident per fingerprint.
        "CREATE UNIQUE INDEX incidents_live ON incidents(fingerprint) WHERE status != 'resolved'",
        "CREATE INDEX incidents_unit ON incidents(unit_id, status)",
        """CREATE TABLE incident_events (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            at REAL NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER REFERENCES incidents(id),
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            payload TEXT NOT NULL,
            dedup_key TEXT NOT NULL UNIQUE,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            delivered_at REAL,
            last_error TEXT
        )""",
        "CREATE INDEX outbox_due ON outbox(delivered_at, next_attempt_at)",
        """CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            unit_id TEXT NOT NULL REFERENCES units(id),
            ip TEXT NOT NULL,
            mac TEXT,
            vendor TEXT,
            hostname TEXT,
            type_guess TEXT,
            host_id TEXT REFERENCES hosts(id),
            open_ports TEXT NOT NULL DEFAULT '[]',
            observation TEXT NOT NULL DEFAULT '{}',
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL,
            UNIQUE (unit_id, ip, mac)
        )""",
        "CREATE INDEX devices_unit ON devices(unit_id, last_seen)",
        "ALTER TABLE unit_scores ADD COLUMN kpis TEXT NOT NULL DEFAULT '{}'",
    ),
    # 4: what a unit declares about itself (zones, approved lists, baselines) for the checks, and
    # each host's KPI counts so a unit's KPIs add up without re-reading every finding
    (
        "ALTER TABLE units ADD COLUMN profile TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE hosts ADD COLUMN kpis TEXT NOT NULL DEFAULT '{}'",
    ),
    # 5: each host's stored section hashes (section → [status, hash]), so ingest of a report
    # that changes nothing reads one hosts row instead of the facts table; host listings by name
    # walk an index instead of sorting every host of the units
    (
        "DROP INDEX hosts_unit",
        "CREATE INDEX hosts_unit_name ON hosts(unit_id, hostname)",
        "CREATE INDEX hosts_name_unit ON hosts(hostname, unit_id)",
        "ALTER TABLE hosts ADD COLUMN fact_hashes TEXT NOT NULL DEFAULT '{}'",
        "UPDATE hosts SET fact_hashes = (SELECT json_group_object(section, json_array(status, "
        "hash)) FROM facts WHERE facts.host_id = hosts.id) "
        "WHERE EXISTS (SELECT 1 FROM facts WHERE facts.host_id = hosts.id)",
    ),
    # 6: the receipt of each host's newest report moves to its hosts row (resends are answered
    # from there), and the reports table becomes an append-only log in arrival order: keyed by
    # (host, seq), every report was an insert at a random place of a b-tree that only grows
    # (20-45 µs of CPU a report in bench/ingest.py, more as the table grew)
    (
        "ALTER TABLE hosts ADD COLUMN last_sha256 TEXT",
        "ALTER TABLE hosts ADD COLUMN last_signed_at INTEGER NOT NULL DEFAULT 0",
        "UPDATE hosts SET (last_sha256, last_signed_at) = (SELECT body_sha256, signed_at "
        "FROM reports WHERE reports.host_id = hosts.id AND reports.seq = hosts.last_seq) "
        "WHERE EXISTS (SELECT 1 FROM reports WHERE reports.host_id = hosts.id "
        "AND reports.seq = hosts.last_seq)",
        """CREATE TABLE report_log (
            id INTEGER PRIMARY KEY,
            host_id TEXT NOT NULL REFERENCES hosts(id),
            seq INTEGER NOT NULL,
            body_sha256 TEXT NOT NULL,
            signed_at INTEGER NOT NULL,
            received_at REAL NOT NULL,
            kind TEXT NOT NULL
        )""",
        "INSERT INTO report_log (host_id, seq, body_sha256, signed_at, received_at, kind) "
        "SELECT host_id, seq, body_sha256, signed_at, received_at, kind FROM reports "
        "ORDER BY received_at, seq",
        "DROP TABLE reports",
        "ALTER TABLE report_log RENAME TO reports",
        "CREATE INDEX reports_received ON reports(received_at)",
    ),
    # 7: a report that changes nothing no longer rewrites its hosts row; the newest receipts
    # wait in memory and are copied in bulk (collector/store/receipts.py). receipt_id: the log
    # row a hosts row reflects; receipt_mark: the log id up to which every row is reflected.
    (
        "ALTER TABLE hosts ADD COLUMN receipt_id INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE receipt_mark (only INTEGER PRIMARY KEY CHECK (only = 1), "
        "log_id INTEGER NOT NULL)",
        "INSERT INTO receipt_mark VALUES (1, (SELECT coalesce(max(id), 0) FROM reports))",
        "UPDATE hosts SET receipt_id = (SELECT log_id FROM receipt_mark)",
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
