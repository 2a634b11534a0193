"""Export of a unit's whole inventory: the data belongs to the unit (CONTEXT.md), so it leaves
whole — JSON with every fact and finding, or CSV with one row per host for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from typing import Any

from collector.store import Store

CSV_COLUMNS = (
    "host_id",
    "unit_id",
    "hostname",
    "os_family",
    "os_name",
    "role",
    "status",
    "last_seen",
    "failing_checks",
    "cpu_model",
    "memory_gib",
    "addresses",
    "macs",
    "antivirus",
    "listening_ports",
)


def _facts(store: Store, host_id: str) -> dict[str, Any]:
    return {
        r["section"]: {
            "status": r["status"],
            "collected_at": r["collected_at"],
            "error": r["error"],
            "data": json.loads(r["data"]) if r["data"] else None,
        }
        for r in store.facts(host_id)
    }


def export_json(store: Store, unit_ids: list[str]) -> Iterator[bytes]:
    """The units and every host with facts and findings, streamed as one JSON document."""
    units = [u for u in store.units() if u["id"] in set(unit_ids)]
    yield b'{"exported_at": ' + json.dumps(time.time()).encode()
    yield b', "units": ' + json.dumps(units, ensure_ascii=False).encode() + b', "hosts": ['
    first = True
    for offset in range(0, 10**9, 500):
        page = store.hosts(unit_ids, limit=500, offset=offset)
        for host in page:
            host["facts"] = _facts(store, host["id"])
            host["findings"] = [
                {**f, "evidence": json.loads(f["evidence"])} for f in store.findings(host["id"])
            ]
            yield (b"" if first else b", ") + json.dumps(host, ensure_ascii=False).encode()
            first = False
        if len(page) < 500:
            break
    yield b"]}\n"


def _data(facts: dict[str, Any], section: str) -> dict[str, Any]:
    entry = facts.get(section) or {}
    return entry.get("data") or {}


def csv_row(host: dict[str, Any], facts: dict[str, Any]) -> list[Any]:
    """One host as a spreadsheet row."""
    system, hardware = _data(facts, "system"), _data(facts, "hardware")
    interfaces = _data(facts, "network").get("interfaces", [])
    memory = hardware.get("memory_bytes")
    return [
        host["id"],
        host["unit_id"],
        host["hostname"],
        host["os_family"],
        system.get("os_name"),
        host["role"],
        host["status"],
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(host["last_seen"]))
        if host["last_seen"]
        else "",
        host["failing_checks"],
        hardware.get("cpu_model"),
        round(memory / 1024**3, 1) if memory else "",
        " ".join(
            a["address"]
            for i in interfaces
            if not i.get("loopback")
            for a in i.get("addresses", [])
        ),
        " ".join(i["mac"] for i in interfaces if i.get("mac")),
        "; ".join(p["product"] for p in _data(facts, "antivirus").get("products", [])),
        " ".join(
            f"{p['proto']}/{p['port']}"
            for p in _data(facts, "ports").get("listening", [])
            if p.get("scope") != "loopback"
        ),
    ]


def _safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text from hosts (CSV injection, OWASP)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(store: Store, unit_ids: list[str]) -> Iterator[bytes]:
    """One row per host, UTF-8 with BOM so spreadsheet programs show Vietnamese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for offset in range(0, 10**9, 500):
        page = store.hosts(unit_ids, limit=500, offset=offset)
        for host in page:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_safe_cell(v) for v in csv_row(host, _facts(store, host["id"]))])
            yield buffer.getvalue().encode()
        if len(page) < 500:
            break
