"""A unit's daily score rows as time series: score, A/N/D sub-scores, hosts and the KPIs.

A day without a row keeps the previous day's values (a unit is rescored only when something
changed), exactly as ``Store.unit_score(unit, day)`` answers "the score on that day".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from collector.store import Store

Series = list[tuple[str, float | None]]
# Shown first, in this order; other numeric KPIs follow by name.
CORE_KEYS = ("score", "A", "N", "D", "hosts")


def score_rows(store: Store, unit_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """Rows from the last one before ``start`` (the carried-in value) through ``end``."""
    before = store.one(
        "SELECT day, score, level_met, by_evidence, hosts, kpis FROM unit_scores "
        "WHERE unit_id = ? AND day < ? ORDER BY day DESC LIMIT 1",
        (unit_id, start.isoformat()),
    )
    rows = store.query(
        "SELECT day, score, level_met, by_evidence, hosts, kpis FROM unit_scores "
        "WHERE unit_id = ? AND day BETWEEN ? AND ? ORDER BY day",
        (unit_id, start.isoformat(), end.isoformat()),
    )
    return ([before] if before else []) + rows


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return _number(value.get("value"))
    return None


def values_of(row: Mapping[str, Any]) -> dict[str, float]:
    """The numbers of one score row: score, A/N/D, hosts and every numeric KPI."""
    out: dict[str, float] = {"score": float(row["score"]), "hosts": float(row["hosts"])}
    by_evidence = json.loads(row.get("by_evidence") or "{}")
    for cls in ("A", "N", "D"):
        if cls in by_evidence:
            out[cls] = float(by_evidence[cls])
    kpis = json.loads(row.get("kpis") or "{}")
    if isinstance(kpis, Mapping):
        for key, value in kpis.items():
            number = _number(value)
            if number is not None and str(key) not in CORE_KEYS:
                out[str(key)] = number
    return out


def series(rows: Iterable[Mapping[str, Any]], start: date, end: date) -> dict[str, Series]:
    """Each value as one point per day from ``start`` to ``end``, carried forward."""
    ordered = sorted(rows, key=lambda r: str(r["day"]))
    keys: list[str] = []
    parsed: list[tuple[str, dict[str, float]]] = []
    for row in ordered:
        values = values_of(row)
        parsed.append((str(row["day"]), values))
        keys.extend(k for k in values if k not in keys)
    keys = [k for k in CORE_KEYS if k in keys] + sorted(k for k in keys if k not in CORE_KEYS)
    out: dict[str, Series] = {k: [] for k in keys}
    current: dict[str, float] | None = None
    i = 0
    day = start
    while day <= end:
        iso = day.isoformat()
        while i < len(parsed) and parsed[i][0] <= iso:
            current = parsed[i][1]
            i += 1
        for key in keys:
            out[key].append((iso, current.get(key) if current is not None else None))
        day += timedelta(days=1)
    return out


def monthly(points: Series) -> Series:
    """The last value of each month (for tables)."""
    out: dict[str, float | None] = {}
    for iso, value in points:
        out[iso[:7]] = value if value is not None else out.get(iso[:7])
    return list(out.items())
