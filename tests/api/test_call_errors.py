"""Errors of the call routes (DESIGN section 6): before any provider is contacted, and after."""

import pytest
from rest_framework.test import APIClient

from models_api.usage.models import Usage
from tests.api.conftest import post
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fakes.openai import error_body
from tests.fakes.server import Reply

pytestmark = pytest.mark.django_db
HELLO = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
ROUTES = ["chat/completions", "completions", "embeddings"]


@pytest.fixture
def listed(openai_key):
    return CatalogEntryFactory(virtual_key=openai_key, model_id="gpt-4o")


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    return error


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (b"{not json", "invalid_json", "not valid JSON"),
        (b"[1, 2]", "invalid_json", "not an array"),
        (b"", "invalid_json", "empty"),
        (b'{"messages": []}', "missing_model", '"model"'),
        (b'{"model": 5}', "invalid_model", '"model"'),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(api, fake_openai, route, body, code, words):
    error = error_of(post(api, route, body), 400)
    assert error["code"] == code and words in error["message"]
    assert fake_openai.requests == []


def test_a_body_over_the_limit_is_413(api, fake_openai, settings):
    settings.GATEWAY_MAX_REQUEST_BYTES = 100
    error = error_of(post(api, "chat/completions", {**HELLO, "pad": "x" * 200}), 413)
    assert error["code"] == "request_too_large"


@pytest.mark.parametrize("route", ROUTES)
def test_get_is_405_in_openai_shape(api, route):
    response = api.get(f"/v1/{route}")
    assert error_of(response, 405)["code"] == "method_not_allowed"


def test_no_or_bad_gateway_key_is_401(fake_openai, listed):
    assert error_of(post(APIClient(), "chat/completions", HELLO), 401)["type"] == (
        "authentication_error"
    )
    bad = post(APIClient(), "chat/completions", HELLO, HTTP_AUTHORIZATION="Bearer gwk_nope")
    error_of(bad, 401)
    assert fake_openai.requests == []


def test_plain_id_unknown_is_404_and_ambiguous_is_400_listing_ids(api, fake_openai, listed):
    error = error_of(post(api, "chat/completions", {**HELLO, "model": "gpt-5"}), 404)
    assert error["code"] == "model_not_found" and error["param"] == "model"
    other = VirtualKeyFactory(slug="second-openai", provider="openai")
    CatalogEntryFactory(virtual_key=other, model_id="gpt-4o")
    _, raw = make_api_key()
    response = post(APIClient(), "chat/completions", HELLO, HTTP_X_PORTKEY_API_KEY=raw)
    error = error_of(response, 400)
    assert error["code"] == "ambiguous_model"
    assert "@fake-openai/gpt-4o" in error["message"] and "@second-openai/gpt-4o" in error["message"]
    assert fake_openai.requests == []


def test_catalog_id_of_a_virtual_key_out_of_scope_is_403_unknown_404(fake_openai, listed):
    other = VirtualKeyFactory(slug="not-mine", provider="openai")
    CatalogEntryFactory(virtual_key=other, model_id="gpt-4o")
    _, raw = make_api_key(virtual_keys=[listed.virtual_key])
    client = APIClient(HTTP_X_PORTKEY_API_KEY=raw)
    error = error_of(post(client, "chat/completions", {**HELLO, "model": "@not-mine/gpt-4o"}), 403)
    assert error["param"] == "model"
    error_of(post(client, "chat/completions", {**HELLO, "model": "@nobody/gpt-4o"}), 404)
    error = error_of(post(client, "chat/completions", {**HELLO, "model": "@bad slug"}), 400)
    assert error["code"] == "invalid_model"
    assert fake_openai.requests == []


def test_model_patterns_refuse_before_the_provider(fake_openai, listed):
    _, raw = make_api_key(virtual_keys=[listed.virtual_key], model_patterns=["gpt-3*"])
    client = APIClient(HTTP_X_PORTKEY_API_KEY=raw)
    error_of(post(client, "chat/completions", HELLO), 404)
    header = post(client, "chat/completions", HELLO, HTTP_X_PORTKEY_VIRTUAL_KEY="fake-openai")
    assert error_of(header, 403)["code"] == "model_not_allowed"
    assert fake_openai.requests == []


def test_a_route_the_provider_does_not_offer_is_400(api, db, settings):
    VirtualKeyFactory(slug="groq-key", provider="groq")
    _, raw = make_api_key()
    client = APIClient(HTTP_X_PORTKEY_API_KEY=raw, HTTP_X_PORTKEY_VIRTUAL_KEY="groq-key")
    error = error_of(post(client, "embeddings", {"model": "llama", "input": "x"}), 400)
    assert error["code"] == "unsupported_route" and "/v1/embeddings" in error["message"]
    assert Usage.objects.get().status == 400  # the target was chosen: a failed call


def test_provider_4xx_keeps_status_and_message(api, fake_openai, listed):
    fake_openai.queue(Reply.json(400, error_body("max_tokens is too large", param="max_tokens")))
    error = error_of(post(api, "chat/completions", HELLO), 400)
    assert "max_tokens is too large" in error["message"] and error["provider"] == "openai"
    fake_openai.queue(Reply.json(429, error_body("slow down"), {"Retry-After": "7"}))
    response = post(api, "chat/completions", HELLO)
    assert error_of(response, 429) and response["Retry-After"] == "7"
    assert len(fake_openai.requests) == 2  # a 429 is not retried: the provider got the POST
    assert sorted(Usage.objects.values_list("status", flat=True)) == [400, 429]


def test_provider_5xx_and_bad_bodies_are_502(api, fake_openai, listed):
    fake_openai.queue(Reply.json(500, error_body("boom", type="server_error")))
    assert error_of(post(api, "chat/completions", HELLO), 502)["provider"] == "openai"
    fake_openai.queue(Reply(200, {"Content-Type": "application/json"}, [b"<html>"]))
    error_of(post(api, "chat/completions", HELLO), 502)
    fake_openai.queue(Reply.json(200, [1, 2]))
    error_of(post(api, "chat/completions", HELLO), 502)
    assert len(fake_openai.requests) == 3  # never retried
    usage = Usage.objects.filter(status=502)
    assert usage.count() == 3 and all(u.prompt_tokens is None for u in usage)


def test_an_error_before_the_first_byte_of_a_stream_is_json(api, fake_openai, listed):
    fake_openai.queue(Reply.json(401, error_body("bad key", code="invalid_api_key")))
    response = post(api, "chat/completions", {**HELLO, "stream": True})
    assert response["Content-Type"] == "application/json"
    assert "bad key" in error_of(response, 401)["message"]


def test_an_error_after_the_first_byte_is_one_sse_error_event(api, fake_openai, listed):
    fake_openai.queue(Reply.streamed([b'data: {"choices":[{"index":0,"delta":{}}]}\n\n'],
                                     "text/event-stream", reset=True))  # fmt: skip
    response = post(api, "chat/completions", {**HELLO, "stream": True})
    assert response.status_code == 200
    events = b"".join(response.streaming_content).split(b"\n\n")
    assert events[0].startswith(b"data: {")
    assert events[1].startswith(b'data: {"error":') and b"stream_broken" in events[1]
    assert events[2:] == [b""]  # then the end, no [DONE]
    assert Usage.objects.get().status == 502
