"""Fixtures for the keys tests: a clean cache, since key snapshots and counters live there."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # Primary keys repeat across rolled-back tests, so per-key counters must not leak.
    cache.clear()
    yield
    cache.clear()
