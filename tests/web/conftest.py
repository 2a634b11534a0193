"""An in-process collector on a real SQLite file, seeded with a department (tests/web/seed.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.app import create_app
from collector.serve import init
from collector.services import Services
from tests.web.seed import PASSWORD, Seeded, seed_all


@dataclass
class Site:
    """The seeded app, its services and what was seeded."""

    client: TestClient
    svc: Services
    seeded: Seeded

    def token(self, username: str) -> dict[str, str]:
        """Bearer headers for a user."""
        response = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"authorization": f"Bearer {response.json()['token']}"}

    def browser(self, username: str) -> TestClient:
        """The client signed in through the login form (session and CSRF cookies)."""
        self.client.cookies.clear()
        self.client.get("/")
        csrf = self.client.cookies.get("canh_csrf")
        response = self.client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": csrf},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return self.client


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings, _ = init(tmp_path / "c", admin_password=PASSWORD)
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        svc: Services = app.state.services
        seeded = seed_all(svc.store, svc.knowledge, per_unit=12)
        yield Site(client, svc, seeded)
