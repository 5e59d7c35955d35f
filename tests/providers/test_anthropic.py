"""Anthropic: headers, cursor paging, the caller's own page, retrieve."""

from types import MappingProxyType

import pytest
from responses import matchers

from models_api.errors import BadGateway, InvalidRequest, NotFound
from models_api.providers import get_client
from models_api.providers.base import Target
from tests.providers.fixtures import ANTHROPIC_PAGE

URL = "https://api.anthropic.com/v1/models"
client = get_client("anthropic")


def _target(**options):
    return Target("anthropic", "sk-ant-api03-KEY", "", MappingProxyType(options))


def _model(model_id, created_at="2025-01-01T00:00:00Z"):
    return {"type": "model", "id": model_id, "display_name": model_id, "created_at": created_at}


def _page(ids, has_more):
    return {"data": [_model(i) for i in ids], "has_more": has_more, "first_id": ids[0],
            "last_id": ids[-1]}  # fmt: skip


def test_walks_every_page_with_after_id(mocked):
    first = matchers.query_param_matcher({"limit": "1000"})
    second = matchers.query_param_matcher({"limit": "1000", "after_id": "b"})
    mocked.get(URL, match=[first], json=_page(["a", "b"], True))
    mocked.get(URL, match=[second], json=_page(["c"], False))
    listing = client.list_models(_target())
    assert [m.id for m in listing.models] == ["a", "b", "c"]
    assert listing.paging == {}
    assert len(mocked.calls) == 2
    assert mocked.calls[1].request.url == URL + "?limit=1000&after_id=b"


def test_sends_key_version_and_beta_headers(mocked):
    mocked.get(URL, json=ANTHROPIC_PAGE)
    client.list_models(_target(anthropic_beta="b1,b2"))
    headers = mocked.calls[0].request.headers
    assert headers["x-api-key"] == "sk-ant-api03-KEY"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "b1,b2"
    assert "Authorization" not in headers


def test_version_can_be_set_per_target(mocked):
    mocked.get(URL, json=ANTHROPIC_PAGE)
    client.list_models(_target(anthropic_version="2024-01-01"))
    assert mocked.calls[0].request.headers["anthropic-version"] == "2024-01-01"


def test_maps_fields_and_the_epoch_to_zero(mocked):
    body = {"data": [
        {**_model("claude-x", "1970-01-01T00:00:00Z"), "max_input_tokens": 200000,
         "max_tokens": 64000, "capabilities": {"batch": {"supported": True},
                                               "citations": {"supported": False}}},
        *ANTHROPIC_PAGE["data"],
    ], "has_more": False}  # fmt: skip
    mocked.get(URL, json=body)
    old, sonnet, haiku = client.list_models(_target()).models
    assert (old.created, old.context_length, old.max_output_tokens) == (0, 200000, 64000)
    assert old.capabilities == ("batch",)
    assert sonnet.as_dict() == {
        "id": "claude-sonnet-4-20250514",
        "object": "model",
        "created": 1747872000,
        "owned_by": "anthropic",
        "name": "Claude Sonnet 4",
    }
    assert haiku.created == 1729555200


def test_callers_paging_fetches_exactly_that_page(mocked):
    match = matchers.query_param_matcher({"limit": "2", "after_id": "x"})
    mocked.get(URL, match=[match], json=_page(["a", "b"], True))
    listing = client.list_models(_target(), {"limit": "2", "after_id": "x"})
    assert [m.id for m in listing.models] == ["a", "b"]
    assert listing.paging == {"has_more": True, "first_id": "a", "last_id": "b"}
    assert len(mocked.calls) == 1


def test_more_pages_than_the_cap_is_a_bad_gateway(mocked, settings):
    settings.GATEWAY_MAX_PAGES = 2
    mocked.get(URL, json=_page(["a"], True))
    mocked.get(URL, json=_page(["b"], True))
    with pytest.raises(BadGateway, match="more than 2 pages"):
        client.list_models(_target())
    assert len(mocked.calls) == 2


def test_a_cursor_that_repeats_is_a_bad_gateway(mocked):
    mocked.get(URL, json=_page(["a"], True))
    mocked.get(URL, json=_page(["a"], True))
    with pytest.raises(BadGateway, match="same page cursor twice"):
        client.list_models(_target())


def test_has_more_without_last_id_is_a_bad_gateway(mocked):
    mocked.get(URL, json={"data": [_model("a")], "has_more": True})
    with pytest.raises(BadGateway, match="last_id"):
        client.list_models(_target())


def test_an_item_that_is_not_a_model_is_a_bad_gateway(mocked):
    mocked.get(URL, json={"data": [{"type": "error", "id": "x"}], "has_more": False})
    with pytest.raises(BadGateway, match="not a model"):
        client.list_models(_target())


def test_retrieve(mocked):
    mocked.get(URL + "/claude-sonnet-4-0", json=ANTHROPIC_PAGE["data"][0])
    model = client.retrieve_model(_target(), "claude-sonnet-4-0")
    assert model.id == "claude-sonnet-4-20250514"
    assert mocked.calls[0].request.headers["anthropic-version"] == "2023-06-01"


def test_retrieve_unknown_is_not_found(mocked):
    error = {"type": "error", "error": {"type": "not_found_error", "message": "model: nope"}}
    mocked.get(URL + "/nope", status=404, json=error)
    with pytest.raises(NotFound, match="'nope' does not exist at anthropic"):
        client.retrieve_model(_target(), "nope")


def test_chat_goes_to_messages_with_key_and_version_headers():
    target = _target(anthropic_beta="prompt-caching-2024-07-31")
    for stream in (False, True):  # Anthropic streams by a body flag, on the same URL
        endpoint = client.endpoint(target, "chat", "claude-sonnet-4-20250514", stream=stream)
        assert endpoint.url == "https://api.anthropic.com/v1/messages"
        assert endpoint.headers == {
            "x-api-key": "sk-ant-api03-KEY",
            "anthropic-version": "2023-06-01",
            "anthropic-beta": "prompt-caching-2024-07-31",
        }
        assert endpoint.params == {}
        assert endpoint.translated is True


def test_chat_honours_the_version_option_and_a_base_url():
    target = Target(
        "anthropic",
        "sk-ant-api03-KEY",
        "http://127.0.0.1:9000/",
        MappingProxyType({"anthropic_version": "2024-01-01"}),
    )
    endpoint = client.endpoint(target, "chat", "claude-x")
    assert endpoint.url == "http://127.0.0.1:9000/v1/messages"
    assert endpoint.headers["anthropic-version"] == "2024-01-01"
    assert "anthropic-beta" not in endpoint.headers


@pytest.mark.parametrize(
    ("capability", "route"), [("completions", "/v1/completions"), ("embeddings", "/v1/embeddings")]
)
def test_only_chat_is_offered(capability, route):
    with pytest.raises(InvalidRequest) as caught:
        client.endpoint(_target(), capability, "claude-x")
    assert caught.value.status == 400
    assert caught.value.message == (
        f"anthropic does not offer {route}; it offers: /v1/chat/completions."
    )
