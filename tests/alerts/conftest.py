"""The seeded in-process collector of tests/collector, shared with the alert tests."""

from tests.collector.conftest import World, world

__all__ = ["World", "world"]
