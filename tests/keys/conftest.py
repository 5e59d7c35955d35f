"""Fixtures for the keys tests: a clean cache, since key snapshots and counters live there."""

import pytest
from django.conf import settings
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _clear_cache():
    # Primary keys repeat across rolled-back tests, so per-key counters must not leak.
    for alias in settings.CACHES:
        caches[alias].clear()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()
