"""Whole gatherers against a host whose every file and command answers garbage."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.host import CommandResult, FactError
from agent.sections import SOURCES, SectionSource
from tests.agent.fuzzing import JSON, TEXT, valid


class GarbageHost:
    """A machine whose files and commands return drawn values (or nothing, or failure)."""

    def __init__(self, os_family: str, data: st.DataObject) -> None:
        self.os_family = os_family
        self.data = data

    def read_text(self, path: str) -> str | None:
        return self.data.draw(st.none() | TEXT)

    def run(self, argv: list[str], timeout: float = 20.0) -> CommandResult:
        if self.data.draw(st.booleans()):
            raise FactError(f"{argv[0]} is not installed")
        if self.os_family == "windows":
            out = json.dumps(
                self.data.draw(st.dictionaries(st.text(max_size=15), JSON, max_size=6))
            )
        else:
            out = self.data.draw(TEXT)
        return CommandResult(self.data.draw(st.sampled_from([0, 1, 100])), out, "")


@pytest.mark.parametrize("os_family", ["linux", "windows"])
@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_gatherer_on_a_garbage_host(
    source: SectionSource, os_family: str, data: st.DataObject
) -> None:
    """Valid facts or a FactError: never another exception, never an invalid value."""
    gatherer = source.gatherer(os_family)
    assert gatherer is not None
    try:
        facts = gatherer(GarbageHost(os_family, data))
    except FactError:
        return
    assert isinstance(facts, msgspec.Struct)
    valid(facts)
