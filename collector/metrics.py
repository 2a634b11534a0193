"""/metrics: a custom collector that reads the store at scrape time (DESIGN.md §3.4).

Registered on a registry the app factory creates, never on the global one. Per-unit series carry
the unit id; per-host series are a handful only. docs/METRICS.md lists every name (a test checks).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from collector.services import Services


class StoreCollector(Collector):
    """Yields canh's metrics from the store on each scrape."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
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
        for row in store.query(
            "SELECT s.unit_id, s.score, s.level_met, s.requirements FROM unit_scores s "
            "JOIN (SELECT unit_id, max(day) AS day FROM unit_scores GROUP BY unit_id) m "
            "ON m.unit_id = s.unit_id AND m.day = s.day"
        ):
            score.add_metric([row["unit_id"]], row["score"] / 100.0)
            met.add_metric([row["unit_id"]], float(row["level_met"]))
            for item in json.loads(row["requirements"]):
                req.add_metric([row["unit_id"], item["id"]], item["value"])
        yield from (score, met, req)

        hosts = GaugeMetricFamily(
            "canh_unit_hosts", "Active hosts by state", labels=["unit", "state"]
        )
        silent_after = self.svc.settings.silent_after_seconds
        for row in store.query(
            "SELECT unit_id, sum(last_seen >= ?) AS online, sum(last_seen IS NULL OR last_seen < ?)"
            " AS silent FROM hosts WHERE status = 'active' GROUP BY unit_id",
            (time.time() - silent_after, time.time() - silent_after),
        ):
            hosts.add_metric([row["unit_id"], "online"], row["online"] or 0)
            hosts.add_metric([row["unit_id"], "silent"], row["silent"] or 0)
        yield hosts

        last_seen = GaugeMetricFamily(
            "canh_host_last_seen_timestamp_seconds",
            "When the host last reported",
            labels=["unit", "host"],
        )
        failing = GaugeMetricFamily(
            "canh_host_failing_checks", "Failing checks on the host", labels=["unit", "host"]
        )
        for row in store.query(
            "SELECT id, unit_id, last_seen, failing_checks FROM hosts "
            "WHERE status = 'active' AND last_seen IS NOT NULL"
        ):
            last_seen.add_metric([row["unit_id"], row["id"]], row["last_seen"])
            failing.add_metric([row["unit_id"], row["id"]], row["failing_checks"])
        yield from (last_seen, failing)

        stats = self.svc.stats
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
        yield GaugeMetricFamily(
            "canh_writer_queue_depth", "Write jobs waiting", value=store.writer.depth()
        )
        yield GaugeMetricFamily(
            "canh_scrape_duration_seconds",
            "Time to build this scrape",
            value=time.perf_counter() - started,
        )


def make_registry(svc: Services) -> CollectorRegistry:
    """The app's own registry with canh's collector on it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(svc))
    return registry
