"""A collector data directory with a seeded store (no server): what ``canh report`` reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from collector.evaluate import Knowledge
from collector.serve import init
from collector.store import Store
from tests.web.seed import PASSWORD, Seeded, seed_all


@dataclass
class Data:
    """The data directory, its open store, the knowledge and what was seeded."""

    path: Path
    store: Store
    knowledge: Knowledge
    seeded: Seeded


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Data]:
    path = tmp_path_factory.mktemp("reports") / "c"
    settings, _ = init(path, admin_password=PASSWORD)
    store = Store(settings.db_path)
    store.start()
    knowledge = Knowledge()
    try:
        seeded = seed_all(store, knowledge, per_unit=12)
        yield Data(path, store, knowledge, seeded)
    finally:
        store.close()
