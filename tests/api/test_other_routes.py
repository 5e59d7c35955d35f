"""/v1/completions and /v1/embeddings forwarded, Azure's deployment path, the native seam."""

import orjson
import pytest
from rest_framework.test import APIClient

from models_api.usage.models import Usage
from tests.api.conftest import post
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

pytestmark = pytest.mark.django_db


def test_completions_forwarded_and_recorded(api, fake_openai, openai_key):
    CatalogEntryFactory(virtual_key=openai_key, model_id="gpt-3.5-turbo-instruct")
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": "Once", "max_tokens": 5, "echo": False}
    response = post(api, "completions", body)
    assert response.status_code == 200, response.content
    assert response.json()["choices"][0]["text"] == " and so on."
    assert fake_openai.requests[-1].path == "/v1/completions"
    assert fake_openai.requests[-1].json() == body
    assert Usage.objects.get().route == "completions"


def test_completions_stream(api, fake_openai, openai_key):
    CatalogEntryFactory(virtual_key=openai_key, model_id="davinci")
    response = post(api, "completions", {"model": "davinci", "prompt": "x", "stream": True})
    events = b"".join(response.streaming_content).split(b"\n\n")
    texts = [orjson.loads(e[6:])["choices"][0]["text"] for e in events[:-2]]
    assert "".join(texts) == " and so on." and events[-2] == b"data: [DONE]"


def test_embeddings_pass_through_as_the_provider_answers(api, fake_openai, openai_key):
    CatalogEntryFactory(virtual_key=openai_key, model_id="text-embedding-3-small")
    body = {"model": "text-embedding-3-small", "input": ["ab", "abc"], "encoding_format": "float"}
    response = post(api, "embeddings", body)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert [d["embedding"] for d in data] == [[2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0]]
    assert fake_openai.requests[-1].json() == body
    usage = Usage.objects.get()
    assert (usage.route, usage.prompt_tokens, usage.completion_tokens) == ("embeddings", 6, 0)


def test_azure_uses_the_deployment_path_api_version_and_api_key(db, settings):
    with FakeOpenAI(api_key="") as fake:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
        VirtualKeyFactory(slug="azure", provider="azure-openai", base_url=fake.url,
                          credential="azure-secret")  # fmt: skip
        _, raw = make_api_key()
        client = APIClient(HTTP_X_PORTKEY_API_KEY=raw, HTTP_X_PORTKEY_VIRTUAL_KEY="azure")
        fake.prefix = "/openai/deployments/my-gpt4o"
        body = {"model": "my-gpt4o", "messages": [{"role": "user", "content": "Hi"}]}
        response = post(client, "chat/completions", {**body, "stream": True})
        assert b"data: [DONE]" in b"".join(response.streaming_content)
        sent = fake.requests[-1]
        assert sent.path == "/openai/deployments/my-gpt4o/chat/completions"
        assert sent.query == {"api-version": ["2024-10-21"]}
        assert sent.headers["api-key"] == "azure-secret" and "authorization" not in sent.headers
        assert sent.json()["stream_options"] == {"include_usage": True}


def test_a_native_family_plugs_in_through_its_translation(db, settings):
    with FakeAnthropic(api_key="ant-key") as fake:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
        vk = VirtualKeyFactory(slug="claude", provider="anthropic", base_url=fake.url,
                               credential="ant-key")  # fmt: skip
        CatalogEntryFactory(virtual_key=vk, model_id="claude-sonnet-4")
        _, raw = make_api_key()
        client = APIClient(HTTP_X_PORTKEY_API_KEY=raw)
        body = {"model": "@claude/claude-sonnet-4", "messages": [{"role": "user", "content": "Hi"}]}
        answer = post(client, "chat/completions", body).json()
        assert answer["object"] == "chat.completion"
        assert answer["choices"][0]["message"]["content"] == "Hello from the fake."
        assert fake.requests[-1].json()["model"] == "claude-sonnet-4"
        response = post(client, "chat/completions", {**body, "stream": True})
        events = b"".join(response.streaming_content).split(b"\n\n")
        chunks = [orjson.loads(e[6:]) for e in events[:-2]]
        assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == (
            "Hello from the fake."
        )
        assert events[-2] == b"data: [DONE]"
        assert all(c["choices"] for c in chunks)  # the usage chunk only when asked
        tokens = list(Usage.objects.order_by("id").values_list("prompt_tokens", "stream"))
        assert tokens == [(10, False), (10, True)]
