"""Fixtures for tests/scale: gated `scale` marker, migrated templates, shared stacks."""

import os

import psycopg
import pytest
import redis

from tests.scale import stack

SKIP_REASON = "scale-out test: set RUN_SCALE=1 (needs PostgreSQL and Redis on 127.0.0.1)"


def pytest_collection_modifyitems(config, items):
    # An environment variable, not an option: pytest_addoption is only honoured in conftests
    # loaded at start-up, and `pytest` from the root does not load this one early.
    if os.environ.get("RUN_SCALE") == "1":
        return
    for item in items:
        if item.get_closest_marker("scale"):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return stack.sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def sqlite_stack(sqlite_template, tmp_path):
    with stack.sqlite_stack(sqlite_template, tmp_path) as shared:
        yield shared


@pytest.fixture(scope="session")
def postgres_template():
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
        with stack.postgres_template() as name:
            yield name
    except (psycopg.OperationalError, redis.ConnectionError) as exc:
        # Opted in but the services are missing: a failure, so CI cannot pass by skipping.
        pytest.fail(f"RUN_SCALE=1 needs PostgreSQL and Redis on 127.0.0.1: {exc}")


@pytest.fixture
def postgres_stack(postgres_template, tmp_path):
    with stack.postgres_stack(postgres_template, tmp_path) as shared:
        yield shared
