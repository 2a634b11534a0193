"""Everything a request handler may use, built once per process by ``create_app``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from collector.evaluate import Knowledge, ancestors, score_unit_row
from collector.ingest import IngestStats, PendingUnits
from collector.settings import CollectorSettings
from collector.store import Store
from collector.tls import TlsFiles


@dataclass
class Services:
    """The collector's parts, passed explicitly (no globals)."""

    settings: CollectorSettings
    store: Store
    knowledge: Knowledge
    ca_pem: str = ""
    stats: IngestStats = field(default_factory=IngestStats)
    pending: PendingUnits = field(default_factory=PendingUnits)


def build_services(settings: CollectorSettings) -> Services:
    """Open the store and load the knowledge; the writer rescored dirty units after each batch."""
    knowledge = Knowledge()
    knowledge.validate()
    pending = PendingUnits()

    def after_batch(conn: sqlite3.Connection) -> None:
        units: set[str] = set()
        for unit_id in pending.ids:
            units.update(ancestors(conn, unit_id))
        pending.ids.clear()
        for unit_id in units:
            score_unit_row(conn, knowledge, unit_id)

    store = Store(settings.db_path, settings.batch_max, after_batch)
    ca_pem = TlsFiles(settings.path / "tls").ca_cert.read_text()
    return Services(
        settings=settings, store=store, knowledge=knowledge, pending=pending, ca_pem=ca_pem
    )
