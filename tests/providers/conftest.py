"""Provider tests never sleep between retries (the `sleeps` fixture of tests/conftest.py)."""

import pytest


@pytest.fixture(autouse=True)
def _no_sleeping(sleeps):
    return sleeps
