"""The store behind a narrow interface (SQLite now; PostgreSQL can implement the same)."""

from collector.store.sqlite import HostAuth, Store

__all__ = ["HostAuth", "Store"]
