"""/healthz, /readyz and /metrics answer every method in JSON: 405 with Allow, OPTIONS, HEAD."""

import pytest
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
