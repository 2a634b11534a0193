"""Everything a request handler may use, built once per process by ``create_app``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from collector.alerts import Alerting
from collector.evaluate import Knowledge, ancestors, score_unit_row
from collector.ingest import BatchChanges, IngestStats
from collector.settings import CollectorSettings
from collector.store import Store
from collector.tls import TlsFiles

AfterBatch = Callable[[sqlite3.Connection, BatchChanges], None]


@dataclass
class Services:
    """The collector's parts, passed explicitly (no globals)."""

    settings: CollectorSettings
    store: Store
    knowledge: Knowledge
    ca_pem: str = ""
    stats: IngestStats = field(default_factory=IngestStats)
    pending: BatchChanges = field(default_factory=BatchChanges)
    # Run inside the writer after every batch, in order, with what the batch changed.
    after_batch: list[AfterBatch] = field(default_factory=list)
    # Alert rules, incidents and delivery counters (collector/alerts/); None: alerting off.
    alerts: Alerting | None = None


def rescore(knowledge: Knowledge) -> AfterBatch:
    """The after-batch hook that rescored every unit (and its ancestors) a batch touched."""

    def hook(conn: sqlite3.Connection, changes: BatchChanges) -> None:
        units: set[str] = set()
        for unit_id in changes.units:
            units.update(ancestors(conn, unit_id))
        for unit_id in units:
            score_unit_row(conn, knowledge, unit_id)

    return hook


def build_services(settings: CollectorSettings) -> Services:
    """Open the store and load the knowledge; after each batch the hooks run in order."""
    knowledge = Knowledge()
    knowledge.validate()
    pending = BatchChanges()
    hooks: list[AfterBatch] = [rescore(knowledge)]
    alerting = Alerting(settings, knowledge)
    hooks.append(alerting.after_batch)  # after rescoring: score alerts read the new scores

    def after_batch(conn: sqlite3.Connection) -> None:
        try:
            for hook in hooks:
                hook(conn, pending)
        finally:
            pending.clear()

    store = Store(
        settings.db_path,
        settings.batch_max,
        after_batch,
        lambda: bool(pending.units or pending.hosts or pending.changes),
    )
    ca_pem = TlsFiles(settings.path / "tls").ca_cert.read_text()
    return Services(
        settings=settings,
        store=store,
        knowledge=knowledge,
        pending=pending,
        ca_pem=ca_pem,
        after_batch=hooks,
        alerts=alerting,
    )
