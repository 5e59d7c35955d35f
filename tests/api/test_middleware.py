"""/v1/ requests pass by the admin console's middleware; Django's handler and DRF run whole."""

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from models_api.api import middleware
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
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "_messages")


def test_api_errors_are_rendered_with_a_length(client):
    response = client.get("/v1/models")
    assert_error(response, 401, code="invalid_api_key")
    assert int(response["Content-Length"]) == len(response.content)
    assert response.resolver_match.url_name == "models-list"


def test_unknown_api_url_is_the_json_404(client):
    response = client.get("/v1/nothing-here")
    assert_error(response, 404, code="unknown_url")
    assert not response.cookies


class Recording:
    """A middleware after the console's: sees each view Django's handler is about to call."""

    views: list[str] = []

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        Recording.views.append(view_func.view_class.__name__)


def test_later_middleware_and_view_hooks_still_see_api_requests(settings, key):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.Recording"]
    Recording.views = []
    client = Client()  # builds its middleware chain from the settings above
    assert client.get("/v1/models", headers={"x-portkey-api-key": key}).status_code == 200
    response = client.get("/v1/models/gpt-4o", headers={"x-portkey-api-key": key})
    assert_error(response, 404, code="model_not_found")
    assert Recording.views == ["ModelListView", "ModelRetrieveView"]


def test_the_wrapped_console_middleware_are_still_djangos():
    """The admin's system checks (admin.E408-E410) look for these classes or subclasses."""
    assert issubclass(middleware.SessionMiddleware, SessionMiddleware)
    assert issubclass(middleware.AuthenticationMiddleware, AuthenticationMiddleware)
    assert issubclass(middleware.MessageMiddleware, MessageMiddleware)


def test_a_middleware_with_view_hooks_is_not_wrapped():
    with pytest.raises(ImproperlyConfigured, match="view hooks"):
        middleware.console_only("django.middleware.csrf.CsrfViewMiddleware")


def test_admin_keeps_its_middleware(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "csrftoken" in response.cookies
    assert response.wsgi_request.user.is_anonymous  # AuthenticationMiddleware ran
    assert response.wsgi_request.session.session_key is None  # and SessionMiddleware


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
