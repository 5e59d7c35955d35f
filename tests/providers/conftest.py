"""Shared fixtures for provider tests: a strict `responses` mock and no real sleeping."""

import pytest
import responses


@pytest.fixture
def mocked():
    """Every registered URL must be called, and nothing unregistered may be."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """Retries record their waits here instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr("models_api.outbound.http.sleep", waits.append)
    return waits
