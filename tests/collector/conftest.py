"""An in-process collector app on a real SQLite file, with a unit tree, users and hosts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from collector.app import create_app
from collector.serve import init
from collector.services import Services

PASSWORD = "a-long-test-password-1"


@dataclass
class World:
    """The seeded collector: units syt ⊃ bvdk ⊃ tram1, syt ⊃ bv2; a host in each leaf."""

    client: TestClient
    svc: Services
    hosts: dict[str, str]  # unit id -> host id
    keys: dict[str, Ed25519PrivateKey]  # host id -> key

    def login(self, username: str) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings, _ = init(tmp_path / "c", admin_password=PASSWORD)
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        svc: Services = app.state.services
        store = svc.store
        store.create_unit("Sở Y tế", None, "vn-2026", 2, "test", unit_id="syt")
        store.create_unit("Bệnh viện Đa khoa", "syt", "vn-2026", 2, "test", unit_id="bvdk")
        store.create_unit("Trạm y tế xã", "bvdk", "vn-2026", 2, "test", unit_id="tram1")
        store.create_unit("Bệnh viện 2", "syt", "vn-2026", 2, "test", unit_id="bv2")
        store.create_user("it-bvdk", PASSWORD, "unit_it", "bvdk", "test")
        store.create_user("it-bv2", PASSWORD, "unit_it", "bv2", "test")
        store.create_user("auditor", PASSWORD, "auditor", None, "test")
        hosts: dict[str, str] = {}
        keys: dict[str, Ed25519PrivateKey] = {}
        for unit in ("bvdk", "tram1", "bv2"):
            _tid, token, _ = store.create_token(unit, 1, 3600, "test")
            key = Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            host_id, _u, _n = store.writer.call(
                store.enroll_job(token, raw, f"pc-{unit}", "linux", f"hw-{unit}", "agent")
            )
            hosts[unit] = host_id
            keys[host_id] = key
        yield World(client, svc, hosts, keys)
