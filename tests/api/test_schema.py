"""The OpenAPI schema, and a schemathesis run against the gateway's WSGI app in-process."""

import re

import pytest
import responses
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway_project.wsgi import application
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPENAI_LIST = {
    "object": "list",
    "data": [{"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}],
}


def _upstream(request):
    """Every provider call: OpenAI's list and models answer, every other one refuses the key.

    Only the gateway is under test here, so no call leaves the process and none is a 5xx.
    """
    if request.url.startswith("https://api.openai.com/v1/models"):
        if request.url.split("?")[0].endswith("/v1/models"):
            return 200, {}, responses.json_module.dumps(OPENAI_LIST)
        return 200, {}, responses.json_module.dumps(OPENAI_LIST["data"][0])
    return 401, {}, '{"error": {"message": "Invalid API key.", "type": "auth"}}'


@pytest.fixture
def gateway_key():
    """A key that sees a small catalog, so list and retrieve also answer 200."""
    virtual_key = VirtualKeyFactory(slug="fuzz", provider="openai")
    CatalogEntryFactory(virtual_key=virtual_key, model_id="gpt-4o")
    return make_api_key()[1]


@pytest.fixture
def fake_providers():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_callback(responses.GET, re.compile(r".*"), callback=_upstream)
        mocked.add_callback(responses.POST, re.compile(r".*"), callback=_upstream)
        yield mocked


@pytest.fixture
def api_schema(in_process_wsgi):
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, gateway_key, fake_providers):
    # identity: the in-process WSGI client does not undo GZipMiddleware's compression.
    headers = {"x-portkey-api-key": gateway_key, "accept-encoding": "identity"}
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_schema_describes_the_api(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/v1/models",
        "/v1/models/{model_id}",
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/embeddings",
    }
    listing = document["paths"]["/v1/models"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"x-portkey-provider", "x-portkey-virtual-key", "x-portkey-config"} <= names
    assert {"provider", "limit", "offset", "sort", "order", "search"} <= names
    for status in ("400", "401", "403", "404", "429", "502", "504"):
        content = listing["responses"][status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}
    assert set(document["components"]["securitySchemes"]) == {"gatewayKey", "gatewayBearer"}


@pytest.mark.parametrize(
    ("path", "request_schema", "answer", "streams"),
    [
        ("/v1/chat/completions", "ChatRequest", "ChatCompletion", True),
        ("/v1/completions", "CompletionRequest", "Completion", True),
        ("/v1/embeddings", "EmbeddingRequest", "EmbeddingList", False),
    ],
)
def test_schema_describes_the_call_routes(client, path, request_schema, answer, streams):
    document = client.get("/v1/openapi.json").json()
    operation = document["paths"][path]["post"]
    assert set(document["paths"][path]) == {"post"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{request_schema}"}
    assert "model" in document["components"]["schemas"][request_schema]["required"]
    ok = operation["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": f"#/components/schemas/{answer}"}
    assert ("text/event-stream" in ok) is streams
    for status in ("400", "401", "403", "404", "405", "413", "429", "502", "504"):
        content = operation["responses"][status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "x-portkey-virtual-key" in {p["name"] for p in operation["parameters"]}


def test_schema_needs_no_key_and_ignores_a_bad_one(client):
    response = client.get("/v1/openapi.json", headers={"x-portkey-api-key": "gwk_nope"})
    assert response.status_code == 200
