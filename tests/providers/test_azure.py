"""Azure OpenAI: resource URL, api-version, api-key or Entra bearer, mapping, retrieve."""

from types import MappingProxyType

import pytest
from responses import matchers

from models_api.errors import InvalidRequest, NotFound, UpstreamError
from models_api.providers import get_client, validate_target_options
from models_api.providers.base import Target
from tests.providers.fixtures import AZURE_LIST

URL = "https://contoso.openai.azure.com/openai/models"
client = get_client("azure-openai")


def _target(base_url="", **options):
    options = {"azure_resource": "contoso", **options}
    return Target("azure-openai", "azure-KEY-0123", base_url, MappingProxyType(options))


def test_lists_with_the_default_api_version_and_api_key(mocked):
    match = matchers.query_param_matcher({"api-version": "2024-10-21"})
    mocked.get(URL, match=[match], json=AZURE_LIST)
    gpt, embedding = client.list_models(_target()).models
    headers = mocked.calls[0].request.headers
    assert headers["api-key"] == "azure-KEY-0123"
    assert "Authorization" not in headers
    assert gpt.as_dict() == {
        "id": "gpt-4o-2024-08-06",
        "object": "model",
        "created": 1722902400,
        "owned_by": "azure-openai",
        "capabilities": ["inference", "chat_completion"],
    }
    assert embedding.capabilities == ("inference", "embeddings")


def test_api_version_and_entra_bearer_from_options(mocked):
    match = matchers.query_param_matcher({"api-version": "2024-06-01"})
    mocked.get(URL, match=[match], json=AZURE_LIST)
    client.list_models(_target(api_version="2024-06-01", azure_auth="bearer"))
    headers = mocked.calls[0].request.headers
    assert headers["Authorization"] == "Bearer azure-KEY-0123"
    assert "api-key" not in headers


def test_a_base_url_replaces_the_resource(mocked):
    mocked.get("https://eastus.api.cognitive.microsoft.com/openai/models", json=AZURE_LIST)
    target = Target("azure-openai", "k-0123", "https://eastus.api.cognitive.microsoft.com/")
    assert len(client.list_models(target).models) == 2


def test_the_callers_api_version_is_refused(mocked):
    with pytest.raises(InvalidRequest) as caught:
        client.list_models(_target(), {"api-version": "2022-12-01"})
    assert caught.value.param == "api-version"


@pytest.mark.parametrize(
    "options", [{}, {"azure_resource": "evil.example.com/x"}, {"azure_resource": "a#b"}]
)
def test_an_unusable_resource_is_refused_before_any_call(mocked, options):
    target = Target("azure-openai", "k-0123", "", MappingProxyType(options))
    with pytest.raises(InvalidRequest, match="azure_resource"):
        client.list_models(target)
    assert len(mocked.calls) == 0


def test_wrong_endpoint_keeps_azures_404(mocked):
    mocked.get(URL, status=404, json={"error": {"code": "404", "message": "Resource not found"}})
    with pytest.raises(UpstreamError) as caught:
        client.list_models(_target())
    assert caught.value.status == 404
    assert caught.value.message.endswith("Resource not found")


def test_retrieve(mocked):
    url = URL + "/gpt-4o-2024-08-06"
    match = matchers.query_param_matcher({"api-version": "2024-10-21"})
    mocked.get(url, match=[match], json=AZURE_LIST["data"][0])
    assert client.retrieve_model(_target(), "gpt-4o-2024-08-06").created == 1722902400


def test_retrieve_unknown_is_not_found(mocked):
    mocked.get(URL + "/nope", status=404, json={"error": {"code": "404", "message": "nope"}})
    with pytest.raises(NotFound):
        client.retrieve_model(_target(), "nope")


def test_options_are_validated():
    assert validate_target_options("azure-openai", {"azure_resource": "contoso"}) == []
    assert validate_target_options("azure-openai", {}, base_url="https://x.example") == []
    assert validate_target_options(
        "azure-openai", {"azure_resource": "contoso", "api_version": "latest", "azure_auth": "x"}
    ) == [
        "api_version 'latest' is not an Azure API version (YYYY-MM-DD).",
        "azure_auth must be one of api-key, bearer.",
    ]


@pytest.mark.parametrize(
    ("capability", "path"),
    [
        ("chat", "/chat/completions"),
        ("completions", "/completions"),
        ("embeddings", "/embeddings"),
    ],
)
def test_calls_go_to_the_deployment_with_the_api_version(capability, path):
    endpoint = client.endpoint(_target(), capability, "gpt-4o-prod", stream=True)
    assert endpoint.url == f"https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod{path}"
    assert endpoint.params == {"api-version": "2024-10-21"}
    assert endpoint.headers == {"api-key": "azure-KEY-0123"}
    assert endpoint.translated is False  # OpenAI's shape; the deployment names the model


def test_a_call_with_the_version_and_bearer_options():
    target = _target(api_version="2025-01-01-preview", azure_auth="bearer")
    endpoint = client.endpoint(target, "chat", "gpt-4o-prod")
    assert endpoint.params == {"api-version": "2025-01-01-preview"}
    assert endpoint.headers == {"Authorization": "Bearer azure-KEY-0123"}


def test_a_call_through_a_base_url_encodes_the_deployment():
    target = Target("azure-openai", "k-0123", "https://eastus.api.cognitive.microsoft.com/")
    endpoint = client.endpoint(target, "embeddings", "my embed/v2")
    assert endpoint.url == (
        "https://eastus.api.cognitive.microsoft.com/openai/deployments/my%20embed%2Fv2/embeddings"
    )


def test_a_call_without_a_resource_is_refused():
    target = Target("azure-openai", "k-0123", "", MappingProxyType({}))
    with pytest.raises(InvalidRequest, match="azure_resource"):
        client.endpoint(target, "chat", "gpt-4o-prod")
