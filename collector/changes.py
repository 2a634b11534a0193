"""What changed in a section between two reports, as an event detail people can read.

Lists are compared by identity (a listener by proto/address/port, a package by name/source/arch,
an antivirus product by name); scalar sections report the fields that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

MAX_ITEMS = 200  # an event lists at most this many added/removed items

Key = Callable[[dict[str, Any]], str]
LIST_SECTIONS: dict[str, tuple[str, Key]] = {
    "ports": ("listening", lambda x: f"{x.get('proto')}/{x.get('port')} {x.get('address')}"),
    "software": ("packages", lambda x: f"{x.get('name')} ({x.get('source')}, {x.get('arch')})"),
    "antivirus": ("products", lambda x: str(x.get("product"))),
}


def _load(data: bytes | None) -> dict[str, Any]:
    if not data:
        return {}
    value = msgspec.json.decode(data)
    return value if isinstance(value, dict) else {}


def diff(section: str, old: bytes | None, new: bytes | None) -> dict[str, Any]:
    """The change from ``old`` to ``new`` facts of a section."""
    before, after = _load(old), _load(new)
    if section in LIST_SECTIONS:
        field, key = LIST_SECTIONS[section]
        old_items = {key(x): x for x in before.get(field, []) if isinstance(x, dict)}
        new_items = {key(x): x for x in after.get(field, []) if isinstance(x, dict)}
        added = sorted(set(new_items) - set(old_items))
        removed = sorted(set(old_items) - set(new_items))
        changed = sorted(k for k in set(old_items) & set(new_items) if old_items[k] != new_items[k])
        out: dict[str, Any] = {}
        if added:
            out["added"] = added[:MAX_ITEMS]
        if removed:
            out["removed"] = removed[:MAX_ITEMS]
        if changed:
            out["changed"] = {k: _fields(old_items[k], new_items[k]) for k in changed[:MAX_ITEMS]}
        return out
    return {"fields": _fields(before, after)} if before else {}


def _fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Scalar fields whose value changed: name → [old, new]."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name) and not isinstance(after.get(name), list | dict)
    }
