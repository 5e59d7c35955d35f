"""Google Gemini: header auth, pageToken paging, `models/` prefix, retrieve."""

from types import MappingProxyType

import pytest
from responses import matchers

from models_api.errors import InvalidRequest, NotFound
from models_api.providers import get_client, validate_target_options
from models_api.providers.base import Target
from tests.providers.fixtures import GOOGLE_PAGE

URL = "https://generativelanguage.googleapis.com/v1beta/models"
client = get_client("google")


def _target(**options):
    return Target("google", "AIza-KEY-0123", "", MappingProxyType(options))


def test_walks_every_page_with_the_largest_page_size(mocked):
    first = {**GOOGLE_PAGE, "nextPageToken": "tok-1"}
    second = {"models": [{"name": "models/gemini-2.5-pro", "displayName": "Gemini 2.5 Pro"}]}
    mocked.get(URL, match=[matchers.query_param_matcher({"pageSize": "1000"})], json=first)
    mocked.get(
        URL,
        match=[matchers.query_param_matcher({"pageSize": "1000", "pageToken": "tok-1"})],
        json=second,
    )
    listing = client.list_models(_target())
    assert [m.id for m in listing.models] == [
        "gemini-2.0-flash",
        "text-embedding-004",
        "gemini-2.5-pro",
    ]
    assert len(mocked.calls) == 2
    for call in mocked.calls:
        assert call.request.headers["x-goog-api-key"] == "AIza-KEY-0123"
        assert "AIza" not in call.request.url


def test_maps_limits_names_and_methods(mocked):
    mocked.get(URL, json=GOOGLE_PAGE)
    flash, embedding = client.list_models(_target()).models
    assert flash.as_dict() == {
        "id": "gemini-2.0-flash",
        "object": "model",
        "created": 0,
        "owned_by": "google",
        "name": "Gemini 2.0 Flash",
        "context_length": 1048576,
        "max_output_tokens": 8192,
        "capabilities": ["generateContent", "countTokens"],
    }
    assert embedding.capabilities == ("embedContent",)


def test_callers_page_token_fetches_one_page(mocked):
    match = matchers.query_param_matcher({"pageSize": "1", "pageToken": "abc"})
    mocked.get(URL, match=[match], json={**GOOGLE_PAGE, "nextPageToken": "next"})
    listing = client.list_models(_target(), {"pageSize": "1", "pageToken": "abc"})
    assert listing.paging == {"nextPageToken": "next"}
    assert len(listing.models) == 2
    assert len(mocked.calls) == 1


def test_an_empty_account_answers_an_empty_object(mocked):
    mocked.get(URL, json={})
    assert client.list_models(_target()).models == ()


def test_api_version_option(mocked):
    mocked.get("https://generativelanguage.googleapis.com/v1/models", json=GOOGLE_PAGE)
    assert len(client.list_models(_target(api_version="v1")).models) == 2


def test_the_key_query_parameter_is_refused(mocked):
    with pytest.raises(InvalidRequest, match="'key' cannot be forwarded to google"):
        client.list_models(_target(), {"key": "someone-elses"})


def test_retrieve_accepts_ids_with_or_without_the_prefix(mocked):
    mocked.get(URL + "/gemini-2.0-flash", json=GOOGLE_PAGE["models"][0])
    mocked.get(URL + "/gemini-2.0-flash", json=GOOGLE_PAGE["models"][0])
    assert client.retrieve_model(_target(), "gemini-2.0-flash").id == "gemini-2.0-flash"
    assert client.retrieve_model(_target(), "models/gemini-2.0-flash").id == "gemini-2.0-flash"


def test_retrieve_unknown_is_not_found(mocked):
    error = {"error": {"code": 404, "message": "models/x is not found", "status": "NOT_FOUND"}}
    mocked.get(URL + "/x", status=404, json=error)
    with pytest.raises(NotFound):
        client.retrieve_model(_target(), "x")


def test_options_are_validated():
    assert validate_target_options("google", {"api_version": "v1beta"}) == []
    assert validate_target_options("google", {"api_version": "../v2"}) == [
        "api_version '../v2' is not a Gemini API version such as 'v1beta'."
    ]


def test_chat_is_generate_content_with_the_key_in_a_header():
    endpoint = client.endpoint(_target(), "chat", "gemini-2.0-flash")
    assert endpoint.url == URL + "/gemini-2.0-flash:generateContent"
    assert endpoint.headers == {"x-goog-api-key": "AIza-KEY-0123"}
    assert endpoint.params == {}
    assert endpoint.translated is True
    assert "AIza" not in endpoint.url


def test_streaming_chat_is_stream_generate_content_as_sse():
    endpoint = client.endpoint(_target(), "chat", "models/gemini-2.0-flash", stream=True)
    assert endpoint.url == URL + "/gemini-2.0-flash:streamGenerateContent"
    assert endpoint.params == {"alt": "sse"}


def test_embeddings_are_batch_embed_contents():
    endpoint = client.endpoint(_target(), "embeddings", "text-embedding-004", stream=True)
    assert endpoint.url == URL + "/text-embedding-004:batchEmbedContents"
    assert endpoint.params == {}


def test_calls_use_the_api_version_option():
    endpoint = client.endpoint(_target(api_version="v1"), "chat", "gemini-2.0-flash")
    assert endpoint.url == (
        "https://generativelanguage.googleapis.com/v1/models/gemini-2.0-flash:generateContent"
    )


@pytest.mark.parametrize("model", ["", "..", "models/.."])
def test_a_model_that_is_no_path_segment_is_not_found(model):
    with pytest.raises(NotFound):
        client.endpoint(_target(), "chat", model)


def test_legacy_completions_are_a_400_naming_chat():
    with pytest.raises(InvalidRequest) as caught:
        client.endpoint(_target(), "completions", "gemini-2.0-flash")
    assert caught.value.message == (
        "google does not offer /v1/completions; it offers: /v1/chat/completions, /v1/embeddings."
    )
