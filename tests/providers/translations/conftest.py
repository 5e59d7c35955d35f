"""Translations under test make ids and timestamps: fixed here, so answers compare exactly."""

import itertools

import pytest


@pytest.fixture(autouse=True)
def fixed_ids(monkeypatch):
    numbers = itertools.count(1)
    monkeypatch.setattr(
        "models_api.providers.openai_shapes.new_id", lambda prefix: f"{prefix}gen{next(numbers)}"
    )
    monkeypatch.setattr("models_api.providers.openai_shapes.now", lambda: 1760000000)
