"""/v1/ requests take the API's short way through the middleware and DRF's negotiation."""

import pytest
from django.test import Client

from tests.api.test_views import assert_error
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return make_api_key()[1]


def test_api_answer_keeps_the_gateway_and_security_headers(client, key):
    response = client.get("/v1/models", headers={"x-portkey-api-key": key})
    assert response.status_code == 200
    body = response.json()
    assert (body["object"], body["data"]) == ("list", [])
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs
    assert float(response["x-gateway-processing-ms"]) >= 0
    assert len(response["x-portkey-trace-id"]) == 32
    assert int(response["Content-Length"]) == len(response.content)
    assert response["X-Frame-Options"] == "DENY"
    # The admin's middleware did not run: no session or CSRF cookie, no Vary: Cookie.
    assert not response.cookies
    assert "cookie" not in response.get("Vary", "").lower()


def test_api_errors_are_rendered_with_a_length(client):
    response = client.get("/v1/models")
    assert_error(response, 401, code="invalid_api_key")
    assert int(response["Content-Length"]) == len(response.content)
    assert response.resolver_match.url_name == "models-list"


def test_unknown_api_url_is_the_json_404(client):
    response = client.get("/v1/nothing-here")
    assert_error(response, 404, code="unknown_url")
    assert not response.cookies


def test_admin_keeps_its_middleware(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "csrftoken" in response.cookies


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, text/plain, */*", "text/html, */*;q=0.8"],
)
def test_what_sdks_curl_and_browsers_accept_gets_json(key, accept):
    headers = {"x-portkey-api-key": key}
    if accept is not None:
        headers["Accept"] = accept
    response = Client().get("/v1/models", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["object"] == "list"


def test_unacceptable_media_type_is_still_a_json_406(client, key):
    response = client.get("/v1/models", headers={"x-portkey-api-key": key, "Accept": "text/html"})
    assert_error(response, 406)


def test_schema_negotiation_is_drfs(client):
    """The schema view's first renderer is YAML: Accept: application/json must still get JSON."""
    as_json = client.get("/v1/openapi.json", headers={"Accept": "application/json"})
    assert as_json.status_code == 200
    assert as_json["Content-Type"].startswith("application/json")
    assert as_json.json()["openapi"].startswith("3.")
    anything = client.get("/v1/openapi.json", headers={"Accept": "*/*"})
    assert anything.status_code == 200
