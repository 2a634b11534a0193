"""Fuzzing: every API route (schemathesis from the OpenAPI spec) and the signed ingest path
(hypothesis). No input may cause a 500 or a hang, and a refused report changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canh.contract import signing
from tests.collector.conftest import World

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def admin_world(world: World) -> Iterator[World]:
    world.client.headers.update(world.login("admin"))
    yield world


def test_no_route_answers_500(admin_world: World) -> None:
    """Any request the OpenAPI schema allows (and many it does not) gets a non-5xx answer."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", admin_world.client.app)
    headers = dict(admin_world.client.headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    # Logging out ends the admin session the other operations use: fuzz it last.
    operations.sort(key=lambda op: op.path == "/api/v1/auth/logout")

    for operation in operations:

        @given(case=operation.as_strategy())
        @FUZZ
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, f"{case.method} {case.path}: {response.text}"
            # The admin token is applied: authentication never fails, so the fuzzing reaches
            # the routes' own validation and logic.
            assert (
                response.status_code != 401
                or case.path.startswith("/api/v1/auth")
                or case.path in ("/api/v1/enroll", "/api/v1/reports")
            ), response.text

        call()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=30,
)


def _snapshot(world: World) -> tuple[object, ...]:
    store = world.svc.store
    return (
        store.query("SELECT id, last_seq, last_seen FROM hosts ORDER BY id"),
        store.query("SELECT count(*) AS n FROM facts"),
        store.query("SELECT count(*) AS n FROM events"),
        store.query("SELECT count(*) AS n FROM reports"),
    )


@given(
    body=st.one_of(
        st.binary(max_size=2000),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {
                "schema_version": st.just(1),
                "agent_id": st.text(max_size=30),
                "seq": st.integers(),
                "kind": st.sampled_from(["full", "delta", "x"]),
                "sections": JSON_VALUES,
            }
        ).map(lambda v: json.dumps(v).encode()),
    )
)
@FUZZ
def test_signed_garbage_is_refused_without_writes(world: World, body: bytes) -> None:
    """Correctly signed but malformed reports get 4xx and the store does not change."""
    host_id = world.hosts["bvdk"]
    before = _snapshot(world)
    headers = signing.sign(world.keys[host_id], host_id, "POST", "/api/v1/reports", 7, body)
    response = world.client.post("/api/v1/reports", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]["reason"]
    assert _snapshot(world) == before


def test_deeply_nested_and_oversized(world: World, tmp_path: Path) -> None:
    """Deep nesting is 422, over-cap bodies are 413 before the body is parsed."""
    host_id = world.hosts["bvdk"]
    key = world.keys[host_id]
    for body, status in (
        (b"[" * 50000 + b"]" * 50000, 422),
        (b"{" + b" " * (2 * 1024 * 1024 + 10) + b"}", 413),
    ):
        headers = signing.sign(key, host_id, "POST", "/api/v1/reports", 9, body)
        assert (
            world.client.post("/api/v1/reports", content=body, headers=headers).status_code
            == status
        )
