"""The RBAC matrix: each role can do exactly what it may; everything else is 403 or 404,
including guessed ids of other units' hosts."""

from __future__ import annotations

import pytest

from tests.collector.conftest import World

ROLES = ("admin", "it-bvdk", "auditor")
VISIBLE = {
    "admin": {"syt", "bvdk", "tram1", "bv2"},
    "it-bvdk": {"bvdk", "tram1"},
    "auditor": {"syt", "bvdk", "tram1", "bv2"},
}


@pytest.mark.parametrize("user", ROLES)
def test_reads_are_scoped(world: World, user: str) -> None:
    """Units, hosts, facts, findings and exports are visible only inside the user's subtree."""
    headers = world.login(user)
    units = {u["id"] for u in world.client.get("/api/v1/units", headers=headers).json()}
    assert units == VISIBLE[user]
    listed = {h["unit_id"] for h in world.client.get("/api/v1/hosts", headers=headers).json()}
    assert listed == VISIBLE[user] - {"syt"}
    for unit, host in world.hosts.items():
        expected = 200 if unit in VISIBLE[user] else 404
        for suffix in ("", "/facts", "/findings", "/events"):
            assert (
                world.client.get(f"/api/v1/hosts/{host}{suffix}", headers=headers).status_code
                == expected
            )
        assert (
            world.client.get(f"/api/v1/units/{unit}/export?format=csv", headers=headers).status_code
            == expected
        )
        assert (
            world.client.get(f"/api/v1/hosts?unit={unit}", headers=headers).status_code == expected
        )
    assert world.client.get("/api/v1/hosts/h_doesnotexist00", headers=headers).status_code == 404


# (user, method, path template, body, expected status)
WRITES = [
    ("admin", "post", "/api/v1/units", {"name": "Mới", "parent_id": "syt"}, 201),
    ("it-bvdk", "post", "/api/v1/units", {"name": "Mới", "parent_id": "bvdk"}, 403),
    ("auditor", "post", "/api/v1/units", {"name": "Mới"}, 403),
    ("admin", "patch", "/api/v1/units/bv2", {"subnets": ["198.51.100.0/24"]}, 200),
    ("it-bvdk", "patch", "/api/v1/units/tram1", {"subnets": ["198.51.100.0/24"]}, 200),
    ("it-bvdk", "patch", "/api/v1/units/bv2", {"subnets": ["198.51.100.0/24"]}, 404),
    ("it-bvdk", "patch", "/api/v1/units/bvdk", {"pack": "vn-legacy"}, 403),
    ("auditor", "patch", "/api/v1/units/bvdk", {"subnets": []}, 403),
    ("admin", "post", "/api/v1/units/bv2/tokens", {"uses": 2}, 201),
    ("it-bvdk", "post", "/api/v1/units/tram1/tokens", {"uses": 2}, 201),
    ("it-bvdk", "post", "/api/v1/units/bv2/tokens", {"uses": 2}, 404),
    ("auditor", "post", "/api/v1/units/bvdk/tokens", {"uses": 2}, 403),
    ("it-bvdk", "post", "/api/v1/hosts/{tram1}/decommission", None, 204),
    ("it-bvdk", "post", "/api/v1/hosts/{bv2}/revoke", None, 404),
    ("auditor", "post", "/api/v1/hosts/{bvdk}/revoke", None, 403),
    ("admin", "post", "/api/v1/hosts/{bv2}/allow-reenroll", {"hours": 2}, 204),
    ("admin", "get", "/api/v1/users", None, 200),
    ("it-bvdk", "get", "/api/v1/users", None, 403),
    ("auditor", "get", "/api/v1/users", None, 403),
    (
        "it-bvdk",
        "post",
        "/api/v1/users",
        {"username": "newadmin", "password": "long-enough-pass", "role": "admin"},
        403,
    ),
    ("admin", "get", "/api/v1/audit", None, 200),
    ("auditor", "get", "/api/v1/audit", None, 200),
    ("it-bvdk", "get", "/api/v1/audit", None, 403),
]


@pytest.mark.parametrize(("user", "method", "path", "body", "expected"), WRITES)
def test_write_matrix(
    world: World, user: str, method: str, path: str, body: object, expected: int
) -> None:
    """Administrative actions by role; refused ones change nothing and successful ones are
    audited."""
    headers = world.login(user)
    path = path.format(**world.hosts)
    audit_before = len(world.svc.store.audit_log(1000, 0))
    response = world.client.request(method.upper(), path, json=body, headers=headers)
    assert response.status_code == expected, response.text
    audit_after = len(world.svc.store.audit_log(1000, 0))
    if expected >= 400:
        assert audit_after == audit_before
        assert response.json()["detail"]["reason"]
    elif method != "get":
        assert audit_after == audit_before + 1


def test_unauthenticated_is_401(world: World) -> None:
    """No token, no data."""
    for path in ("/api/v1/units", "/api/v1/hosts", f"/api/v1/hosts/{world.hosts['bvdk']}"):
        assert world.client.get(path).status_code == 401


def test_login_lockout(world: World) -> None:
    """Five wrong passwords lock the account for 15 minutes, even for the right password."""
    for _ in range(5):
        bad = world.client.post(
            "/api/v1/auth/login", json={"username": "it-bv2", "password": "wrong-password!"}
        )
        assert bad.status_code == 401
    locked = world.client.post(
        "/api/v1/auth/login", json={"username": "it-bv2", "password": "a-long-test-password-1"}
    )
    assert locked.status_code == 429


def test_reenroll_keeps_history_only_when_allowed(world: World) -> None:
    """Same hardware identity: a new host unless an administrator allowed the reinstall."""
    store = world.svc.store
    old = world.hosts["bv2"]
    _tid, token, _ = store.create_token("bv2", 2, 3600, "test")
    first, _u, _n = store.writer.call(
        store.enroll_job(token, b"k" * 32, "pc-bv2", "linux", "hw-bv2", "agent")
    )
    assert first != old
    store.allow_reenroll(old, 1, "test")
    second, _u, _n = store.writer.call(
        store.enroll_job(token, b"j" * 32, "pc-bv2", "linux", "hw-bv2", "agent")
    )
    assert second == old
