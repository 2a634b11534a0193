"""/metrics: a custom collector that reads the store at scrape time (DESIGN.md §3.4).

Registered on a registry the app factory creates, never on the global one. Per-unit series carry
the unit id; per-host series are a handful only (six at most: info, last seen, failing checks,
antivirus ok, pending security updates, risky ports). docs/METRICS.md lists every name (a test
checks). KPIs come from ``unit_scores.kpis`` as scoring stored them; a KPI not stored yet is
simply absent, never guessed.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.samples import Sample

from canh import __version__
from collector.alerts.posture import (
    AntivirusView,
    Limits,
    PatchView,
    PortsView,
    antivirus_ok,
    decode_view,
    risky_listeners,
)
from collector.ingest import LATENCY_BUCKETS
from collector.services import Services

POSTURE_SECTIONS = ("antivirus", "patches", "ports")
Posture = tuple[float | None, int | None, int | None]

# metric name → (KPI key in unit_scores.kpis, "ratio" or "count", help)
KPI_METRICS: tuple[tuple[str, str, str, str], ...] = (
    (
        "canh_unit_antivirus_coverage_ratio",
        "av_protected",
        "ratio",
        "Share of the unit's hosts with anti-malware installed, running in real time and fresh",
    ),
    (
        "canh_unit_patch_compliance_ratio",
        "patch_compliant",
        "ratio",
        "Share of the unit's hosts whose patching is within the pack's limits",
    ),
    (
        "canh_unit_unsupported_os_hosts",
        "unsupported_os",
        "count",
        "Hosts of the unit running an operating system out of support",
    ),
    (
        "canh_unit_risky_ports_hosts",
        "risky_ports",
        "count",
        "Hosts of the unit with a risky port listening beyond loopback",
    ),
    (
        "canh_unit_unmanaged_devices",
        "unmanaged_devices",
        "count",
        "Devices discovery saw on the unit's network with no enrolled host",
    ),
)


def kpi_value(kpis: dict[str, Any], key: str, kind: str) -> float | None:
    """A KPI as scoring stored it: ``{"count", "of"[, "ratio"]}`` or a bare number."""
    value = kpis.get(key)
    if isinstance(value, dict):
        count, of = value.get("count"), value.get("of")
        if kind == "count":
            return float(count) if isinstance(count, int | float) else None
        ratio = value.get("ratio")
        if isinstance(ratio, int | float):
            return float(ratio)
        if isinstance(count, int | float) and isinstance(of, int | float) and of > 0:
            return float(count) / float(of)
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


class StoreCollector(Collector):
    """Yields canh's metrics from the store on each scrape."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        # host → (pack and section hashes, posture): facts are decoded again only when they
        # changed, so a scrape of 10,000 hosts stays within its second (DESIGN.md §6).
        self._cache: dict[str, tuple[tuple[str | None, ...], Posture]] = {}
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        yield from self._units()
        yield from self._hosts()
        yield from self._incidents()
        yield from self._health()
        yield GaugeMetricFamily(
            "canh_scrape_duration_seconds",
            "Time to build this scrape",
            value=time.perf_counter() - started,
        )

    def _units(self) -> Iterator[Metric]:
        store = self.svc.store
        score = GaugeMetricFamily(
            "canh_unit_score_ratio", "Unit level score, 0..1", labels=["unit"]
        )
        met = GaugeMetricFamily(
            "canh_unit_level_met", "1 when every mandatory requirement is met", labels=["unit"]
        )
        req = GaugeMetricFamily(
            "canh_unit_requirement_ratio",
            "Share of a requirement met in the unit, 0..1",
            labels=["unit", "requirement"],
        )
        req_met = GaugeMetricFamily(
            "canh_unit_requirement_met",
            "1 when the requirement's status in the unit is met",
            labels=["unit", "requirement"],
        )
        kpi_families = [
            (GaugeMetricFamily(name, doc, labels=["unit"]), key, kind)
            for name, key, kind, doc in KPI_METRICS
        ]
        for row in store.query(
            "SELECT s.unit_id, s.score, s.level_met, s.requirements, s.kpis FROM unit_scores s "
            "JOIN (SELECT unit_id, max(day) AS day FROM unit_scores GROUP BY unit_id) m "
            "ON m.unit_id = s.unit_id AND m.day = s.day"
        ):
            unit = row["unit_id"]
            score.add_metric([unit], row["score"] / 100.0)
            met.add_metric([unit], float(row["level_met"]))
            for item in json.loads(row["requirements"]):
                req.add_metric([unit, item["id"]], item["value"])
                req_met.add_metric([unit, item["id"]], float(item.get("status") == "met"))
            kpis = json.loads(row["kpis"] or "{}")
            for family, key, kind in kpi_families:
                value = kpi_value(kpis if isinstance(kpis, dict) else {}, key, kind)
                if value is not None:
                    family.add_metric([unit], value)
        yield from (score, met, req, req_met)
        yield from (family for family, _key, _kind in kpi_families)

        hosts = GaugeMetricFamily(
            "canh_unit_hosts", "Active hosts by state", labels=["unit", "state"]
        )
        cutoff = time.time() - self.svc.settings.silent_after_seconds
        for row in store.query(
            "SELECT unit_id, sum(last_seen >= ?) AS online, sum(last_seen IS NULL OR last_seen < ?)"
            " AS silent FROM hosts WHERE status = 'active' GROUP BY unit_id",
            (cutoff, cutoff),
        ):
            hosts.add_metric([row["unit_id"], "online"], row["online"] or 0)
            hosts.add_metric([row["unit_id"], "silent"], row["silent"] or 0)
        yield hosts

    def _hosts(self) -> Iterator[Metric]:
        labels = ["unit", "host"]
        info = GaugeMetricFamily(
            "canh_host_info",
            "Always 1; names the host (hostname, OS family, role)",
            labels=[*labels, "hostname", "os", "role"],
        )
        last_seen = GaugeMetricFamily(
            "canh_host_last_seen_timestamp_seconds", "When the host last reported", labels=labels
        )
        failing = GaugeMetricFamily(
            "canh_host_failing_checks", "Failing checks on the host", labels=labels
        )
        av_ok = GaugeMetricFamily(
            "canh_host_antivirus_ok",
            "1 when anti-malware runs in real time with fresh signatures; absent when unknown",
            labels=labels,
        )
        pending = GaugeMetricFamily(
            "canh_host_pending_security_updates",
            "Security updates waiting to be installed; absent when unknown",
            labels=labels,
        )
        risky = GaugeMetricFamily(
            "canh_host_risky_ports",
            "Risky ports (the pack's external_forbidden_ports) listening beyond loopback",
            labels=labels,
        )
        # Raw cursors: at 10,000 hosts, building a dict per row costs a third of the budget.
        db = self.svc.store.readers.db()
        hashes: dict[str, dict[str, str]] = {}
        for host_id, section, digest in db.execute(
            "SELECT host_id, section, hash FROM facts WHERE status = 'ok' "
            "AND section IN ('antivirus', 'patches', 'ports')"
        ):
            hashes.setdefault(host_id, {})[section] = digest
        rows = db.execute(
            "SELECT h.id, h.unit_id, h.hostname, h.os_family, h.role, h.last_seen, "
            "h.failing_checks, u.pack FROM hosts h JOIN units u ON u.id = h.unit_id "
            "WHERE h.status = 'active' AND h.last_seen IS NOT NULL"
        ).fetchall()
        with self._lock:
            postures = self._postures(db, rows, hashes)
        # Samples are appended directly with one shared label dict per host: add_metric would
        # build five equal dicts, and ``exposition`` renders a shared dict once.
        for host_id, unit, hostname, os_family, role, seen, failing_checks, _pack in rows:
            key = {"unit": unit, "host": host_id}
            info.add_metric([unit, host_id, hostname, os_family, role or ""], 1.0)
            last_seen.samples.append(Sample(last_seen.name, key, seen))
            failing.samples.append(Sample(failing.name, key, failing_checks))
            ok, updates, risky_count = postures[host_id]
            if ok is not None:
                av_ok.samples.append(Sample(av_ok.name, key, ok))
            if updates is not None:
                pending.samples.append(Sample(pending.name, key, updates))
            if risky_count is not None:
                risky.samples.append(Sample(risky.name, key, risky_count))
        yield from (info, last_seen, failing, av_ok, pending, risky)

    def _postures(
        self, db: Any, rows: list[Any], hashes: dict[str, dict[str, str]]
    ) -> dict[str, Posture]:
        """Each active host's posture, from the cache or from its (changed) facts."""
        keys = {
            row[0]: (row[7], *(hashes.get(row[0], {}).get(s) for s in POSTURE_SECTIONS))
            for row in rows
        }
        stale = [h for h, key in keys.items() if self._cache.get(h, ((),))[0] != key]
        views: dict[str, dict[str, Any]] = {}
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for host_id, section, data in db.execute(
                f"SELECT host_id, section, data FROM facts WHERE status = 'ok' "  # noqa: S608 - placeholders only
                f"AND section IN ('antivirus', 'patches', 'ports') AND host_id IN ({marks})",
                chunk,
            ):
                views.setdefault(host_id, {})[section] = decode_view(section, data)
        alerting = self.svc.alerts
        for host_id in stale:
            pack = keys[host_id][0]
            limits = alerting.limits(pack) if alerting else Limits()
            self._cache[host_id] = (keys[host_id], posture(views.get(host_id, {}), limits))
        for host_id in set(self._cache) - set(keys):
            del self._cache[host_id]
        return {h: self._cache[h][1] for h in keys}

    def _incidents(self) -> Iterator[Metric]:
        store = self.svc.store
        live = GaugeMetricFamily(
            "canh_unit_incidents",
            "Open or acknowledged incidents by severity",
            labels=["unit", "severity"],
        )
        for row in store.query(
            "SELECT unit_id, severity, count(*) AS n FROM incidents WHERE status != 'resolved' "
            "GROUP BY unit_id, severity"
        ):
            live.add_metric([row["unit_id"], row["severity"]], row["n"])
        counts: dict[tuple[str, str, str], int] = {}
        now = time.time()
        for row in store.query(
            "SELECT i.unit_id, i.notice_due_at, i.report_due_at, "
            "EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id "
            "AND e.action = 'notice_filed') AS notice_filed, "
            "EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id "
            "AND e.action = 'report_filed') AS report_filed "
            "FROM incidents i WHERE i.serious = 1"
        ):
            for deadline in ("notice", "report"):
                if not row[f"{deadline}_filed"]:
                    state = "overdue" if now > (row[f"{deadline}_due_at"] or now) else "due"
                    key = (row["unit_id"], deadline, state)
                    counts[key] = counts.get(key, 0) + 1
        deadlines = GaugeMetricFamily(
            "canh_unit_incident_deadlines",
            "Serious incidents whose legal notice (24 h) or report (72 h) is not filed yet, "
            "by whether the deadline has passed",
            labels=["unit", "deadline", "state"],
        )
        for key, n in sorted(counts.items()):
            deadlines.add_metric(list(key), n)
        yield from (live, deadlines)

    def _health(self) -> Iterator[Metric]:
        store = self.svc.store
        stats = self.svc.stats
        yield _info(__version__)
        accepted = CounterMetricFamily(
            "canh_ingest_reports", "Reports committed", labels=["outcome"]
        )
        accepted.add_metric(["accepted"], stats.accepted)
        accepted.add_metric(["duplicate"], stats.duplicates)
        yield accepted
        rejected = CounterMetricFamily(
            "canh_ingest_rejected", "Requests refused, by reason", labels=["reason"]
        )
        for reason, count in sorted(stats.rejected.items()):
            rejected.add_metric([reason], count)
        yield rejected
        cumulative, buckets = 0, []
        for bound, count in zip(LATENCY_BUCKETS, stats.latency_buckets, strict=False):
            cumulative += count
            buckets.append((repr(float(bound)), float(cumulative)))
        buckets.append(("+Inf", float(stats.latency_count)))
        yield HistogramMetricFamily(
            "canh_ingest_latency_seconds",
            "Time from request to committed acknowledgement of accepted reports",
            buckets=buckets,
            sum_value=stats.latency_sum,
        )
        yield GaugeMetricFamily(
            "canh_writer_queue_depth", "Write jobs waiting", value=store.writer.depth()
        )
        yield CounterMetricFamily(
            "canh_writer_batches", "Write transactions committed", value=store.writer.batches
        )
        yield CounterMetricFamily(
            "canh_writer_failed_commits",
            "Write transactions that could not commit (disk full, I/O error)",
            value=store.writer.failed_commits,
        )
        pending = GaugeMetricFamily(
            "canh_outbox_pending",
            "Alert deliveries waiting (route: not yet expanded to recipients)",
            labels=["channel"],
        )
        for row in store.query(
            "SELECT channel, count(*) AS n FROM outbox WHERE delivered_at IS NULL GROUP BY channel"
        ):
            pending.add_metric([row["channel"]], row["n"])
        yield pending
        oldest = store.one(
            "SELECT min(CASE WHEN o.dedup_key LIKE '%|resolved%' THEN i.resolved_at "
            "ELSE i.opened_at END) AS t FROM outbox o JOIN incidents i ON i.id = o.incident_id "
            "WHERE o.delivered_at IS NULL"
        )
        since = oldest["t"] if oldest and oldest["t"] is not None else None
        yield GaugeMetricFamily(
            "canh_outbox_oldest_pending_seconds",
            "Age of the oldest undelivered alert transition (0 when none waits)",
            value=max(0.0, time.time() - since) if since is not None else 0.0,
        )
        deliveries = CounterMetricFamily(
            "canh_alert_deliveries",
            "Alert delivery attempts by channel and outcome",
            labels=["channel", "outcome"],
        )
        if self.svc.alerts is not None:
            for (channel, outcome), count in sorted(self.svc.alerts.deliveries.snapshot().items()):
                deliveries.add_metric([channel, outcome], count)
        yield deliveries


def _info(version: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "canh_build_info", "Always 1; the collector's version", labels=["version"]
    )
    family.add_metric([version], 1.0)
    return family


def posture(facts: dict[str, Any], limits: Limits) -> Posture:
    """(antivirus ok, pending security updates, risky ports) of a host; None: unknown."""
    av: AntivirusView | None = facts.get("antivirus")
    ok = antivirus_ok(av, limits.av_signature_max_age_days) if av is not None else None
    patches: PatchView | None = facts.get("patches")
    ports: PortsView | None = facts.get("ports")
    return (
        None if ok is None else float(ok),
        patches.pending_security if patches is not None else None,
        len(risky_listeners(ports, limits.risky_ports)) if ports is not None else None,
    )


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus text format 0.0.4.

    prometheus_client's ``generate_latest`` re-validates and re-escapes every label name of every
    sample (tens of microseconds each); at 10,000 hosts that alone exceeds the one-second budget.
    Label names here are fixed identifiers, so only values are escaped, and only when needed."""
    out: list[str] = []
    # id of a label dict → (the dict, "{...}"); holding the dict keeps its id from being reused
    rendered: dict[int, tuple[dict[str, str], str]] = {}
    for family in registry.collect():
        name = family.name + "_total" if family.type == "counter" else family.name
        doc = family.documentation.replace("\\", "\\\\").replace("\n", "\\n")
        out.append(f"# HELP {name} {doc}\n# TYPE {name} {family.type}\n")
        for sample in family.samples:
            labels = sample.labels
            if labels:
                seen = rendered.get(id(labels))
                if seen is None:
                    pairs = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
                    seen = rendered[id(labels)] = (labels, "{" + pairs + "}")
                text = seen[1]
                out.append(f"{sample.name}{text} {_number(sample.value)}\n")
            else:
                out.append(f"{sample.name} {_number(sample.value)}\n")
    return "".join(out).encode()


def _escape(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return value


def _number(value: float) -> str:
    """Go's float formatting, as Prometheus writes it (``1.0``, ``+Inf``, ``NaN``)."""
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if number in (math.inf, -math.inf):
        return "+Inf" if number > 0 else "-Inf"
    return repr(number)


def make_registry(svc: Services) -> CollectorRegistry:
    """The app's own registry with canh's collector on it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(svc))
    return registry
