"""Cohere: Bearer auth, page_token paging, filters passed through, retrieve."""

import pytest
from responses import matchers

from models_api.errors import InvalidRequest, NotFound
from models_api.providers import get_client
from models_api.providers.base import Target
from tests.providers.fixtures import COHERE_PAGE

URL = "https://api.cohere.com/v1/models"
client = get_client("cohere")
TARGET = Target("cohere", "co-KEY-0123")


def test_walks_every_page_keeping_filters(mocked):
    first = matchers.query_param_matcher({"endpoint": "chat", "page_size": "1000"})
    second = matchers.query_param_matcher(
        {"endpoint": "chat", "page_size": "1000", "page_token": "eyJvZmZzZXQiOjIwfQ"}
    )
    mocked.get(URL, match=[first], json={**COHERE_PAGE, "next_page_token": "eyJvZmZzZXQiOjIwfQ"})
    mocked.get(URL, match=[second], json={"models": [{"name": "command-r7b-12-2024"}]})
    listing = client.list_models(TARGET, {"endpoint": "chat"})
    assert [m.id for m in listing.models] == [
        "command-a-03-2025",
        "embed-v4.0",
        "command-r7b-12-2024",
    ]
    assert len(mocked.calls) == 2
    assert all(c.request.headers["Authorization"] == "Bearer co-KEY-0123" for c in mocked.calls)


def test_maps_name_context_and_endpoints(mocked):
    mocked.get(URL, json=COHERE_PAGE)
    command, _ = client.list_models(TARGET).models
    assert command.as_dict() == {
        "id": "command-a-03-2025",
        "object": "model",
        "created": 0,
        "owned_by": "cohere",
        "context_length": 256000,
        "capabilities": ["chat"],
    }


def test_callers_page_token_fetches_one_page(mocked):
    match = matchers.query_param_matcher({"page_size": "2", "page_token": "p2"})
    mocked.get(URL, match=[match], json={**COHERE_PAGE, "next_page_token": "p3"})
    listing = client.list_models(TARGET, {"page_size": "2", "page_token": "p2"})
    assert listing.paging == {"next_page_token": "p3"}
    assert len(mocked.calls) == 1


def test_an_empty_next_page_token_ends_the_walk(mocked):
    mocked.get(URL, json={**COHERE_PAGE, "next_page_token": ""})
    assert len(client.list_models(TARGET).models) == 2
    assert len(mocked.calls) == 1


def test_retrieve(mocked):
    mocked.get(URL + "/embed-v4.0", json=COHERE_PAGE["models"][1])
    assert client.retrieve_model(TARGET, "embed-v4.0").capabilities == ("embed",)


def test_retrieve_unknown_is_not_found(mocked):
    mocked.get(URL + "/nope", status=404, json={"message": "model 'nope' not found"})
    with pytest.raises(NotFound):
        client.retrieve_model(TARGET, "nope")


@pytest.mark.parametrize(
    ("capability", "url"),
    [("chat", "https://api.cohere.com/v2/chat"), ("embeddings", "https://api.cohere.com/v2/embed")],
)
def test_calls_go_to_the_v2_api_with_a_bearer_key(capability, url):
    endpoint = client.endpoint(TARGET, capability, "command-a-03-2025", stream=True)
    assert endpoint.url == url  # Cohere streams by a body flag, on the same URL
    assert endpoint.headers == {"Authorization": "Bearer co-KEY-0123"}
    assert endpoint.params == {}
    assert endpoint.translated is True


def test_legacy_completions_are_not_offered():
    with pytest.raises(InvalidRequest) as caught:
        client.endpoint(TARGET, "completions", "command-a-03-2025")
    assert caught.value.message == (
        "cohere does not offer /v1/completions; it offers: /v1/chat/completions, /v1/embeddings."
    )
