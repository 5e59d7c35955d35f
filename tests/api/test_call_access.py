"""The call routes share the models routes' open mode, throttle and control-plane rule, and
record what the provider reports (cached and reasoning tokens too)."""

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from keys.throttling import WINDOW_SECONDS
from models_api.usage.models import Usage
from tests.api.conftest import PROVIDER_KEY, post
from tests.factories import CatalogEntryFactory, make_api_key
from tests.fakes.server import Reply

pytestmark = pytest.mark.django_db
HELLO = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


def test_open_mode_lets_a_provider_route_with_the_callers_credential_through(fake_openai, settings):
    settings.GATEWAY_REQUIRE_API_KEY = False
    client = APIClient(
        HTTP_X_PORTKEY_PROVIDER="openai",
        HTTP_AUTHORIZATION=f"Bearer {PROVIDER_KEY}",
        HTTP_X_PORTKEY_CUSTOM_HOST=fake_openai.url + "/v1",
    )
    response = post(client, "chat/completions", HELLO)
    assert response.status_code == 200, response.content
    assert fake_openai.requests[-1].headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert Usage.objects.get().api_key_id is None
    # Without a credential, or without naming a provider, open mode still needs a key.
    alone = APIClient(HTTP_X_PORTKEY_PROVIDER="openai")
    assert post(alone, "chat/completions", HELLO).status_code == 401
    assert post(APIClient(), "chat/completions", HELLO).status_code == 401
    assert len(fake_openai.requests) == 1


def test_the_keys_rate_limit_holds_before_the_provider(fake_openai, openai_key):
    cache.clear()
    if time.time() % WINDOW_SECONDS > WINDOW_SECONDS - 2:  # both calls in one fixed window
        time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 0.01)
    CatalogEntryFactory(virtual_key=openai_key, model_id="gpt-4o")
    _, raw = make_api_key(virtual_keys=[openai_key], rate_limit_per_minute=1)
    client = APIClient(HTTP_X_PORTKEY_API_KEY=raw)
    assert post(client, "chat/completions", HELLO).status_code == 200
    limited = post(client, "embeddings", {"model": "gpt-4o", "input": "x"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert len(fake_openai.requests) == 1


def test_with_a_control_plane_calls_still_resolve_in_the_local_catalog(
    api, fake_openai, openai_key, settings
):
    settings.GATEWAY_CONTROL_PLANE_URL = "http://127.0.0.1:9/v1"  # never contacted for a call
    CatalogEntryFactory(virtual_key=openai_key, model_id="gpt-4o")
    response = post(api, "chat/completions", HELLO)
    assert response.status_code == 200, response.content
    assert fake_openai.requests[-1].json()["model"] == "gpt-4o"


def test_cached_and_reasoning_tokens_are_recorded(api, fake_openai, openai_key):
    CatalogEntryFactory(virtual_key=openai_key, model_id="o3")
    usage = {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140,
             "prompt_tokens_details": {"cached_tokens": 64},
             "completion_tokens_details": {"reasoning_tokens": 30}}  # fmt: skip
    answer = {"id": "c", "object": "chat.completion", "created": 1, "model": "o3",
              "choices": [], "usage": usage}  # fmt: skip
    fake_openai.queue(Reply.json(200, answer))
    assert post(api, "chat/completions", {**HELLO, "model": "o3"}).json() == answer
    row = Usage.objects.get()
    assert (row.prompt_tokens, row.completion_tokens, row.cached_tokens, row.reasoning_tokens) == (
        100, 40, 64, 30,
    )  # fmt: skip
