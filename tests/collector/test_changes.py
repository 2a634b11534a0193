"""Change events: what was added, removed or changed in a section."""

from __future__ import annotations

import msgspec

from collector.changes import diff


def _enc(value: object) -> bytes:
    return msgspec.json.encode(value)


def test_ports_opened_and_closed() -> None:
    """A new listener is 'added', a gone one 'removed'."""
    old = {"listening": [{"proto": "tcp", "port": 22, "address": "0.0.0.0"}]}
    new = {"listening": [{"proto": "tcp", "port": 23, "address": "0.0.0.0"}]}
    assert diff("ports", _enc(old), _enc(new)) == {
        "added": ["tcp/23 0.0.0.0"],
        "removed": ["tcp/22 0.0.0.0"],
    }


def test_antivirus_turned_off() -> None:
    """A product whose fields change is listed with old and new values."""
    old = {"products": [{"product": "BKAV Pro", "enabled": True, "realtime": True}]}
    new = {"products": [{"product": "BKAV Pro", "enabled": True, "realtime": False}]}
    assert diff("antivirus", _enc(old), _enc(new)) == {
        "changed": {"BKAV Pro": {"realtime": [True, False]}}
    }


def test_scalar_section_fields() -> None:
    """Scalar sections report changed fields; lists inside are not expanded."""
    old = {"hostname": "pc-1", "os_version": "12", "disks": []}
    new = {"hostname": "pc-1", "os_version": "13", "disks": [{"device": "sda"}]}
    assert diff("system", _enc(old), _enc(new)) == {"fields": {"os_version": ["12", "13"]}}
