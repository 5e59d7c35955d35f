"""Fixtures shared by the test modules."""

import pytest
import responses
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@pytest.fixture
def in_process_wsgi():
    """Calls into the WSGI app keep the test's database connection, as Django's test client does.

    The handler's request signals close "old" connections, which on PostgreSQL would close
    the one holding the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def usage_written_at_once(monkeypatch):
    """Usage records are written in the calling thread, inside the test's transaction
    (the recorder's own thread would use a connection that cannot see it)."""
    import os

    from models_api.usage import recorder

    monkeypatch.setattr(recorder, "_recorder", recorder.Recorder(synchronous=True))
    monkeypatch.setattr(recorder, "_recorder_pid", os.getpid())


@pytest.fixture
def mocked():
    """A strict `responses` mock: every registered URL must be called, nothing else may be."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sleeps(monkeypatch):
    """Retries record their waits here instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr("models_api.outbound.http.sleep", waits.append)
    return waits
