"""docs/METRICS.md documents every metric /metrics really exports, and nothing more."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.alerts.conftest import World
from tests.alerts.metrics_names import exported, seeded_metrics

DOC = Path(__file__).parents[2] / "docs" / "METRICS.md"
# Values that change between two scrapes by themselves (timings, ages).
MOVING = {"canh_scrape_duration_seconds", "canh_outbox_oldest_pending_seconds"}


def test_every_exported_metric_is_documented(world: World) -> None:
    """Each family in a real scrape has a row in docs/METRICS.md with its type."""
    text = seeded_metrics(world)
    families = exported(text)
    assert len(families) >= 25
    doc = DOC.read_text()
    rows = dict(re.findall(r"^\| `(canh_[a-z_]+)` \| (\w+) \|", doc, re.MULTILINE))
    missing = sorted(set(families) - set(rows))
    assert missing == [], f"undocumented metrics: {missing}"
    assert {name: rows[name] for name in families} == families
    assert sorted(set(rows) - set(families)) == [], "documented but not exported"


def test_scrape_parses_and_stays_small_per_host(world: World) -> None:
    """The exposition parses, and each host has at most 20 series."""
    text = seeded_metrics(world)
    per_host: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if "host" in sample.labels:
                per_host[sample.labels["host"]] = per_host.get(sample.labels["host"], 0) + 1
    assert per_host and max(per_host.values()) <= 20
    assert 'canh_unit_antivirus_coverage_ratio{unit="bvdk"} 0.0' in text
    assert 'canh_unit_unmanaged_devices{unit="bvdk"} 2.0' in text


def test_fast_exposition_matches_prometheus_client(world: World) -> None:
    """The lean encoder says exactly what prometheus_client's generate_latest says."""
    from prometheus_client import generate_latest

    from collector.metrics import exposition, make_registry

    seeded_metrics(world)
    registry = make_registry(world.svc)

    def parsed(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
        return {
            (s.name, tuple(sorted(s.labels.items())), s.value)
            for f in text_string_to_metric_families(text)
            if f.name not in MOVING
            for s in f.samples
        }

    ours = exposition(registry).decode()
    theirs = generate_latest(registry).decode()
    assert parsed(ours) == parsed(theirs)
    header = [line for line in ours.splitlines() if line.startswith("# ")]
    assert header == [line for line in theirs.splitlines() if line.startswith("# ")]
