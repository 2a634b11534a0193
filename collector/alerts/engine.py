"""Runs the rules: after every ingest batch (inside the single writer) and on a timer.

The after-batch hook judges the hosts whose facts changed and the units whose score moved; the
timer (:class:`AlertWatch`, like ``collector/maintenance.py``) judges what changes with time
alone — silent agents, forged-report counters, the day's score, devices that became managed — and
sweeps every host once an hour, because a pending update becomes overdue without a new report.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from collector.alerts import incidents
from collector.alerts.kinds import Pair
from collector.alerts.posture import SECTIONS, Limits, decode_view
from collector.alerts.rules import (
    HOST_KINDS,
    SCORE_KINDS,
    DayScore,
    HostState,
    attack_alerts,
    device_alert,
    host_alerts,
    score_alerts,
    silent_alerts,
    utc,
)
from collector.evaluate import Knowledge, ancestors
from collector.ingest import BatchChanges
from collector.settings import CollectorSettings

if TYPE_CHECKING:
    from collector.ingest import IngestStats
    from collector.store import Store

log = logging.getLogger("canh.collector.alerts")
SWEEP_SECONDS = 3600  # every host re-judged hourly: patch age grows without a new report
SWEEP_PAGE = 500  # hosts per write job, so a sweep never holds the writer for long


class DeliveryStats:
    """Delivery outcomes by channel, for ``canh_alert_deliveries_total`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, channel: str, outcome: str, n: int = 1) -> None:
        with self._lock:
            self._counts[(channel, outcome)] = self._counts.get((channel, outcome), 0) + n

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)


class Alerting:
    """The collector's alerting: rules over the store, incidents, and what delivery needs."""

    def __init__(self, settings: CollectorSettings, knowledge: Knowledge) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.deliveries = DeliveryStats()
        self.wake = threading.Event()  # set when something waits in the outbox
        self._limits: dict[str, Limits] = {}
        self._titles: dict[tuple[str, str], Pair | None] = {}

    # --- pack data ---------------------------------------------------------------------------

    def limits(self, pack_id: str) -> Limits:
        """The numbers of a unit's pack (defaults when the pack cannot be loaded)."""
        if pack_id not in self._limits:
            try:
                values = self.knowledge.pack(pack_id).threshold_values()
            except (KeyError, ValueError, OSError):
                log.warning("pack %s not loadable; alert limits use defaults", pack_id)
                values = {}
            self._limits[pack_id] = Limits.from_thresholds(values)
        return self._limits[pack_id]

    def title(self, pack_id: str, requirement_id: str) -> Pair | None:
        """A requirement's title in the unit's pack."""
        key = (pack_id, requirement_id)
        if key not in self._titles:
            try:
                reqs = {r.id: r for r in self.knowledge.pack(pack_id).requirements}
            except (KeyError, ValueError, OSError):
                reqs = {}
            req = reqs.get(requirement_id)
            self._titles[key] = (req.title.vi, req.title.en) if req else None
        return self._titles[key]

    # --- after each batch --------------------------------------------------------------------

    def after_batch(self, conn: sqlite3.Connection, changes: BatchChanges) -> None:
        """The writer hook. Alerting never costs the batch: its own savepoint absorbs a failure."""
        conn.execute("SAVEPOINT alerts")
        try:
            moved = self.judge_batch(conn, changes, time.time())
        except Exception:
            log.exception("alert rules failed for a batch; the batch is kept")
            conn.execute("ROLLBACK TO alerts")
            conn.execute("RELEASE alerts")
            return
        conn.execute("RELEASE alerts")
        if moved:
            self.wake.set()

    def judge_batch(self, conn: sqlite3.Connection, changes: BatchChanges, now: float) -> int:
        """Judge the changed hosts and the units above them; returns incidents opened+resolved."""
        moved = sum(self.judge_host(conn, host_id, now) for host_id in sorted(changes.hosts))
        units: set[str] = set()
        for unit_id in changes.units:
            units.update(ancestors(conn, unit_id))
        return moved + sum(self.judge_score(conn, unit_id, now) for unit_id in sorted(units))

    def judge_host(self, conn: sqlite3.Connection, host_id: str, now: float) -> int:
        """One host's anti-malware, ports, patches and OS support."""
        row = conn.execute(
            "SELECT h.unit_id, h.role, h.status, u.pack FROM hosts h JOIN units u "
            "ON u.id = h.unit_id WHERE h.id = ?",
            (host_id,),
        ).fetchone()
        if row is None:
            return 0
        unit_id, role, status, pack_id = row
        if status != "active":  # a revoked or retired host has no live posture alerts
            return sum(incidents.sync(conn, HOST_KINDS, (), now, host_id=host_id))
        marks = ",".join("?" * len(SECTIONS))
        views = {
            section: decode_view(section, data)
            for section, data in conn.execute(
                f"SELECT section, data FROM facts WHERE host_id = ? AND status = 'ok' "  # noqa: S608 - placeholders only
                f"AND section IN ({marks})",
                (host_id, *SECTIONS),
            )
        }
        state = HostState(
            host_id,
            unit_id,
            role,
            antivirus=views.get("antivirus"),
            patches=views.get("patches"),
            ports=views.get("ports"),
        )
        alerts, judged = host_alerts(state, self.limits(pack_id), utc(now))
        return sum(
            incidents.sync(
                conn,
                judged,
                alerts,
                now,
                host_id=host_id,
                titles=self.title,
                limits_of=self.limits,
            )
        )

    def judge_score(self, conn: sqlite3.Connection, unit_id: str, now: float) -> int:
        """The unit's latest stored score against the threshold and the day before."""
        rows = conn.execute(
            "SELECT day, score, hosts FROM unit_scores WHERE unit_id = ? ORDER BY day DESC LIMIT 2",
            (unit_id,),
        ).fetchall()
        today = DayScore(*rows[0]) if rows else None
        previous = DayScore(*rows[1]) if len(rows) > 1 else None
        alerts = score_alerts(
            unit_id,
            today,
            previous,
            self.settings.alert_score_below,
            self.settings.alert_score_drop_points,
        )
        return sum(
            incidents.sync(
                conn,
                SCORE_KINDS,
                alerts,
                now,
                unit_id=unit_id,
                titles=self.title,
                limits_of=self.limits,
            )
        )

    # --- on the timer ------------------------------------------------------------------------

    def tick(
        self, conn: sqlite3.Connection, attempts: Mapping[str, Sequence[float]], now: float
    ) -> int:
        """Silent agents, forged-report counters, every unit's score, managed devices."""
        settings = self.settings
        hosts = conn.execute(
            "SELECT id, unit_id, last_seen, enrolled_at FROM hosts WHERE status = 'active'"
        ).fetchall()
        after = settings.silent_after_seconds + settings.silent_grace_seconds
        moved = sum(
            incidents.sync(
                conn,
                {"agent_silent"},
                silent_alerts(hosts, now, after),
                now,
                titles=self.title,
                limits_of=self.limits,
            )
        )
        units = {h[0]: h[1] for h in hosts}
        attacks = attack_alerts(
            attempts, units, now, settings.attack_window_seconds, settings.attack_attempts
        )
        moved += sum(
            incidents.sync(
                conn,
                {"attack_attempts"},
                attacks,
                now,
                titles=self.title,
                limits_of=self.limits,
            )
        )
        for (unit_id,) in conn.execute("SELECT id FROM units").fetchall():
            moved += self.judge_score(conn, unit_id, now)
        # A revoked or retired host reports no more: its posture incidents end here.
        for (host_id,) in conn.execute(
            "SELECT DISTINCT i.host_id FROM incidents i JOIN hosts h ON h.id = i.host_id "
            "WHERE i.status != 'resolved' AND h.status != 'active'"
        ).fetchall():
            moved += self.judge_host(conn, host_id, now)
        return moved + self._managed_devices(conn, now)

    def _managed_devices(self, conn: sqlite3.Connection, now: float) -> int:
        """Resolve unmanaged-device incidents of devices that an enrolled host now accounts for."""
        live = incidents.live(conn, {"unmanaged_device"})
        if not live:
            return 0
        resolved = 0
        cur = conn.execute(
            "SELECT unit_id, ip, mac FROM devices WHERE host_id IS NOT NULL",
        )
        for unit_id, ip, mac in cur.fetchall():
            fingerprint = device_alert(unit_id, {"ip": ip, "mac": mac}).fingerprint
            if fingerprint in live and incidents.resolve_incident(
                conn, live[fingerprint], now, "device is managed now"
            ):
                resolved += 1
        return resolved

    def sweep_page(self, conn: sqlite3.Connection, after_id: str, now: float) -> tuple[str, int]:
        """Re-judge the next page of active hosts; returns (last id, incidents moved)."""
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM hosts WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?",
                (after_id, SWEEP_PAGE),
            )
        ]
        moved = sum(self.judge_host(conn, host_id, now) for host_id in ids)
        return (ids[-1] if ids else ""), moved


class AlertWatch:
    """A daemon thread that runs :meth:`Alerting.tick` every ``interval`` seconds."""

    def __init__(
        self, alerting: Alerting, store: Store, stats: IngestStats, interval: float
    ) -> None:
        self.alerting = alerting
        self.store = store
        self.stats = stats
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = time.time()  # ingest judged every host recently enough at start

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="canh-alert-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_once(self, now: float | None = None, sweep: bool = False) -> int:
        """One tick (and an hourly sweep of every host); returns incidents opened + resolved."""
        when = time.time() if now is None else now
        # A copy: the event loop appends to these deques while the writer reads them.
        attempts: dict[str, Any] = {k: list(v) for k, v in list(self.stats.suspicious.items())}
        moved = self.store.writer.call(lambda conn: self.alerting.tick(conn, attempts, when))
        if sweep or when - self._last_sweep >= SWEEP_SECONDS:
            self._last_sweep = when
            cursor = ""
            while True:
                cursor, page = self.store.writer.call(
                    lambda conn, c=cursor: self.alerting.sweep_page(conn, c, when)  # type: ignore[misc]
                )
                moved += page
                if not cursor:
                    break
        if moved:
            self.alerting.wake.set()
        return moved

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                log.exception("alert timer failed; will retry")
