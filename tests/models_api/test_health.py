"""/healthz, /readyz and /metrics: JSON for every method (405 with Allow, OPTIONS, HEAD), and
/readyz checks the database and every cache store."""

import pytest
from django.core.cache import caches
from django.test import Client

pytestmark = pytest.mark.django_db
ENDPOINTS = ["/healthz", "/readyz", "/metrics"]


@pytest.fixture
def csrf_client():
    """A client that, like a browser or a probe, gets Django's CSRF check."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_method_is_a_json_405_with_allow(csrf_client, path, method):
    response = getattr(csrf_client, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert error["type"] == "invalid_request_error"
    assert path in error["message"] and method.upper() in error["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_options_names_the_methods(csrf_client, path):
    response = csrf_client.options(path)
    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""


@pytest.mark.parametrize("path", ENDPOINTS)
def test_head_is_get_without_its_body(client, path):
    got, head = client.get(path), client.head(path)
    assert (got.status_code, head.status_code) == (200, 200)
    assert got.content  # the test client, like the server, drops only HEAD's body
    assert head.content == b""
    assert head["Content-Type"] == got["Content-Type"]


def test_get_still_answers(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ok"
    assert b"gateway_requests_total" in client.get("/metrics").content


def test_readiness_checks_every_cache_store_by_name(client, settings):
    assert set(settings.CACHES) == {"default", "state", "ratelimit"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "caches": {"default": "ok", "state": "ok", "ratelimit": "ok"}},
    }


def broken(*args, **kwargs):
    raise ConnectionError("the store is down")


@pytest.mark.parametrize("alias", ["state", "ratelimit"])
def test_a_store_other_than_default_that_fails_is_not_ready(client, monkeypatch, alias):
    monkeypatch.setattr(caches[alias], "set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    found = response.json()["checks"]["caches"]
    assert found == {**{a: "ok" for a in ("default", "state", "ratelimit")}, alias: "unavailable"}


def test_a_store_that_loses_what_it_was_given_is_not_ready(client, monkeypatch):
    monkeypatch.setattr(caches["state"], "get", lambda *args, **kwargs: None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["caches"]["state"] == "unavailable"
    assert response.json()["checks"]["database"] == "ok"
