"""Grafana dashboards and Prometheus rules use only metrics the collector really exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.alerts.conftest import World
from tests.alerts.metrics_names import seeded_metrics, series_names

ROOT = Path(__file__).parents[2]
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
RULES = ROOT / "deploy" / "prometheus" / "rules" / "canh.rules.yml"
CANH_NAME = re.compile(r"\bcanh_[a-z0-9_]+")


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # rows may nest panels


def expressions(dashboard: dict[str, Any]) -> Iterator[str]:
    """Every PromQL expression of a dashboard: panel targets and template variables."""
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield variable["query"]["query"]


def rule_expressions() -> list[str]:
    """The expressions of deploy/prometheus/rules/canh.rules.yml."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_three_dashboards_with_provisioning() -> None:
    """Department overview, unit detail and host detail, loaded by a file provider."""
    uids = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert uids == {"canh-overview", "canh-unit", "canh-host"}
    provider = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/canh.yml").read_text())
    assert provider["apiVersion"] == 1 and provider["providers"][0]["type"] == "file"
    sources = yaml.safe_load(
        (ROOT / "dashboards/provisioning/datasources/canh-prometheus.yml").read_text()
    )
    assert sources["datasources"][0]["type"] == "prometheus"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_json_is_well_formed(path: Path) -> None:
    """Unique panel ids, a grid that fits 24 columns, a query per target, known variables."""
    dashboard = json.loads(path.read_text())
    assert dashboard["title"] and dashboard["schemaVersion"] >= 36
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    ids = [p["id"] for p in _panels(dashboard)]
    assert len(ids) == len(set(ids)) and ids
    for panel in _panels(dashboard):
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"]
            used = set(re.findall(r"\$([a-z_]+)", target["expr"])) - {"__rate_interval"}
            assert used <= variables, (panel["title"], used)


def test_queries_use_only_exported_metrics(world: World) -> None:
    """Every canh_* name in a panel, variable or alert rule is in a seeded collector's /metrics."""
    available = series_names(seeded_metrics(world))
    used: dict[str, set[str]] = {}
    for path in DASHBOARDS:
        for expr in expressions(json.loads(path.read_text())):
            for name in CANH_NAME.findall(expr):
                used.setdefault(name, set()).add(path.name)
    for expr in rule_expressions():
        for name in CANH_NAME.findall(expr):
            used.setdefault(name, set()).add(RULES.name)
    unknown = {name: sorted(where) for name, where in used.items() if name not in available}
    assert unknown == {}
    assert len(used) >= 15
