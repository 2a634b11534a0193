"""Facts and change events turned into what a page shows: labelled values and small tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 200
MAX_COLUMNS = 8


@dataclass
class Block:
    """A section's facts: scalar fields, then one table per list of records."""

    scalars: list[tuple[str, str]] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[str]], int]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 200 else text[:199] + "…"
    return str(value)


def _flatten(prefix: str, value: Mapping[str, Any], block: Block) -> None:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            _flatten(f"{name}.", item, block)
        elif isinstance(item, list) and item and all(isinstance(x, Mapping) for x in item):
            columns: list[str] = []
            for record in item[:MAX_ROWS]:
                columns.extend(str(k) for k in record if str(k) not in columns)
            columns = columns[:MAX_COLUMNS]
            rows = [[_text(record.get(c)) for c in columns] for record in item[:MAX_ROWS]]
            block.tables.append((name, columns, rows, len(item)))
        else:
            block.scalars.append((name, _text(item)))


def fact_block(data: bytes | str | None) -> Block:
    """A section's stored JSON as a block (an unreadable blob shows as empty)."""
    block = Block()
    if not data:
        return block
    try:
        value = json.loads(data)
    except ValueError:
        return block
    if isinstance(value, Mapping):
        _flatten("", value, block)
    return block


def event_summary(detail_json: str) -> list[str]:
    """A change event's detail as short lines: added, removed, changed items and fields."""
    try:
        detail = json.loads(detail_json or "{}")
    except ValueError:
        return []
    if not isinstance(detail, Mapping):
        return []
    lines: list[str] = []
    for item in detail.get("added", [])[:20]:
        lines.append(f"+ {item}")
    for item in detail.get("removed", [])[:20]:
        lines.append(f"− {item}")
    changed = detail.get("changed", {})
    if isinstance(changed, Mapping):
        for key, fields in list(changed.items())[:20]:
            lines.append(f"~ {key}: {_fields(fields)}")
    fields = detail.get("fields")
    if isinstance(fields, Mapping) and fields:
        lines.append(_fields(fields))
    if "error" in detail:
        lines.append(str(detail["error"]))
    return lines


def _fields(fields: Any) -> str:
    if not isinstance(fields, Mapping):
        return _text(fields)
    parts = []
    for name, pair in list(fields.items())[:10]:
        if isinstance(pair, list) and len(pair) == 2:
            parts.append(f"{name}: {_text(pair[0])} → {_text(pair[1])}")
        else:
            parts.append(f"{name}: {_text(pair)}")
    return "; ".join(parts)


def evidence_text(evidence_json: str) -> list[str]:
    """A finding's evidence as "fact = value seen" lines."""
    try:
        items = json.loads(evidence_json or "[]")
    except ValueError:
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            out.append(f"{item.get('fact')} = {_text(item.get('value'))}")
    return out
